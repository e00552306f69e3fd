// Certificates at the engine level: settings, accounts, issuance with
// HTTP-01 / DNS-01, records and files, renewal with events, revocation.
#include "cert/cert.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "cert/acme.hpp"
#include "cert/client.hpp"
#include "cert/crypto.hpp"
#include "cert/dns.hpp"
#include "engine/engine.hpp"
#include "engine/error.hpp"
#include "engine/job.hpp"
#include "http/client.hpp"
#include "provider/provider.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"

namespace wph::cert {

namespace json = boost::json;

namespace {

constexpr const char *kCat = "cert";
constexpr const char *kDefaultDirectory = "https://acme-v02.api.letsencrypt.org/directory";
constexpr std::int64_t kDayMs = 86400000;

std::mutex g_hook_mu;
SiteHook g_hook;
std::mutex g_account_mu;  // one account set-up at a time (key file + record)

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

[[noreturn]] void invalid(const std::string &msg) { raise(WPH_EINVALID, kCat, msg); }

// ---- settings -------------------------------------------------------------

struct Settings {
    std::string directory = kDefaultDirectory;
    std::string email;
    json::object eab;  // {kid, hmac_key | hmac_key_file | hmac_key_env}
    std::string ca_bundle;
    json::object dns;  // {provider, resolvers, propagation_timeout_s, ttl}

    std::string contact() const { return email.empty() ? std::string() : "mailto:" + email; }
};

const json::object &as_obj(const json::value &v, const std::string &field) {
    if (!v.is_object()) invalid("\"" + field + "\" must be an object");
    return v.as_object();
}

std::string as_str(const json::value &v, const std::string &field) {
    if (!v.is_string()) invalid("\"" + field + "\" must be a string");
    std::string s(v.as_string());
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) invalid("\"" + field + "\" contains a control character");
    return s;
}

long long as_int(const json::value &v, const std::string &field, long long lo, long long hi) {
    if (!v.is_int64() && !v.is_uint64()) invalid("\"" + field + "\" must be an integer");
    long long n = v.to_number<long long>();
    if (n < lo || n > hi)
        invalid("\"" + field + "\" must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(n));
    return n;
}

void check_dns(const json::object &d, const std::string &where) {
    for (auto &kv : d) {
        std::string k(kv.key()), f = where + "." + k;
        if (k == "provider") {
            auto &p = as_obj(kv.value(), f);
            if (!p.if_contains("kind") || !p.at("kind").is_string()) invalid("\"" + f + ".kind\" must name the DNS provider (e.g. \"cloudflare\")");
        } else if (k == "resolvers") {
            if (!kv.value().is_array()) invalid("\"" + f + "\" must be an array of \"host:port\" strings");
            for (auto &r : kv.value().as_array()) {
                auto s = as_str(r, f);
                if (s.empty() || s.find(',') != std::string::npos || s.find(' ') != std::string::npos)
                    invalid("\"" + f + "\" holds a bad resolver \"" + s + "\" (host:port)");
            }
        } else if (k == "propagation_timeout_s") {
            as_int(kv.value(), f, 1, 3600);
        } else if (k == "ttl") {
            as_int(kv.value(), f, 1, 86400);
        } else if (k == "zone") {
            as_str(kv.value(), f);
        } else {
            invalid("unknown key \"" + f + "\"");
        }
    }
}

void check_acme(const json::object &a, const std::string &where) {
    for (auto &kv : a) {
        std::string k(kv.key()), f = where + "." + k;
        if (k == "directory") {
            auto s = as_str(kv.value(), f);
            if (s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0) invalid("\"" + f + "\" must be an https:// URL, got \"" + s + "\"");
        } else if (k == "email") {
            auto s = as_str(kv.value(), f);
            if (!s.empty() && (s.find('@') == std::string::npos || s.find(' ') != std::string::npos || s.find(',') != std::string::npos))
                invalid("\"" + f + "\" must be an e-mail address, got \"" + s + "\"");
        } else if (k == "ca_bundle") {
            auto s = as_str(kv.value(), f);
            if (!s.empty() && s[0] != '/') invalid("\"" + f + "\" must be an absolute path");
        } else if (k == "eab") {
            auto &e = as_obj(kv.value(), f);
            for (auto &ekv : e) {
                std::string ek(ekv.key());
                if (ek != "kid" && ek != "hmac_key" && ek != "hmac_key_file" && ek != "hmac_key_env")
                    invalid("unknown key \"" + f + "." + ek + "\"");
                as_str(ekv.value(), f + "." + ek);
            }
            if (!e.if_contains("kid")) invalid("\"" + f + ".kid\" is required");
        } else if (k == "dns") {
            check_dns(as_obj(kv.value(), f), f);
        } else {
            invalid("unknown key \"" + f + "\"");
        }
    }
}

// Object `over` merged into `base`, objects one level deep.
json::object merge(json::object base, const json::object &over) {
    for (auto &kv : over) {
        auto *b = base.if_contains(kv.key());
        if (b && b->is_object() && kv.value().is_object()) {
            for (auto &ikv : kv.value().as_object()) b->as_object()[ikv.key()] = ikv.value();
        } else {
            base[kv.key()] = kv.value();
        }
    }
    return base;
}

Settings settings_from(const Engine &e, const json::object *over) {
    json::object prof = util::parse_json_object(e.profile().acme_json, "host profile \"acme\"", kCat);
    check_acme(prof, "acme");
    if (over) check_acme(*over, "acme");
    json::object m = over ? merge(prof, *over) : prof;
    Settings s;
    if (auto *v = m.if_contains("directory")) s.directory = std::string(v->as_string());
    if (auto *v = m.if_contains("email")) s.email = std::string(v->as_string());
    if (auto *v = m.if_contains("ca_bundle")) s.ca_bundle = std::string(v->as_string());
    if (auto *v = m.if_contains("eab")) s.eab = v->as_object();
    if (auto *v = m.if_contains("dns")) s.dns = v->as_object();
    return s;
}

// ---- request --------------------------------------------------------------

std::vector<std::string> request_names(const json::object &r) {
    std::vector<std::string> out;
    for (auto &n : r.at("names").as_array()) out.emplace_back(n.as_string());
    return out;
}

std::string str_or(const json::object &o, const char *k, std::string d = {}) {
    auto *v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : d;
}

long long int_or(const json::object &o, const char *k, long long d) {
    auto *v = o.if_contains(k);
    return v && (v->is_int64() || v->is_uint64()) ? v->to_number<long long>() : d;
}

// Secrets given inline are not kept in the stored request: renewals take
// them from the host profile (or from the *_file / *_env references).
bool secret_key(const std::string &k) {
    bool ref = k.ends_with("_file") || k.ends_with("_env");
    return !ref && (k.find("token") != std::string::npos || k.find("secret") != std::string::npos ||
                    k.find("password") != std::string::npos || k.find("key") != std::string::npos);
}

void scrub(json::value &v) {
    if (v.is_object()) {
        auto &o = v.as_object();
        std::vector<std::string> drop;
        for (auto &kv : o) {
            std::string k(kv.key());
            if (secret_key(k) && k != "key_type" && kv.value().is_string()) drop.push_back(k);
            else scrub(kv.value());
        }
        for (auto &k : drop) o.erase(k);
    } else if (v.is_array()) {
        for (auto &e : v.as_array()) scrub(e);
    }
}

std::string cert_dir_name(const std::string &name) {
    std::string d = name;
    for (auto &c : d)
        if (c == '*') c = '_';
    return d;
}

// ---- records --------------------------------------------------------------

struct Record {
    std::string name, names, site, directory, challenge, request, key_path, cert_path, cert_url, serial, status,
        last_error;
    std::int64_t not_before_ms = 0, not_after_ms = 0, issued_ms = 0, last_attempt_ms = 0, failures = 0;
    bool has_site = false;
};

std::optional<Record> load_record(Engine &e, const std::string &name) {
    std::optional<Record> out;
    e.store().with_db("reading a certificate", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT name, names, site, directory, challenge, request, key_path, cert_path, cert_url, "
                                "serial, not_before_ms, not_after_ms, status, issued_ms, last_attempt_ms, last_error, failures "
                                "FROM certificates WHERE name = ?");
        q.bind(1, name);
        if (!q.executeStep()) return;
        Record r;
        auto s = [&](int i) { return q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString(); };
        auto n = [&](int i) { return q.getColumn(i).isNull() ? std::int64_t(0) : q.getColumn(i).getInt64(); };
        r.name = s(0);
        r.names = s(1);
        r.has_site = !q.getColumn(2).isNull();
        r.site = s(2);
        r.directory = s(3);
        r.challenge = s(4);
        r.request = s(5);
        r.key_path = s(6);
        r.cert_path = s(7);
        r.cert_url = s(8);
        r.serial = s(9);
        r.not_before_ms = n(10);
        r.not_after_ms = n(11);
        r.status = s(12);
        r.issued_ms = n(13);
        r.last_attempt_ms = n(14);
        r.last_error = s(15);
        r.failures = n(16);
        out = std::move(r);
    });
    return out;
}

std::vector<std::string> record_names(Engine &e) {
    std::vector<std::string> out;
    e.store().with_db("listing certificates", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT name FROM certificates ORDER BY name");
        while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    });
    return out;
}

json::object record_json(const Record &r) {
    json::object o;
    o["name"] = r.name;
    o["names"] = util::parse_json(r.names, "certificate names", kCat);
    o["site"] = r.has_site ? json::value(r.site) : json::value(nullptr);
    o["challenge"] = r.challenge;
    o["directory"] = r.directory;
    std::string status = r.status;
    std::int64_t now = now_ms();
    if (status != "revoked" && r.not_after_ms && r.not_after_ms <= now) status = "expired";
    o["status"] = status;
    o["not_before"] = r.not_before_ms ? json::value(rfc3339(r.not_before_ms)) : json::value(nullptr);
    o["not_after"] = r.not_after_ms ? json::value(rfc3339(r.not_after_ms)) : json::value(nullptr);
    o["not_after_ms"] = r.not_after_ms;
    o["days_left"] = r.not_after_ms ? (r.not_after_ms - now) / kDayMs : 0;
    o["serial"] = r.serial;
    o["key_path"] = r.key_path;
    o["cert_path"] = r.cert_path;
    auto dir = r.key_path.substr(0, r.key_path.rfind('/'));
    o["files"] = {{"privkey", r.key_path}, {"fullchain", r.cert_path}, {"cert", dir + "/cert.pem"}, {"chain", dir + "/chain.pem"}};
    o["cert_url"] = r.cert_url;
    o["issued"] = r.issued_ms ? json::value(rfc3339(r.issued_ms)) : json::value(nullptr);
    o["last_attempt"] = r.last_attempt_ms ? json::value(rfc3339(r.last_attempt_ms)) : json::value(nullptr);
    o["last_error"] = r.last_error.empty() ? json::value(nullptr) : json::value(r.last_error);
    o["failures"] = r.failures;
    auto req = util::parse_json_object(r.request, "stored certificate request", kCat);
    o["renew_days"] = int_or(req, "renew_days", 30);
    o["request"] = std::move(req);
    return o;
}

void save_record(Engine &e, const Record &r) {
    e.store().with_db("recording a certificate", [&](SQLite::Database &db) {
        SQLite::Statement q(db,
                            "INSERT INTO certificates (name, names, site, directory, challenge, request, key_path, cert_path, "
                            "cert_url, serial, not_before_ms, not_after_ms, status, issued_ms, last_attempt_ms, last_error, failures) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT(name) DO UPDATE SET names = excluded.names, site = excluded.site, "
                            "directory = excluded.directory, challenge = excluded.challenge, request = excluded.request, "
                            "key_path = excluded.key_path, cert_path = excluded.cert_path, cert_url = excluded.cert_url, "
                            "serial = excluded.serial, not_before_ms = excluded.not_before_ms, not_after_ms = excluded.not_after_ms, "
                            "status = excluded.status, issued_ms = excluded.issued_ms, last_attempt_ms = excluded.last_attempt_ms, "
                            "last_error = excluded.last_error, failures = excluded.failures");
        int i = 1;
        q.bind(i++, r.name);
        q.bind(i++, r.names);
        if (r.has_site) q.bind(i++, r.site);
        else q.bind(i++);
        q.bind(i++, r.directory);
        q.bind(i++, r.challenge);
        q.bind(i++, r.request);
        q.bind(i++, r.key_path);
        q.bind(i++, r.cert_path);
        q.bind(i++, r.cert_url);
        q.bind(i++, r.serial);
        q.bind(i++, static_cast<std::int64_t>(r.not_before_ms));
        q.bind(i++, static_cast<std::int64_t>(r.not_after_ms));
        q.bind(i++, r.status);
        q.bind(i++, static_cast<std::int64_t>(r.issued_ms));
        q.bind(i++, static_cast<std::int64_t>(r.last_attempt_ms));
        if (r.last_error.empty()) q.bind(i++);
        else q.bind(i++, r.last_error);
        q.bind(i++, static_cast<std::int64_t>(r.failures));
        q.exec();
    });
}

// ---- account --------------------------------------------------------------

struct Session {
    std::unique_ptr<acme::Client> client;
    json::object account;
};

Session open_session(Engine &e, const Settings &s, const CancelToken *cancel) {
    std::lock_guard<std::mutex> lock(g_account_mu);
    std::string contact = s.contact();
    std::string dir = e.state_dir() + "/acme/" + hex(sha256(s.directory + "|" + contact)).substr(0, 16);
    std::string key_path = dir + "/account.key";
    util::make_dirs(dir, 0700, kCat);
    ::chmod((e.state_dir() + "/acme").c_str(), 0700);
    Key key;
    bool existed = false;
    if (auto pem = util::read_file_if_exists(key_path)) {
        key = key_from_pem(*pem, key_path);
        existed = true;
    } else {
        key = generate_key("ec256");
        util::write_file_atomic(key_path, key_to_pem(key), 0600, kCat);
    }
    std::string url;
    std::int64_t created = 0;
    e.store().with_db("reading the ACME account", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT url, created_ms FROM acme_accounts WHERE directory = ? AND contact = ?");
        q.bind(1, s.directory);
        q.bind(2, contact);
        if (q.executeStep()) {
            url = q.getColumn(0).getString();
            created = q.getColumn(1).getInt64();
        }
    });
    acme::ClientConfig cc;
    cc.directory_url = s.directory;
    cc.ca_bundle = s.ca_bundle;
    cc.cancel = cancel;
    Session ses;
    ses.client = std::make_unique<acme::Client>(std::move(cc), key);
    if (existed && !url.empty()) {
        ses.client->set_kid(url);
    } else {
        std::string eab_kid, eab_key;
        if (!s.eab.empty()) {
            eab_kid = str_or(s.eab, "kid");
            eab_key = http::secret_from_json(s.eab, "hmac_key", "acme", true);
        }
        bool found = false;
        if (existed) {
            try {
                url = ses.client->account(contact, true, "", "");
                found = true;
            } catch (const Error &err) {
                if (err.code() != WPH_ENOTFOUND) throw;
            }
        }
        if (!found) url = ses.client->account(contact, false, eab_kid, eab_key);
        created = now_ms();
        e.store().with_db("recording the ACME account", [&](SQLite::Database &db) {
            SQLite::Statement q(db, "INSERT INTO acme_accounts (directory, contact, url, key_path, created_ms) VALUES (?, ?, ?, ?, ?) "
                                    "ON CONFLICT(directory, contact) DO UPDATE SET url = excluded.url, key_path = excluded.key_path");
            q.bind(1, s.directory);
            q.bind(2, contact);
            q.bind(3, url);
            q.bind(4, key_path);
            q.bind(5, static_cast<std::int64_t>(created));
            q.exec();
        });
    }
    ses.account = {{"directory", s.directory}, {"url", url}, {"contact", contact}, {"key_path", key_path},
                   {"created", rfc3339(created)}};
    return ses;
}

// ---- challenges -----------------------------------------------------------

void progress(Job *job, const char *phase, unsigned step, unsigned steps) {
    if (job) job->report(phase, step, steps);
}

const CancelToken *token(Job *job) { return job ? &job->cancel_token() : nullptr; }

bool token_ok(std::string_view t) {
    if (t.empty() || t.size() > 256) return false;
    for (char c : t)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    return true;
}

struct Pending {
    acme::Authorization authz;
    std::string authz_url;
    const acme::Challenge *challenge = nullptr;
};

// Undone in reverse order whatever happens (files removed, TXT records deleted).
struct Cleanup {
    std::vector<std::function<void()>> steps;
    ~Cleanup() {
        for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
            try {
                (*it)();
            } catch (...) {
            }
        }
    }
};

acme::Authorization poll_authorization(acme::Client &c, const std::string &url, const std::string &name,
                                       std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto wait = std::chrono::milliseconds(300);
    for (;;) {
        auto a = c.get_authorization(url);
        if (a.status != "pending" && a.status != "processing") return a;
        if (std::chrono::steady_clock::now() >= deadline)
            raise(WPH_ETIMEOUT, "acme",
                  "acme: authorization for " + name + " still pending after " + std::to_string(timeout.count()) + " s");
        auto hint = c.last_retry_after();
        auto d = hint ? std::chrono::milliseconds(std::clamp<long long>(*hint, 1, 10) * 1000) : wait;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        c.pause(std::max(std::chrono::milliseconds(50), std::min(d, left)));
        wait = std::min(wait * 2, std::chrono::milliseconds(2000));
    }
}

acme::Order poll_order(acme::Client &c, const std::string &url, acme::Order o, std::initializer_list<const char *> waiting,
                       std::chrono::seconds timeout, const std::string &what) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto wait = std::chrono::milliseconds(300);
    for (;;) {
        bool more = false;
        for (auto *w : waiting) more = more || o.status == w;
        if (!more) return o;
        if (std::chrono::steady_clock::now() >= deadline)
            raise(WPH_ETIMEOUT, "acme", "acme: order for " + what + " still " + o.status + " after " + std::to_string(timeout.count()) + " s");
        auto hint = c.last_retry_after();
        auto d = hint ? std::chrono::milliseconds(std::clamp<long long>(*hint, 1, 10) * 1000) : wait;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        c.pause(std::max(std::chrono::milliseconds(50), std::min(d, left)));
        wait = std::min(wait * 2, std::chrono::milliseconds(2000));
        o = c.get_order(url);
    }
}


// A provider's answer: the object with "id", or its "result" when wrapped.
json::value with_id(json::value v) {
    if (v.is_object() && !v.as_object().if_contains("id"))
        if (auto *r = v.as_object().if_contains("result"); r && r->is_object()) return *r;
    return v;
}

// ---- issue ----------------------------------------------------------------

json::object do_issue(Engine &e, Job *job, const CancelToken *cancel, const json::object &request) {
    validate_request(request);
    auto names = request_names(request);
    std::string challenge = str_or(request, "challenge", "http-01");
    const json::object *acme_over = request.if_contains("acme") ? &request.at("acme").as_object() : nullptr;
    Settings s = settings_from(e, acme_over);
    json::object dns = s.dns;
    if (auto *d = request.if_contains("dns")) dns = merge(dns, d->as_object());
    std::string webroot = str_or(request, "webroot");
    std::string name = str_or(request, "name", names[0]);
    auto timeout = std::chrono::seconds(int_or(request, "challenge_timeout_s", 120));

    std::unique_ptr<provider::Provider> dns_provider;
    if (challenge == "dns-01") {
        auto *p = dns.if_contains("provider");
        if (!p) invalid("dns-01 needs a DNS provider: set \"dns\": {\"provider\": {\"kind\": \"cloudflare\", ...}} in the request or the host profile's \"acme\"");
        dns_provider = provider::open(p->as_object());
    } else {
        struct stat st {};
        if (::stat(webroot.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            raise(WPH_ENOTFOUND, kCat, "http-01: webroot " + webroot + " does not exist or is not a directory");
    }
    const unsigned steps = 7;
    progress(job, "account", 1, steps);
    Session ses = open_session(e, s, cancel);
    auto &c = *ses.client;
    std::string thumb = c.thumbprint();

    progress(job, "order", 2, steps);
    std::string order_url;
    acme::Order order = c.new_order(names, order_url);

    progress(job, "challenges", 3, steps);
    std::vector<Pending> pending;
    Cleanup cleanup;
    std::vector<std::pair<std::string, std::string>> txt_wait;  // name, value
    std::string zone_id;
    for (auto &au : order.authorizations) {
        Pending p;
        p.authz_url = au;
        p.authz = c.get_authorization(au);
        if (p.authz.status == "valid") continue;
        if (p.authz.status != "pending")
            raise(WPH_EPROVIDER, "acme", "acme: authorization for " + p.authz.name() + " is " + p.authz.status);
        pending.push_back(std::move(p));
    }
    for (auto &p : pending) {
        p.challenge = p.authz.find(challenge);
        std::string n = p.authz.name();
        if (!p.challenge) raise(WPH_EPROVIDER, "acme", "acme: the CA offers no " + challenge + " challenge for " + n);
        if (!token_ok(p.challenge->token)) raise(WPH_EPROVIDER, "acme", "acme: the CA sent a malformed challenge token for " + n);
        std::string ka = key_authorization(p.challenge->token, thumb);
        if (challenge == "http-01") {
            std::string dir = webroot + "/.well-known/acme-challenge";
            util::make_dirs(dir, 0755, kCat);
            std::string path = dir + "/" + p.challenge->token;
            cleanup.steps.push_back([path] { ::unlink(path.c_str()); });
            util::write_file_atomic(path, ka, 0644, kCat);
            ::chmod(path.c_str(), 0644);
        } else {
            std::string rname = "_acme-challenge." + p.authz.identifier;
            std::string value = dns01_value(ka);
            std::string zone_name = str_or(dns, "zone", p.authz.identifier);
            auto zone = with_id(dns_provider->call("zone.find", json::object{{"name", zone_name}}, cancel));
            if (!zone.is_object() || !zone.as_object().if_contains("id"))
                raise(WPH_EPROVIDER, "acme", "dns-01: the DNS provider found no zone for " + zone_name);
            auto &zid = zone.as_object().at("id");
            zone_id = zid.is_string() ? std::string(zid.as_string()) : util::to_json(zid);
            auto rec = with_id(dns_provider->call("record.create",
                                          json::object{{"zone_id", zone_id}, {"type", "TXT"}, {"name", rname},
                                                       {"content", value}, {"ttl", int_or(dns, "ttl", 60)}},
                                          cancel));
            if (rec.is_object() && rec.as_object().if_contains("id")) {
                auto &rid = rec.as_object().at("id");
                std::string id = rid.is_string() ? std::string(rid.as_string()) : util::to_json(rid);
                provider::Provider *prov = dns_provider.get();
                cleanup.steps.push_back([prov, zone_id, id] {
                    prov->call("record.delete", json::object{{"zone_id", zone_id}, {"id", id}}, nullptr);
                });
            }
            txt_wait.emplace_back(rname, value);
        }
    }
    if (!txt_wait.empty()) {
        progress(job, "dns propagation", 3, steps);
        std::vector<std::string> resolvers;
        if (auto *r = dns.if_contains("resolvers"))
            for (auto &x : r->as_array()) resolvers.emplace_back(x.as_string());
        auto pt = std::chrono::seconds(int_or(dns, "propagation_timeout_s", 120));
        for (auto &[n, v] : txt_wait) wait_for_txt(n, v, resolvers, pt, cancel);
    }
    for (auto &p : pending) c.respond(p.challenge->url);
    for (auto &p : pending) {
        auto a = poll_authorization(c, p.authz_url, p.authz.name(), timeout);
        if (a.status != "valid") {
            const acme::Challenge *ch = a.find(challenge);
            std::optional<acme::Problem> prob = ch ? ch->error : std::nullopt;
            throw acme::challenge_error(a.name(), challenge, prob, 0);
        }
    }

    progress(job, "finalize", 4, steps);
    order = poll_order(c, order_url, c.get_order(order_url), {"pending"}, timeout, name);
    if (order.status != "ready" && order.status != "valid") {
        if (order.error) throw acme::problem_error(*order.error, 0, "the order", std::nullopt);
        raise(WPH_EPROVIDER, "acme", "acme: the order for " + name + " is " + order.status);
    }
    Key cert_key = generate_key(str_or(request, "key_type", "ec256"));
    if (order.status == "ready") order = c.finalize(order.finalize, csr_der(cert_key, names));
    order = poll_order(c, order_url, order, {"processing", "ready"}, timeout, name);
    if (order.status != "valid" || order.certificate.empty()) {
        if (order.error) throw acme::problem_error(*order.error, 0, "finalize", std::nullopt);
        raise(WPH_EPROVIDER, "acme", "acme: the order for " + name + " ended " + order.status + " without a certificate");
    }

    progress(job, "download", 5, steps);
    std::string fullchain = c.download(order.certificate);
    CertInfo info = parse_cert_pem(fullchain, "the CA's certificate");
    if (!cert_matches_key(fullchain, cert_key))
        raise(WPH_EPROVIDER, "acme", "acme: the CA's certificate for " + name + " does not carry the key we sent");
    std::set<std::string> have(info.names.begin(), info.names.end());
    for (auto &n : names)
        if (!have.count(n)) raise(WPH_EPROVIDER, "acme", "acme: the CA's certificate for " + name + " lacks the name " + n);

    progress(job, "store", 6, steps);
    if (cancel) cancel->check("storing the certificate");
    std::string dir = e.state_dir() + "/certs/" + cert_dir_name(name);
    util::make_dirs(e.state_dir() + "/certs", 0700, kCat);
    util::make_dirs(dir, 0700, kCat);
    auto [leaf, chain] = split_chain(fullchain);
    // New files first, the record after: a failure here leaves the old
    // record pointing at complete files.
    util::write_file_atomic(dir + "/privkey.pem", key_to_pem(cert_key), 0600, kCat);
    util::write_file_atomic(dir + "/fullchain.pem", fullchain, 0600, kCat);
    util::write_file_atomic(dir + "/cert.pem", leaf, 0600, kCat);
    util::write_file_atomic(dir + "/chain.pem", chain, 0600, kCat);

    json::value stored = request;
    scrub(stored);
    stored.as_object()["name"] = name;
    json::array names_json;
    for (auto &n : names) names_json.emplace_back(n);
    Record r;
    r.name = name;
    r.names = util::to_json(names_json);
    r.has_site = request.if_contains("site") != nullptr;
    r.site = str_or(request, "site");
    r.directory = s.directory;
    r.challenge = challenge;
    r.request = util::to_json(stored);
    r.key_path = dir + "/privkey.pem";
    r.cert_path = dir + "/fullchain.pem";
    r.cert_url = order.certificate;
    r.serial = info.serial;
    r.not_before_ms = info.not_before_ms;
    r.not_after_ms = info.not_after_ms;
    r.status = "valid";
    r.issued_ms = now_ms();
    r.last_attempt_ms = r.issued_ms;
    r.failures = 0;
    save_record(e, r);

    if (r.has_site) {
        SiteHook hook;
        {
            std::lock_guard<std::mutex> l(g_hook_mu);
            hook = g_hook;
        }
        if (hook) {
            progress(job, "install", 7, steps);
            hook(e, r.site, r.key_path, r.cert_path);
        }
    }
    progress(job, "done", steps, steps);
    return record_json(*load_record(e, name));
}

}  // namespace

// ---- public ---------------------------------------------------------------

void validate_request(const json::object &r) {
    static const std::set<std::string> known = {"names", "challenge", "webroot", "site", "acme", "dns",
                                                "key_type", "renew_days", "challenge_timeout_s", "name"};
    for (auto &kv : r)
        if (!known.count(std::string(kv.key()))) invalid("certificate request: unknown key \"" + std::string(kv.key()) + "\"");
    auto *nv = r.if_contains("names");
    if (!nv) invalid("certificate request: \"names\" is required (a non-empty array of DNS names)");
    if (!nv->is_array() || nv->as_array().empty()) invalid("certificate request: \"names\" must be a non-empty array of DNS names");
    if (nv->as_array().size() > 100) invalid("certificate request: \"names\" holds more than 100 names");
    std::set<std::string> seen;
    bool wildcard = false;
    for (auto &n : nv->as_array()) {
        auto s = as_str(n, "names");
        auto why = acme::name_problem(s);
        if (!why.empty()) invalid("certificate request: \"names\": \"" + s + "\" " + why);
        if (!seen.insert(s).second) invalid("certificate request: \"names\": \"" + s + "\" is listed twice");
        wildcard = wildcard || s.rfind("*.", 0) == 0;
    }
    std::string challenge = "http-01";
    if (auto *c = r.if_contains("challenge")) {
        challenge = as_str(*c, "challenge");
        if (challenge != "http-01" && challenge != "dns-01")
            invalid("certificate request: \"challenge\" must be \"http-01\" or \"dns-01\", got \"" + challenge + "\"");
    }
    if (auto *w = r.if_contains("webroot")) {
        auto s = as_str(*w, "webroot");
        if (s.empty() || s[0] != '/') invalid("certificate request: \"webroot\" must be an absolute path");
    }
    if (auto *s = r.if_contains("site")) {
        if (as_str(*s, "site").empty()) invalid("certificate request: \"site\" must not be empty");
    }
    if (auto *n = r.if_contains("name")) {
        auto s = as_str(*n, "name");
        if (s.empty() || s.find('/') != std::string::npos || s == "." || s == "..")
            invalid("certificate request: \"name\" must be a non-empty name without '/'");
    }
    if (challenge == "http-01") {
        if (wildcard) invalid("certificate request: wildcard names need \"challenge\": \"dns-01\" (http-01 cannot prove them)");
        if (!r.if_contains("webroot"))
            invalid("certificate request: http-01 needs \"webroot\" (the directory served at /.well-known/acme-challenge/)");
    }
    if (auto *k = r.if_contains("key_type")) {
        auto s = as_str(*k, "key_type");
        if (s != "ec256" && s != "rsa2048") invalid("certificate request: \"key_type\" must be \"ec256\" or \"rsa2048\", got \"" + s + "\"");
    }
    if (auto *d = r.if_contains("renew_days")) as_int(*d, "renew_days", 1, 365);
    if (auto *d = r.if_contains("challenge_timeout_s")) as_int(*d, "challenge_timeout_s", 1, 3600);
    if (auto *a = r.if_contains("acme")) check_acme(as_obj(*a, "acme"), "acme");
    if (auto *d = r.if_contains("dns")) check_dns(as_obj(*d, "dns"), "dns");
    // dns-01's provider may come from the host profile: issue() checks it
    // before any network use.
}

json::object account(Engine &e, const json::object *acme_settings, const CancelToken *cancel) {
    Settings s = settings_from(e, acme_settings);
    return open_session(e, s, cancel).account;
}

json::object issue(Engine &e, Job *job, const json::object &request) {
    return do_issue(e, job, token(job), request);
}

json::object renew(Engine &e, Job *job, const json::object &options) {
    for (auto &kv : options) {
        std::string k(kv.key());
        if (k != "days" && k != "name" && k != "force") invalid("renew options: unknown key \"" + k + "\"");
    }
    std::optional<long long> days;
    if (auto *d = options.if_contains("days")) days = as_int(*d, "days", 0, 3650);
    bool force = false;
    if (auto *f = options.if_contains("force")) {
        if (!f->is_bool()) invalid("renew options: \"force\" must be true or false");
        force = f->as_bool();
    }
    std::vector<std::string> names;
    if (auto *n = options.if_contains("name")) {
        auto s = as_str(*n, "name");
        if (!load_record(e, s)) raise(WPH_ENOTFOUND, kCat, "no certificate named \"" + s + "\"");
        names.push_back(s);
    } else {
        names = record_names(e);
    }
    json::array renewed, failed, not_due, skipped;
    std::string failures_text;
    unsigned i = 0;
    for (auto &n : names) {
        ++i;
        auto r = load_record(e, n);
        if (!r) continue;
        if (r->status == "revoked") {
            skipped.emplace_back(n);
            continue;
        }
        auto req = util::parse_json_object(r->request, "stored certificate request", kCat);
        long long d = days ? *days : int_or(req, "renew_days", 30);
        std::int64_t now = now_ms();
        if (!force && r->not_after_ms - now > d * kDayMs) {
            not_due.emplace_back(n);
            continue;
        }
        if (job) job->report("renew", i - 1, static_cast<unsigned>(names.size()));
        try {
            do_issue(e, nullptr, token(job), req);
            renewed.emplace_back(n);
            e.emit_event("info", "cert.renewed", n, "certificate " + n + " renewed",
                         util::to_json(json::object{{"names", util::parse_json(r->names, "names", kCat)}}));
        } catch (const Error &err) {
            if (err.code() == WPH_ECANCELLED || err.code() == WPH_EUSER) throw;
            if (job && job->cancel_token().cancelled()) throw;
            // The record as it is now: a renewal can fail after storing the
            // new certificate (the site's installation hook).
            Record f = load_record(e, n).value_or(*r);
            f.failures += 1;
            f.last_error = err.message();
            f.last_attempt_ms = now_ms();
            f.status = "renew-failed";
            save_record(e, f);
            long long left = (r->not_after_ms - f.last_attempt_ms) / kDayMs;
            std::string msg = "renewal of " + n + " failed: " + err.message();
            e.emit_event("error", "cert.renew.failed", n, msg,
                         util::to_json(json::object{{"names", util::parse_json(r->names, "names", kCat)},
                                                    {"days_left", left},
                                                    {"failures", f.failures},
                                                    {"code", code_name(err.code())},
                                                    {"http_status", err.http_status()}}));
            failed.push_back(json::object{{"name", n}, {"error", err.message()}});
            failures_text += (failures_text.empty() ? "" : "; ") + n + ": " + err.message();
        }
    }
    if (job) job->report("renew", static_cast<unsigned>(names.size()), static_cast<unsigned>(names.size()));
    if (!failed.empty())
        raise(WPH_EPROVIDER, kCat,
              "cert renew: " + std::to_string(failed.size()) + " renewal(s) failed (kept the old certificates): " + failures_text);
    return {{"renewed", renewed}, {"failed", failed}, {"not_due", not_due}, {"skipped", skipped}};
}

json::object revoke(Engine &e, Job *job, const std::string &name, const json::object &options) {
    int reason = -1;
    for (auto &kv : options) {
        std::string k(kv.key());
        if (k == "reason") {
            reason = static_cast<int>(as_int(kv.value(), "reason", 0, 10));
            if (reason == 7) invalid("\"reason\" 7 is not a revocation reason (RFC 5280 leaves it unused)");
        } else {
            invalid("revoke options: unknown key \"" + k + "\"");
        }
    }
    auto r = load_record(e, name);
    if (!r) raise(WPH_ENOTFOUND, kCat, "no certificate named \"" + name + "\"");
    if (r->status == "revoked") raise(WPH_ECONFLICT, kCat, "certificate " + name + " is already revoked");
    auto pem = util::read_file_if_exists(r->cert_path);
    if (!pem) raise(WPH_ENOTFOUND, kCat, "certificate file " + r->cert_path + " is missing");
    auto info = parse_cert_pem(*pem, r->cert_path);
    auto req = util::parse_json_object(r->request, "stored certificate request", kCat);
    json::object over = req.if_contains("acme") ? req.at("acme").as_object() : json::object{};
    over["directory"] = r->directory;
    Settings s = settings_from(e, &over);
    if (job) job->report("revoke", 0, 2);
    Session ses = open_session(e, s, token(job));
    try {
        ses.client->revoke(info.der, reason, false);
    } catch (const Error &err) {
        // Not this account's certificate (the profile's contact changed):
        // RFC 8555 §7.6 also accepts a request signed with the
        // certificate's own key.
        if (err.code() != WPH_EAUTH) throw;
        auto key_pem = util::read_file_if_exists(r->key_path);
        if (!key_pem) throw;
        acme::ClientConfig cc;
        cc.directory_url = s.directory;
        cc.ca_bundle = s.ca_bundle;
        cc.cancel = token(job);
        acme::Client by_key(std::move(cc), key_from_pem(*key_pem, r->key_path));
        by_key.revoke(info.der, reason, true);
    }
    r->status = "revoked";
    r->last_attempt_ms = now_ms();
    save_record(e, *r);
    e.emit_event("info", "cert.revoked", name, "certificate " + name + " revoked",
                 util::to_json(json::object{{"serial", r->serial}, {"reason", reason}}));
    if (job) job->report("revoke", 2, 2);
    return record_json(*load_record(e, name));
}

json::array list(Engine &e) {
    json::array out;
    for (auto &n : record_names(e))
        if (auto r = load_record(e, n)) out.push_back(record_json(*r));
    return out;
}

json::object get(Engine &e, const std::string &name) {
    auto r = load_record(e, name);
    if (!r) raise(WPH_ENOTFOUND, kCat, "no certificate named \"" + name + "\"");
    return record_json(*r);
}

void forget(Engine &e, const std::string &name) {
    auto r = load_record(e, name);
    if (!r) return;
    auto dir = r->key_path.substr(0, r->key_path.rfind('/'));
    for (auto *f : {"/privkey.pem", "/fullchain.pem", "/cert.pem", "/chain.pem"}) ::unlink((dir + f).c_str());
    ::rmdir(dir.c_str());
    e.store().with_db("forgetting a certificate", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "DELETE FROM certificates WHERE name = ?");
        q.bind(1, name);
        q.exec();
    });
}

void set_site_hook(SiteHook hook) {
    std::lock_guard<std::mutex> l(g_hook_mu);
    g_hook = std::move(hook);
}

}  // namespace wph::cert
