#include "probe/condition.hpp"
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "engine/error.hpp"

using namespace wph::probe;

namespace {

ProbeResult http(int status, std::string body = {}) {
    ProbeResult r;
    r.connected = true;
    r.status = status;
    r.body = std::move(body);
    r.ip = "127.0.0.1";
    r.timings.total = 0.25;
    return r;
}

bool holds(const std::string &cond, const ProbeResult &r) { return evaluate_condition(cond, r).success; }
std::string detail(const std::string &cond, const ProbeResult &r) { return evaluate_condition(cond, r).detail; }

// The message validate_condition throws, or "" when it accepts.
std::string error_of(const std::string &cond) {
    try {
        validate_condition(cond);
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EINVALID);
        CHECK(e.category() == "probe");
        return e.message();
    }
    return "";
}

bool valid(const std::string &cond) { return error_of(cond).empty(); }

}  // namespace

TEST_CASE("condition: [STATUS] with every operator", "[condition]") {
    auto r = http(200);
    CHECK(holds("[STATUS] == 200", r));
    CHECK_FALSE(holds("[STATUS] == 201", r));
    CHECK(holds("[STATUS] != 201", r));
    CHECK_FALSE(holds("[STATUS] != 200", r));
    CHECK(holds("[STATUS] < 300", r));
    CHECK_FALSE(holds("[STATUS] < 200", r));
    CHECK(holds("[STATUS] <= 200", r));
    CHECK_FALSE(holds("[STATUS] <= 199", r));
    CHECK(holds("[STATUS] > 199", r));
    CHECK_FALSE(holds("[STATUS] > 200", r));
    CHECK(holds("[STATUS] >= 200", r));
    CHECK_FALSE(holds("[STATUS] >= 201", r));
    CHECK(holds("[STATUS] == 200.0", r));
    CHECK(holds("[STATUS] > -1", r));
    CHECK(detail("[STATUS] == 200", http(503)) == "[STATUS] (503) == 200");
    auto res = evaluate_condition("[STATUS] == 200", http(503));
    CHECK(res.condition == "[STATUS] == 200");
    CHECK_FALSE(res.success);
    CHECK(detail("[STATUS] == 200", r) == "[STATUS] (200) == 200");
    // Not connected: status 0.
    ProbeResult none;
    CHECK_FALSE(holds("[STATUS] == 200", none));
    CHECK(holds("[STATUS] < 500", none));
}

TEST_CASE("condition: [RESPONSE_TIME] in milliseconds", "[condition]") {
    auto r = http(200);
    r.timings.total = 0.812;
    CHECK_FALSE(holds("[RESPONSE_TIME] < 700", r));
    CHECK(detail("[RESPONSE_TIME] < 700", r) == "[RESPONSE_TIME] (812) < 700");
    CHECK(holds("[RESPONSE_TIME] <= 812", r));
    CHECK(holds("[RESPONSE_TIME] == 812", r));
    CHECK(holds("[RESPONSE_TIME] > 811.5", r));
    r.timings.total = 0.0004;
    CHECK(holds("[RESPONSE_TIME] == 0", r));
    r.timings.total = 1e300;  // clamped, no overflow
    CHECK(holds("[RESPONSE_TIME] > 1000000", r));
    r.timings.total = std::numeric_limits<double>::infinity();
    CHECK(holds("[RESPONSE_TIME] > 1000000", r));
    r.timings.total = std::nan("");
    CHECK_FALSE(holds("[RESPONSE_TIME] < 700", r));
    CHECK(detail("[RESPONSE_TIME] < 700", r) == "[RESPONSE_TIME] (no response time) < 700");
}

TEST_CASE("condition: [BODY] as text", "[condition]") {
    CHECK(holds("[BODY] == OK", http(200, "OK")));
    CHECK_FALSE(holds("[BODY] == OK", http(200, "OK\n")));  // exact, as Gatus
    CHECK(detail("[BODY] == OK", http(200, "OK\n")) == "[BODY] (OK\\n) == OK");
    CHECK(holds("[BODY] != OK", http(200, "")));
    CHECK(detail("[BODY] == OK", http(200, "")) == "[BODY] () == OK");
    CHECK(holds("[BODY] == 1", http(200, "1")));
    CHECK(holds("[BODY] == 1.0", http(200, "1")));
    CHECK(holds("[BODY] > 0", http(200, "1")));
    CHECK(holds("[BODY] == hello world", http(200, "hello world")));
    // Case-sensitive.
    CHECK_FALSE(holds("[BODY] == ok", http(200, "OK")));
}

TEST_CASE("condition: [BODY] JSON paths", "[condition]") {
    auto r = http(200, R"({"status":"UP","data":{"id":7,"items":[{"name":"john"},{"name":"jane"}]},
        "ratio":1.5,"big":18446744073709551615,"neg":-42,"ok":true,"nothing":null,
        "obj":{"a":1},"arr":[1,2,3],"num_text":"007","sp ace":"x"})");
    CHECK(holds("[BODY].status == UP", r));
    CHECK_FALSE(holds("[BODY].status == DOWN", r));
    CHECK(holds("[BODY].status != DOWN", r));
    CHECK(holds("[BODY].data.id == 7", r));
    CHECK(holds("[BODY].data.id > 6", r));
    CHECK(holds("[BODY].data.id <= 7", r));
    CHECK(holds("[BODY].data.items[0].name == john", r));
    CHECK(holds("[BODY].data.items[1].name == jane", r));
    CHECK(holds("[BODY].ratio == 1.5", r));
    CHECK(holds("[BODY].ratio == 1.50", r));
    CHECK(holds("[BODY].ratio < 2", r));
    CHECK(holds("[BODY].big == 18446744073709551615", r));
    CHECK(holds("[BODY].big > 18446744073709551614", r));
    CHECK(holds("[BODY].neg < -41", r));
    CHECK(holds("[BODY].neg == -42", r));
    CHECK(holds("[BODY].ok == true", r));
    CHECK(holds("[BODY].nothing == null", r));
    CHECK(holds("[BODY].obj == {\"a\":1}", r));
    CHECK(holds("[BODY].arr == [1,2,3]", r));
    CHECK(holds("[BODY].num_text == 7", r));  // both read as numbers
    CHECK(holds("[BODY].sp ace == x", r));
    CHECK(detail("[BODY].data.id == 8", r) == "[BODY].data.id (7) == 8");
    CHECK(detail("[BODY].ratio == 2", r) == "[BODY].ratio (1.5) == 2");

    // Missing paths fail with a detail, whatever the operator.
    CHECK_FALSE(holds("[BODY].missing == x", r));
    CHECK_FALSE(holds("[BODY].missing != x", r));
    CHECK_FALSE(holds("[BODY].data.items[5].name == john", r));
    CHECK_FALSE(holds("[BODY].status.deeper == x", r));
    CHECK_FALSE(holds("[BODY].arr.x == 1", r));
    CHECK_FALSE(holds("[BODY].obj[0] == 1", r));
    CHECK_FALSE(holds("[BODY].arr[99999999999999999999] == 1", r));
    CHECK(detail("[BODY].missing == x", r) == "[BODY].missing (not found) == x");

    // A root array.
    CHECK(holds("[BODY][1] == b", http(200, R"(["a","b"])")));
    CHECK(holds("[BODY][0].id == 3", http(200, R"([{"id":3}])")));

    // Bodies that are not JSON.
    CHECK_FALSE(holds("[BODY].status == UP", http(200, "<html>")));
    CHECK(detail("[BODY].status == UP", http(200, "<html>")) == "[BODY].status (body is not JSON) == UP");
    CHECK_FALSE(holds("[BODY].status != UP", http(200, "<html>")));
    CHECK(detail("[BODY].status == UP", http(200, "")) == "[BODY].status (empty body, not JSON) == UP");
    CHECK_FALSE(holds("[BODY].a == 1", http(200, R"({"a":1)")));
    CHECK_FALSE(holds("[BODY].a == 1", http(200, "{\"a\":\"\xff\"}")));
    // Too deep for the parser: not JSON rather than a crash.
    CHECK_FALSE(holds("[BODY][0] == 1", http(200, std::string(100000, '['))));
}

TEST_CASE("condition: [CONNECTED], [IP], [DNS_RCODE]", "[condition]") {
    auto r = http(200);
    CHECK(holds("[CONNECTED] == true", r));
    CHECK(holds("[CONNECTED] != false", r));
    CHECK(detail("[CONNECTED] == false", r) == "[CONNECTED] (true) == false");
    ProbeResult down;
    CHECK(holds("[CONNECTED] == false", down));
    CHECK_FALSE(holds("[CONNECTED] == true", down));

    CHECK(holds("[IP] == 127.0.0.1", r));
    CHECK(holds("[IP] == pat(127.*)", r));
    CHECK(holds("[IP] != 10.0.0.1", r));
    r.ip = "2001:db8::1";
    CHECK(holds("[IP] == 2001:db8::1", r));
    CHECK(detail("[IP] == ::1", r) == "[IP] (2001:db8::1) == ::1");

    ProbeResult d;
    d.dns_rcode = "NOERROR";
    CHECK(holds("[DNS_RCODE] == NOERROR", d));
    CHECK(holds("[DNS_RCODE] != NXDOMAIN", d));
    CHECK(holds("[DNS_RCODE] == any(NOERROR, NXDOMAIN)", d));
    d.dns_rcode = "SERVFAIL";
    CHECK(detail("[DNS_RCODE] == NOERROR", d) == "[DNS_RCODE] (SERVFAIL) == NOERROR");
}

TEST_CASE("condition: [CERTIFICATE_EXPIRATION] with durations", "[condition]") {
    auto r = http(200);
    r.started_at_ms = 1700000000000;
    r.cert_expiry = 1700000000 + 5 * 86400 + 3600;  // 5 days 1 hour left
    CHECK(holds("[CERTIFICATE_EXPIRATION] > 72h", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] > 48h30m", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] < 7d", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] > 5d", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] == 5d1h", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] == 435600000", r));  // milliseconds
    CHECK(holds("[CERTIFICATE_EXPIRATION] >= 435600000", r));
    CHECK_FALSE(holds("[CERTIFICATE_EXPIRATION] > 435600000", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] == any(1h, 5d1h)", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] != any(1h, 2h)", r));
    CHECK(detail("[CERTIFICATE_EXPIRATION] > 7d", r) == "[CERTIFICATE_EXPIRATION] (5d1h) > 7d");

    r.cert_expiry = 1700000000 - 3600;  // expired an hour ago
    CHECK_FALSE(holds("[CERTIFICATE_EXPIRATION] > 0", r));
    CHECK(holds("[CERTIFICATE_EXPIRATION] < 0", r));
    CHECK(detail("[CERTIFICATE_EXPIRATION] > 72h", r) == "[CERTIFICATE_EXPIRATION] (-1h) > 72h");

    r.cert_expiry = 1700000000 + 12;
    r.started_at_ms = 1700000000000 + 500;
    CHECK(detail("[CERTIFICATE_EXPIRATION] > 1m", r) == "[CERTIFICATE_EXPIRATION] (11s500ms) > 1m");

    // Extremes saturate instead of overflowing.
    r.cert_expiry = std::numeric_limits<std::int64_t>::max();
    r.started_at_ms = std::numeric_limits<std::int64_t>::min();
    CHECK(holds("[CERTIFICATE_EXPIRATION] > 72h", r));
    r.cert_expiry = std::numeric_limits<std::int64_t>::min();
    r.started_at_ms = std::numeric_limits<std::int64_t>::max();
    CHECK(holds("[CERTIFICATE_EXPIRATION] < 0", r));
    CHECK(detail("[CERTIFICATE_EXPIRATION] > 72h", r).find("[CERTIFICATE_EXPIRATION] (-") == 0);

    // No certificate (plain HTTP, TCP, DNS).
    r.cert_expiry.reset();
    CHECK_FALSE(holds("[CERTIFICATE_EXPIRATION] > 72h", r));
    CHECK_FALSE(holds("[CERTIFICATE_EXPIRATION] < 72h", r));
    CHECK(detail("[CERTIFICATE_EXPIRATION] > 72h", r) == "[CERTIFICATE_EXPIRATION] (no certificate) > 72h");
}

TEST_CASE("condition: len()", "[condition]") {
    auto r = http(200, R"({"items":[1,2,3],"name":"john","obj":{"a":1,"b":2},"n":12345,"z":null,"e":[],"u":"é"})");
    CHECK(holds("len([BODY].items) == 3", r));
    CHECK(holds("len([BODY].items) > 2", r));
    CHECK_FALSE(holds("len([BODY].items) > 3", r));
    CHECK(holds("len([BODY].name) == 4", r));
    CHECK(holds("len([BODY].obj) == 2", r));
    CHECK(holds("len([BODY].n) == 5", r));
    CHECK(holds("len([BODY].z) == 0", r));
    CHECK(holds("len([BODY].e) == 0", r));
    CHECK(holds("len([BODY].u) == 2", r));  // bytes, as Gatus
    CHECK(holds("len([BODY]) == " + std::to_string(r.body.size()), r));
    CHECK(holds("len([BODY]) == 0", http(200, "")));
    CHECK(holds("len([BODY]) == 5", http(200, "hello")));
    CHECK(holds("len([BODY]) > 0", http(200, "not json")));
    CHECK_FALSE(holds("len([BODY].missing) == 0", r));
    CHECK(detail("len([BODY].missing) == 0", r) == "len([BODY].missing) (not found) == 0");
    CHECK(detail("len([BODY].items) < 2", r) == "len([BODY].items) (3) < 2");
    CHECK_FALSE(holds("len([BODY].items) > 0", http(200, "nope")));
    CHECK(holds("len( [BODY].items ) == 3", r));
}

TEST_CASE("condition: has()", "[condition]") {
    auto r = http(200, R"({"errors":[],"data":{"x":null}})");
    CHECK(holds("has([BODY].errors) == true", r));
    CHECK(holds("has([BODY].data.x) == true", r));
    CHECK(holds("has([BODY].data.y) == false", r));
    CHECK(holds("has([BODY].data.y) != true", r));
    CHECK(holds("has([BODY].errors[0]) == false", r));
    CHECK(detail("has([BODY].errors) == false", r) == "has([BODY].errors) (true) == false");
    // Not JSON: nothing is there.
    CHECK(holds("has([BODY].errors) == false", http(200, "<html>")));
    CHECK(holds("has([BODY].errors) == false", http(200, "")));
}

TEST_CASE("condition: pat()", "[condition]") {
    auto page = http(200, "<html><head><title>Blog</title></head></html>");
    CHECK(holds("[BODY] == pat(*<title>*)", page));
    CHECK(holds("[BODY] == pat(*<title>Blog</title>*)", page));
    CHECK_FALSE(holds("[BODY] == pat(<title>*)", page));  // the whole text, not a substring
    CHECK(holds("[BODY] == pat(<html>*)", page));
    CHECK(holds("[BODY] == pat(*</html>)", page));
    CHECK_FALSE(holds("[BODY] == pat(*</head>)", page));
    CHECK(holds("[BODY] != pat(*Fatal error*)", page));
    CHECK_FALSE(holds("[BODY] != pat(*Blog*)", page));
    CHECK(detail("[BODY] == pat(*nope*)", page) ==
          "[BODY] (<html><head><title>Blog</title></head></html>) == pat(*nope*)");

    auto r = http(200, R"({"name":"john","v":"a == b < c"})");
    CHECK(holds("[BODY].name == pat(j*)", r));
    CHECK(holds("[BODY].name == pat(j??n)", r));
    CHECK_FALSE(holds("[BODY].name == pat(j?n)", r));
    CHECK(holds("[BODY].name == pat(*)", r));
    CHECK(holds("[BODY].name == pat(****)", r));
    CHECK(holds("[BODY].name == pat(john)", r));
    CHECK(holds("[BODY].name == pat(*o*n*)", r));
    CHECK(holds("[BODY].name == pat(j*o*h*n)", r));
    CHECK_FALSE(holds("[BODY].name == pat(j*x*n)", r));
    CHECK_FALSE(holds("[BODY].name == pat(jo*hn*x)", r));
    CHECK_FALSE(holds("[BODY].name == pat(JOHN)", r));
    CHECK(holds("[BODY].v == pat(a == b < c)", r));  // operators inside pat() are text
    CHECK(holds("[BODY].v == pat(*==*)", r));

    // Overlapping ends: "a*a" needs two a's.
    CHECK_FALSE(holds("[BODY] == pat(a*a)", http(200, "a")));
    CHECK(holds("[BODY] == pat(a*a)", http(200, "aa")));
    CHECK(holds("[BODY] == pat(a*?b*?c)", http(200, "axxbyc")));
    CHECK_FALSE(holds("[BODY] == pat(a*?b*?c)", http(200, "abc")));
    CHECK(holds("[BODY] == pat(*?)", http(200, "x")));
    CHECK_FALSE(holds("[BODY] == pat(*?)", http(200, "")));
    CHECK(holds("[BODY] == pat(*ab?)", http(200, "xxabab!")));
    CHECK(holds("[BODY] == pat(*a?a*)", http(200, "xxaba")));

    // ? is one character, also when it is several bytes.
    CHECK(holds("[BODY] == pat(caf?)", http(200, "café")));
    CHECK(holds("[BODY] == pat(*?)", http(200, "é")));
    CHECK(holds("[BODY] == pat(?*)", http(200, "é")));
    CHECK_FALSE(holds("[BODY] == pat(?\?)", http(200, "é")));
    CHECK(holds("[BODY] == pat(?é?)", http(200, "éé€")));

    // Empty pattern and body.
    CHECK(holds("[BODY] == pat()", http(200, "")));
    CHECK_FALSE(holds("[BODY] == pat()", http(200, "x")));
    CHECK(holds("[BODY] == pat(*)", http(200, "")));

    // On numbers and other placeholders.
    CHECK(holds("[STATUS] == pat(2*)", http(204)));
    CHECK_FALSE(holds("[STATUS] == pat(2*)", http(404)));
    CHECK(holds("[STATUS] != pat(5?\?)", http(404)));

    // A missing path fails both ways.
    CHECK_FALSE(holds("[BODY].x == pat(*)", r));
    CHECK_FALSE(holds("[BODY].x != pat(*)", r));

    // Big bodies.
    std::string big(1 << 20, 'a');
    CHECK(holds("[BODY] == pat(a*a*a*a)", http(200, big)));
    CHECK(holds("[BODY] != pat(*Fatal error*)", http(200, big)));
    CHECK_FALSE(holds("[BODY] == pat(*b*)", http(200, big)));
}

TEST_CASE("condition: any()", "[condition]") {
    CHECK(holds("[STATUS] == any(200, 204)", http(204)));
    CHECK(holds("[STATUS] == any(200,204)", http(200)));
    CHECK_FALSE(holds("[STATUS] == any(200, 204)", http(500)));
    CHECK(holds("[STATUS] != any(200, 204)", http(500)));
    CHECK_FALSE(holds("[STATUS] != any(200, 204)", http(200)));
    CHECK(holds("[STATUS] == any(200)", http(200)));
    CHECK(holds("[STATUS] == any( 200 ,  204 )", http(204)));
    CHECK(detail("[STATUS] == any(200, 204)", http(500)) == "[STATUS] (500) == any(200, 204)");
    auto r = http(200, R"({"state":"green","n":2})");
    CHECK(holds("[BODY].state == any(green, yellow)", r));
    CHECK_FALSE(holds("[BODY].state == any(red, yellow)", r));
    CHECK(holds("[BODY].n == any(1, 2.0)", r));
    CHECK(holds("[BODY].state == any(a b, green)", r));
    CHECK(holds("[BODY] == any(x, pat(y))", http(200, "pat(y)")));  // items are text
    CHECK_FALSE(holds("[BODY].missing != any(1)", r));
}

TEST_CASE("condition: numbers compare exactly", "[condition]") {
    auto r = http(200, R"({"a":"99999999999999999999","b":"99999999999999999998","c":"-0.5","d":"0010","e":"1e3",
        "f":"-0","g":"1.000000000000000000001","h":"12abc","i":"0.1"})");
    CHECK(holds("[BODY].a > 99999999999999999998", r));
    CHECK(holds("[BODY].a != 99999999999999999998", r));
    CHECK(holds("[BODY].a == 99999999999999999999", r));
    CHECK(holds("[BODY].a > [BODY].b", r));
    CHECK(holds("[BODY].b < [BODY].a", r));
    CHECK(holds("[BODY].c < 0", r));
    CHECK(holds("[BODY].c > -1", r));
    CHECK(holds("[BODY].c == -0.50", r));
    CHECK(holds("[BODY].d == 10", r));
    CHECK(holds("[BODY].e == 1000", r));
    CHECK(holds("[BODY].e > 999.99", r));
    CHECK(holds("[BODY].f == 0", r));
    CHECK(holds("[BODY].g > 1", r));
    CHECK(holds("[BODY].i == 0.1", r));
    CHECK(holds("[BODY].i < 1e-0", r));
    CHECK(holds("[BODY].a < 1e1000000000000000", r));
    CHECK(holds("[BODY].c > -1e1000000000000000", r));
    CHECK(holds("[BODY].c < -1e-1000000000000000", r));
    CHECK(holds("[STATUS] > -99999999999999999999999999", r));
    CHECK(holds("[STATUS] < 99999999999999999999999999", r));
    // Not numbers: == compares text, < fails with a detail.
    CHECK(holds("[BODY].h == 12abc", r));
    CHECK_FALSE(holds("[BODY].h == 12", r));
    CHECK_FALSE(holds("[BODY].h < 13", r));
    CHECK(detail("[BODY].h < 13", r) == "[BODY].h (12abc) < 13: \"12abc\" is not a number");
    CHECK_FALSE(holds("[BODY] > 1", http(200, "")));
    CHECK(detail("[BODY] > 1", http(200, "")) == "[BODY] () > 1: \"\" is not a number");
    for (auto text : {"1.", ".5", "1e", "--1", "0x10", "inf", "nan", "1 ", " 1", "1_000"})
        CHECK_FALSE(holds(std::string("[BODY] < 2"), http(200, text)));
}

TEST_CASE("condition: placeholders on the right side", "[condition]") {
    auto r = http(200, R"({"age":5,"id":5,"other":6})");
    CHECK(holds("[BODY].age == [BODY].id", r));
    CHECK_FALSE(holds("[BODY].age == [BODY].other", r));
    CHECK(holds("[BODY].age < [BODY].other", r));
    CHECK(detail("[BODY].age == [BODY].other", r) == "[BODY].age (5) == [BODY].other (6)");
    CHECK(holds("[STATUS] > [BODY].other", r));
    CHECK(holds("len([BODY]) > len([BODY].age)", r));
    CHECK_FALSE(holds("[BODY].age == [BODY].nope", r));
    CHECK(detail("[BODY].age == [BODY].nope", r) == "[BODY].age (5) == [BODY].nope (not found)");
    // A right side in brackets that is not an upper-case name is text.
    CHECK(holds("[BODY].tags == [a]", http(200, R"({"tags":"[a]"})")));
    // Durations against another placeholder: a number there is milliseconds.
    auto c = http(200, R"({"min":"72h","ms":1000})");
    c.started_at_ms = 0;
    c.cert_expiry = 4 * 86400;
    CHECK(holds("[CERTIFICATE_EXPIRATION] > [BODY].min", c));
    CHECK(holds("[CERTIFICATE_EXPIRATION] > [BODY].ms", c));
    CHECK(holds("[BODY].ms < [CERTIFICATE_EXPIRATION]", c));
    CHECK_FALSE(holds("[CERTIFICATE_EXPIRATION] > [STATUS]", http(200)));  // no certificate
    auto bad = http(200, R"({"min":"soon"})");
    bad.cert_expiry = 10;
    CHECK_FALSE(holds("[CERTIFICATE_EXPIRATION] > [BODY].min", bad));
    CHECK(detail("[CERTIFICATE_EXPIRATION] > [BODY].min", bad) ==
          "[CERTIFICATE_EXPIRATION] (10s) > [BODY].min (soon): \"soon\" is not a duration");
}

TEST_CASE("condition: details stay short and on one line", "[condition]") {
    std::string body = std::string(200, 'x') + "\n<b>Fatal error</b>";
    auto d = detail("[BODY] != pat(*Fatal error*)", http(200, body));
    CHECK(d == "[BODY] (" + std::string(77, 'x') + "...) != pat(*Fatal error*)");
    // Exactly 80 bytes are shown whole, 81 are cut.
    CHECK(detail("[BODY] == x", http(200, std::string(80, 'y'))) == "[BODY] (" + std::string(80, 'y') + ") == x");
    CHECK(detail("[BODY] == x", http(200, std::string(81, 'y'))) == "[BODY] (" + std::string(77, 'y') + "...) == x");
    // Control characters and malformed UTF-8 are escaped; UTF-8 is kept and never cut inside a character.
    CHECK(detail("[BODY] == x", http(200, "a\tb\r\n\x01\xff" "é")) == "[BODY] (a\\tb\\r\\n\\x01\\xffé) == x");
    std::string euros;
    for (int i = 0; i < 40; ++i) euros += "€";
    auto e = detail("[BODY] == x", http(200, euros));
    CHECK(e == "[BODY] (" + euros.substr(0, 75) + "...) == x");
    // JSON values are cut the same way.
    auto j = detail("[BODY].s == x", http(200, "{\"s\":\"" + std::string(500, 'z') + "\"}"));
    CHECK(j == "[BODY].s (" + std::string(77, 'z') + "...) == x");
}

TEST_CASE("condition: whitespace", "[condition]") {
    auto r = http(200);
    CHECK(holds("  [STATUS] == 200  ", r));
    CHECK(holds("[STATUS]   ==   200", r));
    CHECK(evaluate_condition("  [STATUS] == 200  ", r).condition == "  [STATUS] == 200  ");
    CHECK(detail("[STATUS]   ==   201", r) == "[STATUS] (200) == 201");
    CHECK(error_of("[STATUS]\t==\t200").find("control character") != std::string::npos);
    CHECK(error_of("[STATUS] ==200").find("put spaces around the operator \"==\"") != std::string::npos);
    CHECK(error_of("[STATUS]== 200").find("put spaces") != std::string::npos);
    CHECK(error_of("[STATUS]==200").find("put spaces") != std::string::npos);
    CHECK(error_of("[STATUS]<=200").find("put spaces around the operator \"<=\"") != std::string::npos);
}

TEST_CASE("condition: validation errors name the text and the problem", "[condition]") {
    CHECK(error_of("[STATUS] = 200") ==
          "condition \"[STATUS] = 200\": unknown operator \"=\"; use ==, !=, <, <=, >, >=");
    CHECK(error_of("") == "condition \"\": empty; write e.g. [STATUS] == 200");
    CHECK(error_of("   ").find("empty") != std::string::npos);
    CHECK(error_of("[STATUS]") ==
          "condition \"[STATUS]\": no operator; write <placeholder> <op> <value> with one of ==, !=, <, <=, >, >=, "
          "as in [STATUS] == 200");
    CHECK(error_of("[STATUS] => 200").find("unknown operator \"=>\"") != std::string::npos);
    CHECK(error_of("[STATUS] === 200").find("unknown operator \"===\"") != std::string::npos);
    CHECK(error_of("[STATUS] <> 200").find("unknown operator \"<>\"") != std::string::npos);
    CHECK(error_of("[STATUS] ! 200").find("unknown operator \"!\"") != std::string::npos);
    CHECK(error_of("[STATUS] == 200 == 300").find("more than one operator (\"==\" and \"==\")") != std::string::npos);
    CHECK(error_of("[BODY] == a < b").find("more than one operator") != std::string::npos);
    CHECK(error_of("== 200").find("nothing on the left of \"==\"") != std::string::npos);
    CHECK(error_of("[STATUS] ==").find("nothing on the right of \"==\"") != std::string::npos);

    CHECK(error_of("[STATU] == 200") ==
          "condition \"[STATU] == 200\": unknown placeholder \"[STATU]\"; did you mean [STATUS]?");
    CHECK(error_of("[body] == x").find("did you mean [BODY]?") != std::string::npos);
    CHECK(error_of("[RESPONSETIME] < 5").find("did you mean [RESPONSE_TIME]?") != std::string::npos);
    CHECK(error_of("[FOO] == 1").find("unknown placeholder \"[FOO]\"; use [STATUS], [RESPONSE_TIME]") != std::string::npos);
    CHECK(error_of("[] == 1").find("unknown placeholder \"[]\"") != std::string::npos);
    CHECK(error_of("[STATUS] == [STATU]").find("unknown placeholder \"[STATU]\"") != std::string::npos);
    CHECK(error_of("[DOMAIN_EXPIRATION] > 720h").find("[DOMAIN_EXPIRATION] is not supported") != std::string::npos);
    CHECK(error_of("STATUS == 200").find("the left side \"STATUS\" is not a placeholder; did you mean [STATUS]?") !=
          std::string::npos);
    CHECK(error_of("200 == [STATUS]").find("the left side \"200\" is not a placeholder") != std::string::npos);

    CHECK(error_of("foo([BODY]) == 1").find("unknown function \"foo\"") != std::string::npos);
    CHECK(error_of("LEN([BODY]) == 1").find("unknown function \"LEN\"") != std::string::npos);
    CHECK(error_of("[BODY] == regex(a.*)").find("unknown function \"regex\"") != std::string::npos);
    CHECK(error_of("pat(a*) == [BODY]").find("pat() goes on the right side") != std::string::npos);
    CHECK(error_of("any(1, 2) == [STATUS]").find("any() goes on the right side") != std::string::npos);
    CHECK(error_of("len([STATUS]) == 3").find("len() takes [BODY] or a [BODY] JSON path") != std::string::npos);
    CHECK(error_of("len(x) == 3").find("len() takes") != std::string::npos);
    CHECK(error_of("len(len([BODY])) == 3").find("len() takes") != std::string::npos);
    CHECK(error_of("has([BODY]) == true").find("has() takes a [BODY] JSON path") != std::string::npos);
    CHECK(error_of("has([IP]) == true").find("has() takes") != std::string::npos);
    CHECK(error_of("len([BODY])x == 3").find("unexpected \"x\" after len()") != std::string::npos);
    CHECK(error_of("[STATUS] == any()").find("any() needs at least one value") != std::string::npos);
    CHECK(error_of("[STATUS] == any(1,,2)").find("any() has an empty value") != std::string::npos);
    CHECK(error_of("[STATUS] == any(1, )").find("any() has an empty value") != std::string::npos);

    CHECK(error_of("[STATUS == 200").find("unbalanced") != std::string::npos);
    CHECK(error_of("[STATUS]] == 200").find("unbalanced: \"]\" at byte 8 closes nothing") != std::string::npos);
    CHECK(error_of("  [STATUS]] == 200").find("at byte 10 closes nothing") != std::string::npos);
    CHECK(error_of("len([BODY] == 1").find("unbalanced: a \"(\" is not closed") != std::string::npos);
    CHECK(error_of("[BODY] == pat(*)*)").find("unbalanced") != std::string::npos);
    CHECK(error_of("[BODY] == :)").find("unbalanced") != std::string::npos);
    CHECK(error_of("[BODY] == pat(:?)") == "");  // the way to match one
    CHECK(error_of("[BODY] == pat(*[*)") ==
          "condition \"[BODY] == pat(*[*)\": unbalanced: a \"[\" is not closed; in pat(), match a lone bracket or "
          "parenthesis with ?");
    CHECK(holds("[BODY] == pat(*?*)", http(200, "a [ b")));

    CHECK(error_of("[STATUS].code == 1").find("[STATUS] takes no JSON path; only [BODY] does") != std::string::npos);
    CHECK(error_of("[STATUS]x == 1").find("unexpected \"x\" after [STATUS]") != std::string::npos);
    CHECK(error_of("[BODY]x == 1").find("unexpected \"x\" in the JSON path") != std::string::npos);
    CHECK(error_of("[BODY]..a == 1").find("empty key") != std::string::npos);
    CHECK(error_of("[BODY]. == 1").find("empty key") != std::string::npos);
    CHECK(error_of("[BODY].a[x] == 1").find("array index \"[x]\" is not a number") != std::string::npos);
    CHECK(error_of("[BODY].a[] == 1").find("array index") != std::string::npos);
    CHECK(error_of("[BODY].a[-1] == 1").find("array index") != std::string::npos);

    CHECK(error_of("[STATUS] < abc") ==
          "condition \"[STATUS] < abc\": \"abc\" is not a number, and [STATUS] is one");
    CHECK(error_of("[STATUS] == OK").find("\"OK\" is not a number") != std::string::npos);
    CHECK(error_of("[RESPONSE_TIME] < 1s").find("\"1s\" is not a number") != std::string::npos);
    CHECK(error_of("[STATUS] == any(200, OK)").find("\"OK\" is not a number") != std::string::npos);
    CHECK(error_of("len([BODY]) > many").find("\"many\" is not a number") != std::string::npos);
    CHECK(error_of("[BODY].n > many").find("\"many\" is not a number; <, <=, > and >= compare numbers") !=
          std::string::npos);
    CHECK(error_of("[CONNECTED] == yes") == "condition \"[CONNECTED] == yes\": [CONNECTED] is true or false, not \"yes\"");
    CHECK(error_of("has([BODY].x) == 1").find("is true or false") != std::string::npos);
    CHECK(error_of("[CERTIFICATE_EXPIRATION] > soon").find("\"soon\" is not a duration; use e.g. 72h") !=
          std::string::npos);
    CHECK(error_of("[CERTIFICATE_EXPIRATION] > 1.5h").find("not a duration") != std::string::npos);
    CHECK(error_of("[CERTIFICATE_EXPIRATION] > 9999999999999999999").find("not a duration") != std::string::npos);
    CHECK(error_of("[CERTIFICATE_EXPIRATION] > 9999999999d").find("not a duration") != std::string::npos);
    CHECK(error_of("[IP] < 10.0.0.1").find("[IP] is not a number; < compares numbers (use == or !=)") !=
          std::string::npos);
    CHECK(error_of("[DNS_RCODE] > NOERROR").find("[DNS_RCODE] is not a number") != std::string::npos);
    CHECK(error_of("[CONNECTED] >= true").find("is not a number") != std::string::npos);
    CHECK(error_of("[STATUS] < [IP]").find("[IP] is not a number") != std::string::npos);
    CHECK(error_of("[BODY] < pat(1*)").find("pat() works with == and != only") != std::string::npos);
    CHECK(error_of("[STATUS] >= any(1, 2)").find("any() works with == and != only") != std::string::npos);

    CHECK(error_of("[STATUS] == 200\n").find("control character 0x0a at byte 15") != std::string::npos);
    CHECK(error_of(std::string("[STATUS] == 2\0" "00", 16)).find("control character 0x00") != std::string::npos);
    CHECK(error_of("[BODY] == \x7f").find("control character 0x7f") != std::string::npos);

    std::string ok = "[BODY] == " + std::string(990, 'a');
    REQUIRE(ok.size() == 1000);
    CHECK(valid(ok));
    auto too_long = error_of(ok + "a");
    CHECK(too_long.find("is 1001 bytes long; at most 1000") != std::string::npos);
    CHECK(too_long.size() < 250);  // the text is cut in the message

    // evaluate_condition refuses what validate refuses.
    CHECK_THROWS_AS(evaluate_condition("[STATU] == 200", http(200)), wph::Error);
}

TEST_CASE("condition: the conditions Gatus documents are accepted", "[condition]") {
    for (auto c : {"[STATUS] == 200", "[STATUS] < 300", "[STATUS] <= 299", "[STATUS] > 400", "[STATUS] >= 400",
                   "[STATUS] == any(200, 429)", "[CONNECTED] == true", "[RESPONSE_TIME] < 500", "[IP] == 127.0.0.1",
                   "[BODY] == 1", "[BODY].user.name == john", "[BODY].data.id == 1", "[BODY].age == [BODY].id",
                   "[BODY].data[0].id == 1", "len([BODY].data) < 5", "len([BODY].name) == 8",
                   "has([BODY].errors) == false", "[BODY].name == pat(john*)", "[BODY].id == any(1, 2)",
                   "[CERTIFICATE_EXPIRATION] > 48h", "[DNS_RCODE] == NOERROR", "[BODY] == pat(*<title>*)",
                   "[RESPONSE_TIME] < 700", "[CERTIFICATE_EXPIRATION] > 72h", "[CERTIFICATE_EXPIRATION] > 7d",
                   "[CERTIFICATE_EXPIRATION] > 48h30m", "[CERTIFICATE_EXPIRATION] > 259200000",
                   "[BODY].status == UP", "len([BODY]) > 0"}) {
        INFO(c);
        CHECK(valid(c));
    }
}

TEST_CASE("condition: the WordPress conditions", "[condition]") {
    auto conds = wordpress_conditions();
    REQUIRE(conds.size() >= 6);
    CHECK(conds[0] == "[STATUS] < 500");
    for (const auto &c : conds) {
        INFO(c);
        CHECK(valid(c));
    }
    auto all_hold = [&](const ProbeResult &r) {
        for (const auto &c : conds)
            if (!holds(c, r)) return false;
        return true;
    };
    auto healthy = http(200, "<!DOCTYPE html><html><head><title>My Blog</title></head><body>Hello world!</body></html>");
    CHECK(all_hold(healthy));
    CHECK(all_hold(http(301, "")));
    CHECK(all_hold(http(404, "<html>Page not found</html>")));
    CHECK_FALSE(all_hold(http(500, "")));
    CHECK_FALSE(all_hold(http(503, "")));

    const char *broken[] = {
        "<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function foo() in /var/www/x.php:3",
        "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted",
        "PHP Parse error:  syntax error, unexpected '}' in /var/www/wp-content/themes/t/functions.php on line 9",
        "<br />\n<b>Parse error</b>:  syntax error, unexpected end of file in /var/www/x.php on line 2<br />",
        "<html><body><p>There has been a critical error on this website.</p></body></html>",
        "<html><body><p>There has been a critical error on this website. Please check your site admin email inbox "
        "for instructions.</p></body></html>",
        "<p>The site is experiencing technical difficulties.</p>",
        "<!DOCTYPE html><html><head><title>Database Error</title></head><body><h1>Error establishing a database "
        "connection</h1></body></html>",
        "<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Briefly unavailable for scheduled "
        "maintenance. Check back in a minute.</body></html>",
    };
    for (const char *body : broken) {
        INFO(body);
        CHECK_FALSE(all_hold(http(200, body)));
    }
    // The failing condition says which text it found, with the start of the page.
    auto d = evaluate_condition("[BODY] != pat(*Error establishing a database connection*)", http(200, broken[7]));
    CHECK_FALSE(d.success);
    CHECK(d.detail.find("[BODY] (<!DOCTYPE html>") == 0);
    CHECK(d.detail.find("!= pat(*Error establishing a database connection*)") != std::string::npos);
}
