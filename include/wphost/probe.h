/* libwphost — health probing.
 *
 * Probes are HTTP(S), TCP and DNS checks described in JSON close to Gatus's
 * endpoint model (docs/probe.md): name, group, url, method, headers, body,
 * interval, timeouts per phase, conditions such as "[STATUS] == 200" or
 * "[CERTIFICATE_EXPIRATION] > 72h", TLS options, alert thresholds; and
 * webhooks under "alerting". Results go to the state store; statistics
 * (uptime, latency percentiles) come from it; the latest results are
 * available as Prometheus text with blackbox_exporter's metric names.
 *
 * Thread safety: every function may be called from any thread. A monitor
 * must be freed before the engine it was started on. */
#ifndef WPHOST_PROBE_H
#define WPHOST_PROBE_H

#include "engine.h"
#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wph_probe_monitor wph_probe_monitor;

/* Called with an alert event's JSON ({"type": "triggered"|"resolved",
 * "probe", "group", "url", "consecutive", "reason", "time_ms"}) on the
 * monitor's alert thread; the string is valid during the call only. The
 * return value is ignored. */
typedef int (*wph_probe_event_cb)(const char *event_json, void *payload);

#define WPH_PROBE_MONITOR_OPTIONS_VERSION 1

typedef struct wph_probe_monitor_options {
    unsigned int version;          /* WPH_PROBE_MONITOR_OPTIONS_VERSION */
    wph_probe_event_cb on_event;   /* every alert event, or NULL */
    void *event_payload;
    wph_probe_event_cb remediate;  /* "triggered" events, before on_event and webhooks (e.g. restart a pool), or NULL */
    void *remediate_payload;
    unsigned int max_in_flight;    /* probes running at once; 0: 1000 */
    unsigned int max_per_host;     /* connections per host; 0: 64 */
    unsigned int retention_days;   /* results kept in the store; 0: 7 */
} wph_probe_monitor_options;

#define WPH_PROBE_MONITOR_OPTIONS_INIT { WPH_PROBE_MONITOR_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0 }

WPH_API int wph_probe_monitor_options_init(wph_probe_monitor_options *opts, unsigned int version);
WPH_API unsigned int wph_probe_monitor_options_version(void);

/* Validate definitions; *json_out is the normalised document (defaults
 * filled in). WPH_EINVALID names the endpoint, the field and why. */
WPH_API int wph_probe_validate(char **json_out, const char *defs_json);

/* Run every probe once, now (job kind "probe.run"); the job's result is a
 * JSON array of results in the definitions' order, also recorded in the
 * store. Definitions are validated before the job starts. */
WPH_API int wph_probe_run(wph_job **out, wph_engine *engine, const char *defs_json, const wph_job_options *opts);

/* Start monitoring: each probe runs at its interval (±5 % jitter), results
 * go to the store, alerts to the callbacks and webhooks. opts may be NULL. */
WPH_API int wph_probe_monitor_start(wph_probe_monitor **out, wph_engine *engine, const char *defs_json,
                                    const wph_probe_monitor_options *opts);
/* Prometheus text exposition (0.0.4) of the latest results. */
WPH_API int wph_probe_monitor_metrics(char **text_out, wph_probe_monitor *monitor);
/* The latest result of each probe, JSON array. */
WPH_API int wph_probe_monitor_status(char **json_out, wph_probe_monitor *monitor);
/* Stop: no new probes start, running ones end (within their timeouts),
 * results are flushed to the store and pending alerts delivered. NULL is fine. */
WPH_API void wph_probe_monitor_free(wph_probe_monitor *monitor);

/* Per probe (name, or NULL for all) over the last window_seconds: runs,
 * successes, uptime, latency_ms {p50, p90, p99, max}, last result,
 * open_incident. */
WPH_API int wph_probe_stats(char **json_out, wph_engine *engine, const char *name, long long window_seconds);
/* The newest results (name or NULL), newest first; limit 0 means 100. */
WPH_API int wph_probe_history(char **json_out, wph_engine *engine, const char *name, unsigned int limit);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_PROBE_H */
