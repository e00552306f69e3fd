/* libwphost — provider clients: cloud servers (Hetzner Cloud, DigitalOcean),
 * DNS (Cloudflare) and S3-compatible object storage (AWS, Backblaze B2, any
 * custom endpoint).
 *
 * A provider is opened from a JSON configuration ({"kind": "hetzner" |
 * "digitalocean" | "cloudflare" | "s3", credentials, "endpoint",
 * "ca_bundle", "timeouts", "retry", ...; docs/provider.md) and answers
 * operations by name with JSON parameters and JSON results, the same
 * operations the C++ classes and the Python package offer
 * ("server.create", "record.list", "object.put", ...).
 *
 * Failures set the thread's last error with the HTTP status
 * (wph_error_http_status) and the provider's own message: 401/403
 * WPH_EAUTH, 404 WPH_ENOTFOUND, 409 WPH_ECONFLICT, 400/422 WPH_EINVALID,
 * other answers WPH_EPROVIDER, network WPH_EIO, deadlines WPH_ETIMEOUT.
 * 429, 5xx and connection errors are retried first (backoff with jitter,
 * Retry-After honoured).
 *
 * Thread safety: a provider handle may be used from several threads at
 * once; each call uses its own connection. Free it before its engine. */
#ifndef WPHOST_PROVIDER_H
#define WPHOST_PROVIDER_H

#include "engine.h"
#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wph_provider wph_provider;

/* The provider kinds this library knows, as a JSON array of strings. */
WPH_API int wph_provider_kinds(char **json_out);

/* Open a provider client. Nothing is sent until the first call; a bad
 * configuration is WPH_EINVALID naming the field. Secrets may be given
 * inline ("token"), from a file readable by its owner only ("token_file")
 * or from an environment variable ("token_env"). */
WPH_API int wph_provider_open(wph_provider **out, wph_engine *engine, const char *config_json);

/* The operations of this provider, as a JSON array of strings. */
WPH_API int wph_provider_operations(char **json_out, wph_provider *provider);

/* Run one operation and wait for it; *json_out is its JSON result (free with
 * wph_str_free). params_json may be NULL for "{}". */
WPH_API int wph_provider_call(char **json_out, wph_provider *provider, const char *operation, const char *params_json);

/* The same as a job (kind "provider.call"), for operations that wait (a
 * server's creation action, a multipart upload): cancellable, and its result
 * is the operation's JSON. */
WPH_API int wph_provider_call_start(wph_job **out, wph_provider *provider, const char *operation,
                                    const char *params_json, const wph_job_options *opts);

/* NULL is fine. */
WPH_API void wph_provider_free(wph_provider *provider);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_PROVIDER_H */
