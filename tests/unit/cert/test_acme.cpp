#include "cert/acme.hpp"
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "cert/cert.hpp"
#include "engine/error.hpp"

using namespace wph::cert::acme;

namespace {

int code_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.code();
    }
    return 0;
}

std::string message_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.message();
    }
    return "";
}

}  // namespace

TEST_CASE("the directory: its URLs, terms and EAB requirement", "[cert]") {
    auto d = parse_directory(boost::json::parse(R"({
        "newNonce": "https://ca.test/nonce-plz", "newAccount": "https://ca.test/sign-me-up",
        "newOrder": "https://ca.test/order-plz", "revokeCert": "https://ca.test/revoke-cert",
        "keyChange": "https://ca.test/rollover-account-key",
        "meta": {"termsOfService": "data:text/plain,Do%20what%20thou%20wilt", "externalAccountRequired": true}})"));
    CHECK(d.new_nonce == "https://ca.test/nonce-plz");
    CHECK(d.new_account == "https://ca.test/sign-me-up");
    CHECK(d.new_order == "https://ca.test/order-plz");
    CHECK(d.revoke_cert == "https://ca.test/revoke-cert");
    CHECK(d.eab_required);
    CHECK_THAT(message_of([] { parse_directory(boost::json::parse(R"({"newNonce": "x", "newAccount": "y"})")); }),
               Catch::Contains("directory from the CA is malformed: \"newOrder\" is missing"));
    CHECK(code_of([] { parse_directory(boost::json::parse("[]")); }) == WPH_EPROVIDER);
}

TEST_CASE("orders and authorizations", "[cert]") {
    auto o = parse_order(boost::json::parse(R"({"status": "pending", "expires": "2030-01-01T00:00:00Z",
        "identifiers": [{"type": "dns", "value": "a.test"}, {"type": "dns", "value": "*.a.test"}],
        "authorizations": ["https://ca.test/authz/1", "https://ca.test/authz/2"],
        "finalize": "https://ca.test/finalize/1"})"));
    CHECK(o.status == "pending");
    CHECK(o.identifiers == std::vector<std::string>{"a.test", "*.a.test"});
    CHECK(o.authorizations.size() == 2);
    CHECK(o.finalize == "https://ca.test/finalize/1");
    CHECK(o.certificate.empty());
    CHECK_FALSE(o.error);

    auto a = parse_authorization(boost::json::parse(R"({"status": "invalid", "wildcard": true,
        "identifier": {"type": "dns", "value": "a.test"},
        "challenges": [
          {"type": "dns-01", "url": "https://ca.test/chal/1", "token": "tok1", "status": "invalid",
           "error": {"type": "urn:ietf:params:acme:error:unauthorized", "detail": "Incorrect TXT record", "status": 403}},
          {"type": "http-01", "url": "https://ca.test/chal/2", "token": "tok2", "status": "pending"}]})"));
    CHECK(a.name() == "*.a.test");
    CHECK(a.identifier == "a.test");
    REQUIRE(a.find("dns-01"));
    REQUIRE(a.find("dns-01")->error);
    CHECK(a.find("dns-01")->error->short_type() == "unauthorized");
    CHECK(a.find("http-01")->token == "tok2");
    CHECK_FALSE(a.find("tls-alpn-01"));
    CHECK(code_of([] { parse_authorization(boost::json::parse(R"({"status": "pending", "identifier": {"value": "a.test"}})")); }) ==
          WPH_EPROVIDER);
}

TEST_CASE("problem documents become errors a user can act on", "[cert]") {
    auto p = parse_problem(R"({"type": "urn:ietf:params:acme:error:rateLimited",
                               "detail": "too many certificates already issued for a.test", "status": 429})");
    REQUIRE(p);
    auto e = problem_error(*p, 429, "newOrder", 3600);
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(e.http_status() == 429);
    CHECK(e.message() == "acme: rate limited by the CA: too many certificates already issued for a.test (retry after 3600 s)");

    auto sub = parse_problem(R"({"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "Some names were refused",
        "subproblems": [{"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "forbidden by policy",
                         "identifier": {"type": "dns", "value": "bad.example"}}]})");
    REQUIRE(sub);
    REQUIRE(sub->subproblems.size() == 1);
    auto e2 = problem_error(*sub, 400, "newOrder", std::nullopt);
    CHECK(e2.code() == WPH_EINVALID);
    CHECK_THAT(e2.message(), Catch::Contains("bad.example: forbidden by policy"));

    auto unauth = parse_problem(R"({"type": "urn:ietf:params:acme:error:unauthorized", "detail": "no"})");
    CHECK(problem_error(*unauth, 403, "revokeCert", std::nullopt).code() == WPH_EAUTH);
    auto missing = parse_problem(R"({"type": "urn:ietf:params:acme:error:accountDoesNotExist", "detail": "unknown key"})");
    CHECK(problem_error(*missing, 400, "account lookup", std::nullopt).code() == WPH_ENOTFOUND);

    CHECK_FALSE(parse_problem("<html>502</html>"));
    CHECK_FALSE(parse_problem(R"({"detail": "no type"})"));
}

TEST_CASE("a failed challenge names the domain, the type and the CA's detail", "[cert]") {
    Problem p;
    p.type = "urn:ietf:params:acme:error:unauthorized";
    p.detail = "The key authorization file from the server did not match this challenge";
    auto e = challenge_error("a.test", "http-01", p, 0);
    CHECK(e.code() == WPH_EAUTH);
    CHECK_THAT(e.message(), Catch::StartsWith("acme: the CA could not verify http-01 for a.test: The key authorization"));
    Problem c;
    c.type = "urn:ietf:params:acme:error:connection";
    c.detail = "Connection refused";
    CHECK(challenge_error("b.test", "dns-01", c, 0).code() == WPH_EPROVIDER);
    CHECK_THAT(challenge_error("b.test", "dns-01", std::nullopt, 0).message(), Catch::Contains("no reason given"));
}

TEST_CASE("names a certificate may carry", "[cert]") {
    CHECK(name_problem("a.test").empty());
    CHECK(name_problem("*.a.test").empty());
    CHECK(name_problem("xn--bcher-kva.example").empty());
    CHECK_THAT(name_problem(""), Catch::Contains("empty"));
    CHECK_THAT(name_problem("localhost"), Catch::Contains("two labels"));
    CHECK_THAT(name_problem("A.test"), Catch::Contains("lower-case"));
    CHECK_THAT(name_problem("a..test"), Catch::Contains("empty label"));
    CHECK_THAT(name_problem("a.*.test"), Catch::Contains("'*'"));
    CHECK_THAT(name_problem("-a.test"), Catch::Contains("'-'"));
    CHECK_THAT(name_problem("a_b.test"), Catch::Contains("'_'"));
    CHECK_THAT(name_problem("127.0.0.1"), Catch::Contains("IP address"));
    CHECK_THAT(name_problem("a.test."), Catch::Contains("dot"));
    CHECK_THAT(name_problem(std::string(64, 'a') + ".test"), Catch::Contains("63"));
}

TEST_CASE("certificate requests are checked before any network use", "[cert]") {
    using wph::cert::validate_request;
    auto req = [](const char *j) { return boost::json::parse(j).as_object(); };
    CHECK_NOTHROW(validate_request(req(R"({"names": ["a.test", "www.a.test"], "webroot": "/srv/www"})")));
    CHECK_NOTHROW(validate_request(req(R"({"names": ["*.a.test"], "challenge": "dns-01", "dns": {"provider": {"kind": "cloudflare"}}})")));
    struct Bad {
        const char *json, *needle;
    } bad[] = {
        {R"({"webroot": "/srv"})", "\"names\" is required"},
        {R"({"names": [], "webroot": "/srv"})", "non-empty array"},
        {R"({"names": ["a.test", "a.test"], "webroot": "/srv"})", "listed twice"},
        {R"({"names": ["bad name.test"], "webroot": "/srv"})", "\"bad name.test\""},
        {R"({"names": ["a.test"], "challenge": "tls-alpn-01", "webroot": "/srv"})", "\"challenge\" must be"},
        {R"({"names": ["*.a.test"], "webroot": "/srv"})", "wildcard names need"},
        {R"({"names": ["a.test"]})", "needs \"webroot\""},
        {R"({"names": ["a.test"], "webroot": "srv"})", "absolute path"},
        {R"({"names": ["a.test"], "webroot": "/srv", "key_type": "ed448"})", "\"key_type\""},
        {R"({"names": ["a.test"], "webroot": "/srv", "renew_days": 0})", "\"renew_days\""},
        {R"({"names": ["a.test"], "webroot": "/srv", "colour": 1})", "unknown key \"colour\""},
        {R"({"names": ["a.test"], "webroot": "/srv", "acme": {"directory": "ftp://x"}})", "\"acme.directory\""},
        {R"({"names": ["a.test"], "webroot": "/srv", "acme": {"eab": {"hmac_key": "x"}}})", "\"acme.eab.kid\""},
        {R"({"names": ["a.test"], "challenge": "dns-01", "dns": {"resolvers": "1.1.1.1"}})", "\"dns.resolvers\""},
    };
    for (auto &b : bad) {
        INFO(b.json);
        CHECK(code_of([&] { validate_request(req(b.json)); }) == WPH_EINVALID);
        CHECK_THAT(message_of([&] { validate_request(req(b.json)); }), Catch::Contains(b.needle));
    }
}
