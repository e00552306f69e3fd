// Shared pieces of the C ABI layer: the error object, the thread's last
// error, the exception barrier, and the registry of live handles.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_set>

#include "engine/engine.hpp"
#include "engine/error.hpp"
#include "wphost.h"

struct wph_error {
    wph::ErrorInfo info;
};

struct wph_engine {
    std::unique_ptr<wph::Engine> engine;
};

struct wph_job {
    std::shared_ptr<wph::Job> job;
    wph_error error;  // the job's error in C form, filled once it has ended
};

namespace wph::capi {

// Record `info` as the calling thread's last error and return its code.
int set_error(ErrorInfo info) noexcept;
int set_error(int code, const char *category, const char *message) noexcept;

// The exception barrier around every exported function body: returns f()'s
// value, or the code of the exception it threw (recorded as last error).
template <class F> int guard(F &&f) noexcept {
    try {
        return f();
    } catch (...) {
        return set_error(current_exception_info());
    }
}

// Live handles: a pointer is accepted only while the library has handed it
// out and not freed it, so a freed or foreign pointer is refused, not read.
template <class T> class Registry {
public:
    void add(T *p) { std::lock_guard<std::mutex> l(mu_); live_.insert(p); }
    bool remove(T *p) { std::lock_guard<std::mutex> l(mu_); return live_.erase(p) > 0; }
    bool contains(const T *p) { std::lock_guard<std::mutex> l(mu_); return live_.count(const_cast<T *>(p)) > 0; }

private:
    std::mutex mu_;
    std::unordered_set<T *> live_;
};

Registry<wph_engine> &engines();
Registry<wph_job> &jobs();

// Throw WPH_EINVALID unless `p` is a live handle; `what` names the argument.
wph_engine *check_engine(wph_engine *p);
wph_job *check_job(const wph_job *p);

// Throw WPH_EINVALID naming the parameter when it is NULL.
void require(const void *p, const char *param, const char *function);

// Wrap a started job into a handle.
wph_job *make_job(std::shared_ptr<Job> job);

// A malloc'ed copy, handed out "free with wph_str_free".
char *dup_out(const std::string &s);

// The progress callback and payload of optional job options (checked).
std::pair<wph_progress_cb, void *> job_callbacks(const wph_job_options *opts);

// Check and copy an option struct, rejecting unknown versions.
void check_options_version(unsigned got, unsigned known, const char *type);

}  // namespace wph::capi
