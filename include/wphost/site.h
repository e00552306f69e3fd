/* libwphost — WordPress sites on nginx + PHP-FPM + MariaDB (+ Redis).
 *
 * A site is described by a JSON spec (docs/site-spec.md): domain, aliases,
 * PHP version, WordPress source, title and admin, cache, multisite, TLS,
 * PHP limits, environment. Creating it makes a Linux user and group, a home
 * under the profile's sites_root, a PHP-FPM pool running as that user, an
 * nginx server block, a database and a database user with an explicit
 * privilege list, wp-config.php one level above the docroot, and installs
 * WordPress. Each step is recorded in the state store with its undo before
 * it runs; a failure undoes every earlier step, and a create interrupted by
 * a crash is cleaned up by the next site call. See docs/site.md.
 *
 * Every operation that changes a host runs as a job (kinds "site.create",
 * "site.delete", ...); wait for it with wph_job_wait and read its JSON result
 * with wph_job_result. A job's result holds secrets only where documented
 * (the generated admin password, once).
 *
 * Thread safety: all functions may be called from any thread; site jobs of
 * one engine run one at a time (they reload shared services). */
#ifndef WPHOST_SITE_H
#define WPHOST_SITE_H

#include "engine.h"
#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Render every file and list every command and SQL statement that creating
 * the site would run, without touching the host (no root needed). Passwords
 * are shown as "(secret)". JSON: {"site": spec, "names": {...}, "actions":
 * [...]}; free with wph_str_free. Errors: WPH_EINVALID (a bad spec, with the
 * field named). */
WPH_API int wph_site_plan(char **json_out, wph_engine *engine, const char *spec_json);

/* Create a site (job kind "site.create"). The spec is validated before the
 * job starts (WPH_EINVALID). The job's result: domain, url, login_url,
 * admin_user, admin_password (only when it was generated: shown once, never
 * stored), user, home, docroot, db_name, db_user, a `try` command line,
 * timings per step. The job fails with WPH_EEXISTS for a domain that exists,
 * WPH_EINVALID for a PHP version that is not installed, and otherwise with
 * the failing step named after every earlier step was undone. */
WPH_API int wph_site_create(wph_job **out, wph_engine *engine, const char *spec_json, const wph_job_options *opts);

/* Delete a site and everything its creation made: nginx server block and
 * page cache, PHP-FPM pool, Redis keys, database and database user, files,
 * Linux user and group, certificate, state rows (job kind "site.delete").
 * WPH_ENOTFOUND for an unknown domain, WPH_ECONFLICT while it has a staging
 * site. */
WPH_API int wph_site_delete(wph_job **out, wph_engine *engine, const char *domain, const wph_job_options *opts);

/* Suspend (a 503 page for every request) or unsuspend (job kind
 * "site.suspend"). */
WPH_API int wph_site_suspend(wph_job **out, wph_engine *engine, const char *domain, int suspended,
                             const wph_job_options *opts);

/* Move a site to another installed PHP version ("8.1", "8.2"; job kind
 * "site.php"). The new pool starts before nginx switches to it, so the site
 * answers throughout; on failure the old version stays. */
WPH_API int wph_site_set_php(wph_job **out, wph_engine *engine, const char *domain, const char *version,
                             const wph_job_options *opts);

/* Rewrite the site's generated files from its spec (nginx, pool,
 * wp-config.php, object-cache drop-in) and reload what changed (job kind
 * "site.regenerate"). Idempotent; never touches the site's conf/ directory,
 * whose overrides are read again. Result: {"changed": [paths]}. */
WPH_API int wph_site_regenerate(wph_job **out, wph_engine *engine, const char *domain, const wph_job_options *opts);

/* Clone a site to a new domain: files and database, with the URL replaced
 * everywhere including inside PHP-serialized values (job kind
 * "site.clone"). spec_json holds at least "domain"; fields left out are the
 * source's. */
WPH_API int wph_site_clone(wph_job **out, wph_engine *engine, const char *from_domain, const char *spec_json,
                           const wph_job_options *opts);

/* Make a staging copy of a site (job kind "site.staging"): a clone that is
 * an environment of the same site, not indexed (blog_public 0 and an
 * X-Robots-Tag header) and behind HTTP basic authentication. spec_json may
 * be NULL (domain "staging.<domain>"). The result holds staging_user and
 * staging_password, once. */
WPH_API int wph_site_staging(wph_job **out, wph_engine *engine, const char *domain, const char *spec_json,
                             const wph_job_options *opts);

/* Push a staging site onto its live site (job kind "site.push").
 * options_json (NULL: everything): {"files": true, "database": true,
 * "tables": ["wp_posts", ...]} — tables limits the database part. Database
 * tables are copied beside the live ones, their URLs rewritten, and swapped
 * in with one RENAME; files are copied beside wp-content and swapped in. */
WPH_API int wph_site_push(wph_job **out, wph_engine *engine, const char *staging_domain, const char *options_json,
                          const wph_job_options *opts);

/* The sites in the state store: JSON array of {domain, state, php,
 * environment, created_at, updated_at, staging_of?}. */
WPH_API int wph_site_list(char **json_out, wph_engine *engine);

/* One site: its spec, names and paths, and a cross-check with the host
 * ("host": {"user": true, "home": true, ...}, "healthy"). WPH_ENOTFOUND for
 * an unknown domain. */
WPH_API int wph_site_get(char **json_out, wph_engine *engine, const char *domain);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_SITE_H */
