#include "host/check.hpp"

#include <boost/json.hpp>
#include <dirent.h>
#include <mutex>
#include <mysql.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>

#include "engine/job.hpp"
#include "host/net.hpp"
#include "host/parse.hpp"
#include "host/process.hpp"
#include "host/profile.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace wph {

namespace json = boost::json;

namespace {

constexpr const char *kPhases[] = {"os", "systemd", "nginx", "php-fpm", "mysql", "redis", "memcached", "restic", "resources"};
constexpr unsigned kSteps = sizeof kPhases / sizeof kPhases[0];

struct Ctx {
    const HostProfile &p;
    Job &job;
    std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(p.command_timeout_ms); }

    // Run a program; nullopt (and `why` set) when it cannot run or fails.
    std::optional<ProcessResult> run(const std::vector<std::string> &argv, std::string &why) {
        ProcessOptions o;
        o.timeout = timeout();
        o.cancel = &job.cancel_token();
        try {
            auto r = run_process(argv, o);
            if (!r.ok()) {
                auto msg = std::string(util::trim(r.err.empty() ? r.out : r.err));
                if (msg.size() > 300) msg.resize(300);
                why = argv[0] + " exited with " +
                      (r.term_signal ? "signal " + std::to_string(r.term_signal) : "status " + std::to_string(r.exit_code)) +
                      (msg.empty() ? "" : ": " + msg);
                return std::nullopt;
            }
            return r;
        } catch (const Error &e) {
            if (e.code() == WPH_ECANCELLED || e.code() == WPH_EUSER) throw;
            why = e.message();
            return std::nullopt;
        }
    }
};

json::object missing(const std::string &what) { return {{"status", "missing"}, {"reason", what}}; }
json::object failed(const std::string &why) { return {{"status", "error"}, {"error", why}}; }

json::array strings(const std::vector<std::string> &v) {
    json::array a;
    for (auto &s : v) a.emplace_back(s);
    return a;
}

std::vector<std::string> list_dir(const std::string &dir) {
    std::vector<std::string> out;
    DIR *d = ::opendir(dir.c_str());
    if (!d) return out;
    while (auto *e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

json::object check_os(Ctx &c) {
    json::object o;
    auto text = util::read_file_if_exists(c.p.os_release);
    if (!text) {
        o = missing(c.p.os_release + " not found");
    } else {
        auto kv = hostparse::os_release(*text);
        o["status"] = "ok";
        o["id"] = kv["ID"];
        o["version_id"] = kv["VERSION_ID"];
        o["version_codename"] = kv["VERSION_CODENAME"];
        o["pretty_name"] = kv["PRETTY_NAME"];
    }
    utsname u{};
    if (::uname(&u) == 0) {
        o["kernel"] = std::string(u.release);
        o["arch"] = std::string(u.machine);
    }
    char host[256] = {0};
    if (::gethostname(host, sizeof host - 1) == 0) o["hostname"] = std::string(host);
    return o;
}

json::object check_systemd(Ctx &c) {
    // The sd_booted() rule: systemd is the init system iff this directory exists.
    bool running = util::exists(c.p.systemd_dir);
    json::object o{{"status", "ok"}, {"running", running},
                   {"service_control", running ? "systemd" : "signals"}};
    return o;
}

json::object check_nginx(Ctx &c) {
    const auto &n = c.p.nginx;
    if (!util::is_executable(n.binary)) return missing(n.binary + " not found");
    std::string why;
    auto r = c.run({n.binary, "-V"}, why);
    if (!r) return failed(why);
    auto b = hostparse::nginx_build(r->err + r->out);
    if (b.version.empty()) return failed("could not read the version from `nginx -V`");
    std::vector<std::string> available;
    for (auto &f : list_dir(n.modules_dir))
        if (f.ends_with(".so")) available.push_back(f);
    std::vector<std::string> enabled;
    for (auto &f : list_dir(n.modules_enabled_dir)) {
        if (!f.ends_with(".conf")) continue;
        try {
            if (auto t = util::read_file_if_exists(n.modules_enabled_dir + "/" + f))
                for (auto &m : hostparse::nginx_load_modules(*t)) enabled.push_back(m);
        } catch (const Error &) {
        }
    }
    auto has = [](const std::vector<std::string> &v, std::string_view needle) {
        return std::any_of(v.begin(), v.end(), [&](const std::string &s) { return s.find(needle) != std::string::npos; });
    };
    bool purge_static = has(b.modules, "cache_purge");
    bool purge_file = has(available, "cache_purge");
    return json::object{
        {"status", "ok"},
        {"binary", n.binary},
        {"version", b.version},
        {"openssl", b.openssl},
        {"modules", strings(b.modules)},
        {"dynamic_modules_available", strings(available)},
        {"dynamic_modules_enabled", strings(enabled)},
        {"cache_purge", {{"present", purge_static || purge_file},
                         {"how", purge_static ? "built-in" : purge_file ? "dynamic module" : "missing"},
                         {"enabled", purge_static || has(enabled, "cache_purge")}}},
    };
}

json::object check_php(Ctx &c) {
    json::array versions;
    std::vector<std::string> errors;
    for (auto &f : list_dir(c.p.php.fpm_dir)) {
        auto v = hostparse::php_fpm_version_from_name(f);
        if (!v) continue;
        std::string bin = c.p.php.fpm_dir + "/" + f;
        if (!util::is_executable(bin)) continue;
        std::string why;
        json::object e{{"version", *v}, {"binary", bin}};
        auto ver = c.run({bin, "-v"}, why);
        auto mods = ver ? c.run({bin, "-m"}, why) : std::nullopt;
        if (!ver || !mods) {
            e["status"] = "error";
            e["error"] = why;
        } else {
            auto m = hostparse::php_modules(mods->out);
            e["status"] = "ok";
            e["full_version"] = hostparse::php_version(ver->out);
            e["extensions"] = strings(m.php);
            e["zend_extensions"] = strings(m.zend);
        }
        versions.push_back(std::move(e));
    }
    // Newest first.
    std::sort(versions.begin(), versions.end(), [](const json::value &a, const json::value &b) {
        auto key = [](const json::value &x) {
            auto parts = util::split(std::string_view(x.at("version").as_string()), '.');
            std::uint64_t maj = 0, min = 0;
            util::parse_u64(parts[0], maj);
            if (parts.size() > 1) util::parse_u64(parts[1], min);
            return maj * 1000 + min;
        };
        return key(a) > key(b);
    });
    if (versions.empty()) return missing("no php-fpmX.Y in " + c.p.php.fpm_dir);
    bool any_ok = std::any_of(versions.begin(), versions.end(),
                              [](const json::value &v) { return v.at("status") == "ok"; });
    return json::object{{"status", any_ok ? "ok" : "error"}, {"versions", versions}};
}

std::once_flag mysql_init_once;

json::object check_mysql(Ctx &c) {
    const auto &m = c.p.mysql;
    json::object o;
    std::string binary;
    for (auto &b : m.server_binaries)
        if (util::is_executable(b)) { binary = b; break; }
    if (!binary.empty()) {
        o["server_binary"] = binary;
        std::string why;
        if (auto r = c.run({binary, "--version"}, why)) {
            auto v = hostparse::mysql_server_version(r->out);
            o["flavor"] = v.flavor;
            o["version"] = v.version;
        } else {
            o["binary_error"] = why;
        }
    }
    o["socket"] = m.socket;
    o["admin_user"] = m.admin_user;

    // Connect over the admin socket as the admin user, as provisioning will.
    std::string password;
    if (!m.admin_password_file.empty()) {
        try {
            auto pw = util::read_file_if_exists(m.admin_password_file, 4096);
            if (!pw) throw Error(WPH_ENOTFOUND, "host", "admin password file " + m.admin_password_file + " not found");
            password = std::string(util::trim(*pw));
        } catch (const Error &e) {
            o["status"] = "error";
            o["error"] = e.message();
            return o;
        }
    }
    c.job.cancel_token().check("the MySQL check");
    std::call_once(mysql_init_once, [] { mysql_library_init(0, nullptr, nullptr); });
    MYSQL *db = mysql_init(nullptr);
    if (!db) throw Error(WPH_ENOMEM, "db", "mysql_init failed");
    unsigned int secs = static_cast<unsigned>(std::max(1, c.p.command_timeout_ms / 1000));
    mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    mysql_optionsv(db, MYSQL_OPT_READ_TIMEOUT, &secs);
    mysql_optionsv(db, MYSQL_OPT_WRITE_TIMEOUT, &secs);
    bool connected = mysql_real_connect(db, "localhost", m.admin_user.c_str(), password.empty() ? nullptr : password.c_str(),
                                        nullptr, 0, m.socket.c_str(), 0) != nullptr;
    std::fill(password.begin(), password.end(), '\0');
    unsigned err = connected ? 0 : mysql_errno(db);
    std::string errmsg = connected ? "" : mysql_error(db);
    std::string info = connected ? mysql_get_server_info(db) : "";
    mysql_close(db);

    // 2002/2003: nothing listens; 1045/1698/1044: the server answered and refused.
    bool answered = connected || (err != 2002 && err != 2003 && err != 2006 && err != 2013 && err != 0);
    o["socket_accepts"] = answered;
    o["admin_access"] = connected;
    if (connected) {
        auto v = hostparse::mysql_server_info(info);
        o["server_version"] = v.version;
        o["server_info"] = info;
        if (!o.contains("flavor")) o["flavor"] = v.flavor;
        o["status"] = "ok";
    } else if (answered) {
        o["status"] = "error";
        o["error"] = "the server at " + m.socket + " refused the admin user \"" + m.admin_user + "\": " + errmsg;
    } else if (binary.empty()) {
        o["status"] = "missing";
        o["reason"] = "no MariaDB/MySQL server installed and nothing answers at " + m.socket;
    } else {
        o["status"] = "stopped";
        o["reason"] = "installed, but nothing answers at " + m.socket + ": " + errmsg;
    }
    return o;
}

// A network service with a local server binary: the binary's version, then
// one request/answer exchange with the running server. `judge` fills the
// report from a complete answer; without one the service is stopped or
// missing.
struct Service {
    const char *binary_key;
    std::string binary;
    std::vector<std::string> version_argv;
    std::string (*parse_version)(std::string_view);
    std::string host;
    int port;
    std::string unix_socket;
    std::string request;
    std::function<bool(const std::string &)> complete;
};

json::object check_service(Ctx &c, const Service &s, const std::function<bool(const std::string &, json::object &)> &judge) {
    json::object o;
    bool installed = util::is_executable(s.binary);
    if (installed) {
        o[s.binary_key] = s.binary;
        std::string why;
        std::vector<std::string> argv{s.binary};
        argv.insert(argv.end(), s.version_argv.begin(), s.version_argv.end());
        if (auto res = c.run(argv, why)) o["version"] = s.parse_version(res->out);
    }
    std::string address = s.unix_socket.empty() ? s.host + ":" + std::to_string(s.port) : s.unix_socket;
    o["address"] = address;
    auto ex = net_exchange(s.host, s.port, s.unix_socket, s.request, s.complete, c.timeout(), &c.job.cancel_token(), 1u << 20);
    if (ex.connected && ex.error.empty() && !ex.reply.empty()) {
        o["running"] = true;
        if (!judge(ex.reply, o)) {
            o["status"] = "error";
            o["error"] = "unexpected answer from " + address + ": " + std::string(util::trim(ex.reply.substr(0, 200)));
        }
    } else {
        o["running"] = false;
        o["status"] = installed ? "stopped" : "missing";
        o["reason"] = (installed ? "installed, but " : "not installed and ") + std::string("nothing answers at ") + address +
                      (ex.error.empty() ? "" : ": " + ex.error);
    }
    return o;
}

json::object check_redis(Ctx &c) {
    const auto &r = c.p.redis;
    Service s{"server_binary", r.server_binary, {"--version"}, hostparse::redis_server_version, r.host, r.port, r.socket,
              "INFO server\r\n", hostparse::resp_reply_complete};
    return check_service(c, s, [](const std::string &reply, json::object &o) {
        if (reply[0] == '$') {
            o["server_version"] = hostparse::redis_info(reply)["redis_version"];
        } else if (reply.find("NOAUTH") != std::string::npos) {
            o["auth_required"] = true;
        } else {
            return false;
        }
        o["status"] = "ok";
        return true;
    });
}

json::object check_memcached(Ctx &c) {
    const auto &m = c.p.memcached;
    Service s{"binary", m.binary, {"-V"}, hostparse::memcached_version, m.host, m.port, "", "version\r\n",
              [](const std::string &r) { return r.find("\r\n") != std::string::npos; }};
    return check_service(c, s, [](const std::string &reply, json::object &o) {
        auto v = hostparse::memcached_version(reply);
        if (v.empty()) return false;
        o["server_version"] = v;
        o["status"] = "ok";
        return true;
    });
}

json::object check_restic(Ctx &c) {
    const auto &b = c.p.restic.binary;
    if (!util::is_executable(b)) return missing(b + " not found");
    std::string why;
    auto r = c.run({b, "version"}, why);
    if (!r) return failed(why);
    auto v = hostparse::restic_version(r->out);
    if (v.empty()) return failed("could not read the version from `restic version`");
    return {{"status", "ok"}, {"binary", b}, {"version", v}};
}

json::object disk_of(const std::string &path) {
    // The nearest existing ancestor decides which file system a path lands on.
    std::string p = path;
    while (!util::exists(p) && p.size() > 1) {
        auto slash = p.rfind('/');
        p = slash == 0 ? "/" : p.substr(0, slash);
    }
    struct statvfs s{};
    if (::statvfs(p.c_str(), &s) != 0) return {{"path", path}, {"error", errno_text(errno)}};
    return {{"path", path},
            {"measured_at", p},
            {"total_bytes", static_cast<std::uint64_t>(s.f_blocks) * s.f_frsize},
            {"free_bytes", static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize},
            {"free_inodes", static_cast<std::uint64_t>(s.f_favail)}};
}

json::object check_resources(Ctx &c, const std::string &state_dir) {
    json::object o;
    o["disk"] = json::array{disk_of(state_dir), disk_of(c.p.sites_root)};
    auto mi = util::read_file_if_exists(c.p.proc_dir + "/meminfo");
    if (mi) {
        auto m = hostparse::meminfo(*mi);
        o["memory"] = {{"total_bytes", m.total}, {"available_bytes", m.available},
                       {"swap_total_bytes", m.swap_total}, {"swap_free_bytes", m.swap_free}};
    } else {
        o["memory"] = missing(c.p.proc_dir + "/meminfo not found");
    }
    o["cpus"] = static_cast<std::int64_t>(::sysconf(_SC_NPROCESSORS_ONLN));
    if (auto la = util::read_file_if_exists(c.p.proc_dir + "/loadavg")) {
        auto parts = util::split(util::trim(*la), ' ');
        if (parts.size() >= 3) o["load_average"] = json::array{std::stod(std::string(parts[0])), std::stod(std::string(parts[1])),
                                                               std::stod(std::string(parts[2]))};
    }
    o["status"] = "ok";
    return o;
}

}  // namespace

std::string run_host_check(const HostProfile &profile, const std::string &state_dir, Job &job) {
    Ctx c{profile, job};
    json::object report;
    report["checked_at"] = util::now_rfc3339();
    report["profile"] = profile.name;
    using Check = std::function<json::object()>;
    const std::pair<const char *, Check> checks[] = {
        {"os", [&] { return check_os(c); }},
        {"systemd", [&] { return check_systemd(c); }},
        {"nginx", [&] { return check_nginx(c); }},
        {"php_fpm", [&] { return check_php(c); }},
        {"mysql", [&] { return check_mysql(c); }},
        {"redis", [&] { return check_redis(c); }},
        {"memcached", [&] { return check_memcached(c); }},
        {"restic", [&] { return check_restic(c); }},
        {"resources", [&] { return check_resources(c, state_dir); }},
    };
    json::array missing_list, stopped_list, error_list;
    unsigned step = 0;
    for (auto &[key, fn] : checks) {
        job.report(kPhases[step], step, kSteps);
        json::object part;
        try {
            part = fn();
        } catch (const Error &e) {
            if (e.code() == WPH_ECANCELLED || e.code() == WPH_EUSER) throw;
            part = failed(e.message());
        }
        auto status = part.contains("status") ? std::string(part["status"].as_string()) : std::string("ok");
        if (status == "missing") missing_list.emplace_back(key);
        else if (status == "stopped") stopped_list.emplace_back(key);
        else if (status == "error") error_list.emplace_back(key);
        report[key] = std::move(part);
        ++step;
    }
    job.report("done", kSteps, kSteps);
    report["summary"] = {{"missing", missing_list}, {"stopped", stopped_list}, {"errors", error_list},
                         {"ok", missing_list.empty() && stopped_list.empty() && error_list.empty()}};
    return util::to_json(report);
}

}  // namespace wph
