#include "site/spec.hpp"

#include <idn2.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <cctype>
#include <set>

#include "engine/error.hpp"
#include "util/json.hpp"

namespace wph::site {

namespace {

[[noreturn]] void bad(const std::string &field, const std::string &why) {
    raise(WPH_EINVALID, "site", "site spec: \"" + field + "\" " + why);
}

// Reads one object's fields, remembering which keys it knew.
class Fields {
public:
    Fields(const boost::json::object &o, std::string where) : o_(o), where_(std::move(where)) {}

    const boost::json::value *take(const char *key) {
        known_.insert(key);
        auto it = o_.find(key);
        return it == o_.end() || it->value().is_null() ? nullptr : &it->value();
    }
    std::string name(const char *key) const { return where_.empty() ? key : where_ + "." + key; }

    // A string without control characters (and, unless multiline text is
    // wanted, nothing that ends a line).
    bool text(const char *key, std::string &out, std::size_t max_len) {
        auto *v = take(key);
        if (!v) return false;
        if (!v->is_string()) bad(name(key), "must be a string");
        std::string s(v->as_string());
        if (s.size() > max_len) bad(name(key), "is longer than " + std::to_string(max_len) + " bytes");
        for (unsigned char c : s)
            if (c < 0x20 || c == 0x7f) bad(name(key), "contains a control character");
        out = std::move(s);
        return true;
    }
    void choice(const char *key, std::string &out, std::initializer_list<const char *> allowed) {
        std::string s;
        if (!text(key, s, 64)) return;
        std::string list;
        for (auto *a : allowed) {
            if (s == a) { out = s; return; }
            list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
        }
        bad(name(key), "must be one of " + list + ", got \"" + s + "\"");
    }
    void integer(const char *key, int &out, int lo, int hi) {
        auto *v = take(key);
        if (!v) return;
        if (!v->is_int64() && !v->is_uint64()) bad(name(key), "must be an integer");
        auto n = v->to_number<std::int64_t>();
        if (n < lo || n > hi)
            bad(name(key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(n));
        out = static_cast<int>(n);
    }
    void finish() const {
        for (auto &kv : o_)
            if (!known_.count(std::string(kv.key()))) bad(name(std::string(kv.key()).c_str()), "is not a known field");
    }

private:
    const boost::json::object &o_;
    std::string where_;
    std::set<std::string> known_;
};

bool all_of(const std::string &s, bool (*ok)(unsigned char)) {
    for (unsigned char c : s)
        if (!ok(c)) return false;
    return true;
}

std::string hex8(const std::string &s) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(s.data()), s.size(), d);
    static const char *x = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 4; ++i) { out += x[d[i] >> 4]; out += x[d[i] & 15]; }
    return out;
}

}  // namespace

std::string normalize_domain(const std::string &name, const std::string &field) {
    if (name.empty()) bad(field, "must not be empty");
    if (name.size() > 1000) bad(field, "is too long");
    bool ascii = true;
    for (unsigned char c : name) {
        if (c < 0x21 || c == 0x7f) bad(field, "contains a space or control character");
        if (c >= 0x80) ascii = false;
    }
    std::string out;
    if (ascii) {
        out = name;
        for (auto &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
        char *p = nullptr;
        int rc = idn2_to_ascii_8z(name.c_str(), &p, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
        if (rc != IDN2_OK) bad(field, "\"" + name + "\" is not a valid internationalised domain name: " + idn2_strerror(rc));
        out = p;
        idn2_free(p);
    }
    if (!out.empty() && out.back() == '.') out.pop_back();  // the root label
    if (out.size() > 253) bad(field, "\"" + name + "\" is longer than 253 bytes");
    std::size_t start = 0;
    int labels = 0;
    std::string last;
    while (true) {
        auto dot = out.find('.', start);
        std::string label = out.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (label.empty()) bad(field, "\"" + name + "\" has an empty label");
        if (label.size() > 63) bad(field, "\"" + name + "\" has a label longer than 63 bytes");
        for (unsigned char c : label)
            if (!std::isalnum(c) && c != '-')
                bad(field, "\"" + name + "\" may only contain letters, digits, '-' and '.' (found '" + std::string(1, static_cast<char>(c)) + "')");
        if (label.front() == '-' || label.back() == '-') bad(field, "\"" + name + "\" has a label that starts or ends with '-'");
        if (label.size() >= 4 && label[2] == '-' && label[3] == '-' && label.rfind("xn--", 0) != 0)
            bad(field, "\"" + name + "\" has a label with '--' in positions 3 and 4 that is not punycode");
        if (label.rfind("xn--", 0) == 0) {
            // A punycode label must decode: reject garbage such as "xn--".
            char *u = nullptr;
            int rc = idn2_to_unicode_8z8z(label.c_str(), &u, 0);
            if (rc != IDN2_OK) bad(field, "\"" + name + "\" has a punycode label that does not decode: " + idn2_strerror(rc));
            idn2_free(u);
        }
        ++labels;
        last = label;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (labels < 2) bad(field, "\"" + name + "\" must be a fully qualified name such as example.com");
    if (all_of(last, [](unsigned char c) { return std::isdigit(c) != 0; }))
        bad(field, "\"" + name + "\" is an IP address or ends in a numeric label; a site needs a host name");
    return out;
}

void check_php_size(const std::string &v, const std::string &field) {
    std::size_t i = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    bool ok = i > 0 && i <= 6 && (i == v.size() || (i + 1 == v.size() && std::string("KMG").find(v[i]) != std::string::npos));
    if (!ok) bad(field, "must be a size such as 256M, 1G or 512K, got \"" + v + "\"");
}

bool is_php_version(const std::string &v) {
    return v.size() == 3 && std::isdigit(static_cast<unsigned char>(v[0])) && v[1] == '.' &&
           std::isdigit(static_cast<unsigned char>(v[2]));
}

SiteSpec parse_spec(const std::string &json) { return spec_from_json(util::parse_json_object(json, "site spec", "site")); }

SiteSpec spec_from_json(const boost::json::object &o) {
    SiteSpec s;
    Fields f(o, "");
    std::string domain;
    if (!f.text("domain", domain, 1000)) bad("domain", "is required");
    s.domain = normalize_domain(domain, "domain");
    for (unsigned char c : domain)
        if (c >= 0x80) { s.domain_unicode = domain; break; }
    if (auto *v = f.take("aliases")) {
        if (!v->is_array()) bad("aliases", "must be an array of host names");
        std::set<std::string> seen{s.domain};
        std::size_t i = 0;
        for (auto &e : v->as_array()) {
            std::string field = "aliases[" + std::to_string(i++) + "]";
            if (!e.is_string()) bad(field, "must be a string");
            auto a = normalize_domain(std::string(e.as_string()), field);
            if (!seen.insert(a).second) bad(field, "\"" + a + "\" is listed twice or is the domain itself");
            s.aliases.push_back(a);
        }
        if (s.aliases.size() > 100) bad("aliases", "has more than 100 names");
    }
    f.choice("www", s.www, {"redirect", "alias", "none"});
    if (f.text("php", s.php, 8) && !is_php_version(s.php)) bad("php", "must be a PHP version such as \"8.2\", got \"" + s.php + "\"");
    if (f.text("source", s.source, 2048)) {
        bool url = s.source.rfind("https://", 0) == 0 || s.source.rfind("http://", 0) == 0;
        if (!url && s.source.front() != '/') bad("source", "must be an absolute path (a WordPress directory or tarball) or an https:// URL");
        if (url)
            for (unsigned char c : s.source)
                if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' || c == '`')
                    bad("source", "is not a valid URL (found '" + std::string(1, static_cast<char>(c)) + "')");
    }
    f.choice("core", s.core, {"shared", "copy"});
    if (f.text("locale", s.locale, 16) && !s.locale.empty()) {
        // ll, ll_CC, ll_CC_variant (WordPress locale names such as de_DE_formal).
        bool ok = s.locale.size() >= 2 && std::islower(static_cast<unsigned char>(s.locale[0]));
        for (unsigned char c : s.locale) ok = ok && (std::isalnum(c) || c == '_');
        if (!ok) bad("locale", "must be a WordPress locale such as en_US or de_DE, got \"" + s.locale + "\"");
    }
    if (!f.text("title", s.title, 200)) s.title = s.domain_unicode.empty() ? s.domain : s.domain_unicode;
    if (s.title.empty()) bad("title", "must not be empty");
    if (f.text("admin_user", s.admin_user, 60)) {
        bool ok = !s.admin_user.empty();
        for (unsigned char c : s.admin_user) ok = ok && (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@');
        if (!ok) bad("admin_user", "may only contain letters, digits, '_', '.', '-' and '@', got \"" + s.admin_user + "\"");
    }
    if (!f.text("admin_email", s.admin_email, 100)) s.admin_email = "admin@" + s.domain;
    {
        auto at = s.admin_email.find('@');
        bool ok = at != std::string::npos && at > 0 && at + 1 < s.admin_email.size() &&
                  s.admin_email.find('@', at + 1) == std::string::npos;
        for (unsigned char c : s.admin_email) ok = ok && c > 0x20 && c < 0x7f && std::string("\"'\\<>()[],;:`").find(static_cast<char>(c)) == std::string::npos;
        if (!ok) bad("admin_email", "must be an e-mail address such as admin@example.com, got \"" + s.admin_email + "\"");
    }
    if (f.text("admin_password", s.admin_password, 200) && s.admin_password.size() < 12)
        bad("admin_password", "must be at least 12 characters (leave it out to have one generated)");
    f.choice("cache", s.cache, {"none", "page", "page+object"});
    f.choice("multisite", s.multisite, {"", "subdirectory", "subdomain"});
    f.choice("tls", s.tls, {"none", "self-signed", "acme"});
    if (auto *v = f.take("php_limits")) {
        if (!v->is_object()) bad("php_limits", "must be an object");
        Fields l(v->as_object(), "php_limits");
        if (l.text("memory_limit", s.limits.memory_limit, 16)) check_php_size(s.limits.memory_limit, "php_limits.memory_limit");
        if (l.text("upload_max_filesize", s.limits.upload_max_filesize, 16))
            check_php_size(s.limits.upload_max_filesize, "php_limits.upload_max_filesize");
        l.integer("max_children", s.limits.max_children, 1, 500);
        l.finish();
    }
    f.choice("environment", s.environment, {"production", "staging"});
    if (auto *v = f.take("open_basedir")) {
        if (!v->is_bool()) bad("open_basedir", "must be true or false");
        s.open_basedir = v->as_bool();
    }
    f.integer("redis_database", s.redis_database, 0, 15);
    f.finish();
    if (s.www != "none" && s.domain.rfind("www.", 0) != 0) {
        for (auto &a : s.aliases)
            if (a == "www." + s.domain) bad("aliases", "lists www." + s.domain + ", which \"www\" already handles");
    }
    return s;
}

boost::json::object SiteSpec::to_json() const {
    boost::json::array al;
    for (auto &a : aliases) al.emplace_back(a);
    boost::json::object o{
        {"domain", domain},
        {"aliases", al},
        {"www", www},
        {"php", php},
        {"source", source},
        {"core", core},
        {"locale", locale},
        {"title", title},
        {"admin_user", admin_user},
        {"admin_email", admin_email},
        {"cache", cache},
        {"multisite", multisite.empty() ? boost::json::value(nullptr) : boost::json::value(multisite)},
        {"tls", tls},
        {"php_limits", {{"memory_limit", limits.memory_limit}, {"upload_max_filesize", limits.upload_max_filesize},
                        {"max_children", limits.max_children}}},
        {"environment", environment},
        {"open_basedir", open_basedir},
        {"redis_database", redis_database},
    };
    if (!domain_unicode.empty()) o["domain_unicode"] = domain_unicode;
    return o;
}

std::string slug_for(const std::string &domain, bool with_hash) {
    std::string s;
    for (char c : domain) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    // "wp_" + slug must fit a Linux user name (32); the database user and
    // name have more room.
    if (with_hash || s.size() > 29) s = s.substr(0, 20) + "_" + hex8(domain);
    return s;
}

SiteNames make_names(const HostProfile &p, const std::string &domain, const std::string &slug) {
    SiteNames n;
    n.slug = slug;
    n.user = n.group = "wp_" + slug;
    n.db_name = n.db_user = "wp_" + slug;
    n.home = p.sites_root + "/" + domain;
    n.docroot = n.home + "/public";
    n.logs = n.home + "/logs";
    n.tmp = n.home + "/tmp";
    n.conf = n.home + "/conf";
    n.wp_config = n.home + "/wp-config.php";
    n.pool_name = "wp_" + slug;
    n.nginx_file = p.nginx.sites_dir + "/wphost-" + domain + ".conf";
    n.cache_dir = p.nginx.cache_dir + "/" + slug;
    n.ssl_dir = p.ssl_dir + "/" + domain;
    n.redis_prefix = slug + ":";
    return n;
}

boost::json::object SiteNames::to_json() const {
    return {{"slug", slug}, {"user", user}, {"group", group}, {"db_name", db_name}, {"db_user", db_user},
            {"home", home}, {"docroot", docroot}, {"logs", logs}, {"tmp", tmp}, {"conf", conf},
            {"wp_config", wp_config}, {"pool_name", pool_name}, {"nginx_file", nginx_file},
            {"cache_dir", cache_dir}, {"ssl_dir", ssl_dir}, {"redis_prefix", redis_prefix}};
}

SiteNames SiteNames::from_json(const boost::json::object &o) {
    auto g = [&](const char *k) {
        auto it = o.find(k);
        if (it == o.end() || !it->value().is_string()) raise(WPH_EIO, "state", std::string("site record lacks \"") + k + "\"");
        return std::string(it->value().as_string());
    };
    SiteNames n;
    n.slug = g("slug"); n.user = g("user"); n.group = g("group"); n.db_name = g("db_name"); n.db_user = g("db_user");
    n.home = g("home"); n.docroot = g("docroot"); n.logs = g("logs"); n.tmp = g("tmp"); n.conf = g("conf");
    n.wp_config = g("wp_config"); n.pool_name = g("pool_name"); n.nginx_file = g("nginx_file");
    n.cache_dir = g("cache_dir"); n.ssl_dir = g("ssl_dir"); n.redis_prefix = g("redis_prefix");
    return n;
}

std::string pool_dir(const HostProfile &p, const std::string &php) { return p.php.etc_dir + "/" + php + "/fpm/pool.d"; }
std::string pool_file(const HostProfile &p, const std::string &php, const SiteNames &n) {
    return pool_dir(p, php) + "/" + n.pool_name + ".conf";
}
std::string pool_socket(const HostProfile &p, const std::string &php, const SiteNames &n) {
    return p.php.run_dir + "/" + n.pool_name + "-" + php + ".sock";
}
std::string fpm_config(const HostProfile &p, const std::string &php) { return p.php.etc_dir + "/" + php + "/fpm/php-fpm.conf"; }
std::string fpm_pid_file(const HostProfile &p, const std::string &php) { return p.php.run_dir + "/php" + php + "-fpm.pid"; }
std::string php_cli(const HostProfile &p, const std::string &php) { return p.php.cli_dir + "/php" + php; }

std::string site_url(const HostProfile &p, const SiteSpec &s) {
    bool tls = s.tls != "none";
    int port = tls ? p.nginx.https_port : p.nginx.http_port;
    std::string url = (tls ? "https://" : "http://") + s.domain;
    if (port != (tls ? 443 : 80)) url += ":" + std::to_string(port);
    return url;
}

}  // namespace wph::site
