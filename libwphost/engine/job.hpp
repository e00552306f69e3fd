// A job: work running on the engine's thread pool with progress, cancellation
// from any thread, and a JSON result or an error.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "engine/error.hpp"
#include "wphost/job.h"

namespace wph {

// Shared between a job and the I/O it does: 0 while the job may go on,
// otherwise the code it ends with (WPH_ECANCELLED, or WPH_EUSER when a
// progress callback asked to stop).
class CancelToken {
public:
    bool cancelled() const noexcept { return code_.load(std::memory_order_acquire) != 0; }
    int code() const noexcept { return code_.load(std::memory_order_acquire); }
    void cancel(int code = WPH_ECANCELLED) noexcept {
        int expected = 0;
        code_.compare_exchange_strong(expected, code, std::memory_order_acq_rel);
    }
    // Throws the cancellation error if cancelled.
    void check(std::string_view during) const;

private:
    std::atomic<int> code_{0};
};

class Job {
public:
    Job(std::int64_t id, const char *kind, wph_progress_cb cb, void *payload);

    std::int64_t id() const noexcept { return id_; }
    const char *kind() const noexcept { return kind_; }
    int state() const noexcept { return state_.load(std::memory_order_acquire); }
    bool ended() const noexcept { return state() >= WPH_JOB_SUCCEEDED; }
    CancelToken &cancel_token() noexcept { return cancel_; }

    // --- called by the work itself (worker thread) ---
    // Record progress and call the caller's callback; throws the cancellation
    // error when the job was cancelled or the callback returned non-zero.
    void report(const char *phase, unsigned step, unsigned steps);
    void report_bytes(const char *phase, std::uint64_t done, std::uint64_t total);
    // Files and bytes with totals (0: not known yet) and the current item;
    // computes the ETA from the byte rate so far.
    void report_files(const char *phase, std::uint64_t files_done, std::uint64_t files_total, std::uint64_t bytes_done,
                      std::uint64_t bytes_total, std::string_view item);

    // --- called by the engine ---
    void set_running();
    // The error as the job reports it (cancellations name the job).
    ErrorInfo final_error(ErrorInfo err) const;
    static bool is_cancellation(int code) noexcept;
    void finish_ok(std::string result_json);
    void finish_error(ErrorInfo err);  // err as returned by final_error

    // --- called by users (any thread) ---
    // false if the job has already ended.
    bool request_cancel();
    // true when ended; timeout < 0 waits without limit.
    bool wait(std::chrono::milliseconds timeout);
    wph_progress progress() const;
    // Valid once ended.
    const std::string &result() const noexcept { return result_; }
    const ErrorInfo &error() const noexcept { return error_; }

private:
    void notify_progress_locked(std::unique_lock<std::mutex> &lock);

    const std::int64_t id_;
    const char *const kind_;
    const wph_progress_cb cb_;
    void *const payload_;
    std::atomic<int> state_{WPH_JOB_PENDING};
    CancelToken cancel_;
    mutable std::mutex mu_;
    std::mutex cb_mu_;  // one progress callback at a time, even from several workers
    std::condition_variable cv_;
    wph_progress progress_{};
    std::chrono::steady_clock::time_point started_{};
    std::string result_;
    ErrorInfo error_;
};

const char *job_state_name(int state) noexcept;

}  // namespace wph
