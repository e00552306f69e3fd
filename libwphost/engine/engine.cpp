#include "engine/engine.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <pwd.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "util/fs.hpp"
#include "util/json.hpp"
#include "wphost/version.h"

namespace wph {

std::string default_state_dir() {
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && xdg[0] == '/') return std::string(xdg) + "/wphost";
    std::string home;
    if (const char *h = std::getenv("HOME"); h && h[0] == '/') {
        home = h;
    } else {
        struct passwd pw{}, *res = nullptr;
        char buf[4096];
        if (getpwuid_r(::getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir) home = res->pw_dir;
    }
    if (home.empty())
        raise(WPH_EINVALID, "engine", "no state directory given and neither XDG_DATA_HOME nor HOME is set");
    return home + "/.local/share/wphost";
}

namespace {
std::string absolute_dir(std::string dir) {
    if (dir.empty()) return default_state_dir();
    if (dir.find('\0') != std::string::npos) raise(WPH_EINVALID, "engine", "state directory contains a NUL byte");
    if (dir[0] != '/') {
        char cwd[4096];
        if (!::getcwd(cwd, sizeof cwd)) raise(WPH_EIO, "engine", "cannot resolve relative state directory: " + errno_text(errno));
        dir = std::string(cwd) + "/" + dir;
    }
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
}
}  // namespace

Engine::Engine(const EngineConfig &cfg)
    : state_dir_(absolute_dir(cfg.state_dir)),
      profile_(HostProfile::from_json(cfg.host_profile)),
      threads_(cfg.threads ? cfg.threads : std::max(2u, std::thread::hardware_concurrency())) {
    if (threads_ > 256) raise(WPH_EINVALID, "engine", "threads must be at most 256, got " + std::to_string(threads_));
    util::make_dirs(state_dir_, 0700, "state");
    if (::access(state_dir_.c_str(), R_OK | W_OK | X_OK) != 0)
        raise(WPH_EIO, "state", "state directory " + state_dir_ + " is not writable: " + errno_text(errno));
    store_ = std::make_unique<Store>(state_dir_ + "/state.db");
    store_->mark_interrupted_jobs();
    pool_ = std::make_unique<boost::asio::thread_pool>(threads_);
}

Engine::~Engine() {
    {
        std::lock_guard<std::mutex> lock(jobs_mu_);
        for (auto &w : jobs_)
            if (auto j = w.lock()) j->request_cancel();
    }
    pool_->join();
}

std::shared_ptr<Job> Engine::start_job(const char *kind, wph_progress_cb cb, void *payload, Work work) {
    std::int64_t id = store_->job_insert(kind);
    auto job = std::make_shared<Job>(id, kind, cb, payload);
    {
        std::lock_guard<std::mutex> lock(jobs_mu_);
        std::erase_if(jobs_, [](const std::weak_ptr<Job> &w) { return w.expired(); });
        jobs_.push_back(job);
    }
    boost::asio::post(*pool_, [this, job, work = std::move(work)]() {
        // The row is written before waiters are woken, so whoever sees the
        // job end also finds it recorded. Recording is best effort: the job's
        // own outcome matters more than its row.
        auto record = [](auto &&f) {
            try { f(); } catch (...) {}
        };
        std::string result;
        ErrorInfo err;
        bool ok = false;
        if (job->cancel_token().cancelled()) {
            err = ErrorInfo{job->cancel_token().code(), "job", "cancelled before it started", 0};
        } else {
            job->set_running();
            record([&] { store_->job_started(job->id()); });
            try {
                result = work(*job);
                ok = true;
            } catch (...) {
                err = current_exception_info();
            }
        }
        if (ok) {
            record([&] { store_->job_finished(job->id(), "succeeded", nullptr, &result); });
            job->finish_ok(std::move(result));
        } else {
            err = job->final_error(std::move(err));
            record([&] {
                store_->job_finished(job->id(), Job::is_cancellation(err.code) ? "cancelled" : "failed", &err, nullptr);
            });
            job->finish_error(std::move(err));
        }
    });
    return job;
}

std::string Engine::info_json() const {
    boost::json::object o;
    o["version"] = WPH_VERSION_STRING;
    o["state_dir"] = state_dir_;
    o["store_path"] = store_->path();
    o["schema_version"] = Store::schema_version();
    o["threads"] = threads_;
    o["host_profile"] = profile_.to_json_value();
    return util::to_json(o);
}

std::string Engine::jobs_json(unsigned limit) {
    boost::json::array a;
    for (const auto &r : store_->jobs_recent(limit ? limit : 100)) {
        boost::json::object o;
        o["id"] = r.id;
        o["kind"] = r.kind;
        o["state"] = r.state;
        o["created_at"] = r.created_at;
        o["started_at"] = r.started_at.empty() ? boost::json::value(nullptr) : boost::json::value(r.started_at);
        o["finished_at"] = r.finished_at.empty() ? boost::json::value(nullptr) : boost::json::value(r.finished_at);
        o["error_code"] = r.error_code;
        o["error_message"] = r.error_message.empty() ? boost::json::value(nullptr) : boost::json::value(r.error_message);
        a.push_back(std::move(o));
    }
    return util::to_json(a);
}

std::int64_t Engine::emit_event(const char *level, const std::string &kind, const std::string &subject,
                                const std::string &message, const std::string &data_json) {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    auto id = store_->event_insert(now_ms, level, kind, subject, message, data_json);
    EventCallback cb;
    {
        std::lock_guard<std::mutex> lock(event_mu_);
        cb = on_event_;
    }
    if (cb) {
        boost::json::object o;
        o["id"] = id;
        o["time_ms"] = now_ms;
        o["level"] = level;
        o["kind"] = kind;
        o["subject"] = subject;
        o["message"] = message;
        o["data"] = util::parse_json(data_json, "event data", "engine");
        try {
            cb(util::to_json(o));
        } catch (...) {
            // A callback's failure must not undo what the event reports.
        }
    }
    return id;
}

void Engine::set_event_callback(EventCallback cb) {
    std::lock_guard<std::mutex> lock(event_mu_);
    on_event_ = std::move(cb);
}

std::string Engine::events_json(const std::string &kind_prefix, std::int64_t after_id, unsigned limit) {
    boost::json::array a;
    for (const auto &r : store_->events(kind_prefix, after_id, limit ? limit : 100)) {
        boost::json::object o;
        o["id"] = r.id;
        o["time_ms"] = r.time_ms;
        o["level"] = r.level;
        o["kind"] = r.kind;
        o["subject"] = r.subject;
        o["message"] = r.message;
        o["data"] = util::parse_json(r.data, "event data", "engine");
        a.push_back(std::move(o));
    }
    return util::to_json(a);
}

}  // namespace wph
