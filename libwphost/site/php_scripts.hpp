// The PHP programs the site engine runs as a site's user, embedded at build
// time from libwphost/site/php/*.php.
#pragma once

namespace wph::site {

const char *php_install_script();
const char *php_object_cache_script();
const char *php_search_replace_script();

}  // namespace wph::site
