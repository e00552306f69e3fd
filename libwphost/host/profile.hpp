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
    int command_timeout_ms = 10000;

    struct Nginx {
        std::string binary = "/usr/sbin/nginx";
        std::string config = "/etc/nginx/nginx.conf";
        std::string modules_dir = "/usr/lib/nginx/modules";
        std::string modules_enabled_dir = "/etc/nginx/modules-enabled";
    } nginx;

    struct Php {
        std::string fpm_dir = "/usr/sbin";  // holds php-fpmX.Y
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

    // Defaults overridden by `json` (empty: all defaults). Unknown keys, wrong
    // types, relative paths and out-of-range numbers are WPH_EINVALID with
    // the key named.
    static HostProfile from_json(const std::string &json);
    boost::json::value to_json_value() const;
};

}  // namespace wph
