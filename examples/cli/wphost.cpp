// wphost — the command-line interface over libwphost's public API.
//
// A thin layer: it parses arguments, calls the C++ wrapper (wphost.hpp) and
// prints the JSON the library returns, as is (--json) or as text.
#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
    "  repo      backup repositories in restic's format: init, backup, snapshots,\n"
    "            ls, restore, dump, check, key, unlock ('wphost repo --help')\n"
    "  site      WordPress sites: create, plan, list, get, delete, suspend,\n"
    "            php, regenerate, clone, staging, push ('wphost site --help')\n"
    "  probe     health probes: run, validate, stats, history, serve\n"
    "            ('wphost probe --help')\n"
    "  provider  cloud, DNS and storage providers: kinds, ops, call\n"
    "            ('wphost provider --help')\n"
    "  cert      TLS certificates from an ACME CA: account, issue, renew, revoke,\n"
    "            list, show ('wphost cert --help')\n"
    "  events    the engine's event log (certificate renewals, ...)\n"
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
    {"repo",
     "usage: wphost repo <command> [-r REPO] [--password-file FILE] [--json] [options]\n"
     "\n"
     "Repositories are restic's format: restic reads what wphost writes and the other way round.\n"
     "REPO comes from -r/--repo or RESTIC_REPOSITORY; the password from --password-file,\n"
     "RESTIC_PASSWORD_FILE or RESTIC_PASSWORD.\n"
     "\n"
     "  init [--repository-version 1|2]        create a repository\n"
     "  backup PATH... [--tag T] [--host H] [--exclude PAT] [--parent ID] [--force]\n"
     "  backup --stdin --stdin-filename NAME    back up standard input as one file\n"
     "  snapshots [--host H] [--tag T] [--path P]\n"
     "  ls [SNAPSHOT]                           list a snapshot's files (default latest)\n"
     "  restore SNAPSHOT --target DIR [--include PAT] [--exclude PAT] [--host H]\n"
     "  dump SNAPSHOT PATH                      write one file to standard output\n"
     "  check [--read-data]                     verify the repository\n"
     "  forget [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N]\n"
     "         [--keep-monthly N] [--keep-yearly N] [--keep-within 1y2m3d4h] [--keep-tag T]\n"
     "         [--group-by host,paths,tags] [--host H] [--tag T] [--path P] [--dry-run] [--prune]\n"
     "  prune [--dry-run]                       delete data no snapshot needs\n"
     "  stats                                   sizes and counts\n"
     "  key list | key add --new-password-file FILE | key passwd --new-password-file FILE\n"
     "      | key remove ID\n"
     "  unlock [--remove-all]                   remove stale locks\n"
     "\n"
     "  --compression auto|off|max              (version 2 repositories)\n"},
    {"probe",
     "usage: wphost probe <command> [--json] [options]\n"
     "\n"
     "Probe definitions are JSON close to Gatus's endpoints (docs/probe.md).\n"
     "  run FILE                         run every probe once; exit 1 if any failed\n"
     "  validate FILE                    check definitions, print them normalised\n"
     "  stats [NAME] [--window 24h]      uptime and latency percentiles from the store\n"
     "  history [NAME] [--limit N]       the newest results\n"
     "  serve FILE [--listen 127.0.0.1:9115]\n"
     "                                   monitor: run at intervals, record, alert, and serve\n"
     "                                   Prometheus metrics on /metrics (loopback only)\n"
     "FILE may be - for standard input.\n"},
    {"site",
     "usage: wphost site <command> [--json] [options]\n"
     "\n"
     "  create DOMAIN [--spec FILE] [SPEC OPTIONS]   provision a WordPress site\n"
     "  plan DOMAIN [--spec FILE] [SPEC OPTIONS]     show every file and command create would use\n"
     "  list                                         the sites in the state store\n"
     "  get DOMAIN                                   one site, cross-checked with the host\n"
     "  delete DOMAIN                                remove the site and all it is made of\n"
     "  suspend DOMAIN | unsuspend DOMAIN            serve a 503 page, or the site again\n"
     "  php DOMAIN VERSION                           move the site to another PHP version\n"
     "  regenerate DOMAIN                            rewrite generated configs (keeps conf/)\n"
     "  clone FROM DOMAIN [--spec FILE]              copy a site to a new domain\n"
     "  staging DOMAIN [STAGING-DOMAIN]              a password-protected, noindex copy\n"
     "  push STAGING-DOMAIN [--files-only|--database-only] [--tables T1,T2]\n"
     "\n"
     "SPEC OPTIONS set fields of the site spec (docs/site-spec.md); --spec FILE reads a\n"
     "whole spec (- for standard input) that they override:\n"
     "  --title T  --php V  --cache none|page|page+object  --source DIR|TARBALL|URL\n"
     "  --admin-user U  --admin-email E  --multisite subdirectory|subdomain\n"
     "  --tls none|self-signed  --environment production|staging  --locale L\n"},
    {"provider",
     "usage: wphost provider <command> [--json] [options]\n"
     "\n"
     "  kinds                                    the provider kinds this library knows\n"
     "  ops --config FILE                        the operations of a provider\n"
     "  call --config FILE OPERATION [PARAMS]    run one operation, print its JSON result\n"
     "\n"
     "FILE is the provider's JSON configuration (docs/provider.md), e.g.\n"
     "  {\"kind\": \"hetzner\", \"token_file\": \"/etc/wphost/hetzner.token\"}\n"
     "PARAMS is a JSON object, @FILE, or - for standard input (default {}).\n"},
    {"cert",
     "usage: wphost cert <command> [--json] [options]\n"
     "\n"
     "  account [--acme FILE]                    register or show the ACME account\n"
     "  issue NAME... [--challenge http-01|dns-01] [--webroot DIR] [--site DOMAIN]\n"
     "        [--request FILE] [--acme FILE]     issue a certificate for the names\n"
     "  renew [NAME] [--days N] [--force]        renew what expires within N days (30);\n"
     "                                           exit 1 if any renewal failed\n"
     "  revoke NAME [--reason N]                 revoke (RFC 5280 reason code)\n"
     "  list                                     certificates, expiry, status, last error\n"
     "  show NAME                                one certificate's record\n"
     "\n"
     "ACME settings come from the host profile's \"acme\" object; --acme FILE overrides\n"
     "them (docs/cert.md). Run 'wphost cert renew' daily from cron or a timer.\n"},
    {"events",
     "usage: wphost events [--kind PREFIX] [--limit N] [--json]\n\n"
     "The engine's event log, oldest first (e.g. --kind cert. for certificates).\n"},
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::string state_dir, profile_file, require;
    unsigned limit = 20;
    bool json = false, help = false;
    // repo
    std::string repo, password_file, host, target, stdin_filename, parent, compression, new_password_file;
    std::vector<std::string> tags, excludes, includes, paths;
    unsigned repository_version = 0;
    bool read_data = false, force = false, stdin_ = false, remove_all = false, dry_run = false, prune = false;
    std::map<std::string, std::string> keep;  // --keep-* values by JSON key
    std::vector<std::string> keep_tags;
    std::optional<std::string> group_by;
    // site
    std::string spec_file, tables;
    // probe
    std::string window = "24h", listen = "127.0.0.1:9115";
    std::map<std::string, std::string> spec_fields;
    bool files_only = false, database_only = false;
    // provider, cert, events
    std::string config_file, acme_file, challenge, webroot, site, request_file, kind;
    int days = -1, reason = -1;
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
        else if (s == "-r" || s == "--repo") a.repo = value(i, "--repo");
        else if (s == "--password-file" || s == "-p") a.password_file = value(i, "--password-file");
        else if (s == "--host" || s == "-H") a.host = value(i, "--host");
        else if (s == "--target" || s == "-t") a.target = value(i, "--target");
        else if (s == "--tag") a.tags.push_back(value(i, "--tag"));
        else if (s == "--exclude" || s == "-e") a.excludes.push_back(value(i, "--exclude"));
        else if (s == "--include" || s == "-i") a.includes.push_back(value(i, "--include"));
        else if (s == "--path") a.paths.push_back(value(i, "--path"));
        else if (s == "--parent") a.parent = value(i, "--parent");
        else if (s == "--stdin") a.stdin_ = true;
        else if (s == "--stdin-filename") a.stdin_filename = value(i, "--stdin-filename");
        else if (s == "--read-data") a.read_data = true;
        else if (s == "--force") a.force = true;
        else if (s == "--remove-all") a.remove_all = true;
        else if (s == "--compression") a.compression = value(i, "--compression");
        else if (s == "--dry-run" || s == "-n") a.dry_run = true;
        else if (s == "--prune") a.prune = true;
        else if (s == "--keep-tag") a.keep_tags.push_back(value(i, "--keep-tag"));
        else if (s == "--group-by" || s == "-g") a.group_by = value(i, "--group-by");
        else if (s.rfind("--keep-", 0) == 0) {
            static const char *keys[] = {"last", "hourly", "daily", "weekly", "monthly", "yearly", "within", "within-hourly",
                                         "within-daily", "within-weekly", "within-monthly", "within-yearly"};
            std::string what = s.substr(7);
            if (std::find(std::begin(keys), std::end(keys), what) == std::end(keys)) throw UsageError("unknown option " + s);
            std::string key = "keep_" + what;
            std::replace(key.begin(), key.end(), '-', '_');
            a.keep[key] = value(i, s.c_str());
        }
        else if (s == "--new-password-file") a.new_password_file = value(i, "--new-password-file");
        else if (s == "--spec") a.spec_file = value(i, "--spec");
        else if (s == "--window") a.window = value(i, "--window");
        else if (s == "--listen") a.listen = value(i, "--listen");
        else if (s == "--tables") a.tables = value(i, "--tables");
        else if (s == "--config") a.config_file = value(i, "--config");
        else if (s == "--acme") a.acme_file = value(i, "--acme");
        else if (s == "--challenge") a.challenge = value(i, "--challenge");
        else if (s == "--webroot") a.webroot = value(i, "--webroot");
        else if (s == "--site") a.site = value(i, "--site");
        else if (s == "--request") a.request_file = value(i, "--request");
        else if (s == "--kind") a.kind = value(i, "--kind");
        else if (s == "--days" || s == "--reason") {
            std::string v = value(i, s.c_str());
            char *end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || n < 0 || n > (s == "--days" ? 3650 : 10)) throw UsageError(s + (s == "--days" ? " takes a number of days" : " takes an RFC 5280 reason code, 0 to 10"));
            (s == "--days" ? a.days : a.reason) = static_cast<int>(n);
        }
        else if (s == "--files-only") a.files_only = true;
        else if (s == "--database-only") a.database_only = true;
        else if (s == "--title" || s == "--php" || s == "--cache" || s == "--source" || s == "--admin-user" ||
                 s == "--admin-email" || s == "--multisite" || s == "--tls" || s == "--environment" || s == "--locale") {
            std::string key = s.substr(2);
            std::replace(key.begin(), key.end(), '-', '_');
            a.spec_fields[key] = value(i, s.c_str());
        }
        else if (s == "--repository-version") {
            std::string v = value(i, "--repository-version");
            if (v == "1" || v == "2") a.repository_version = static_cast<unsigned>(v[0] - '0');
            else if (v == "latest" || v == "stable") a.repository_version = 2;
            else throw UsageError("--repository-version takes 1 or 2");
        }
        else if (s == "--limit") {
            std::string v = value(i, "--limit");
            char *end = nullptr;
            unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end || n == 0 || n > 100000) throw UsageError("--limit takes a number from 1 to 100000");
            a.limit = static_cast<unsigned>(n);
        } else if (!s.empty() && s[0] == '-') throw UsageError("unknown option " + s);
        else if (a.command.empty()) a.command = s;
        else a.positional.push_back(s);
    }
    return a;
}

std::vector<std::string> wphost_split(const std::string &s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ','))
        if (!part.empty()) out.push_back(part);
    return out;
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

// Run a job to its end; Ctrl-C cancels it.
std::string run_job(wphost::Job job) {
    std::signal(SIGINT, on_sigint);
    while (!job.wait_for(std::chrono::milliseconds(100))) {
        if (g_interrupted) {
            job.cancel();
            job.wait();
        }
    }
    std::signal(SIGINT, SIG_DFL);
    return job.result();
}

int cmd_doctor(const Args &a) {
    auto engine = open_engine(a);
    std::string report = run_job(engine.host_check_start());  // throws the job's error (e.g. cancelled)
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


// ---------------------------------------------------------------- wphost repo

std::string read_first_line(const std::string &path, const char *what) {
    std::ifstream f(path);
    if (!f) throw wphost::Error(WPH_ENOTFOUND, "cli", std::string("cannot read ") + what + " " + path + ": " + std::strerror(errno));
    std::string line;
    std::getline(f, line);
    return line;
}

wphost::RepoOptions repo_options(const Args &a) {
    wphost::RepoOptions o;
    std::string loc = a.repo;
    if (loc.empty())
        if (const char *env = std::getenv("RESTIC_REPOSITORY")) loc = env;
    if (loc.empty()) throw UsageError("no repository given: use -r/--repo or set RESTIC_REPOSITORY");
    o.location(loc);
    std::string file = a.password_file;
    if (file.empty())
        if (const char *env = std::getenv("RESTIC_PASSWORD_FILE")) file = env;
    if (!file.empty()) {
        o.password_file(file);
    } else if (const char *pw = std::getenv("RESTIC_PASSWORD")) {
        o.password(pw);
    } else {
        throw UsageError("no password given: use --password-file, RESTIC_PASSWORD_FILE or RESTIC_PASSWORD");
    }
    if (!a.compression.empty()) o.compression(a.compression);
    if (a.repository_version) o.repo_version(a.repository_version);
    return o;
}

json::array jarr(const std::vector<std::string> &v) {
    json::array out;
    for (auto &s : v) out.emplace_back(s);
    return out;
}


std::string short_time(const std::string &rfc3339) {
    std::string t = rfc3339.substr(0, 19);
    if (t.size() > 10) t[10] = ' ';
    return t;
}

int cmd_repo(const Args &a) {
    if (a.positional.empty()) throw UsageError("wphost repo needs a command (try 'wphost repo --help')");
    const std::string sub = a.positional[0];
    std::vector<std::string> rest(a.positional.begin() + 1, a.positional.end());
    auto engine = open_engine(a);

    if (sub == "init") {
        if (!rest.empty()) throw UsageError("repo init takes no arguments");
        auto repo = wphost::Repo::init(engine, repo_options(a));
        auto info = json::parse(repo.info()).as_object();
        if (a.json) std::cout << json::serialize(info) << "\n";
        else std::cout << "created restic repository " << str(info, "id").substr(0, 10) << " at " << str(info, "location") << "\n";
        return 0;
    }
    auto repo = wphost::Repo::open(engine, repo_options(a));
    {
        json::value info = json::parse(repo.info());
        for (auto &e : info.at("index_errors").as_array())
            std::cerr << "warning: " << std::string(e.as_string()) << " (run 'wphost repo check')\n";
    }
    if (sub == "backup") {
        if (a.stdin_) {
            if (!rest.empty()) throw UsageError("--stdin takes no paths");
            std::string name = a.stdin_filename.empty() ? "stdin" : a.stdin_filename;
            json::object spec{{"filename", name}, {"tags", jarr(a.tags)}, {"host", a.host}};
            auto read = [](char *buf, unsigned long cap, void *) -> long {
                std::size_t n = std::fread(buf, 1, cap, stdin);
                if (n == 0 && std::ferror(stdin)) return -1;
                return static_cast<long>(n);
            };
            wph_job *j = nullptr;
            std::string s = json::serialize(spec);
            wphost::check(wph_repo_backup_stream_start(&j, repo.c_handle(), s.c_str(), read, nullptr, nullptr));
            std::string out = run_job(wphost::Job(j));
            auto r = json::parse(out).as_object();
            if (a.json) std::cout << out << "\n";
            else std::cout << "snapshot " << str(r, "short_id") << " saved\n";
            return 0;
        }
        if (rest.empty()) throw UsageError("repo backup needs at least one path (or --stdin)");
        json::object spec{{"paths", jarr(rest)}, {"tags", jarr(a.tags)}, {"host", a.host}, {"exclude", jarr(a.excludes)},
                          {"force", a.force}};
        if (!a.parent.empty()) spec["parent"] = a.parent;
        std::string out = run_job(repo.backup_start(json::serialize(spec)));
        auto r = json::parse(out).as_object();
        if (a.json) {
            std::cout << out << "\n";
        } else {
            auto &st = r.at("stats").as_object();
            std::printf("Files:  %s new, %s changed, %s unmodified\n", str(st, "files_new").c_str(),
                        str(st, "files_changed").c_str(), str(st, "files_unmodified").c_str());
            std::printf("Added to the repository: %s (%s blobs)\n", bytes(st.at("bytes_added")).c_str(), str(st, "blobs_added").c_str());
            std::printf("processed %s in total\n", bytes(st.at("bytes_total")).c_str());
            for (auto &e : st.at("errors").as_array()) std::fprintf(stderr, "warning: %s\n", std::string(e.as_string()).c_str());
            std::printf("snapshot %s saved\n", str(r, "short_id").c_str());
        }
        return 0;
    }
    if (sub == "snapshots") {
        json::object filter{{"host", a.host}, {"tags", jarr(a.tags)}, {"paths", jarr(a.paths)}};
        std::string out = repo.snapshots(json::serialize(filter));
        if (a.json) {
            std::cout << out << "\n";
            return 0;
        }
        auto list = json::parse(out).as_array();
        std::printf("%-9s %-20s %-12s %-12s %s\n", "ID", "Time", "Host", "Tags", "Paths");
        std::printf("%s\n", std::string(72, '-').c_str());
        for (auto &v : list) {
            auto &o = v.as_object();
            std::string tags;
            for (auto &t : o.at("tags").as_array()) tags += (tags.empty() ? "" : ",") + std::string(t.as_string());
            auto &paths = o.at("paths").as_array();
            for (std::size_t i = 0; i < std::max<std::size_t>(paths.size(), 1); ++i) {
                std::string p = i < paths.size() ? std::string(paths[i].as_string()) : "";
                if (i == 0)
                    std::printf("%-9s %-20s %-12s %-12s %s\n", str(o, "short_id").c_str(), short_time(str(o, "time")).c_str(),
                                str(o, "hostname").c_str(), tags.c_str(), p.c_str());
                else
                    std::printf("%-56s %s\n", "", p.c_str());
            }
        }
        std::printf("%s\n%zu snapshots\n", std::string(72, '-').c_str(), list.size());
        return 0;
    }
    if (sub == "ls") {
        std::string out = repo.ls(rest.empty() ? "latest" : rest[0]);
        if (a.json) {
            std::cout << out << "\n";
            return 0;
        }
        auto doc = json::parse(out).as_object();
        for (auto &v : doc.at("nodes").as_array()) std::cout << str(v.as_object(), "path") << "\n";
        return 0;
    }
    if (sub == "restore") {
        if (rest.size() != 1) throw UsageError("repo restore needs one snapshot ID (or latest)");
        if (a.target.empty()) throw UsageError("repo restore needs --target");
        json::object spec{{"snapshot", rest[0]}, {"target", a.target}, {"include", jarr(a.includes)},
                          {"exclude", jarr(a.excludes)}, {"host", a.host}};
        std::string out = run_job(repo.restore_start(json::serialize(spec)));
        auto r = json::parse(out).as_object();
        if (a.json) std::cout << out << "\n";
        else std::printf("restored snapshot %s to %s: %s files, %s directories, %s\n", str(r, "snapshot_id").substr(0, 8).c_str(),
                         str(r, "target").c_str(), str(r, "files").c_str(), str(r, "dirs").c_str(), bytes(r.at("bytes")).c_str());
        return 0;
    }
    if (sub == "dump") {
        if (rest.size() != 2) throw UsageError("repo dump needs a snapshot and a file path");
        repo.dump(rest[0], rest[1], [](const char *d, std::size_t n) {
            if (std::fwrite(d, 1, n, stdout) != n) throw std::runtime_error("write to stdout failed");
        });
        std::fflush(stdout);
        return 0;
    }
    if (sub == "check") {
        json::object spec{{"read_data", a.read_data}};
        std::string out = run_job(repo.check_start(json::serialize(spec)));
        auto r = json::parse(out).as_object();
        bool ok = r.at("ok").as_bool();
        if (a.json) {
            std::cout << out << "\n";
        } else {
            for (auto &w : r.at("warnings").as_array()) std::cout << "hint: " << std::string(w.as_string()) << "\n";
            for (auto &e : r.at("errors").as_array()) std::cerr << "error: " << std::string(e.as_string()) << "\n";
            std::cout << (ok ? "no errors were found" : "errors were found") << "\n";
        }
        return ok ? 0 : 1;
    }
    if (sub == "forget") {
        json::object policy{{"host", a.host}, {"tags", jarr(a.tags)}, {"paths", jarr(a.paths)}, {"keep_tags", jarr(a.keep_tags)},
                            {"dry_run", a.dry_run}, {"prune", a.prune}};
        for (auto &[k, v] : a.keep) {
            if (k.rfind("keep_within", 0) == 0) {
                policy[k] = v;
            } else {
                char *end = nullptr;
                unsigned long n = std::strtoul(v.c_str(), &end, 10);
                if (v.empty() || *end) throw UsageError("--" + k.substr(0) + " takes a number");
                policy[k] = n;
            }
        }
        if (a.group_by) policy["group_by"] = *a.group_by;
        wph_job *j = nullptr;
        std::string spec = json::serialize(policy);
        wphost::check(wph_repo_forget_start(&j, repo.c_handle(), spec.c_str(), nullptr));
        std::string out = run_job(wphost::Job(j));
        if (a.json) {
            std::cout << out << "\n";
            return 0;
        }
        json::value doc = json::parse(out);
        for (auto &gv : doc.at("groups").as_array()) {
            auto &g = gv.as_object();
            std::string paths;
            for (auto &p : g.at("paths").as_array()) paths += (paths.empty() ? "" : ", ") + std::string(p.as_string());
            std::printf("snapshots for host [%s], paths [%s]:\n", str(g, "host").c_str(), paths.c_str());
            for (auto &k : g.at("keep").as_array()) {
                std::string reasons;
                for (auto &r : k.at("reasons").as_array()) reasons += (reasons.empty() ? "" : ", ") + std::string(r.as_string());
                std::printf("  keep    %s  %s  %s\n", str(k.as_object(), "id").substr(0, 8).c_str(),
                            short_time(str(k.as_object(), "time")).c_str(), reasons.c_str());
            }
            for (auto &r : g.at("remove").as_array())
                std::printf("  remove  %s  %s\n", str(r.as_object(), "id").substr(0, 8).c_str(), short_time(str(r.as_object(), "time")).c_str());
        }
        std::printf("%s%s snapshots removed\n", a.dry_run ? "(dry run) " : "", str(doc.as_object(), "removed").c_str());
        return 0;
    }
    if (sub == "prune") {
        wph_job *j = nullptr;
        std::string spec = json::serialize(json::object{{"dry_run", a.dry_run}});
        wphost::check(wph_repo_prune_start(&j, repo.c_handle(), spec.c_str(), nullptr));
        std::string out = run_job(wphost::Job(j));
        if (a.json) {
            std::cout << out << "\n";
            return 0;
        }
        auto r = json::parse(out).as_object();
        std::printf("%spacks: %s kept, %s deleted, %s repacked (%s blobs); %s freed\n", a.dry_run ? "(dry run) " : "",
                    str(r, "packs_kept").c_str(), str(r, "packs_deleted").c_str(), str(r, "packs_repacked").c_str(),
                    str(r, "blobs_repacked").c_str(), bytes(r.at("bytes_freed")).c_str());
        return 0;
    }
    if (sub == "stats") {
        char *out = nullptr;
        wphost::check(wph_repo_stats(&out, repo.c_handle()));
        std::string text = out;
        wph_str_free(out);
        if (a.json) {
            std::cout << text << "\n";
            return 0;
        }
        auto r = json::parse(text).as_object();
        std::printf("Snapshots processed:   %s\nTotal file count:      %s\nTotal restore size:    %s\n"
                    "Stored size:           %s in %s blobs, %s packs\nUncompressed size:     %s\n",
                    str(r, "snapshots").c_str(), str(r, "restore_files").c_str(), bytes(r.at("restore_size")).c_str(),
                    bytes(r.at("stored_size")).c_str(), str(r, "blobs").c_str(), str(r, "packs").c_str(),
                    bytes(r.at("uncompressed_size")).c_str());
        return 0;
    }
    if (sub == "key") {
        std::string op = rest.empty() ? "list" : rest[0];
        if (op == "list") {
            std::string out = repo.keys();
            if (a.json) {
                std::cout << out << "\n";
                return 0;
            }
            json::value keys = json::parse(out);
            for (auto &v : keys.as_array()) {
                auto &o = v.as_object();
                std::printf("%s%-8s %-10s %-12s %s\n", o.at("current").as_bool() ? "*" : " ", str(o, "id").substr(0, 8).c_str(),
                            str(o, "username").c_str(), str(o, "hostname").c_str(), short_time(str(o, "created")).c_str());
            }
            return 0;
        }
        if (op == "add" || op == "passwd") {
            if (a.new_password_file.empty()) throw UsageError("repo key " + op + " needs --new-password-file");
            std::string pw = read_first_line(a.new_password_file, "new password file");
            std::string id = op == "add" ? repo.add_key(pw) : repo.change_password(pw);
            std::fill(pw.begin(), pw.end(), '\0');
            if (a.json) std::cout << json::serialize(json::object{{"id", id}}) << "\n";
            else std::cout << "saved new key as " << id.substr(0, 8) << (op == "add" ? "" : " and removed the old one") << "\n";
            return 0;
        }
        if (op == "remove") {
            if (rest.size() != 2) throw UsageError("repo key remove needs a key ID");
            repo.remove_key(rest[1]);
            if (!a.json) std::cout << "removed key " << rest[1] << "\n";
            return 0;
        }
        throw UsageError("unknown key command \"" + op + "\" (list, add, passwd, remove)");
    }
    if (sub == "unlock") {
        int n = repo.unlock(a.remove_all);
        if (a.json) std::cout << json::serialize(json::object{{"removed", n}}) << "\n";
        else std::cout << "removed " << n << " locks\n";
        return 0;
    }
    throw UsageError("unknown repo command \"" + sub + "\" (try 'wphost repo --help')");
}
std::string read_all(std::istream &in) {
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The spec from --spec (file or -), the positional domain and the options.
std::string site_spec(const Args &a, const std::string &domain) {
    json::object spec;
    if (!a.spec_file.empty()) {
        std::string text;
        if (a.spec_file == "-") text = read_all(std::cin);
        else {
            std::ifstream f(a.spec_file);
            if (!f) throw wphost::Error(WPH_ENOTFOUND, "cli", "cannot read spec " + a.spec_file + ": " + std::strerror(errno));
            text = read_all(f);
        }
        std::error_code ec;
        auto v = json::parse(text, ec);
        if (ec || !v.is_object()) throw wphost::Error(WPH_EINVALID, "cli", "spec " + a.spec_file + " is not a JSON object");
        spec = v.as_object();
    }
    if (!domain.empty()) spec["domain"] = domain;
    for (auto &[k, v] : a.spec_fields) spec[k] = v;
    return json::serialize(spec);
}

void print_site_result(const Args &a, const std::string &result) {
    if (a.json) {
        std::cout << result << "\n";
        return;
    }
    auto o = json::parse(result).as_object();
    for (auto &kv : o) {
        if (kv.key() == "timings") continue;
        std::string v = kv.value().is_double() ? std::to_string(kv.value().as_double()).substr(0, 5) + " s"
                                               : str(o, std::string(kv.key()).c_str());
        std::printf("%-17s %s\n", std::string(kv.key()).c_str(), v.c_str());
    }
}

int cmd_site(const Args &a) {
    if (a.positional.empty()) throw UsageError("site needs a command (try 'wphost site --help')");
    const std::string &sub = a.positional[0];
    auto arg = [&](std::size_t i, const char *what) {
        if (a.positional.size() <= i) throw UsageError("site " + sub + " needs " + what);
        return a.positional[i];
    };
    auto engine = open_engine(a);
    wphost::Sites sites(engine);
    if (sub == "list") {
        auto list = sites.list();
        if (a.json) { std::cout << list << "\n"; return 0; }
        auto arr = json::parse(list).as_array();
        if (arr.empty()) std::cout << "no sites\n";
        for (auto &v : arr) {
            auto &o = v.as_object();
            std::printf("%-40s %-10s php %-4s %s%s\n", str(o, "domain").c_str(), str(o, "state").c_str(), str(o, "php").c_str(),
                        str(o, "environment").c_str(), o.contains("staging_of") ? (" of " + str(o, "staging_of")).c_str() : "");
        }
        return 0;
    }
    if (sub == "get") {
        auto s = sites.get(arg(1, "a domain"));
        std::cout << (a.json ? s : json::serialize(json::parse(s))) << "\n";
        return 0;
    }
    if (sub == "plan") {
        std::cout << sites.plan(site_spec(a, a.positional.size() > 1 ? a.positional[1] : "")) << "\n";
        return 0;
    }
    std::string result;
    if (sub == "create") result = run_job(sites.create_start(site_spec(a, arg(1, "a domain"))));
    else if (sub == "delete") result = run_job(sites.delete_start(arg(1, "a domain")));
    else if (sub == "suspend" || sub == "unsuspend") result = run_job(sites.suspend_start(arg(1, "a domain"), sub == "suspend"));
    else if (sub == "php") result = run_job(sites.set_php_start(arg(1, "a domain"), arg(2, "a PHP version")));
    else if (sub == "regenerate") result = run_job(sites.regenerate_start(arg(1, "a domain")));
    else if (sub == "clone") result = run_job(sites.clone_start(arg(1, "the source domain"), site_spec(a, arg(2, "the new domain"))));
    else if (sub == "staging") {
        std::string spec = a.positional.size() > 2 || !a.spec_file.empty() || !a.spec_fields.empty()
                               ? site_spec(a, a.positional.size() > 2 ? a.positional[2] : "")
                               : "";
        result = run_job(sites.staging_start(arg(1, "a domain"), spec));
    } else if (sub == "push") {
        if (a.files_only && a.database_only) throw UsageError("--files-only and --database-only exclude each other");
        json::object o{{"files", !a.database_only}, {"database", !a.files_only}};
        if (!a.tables.empty()) {
            json::array t;
            for (auto part : wphost_split(a.tables)) t.emplace_back(part);
            o["tables"] = t;
        }
        result = run_job(sites.push_start(arg(1, "a staging domain"), json::serialize(o)));
    } else {
        throw UsageError("unknown site command \"" + sub + "\" (try 'wphost site --help')");
    }
    print_site_result(a, result);
    return 0;
}
std::string read_input(const std::string &file) {
    if (file == "-") return read_all(std::cin);
    std::ifstream f(file);
    if (!f) throw wphost::Error(WPH_ENOTFOUND, "cli", "cannot read " + file + ": " + std::strerror(errno));
    return read_all(f);
}

// "24h", "7d", "90m", "3600" (seconds).
long long window_seconds(const std::string &w) {
    char *end = nullptr;
    long long n = std::strtoll(w.c_str(), &end, 10);
    std::string unit = end ? end : "";
    long long mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
    if (n <= 0 || mult == 0 || end == w.c_str()) throw UsageError("--window takes a duration such as 90m, 24h or 7d");
    return n * mult;
}

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

// A loopback HTTP server for /metrics, one request per connection.
int serve_metrics(wphost::ProbeMonitor &monitor, const std::string &listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw UsageError("--listen takes ADDRESS:PORT");
    std::string addr = listen.substr(0, colon);
    int port = std::atoi(listen.c_str() + colon + 1);
    if (port <= 0 || port > 65535) throw UsageError("--listen takes ADDRESS:PORT");
    if (addr != "127.0.0.1" && addr != "::1" && addr != "localhost")
        throw UsageError("--listen serves loopback only (127.0.0.1 or ::1); put a proxy in front for more");
    int fd = ::socket(addr == "::1" ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (addr == "::1") {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(static_cast<uint16_t>(port));
        sa.sin6_addr = in6addr_loopback;
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
    }
    if (rc != 0 || ::listen(fd, 64) != 0) {
        std::string err = std::strerror(errno);
        ::close(fd);
        throw wphost::Error(WPH_EIO, "cli", "cannot listen on " + listen + ": " + err);
    }
    std::cerr << "serving Prometheus metrics on http://" << listen << "/metrics (Ctrl-C stops)\n";
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    while (!g_stop) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[2048];
        ssize_t n = ::recv(c, buf, sizeof buf - 1, 0);
        std::string req(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        std::string status = "200 OK", type = "text/plain; version=0.0.4; charset=utf-8", body;
        if (req.rfind("GET /metrics ", 0) == 0 || req.rfind("GET /metrics?", 0) == 0) body = monitor.metrics();
        else if (req.rfind("GET /status ", 0) == 0) { body = monitor.status(); type = "application/json"; }
        else { status = "404 Not Found"; body = "try /metrics or /status\n"; }
        std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n" + body;
        std::size_t off = 0;
        while (off < resp.size()) {
            ssize_t w = ::send(c, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += static_cast<std::size_t>(w);
        }
        ::close(c);
    }
    ::close(fd);
    std::cerr << "stopping: flushing results\n";
    return 0;
}

int cmd_probe(const Args &a) {
    if (a.positional.empty()) throw UsageError("probe needs a command (try 'wphost probe --help')");
    const std::string &sub = a.positional[0];
    auto arg = [&](std::size_t i, const char *what) {
        if (a.positional.size() <= i) throw UsageError("probe " + sub + " needs " + what);
        return a.positional[i];
    };
    if (sub == "validate") {
        std::cout << json::serialize(json::parse(wphost::Probes::validate(read_input(arg(1, "a definitions file"))))) << "\n";
        return 0;
    }
    auto engine = open_engine(a);
    wphost::Probes probes(engine);
    if (sub == "run") {
        auto out = run_job(probes.run_start(read_input(arg(1, "a definitions file"))));
        auto arr = json::parse(out).as_array();
        bool all = true;
        for (auto &v : arr) all = all && v.as_object().at("success").as_bool();
        if (a.json) std::cout << out << "\n";
        else
            for (auto &v : arr) {
                auto &o = v.as_object();
                std::string why = str(o, "error");
                if (why.empty())
                    for (auto &c : o.at("conditions").as_array())
                        if (!c.as_object().at("success").as_bool()) { why = str(c.as_object(), "detail"); break; }
                std::printf("%-4s %-30s %7.1f ms  %s\n", o.at("success").as_bool() ? "ok" : "FAIL", str(o, "name").c_str(),
                            o.at("timings").as_object().at("total").to_number<double>() * 1000, why.c_str());
            }
        return all ? 0 : 1;
    }
    if (sub == "stats") {
        auto out = probes.stats(a.positional.size() > 1 ? a.positional[1] : "", window_seconds(a.window));
        if (a.json) { std::cout << out << "\n"; return 0; }
        auto parsed = json::parse(out);
        for (auto &v : parsed.as_array()) {
            auto &o = v.as_object();
            auto &l = o.at("latency_ms").as_object();
            std::printf("%-30s uptime %6.2f%%  runs %-6s p50 %.1f ms  p99 %.1f ms%s\n", str(o, "name").c_str(),
                        o.at("uptime").to_number<double>() * 100, str(o, "runs").c_str(), l.at("p50").to_number<double>(),
                        l.at("p99").to_number<double>(), o.at("open_incident").as_bool() ? "  INCIDENT" : "");
        }
        return 0;
    }
    if (sub == "history") {
        std::cout << probes.history(a.positional.size() > 1 ? a.positional[1] : "", a.limit) << "\n";
        return 0;
    }
    if (sub == "serve") {
        wphost::ProbeMonitor monitor(engine, read_input(arg(1, "a definitions file")),
                                     [](const std::string &ev) { std::cerr << "alert: " << ev << "\n"; });
        return serve_metrics(monitor, a.listen);
    }
    throw UsageError("unknown probe command \"" + sub + "\" (try 'wphost probe --help')");
}

// A JSON object from FILE, @FILE, - or inline text.
json::object json_arg(const std::string &v, const char *what) {
    std::string text = v == "-" ? read_all(std::cin) : (!v.empty() && v[0] == '@') ? read_input(v.substr(1)) : v;
    std::error_code ec;
    auto parsed = json::parse(text, ec);
    if (ec || !parsed.is_object()) throw wphost::Error(WPH_EINVALID, "cli", std::string(what) + " is not a JSON object");
    return parsed.as_object();
}

int cmd_provider(const Args &a) {
    if (a.positional.empty()) throw UsageError("provider needs a command (try 'wphost provider --help')");
    const std::string &sub = a.positional[0];
    if (sub == "kinds") {
        std::cout << wphost::Provider::kinds() << "\n";
        return 0;
    }
    if (a.config_file.empty()) throw UsageError("provider " + sub + " needs --config FILE");
    auto engine = open_engine(a);
    wphost::Provider p(engine, read_input(a.config_file));
    if (sub == "ops") {
        auto ops = p.operations();
        if (a.json) std::cout << ops << "\n";
        else {
            auto parsed = json::parse(ops);
            for (auto &o : parsed.as_array()) std::cout << o.as_string().c_str() << "\n";
        }
        return 0;
    }
    if (sub == "call") {
        if (a.positional.size() < 2) throw UsageError("provider call needs an operation");
        std::string params = a.positional.size() > 2 ? json::serialize(json_arg(a.positional[2], "PARAMS")) : "{}";
        std::string op = a.positional[1];
        auto out = run_job(p.call_start(op, params));
        std::cout << (a.json ? out : json::serialize(json::parse(out))) << "\n";
        return 0;
    }
    throw UsageError("unknown provider command \"" + sub + "\" (try 'wphost provider --help')");
}

void print_cert(const json::object &o) {
    std::string days = o.contains("days_left") && !o.at("days_left").is_null() ? str(o, "days_left") + " days" : "-";
    std::printf("%-40s %-13s %-12s %s%s\n", str(o, "name").c_str(), str(o, "status").c_str(), days.c_str(),
                str(o, "not_after").c_str(), str(o, "last_error").empty() ? "" : ("  last error: " + str(o, "last_error")).c_str());
}

int cmd_cert(const Args &a) {
    if (a.positional.empty()) throw UsageError("cert needs a command (try 'wphost cert --help')");
    const std::string &sub = a.positional[0];
    auto engine = open_engine(a);
    wphost::Certs certs(engine);
    std::string acme = a.acme_file.empty() ? "" : json::serialize(json_arg("@" + a.acme_file, "--acme FILE"));
    if (sub == "account") {
        std::cout << certs.account(acme) << "\n";
        return 0;
    }
    if (sub == "list") {
        auto list = certs.list();
        if (a.json) { std::cout << list << "\n"; return 0; }
        auto arr = json::parse(list).as_array();
        if (arr.empty()) std::cout << "no certificates\n";
        for (auto &v : arr) print_cert(v.as_object());
        return 0;
    }
    if (sub == "show") {
        if (a.positional.size() < 2) throw UsageError("cert show needs a name");
        std::cout << certs.get(a.positional[1]) << "\n";
        return 0;
    }
    std::string result;
    if (sub == "issue") {
        json::object req = a.request_file.empty() ? json::object{} : json_arg("@" + a.request_file, "--request FILE");
        if (a.positional.size() > 1) {
            json::array names;
            for (std::size_t i = 1; i < a.positional.size(); ++i) names.emplace_back(a.positional[i]);
            req["names"] = names;
        }
        if (!a.challenge.empty()) req["challenge"] = a.challenge;
        if (!a.webroot.empty()) req["webroot"] = a.webroot;
        if (!a.site.empty()) req["site"] = a.site;
        if (!acme.empty()) req["acme"] = json::parse(acme);
        result = run_job(certs.issue_start(json::serialize(req)));
    } else if (sub == "renew") {
        json::object o;
        if (a.positional.size() > 1) o["name"] = a.positional[1];
        if (a.days >= 0) o["days"] = a.days;
        if (a.force) o["force"] = true;
        try {
            result = run_job(certs.renew_start(json::serialize(o)));
        } catch (const wphost::Error &e) {
            std::cerr << "wphost: renewal failed: " << e.what() << " [" << e.code_name() << "]\n";
            return 1;
        }
    } else if (sub == "revoke") {
        if (a.positional.size() < 2) throw UsageError("cert revoke needs a name");
        json::object o;
        if (a.reason >= 0) o["reason"] = a.reason;
        result = run_job(certs.revoke_start(a.positional[1], json::serialize(o)));
    } else {
        throw UsageError("unknown cert command \"" + sub + "\" (try 'wphost cert --help')");
    }
    std::cout << (a.json ? result : json::serialize(json::parse(result))) << "\n";
    return 0;
}

int cmd_events(const Args &a) {
    auto engine = open_engine(a);
    wphost::Events events(engine);
    auto out = events.list(a.kind, 0, a.limit);
    if (a.json) { std::cout << out << "\n"; return 0; }
    auto parsed = json::parse(out);
    for (auto &v : parsed.as_array()) {
        auto &o = v.as_object();
        std::printf("%-6s %-7s %-22s %-30s %s\n", str(o, "id").c_str(), str(o, "level").c_str(), str(o, "kind").c_str(),
                    str(o, "subject").c_str(), str(o, "message").c_str());
    }
    return 0;
}
}  // namespace

int main(int argc, char **argv) {
    // restic 0.14's `unlock` probes the holders of locks on this host with
    // SIGHUP; a running backup must survive that (restic's own does).
    std::signal(SIGHUP, SIG_IGN);
    Args a;
    try {
        a = parse_args(argc, argv);
        if (a.help || a.command.empty()) {
            auto it = kCommandHelp.find(a.command);
            std::cout << (it != kCommandHelp.end() ? it->second : kUsage);
            return a.help ? 0 : 2;
        }
        if (a.command == "repo") return cmd_repo(a);
        if (a.command == "site") return cmd_site(a);
        if (a.command == "probe") return cmd_probe(a);
        if (a.command == "provider") return cmd_provider(a);
        if (a.command == "cert") return cmd_cert(a);
        if (!a.positional.empty()) throw UsageError("unexpected argument " + a.positional[0]);
        if (a.command == "doctor") return cmd_doctor(a);
        if (a.command == "jobs") return cmd_jobs(a);
        if (a.command == "info") return cmd_info(a);
        if (a.command == "version") return cmd_version(a);
        if (a.command == "events") return cmd_events(a);
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
