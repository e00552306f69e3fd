/* libwphost — the engine handle.
 *
 * Every call goes through an engine: it owns the state store (one SQLite file
 * in the state directory), the worker threads that run jobs, the job table
 * and the host profile (where nginx, PHP-FPM, MariaDB, ... live on the
 * managed machine).
 *
 * Thread safety: an engine may be used from any number of threads at once,
 * except wph_engine_free, which must not race with other calls on the same
 * engine. Several engines (in one process or several) may share one state
 * directory; SQLite serialises their writes. */
#ifndef WPHOST_ENGINE_H
#define WPHOST_ENGINE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wph_engine wph_engine;

#define WPH_ENGINE_OPTIONS_VERSION 1

typedef struct wph_engine_options {
    unsigned int version;     /* WPH_ENGINE_OPTIONS_VERSION */
    /* Where the state store lives. NULL: $XDG_DATA_HOME/wphost, else
     * ~/.local/share/wphost. Created (mode 0700) when missing. */
    const char *state_dir;
    /* The host profile as a JSON object (see docs/host-profile.md); keys not
     * given take Debian 12's defaults. NULL: all defaults. */
    const char *host_profile;
    /* Worker threads for jobs. 0: the number of cores, at least 2. */
    unsigned int threads;
} wph_engine_options;

#define WPH_ENGINE_OPTIONS_INIT { WPH_ENGINE_OPTIONS_VERSION, 0, 0, 0 }

/* Fill opts with defaults for the given struct version (for callers without
 * a preprocessor). Returns WPH_EINVALID for NULL or an unknown version. */
WPH_API int wph_engine_options_init(wph_engine_options *opts, unsigned int version);

/* The option struct version this library knows (WPH_ENGINE_OPTIONS_VERSION). */
WPH_API unsigned int wph_engine_options_version(void);

/* Open an engine: create or open the state store, apply pending schema
 * migrations (each in one transaction), start the worker threads.
 * opts may be NULL (all defaults).
 * Errors: WPH_EINVALID (NULL out, wrong opts->version, bad host profile),
 * WPH_EIO (state directory or store cannot be created, read or written, or
 * the store file is not a libwphost store or is corrupt),
 * WPH_EVERSION (the store was written by a newer libwphost). */
WPH_API int wph_engine_open(wph_engine **out, const wph_engine_options *opts);

/* Cancel the engine's running jobs, wait for them to end, close the store
 * and free the engine. Job handles stay valid (their results are kept) and
 * must still be freed with wph_job_free. NULL is allowed. */
WPH_API void wph_engine_free(wph_engine *engine);

/* The engine's state directory. Valid until the engine is freed. */
WPH_API int wph_engine_state_dir(const char **out, wph_engine *engine);

/* The schema version of the state store this library writes. */
WPH_API int wph_engine_schema_version(void);

/* A JSON object describing the engine: state_dir, store_path,
 * schema_version, threads, host_profile (effective, with defaults filled in),
 * library version. Free with wph_str_free. */
WPH_API int wph_engine_info(char **json_out, wph_engine *engine);

/* The most recent jobs recorded in the state store (by this and earlier
 * processes), newest first, as a JSON array of objects with id, kind, state,
 * created_at, started_at, finished_at, error_code, error_message.
 * limit 0 means 100. Free with wph_str_free. */
WPH_API int wph_engine_jobs(char **json_out, wph_engine *engine, unsigned int limit);

/* Called with each event's JSON ({"id", "time_ms", "level": "info" |
 * "warning" | "error", "kind" such as "cert.renew.failed", "subject",
 * "message", "data"}) on the thread that emitted it (a job's worker thread,
 * usually); the string is valid during the call only, the return value is
 * ignored. Events are also kept in the state store (wph_engine_events). */
typedef int (*wph_event_cb)(const char *event_json, void *payload);

/* Set (or, with cb NULL, clear) the engine's event callback. Thread-safe. */
WPH_API int wph_engine_set_event_callback(wph_engine *engine, wph_event_cb cb, void *payload);

/* Events from the state store with id > after_id whose kind starts with
 * kind_prefix (NULL or "" for all), oldest first, as a JSON array of the
 * objects above. limit 0 means 100. Free with wph_str_free. */
WPH_API int wph_engine_events(char **json_out, wph_engine *engine, const char *kind_prefix, long long after_id,
                              unsigned int limit);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_ENGINE_H */
