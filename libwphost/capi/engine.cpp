#include <cstdlib>
#include <cstring>

#include <mutex>

#include "capi/capi.hpp"
#include "cert/cert.hpp"
#include "site/site.hpp"

using namespace wph::capi;

namespace wph::capi {
// A string handed out "free with wph_str_free" (malloc, so any C caller can
// rely on one allocator).
char *dup_out(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}
}  // namespace wph::capi

extern "C" {

WPH_API int wph_engine_options_init(wph_engine_options *opts, unsigned int version) {
    return guard([&] {
        require(opts, "opts", "wph_engine_options_init");
        check_options_version(version, WPH_ENGINE_OPTIONS_VERSION, "wph_engine_options");
        *opts = wph_engine_options WPH_ENGINE_OPTIONS_INIT;
        return 0;
    });
}

WPH_API unsigned int wph_engine_options_version(void) { return WPH_ENGINE_OPTIONS_VERSION; }

WPH_API int wph_engine_open(wph_engine **out, const wph_engine_options *opts) {
    return guard([&] {
        require(out, "out", "wph_engine_open");
        *out = nullptr;
        wph::EngineConfig cfg;
        if (opts) {
            check_options_version(opts->version, WPH_ENGINE_OPTIONS_VERSION, "wph_engine_options");
            if (opts->state_dir) cfg.state_dir = opts->state_dir;
            if (opts->host_profile) cfg.host_profile = opts->host_profile;
            cfg.threads = opts->threads;
            if (opts->state_dir && !opts->state_dir[0])
                wph::raise(WPH_EINVALID, "engine", "state_dir is an empty string (use NULL for the default)");
        }
        // Certificates that belong to a site are installed into it (and
        // nginx reloaded) whenever they are issued or renewed.
        static std::once_flag hooks;
        std::call_once(hooks, [] { wph::cert::set_site_hook(&wph::site::install_certificate); });
        auto h = std::make_unique<wph_engine>();
        h->engine = std::make_unique<wph::Engine>(cfg);
        engines().add(h.get());
        *out = h.release();
        return 0;
    });
}

WPH_API void wph_engine_free(wph_engine *engine) {
    if (!engine || !engines().remove(engine)) return;
    try {
        delete engine;
    } catch (...) {
    }
}

WPH_API int wph_engine_state_dir(const char **out, wph_engine *engine) {
    return guard([&] {
        require(out, "out", "wph_engine_state_dir");
        *out = check_engine(engine)->engine->state_dir().c_str();
        return 0;
    });
}

WPH_API int wph_engine_schema_version(void) { return wph::Store::schema_version(); }

WPH_API int wph_engine_info(char **json_out, wph_engine *engine) {
    return guard([&] {
        require(json_out, "json_out", "wph_engine_info");
        *json_out = nullptr;
        *json_out = dup_out(check_engine(engine)->engine->info_json());
        return 0;
    });
}

WPH_API int wph_engine_jobs(char **json_out, wph_engine *engine, unsigned int limit) {
    return guard([&] {
        require(json_out, "json_out", "wph_engine_jobs");
        *json_out = nullptr;
        *json_out = dup_out(check_engine(engine)->engine->jobs_json(limit));
        return 0;
    });
}

WPH_API int wph_engine_set_event_callback(wph_engine *engine, wph_event_cb cb, void *payload) {
    return guard([&] {
        auto &e = *check_engine(engine)->engine;
        if (cb)
            e.set_event_callback([cb, payload](const std::string &ev) { cb(ev.c_str(), payload); });
        else
            e.set_event_callback(nullptr);
        return 0;
    });
}

WPH_API int wph_engine_events(char **json_out, wph_engine *engine, const char *kind_prefix, long long after_id,
                              unsigned int limit) {
    return guard([&] {
        require(json_out, "json_out", "wph_engine_events");
        *json_out = nullptr;
        *json_out = dup_out(check_engine(engine)->engine->events_json(kind_prefix ? kind_prefix : "", after_id, limit));
        return 0;
    });
}

}  // extern "C"
