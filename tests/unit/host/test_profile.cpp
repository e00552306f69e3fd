#include <catch2/catch.hpp>

#include "engine/error.hpp"
#include "host/profile.hpp"

#include <boost/json/serialize.hpp>

using wph::HostProfile;

namespace {
std::string error_of(const std::string &json) {
    try {
        HostProfile::from_json(json);
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EINVALID);
        return e.message();
    }
    return "";
}
}  // namespace

TEST_CASE("empty profile means Debian 12's defaults", "[host][profile]") {
    auto p = HostProfile::from_json("");
    CHECK(p.nginx.binary == "/usr/sbin/nginx");
    CHECK(p.mysql.socket == "/run/mysqld/mysqld.sock");
    CHECK(p.redis.port == 6379);
    CHECK(p.sites_root == "/srv/wphost/sites");
}

TEST_CASE("a profile overrides what it names and keeps the rest", "[host][profile]") {
    auto p = HostProfile::from_json(R"({"name": "ci", "mysql": {"socket": "/tmp/x/mysqld.sock", "server_binaries": "/opt/m/mysqld"},
                                        "redis": {"port": 6390}, "command_timeout_ms": 2000})");
    CHECK(p.name == "ci");
    CHECK(p.mysql.socket == "/tmp/x/mysqld.sock");
    CHECK(p.mysql.server_binaries == std::vector<std::string>{"/opt/m/mysqld"});
    CHECK(p.mysql.admin_user == "root");
    CHECK(p.redis.port == 6390);
    CHECK(p.redis.host == "127.0.0.1");
    CHECK(p.command_timeout_ms == 2000);
    // Round trip through to_json_value keeps every value.
    auto again = HostProfile::from_json(boost::json::serialize(p.to_json_value()));
    CHECK(again.mysql.socket == p.mysql.socket);
    CHECK(again.redis.port == 6390);
}

TEST_CASE("bad profiles are refused with the key and the reason", "[host][profile]") {
    CHECK_THAT(error_of("{"), Catch::Contains("not valid JSON"));
    CHECK_THAT(error_of("[]"), Catch::Contains("must be a JSON object"));
    CHECK_THAT(error_of(R"({"ngnix": {}})"), Catch::Contains("unknown key \"ngnix\""));
    CHECK_THAT(error_of(R"({"php": {"fpm_dir": 3}})"), Catch::Contains("\"php.fpm_dir\" must be a string"));
    CHECK_THAT(error_of(R"({"php": {"fpm_dir": "usr/sbin"}})"), Catch::Contains("absolute path"));
    CHECK_THAT(error_of(R"({"memcached": {"port": 0}})"), Catch::Contains("\"memcached.port\" must be between 1 and 65535"));
    CHECK_THAT(error_of(R"({"command_timeout_ms": 1.5})"), Catch::Contains("must be an integer"));
    CHECK_THAT(error_of(R"({"mysql": {"admin_user": "ro\not"}})"), Catch::Contains("control character"));
    CHECK_THAT(error_of(R"({"mysql": {"server_binaries": []}})"), Catch::Contains("non-empty array"));
    CHECK_THAT(error_of(R"({"redis": []})"), Catch::Contains("\"redis\" must be an object"));
}
