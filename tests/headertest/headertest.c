/* The public C headers compile as C99 with -Wall -Wextra -pedantic -Werror,
 * each on its own and together, and the macros a C caller uses work. */
#include <wphost/export.h>
#include <wphost/version.h>
#include <wphost/common.h>
#include <wphost/engine.h>
#include <wphost/job.h>
#include <wphost/host.h>
#include <wphost.h>
#include <wphost.h> /* include guards */

int main(void) {
    wph_engine_options eo = WPH_ENGINE_OPTIONS_INIT;
    wph_job_options jo = WPH_JOB_OPTIONS_INIT;
    wph_progress p;
    p.version = WPH_PROGRESS_VERSION;
    (void)p;
    return (eo.version == WPH_ENGINE_OPTIONS_VERSION && jo.version == WPH_JOB_OPTIONS_VERSION &&
            WPH_VERSION_NUMBER > 0 && WPH_OK == 0 && WPH_EVERSION < 0)
               ? 0
               : 1;
}
