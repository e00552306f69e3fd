// Hetzner Cloud, DigitalOcean and Cloudflare clients: request bodies, answer
// parsing, errors and parameter checks (no I/O: nothing here is sent).
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <string>

#include "engine/error.hpp"
#include "provider/cloudflare.hpp"
#include "provider/digitalocean.hpp"
#include "provider/hetzner.hpp"
#include "provider/provider.hpp"

namespace json = boost::json;
using namespace wph::provider;
using std::chrono::milliseconds;

namespace {

template <class F>
std::string error_of(F f, int code = WPH_EINVALID) {
    try {
        f();
    } catch (const wph::Error &e) {
        CHECK(e.code() == code);
        return e.message();
    }
    return "";
}

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

// A provider pointed at a port nothing listens on: only checks that run
// before sending can succeed or fail here.
std::unique_ptr<Provider> offline(const char *kind) {
    json::object c{{"kind", kind}, {"token", "t0ken-secret"}, {"endpoint", "https://127.0.0.1:9/x"},
                   {"retry", {{"max_attempts", 1}}}};
    if (std::string(kind) == "hetzner") return open_hetzner(c);
    if (std::string(kind) == "digitalocean") return open_digitalocean(c);
    return open_cloudflare(c);
}

std::string call_error(Provider &p, std::string_view op, std::string_view params) {
    return error_of([&] { p.call(op, obj(params), nullptr); });
}

}  // namespace

TEST_CASE("hetzner: server create body") {
    hetzner::ServerCreate s;
    s.name = "web1";
    s.server_type = "cx22";
    s.image = "debian-12";
    s.location = "fsn1";
    s.ssh_keys = {json::value("deploy"), json::value(42)};
    s.labels = obj(R"({"role":"web"})");
    s.firewalls = {7};
    s.start_after_create = false;
    CHECK(hetzner::server_create_body(s) ==
          obj(R"({"name":"web1","server_type":"cx22","image":"debian-12","location":"fsn1",
                  "ssh_keys":["deploy",42],"labels":{"role":"web"},"firewalls":[{"firewall":7}],
                  "start_after_create":false})"));

    hetzner::ServerCreate minimal{"a", "cx22", "debian-12", {}, {}, {}, {}, {}, {}, {}};
    CHECK(hetzner::server_create_body(minimal) == obj(R"({"name":"a","server_type":"cx22","image":"debian-12"})"));

    auto bad = minimal;
    bad.name.clear();
    CHECK(error_of([&] { hetzner::server_create_body(bad); }) == "hetzner: \"name\" is required");
    bad = minimal;
    bad.location = "fsn1";
    bad.datacenter = "fsn1-dc14";
    CHECK(error_of([&] { hetzner::server_create_body(bad); }).find("not both") != std::string::npos);
    bad = minimal;
    bad.ssh_keys = {json::value(-1)};
    CHECK(error_of([&] { hetzner::server_create_body(bad); }).find("ssh_keys[0]") != std::string::npos);
    bad = minimal;
    bad.labels = obj(R"({"a":1})");
    CHECK(error_of([&] { hetzner::server_create_body(bad); }).find("\"labels.a\" must be a string") != std::string::npos);
}

TEST_CASE("hetzner: errors, actions, pages, polling") {
    json::value e = json::parse(R"({"error":{"code":"uniqueness_error","message":"server name is already used","details":{}}})");
    CHECK(hetzner::error_message(&e) == "server name is already used (uniqueness_error)");
    json::value none = json::parse(R"({"servers":[]})");
    CHECK(hetzner::error_message(&none).empty());
    CHECK(hetzner::error_message(nullptr).empty());

    CHECK(hetzner::action_finished(obj(R"({"id":1,"command":"create_server","status":"success"})")));
    CHECK_FALSE(hetzner::action_finished(obj(R"({"id":1,"command":"create_server","status":"running"})")));
    std::string msg = error_of(
        [] {
            hetzner::action_finished(obj(
                R"({"id":9,"command":"start_server","status":"error","error":{"code":"action_failed","message":"no capacity"}})"));
        },
        WPH_EPROVIDER);
    CHECK(msg == "hetzner: action 9 (start_server) failed: action_failed: no capacity");
    CHECK(error_of([] { hetzner::action_finished(obj(R"({"id":2,"status":"weird"})")); }, WPH_EPROVIDER)
              .find("unknown status \"weird\"") != std::string::npos);

    CHECK(hetzner::next_page(json::parse(R"({"meta":{"pagination":{"page":1,"next_page":2}}})")) == 2);
    CHECK_FALSE(hetzner::next_page(json::parse(R"({"meta":{"pagination":{"page":3,"next_page":null}}})")));
    CHECK_FALSE(hetzner::next_page(json::parse(R"({"servers":[]})")));

    hetzner::PollOptions poll{milliseconds(1000), milliseconds(5000)};
    CHECK(hetzner::poll_delay(poll, 0) == milliseconds(1000));
    CHECK(hetzner::poll_delay(poll, 1) == milliseconds(1500));
    CHECK(hetzner::poll_delay(poll, 2) == milliseconds(2250));
    CHECK(hetzner::poll_delay(poll, 10) == milliseconds(5000));
    CHECK(hetzner::poll_delay(poll, 1000000) == milliseconds(5000));
}

TEST_CASE("hetzner: operations check their params before sending") {
    auto p = offline("hetzner");
    CHECK(p->kind() == "hetzner");
    CHECK(p->operations().size() == 17);
    CHECK(call_error(*p, "server.create", R"({"server_type":"cx22","image":"debian-12"})") ==
          "hetzner server.create: \"name\" is required");
    CHECK(call_error(*p, "server.create", R"({"name":"a","server_type":"cx22","image":"d","wait":"yes"})") ==
          "hetzner server.create: \"wait\" must be true or false");
    CHECK(call_error(*p, "server.create", R"({"name":"a","server_type":"cx22","image":"d","firewalls":[0]})")
              .find("\"firewalls\"") != std::string::npos);
    CHECK(call_error(*p, "server.power", R"({"id":1,"action":"explode"})")
              .find("\"action\" must be one of poweron") != std::string::npos);
    CHECK(call_error(*p, "server.get", R"({"id":0})") == "hetzner server.get: \"id\" must be a positive integer");
    CHECK(call_error(*p, "server.get", R"({"id":1,"extra":true})") ==
          "hetzner server.get: \"extra\" is not a parameter of this operation");
    CHECK(call_error(*p, "action.wait", R"({"id":1,"timeout_s":-5})").find("\"timeout_s\"") != std::string::npos);
    CHECK(call_error(*p, "firewall.create", R"({"name":"f","rules":[{"direction":"sideways","protocol":"tcp"}]})")
              .find("direction") != std::string::npos);
    CHECK(call_error(*p, "firewall.create", R"({"name":"f","apply_to":["x"]})").find("\"apply_to\"") != std::string::npos);
    CHECK(call_error(*p, "firewall.apply", R"({"id":1})") == "hetzner firewall.apply: \"server_ids\" is required");
    CHECK(call_error(*p, "servers.list", "{}") == "hetzner: unknown operation \"servers.list\"");
}

TEST_CASE("hetzner: configuration") {
    CHECK(error_of([] { open_hetzner(obj(R"({"kind":"hetzner"})")); }).find("token") != std::string::npos);
    CHECK(error_of([] { open_hetzner(obj(R"({"kind":"hetzner","token":"x","poll":{"initial_ms":0}})")); }) ==
          "hetzner: \"poll.initial_ms\" must be a positive integer");
    auto c = hetzner::Client::from_json(obj(R"({"token":"abc"})"));
    CHECK(c.http().options().base_url == "https://api.hetzner.cloud/v1");
    bool bearer = false;
    for (const auto &[k, v] : c.http().options().default_headers) bearer |= k == "Authorization" && v == "Bearer abc";
    CHECK(bearer);
    CHECK(c.http().options().secrets == std::vector<std::string>{"abc"});
}

TEST_CASE("digitalocean: droplet create body and answers") {
    digitalocean::DropletCreate d{"web-1.example", "fra1", "s-1vcpu-1gb", json::value("debian-12-x64"),
                                  {json::value(12), json::value("3b:16:bf")}, "#cloud-config\n", {"web"}};
    CHECK(digitalocean::droplet_create_body(d) ==
          obj(R"({"name":"web-1.example","region":"fra1","size":"s-1vcpu-1gb","image":"debian-12-x64",
                  "ssh_keys":[12,"3b:16:bf"],"user_data":"#cloud-config\n","tags":["web"]})"));
    auto bad = d;
    bad.name = "web_1";
    CHECK(error_of([&] { digitalocean::droplet_create_body(bad); }).find("only letters, digits") != std::string::npos);
    bad = d;
    bad.image = json::value(0);
    CHECK(error_of([&] { digitalocean::droplet_create_body(bad); }).find("\"image\"") != std::string::npos);
    bad = d;
    bad.tags = {""};
    CHECK(error_of([&] { digitalocean::droplet_create_body(bad); }).find("empty tag") != std::string::npos);

    json::value e = json::parse(R"({"id":"not_found","message":"The resource you were accessing could not be found."})");
    CHECK(digitalocean::error_message(&e) == "The resource you were accessing could not be found. (not_found)");

    json::value created = json::parse(
        R"({"droplet":{"id":3},"links":{"actions":[{"id":5,"rel":"other"},{"id":36805096,"rel":"create","href":"x"}]}})");
    CHECK(digitalocean::create_action_id(created) == 36805096);
    CHECK_FALSE(digitalocean::create_action_id(json::parse(R"({"droplet":{"id":3},"links":{}})")));

    CHECK(digitalocean::next_page(json::parse(R"({"links":{"pages":{"next":"https://api.digitalocean.com/v2/droplets?page=2"}}})")) ==
          std::string("https://api.digitalocean.com/v2/droplets?page=2"));
    CHECK_FALSE(digitalocean::next_page(json::parse(R"({"links":{"pages":{"prev":"x"}}})")));
    CHECK(digitalocean::same_origin("https://API.digitalocean.com/v2/droplets?page=2", "https://api.digitalocean.com/v2"));
    CHECK_FALSE(digitalocean::same_origin("https://evil.example/v2/droplets", "https://api.digitalocean.com/v2"));
    CHECK_FALSE(digitalocean::same_origin("http://api.digitalocean.com/v2", "https://api.digitalocean.com/v2"));
    CHECK_FALSE(digitalocean::same_origin("https://api.digitalocean.com:8443/v2", "https://api.digitalocean.com/v2"));

    CHECK(digitalocean::action_finished(obj(R"({"id":1,"type":"create","status":"completed"})")));
    CHECK_FALSE(digitalocean::action_finished(obj(R"({"id":1,"type":"create","status":"in-progress"})")));
    CHECK(error_of([] {
              digitalocean::action_finished(
                  obj(R"({"id":7,"type":"reboot","status":"errored","resource_id":3,"resource_type":"droplet"})"));
          },
                   WPH_EPROVIDER) == "digitalocean: action 7 (reboot) on droplet 3 errored");
}

TEST_CASE("digitalocean: operations check their params before sending") {
    auto p = offline("digitalocean");
    CHECK(p->operations().size() == 11);
    CHECK(call_error(*p, "droplet.create", R"({"name":"a","region":"fra1","size":"s"})") ==
          "digitalocean droplet.create: \"image\" is required");
    CHECK(call_error(*p, "droplet.action", R"({"id":1,"type":"explode"})").find("\"type\" must be one of") !=
          std::string::npos);
    CHECK(call_error(*p, "ssh_key.get", "{}").find("\"id\" is required (or \"fingerprint\")") != std::string::npos);
    CHECK(call_error(*p, "ssh_key.delete", R"({"fingerprint":"zz"})").find("\"fingerprint\"") != std::string::npos);
    CHECK(call_error(*p, "droplet.list", R"({"tag_name":3})") == "digitalocean droplet.list: \"tag_name\" must be a string");
}

TEST_CASE("cloudflare: record types, names, contents") {
    CHECK(cloudflare::check_type("txt") == "TXT");
    CHECK(cloudflare::check_type("AAAA") == "AAAA");
    CHECK(error_of([] { cloudflare::check_type("SPF1"); }).find("\"type\" \"SPF1\"") != std::string::npos);

    CHECK(cloudflare::check_name("_acme-challenge.www.example.com.") == "_acme-challenge.www.example.com");
    CHECK(cloudflare::check_name("*.example.com") == "*.example.com");
    CHECK(cloudflare::check_name("@") == "@");
    CHECK(cloudflare::check_name("xn--bcher-kva.example") == "xn--bcher-kva.example");
    CHECK(error_of([] { cloudflare::check_name(""); }) == "cloudflare: \"name\" must not be empty");
    CHECK(error_of([] { cloudflare::check_name("a..b"); }).find("empty label") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_name(std::string(64, 'a') + ".com"); }).find("63") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_name("a b.com"); }).find("holds ' '") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_name("www.*.com"); }).find("first label") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_name("b\xc3\xbc" "cher.example"); }).find("Punycode") != std::string::npos);
    std::string long_name;
    for (int i = 0; i < 60; ++i) long_name += "abcd.";
    long_name += "com";
    CHECK(error_of([&] { cloudflare::check_name(long_name); }).find("253") != std::string::npos);

    cloudflare::check_content("A", "192.0.2.1");
    cloudflare::check_content("AAAA", "2001:db8::1");
    cloudflare::check_content("CNAME", "target.example.net.");
    cloudflare::check_content("TXT", "v=spf1 -all");
    CHECK(error_of([] { cloudflare::check_content("A", "192.0.2"); }).find("IPv4") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_content("AAAA", "192.0.2.1"); }).find("IPv6") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_content("MX", "mail server"); }).find("host name") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_content("TXT", std::string(2049, 'x')); }).find("2048") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_content("TXT", ""); }).find("must not be empty") != std::string::npos);

    cloudflare::check_ttl(1);
    cloudflare::check_ttl(30);
    cloudflare::check_ttl(86400);
    CHECK_FALSE(error_of([] { cloudflare::check_ttl(0); }).empty());
    CHECK_FALSE(error_of([] { cloudflare::check_ttl(86401); }).empty());
    cloudflare::check_id("0123456789abcdef0123456789abcdef", "zone_id");
    CHECK(error_of([] { cloudflare::check_id("0123", "zone_id"); }).find("\"zone_id\"") != std::string::npos);
}

TEST_CASE("cloudflare: record bodies") {
    cloudflare::RecordFields f;
    f.type = "txt";
    f.name = "_acme-challenge.example.com";
    f.content = "token";
    CHECK(cloudflare::record_body(f, true) ==
          obj(R"({"name":"_acme-challenge.example.com","content":"token","type":"TXT","ttl":1})"));
    f.proxied = true;
    CHECK(error_of([&] { cloudflare::record_body(f, true); }).find("only possible for A, AAAA and CNAME") !=
          std::string::npos);

    cloudflare::RecordFields patch;
    patch.content = "192.0.2.9";
    patch.ttl = 300;
    CHECK(cloudflare::record_body(patch, false) == obj(R"({"content":"192.0.2.9","ttl":300})"));
    CHECK(error_of([] { cloudflare::record_body({}, false); }).find("nothing to change") != std::string::npos);
    cloudflare::RecordFields missing;
    missing.type = "A";
    missing.name = "a.example.com";
    CHECK(error_of([&] { cloudflare::record_body(missing, true); }) == "cloudflare: \"content\" is required");
}

TEST_CASE("cloudflare: zone candidates, envelopes, errors") {
    CHECK(cloudflare::zone_candidates("_acme-challenge.www.Example.com.") ==
          std::vector<std::string>{"_acme-challenge.www.example.com", "www.example.com", "example.com"});
    CHECK(cloudflare::zone_candidates("example.com") == std::vector<std::string>{"example.com"});
    CHECK(cloudflare::zone_candidates("com").empty());

    json::value dup = json::parse(R"({"success":false,"errors":[{"code":81057,"message":"Record already exists."}],
                                       "messages":[],"result":null})");
    CHECK(cloudflare::error_message(&dup) == "81057 Record already exists.");
    json::value chain = json::parse(R"({"success":false,"errors":[{"code":6003,"message":"Invalid request headers",
        "error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]},{"code":1,"message":"two"}]})");
    CHECK(cloudflare::error_message(&chain) ==
          "6003 Invalid request headers (6111 Invalid format for Authorization header); 1 two");

    cloudflare::check_envelope(json::parse(R"({"success":true,"errors":[],"messages":[],"result":[]})"), "GET /zones", 200);
    try {
        cloudflare::check_envelope(dup, "POST /client/v4/zones/z/dns_records", 200);
        FAIL("no error");
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EPROVIDER);
        CHECK(e.http_status() == 200);
        CHECK(e.message() == "cloudflare: POST /client/v4/zones/z/dns_records: 200: success is false: 81057 Record already exists.");
    }
    CHECK(error_of([] { cloudflare::check_envelope(json::parse("[1]"), "GET /zones", 200); }, WPH_EPROVIDER)
              .find("not a Cloudflare envelope") != std::string::npos);
    CHECK(error_of([] { cloudflare::check_envelope(json::parse(R"({"result":1})"), "GET /zones", 200); }, WPH_EPROVIDER)
              .find("no \"success\"") != std::string::npos);
}

TEST_CASE("cloudflare: operations check their params before sending") {
    auto p = offline("cloudflare");
    CHECK(p->operations() ==
          std::vector<std::string>{"zone.list", "zone.find", "record.list", "record.create", "record.update", "record.delete"});
    CHECK(call_error(*p, "zone.find", "{}") == "cloudflare zone.find: \"name\" is required");
    CHECK(call_error(*p, "zone.find", R"({"name":"a..b"})").find("cloudflare zone.find: \"name\"") == 0);
    CHECK(call_error(*p, "record.create",
                     R"({"zone_id":"0123456789abcdef0123456789abcdef","type":"A","name":"a.example.com","content":"x"})")
              .find("cloudflare record.create: \"content\" \"x\" is not an IPv4 address") == 0);
    CHECK(call_error(*p, "record.create",
                     R"({"zone_id":"0123456789abcdef0123456789abcdef","type":"TXT","name":"a.example.com","content":"x","ttl":2})")
              .find("cloudflare record.create: \"ttl\" must be 1") == 0);
    CHECK(call_error(*p, "record.update", R"({"zone_id":"0123456789abcdef0123456789abcdef","id":"nope","content":"x"})")
              .find("\"id\"") != std::string::npos);
    CHECK(call_error(*p, "record.delete", R"({"id":"0123456789abcdef0123456789abcdef"})") ==
          "cloudflare record.delete: \"zone_id\" is required (or \"zone\", the zone's name)");
}
