/* libwphost — the managed host.
 *
 * The host check (like a `doctor`) inspects the machine the engine manages,
 * as its host profile describes it, and reports as JSON: OS and version,
 * whether systemd runs, nginx (version, modules, cache purge), the installed
 * PHP-FPM versions and their extensions, the MariaDB/MySQL server and whether
 * its admin socket accepts the admin user, Redis, memcached, restic, free
 * disk and memory. Each component has a "status": "ok", "missing" (not
 * installed), "stopped" (installed, not answering) or "error" (with an
 * "error" message). The document's schema is in docs/host-check.md.
 *
 * Thread safety: both functions may be called from any thread at once. */
#ifndef WPHOST_HOST_H
#define WPHOST_HOST_H

#include "engine.h"
#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Run the host check and wait for it. The report is returned in *json_out;
 * free it with wph_str_free. Missing components are not an error: they are
 * reported as "missing". Errors: WPH_EINVALID (NULL arguments), WPH_EIO (the
 * state store cannot record the job). */
WPH_API int wph_host_check(char **json_out, wph_engine *engine);

/* Start the host check as a job (kind "host.check"). opts may be NULL.
 * Progress phases: "os", "systemd", "nginx", "php-fpm", "mysql", "redis",
 * "memcached", "restic", "resources". */
WPH_API int wph_host_check_start(wph_job **out, wph_engine *engine, const wph_job_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_HOST_H */
