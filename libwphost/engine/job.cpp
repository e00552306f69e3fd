#include "engine/job.hpp"

#include <algorithm>
#include <cstring>

namespace wph {

void CancelToken::check(std::string_view during) const {
    int c = code();
    if (c == 0) return;
    if (c == WPH_EUSER) raise(WPH_EUSER, "job", "cancelled by the progress callback during " + std::string(during));
    raise(c, "job", "cancelled during " + std::string(during));
}

Job::Job(std::int64_t id, const char *kind, wph_progress_cb cb, void *payload)
    : id_(id), kind_(kind), cb_(cb), payload_(payload) {
    progress_.version = WPH_PROGRESS_VERSION;
    progress_.phase = "queued";
    progress_.eta_seconds = -1;
}

void Job::report_files(const char *phase, std::uint64_t files_done, std::uint64_t files_total, std::uint64_t bytes_done,
                       std::uint64_t bytes_total, std::string_view item) {
    std::unique_lock<std::mutex> lock(mu_);
    progress_.phase = phase;
    progress_.files_done = files_done;
    progress_.files_total = files_total;
    progress_.bytes_done = bytes_done;
    progress_.bytes_total = bytes_total;
    std::size_t n = std::min(item.size(), sizeof progress_.item - 1);
    std::memcpy(progress_.item, item.data(), n);
    progress_.item[n] = '\0';
    double elapsed = started_ == std::chrono::steady_clock::time_point{}
                         ? 0.0
                         : std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (bytes_total && bytes_done) {
        progress_.percent = std::min(100.0, 100.0 * static_cast<double>(bytes_done) / static_cast<double>(bytes_total));
        double left = bytes_total > bytes_done ? static_cast<double>(bytes_total - bytes_done) : 0.0;
        progress_.eta_seconds = elapsed * left / static_cast<double>(bytes_done);
    } else {
        progress_.eta_seconds = -1;
    }
    notify_progress_locked(lock);
}

void Job::report(const char *phase, unsigned step, unsigned steps) {
    std::unique_lock<std::mutex> lock(mu_);
    progress_.phase = phase;
    progress_.step = step;
    progress_.steps = steps;
    progress_.percent = steps ? 100.0 * step / steps : 0.0;
    notify_progress_locked(lock);
}

void Job::report_bytes(const char *phase, std::uint64_t done, std::uint64_t total) {
    std::unique_lock<std::mutex> lock(mu_);
    progress_.phase = phase;
    progress_.bytes_done = done;
    progress_.bytes_total = total;
    if (total) progress_.percent = 100.0 * static_cast<double>(done) / static_cast<double>(total);
    notify_progress_locked(lock);
}

void Job::notify_progress_locked(std::unique_lock<std::mutex> &lock) {
    if (started_ != std::chrono::steady_clock::time_point{})
        progress_.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    wph_progress snapshot = progress_;
    lock.unlock();
    cancel_.check(snapshot.phase);
    if (cb_) {
        std::lock_guard<std::mutex> one_at_a_time(cb_mu_);
        if (cb_(&snapshot, payload_) != 0) cancel_.cancel(WPH_EUSER);
    }
    cancel_.check(snapshot.phase);
}

void Job::set_running() {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = std::chrono::steady_clock::now();
    state_.store(WPH_JOB_RUNNING, std::memory_order_release);
}

void Job::finish_ok(std::string result_json) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        result_ = std::move(result_json);
        progress_.percent = 100.0;
        progress_.step = progress_.steps;
        progress_.phase = "done";
        progress_.eta_seconds = 0;
        progress_.item[0] = '\0';
        state_.store(WPH_JOB_SUCCEEDED, std::memory_order_release);
    }
    cv_.notify_all();
}

bool Job::is_cancellation(int code) noexcept { return code == WPH_ECANCELLED || code == WPH_EUSER; }

ErrorInfo Job::final_error(ErrorInfo err) const {
    if (is_cancellation(err.code)) {
        err.message = "job " + std::to_string(id_) + " (" + kind_ + ") was cancelled: " + err.message;
        if (err.category.empty()) err.category = "job";
    }
    return err;
}

void Job::finish_error(ErrorInfo err) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        bool cancelled = is_cancellation(err.code);
        error_ = std::move(err);
        state_.store(cancelled ? WPH_JOB_CANCELLED : WPH_JOB_FAILED, std::memory_order_release);
    }
    cv_.notify_all();
}

bool Job::request_cancel() {
    if (ended()) return false;
    cancel_.cancel(WPH_ECANCELLED);
    return true;
}

bool Job::wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    auto done = [this] { return ended(); };
    if (timeout.count() < 0) {
        cv_.wait(lock, done);
        return true;
    }
    return cv_.wait_for(lock, timeout, done);
}

wph_progress Job::progress() const {
    std::lock_guard<std::mutex> lock(mu_);
    return progress_;
}

const char *job_state_name(int state) noexcept {
    switch (state) {
    case WPH_JOB_PENDING: return "pending";
    case WPH_JOB_RUNNING: return "running";
    case WPH_JOB_SUCCEEDED: return "succeeded";
    case WPH_JOB_FAILED: return "failed";
    case WPH_JOB_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

}  // namespace wph
