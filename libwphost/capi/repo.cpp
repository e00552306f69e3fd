#include <boost/json.hpp>
#include <cstring>

#include "capi/capi.hpp"
#include "repo/forget.hpp"
#include "repo/ops.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace json = boost::json;
using namespace wph::capi;
using namespace wph::repo;

struct wph_repo {
    wph::Engine *engine;
    std::shared_ptr<Repository> repo;
};

namespace {

wph::capi::Registry<wph_repo> &repos() {
    static wph::capi::Registry<wph_repo> r;
    return r;
}

wph_repo *check_repo(wph_repo *r) {
    if (!r) wph::raise(WPH_EINVALID, "repo", "repo is NULL");
    if (!repos().contains(r)) wph::raise(WPH_EINVALID, "repo", "repository handle is not open (already freed, or not from the library)");
    return r;
}

// The password from the options, never logged; zeroed by the caller.
std::string password_of(const wph_repo_options *o) {
    if (o->password && o->password_file) wph::raise(WPH_EINVALID, "repo", "give either password or password_file, not both");
    if (o->password) return o->password;
    if (!o->password_file) wph::raise(WPH_EINVALID, "repo", "no password given (password or password_file)");
    auto text = wph::util::read_file_if_exists(o->password_file, 65536);
    if (!text) wph::raise(WPH_ENOTFOUND, "repo", std::string("password file ") + o->password_file + " not found");
    auto line = std::string(wph::util::trim(*text));
    std::fill(text->begin(), text->end(), '\0');
    if (line.empty()) wph::raise(WPH_EINVALID, "repo", std::string("password file ") + o->password_file + " is empty");
    return line;
}

void wipe(std::string &s) {
    volatile char *p = s.data();
    for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
}

Compression compression_of(const wph_repo_options *o) {
    if (!o->compression || std::strcmp(o->compression, "auto") == 0) return Compression::automatic;
    if (std::strcmp(o->compression, "off") == 0) return Compression::off;
    if (std::strcmp(o->compression, "max") == 0) return Compression::max;
    wph::raise(WPH_EINVALID, "repo", std::string("compression must be auto, off or max, got \"") + o->compression + "\"");
}

KdfParams kdf_of(const wph_repo_options *o) {
    KdfParams k;
    if (o->scrypt_n) k.N = o->scrypt_n;
    if (o->scrypt_r) k.r = o->scrypt_r;
    if (o->scrypt_p) k.p = o->scrypt_p;
    return k;
}

const wph_repo_options &checked(const wph_repo_options *o, const char *fn) {
    require(o, "opts", fn);
    check_options_version(o->version, WPH_REPO_OPTIONS_VERSION, "wph_repo_options");
    if (!o->location || !o->location[0]) wph::raise(WPH_EINVALID, "repo", std::string(fn) + ": opts->location is empty");
    return *o;
}

std::string absolute_path(const std::string &p) {
    if (p.empty() || p[0] == '/') return p;
    char cwd[4096];
    return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + p : p;
}

// "local:/x" and relative paths become absolute; other schemes are left to open_backend.
std::string absolute_location(std::string loc) {
    if (loc.rfind("local:", 0) == 0) return absolute_path(loc.substr(6));
    return loc.find(':') == std::string::npos ? absolute_path(loc) : loc;
}

wph_repo *make_handle(wph::Engine &e, std::unique_ptr<Repository> r) {
    auto *h = new wph_repo{&e, std::shared_ptr<Repository>(std::move(r))};
    repos().add(h);
    return h;
}

// ---- spec JSON reading, with unknown keys refused ----
class Spec {
public:
    Spec(const char *text, const char *what) : what_(what) {
        if (text && *text) obj_ = wph::util::parse_json_object(text, what, "repo");
    }
    ~Spec() noexcept(false) {}
    std::vector<std::string> strings(const char *key) {
        seen_.push_back(key);
        std::vector<std::string> out;
        auto it = obj_.find(key);
        if (it == obj_.end() || it->value().is_null()) return out;
        if (!it->value().is_array()) bad(key, "must be an array of strings");
        for (auto &v : it->value().get_array()) {
            if (!v.is_string()) bad(key, "must be an array of strings");
            out.emplace_back(v.get_string());
        }
        return out;
    }
    std::optional<std::string> opt_str(const char *key) {
        seen_.push_back(key);
        auto it = obj_.find(key);
        if (it == obj_.end() || it->value().is_null()) return std::nullopt;
        if (!it->value().is_string()) bad(key, "must be a string");
        return std::string(it->value().get_string());
    }
    std::string str(const char *key) { return opt_str(key).value_or(""); }
    unsigned count(const char *key) {
        seen_.push_back(key);
        auto it = obj_.find(key);
        if (it == obj_.end() || it->value().is_null()) return 0;
        auto &v = it->value();
        if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= 1000000) return static_cast<unsigned>(v.get_int64());
        if (v.is_uint64() && v.get_uint64() <= 1000000) return static_cast<unsigned>(v.get_uint64());
        bad(key, "must be a whole number from 0 to 1000000");
    }
    Duration duration(const char *key) {
        auto s = str(key);
        if (s.empty()) return {};
        auto d = parse_duration(s);
        if (!d) bad(key, "must be a duration such as 1y5m7d2h");
        return *d;
    }
    bool boolean(const char *key) {
        seen_.push_back(key);
        auto it = obj_.find(key);
        if (it == obj_.end() || it->value().is_null()) return false;
        if (!it->value().is_bool()) bad(key, "must be true or false");
        return it->value().get_bool();
    }
    void done() {
        for (auto &kv : obj_)
            if (std::find(seen_.begin(), seen_.end(), std::string(kv.key())) == seen_.end())
                wph::raise(WPH_EINVALID, "repo", std::string(what_) + ": unknown key \"" + std::string(kv.key()) + "\"");
    }

private:
    [[noreturn]] void bad(const char *key, const char *why) {
        wph::raise(WPH_EINVALID, "repo", std::string(what_) + ": \"" + key + "\" " + why);
    }
    const char *what_;
    json::object obj_;
    std::vector<std::string> seen_;
};

json::array jstrings(const std::vector<std::string> &v) {
    json::array a;
    for (auto &s : v) a.emplace_back(s);
    return a;
}

json::object snapshot_json(const std::string &id, const Snapshot &s) {
    json::object o;
    o["time"] = format_time(s.time);
    if (s.parent) o["parent"] = to_hex(*s.parent);
    o["tree"] = to_hex(s.tree);
    o["paths"] = jstrings(s.paths);
    o["hostname"] = s.hostname;
    o["username"] = s.username;
    if (s.uid) o["uid"] = s.uid;
    if (s.gid) o["gid"] = s.gid;
    if (!s.excludes.empty()) o["excludes"] = jstrings(s.excludes);
    o["tags"] = jstrings(s.tags);
    o["id"] = id;
    o["short_id"] = id.substr(0, 8);
    return o;
}

std::string mode_string(const Node &n) {
    std::string s = n.type == NodeType::dir ? "d" : n.type == NodeType::symlink ? "L" : n.type == NodeType::fifo ? "p"
                  : n.type == NodeType::dev ? "D" : n.type == NodeType::chardev ? "c" : n.type == NodeType::socket ? "S" : "-";
    auto m = posix_mode_from_go(n.mode);
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) s.push_back((m & (0400 >> i)) ? rwx[i] : '-');
    return s;
}

std::shared_ptr<wph::Job> start(wph_repo *h, const char *kind, const wph_job_options *opts,
                                std::function<std::string(wph::Job &, Repository &)> work) {
    auto [cb, payload] = job_callbacks(opts);
    auto repo = h->repo;
    return h->engine->start_job(kind, cb, payload, [repo, work = std::move(work)](wph::Job &j) { return work(j, *repo); });
}

json::object prune_json(const PruneStats &st) {
    return json::object{{"packs_kept", st.packs_kept}, {"packs_deleted", st.packs_deleted},
                        {"packs_repacked", st.packs_repacked}, {"unreferenced_packs", st.unreferenced_packs},
                        {"blobs_repacked", st.blobs_repacked}, {"used_blobs", st.used_blobs},
                        {"index_files_replaced", st.index_files_replaced}, {"bytes_freed", st.bytes_freed}};
}

std::string backup_result(const BackupResult &r) {
    json::object stats{{"files_new", r.stats.files_new},
                       {"files_changed", r.stats.files_changed},
                       {"files_unmodified", r.stats.files_unmodified},
                       {"dirs", r.stats.dirs},
                       {"others", r.stats.others},
                       {"bytes_processed", r.stats.bytes_processed},
                       {"bytes_total", r.stats.bytes_total},
                       {"blobs_added", r.stats.blobs_added},
                       {"bytes_added", r.stats.bytes_added},
                       {"errors", jstrings(r.stats.errors)}};
    json::object o{{"snapshot_id", r.snapshot_id},
                   {"short_id", r.snapshot_id.substr(0, 8)},
                   {"parent", r.parent_id ? json::value(*r.parent_id) : json::value(nullptr)},
                   {"time", format_time(r.snapshot.time)},
                   {"tree", to_hex(r.snapshot.tree)},
                   {"paths", jstrings(r.snapshot.paths)},
                   {"hostname", r.snapshot.hostname},
                   {"tags", jstrings(r.snapshot.tags)},
                   {"stats", stats}};
    return wph::util::to_json(o);
}

}  // namespace

extern "C" {

WPH_API int wph_repo_options_init(wph_repo_options *opts, unsigned int version) {
    return guard([&] {
        require(opts, "opts", "wph_repo_options_init");
        check_options_version(version, WPH_REPO_OPTIONS_VERSION, "wph_repo_options");
        *opts = wph_repo_options WPH_REPO_OPTIONS_INIT;
        return 0;
    });
}

WPH_API unsigned int wph_repo_options_version(void) { return WPH_REPO_OPTIONS_VERSION; }

WPH_API int wph_repo_init(wph_repo **out, wph_engine *engine, const wph_repo_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_init");
        *out = nullptr;
        auto &e = *check_engine(engine)->engine;
        auto &o = checked(opts, "wph_repo_init");
        Repository::InitOptions io;
        io.version = o.repo_version ? o.repo_version : 2;
        io.kdf = kdf_of(&o);
        auto comp = compression_of(&o);
        auto pw = password_of(&o);
        std::unique_ptr<Repository> r;
        try {
            r = Repository::init(open_backend(absolute_location(o.location)), pw, io);
        } catch (...) {
            wipe(pw);
            throw;
        }
        wipe(pw);
        r->set_compression(comp);
        *out = make_handle(e, std::move(r));
        return 0;
    });
}

WPH_API int wph_repo_open(wph_repo **out, wph_engine *engine, const wph_repo_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_open");
        *out = nullptr;
        auto &e = *check_engine(engine)->engine;
        auto &o = checked(opts, "wph_repo_open");
        auto comp = compression_of(&o);
        auto pw = password_of(&o);
        std::unique_ptr<Repository> r;
        try {
            r = Repository::open(open_backend(absolute_location(o.location)), pw);
        } catch (...) {
            wipe(pw);
            throw;
        }
        wipe(pw);
        r->set_compression(comp);
        *out = make_handle(e, std::move(r));
        return 0;
    });
}

WPH_API void wph_repo_free(wph_repo *repo) {
    if (!repo || !repos().remove(repo)) return;
    delete repo;
}

WPH_API int wph_repo_info(char **json_out, wph_repo *repo) {
    return guard([&] {
        require(json_out, "json_out", "wph_repo_info");
        *json_out = nullptr;
        auto &r = *check_repo(repo)->repo;
        char pol[32];
        std::snprintf(pol, sizeof pol, "%llx", static_cast<unsigned long long>(r.config().chunker_polynomial));
        json::object o{{"location", r.backend().location()}, {"id", r.config().id}, {"version", r.version()},
                       {"chunker_polynomial", pol}, {"key_id", r.key_id()}, {"index_files", r.index_files().size()},
                       {"blobs", r.blob_count()}, {"index_errors", jstrings(r.index_errors())}};
        *json_out = dup_out(wph::util::to_json(o));
        return 0;
    });
}

WPH_API int wph_repo_snapshots(char **json_out, wph_repo *repo, const char *filter_json) {
    return guard([&] {
        require(json_out, "json_out", "wph_repo_snapshots");
        *json_out = nullptr;
        auto &r = *check_repo(repo)->repo;
        Spec f(filter_json, "snapshot filter");
        auto host = f.str("host");
        auto tags = f.strings("tags");
        auto paths = f.strings("paths");
        f.done();
        json::array out;
        for (auto &[id, s] : r.snapshots()) {
            if (!host.empty() && s.hostname != host) continue;
            if (!tags.empty()) {
                bool any = false;
                for (auto &t : tags) {
                    bool all = true;
                    for (auto part : wph::util::split(t, ','))
                        if (std::find(s.tags.begin(), s.tags.end(), std::string(part)) == s.tags.end()) all = false;
                    any = any || all;
                }
                if (!any) continue;
            }
            bool paths_ok = std::all_of(paths.begin(), paths.end(), [&](const std::string &p) {
                return std::find(s.paths.begin(), s.paths.end(), p) != s.paths.end();
            });
            if (!paths_ok) continue;
            out.push_back(snapshot_json(id, s));
        }
        *json_out = dup_out(wph::util::to_json(out));
        return 0;
    });
}

WPH_API int wph_repo_ls(char **json_out, wph_repo *repo, const char *snapshot) {
    return guard([&] {
        require(json_out, "json_out", "wph_repo_ls");
        *json_out = nullptr;
        auto &r = *check_repo(repo)->repo;
        auto id = find_snapshot(r, snapshot ? snapshot : "latest");
        auto snap = decode_snapshot(r.load_unpacked(FileType::snapshot, id));
        json::array nodes;
        ls(r, id, [&](const LsEntry &e) {
            const Node &n = e.node;
            json::object o{{"path", e.path}, {"name", n.name}, {"type", node_type_name(n.type)},
                           {"mode", posix_mode_from_go(n.mode)}, {"permissions", mode_string(n)},
                           {"uid", n.uid}, {"gid", n.gid}, {"user", n.user}, {"group", n.group},
                           {"mtime", format_time(n.mtime)}, {"atime", format_time(n.atime)}, {"ctime", format_time(n.ctime)}};
            if (n.type == NodeType::file) o["size"] = n.size;
            if (n.type == NodeType::symlink) o["linktarget"] = n.linktarget;
            if (n.links > 1) o["links"] = n.links;
            nodes.push_back(std::move(o));
        });
        *json_out = dup_out(wph::util::to_json(json::object{{"snapshot", snapshot_json(id, snap)}, {"nodes", nodes}}));
        return 0;
    });
}

WPH_API int wph_repo_backup_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_backup_start");
        *out = nullptr;
        auto *h = check_repo(repo);
        Spec s(spec_json, "backup spec");
        BackupOptions bo;
        bo.paths = s.strings("paths");
        bo.tags = s.strings("tags");
        bo.hostname = s.str("host");
        bo.excludes = s.strings("exclude");
        auto parent = s.str("parent");
        if (!parent.empty()) bo.parent = parent;
        bo.force = s.boolean("force");
        s.done();
        if (bo.paths.empty()) wph::raise(WPH_EINVALID, "repo", "backup spec: \"paths\" must name at least one path");
        *out = make_job(start(h, "repo.backup", opts, [bo](wph::Job &j, Repository &r) {
            return backup_result(backup(r, bo, &j));
        }));
        return 0;
    });
}

WPH_API int wph_repo_backup_stream_start(wph_job **out, wph_repo *repo, const char *spec_json, wph_read_cb read,
                                         void *read_payload, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_backup_stream_start");
        *out = nullptr;
        require(reinterpret_cast<const void *>(read), "read", "wph_repo_backup_stream_start");
        auto *h = check_repo(repo);
        Spec s(spec_json, "backup spec");
        BackupOptions bo;
        bo.stdin_filename = s.str("filename");
        bo.tags = s.strings("tags");
        bo.hostname = s.str("host");
        s.done();
        if (bo.stdin_filename.empty()) wph::raise(WPH_EINVALID, "repo", "backup spec: \"filename\" is required for a stream");
        *out = make_job(start(h, "repo.backup", opts, [bo, read, read_payload](wph::Job &j, Repository &r) mutable {
            bo.read = [&](char *buf, std::size_t cap) -> std::size_t {
                long n = read(buf, static_cast<unsigned long>(cap), read_payload);
                if (n < 0) wph::raise(WPH_EUSER, "repo", "the read callback aborted the stream");
                return static_cast<std::size_t>(n);
            };
            return backup_result(backup(r, bo, &j));
        }));
        return 0;
    });
}

WPH_API int wph_repo_restore_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_restore_start");
        *out = nullptr;
        auto *h = check_repo(repo);
        Spec s(spec_json, "restore spec");
        RestoreOptions ro;
        ro.snapshot = s.str("snapshot");
        ro.target = s.str("target");
        ro.includes = s.strings("include");
        ro.excludes = s.strings("exclude");
        ro.host = s.str("host");
        s.done();
        if (ro.target.empty()) wph::raise(WPH_EINVALID, "repo", "restore spec: \"target\" is required");
        ro.target = absolute_path(ro.target);
        *out = make_job(start(h, "repo.restore", opts, [ro](wph::Job &j, Repository &r) {
            auto id = find_snapshot(r, ro.snapshot, ro.host);
            RestoreOptions fixed = ro;
            fixed.snapshot = id;
            auto st = restore(r, fixed, &j);
            return wph::util::to_json(json::object{{"snapshot_id", id}, {"target", ro.target}, {"files", st.files},
                                                   {"dirs", st.dirs}, {"others", st.others}, {"bytes", st.bytes},
                                                   {"hardlinks", st.hardlinks}});
        }));
        return 0;
    });
}

WPH_API int wph_repo_dump(wph_repo *repo, const char *snapshot, const char *path, wph_write_cb write, void *payload) {
    return guard([&] {
        auto &r = *check_repo(repo)->repo;
        require(path, "path", "wph_repo_dump");
        require(reinterpret_cast<const void *>(write), "write", "wph_repo_dump");
        dump(r, snapshot ? snapshot : "latest", path, [&](const char *d, std::size_t n) {
            if (write(d, static_cast<unsigned long>(n), payload) != 0) wph::raise(WPH_EUSER, "repo", "the write callback stopped the dump");
        });
        return 0;
    });
}

WPH_API int wph_repo_check_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_check_start");
        *out = nullptr;
        auto *h = check_repo(repo);
        Spec s(spec_json, "check spec");
        bool read_data = s.boolean("read_data");
        s.done();
        *out = make_job(start(h, "repo.check", opts, [read_data](wph::Job &j, Repository &r) {
            auto c = check(r, read_data, &j);
            return wph::util::to_json(json::object{{"ok", c.errors.empty()}, {"errors", jstrings(c.errors)},
                                                   {"warnings", jstrings(c.warnings)}, {"packs", c.packs},
                                                   {"snapshots", c.snapshots}, {"trees", c.trees}, {"blobs_read", c.blobs_read}});
        }));
        return 0;
    });
}

WPH_API int wph_repo_forget_start(wph_job **out, wph_repo *repo, const char *policy_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_forget_start");
        *out = nullptr;
        auto *h = check_repo(repo);
        Spec s(policy_json, "forget policy");
        ForgetPolicy p;
        p.last = s.count("keep_last");
        p.hourly = s.count("keep_hourly");
        p.daily = s.count("keep_daily");
        p.weekly = s.count("keep_weekly");
        p.monthly = s.count("keep_monthly");
        p.yearly = s.count("keep_yearly");
        p.within = s.duration("keep_within");
        p.within_hourly = s.duration("keep_within_hourly");
        p.within_daily = s.duration("keep_within_daily");
        p.within_weekly = s.duration("keep_within_weekly");
        p.within_monthly = s.duration("keep_within_monthly");
        p.within_yearly = s.duration("keep_within_yearly");
        p.keep_tags = s.strings("keep_tags");
        ForgetFilter f;
        f.host = s.str("host");
        f.tags = s.strings("tags");
        f.paths = s.strings("paths");
        if (auto g = s.opt_str("group_by")) f.group_by = *g;  // "" (given) means one group
        bool dry_run = s.boolean("dry_run");
        bool and_prune = s.boolean("prune");
        s.done();
        plan_forget({}, p, f, time_now());  // validates group_by now, not in the job
        *out = make_job(start(h, "repo.forget", opts, [p, f, dry_run, and_prune](wph::Job &j, Repository &r) {
            j.report("planning", 0, 2);
            json::array groups;
            std::uint64_t removed = 0;
            {
                RepoLock lock(r, true);
                auto plan = plan_forget(r.snapshots(), p, f, time_now());
                for (auto &g : plan) {
                    json::array keep, remove;
                    for (auto &d : g.snapshots) {
                        if (d.keep) {
                            keep.push_back(json::object{{"id", d.id}, {"time", format_time(d.snapshot.time)}, {"reasons", jstrings(d.reasons)}});
                        } else {
                            remove.push_back(json::object{{"id", d.id}, {"time", format_time(d.snapshot.time)}});
                            if (!dry_run) {
                                r.backend().remove(FileType::snapshot, d.id);
                                ++removed;
                            }
                        }
                    }
                    groups.push_back(json::object{{"host", g.host}, {"paths", jstrings(g.paths)}, {"tags", jstrings(g.tags)},
                                                  {"keep", keep}, {"remove", remove}});
                }
            }
            json::value pr = nullptr;
            if (and_prune) {
                j.report("prune", 1, 2);
                pr = prune_json(prune(r, dry_run, &j));
            }
            return wph::util::to_json(json::object{{"groups", groups}, {"removed", removed}, {"dry_run", dry_run}, {"prune", pr}});
        }));
        return 0;
    });
}

WPH_API int wph_repo_prune_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_repo_prune_start");
        *out = nullptr;
        auto *h = check_repo(repo);
        Spec s(spec_json, "prune spec");
        bool dry_run = s.boolean("dry_run");
        s.done();
        *out = make_job(start(h, "repo.prune", opts, [dry_run](wph::Job &j, Repository &r) {
            auto o = prune_json(prune(r, dry_run, &j));
            o["dry_run"] = dry_run;
            return wph::util::to_json(o);
        }));
        return 0;
    });
}

WPH_API int wph_repo_stats(char **json_out, wph_repo *repo) {
    return guard([&] {
        require(json_out, "json_out", "wph_repo_stats");
        *json_out = nullptr;
        auto st = stats(*check_repo(repo)->repo);
        *json_out = dup_out(wph::util::to_json(json::object{
            {"snapshots", st.snapshots}, {"restore_files", st.restore_files}, {"restore_size", st.restore_size},
            {"packs", st.packs}, {"blobs", st.blobs}, {"stored_size", st.stored_size},
            {"uncompressed_size", st.uncompressed_size}, {"pack_bytes", st.pack_bytes}}));
        return 0;
    });
}

WPH_API int wph_repo_key_list(char **json_out, wph_repo *repo) {
    return guard([&] {
        require(json_out, "json_out", "wph_repo_key_list");
        *json_out = nullptr;
        json::array a;
        for (auto &k : check_repo(repo)->repo->keys())
            a.push_back(json::object{{"id", k.id}, {"current", k.current}, {"username", k.username},
                                     {"hostname", k.hostname}, {"created", format_time(k.created)}});
        *json_out = dup_out(wph::util::to_json(a));
        return 0;
    });
}

WPH_API int wph_repo_key_add(char **id_out, wph_repo *repo, const char *new_password) {
    return guard([&] {
        require(id_out, "id_out", "wph_repo_key_add");
        *id_out = nullptr;
        require(new_password, "new_password", "wph_repo_key_add");
        *id_out = dup_out(check_repo(repo)->repo->add_key(new_password, KdfParams{}));
        return 0;
    });
}

WPH_API int wph_repo_key_passwd(char **id_out, wph_repo *repo, const char *new_password) {
    return guard([&] {
        require(id_out, "id_out", "wph_repo_key_passwd");
        *id_out = nullptr;
        require(new_password, "new_password", "wph_repo_key_passwd");
        *id_out = dup_out(check_repo(repo)->repo->change_password(new_password, KdfParams{}));
        return 0;
    });
}

WPH_API int wph_repo_key_remove(wph_repo *repo, const char *key_id) {
    return guard([&] {
        require(key_id, "key_id", "wph_repo_key_remove");
        check_repo(repo)->repo->remove_key(key_id);
        return 0;
    });
}

WPH_API int wph_repo_unlock(int *removed_out, wph_repo *repo, int all_locks) {
    return guard([&] {
        int n = check_repo(repo)->repo->remove_stale_locks(all_locks != 0);
        if (removed_out) *removed_out = n;
        return 0;
    });
}

}  // extern "C"
