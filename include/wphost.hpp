// libwphost — header-only C++ wrapper over the C ABI (C++17).
//
// RAII classes own the C handles; every failing call throws wphost::Error,
// which carries the code, category, message and HTTP status of the C error.
// JSON documents are returned as std::string, so this header pulls in no JSON
// library: parse them with whatever your program already uses.
//
//   wphost::Engine engine(wphost::EngineOptions().state_dir("/tmp/st"));
//   std::string report = engine.host_check();
//
// Thread safety is that of the C functions underneath (see wphost.h).
#ifndef WPHOST_HPP
#define WPHOST_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "wphost.h"

namespace wphost {

class Error : public std::runtime_error {
public:
    Error(int code, std::string category, const std::string &message, int http_status = 0)
        : std::runtime_error(message), code_(code), category_(std::move(category)), http_status_(http_status) {}

    // From a C error object (NULL: a generic error with code `fallback`).
    static Error from(const wph_error *err, int fallback) {
        if (!err) return Error(fallback, "", wph_error_code_name(fallback));
        return Error(wph_error_code(err), wph_error_category(err), wph_error_message(err), wph_error_http_status(err));
    }

    int code() const noexcept { return code_; }
    const std::string &category() const noexcept { return category_; }
    int http_status() const noexcept { return http_status_; }
    const char *code_name() const noexcept { return wph_error_code_name(code_); }

private:
    int code_;
    std::string category_;
    int http_status_;
};

// Throw the calling thread's last error when rc is negative.
inline int check(int rc) {
    if (rc < 0) {
        const wph_error *err = wph_error_last();
        throw Error::from(err && wph_error_code(err) == rc ? err : nullptr, rc);
    }
    return rc;
}

inline std::string version() { return wph_version(); }

namespace detail {
struct StrFree {
    void operator()(char *s) const noexcept { wph_str_free(s); }
};
inline std::string take(char *s) {
    std::unique_ptr<char, StrFree> owned(s);
    return owned ? std::string(owned.get()) : std::string();
}
}  // namespace detail

class EngineOptions {
public:
    EngineOptions() { check(wph_engine_options_init(&opts_, WPH_ENGINE_OPTIONS_VERSION)); }
    EngineOptions &state_dir(std::string dir) { state_dir_ = std::move(dir); return *this; }
    EngineOptions &host_profile(std::string json) { host_profile_ = std::move(json); return *this; }
    EngineOptions &threads(unsigned n) { opts_.threads = n; return *this; }

    // The C struct; valid while this object lives and is not modified.
    const wph_engine_options *c_options() {
        opts_.state_dir = state_dir_ ? state_dir_->c_str() : nullptr;
        opts_.host_profile = host_profile_ ? host_profile_->c_str() : nullptr;
        return &opts_;
    }

private:
    wph_engine_options opts_{};
    std::optional<std::string> state_dir_, host_profile_;
};

struct Progress {
    std::string phase;
    unsigned step = 0, steps = 0;
    double percent = 0;
    std::uint64_t bytes_done = 0, bytes_total = 0, files_done = 0, files_total = 0;
    double elapsed_seconds = 0, eta_seconds = -1;
    std::string item;

    static Progress from(const wph_progress &p) {
        Progress r;
        r.phase = p.phase ? p.phase : "";
        r.step = p.step;
        r.steps = p.steps;
        r.percent = p.percent;
        r.bytes_done = p.bytes_done;
        r.bytes_total = p.bytes_total;
        r.files_done = p.files_done;
        r.files_total = p.files_total;
        if (p.version >= 2) {
            r.elapsed_seconds = p.elapsed_seconds;
            r.eta_seconds = p.eta_seconds;
            r.item = p.item;
        }
        return r;
    }
};

// A running or finished job. Movable, not copyable; frees its handle.
class Job {
public:
    explicit Job(wph_job *handle) noexcept : h_(handle) {}
    Job(Job &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Job &operator=(Job &&o) noexcept {
        if (this != &o) {
            wph_job_free(h_);
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    Job(const Job &) = delete;
    Job &operator=(const Job &) = delete;
    ~Job() { wph_job_free(h_); }

    std::int64_t id() const {
        std::int64_t id = wph_job_id(h_);
        if (id < 0) check(static_cast<int>(id));
        return id;
    }
    std::string kind() const {
        const char *k = wph_job_kind(h_);
        if (!k) check(WPH_EINVALID);
        return k;
    }
    wph_job_status state() const { return static_cast<wph_job_status>(check(wph_job_state(h_))); }
    bool ended() const { return state() >= WPH_JOB_SUCCEEDED; }
    Progress progress() const {
        wph_progress p{};
        p.version = WPH_PROGRESS_VERSION;
        check(wph_job_progress(&p, h_));
        return Progress::from(p);
    }
    // true if the job ended within the timeout.
    bool wait_for(std::chrono::milliseconds timeout) {
        int rc = wph_job_wait(h_, static_cast<int>(timeout.count()));
        if (rc == WPH_ETIMEOUT) return false;
        check(rc);
        return true;
    }
    void wait() { check(wph_job_wait(h_, -1)); }
    // Request cancellation; false if the job had already ended.
    bool cancel() {
        int rc = wph_job_cancel(h_);
        if (rc == WPH_ECONFLICT) return false;
        check(rc);
        return true;
    }
    // Wait, then return the JSON result or throw the job's error.
    std::string result() {
        wait();
        const char *json = nullptr;
        check(wph_job_result(&json, h_));
        return json;
    }
    wph_job *c_handle() const noexcept { return h_; }

private:
    wph_job *h_;
};

// Progress callback for C++ callers: return false to cancel the job.
using ProgressFn = std::function<bool(const Progress &)>;

namespace detail {
inline int progress_trampoline(const wph_progress *p, void *payload) {
    try {
        return (*static_cast<ProgressFn *>(payload))(Progress::from(*p)) ? 0 : 1;
    } catch (...) {
        return 1;  // an exception cannot cross the C boundary: cancel instead
    }
}
// Start a job through f(&job, &options), with an optional progress callback
// that must outlive the job.
template <class F> Job start_job(F &&f, const ProgressFn *progress) {
    wph_job_options o = WPH_JOB_OPTIONS_INIT;
    if (progress && *progress) {
        o.progress_cb = &progress_trampoline;
        o.payload = const_cast<ProgressFn *>(progress);
    }
    wph_job *j = nullptr;
    check(f(&j, &o));
    return Job(j);
}
// A call that hands back a library-owned JSON string.
template <class F> std::string json_call(F &&f) {
    char *out = nullptr;
    check(f(&out));
    return take(out);
}
}  // namespace detail

class Engine {
public:
    explicit Engine(EngineOptions opts = EngineOptions()) {
        check(wph_engine_open(&h_, opts.c_options()));
    }
    Engine(Engine &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Engine &operator=(Engine &&o) noexcept {
        if (this != &o) {
            wph_engine_free(h_);
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;
    ~Engine() { wph_engine_free(h_); }

    std::string state_dir() const {
        const char *d = nullptr;
        check(wph_engine_state_dir(&d, h_));
        return d;
    }
    std::string info() const {
        char *json = nullptr;
        check(wph_engine_info(&json, h_));
        return detail::take(json);
    }
    std::string jobs(unsigned limit = 0) const {
        char *json = nullptr;
        check(wph_engine_jobs(&json, h_, limit));
        return detail::take(json);
    }

    // The host check, run and waited for; returns its JSON report.
    std::string host_check() {
        char *json = nullptr;
        check(wph_host_check(&json, h_));
        return detail::take(json);
    }
    // The host check as a job. The callback (if any) runs on a worker thread
    // and must outlive the job.
    Job host_check_start(const ProgressFn *progress = nullptr) {
        return detail::start_job([&](wph_job **j, const wph_job_options *o) { return wph_host_check_start(j, h_, o); }, progress);
    }

    wph_engine *c_handle() const noexcept { return h_; }

private:
    wph_engine *h_ = nullptr;
};


// Options to open or create a repository (restic-compatible).
class RepoOptions {
public:
    RepoOptions() { check(wph_repo_options_init(&opts_, WPH_REPO_OPTIONS_VERSION)); }
    RepoOptions &location(std::string l) { location_ = std::move(l); return *this; }
    RepoOptions &password(std::string p) { password_ = std::move(p); return *this; }
    RepoOptions &password_file(std::string f) { password_file_ = std::move(f); return *this; }
    RepoOptions &repo_version(unsigned v) { opts_.repo_version = v; return *this; }
    RepoOptions &compression(std::string c) { compression_ = std::move(c); return *this; }
    RepoOptions &scrypt(unsigned n, unsigned r, unsigned p) {
        opts_.scrypt_n = n;
        opts_.scrypt_r = r;
        opts_.scrypt_p = p;
        return *this;
    }
    ~RepoOptions() {
        if (password_) std::fill(password_->begin(), password_->end(), '\0');
    }
    const wph_repo_options *c_options() {
        opts_.location = location_.c_str();
        opts_.password = password_ ? password_->c_str() : nullptr;
        opts_.password_file = password_file_ ? password_file_->c_str() : nullptr;
        opts_.compression = compression_ ? compression_->c_str() : nullptr;
        return &opts_;
    }

private:
    wph_repo_options opts_{};
    std::string location_;
    std::optional<std::string> password_, password_file_, compression_;
};

// A repository in restic's format. Movable, not copyable.
class Repo {
public:
    static Repo init(Engine &engine, RepoOptions opts) {
        wph_repo *r = nullptr;
        check(wph_repo_init(&r, engine.c_handle(), opts.c_options()));
        return Repo(r);
    }
    static Repo open(Engine &engine, RepoOptions opts) {
        wph_repo *r = nullptr;
        check(wph_repo_open(&r, engine.c_handle(), opts.c_options()));
        return Repo(r);
    }
    Repo(Repo &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Repo &operator=(Repo &&o) noexcept {
        if (this != &o) {
            wph_repo_free(h_);
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    Repo(const Repo &) = delete;
    Repo &operator=(const Repo &) = delete;
    ~Repo() { wph_repo_free(h_); }

    std::string info() const { return json_call([&](char **o) { return wph_repo_info(o, h_); }); }
    std::string snapshots(const std::string &filter_json = "") const {
        return json_call([&](char **o) { return wph_repo_snapshots(o, h_, filter_json.empty() ? nullptr : filter_json.c_str()); });
    }
    std::string ls(const std::string &snapshot = "latest") const {
        return json_call([&](char **o) { return wph_repo_ls(o, h_, snapshot.c_str()); });
    }
    std::string keys() const { return json_call([&](char **o) { return wph_repo_key_list(o, h_); }); }
    std::string add_key(const std::string &password) {
        return json_call([&](char **o) { return wph_repo_key_add(o, h_, password.c_str()); });
    }
    void remove_key(const std::string &id) { check(wph_repo_key_remove(h_, id.c_str())); }
    std::string change_password(const std::string &password) {
        return json_call([&](char **o) { return wph_repo_key_passwd(o, h_, password.c_str()); });
    }
    int unlock(bool all = false) {
        int n = 0;
        check(wph_repo_unlock(&n, h_, all ? 1 : 0));
        return n;
    }
    Job backup_start(const std::string &spec_json, const ProgressFn *progress = nullptr) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_repo_backup_start(j, h_, spec_json.c_str(), o); }, progress);
    }
    Job restore_start(const std::string &spec_json, const ProgressFn *progress = nullptr) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_repo_restore_start(j, h_, spec_json.c_str(), o); }, progress);
    }
    Job check_start(const std::string &spec_json = "", const ProgressFn *progress = nullptr) {
        return start([&](wph_job **j, const wph_job_options *o) {
            return wph_repo_check_start(j, h_, spec_json.empty() ? nullptr : spec_json.c_str(), o);
        }, progress);
    }
    // Write one file of a snapshot through `sink`.
    void dump(const std::string &snapshot, const std::string &path, const std::function<void(const char *, std::size_t)> &sink) {
        auto cb = [](const char *d, unsigned long n, void *p) -> int {
            try {
                (*static_cast<const std::function<void(const char *, std::size_t)> *>(p))(d, n);
                return 0;
            } catch (...) {
                return 1;
            }
        };
        check(wph_repo_dump(h_, snapshot.c_str(), path.c_str(), cb, const_cast<std::function<void(const char *, std::size_t)> *>(&sink)));
    }
    wph_repo *c_handle() const noexcept { return h_; }

private:
    explicit Repo(wph_repo *h) : h_(h) {}
    template <class F> static std::string json_call(F &&f) { return detail::json_call(std::forward<F>(f)); }
    template <class F> Job start(F &&f, const ProgressFn *progress) { return detail::start_job(std::forward<F>(f), progress); }
    wph_repo *h_ = nullptr;
};

// The WordPress sites of an engine (docs/site.md). Specs and results are
// the JSON documents of wphost/site.h; every change runs as a Job.
class Sites {
public:
    explicit Sites(Engine &engine) : e_(engine.c_handle()) {}

    std::string plan(const std::string &spec_json) const {
        return call([&](char **o) { return wph_site_plan(o, e_, spec_json.c_str()); });
    }
    std::string list() const { return call([&](char **o) { return wph_site_list(o, e_); }); }
    std::string get(const std::string &domain) const { return call([&](char **o) { return wph_site_get(o, e_, domain.c_str()); }); }

    Job create_start(const std::string &spec_json, const ProgressFn *progress = nullptr) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_site_create(j, e_, spec_json.c_str(), o); }, progress);
    }
    Job delete_start(const std::string &domain) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_site_delete(j, e_, domain.c_str(), o); }, nullptr);
    }
    Job suspend_start(const std::string &domain, bool suspended) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_site_suspend(j, e_, domain.c_str(), suspended, o); },
                     nullptr);
    }
    Job set_php_start(const std::string &domain, const std::string &version) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_site_set_php(j, e_, domain.c_str(), version.c_str(), o); },
                     nullptr);
    }
    Job regenerate_start(const std::string &domain) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_site_regenerate(j, e_, domain.c_str(), o); }, nullptr);
    }
    Job clone_start(const std::string &from, const std::string &spec_json) {
        return start([&](wph_job **j, const wph_job_options *o) { return wph_site_clone(j, e_, from.c_str(), spec_json.c_str(), o); },
                     nullptr);
    }
    Job staging_start(const std::string &domain, const std::string &spec_json = "") {
        return start([&](wph_job **j, const wph_job_options *o) {
            return wph_site_staging(j, e_, domain.c_str(), spec_json.empty() ? nullptr : spec_json.c_str(), o);
        }, nullptr);
    }
    Job push_start(const std::string &staging_domain, const std::string &options_json = "") {
        return start([&](wph_job **j, const wph_job_options *o) {
            return wph_site_push(j, e_, staging_domain.c_str(), options_json.empty() ? nullptr : options_json.c_str(), o);
        }, nullptr);
    }

private:
    template <class F> static std::string call(F &&f) { return detail::json_call(std::forward<F>(f)); }
    template <class F> static Job start(F &&f, const ProgressFn *progress) { return detail::start_job(std::forward<F>(f), progress); }
    wph_engine *e_;
};

// Health probes (docs/probe.md): one-shot runs and statistics.
class Probes {
public:
    explicit Probes(Engine &engine) : e_(engine.c_handle()) {}
    static std::string validate(const std::string &defs_json) {
        return detail::json_call([&](char **o) { return wph_probe_validate(o, defs_json.c_str()); });
    }
    Job run_start(const std::string &defs_json, const ProgressFn *progress = nullptr) {
        return detail::start_job([&](wph_job **j, const wph_job_options *o) { return wph_probe_run(j, e_, defs_json.c_str(), o); },
                                 progress);
    }
    std::string stats(const std::string &name = "", long long window_seconds = 86400) const {
        return detail::json_call([&](char **o) { return wph_probe_stats(o, e_, name.empty() ? nullptr : name.c_str(), window_seconds); });
    }
    std::string history(const std::string &name = "", unsigned limit = 100) const {
        return detail::json_call([&](char **o) { return wph_probe_history(o, e_, name.empty() ? nullptr : name.c_str(), limit); });
    }

private:
    wph_engine *e_;
};

// A running monitor; stopping (destruction) flushes results and alerts.
class ProbeMonitor {
public:
    using EventFn = std::function<void(const std::string &event_json)>;
    ProbeMonitor(Engine &engine, const std::string &defs_json, EventFn on_event = {}, EventFn remediate = {})
        : on_event_(std::make_unique<EventFn>(std::move(on_event))), remediate_(std::make_unique<EventFn>(std::move(remediate))) {
        wph_probe_monitor_options o = WPH_PROBE_MONITOR_OPTIONS_INIT;
        if (*on_event_) {
            o.on_event = &trampoline;
            o.event_payload = on_event_.get();
        }
        if (*remediate_) {
            o.remediate = &trampoline;
            o.remediate_payload = remediate_.get();
        }
        check(wph_probe_monitor_start(&h_, engine.c_handle(), defs_json.c_str(), &o));
    }
    ~ProbeMonitor() { wph_probe_monitor_free(h_); }
    ProbeMonitor(const ProbeMonitor &) = delete;
    ProbeMonitor &operator=(const ProbeMonitor &) = delete;

    std::string metrics() const { return detail::json_call([&](char **o) { return wph_probe_monitor_metrics(o, h_); }); }
    std::string status() const { return detail::json_call([&](char **o) { return wph_probe_monitor_status(o, h_); }); }
    wph_probe_monitor *c_handle() const noexcept { return h_; }

private:
    static int trampoline(const char *event_json, void *payload) {
        try {
            (*static_cast<EventFn *>(payload))(event_json);
        } catch (...) {
        }
        return 0;
    }
    std::unique_ptr<EventFn> on_event_, remediate_;
    wph_probe_monitor *h_ = nullptr;
};

// A provider client (docs/provider.md): operations by name with JSON
// parameters and results, e.g. Provider(engine, config).call("server.list").
class Provider {
public:
    Provider(Engine &engine, const std::string &config_json) { check(wph_provider_open(&h_, engine.c_handle(), config_json.c_str())); }
    ~Provider() { wph_provider_free(h_); }
    Provider(Provider &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Provider &operator=(Provider &&o) noexcept {
        if (this != &o) {
            wph_provider_free(h_);
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    Provider(const Provider &) = delete;
    Provider &operator=(const Provider &) = delete;

    static std::string kinds() { return detail::json_call([&](char **o) { return wph_provider_kinds(o); }); }
    std::string operations() const { return detail::json_call([&](char **o) { return wph_provider_operations(o, h_); }); }
    std::string call(const std::string &operation, const std::string &params_json = "{}") const {
        return detail::json_call([&](char **o) { return wph_provider_call(o, h_, operation.c_str(), params_json.c_str()); });
    }
    Job call_start(const std::string &operation, const std::string &params_json = "{}", const ProgressFn *progress = nullptr) {
        return detail::start_job([&](wph_job **j, const wph_job_options *o) {
            return wph_provider_call_start(j, h_, operation.c_str(), params_json.c_str(), o);
        }, progress);
    }
    wph_provider *c_handle() const noexcept { return h_; }

private:
    wph_provider *h_ = nullptr;
};

// Certificates from an ACME CA (docs/cert.md).
class Certs {
public:
    explicit Certs(Engine &engine) : e_(engine.c_handle()) {}
    std::string account(const std::string &acme_json = "") const {
        return detail::json_call([&](char **o) { return wph_cert_account(o, e_, acme_json.empty() ? nullptr : acme_json.c_str()); });
    }
    Job issue_start(const std::string &request_json, const ProgressFn *progress = nullptr) {
        return detail::start_job([&](wph_job **j, const wph_job_options *o) { return wph_cert_issue(j, e_, request_json.c_str(), o); },
                                 progress);
    }
    Job renew_start(const std::string &options_json = "", const ProgressFn *progress = nullptr) {
        return detail::start_job([&](wph_job **j, const wph_job_options *o) {
            return wph_cert_renew(j, e_, options_json.empty() ? nullptr : options_json.c_str(), o);
        }, progress);
    }
    Job revoke_start(const std::string &name, const std::string &options_json = "") {
        return detail::start_job([&](wph_job **j, const wph_job_options *o) {
            return wph_cert_revoke(j, e_, name.c_str(), options_json.empty() ? nullptr : options_json.c_str(), o);
        }, nullptr);
    }
    std::string list() const { return detail::json_call([&](char **o) { return wph_cert_list(o, e_); }); }
    std::string get(const std::string &name) const { return detail::json_call([&](char **o) { return wph_cert_get(o, e_, name.c_str()); }); }

private:
    wph_engine *e_;
};

// The engine's event log (certificate renewals, ...). The callback runs on
// the emitting thread; set it before starting the jobs it should watch and
// keep the Events object alive while they run.
class Events {
public:
    using EventFn = std::function<void(const std::string &event_json)>;
    explicit Events(Engine &engine) : e_(engine.c_handle()) {}
    ~Events() {
        if (fn_) wph_engine_set_event_callback(e_, nullptr, nullptr);
    }
    Events(const Events &) = delete;
    Events &operator=(const Events &) = delete;
    std::string list(const std::string &kind_prefix = "", long long after_id = 0, unsigned limit = 0) const {
        return detail::json_call([&](char **o) { return wph_engine_events(o, e_, kind_prefix.c_str(), after_id, limit); });
    }
    void on_event(EventFn fn) {
        fn_ = std::make_unique<EventFn>(std::move(fn));
        check(wph_engine_set_event_callback(e_, *fn_ ? &trampoline : nullptr, fn_.get()));
    }

private:
    static int trampoline(const char *event_json, void *payload) {
        try {
            (*static_cast<EventFn *>(payload))(event_json);
        } catch (...) {
        }
        return 0;
    }
    wph_engine *e_;
    std::unique_ptr<EventFn> fn_;
};

}  // namespace wphost

#endif  // WPHOST_HPP
