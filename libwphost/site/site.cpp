#include "site/site.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <future>
#include <map>
#include <cstdlib>
#include <mutex>
#include <unistd.h>

#include "cert/cert.hpp"
#include "engine/engine.hpp"
#include "engine/error.hpp"
#include "engine/job.hpp"
#include "site/hostio.hpp"
#include "site/php_scripts.hpp"
#include "site/render.hpp"
#include "site/spec.hpp"
#include "site/tls.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace wph::site {

namespace json = boost::json;

namespace {

// One site operation at a time per process: they reload shared services.
std::mutex g_site_mu;
BeforeDestroyHook g_before_destroy;
std::mutex g_hook_mu;

const char *const kGroupadd = "/usr/sbin/groupadd";
const char *const kUseradd = "/usr/sbin/useradd";
const char *const kUserdel = "/usr/sbin/userdel";
const char *const kGroupdel = "/usr/sbin/groupdel";

std::string q_ident(const std::string &s) {  // validated [a-z0-9_]; quoted anyway
    std::string o = "`";
    for (char c : s) { if (c == '`') o += '`'; o += c; }
    return o + "`";
}
std::string q_str(const std::string &s) {
    std::string o = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\') o += '\\';
        o += c;
    }
    return o + "'";
}

// ---- services -------------------------------------------------------------

bool systemd(SiteHost &h) {
    auto &m = h.profile().services;
    return m == "systemd" || (m == "auto" && !h.planning() && h.exists(h.profile().systemd_dir));
}

void nginx_test(SiteHost &h) {
    auto &p = h.profile();
    auto r = h.run({p.nginx.binary, "-t", "-q", "-c", p.nginx.config}, {}, false);
    if (!r.ok())
        raise(WPH_ERROR, "site", "nginx -t rejected the configuration: " + std::string(util::trim(r.err.empty() ? r.out : r.err)));
}

void nginx_reload(SiteHost &h) {
    nginx_test(h);
    auto &p = h.profile();
    if (systemd(h)) { h.run({"systemctl", "reload", "nginx"}); return; }
    if (!h.signal_pid_file(p.nginx.pid_file, SIGHUP, true))
        raise(WPH_ERROR, "site", "nginx is not running (no live process in " + p.nginx.pid_file + "); start it first");
}

std::string fpm_binary(const HostProfile &p, const std::string &v) { return p.php.fpm_dir + "/php-fpm" + v; }

void fpm_reload(SiteHost &h, const std::string &v) {
    auto &p = h.profile();
    auto r = h.run({fpm_binary(p, v), "-t", "-y", fpm_config(p, v)}, {}, false);
    if (!r.ok())
        raise(WPH_ERROR, "site", "php-fpm" + v + " -t rejected the configuration: " + std::string(util::trim(r.err + r.out)));
    if (systemd(h)) { h.run({"systemctl", "reload", "php" + v + "-fpm"}); return; }
    if (!h.signal_pid_file(fpm_pid_file(p, v), SIGUSR2))
        raise(WPH_ERROR, "site", "PHP-FPM " + v + " is not running (no live process in " + fpm_pid_file(p, v) + "); start it first");
}

// Wait until `path` appears (or, with `gone`, disappears). PHP-FPM reloads
// asynchronously: after SIGUSR2 the master re-executes itself and only then
// opens the sockets of new pools and closes (and unlinks) those of pools
// that are gone; until then a removed pool still answers and its user still
// runs processes.
void wait_for(SiteHost &h, const std::string &path, const char *what, bool gone = false) {
    if (h.planning()) return;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(5000, h.profile().command_timeout_ms));
    while (h.exists(path) == gone) {
        if (std::chrono::steady_clock::now() > end)
            raise(WPH_ETIMEOUT, "site", std::string(what) + (gone ? " did not go away: " : " did not appear: ") + path);
        ::usleep(10000);
    }
}

void require_php(SiteHost &h, const std::string &v) {
    if (h.planning()) return;
    auto &p = h.profile();
    if (!h.exists(fpm_binary(p, v)))
        raise(WPH_EINVALID, "site", "PHP " + v + " is not installed: no " + fpm_binary(p, v) + " (install php" + v + "-fpm)");
    if (!h.exists(php_cli(p, v)))
        raise(WPH_EINVALID, "site", "PHP " + v + " has no command line: no " + php_cli(p, v) + " (install php" + v + "-cli)");
    if (!h.exists(fpm_config(p, v))) raise(WPH_EINVALID, "site", "PHP-FPM " + v + " has no configuration at " + fpm_config(p, v));
}

// ---- undo operations: JSON, so that a later process can run them --------

json::object op(const char *kind, json::object args) {
    args["op"] = kind;
    return args;
}

std::string str(const json::object &o, const char *k) { return std::string(o.at(k).as_string()); }

void run_undo(SiteHost &h, const json::object &u, Engine *e) {
    auto kind = str(u, "op");
    if (kind == "groupdel") {
        if (h.planning() || h.group_exists(str(u, "name"))) h.run({kGroupdel, str(u, "name")});
    } else if (kind == "userdel") {
        if (h.planning() || h.user_exists(str(u, "name"))) h.run({kUserdel, str(u, "name")});
    } else if (kind == "rmtree") {
        h.remove_tree(str(u, "path"));
    } else if (kind == "rm") {
        h.remove_file(str(u, "path"));
    } else if (kind == "sql") {
        std::vector<std::string> s;
        for (auto &x : u.at("statements").as_array()) s.emplace_back(x.as_string());
        h.sql(s, s);
    } else if (kind == "reload_nginx") {
        nginx_reload(h);
    } else if (kind == "reload_fpm") {
        fpm_reload(h, str(u, "version"));
        // Journals written before "gone" existed have no socket to wait for.
        if (auto *g = u.if_contains("gone")) wait_for(h, std::string(g->as_string()), "the removed PHP-FPM pool's socket", true);
    } else if (kind == "redis") {
        h.redis_delete_prefix(str(u, "prefix"), static_cast<int>(u.at("database").to_number<std::int64_t>()));
    } else if (kind == "cert_forget") {
        // The site's ACME certificate: its record and files (not revoked:
        // it stays valid until it expires, and nothing serves it any more).
        if (!h.planning() && e) cert::forget(*e, str(u, "name"));
    } else {
        raise(WPH_EIO, "state", "unknown undo operation \"" + kind + "\" in the journal");
    }
}

// Runs the undo operations of a list in its order (each list is written in
// the order its operations must run: a file goes before the reload that
// forgets it), collecting failures as warnings.
void run_undos(SiteHost &h, const json::array &undos, std::vector<std::string> &warnings, Engine *e) {
    for (auto &u : undos) {
        try {
            run_undo(h, u.as_object(), e);
        } catch (const std::exception &) {
            warnings.push_back(current_exception_info().message);
        }
    }
}

// ---- the journal ----------------------------------------------------------

// Fault injection for tests: WPHOST_FAULT_INJECT="<op>:<step>" fails the
// operation right after that step; "<op>:<step>:crash" ends the process there.
void fault_point(const std::string &op_name, const std::string &step) {
    const char *f = std::getenv("WPHOST_FAULT_INJECT");
    if (!f || !*f) return;
    std::string want(f), here = op_name + ":" + step;
    if (want == here) raise(WPH_ERROR, "site", "injected failure after step \"" + step + "\" (WPHOST_FAULT_INJECT)");
    if (want == here + ":crash") ::_exit(86);
}

class Journal {
public:
    Journal(Store *store, std::int64_t site_id, std::string op_name) : store_(store), site_(site_id), op_(std::move(op_name)) {}

    // Record the undo, run the step, mark it done.
    template <class F> void step(const std::string &name, json::array undo, F &&f, Job *job = nullptr) {
        auto seq = begin(name, std::move(undo), job);
        f();
        finish(name, seq);
    }
    // A step in two halves, for one that runs beside others.
    int begin(const std::string &name, json::array undo, Job *job) {
        current_ = name;
        ++seq_;
        if (store_) store_->step_begin(site_, seq_, name, util::to_json(undo));
        undos_.push_back(json::object{{"step", name}, {"undo", undo}});
        if (job) job->cancel_token().check("step " + name);
        started_[name] = std::chrono::steady_clock::now();
        return seq_;
    }
    void finish(const std::string &name, int seq) {
        current_ = name;
        timings_[name] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_[name]).count();
        if (store_) store_->step_done(site_, seq);
        fault_point(op_, name);
    }
    void set_current(const std::string &name) { current_ = name; }
    const std::string &current() const { return current_; }
    json::object timings() const { return timings_; }

    // Undo every step begun, newest first.
    std::vector<std::string> undo_all(SiteHost &h, Engine *e) {
        std::vector<std::string> warnings;
        for (auto it = undos_.rbegin(); it != undos_.rend(); ++it) run_undos(h, it->as_object().at("undo").as_array(), warnings, e);
        return warnings;
    }

private:
    Store *store_;
    std::int64_t site_;
    std::string op_;
    int seq_ = 0;
    std::string current_;
    json::array undos_;
    json::object timings_;
    std::map<std::string, std::chrono::steady_clock::time_point> started_;
};

// ---- pieces of a site -----------------------------------------------------

struct Site {
    SiteSpec spec;
    SiteNames names;
    std::int64_t id = 0, parent_id = 0;
    std::string state;
};

Site load_site(Engine &e, const std::string &domain_in) {
    auto domain = normalize_domain(domain_in, "domain");
    auto rec = e.store().site_get(domain);
    if (!rec) raise(WPH_ENOTFOUND, "site", "no site " + domain);
    Site s;
    s.spec = spec_from_json(util::parse_json_object(rec->spec, "stored site spec", "state"));
    s.names = SiteNames::from_json(util::parse_json_object(rec->names, "stored site names", "state"));
    s.id = rec->id;
    s.parent_id = rec->parent_id;
    s.state = rec->state;
    return s;
}

std::string secrets_path(Engine &e, const SiteNames &n) { return e.state_dir() + "/sites/" + n.slug + ".json"; }

SiteSecrets load_secrets(Engine &e, SiteHost &h, const SiteNames &n) {
    auto text = h.read_file(secrets_path(e, n));
    if (!text) raise(WPH_EIO, "state", "the secrets of site " + n.slug + " are missing: " + secrets_path(e, n));
    return SiteSecrets::from_json(util::parse_json_object(*text, "site secrets", "state"));
}

void save_secrets(Engine &e, SiteHost &h, const SiteNames &n, const SiteSecrets &s) {
    h.make_dir(e.state_dir() + "/sites", 0700, {});
    h.write_file(secrets_path(e, n), util::to_json(s.to_json()), 0600, {}, true);
}

std::string htpasswd_path(const HostProfile &p, const SiteNames &n) { return p.nginx.sites_dir + "/wphost-" + n.slug + ".htpasswd"; }

bool purge_module(SiteHost &h) {
    if (h.planning()) return true;
    auto &p = h.profile();
    return h.exists(p.nginx.modules_enabled_dir + "/50-mod-http-cache-purge.conf");
}

RenderContext context(SiteHost &h, const Site &s, bool suspended, const SiteSecrets *sec, bool multisite_ready = true) {
    RenderContext c{h.profile(), s.spec, s.names, false, false, {}, {}, {}, false};
    c.suspended = suspended;
    c.purge_module = purge_module(h);
    if (sec && !sec->staging_password.empty()) c.htpasswd_file = htpasswd_path(h.profile(), s.names);
    if (s.spec.tls != "none") {
        c.ssl_cert = s.names.ssl_dir + "/fullchain.pem";
        c.ssl_key = s.names.ssl_dir + "/privkey.pem";
    }
    c.multisite_ready = multisite_ready;
    return c;
}

std::map<std::string, std::string> php_overrides(SiteHost &h, const SiteNames &n) {
    auto text = h.read_file(n.conf + "/php.ini");
    return text ? parse_php_overrides(*text, n.conf + "/php.ini") : std::map<std::string, std::string>{};
}

Owner site_owner(const SiteNames &n) { return {n.user, n.group}; }

// Run one of the embedded PHP scripts as the site's user, JSON on stdin.
json::object run_php_script(SiteHost &h, const Site &s, const char *name, const std::string &script, const json::object &input,
                            bool secret) {
    auto &p = h.profile();
    std::string file = s.names.tmp + "/wphost-" + name + "-" + random_password(10) + ".php";
    h.write_file(file, script, 0644, {});
    RunOptions o;
    o.as_user = s.names.user;
    o.cwd = s.names.docroot;
    o.stdin_data = util::to_json(input);
    o.secret_stdin = secret;
    o.timeout = std::chrono::milliseconds(std::max(300000, p.command_timeout_ms));
    ProcessResult r;
    try {
        r = h.run({php_cli(p, s.spec.php), "-d", "display_errors=stderr", "-d", "memory_limit=512M", "-f", file}, o, false);
    } catch (...) {
        h.remove_file(file);
        throw;
    }
    h.remove_file(file);
    if (h.planning()) return json::object{{"ok", true}};
    json::object out;
    auto line = std::string(util::trim(r.out));
    if (auto nl = line.rfind('\n'); nl != std::string::npos) line = line.substr(nl + 1);
    try {
        out = util::parse_json_object(line, std::string(name) + ".php output", "site");
    } catch (const Error &) {
        raise(WPH_ERROR, "site", std::string(name) + ".php failed (exit " + std::to_string(r.exit_code) + "): " +
                                     std::string(util::trim(r.err.empty() ? r.out : r.err)).substr(0, 2000));
    }
    if (!r.ok() || !out.contains("ok") || !out.at("ok").is_bool() || !out.at("ok").as_bool()) {
        std::string why = out.contains("error") && out.at("error").is_string() ? std::string(out.at("error").as_string()) : r.err;
        raise(WPH_ERROR, "site", std::string(name) + ".php failed: " + why);
    }
    return out;
}

// The read-only WordPress core a source gives, made once per source.
std::string ensure_core(SiteHost &h, const std::string &source) {
    auto &p = h.profile();
    bool url = source.rfind("https://", 0) == 0 || source.rfind("http://", 0) == 0;
    std::string key = slug_for(source, true);
    key = key.substr(key.size() - 8);
    std::string dir = p.core_store + "/" + key;
    if (!h.planning() && h.exists(dir + "/.wphost-complete")) return dir;
    h.make_dir(p.core_store, 0755, {});
    std::string local = source;
    if (url) {
        local = p.core_store + "/" + key + ".download";
        if (!h.exists(local)) h.download(source, local);
    }
    std::string tmp = dir + ".tmp-" + random_password(8);
    h.make_dir(tmp, 0755, {});
    try {
        bool is_dir = h.planning() ? !url && source.find(".tar") == std::string::npos && !source.ends_with(".tgz") &&
                                         !source.ends_with(".zip")
                                   : (h.exists(local + "/.") );
        if (is_dir) {
            if (!h.planning() && !h.exists(local + "/wp-includes/version.php"))
                raise(WPH_EINVALID, "site", "source " + source + " is not a WordPress directory (no wp-includes/version.php)");
            h.install_tree(local, tmp, {}, false, {"wp-config.php", ".htaccess"});
        } else if (local.ends_with(".zip")) {
            h.run({"/usr/bin/unzip", "-q", local, "-d", tmp}, {}, true);
            h.rename(tmp + "/wordpress", tmp + "-inner");
            h.remove_tree(tmp);
            h.rename(tmp + "-inner", tmp);
        } else {
            if (!h.planning() && !h.exists(local)) raise(WPH_EINVALID, "site", "source " + source + " does not exist");
            h.run({"/usr/bin/tar", "-xf", local, "-C", tmp, "--strip-components=1", "--no-same-owner", "--no-same-permissions"});
        }
        if (!h.planning() && !h.exists(tmp + "/wp-includes/version.php"))
            raise(WPH_EINVALID, "site", "source " + source + " does not hold WordPress (no wp-includes/version.php)");
        h.remove_file(tmp + "/wp-config.php");
        h.write_file(tmp + "/.wphost-complete", source + "\n", 0644, {});
        h.rename(tmp, dir);
    } catch (...) {
        try { h.remove_tree(tmp); } catch (...) {}
        throw;
    }
    return dir;
}

// Choose names that neither this engine nor the host uses yet.
SiteNames choose_names(Engine &e, SiteHost &h, const std::string &domain) {
    auto &p = h.profile();
    for (bool hashed : {false, true}) {
        auto slug = slug_for(domain, hashed);
        auto n = make_names(p, domain, slug);
        bool taken = e.store().slug_taken(slug) || h.user_exists(n.user) || h.group_exists(n.group);
        if (!taken && !h.planning()) {
            auto rows = h.query("SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + q_str(n.db_name) +
                                ") + (SELECT COUNT(*) FROM mysql.user WHERE User = " + q_str(n.db_user) + ")");
            taken = !rows.empty() && !rows[0].empty() && rows[0][0] != "0";
        }
        if (!taken) return n;
    }
    raise(WPH_EEXISTS, "site", "the names for " + domain + " are taken on this host (user, group or database)");
}

void check_free(SiteHost &h, const SiteNames &n) {
    if (h.exists(n.home)) raise(WPH_EEXISTS, "site", n.home + " already exists on this host and is not a site of this engine");
    if (h.exists(n.nginx_file)) raise(WPH_EEXISTS, "site", n.nginx_file + " already exists on this host");
}

// ---- ACME certificates -----------------------------------------------------

// The names a site's certificate covers: the domain, its aliases, the www.
// twin nginx answers for, and the wildcard of a subdomain multisite.
std::vector<std::string> cert_names(const SiteSpec &spec) {
    std::vector<std::string> names{spec.domain};
    auto add = [&](const std::string &x) {
        if (std::find(names.begin(), names.end(), x) == names.end()) names.push_back(x);
    };
    for (auto &a : spec.aliases) add(a);
    if (spec.www != "none") add(spec.domain.rfind("www.", 0) == 0 ? spec.domain.substr(4) : "www." + spec.domain);
    if (spec.multisite == "subdomain") add("*." + spec.domain);
    return names;
}

// The certificate request of an ACME site: HTTP-01 through the site's
// challenge directory, or DNS-01 when the host profile's "acme" object names
// a DNS provider (and always for the wildcard of a subdomain multisite).
json::object acme_request(Engine &e, const SiteSpec &spec, const SiteNames &n) {
    auto acme = util::parse_json_object(e.profile().acme_json, "host profile \"acme\"", "site");
    bool dns = false;
    if (auto it = acme.find("dns"); it != acme.end() && it->value().is_object())
        dns = it->value().as_object().contains("provider");
    json::array names;
    bool wildcard = false;
    for (auto &x : cert_names(spec)) {
        wildcard = wildcard || x.rfind("*.", 0) == 0;
        names.emplace_back(x);
    }
    if (wildcard && !dns)
        raise(WPH_EINVALID, "site", "site spec: \"tls\" \"acme\" for a subdomain multisite needs a wildcard certificate, "
                                    "which only DNS-01 can validate: configure a DNS provider in the host profile's \"acme\".\"dns\" "
                                    "(docs/cert.md)");
    json::object req{{"names", names}, {"challenge", dns ? "dns-01" : "http-01"}, {"site", spec.domain}};
    if (!dns) req["webroot"] = n.home + "/acme";
    cert::validate_request(req);
    return req;
}

// Copy an issued key and chain into the site's ssl directory (0600, root).
void install_cert_files(SiteHost &h, const SiteNames &n, const std::string &key_path, const std::string &fullchain_path) {
    auto key = h.read_file(key_path);
    auto chain = h.read_file(fullchain_path);
    if (!key || !chain) raise(WPH_EIO, "site", "the issued certificate's files are missing: " + key_path + ", " + fullchain_path);
    h.make_dir(h.profile().ssl_dir, 0700, {});
    h.make_dir(n.ssl_dir, 0700, {});
    h.write_file(n.ssl_dir + "/privkey.pem", *key, 0600, {}, true);
    h.write_file(n.ssl_dir + "/fullchain.pem", *chain, 0600, {}, true);
}

struct CreateInput {
    SiteSpec spec;
    const Site *from = nullptr;  // clone source
    bool staging = false;
};

std::string url_host(const std::string &url) {
    auto p = url.find("//");
    return p == std::string::npos ? url : url.substr(p + 2);
}

// The steps of create (and of clone, which copies instead of installing).
json::object build_site(Engine &e, Job *job, SiteHost &h, CreateInput in, std::int64_t site_id, const SiteNames &n,
                        Journal &j) {
    auto &p = h.profile();
    Site s;
    s.spec = in.spec;
    s.names = n;
    s.id = site_id;
    auto &spec = s.spec;
    std::string generated_password;
    if (spec.admin_password.empty() && !in.from) generated_password = spec.admin_password = random_password(20);
    SiteSecrets sec = SiteSecrets::generate();
    if (in.staging) sec.staging_password = random_password(16);
    Owner own = site_owner(n);
    std::string url = site_url(p, spec);
    auto progress = [&](unsigned k) { if (job) job->report("site", k, 14); };

    progress(1);
    j.step("group", json::array{op("groupdel", {{"name", n.group}})}, [&] { h.run({kGroupadd, "--system", n.group}); }, job);
    progress(2);
    j.step("user", json::array{op("userdel", {{"name", n.user}})}, [&] {
        h.run({kUseradd, "--system", "--gid", n.group, "--home-dir", n.home, "--no-create-home", "--shell", "/usr/sbin/nologin", n.user});
    }, job);
    progress(3);
    j.step("home", json::array{op("rmtree", {{"path", n.home}})}, [&] {
        h.make_dir(p.sites_root, 0755, {});
        // nginx reaches the site through its group; other sites cannot enter.
        h.make_dir(n.home, 0750, {n.user, p.nginx.user});
        h.make_dir(n.docroot, 0755, own);
        h.make_dir(n.logs, 0750, own);
        h.make_dir(n.tmp, 0700, own);
        h.make_dir(n.tmp + "/uploads", 0700, own);
        h.make_dir(n.tmp + "/sessions", 0700, own);
        // The operator's overrides: root's, so a compromised site cannot
        // rewrite its own nginx or PHP-FPM settings.
        h.make_dir(n.conf, 0755, {});
        h.make_dir(n.conf + "/nginx", 0755, {});
        // The ACME CA's HTTP-01 answers (served at /.well-known/acme-challenge/):
        // root's, so a site cannot answer for a name on the operator's behalf.
        if (spec.tls == "acme") h.make_dir(n.home + "/acme", 0755, {});
    }, job);
    progress(4);
    j.step("files", json::array{}, [&] {
        auto core = ensure_core(h, spec.source);
        if (spec.core == "shared") {
            h.install_tree(core, n.docroot, {}, true, {"wp-content", "wp-config.php", "wp-config-sample.php", ".wphost-complete"});
            h.make_dir(n.docroot + "/wp-content", 0755, own);
            h.install_tree(in.from ? in.from->names.docroot + "/wp-content" : core + "/wp-content", n.docroot + "/wp-content", own, false, {});
        } else {
            h.install_tree(in.from ? in.from->names.docroot : core, n.docroot, own, false, {"wp-config.php", ".wphost-complete"});
        }
        h.make_dir(n.docroot + "/wp-content/uploads", 0755, own);
    }, job);
    progress(5);
    j.step("secrets", json::array{op("rm", {{"path", secrets_path(e, n)}})}, [&] { save_secrets(e, h, n, sec); }, job);
    progress(6);
    j.step("database", json::array{op("sql", {{"statements", json::array{"DROP DATABASE IF EXISTS " + q_ident(n.db_name)}}})}, [&] {
        std::string s1 = "CREATE DATABASE " + q_ident(n.db_name) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
        h.sql({s1}, {s1});
    }, job);
    progress(7);
    j.step("database_user",
           json::array{op("sql", {{"statements", json::array{"DROP USER IF EXISTS " + q_str(n.db_user) + "@'localhost'"}}})}, [&] {
        // What WordPress needs, and nothing else: no GRANT OPTION, no FILE,
        // no access to any other database.
        std::string create = "CREATE USER " + q_str(n.db_user) + "@'localhost' IDENTIFIED BY ";
        std::string grant = "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, CREATE TEMPORARY TABLES, "
                            "LOCK TABLES, REFERENCES, CREATE VIEW, SHOW VIEW, TRIGGER ON " + q_ident(n.db_name) + ".* TO " +
                            q_str(n.db_user) + "@'localhost'";
        h.sql({create + q_str(sec.db_password), grant}, {create + "'(secret)'", grant});
    }, job);
    progress(8);
    j.step("wp_config", json::array{}, [&] {
        h.write_file(n.wp_config, render_wp_config(context(h, s, false, &sec, false), sec), 0600, own, true);
    }, job);
    progress(9);
    // PHP-FPM takes the new pool while WordPress installs (or the database
    // is copied): neither needs the other, and nothing reaches the pool
    // before nginx's step. A reload is a tenth of a second of each create.
    auto pool_seq = j.begin("php_pool",
                            json::array{op("rm", {{"path", pool_file(p, spec.php, n)}}),
                                        op("reload_fpm", {{"version", spec.php}, {"gone", pool_socket(p, spec.php, n)}})},
                            job);
    auto pool_work = [&] {
        h.write_file(pool_file(p, spec.php, n), render_pool(context(h, s, false, &sec), php_overrides(h, n)), 0644, {});
        fpm_reload(h, spec.php);
        wait_for(h, pool_socket(p, spec.php, n), "the PHP-FPM pool's socket");
    };
    std::future<void> pool_done;
    if (h.planning()) pool_work();  // a plan records its actions in order
    else pool_done = std::async(std::launch::async, pool_work);
    try {
        if (!in.from) {
            j.step("install", json::array{}, [&] {
                int port = spec.tls != "none" ? p.nginx.https_port : p.nginx.http_port;
                json::object input{{"url", url}, {"title", spec.title}, {"admin_user", spec.admin_user},
                                   {"admin_email", spec.admin_email}, {"admin_password", spec.admin_password},
                                   {"locale", spec.locale}, {"public", spec.environment == "production"},
                                   {"permalink", "/%postname%/"},
                                   {"multisite", spec.multisite.empty() ? json::value(nullptr) : json::value(spec.multisite)},
                                   {"domain", spec.domain}, {"port", port}};
                run_php_script(h, s, "install", php_install_script(), input, true);
                if (!spec.multisite.empty())
                    h.write_file(n.wp_config, render_wp_config(context(h, s, false, &sec, true), sec), 0600, own, true);
            }, job);
        } else {
            j.step("copy_database", json::array{}, [&] {
                auto &src = *in.from;
                auto tables = h.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + q_str(src.names.db_name) +
                                      " AND TABLE_TYPE = 'BASE TABLE'");
                std::vector<std::string> stmts;
                for (auto &row : tables) {
                    stmts.push_back("CREATE TABLE " + q_ident(n.db_name) + "." + q_ident(row[0]) + " LIKE " + q_ident(src.names.db_name) +
                                    "." + q_ident(row[0]));
                    stmts.push_back("INSERT INTO " + q_ident(n.db_name) + "." + q_ident(row[0]) + " SELECT * FROM " +
                                    q_ident(src.names.db_name) + "." + q_ident(row[0]));
                }
                h.sql(stmts, stmts);
                std::string old_url = site_url(p, src.spec);
                json::array pairs{json::array{old_url, url}, json::array{"//" + url_host(old_url), "//" + url_host(url)}};
                run_php_script(h, s, "search-replace", php_search_replace_script(), json::object{{"pairs", pairs}, {"tables", json::array{}},
                                                                                             {"skip_columns", json::array{"guid"}}}, false);
                std::vector<std::string> fix;
                if (!spec.multisite.empty()) {
                    fix.push_back("UPDATE " + q_ident(n.db_name) + ".`wp_blogs` SET domain = REPLACE(domain, " + q_str(src.spec.domain) +
                                  ", " + q_str(spec.domain) + ")");
                    fix.push_back("UPDATE " + q_ident(n.db_name) + ".`wp_site` SET domain = REPLACE(domain, " + q_str(src.spec.domain) +
                                  ", " + q_str(spec.domain) + ")");
                }
                if (in.staging)
                    fix.push_back("UPDATE " + q_ident(n.db_name) + ".`wp_options` SET option_value = '0' WHERE option_name = 'blog_public'");
                if (!fix.empty()) h.sql(fix, fix);
                if (!spec.multisite.empty())
                    h.write_file(n.wp_config, render_wp_config(context(h, s, false, &sec, true), sec), 0600, own, true);
            }, job);
        }
    } catch (...) {
        // The undo must not race the pool's reload.
        if (pool_done.valid()) try { pool_done.get(); } catch (...) {}
        throw;
    }
    j.set_current("php_pool");
    if (pool_done.valid()) pool_done.get();
    j.finish("php_pool", pool_seq);
    progress(10);
    if (spec.cache == "page+object") {
        j.step("object_cache", json::array{op("redis", {{"prefix", n.redis_prefix}, {"database", spec.redis_database}})}, [&] {
            h.write_file(n.docroot + "/wp-content/object-cache.php", php_object_cache_script(), 0644, own);
        }, job);
    } else if (in.from) {
        h.remove_file(n.docroot + "/wp-content/object-cache.php");
    }
    progress(12);
    // ACME sites start with a self-signed stand-in, so nginx can load the
    // HTTPS server block and answer the CA's challenge on plain HTTP.
    if (spec.tls == "self-signed" || spec.tls == "acme") {
        j.step("certificate", json::array{op("rmtree", {{"path", n.ssl_dir}})}, [&] {
            h.make_dir(p.ssl_dir, 0700, {});
            h.make_dir(n.ssl_dir, 0700, {});
            auto pair = self_signed_certificate(spec.domain, spec.aliases);
            h.write_file(n.ssl_dir + "/privkey.pem", pair.key_pem, 0600, {}, true);
            h.write_file(n.ssl_dir + "/fullchain.pem", pair.cert_pem, 0644, {});
        }, job);
    }
    progress(13);
    if (in.staging) {
        j.step("staging_auth", json::array{op("rm", {{"path", htpasswd_path(p, n)}})}, [&] {
            h.write_file(htpasswd_path(p, n), "staging:" + crypt_sha512(sec.staging_password) + "\n", 0640, {"", p.nginx.user}, true);
        }, job);
    }
    j.step("nginx",
           json::array{op("rm", {{"path", n.nginx_file}}), op("reload_nginx", {}), op("rmtree", {{"path", n.cache_dir}})}, [&] {
        if (spec.cache != "none") {
            h.make_dir(p.nginx.cache_dir, 0755, {});
            h.make_dir(n.cache_dir, 0700, {p.nginx.user, ""});
        }
        h.write_file(n.nginx_file, render_nginx(context(h, s, false, &sec)), 0644, {});
        nginx_reload(h);
    }, job);
    if (spec.tls == "acme") {
        j.step("acme", json::array{op("cert_forget", {{"name", spec.domain}})}, [&] {
            if (h.planning()) return;
            auto rec = cert::issue(e, job, acme_request(e, spec, n));
            // The certificate engine's site hook installs it; without one
            // (an engine used directly from C++), install it here.
            std::string key_path(rec.at("key_path").as_string()), cert_path(rec.at("cert_path").as_string());
            if (h.read_file(n.ssl_dir + "/fullchain.pem") != h.read_file(cert_path)) {
                install_cert_files(h, n, key_path, cert_path);
                nginx_reload(h);
            }
        }, job);
    }
    progress(14);

    json::object res{{"domain", spec.domain}, {"url", url}, {"state", "active"}, {"php", spec.php},
                     {"admin_user", spec.admin_user}, {"login_url", url + "/wp-login.php"},
                     {"user", n.user}, {"home", n.home}, {"docroot", n.docroot}, {"db_name", n.db_name},
                     {"db_user", n.db_user}};
    if (!generated_password.empty()) res["admin_password"] = generated_password;
    if (in.staging) {
        res["staging_user"] = "staging";
        res["staging_password"] = sec.staging_password;
    }
    int port = spec.tls != "none" ? p.nginx.https_port : p.nginx.http_port;
    bool default_port = port == (spec.tls != "none" ? 443 : 80);
    res["try"] = std::string("curl ") + (spec.tls != "none" ? "-k " : "") + "-H 'Host: " + spec.domain + "' " +
                 (spec.tls != "none" ? "https" : "http") + "://127.0.0.1" + (default_port ? "" : ":" + std::to_string(port)) + "/";
    return res;
}

std::string create_site(Engine &e, Job &job, CreateInput in, const char *op_name) {
    auto h = make_local_host(e.profile(), &job.cancel_token());
    require_php(*h, in.spec.php);
    if (!in.from && in.spec.source.front() == '/' && !h->exists(in.spec.source))
        raise(WPH_EINVALID, "site", "source " + in.spec.source + " does not exist");
    if (e.store().site_get(in.spec.domain)) raise(WPH_EEXISTS, "site", "a site " + in.spec.domain + " already exists");
    auto n = choose_names(e, *h, in.spec.domain);
    check_free(*h, n);
    if (in.spec.tls == "acme") acme_request(e, in.spec, n);  // refuse a request the CA cannot serve before any step
    auto stored = in.spec;
    stored.admin_password.clear();
    auto site_id = e.store().site_insert(in.spec.domain, "creating", util::to_json(stored.to_json()), util::to_json(n.to_json()),
                                         in.from && in.staging ? in.from->id : 0, job.id());
    Journal j(&e.store(), site_id, op_name);
    auto t0 = std::chrono::steady_clock::now();
    try {
        auto res = build_site(e, &job, *h, in, site_id, n, j);
        e.store().site_update(site_id, "active", nullptr, 0);
        e.store().steps_clear(site_id);
        res["timings"] = j.timings();
        res["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return util::to_json(res);
    } catch (...) {
        auto info = current_exception_info();
        // Undo with a host of its own: a cancelled job's token would refuse
        // every command the undo needs.
        auto undo_host = make_local_host(e.profile(), nullptr);
        auto warnings = j.undo_all(*undo_host, &e);
        try {
            e.store().site_delete(site_id);
        } catch (...) {
            warnings.push_back(current_exception_info().message);
        }
        info.message = std::string(op_name) + " " + in.spec.domain + " failed at step \"" + j.current() + "\": " + info.message;
        if (warnings.empty()) info.message += "; every step before it was undone";
        else {
            info.message += "; undoing left problems:";
            for (auto &w : warnings) info.message += " [" + w + "]";
        }
        throw Error(info);
    }
}

// Everything create makes, as undo operations in the order they run:
// nginx forgets the site first, then PHP-FPM, then data, files and accounts.
json::array teardown(Engine &e, SiteHost &h, const Site &s) {
    auto &p = h.profile();
    auto &n = s.names;
    json::array u{op("rm", {{"path", n.nginx_file}}), op("reload_nginx", {}), op("rmtree", {{"path", n.cache_dir}}),
                  op("rm", {{"path", htpasswd_path(p, n)}}), op("rmtree", {{"path", n.ssl_dir}}),
                  op("rm", {{"path", pool_file(p, s.spec.php, n)}}),
                  op("reload_fpm", {{"version", s.spec.php}, {"gone", pool_socket(p, s.spec.php, n)}})};
    if (s.spec.cache == "page+object") u.push_back(op("redis", {{"prefix", n.redis_prefix}, {"database", s.spec.redis_database}}));
    if (s.spec.tls == "acme") u.push_back(op("cert_forget", {{"name", s.spec.domain}}));
    for (auto &x : json::array{op("sql", {{"statements", json::array{"DROP USER IF EXISTS " + q_str(n.db_user) + "@'localhost'"}}}),
                               op("sql", {{"statements", json::array{"DROP DATABASE IF EXISTS " + q_ident(n.db_name)}}}),
                               op("rm", {{"path", secrets_path(e, n)}}), op("rmtree", {{"path", n.home}}),
                               op("userdel", {{"name", n.user}}), op("groupdel", {{"name", n.group}})})
        u.push_back(x);
    return u;
}

void write_if_changed(SiteHost &h, const std::string &path, const std::string &data, mode_t mode, const Owner &o, bool secret,
                      json::array &changed) {
    auto old = h.read_file(path);
    if (old && *old == data) return;
    h.write_file(path, data, mode, o, secret);
    changed.emplace_back(path);
}

// Rewrite the generated files of a site; reload what changed.
json::array regenerate_files(Engine &e, SiteHost &h, const Site &s, bool suspended, bool reload_always = false) {
    auto &p = h.profile();
    auto sec = load_secrets(e, h, s.names);
    json::array changed;
    auto ctx = context(h, s, suspended, &sec);
    write_if_changed(h, s.names.wp_config, render_wp_config(ctx, sec), 0600, site_owner(s.names), true, changed);
    if (s.spec.cache == "page+object")
        write_if_changed(h, s.names.docroot + "/wp-content/object-cache.php", php_object_cache_script(), 0644, site_owner(s.names),
                         false, changed);
    if (suspended) write_if_changed(h, s.names.home + "/wphost-suspended.html", render_suspended_page(s.spec), 0644, {}, false, changed);
    auto pool_before = changed.size();
    write_if_changed(h, pool_file(p, s.spec.php, s.names), render_pool(ctx, php_overrides(h, s.names)), 0644, {}, false, changed);
    if (changed.size() != pool_before) fpm_reload(h, s.spec.php);
    auto nginx_before = changed.size();
    write_if_changed(h, s.names.nginx_file, render_nginx(ctx), 0644, {}, false, changed);
    // The operator's conf/nginx/*.conf may have changed without the server
    // block changing: a regeneration always has nginx read them again
    // (nginx -t first names a bad override's file and line).
    if (changed.size() != nginx_before || reload_always) nginx_reload(h);
    return changed;
}

// Set while this thread holds g_site_mu: the certificate engine's site hook
// runs inside a site create (the "acme" step) as well as on its own (renewal).
thread_local bool t_in_site_op = false;

template <class F> std::string locked_op(Engine &e, F &&f) {
    std::lock_guard<std::mutex> lock(g_site_mu);
    struct Flag {
        Flag() { t_in_site_op = true; }
        ~Flag() { t_in_site_op = false; }
    } flag;
    recover(e);
    return f();
}

}  // namespace

void set_before_destroy_hook(BeforeDestroyHook hook) {
    std::lock_guard<std::mutex> lock(g_hook_mu);
    g_before_destroy = std::move(hook);
}

static void before_destroy(Engine &e, const std::string &domain, const char *why) {
    BeforeDestroyHook h;
    {
        std::lock_guard<std::mutex> lock(g_hook_mu);
        h = g_before_destroy;
    }
    if (h) h(e, domain, why);
}

void recover(Engine &e) {
    for (auto &rec : e.store().sites()) {
        if (rec.state != "creating" && rec.state != "deleting") continue;
        if (rec.job_id && e.store().job_alive(rec.job_id)) continue;
        // The process that worked on it is gone: undo what its journal
        // says was begun (a crashed create), or finish a delete.
        auto h = make_local_host(e.profile(), nullptr);
        std::vector<std::string> warnings;
        if (rec.state == "creating") {
            auto steps = e.store().steps(rec.id);
            for (auto it = steps.rbegin(); it != steps.rend(); ++it)
                run_undos(*h, util::parse_json(it->undo, "journal", "state").as_array(), warnings, &e);
        } else {
            Site s;
            s.spec = spec_from_json(util::parse_json_object(rec.spec, "stored site spec", "state"));
            s.names = SiteNames::from_json(util::parse_json_object(rec.names, "stored site names", "state"));
            run_undos(*h, teardown(e, *h, s), warnings, &e);
        }
        e.store().site_delete(rec.id);
    }
}

std::string plan_create(Engine &e, const std::string &spec_json) {
    auto spec = parse_spec(spec_json);
    auto h = make_plan_host(e.profile());
    auto n = make_names(e.profile(), spec.domain, slug_for(spec.domain, false));
    Journal j(nullptr, 0, "plan");
    CreateInput in{spec};
    build_site(e, nullptr, *h, in, 0, n, j);
    auto stored = spec;
    stored.admin_password.clear();
    return util::to_json(json::object{{"site", stored.to_json()}, {"names", n.to_json()}, {"actions", h->actions()}});
}

std::string create(Engine &e, Job &job, const std::string &spec_json) {
    auto spec = parse_spec(spec_json);
    return locked_op(e, [&] { return create_site(e, job, CreateInput{spec}, "site.create"); });
}

std::string clone(Engine &e, Job &job, const std::string &from, const std::string &spec_json, bool staging) {
    return locked_op(e, [&] {
        auto src = load_site(e, from);
        if (src.state != "active" && src.state != "suspended") raise(WPH_ECONFLICT, "site", "site " + src.spec.domain + " is " + src.state);
        auto given = spec_json.empty() ? json::object{} : util::parse_json_object(spec_json, "site spec", "site");
        if (staging && !given.contains("domain")) given["domain"] = "staging." + src.spec.domain;
        auto merged = src.spec.to_json();
        merged.erase("domain_unicode");
        for (auto &kv : given) merged[kv.key()] = kv.value();
        if (staging) merged["environment"] = "staging";
        CreateInput in{spec_from_json(merged), &src, staging};
        if (in.spec.multisite != src.spec.multisite)
            raise(WPH_EINVALID, "site", "site spec: \"multisite\" of a clone must be the source's");
        return create_site(e, job, in, staging ? "site.staging" : "site.clone");
    });
}

std::string remove(Engine &e, Job &job, const std::string &domain) {
    return locked_op(e, [&] {
        auto s = load_site(e, domain);
        for (auto &other : e.store().sites())
            if (other.parent_id == s.id)
                raise(WPH_ECONFLICT, "site", "site " + s.spec.domain + " has a staging site " + other.domain + "; delete that first");
        before_destroy(e, s.spec.domain, "delete");
        e.store().site_update(s.id, "deleting", nullptr, job.id());
        auto h = make_local_host(e.profile(), &job.cancel_token());
        std::vector<std::string> warnings;
        auto t0 = std::chrono::steady_clock::now();
        run_undos(*h, teardown(e, *h, s), warnings, &e);
        e.store().site_delete(s.id);
        json::array w;
        for (auto &x : warnings) w.emplace_back(x);
        return util::to_json(json::object{{"domain", s.spec.domain}, {"deleted", true}, {"warnings", w},
                                          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}});
    });
}

std::string suspend(Engine &e, Job &job, const std::string &domain, bool on) {
    return locked_op(e, [&] {
        auto s = load_site(e, domain);
        std::string want = on ? "suspended" : "active";
        if (s.state != "active" && s.state != "suspended") raise(WPH_ECONFLICT, "site", "site " + s.spec.domain + " is " + s.state);
        auto h = make_local_host(e.profile(), &job.cancel_token());
        auto changed = regenerate_files(e, *h, s, on);
        if (!on) h->remove_file(s.names.home + "/wphost-suspended.html");
        e.store().site_update(s.id, want, nullptr, 0);
        return util::to_json(json::object{{"domain", s.spec.domain}, {"state", want}, {"changed", changed}});
    });
}

std::string regenerate(Engine &e, Job &job, const std::string &domain) {
    return locked_op(e, [&] {
        auto s = load_site(e, domain);
        if (s.state != "active" && s.state != "suspended") raise(WPH_ECONFLICT, "site", "site " + s.spec.domain + " is " + s.state);
        auto h = make_local_host(e.profile(), &job.cancel_token());
        auto changed = regenerate_files(e, *h, s, s.state == "suspended", true);
        return util::to_json(json::object{{"domain", s.spec.domain}, {"changed", changed}});
    });
}

std::string set_php(Engine &e, Job &job, const std::string &domain, const std::string &version) {
    return locked_op(e, [&] {
        if (!is_php_version(version)) raise(WPH_EINVALID, "site", "\"" + version + "\" is not a PHP version such as 8.2");
        auto s = load_site(e, domain);
        if (s.state != "active" && s.state != "suspended") raise(WPH_ECONFLICT, "site", "site " + s.spec.domain + " is " + s.state);
        auto h = make_local_host(e.profile(), &job.cancel_token());
        require_php(*h, version);
        auto old = s.spec.php;
        if (old == version) return util::to_json(json::object{{"domain", s.spec.domain}, {"php", version}, {"changed", false}});
        auto &p = e.profile();
        auto sec = load_secrets(e, *h, s.names);
        bool suspended = s.state == "suspended";
        // The new pool first, then nginx to it, then the old pool away: the
        // site keeps answering throughout (the sockets carry the version).
        Site next = s;
        next.spec.php = version;
        try {
            h->write_file(pool_file(p, version, s.names), render_pool(context(*h, next, suspended, &sec), php_overrides(*h, s.names)),
                          0644, {});
            fpm_reload(*h, version);
            wait_for(*h, pool_socket(p, version, s.names), "the PHP-FPM pool's socket");
            h->write_file(s.names.nginx_file, render_nginx(context(*h, next, suspended, &sec)), 0644, {});
            nginx_reload(*h);
        } catch (...) {
            // Back to the old version, which never stopped.
            h->write_file(s.names.nginx_file, render_nginx(context(*h, s, suspended, &sec)), 0644, {});
            try { nginx_reload(*h); } catch (...) {}
            h->remove_file(pool_file(p, version, s.names));
            try { fpm_reload(*h, version); } catch (...) {}
            throw;
        }
        h->remove_file(pool_file(p, old, s.names));
        fpm_reload(*h, old);
        auto stored = next.spec;
        auto spec_text = util::to_json(stored.to_json());
        e.store().site_update(s.id, s.state, &spec_text, 0);
        return util::to_json(json::object{{"domain", s.spec.domain}, {"php", version}, {"previous", old}, {"changed", true}});
    });
}

std::string push(Engine &e, Job &job, const std::string &staging_domain, const std::string &options_json) {
    return locked_op(e, [&] {
        auto st = load_site(e, staging_domain);
        if (!st.parent_id) raise(WPH_EINVALID, "site", "site " + st.spec.domain + " is not a staging site");
        auto parent = e.store().site_by_id(st.parent_id);
        if (!parent) raise(WPH_ENOTFOUND, "site", "the live site of " + st.spec.domain + " is gone");
        auto live = load_site(e, parent->domain);
        auto opts = options_json.empty() ? json::object{} : util::parse_json_object(options_json, "push options", "site");
        bool files = true, database = true;
        std::vector<std::string> tables;
        for (auto &kv : opts) {
            auto k = std::string(kv.key());
            if (k == "files" || k == "database") {
                if (!kv.value().is_bool()) raise(WPH_EINVALID, "site", "push options: \"" + k + "\" must be true or false");
                (k == "files" ? files : database) = kv.value().as_bool();
            } else if (k == "tables") {
                if (!kv.value().is_array()) raise(WPH_EINVALID, "site", "push options: \"tables\" must be an array of table names");
                for (auto &t : kv.value().as_array()) {
                    if (!t.is_string()) raise(WPH_EINVALID, "site", "push options: table names must be strings");
                    std::string name(t.as_string());
                    bool ok = !name.empty() && name.size() <= 64;
                    for (unsigned char c : name) ok = ok && (std::isalnum(c) || c == '_');
                    if (!ok) raise(WPH_EINVALID, "site", "push options: \"" + name + "\" is not a table name");
                    tables.push_back(name);
                }
            } else {
                raise(WPH_EINVALID, "site", "push options: \"" + k + "\" is not a known field");
            }
        }
        if (!files && !database) raise(WPH_EINVALID, "site", "push options: nothing to push (files and database are both false)");
        before_destroy(e, live.spec.domain, "push");
        auto h = make_local_host(e.profile(), &job.cancel_token());
        auto &p = e.profile();
        json::object res{{"from", st.spec.domain}, {"to", live.spec.domain}};
        if (database) {
            auto all = h->query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + q_str(st.names.db_name) +
                                " AND TABLE_TYPE = 'BASE TABLE'");
            std::vector<std::string> chosen;
            for (auto &r : all)
                if (tables.empty() || std::find(tables.begin(), tables.end(), r[0]) != tables.end()) chosen.push_back(r[0]);
            for (auto &t : tables)
                if (std::find(chosen.begin(), chosen.end(), t) == chosen.end())
                    raise(WPH_ENOTFOUND, "site", "staging site " + st.spec.domain + " has no table " + t);
            // Copy into new tables beside the live ones, rewrite the URLs
            // there, then swap all of them in one RENAME.
            std::vector<std::string> copy, cleanup;
            json::array new_tables;
            for (auto &t : chosen) {
                std::string nt = "wphnew_" + t;
                cleanup.push_back("DROP TABLE IF EXISTS " + q_ident(live.names.db_name) + "." + q_ident(nt));
                copy.push_back(cleanup.back());
                copy.push_back("CREATE TABLE " + q_ident(live.names.db_name) + "." + q_ident(nt) + " LIKE " +
                               q_ident(st.names.db_name) + "." + q_ident(t));
                copy.push_back("INSERT INTO " + q_ident(live.names.db_name) + "." + q_ident(nt) + " SELECT * FROM " +
                               q_ident(st.names.db_name) + "." + q_ident(t));
                new_tables.emplace_back(nt);
            }
            try {
                h->sql(copy, copy);
                std::string from_url = site_url(p, st.spec), to_url = site_url(p, live.spec);
                json::array pairs{json::array{from_url, to_url}, json::array{"//" + url_host(from_url), "//" + url_host(to_url)}};
                run_php_script(*h, live, "search-replace", php_search_replace_script(),
                               json::object{{"pairs", pairs}, {"tables", new_tables}, {"skip_columns", json::array{"guid"}}}, false);
                std::vector<std::string> fix;
                for (auto &t : chosen)
                    if (t == "wp_options")
                        fix.push_back("UPDATE " + q_ident(live.names.db_name) + ".`wphnew_wp_options` SET option_value = '1' "
                                      "WHERE option_name = 'blog_public'");
                if (!fix.empty()) h->sql(fix, fix);
                std::string rename = "RENAME TABLE ";
                std::vector<std::string> drop_old;
                for (std::size_t i = 0; i < chosen.size(); ++i) {
                    auto &t = chosen[i];
                    auto live_t = q_ident(live.names.db_name) + "." + q_ident(t);
                    auto old_t = q_ident(live.names.db_name) + "." + q_ident("wphold_" + t);
                    auto new_t = q_ident(live.names.db_name) + "." + q_ident("wphnew_" + t);
                    auto exists = h->query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + q_str(live.names.db_name) +
                                           " AND TABLE_NAME = " + q_str(t));
                    bool had = !exists.empty() && exists[0][0] != "0";
                    if (i) rename += ", ";
                    rename += had ? live_t + " TO " + old_t + ", " + new_t + " TO " + live_t : new_t + " TO " + live_t;
                    if (had) drop_old.push_back("DROP TABLE IF EXISTS " + old_t);
                }
                h->sql({rename}, {rename});
                h->sql(drop_old, drop_old);
            } catch (...) {
                std::vector<std::string> ignore;
                try { h->sql(cleanup, cleanup); } catch (...) {}
                throw;
            }
            res["tables"] = static_cast<std::int64_t>(chosen.size());
        }
        if (files) {
            // A full copy of the staging wp-content beside the live one,
            // swapped in by rename; the old one goes only after the swap.
            auto live_wc = live.names.docroot + "/wp-content";
            auto next = live.names.docroot + "/wp-content.wphnew";
            auto old = live.names.docroot + "/wp-content.wphold";
            h->remove_tree(next);
            h->remove_tree(old);
            h->make_dir(next, 0755, site_owner(live.names));
            try {
                h->install_tree(st.names.docroot + "/wp-content", next, site_owner(live.names), false, {"object-cache.php"});
                if (live.spec.cache == "page+object")
                    h->write_file(next + "/object-cache.php", php_object_cache_script(), 0644, site_owner(live.names));
            } catch (...) {
                h->remove_tree(next);
                throw;
            }
            h->rename(live_wc, old);
            h->rename(next, live_wc);
            h->remove_tree(old);
            res["files"] = true;
        }
        // What the live site served before is stale now.
        if (live.spec.cache == "page+object") {
            try { h->redis_delete_prefix(live.names.redis_prefix, live.spec.redis_database); } catch (...) {}
        }
        if (live.spec.cache != "none") {
            h->remove_tree(live.names.cache_dir);
            h->make_dir(live.names.cache_dir, 0700, {p.nginx.user, ""});
        }
        return util::to_json(res);
    });
}

static std::string list_unlocked(Engine &e);
static std::string get_unlocked(Engine &e, const std::string &domain);

std::string list_json(Engine &e) {
    return locked_op(e, [&] { return list_unlocked(e); });
}

static std::string list_unlocked(Engine &e) {
    json::array out;
    for (auto &rec : e.store().sites()) {
        auto spec = util::parse_json_object(rec.spec, "stored site spec", "state");
        json::object o{{"domain", rec.domain}, {"state", rec.state}, {"php", spec["php"]}, {"environment", spec["environment"]},
                       {"created_at", rec.created_at}, {"updated_at", rec.updated_at}};
        if (rec.parent_id)
            if (auto parent = e.store().site_by_id(rec.parent_id)) o["staging_of"] = parent->domain;
        out.push_back(std::move(o));
    }
    return util::to_json(out);
}

std::string get_json(Engine &e, const std::string &domain) {
    return locked_op(e, [&] { return get_unlocked(e, domain); });
}

static std::string get_unlocked(Engine &e, const std::string &domain) {
    auto s = load_site(e, domain);
    auto h = make_local_host(e.profile(), nullptr);
    auto &p = e.profile();
    // Cross-check the record with the host.
    json::object host{{"user", h->user_exists(s.names.user)},
                      {"home", h->exists(s.names.home)},
                      {"wp_config", h->exists(s.names.wp_config)},
                      {"php_pool", h->exists(pool_file(p, s.spec.php, s.names))},
                      {"php_socket", h->exists(pool_socket(p, s.spec.php, s.names))},
                      {"nginx", h->exists(s.names.nginx_file)}};
    try {
        auto rows = h->query("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + q_str(s.names.db_name));
        host["database"] = !rows.empty() && rows[0][0] == "1";
    } catch (const Error &err) {
        host["database"] = nullptr;
        host["database_error"] = err.message();
    }
    bool ok = true;
    for (auto &kv : host)
        if (kv.value().is_bool() && !kv.value().as_bool()) ok = false;
    json::object o{{"domain", s.spec.domain}, {"state", s.state}, {"url", site_url(p, s.spec)}, {"spec", s.spec.to_json()},
                   {"names", s.names.to_json()}, {"host", host}, {"healthy", ok}};
    if (s.parent_id)
        if (auto parent = e.store().site_by_id(s.parent_id)) o["staging_of"] = parent->domain;
    return util::to_json(o);
}

void install_certificate(Engine &e, const std::string &domain, const std::string &key_path, const std::string &fullchain_path) {
    auto install = [&] {
        auto rec = e.store().site_get(domain);
        if (!rec) raise(WPH_ENOTFOUND, "site", "no site " + domain + " to install its certificate in");
        if (rec->state == "deleting") return std::string();
        auto n = SiteNames::from_json(util::parse_json_object(rec->names, "stored site names", "state"));
        auto h = make_local_host(e.profile(), nullptr);
        install_cert_files(*h, n, key_path, fullchain_path);
        nginx_reload(*h);
        return std::string();
    };
    if (t_in_site_op) install();  // called from this thread's own site operation
    else locked_op(e, install);
}

}  // namespace wph::site
