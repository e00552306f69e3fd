// AWS Signature Version 4 (AWS4-HMAC-SHA256): canonical request, string to
// sign, signing key, Authorization header and presigned URLs. Pure: no I/O,
// no clock (the caller passes the time), no globals.
//
// Two flavours of the canonical URI:
//   - S3 (Options::s3 = true): the path is not normalized ("//a/../b" stays
//     as it is) and each segment is URI-encoded once: percent escapes in the
//     URL are decoded and the bytes re-encoded, so a URL already encoded the
//     S3 way signs as it is sent. Also adds x-amz-content-sha256.
//   - Every other service: the path is normalized (dot segments removed,
//     repeated slashes collapsed) and the path as sent is URI-encoded again
//     ("double encoding": "%20" on the wire is "%2520" in the canonical URI).
//
// The query string is split on '&' and the first '=', each key and value is
// percent-decoded ('+' stays a plus) and re-encoded (RFC 3986 unreserved
// characters kept), and the pairs are sorted by encoded key, then value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wph::provider::sigv4 {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::int64_t kMaxPresignExpires = 604800;  // 7 days

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty: none
};

struct Request {
    std::string method = "GET";
    std::string url;          // absolute: scheme://host[:port]/path?query
    Headers headers;          // headers to sign besides host and the x-amz-* ones added here
    std::string payload_sha256 = std::string(kEmptySha256);  // lower-case hex, or "UNSIGNED-PAYLOAD"
};

struct Options {
    std::string region = "us-east-1";
    std::string service = "s3";
    std::string amz_date;  // "20150830T123600Z" (UTC)
    bool s3 = true;        // S3 rules (see above)
};

struct Signed {
    // The headers to add to the request: x-amz-date, x-amz-content-sha256
    // (S3), x-amz-security-token (with a session token) and authorization,
    // names lower-case.
    Headers headers;
    std::string authorization;
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_headers;  // "host;x-amz-content-sha256;x-amz-date"
    std::string signature;       // hex
    std::string url;             // the URL with its path and query in canonical encoding (send this one)
};

// Signs a request. WPH_EINVALID for a malformed URL, date or payload hash.
Signed sign(const Request &request, const Credentials &credentials, const Options &options);

// A presigned URL (query-string authentication, UNSIGNED-PAYLOAD, only the
// host header signed). expires_s in [1, 604800]; WPH_EINVALID otherwise.
struct Presigned {
    std::string url;
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;
};
Presigned presign(std::string_view method, std::string_view url, std::int64_t expires_s,
                  const Credentials &credentials, const Options &options);

// ---- building blocks (exposed for tests and for the S3 client) ----

struct UrlParts {
    std::string scheme;     // lower-case
    std::string host;       // lower-case; IPv6 with its brackets
    std::string port;       // "" when absent
    std::string path;       // raw, "/" when empty
    std::string query;      // raw, without '?'
    // Host header value: host, plus ":port" unless it is the scheme's default.
    std::string host_header() const;
};
UrlParts parse_url(std::string_view url);  // WPH_EINVALID naming the problem

// URI-encode per SigV4: every byte but A-Z a-z 0-9 - _ . ~ (and '/' when
// keep_slash) as %XX with upper-case hex.
std::string uri_encode(std::string_view s, bool keep_slash);
// Percent-decoding ('+' is kept); malformed escapes are kept literally.
std::string percent_decode(std::string_view s);
std::string canonical_uri(std::string_view raw_path, bool s3);
std::string canonical_query(std::string_view raw_query);
// Remove "." and ".." segments and collapse repeated slashes; keeps a
// trailing slash; "" -> "/".
std::string normalize_path(std::string_view path);

std::string sha256_hex(std::string_view data);
// Incremental SHA-256 (parts of a file streamed for an upload).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;
    void update(const void *data, std::size_t n);
    std::string hex_final();  // lower-case hex; the object is reset for reuse

private:
    void *ctx_;
};
std::string hex(std::string_view bytes);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                        std::string_view service);  // raw 32 bytes
// "20150830T123600Z" from seconds since the epoch, and back (WPH_EINVALID
// for a malformed value).
std::string amz_date(std::int64_t epoch_s);
std::int64_t parse_amz_date(std::string_view amz_date);
// Header value per SigV4: trimmed, runs of whitespace collapsed to one space.
std::string trim_all(std::string_view value);

}  // namespace wph::provider::sigv4
