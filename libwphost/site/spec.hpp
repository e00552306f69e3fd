// The site spec: the JSON document that describes a site, validated into a
// struct, and the names derived from it (Linux user, database, pool, paths).
// Pure logic apart from libidn2; nothing here touches the host.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/profile.hpp"

namespace wph::site {

struct PhpLimits {
    std::string memory_limit = "256M";
    std::string upload_max_filesize = "64M";
    int max_children = 5;
};

struct SiteSpec {
    std::string domain;                 // ASCII (punycode), lower case
    std::string domain_unicode;         // as given, when it was an IDN
    std::vector<std::string> aliases;   // ASCII
    std::string www = "redirect";       // "redirect" | "alias" | "none"
    std::string php = "8.2";
    std::string source = "/usr/share/wordpress";  // directory, tarball, or https:// URL
    std::string core = "shared";        // "shared" (hard links to a read-only core) | "copy"
    std::string locale;                 // "" = WordPress's default (en_US)
    std::string title;
    std::string admin_user = "admin";
    std::string admin_email;
    std::string admin_password;         // generated when empty; never stored
    std::string cache = "page";         // "none" | "page" | "page+object"
    std::string multisite;              // "" | "subdirectory" | "subdomain"
    std::string tls = "none";           // "none" | "self-signed" | "acme"
    PhpLimits limits;
    bool open_basedir = true;           // confine PHP to the site's tree (costs PHP about 40 % of uncached speed)
    std::string environment = "production";  // "production" | "staging"
    int redis_database = 0;

    // The spec as stored and returned (no password).
    boost::json::object to_json() const;
};

// Parse and validate a site spec document. WPH_EINVALID with the field named
// and why for anything wrong, including characters that could reach an nginx
// file, a pool file, SQL, PHP or a command line.
SiteSpec parse_spec(const std::string &json);
SiteSpec spec_from_json(const boost::json::object &o);

// A host name: RFC 1123 labels, IDNs converted to punycode (IDNA 2008,
// non-transitional), lower-cased, at most 253 bytes. WPH_EINVALID otherwise.
std::string normalize_domain(const std::string &name, const std::string &field);

// PHP ini size ("256M", "1G", "512K", bytes): WPH_EINVALID otherwise.
void check_php_size(const std::string &v, const std::string &field);
// "8.2" → true.
bool is_php_version(const std::string &v);

// Everything derived from the domain, computed once at creation and stored.
struct SiteNames {
    std::string slug;        // [a-z0-9_], unique per engine
    std::string user, group; // Linux account (= slug prefixed "wp_")
    std::string db_name, db_user;
    std::string home, docroot, logs, tmp, conf;
    std::string wp_config;   // <home>/wp-config.php (one level above the docroot)
    std::string pool_name;
    std::string nginx_file;  // <sites_dir>/wphost-<domain>.conf
    std::string cache_dir;   // <nginx.cache_dir>/<slug>
    std::string ssl_dir;     // <ssl_dir>/<domain>
    std::string redis_prefix;

    boost::json::object to_json() const;
    static SiteNames from_json(const boost::json::object &o);
};

// The readable slug of a domain ("shop.example.com" → "shop_example_com"),
// cut and suffixed with a hash when it would be longer than fits a user name.
std::string slug_for(const std::string &domain, bool with_hash);
SiteNames make_names(const HostProfile &p, const std::string &domain, const std::string &slug);

// PHP-FPM's files for a version.
std::string pool_dir(const HostProfile &p, const std::string &php);
std::string pool_file(const HostProfile &p, const std::string &php, const SiteNames &n);
// The socket carries the version, so that two pools of a site can run side by side while the version changes.
std::string pool_socket(const HostProfile &p, const std::string &php, const SiteNames &n);
std::string fpm_config(const HostProfile &p, const std::string &php);
std::string fpm_pid_file(const HostProfile &p, const std::string &php);
std::string php_cli(const HostProfile &p, const std::string &php);

// The URL the site answers on ("http://example.com", with the port when it
// is not the scheme's default).
std::string site_url(const HostProfile &p, const SiteSpec &s);

}  // namespace wph::site
