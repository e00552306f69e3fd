/* libwphost — error model and memory rules shared by every module.
 *
 * Return values: a call that can fail returns int, 0 (WPH_OK) on success and
 * a negative WPH_E* code on failure. Codes are never renumbered or reused.
 *
 * Detail: every failing call records an error object for the calling thread,
 * read with wph_error_last(). A successful call leaves it as it was (like
 * errno), so read it right after the call that failed.
 *
 * Memory: strings passed in are copied before the call returns. Strings
 * handed out are owned by the library: either "free with wph_str_free" or
 * "valid until <handle> is freed", as each function says. */
#ifndef WPHOST_COMMON_H
#define WPHOST_COMMON_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wph_code {
    WPH_OK         = 0,
    WPH_ERROR      = -1,  /* generic failure (an internal error) */
    WPH_ENOTFOUND  = -2,  /* the named thing does not exist */
    WPH_EEXISTS    = -3,  /* the thing to create exists already */
    WPH_EINVALID   = -4,  /* bad argument: NULL, malformed JSON, bad option version, ... */
    WPH_EAUTH      = -5,  /* authentication or permission refused by a service */
    WPH_ETIMEOUT   = -6,  /* a deadline passed */
    WPH_ECANCELLED = -7,  /* the operation was cancelled */
    WPH_ECONFLICT  = -8,  /* the request conflicts with the current state */
    WPH_ELOCKED    = -9,  /* a lock is held by someone else */
    WPH_EIO        = -10, /* the operating system or a file refused (permission, disk, corrupt file) */
    WPH_EPROVIDER  = -11, /* a remote provider answered with an error */
    WPH_EUSER      = -12, /* a callback of the caller returned non-zero */
    WPH_ENOMEM     = -13, /* out of memory */
    WPH_EVERSION   = -14  /* data written by a newer libwphost, or an unknown format version */
} wph_code;

/* An error: code, category ("engine", "state", "job", "host", "http", "db",
 * ...), message, and for provider calls the HTTP status (0 otherwise). */
typedef struct wph_error wph_error;

/* The calling thread's last error, or NULL if no call on this thread has
 * failed since the last wph_error_clear(). Valid until the next failing call
 * on this thread or wph_error_clear(). Thread-safe (per-thread storage). */
WPH_API const wph_error *wph_error_last(void);

/* Forget the calling thread's last error. */
WPH_API void wph_error_clear(void);

/* Accessors; each accepts NULL (code 0, category "", message "", status 0).
 * Returned strings live as long as the error object. */
WPH_API int wph_error_code(const wph_error *err);
WPH_API const char *wph_error_category(const wph_error *err);
WPH_API const char *wph_error_message(const wph_error *err);
WPH_API int wph_error_http_status(const wph_error *err);

/* A copy of an error that the caller owns and frees with wph_error_free.
 * Returns NULL for NULL (or when out of memory). */
WPH_API wph_error *wph_error_dup(const wph_error *err);
WPH_API void wph_error_free(wph_error *err);

/* The name of a code ("WPH_ENOTFOUND"), or "WPH_UNKNOWN". Static string. */
WPH_API const char *wph_error_code_name(int code);

/* Free a string the library handed out with "free with wph_str_free".
 * NULL is allowed. */
WPH_API void wph_str_free(char *str);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_COMMON_H */
