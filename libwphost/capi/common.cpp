#include <cstdlib>
#include <cstring>

#include "capi/capi.hpp"

namespace wph::capi {

namespace {
thread_local wph_error t_last;
thread_local bool t_has_last = false;
}  // namespace

int set_error(ErrorInfo info) noexcept {
    int code = info.code;
    try {
        t_last.info = std::move(info);
    } catch (...) {
        t_last.info.code = WPH_ENOMEM;
    }
    t_has_last = true;
    return code;
}

int set_error(int code, const char *category, const char *message) noexcept {
    try {
        return set_error(ErrorInfo{code, category, message, 0});
    } catch (...) {
        return set_error(ErrorInfo{WPH_ENOMEM, {}, {}, 0});
    }
}

Registry<wph_engine> &engines() {
    static Registry<wph_engine> r;
    return r;
}

Registry<wph_job> &jobs() {
    static Registry<wph_job> r;
    return r;
}

void require(const void *p, const char *param, const char *function) {
    if (!p) raise(WPH_EINVALID, "engine", std::string(function) + ": " + param + " is NULL");
}

wph_engine *check_engine(wph_engine *p) {
    if (!p) raise(WPH_EINVALID, "engine", "engine is NULL");
    if (!engines().contains(p)) raise(WPH_EINVALID, "engine", "engine handle is not open (already freed, or not from wph_engine_open)");
    return p;
}

wph_job *check_job(const wph_job *p) {
    if (!p) raise(WPH_EINVALID, "job", "job is NULL");
    if (!jobs().contains(p)) raise(WPH_EINVALID, "job", "job handle is not live (already freed, or not from the library)");
    return const_cast<wph_job *>(p);
}

wph_job *make_job(std::shared_ptr<Job> job) {
    auto *h = new wph_job{std::move(job), {}};
    jobs().add(h);
    return h;
}

std::pair<wph_progress_cb, void *> job_callbacks(const wph_job_options *opts) {
    if (!opts) return {nullptr, nullptr};
    check_options_version(opts->version, WPH_JOB_OPTIONS_VERSION, "wph_job_options");
    return {opts->progress_cb, opts->payload};
}

void check_options_version(unsigned got, unsigned known, const char *type) {
    if (got == 0 || got > known)
        raise(WPH_EINVALID, "engine",
              std::string(type) + " version " + std::to_string(got) + " is not supported (this libwphost knows versions 1 to " +
                  std::to_string(known) + "); initialise the struct with its _INIT macro or _init function");
}

}  // namespace wph::capi

using namespace wph::capi;

extern "C" {

WPH_API const char *wph_version(void) { return WPH_VERSION_STRING; }
WPH_API unsigned int wph_version_number(void) { return WPH_VERSION_NUMBER; }

WPH_API const wph_error *wph_error_last(void) { return t_has_last ? &t_last : nullptr; }
WPH_API void wph_error_clear(void) {
    t_has_last = false;
    t_last.info = {};
}
WPH_API int wph_error_code(const wph_error *err) { return err ? err->info.code : 0; }
WPH_API const char *wph_error_category(const wph_error *err) { return err ? err->info.category.c_str() : ""; }
WPH_API const char *wph_error_message(const wph_error *err) { return err ? err->info.message.c_str() : ""; }
WPH_API int wph_error_http_status(const wph_error *err) { return err ? err->info.http_status : 0; }
WPH_API wph_error *wph_error_dup(const wph_error *err) {
    if (!err) return nullptr;
    try {
        return new wph_error{err->info};
    } catch (...) {
        return nullptr;
    }
}
WPH_API void wph_error_free(wph_error *err) { delete err; }
WPH_API const char *wph_error_code_name(int code) { return wph::code_name(code); }
WPH_API void wph_str_free(char *str) { std::free(str); }

}  // extern "C"
