// Cloudflare DNS API client and its operations behind Provider.
#include "provider/cloudflare.hpp"
#include "provider/common.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <functional>
#include <initializer_list>
#include <utility>

#include "engine/error.hpp"
#include "provider/provider.hpp"

namespace json = boost::json;

namespace wph::provider::cloudflare {

namespace {

constexpr const char *kProvider = "cloudflare";

[[noreturn]] void invalid(std::string msg) { raise(WPH_EINVALID, kProvider, "cloudflare: " + std::move(msg)); }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

constexpr std::string_view kTypes[] = {"A",    "AAAA",  "CAA",  "CERT",   "CNAME", "DNSKEY", "DS",
                                       "HTTPS", "LOC",  "MX",   "NAPTR",  "NS",    "OPENPGPKEY", "PTR",
                                       "SMIMEA", "SRV", "SSHFP", "SVCB",  "TLSA",  "TXT",    "URI"};

// A host name for CNAME/NS/PTR/MX content (no '*', no "@").
bool host_name_ok(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty() || s.size() > 253) return false;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t dot = s.find('.', start);
        std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63) return false;
        for (char c : label)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

}  // namespace

// ---- pure helpers ----

std::string check_type(std::string_view type) {
    std::string up(type);
    for (char &c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::find(std::begin(kTypes), std::end(kTypes), up) == std::end(kTypes))
        invalid("\"type\" \"" + std::string(type) +
                "\" is not a DNS record type Cloudflare manages (A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT, ...)");
    return up;
}

std::string check_name(std::string_view name, std::string_view field) {
    std::string f(field);
    if (name == "@") return "@";
    std::string_view s = name;
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty()) invalid("\"" + f + "\" must not be empty");
    if (s.size() > 253) invalid("\"" + f + "\" is longer than 253 characters");
    std::size_t start = 0;
    bool first = true;
    while (true) {
        std::size_t dot = s.find('.', start);
        std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty()) invalid("\"" + f + "\" \"" + std::string(name) + "\" has an empty label");
        if (label.size() > 63)
            invalid("\"" + f + "\" \"" + std::string(name) + "\" has a label longer than 63 characters");
        if (label == "*") {
            if (!first) invalid("\"" + f + "\" \"" + std::string(name) + "\": '*' may only be the first label");
        } else {
            for (char c : label) {
                auto u = static_cast<unsigned char>(c);
                if (u >= 0x80) invalid("\"" + f + "\" \"" + std::string(name) + "\" must be in Punycode (xn--...)");
                if (!std::isalnum(u) && c != '-' && c != '_')
                    invalid("\"" + f + "\" \"" + std::string(name) + "\" holds '" + std::string(1, c) +
                            "' (letters, digits, '-' and '_' only)");
            }
        }
        first = false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return std::string(s);
}

void check_content(std::string_view type, std::string_view content) {
    std::string c(content);
    if (content.empty()) invalid("\"content\" must not be empty");
    if (type == "A") {
        in_addr a{};
        if (inet_pton(AF_INET, c.c_str(), &a) != 1) invalid("\"content\" \"" + c + "\" is not an IPv4 address (type A)");
    } else if (type == "AAAA") {
        in6_addr a{};
        if (inet_pton(AF_INET6, c.c_str(), &a) != 1)
            invalid("\"content\" \"" + c + "\" is not an IPv6 address (type AAAA)");
    } else if (type == "CNAME" || type == "NS" || type == "PTR" || type == "MX") {
        if (!host_name_ok(content)) invalid("\"content\" \"" + c + "\" is not a host name (type " + std::string(type) + ")");
    } else if (type == "TXT") {
        if (content.size() > 2048) invalid("\"content\" is longer than 2048 characters (type TXT)");
    }
}

void check_ttl(long long ttl) {
    if (ttl != 1 && (ttl < 30 || ttl > 86400))
        invalid("\"ttl\" must be 1 (automatic) or between 30 and 86400 seconds (not " + std::to_string(ttl) + ")");
}

void check_id(std::string_view id, std::string_view field) {
    bool ok = id.size() == 32 &&
              std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!ok) invalid("\"" + std::string(field) + "\" \"" + std::string(id) + "\" is not a Cloudflare id (32 hex digits)");
}

json::object record_body(const RecordFields &f, bool create) {
    json::object body;
    std::string type;
    if (f.type) type = check_type(*f.type);
    else if (create) invalid("\"type\" is required");
    if (f.name) body["name"] = check_name(*f.name);
    else if (create) invalid("\"name\" is required");
    if (f.content) {
        check_content(type, *f.content);
        body["content"] = *f.content;
    } else if (create) {
        invalid("\"content\" is required");
    }
    if (!type.empty()) body["type"] = type;
    if (f.ttl) check_ttl(*f.ttl);
    if (f.ttl || create) body["ttl"] = f.ttl.value_or(1);
    if (f.proxied) {
        if (!type.empty() && *f.proxied && type != "A" && type != "AAAA" && type != "CNAME")
            invalid("\"proxied\" is only possible for A, AAAA and CNAME records (not " + type + ")");
        body["proxied"] = *f.proxied;
    }
    if (f.comment) body["comment"] = *f.comment;
    if (!create && body.empty()) invalid("nothing to change: give \"type\", \"name\", \"content\", \"ttl\", \"proxied\" or \"comment\"");
    return body;
}

std::vector<std::string> zone_candidates(std::string_view name) {
    std::string n = lower(name);
    while (!n.empty() && n.back() == '.') n.pop_back();
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (true) {
        std::string_view rest = std::string_view(n).substr(pos);
        if (rest.empty() || rest.find('.') == std::string_view::npos) break;  // a single label is never a zone
        out.emplace_back(rest);
        pos = n.find('.', pos) + 1;
    }
    return out;
}

std::string error_message(const json::value *body) {
    auto *o = as_obj(body);
    if (!o) return {};
    auto it = o->find("errors");
    if (it == o->end() || !it->value().is_array()) return str_field(*o, "message");
    auto one = [](const json::object &e) {
        std::string s;
        if (auto c = e.find("code"); c != e.end() && (c->value().is_int64() || c->value().is_string()))
            s = c->value().is_int64() ? std::to_string(c->value().get_int64()) : std::string(c->value().get_string());
        std::string m = str_field(e, "message");
        if (!m.empty()) s += (s.empty() ? "" : " ") + m;
        return s;
    };
    std::string out;
    for (const auto &e : it->value().get_array()) {
        if (!e.is_object()) continue;
        std::string s = one(e.get_object());
        if (auto ch = e.get_object().find("error_chain"); ch != e.get_object().end() && ch->value().is_array()) {
            std::string chain;
            for (const auto &c : ch->value().get_array())
                if (c.is_object()) chain += (chain.empty() ? "" : "; ") + one(c.get_object());
            if (!chain.empty()) s += " (" + chain + ")";
        }
        if (!s.empty()) out += (out.empty() ? "" : "; ") + s;
    }
    return out;
}

void check_envelope(const json::value &doc, std::string_view what, long status) {
    auto *o = as_obj(&doc);
    auto fail = [&](const std::string &why) {
        throw Error(WPH_EPROVIDER, kProvider, "cloudflare: " + std::string(what) + ": " + std::to_string(status) + ": " + why,
                    static_cast<int>(status));
    };
    if (!o) fail("the answer is not a Cloudflare envelope (not a JSON object)");
    auto s = o->find("success");
    if (s == o->end() || !s->value().is_bool()) fail("the answer has no \"success\" field");
    if (!s->value().get_bool()) {
        std::string m = error_message(&doc);
        fail("success is false" + (m.empty() ? std::string() : ": " + m));
    }
    if (!o->contains("result")) fail("the answer has no \"result\"");
}

// ---- client ----

Client::Client(http::ClientOptions options) : http_(std::move(options)) {}

Client Client::from_json(const json::object &config) {
    auto opts = http::client_options_from_json(config, kProvider, std::string(default_endpoint));
    std::string token = http::secret_from_json(config, "token", kProvider);
    opts.secrets.push_back(token);
    opts.default_headers.emplace_back("Authorization", "Bearer " + token);
    opts.error_message = [](const http::Response &, const json::value *body) { return error_message(body); };
    return Client(std::move(opts));
}

json::object Client::checked(const http::Response &r) const {
    json::value doc = r.json();
    check_envelope(doc, r.what, r.status);
    return json::object{{"result", doc.as_object().at("result")}};
}

json::object Client::list_all(const std::string &path, std::vector<std::pair<std::string, std::string>> query,
                              int per_page, const CancelToken *cancel) const {
    auto url_for = [&](long long page) {
        auto q = query;
        q.emplace_back("page", std::to_string(page));
        q.emplace_back("per_page", std::to_string(per_page));
        return path + "?" + http::query_string(q);
    };
    json::array all;
    http::paginate(
        http_, url_for(1),
        [&](const json::value &) {},
        [&](const http::Response &r, const json::value &page) -> std::optional<std::string> {
            check_envelope(page, r.what, r.status);
            const auto &o = page.as_object();
            const json::value &res = o.at("result");
            if (!res.is_array()) check_envelope(json::object{{"success", false}}, r.what, r.status);
            for (const auto &v : res.get_array()) all.push_back(v);
            auto ri = o.find("result_info");
            if (ri == o.end() || !ri->value().is_object()) return std::nullopt;
            const auto &info = ri->value().get_object();
            auto pg = info.find("page");
            auto tp = info.find("total_pages");
            if (pg == info.end() || tp == info.end() || !pg->value().is_int64() || !tp->value().is_int64())
                return std::nullopt;
            if (pg->value().get_int64() >= tp->value().get_int64()) return std::nullopt;
            return url_for(pg->value().get_int64() + 1);
        },
        cancel);
    return json::object{{"result", std::move(all)}};
}

json::object Client::list_zones(std::string_view name, const CancelToken *cancel) const {
    std::vector<std::pair<std::string, std::string>> q;
    if (!name.empty()) q.emplace_back("name", lower(check_name(name)));
    return list_all("/zones", std::move(q), 50, cancel);
}

json::object Client::find_zone(std::string_view name, const CancelToken *cancel) const {
    std::string n = check_name(name);
    for (const std::string &candidate : zone_candidates(n)) {
        json::value doc = http_.get("/zones?" + http::query_string({{"name", candidate}}), cancel).json();
        check_envelope(doc, "GET /zones", 200);
        const json::value &res = doc.as_object().at("result");
        if (!res.is_array()) continue;
        for (const auto &z : res.get_array())
            if (z.is_object() && lower(str_field(z.get_object(), "name")) == candidate)
                return json::object{{"result", z}};
    }
    throw Error(WPH_ENOTFOUND, kProvider, "cloudflare: no zone of this account holds \"" + std::string(name) + "\"");
}

std::string Client::zone_id(std::string_view zone, const CancelToken *cancel) const {
    std::string z = lower(check_name(zone, "zone"));
    json::value doc = http_.get("/zones?" + http::query_string({{"name", z}}), cancel).json();
    check_envelope(doc, "GET /zones", 200);
    const json::value &res = doc.as_object().at("result");
    if (res.is_array())
        for (const auto &v : res.get_array())
            if (v.is_object() && lower(str_field(v.get_object(), "name")) == z) {
                std::string id = str_field(v.get_object(), "id");
                if (!id.empty()) return id;
            }
    throw Error(WPH_ENOTFOUND, kProvider, "cloudflare: no zone named \"" + std::string(zone) + "\" in this account");
}

json::object Client::list_records(std::string_view zid, std::string_view type, std::string_view name,
                                  std::string_view content, const CancelToken *cancel) const {
    check_id(zid, "zone_id");
    std::vector<std::pair<std::string, std::string>> q;
    if (!type.empty()) q.emplace_back("type", check_type(type));
    if (!name.empty()) q.emplace_back("name", check_name(name));
    if (!content.empty()) q.emplace_back("content", std::string(content));
    return list_all("/zones/" + std::string(zid) + "/dns_records", std::move(q), 100, cancel);
}

json::object Client::create_record(std::string_view zid, const RecordFields &f, const CancelToken *cancel) const {
    check_id(zid, "zone_id");
    json::object body = record_body(f, true);
    return checked(http_.post_json("/zones/" + std::string(zid) + "/dns_records", body, cancel));
}

json::object Client::update_record(std::string_view zid, std::string_view id, const RecordFields &f,
                                   const CancelToken *cancel) const {
    check_id(zid, "zone_id");
    check_id(id, "id");
    json::object body = record_body(f, false);
    return checked(http_.patch_json("/zones/" + std::string(zid) + "/dns_records/" + std::string(id), body, cancel));
}

json::object Client::delete_record(std::string_view zid, std::string_view id, const CancelToken *cancel) const {
    check_id(zid, "zone_id");
    check_id(id, "id");
    return checked(http_.del("/zones/" + std::string(zid) + "/dns_records/" + std::string(id), cancel));
}

// ---- operations by name ----

namespace {

void only(const Params &p, std::initializer_list<std::string_view> fields) {
    for (const auto &kv : p.obj)
        if (std::find(fields.begin(), fields.end(), std::string_view(kv.key())) == fields.end())
            p.invalid(kv.key(), "is not a parameter of this operation");
}

// Runs a pure check and re-throws its failure in the operation's words.
template <class F>
auto checked_param(const Params &p, std::string_view field, F f) {
    try {
        return f();
    } catch (const Error &e) {
        if (e.code() != WPH_EINVALID) throw;
        std::string m = e.message();
        std::string prefix = "cloudflare: \"" + std::string(field) + "\" ";
        if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
        else if (m.rfind("cloudflare: ", 0) == 0) m = m.substr(12);
        p.invalid(field, m);
    }
}

RecordFields fields_of(const Params &p, bool create) {
    RecordFields f;
    if (create || p.get("type")) f.type = checked_param(p, "type", [&] { return check_type(p.str("type")); });
    if (create || p.get("name")) f.name = checked_param(p, "name", [&] { return check_name(p.str("name")); });
    if (create || p.get("content")) {
        std::string c = p.str("content");
        if (f.type) checked_param(p, "content", [&] { check_content(*f.type, c); return 0; });
        f.content = c;
    }
    if (p.get("ttl")) {
        long long ttl = p.integer("ttl");
        checked_param(p, "ttl", [&] { check_ttl(ttl); return 0; });
        f.ttl = ttl;
    }
    if (p.get("proxied")) f.proxied = p.boolean_or("proxied", false);
    if (p.get("comment")) f.comment = p.str_or("comment", "");
    return f;
}

class CloudflareProvider final : public OperationTable {
public:
    explicit CloudflareProvider(Client c) : OperationTable(kProvider), c_(std::move(c)) {
        using P = const Params &;
        using C = const CancelToken *;
        add("zone.list", [this](P p, C cancel) -> json::value {
            only(p, {"name"});
            std::string name = p.str_or("name", "");
            if (!name.empty()) checked_param(p, "name", [&] { return check_name(name); });
            return c_.list_zones(name, cancel);
        });
        add("zone.find", [this](P p, C cancel) -> json::value {
            only(p, {"name"});
            std::string name = p.str("name");
            checked_param(p, "name", [&] { return check_name(name); });
            return c_.find_zone(name, cancel);
        });
        add("record.list", [this](P p, C cancel) -> json::value {
            only(p, {"zone_id", "zone", "type", "name", "content"});
            std::string zid = zone_of(p, cancel);
            std::string type = p.str_or("type", ""), name = p.str_or("name", "");
            if (!type.empty()) checked_param(p, "type", [&] { return check_type(type); });
            if (!name.empty()) checked_param(p, "name", [&] { return check_name(name); });
            return c_.list_records(zid, type, name, p.str_or("content", ""), cancel);
        });
        add("record.create", [this](P p, C cancel) -> json::value {
            only(p, {"zone_id", "zone", "type", "name", "content", "ttl", "proxied", "comment"});
            RecordFields f = fields_of(p, true);
            checked_param(p, "proxied", [&] { return record_body(f, true); });
            return c_.create_record(zone_of(p, cancel), f, cancel);
        });
        add("record.update", [this](P p, C cancel) -> json::value {
            only(p, {"zone_id", "zone", "id", "type", "name", "content", "ttl", "proxied", "comment"});
            std::string id = p.str("id");
            checked_param(p, "id", [&] { check_id(id, "id"); return 0; });
            RecordFields f = fields_of(p, false);
            checked_param(p, "proxied", [&] { return record_body(f, false); });
            return c_.update_record(zone_of(p, cancel), id, f, cancel);
        });
        add("record.delete", [this](P p, C cancel) -> json::value {
            only(p, {"zone_id", "zone", "id"});
            std::string id = p.str("id");
            checked_param(p, "id", [&] { check_id(id, "id"); return 0; });
            return c_.delete_record(zone_of(p, cancel), id, cancel);
        });
    }

private:
    // "zone_id", or the id of the zone named "zone" (one of the two).
    std::string zone_of(const Params &p, const CancelToken *cancel) const {
        const json::value *id = p.get("zone_id");
        const json::value *zone = p.get("zone");
        if (id && zone) p.invalid("zone", "cannot be given with \"zone_id\"");
        if (id) {
            std::string zid = p.str("zone_id");
            checked_param(p, "zone_id", [&] { check_id(zid, "zone_id"); return 0; });
            return zid;
        }
        if (!zone) p.invalid("zone_id", "is required (or \"zone\", the zone's name)");
        std::string z = p.str("zone");
        checked_param(p, "zone", [&] { return check_name(z, "zone"); });
        return c_.zone_id(z, cancel);
    }


    Client c_;
};

}  // namespace

}  // namespace wph::provider::cloudflare

namespace wph::provider {
std::unique_ptr<Provider> open_cloudflare(const boost::json::object &config) {
    return std::make_unique<cloudflare::CloudflareProvider>(cloudflare::Client::from_json(config));
}
}  // namespace wph::provider
