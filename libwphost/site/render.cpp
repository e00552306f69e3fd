#include "site/render.hpp"

#include <crypt.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstring>

#include "engine/error.hpp"
#include "util/strings.hpp"

namespace wph::site {

namespace {

const char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
// For salts: printable ASCII without quotes, backslash, '$' and spaces, so
// the values are inert in a single-quoted PHP string and anywhere else.
const char kSaltChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&()*+,-./:;<=>?@[]^_{|}~";

std::string random_from(const char *alphabet, std::size_t n) {
    std::size_t m = std::strlen(alphabet);
    std::string out;
    while (out.size() < n) {
        unsigned char buf[64];
        if (RAND_bytes(buf, sizeof buf) != 1) raise(WPH_ERROR, "site", "no randomness from OpenSSL");
        for (unsigned char b : buf) {
            // Rejection sampling: no bias towards the first characters.
            if (b >= 256 - 256 % m) continue;
            out += alphabet[b % m];
            if (out.size() == n) break;
        }
    }
    return out;
}

// Single-quoted PHP string literal.
std::string php_str(const std::string &s) {
    std::string o = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\') o += '\\';
        o += c;
    }
    return o + "'";
}

bool default_port(int port, bool tls) { return port == (tls ? 443 : 80); }

std::vector<std::string> server_names(const SiteSpec &s) {
    std::vector<std::string> v{s.domain};
    if (s.www == "alias") v.push_back(s.domain.rfind("www.", 0) == 0 ? s.domain.substr(4) : "www." + s.domain);
    for (auto &a : s.aliases) v.push_back(a);
    if (s.multisite == "subdomain") v.push_back("*." + s.domain);
    return v;
}

std::string join(const std::vector<std::string> &v, const char *sep) {
    std::string o;
    for (auto &x : v) o += (o.empty() ? "" : sep) + x;
    return o;
}

bool noindex(const RenderContext &c) { return c.spec.environment == "staging" || !c.htpasswd_file.empty(); }

std::string robots_header(const RenderContext &c, const char *indent) {
    return noindex(c) ? std::string(indent) + "add_header X-Robots-Tag \"noindex, nofollow\" always;\n" : std::string();
}

// The fastcgi lines every PHP location shares.
std::string php_pass(const RenderContext &c, int port, bool tls, bool cached, const char *indent) {
    std::string i = indent, o;
    o += i + "try_files $uri =404;\n";
    o += i + "include " + c.profile.nginx.fastcgi_params + ";\n";
    o += i + "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n";
    // Debian's fastcgi_params passes HTTP_HOST as $host, which drops a
    // non-default port; WordPress would then redirect to itself forever.
    if (!default_port(port, tls)) o += i + "fastcgi_param HTTP_HOST $host:$server_port;\n";
    o += i + "fastcgi_pass unix:" + pool_socket(c.profile, c.spec.php, c.names) + ";\n";
    o += i + "fastcgi_read_timeout 300s;\n";
    if (cached) {
        o += i + "fastcgi_cache wph_" + c.names.slug + ";\n";
        o += i + "fastcgi_cache_key \"$scheme$request_method$host$request_uri\";\n";
        o += i + "fastcgi_cache_valid 200 301 302 60m;\n";
        o += i + "fastcgi_cache_use_stale error timeout updating http_500 http_503;\n";
        o += i + "fastcgi_cache_background_update on;\n";
        o += i + "fastcgi_cache_lock on;\n";
        o += i + "fastcgi_cache_bypass $wph_skip_cache;\n";
        o += i + "fastcgi_no_cache $wph_skip_cache;\n";
        o += i + "add_header X-Cache $upstream_cache_status always;\n";
        // A location with its own add_header drops the server's.
        o += robots_header(c, indent);
    }
    return o;
}

}  // namespace

std::string random_password(std::size_t n) { return random_from(kAlnum, n); }

std::string crypt_sha512(const std::string &password) {
    std::string setting = "$6$" + random_from(kAlnum, 16) + "$";
    struct crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char *h = crypt_r(password.c_str(), setting.c_str(), &data);
    if (!h || h[0] != '$') raise(WPH_ERROR, "site", "crypt() refused to hash the staging password");
    return h;
}

SiteSecrets SiteSecrets::generate() {
    SiteSecrets s;
    s.db_password = random_password(32);
    for (int i = 0; i < 8; ++i) s.salts.push_back(random_from(kSaltChars, 64));
    return s;
}

boost::json::object SiteSecrets::to_json() const {
    boost::json::array a;
    for (auto &x : salts) a.emplace_back(x);
    return {{"db_password", db_password}, {"salts", a}, {"staging_password", staging_password}};
}

SiteSecrets SiteSecrets::from_json(const boost::json::object &o) {
    SiteSecrets s;
    try {
        s.db_password = std::string(o.at("db_password").as_string());
        for (auto &x : o.at("salts").as_array()) s.salts.emplace_back(x.as_string());
        if (auto it = o.find("staging_password"); it != o.end()) s.staging_password = std::string(it->value().as_string());
    } catch (const std::exception &) {
        raise(WPH_EIO, "state", "a site's secrets file is damaged");
    }
    if (s.salts.size() != 8) raise(WPH_EIO, "state", "a site's secrets file is damaged (salts)");
    return s;
}

std::string render_nginx(const RenderContext &c) {
    const auto &p = c.profile;
    const auto &s = c.spec;
    const auto &n = c.names;
    bool tls = s.tls != "none";
    bool cached = s.cache != "none" && !c.suspended;
    int port = tls ? p.nginx.https_port : p.nginx.http_port;
    std::string host_port = default_port(port, tls) ? "" : ":" + std::to_string(port);
    std::string scheme = tls ? "https" : "http";
    std::string o;
    o += "# Written by libwphost for " + s.domain + ". Regenerated on every change to the site:\n";
    o += "# put your own directives in " + n.conf + "/nginx/*.conf, which is included below.\n\n";
    if (cached)
        o += "fastcgi_cache_path " + n.cache_dir + " levels=1:2 keys_zone=wph_" + n.slug +
             ":4m max_size=256m inactive=60m use_temp_path=off;\n";
    o += "limit_req_zone $binary_remote_addr zone=wph_" + n.slug + "_login:1m rate=10r/m;\n";
    o += "limit_req_zone $binary_remote_addr zone=wph_" + n.slug + "_xmlrpc:1m rate=30r/m;\n\n";

    auto listen = [&](bool secure) {
        if (secure) return "    listen " + std::to_string(p.nginx.https_port) + " ssl http2;\n    ssl_certificate " + c.ssl_cert +
                           ";\n    ssl_certificate_key " + c.ssl_key + ";\n";
        return "    listen " + std::to_string(p.nginx.http_port) + ";\n";
    };

    // Plain HTTP to HTTPS.
    if (tls) {
        std::vector<std::string> all = server_names(s);
        if (s.www == "redirect") all.push_back(s.domain.rfind("www.", 0) == 0 ? s.domain.substr(4) : "www." + s.domain);
        o += "server {\n" + listen(false) + "    server_name " + join(all, " ") + ";\n";
        o += "    location /.well-known/acme-challenge/ { root " + n.home + "/acme; }\n";
        o += "    location / { return 301 https://$host" + host_port + "$request_uri; }\n}\n\n";
    }
    // www. to the site's own name.
    if (s.www == "redirect") {
        std::string other = s.domain.rfind("www.", 0) == 0 ? s.domain.substr(4) : "www." + s.domain;
        o += "server {\n" + listen(tls) + "    server_name " + other + ";\n";
        o += "    return 301 " + scheme + "://" + s.domain + host_port + "$request_uri;\n}\n\n";
    }

    o += "server {\n" + listen(tls);
    o += "    server_name " + join(server_names(s), " ") + ";\n";
    o += "    root " + n.docroot + ";\n";
    o += "    index index.php index.html;\n";
    o += "    access_log " + n.logs + "/access.log;\n";
    o += "    error_log " + n.logs + "/error.log;\n";
    o += "    client_max_body_size " + s.limits.upload_max_filesize + ";\n";
    // A site user cannot point a symlink at another site's files. The open
    // file cache keeps the checks (and the lookups of try_files) from
    // costing each request a dozen system calls; it holds descriptors of
    // files already checked, never follows a link swapped in later.
    o += "    disable_symlinks if_not_owner from=$document_root;\n";
    o += "    open_file_cache max=10000 inactive=60s;\n";
    o += robots_header(c, "    ");
    if (!c.htpasswd_file.empty()) {
        o += "    auth_basic \"Staging of " + s.domain + "\";\n";
        o += "    auth_basic_user_file " + c.htpasswd_file + ";\n";
    }
    o += "\n    # Your own directives (server context).\n";
    o += "    include " + n.conf + "/nginx/*.conf;\n\n";

    if (c.suspended) {
        o += "    location / { return 503; }\n";
        o += "    error_page 503 /wphost-suspended.html;\n";
        o += "    location = /wphost-suspended.html { root " + n.home + "; internal; add_header Retry-After 3600 always; }\n";
        o += "}\n";
        return o;
    }

    if (cached) {
        o += "    # Requests the page cache must not answer or store.\n";
        o += "    set $wph_skip_cache 0;\n";
        o += "    if ($request_method = POST) { set $wph_skip_cache 1; }\n";
        o += "    if ($query_string != \"\") { set $wph_skip_cache 1; }\n";
        o += "    if ($request_uri ~* \"(/wp-admin/|/xmlrpc\\.php|/wp-(app|cron|login|register|mail|signup|activate|trackback|comments-post)\\.php"
             "|/feed/|/comments/feed|sitemap(_index)?\\.xml|[a-z0-9_-]+-sitemap([0-9]+)?\\.xml|/wp-json/)\") { set $wph_skip_cache 1; }\n";
        o += "    if ($http_cookie ~* \"comment_author|wordpress_[a-f0-9]+|wp-postpass|wordpress_no_cache|wordpress_logged_in"
             "|woocommerce_cart_hash|woocommerce_items_in_cart|wp_woocommerce_session\") { set $wph_skip_cache 1; }\n\n";
    }
    if (s.multisite == "subdirectory") {
        o += "    # Multisite (sub-directories): /blog/wp-admin/... is WordPress's own /wp-admin/...\n";
        o += "    if (!-e $request_filename) {\n";
        o += "        rewrite /wp-admin$ $scheme://$host" + host_port + "$request_uri/ permanent;\n";
        o += "        rewrite ^(/[^/]+)?(/wp-.*) $2 last;\n";
        o += "        rewrite ^(/[^/]+)?(/.*\\.php) $2 last;\n";
        o += "    }\n\n";
    }
    o += "    location / { try_files $uri $uri/ /index.php?$args; }\n";
    o += "    location = /favicon.ico { try_files $uri =204; log_not_found off; access_log off; }\n";
    o += "    location = /robots.txt { try_files $uri /index.php?$args; log_not_found off; access_log off; }\n";
    o += "    location ^~ /.well-known/acme-challenge/ { root " + n.home + "/acme; }\n";
    o += "    # Hidden files, and PHP where uploads go, are never served or run.\n";
    o += "    location ~ /\\.(?!well-known/) { deny all; }\n";
    o += "    location ~* ^/wp-content/uploads/.*\\.(?:php[0-9]?|phtml|phar|pht)$ { deny all; }\n";
    o += "    location ~* ^/(?:wp-config\\.php|readme\\.html|license\\.txt)$ { deny all; }\n";
    if (cached && c.purge_module) {
        o += "    # Purge a page: GET /purge/<path>, from this machine only.\n";
        o += "    location ~ ^/purge(/.*) {\n        allow 127.0.0.1;\n        allow ::1;\n        deny all;\n";
        o += "        fastcgi_cache_purge wph_" + n.slug + " \"$scheme${request_method}$host$1\";\n    }\n";
    }
    o += "    location = /wp-login.php {\n        limit_req zone=wph_" + n.slug + "_login burst=10 nodelay;\n        limit_req_status 429;\n";
    o += php_pass(c, port, tls, false, "        ") + "    }\n";
    o += "    location = /xmlrpc.php {\n        limit_req zone=wph_" + n.slug + "_xmlrpc burst=20 nodelay;\n        limit_req_status 429;\n";
    o += php_pass(c, port, tls, false, "        ") + "    }\n";
    o += "    location ~ \\.php$ {\n" + php_pass(c, port, tls, cached, "        ") + "    }\n";
    o += "    location ~* \\.(?:css|js|mjs|map|jpe?g|png|gif|ico|svg|webp|avif|woff2?|ttf|otf|eot|mp4|webm|mp3|ogg|pdf)$ {\n";
    o += "        expires 365d;\n        add_header Cache-Control \"public\" always;\n" + robots_header(c, "        ") +
         "        access_log off;\n";
    o += "        try_files $uri /index.php?$args;\n    }\n";
    o += "}\n";
    return o;
}

std::string render_pool(const RenderContext &c, const std::map<std::string, std::string> &php_overrides) {
    const auto &s = c.spec;
    const auto &n = c.names;
    std::string o;
    o += "; Written by libwphost for " + s.domain + ". Regenerated on every change to the site:\n";
    o += "; put your own PHP settings in " + n.conf + "/php.ini (key = value lines).\n";
    o += "[" + n.pool_name + "]\n";
    o += "user = " + n.user + "\ngroup = " + n.group + "\n";
    o += "listen = " + pool_socket(c.profile, s.php, n) + "\n";
    o += "listen.owner = " + n.user + "\nlisten.group = " + c.profile.nginx.user + "\nlisten.mode = 0660\n";
    o += "pm = ondemand\n";
    o += "pm.max_children = " + std::to_string(s.limits.max_children) + "\n";
    o += "pm.process_idle_timeout = 10s\npm.max_requests = 500\n";
    o += "chdir = /\n";
    o += "security.limit_extensions = .php\n";
    o += "env[TMPDIR] = " + n.tmp + "\n";
    // conf/ is the operator's (root's, read-only to the site): wp-config.php
    // looks there for conf/wp-config.php.
    if (s.open_basedir)
        o += "php_admin_value[open_basedir] = " + n.docroot + "/:" + n.tmp + "/:" + n.logs + "/:" + n.conf + "/:" + n.wp_config + "\n";
    o += "php_admin_value[upload_tmp_dir] = " + n.tmp + "/uploads\n";
    o += "php_admin_value[session.save_path] = " + n.tmp + "/sessions\n";
    o += "php_admin_value[sys_temp_dir] = " + n.tmp + "\n";
    o += "php_admin_value[error_log] = " + n.logs + "/php-error.log\n";
    o += "php_admin_flag[log_errors] = on\n";
    o += "php_admin_flag[allow_url_include] = off\n";
    o += "php_admin_flag[expose_php] = off\n";
    o += "php_value[memory_limit] = " + s.limits.memory_limit + "\n";
    o += "php_value[upload_max_filesize] = " + s.limits.upload_max_filesize + "\n";
    o += "php_value[post_max_size] = " + s.limits.upload_max_filesize + "\n";
    for (auto &[k, v] : php_overrides) o += "php_value[" + k + "] = " + v + "\n";
    return o;
}

std::map<std::string, std::string> parse_php_overrides(const std::string &text, const std::string &file) {
    // Settings a site may not change from its own file: they keep it in
    // its tree and its limits.
    static const char *const kLocked[] = {"open_basedir", "disable_functions", "disable_classes", "upload_tmp_dir",
                                          "session.save_path", "sys_temp_dir", "error_log", "allow_url_include",
                                          "auto_prepend_file", "auto_append_file", "extension", "zend_extension",
                                          "user_ini.filename", "sendmail_path", "mail.log"};
    std::map<std::string, std::string> out;
    int lineno = 0;
    for (auto raw : util::lines(text)) {
        ++lineno;
        auto line = util::trim(raw);
        if (line.empty() || line[0] == ';' || line[0] == '#' || line[0] == '[') continue;
        auto where = file + " line " + std::to_string(lineno);
        auto eq = line.find('=');
        if (eq == std::string_view::npos) raise(WPH_EINVALID, "site", where + ": expected \"key = value\"");
        std::string key(util::trim(line.substr(0, eq)));
        std::string val(util::trim(line.substr(eq + 1)));
        if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
        bool ok = !key.empty();
        for (unsigned char ch : key) ok = ok && (std::isalnum(ch) || ch == '_' || ch == '.');
        if (!ok) raise(WPH_EINVALID, "site", where + ": \"" + key + "\" is not a PHP setting name");
        for (auto *l : kLocked)
            if (key == l) raise(WPH_EINVALID, "site", where + ": \"" + key + "\" is managed by libwphost and cannot be overridden");
        for (unsigned char ch : val)
            if (!(std::isalnum(ch) || std::strchr(" _-.,:/+*%@~", ch)))
                raise(WPH_EINVALID, "site", where + ": the value of \"" + key + "\" contains '" + std::string(1, static_cast<char>(ch)) + "'");
        out[key] = val;
    }
    return out;
}

std::string render_wp_config(const RenderContext &c, const SiteSecrets &sec) {
    const auto &p = c.profile;
    const auto &s = c.spec;
    const auto &n = c.names;
    static const char *const kSaltNames[] = {"AUTH_KEY",        "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                                             "AUTH_SALT",       "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"};
    std::string o = "<?php\n";
    o += "// Written by libwphost for " + s.domain + ". Regenerated on every change to the site:\n";
    o += "// put your own settings in " + n.conf + "/wp-config.php, which is loaded below.\n\n";
    o += "define('DB_NAME', " + php_str(n.db_name) + ");\n";
    o += "define('DB_USER', " + php_str(n.db_user) + ");\n";
    o += "define('DB_PASSWORD', " + php_str(sec.db_password) + ");\n";
    o += "define('DB_HOST', " + php_str("localhost:" + p.mysql.socket) + ");\n";
    o += "define('DB_CHARSET', 'utf8mb4');\ndefine('DB_COLLATE', '');\n";
    o += "$table_prefix = 'wp_';\n\n";
    for (int i = 0; i < 8; ++i) o += "define('" + std::string(kSaltNames[i]) + "', " + php_str(sec.salts.at(i)) + ");\n";
    o += "\n";
    o += "define('WP_ENVIRONMENT_TYPE', " + php_str(s.environment) + ");\n";
    o += "define('DISALLOW_FILE_EDIT', true);\n";
    o += "// Updates are the hosting engine's job.\n";
    o += "define('AUTOMATIC_UPDATER_DISABLED', true);\ndefine('WP_AUTO_UPDATE_CORE', false);\n";
    o += "define('WP_CACHE_KEY_SALT', " + php_str(n.redis_prefix) + ");\n";
    if (s.cache == "page+object") {
        if (!p.redis.socket.empty()) o += "define('WPH_REDIS_SOCKET', " + php_str(p.redis.socket) + ");\n";
        o += "define('WPH_REDIS_HOST', " + php_str(p.redis.host) + ");\n";
        o += "define('WPH_REDIS_PORT', " + std::to_string(p.redis.port) + ");\n";
        o += "define('WPH_REDIS_DATABASE', " + std::to_string(s.redis_database) + ");\n";
    }
    if (s.tls != "none") o += "if (($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') { $_SERVER['HTTPS'] = 'on'; }\n";
    if (!s.multisite.empty()) {
        o += "define('WP_ALLOW_MULTISITE', true);\n";
        if (c.multisite_ready) {
            bool tls = s.tls != "none";
            int port = tls ? p.nginx.https_port : p.nginx.http_port;
            std::string host = s.domain + (default_port(port, tls) ? "" : ":" + std::to_string(port));
            o += "define('MULTISITE', true);\n";
            o += std::string("define('SUBDOMAIN_INSTALL', ") + (s.multisite == "subdomain" ? "true" : "false") + ");\n";
            o += "define('DOMAIN_CURRENT_SITE', " + php_str(host) + ");\n";
            o += "define('PATH_CURRENT_SITE', '/');\ndefine('SITE_ID_CURRENT_SITE', 1);\ndefine('BLOG_ID_CURRENT_SITE', 1);\n";
        }
    }
    o += "\nif (is_readable(__DIR__ . '/conf/wp-config.php')) {\n    require __DIR__ . '/conf/wp-config.php';\n}\n";
    o += "if (!defined('ABSPATH')) {\n    define('ABSPATH', __DIR__ . '/public/');\n}\n";
    o += "require_once ABSPATH . 'wp-settings.php';\n";
    return o;
}

std::string render_suspended_page(const SiteSpec &s) {
    std::string d;
    for (char ch : s.domain) d += ch;  // validated: letters, digits, '-', '.'
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Site suspended</title>"
           "<meta name=\"robots\" content=\"noindex\"></head>\n<body><h1>" + d +
           " is suspended</h1><p>This site is temporarily unavailable.</p></body></html>\n";
}

}  // namespace wph::site
