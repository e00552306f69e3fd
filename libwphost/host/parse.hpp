// Pure parsers for what the host's programs print. No I/O: tested directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wph::hostparse {

// /etc/os-release: KEY=value lines, values optionally quoted.
std::map<std::string, std::string> os_release(std::string_view text);

struct NginxBuild {
    std::string version;               // "1.22.1"
    std::string openssl;               // "OpenSSL 3.0.9 30 May 2023" (built with)
    std::vector<std::string> modules;  // "http_ssl_module", ..., and added modules' names
    std::vector<std::string> dynamic_modules;  // --add-dynamic-module names
};
// `nginx -V` (it prints to stderr). Empty version if not recognised.
NginxBuild nginx_build(std::string_view text);

// Module file names ("ngx_http_cache_purge_module.so") named by load_module
// directives in an nginx configuration snippet.
std::vector<std::string> nginx_load_modules(std::string_view conf);

// "php-fpm8.2" -> "8.2"; nullopt for anything else.
std::optional<std::string> php_fpm_version_from_name(std::string_view filename);
// `php-fpmX.Y -v` -> "8.2.36".
std::string php_version(std::string_view text);
struct PhpModules {
    std::vector<std::string> php, zend;
};
// `php-fpmX.Y -m`.
PhpModules php_modules(std::string_view text);

struct MysqlServerVersion {
    std::string flavor;   // "MariaDB" or "MySQL"
    std::string version;  // "10.11.19"
};
// `mariadbd --version` / `mysqld --version`.
MysqlServerVersion mysql_server_version(std::string_view text);
// The server_info string of a connection ("10.11.19-MariaDB-0+deb12u1").
MysqlServerVersion mysql_server_info(std::string_view info);

// `redis-server --version` -> "7.0.15".
std::string redis_server_version(std::string_view text);
// Is a RESP reply to an inline INFO command complete? (bulk string, error or status line)
bool resp_reply_complete(std::string_view reply);
// Fields of an INFO reply ("redis_version" -> "7.0.15").
std::map<std::string, std::string> redis_info(std::string_view reply);

// `memcached -V` ("memcached 1.6.18") or the "VERSION 1.6.18" answer.
std::string memcached_version(std::string_view text);

// `restic version` -> "0.14.0".
std::string restic_version(std::string_view text);

struct MemInfo {
    std::uint64_t total = 0, available = 0, swap_total = 0, swap_free = 0;  // bytes
};
// /proc/meminfo.
MemInfo meminfo(std::string_view text);

}  // namespace wph::hostparse
