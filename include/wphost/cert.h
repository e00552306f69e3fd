/* libwphost — TLS certificates from an ACME CA (RFC 8555: Let's Encrypt,
 * ZeroSSL, pebble, ...).
 *
 * The engine keeps one ACME account per CA directory and contact (an EC
 * P-256 key in a 0600 file under the state directory), and a record per
 * certificate in the state store. Keys and certificates are written with
 * mode 0600. Settings come from the host profile's "acme" object
 * (directory, email, eab, ca_bundle, dns) and may be overridden per call
 * (docs/cert.md).
 *
 * Renewal failures are never silent: each is stored on the certificate
 * (status "renew-failed", last_error, failures) and emitted as an engine
 * event of kind "cert.renew.failed" (wph_engine_set_event_callback,
 * wph_engine_events).
 *
 * Thread safety: every function may be called from any thread. */
#ifndef WPHOST_CERT_H
#define WPHOST_CERT_H

#include "engine.h"
#include "job.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Register (or find) the ACME account for the given settings (NULL: the
 * profile's); *json_out describes it: {"directory", "url", "contact",
 * "key_path", "created"}. */
WPH_API int wph_cert_account(char **json_out, wph_engine *engine, const char *acme_json);

/* Issue a certificate (job kind "cert.issue"). request_json:
 *   {"names": ["example.com", "www.example.com"],
 *    "challenge": "http-01" | "dns-01",
 *    "webroot": "/path"   (http-01: served at /.well-known/acme-challenge/),
 *    "site": "example.com"  (instead of webroot: that site's challenge directory),
 *    "acme": {...}          (overrides of the profile's settings),
 *    "dns": {...}           (dns-01: provider and propagation check)}
 * The job's result is the certificate record, as wph_cert_get returns it. */
WPH_API int wph_cert_issue(wph_job **out, wph_engine *engine, const char *request_json, const wph_job_options *opts);

/* Renew certificates due within "days" (default 30) of expiry, or the one
 * named, or all with "force" (job kind "cert.renew"). options_json may be
 * NULL. The result lists {"renewed": [...], "failed": [{"name", "error"}],
 * "not_due": [...]}; the job fails with WPH_EPROVIDER when any renewal
 * failed, after recording and emitting each failure. */
WPH_API int wph_cert_renew(wph_job **out, wph_engine *engine, const char *options_json, const wph_job_options *opts);

/* Revoke a certificate (job kind "cert.revoke"); options_json may be NULL or
 * {"reason": 0..10 (RFC 5280 reason code)}. */
WPH_API int wph_cert_revoke(wph_job **out, wph_engine *engine, const char *name, const char *options_json,
                            const wph_job_options *opts);

/* The certificate records: {"name", "names", "site", "challenge", "status"
 * ("valid" | "renew-failed" | "revoked" | "expired"), "not_before",
 * "not_after", "days_left", "serial", "key_path", "cert_path", "last_error",
 * "failures", ...}. */
WPH_API int wph_cert_list(char **json_out, wph_engine *engine);
WPH_API int wph_cert_get(char **json_out, wph_engine *engine, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* WPHOST_CERT_H */
