// The certificate engine without a CA: settings from the host profile,
// records, and the checks that come before any network use.
#include "cert/cert.hpp"
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <filesystem>

#include "../support.hpp"
#include "engine/engine.hpp"
#include "engine/error.hpp"
#include "host/profile.hpp"

using wph::test::TempDir;

namespace {

int code_of(const std::function<void()> &f, std::string *msg = nullptr) {
    try {
        f();
    } catch (const wph::Error &e) {
        if (msg) *msg = e.message();
        return e.code();
    }
    return 0;
}

wph::EngineConfig config(const TempDir &d, std::string profile) {
    wph::EngineConfig c;
    c.state_dir = (d.path / "state").string();
    c.host_profile = std::move(profile);
    c.threads = 2;
    return c;
}

}  // namespace

TEST_CASE("the host profile keeps \"acme\" and hides inline secrets in its JSON", "[cert]") {
    auto p = wph::HostProfile::from_json(
        R"({"acme": {"directory": "https://ca.test/dir", "eab": {"kid": "k1", "hmac_key": "c2VjcmV0"},
                     "dns": {"provider": {"kind": "cloudflare", "token": "T0KEN", "token_file": "/etc/t"}}}})");
    auto acme = boost::json::parse(p.acme_json).as_object();
    CHECK(acme.at("directory") == "https://ca.test/dir");
    CHECK(acme.at("eab").at("hmac_key") == "c2VjcmV0");
    auto shown = boost::json::serialize(p.to_json_value());
    CHECK(shown.find("c2VjcmV0") == std::string::npos);
    CHECK(shown.find("T0KEN") == std::string::npos);
    CHECK(shown.find("/etc/t") != std::string::npos);
    CHECK(shown.find("\"k1\"") != std::string::npos);
    CHECK(wph::HostProfile::from_json("{}").acme_json == "{}");
    std::string msg;
    CHECK(code_of([] { wph::HostProfile::from_json(R"({"acme": "le"})"); }, &msg) == WPH_EINVALID);
    CHECK_THAT(msg, Catch::Contains("\"acme\" must be an object"));
}

TEST_CASE("records and checks before any network use", "[cert]") {
    TempDir d;
    // Nothing listens on port 1: any network use would be an I/O error.
    wph::Engine e(config(d, R"({"acme": {"directory": "https://127.0.0.1:1/dir"}})"));
    CHECK(wph::cert::list(e).empty());
    std::string msg;
    CHECK(code_of([&] { wph::cert::get(e, "a.test"); }, &msg) == WPH_ENOTFOUND);
    CHECK_THAT(msg, Catch::Contains("\"a.test\""));
    CHECK(code_of([&] { wph::cert::revoke(e, nullptr, "a.test", {}); }) == WPH_ENOTFOUND);
    CHECK(code_of([&] { wph::cert::revoke(e, nullptr, "a.test", {{"reason", 7}}); }) == WPH_EINVALID);
    auto r = wph::cert::renew(e, nullptr, {});
    CHECK(r.at("renewed").as_array().empty());
    CHECK(r.at("failed").as_array().empty());
    CHECK(code_of([&] { wph::cert::renew(e, nullptr, {{"name", "a.test"}}); }) == WPH_ENOTFOUND);
    CHECK(code_of([&] { wph::cert::renew(e, nullptr, {{"dayz", 3}}); }, &msg) == WPH_EINVALID);
    CHECK_THAT(msg, Catch::Contains("\"dayz\""));

    // dns-01 without a provider anywhere.
    auto dns = boost::json::parse(R"({"names": ["a.test"], "challenge": "dns-01"})").as_object();
    CHECK(code_of([&] { wph::cert::issue(e, nullptr, dns); }, &msg) == WPH_EINVALID);
    CHECK_THAT(msg, Catch::Contains("dns-01 needs a DNS provider"));
    // A webroot that does not exist.
    boost::json::object http{{"names", boost::json::array{"a.test"}}, {"webroot", (d.path / "missing").string()}};
    CHECK(code_of([&] { wph::cert::issue(e, nullptr, http); }, &msg) == WPH_ENOTFOUND);
    CHECK_THAT(msg, Catch::Contains("webroot"));
    // Bad settings in the request.
    boost::json::object bad{{"names", boost::json::array{"a.test"}}, {"webroot", d.path.string()},
                            {"acme", {{"email", "not an address"}}}};
    CHECK(code_of([&] { wph::cert::issue(e, nullptr, bad); }, &msg) == WPH_EINVALID);
    CHECK_THAT(msg, Catch::Contains("\"acme.email\""));
    CHECK_FALSE(std::filesystem::exists(d.path / "state" / "acme"));
}

TEST_CASE("a profile with a bad \"acme\" key is refused when used, naming it", "[cert]") {
    TempDir d;
    wph::Engine e(config(d, R"({"acme": {"directroy": "https://ca.test/dir"}})"));
    std::string msg;
    CHECK(code_of([&] { wph::cert::account(e, nullptr, nullptr); }, &msg) == WPH_EINVALID);
    CHECK_THAT(msg, Catch::Contains("unknown key \"acme.directroy\""));
}
