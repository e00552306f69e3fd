// Renderers for the files a site is made of: nginx server block, PHP-FPM
// pool, wp-config.php, the suspended page. Pure functions of their inputs;
// every value they put in a file has been validated by parse_spec, and is
// quoted for the file's syntax anyway.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/profile.hpp"
#include "site/spec.hpp"

namespace wph::site {

struct SiteSecrets {
    std::string db_password;
    std::vector<std::string> salts;  // 8: AUTH_KEY .. NONCE_SALT
    std::string staging_password;    // basic-auth password of a staging site (empty otherwise)

    boost::json::object to_json() const;
    static SiteSecrets from_json(const boost::json::object &o);
    static SiteSecrets generate();
};

struct RenderContext {
    const HostProfile &profile;
    const SiteSpec &spec;
    const SiteNames &names;
    bool suspended = false;
    bool purge_module = false;       // ngx_http_cache_purge is loaded: render a purge location
    std::string htpasswd_file;       // staging: basic auth (empty: none)
    std::string ssl_cert, ssl_key;   // tls != none
    bool multisite_ready = false;    // wp-config: the network is installed, add MULTISITE constants
};

std::string render_nginx(const RenderContext &c);
std::string render_pool(const RenderContext &c, const std::map<std::string, std::string> &php_overrides);
std::string render_wp_config(const RenderContext &c, const SiteSecrets &secrets);
std::string render_suspended_page(const SiteSpec &s);

// `key = value` lines of <conf>/php.ini (comments with ';' or '#'). Keys
// are PHP ini names, values are kept to a safe character set; anything else
// is WPH_EINVALID naming the line.
std::map<std::string, std::string> parse_php_overrides(const std::string &text, const std::string &file);

// A random password from an alphabet that needs no quoting anywhere.
std::string random_password(std::size_t n);
// SHA-512 crypt ($6$) of a password, for nginx's auth_basic_user_file.
std::string crypt_sha512(const std::string &password);

}  // namespace wph::site
