/* Back up a directory into a new restic-format repository, then restore it.
 * Usage: backup WORKDIR SOURCE_DIR
 * (the repository goes to WORKDIR/repo, the restore to WORKDIR/restore;
 *  `RESTIC_PASSWORD=example restic -r WORKDIR/repo snapshots` lists it) */
#include <stdio.h>
#include <string.h>
#include <wphost.h>

static int fail(const char *what) {
    const wph_error *e = wph_error_last();
    fprintf(stderr, "%s: %s (%s)\n", what, wph_error_message(e), wph_error_code_name(wph_error_code(e)));
    return 1;
}

static int run(wph_job *job, const char *what) {
    const char *result = NULL;
    if (wph_job_wait(job, -1) < 0 || wph_job_result(&result, job) < 0) {
        wph_job_free(job);
        return fail(what);
    }
    printf("%s: %s\n", what, result);
    wph_job_free(job);
    return 0;
}

int main(int argc, char **argv) {
    char state[1024], repo_dir[1024], spec[4096];
    wph_engine_options eo = WPH_ENGINE_OPTIONS_INIT;
    wph_repo_options ro = WPH_REPO_OPTIONS_INIT;
    wph_engine *engine = NULL;
    wph_repo *repo = NULL;
    wph_job *job = NULL;
    char *snapshots = NULL;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s WORKDIR SOURCE_DIR\n", argv[0]);
        return 2;
    }
    snprintf(state, sizeof state, "%s/state", argv[1]);
    snprintf(repo_dir, sizeof repo_dir, "%s/repo", argv[1]);
    eo.state_dir = state;
    if (wph_engine_open(&engine, &eo) < 0) return fail("engine");

    ro.location = repo_dir;
    ro.password = "example"; /* in real use: ro.password_file, a 0600 file */
    if (wph_repo_init(&repo, engine, &ro) < 0 && wph_repo_open(&repo, engine, &ro) < 0) {
        fail("repository");
        goto out;
    }
    snprintf(spec, sizeof spec, "{\"paths\": [\"%s\"], \"tags\": [\"example\"]}", argv[2]);
    if (wph_repo_backup_start(&job, repo, spec, NULL) < 0 || run(job, "backup")) goto out;
    if (wph_repo_snapshots(&snapshots, repo, NULL) < 0) {
        fail("snapshots");
        goto out;
    }
    printf("snapshots: %s\n", snapshots);
    wph_str_free(snapshots);
    snprintf(spec, sizeof spec, "{\"snapshot\": \"latest\", \"target\": \"%s/restore\"}", argv[1]);
    if (wph_repo_restore_start(&job, repo, spec, NULL) < 0 || run(job, "restore")) goto out;
    if (wph_repo_check_start(&job, repo, "{\"read_data\": true}", NULL) < 0 || run(job, "check")) goto out;
    rc = 0;
out:
    wph_repo_free(repo);
    wph_engine_free(engine);
    return rc;
}
