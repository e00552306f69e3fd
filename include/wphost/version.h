/* libwphost — version.
 *
 * The WPH_VERSION_* macros give the version of the headers you compiled
 * against; wph_version() and wph_version_number() give the version of the
 * library actually loaded. CMake reads the project version from this file. */
#ifndef WPHOST_VERSION_H
#define WPHOST_VERSION_H

#include "export.h"

#define WPH_VERSION_MAJOR 0
#define WPH_VERSION_MINOR 1
#define WPH_VERSION_PATCH 0
#define WPH_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define WPH_VERSION_NUMBER (WPH_VERSION_MAJOR * 10000 + WPH_VERSION_MINOR * 100 + WPH_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The loaded library's version as "MAJOR.MINOR.PATCH". Static string.
 * Thread-safe. */
WPH_API const char *wph_version(void);

/* The loaded library's version as MAJOR * 10000 + MINOR * 100 + PATCH.
 * Thread-safe. */
WPH_API unsigned int wph_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_VERSION_H */
