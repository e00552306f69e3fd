#include "capi/capi.hpp"
#include "host/check.hpp"

using namespace wph::capi;

namespace {
std::shared_ptr<wph::Job> start_host_check(wph::Engine &e, wph_progress_cb cb, void *payload) {
    return e.start_job("host.check", cb, payload,
                       [&e](wph::Job &job) { return wph::run_host_check(e.profile(), e.state_dir(), job); });
}
}  // namespace

extern "C" {

WPH_API int wph_host_check(char **json_out, wph_engine *engine) {
    return guard([&] {
        require(json_out, "json_out", "wph_host_check");
        *json_out = nullptr;
        auto job = start_host_check(*check_engine(engine)->engine, nullptr, nullptr);
        job->wait(std::chrono::milliseconds(-1));
        if (job->state() != WPH_JOB_SUCCEEDED) return set_error(job->error());
        *json_out = dup_out(job->result());
        return 0;
    });
}

WPH_API int wph_host_check_start(wph_job **out, wph_engine *engine, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_host_check_start");
        *out = nullptr;
        auto [cb, payload] = job_callbacks(opts);
        *out = make_job(start_host_check(*check_engine(engine)->engine, cb, payload));
        return 0;
    });
}

}  // extern "C"
