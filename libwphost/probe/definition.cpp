#include "probe/definition.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <set>

#include "engine/error.hpp"
#include "probe/condition.hpp"
#include "util/json.hpp"

namespace wph::probe {

namespace json = boost::json;

namespace {

class Fields {
public:
    Fields(const json::object &o, std::string where) : o_(o), where_(std::move(where)) {}

    const json::value *take(const char *key) {
        known_.insert(key);
        auto it = o_.find(key);
        return it == o_.end() || it->value().is_null() ? nullptr : &it->value();
    }
    [[noreturn]] void bad(const std::string &key, const std::string &why) const {
        raise(WPH_EINVALID, "probe", where_ + ": \"" + key + "\" " + why);
    }
    bool text(const char *key, std::string &out, std::size_t max = 4096, bool allow_newlines = false) {
        auto *v = take(key);
        if (!v) return false;
        if (!v->is_string()) bad(key, "must be a string");
        std::string s(v->as_string());
        if (s.size() > max) bad(key, "is longer than " + std::to_string(max) + " bytes");
        for (unsigned char c : s)
            if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
                bad(key, "contains a control character");
        out = std::move(s);
        return true;
    }
    bool duration(const char *key, std::int64_t &out_ms, std::int64_t lo, std::int64_t hi) {
        auto *v = take(key);
        if (!v) return false;
        std::optional<std::int64_t> ms;
        if (v->is_int64() || v->is_uint64()) ms = v->to_number<std::int64_t>();
        else if (v->is_string()) ms = parse_duration_ms(std::string(v->as_string()));
        if (!ms) bad(key, "must be a duration such as \"500ms\", \"10s\", \"5m\" or milliseconds");
        if (*ms < lo || *ms > hi)
            bad(key, "must be between " + std::to_string(lo) + " ms and " + std::to_string(hi) + " ms, got " + std::to_string(*ms) + " ms");
        out_ms = *ms;
        return true;
    }
    template <class T> bool integer(const char *key, T &out, std::int64_t lo, std::int64_t hi) {
        auto *v = take(key);
        if (!v) return false;
        if (!v->is_int64() && !v->is_uint64()) bad(key, "must be an integer");
        auto n = v->to_number<std::int64_t>();
        if (n < lo || n > hi) bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(n));
        out = static_cast<T>(n);
        return true;
    }
    bool boolean(const char *key, bool &out) {
        auto *v = take(key);
        if (!v) return false;
        if (!v->is_bool()) bad(key, "must be true or false");
        out = v->as_bool();
        return true;
    }
    template <class F> bool object(const char *key, F &&f) {
        auto *v = take(key);
        if (!v) return false;
        if (!v->is_object()) bad(key, "must be an object");
        Fields sub(v->as_object(), where_ + "." + key);
        f(sub);
        sub.finish();
        return true;
    }
    void finish() const {
        for (auto &kv : o_)
            if (!known_.count(std::string(kv.key()))) bad(std::string(kv.key()), "is not a known field");
    }
    const std::string &where() const { return where_; }

private:
    const json::object &o_;
    std::string where_;
    std::set<std::string> known_;
};

bool valid_host(const std::string &h) {
    if (h.empty() || h.size() > 253) return false;
    if (h.front() == '[' && h.back() == ']') {  // IPv6 literal
        for (std::size_t i = 1; i + 1 < h.size(); ++i)
            if (!std::isxdigit(static_cast<unsigned char>(h[i])) && h[i] != ':' && h[i] != '.') return false;
        return true;
    }
    for (unsigned char c : h)
        if (!std::isalnum(c) && c != '-' && c != '.' && c != '_') return false;
    return true;
}

// scheme://host[:port][/path...] → kind, host, port.
void parse_url(ProbeDef &p, Fields &f) {
    auto &u = p.url;
    auto sep = u.find("://");
    if (sep == std::string::npos) f.bad("url", "must start with http://, https://, tcp:// or dns://, got \"" + u + "\"");
    std::string scheme = u.substr(0, sep);
    for (auto &c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    int default_port;
    if (scheme == "http") { p.kind = Kind::http; default_port = 80; }
    else if (scheme == "https") { p.kind = Kind::http; default_port = 443; }
    else if (scheme == "tcp") { p.kind = Kind::tcp; default_port = 0; }
    else if (scheme == "dns") { p.kind = Kind::dns; default_port = 53; }
    else f.bad("url", "has an unsupported scheme \"" + scheme + "\" (http, https, tcp, dns)");
    for (unsigned char c : u)
        if (c <= 0x20 || c >= 0x7f) f.bad("url", "contains a space, control or non-ASCII character (percent-encode it)");
    std::string rest = u.substr(sep + 3);
    auto slash = rest.find_first_of("/?#");
    std::string authority = rest.substr(0, slash);
    if (authority.find('@') != std::string::npos) f.bad("url", "must not carry credentials; use a header");
    std::string host = authority;
    int port = default_port;
    auto colon = authority.rfind(':');
    if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
        host = authority.substr(0, colon);
        std::string ps = authority.substr(colon + 1);
        bool ok = !ps.empty() && ps.size() <= 5;
        for (unsigned char c : ps) ok = ok && std::isdigit(c);
        if (!ok || std::stoi(ps) < 1 || std::stoi(ps) > 65535) f.bad("url", "has an invalid port \"" + ps + "\"");
        port = std::stoi(ps);
    }
    if (!valid_host(host)) f.bad("url", "has an invalid host \"" + host + "\"");
    if (p.kind == Kind::tcp && port == 0) f.bad("url", "tcp:// needs a port (tcp://host:port)");
    if ((p.kind == Kind::tcp || p.kind == Kind::dns) && slash != std::string::npos && rest.substr(slash) != "/")
        f.bad("url", "a " + scheme + ":// target has no path");
    p.host = host;
    p.port = port;
}

ProbeDef parse_probe(const json::value &v, std::size_t index) {
    std::string where = "endpoints[" + std::to_string(index) + "]";
    if (!v.is_object()) raise(WPH_EINVALID, "probe", where + " must be an object");
    auto &o = v.as_object();
    if (auto it = o.find("name"); it != o.end() && it->value().is_string())
        where += " (\"" + std::string(it->value().as_string()).substr(0, 64) + "\")";
    Fields f(o, where);
    ProbeDef p;
    if (!f.text("name", p.name, 200) || p.name.empty()) f.bad("name", "is required");
    f.text("group", p.group, 200);
    if (!f.text("url", p.url, 4096)) f.bad("url", "is required");
    parse_url(p, f);
    if (f.text("method", p.method, 16)) {
        bool ok = !p.method.empty();
        for (unsigned char c : p.method) ok = ok && std::isupper(c);
        if (!ok) f.bad("method", "must be an HTTP method in capitals such as GET, HEAD or POST");
    }
    if (auto *h = f.take("headers")) {
        if (!h->is_object()) f.bad("headers", "must be an object of name: value");
        for (auto &kv : h->as_object()) {
            std::string name(kv.key());
            bool ok = !name.empty() && name.size() <= 256;
            for (unsigned char c : name) ok = ok && (std::isalnum(c) || std::string("-_!#$%&'*+.^`|~").find(static_cast<char>(c)) != std::string::npos);
            if (!ok) f.bad("headers", "has an invalid header name \"" + name + "\"");
            if (!kv.value().is_string()) f.bad("headers", "value of \"" + name + "\" must be a string");
            std::string val(kv.value().as_string());
            for (unsigned char c : val)
                if ((c < 0x20 && c != '\t') || c == 0x7f) f.bad("headers", "value of \"" + name + "\" contains a control character");
            p.headers.emplace_back(name, val);
        }
    }
    f.text("body", p.body, 1u << 20, true);
    std::int64_t interval = p.interval.count();
    f.duration("interval", interval, 1000, 7LL * 86400000);
    p.interval = std::chrono::milliseconds(interval);
    f.object("timeouts", [&](Fields &t) {
        t.duration("dns", p.timeouts.dns, 1, 600000);
        t.duration("connect", p.timeouts.connect, 1, 600000);
        t.duration("tls", p.timeouts.tls, 1, 600000);
        t.duration("first-byte", p.timeouts.first_byte, 1, 600000);
        t.duration("total", p.timeouts.total, 1, 600000);
    });
    for (auto [name, ms] : {std::pair{"dns", p.timeouts.dns}, {"connect", p.timeouts.connect}, {"tls", p.timeouts.tls},
                            {"first-byte", p.timeouts.first_byte}})
        if (ms > p.timeouts.total)
            f.bad("timeouts", std::string("\"") + name + "\" (" + std::to_string(ms) + " ms) is longer than \"total\" (" +
                                  std::to_string(p.timeouts.total) + " ms)");
    if (auto *c = f.take("conditions")) {
        if (!c->is_array()) f.bad("conditions", "must be an array of strings");
        for (auto &x : c->as_array()) {
            if (!x.is_string()) f.bad("conditions", "must be an array of strings");
            std::string text(x.as_string());
            try {
                validate_condition(text);
            } catch (const Error &e) {
                raise(WPH_EINVALID, "probe", where + ": " + e.message());
            }
            p.conditions.push_back(text);
        }
    }
    f.boolean("wordpress", p.wordpress);
    f.object("dns", [&](Fields &d) {
        if (d.text("query-name", p.dns.name, 253)) {
            if (!valid_host(p.dns.name)) d.bad("query-name", "is not a host name");
        }
        if (d.text("query-type", p.dns.type, 8)) {
            static const std::set<std::string> types{"A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "PTR", "SRV", "CAA"};
            if (!types.count(p.dns.type)) d.bad("query-type", "must be one of A, AAAA, CNAME, MX, NS, TXT, SOA, PTR, SRV, CAA");
        }
    });
    if (p.kind == Kind::dns && p.dns.name.empty()) f.bad("dns", "\"query-name\" is required for a dns:// endpoint");
    f.object("client", [&](Fields &c) {
        bool insecure = false;
        if (c.boolean("insecure", insecure)) p.tls.verify = !insecure;
        for (auto [key, out] : {std::pair<const char *, std::string *>{"ca-file", &p.tls.ca_file},
                                {"client-cert", &p.tls.client_cert},
                                {"client-key", &p.tls.client_key}})
            if (c.text(key, *out, 4096) && (out->empty() || (*out)[0] != '/')) c.bad(key, "must be an absolute path");
        if (c.text("server-name", p.tls.server_name, 253) && !valid_host(p.tls.server_name)) c.bad("server-name", "is not a host name");
        if (auto *r = c.take("resolve")) {
            if (!r->is_array()) c.bad("resolve", "must be an array of \"host:port:address\"");
            for (auto &x : r->as_array()) {
                if (!x.is_string()) c.bad("resolve", "must be an array of strings");
                std::string e(x.as_string());
                auto a = e.find(':'), b = a == std::string::npos ? a : e.find(':', a + 1);
                if (b == std::string::npos || !valid_host(e.substr(0, a)) || e.size() > 300)
                    c.bad("resolve", "entry \"" + e + "\" is not host:port:address");
                p.resolve.push_back(e);
            }
        }
        std::int64_t max_body = static_cast<std::int64_t>(p.max_body);
        if (c.integer("max-body", max_body, 0, 64LL << 20)) p.max_body = static_cast<std::size_t>(max_body);
        c.integer("max-redirects", p.max_redirects, 0, 50);
        c.boolean("follow-redirects", p.follow_redirects);
    });
    if (!p.tls.client_cert.empty() != !p.tls.client_key.empty())
        f.bad("client", "needs both \"client-cert\" and \"client-key\", or neither");
    f.object("alerts", [&](Fields &a) {
        a.integer("failure-threshold", p.failure_threshold, 1, 1000);
        a.integer("success-threshold", p.success_threshold, 1, 1000);
    });
    f.finish();
    if (p.kind != Kind::http && (!p.headers.empty() || !p.body.empty() || p.method != "GET"))
        f.bad("url", "method, headers and body apply to http(s):// endpoints only");
    if (p.conditions.empty() && !p.wordpress) {
        // Gatus's default: a plain answer is healthy.
        if (p.kind == Kind::http) p.conditions.push_back("[STATUS] < 400");
        else if (p.kind == Kind::tcp) p.conditions.push_back("[CONNECTED] == true");
        else p.conditions.push_back("[DNS_RCODE] == NOERROR");
    }
    if (p.wordpress)
        for (auto &c : wordpress_conditions()) p.conditions.push_back(c);
    return p;
}

}  // namespace

Definitions parse_definitions(const std::string &text) {
    auto v = util::parse_json(text, "probe definitions", "probe");
    Definitions d;
    const json::array *endpoints = nullptr;
    if (v.is_array()) {
        endpoints = &v.as_array();
    } else if (v.is_object()) {
        Fields top(v.as_object(), "probe definitions");
        auto *e = top.take("endpoints");
        if (!e || !e->is_array()) top.bad("endpoints", "must be an array of endpoints");
        endpoints = &e->as_array();
        top.object("alerting", [&](Fields &a) {
            if (auto *w = a.take("webhooks")) {
                if (!w->is_array()) a.bad("webhooks", "must be an array");
                std::size_t i = 0;
                for (auto &x : w->as_array()) {
                    if (!x.is_object()) a.bad("webhooks", "entries must be objects");
                    Fields wf(x.as_object(), a.where() + ".webhooks[" + std::to_string(i++) + "]");
                    Webhook hook;
                    if (!wf.text("url", hook.url, 4096)) wf.bad("url", "is required");
                    if (hook.url.rfind("https://", 0) != 0 && hook.url.rfind("http://", 0) != 0) wf.bad("url", "must be http:// or https://");
                    if (wf.text("secret-file", hook.secret_file, 4096) && hook.secret_file.front() != '/')
                        wf.bad("secret-file", "must be an absolute path");
                    wf.integer("retries", hook.retries, 0, 20);
                    wf.duration("timeout", hook.timeout_ms, 100, 600000);
                    wf.finish();
                    d.webhooks.push_back(std::move(hook));
                }
            }
        });
        top.finish();
    } else {
        raise(WPH_EINVALID, "probe", "probe definitions must be an array of endpoints or an object with \"endpoints\"");
    }
    std::set<std::string> names;
    d.probes.reserve(endpoints->size());
    for (std::size_t i = 0; i < endpoints->size(); ++i) {
        auto p = parse_probe((*endpoints)[i], i);
        if (!names.insert(p.name).second)
            raise(WPH_EINVALID, "probe", "endpoints[" + std::to_string(i) + "]: the name \"" + p.name + "\" is used twice");
        d.probes.push_back(std::move(p));
    }
    if (d.probes.size() > 100000) raise(WPH_EINVALID, "probe", "more than 100000 endpoints");
    return d;
}

json::object probe_to_json(const ProbeDef &p) {
    json::object headers;
    for (auto &[k, v] : p.headers) headers[k] = v;
    json::array conds, resolve;
    for (auto &c : p.conditions) conds.emplace_back(c);
    for (auto &r : p.resolve) resolve.emplace_back(r);
    json::object o{{"name", p.name}, {"group", p.group}, {"url", p.url}, {"interval", p.interval.count()},
                   {"timeouts", {{"dns", p.timeouts.dns}, {"connect", p.timeouts.connect}, {"tls", p.timeouts.tls},
                                 {"first-byte", p.timeouts.first_byte}, {"total", p.timeouts.total}}},
                   {"conditions", conds},
                   {"alerts", {{"failure-threshold", p.failure_threshold}, {"success-threshold", p.success_threshold}}}};
    if (p.kind == Kind::http) {
        o["method"] = p.method;
        o["headers"] = headers;
        if (!p.body.empty()) o["body"] = p.body;
        o["client"] = {{"insecure", !p.tls.verify}, {"ca-file", p.tls.ca_file}, {"server-name", p.tls.server_name},
                       {"resolve", resolve}, {"max-body", p.max_body}, {"max-redirects", p.max_redirects},
                       {"follow-redirects", p.follow_redirects}};
    }
    if (p.kind == Kind::dns) o["dns"] = {{"query-name", p.dns.name}, {"query-type", p.dns.type}};
    return o;
}

json::object definitions_to_json(const Definitions &d) {
    json::array e, w;
    for (auto &p : d.probes) e.push_back(probe_to_json(p));
    for (auto &h : d.webhooks)
        w.push_back(json::object{{"url", h.url}, {"secret-file", h.secret_file}, {"retries", h.retries}, {"timeout", h.timeout_ms}});
    return {{"endpoints", e}, {"alerting", {{"webhooks", w}}}};
}

}  // namespace wph::probe
