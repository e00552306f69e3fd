// The host profile: where the managed machine keeps its programs, sockets and
// directories. Every key has Debian 12's default; a JSON profile overrides
// any of them (tests point them at private instances). Pure data, no I/O.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace wph {

struct HostProfile {
    std::string name = "debian-12";
    std::string os_release = "/etc/os-release";
    std::string proc_dir = "/proc";
    std::string systemd_dir = "/run/systemd/system";  // exists iff systemd is PID 1 (sd_booted)
    std::string sites_root = "/srv/wphost/sites";
    std::string core_store = "/srv/wphost/core";   // shared read-only WordPress cores (same file system as sites_root)
    std::string ssl_dir = "/etc/wphost/ssl";       // site certificates and keys (root only)
    int command_timeout_ms = 10000;
    // How services are reloaded: "auto" (systemd when it runs, else signals),
    // "systemd" or "signal" (SIGHUP to nginx's master, SIGUSR2 to PHP-FPM's).
    std::string services = "auto";

    struct Nginx {
        std::string binary = "/usr/sbin/nginx";
        std::string config = "/etc/nginx/nginx.conf";
        std::string modules_dir = "/usr/lib/nginx/modules";
        std::string modules_enabled_dir = "/etc/nginx/modules-enabled";
        std::string sites_dir = "/etc/nginx/sites-enabled";   // one server-block file per site goes here
        std::string fastcgi_params = "/etc/nginx/fastcgi_params";
        std::string pid_file = "/run/nginx.pid";
        std::string cache_dir = "/var/cache/nginx/wphost";    // fastcgi_cache, one directory per site
        std::string user = "www-data";                        // nginx's worker user; its group reads pool sockets
        int http_port = 80;
        int https_port = 443;
    } nginx;

    struct Php {
        std::string fpm_dir = "/usr/sbin";  // holds php-fpmX.Y
        std::string cli_dir = "/usr/bin";   // holds phpX.Y
        std::string etc_dir = "/etc/php";   // <etc_dir>/X.Y/fpm/{php-fpm.conf,pool.d}
        std::string run_dir = "/run/php";   // pool sockets and phpX.Y-fpm.pid
    } php;

    struct Mysql {
        std::vector<std::string> server_binaries = {"/usr/sbin/mariadbd", "/usr/sbin/mysqld"};
        std::string socket = "/run/mysqld/mysqld.sock";
        std::string admin_user = "root";
        std::string admin_password_file;  // empty: socket authentication (unix_socket)
    } mysql;

    struct Redis {
        std::string server_binary = "/usr/bin/redis-server";
        std::string host = "127.0.0.1";
        int port = 6379;
        std::string socket;  // when set, used instead of host:port
    } redis;

    struct Memcached {
        std::string binary = "/usr/bin/memcached";
        std::string host = "127.0.0.1";
        int port = 11211;
    } memcached;

    struct Restic {
        std::string binary = "/usr/bin/restic";
    } restic;

    // The "acme" object as given (JSON text, "{}" when absent): directory,
    // email, eab, ca_bundle, dns. Checked where it is used (cert/,
    // docs/cert.md), so one bad key there does not stop an engine opening.
    std::string acme_json = "{}";

    // Defaults overridden by `json` (empty: all defaults). Unknown keys, wrong
    // types, relative paths and out-of-range numbers are WPH_EINVALID with
    // the key named.
    static HostProfile from_json(const std::string &json);
    boost::json::value to_json_value() const;
};

}  // namespace wph
