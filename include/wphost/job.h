/* libwphost — jobs.
 *
 * Anything slower than a lookup runs as a job on the engine's worker threads:
 * it is started by a wph_<module>_<verb>_start function, reports progress,
 * can be cancelled from any thread, and ends succeeded (with a JSON result),
 * failed (with an error) or cancelled. Every job is recorded in the state
 * store, so a restarted process sees what ran (wph_engine_jobs).
 *
 * Thread safety: all job functions may be called from any thread at once on
 * the same job, except wph_job_free, which must be the last call on it.
 * A freed handle (or a pointer never returned by the library) is recognised
 * and refused with WPH_EINVALID rather than dereferenced. */
#ifndef WPHOST_JOB_H
#define WPHOST_JOB_H

#include <stdint.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wph_job wph_job;

typedef enum wph_job_status {
    WPH_JOB_PENDING   = 0, /* queued, not started */
    WPH_JOB_RUNNING   = 1,
    WPH_JOB_SUCCEEDED = 2,
    WPH_JOB_FAILED    = 3,
    WPH_JOB_CANCELLED = 4
} wph_job_status;

#define WPH_PROGRESS_VERSION 2

typedef struct wph_progress {
    unsigned int version;  /* set by the caller of wph_job_progress: 1 or 2 */
    const char *phase;     /* static string naming the current phase, e.g. "nginx" */
    unsigned int step;     /* steps done so far */
    unsigned int steps;    /* steps in all (0 if unknown) */
    double percent;        /* 0..100 */
    uint64_t bytes_done;
    uint64_t bytes_total;  /* 0 if unknown (yet) */
    uint64_t files_done;
    uint64_t files_total;  /* 0 if unknown (yet) */
    /* version 2 */
    double elapsed_seconds;  /* since the job started running */
    double eta_seconds;      /* estimated seconds left, -1 if unknown */
    char item[256];          /* the file being worked on ("" if none), truncated */
} wph_progress;

/* Called on a worker thread each time the job reports progress, never twice
 * at once for one job. `progress` is valid during the call only. Return 0 to go on; any other value cancels
 * the job, which then ends WPH_JOB_CANCELLED with code WPH_EUSER. Do not
 * call wph_job_wait on the same job from inside the callback. */
typedef int (*wph_progress_cb)(const wph_progress *progress, void *payload);

#define WPH_JOB_OPTIONS_VERSION 1

typedef struct wph_job_options {
    unsigned int version;        /* WPH_JOB_OPTIONS_VERSION */
    wph_progress_cb progress_cb; /* may be NULL */
    void *payload;               /* passed to progress_cb */
} wph_job_options;

#define WPH_JOB_OPTIONS_INIT { WPH_JOB_OPTIONS_VERSION, 0, 0 }

WPH_API int wph_job_options_init(wph_job_options *opts, unsigned int version);
WPH_API unsigned int wph_job_options_version(void);

/* The job's id in the state store (> 0), or a negative code for a bad handle. */
WPH_API int64_t wph_job_id(const wph_job *job);

/* The job's kind, e.g. "host.check". Static string; NULL for a bad handle. */
WPH_API const char *wph_job_kind(const wph_job *job);

/* The job's state (a wph_job_status, >= 0), or a negative code for a bad handle. */
WPH_API int wph_job_state(const wph_job *job);

/* The name of a state ("pending", "running", "succeeded", "failed",
 * "cancelled"), or "unknown". Static string. */
WPH_API const char *wph_job_state_name(int state);

/* Copy the latest progress into *out. out->version must be set to
 * WPH_PROGRESS_VERSION (or an older version) by the caller; only the fields
 * of that version are written. */
WPH_API int wph_job_progress(wph_progress *out, const wph_job *job);

/* Wait until the job has ended or timeout_ms milliseconds have passed
 * (timeout_ms < 0: no limit). Returns 0 once the job has ended, whatever its
 * outcome (read it with wph_job_state / wph_job_result), WPH_ETIMEOUT if it
 * is still running. */
WPH_API int wph_job_wait(wph_job *job, int timeout_ms);

/* Ask the job to stop. It ends as soon as it reaches a cancellation point
 * (running child processes are killed); wait for it with wph_job_wait.
 * Cancelling a job that is still pending or running returns 0 (again and
 * again); cancelling one that has ended returns WPH_ECONFLICT. */
WPH_API int wph_job_cancel(wph_job *job);

/* The result of a succeeded job as JSON, valid until the job is freed.
 * If the job failed or was cancelled, returns its error code and makes its
 * error the calling thread's last error; if it has not ended yet, returns
 * WPH_ECONFLICT. */
WPH_API int wph_job_result(const char **json_out, const wph_job *job);

/* The error of a failed or cancelled job, valid until the job is freed;
 * NULL if the job has not failed. */
WPH_API const wph_error *wph_job_error(const wph_job *job);

/* Release the handle. A job still running goes on being cancelled and ends
 * on its own; its record stays in the state store. NULL and already freed
 * handles are ignored. */
WPH_API void wph_job_free(wph_job *job);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_JOB_H */
