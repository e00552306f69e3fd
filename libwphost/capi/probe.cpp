#include "capi/capi.hpp"
#include "probe/monitor.hpp"

using namespace wph::capi;

struct wph_probe_monitor {
    std::unique_ptr<wph::probe::Monitor> monitor;
};

namespace {

Registry<wph_probe_monitor> &monitors() {
    static Registry<wph_probe_monitor> r;
    return r;
}

wph_probe_monitor *check_monitor(wph_probe_monitor *m) {
    if (!m) wph::raise(WPH_EINVALID, "probe", "monitor is NULL");
    if (!monitors().contains(m)) wph::raise(WPH_EINVALID, "probe", "monitor handle is not running (already freed, or not from the library)");
    return m;
}

}  // namespace

extern "C" {

WPH_API int wph_probe_monitor_options_init(wph_probe_monitor_options *opts, unsigned int version) {
    return guard([&] {
        require(opts, "opts", "wph_probe_monitor_options_init");
        check_options_version(version, WPH_PROBE_MONITOR_OPTIONS_VERSION, "wph_probe_monitor_options");
        *opts = wph_probe_monitor_options WPH_PROBE_MONITOR_OPTIONS_INIT;
        return 0;
    });
}

WPH_API unsigned int wph_probe_monitor_options_version(void) { return WPH_PROBE_MONITOR_OPTIONS_VERSION; }

WPH_API int wph_probe_validate(char **json_out, const char *defs_json) {
    return guard([&] {
        require(json_out, "json_out", "wph_probe_validate");
        *json_out = nullptr;
        require(defs_json, "defs_json", "wph_probe_validate");
        *json_out = dup_out(wph::probe::validate_json(defs_json));
        return 0;
    });
}

WPH_API int wph_probe_run(wph_job **out, wph_engine *engine, const char *defs_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_probe_run");
        *out = nullptr;
        require(defs_json, "defs_json", "wph_probe_run");
        auto &e = *check_engine(engine)->engine;
        // Parsed once, here: bad definitions fail the call, not a job.
        auto defs = std::make_shared<const wph::probe::Definitions>(wph::probe::parse_definitions(defs_json));
        auto [cb, payload] = job_callbacks(opts);
        *out = make_job(e.start_job("probe.run", cb, payload, [&e, defs](wph::Job &job) { return wph::probe::run_once(e, job, *defs); }));
        return 0;
    });
}

WPH_API int wph_probe_monitor_start(wph_probe_monitor **out, wph_engine *engine, const char *defs_json,
                                    const wph_probe_monitor_options *opts) {
    return guard([&] {
        require(out, "out", "wph_probe_monitor_start");
        *out = nullptr;
        require(defs_json, "defs_json", "wph_probe_monitor_start");
        auto &e = *check_engine(engine)->engine;
        wph_probe_monitor_options o = WPH_PROBE_MONITOR_OPTIONS_INIT;
        if (opts) {
            check_options_version(opts->version, WPH_PROBE_MONITOR_OPTIONS_VERSION, "wph_probe_monitor_options");
            o = *opts;
        }
        wph::probe::MonitorOptions mo;
        if (o.max_in_flight) mo.max_in_flight = o.max_in_flight;
        if (o.max_per_host) mo.max_per_host = static_cast<long>(o.max_per_host);
        if (o.retention_days) mo.retention_days = static_cast<int>(o.retention_days);
        if (o.on_event) mo.on_event = [cb = o.on_event, p = o.event_payload](const std::string &ev) { cb(ev.c_str(), p); };
        if (o.remediate) mo.remediate = [cb = o.remediate, p = o.remediate_payload](const std::string &ev) { cb(ev.c_str(), p); };
        auto defs = wph::probe::parse_definitions(defs_json);
        auto m = std::make_unique<wph_probe_monitor>();
        m->monitor = std::make_unique<wph::probe::Monitor>(e, std::move(defs), std::move(mo));
        monitors().add(m.get());
        *out = m.release();
        return 0;
    });
}

WPH_API int wph_probe_monitor_metrics(char **text_out, wph_probe_monitor *monitor) {
    return guard([&] {
        require(text_out, "text_out", "wph_probe_monitor_metrics");
        *text_out = nullptr;
        *text_out = dup_out(check_monitor(monitor)->monitor->metrics());
        return 0;
    });
}

WPH_API int wph_probe_monitor_status(char **json_out, wph_probe_monitor *monitor) {
    return guard([&] {
        require(json_out, "json_out", "wph_probe_monitor_status");
        *json_out = nullptr;
        *json_out = dup_out(check_monitor(monitor)->monitor->status_json());
        return 0;
    });
}

WPH_API void wph_probe_monitor_free(wph_probe_monitor *monitor) {
    if (!monitor || !monitors().remove(monitor)) return;
    try {
        delete monitor;
    } catch (...) {
    }
}

WPH_API int wph_probe_stats(char **json_out, wph_engine *engine, const char *name, long long window_seconds) {
    return guard([&] {
        require(json_out, "json_out", "wph_probe_stats");
        *json_out = nullptr;
        *json_out = dup_out(wph::probe::stats_json(*check_engine(engine)->engine, name ? name : "", window_seconds));
        return 0;
    });
}

WPH_API int wph_probe_history(char **json_out, wph_engine *engine, const char *name, unsigned int limit) {
    return guard([&] {
        require(json_out, "json_out", "wph_probe_history");
        *json_out = nullptr;
        *json_out = dup_out(wph::probe::history_json(*check_engine(engine)->engine, name ? name : "", limit));
        return 0;
    });
}

}  // extern "C"
