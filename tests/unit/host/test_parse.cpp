#include <catch2/catch.hpp>

#include "host/parse.hpp"

using namespace wph::hostparse;

TEST_CASE("os-release values, quoted and not", "[host][parse]") {
    auto kv = os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n# comment\n"
                         "VERSION_CODENAME=bookworm\nNAME='Odd \"quoted\"'\nBROKEN\n");
    CHECK(kv["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)");
    CHECK(kv["ID"] == "debian");
    CHECK(kv["VERSION_ID"] == "12");
    CHECK(kv["VERSION_CODENAME"] == "bookworm");
    CHECK(kv["NAME"] == "Odd \"quoted\"");
    CHECK(kv.count("BROKEN") == 0);
}

TEST_CASE("nginx -V: version, modules, added modules", "[host][parse]") {
    auto b = nginx_build(
        "nginx version: nginx/1.22.1\n"
        "built with OpenSSL 3.0.9 30 May 2023 (running with OpenSSL 3.0.11 19 Sep 2023)\n"
        "TLS SNI support enabled\n"
        "configure arguments: --with-cc-opt='-g -O2 -fstack-protector-strong' --prefix=/usr/share/nginx "
        "--with-http_ssl_module --with-http_v2_module --with-threads --with-stream=dynamic "
        "--add-module=/build/nginx/debian/modules/http-cache-purge "
        "--add-dynamic-module=/build/nginx/debian/modules/http-geoip2\n");
    CHECK(b.version == "1.22.1");
    CHECK(b.openssl == "OpenSSL 3.0.9 30 May 2023");
    CHECK(b.modules == std::vector<std::string>{"http_ssl_module", "http_v2_module", "http_cache_purge"});
    CHECK(b.dynamic_modules == std::vector<std::string>{"http_geoip2"});
    CHECK(nginx_build("something else").version.empty());
}

TEST_CASE("load_module lines", "[host][parse]") {
    auto m = nginx_load_modules("load_module modules/ngx_http_cache_purge_module.so;\n"
                                "# load_module modules/commented.so;\n"
                                "  load_module \"/usr/lib/nginx/modules/ngx_stream_module.so\" ;\n");
    CHECK(m == std::vector<std::string>{"ngx_http_cache_purge_module.so", "ngx_stream_module.so"});
}

TEST_CASE("PHP-FPM names, versions and modules", "[host][parse]") {
    CHECK(php_fpm_version_from_name("php-fpm8.2") == "8.2");
    CHECK(php_fpm_version_from_name("php-fpm7.4") == "7.4");
    CHECK_FALSE(php_fpm_version_from_name("php-fpm").has_value());
    CHECK_FALSE(php_fpm_version_from_name("php-fpm8.2.bak").has_value());
    CHECK(php_version("PHP 8.2.36 (fpm-fcgi) (built: Nov 18 2026 20:02:04)\nCopyright (c) The PHP Group\n") == "8.2.36");
    auto m = php_modules("[PHP Modules]\nCore\ncurl\nmysqli\nredis\n\n[Zend Modules]\nZend OPcache\n\n");
    CHECK(m.php == std::vector<std::string>{"Core", "curl", "mysqli", "redis"});
    CHECK(m.zend == std::vector<std::string>{"Zend OPcache"});
}

TEST_CASE("MariaDB and MySQL server versions", "[host][parse]") {
    auto v = mysql_server_version("mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)\n");
    CHECK(v.flavor == "MariaDB");
    CHECK(v.version == "10.11.19");
    auto m = mysql_server_version("/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)\n");
    CHECK(m.flavor == "MySQL");
    CHECK(m.version == "8.0.36");
    auto i = mysql_server_info("10.11.19-MariaDB-0+deb12u1");
    CHECK(i.flavor == "MariaDB");
    CHECK(i.version == "10.11.19");
    CHECK(mysql_server_version("garbage").version.empty());
}

TEST_CASE("Redis replies", "[host][parse]") {
    CHECK(redis_server_version("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64") == "7.0.15");
    std::string body = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n";
    std::string full = "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n";
    CHECK_FALSE(resp_reply_complete(""));
    CHECK_FALSE(resp_reply_complete("$50"));
    CHECK_FALSE(resp_reply_complete(full.substr(0, full.size() - 5)));
    CHECK(resp_reply_complete(full));
    CHECK(resp_reply_complete("-NOAUTH Authentication required.\r\n"));
    auto info = redis_info(full);
    CHECK(info["redis_version"] == "7.0.15");
    CHECK(info["redis_mode"] == "standalone");
}

TEST_CASE("memcached, restic, meminfo", "[host][parse]") {
    CHECK(memcached_version("memcached 1.6.18\n") == "1.6.18");
    CHECK(memcached_version("VERSION 1.6.18\r\n") == "1.6.18");
    CHECK(memcached_version("ERROR\r\n").empty());
    CHECK(restic_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64\n") == "0.14.0");
    CHECK(restic_version("rustic 0.14.0").empty());
    auto mi = meminfo("MemTotal:       24554776 kB\nMemFree:         1000 kB\nMemAvailable:   20000000 kB\n"
                      "SwapTotal:             0 kB\nSwapFree:              0 kB\nHugePages_Total:       0\n");
    CHECK(mi.total == 24554776ull * 1024);
    CHECK(mi.available == 20000000ull * 1024);
    CHECK(mi.swap_total == 0);
}
