/* The C ABI as a C caller sees it: engines, jobs, cancellation, progress,
 * errors of bad calls, damaged and foreign state stores.
 * Usage: capi_test WORKDIR   (an empty scratch directory) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wphost.h>

static int g_passed, g_failed;
static const char *g_work;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (cond) {                                                                   \
            g_passed++;                                                               \
        } else {                                                                      \
            g_failed++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s -- ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                             \
            fprintf(stderr, " (last error: %s)\n", wph_error_message(wph_error_last())); \
        }                                                                             \
    } while (0)

static const char *last_msg(void) { return wph_error_message(wph_error_last()); }
static int last_code(void) { return wph_error_code(wph_error_last()); }

static char *path(const char *name) {
    static char buf[8][1024];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b, 1024, "%s/%s", g_work, name);
    return b;
}

static void write_file(const char *p, const char *text, mode_t mode) {
    FILE *f = fopen(p, "w");
    if (!f) { perror(p); exit(2); }
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static wph_engine *open_engine(const char *dir, const char *profile) {
    wph_engine_options o = WPH_ENGINE_OPTIONS_INIT;
    wph_engine *e = NULL;
    o.state_dir = dir;
    o.host_profile = profile;
    o.threads = 2;
    int rc = wph_engine_open(&e, &o);
    CHECK(rc == 0 && e != NULL, "wph_engine_open(%s) = %d", dir, rc);
    return e;
}

static void test_version(void) {
    CHECK(strcmp(wph_version(), WPH_VERSION_STRING) == 0, "wph_version %s", wph_version());
    CHECK(wph_version_number() == WPH_VERSION_NUMBER, "number %u", wph_version_number());
    CHECK(wph_engine_options_version() == WPH_ENGINE_OPTIONS_VERSION, "options version");
    CHECK(wph_engine_schema_version() >= 1, "schema version");
    CHECK(strcmp(wph_error_code_name(WPH_ENOTFOUND), "WPH_ENOTFOUND") == 0, "code name");
    CHECK(strcmp(wph_error_code_name(12345), "WPH_UNKNOWN") == 0, "unknown code name");
}

static void test_bad_calls(void) {
    wph_engine_options o = WPH_ENGINE_OPTIONS_INIT;
    wph_engine *e = NULL;
    int rc;

    wph_error_clear();
    CHECK(wph_error_last() == NULL, "cleared");
    rc = wph_engine_open(NULL, NULL);
    CHECK(rc == WPH_EINVALID && last_code() == WPH_EINVALID, "NULL out: %d", rc);
    CHECK(strstr(last_msg(), "out is NULL") != NULL, "message names the parameter: %s", last_msg());
    CHECK(strcmp(wph_error_category(wph_error_last()), "engine") == 0, "category");

    o.version = 99;
    rc = wph_engine_open(&e, &o);
    CHECK(rc == WPH_EINVALID && e == NULL, "wrong version: %d", rc);
    CHECK(strstr(last_msg(), "version 99") != NULL, "message names the version: %s", last_msg());
    o.version = 0;
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "version 0");

    CHECK(wph_engine_options_init(NULL, 1) == WPH_EINVALID, "init NULL");
    CHECK(wph_engine_options_init(&o, 7) == WPH_EINVALID, "init version 7");
    CHECK(wph_engine_options_init(&o, WPH_ENGINE_OPTIONS_VERSION) == 0 && o.version == WPH_ENGINE_OPTIONS_VERSION &&
              o.state_dir == NULL, "init ok");
    {
        wph_job_options jo;
        CHECK(wph_job_options_init(&jo, WPH_JOB_OPTIONS_VERSION) == 0 && jo.progress_cb == NULL, "job options init");
    }

    o.state_dir = "";
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "empty state dir");

    {
        char *json = (char *)1;
        CHECK(wph_host_check(NULL, NULL) == WPH_EINVALID, "host check NULL");
        CHECK(wph_host_check(&json, NULL) == WPH_EINVALID && json == NULL, "host check NULL engine");
        CHECK(strstr(last_msg(), "engine is NULL") != NULL, "%s", last_msg());
    }
    CHECK(wph_job_wait(NULL, 0) == WPH_EINVALID, "wait NULL");
    CHECK(wph_job_cancel(NULL) == WPH_EINVALID, "cancel NULL");
    CHECK(wph_job_state(NULL) == WPH_EINVALID, "state NULL");
    CHECK(wph_job_id(NULL) == WPH_EINVALID, "id NULL");
    CHECK(wph_job_kind(NULL) == NULL, "kind NULL");
    CHECK(wph_job_error(NULL) == NULL, "error NULL");
    {
        /* A pointer the library never handed out is refused, not read. */
        int not_a_job = 42;
        CHECK(wph_job_state((const wph_job *)&not_a_job) == WPH_EINVALID, "foreign pointer");
        CHECK(strstr(last_msg(), "not live") != NULL, "%s", last_msg());
    }
    wph_job_free(NULL);
    wph_engine_free(NULL);
    wph_str_free(NULL);
    wph_error_free(NULL);
    CHECK(wph_error_code(NULL) == 0 && strcmp(wph_error_message(NULL), "") == 0, "NULL-tolerant accessors");
}

static void test_bad_profile(void) {
    wph_engine_options o = WPH_ENGINE_OPTIONS_INIT;
    wph_engine *e = NULL;
    o.state_dir = path("profile-state");
    o.host_profile = "{\"nginx\": {";
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "bad JSON");
    CHECK(strstr(last_msg(), "not valid JSON") != NULL, "%s", last_msg());
    o.host_profile = "{\"nginx\": {\"binray\": \"/usr/sbin/nginx\"}}";
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "unknown key");
    CHECK(strstr(last_msg(), "nginx.binray") != NULL, "names the key: %s", last_msg());
    o.host_profile = "{\"redis\": {\"port\": 70000}}";
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "port range");
    CHECK(strstr(last_msg(), "redis.port") != NULL, "%s", last_msg());
    o.host_profile = "{\"restic\": {\"binary\": \"restic\"}}";
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "relative path");
    CHECK(strstr(last_msg(), "absolute path") != NULL, "%s", last_msg());
    o.host_profile = "[1,2]";
    CHECK(wph_engine_open(&e, &o) == WPH_EINVALID, "not an object");
}

static void test_host_check_sync(void) {
    wph_engine *e = open_engine(path("state"), NULL);
    const char *dir = NULL;
    char *json = NULL, *info = NULL;
    struct stat st;
    if (!e) return;
    CHECK(wph_engine_state_dir(&dir, e) == 0 && strcmp(dir, path("state")) == 0, "state dir %s", dir ? dir : "");
    CHECK(stat(path("state/state.db"), &st) == 0, "state.db created");
    CHECK(stat(path("state"), &st) == 0 && (st.st_mode & 0777) == 0700, "state dir mode %o", st.st_mode & 0777);
    CHECK(wph_host_check(&json, e) == 0 && json != NULL, "host check");
    if (json) {
        const char *keys[] = {"\"os\"", "\"systemd\"", "\"nginx\"", "\"php_fpm\"", "\"mysql\"", "\"redis\"",
                              "\"memcached\"", "\"restic\"", "\"resources\"", "\"summary\"", "\"free_bytes\"",
                              "\"available_bytes\""};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            CHECK(strstr(json, keys[i]) != NULL, "report has %s", keys[i]);
        CHECK(strstr(json, "\"running\":false") != NULL || strstr(json, "\"running\":true") != NULL, "systemd flag");
    }
    wph_str_free(json);
    CHECK(wph_engine_info(&info, e) == 0 && strstr(info, "\"schema_version\"") != NULL, "info");
    wph_str_free(info);
    wph_engine_free(e);

    /* The freed engine is refused, not dereferenced. */
    json = NULL;
    CHECK(wph_host_check(&json, e) == WPH_EINVALID, "freed engine");
    CHECK(strstr(last_msg(), "not open") != NULL, "%s", last_msg());
}

struct progress_log {
    atomic_int calls;
    char phases[512];
    int cancel_at; /* cancel (return 1) at this call number; 0 = never */
};

static int on_progress(const wph_progress *p, void *payload) {
    struct progress_log *log = payload;
    int n = atomic_fetch_add(&log->calls, 1) + 1;
    if (strlen(log->phases) + strlen(p->phase) + 2 < sizeof log->phases) {
        strcat(log->phases, p->phase);
        strcat(log->phases, ",");
    }
    return log->cancel_at && n >= log->cancel_at;
}

static void test_job_progress(void) {
    wph_engine *e = open_engine(path("state"), NULL);
    wph_job_options jo = WPH_JOB_OPTIONS_INIT;
    struct progress_log log;
    wph_job *job = NULL;
    const char *result = NULL;
    wph_progress pr;
    if (!e) return;
    memset(&log, 0, sizeof log);
    jo.progress_cb = on_progress;
    jo.payload = &log;
    CHECK(wph_host_check_start(&job, e, &jo) == 0 && job, "start");
    CHECK(wph_job_id(job) > 0, "id");
    CHECK(strcmp(wph_job_kind(job), "host.check") == 0, "kind");
    CHECK(wph_job_wait(job, 60000) == 0, "wait");
    CHECK(wph_job_state(job) == WPH_JOB_SUCCEEDED, "state %d", wph_job_state(job));
    CHECK(atomic_load(&log.calls) >= 9, "callback called %d times", atomic_load(&log.calls));
    CHECK(strstr(log.phases, "os,systemd,nginx,php-fpm,mysql,redis,memcached,restic,resources") != NULL, "phases %s",
          log.phases);
    memset(&pr, 0, sizeof pr);
    pr.version = WPH_PROGRESS_VERSION;
    CHECK(wph_job_progress(&pr, job) == 0 && pr.percent == 100.0 && pr.step == 9 && pr.steps == 9, "final progress %f",
          pr.percent);
    pr.version = 0;
    CHECK(wph_job_progress(&pr, job) == WPH_EINVALID, "progress version 0");
    CHECK(wph_job_result(&result, job) == 0 && result && strstr(result, "\"summary\""), "result");
    CHECK(wph_job_error(job) == NULL, "no error");
    CHECK(wph_job_cancel(job) == WPH_ECONFLICT, "cancel an ended job");
    CHECK(strstr(last_msg(), "already ended") != NULL, "%s", last_msg());
    wph_job_free(job);
    CHECK(wph_job_state(job) == WPH_EINVALID, "freed job refused");
    CHECK(strstr(last_msg(), "not live") != NULL, "%s", last_msg());
    wph_job_free(job); /* double free is ignored */

    /* A callback returning non-zero cancels the job with WPH_EUSER. */
    memset(&log, 0, sizeof log);
    log.cancel_at = 3;
    CHECK(wph_host_check_start(&job, e, &jo) == 0, "start 2");
    CHECK(wph_job_wait(job, 60000) == 0, "wait 2");
    CHECK(wph_job_state(job) == WPH_JOB_CANCELLED, "cancelled by callback: %d", wph_job_state(job));
    CHECK(wph_job_result(&result, job) == WPH_EUSER && result == NULL, "result is EUSER");
    CHECK(wph_error_code(wph_job_error(job)) == WPH_EUSER, "job error EUSER");
    CHECK(strstr(wph_error_message(wph_job_error(job)), "progress callback") != NULL, "%s",
          wph_error_message(wph_job_error(job)));
    CHECK(atomic_load(&log.calls) == 3, "no call after cancelling: %d", atomic_load(&log.calls));
    wph_job_free(job);
    wph_engine_free(e);
}

static void test_cancel(void) {
    /* A host whose nginx hangs: the job must stop when cancelled. */
    char profile[2048];
    wph_engine *e;
    wph_job *job = NULL;
    wph_progress pr;
    const char *result = NULL;
    const wph_error *err;
    struct timespec t0, t1;
    write_file(path("hanging-nginx"), "#!/bin/sh\nsleep 60\n", 0755);
    snprintf(profile, sizeof profile, "{\"nginx\": {\"binary\": \"%s\"}, \"command_timeout_ms\": 120000}",
             path("hanging-nginx"));
    e = open_engine(path("state"), profile);
    if (!e) return;
    CHECK(wph_host_check_start(&job, e, NULL) == 0, "start");
    memset(&pr, 0, sizeof pr);
    pr.version = WPH_PROGRESS_VERSION;
    for (int i = 0; i < 600; i++) {
        wph_job_progress(&pr, job);
        if (strcmp(pr.phase, "nginx") == 0) break;
        usleep(10000);
    }
    CHECK(strcmp(pr.phase, "nginx") == 0, "reached the hanging step: %s", pr.phase);
    CHECK(wph_job_wait(job, 50) == WPH_ETIMEOUT, "still running");
    CHECK(strstr(last_msg(), "still running") != NULL, "%s", last_msg());
    CHECK(wph_job_result(&result, job) == WPH_ECONFLICT, "no result while running");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(wph_job_cancel(job) == 0, "cancel");
    CHECK(wph_job_cancel(job) == 0 || wph_job_state(job) == WPH_JOB_CANCELLED, "cancel twice");
    CHECK(wph_job_wait(job, 10000) == 0, "ended after cancel");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec < 10, "stopped promptly");
    CHECK(wph_job_state(job) == WPH_JOB_CANCELLED, "state cancelled: %d", wph_job_state(job));
    CHECK(wph_job_result(&result, job) == WPH_ECANCELLED, "result is ECANCELLED");
    CHECK(last_code() == WPH_ECANCELLED && strstr(last_msg(), "cancelled") != NULL, "%s", last_msg());
    err = wph_job_error(job);
    CHECK(wph_error_code(err) == WPH_ECANCELLED, "job error");
    {
        wph_error *copy = wph_error_dup(err);
        CHECK(copy && wph_error_code(copy) == WPH_ECANCELLED && strcmp(wph_error_message(copy), wph_error_message(err)) == 0,
              "dup");
        wph_error_free(copy);
    }
    CHECK(wph_job_cancel(job) == WPH_ECONFLICT, "cancel after the end");
    {
        char *jobs = NULL;
        CHECK(wph_engine_jobs(&jobs, e, 5) == 0 && strstr(jobs, "\"state\":\"cancelled\"") != NULL, "recorded: %s",
              jobs ? jobs : "");
        wph_str_free(jobs);
    }
    wph_job_free(job);

    /* Freeing the engine cancels what still runs. */
    CHECK(wph_host_check_start(&job, e, NULL) == 0, "start again");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wph_engine_free(e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec < 10, "engine free did not wait for the hang");
    CHECK(wph_job_state(job) == WPH_JOB_CANCELLED, "job cancelled by engine free: %d", wph_job_state(job));
    wph_job_free(job);
}

static void test_stores(void) {
    wph_engine_options o = WPH_ENGINE_OPTIONS_INIT;
    wph_engine *e = NULL;
    sqlite3 *db;
    int rc;

    /* Garbage where the store should be. */
    mkdir(path("corrupt"), 0700);
    write_file(path("corrupt/state.db"), "this is not a database, but it is long enough to look like a header of one. "
                                         "padding padding padding padding", 0600);
    o.state_dir = path("corrupt");
    rc = wph_engine_open(&e, &o);
    CHECK(rc == WPH_EIO && e == NULL, "corrupt store: %d", rc);
    CHECK(strstr(last_msg(), "not an SQLite database") != NULL && strstr(last_msg(), "corrupt/state.db"), "%s", last_msg());
    CHECK(strcmp(wph_error_category(wph_error_last()), "state") == 0, "category state");

    /* An SQLite file of another application. */
    mkdir(path("foreign"), 0700);
    sqlite3_open(path("foreign/state.db"), &db);
    sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA user_version = 3;", NULL, NULL, NULL);
    sqlite3_close(db);
    o.state_dir = path("foreign");
    CHECK(wph_engine_open(&e, &o) == WPH_EIO, "foreign store");
    CHECK(strstr(last_msg(), "another application") != NULL, "%s", last_msg());

    /* A store written by a newer schema. */
    e = open_engine(path("newer"), NULL);
    wph_engine_free(e);
    e = NULL;
    sqlite3_open(path("newer/state.db"), &db);
    sqlite3_exec(db, "PRAGMA user_version = 999;", NULL, NULL, NULL);
    sqlite3_close(db);
    o.state_dir = path("newer");
    CHECK(wph_engine_open(&e, &o) == WPH_EVERSION && e == NULL, "newer schema refused");
    CHECK(strstr(last_msg(), "schema version 999") != NULL && strstr(last_msg(), "newer libwphost"), "%s", last_msg());

    /* A state directory that is a file. */
    write_file(path("a-file"), "x", 0600);
    o.state_dir = path("a-file");
    CHECK(wph_engine_open(&e, &o) == WPH_EIO, "state dir is a file");
    CHECK(strstr(last_msg(), "a-file") != NULL, "%s", last_msg());
}

static void test_permission(void) {
    /* A state directory the caller may not create. Root bypasses permission
     * bits, so the attempt is made by an unprivileged child. */
    pid_t pid;
    int status = 0;
    mkdir(path("locked"), 0755);
    chmod(path("locked"), 0555);
    mkdir(path("unreadable"), 0777);
    chmod(path("unreadable"), 0777);
    write_file(path("unreadable/state.db"), "", 0);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        wph_engine_options o = WPH_ENGINE_OPTIONS_INIT;
        wph_engine *e = NULL;
        int rc;
        if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(10);
        o.state_dir = path("locked/state");
        rc = wph_engine_open(&e, &o);
        if (rc != WPH_EIO) _exit(11);
        if (!strstr(last_msg(), "Permission denied") || !strstr(last_msg(), "locked/state")) {
            fprintf(stderr, "message: %s\n", last_msg());
            _exit(12);
        }
        /* A store file the caller may not read. */
        o.state_dir = path("unreadable");
        rc = wph_engine_open(&e, &o);
        if (rc != WPH_EIO) _exit(13);
        if (!strstr(last_msg(), "unreadable/state.db") || !strstr(last_msg(), "Permission denied")) {
            fprintf(stderr, "message: %s\n", last_msg());
            _exit(14);
        }
        _exit(0);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "permission denied -> WPH_EIO naming the path (child status %d)", WEXITSTATUS(status));
}

struct stream { const char *data; unsigned long len, pos; };

static long read_stream(char *buf, unsigned long cap, void *payload) {
    struct stream *s = payload;
    unsigned long n = s->len - s->pos < cap ? s->len - s->pos : cap;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (long)n;
}

static int collect(const char *data, unsigned long len, void *payload) {
    struct stream *s = payload;
    if (s->pos + len > s->len) return 1;
    memcpy((char *)s->data + s->pos, data, len);
    s->pos += len;
    return 0;
}

static void test_repo(void) {
    wph_engine *e = open_engine(path("state"), NULL);
    wph_repo_options ro = WPH_REPO_OPTIONS_INIT;
    wph_repo *repo = NULL, *again = NULL;
    wph_job *job = NULL;
    const char *result = NULL;
    char *json = NULL, spec[2048], dumped[64];
    struct stream in = {"SELECT 1; -- a database dump\n", 0, 0}, out = {dumped, sizeof dumped, 0};
    in.len = (unsigned long)strlen(in.data);
    if (!e) return;

    CHECK(wph_repo_options_version() == WPH_REPO_OPTIONS_VERSION, "repo options version");
    CHECK(wph_repo_init(&repo, e, NULL) == WPH_EINVALID && repo == NULL, "NULL options");
    ro.location = path("repo");
    CHECK(wph_repo_init(&repo, e, &ro) == WPH_EINVALID, "no password");
    CHECK(strstr(last_msg(), "no password") != NULL, "%s", last_msg());
    ro.password = "secret";
    ro.scrypt_n = 1024;
    ro.version = 9;
    CHECK(wph_repo_init(&repo, e, &ro) == WPH_EINVALID, "bad options version");
    ro.version = WPH_REPO_OPTIONS_VERSION;
    ro.compression = "fast";
    CHECK(wph_repo_init(&repo, e, &ro) == WPH_EINVALID && strstr(last_msg(), "fast"), "bad compression");
    ro.compression = NULL;
    CHECK(wph_repo_init(&repo, e, &ro) == 0 && repo, "init");
    CHECK(wph_repo_init(&again, e, &ro) == WPH_EEXISTS, "init twice");

    /* Back up this test's own state directory, then a stream. */
    snprintf(spec, sizeof spec, "{\"paths\": [\"%s\"], \"tags\": [\"capi\"]}", path("state"));
    CHECK(wph_repo_backup_start(&job, repo, spec, NULL) == 0, "backup start");
    CHECK(wph_job_wait(job, 60000) == 0 && wph_job_result(&result, job) == 0, "backup");
    CHECK(result && strstr(result, "\"snapshot_id\""), "backup result");
    wph_job_free(job);
    CHECK(wph_repo_backup_stream_start(&job, repo, "{\"filename\": \"db.sql\"}", read_stream, &in, NULL) == 0,
          "stream start");
    CHECK(wph_job_wait(job, 60000) == 0 && wph_job_state(job) == WPH_JOB_SUCCEEDED, "stream backup");
    wph_job_free(job);
    CHECK(wph_repo_dump(repo, "latest", "/db.sql", collect, &out) == 0, "dump");
    CHECK(out.pos == in.len && memcmp(dumped, in.data, in.len) == 0, "dumped bytes");
    CHECK(wph_repo_dump(repo, "latest", "/nope.sql", collect, &out) == WPH_ENOTFOUND, "dump of a missing file");

    CHECK(wph_repo_snapshots(&json, repo, "{\"tags\": [\"capi\"]}") == 0 && strstr(json, "\"capi\""), "snapshots");
    wph_str_free(json);
    CHECK(wph_repo_snapshots(&json, repo, "{\"colour\": 1}") == WPH_EINVALID && strstr(last_msg(), "colour"), "bad filter");
    CHECK(wph_repo_backup_start(&job, repo, "{\"paths\": []}", NULL) == WPH_EINVALID, "no paths");
    CHECK(wph_repo_backup_start(&job, repo, "{\"paths\": [\"/x\"], \"force\": \"yes\"}", NULL) == WPH_EINVALID &&
              strstr(last_msg(), "force"), "bad spec type");

    snprintf(spec, sizeof spec, "{\"snapshot\": \"latest\", \"target\": \"%s\"}", path("restored"));
    CHECK(wph_repo_restore_start(&job, repo, spec, NULL) == 0 && wph_job_wait(job, 60000) == 0 &&
              wph_job_state(job) == WPH_JOB_SUCCEEDED, "restore");
    wph_job_free(job);
    {
        FILE *f = fopen(path("restored/db.sql"), "r");
        char line[128] = {0};
        CHECK(f && fgets(line, sizeof line, f) && strcmp(line, in.data) == 0, "restored stream file");
        if (f) fclose(f);
    }
    CHECK(wph_repo_check_start(&job, repo, "{\"read_data\": true}", NULL) == 0 && wph_job_wait(job, 60000) == 0 &&
              wph_job_result(&result, job) == 0 && strstr(result, "\"ok\":true"), "check");
    wph_job_free(job);

    /* Wrong password, freed handle. */
    ro.password = "wrong";
    CHECK(wph_repo_open(&again, e, &ro) == WPH_EAUTH && again == NULL, "wrong password");
    CHECK(strcmp(wph_error_category(wph_error_last()), "repo") == 0, "category repo");
    wph_repo_free(repo);
    CHECK(wph_repo_info(&json, repo) == WPH_EINVALID && strstr(last_msg(), "not open"), "freed repo refused");
    wph_repo_free(repo);
    wph_engine_free(e);
}

static void *other_thread(void *arg) {
    (void)arg;
    /* A failure on the main thread is not this thread's last error. */
    return (void *)(wph_error_last() == NULL ? (void *)1 : NULL);
}

static void test_thread_local_errors(void) {
    pthread_t t;
    void *ok = NULL;
    wph_engine_open(NULL, NULL);
    CHECK(wph_error_last() != NULL, "main thread has an error");
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, &ok);
    CHECK(ok == (void *)1, "errors are per thread");
}

/* Sites without root or servers: validation, plan mode, lookups. */
static void test_site(void) {
    wph_engine *e = open_engine(path("site-state"), NULL);
    char *json = NULL;
    wph_job *job = NULL;
    int rc;
    if (!e) return;
    rc = wph_site_plan(&json, e, NULL);
    CHECK(rc == WPH_EINVALID && json == NULL, "plan NULL spec: %d", rc);
    rc = wph_site_plan(&json, e, "{\"domain\": \"a;b.example\"}");
    CHECK(rc == WPH_EINVALID && strstr(last_msg(), "\"domain\"") != NULL, "injected domain: %d %s", rc, last_msg());
    CHECK(strcmp(wph_error_category(wph_error_last()), "site") == 0, "site category");
    rc = wph_site_plan(&json, e, "{\"domain\": \"bücher.example\", \"admin_password\": \"a-very-long-secret\"}");
    CHECK(rc == 0 && json != NULL, "plan: %d %s", rc, rc ? last_msg() : "");
    if (json) {
        CHECK(strstr(json, "xn--bcher-kva.example") != NULL, "IDN in punycode");
        CHECK(strstr(json, "\"actions\"") != NULL && strstr(json, "/usr/sbin/useradd") != NULL, "plan lists commands");
        CHECK(strstr(json, "a-very-long-secret") == NULL, "plan hides the password");
        wph_str_free(json);
        json = NULL;
    }
    /* A bad spec fails the call: no job is started. */
    rc = wph_site_create(&job, e, "{\"domain\": \"ok.example\", \"cache\": \"everything\"}", NULL);
    CHECK(rc == WPH_EINVALID && job == NULL && strstr(last_msg(), "\"cache\"") != NULL, "bad spec: %d %s", rc, last_msg());
    rc = wph_site_set_php(&job, e, "ok.example", "8.2; id", NULL);
    CHECK(rc == WPH_EINVALID && job == NULL, "bad PHP version: %d", rc);
    rc = wph_site_get(&json, e, "nope.example");
    CHECK(rc == WPH_ENOTFOUND && json == NULL, "get unknown: %d", rc);
    rc = wph_site_list(&json, e);
    CHECK(rc == 0 && json && strcmp(json, "[]") == 0, "empty list: %s", json ? json : "(null)");
    wph_str_free(json);
    /* Operations on unknown sites fail in their job. */
    rc = wph_site_delete(&job, e, "nope.example", NULL);
    CHECK(rc == 0 && job != NULL, "delete starts: %d", rc);
    if (job) {
        CHECK(wph_job_wait(job, -1) == 0 && wph_job_state(job) == WPH_JOB_FAILED, "delete of unknown site fails");
        CHECK(wph_error_code(wph_job_error(job)) == WPH_ENOTFOUND, "with WPH_ENOTFOUND");
        CHECK(strcmp(wph_job_kind(job), "site.delete") == 0, "kind site.delete");
        wph_job_free(job);
    }
    CHECK(wph_site_delete(&job, NULL, "x.example", NULL) == WPH_EINVALID, "NULL engine");
    CHECK(wph_site_push(NULL, e, "x.example", NULL, NULL) == WPH_EINVALID, "NULL out");
    wph_engine_free(e);
}

static int g_events;
static int count_event(const char *event_json, void *payload) {
    (void)event_json;
    (void)payload;
    g_events++;
    return 0;
}

/* Probes without servers: validation, option structs, a monitor on a closed port. */
static void test_probe(void) {
    wph_engine *e = open_engine(path("probe-state"), NULL);
    wph_probe_monitor_options mo;
    wph_probe_monitor *m = NULL;
    wph_job *job = NULL;
    char *json = NULL;
    int rc;
    if (!e) return;
    CHECK(wph_probe_monitor_options_version() == WPH_PROBE_MONITOR_OPTIONS_VERSION, "monitor options version");
    CHECK(wph_probe_monitor_options_init(&mo, 2) == WPH_EINVALID, "unknown options version");
    CHECK(wph_probe_monitor_options_init(&mo, WPH_PROBE_MONITOR_OPTIONS_VERSION) == 0 && mo.on_event == NULL, "options init");
    rc = wph_probe_validate(&json, "[{\"name\": \"x\", \"url\": \"http://a/\", \"conditions\": [\"[STATUS] = 200\"]}]");
    CHECK(rc == WPH_EINVALID && json == NULL && strstr(last_msg(), "endpoints[0]") != NULL, "bad condition: %s", last_msg());
    CHECK(strcmp(wph_error_category(wph_error_last()), "probe") == 0, "probe category");
    rc = wph_probe_validate(&json, "[{\"name\": \"x\", \"url\": \"tcp://127.0.0.1:1\"}]");
    CHECK(rc == 0 && json && strstr(json, "[CONNECTED] == true") != NULL, "validate fills defaults");
    wph_str_free(json);
    CHECK(wph_probe_run(&job, e, "not json", NULL) == WPH_EINVALID && job == NULL, "run refuses bad JSON before a job");
    /* Port 1 on loopback refuses: the probe fails with a reason, the job succeeds. */
    rc = wph_probe_run(&job, e, "[{\"name\": \"closed\", \"url\": \"tcp://127.0.0.1:1\"}]", NULL);
    CHECK(rc == 0 && job, "run starts: %d", rc);
    if (job) {
        const char *result = NULL;
        CHECK(wph_job_wait(job, -1) == 0 && wph_job_result(&result, job) == 0, "run ends");
        CHECK(result && strstr(result, "\"success\":false") && strstr(result, "refused"), "refused: %s", result ? result : "");
        CHECK(strcmp(wph_job_kind(job), "probe.run") == 0, "kind probe.run");
        wph_job_free(job);
    }
    rc = wph_probe_history(&json, e, "closed", 10);
    CHECK(rc == 0 && json && strstr(json, "\"name\":\"closed\"") != NULL, "history from the store");
    wph_str_free(json);
    CHECK(wph_probe_stats(&json, e, NULL, 0) == WPH_EINVALID, "zero window");
    /* A monitor: one failure opens an incident right away. */
    mo.on_event = count_event;
    rc = wph_probe_monitor_start(&m, e, "[{\"name\": \"closed\", \"url\": \"tcp://127.0.0.1:1\", \"interval\": \"1s\", "
                                        "\"alerts\": {\"failure-threshold\": 1}}]", &mo);
    CHECK(rc == 0 && m, "monitor starts: %d %s", rc, rc ? last_msg() : "");
    for (int i = 0; i < 100 && g_events == 0; i++) usleep(50000);
    CHECK(g_events == 1, "one triggered event: %d", g_events);
    rc = wph_probe_monitor_metrics(&json, m);
    CHECK(rc == 0 && json && strstr(json, "probe_success{probe=\"closed\"") != NULL, "metrics");
    wph_str_free(json);
    wph_probe_monitor_free(m);
    CHECK(wph_probe_monitor_metrics(&json, m) == WPH_EINVALID, "a freed monitor is refused");
    wph_probe_monitor_free(NULL);
    wph_engine_free(e);
}

static void test_provider_cert(void) {
    wph_engine *e = open_engine(path("provider-state"), NULL);
    wph_provider *p = NULL;
    wph_job *job = NULL;
    char *json = NULL;
    int rc;
    if (!e) return;
    rc = wph_provider_kinds(&json);
    CHECK(rc == 0 && json && strcmp(json, "[\"cloudflare\",\"digitalocean\",\"hetzner\",\"s3\"]") == 0, "kinds: %s", json ? json : "");
    wph_str_free(json);
    CHECK(wph_provider_open(&p, e, "{\"token\": \"x\"}") == WPH_EINVALID && p == NULL && strstr(last_msg(), "\"kind\""),
          "config without kind: %s", last_msg());
    CHECK(wph_provider_open(&p, e, "{\"kind\": \"cloudflare\"}") == WPH_EINVALID && strstr(last_msg(), "token"),
          "config without token: %s", last_msg());
    rc = wph_provider_open(&p, e, "{\"kind\": \"cloudflare\", \"token\": \"t0k3n\", \"endpoint\": \"https://127.0.0.1:1\", "
                                  "\"retry\": {\"max_attempts\": 1}}");
    CHECK(rc == 0 && p, "open: %s", rc ? last_msg() : "");
    if (p) {
        rc = wph_provider_operations(&json, p);
        CHECK(rc == 0 && json && strstr(json, "\"record.create\""), "operations");
        wph_str_free(json);
        json = NULL;
        rc = wph_provider_call(&json, p, "record.create", "{\"zone_id\": \"z\"}");
        CHECK(rc == WPH_EINVALID && json == NULL && strstr(last_msg(), "\"type\""), "params checked first: %s", last_msg());
        rc = wph_provider_call(&json, p, "no.such", NULL);
        CHECK(rc == WPH_EINVALID && strstr(last_msg(), "no.such"), "unknown operation: %s", last_msg());
        /* Nothing listens on port 1: a network error, the token nowhere in it. */
        rc = wph_provider_call(&json, p, "zone.list", NULL);
        CHECK(rc == WPH_EIO && strcmp(wph_error_category(wph_error_last()), "cloudflare") == 0 && !strstr(last_msg(), "t0k3n"),
              "connection refused: %d %s", rc, last_msg());
        rc = wph_provider_call_start(&job, p, "zone.list", "{}", NULL);
        CHECK(rc == 0 && job, "call as a job");
        if (job) {
            CHECK(wph_job_wait(job, -1) == 0 && wph_error_code(wph_job_error(job)) == WPH_EIO &&
                      strcmp(wph_job_kind(job), "provider.call") == 0, "the job fails the same way");
            wph_job_free(job);
            job = NULL;
        }
        wph_provider_free(p);
        CHECK(wph_provider_call(&json, p, "zone.list", NULL) == WPH_EINVALID, "a freed provider is refused");
    }
    wph_provider_free(NULL);

    rc = wph_cert_list(&json, e);
    CHECK(rc == 0 && json && strcmp(json, "[]") == 0, "no certificates yet");
    wph_str_free(json);
    CHECK(wph_cert_get(&json, e, "example.com") == WPH_ENOTFOUND, "unknown certificate");
    CHECK(wph_cert_issue(&job, e, "{\"names\": []}", NULL) == WPH_EINVALID && job == NULL && strstr(last_msg(), "names"),
          "empty names refused before a job: %s", last_msg());
    CHECK(wph_cert_issue(&job, e, "{\"names\": [\"a.example.com\"], \"challenge\": \"tls-alpn-01\"}", NULL) == WPH_EINVALID &&
              strstr(last_msg(), "challenge"), "unknown challenge: %s", last_msg());
    CHECK(wph_engine_set_event_callback(e, count_event, NULL) == 0, "event callback set");
    rc = wph_engine_events(&json, e, "cert.", 0, 0);
    CHECK(rc == 0 && json && strcmp(json, "[]") == 0, "no events yet");
    wph_str_free(json);
    CHECK(wph_engine_set_event_callback(e, NULL, NULL) == 0, "event callback cleared");
    CHECK(wph_engine_events(NULL, e, NULL, 0, 0) == WPH_EINVALID, "NULL out refused");
    wph_engine_free(e);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: capi_test WORKDIR\n");
        return 2;
    }
    g_work = argv[1];
    mkdir(g_work, 0755);
    test_version();
    test_bad_calls();
    test_bad_profile();
    test_host_check_sync();
    test_job_progress();
    test_cancel();
    test_stores();
    test_repo();
    test_site();
    test_probe();
    test_provider_cert();
    test_permission();
    test_thread_local_errors();
    printf("capi: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
