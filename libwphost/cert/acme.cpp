#include "cert/acme.hpp"

#include <boost/json/parse.hpp>

namespace wph::cert::acme {

namespace {

constexpr std::string_view kPrefix = "urn:ietf:params:acme:error:";

[[noreturn]] void malformed(std::string_view what, const std::string &why) {
    raise(WPH_EPROVIDER, "acme", "acme: " + std::string(what) + " from the CA is malformed: " + why);
}

const boost::json::object &obj(const boost::json::value &v, std::string_view what) {
    if (!v.is_object()) malformed(what, "not a JSON object");
    return v.as_object();
}

std::string str(const boost::json::object &o, const char *key, std::string_view what, bool required) {
    auto *v = o.if_contains(key);
    if (!v || v->is_null()) {
        if (required) malformed(what, std::string("\"") + key + "\" is missing");
        return {};
    }
    if (!v->is_string()) malformed(what, std::string("\"") + key + "\" is not a string");
    return std::string(v->as_string());
}

std::vector<std::string> strings(const boost::json::object &o, const char *key, std::string_view what) {
    std::vector<std::string> out;
    auto *v = o.if_contains(key);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) malformed(what, std::string("\"") + key + "\" is not an array");
    for (auto &e : v->as_array()) {
        if (!e.is_string()) malformed(what, std::string("\"") + key + "\" holds a non-string");
        out.emplace_back(e.as_string());
    }
    return out;
}

std::string identifier_value(const boost::json::value *v, std::string_view what) {
    if (!v || v->is_null()) return {};
    auto &o = obj(*v, what);
    return str(o, "value", what, true);
}

std::string describe(const Problem &p) {
    std::string s = p.detail.empty() ? p.short_type() : p.detail;
    for (auto &sp : p.subproblems) {
        s += "; ";
        if (!sp.identifier.empty()) s += sp.identifier + ": ";
        s += sp.detail.empty() ? sp.short_type() : sp.detail;
    }
    return s;
}

}  // namespace

std::string Problem::short_type() const {
    if (type.compare(0, kPrefix.size(), kPrefix) == 0) return type.substr(kPrefix.size());
    return type;
}

const Challenge *Authorization::find(std::string_view t) const {
    for (auto &c : challenges)
        if (c.type == t) return &c;
    return nullptr;
}

Directory parse_directory(const boost::json::value &v) {
    constexpr std::string_view w = "directory";
    auto &o = obj(v, w);
    Directory d;
    d.new_nonce = str(o, "newNonce", w, true);
    d.new_account = str(o, "newAccount", w, true);
    d.new_order = str(o, "newOrder", w, true);
    d.revoke_cert = str(o, "revokeCert", w, false);
    d.key_change = str(o, "keyChange", w, false);
    if (auto *m = o.if_contains("meta"); m && m->is_object()) {
        auto &mo = m->as_object();
        if (auto *t = mo.if_contains("termsOfService"); t && t->is_string()) d.terms_of_service = t->as_string();
        if (auto *e = mo.if_contains("externalAccountRequired"); e && e->is_bool()) d.eab_required = e->as_bool();
    }
    return d;
}

Problem parse_problem_value(const boost::json::value &v) {
    constexpr std::string_view w = "problem document";
    auto &o = obj(v, w);
    Problem p;
    p.type = str(o, "type", w, false);
    p.detail = str(o, "detail", w, false);
    if (auto *s = o.if_contains("status"); s && (s->is_int64() || s->is_uint64())) p.status = static_cast<long>(s->to_number<long long>());
    p.identifier = identifier_value(o.if_contains("identifier"), w);
    if (auto *sp = o.if_contains("subproblems"); sp && sp->is_array()) {
        for (auto &e : sp->as_array()) {
            if (p.subproblems.size() >= 100) break;
            p.subproblems.push_back(parse_problem_value(e));
        }
    }
    return p;
}

std::optional<Problem> parse_problem(std::string_view body) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    auto *t = v.as_object().if_contains("type");
    if (!t || !t->is_string()) return std::nullopt;
    try {
        return parse_problem_value(v);
    } catch (const Error &) {
        return std::nullopt;
    }
}

Authorization parse_authorization(const boost::json::value &v) {
    constexpr std::string_view w = "authorization";
    auto &o = obj(v, w);
    Authorization a;
    auto *id = o.if_contains("identifier");
    if (!id) malformed(w, "\"identifier\" is missing");
    a.identifier = identifier_value(id, w);
    a.status = str(o, "status", w, true);
    if (auto *wc = o.if_contains("wildcard"); wc && wc->is_bool()) a.wildcard = wc->as_bool();
    auto *cs = o.if_contains("challenges");
    if (!cs || !cs->is_array()) malformed(w, "\"challenges\" is missing");
    for (auto &cv : cs->as_array()) {
        constexpr std::string_view cw = "challenge";
        auto &co = obj(cv, cw);
        Challenge c;
        c.type = str(co, "type", cw, true);
        c.url = str(co, "url", cw, true);
        c.status = str(co, "status", cw, false);
        c.token = str(co, "token", cw, false);
        if (auto *e = co.if_contains("error"); e && e->is_object()) c.error = parse_problem_value(*e);
        a.challenges.push_back(std::move(c));
    }
    return a;
}

Order parse_order(const boost::json::value &v) {
    constexpr std::string_view w = "order";
    auto &o = obj(v, w);
    Order r;
    r.status = str(o, "status", w, true);
    if (auto *ids = o.if_contains("identifiers"); ids && ids->is_array())
        for (auto &i : ids->as_array()) r.identifiers.push_back(identifier_value(&i, w));
    r.authorizations = strings(o, "authorizations", w);
    r.finalize = str(o, "finalize", w, true);
    r.certificate = str(o, "certificate", w, false);
    if (auto *e = o.if_contains("error"); e && e->is_object()) r.error = parse_problem_value(*e);
    return r;
}

Error problem_error(const Problem &p, long http_status, std::string_view what, std::optional<long long> retry_after_s) {
    std::string t = p.short_type();
    int status = static_cast<int>(http_status ? http_status : p.status);
    if (t == "rateLimited") {
        std::string msg = "acme: rate limited by the CA: " + describe(p);
        if (retry_after_s) msg += " (retry after " + std::to_string(*retry_after_s) + " s)";
        else msg += " (retry later)";
        return Error(WPH_EPROVIDER, "acme", msg, status);
    }
    int code = WPH_EPROVIDER;
    if (t == "unauthorized" || t == "externalAccountRequired" || t == "userActionRequired") code = WPH_EAUTH;
    else if (t == "accountDoesNotExist") code = WPH_ENOTFOUND;
    else if (t == "malformed" || t == "rejectedIdentifier" || t == "unsupportedIdentifier" || t == "badCSR" ||
             t == "invalidContact" || t == "unsupportedContact" || t == "badRevocationReason" ||
             t == "badSignatureAlgorithm" || t == "caa")
        code = WPH_EINVALID;
    else if (t == "alreadyRevoked") code = WPH_ECONFLICT;
    return Error(code, "acme", "acme: " + std::string(what) + " refused by the CA (" + t + "): " + describe(p), status);
}

Error challenge_error(const std::string &name, const std::string &challenge_type, const std::optional<Problem> &p,
                      long http_status) {
    std::string detail = p ? describe(*p) : std::string("no reason given");
    int code = WPH_EPROVIDER;
    if (p && p->short_type() == "unauthorized") code = WPH_EAUTH;
    std::string msg = "acme: the CA could not verify " + challenge_type + " for " + name + ": " + detail;
    if (p && !p->type.empty()) msg += " (" + p->short_type() + ")";
    return Error(code, "acme", msg, static_cast<int>(http_status ? http_status : (p ? p->status : 0)));
}

std::string name_problem(std::string_view name) {
    if (name.empty()) return "is empty";
    if (name.size() > 253) return "is longer than 253 characters";
    std::string_view rest = name;
    if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
    if (rest.find('*') != std::string_view::npos) return "may hold '*' only as its whole first label (\"*.example.com\")";
    if (rest.empty()) return "has no labels after \"*.\"";
    if (rest.back() == '.') return "must not end with a dot";
    int labels = 0;
    bool all_numeric = true;
    std::size_t start = 0;
    while (start <= rest.size()) {
        auto dot = rest.find('.', start);
        if (dot == std::string_view::npos) dot = rest.size();
        auto label = rest.substr(start, dot - start);
        if (label.empty()) return "has an empty label";
        if (label.size() > 63) return "has a label longer than 63 characters";
        if (label.front() == '-' || label.back() == '-') return "has a label starting or ending with '-'";
        bool numeric = true;
        for (char c : label) {
            if (c >= 'A' && c <= 'Z') return "must be lower-case";
            bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) return std::string("holds the character '") + (static_cast<unsigned char>(c) < 0x20 ? '?' : c) +
                            "' (only letters, digits, '-' and '.'; IDNs in their xn-- form)";
            if (c < '0' || c > '9') numeric = false;
        }
        all_numeric = all_numeric && numeric;
        ++labels;
        start = dot + 1;
        if (dot == rest.size()) break;
    }
    if (labels < 2) return "must have at least two labels (\"example.com\")";
    if (all_numeric) return "looks like an IP address (certificates here are for DNS names)";
    return {};
}

}  // namespace wph::cert::acme
