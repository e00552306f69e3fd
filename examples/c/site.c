/* Provision a WordPress site, or only show its plan.
 * Usage: site STATE_DIR DOMAIN [--create] [PROFILE_JSON_FILE]
 * Without --create it prints what creating the site would do (files,
 * commands, SQL) and touches nothing — no root needed. With --create (as
 * root, nginx, PHP-FPM and MariaDB running) it creates the site and prints
 * the job's result: URL, login, and the generated admin password, once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wphost.h>

static int fail(const char *what) {
    const wph_error *e = wph_error_last();
    fprintf(stderr, "%s: %s (%s)\n", what, wph_error_message(e), wph_error_code_name(wph_error_code(e)));
    return 1;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) buf[n] = 0;
    fclose(f);
    return buf;
}

/* How many times `needle` occurs in `hay`. */
static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    wph_engine_options eo = WPH_ENGINE_OPTIONS_INIT;
    wph_engine *engine = NULL;
    char spec[512];
    char *profile = NULL;
    int create = 0, rc = 1;

    if (argc < 3) {
        fprintf(stderr, "usage: %s STATE_DIR DOMAIN [--create] [PROFILE_JSON_FILE]\n", argv[0]);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--create") == 0) create = 1;
        else if (!(profile = read_file(argv[i]))) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 2;
        }
    }
    eo.state_dir = argv[1];
    eo.host_profile = profile; /* NULL: Debian 12's paths */
    if (wph_engine_open(&engine, &eo) < 0) return fail("engine");
    /* Untrusted input goes into the spec: the library validates it. */
    snprintf(spec, sizeof spec, "{\"domain\": \"%s\", \"cache\": \"page\"}", argv[2]);

    if (!create) {
        char *plan = NULL;
        if (wph_site_plan(&plan, engine, spec) < 0) {
            fail("plan");
            goto out;
        }
        printf("plan for %s: %d files written, %d directories, %d commands, %d SQL steps\n", argv[2],
               count(plan, "\"action\":\"write\""), count(plan, "\"action\":\"mkdir\""), count(plan, "\"action\":\"run\""),
               count(plan, "\"action\":\"sql\""));
        wph_str_free(plan);
        rc = 0;
    } else {
        wph_job *job = NULL;
        const char *result = NULL;
        if (wph_site_create(&job, engine, spec, NULL) < 0) {
            fail("create");
            goto out;
        }
        if (wph_job_wait(job, -1) < 0 || wph_job_result(&result, job) < 0) fail("create");
        else {
            printf("created: %s\n", result);
            rc = 0;
        }
        wph_job_free(job);
    }
out:
    wph_engine_free(engine);
    free(profile);
    return rc;
}
