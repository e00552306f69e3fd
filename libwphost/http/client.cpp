// The HTTP client (see client.hpp): one libcurl easy handle per attempt,
// driven by a private multi handle so that the per-phase deadlines and
// cancellation are checked every 50 ms (an easy_perform's progress callback
// can go a whole second between calls while a server stalls).
//
// Sharing: one process-wide CURLSH holds the DNS cache and the TLS session
// cache (locked per kind of data, since clients are used from many threads).
// The connection cache is not shared: libcurl does not support a shared
// connection cache used by concurrent threads (CURLSHOPT_SHARE, "not
// supported with multiple concurrent threads"), so each attempt opens its
// own connection and TLS session resumption keeps the handshakes short.
// Clients with ClientOptions::resolve use no share at all, so that their
// fixed addresses never leak into other clients' DNS cache.
//
// Proxies: CURLOPT_PROXY is never set, so libcurl reads http_proxy,
// HTTPS_PROXY, ALL_PROXY and NO_PROXY from the environment itself.
#include "http/client.hpp"

#include <curl/curl.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "wphost/version.h"

namespace wph::http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- libcurl global state ----

struct Share {
    CURLSH *sh = nullptr;
    std::mutex mu[CURL_LOCK_DATA_LAST];
};

void share_lock(CURL *, curl_lock_data data, curl_lock_access, void *ud) {
    static_cast<Share *>(ud)->mu[data].lock();
}
void share_unlock(CURL *, curl_lock_data data, void *ud) { static_cast<Share *>(ud)->mu[data].unlock(); }

// Initialised once, never freed (easy handles of other threads may still
// use it while the process exits).
Share *global_share() {
    static Share *s = [] {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        auto *sh = new Share;
        sh->sh = curl_share_init();
        if (sh->sh) {
            curl_share_setopt(sh->sh, CURLSHOPT_LOCKFUNC, share_lock);
            curl_share_setopt(sh->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
            curl_share_setopt(sh->sh, CURLSHOPT_USERDATA, sh);
            curl_share_setopt(sh->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
            curl_share_setopt(sh->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        }
        return sh;
    }();
    return s;
}

// ---- small helpers ----

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && iequals(s.substr(0, p.size()), p); }

std::string_view trim_sv(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::string upper(std::string s) {
    for (char &c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// "30 s", "0.25 s".
std::string seconds_text(milliseconds ms) {
    char buf[64];
    if (ms.count() % 1000 == 0) std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ms.count() / 1000));
    else std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms.count()) / 1000.0);
    return buf;
}

std::string reason_phrase(long status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

int code_for_status(long status) {
    if (status == 401 || status == 403) return WPH_EAUTH;
    if (status == 404) return WPH_ENOTFOUND;
    if (status == 409) return WPH_ECONFLICT;
    if (status == 400 || status == 422) return WPH_EINVALID;
    return WPH_EPROVIDER;
}

bool idempotent_method(std::string_view m) {
    return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

// The path of a URL without its query ("/v1/servers").
std::string url_path(std::string_view url) {
    std::size_t p = url.find("://");
    std::size_t start = p == std::string_view::npos ? 0 : url.find('/', p + 3);
    if (start == std::string_view::npos) return "/";
    std::size_t end = url.find_first_of("?#", start);
    std::string_view path = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    return path.empty() ? "/" : std::string(path);
}

std::string url_host(std::string_view url) {
    std::size_t p = url.find("://");
    std::size_t b = p == std::string_view::npos ? 0 : p + 3;
    std::size_t e = url.find_first_of("/?#", b);
    std::string_view hp = url.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    if (std::size_t at = hp.rfind('@'); at != std::string_view::npos) hp.remove_prefix(at + 1);
    if (!hp.empty() && hp.front() == '[') {
        std::size_t close = hp.find(']');
        return std::string(hp.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    }
    return std::string(hp.substr(0, hp.find(':')));
}

double random01() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::int64_t now_epoch() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Whitespace runs (newlines included) become one space; control characters go.
std::string one_line(std::string_view s, std::size_t max) {
    std::string out;
    bool space = false;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = !out.empty();
            continue;
        }
        if (c < 0x20 || c == 0x7f) continue;
        if (space) out += ' ';
        space = false;
        out += ch;
        if (out.size() >= max) {
            // Do not cut a UTF-8 sequence in half.
            while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
            if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
            out += "...";
            break;
        }
    }
    return out;
}

std::string json_scalar_text(const boost::json::value &v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    return {};
}

std::string with_code(std::string msg, const boost::json::object &o) {
    std::string code;
    if (auto *c = o.if_contains("code")) code = json_scalar_text(*c);
    if (!code.empty() && msg.find(code) == std::string::npos) msg += " (" + code + ")";
    return msg;
}

std::string xml_element(std::string_view body, std::string_view name) {
    std::string open = "<" + std::string(name) + ">", close = "</" + std::string(name) + ">";
    std::size_t b = body.find(open);
    if (b == std::string_view::npos) return {};
    b += open.size();
    std::size_t e = body.find(close, b);
    if (e == std::string_view::npos) return {};
    return std::string(trim_sv(body.substr(b, e - b)));
}

// The generic extractor of a provider's error message.
std::string generic_error_message(const Response &r, const boost::json::value *j) {
    if (j && j->is_object()) {
        const auto &o = j->get_object();
        if (auto *m = o.if_contains("message"); m && m->is_string() && !m->get_string().empty())
            return with_code(std::string(m->get_string()), o);
        if (auto *e = o.if_contains("error")) {
            if (e->is_string() && !e->get_string().empty()) {
                std::string msg(e->get_string());
                if (auto *d = o.if_contains("error_description"); d && d->is_string() && !d->get_string().empty())
                    msg += ": " + std::string(d->get_string());
                return msg;
            }
            if (e->is_object()) {
                const auto &eo = e->get_object();
                if (auto *m = eo.if_contains("message"); m && m->is_string() && !m->get_string().empty())
                    return with_code(std::string(m->get_string()), eo);
                if (auto *c = eo.if_contains("code"); c && !json_scalar_text(*c).empty()) return json_scalar_text(*c);
            }
        }
        if (auto *es = o.if_contains("errors"); es && es->is_array() && !es->get_array().empty()) {
            const auto &first = es->get_array()[0];
            if (first.is_object()) {
                const auto &fo = first.get_object();
                for (const char *k : {"message", "detail", "title"})
                    if (auto *m = fo.if_contains(k); m && m->is_string() && !m->get_string().empty())
                        return with_code(std::string(m->get_string()), fo);
            } else if (first.is_string() && !first.get_string().empty()) {
                return std::string(first.get_string());
            }
        }
        // RFC 7807 problem details (ACME among others).
        if (auto *d = o.if_contains("detail"); d && d->is_string() && !d->get_string().empty()) {
            std::string msg(d->get_string());
            if (auto *t = o.if_contains("type"); t && t->is_string() && !t->get_string().empty() &&
                                                  t->get_string() != "about:blank")
                msg += " (" + std::string(t->get_string()) + ")";
            return msg;
        }
        if (auto *t = o.if_contains("title"); t && t->is_string() && !t->get_string().empty())
            return std::string(t->get_string());
        if (auto *m = o.if_contains("error_message"); m && m->is_string() && !m->get_string().empty())
            return std::string(m->get_string());
    }
    std::string_view body = trim_sv(r.body);
    if (body.empty() || j) return {};  // a JSON answer without a known field: nothing better than the status
    if (body.front() == '<') {
        // S3-style XML errors, or an HTML page's title.
        std::string msg = xml_element(body, "Message"), code = xml_element(body, "Code");
        if (!msg.empty()) return one_line(code.empty() ? msg : msg + " (" + code + ")", 200);
        if (!code.empty()) return one_line(code, 200);
        std::string title = xml_element(body, "title");
        if (!title.empty()) return one_line(title, 200);
    }
    return one_line(body, 200);
}

// ---- one attempt ----

enum class Phase { connect, tls, request, response, body };

const char *phase_name(Phase p) {
    switch (p) {
    case Phase::connect: return "connect";
    case Phase::tls: return "tls";
    case Phase::request: return "request";
    case Phase::response: return "response";
    case Phase::body: return "body";
    }
    return "?";
}

struct Attempt {
    const Request *req = nullptr;
    long status = 0;
    std::string reason;
    Headers headers;
    std::string body;
    bool decided = false;    // whether this response's body goes to on_data is decided
    bool streaming = false;  // it does
    bool delivered = false;  // on_data has seen bytes: a failure now cannot be retried
    bool read_called = false;
    bool read_eof = false;
    std::exception_ptr error;  // thrown by a callback of the caller
    std::string effective_url;
    // The sockets libcurl opened: libcurl 7.88 sets CURLINFO_CONNECT_TIME_T
    // only once the TLS handshake is done too, so the end of the TCP
    // connect is seen on the sockets themselves (getpeername succeeds).
    std::vector<curl_socket_t> sockets;
    std::optional<std::chrono::steady_clock::time_point> tcp_connected;
};

curl_socket_t on_open_socket(void *ud, curlsocktype, struct curl_sockaddr *addr) {
    auto *a = static_cast<Attempt *>(ud);
    curl_socket_t fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd == CURL_SOCKET_BAD) return fd;
    try {
        a->sockets.push_back(fd);
    } catch (...) {
        ::close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

int on_close_socket(void *ud, curl_socket_t fd) {
    auto *a = static_cast<Attempt *>(ud);
    a->sockets.erase(std::remove(a->sockets.begin(), a->sockets.end(), fd), a->sockets.end());
    return ::close(fd);
}

bool any_connected(const std::vector<curl_socket_t> &fds) {
    for (curl_socket_t fd : fds) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &len) == 0) return true;
    }
    return false;
}

size_t on_header(char *p, size_t size, size_t n, void *ud) {
    auto *a = static_cast<Attempt *>(ud);
    const size_t total = size * n;
    std::string_view line(p, total);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
        // A new status line (after 100 Continue, or a 1xx): only the last response's headers count.
        a->headers.clear();
        a->decided = false;
        std::size_t sp = line.find(' ');
        a->status = 0;
        a->reason.clear();
        if (sp != std::string_view::npos) {
            std::size_t i = sp + 1;
            long st = 0;
            int digits = 0;
            while (i < line.size() && line[i] >= '0' && line[i] <= '9' && digits < 3) {
                st = st * 10 + (line[i] - '0');
                ++i;
                ++digits;
            }
            a->status = st;
            a->reason = std::string(trim_sv(line.substr(std::min(i, line.size()))));
        }
        return total;
    }
    if (line.empty()) return total;
    if ((line.front() == ' ' || line.front() == '\t') && !a->headers.empty()) {  // obsolete line folding
        std::string_view more = trim_sv(line);
        if (!more.empty()) a->headers.back().second += " " + std::string(more);
        return total;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return total;
    std::string name(trim_sv(line.substr(0, colon)));
    for (char &c : name) c = lower(c);
    a->headers.emplace_back(std::move(name), std::string(trim_sv(line.substr(colon + 1))));
    return total;
}

size_t on_body(char *p, size_t size, size_t n, void *ud) {
    auto *a = static_cast<Attempt *>(ud);
    const size_t total = size * n;
    if (!a->decided) {
        a->decided = true;
        a->streaming = a->req->on_data && a->status >= 200 && a->status < 300;
        a->body.clear();
    }
    if (!a->streaming) {
        a->body.append(p, total);
        return total;
    }
    try {
        a->delivered = true;
        a->req->on_data(std::string_view(p, total));
    } catch (...) {
        a->error = std::current_exception();
        return 0;  // a write error ends the transfer
    }
    return total;
}

size_t on_read(char *buf, size_t size, size_t n, void *ud) {
    auto *a = static_cast<Attempt *>(ud);
    a->read_called = true;
    try {
        size_t got = a->req->body_reader(buf, size * n);
        if (got == 0) a->read_eof = true;
        return std::min(got, size * n);
    } catch (...) {
        a->error = std::current_exception();
        return CURL_READFUNC_ABORT;
    }
}

struct EasyDeleter {
    void operator()(CURL *c) const { curl_easy_cleanup(c); }
};
struct MultiDeleter {
    void operator()(CURLM *m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
    void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void slist_add(Slist &l, const std::string &s) {
    curl_slist *n = curl_slist_append(l.get(), s.c_str());
    if (!n) throw std::bad_alloc();
    l.release();
    l.reset(n);
}

// What one attempt ended with.
struct Outcome {
    enum Kind { answered, transport, timeout, cancelled, config } kind = answered;
    std::string message;       // for transport, timeout, config
    Phase phase = Phase::connect;
    bool sent = false;         // the request may have reached the server
    bool retryable = true;     // transport errors worth another attempt at all (not TLS trust)
    CURLcode code = CURLE_OK;
};

}  // namespace

// ---- Client ----

Client::Client(ClientOptions options) : options_(std::move(options)) {
    if (options_.user_agent.empty()) options_.user_agent = std::string("libwphost/") + WPH_VERSION_STRING;
    if (options_.provider.empty()) options_.provider = "http";
    while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
    if (options_.retry.max_attempts < 1) options_.retry.max_attempts = 1;
    // WPHOST_HTTP_LOG=1: every attempt of every client on standard error
    // (redacted), for an operator chasing a provider problem.
    if (!options_.log) {
        const char *env = std::getenv("WPHOST_HTTP_LOG");
        if (env && *env && std::string_view(env) != "0")
            options_.log = [](std::string_view line) {
                std::string l = "wphost http: " + std::string(line) + "\n";
                std::fwrite(l.data(), 1, l.size(), stderr);
            };
    }
    global_share();  // curl_global_init before any thread uses libcurl
}
Client::~Client() = default;
Client::Client(Client &&) noexcept = default;
Client &Client::operator=(Client &&) noexcept = default;

namespace {

struct SendContext {
    const ClientOptions &o;
    const Request &req;
    std::string method;
    std::string url;
    std::string what;  // "GET /v1/servers"
    bool https = false;
    bool idempotent = false;
    bool streamed = false;

    std::string prefix() const { return o.provider + ": " + what; }
    std::string clean(const std::string &s) const { return redact(s, o.secrets); }
};

Outcome perform_once(const SendContext &ctx, Attempt &a, char *errbuf) {
    const ClientOptions &o = ctx.o;
    const Request &req = ctx.req;
    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
    if (!easy || !multi) throw Error(WPH_ENOMEM, o.provider, ctx.prefix() + ": cannot create a libcurl handle");
    CURL *e = easy.get();
    errbuf[0] = 0;

    curl_easy_setopt(e, CURLOPT_URL, ctx.url.c_str());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // APIs do not redirect; a 3xx is the caller's to see
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(e, CURLOPT_USERAGENT, o.user_agent.c_str());
    // libcurl's connect timeout covers name resolution, TCP and the TLS
    // handshake; the phases are told apart by check_deadline below.
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>((o.timeouts.connect + o.timeouts.tls).count()));
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &a);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, &a);
    if (!o.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, o.ca_bundle.c_str());
    if (!o.verify_tls) {  // tests only: anyone on the path can read and change the traffic
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    Slist resolve;
    for (const auto &r : o.resolve) slist_add(resolve, r);
    if (resolve) curl_easy_setopt(e, CURLOPT_RESOLVE, resolve.get());
    else if (global_share()->sh) curl_easy_setopt(e, CURLOPT_SHARE, global_share()->sh);

    // Headers: the client's defaults, overridden by the request's own.
    Slist headers;
    auto has_header = [&](std::string_view name) {
        for (const auto &[k, v] : req.headers)
            if (iequals(k, name)) return true;
        for (const auto &[k, v] : o.default_headers)
            if (iequals(k, name)) return true;
        return false;
    };
    auto add_header = [&](const std::string &k, const std::string &v) {
        slist_add(headers, v.empty() ? k + ";" : k + ": " + v);
    };
    for (const auto &[k, v] : o.default_headers) {
        bool overridden = false;
        for (const auto &[rk, rv] : req.headers)
            if (iequals(rk, k)) overridden = true;
        if (!overridden) add_header(k, v);
    }
    for (const auto &[k, v] : req.headers) add_header(k, v);

    const bool has_body = ctx.streamed || !req.body.empty();
    const std::string &m = ctx.method;
    if (ctx.streamed) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, &a);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body_size));
        if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    } else if (has_body || m == "POST" || m == "PUT" || m == "PATCH") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
        if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    } else if (m == "HEAD") {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (m == "GET") {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
    // libcurl would label a body application/x-www-form-urlencoded: no label unless the caller gives one.
    if ((has_body || m == "POST" || m == "PUT" || m == "PATCH") && !has_header("content-type"))
        slist_add(headers, "Content-Type:");
    if (headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());

    const curl_off_t upload_total = ctx.streamed ? static_cast<curl_off_t>(req.body_size)
                                                 : static_cast<curl_off_t>(req.body.size());

    // ---- the transfer, watched every 50 ms ----
    curl_multi_add_handle(multi.get(), e);
    const auto t0 = Clock::now();
    std::optional<Clock::time_point> sent_at;
    auto info_us = [&](CURLINFO what) {
        curl_off_t v = 0;
        curl_easy_getinfo(e, what, &v);
        return v;
    };
    auto at = [&](curl_off_t us) { return t0 + std::chrono::microseconds(us); };

    // The current phase and its deadline.
    auto current = [&](Clock::time_point now, Phase &phase, Clock::time_point &deadline, milliseconds &limit) {
        curl_off_t connect_us = info_us(CURLINFO_CONNECT_TIME_T);
        curl_off_t app_us = info_us(CURLINFO_APPCONNECT_TIME_T);
        curl_off_t pre_us = info_us(CURLINFO_PRETRANSFER_TIME_T);
        curl_off_t start_us = info_us(CURLINFO_STARTTRANSFER_TIME_T);
        if (start_us > 0) {
            phase = Phase::body;
            limit = o.timeouts.body;
            deadline = at(start_us) + limit;
            return;
        }
        if (!a.tcp_connected) {
            if (connect_us > 0) a.tcp_connected = at(connect_us);
            else if (any_connected(a.sockets)) a.tcp_connected = now;
        }
        if (!a.tcp_connected) {
            phase = Phase::connect;
            limit = o.timeouts.connect;
            deadline = t0 + limit;
            return;
        }
        if ((ctx.https && app_us == 0) || pre_us == 0) {
            // The TLS handshake (or, through a proxy, the tunnel and the
            // handshake); for http:// the moment before the request.
            phase = ctx.https ? Phase::tls : Phase::connect;
            limit = ctx.https ? o.timeouts.tls : o.timeouts.connect;
            deadline = ctx.https ? *a.tcp_connected + limit : t0 + limit;
            return;
        }
        if (!sent_at) {
            bool done = false;
            if (!has_body) done = true;
            else if (ctx.streamed && upload_total < 0) done = a.read_eof;
            else done = info_us(CURLINFO_SIZE_UPLOAD_T) >= upload_total;
            if (done) sent_at = has_body ? now : at(pre_us);
        }
        if (!sent_at) {
            phase = Phase::request;
            limit = o.timeouts.body;
            deadline = at(pre_us) + limit;
            return;
        }
        phase = Phase::response;
        limit = o.timeouts.response;
        deadline = *sent_at + limit;
    };

    Outcome out;
    bool done = false;
    CURLcode result = CURLE_OK;
    while (true) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(multi.get(), &running);
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi.get(), &queued)) {
            if (msg->msg == CURLMSG_DONE) {
                done = true;
                result = msg->data.result;
            }
        }
        if (done) break;
        if (mc != CURLM_OK) {
            done = true;
            result = CURLE_OUT_OF_MEMORY;
            std::snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_multi_strerror(mc));
            break;
        }
        if (a.error) break;
        if (req.cancel && req.cancel->cancelled()) {
            out.kind = Outcome::cancelled;
            break;
        }
        const auto now = Clock::now();
        Phase phase;
        Clock::time_point deadline;
        milliseconds limit;
        current(now, phase, deadline, limit);
        if (now >= deadline) {
            out.kind = Outcome::timeout;
            out.phase = phase;
            switch (phase) {
            case Phase::connect: out.message = "could not connect within " + seconds_text(limit) + " (connect timeout)"; break;
            case Phase::tls: out.message = "no TLS handshake within " + seconds_text(limit) + " (tls timeout)"; break;
            case Phase::request: out.message = "request body not sent within " + seconds_text(limit) + " (body timeout)"; break;
            case Phase::response: out.message = "no response within " + seconds_text(limit) + " (response timeout)"; break;
            case Phase::body: out.message = "response body not received within " + seconds_text(limit) + " (body timeout)"; break;
            }
            out.sent = phase != Phase::connect && phase != Phase::tls;
            break;
        }
        auto wait = std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1);
        wait = std::clamp(wait, milliseconds(1), milliseconds(50));
        int numfds = 0;
        curl_multi_poll(multi.get(), nullptr, 0, static_cast<int>(wait.count()), &numfds);
    }

    // Where the transfer got to (for transport errors).
    {
        curl_off_t connect_us = info_us(CURLINFO_CONNECT_TIME_T);
        curl_off_t app_us = info_us(CURLINFO_APPCONNECT_TIME_T);
        curl_off_t pre_us = info_us(CURLINFO_PRETRANSFER_TIME_T);
        curl_off_t start_us = info_us(CURLINFO_STARTTRANSFER_TIME_T);
        const bool tcp = connect_us > 0 || a.tcp_connected || any_connected(a.sockets);
        Phase reached = start_us > 0 ? Phase::body
                        : pre_us > 0 ? (sent_at ? Phase::response : Phase::request)
                        : !tcp ? Phase::connect
                        : (ctx.https && app_us == 0) ? Phase::tls
                                                     : Phase::request;
        if (out.kind == Outcome::answered) {
            out.phase = reached;
            out.sent = pre_us > 0;
        }
    }
    curl_multi_remove_handle(multi.get(), e);

    if (a.error) std::rethrow_exception(a.error);
    if (out.kind != Outcome::answered) return out;

    out.code = result;
    if (result == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (status) a.status = status;
        char *eff = nullptr;
        if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) a.effective_url = eff;
        return out;
    }
    std::string text = errbuf[0] ? std::string(trim_sv(errbuf)) : std::string(curl_easy_strerror(result));
    out.kind = Outcome::transport;
    switch (result) {
    case CURLE_OPERATION_TIMEDOUT:
        // libcurl's own connect timeout (ours usually fires first).
        out.kind = Outcome::timeout;
        if (out.phase == Phase::tls)
            out.message = "no TLS handshake within " + seconds_text(o.timeouts.tls) + " (tls timeout)";
        else if (out.phase == Phase::connect)
            out.message = "could not connect within " + seconds_text(o.timeouts.connect) + " (connect timeout)";
        else
            out.message = text + " (" + phase_name(out.phase) + " timeout)";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        out.retryable = false;
        out.message = "TLS certificate of " + url_host(ctx.url) + " not trusted: " + text +
                      (o.ca_bundle.empty() ? " (set ca_bundle)" : " (check ca_bundle " + o.ca_bundle + ")");
        break;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
        out.kind = Outcome::config;
        out.message = "cannot use the TLS files: " + text + (o.ca_bundle.empty() ? "" : " (ca_bundle " + o.ca_bundle + ")");
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        out.kind = Outcome::config;
        out.message = "bad URL: " + text;
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        out.sent = false;
        out.message = text + " (" + phase_name(out.phase) + " phase)";
        break;
    default:
        out.message = text + " (" + phase_name(out.phase) + " phase)";
        break;
    }
    return out;
}

void default_sleep(milliseconds d, const CancelToken *cancel) {
    const auto end = Clock::now() + d;
    while (true) {
        if (cancel && cancel->cancelled()) return;
        auto now = Clock::now();
        if (now >= end) return;
        std::this_thread::sleep_for(std::min<Clock::duration>(end - now, milliseconds(50)));
    }
}

[[noreturn]] void throw_cancelled(const SendContext &ctx) {
    int code = ctx.req.cancel ? ctx.req.cancel->code() : WPH_ECANCELLED;
    if (code == 0) code = WPH_ECANCELLED;
    throw Error(code, ctx.o.provider, ctx.clean(ctx.prefix() + ": cancelled"));
}

}  // namespace

Response Client::send(Request req) const {
    const ClientOptions &o = options_;
    SendContext ctx{o, req, upper(req.method.empty() ? std::string("GET") : req.method), {}, {}, false, false, false};
    if (istarts_with(req.url, "https://") || istarts_with(req.url, "http://")) {
        ctx.url = req.url;
    } else {
        if (o.base_url.empty())
            throw Error(WPH_EINVALID, o.provider,
                        redact(o.provider + ": " + ctx.method + " " + req.url + ": a relative URL needs a base_url",
                               o.secrets));
        ctx.url = o.base_url + (req.url.empty() || req.url.front() == '/' || req.url.front() == '?' ? "" : "/") + req.url;
    }
    ctx.what = ctx.method + " " + url_path(ctx.url);
    ctx.https = istarts_with(ctx.url, "https://");
    ctx.idempotent = req.idempotent.value_or(idempotent_method(ctx.method));
    ctx.streamed = static_cast<bool>(req.body_reader);

    const RetryPolicy &p = o.retry;
    const int max_attempts = std::max(1, p.max_attempts);
    char errbuf[CURL_ERROR_SIZE];

    for (int attempt = 1;; ++attempt) {
        if (req.cancel && req.cancel->cancelled()) throw_cancelled(ctx);
        if (attempt > 1 && ctx.streamed && req.body_rewind) req.body_rewind();
        Attempt a;
        a.req = &req;
        const auto started = Clock::now();
        Outcome out = perform_once(ctx, a, errbuf);
        const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
        const bool last = attempt >= max_attempts;
        // A streamed body that was read cannot be sent again without a rewind;
        // bytes handed to on_data cannot be taken back.
        const bool can_repeat = !a.delivered && (!ctx.streamed || !a.read_called || req.body_rewind);

        auto log = [&](const std::string &result, std::optional<milliseconds> retry_in) {
            if (!o.log) return;
            std::string line = o.provider + " " + ctx.method + " " + ctx.url + " -> " + result + " (" +
                               std::to_string(ms) + " ms, attempt " + std::to_string(attempt) + ")";
            if (retry_in) line += ", retrying in " + std::to_string(retry_in->count()) + " ms";
            try {
                o.log(redact(line, o.secrets));
            } catch (...) {
                // A logger's failure is not the request's.
            }
        };
        auto after = [&]() { return attempt > 1 ? " (after " + std::to_string(attempt) + " attempts)" : std::string(); };
        auto wait = [&](milliseconds d) {
            if (o.sleep) o.sleep(d, req.cancel);
            else default_sleep(d, req.cancel);
            if (req.cancel && req.cancel->cancelled()) throw_cancelled(ctx);
        };

        if (out.kind == Outcome::cancelled) {
            log("cancelled", std::nullopt);
            throw_cancelled(ctx);
        }
        if (out.kind == Outcome::config) {
            log("error: " + out.message, std::nullopt);
            throw Error(WPH_EINVALID, o.provider, ctx.clean(ctx.prefix() + ": " + out.message));
        }
        if (out.kind == Outcome::transport || out.kind == Outcome::timeout) {
            const bool retry = !last && out.retryable && can_repeat && (!out.sent || ctx.idempotent);
            std::optional<milliseconds> delay;
            if (retry) delay = backoff_delay(p, attempt, random01(), std::nullopt);
            log("error: " + out.message, delay);
            if (!retry) {
                int code = out.kind == Outcome::timeout ? WPH_ETIMEOUT : WPH_EIO;
                throw Error(code, o.provider, ctx.clean(ctx.prefix() + ": " + out.message + after()));
            }
            wait(*delay);
            continue;
        }

        // An answer.
        Response r;
        r.status = a.status;
        r.headers = std::move(a.headers);
        r.body = std::move(a.body);
        r.attempts = attempt;
        r.provider = o.provider;
        r.what = ctx.what;
        r.url = a.effective_url.empty() ? ctx.url : a.effective_url;
        const bool accepted =
            std::find(req.accept_statuses.begin(), req.accept_statuses.end(), r.status) != req.accept_statuses.end();
        if (r.status < 400 || accepted) {
            log(std::to_string(r.status), std::nullopt);
            return r;
        }

        // Should it be tried again, and when?
        const std::int64_t now_s = now_epoch();
        std::optional<milliseconds> hint;
        if (auto ra = r.header("retry-after")) hint = parse_retry_after(*ra, now_s);
        bool retry = false;
        std::string wait_note;
        if (r.status == 429) {
            retry = true;
            if (!hint) {
                RateLimit rl = parse_rate_limit(r.headers, now_s);
                if (rl.reset_after_s && *rl.reset_after_s > 0)
                    hint = std::min(milliseconds(*rl.reset_after_s * 1000), p.max_retry_after);
            }
        } else if (r.status >= 500 && r.status <= 599) {
            retry = ctx.idempotent;
        }
        if (hint) wait_note = "the server asked to wait " + seconds_text(*hint);
        if (!can_repeat) retry = false;
        bool too_long = retry && hint && *hint > p.max_retry_after;
        if (retry && !last && !too_long) {
            milliseconds d = backoff_delay(p, attempt, random01(), hint);
            log(std::to_string(r.status), d);
            wait(d);
            continue;
        }
        log(std::to_string(r.status), std::nullopt);

        // The error.
        std::string provider_msg;
        {
            boost::json::value parsed;
            bool is_json = false;
            {
                boost::system::error_code ec;
                std::string_view b = trim_sv(r.body);
                if (!b.empty() && (b.front() == '{' || b.front() == '[')) {
                    parsed = boost::json::parse(b, ec);
                    is_json = !ec;
                }
            }
            try {
                if (o.error_message) provider_msg = o.error_message(r, is_json ? &parsed : nullptr);
                else provider_msg = generic_error_message(r, is_json ? &parsed : nullptr);
            } catch (...) {
                provider_msg = generic_error_message(r, is_json ? &parsed : nullptr);
            }
        }
        std::string reason = a.reason.empty() ? reason_phrase(r.status) : a.reason;
        std::string msg = ctx.prefix() + ": " + std::to_string(r.status) + (reason.empty() ? "" : " " + reason);
        if (r.status == 429) {
            msg += ": rate limited";
            if (too_long)
                msg += " (the server asked to wait " + seconds_text(*hint) + ", more than max_retry_after " +
                       seconds_text(p.max_retry_after) + ")";
            else if (!wait_note.empty())
                msg += " (" + wait_note + ")";
        } else if (too_long) {
            msg += " (the server asked to wait " + seconds_text(*hint) + ", more than max_retry_after " +
                   seconds_text(p.max_retry_after) + ")";
        }
        std::string pm(trim_sv(provider_msg));
        if (!pm.empty()) msg += ": " + one_line(pm, 1000);
        msg += after();
        throw Error(code_for_status(r.status), o.provider, ctx.clean(msg), static_cast<int>(r.status));
    }
}

namespace {
Request json_request(std::string method, std::string url, const CancelToken *cancel) {
    Request r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.cancel = cancel;
    r.headers.emplace_back("Accept", "application/json");
    return r;
}
}  // namespace

Response Client::get(std::string url, const CancelToken *cancel) const {
    return send(json_request("GET", std::move(url), cancel));
}

Response Client::del(std::string url, const CancelToken *cancel) const {
    return send(json_request("DELETE", std::move(url), cancel));
}

Response Client::post_json(std::string url, const boost::json::value &body, const CancelToken *cancel) const {
    Request r = json_request("POST", std::move(url), cancel);
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = boost::json::serialize(body);
    return send(std::move(r));
}

Response Client::put_json(std::string url, const boost::json::value &body, const CancelToken *cancel) const {
    Request r = json_request("PUT", std::move(url), cancel);
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = boost::json::serialize(body);
    return send(std::move(r));
}

Response Client::patch_json(std::string url, const boost::json::value &body, const CancelToken *cancel) const {
    Request r = json_request("PATCH", std::move(url), cancel);
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = boost::json::serialize(body);
    return send(std::move(r));
}

// ---- pagination ----

void paginate(const Client &client, std::string first_url, const std::function<void(const boost::json::value &page)> &each,
              const std::function<std::optional<std::string>(const Response &, const boost::json::value &)> &next,
              const CancelToken *cancel, int max_pages) {
    const ClientOptions &o = client.options();
    std::set<std::string> seen;
    std::string url = std::move(first_url);
    for (int page = 0;; ++page) {
        if (page >= max_pages)
            throw Error(WPH_EPROVIDER, o.provider,
                        redact(o.provider + ": GET " + url_path(url) + ": pagination goes past " +
                                   std::to_string(max_pages) + " pages",
                               o.secrets));
        // Relative and absolute spellings of one page are the same page.
        const std::string key = istarts_with(url, "https://") || istarts_with(url, "http://")
                                    ? url
                                    : o.base_url + (url.empty() || url.front() == '/' ? "" : "/") + url;
        if (!seen.insert(key).second)
            throw Error(WPH_EPROVIDER, o.provider,
                        redact(o.provider + ": GET " + url + ": pagination loops (the next page is one seen before)",
                               o.secrets));
        Response r = client.get(url, cancel);
        boost::json::value j = r.json();
        each(j);
        std::optional<std::string> n = next(r, j);
        if (!n || n->empty()) return;
        url = std::move(*n);
    }
}

// ---- configuration ----

namespace {

[[noreturn]] void config_error(std::string_view provider, const std::string &msg) {
    throw Error(WPH_EINVALID, std::string(provider), std::string(provider) + " config: " + msg);
}

std::optional<long long> json_integer(const boost::json::value &v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) return std::nullopt;
        return static_cast<long long>(v.get_uint64());
    }
    if (v.is_double()) {
        double d = v.get_double();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<long long>(d);
    }
    return std::nullopt;
}

}  // namespace

ClientOptions client_options_from_json(const boost::json::object &config, std::string provider,
                                       std::string default_endpoint) {
    ClientOptions o;
    o.provider = provider.empty() ? "http" : provider;
    const std::string &pv = o.provider;
    auto q = [](std::string_view f) { return "\"" + std::string(f) + "\""; };
    auto get_bool = [&](const boost::json::object &obj, std::string_view key, std::string_view name, bool dflt) {
        auto *v = obj.if_contains(key);
        if (!v || v->is_null()) return dflt;
        if (!v->is_bool()) config_error(pv, q(name) + " must be true or false");
        return v->get_bool();
    };
    auto get_string = [&](const boost::json::object &obj, std::string_view key,
                          std::string_view name) -> std::optional<std::string> {
        auto *v = obj.if_contains(key);
        if (!v || v->is_null()) return std::nullopt;
        if (!v->is_string()) config_error(pv, q(name) + " must be a string");
        return std::string(v->get_string());
    };
    auto get_ms = [&](const boost::json::object &obj, std::string_view key, std::string_view name, bool allow_zero,
                      milliseconds &out) {
        auto *v = obj.if_contains(key);
        if (!v || v->is_null()) return;
        auto n = json_integer(*v);
        constexpr long long max_ms = 7LL * 24 * 3600 * 1000;  // a week
        if (!n || *n < (allow_zero ? 0 : 1))
            config_error(pv, q(name) + (allow_zero ? " must be a non-negative integer" : " must be a positive integer") +
                                 " (milliseconds)");
        if (*n > max_ms) config_error(pv, q(name) + " must be at most " + std::to_string(max_ms) + " (a week)");
        out = milliseconds(*n);
    };
    auto get_object = [&](std::string_view key) -> const boost::json::object * {
        auto *v = config.if_contains(key);
        if (!v || v->is_null()) return nullptr;
        if (!v->is_object()) config_error(pv, q(key) + " must be an object");
        return &v->get_object();
    };

    const bool allow_http = get_bool(config, "allow_http", "allow_http", false);
    std::string endpoint = get_string(config, "endpoint", "endpoint").value_or(default_endpoint);
    {
        std::size_t scheme = endpoint.find("://");
        std::size_t keep = scheme == std::string::npos ? 0 : scheme + 3;
        while (endpoint.size() > keep && endpoint.back() == '/') endpoint.pop_back();
    }
    if (endpoint.empty()) config_error(pv, q("endpoint") + " is required");
    if (istarts_with(endpoint, "http://")) {
        if (!allow_http)
            config_error(pv, q("endpoint") + " must be an https:// URL (got \"" + endpoint +
                                 "\"; \"allow_http\": true allows http:// for tests)");
    } else if (!istarts_with(endpoint, "https://")) {
        config_error(pv, q("endpoint") + " must be an https:// URL (got \"" + endpoint + "\")");
    }
    if (endpoint.find_first_of(" \t\r\n") != std::string::npos)
        config_error(pv, q("endpoint") + " must not contain spaces");
    if (url_host(endpoint).empty()) config_error(pv, q("endpoint") + " has no host (got \"" + endpoint + "\")");
    o.base_url = endpoint;

    if (auto ca = get_string(config, "ca_bundle", "ca_bundle")) {
        if (ca->empty()) config_error(pv, q("ca_bundle") + " must not be empty");
        struct stat st {};
        if (::stat(ca->c_str(), &st) != 0)
            config_error(pv, q("ca_bundle") + " " + *ca + ": " + errno_text(errno));
        o.ca_bundle = *ca;
    }
    o.verify_tls = get_bool(config, "verify_tls", "verify_tls", true);
    if (auto ua = get_string(config, "user_agent", "user_agent")) o.user_agent = *ua;
    if (o.user_agent.empty()) o.user_agent = std::string("libwphost/") + WPH_VERSION_STRING;

    if (auto *t = get_object("timeouts")) {
        get_ms(*t, "connect_ms", "timeouts.connect_ms", false, o.timeouts.connect);
        get_ms(*t, "tls_ms", "timeouts.tls_ms", false, o.timeouts.tls);
        get_ms(*t, "response_ms", "timeouts.response_ms", false, o.timeouts.response);
        get_ms(*t, "body_ms", "timeouts.body_ms", false, o.timeouts.body);
    }
    if (auto *r = get_object("retry")) {
        if (auto *v = r->if_contains("max_attempts"); v && !v->is_null()) {
            auto n = json_integer(*v);
            if (!n || *n < 1 || *n > 100)
                config_error(pv, q("retry.max_attempts") + " must be an integer from 1 to 100");
            o.retry.max_attempts = static_cast<int>(*n);
        }
        get_ms(*r, "base_delay_ms", "retry.base_delay_ms", true, o.retry.base_delay);
        get_ms(*r, "max_delay_ms", "retry.max_delay_ms", true, o.retry.max_delay);
        get_ms(*r, "max_retry_after_ms", "retry.max_retry_after_ms", true, o.retry.max_retry_after);
    }
    if (auto *v = config.if_contains("resolve"); v && !v->is_null()) {
        if (!v->is_array()) config_error(pv, q("resolve") + " must be an array of \"host:port:address\" strings");
        std::size_t i = 0;
        for (const auto &e : v->get_array()) {
            std::string name = "resolve[" + std::to_string(i++) + "]";
            if (!e.is_string()) config_error(pv, q(name) + " must be a \"host:port:address\" string");
            std::string s(e.get_string());
            std::size_t c1 = s.find(':');
            std::size_t c2 = c1 == std::string::npos ? std::string::npos : s.find(':', c1 + 1);
            if (c1 == std::string::npos || c1 == 0 || c2 == std::string::npos || c2 == c1 + 1 || c2 + 1 >= s.size() ||
                s.find_first_of(" \t\r\n") != std::string::npos)
                config_error(pv, q(name) + " must be \"host:port:address\" (got \"" + s + "\")");
            o.resolve.push_back(std::move(s));
        }
    }
    return o;
}

std::string secret_from_json(const boost::json::object &config, std::string_view name, std::string_view provider,
                             bool required) {
    const std::string n(name), pv(provider.empty() ? std::string_view("http") : provider);
    const std::string file_key = n + "_file", env_key = n + "_env";
    auto q = [](const std::string &f) { return "\"" + f + "\""; };
    auto present = [&](const std::string &k) {
        auto *v = config.if_contains(k);
        return v && !v->is_null();
    };
    int given = present(n) + present(file_key) + present(env_key);
    if (given > 1) config_error(pv, "give only one of " + q(n) + ", " + q(file_key) + " and " + q(env_key));
    if (given == 0) {
        if (required) config_error(pv, q(n) + " (or " + q(file_key) + " or " + q(env_key) + ") is required");
        return {};
    }
    if (present(n)) {
        const auto &v = config.at(n);
        if (!v.is_string()) config_error(pv, q(n) + " must be a string");
        if (v.get_string().empty()) config_error(pv, q(n) + " must not be empty");
        return std::string(v.get_string());
    }
    if (present(env_key)) {
        const auto &v = config.at(env_key);
        if (!v.is_string() || v.get_string().empty()) config_error(pv, q(env_key) + " must be the name of an environment variable");
        std::string var(v.get_string());
        const char *val = std::getenv(var.c_str());
        if (!val || !*val) config_error(pv, q(env_key) + ": the environment variable " + var + " is not set");
        return val;
    }
    const auto &v = config.at(file_key);
    if (!v.is_string() || v.get_string().empty()) config_error(pv, q(file_key) + " must be a file path");
    std::string path(v.get_string());
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int err = errno;
        if (err == ENOENT) config_error(pv, q(file_key) + ": " + path + " does not exist");
        config_error(pv, q(file_key) + ": " + path + ": " + errno_text(err));
    }
    if (!S_ISREG(st.st_mode)) config_error(pv, q(file_key) + ": " + path + " is not a regular file");
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        config_error(pv, q(file_key) + ": " + path + " is readable by others (mode " + mode + "; chmod 600 it)");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) config_error(pv, q(file_key) + ": cannot read " + path + ": " + errno_text(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) config_error(pv, q(file_key) + ": " + path + " is empty");
    return s;
}

}  // namespace wph::http
