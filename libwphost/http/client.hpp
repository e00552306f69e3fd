// One HTTP client for every provider (libcurl easy handles, one per call).
//
// - Deadlines per phase: connect (DNS + TCP), TLS handshake, time to the
//   first response byte, and the body; expiry is WPH_ETIMEOUT naming the phase.
// - Retries with exponential backoff and full jitter on 429, 5xx and
//   connection errors. 429 and connection failures before the request was
//   sent are always retried; 5xx only for idempotent requests (GET, HEAD,
//   PUT, DELETE, OPTIONS, or Request::idempotent). Retry-After (seconds or an
//   HTTP date) and the rate-limit headers (RateLimit-Reset,
//   X-RateLimit-Reset, Ratelimit-Reset, ...) set the wait when present.
// - TLS verification is always on unless ClientOptions::verify_tls is false
//   (tests against private CAs should use ca_bundle instead).
// - Proxies come from the usual environment variables (http_proxy,
//   HTTPS_PROXY, ALL_PROXY, NO_PROXY), as libcurl reads them.
// - Failures are wph::Error with the HTTP status and the provider's own
//   message: 401/403 WPH_EAUTH, 404 WPH_ENOTFOUND, 409 WPH_ECONFLICT,
//   400/422 WPH_EINVALID, other >= 400 WPH_EPROVIDER, transport WPH_EIO,
//   deadlines WPH_ETIMEOUT, cancellation WPH_ECANCELLED.
// - The log callback sees one line per attempt with secrets redacted.
#pragma once

#include <boost/json/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wph {
class CancelToken;
}

namespace wph::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Timeouts {
    std::chrono::milliseconds connect{10000};  // name resolution + TCP connect
    std::chrono::milliseconds tls{10000};      // TLS handshake
    std::chrono::milliseconds response{30000}; // request sent -> first response byte
    std::chrono::milliseconds body{300000};    // first byte -> last byte
};

struct RetryPolicy {
    int max_attempts = 5;                            // including the first; 1 = no retries
    std::chrono::milliseconds base_delay{500};       // backoff: random(0, min(max_delay, base * 2^n))
    std::chrono::milliseconds max_delay{30000};
    std::chrono::milliseconds max_retry_after{300000};  // a longer Retry-After is not waited for: the error is returned
};

struct RateLimit {
    std::optional<long long> limit;
    std::optional<long long> remaining;
    std::optional<long long> reset_after_s;  // seconds from now until the window resets
};

struct Response {
    long status = 0;
    Headers headers;  // names lower-cased, in arrival order (last response only)
    std::string body;
    std::string url;  // effective URL
    int attempts = 1;

    // First header with this (case-insensitive) name.
    std::optional<std::string> header(std::string_view name) const;
    RateLimit rate_limit() const;
    // Parsed body; malformed or truncated JSON is WPH_EPROVIDER naming the
    // provider, the request and the parse error.
    boost::json::value json() const;

    std::string provider;  // for messages
    std::string what;      // "GET /v1/servers"
};

struct Request {
    std::string method = "GET";
    std::string url;  // absolute, or relative to ClientOptions::base_url (starting with '/')
    Headers headers;
    std::string body;
    std::optional<bool> idempotent;  // default: by method

    // Streaming (large objects): when set, the body is read from here instead
    // of `body` (body_size bytes; the reader fills the buffer and returns the
    // count, 0 at the end). A streamed body is only retried when
    // body_rewind is set too.
    std::function<std::size_t(char *, std::size_t)> body_reader;
    std::function<void()> body_rewind;
    std::int64_t body_size = -1;
    // When set, response bodies of 2xx answers go here instead of
    // Response::body (error bodies are always kept for the message).
    std::function<void(std::string_view)> on_data;

    const CancelToken *cancel = nullptr;
    // Statuses that are not errors for this call (e.g. 404 for "exists?").
    std::vector<long> accept_statuses;
};

using Logger = std::function<void(std::string_view line)>;

struct ClientOptions {
    std::string provider = "http";  // error category and message prefix: "hetzner", "s3", "acme"
    std::string base_url;           // "https://api.hetzner.cloud/v1"
    Headers default_headers;        // sent with every request (Authorization, ...)
    std::string user_agent;         // default "libwphost/<version>"
    std::string ca_bundle;          // PEM file of trusted CAs; empty: the system's
    bool verify_tls = true;
    // Fixed name resolution, "host:port:address" (CURLOPT_RESOLVE): tests,
    // or an endpoint reached before its DNS exists.
    std::vector<std::string> resolve;
    Timeouts timeouts;
    RetryPolicy retry;
    Logger log;                        // one line per attempt, or empty
    std::vector<std::string> secrets;  // strings replaced by "***" in logs and messages
    // Extracts the provider's own error message from an error answer (JSON
    // body already parsed when it is JSON, else null). Empty: a generic
    // extractor ("message", "error.message", "errors[0].message", "detail").
    std::function<std::string(const Response &, const boost::json::value *)> error_message;
    // For tests: how to wait between attempts (default: sleep, waking on cancel).
    std::function<void(std::chrono::milliseconds, const CancelToken *)> sleep;
};

class Client {
public:
    explicit Client(ClientOptions options);
    ~Client();
    Client(Client &&) noexcept;
    Client &operator=(Client &&) noexcept;

    const ClientOptions &options() const noexcept { return options_; }

    // Sends with retries; an answer >= 400 (not in accept_statuses) after the
    // last attempt throws wph::Error as described above.
    Response send(Request request) const;

    // JSON conveniences: body serialised, Content-Type and Accept set.
    Response get(std::string url, const CancelToken *cancel = nullptr) const;
    Response del(std::string url, const CancelToken *cancel = nullptr) const;
    Response post_json(std::string url, const boost::json::value &body, const CancelToken *cancel = nullptr) const;
    Response put_json(std::string url, const boost::json::value &body, const CancelToken *cancel = nullptr) const;
    Response patch_json(std::string url, const boost::json::value &body, const CancelToken *cancel = nullptr) const;

private:
    ClientOptions options_;
};

// ---- pure helpers (no I/O), unit-tested and fuzzed ----

// Retry-After: delta-seconds or an HTTP-date (relative to now_epoch_s).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_epoch_s);
// The wait before attempt n+1 (n >= 1 failed attempts), given a random number
// in [0,1) for jitter and the server's hint if any.
std::chrono::milliseconds backoff_delay(const RetryPolicy &p, int failed_attempts, double random01,
                                        std::optional<std::chrono::milliseconds> server_hint);
RateLimit parse_rate_limit(const Headers &lowercase_headers, std::int64_t now_epoch_s);
// RFC 8288 Link header: rel -> URL (first of each rel).
std::map<std::string, std::string> parse_link_header(std::string_view value);
// Replace each secret, Authorization/Cookie header values, and values of
// query parameters or JSON fields named like secrets (token, password,
// secret, signature, key, credential) with "***".
std::string redact(std::string_view text, const std::vector<std::string> &secrets);
// Percent-encoding for URL path segments and query values (RFC 3986
// unreserved characters are kept).
std::string url_encode(std::string_view s, bool keep_slash = false);
// "a=1&b=x%20y" from pairs, in the given order.
std::string query_string(const std::vector<std::pair<std::string, std::string>> &params);

// Iterates pages: `first` is fetched, each page's JSON handed to `each`,
// then `next` (given the response and its JSON) returns the next request's
// URL or nullopt. Stops after max_pages (a provider looping is an error).
void paginate(const Client &client, std::string first_url,
              const std::function<void(const boost::json::value &page)> &each,
              const std::function<std::optional<std::string>(const Response &, const boost::json::value &)> &next,
              const CancelToken *cancel = nullptr, int max_pages = 10000);

// Builds ClientOptions from a provider's JSON configuration, shared by every
// provider:
//   "endpoint": base URL (default_endpoint when absent; https only unless
//               "allow_http": true, for tests),
//   "ca_bundle": path, "verify_tls": bool (default true),
//   "timeouts": {"connect_ms","tls_ms","response_ms","body_ms"},
//   "retry": {"max_attempts","base_delay_ms","max_delay_ms","max_retry_after_ms"},
//   "user_agent": string, "resolve": ["host:port:address", ...].
// Unknown keys are left to the caller. Throws WPH_EINVALID naming the field.
ClientOptions client_options_from_json(const boost::json::object &config, std::string provider,
                                       std::string default_endpoint);

// A secret from {"<name>": "..."} or {"<name>_file": "/path"} (file must not
// be readable by group or others: WPH_EINVALID otherwise) or
// {"<name>_env": "VAR"}. Trailing newlines of files are dropped. Throws
// WPH_EINVALID when none is given and required.
std::string secret_from_json(const boost::json::object &config, std::string_view name, std::string_view provider,
                             bool required = true);

}  // namespace wph::http
