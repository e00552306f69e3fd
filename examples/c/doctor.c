/* Open an engine, run the host check as a job with a progress callback, and
 * print the report. Build: cc doctor.c $(pkg-config --cflags --libs wphost) */
#include <stdio.h>
#include <wphost.h>

static int on_progress(const wph_progress *p, void *payload) {
    (void)payload;
    fprintf(stderr, "  [%3.0f%%] %s\n", p->percent, p->phase);
    return 0; /* non-zero would cancel the job */
}

int main(int argc, char **argv) {
    wph_engine_options opts = WPH_ENGINE_OPTIONS_INIT;
    wph_job_options jopts = WPH_JOB_OPTIONS_INIT;
    wph_engine *engine = NULL;
    wph_job *job = NULL;
    const char *report = NULL;
    int rc;

    opts.state_dir = argc > 1 ? argv[1] : NULL; /* NULL: ~/.local/share/wphost */
    if ((rc = wph_engine_open(&engine, &opts)) < 0) {
        fprintf(stderr, "open: %s (%s)\n", wph_error_message(wph_error_last()), wph_error_code_name(rc));
        return 1;
    }
    jopts.progress_cb = on_progress;
    if ((rc = wph_host_check_start(&job, engine, &jopts)) < 0 || (rc = wph_job_wait(job, -1)) < 0 ||
        (rc = wph_job_result(&report, job)) < 0) {
        fprintf(stderr, "host check: %s (%s)\n", wph_error_message(wph_error_last()), wph_error_code_name(rc));
        wph_job_free(job);
        wph_engine_free(engine);
        return 1;
    }
    printf("%s\n", report);
    wph_job_free(job); /* report was owned by the job */
    wph_engine_free(engine);
    return 0;
}
