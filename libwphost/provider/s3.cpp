// The S3 client (s3.hpp) and its operations behind Provider.
#include "provider/s3.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <functional>
#include <initializer_list>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "provider/provider.hpp"

namespace wph::provider::s3 {

namespace json = boost::json;

namespace {

// A malformed answer body is the provider's error, with the status it came with.
template <class F> auto with_status(const http::Response &r, F &&f) {
    try {
        return f();
    } catch (const Error &e) {
        if (e.http_status() != 0) throw;
        throw Error(e.code(), e.category(), e.message(), static_cast<int>(r.status));
    }
}

constexpr const char *kProvider = "s3";

[[noreturn]] void config_error(const std::string &msg) { raise(WPH_EINVALID, kProvider, "s3 config: " + msg); }

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<long long> config_int(const json::object &c, std::string_view field) {
    auto it = c.find(field);
    if (it == c.end() || it->value().is_null()) return std::nullopt;
    const auto &v = it->value();
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() < (1ull << 62)) return static_cast<long long>(v.get_uint64());
    config_error("\"" + std::string(field) + "\" must be an integer");
}

std::string errno_msg(const std::string &what, const std::string &path, int err) {
    return "s3: " + what + " " + path + ": " + errno_text(err);
}

// A file descriptor closed on scope exit.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
};

int open_read(const std::string &path, std::int64_t &size) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) raise(errno == ENOENT ? WPH_ENOTFOUND : WPH_EIO, kProvider, errno_msg("cannot open", path, errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        raise(WPH_EIO, kProvider, errno_msg("cannot stat", path, err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        raise(WPH_EINVALID, kProvider, "s3: \"file\" " + path + " is not a regular file");
    }
    size = st.st_size;
    return fd;
}

// SHA-256 of len bytes of fd from offset.
std::string hash_range(int fd, std::int64_t offset, std::int64_t len, const std::string &path, const CancelToken *cancel) {
    sigv4::Sha256 h;
    std::string buf(1 << 20, '\0');
    std::int64_t done = 0;
    while (done < len) {
        if (cancel) cancel->check("s3 upload");
        std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(len - done, static_cast<std::int64_t>(buf.size())));
        ssize_t n = ::pread(fd, buf.data(), want, offset + done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) raise(WPH_EIO, kProvider, errno_msg("cannot read", path, errno));
        if (n == 0) raise(WPH_EIO, kProvider, "s3: " + path + " became shorter while it was read");
        h.update(buf.data(), static_cast<std::size_t>(n));
        done += n;
    }
    return h.hex_final();
}

// A body streamed from [offset, offset+len) of a file.
struct FileBody {
    int fd;
    std::int64_t offset, len, pos = 0;
    int err = 0;
    std::size_t read(char *buf, std::size_t n) {
        std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(n), len - pos));
        while (want > 0) {
            ssize_t got = ::pread(fd, buf, want, offset + pos);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                err = got < 0 ? errno : EIO;
                return 0;
            }
            pos += got;
            return static_cast<std::size_t>(got);
        }
        return 0;
    }
};

void attach(http::Request &req, const std::shared_ptr<FileBody> &body) {
    req.body_size = body->len;
    req.body_reader = [body](char *buf, std::size_t n) { return body->read(buf, n); };
    req.body_rewind = [body] { body->pos = 0; };
}

std::string dir_of(const std::string &path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

void fsync_dir(const std::string &dir) {
    int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        ::fsync(d);
        ::close(d);
    }
}

std::string header_or(const http::Response &r, std::string_view name) { return r.header(name).value_or(""); }

}  // namespace

// ---------------------------------------------------------------- config

Config config_from_json(const json::object &config) {
    Config c;
    auto str = [&](std::string_view field) -> std::optional<std::string> {
        auto it = config.find(field);
        if (it == config.end() || it->value().is_null()) return std::nullopt;
        if (!it->value().is_string()) config_error("\"" + std::string(field) + "\" must be a string");
        return std::string(it->value().get_string());
    };
    c.region = str("region").value_or("us-east-1");
    if (c.region.empty() || c.region.size() > 64) config_error("\"region\" must be a region name such as us-east-1");
    for (char ch : c.region)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
            config_error("\"region\" must be a region name such as us-east-1 (got \"" + c.region + "\")");
    auto bucket = str("bucket");
    if (!bucket || bucket->empty()) config_error("\"bucket\" is required");
    c.bucket = *bucket;
    if (c.bucket.size() > 255) config_error("\"bucket\" is longer than 255 characters");
    for (char ch : c.bucket)
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == '/' || ch == '?' || ch == '#' || ch == '%' || ch == '\\' ||
            static_cast<unsigned char>(ch) >= 0x7f)
            config_error("\"bucket\" is not a valid bucket name (got \"" + c.bucket + "\")");

    c.http = http::client_options_from_json(config, kProvider, "https://s3." + c.region + ".amazonaws.com");
    std::string endpoint = c.http.base_url;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    sigv4::UrlParts u;
    try {
        u = sigv4::parse_url(endpoint);
    } catch (const Error &e) {
        config_error("\"endpoint\": " + e.message());
    }
    if (u.path != "/" || !u.query.empty())
        config_error("\"endpoint\" must be scheme://host[:port] without a path (got \"" + endpoint + "\")");
    c.endpoint = u.scheme + "://" + u.host + (u.port.empty() ? "" : ":" + u.port);
    c.http.base_url = c.endpoint;

    if (auto it = config.find("path_style"); it != config.end() && !it->value().is_null()) {
        if (!it->value().is_bool()) config_error("\"path_style\" must be true or false");
        c.path_style = it->value().get_bool();
    } else {
        // Virtual-hosted style on AWS; path style everywhere else (Backblaze
        // B2, MinIO, Ceph and most others serve it, and it needs no DNS).
        c.path_style = !(u.host == "amazonaws.com" || ends_with(u.host, ".amazonaws.com"));
    }
    if (auto ps = config_int(config, "part_size_mb")) {
        if (*ps < 5 || *ps > 5120) config_error("\"part_size_mb\" must be between 5 and 5120");
        c.part_size = *ps * kMiB;
    }
    if (auto th = config_int(config, "multipart_threshold_mb")) {
        if (*th < 5 || *th > 5LL * 1024 * 1024) config_error("\"multipart_threshold_mb\" must be at least 5");
        c.multipart_threshold = *th * kMiB;
    }
    c.credentials.access_key_id = http::secret_from_json(config, "access_key_id", kProvider);
    c.credentials.secret_access_key = http::secret_from_json(config, "secret_access_key", kProvider);
    c.credentials.session_token = http::secret_from_json(config, "session_token", kProvider, false);
    if (c.credentials.access_key_id.empty()) config_error("\"access_key_id\" must not be empty");
    if (c.credentials.secret_access_key.empty()) config_error("\"secret_access_key\" must not be empty");
    c.http.secrets.push_back(c.credentials.secret_access_key);
    if (!c.credentials.session_token.empty()) c.http.secrets.push_back(c.credentials.session_token);
    return c;
}

// ---------------------------------------------------------------- client

Client::Client(Config config) : cfg_(std::move(config)), http_([&] {
    http::ClientOptions o = cfg_.http;
    o.provider = kProvider;
    o.error_message = [](const http::Response &r, const json::value *) -> std::string {
        auto e = parse_error(r.body);
        if (!e) return "";
        std::string m = e->code;
        if (!e->message.empty()) m += (m.empty() ? "" : ": ") + e->message;
        return m;
    };
    return o;
}()) {}

Client Client::from_json(const json::object &config) { return Client(config_from_json(config)); }

std::string Client::bucket_url(std::string_view query) const {
    std::string url;
    if (cfg_.path_style) {
        url = cfg_.endpoint + "/" + sigv4::uri_encode(cfg_.bucket, false);
    } else {
        auto sep = cfg_.endpoint.find("://");
        url = cfg_.endpoint.substr(0, sep + 3) + cfg_.bucket + "." + cfg_.endpoint.substr(sep + 3) + "/";
    }
    if (!query.empty()) url += "?" + std::string(query);
    return url;
}

std::string Client::object_url(std::string_view key, std::string_view query) const {
    std::string url = bucket_url();
    if (cfg_.path_style) url += "/";
    url += sigv4::uri_encode(key, true);
    if (!query.empty()) url += "?" + std::string(query);
    return url;
}

sigv4::Signed Client::sign(const sigv4::Request &request, std::string_view service, std::string_view region,
                           std::int64_t now_epoch_s) const {
    sigv4::Options o;
    o.region = region.empty() ? cfg_.region : std::string(region);
    o.service = service.empty() ? "s3" : std::string(service);
    o.s3 = o.service == "s3";
    o.amz_date = sigv4::amz_date(now_epoch_s < 0 ? now_s() : now_epoch_s);
    return sigv4::sign(request, cfg_.credentials, o);
}

std::string Client::presign(std::string_view key, std::int64_t expires_s, std::string_view method,
                            std::int64_t now_epoch_s) const {
    validate_key(key);
    if (method != "GET" && method != "PUT" && method != "HEAD" && method != "DELETE")
        raise(WPH_EINVALID, kProvider, "s3: presign: the method must be GET, PUT, HEAD or DELETE");
    sigv4::Options o;
    o.region = cfg_.region;
    o.service = "s3";
    o.amz_date = sigv4::amz_date(now_epoch_s < 0 ? now_s() : now_epoch_s);
    return sigv4::presign(method, object_url(key), expires_s, cfg_.credentials, o).url;
}

http::Response Client::send(http::Request request, const std::string &payload_sha256) const {
    sigv4::Request sr;
    sr.method = request.method;
    sr.url = request.url;
    sr.headers = request.headers;
    sr.payload_sha256 = payload_sha256;
    sigv4::Signed s = sign(sr, "s3", cfg_.region);
    request.url = s.url;
    for (auto &h : s.headers) request.headers.push_back(std::move(h));
    const std::string what = request.method + " " + request.url;
    http::Response r = http_.send(std::move(request));
    if (r.status >= 300 && r.status < 400) {
        std::string msg = "s3: " + r.what + ": " + std::to_string(r.status);
        if (auto e = parse_error(r.body)) msg += ": " + e->code + (e->message.empty() ? "" : ": " + e->message);
        if (auto region = r.header("x-amz-bucket-region"))
            msg += " (the bucket is in region " + *region + "; set \"region\" and \"endpoint\" to match)";
        throw Error(WPH_EPROVIDER, kProvider, msg, static_cast<int>(r.status));
    }
    return r;
}

ListResult Client::list(const ListOptions &lo, const CancelToken *cancel) const {
    if (lo.max_keys < 0 || lo.max_keys > 1000) raise(WPH_EINVALID, kProvider, "s3: \"max_keys\" must be between 1 and 1000");
    if (lo.limit < 0) raise(WPH_EINVALID, kProvider, "s3: \"limit\" must not be negative");
    ListResult out;
    std::string token;
    std::int64_t count = 0;
    for (int pages = 0;; ++pages) {
        if (pages >= 1000000) raise(WPH_EPROVIDER, kProvider, "s3: ListObjectsV2 did not end after 1000000 pages");
        if (cancel) cancel->check("s3 list");
        std::vector<std::pair<std::string, std::string>> q{{"list-type", "2"}};
        if (!lo.prefix.empty()) q.emplace_back("prefix", lo.prefix);
        if (!lo.delimiter.empty()) q.emplace_back("delimiter", lo.delimiter);
        int page_keys = lo.max_keys;
        if (lo.limit > 0 && (page_keys == 0 || lo.limit - count < page_keys))
            page_keys = static_cast<int>(std::min<std::int64_t>(lo.limit - count, 1000));
        if (page_keys > 0) q.emplace_back("max-keys", std::to_string(page_keys));
        if (!lo.start_after.empty() && token.empty()) q.emplace_back("start-after", lo.start_after);
        if (!token.empty()) q.emplace_back("continuation-token", token);
        std::string query;
        for (const auto &[k, v] : q) query += (query.empty() ? "" : "&") + k + "=" + sigv4::uri_encode(v, false);
        http::Request req;
        req.method = "GET";
        req.url = bucket_url(query);
        req.cancel = cancel;
        http::Response r = send(std::move(req), std::string(sigv4::kEmptySha256));
        ListPage page = with_status(r, [&] { return parse_list_page(r.body); });
        for (auto &o : page.objects) {
            if (lo.limit > 0 && count >= lo.limit) break;
            out.objects.push_back(std::move(o));
            ++count;
        }
        for (auto &p : page.prefixes) {
            if (lo.limit > 0 && count >= lo.limit) break;
            out.prefixes.push_back(std::move(p));
            ++count;
        }
        if (!page.truncated || (lo.limit > 0 && count >= lo.limit)) break;
        if (page.next_token == token) raise(WPH_EPROVIDER, kProvider, "s3: ListObjectsV2 returned the same continuation token twice");
        token = page.next_token;
    }
    return out;
}

std::string Client::put_data(std::string_view key, std::string data, std::string_view content_type,
                             const CancelToken *cancel) const {
    validate_key(key);
    http::Request req;
    req.method = "PUT";
    req.url = object_url(key);
    if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::string(content_type));
    const std::string hash = sigv4::sha256_hex(data);
    req.body = std::move(data);
    req.cancel = cancel;
    http::Response r = send(std::move(req), hash);
    return strip_quotes(header_or(r, "etag"));
}

std::string Client::put_file(std::string_view key, const std::string &path, std::string_view content_type,
                             const CancelToken *cancel) const {
    validate_key(key);
    std::int64_t size = 0;
    Fd fd(open_read(path, size));
    if (size > cfg_.multipart_threshold) return upload(key, path, 0, content_type, cancel);
    const std::string hash = hash_range(fd.fd, 0, size, path, cancel);
    auto body = std::make_shared<FileBody>(FileBody{fd.fd, 0, size});
    http::Request req;
    req.method = "PUT";
    req.url = object_url(key);
    if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::string(content_type));
    attach(req, body);
    req.cancel = cancel;
    http::Response r = send(std::move(req), hash);
    if (body->err) raise(WPH_EIO, kProvider, errno_msg("cannot read", path, body->err));
    return strip_quotes(header_or(r, "etag"));
}

std::string Client::upload(std::string_view key, const std::string &path, std::int64_t part_size,
                           std::string_view content_type, const CancelToken *cancel) const {
    validate_key(key);
    std::int64_t size = 0;
    Fd fd(open_read(path, size));
    std::int64_t ps = part_size > 0 ? part_size : cfg_.part_size;
    if (ps < kMinPartSize) raise(WPH_EINVALID, kProvider, "s3: \"part_size_mb\" must be at least 5");
    if (ps > kMaxPartSize) raise(WPH_EINVALID, kProvider, "s3: \"part_size_mb\" must be at most 5120");
    if ((size + ps - 1) / ps > kMaxParts) {
        // At most 10000 parts: larger parts, rounded up to whole MiB.
        ps = ((size + kMaxParts - 1) / kMaxParts + kMiB - 1) / kMiB * kMiB;
        if (ps > kMaxPartSize) raise(WPH_EINVALID, kProvider, "s3: " + path + " is larger than S3's 5 TiB object limit");
    }
    const std::int64_t nparts = std::max<std::int64_t>(1, (size + ps - 1) / ps);

    http::Request create;
    create.method = "POST";
    create.url = object_url(key, "uploads");
    if (!content_type.empty()) create.headers.emplace_back("Content-Type", std::string(content_type));
    create.cancel = cancel;
    const std::string upload_id = parse_upload_id(send(std::move(create), std::string(sigv4::kEmptySha256)).body);
    const std::string id_q = "uploadId=" + sigv4::uri_encode(upload_id, false);

    try {
        std::vector<std::pair<int, std::string>> parts;
        for (std::int64_t n = 1; n <= nparts; ++n) {
            if (cancel) cancel->check("s3 upload");
            const std::int64_t off = (n - 1) * ps;
            const std::int64_t len = std::min(ps, size - off);
            const std::string hash = hash_range(fd.fd, off, len, path, cancel);
            auto body = std::make_shared<FileBody>(FileBody{fd.fd, off, len});
            http::Request put;
            put.method = "PUT";
            put.url = object_url(key, "partNumber=" + std::to_string(n) + "&" + id_q);
            attach(put, body);
            put.cancel = cancel;
            http::Response r = send(std::move(put), hash);
            if (body->err) raise(WPH_EIO, kProvider, errno_msg("cannot read", path, body->err));
            auto etag = r.header("etag");
            if (!etag || etag->empty())
                raise(WPH_EPROVIDER, kProvider, "s3: UploadPart " + std::to_string(n) + " answered without an ETag");
            parts.emplace_back(static_cast<int>(n), *etag);
        }
        http::Request done;
        done.method = "POST";
        done.url = object_url(key, id_q);
        done.headers.emplace_back("Content-Type", "application/xml");
        done.body = complete_body(parts);
        done.idempotent = true;
        done.cancel = cancel;
        const std::string hash = sigv4::sha256_hex(done.body);
        http::Response r = send(std::move(done), hash);
        // S3 may answer 200 and report the failure in the body.
        if (auto e = parse_error(r.body))
            throw Error(WPH_EPROVIDER, kProvider,
                        "s3: CompleteMultipartUpload failed: " + e->code + (e->message.empty() ? "" : ": " + e->message),
                        static_cast<int>(r.status));
        XmlNode root = with_status(r, [&] { return parse_xml(r.body, "CompleteMultipartUpload answer"); });
        if (root.name != "CompleteMultipartUploadResult")
            raise(WPH_EPROVIDER, kProvider, "s3: CompleteMultipartUpload answered <" + root.name + ">");
        return strip_quotes(root.child_text("ETag"));
    } catch (...) {
        // No part may stay stored (and billed): abort, even when cancelled.
        std::exception_ptr original = std::current_exception();
        try {
            http::Request abort;
            abort.method = "DELETE";
            abort.url = object_url(key, id_q);
            send(std::move(abort), std::string(sigv4::kEmptySha256));
        } catch (const Error &abort_error) {
            try {
                std::rethrow_exception(original);
            } catch (const Error &e) {
                throw Error(e.code(), e.category(),
                            e.message() + " (and aborting the multipart upload failed: " + abort_error.message() + ")",
                            e.http_status());
            }
        }
        std::rethrow_exception(original);
    }
}

GetResult Client::get(std::string_view key, const std::string &file, const std::string &range,
                      const CancelToken *cancel) const {
    validate_key(key);
    if (!range.empty() && range.rfind("bytes=", 0) != 0)
        raise(WPH_EINVALID, kProvider, "s3: \"range\" must be of the form bytes=first-last");
    GetResult out;
    http::Request req;
    req.method = "GET";
    req.url = object_url(key);
    if (!range.empty()) req.headers.emplace_back("Range", range);
    req.cancel = cancel;

    auto finish = [&](const http::Response &r) {
        out.status = r.status;
        out.etag = strip_quotes(header_or(r, "etag"));
        out.content_type = header_or(r, "content-type");
        out.content_range = header_or(r, "content-range");
    };

    if (file.empty()) {
        bool overflow = false;
        req.on_data = [&](std::string_view chunk) {
            out.size += static_cast<std::int64_t>(chunk.size());
            if (overflow || static_cast<std::int64_t>(out.data.size() + chunk.size()) > kMaxInMemory) {
                overflow = true;
                return;
            }
            out.data.append(chunk);
        };
        http::Response r = send(std::move(req), std::string(sigv4::kEmptySha256));
        if (overflow)
            raise(WPH_EINVALID, kProvider,
                  "s3: the object is larger than 64 MiB: pass \"file\" to write it to disk, or a \"range\"");
        finish(r);
        return out;
    }

    std::string tmpl = dir_of(file) + "/." + file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1) +
                       ".part-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0) raise(errno == ENOENT ? WPH_ENOTFOUND : WPH_EIO, kProvider, errno_msg("cannot create a file beside", file, errno));
    const std::string tmp(name.data());
    int write_err = 0;
    try {
        req.on_data = [&](std::string_view chunk) {
            out.size += static_cast<std::int64_t>(chunk.size());
            while (!write_err && !chunk.empty()) {
                ssize_t n = ::write(fd, chunk.data(), chunk.size());
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) {
                    write_err = errno;
                    break;
                }
                chunk.remove_prefix(static_cast<std::size_t>(n));
            }
        };
        http::Response r = send(std::move(req), std::string(sigv4::kEmptySha256));
        if (write_err) raise(WPH_EIO, kProvider, errno_msg("cannot write", tmp, write_err));
        if (::fsync(fd) != 0) raise(WPH_EIO, kProvider, errno_msg("cannot fsync", tmp, errno));
        if (::close(fd) != 0) {
            fd = -1;
            raise(WPH_EIO, kProvider, errno_msg("cannot close", tmp, errno));
        }
        fd = -1;
        if (::rename(tmp.c_str(), file.c_str()) != 0) raise(WPH_EIO, kProvider, errno_msg("cannot rename to", file, errno));
        fsync_dir(dir_of(file));
        finish(r);
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    return out;
}

HeadResult Client::head(std::string_view key, const CancelToken *cancel) const {
    validate_key(key);
    http::Request req;
    req.method = "HEAD";
    req.url = object_url(key);
    req.cancel = cancel;
    http::Response r = send(std::move(req), std::string(sigv4::kEmptySha256));
    HeadResult h;
    std::string len = header_or(r, "content-length");
    h.size = len.empty() ? 0 : std::strtoll(len.c_str(), nullptr, 10);
    h.etag = strip_quotes(header_or(r, "etag"));
    h.last_modified = header_or(r, "last-modified");
    h.content_type = header_or(r, "content-type");
    for (const auto &[n, v] : r.headers)
        if (n.rfind("x-amz-meta-", 0) == 0) h.metadata.emplace_back(n.substr(11), v);
    return h;
}

void Client::remove(std::string_view key, const CancelToken *cancel) const {
    validate_key(key);
    http::Request req;
    req.method = "DELETE";
    req.url = object_url(key);
    req.cancel = cancel;
    send(std::move(req), std::string(sigv4::kEmptySha256));
}

// ---------------------------------------------------------------- operations by name

namespace {

void only(const Params &p, std::initializer_list<std::string_view> allowed) {
    for (const auto &[k, v] : p.obj)
        if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
            p.invalid(k, "is not a parameter of this operation");
}

std::string key_of(const Params &p) {
    std::string key = p.str("key");
    if (key.size() > kMaxKeyBytes) p.invalid("key", "is longer than 1024 bytes");
    if (!valid_utf8(key)) p.invalid("key", "is not valid UTF-8");
    if (has_dot_segment(key)) p.invalid("key", "must not have \".\" or \"..\" segments between slashes");
    return key;
}

std::int64_t time_of(const Params &p) {
    auto *v = p.get("time");
    if (!v) return -1;
    if (!v->is_string()) p.invalid("time", "must be a string like 20150830T123600Z");
    try {
        return sigv4::parse_amz_date(v->get_string());
    } catch (const Error &) {
        p.invalid("time", "must be a UTC time like 20150830T123600Z");
    }
}

json::object object_json(const Object &o) {
    return {{"key", o.key}, {"size", o.size}, {"etag", o.etag}, {"last_modified", o.last_modified}};
}

class S3Provider final : public OperationTable {
public:
    explicit S3Provider(Client c) : OperationTable(kProvider), c_(std::move(c)) {
        using P = const Params &;
        using C = const CancelToken *;
        add("object.list", [this](P p, C cancel) -> json::value {
            only(p, {"prefix", "delimiter", "max_keys", "start_after", "limit"});
            ListOptions lo;
            lo.prefix = p.str_or("prefix", "");
            lo.delimiter = p.str_or("delimiter", "");
            long long mk = p.integer_or("max_keys", 0);
            if (mk < 0 || mk > 1000) p.invalid("max_keys", "must be between 1 and 1000");
            lo.max_keys = static_cast<int>(mk);
            lo.start_after = p.str_or("start_after", "");
            lo.limit = p.integer_or("limit", 0);
            if (lo.limit < 0) p.invalid("limit", "must not be negative");
            ListResult r = c_.list(lo, cancel);
            json::array objects, prefixes;
            for (const auto &o : r.objects) objects.push_back(object_json(o));
            for (const auto &pr : r.prefixes) prefixes.push_back(json::string(pr));
            return json::object{{"objects", std::move(objects)}, {"prefixes", std::move(prefixes)}};
        });
        add("object.put", [this](P p, C cancel) -> json::value {
            only(p, {"key", "file", "data", "data_base64", "content_type"});
            std::string key = key_of(p);
            std::string ct = p.str_or("content_type", "");
            int given = (p.get("file") ? 1 : 0) + (p.get("data") ? 1 : 0) + (p.get("data_base64") ? 1 : 0);
            if (given != 1) p.invalid("file", "or \"data\" or \"data_base64\": exactly one is required");
            std::string etag;
            if (p.get("file")) {
                etag = c_.put_file(key, p.str("file"), ct, cancel);
            } else if (p.get("data")) {
                etag = c_.put_data(key, p.str_or("data", ""), ct, cancel);
            } else {
                auto data = base64_decode(p.str_or("data_base64", ""));
                if (!data) p.invalid("data_base64", "is not valid base64");
                etag = c_.put_data(key, std::move(*data), ct, cancel);
            }
            return json::object{{"key", key}, {"etag", etag}};
        });
        add("object.upload", [this](P p, C cancel) -> json::value {
            only(p, {"key", "file", "part_size_mb", "content_type"});
            std::string key = key_of(p);
            std::string file = p.str("file");
            long long ps = p.integer_or("part_size_mb", 0);
            if (p.get("part_size_mb") && (ps < 5 || ps > 5120)) p.invalid("part_size_mb", "must be between 5 and 5120");
            std::string etag = c_.upload(key, file, ps * kMiB, p.str_or("content_type", ""), cancel);
            return json::object{{"key", key}, {"etag", etag}};
        });
        add("object.get", [this](P p, C cancel) -> json::value {
            only(p, {"key", "file", "range"});
            std::string key = key_of(p);
            std::string file = p.str_or("file", "");
            std::string range;
            if (const json::value *r = p.get("range")) {
                if (r->is_string()) {
                    range = std::string(r->get_string());
                    if (range.rfind("bytes=", 0) != 0 || range.size() < 8)
                        p.invalid("range", "must be \"bytes=first-last\" or {\"offset\", \"length\"}");
                } else if (r->is_object()) {
                    Params rp{r->get_object(), p.provider, p.operation};
                    long long off = rp.integer_or("offset", 0), len = rp.integer_or("length", 0);
                    if (off < 0) p.invalid("range", "offset must not be negative");
                    if (len < 0) p.invalid("range", "length must not be negative");
                    range = range_header(off, len);
                } else {
                    p.invalid("range", "must be \"bytes=first-last\" or {\"offset\", \"length\"}");
                }
            }
            GetResult g = c_.get(key, file, range, cancel);
            json::object out{{"size", g.size}, {"etag", g.etag}, {"content_type", g.content_type}, {"status", g.status}};
            if (!g.content_range.empty()) out["content_range"] = g.content_range;
            if (file.empty()) {
                if (valid_utf8(g.data)) out["data"] = g.data;
                else out["data_base64"] = base64_encode(g.data);
            } else {
                out["file"] = file;
            }
            return out;
        });
        add("object.head", [this](P p, C cancel) -> json::value {
            only(p, {"key"});
            HeadResult h = c_.head(key_of(p), cancel);
            json::object meta;
            for (const auto &[k, v] : h.metadata) meta[k] = v;
            return json::object{{"size", h.size},
                                {"etag", h.etag},
                                {"last_modified", h.last_modified},
                                {"content_type", h.content_type},
                                {"metadata", std::move(meta)}};
        });
        add("object.delete", [this](P p, C cancel) -> json::value {
            only(p, {"key"});
            c_.remove(key_of(p), cancel);
            return json::object{};
        });
        add("object.presign", [this](P p, C) -> json::value {
            only(p, {"key", "expires_s", "method", "time"});
            std::string key = key_of(p);
            long long expires = p.integer_or("expires_s", 3600);
            if (expires < 1 || expires > sigv4::kMaxPresignExpires) p.invalid("expires_s", "must be between 1 and 604800 (7 days)");
            std::string method = p.str_or("method", "GET");
            if (method != "GET" && method != "PUT" && method != "HEAD" && method != "DELETE")
                p.invalid("method", "must be GET, PUT, HEAD or DELETE");
            return json::object{{"url", c_.presign(key, expires, method, time_of(p))}};
        });
        add("request.sign", [this](P p, C) -> json::value {
            only(p, {"method", "url", "headers", "payload_sha256", "body", "time", "service", "region"});
            sigv4::Request r;
            r.method = p.str("method");
            r.url = p.str("url");
            if (const json::value *h = p.get("headers")) {
                if (!h->is_object()) p.invalid("headers", "must be an object of strings");
                for (const auto &[k, v] : h->get_object()) {
                    if (!v.is_string()) p.invalid("headers", "must be an object of strings");
                    r.headers.emplace_back(std::string(k), std::string(v.get_string()));
                }
            }
            if (p.get("payload_sha256") && p.get("body")) p.invalid("payload_sha256", "and \"body\" exclude each other");
            if (p.get("payload_sha256")) r.payload_sha256 = p.str("payload_sha256");
            else if (p.get("body")) r.payload_sha256 = sigv4::sha256_hex(p.str_or("body", ""));
            std::string service = p.str_or("service", "s3");
            std::string region = p.str_or("region", "");
            sigv4::Signed s;
            try {
                s = c_.sign(r, service, region, time_of(p));
            } catch (const Error &e) {
                if (e.code() == WPH_EINVALID) raise(WPH_EINVALID, kProvider, "s3 request.sign: " + e.message());
                throw;
            }
            json::object headers;
            for (const auto &[k, v] : r.headers) headers[k] = v;
            bool has_host = false;
            for (const auto &[k, v] : r.headers) has_host |= lower(k) == "host";
            if (!has_host) headers["host"] = sigv4::parse_url(s.url).host_header();
            for (const auto &[k, v] : s.headers) headers[k] = v;
            return json::object{{"headers", std::move(headers)},
                                {"url", s.url},
                                {"canonical_request", s.canonical_request},
                                {"string_to_sign", s.string_to_sign},
                                {"signed_headers", s.signed_headers},
                                {"signature", s.signature}};
        });
    }

private:

    Client c_;
};

}  // namespace

}  // namespace wph::provider::s3

namespace wph::provider {
std::unique_ptr<Provider> open_s3(const boost::json::object &config) {
    return std::make_unique<s3::S3Provider>(s3::Client::from_json(config));
}
}  // namespace wph::provider
