#include "host/profile.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <functional>
#include <initializer_list>
#include <set>

#include "engine/error.hpp"
#include "util/json.hpp"

namespace wph {

namespace {

// Reads one JSON object's keys into fields, remembering which keys it knew.
class Reader {
public:
    Reader(const boost::json::object &o, std::string where) : o_(o), where_(std::move(where)) {}

    void path(const char *key, std::string &out, bool allow_empty = false) {
        if (auto *v = take(key)) {
            if (!v->is_string()) bad(key, "must be a string");
            std::string s(v->as_string());
            if (s.empty() && allow_empty) { out.clear(); return; }
            if (s.empty() || s[0] != '/') bad(key, "must be an absolute path, got \"" + s + "\"");
            if (s.find('\0') != std::string::npos || s.find('\n') != std::string::npos) bad(key, "contains a control character");
            out = std::move(s);
        }
    }
    void text(const char *key, std::string &out) {
        if (auto *v = take(key)) {
            if (!v->is_string()) bad(key, "must be a string");
            std::string s(v->as_string());
            for (unsigned char c : s)
                if (c < 0x20 || c == 0x7f) bad(key, "contains a control character");
            if (s.empty()) bad(key, "must not be empty");
            out = std::move(s);
        }
    }
    void choice(const char *key, std::string &out, std::initializer_list<const char *> allowed) {
        if (auto *v = take(key)) {
            if (!v->is_string()) bad(key, "must be a string");
            std::string s(v->as_string()), list;
            for (auto *a : allowed) {
                if (s == a) { out = s; return; }
                list += list.empty() ? std::string("\"") + a + "\"" : std::string(", \"") + a + "\"";
            }
            bad(key, "must be one of " + list + ", got \"" + s + "\"");
        }
    }
    // A user or group name: what useradd accepts.
    void name(const char *key, std::string &out) {
        if (auto *v = take(key)) {
            if (!v->is_string()) bad(key, "must be a string");
            std::string s(v->as_string());
            bool ok = !s.empty() && s.size() <= 32 && (std::islower((unsigned char)s[0]) || s[0] == '_');
            for (unsigned char c : s) ok = ok && (std::islower(c) || std::isdigit(c) || c == '_' || c == '-');
            if (!ok) bad(key, "must be a user name (lower-case letters, digits, '_' and '-', at most 32), got \"" + s + "\"");
            out = std::move(s);
        }
    }
    void integer(const char *key, int &out, int lo, int hi) {
        if (auto *v = take(key)) {
            if (!v->is_int64() && !v->is_uint64()) bad(key, "must be an integer");
            auto n = v->to_number<std::int64_t>();
            if (n < lo || n > hi) bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(n));
            out = static_cast<int>(n);
        }
    }
    void paths(const char *key, std::vector<std::string> &out) {
        if (auto *v = take(key)) {
            if (v->is_string()) {
                std::vector<std::string> one{""};
                boost::json::object tmp{{key, *v}};
                Reader r(tmp, where_);
                r.path(key, one[0]);
                out = std::move(one);
                return;
            }
            if (!v->is_array() || v->as_array().empty()) bad(key, "must be a path or a non-empty array of paths");
            std::vector<std::string> res;
            for (auto &e : v->as_array()) {
                boost::json::object tmp{{key, e}};
                Reader r(tmp, where_);
                std::string p;
                r.path(key, p);
                res.push_back(std::move(p));
            }
            out = std::move(res);
        }
    }
    template <class F> void object(const char *key, F &&f) {
        if (auto *v = take(key)) {
            if (!v->is_object()) bad(key, "must be an object");
            Reader r(v->as_object(), where_.empty() ? key : where_ + "." + key);
            f(r);
            r.finish();
        }
    }
    // An object kept as JSON text for the module that owns it.
    void raw_object(const char *key, std::string &out) {
        if (auto *v = take(key)) {
            if (!v->is_object()) bad(key, "must be an object");
            out = util::to_json(*v);
        }
    }
    void finish() const {
        for (auto &kv : o_)
            if (!known_.count(std::string(kv.key())))
                raise(WPH_EINVALID, "host", "host profile: unknown key \"" + full(std::string(kv.key())) + "\"");
    }

private:
    const boost::json::value *take(const char *key) {
        known_.insert(key);
        auto it = o_.find(key);
        return it == o_.end() || it->value().is_null() ? nullptr : &it->value();
    }
    std::string full(const std::string &key) const { return where_.empty() ? key : where_ + "." + key; }
    [[noreturn]] void bad(const char *key, const std::string &why) const {
        raise(WPH_EINVALID, "host", "host profile: \"" + full(key) + "\" " + why);
    }

    const boost::json::object &o_;
    std::string where_;
    std::set<std::string> known_;
};

}  // namespace

HostProfile HostProfile::from_json(const std::string &json) {
    HostProfile p;
    if (json.empty()) return p;
    auto root = util::parse_json_object(json, "host profile", "host");
    Reader r(root, "");
    r.text("name", p.name);
    r.path("os_release", p.os_release);
    r.path("proc_dir", p.proc_dir);
    r.path("systemd_dir", p.systemd_dir);
    r.path("sites_root", p.sites_root);
    r.path("core_store", p.core_store);
    r.path("ssl_dir", p.ssl_dir);
    r.integer("command_timeout_ms", p.command_timeout_ms, 100, 600000);
    r.choice("services", p.services, {"auto", "systemd", "signal"});
    r.object("nginx", [&](Reader &n) {
        n.path("binary", p.nginx.binary);
        n.path("config", p.nginx.config);
        n.path("modules_dir", p.nginx.modules_dir);
        n.path("modules_enabled_dir", p.nginx.modules_enabled_dir);
        n.path("sites_dir", p.nginx.sites_dir);
        n.path("fastcgi_params", p.nginx.fastcgi_params);
        n.path("pid_file", p.nginx.pid_file);
        n.path("cache_dir", p.nginx.cache_dir);
        n.name("user", p.nginx.user);
        n.integer("http_port", p.nginx.http_port, 1, 65535);
        n.integer("https_port", p.nginx.https_port, 1, 65535);
    });
    r.object("php", [&](Reader &n) {
        n.path("fpm_dir", p.php.fpm_dir);
        n.path("cli_dir", p.php.cli_dir);
        n.path("etc_dir", p.php.etc_dir);
        n.path("run_dir", p.php.run_dir);
    });
    r.object("mysql", [&](Reader &n) {
        n.paths("server_binaries", p.mysql.server_binaries);
        n.path("socket", p.mysql.socket);
        n.text("admin_user", p.mysql.admin_user);
        n.path("admin_password_file", p.mysql.admin_password_file, true);
    });
    r.object("redis", [&](Reader &n) {
        n.path("server_binary", p.redis.server_binary);
        n.text("host", p.redis.host);
        n.integer("port", p.redis.port, 1, 65535);
        n.path("socket", p.redis.socket, true);
    });
    r.object("memcached", [&](Reader &n) {
        n.path("binary", p.memcached.binary);
        n.text("host", p.memcached.host);
        n.integer("port", p.memcached.port, 1, 65535);
    });
    r.object("restic", [&](Reader &n) { n.path("binary", p.restic.binary); });
    r.raw_object("acme", p.acme_json);
    r.finish();
    return p;
}

boost::json::value HostProfile::to_json_value() const {
    boost::json::array bins;
    for (auto &b : mysql.server_binaries) bins.emplace_back(b);
    // The acme object without secrets given inline (EAB HMAC key, DNS
    // provider credentials): those stay out of info documents.
    boost::json::value acme = boost::json::parse(acme_json);
    std::function<void(boost::json::value &)> scrub = [&](boost::json::value &v) {
        if (v.is_object()) {
            for (auto &kv : v.as_object()) {
                std::string k(kv.key());
                bool secret = k.find("key") != std::string::npos || k.find("token") != std::string::npos ||
                              k.find("secret") != std::string::npos || k.find("password") != std::string::npos;
                bool ref = k.size() > 5 && (k.ends_with("_file") || k.ends_with("_env") || k.ends_with("_path"));
                if (secret && !ref && kv.value().is_string()) kv.value() = "***";
                else scrub(kv.value());
            }
        } else if (v.is_array()) {
            for (auto &e : v.as_array()) scrub(e);
        }
    };
    scrub(acme);
    return boost::json::object{
        {"name", name},
        {"os_release", os_release},
        {"proc_dir", proc_dir},
        {"systemd_dir", systemd_dir},
        {"sites_root", sites_root},
        {"core_store", core_store},
        {"ssl_dir", ssl_dir},
        {"command_timeout_ms", command_timeout_ms},
        {"services", services},
        {"nginx", {{"binary", nginx.binary}, {"config", nginx.config}, {"modules_dir", nginx.modules_dir},
                   {"modules_enabled_dir", nginx.modules_enabled_dir}, {"sites_dir", nginx.sites_dir},
                   {"fastcgi_params", nginx.fastcgi_params}, {"pid_file", nginx.pid_file}, {"cache_dir", nginx.cache_dir},
                   {"user", nginx.user}, {"http_port", nginx.http_port}, {"https_port", nginx.https_port}}},
        {"php", {{"fpm_dir", php.fpm_dir}, {"cli_dir", php.cli_dir}, {"etc_dir", php.etc_dir}, {"run_dir", php.run_dir}}},
        {"mysql", {{"server_binaries", bins}, {"socket", mysql.socket}, {"admin_user", mysql.admin_user},
                   {"admin_password_file", mysql.admin_password_file}}},
        {"redis", {{"server_binary", redis.server_binary}, {"host", redis.host}, {"port", redis.port}, {"socket", redis.socket}}},
        {"memcached", {{"binary", memcached.binary}, {"host", memcached.host}, {"port", memcached.port}}},
        {"restic", {{"binary", restic.binary}}},
        {"acme", acme},
    };
}

}  // namespace wph
