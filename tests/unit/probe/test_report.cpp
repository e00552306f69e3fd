// Probe definitions, evaluation, Prometheus text and the alert state machine.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <string>

#include "engine/error.hpp"
#include "probe/definition.hpp"
#include "probe/monitor.hpp"
#include "probe/report.hpp"

using namespace wph;
using namespace wph::probe;

namespace {
std::string error_of(const std::string &json) {
    try {
        parse_definitions(json);
    } catch (const Error &e) {
        CHECK(e.code() == WPH_EINVALID);
        return e.message();
    }
    return "";
}
bool has(const std::string &s, const std::string &n) { return s.find(n) != std::string::npos; }
}  // namespace

TEST_CASE("probe definitions: defaults, kinds and Gatus's field names", "[probe]") {
    auto d = parse_definitions(R"({"endpoints": [
        {"name": "home", "url": "https://Example.com/x?y=1", "interval": "30s", "timeouts": {"connect": "2s", "total": "5s"},
         "headers": {"User-Agent": "t"}, "client": {"resolve": ["example.com:443:127.0.0.1"], "server-name": "example.com"}},
        {"name": "db", "url": "tcp://10.0.0.5:3306"},
        {"name": "ns", "url": "dns://10.0.0.53", "dns": {"query-name": "example.com", "query-type": "MX"}},
        {"name": "wp", "url": "http://a.test/", "wordpress": true, "alerts": {"failure-threshold": 5}}],
      "alerting": {"webhooks": [{"url": "https://hooks.test/x", "secret-file": "/etc/s", "retries": 2}]}})");
    REQUIRE(d.probes.size() == 4);
    auto &home = d.probes[0];
    CHECK(home.kind == Kind::http);
    CHECK(home.port == 443);
    CHECK(home.interval.count() == 30000);
    CHECK(home.timeouts.connect == 2000);
    CHECK(home.timeouts.total == 5000);
    CHECK(home.conditions == std::vector<std::string>{"[STATUS] < 400"});
    CHECK(home.tls.verify);
    CHECK(d.probes[1].kind == Kind::tcp);
    CHECK(d.probes[1].port == 3306);
    CHECK(d.probes[1].conditions == std::vector<std::string>{"[CONNECTED] == true"});
    CHECK(d.probes[2].kind == Kind::dns);
    CHECK(d.probes[2].port == 53);
    CHECK(d.probes[2].dns.type == "MX");
    CHECK(d.probes[3].failure_threshold == 5);
    CHECK(d.probes[3].success_threshold == 2);
    CHECK(d.probes[3].conditions.size() > 3);  // the WordPress checks
    REQUIRE(d.webhooks.size() == 1);
    CHECK(d.webhooks[0].retries == 2);
    // A plain array works too.
    CHECK(parse_definitions(R"([{"name": "a", "url": "http://a.test/"}])").probes.size() == 1);
}

TEST_CASE("probe definitions: every mistake names the endpoint, the field and why", "[probe]") {
    CHECK(has(error_of(R"([{"url": "http://a/"}])"), "\"name\" is required"));
    CHECK(has(error_of(R"([{"name": "x", "url": "gopher://a/"}])"), "unsupported scheme"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a b/"}])"), "\"url\""));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://user:pw@a/"}])"), "credentials"));
    CHECK(has(error_of(R"([{"name": "x", "url": "tcp://a"}])"), "needs a port"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a:99999/"}])"), "invalid port"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "interval": "100ms"}])"), "\"interval\""));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "interval": "99999999999999999999"}])"), "\"interval\""));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "timeouts": {"dns": "20s"}}])"), "longer than \"total\""));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "conditions": ["[STATUS] = 200"]}])"), "endpoints[0] (\"x\")"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "headers": {"Bad Name": "v"}}])"), "header name"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "headers": {"X": "a\r\nInjected: 1"}}])"), "control character"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "client": {"ca-file": "rel.pem"}}])"), "absolute path"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/", "client": {"client-cert": "/c.pem"}}])"), "client-key"));
    CHECK(has(error_of(R"([{"name": "x", "url": "tcp://a:1", "method": "POST"}])"), "http(s):// endpoints only"));
    CHECK(has(error_of(R"([{"name": "x", "url": "dns://a"}])"), "query-name"));
    CHECK(has(error_of(R"([{"name": "x", "url": "http://a/"}, {"name": "x", "url": "http://b/"}])"), "used twice"));
    CHECK(has(error_of(R"({"endpoints": [], "alerting": {"webhooks": [{"url": "ftp://x"}]}})"), "webhooks[0]"));
    CHECK(has(error_of(R"({"probes": []})"), "\"endpoints\""));
    CHECK(has(error_of("[1"), "probe definitions"));
}

TEST_CASE("evaluation: success needs an answer and every condition", "[probe]") {
    auto d = parse_definitions(R"([{"name": "x", "url": "http://a/", "conditions": ["[STATUS] == 200", "[RESPONSE_TIME] < 700"]}])");
    ProbeResult r;
    r.name = "x";
    r.status = 200;
    r.connected = true;
    r.timings.total = 0.25;
    evaluate(d.probes[0], r);
    CHECK(r.success);
    REQUIRE(r.conditions.size() == 2);
    r.timings.total = 0.9;
    evaluate(d.probes[0], r);
    CHECK_FALSE(r.success);
    CHECK(failure_reason(r) == "condition failed: [RESPONSE_TIME] (900) < 700");
    r.timings.total = 0.1;
    r.error = "connect timed out after 3000 ms";
    evaluate(d.probes[0], r);
    CHECK_FALSE(r.success);
    CHECK(failure_reason(r) == "connect timed out after 3000 ms");
    // DNS: [BODY] is the first answer.
    auto dns = parse_definitions(R"([{"name": "n", "url": "dns://1.1.1.1", "dns": {"query-name": "a.test"},
                                     "conditions": ["[BODY] == 10.0.0.1"]}])");
    ProbeResult q;
    q.connected = true;
    q.dns_rcode = "NOERROR";
    q.dns_answers = {"10.0.0.1", "10.0.0.2"};
    evaluate(dns.probes[0], q);
    CHECK(q.success);
}

TEST_CASE("Prometheus text: blackbox_exporter's names, escaped labels", "[probe]") {
    ProbeResult r;
    r.name = "ho\"me";
    r.group = "g\\1";
    r.url = "https://a.test/";
    r.success = true;
    r.status = 200;
    r.timings = {0.001, 0.002, 0.010, 0.050, 0.060};
    r.cert_expiry = 1800000000;
    r.body_bytes = 1234;
    r.http_version = "1.1";
    auto text = prometheus_text({r});
    CHECK(has(text, "# TYPE probe_success gauge\n"));
    CHECK(has(text, "probe_success{probe=\"ho\\\"me\",group=\"g\\\\1\",target=\"https://a.test/\"} 1\n"));
    CHECK(has(text, "probe_http_status_code{"));
    CHECK(has(text, ",phase=\"tls\"} 0.008\n"));
    CHECK(has(text, ",phase=\"processing\"} 0.04\n"));
    CHECK(has(text, "probe_ssl_earliest_cert_expiry{"));
    CHECK(has(text, "} 1800000000\n"));
    CHECK(has(text, "probe_http_ssl{"));
    // Each family once, samples after their HELP and TYPE.
    CHECK(text.find("# TYPE probe_success") == text.rfind("# TYPE probe_success"));
    CHECK_FALSE(has(text, "probe_dns_rcode"));
}

TEST_CASE("alerts: one event per incident, thresholds in a row", "[probe]") {
    auto d = parse_definitions(R"([{"name": "x", "url": "http://a/", "alerts": {"failure-threshold": 3, "success-threshold": 2}}])");
    auto &def = d.probes[0];
    AlertState st;
    auto run = [&](bool ok) {
        ProbeResult r;
        r.success = ok;
        if (!ok) r.error = "down";
        return st.observe(def, r);
    };
    CHECK_FALSE(run(false));
    CHECK_FALSE(run(false));
    CHECK_FALSE(run(true));   // the run is broken: start again
    CHECK_FALSE(run(false));
    CHECK_FALSE(run(false));
    auto ev = run(false);
    REQUIRE(ev);
    CHECK(ev->type == "triggered");
    CHECK(ev->consecutive == 3);
    CHECK(ev->reason == "down");
    CHECK(st.open("x"));
    CHECK_FALSE(run(false));  // no repeat while it lasts
    CHECK_FALSE(run(true));
    CHECK_FALSE(run(false));
    CHECK_FALSE(run(true));
    auto res = run(true);
    REQUIRE(res);
    CHECK(res->type == "resolved");
    CHECK_FALSE(st.open("x"));
    CHECK_FALSE(run(true));
}

TEST_CASE("webhook signatures are HMAC-SHA256 in hex", "[probe]") {
    // RFC 4231 test case 2.
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("durations", "[probe]") {
    CHECK(parse_duration_ms("500ms") == 500);
    CHECK(parse_duration_ms("1h30m") == 5400000);
    CHECK(parse_duration_ms("7d") == 604800000);
    CHECK(parse_duration_ms("250") == 250);
    CHECK_FALSE(parse_duration_ms("10 s"));
    CHECK_FALSE(parse_duration_ms("10x"));
    CHECK_FALSE(parse_duration_ms(""));
    CHECK_FALSE(parse_duration_ms("9999999999999999999"));
    CHECK_FALSE(parse_duration_ms("999999999999d"));
}
