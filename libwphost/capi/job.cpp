#include <cstddef>
#include <cstring>

#include "capi/capi.hpp"

using namespace wph::capi;

namespace {
// The job's error as the handle's C error object (filled once, when ended).
const wph_error *job_error(wph_job *h) {
    if (h->job->state() != WPH_JOB_FAILED && h->job->state() != WPH_JOB_CANCELLED) return nullptr;
    if (h->error.info.code == 0) h->error.info = h->job->error();
    return &h->error;
}
std::mutex job_error_mu;
}  // namespace

extern "C" {

WPH_API int wph_job_options_init(wph_job_options *opts, unsigned int version) {
    return guard([&] {
        require(opts, "opts", "wph_job_options_init");
        check_options_version(version, WPH_JOB_OPTIONS_VERSION, "wph_job_options");
        *opts = wph_job_options WPH_JOB_OPTIONS_INIT;
        return 0;
    });
}

WPH_API unsigned int wph_job_options_version(void) { return WPH_JOB_OPTIONS_VERSION; }

WPH_API int64_t wph_job_id(const wph_job *job) {
    int64_t id = 0;
    int rc = guard([&] {
        id = check_job(job)->job->id();
        return 0;
    });
    return rc ? rc : id;
}

WPH_API const char *wph_job_kind(const wph_job *job) {
    const char *kind = nullptr;
    guard([&] {
        kind = check_job(job)->job->kind();
        return 0;
    });
    return kind;
}

WPH_API int wph_job_state(const wph_job *job) {
    return guard([&] { return check_job(job)->job->state(); });
}

WPH_API const char *wph_job_state_name(int state) { return wph::job_state_name(state); }

WPH_API int wph_job_progress(wph_progress *out, const wph_job *job) {
    return guard([&] {
        require(out, "out", "wph_job_progress");
        check_options_version(out->version, WPH_PROGRESS_VERSION, "wph_progress");
        auto p = check_job(job)->job->progress();
        p.version = out->version;
        // A version 1 caller's struct ends before the version 2 fields.
        std::size_t size = out->version == 1 ? offsetof(wph_progress, elapsed_seconds) : sizeof(wph_progress);
        std::memcpy(out, &p, size);
        return 0;
    });
}

WPH_API int wph_job_wait(wph_job *job, int timeout_ms) {
    return guard([&] {
        auto *h = check_job(job);
        if (h->job->wait(std::chrono::milliseconds(timeout_ms < 0 ? -1 : timeout_ms))) return 0;
        return set_error(WPH_ETIMEOUT, "job",
                         ("job " + std::to_string(h->job->id()) + " (" + h->job->kind() + ") still running after " +
                          std::to_string(timeout_ms) + " ms")
                             .c_str());
    });
}

WPH_API int wph_job_cancel(wph_job *job) {
    return guard([&] {
        auto *h = check_job(job);
        if (h->job->request_cancel()) return 0;
        return set_error(WPH_ECONFLICT, "job",
                         ("job " + std::to_string(h->job->id()) + " (" + h->job->kind() + ") has already ended (" +
                          wph::job_state_name(h->job->state()) + "); nothing to cancel")
                             .c_str());
    });
}

WPH_API int wph_job_result(const char **json_out, const wph_job *job) {
    return guard([&] {
        require(json_out, "json_out", "wph_job_result");
        *json_out = nullptr;
        auto *h = check_job(job);
        int st = h->job->state();
        if (st == WPH_JOB_SUCCEEDED) {
            *json_out = h->job->result().c_str();
            return 0;
        }
        if (st == WPH_JOB_PENDING || st == WPH_JOB_RUNNING)
            return set_error(WPH_ECONFLICT, "job",
                             ("job " + std::to_string(h->job->id()) + " (" + h->job->kind() +
                              ") has not ended yet; wait for it with wph_job_wait")
                                 .c_str());
        return set_error(h->job->error());
    });
}

WPH_API const wph_error *wph_job_error(const wph_job *job) {
    const wph_error *err = nullptr;
    guard([&] {
        auto *h = check_job(job);
        std::lock_guard<std::mutex> l(job_error_mu);
        err = job_error(h);
        return 0;
    });
    return err;
}

WPH_API void wph_job_free(wph_job *job) {
    if (!job || !jobs().remove(job)) return;
    job->job->request_cancel();
    delete job;
}

}  // extern "C"
