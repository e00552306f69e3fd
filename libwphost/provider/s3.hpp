// S3-compatible object storage: AWS S3, Backblaze B2's S3 endpoint
// (https://s3.<region>.backblazeb2.com, path style), or any custom endpoint
// (MinIO, Ceph RGW, ...). Every request is signed with AWS Signature
// Version 4 (sigv4.hpp), its payload hash included (x-amz-content-sha256).
//
// Configuration (JSON): {"kind": "s3", "bucket", "region" (default
// us-east-1), "endpoint" (default https://s3.<region>.amazonaws.com),
// "access_key_id" | "_file" | "_env", "secret_access_key" | "_file" | "_env",
// "session_token"?, "path_style"? (default false for amazonaws.com, true for
// every other endpoint), "part_size_mb"? (default 16, at least 5),
// "multipart_threshold_mb"? (default 64)} plus the common HTTP options
// (http::client_options_from_json: ca_bundle, timeouts, retry, resolve ...).
//
// Large objects stream: uploads read the file part by part (each part's
// SHA-256 computed first, then the part sent from the file), downloads are
// written to a temporary file beside the target and renamed into place.
//
// Errors: S3's XML error body gives the message ("NoSuchKey: The specified
// key does not exist."); codes follow the HTTP status (404 WPH_ENOTFOUND,
// 403 WPH_EAUTH, ...); 503 SlowDown and other 5xx answers are retried by the
// HTTP client.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.hpp"
#include "provider/sigv4.hpp"

namespace wph {
class CancelToken;
}

namespace wph::provider::s3 {

inline constexpr std::int64_t kMiB = 1024 * 1024;
inline constexpr std::int64_t kMinPartSize = 5 * kMiB;
inline constexpr std::int64_t kMaxPartSize = 5LL * 1024 * kMiB;
inline constexpr int kMaxParts = 10000;
inline constexpr std::size_t kMaxKeyBytes = 1024;
// object.get without a file keeps the object in memory: at most this much.
inline constexpr std::int64_t kMaxInMemory = 64 * kMiB;

struct Config {
    std::string endpoint;  // scheme://host[:port], no path
    std::string region = "us-east-1";
    std::string bucket;
    bool path_style = false;
    std::int64_t part_size = 16 * kMiB;
    std::int64_t multipart_threshold = 64 * kMiB;
    sigv4::Credentials credentials;
    http::ClientOptions http;
};

// WPH_EINVALID naming the field.
Config config_from_json(const boost::json::object &config);

struct Object {
    std::string key;
    std::int64_t size = 0;
    std::string etag;  // without the surrounding quotes
    std::string last_modified;
};

struct ListOptions {
    std::string prefix;
    std::string delimiter;
    int max_keys = 0;  // per page; 0: the server's default (1000)
    std::string start_after;
    std::int64_t limit = 0;  // objects + prefixes in all; 0: no limit
};

struct ListResult {
    std::vector<Object> objects;
    std::vector<std::string> prefixes;
};

struct GetResult {
    long status = 0;  // 200, or 206 for a range
    std::int64_t size = 0;  // bytes received
    std::string etag;
    std::string content_type;
    std::string content_range;
    std::string data;  // the body, when not written to a file
};

struct HeadResult {
    std::int64_t size = 0;
    std::string etag;
    std::string last_modified;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> metadata;  // x-amz-meta-* without the prefix
};

class Client {
public:
    explicit Client(Config config);
    static Client from_json(const boost::json::object &config);

    const Config &config() const noexcept { return cfg_; }

    ListResult list(const ListOptions &options, const CancelToken *cancel = nullptr) const;
    // Returns the ETag (without quotes).
    std::string put_data(std::string_view key, std::string data, std::string_view content_type,
                         const CancelToken *cancel = nullptr) const;
    // Above the multipart threshold the file goes up in parts (upload()).
    std::string put_file(std::string_view key, const std::string &path, std::string_view content_type,
                         const CancelToken *cancel = nullptr) const;
    // range: "" (whole object) or "bytes=a-b". file: "" keeps the body in
    // GetResult::data (at most kMaxInMemory bytes), else it is written
    // atomically to that path.
    GetResult get(std::string_view key, const std::string &file, const std::string &range,
                  const CancelToken *cancel = nullptr) const;
    HeadResult head(std::string_view key, const CancelToken *cancel = nullptr) const;
    void remove(std::string_view key, const CancelToken *cancel = nullptr) const;
    // Multipart upload; any failure aborts the upload so no part is left
    // stored. part_size 0: the configured one. Returns the ETag.
    std::string upload(std::string_view key, const std::string &path, std::int64_t part_size,
                       std::string_view content_type, const CancelToken *cancel = nullptr) const;
    // A presigned URL for the object; now_epoch_s < 0: the current time.
    std::string presign(std::string_view key, std::int64_t expires_s, std::string_view method,
                        std::int64_t now_epoch_s = -1) const;
    // Signs an arbitrary request with this client's credentials and region.
    sigv4::Signed sign(const sigv4::Request &request, std::string_view service, std::string_view region,
                       std::int64_t now_epoch_s = -1) const;

    // The object's URL (path or virtual-hosted style), key encoded; query
    // appended as given (already encoded).
    std::string object_url(std::string_view key, std::string_view query = {}) const;
    std::string bucket_url(std::string_view query = {}) const;

private:
    http::Response send(http::Request request, const std::string &payload_sha256) const;

    Config cfg_;
    http::Client http_;
};

// ---- pure helpers (no I/O): XML, keys, encodings; unit-tested and fuzzed ----

// A minimal XML reader for S3's answers: elements, text, attributes (read
// past), comments, CDATA, the XML declaration; entities &amp; &lt; &gt;
// &quot; &apos; and numeric ones. Depth and size are bounded. Malformed
// input throws WPH_EPROVIDER naming what was being read.
struct XmlNode {
    std::string name;  // local name (a namespace prefix is dropped)
    std::string text;  // the text directly inside, entities decoded
    std::vector<XmlNode> children;

    const XmlNode *child(std::string_view name) const;  // first, or nullptr
    std::string child_text(std::string_view name) const;  // "" when absent
};
XmlNode parse_xml(std::string_view xml, std::string_view what);
std::string xml_unescape(std::string_view text);  // WPH_EPROVIDER on a bad entity
std::string xml_escape(std::string_view text);

struct XmlError {
    std::string code;
    std::string message;
    std::string resource;
    std::string request_id;
};
// The <Error> document of an S3 error answer, or nullopt if the body is not one.
std::optional<XmlError> parse_error(std::string_view body);

struct ListPage {
    std::vector<Object> objects;
    std::vector<std::string> prefixes;
    bool truncated = false;
    std::string next_token;
};
// A ListObjectsV2 answer (<ListBucketResult>); WPH_EPROVIDER when malformed.
ListPage parse_list_page(std::string_view xml);
// The <UploadId> of an InitiateMultipartUploadResult.
std::string parse_upload_id(std::string_view xml);
// The CompleteMultipartUpload body for parts (number, ETag as received).
std::string complete_body(const std::vector<std::pair<int, std::string>> &parts);

// Non-empty, at most 1024 bytes, valid UTF-8, no "." or ".." segment
// (URL paths lose those on the way: HTTP clients resolve them):
// WPH_EINVALID otherwise.
void validate_key(std::string_view key);
bool has_dot_segment(std::string_view key);
bool valid_utf8(std::string_view s);
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);
// "bytes=a-b" from an offset and a length (length <= 0: to the end).
std::string range_header(std::int64_t offset, std::int64_t length);
std::string strip_quotes(std::string_view etag);

}  // namespace wph::provider::s3
