/* libwphost — backup repositories in restic's format.
 *
 * A repository written by libwphost is read, checked and restored by the
 * real `restic` program, and libwphost opens repositories restic wrote
 * (format versions 1 and 2). See docs/repository.md.
 *
 * Thread safety: a repository handle may be used from several threads at
 * once; jobs started on it keep it alive until they end. The engine it was
 * opened with must outlive it. */
#ifndef WPHOST_REPO_H
#define WPHOST_REPO_H

#include "engine.h"
#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wph_repo wph_repo;

#define WPH_REPO_OPTIONS_VERSION 1

typedef struct wph_repo_options {
    unsigned int version;       /* WPH_REPO_OPTIONS_VERSION */
    const char *location;       /* "/srv/backups/repo" or "local:/srv/backups/repo" */
    const char *password;       /* the password, or NULL to read password_file */
    const char *password_file;  /* first line is the password (surrounding space trimmed) */
    unsigned int repo_version;  /* wph_repo_init only: 1 or 2; 0 means 2 */
    const char *compression;    /* "auto" (NULL), "off" or "max" (version 2) */
    /* wph_repo_init and key additions: scrypt cost; 0 means N=32768, r=8, p=1.
     * Lower values only for tests on slow machines. */
    unsigned int scrypt_n, scrypt_r, scrypt_p;
} wph_repo_options;

#define WPH_REPO_OPTIONS_INIT { WPH_REPO_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

WPH_API int wph_repo_options_init(wph_repo_options *opts, unsigned int version);
WPH_API unsigned int wph_repo_options_version(void);

/* Create a repository (its directory may exist but must hold no repository:
 * WPH_EEXISTS otherwise) and open it. */
WPH_API int wph_repo_init(wph_repo **out, wph_engine *engine, const wph_repo_options *opts);

/* Open a repository. WPH_EAUTH for a wrong password, WPH_ENOTFOUND when
 * there is no repository, WPH_EIO when a file is damaged (the message names
 * it). */
WPH_API int wph_repo_open(wph_repo **out, wph_engine *engine, const wph_repo_options *opts);

/* Release the handle. Running jobs keep the repository open until they end. */
WPH_API void wph_repo_free(wph_repo *repo);

/* {"location", "id", "version", "chunker_polynomial", "key_id",
 *  "index_files", "blobs", "index_errors"}. index_errors lists index files
 * that are damaged (the repository still opens; check reports them and
 * prune refuses to run). Free with wph_str_free. */
WPH_API int wph_repo_info(char **json_out, wph_repo *repo);

/* Snapshots, oldest first, as restic's `snapshots --json` shows them. filter
 * (may be NULL) is {"host": "...", "tags": ["a", "b,c"], "paths": ["/x"]}:
 * a tag entry "b,c" needs both tags; any entry matching is enough. */
WPH_API int wph_repo_snapshots(char **json_out, wph_repo *repo, const char *filter_json);

/* The nodes of a snapshot ("latest", an ID or a unique prefix):
 * {"snapshot": {...}, "nodes": [{"path", "name", "type", "size", "mode",
 *  "permissions", "uid", "gid", "user", "group", "mtime", ...}]}. */
WPH_API int wph_repo_ls(char **json_out, wph_repo *repo, const char *snapshot);

/* Back up as a job (kind "repo.backup"). spec:
 * {"paths": ["/srv/site"], "tags": [], "host": "", "exclude": [],
 *  "parent": "<id>", "force": false}
 * Result: {"snapshot_id", "parent", "time", "paths", "tags", "stats": {...}}. */
WPH_API int wph_repo_backup_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts);

/* Called to read a stream for wph_repo_backup_stream_start, on a worker
 * thread: fill up to `cap` bytes of `buf` and return how many (0 at the end
 * of the stream, a negative value to abort the backup with WPH_EUSER). */
typedef long (*wph_read_cb)(char *buf, unsigned long cap, void *payload);

/* Back up a stream under a file name (like `restic backup --stdin
 * --stdin-filename NAME`): spec {"filename": "db.sql", "tags": [], "host": ""}.
 * Kind "repo.backup". `read` must stay valid until the job ends. */
WPH_API int wph_repo_backup_stream_start(wph_job **out, wph_repo *repo, const char *spec_json, wph_read_cb read,
                                         void *read_payload, const wph_job_options *opts);

/* Restore as a job (kind "repo.restore"). spec:
 * {"snapshot": "latest", "target": "/restore/here", "include": [], "exclude": [], "host": ""}
 * Result: {"snapshot_id", "target", "files", "dirs", "others", "bytes", "hardlinks"}. */
WPH_API int wph_repo_restore_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts);

/* Called with each piece of a dumped file; return non-zero to stop (WPH_EUSER). */
typedef int (*wph_write_cb)(const char *data, unsigned long len, void *payload);

/* Write one file of a snapshot ("/src/wp-config.php") through `write`. */
WPH_API int wph_repo_dump(wph_repo *repo, const char *snapshot, const char *path, wph_write_cb write, void *payload);

/* Check as a job (kind "repo.check"); spec {"read_data": false} (may be NULL).
 * The job succeeds with {"ok": bool, "errors": [...], "warnings": [...],
 * "packs", "snapshots", "trees", "blobs_read"}; a damaged repository is
 * "ok": false, not a failed job. */
WPH_API int wph_repo_check_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts);

/* Forget snapshots by policy as a job (kind "repo.forget"), like restic's
 * `forget`: policy
 * {"keep_last": 0, "keep_hourly": 0, "keep_daily": 7, "keep_weekly": 4,
 *  "keep_monthly": 12, "keep_yearly": 0, "keep_within": "1y2m3d4h",
 *  "keep_within_hourly": "", "keep_within_daily": "", "keep_within_weekly": "",
 *  "keep_within_monthly": "", "keep_within_yearly": "", "keep_tags": ["a,b"],
 *  "group_by": "host,paths", "host": "", "tags": [], "paths": [],
 *  "dry_run": false, "prune": false}
 * An empty policy keeps everything. Result: {"groups": [{"host", "paths",
 * "tags", "keep": [{"id", "time", "reasons"}], "remove": [{"id", "time"}]}],
 * "removed": N, "prune": {...} or null}. */
WPH_API int wph_repo_forget_start(wph_job **out, wph_repo *repo, const char *policy_json, const wph_job_options *opts);

/* Prune as a job (kind "repo.prune"): delete packs no snapshot needs and
 * rewrite partly used ones. spec {"dry_run": false} (may be NULL). Takes the
 * exclusive lock (WPH_ELOCKED while a backup runs). Result: {"packs_kept",
 * "packs_deleted", "packs_repacked", "unreferenced_packs", "blobs_repacked",
 * "used_blobs", "index_files_replaced", "bytes_freed"}. */
WPH_API int wph_repo_prune_start(wph_job **out, wph_repo *repo, const char *spec_json, const wph_job_options *opts);

/* Statistics: {"snapshots", "restore_files", "restore_size" (restic's
 * restore-size over all snapshots), "packs", "blobs", "stored_size",
 * "uncompressed_size", "pack_bytes"}. */
WPH_API int wph_repo_stats(char **json_out, wph_repo *repo);

/* Keys: list ([{"id", "current", "username", "hostname", "created"}]), add a
 * key for another password (its ID in *id_out, free with wph_str_free), and
 * remove one (not the one in use: WPH_ECONFLICT). */
WPH_API int wph_repo_key_list(char **json_out, wph_repo *repo);
WPH_API int wph_repo_key_add(char **id_out, wph_repo *repo, const char *new_password);
WPH_API int wph_repo_key_remove(wph_repo *repo, const char *key_id);
/* Change the password of the key in use (new key first, then the old one
 * is removed); the new key's ID in *id_out (free with wph_str_free). */
WPH_API int wph_repo_key_passwd(char **id_out, wph_repo *repo, const char *new_password);

/* Remove stale locks (all locks when all_locks is non-zero); the number
 * removed goes to *removed_out (may be NULL). */
WPH_API int wph_repo_unlock(int *removed_out, wph_repo *repo, int all_locks);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_REPO_H */
