// wphost — the command-line interface over libwphost's public API.
//
// A thin layer: it parses arguments, calls the C++ wrapper (wphost.hpp) and
// prints the JSON the library returns, as is (--json) or as text.
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "wphost.hpp"

namespace json = boost::json;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

const char *kUsage =
    "usage: wphost [--state-dir DIR] [--profile FILE] [--json] <command> [options]\n"
    "\n"
    "commands:\n"
    "  doctor    inspect the host: OS, systemd, nginx, PHP-FPM, MariaDB, Redis,\n"
    "            memcached, restic, disk and memory\n"
    "  jobs      list the jobs recorded in the state store\n"
    "  info      show the engine's state directory, schema and host profile\n"
    "  version   print the library version\n"
    "\n"
    "options (every command):\n"
    "  --state-dir DIR   state directory (default $XDG_DATA_HOME/wphost or ~/.local/share/wphost)\n"
    "  --profile FILE    host profile JSON (default: Debian 12's paths)\n"
    "  --json            machine-readable output\n"
    "  -h, --help        this help, or a command's help after the command\n"
    "\n"
    "Run 'wphost <command> --help' for a command's options.\n";

const std::map<std::string, std::string> kCommandHelp = {
    {"doctor",
     "usage: wphost doctor [--require LIST] [--json] [--state-dir DIR] [--profile FILE]\n"
     "\n"
     "Inspect the managed host and report each component as ok, missing, stopped or error.\n"
     "Ctrl-C cancels the check.\n"
     "\n"
     "  --require LIST   comma-separated components that must be ok (nginx,php_fpm,mysql,\n"
     "                   redis,memcached,restic); exit status 3 if any is not\n"},
    {"jobs", "usage: wphost jobs [--limit N] [--json] [--state-dir DIR]\n\nList recorded jobs, newest first (default 20).\n"},
    {"info", "usage: wphost info [--json] [--state-dir DIR] [--profile FILE]\n\nShow the engine's configuration.\n"},
    {"version", "usage: wphost version [--json]\n\nPrint the library version.\n"},
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Args {
    std::string command;
    std::string state_dir, profile_file, require;
    unsigned limit = 20;
    bool json = false, help = false;
};

Args parse_args(int argc, char **argv) {
    Args a;
    auto value = [&](int &i, const char *name) -> std::string {
        if (i + 1 >= argc) throw UsageError(std::string(name) + " needs a value");
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        if (s == "--json") a.json = true;
        else if (s == "-h" || s == "--help") a.help = true;
        else if (s == "--state-dir") a.state_dir = value(i, "--state-dir");
        else if (s == "--profile") a.profile_file = value(i, "--profile");
        else if (s == "--require") a.require = value(i, "--require");
        else if (s == "--limit") {
            std::string v = value(i, "--limit");
            char *end = nullptr;
            unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end || n == 0 || n > 100000) throw UsageError("--limit takes a number from 1 to 100000");
            a.limit = static_cast<unsigned>(n);
        } else if (!s.empty() && s[0] == '-') throw UsageError("unknown option " + s);
        else if (a.command.empty()) a.command = s;
        else throw UsageError("unexpected argument " + s);
    }
    return a;
}

std::string read_profile(const std::string &path) {
    std::ifstream f(path);
    if (!f) throw wphost::Error(WPH_ENOTFOUND, "cli", "cannot read host profile " + path + ": " + std::strerror(errno));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

wphost::Engine open_engine(const Args &a) {
    wphost::EngineOptions o;
    if (!a.state_dir.empty()) o.state_dir(a.state_dir);
    if (!a.profile_file.empty()) o.host_profile(read_profile(a.profile_file));
    return wphost::Engine(std::move(o));
}

std::string str(const json::object &o, const char *k) {
    auto it = o.find(k);
    if (it == o.end()) return "";
    if (it->value().is_string()) return std::string(it->value().as_string());
    if (it->value().is_null()) return "";
    return json::serialize(it->value());
}

std::string bytes(const json::value &v) {
    double b = v.is_number() ? v.to_number<double>() : 0;
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) { b /= 1024; ++u; }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
    return buf;
}

std::string detail(const std::string &key, const json::object &o) {
    std::string st = str(o, "status");
    if (st == "missing" || st == "stopped") return str(o, "reason");
    if (st == "error") return str(o, "error");
    if (key == "os") return str(o, "pretty_name") + ", kernel " + str(o, "kernel");
    if (key == "systemd") return o.at("running").as_bool() ? "running" : "not running (services are signalled directly)";
    if (key == "nginx") {
        auto &cp = o.at("cache_purge").as_object();
        return str(o, "version") + ", cache purge: " + str(cp, "how") + (cp.at("enabled").as_bool() ? " (enabled)" : "");
    }
    if (key == "php_fpm") {
        std::string s;
        for (auto &v : o.at("versions").as_array()) {
            auto &e = v.as_object();
            if (!s.empty()) s += "; ";
            s += str(e, "version");
            if (str(e, "status") == "ok")
                s += " (" + str(e, "full_version") + ", " + std::to_string(e.at("extensions").as_array().size()) + " extensions)";
            else
                s += " (error: " + str(e, "error") + ")";
        }
        return s;
    }
    if (key == "mysql") return str(o, "flavor") + " " + str(o, "server_version") + " at " + str(o, "socket") + " as " + str(o, "admin_user");
    if (key == "redis" || key == "memcached")
        return str(o, "server_version") + " at " + str(o, "address") + (o.contains("auth_required") ? " (password required)" : "");
    if (key == "restic") return str(o, "version");
    return "";
}

int cmd_doctor(const Args &a) {
    auto engine = open_engine(a);
    auto job = engine.host_check_start();
    std::signal(SIGINT, on_sigint);
    while (!job.wait_for(std::chrono::milliseconds(100))) {
        if (g_interrupted) {
            job.cancel();
            job.wait();
        }
    }
    std::signal(SIGINT, SIG_DFL);
    std::string report = job.result();  // throws the job's error (e.g. cancelled)
    auto doc = json::parse(report).as_object();

    int rc = 0;
    if (!a.require.empty()) {
        std::stringstream ss(a.require);
        std::string comp;
        while (std::getline(ss, comp, ',')) {
            if (comp == "php-fpm") comp = "php_fpm";
            if (!doc.contains(comp) || !doc.at(comp).is_object())
                throw UsageError("--require: unknown component \"" + comp + "\"");
            if (str(doc.at(comp).as_object(), "status") != "ok") {
                if (!a.json) std::cerr << "wphost: required component " << comp << " is " << str(doc.at(comp).as_object(), "status") << "\n";
                rc = 3;
            }
        }
    }
    if (a.json) {
        std::cout << report << "\n";
        return rc;
    }
    const char *order[] = {"os", "systemd", "nginx", "php_fpm", "mysql", "redis", "memcached", "restic"};
    for (auto *k : order) {
        auto &o = doc.at(k).as_object();
        std::printf("%-10s %-8s %s\n", k, str(o, "status").c_str(), detail(k, o).c_str());
    }
    auto &res = doc.at("resources").as_object();
    for (auto &d : res.at("disk").as_array()) {
        auto &o = d.as_object();
        if (o.contains("free_bytes"))
            std::printf("%-10s %-8s %s free of %s at %s\n", "disk", "ok", bytes(o.at("free_bytes")).c_str(),
                        bytes(o.at("total_bytes")).c_str(), str(o, "path").c_str());
    }
    if (res.at("memory").as_object().contains("total_bytes")) {
        auto &m = res.at("memory").as_object();
        std::printf("%-10s %-8s %s available of %s, %s CPUs\n", "memory", "ok", bytes(m.at("available_bytes")).c_str(),
                    bytes(m.at("total_bytes")).c_str(), str(res, "cpus").c_str());
    }
    return rc;
}

int cmd_jobs(const Args &a) {
    auto engine = open_engine(a);
    std::string list = engine.jobs(a.limit);
    if (a.json) {
        std::cout << list << "\n";
        return 0;
    }
    json::value parsed = json::parse(list);
    for (auto &v : parsed.as_array()) {
        auto &o = v.as_object();
        std::printf("%6s  %-12s %-11s %s  %s\n", str(o, "id").c_str(), str(o, "kind").c_str(), str(o, "state").c_str(),
                    str(o, "created_at").c_str(), str(o, "error_message").c_str());
    }
    return 0;
}

int cmd_info(const Args &a) {
    auto engine = open_engine(a);
    std::string info = engine.info();
    if (a.json) {
        std::cout << info << "\n";
        return 0;
    }
    auto o = json::parse(info).as_object();
    std::printf("libwphost %s\nstate dir  %s\nstore      %s (schema %s)\nthreads    %s\nprofile    %s\n", str(o, "version").c_str(),
                str(o, "state_dir").c_str(), str(o, "store_path").c_str(), str(o, "schema_version").c_str(),
                str(o, "threads").c_str(), json::serialize(o.at("host_profile")).c_str());
    return 0;
}

int cmd_version(const Args &a) {
    if (a.json)
        std::cout << json::serialize(json::object{{"version", wphost::version()}, {"version_number", wph_version_number()}}) << "\n";
    else
        std::cout << "wphost " << wphost::version() << "\n";
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    Args a;
    try {
        a = parse_args(argc, argv);
        if (a.help || a.command.empty()) {
            auto it = kCommandHelp.find(a.command);
            std::cout << (it != kCommandHelp.end() ? it->second : kUsage);
            return a.help ? 0 : 2;
        }
        if (a.command == "doctor") return cmd_doctor(a);
        if (a.command == "jobs") return cmd_jobs(a);
        if (a.command == "info") return cmd_info(a);
        if (a.command == "version") return cmd_version(a);
        throw UsageError("unknown command \"" + a.command + "\" (try 'wphost --help')");
    } catch (const UsageError &e) {
        std::cerr << "wphost: " << e.what() << "\n";
        return 2;
    } catch (const wphost::Error &e) {
        std::cerr << "wphost: error: " << e.what() << " [" << e.code_name() << "]\n";
        return e.code() == WPH_ECANCELLED ? 130 : 1;
    } catch (const std::exception &e) {
        std::cerr << "wphost: error: " << e.what() << "\n";
        return 1;
    }
}
