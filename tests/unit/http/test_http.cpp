// The HTTP layer (libwphost/http): its pure helpers, and the client against a
// scripted HTTP/1.1 server on 127.0.0.1 written here (POSIX sockets, one
// thread, one connection at a time).
#include "http/client.hpp"
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "../support.hpp"
#include "engine/error.hpp"
#include "engine/job.hpp"

using namespace wph::http;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// ---------------------------------------------------------------------------
// The scripted server.

struct Step {
    enum Mode {
        respond,      // write `raw`, close
        hang,         // read the request, answer nothing until the client goes
        close_early,  // write `raw` (a cut answer), close
        stall,        // write `raw` (headers and part of a body), then nothing
    } mode = respond;
    std::string raw;
    milliseconds delay{0};  // before answering
};

Step respond(std::string raw) { return {Step::respond, std::move(raw), 0ms}; }
Step hang() { return {Step::hang, {}, 0ms}; }

std::string answer(int status, std::string reason, std::string body, std::string extra_headers = {},
                   std::string content_type = "application/json") {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
    if (!content_type.empty()) r += "Content-Type: " + content_type + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += extra_headers;
    r += "Connection: close\r\n\r\n";
    return r + body;
}

// A self-signed certificate for 127.0.0.1 and a server context using it.
struct TlsIdentity {
    std::string cert_pem;
    SSL_CTX *ctx = nullptr;
    TlsIdentity() {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, key);
        X509_NAME *name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("127.0.0.1"), -1, -1, 0);
        X509_set_issuer_name(x, name);
        X509V3_CTX v3;
        X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
        for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
            X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
            X509_add_ext(x, ext, -1);
            X509_EXTENSION_free(ext);
        }
        X509_sign(x, key, EVP_sha256());
        BIO *bio = BIO_new(BIO_s_mem());
        PEM_write_bio_X509(bio, x);
        char *p = nullptr;
        long n = BIO_get_mem_data(bio, &p);
        cert_pem.assign(p, static_cast<std::size_t>(n));
        BIO_free(bio);
        ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(ctx, x);
        SSL_CTX_use_PrivateKey(ctx, key);
        X509_free(x);
        EVP_PKEY_free(key);
    }
    ~TlsIdentity() { SSL_CTX_free(ctx); }
    TlsIdentity(const TlsIdentity &) = delete;
    TlsIdentity &operator=(const TlsIdentity &) = delete;
};

// One accepted connection, plain or TLS.
struct Conn {
    int fd = -1;
    SSL *ssl = nullptr;
    bool readable(int ms) const {
        if (ssl && SSL_pending(ssl) > 0) return true;
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, ms) > 0;
    }
    ssize_t recv(char *buf, std::size_t n) const {
        if (!ssl) return ::recv(fd, buf, n, 0);
        int r = SSL_read(ssl, buf, static_cast<int>(n));
        return r > 0 ? r : -1;
    }
    ssize_t send(const char *buf, std::size_t n) const {
        if (!ssl) return ::send(fd, buf, n, MSG_NOSIGNAL);
        int r = SSL_write(ssl, buf, static_cast<int>(n));
        return r > 0 ? r : -1;
    }
};

class Server {
public:
    explicit Server(SSL_CTX *tls = nullptr) : tls_(tls) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~Server() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    void add(Step s) {
        std::lock_guard lk(mu_);
        steps_.push_back(std::move(s));
    }
    std::string url() const { return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_); }
    int failed_handshakes() const { return failed_handshakes_.load(); }
    int port() const { return port_; }
    std::vector<std::string> requests() const {
        std::lock_guard lk(mu_);
        return requests_;
    }
    std::size_t connections() const { return connections_.load(); }

private:
    bool wait_readable(int fd, int ms) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, ms) > 0;
    }

    // The request's head and body (Content-Length or chunked); what came
    // when the client went away first.
    std::string read_request(const Conn &c) {
        std::string in;
        char buf[8192];
        std::size_t head_end = std::string::npos;
        while (!stop_) {
            if (!c.readable(50)) continue;
            ssize_t n = c.recv(buf, sizeof buf);
            if (n <= 0) return in;
            in.append(buf, static_cast<std::size_t>(n));
            if (head_end == std::string::npos) head_end = in.find("\r\n\r\n");
            if (head_end == std::string::npos) continue;
            std::string head = in.substr(0, head_end);
            std::string lower = head;
            for (char &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            std::size_t cl = lower.find("\r\ncontent-length:");
            if (cl != std::string::npos) {
                std::size_t want = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
                if (in.size() >= head_end + 4 + want) return in;
            } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
                if (in.find("\r\n0\r\n\r\n", head_end) != std::string::npos) return in;
            } else {
                return in;
            }
        }
        return in;
    }

    void send_all(const Conn &c, std::string_view s) {
        while (!s.empty()) {
            ssize_t n = c.send(s.data(), s.size());
            if (n <= 0) return;
            s.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // Until the client closes (or the server stops).
    void wait_gone(const Conn &c) {
        char buf[4096];
        while (!stop_) {
            if (!c.readable(50)) continue;
            if (c.recv(buf, sizeof buf) <= 0) return;
        }
    }

    void run() {
        while (!stop_) {
            if (!wait_readable(fd_, 50)) continue;
            Conn c;
            c.fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c.fd < 0) continue;
            ++connections_;
            if (tls_) {
                timeval tv{2, 0};
                ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                c.ssl = SSL_new(tls_);
                SSL_set_fd(c.ssl, c.fd);
                if (SSL_accept(c.ssl) != 1) {  // the client refused the certificate: no request
                    ++failed_handshakes_;
                    SSL_free(c.ssl);
                    ::close(c.fd);
                    continue;
                }
            }
            std::string req = read_request(c);
            Step step;
            {
                std::lock_guard lk(mu_);
                requests_.push_back(req);
                if (steps_.empty()) {
                    step = respond(answer(500, "Internal Server Error", R"({"message":"no scripted answer left"})"));
                } else {
                    step = std::move(steps_.front());
                    steps_.pop_front();
                }
            }
            if (step.delay.count()) std::this_thread::sleep_for(step.delay);
            switch (step.mode) {
            case Step::respond:
            case Step::close_early: send_all(c, step.raw); break;
            case Step::hang: wait_gone(c); break;
            case Step::stall:
                send_all(c, step.raw);
                wait_gone(c);
                break;
            }
            if (c.ssl) {
                SSL_shutdown(c.ssl);
                SSL_free(c.ssl);
            }
            ::shutdown(c.fd, SHUT_RDWR);
            ::close(c.fd);
        }
    }

    SSL_CTX *tls_ = nullptr;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<int> failed_handshakes_{0};
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> connections_{0};
    mutable std::mutex mu_;
    std::deque<Step> steps_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

// Options for tests: fast retries, recorded sleeps, recorded log lines.
struct Recorder {
    std::mutex mu;
    std::vector<milliseconds> sleeps;
    std::vector<std::string> lines;
};

ClientOptions test_options(const Server &s, Recorder &rec, std::string provider = "hetzner") {
    ClientOptions o;
    o.provider = std::move(provider);
    o.base_url = s.url() + "/v1";
    o.retry.max_attempts = 3;
    o.retry.base_delay = 10ms;
    o.retry.max_delay = 100ms;
    o.sleep = [&rec](milliseconds d, const wph::CancelToken *) {
        std::lock_guard lk(rec.mu);
        rec.sleeps.push_back(d);
    };
    o.log = [&rec](std::string_view line) {
        std::lock_guard lk(rec.mu);
        rec.lines.emplace_back(line);
    };
    return o;
}

// The wph::Error a call throws (fails the test when it throws nothing).
template <class F>
wph::Error error_of(F &&f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e;
    }
    FAIL("no wph::Error thrown");
    return wph::Error(0, "", "");
}

bool contains(const std::string &s, std::string_view part) { return s.find(part) != std::string::npos; }

constexpr std::int64_t kNow = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

}  // namespace

// ===========================================================================
// Pure helpers

TEST_CASE("Retry-After: delta-seconds", "[http]") {
    CHECK(parse_retry_after("120", kNow) == milliseconds(120000));
    CHECK(parse_retry_after("0", kNow) == milliseconds(0));
    CHECK(parse_retry_after("  7 ", kNow) == milliseconds(7000));
    CHECK(parse_retry_after("99999999999999999999999", kNow).value() > milliseconds(0));
}

TEST_CASE("Retry-After: HTTP dates in all three forms", "[http]") {
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow - 30) == milliseconds(30000));
    CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", kNow - 30) == milliseconds(30000));
    CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", kNow - 30) == milliseconds(30000));
    // In the past: no wait.
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow + 100) == milliseconds(0));
    // A recent date, and the year 2000 rule of RFC 850 dates.
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 5) == milliseconds(5000));
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", 1445412480 - 5) == milliseconds(5000));
}

TEST_CASE("Retry-After: negative or garbage is nothing", "[http]") {
    for (const char *bad : {"", " ", "-5", "1.5", "soon", "5s", "Sun, 06 Nov 1994 08:49:37", "Sun, 32 Nov 1994 08:49:37 GMT",
                            "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 30 Feb 1994 08:00:00 GMT",
                            "Sun Nov  6 08:49:37", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT junk"}) {
        INFO(bad);
        CHECK_FALSE(parse_retry_after(bad, kNow).has_value());
    }
}

TEST_CASE("backoff: full jitter within min(max_delay, base * 2^(n-1))", "[http]") {
    RetryPolicy p;
    p.base_delay = 500ms;
    p.max_delay = 30000ms;
    CHECK(backoff_delay(p, 1, 0.0, std::nullopt) == 0ms);
    CHECK(backoff_delay(p, 1, 0.999, std::nullopt) == 499ms);
    CHECK(backoff_delay(p, 2, 0.999, std::nullopt) == 999ms);
    CHECK(backoff_delay(p, 3, 0.999, std::nullopt) == 1998ms);
    CHECK(backoff_delay(p, 10, 0.999, std::nullopt) == 29970ms);  // capped by max_delay
    CHECK(backoff_delay(p, 1000, 0.999, std::nullopt) == 29970ms);
    CHECK(backoff_delay(p, 1000, 0.0, std::nullopt) == 0ms);
    for (int n = 1; n < 70; ++n) {
        auto d = backoff_delay(p, n, 0.5, std::nullopt);
        CHECK(d >= 0ms);
        CHECK(d < p.max_delay);
    }
    // The server's hint is used as given (the caller compares it with max_retry_after).
    CHECK(backoff_delay(p, 1, 0.5, milliseconds(120000)) == 120000ms);
    CHECK(backoff_delay(p, 4, 0.0, milliseconds(0)) == 0ms);
    // Out-of-range randomness is clamped.
    CHECK(backoff_delay(p, 1, 1.0, std::nullopt) < 500ms);
    CHECK(backoff_delay(p, 1, -3.0, std::nullopt) == 0ms);
}

TEST_CASE("rate limits: epoch reset versus seconds", "[http]") {
    const std::int64_t now = 1700000000;
    SECTION("Hetzner: RateLimit-Reset is a UNIX time") {
        RateLimit rl = parse_rate_limit({{"ratelimit-limit", "3600"}, {"ratelimit-remaining", "0"},
                                         {"ratelimit-reset", std::to_string(now + 42)}},
                                        now);
        CHECK(rl.limit == 3600);
        CHECK(rl.remaining == 0);
        CHECK(rl.reset_after_s == 42);
    }
    SECTION("IETF draft: seconds") {
        RateLimit rl = parse_rate_limit({{"ratelimit-limit", "100, 100;w=60"}, {"ratelimit-reset", "30"}}, now);
        CHECK(rl.limit == 100);
        CHECK_FALSE(rl.remaining.has_value());
        CHECK(rl.reset_after_s == 30);
    }
    SECTION("X-RateLimit-Reset epoch in the past is 0") {
        RateLimit rl = parse_rate_limit({{"x-ratelimit-remaining", "5"}, {"x-ratelimit-reset", std::to_string(now - 10)}}, now);
        CHECK(rl.remaining == 5);
        CHECK(rl.reset_after_s == 0);
    }
    SECTION("fractions round up, garbage is ignored") {
        RateLimit rl = parse_rate_limit({{"x-ratelimit-reset-after", "1.2"}, {"x-ratelimit-limit", "lots"}}, now);
        CHECK(rl.reset_after_s == 2);
        CHECK_FALSE(rl.limit.has_value());
    }
    SECTION("the single RateLimit header") {
        RateLimit rl = parse_rate_limit({{"ratelimit", "limit=10, remaining=4, reset=7"}}, now);
        CHECK(rl.limit == 10);
        CHECK(rl.remaining == 4);
        CHECK(rl.reset_after_s == 7);
        RateLimit r2 = parse_rate_limit({{"ratelimit", "\"default\";r=50;t=30"}}, now);
        CHECK(r2.remaining == 50);
        CHECK(r2.reset_after_s == 30);
    }
    SECTION("nothing") {
        RateLimit rl = parse_rate_limit({{"content-type", "application/json"}}, now);
        CHECK_FALSE(rl.limit.has_value());
        CHECK_FALSE(rl.remaining.has_value());
        CHECK_FALSE(rl.reset_after_s.has_value());
    }
}

TEST_CASE("Link header", "[http]") {
    auto l = parse_link_header(R"(<https://api.example.com/v1/x?page=2>; rel="next", <https://api.example.com/v1/x?page=9>; rel="last")");
    CHECK(l.size() == 2);
    CHECK(l["next"] == "https://api.example.com/v1/x?page=2");
    CHECK(l["last"] == "https://api.example.com/v1/x?page=9");

    // Quoted parameters with commas and semicolons, several rels at once, case.
    auto m = parse_link_header(R"(<https://a/1>; title="a, b; c"; rel="Next Prev"   ,<https://a/2>;rel=last;type="x\"y")");
    CHECK(m["next"] == "https://a/1");
    CHECK(m["prev"] == "https://a/1");
    CHECK(m["last"] == "https://a/2");

    // The first of each rel wins; a link without rel counts for nothing.
    auto f = parse_link_header(R"(<https://a/1>; rel=next, <https://a/2>; rel=next, <https://a/3>)");
    CHECK(f.size() == 1);
    CHECK(f["next"] == "https://a/1");

    // Garbage in between is skipped.
    auto g = parse_link_header(R"(junk, <https://a/1> bad, <https://a/2>; rel="next")");
    CHECK(g.size() == 1);
    CHECK(g["next"] == "https://a/2");

    CHECK(parse_link_header("").empty());
    CHECK(parse_link_header("<unterminated").empty());
    CHECK(parse_link_header(R"(<https://a/1>; rel="next)").empty());
}

TEST_CASE("redact", "[http]") {
    SECTION("secrets") {
        CHECK(redact("token abc123 and abc123", {"abc123"}) == "token *** and ***");
        CHECK(redact("nothing", {"", "zzz"}) == "nothing");
        // The longer secret goes whole.
        CHECK(redact("key=abcdef", {"abc", "abcdef"}) == "key=***");
        // Overlapping secrets are hidden together; "***" never matches again
        // (a secret "*" used to triple the text per copy).
        CHECK(redact("xabcdy", {"abc", "cd"}) == "x***y");
        CHECK(redact("a*b**c", std::vector<std::string>(40, "*")) == "a***b***c");
    }
    SECTION("header lines") {
        CHECK(redact("Authorization: Bearer xyz\r\nAccept: */*", {}) == "Authorization: ***\r\nAccept: */*");
        CHECK(redact("> proxy-authorization: Basic Zm9v\n", {}) == "> proxy-authorization: ***\n");
        CHECK(redact("Cookie: a=b; c=d", {}) == "Cookie: ***");
        CHECK(redact("X-Auth-Key: 12345", {}) == "X-Auth-Key: ***");
        CHECK(redact("X-Amz-Security-Token: FwoG", {}) == "X-Amz-Security-Token: ***");
        CHECK(redact("Content-Type: application/json", {}) == "Content-Type: application/json");
    }
    SECTION("query parameters") {
        CHECK(redact("GET https://b.s3/x?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=deadbeef&n=1",
                     {}) == "GET https://b.s3/x?X-Amz-Algorithm=AWS4&X-Amz-Credential=***&X-Amz-Signature=***&n=1");
        CHECK(redact("/x?key=abc&page=2", {}) == "/x?key=***&page=2");
        CHECK(redact("/x?monkey=abc", {}) == "/x?monkey=abc");
        CHECK(redact("user=a&password=hunter2", {}) == "user=a&password=***");
        CHECK(redact("/x?access_token=abc#frag", {}) == "/x?access_token=***#frag");
    }
    SECTION("JSON fields") {
        CHECK(redact(R"({"user":"a","password":"x"})", {}) == R"({"user":"a","password":"***"})");
        CHECK(redact(R"({"Private_Key" : "-----BEGIN \"q\" KEY-----", "n": 1})", {}) ==
              R"({"Private_Key" : "***", "n": 1})");
        CHECK(redact(R"({"api_token":"t","key":"k","keys":"ok","client_secret":"s"})", {}) ==
              R"({"api_token":"***","key":"***","keys":"ok","client_secret":"***"})");
        CHECK(redact(R"({"token": 12})", {}) == R"({"token": 12})");
        CHECK(redact(R"({"token": "unterminated)", {}) == R"({"token": "***)");
    }
}

TEST_CASE("url_encode and query_string", "[http]") {
    CHECK(url_encode("a b") == "a%20b");
    CHECK(url_encode("a/b") == "a%2Fb");
    CHECK(url_encode("a/b", true) == "a/b");
    CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(url_encode("é€") == "%C3%A9%E2%82%AC");
    CHECK(url_encode("a+b=c&d?") == "a%2Bb%3Dc%26d%3F");
    CHECK(url_encode(std::string("\0\xff", 2)) == "%00%FF");
    CHECK(query_string({{"name", "web 1"}, {"label_selector", "env=prod"}, {"page", "2"}}) ==
          "name=web%201&label_selector=env%3Dprod&page=2");
    CHECK(query_string({}).empty());
}

TEST_CASE("Response: header, rate_limit, json", "[http]") {
    Response r;
    r.status = 200;
    r.provider = "hetzner";
    r.what = "GET /v1/servers";
    r.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}, {"ratelimit-remaining", "9"}};
    CHECK(r.header("X-A") == "1");
    CHECK_FALSE(r.header("x-b").has_value());
    CHECK(r.rate_limit().remaining == 9);

    r.body = R"({"servers":[1,2]})";
    CHECK(r.json().at("servers").as_array().size() == 2);

    r.body = R"({"servers":[1,2)";
    auto e = error_of([&] { r.json(); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(e.category() == "hetzner");
    CHECK(e.http_status() == 200);
    CHECK(contains(e.message(), "hetzner: GET /v1/servers: answer is not valid JSON (truncated at byte 15: incomplete JSON)"));

    r.body = R"({"servers":[1,,2]})";
    e = error_of([&] { r.json(); });
    CHECK(contains(e.message(), "malformed at byte 14: syntax error)"));

    r.body = R"({"a":1} {"b":2})";
    e = error_of([&] { r.json(); });
    CHECK(contains(e.message(), "malformed at byte 8"));

    r.body = "";
    e = error_of([&] { r.json(); });
    CHECK(contains(e.message(), "empty body"));
}

TEST_CASE("client_options_from_json", "[http]") {
    auto parse = [](std::string_view text) { return boost::json::parse(text).as_object(); };
    auto err = [&](std::string_view text) {
        return error_of([&] { client_options_from_json(parse(text), "hetzner", "https://api.hetzner.cloud/v1"); });
    };
    SECTION("defaults") {
        ClientOptions o = client_options_from_json(parse("{}"), "hetzner", "https://api.hetzner.cloud/v1/");
        CHECK(o.provider == "hetzner");
        CHECK(o.base_url == "https://api.hetzner.cloud/v1");
        CHECK(o.verify_tls);
        CHECK(o.user_agent.rfind("libwphost/", 0) == 0);
        CHECK(o.timeouts.connect == 10000ms);
        CHECK(o.retry.max_attempts == 5);
    }
    SECTION("everything") {
        ClientOptions o = client_options_from_json(
            parse(R"({"endpoint":"http://127.0.0.1:8080/v1//","allow_http":true,"verify_tls":false,
                      "timeouts":{"connect_ms":1,"tls_ms":2,"response_ms":3,"body_ms":4},
                      "retry":{"max_attempts":1,"base_delay_ms":0,"max_delay_ms":5,"max_retry_after_ms":6},
                      "user_agent":"ua/1","resolve":["api.x:443:127.0.0.1"],"token":"ignored"})"),
            "hetzner", "https://api.hetzner.cloud/v1");
        CHECK(o.base_url == "http://127.0.0.1:8080/v1");
        CHECK_FALSE(o.verify_tls);
        CHECK(o.timeouts.connect == 1ms);
        CHECK(o.timeouts.tls == 2ms);
        CHECK(o.timeouts.response == 3ms);
        CHECK(o.timeouts.body == 4ms);
        CHECK(o.retry.max_attempts == 1);
        CHECK(o.retry.base_delay == 0ms);
        CHECK(o.retry.max_delay == 5ms);
        CHECK(o.retry.max_retry_after == 6ms);
        CHECK(o.user_agent == "ua/1");
        CHECK(o.resolve == std::vector<std::string>{"api.x:443:127.0.0.1"});
    }
    SECTION("errors name the field") {
        auto e = err(R"({"timeouts":{"connect_ms":0}})");
        CHECK(e.code() == WPH_EINVALID);
        CHECK(e.category() == "hetzner");
        CHECK(e.message() == "hetzner config: \"timeouts.connect_ms\" must be a positive integer (milliseconds)");
        CHECK(contains(err(R"({"timeouts":{"body_ms":"10"}})").message(), "\"timeouts.body_ms\" must be a positive integer"));
        CHECK(contains(err(R"({"timeouts":{"tls_ms":1.5}})").message(), "\"timeouts.tls_ms\""));
        CHECK(contains(err(R"({"timeouts":5})").message(), "\"timeouts\" must be an object"));
        CHECK(contains(err(R"({"retry":{"max_attempts":0}})").message(), "\"retry.max_attempts\" must be an integer from 1"));
        CHECK(contains(err(R"({"retry":{"base_delay_ms":-1}})").message(), "\"retry.base_delay_ms\" must be a non-negative"));
        CHECK(contains(err(R"({"endpoint":"http://api.x"})").message(), "\"endpoint\" must be an https:// URL"));
        CHECK(contains(err(R"({"endpoint":"ftp://api.x"})").message(), "\"endpoint\" must be an https:// URL"));
        CHECK(contains(err(R"({"endpoint":"https://"})").message(), "\"endpoint\" has no host"));
        CHECK(contains(err(R"({"endpoint":7})").message(), "\"endpoint\" must be a string"));
        CHECK(contains(err(R"({"verify_tls":"no"})").message(), "\"verify_tls\" must be true or false"));
        CHECK(contains(err(R"({"resolve":"a:1:b"})").message(), "\"resolve\" must be an array"));
        CHECK(contains(err(R"({"resolve":["a:1"]})").message(), "\"resolve[0]\" must be \"host:port:address\""));
        CHECK(contains(err(R"({"ca_bundle":"/nonexistent/ca.pem"})").message(), "\"ca_bundle\" /nonexistent/ca.pem"));
        auto none = error_of([&] { client_options_from_json(parse("{}"), "s3", ""); });
        CHECK(none.message() == "s3 config: \"endpoint\" is required");
    }
}

TEST_CASE("secret_from_json", "[http]") {
    wph::test::TempDir dir("wph-http");
    auto parse = [](const std::string &text) { return boost::json::parse(text).as_object(); };
    const std::string path = (dir.path / "token").string();
    {
        std::ofstream f(path);
        f << "s3cr3t\n\n";
    }
    SECTION("inline, file, environment") {
        CHECK(secret_from_json(parse(R"({"token":"abc"})"), "token", "hetzner") == "abc");
        ::chmod(path.c_str(), 0600);
        CHECK(secret_from_json(parse(R"({"token_file":")" + path + R"("})"), "token", "hetzner") == "s3cr3t");
        ::setenv("WPH_HTTP_TEST_TOKEN", "from-env", 1);
        CHECK(secret_from_json(parse(R"({"token_env":"WPH_HTTP_TEST_TOKEN"})"), "token", "hetzner") == "from-env");
        ::unsetenv("WPH_HTTP_TEST_TOKEN");
        CHECK(secret_from_json(parse("{}"), "token", "hetzner", false).empty());
    }
    SECTION("a file others can read is refused") {
        ::chmod(path.c_str(), 0644);
        auto e = error_of([&] { secret_from_json(parse(R"({"token_file":")" + path + R"("})"), "token", "hetzner"); });
        CHECK(e.code() == WPH_EINVALID);
        CHECK(contains(e.message(), path + " is readable by others"));
        CHECK(contains(e.message(), "chmod 600 it"));
        ::chmod(path.c_str(), 0640);
        CHECK(error_of([&] { secret_from_json(parse(R"({"token_file":")" + path + R"("})"), "token", "x"); }).code() ==
              WPH_EINVALID);
    }
    SECTION("errors") {
        auto missing = error_of([&] { secret_from_json(parse(R"({"token_file":"/nonexistent/t"})"), "token", "hetzner"); });
        CHECK(missing.code() == WPH_EINVALID);
        CHECK(contains(missing.message(), "/nonexistent/t does not exist"));
        auto none = error_of([&] { secret_from_json(parse("{}"), "api_key", "cloudflare"); });
        CHECK(none.message() == "cloudflare config: \"api_key\" (or \"api_key_file\" or \"api_key_env\") is required");
        CHECK(contains(error_of([&] { secret_from_json(parse(R"({"token":5})"), "token", "x"); }).message(),
                       "\"token\" must be a string"));
        CHECK(contains(error_of([&] { secret_from_json(parse(R"({"token":"a","token_env":"B"})"), "token", "x"); }).message(),
                       "give only one of"));
        ::unsetenv("WPH_HTTP_TEST_UNSET");
        CHECK(contains(error_of([&] { secret_from_json(parse(R"({"token_env":"WPH_HTTP_TEST_UNSET"})"), "token", "x"); })
                           .message(),
                       "WPH_HTTP_TEST_UNSET is not set"));
        std::ofstream(path, std::ios::trunc) << "\n";
        ::chmod(path.c_str(), 0600);
        CHECK(contains(error_of([&] { secret_from_json(parse(R"({"token_file":")" + path + R"("})"), "token", "x"); })
                           .message(),
                       "is empty"));
    }
}

// ===========================================================================
// The client against the scripted server

TEST_CASE("client: a plain GET with headers, user agent and the effective URL", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(200, "OK", R"({"servers":[]})", "X-Thing:   spaced value  \r\n")));
    ClientOptions o = test_options(s, rec);
    o.default_headers = {{"Authorization", "Bearer tok-123"}, {"X-Default", "d"}};
    Client c(o);
    Response r = c.get("/servers?page=1");
    CHECK(r.status == 200);
    CHECK(r.attempts == 1);
    CHECK(r.header("x-thing") == "spaced value");
    CHECK(r.url == s.url() + "/v1/servers?page=1");
    CHECK(r.what == "GET /v1/servers");
    CHECK(r.json().at("servers").as_array().empty());
    auto reqs = s.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].rfind("GET /v1/servers?page=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(contains(reqs[0], "Authorization: Bearer tok-123\r\n"));
    CHECK(contains(reqs[0], "User-Agent: libwphost/"));
    CHECK(contains(reqs[0], "Accept: application/json\r\n"));
    CHECK(contains(reqs[0], "Accept-Encoding: "));
}

TEST_CASE("client: POST JSON sends the body with its type, request headers override defaults", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(201, "Created", R"({"id":1})")));
    s.add(respond(answer(204, "No Content", "", "", "")));
    ClientOptions o = test_options(s, rec);
    o.default_headers = {{"X-Who", "default"}};
    Client c(o);
    Response r = c.post_json("/servers", boost::json::value{{"name", "web1"}});
    CHECK(r.status == 201);
    Request raw;
    raw.method = "put";
    raw.url = "/raw";
    raw.body = "plain";
    raw.headers = {{"x-who", "request"}};
    CHECK(c.send(raw).status == 204);
    auto reqs = s.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].rfind("POST /v1/servers HTTP/1.1", 0) == 0);
    CHECK(contains(reqs[0], "Content-Type: application/json\r\n"));
    CHECK(contains(reqs[0], "\r\n\r\n{\"name\":\"web1\"}"));
    CHECK(reqs[1].rfind("PUT /v1/raw HTTP/1.1", 0) == 0);
    CHECK_FALSE(contains(reqs[1], "x-www-form-urlencoded"));
    CHECK(contains(reqs[1], "x-who: request\r\n"));
    CHECK_FALSE(contains(reqs[1], "X-Who: default"));
    CHECK(contains(reqs[1], "\r\n\r\nplain"));
}

TEST_CASE("client: 429 with Retry-After is waited for, then 200", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(429, "Too Many Requests", R"({"message":"slow down"})", "Retry-After: 1\r\n")));
    s.add(respond(answer(200, "OK", "{}")));
    ClientOptions o = test_options(s, rec);
    o.default_headers = {{"Authorization", "Bearer tok-secret-1"}};
    o.secrets = {"tok-secret-1"};
    Client c(o);
    Response r = c.post_json("/servers", boost::json::object{});  // 429 is retried even for POST
    CHECK(r.status == 200);
    CHECK(r.attempts == 2);
    REQUIRE(rec.sleeps.size() == 1);
    CHECK(rec.sleeps[0] == 1000ms);
    REQUIRE(rec.lines.size() == 2);
    CHECK(rec.lines[0].rfind("hetzner POST " + s.url() + "/v1/servers -> 429 (", 0) == 0);
    CHECK(contains(rec.lines[0], " ms, attempt 1), retrying in 1000 ms"));
    CHECK(contains(rec.lines[1], "-> 200 ("));
    CHECK(contains(rec.lines[1], "attempt 2)"));
}

TEST_CASE("client: 429 waits for the rate-limit reset when there is no Retry-After", "[http][io]") {
    Server s;
    Recorder rec;
    const auto reset = std::time(nullptr) + 20;
    s.add(respond(answer(429, "Too Many Requests", "{}",
                         "RateLimit-Limit: 3600\r\nRateLimit-Remaining: 0\r\nRateLimit-Reset: " + std::to_string(reset) + "\r\n")));
    s.add(respond(answer(200, "OK", "{}")));
    Client c(test_options(s, rec));
    CHECK(c.get("/x").attempts == 2);
    REQUIRE(rec.sleeps.size() == 1);
    CHECK(rec.sleeps[0] >= 18000ms);
    CHECK(rec.sleeps[0] <= 21000ms);
}

TEST_CASE("client: a Retry-After longer than max_retry_after is an error at once", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(429, "Too Many Requests", R"({"error":{"code":"rate_limit_exceeded","message":"limit reached"}})",
                         "Retry-After: 3600\r\n")));
    ClientOptions o = test_options(s, rec);
    o.retry.max_retry_after = 60000ms;
    Client c(o);
    auto e = error_of([&] { c.get("/servers"); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(e.http_status() == 429);
    CHECK(e.message() == "hetzner: GET /v1/servers: 429 Too Many Requests: rate limited (the server asked to wait 3600 s, "
                         "more than max_retry_after 60 s): limit reached (rate_limit_exceeded)");
    CHECK(rec.sleeps.empty());
    CHECK(s.requests().size() == 1);
}

TEST_CASE("client: 429 on every attempt says so", "[http][io]") {
    Server s;
    Recorder rec;
    for (int i = 0; i < 3; ++i) s.add(respond(answer(429, "Too Many Requests", "{}", "Retry-After: 2\r\n")));
    Client c(test_options(s, rec));
    auto e = error_of([&] { c.get("/servers"); });
    CHECK(e.http_status() == 429);
    CHECK(e.message() == "hetzner: GET /v1/servers: 429 Too Many Requests: rate limited (the server asked to wait 2 s) (after 3 attempts)");
    CHECK(rec.sleeps == std::vector<milliseconds>{2000ms, 2000ms});
}

TEST_CASE("client: 503, 503, 200 for GET", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(503, "Service Unavailable", "busy", "", "text/plain")));
    s.add(respond(answer(503, "Service Unavailable", "busy", "", "text/plain")));
    s.add(respond(answer(200, "OK", R"({"ok":true})")));
    Client c(test_options(s, rec));
    Response r = c.get("/servers");
    CHECK(r.status == 200);
    CHECK(r.attempts == 3);
    REQUIRE(rec.sleeps.size() == 2);
    CHECK(rec.sleeps[0] < 10ms);   // random(0, base)
    CHECK(rec.sleeps[1] < 20ms);   // random(0, 2 base)
}

TEST_CASE("client: 5xx after the last attempt carries the text body", "[http][io]") {
    Server s;
    Recorder rec;
    for (int i = 0; i < 3; ++i) s.add(respond(answer(502, "Bad Gateway", "<html><title>502 Bad Gateway</title></html>", "", "text/html")));
    Client c(test_options(s, rec));
    auto e = error_of([&] { c.get("/servers"); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(e.message() == "hetzner: GET /v1/servers: 502 Bad Gateway: 502 Bad Gateway (after 3 attempts)");
}

TEST_CASE("client: 500 for POST is not retried", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(500, "Internal Server Error", R"({"error":{"message":"boom","code":"server_error"}})")));
    Client c(test_options(s, rec));
    auto e = error_of([&] { c.post_json("/servers", boost::json::object{}); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(e.http_status() == 500);
    CHECK(e.message() == "hetzner: POST /v1/servers: 500 Internal Server Error: boom (server_error)");
    CHECK(s.requests().size() == 1);
    CHECK(rec.sleeps.empty());

    // Unless the request says it is idempotent (the 200 above is still queued).
    s.add(respond(answer(500, "Internal Server Error", "{}")));
    s.add(respond(answer(200, "OK", "{}")));
    Request r;
    r.method = "POST";
    r.url = "/actions";
    r.idempotent = true;
    CHECK(c.send(r).attempts == 2);
}

TEST_CASE("client: connection refused is retried, then WPH_EIO", "[http][io]") {
    int port;
    {
        // A port nobody listens on: bind, note, close.
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
        port = ntohs(a.sin_port);
        ::close(fd);
    }
    Recorder rec;
    ClientOptions o;
    o.provider = "digitalocean";
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.retry.max_attempts = 3;
    o.retry.base_delay = 1ms;
    o.sleep = [&](milliseconds d, const wph::CancelToken *) { rec.sleeps.push_back(d); };
    Client c(o);
    // Even a POST: the request never left.
    auto e = error_of([&] { c.post_json("/v2/droplets", boost::json::object{}); });
    CHECK(e.code() == WPH_EIO);
    CHECK(e.category() == "digitalocean");
    CHECK(e.http_status() == 0);
    CHECK(contains(e.message(), "digitalocean: POST /v2/droplets: "));
    CHECK(contains(e.message(), "onnect"));
    CHECK(contains(e.message(), "(after 3 attempts)"));
    CHECK(rec.sleeps.size() == 2);
}

TEST_CASE("client: response timeout names the phase", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(hang());
    ClientOptions o = test_options(s, rec);
    o.retry.max_attempts = 1;
    o.timeouts.response = 300ms;
    Client c(o);
    auto t0 = std::chrono::steady_clock::now();
    auto e = error_of([&] { c.get("/servers"); });
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(e.code() == WPH_ETIMEOUT);
    CHECK(e.message() == "hetzner: GET /v1/servers: no response within 0.3 s (response timeout)");
    CHECK(took >= 290ms);
    CHECK(took < 1500ms);
}

TEST_CASE("client: a response timeout is retried for GET, not for POST", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(hang());
    s.add(respond(answer(200, "OK", "{}")));
    ClientOptions o = test_options(s, rec);
    o.timeouts.response = 150ms;
    Client c(o);
    CHECK(c.get("/x").attempts == 2);
    s.add(hang());
    auto e = error_of([&] { c.post_json("/x", boost::json::object{}); });
    CHECK(e.code() == WPH_ETIMEOUT);
    CHECK_FALSE(contains(e.message(), "after"));
}

TEST_CASE("client: body timeout", "[http][io]") {
    Server s;
    Recorder rec;
    s.add({Step::stall, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":", 0ms});
    ClientOptions o = test_options(s, rec);
    o.retry.max_attempts = 1;
    o.timeouts.body = 300ms;
    Client c(o);
    auto e = error_of([&] { c.get("/servers"); });
    CHECK(e.code() == WPH_ETIMEOUT);
    CHECK(e.message() == "hetzner: GET /v1/servers: response body not received within 0.3 s (body timeout)");
}

TEST_CASE("client: cancel during a hang ends quickly", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(hang());
    ClientOptions o = test_options(s, rec);
    Client c(o);
    wph::CancelToken token;
    std::thread canceller([&] {
        std::this_thread::sleep_for(150ms);
        token.cancel();
    });
    auto t0 = std::chrono::steady_clock::now();
    auto e = error_of([&] { c.get("/servers", &token); });
    auto took = std::chrono::steady_clock::now() - t0;
    canceller.join();
    CHECK(e.code() == WPH_ECANCELLED);
    CHECK(e.message() == "hetzner: GET /v1/servers: cancelled");
    CHECK(took < 600ms);
    CHECK(s.requests().size() == 1);  // not retried

    // Cancelled before it starts: nothing is sent.
    CHECK(error_of([&] { c.get("/servers", &token); }).code() == WPH_ECANCELLED);
    CHECK(s.requests().size() == 1);
}

TEST_CASE("client: the default sleep wakes on cancel", "[http][io]") {
    Server s;
    s.add(respond(answer(503, "Service Unavailable", "{}", "Retry-After: 60\r\n")));
    ClientOptions o;
    o.base_url = s.url();
    wph::CancelToken token;
    Client c(o);
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        token.cancel();
    });
    auto t0 = std::chrono::steady_clock::now();
    auto e = error_of([&] { c.get("/x", &token); });
    canceller.join();
    CHECK(e.code() == WPH_ECANCELLED);
    CHECK(std::chrono::steady_clock::now() - t0 < 1000ms);
}

TEST_CASE("client: statuses map to codes with the provider's message", "[http][io]") {
    Server s;
    Recorder rec;
    Client c(test_options(s, rec));
    SECTION("404") {
        s.add(respond(answer(404, "Not Found", R"({"error":{"code":"not_found","message":"server 42 not found"}})")));
        auto e = error_of([&] { c.get("/servers/42"); });
        CHECK(e.code() == WPH_ENOTFOUND);
        CHECK(e.http_status() == 404);
        CHECK(e.category() == "hetzner");
        CHECK(e.message() == "hetzner: GET /v1/servers/42: 404 Not Found: server 42 not found (not_found)");
    }
    SECTION("401") {
        s.add(respond(answer(401, "Unauthorized", R"({"id":"unauthorized","message":"Unable to authenticate you"})")));
        auto e = error_of([&] { c.get("/account"); });
        CHECK(e.code() == WPH_EAUTH);
        CHECK(e.message() == "hetzner: GET /v1/account: 401 Unauthorized: Unable to authenticate you");
    }
    SECTION("403, 409, 400, 422") {
        s.add(respond(answer(403, "Forbidden", R"({"errors":[{"code":10000,"message":"Authentication error"}]})")));
        s.add(respond(answer(409, "Conflict", R"({"error":"already exists"})")));
        s.add(respond(answer(400, "Bad Request", R"({"type":"urn:ietf:params:acme:error:malformed","detail":"bad CSR"})",
                             "", "application/problem+json")));
        s.add(respond(answer(422, "Unprocessable Entity", R"({"title":"invalid input"})")));
        auto e = error_of([&] { c.get("/a"); });
        CHECK(e.code() == WPH_EAUTH);
        CHECK(e.message() == "hetzner: GET /v1/a: 403 Forbidden: Authentication error (10000)");
        e = error_of([&] { c.get("/b"); });
        CHECK(e.code() == WPH_ECONFLICT);
        CHECK(e.message() == "hetzner: GET /v1/b: 409 Conflict: already exists");
        e = error_of([&] { c.get("/c"); });
        CHECK(e.code() == WPH_EINVALID);
        CHECK(e.message() == "hetzner: GET /v1/c: 400 Bad Request: bad CSR (urn:ietf:params:acme:error:malformed)");
        e = error_of([&] { c.get("/d"); });
        CHECK(e.code() == WPH_EINVALID);
        CHECK(e.message() == "hetzner: GET /v1/d: 422 Unprocessable Entity: invalid input");
    }
    SECTION("S3-style XML") {
        s.add(respond(answer(404, "Not Found",
                             "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The key does not exist</Message></Error>",
                             "", "application/xml")));
        auto e = error_of([&] { c.get("/bucket/k"); });
        CHECK(e.message() == "hetzner: GET /v1/bucket/k: 404 Not Found: The key does not exist (NoSuchKey)");
    }
    SECTION("a provider's own extractor, and secrets in messages") {
        ClientOptions o = test_options(s, rec, "cloudflare");
        o.secrets = {"sekrit"};
        o.error_message = [](const Response &r, const boost::json::value *j) {
            return "custom " + std::to_string(r.status) + (j ? " json" : " text");
        };
        Client cf(o);
        s.add(respond(answer(400, "Bad Request", "{}")));
        CHECK(error_of([&] { cf.get("/zones"); }).message() == "cloudflare: GET /v1/zones: 400 Bad Request: custom 400 json");
        s.add(respond(answer(400, "Bad Request", R"({"message":"token sekrit is invalid"})")));
        o.error_message = nullptr;
        Client cf2(o);
        CHECK(error_of([&] { cf2.get("/zones"); }).message() == "cloudflare: GET /v1/zones: 400 Bad Request: token *** is invalid");
    }
}

TEST_CASE("client: accept_statuses", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(404, "Not Found", R"({"message":"no"})")));
    Client c(test_options(s, rec));
    Request r;
    r.url = "/servers/1";
    r.accept_statuses = {404};
    Response resp = c.send(r);
    CHECK(resp.status == 404);
    CHECK(resp.body == R"({"message":"no"})");
}

TEST_CASE("client: malformed and truncated JSON answers", "[http][io]") {
    Server s;
    Recorder rec;
    Client c(test_options(s, rec));
    s.add(respond(answer(200, "OK", R"({"servers": [1, 2,, 3]})")));
    auto e = error_of([&] { c.get("/servers").json(); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(e.http_status() == 200);
    CHECK(contains(e.message(), "hetzner: GET /v1/servers: answer is not valid JSON (malformed at byte 18: "));

    // A body whose length matches its Content-Length but whose JSON is cut.
    s.add(respond(answer(200, "OK", R"({"servers": [{"id": 1}, {"id")")));
    e = error_of([&] { c.get("/servers").json(); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(contains(e.message(), "answer is not valid JSON (truncated at byte 29: "));
}

TEST_CASE("client: a connection closed mid-body", "[http][io]") {
    Server s;
    Recorder rec;
    Client c(test_options(s, rec));
    const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":1";
    s.add({Step::close_early, cut, 0ms});
    s.add(respond(answer(200, "OK", R"({"a":1})")));
    CHECK(c.get("/x").attempts == 2);  // GET: again

    s.add({Step::close_early, cut, 0ms});
    auto e = error_of([&] { c.post_json("/x", boost::json::object{}); });  // POST: not again
    CHECK(e.code() == WPH_EIO);
    CHECK(contains(e.message(), "hetzner: POST /v1/x: "));
    CHECK(contains(e.message(), "(body phase)"));
}

TEST_CASE("client: headers of the last response only, lower-cased", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond("HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n" + answer(200, "OK", "{}", "X-Late:  2 \r\n")));
    Client c(test_options(s, rec));
    Response r = c.get("/x");
    CHECK(r.status == 200);
    CHECK_FALSE(r.header("x-early").has_value());
    CHECK(r.header("X-LATE") == "2");
    for (const auto &[k, v] : r.headers)
        for (char ch : k) CHECK_FALSE((ch >= 'A' && ch <= 'Z'));
}

TEST_CASE("client: streaming bodies both ways", "[http][io]") {
    Server s;
    Recorder rec;
    Client c(test_options(s, rec));
    std::string big(200000, 'x');
    for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);

    SECTION("upload from a reader, download to on_data") {
        s.add(respond(answer(200, "OK", big, "", "application/octet-stream")));
        std::size_t off = 0;
        std::string got;
        Request r;
        r.method = "PUT";
        r.url = "/bucket/obj";
        r.body_size = static_cast<std::int64_t>(big.size());
        r.body_reader = [&](char *buf, std::size_t n) {
            std::size_t k = std::min(n, big.size() - off);
            std::memcpy(buf, big.data() + off, k);
            off += k;
            return k;
        };
        r.on_data = [&](std::string_view d) { got.append(d); };
        Response resp = c.send(r);
        CHECK(resp.status == 200);
        CHECK(resp.body.empty());
        CHECK(got == big);
        auto reqs = s.requests();
        REQUIRE(reqs.size() == 1);
        CHECK(reqs[0].rfind("PUT /v1/bucket/obj HTTP/1.1", 0) == 0);
        CHECK(contains(reqs[0], "Content-Length: 200000\r\n"));
        CHECK(reqs[0].substr(reqs[0].find("\r\n\r\n") + 4) == big);
    }
    SECTION("error bodies are kept for the message, not streamed") {
        s.add(respond(answer(403, "Forbidden", R"({"message":"denied"})")));
        std::string got;
        Request r;
        r.url = "/bucket/obj";
        r.on_data = [&](std::string_view d) { got.append(d); };
        auto e = error_of([&] { c.send(r); });
        CHECK(e.code() == WPH_EAUTH);
        CHECK(contains(e.message(), "denied"));
        CHECK(got.empty());
    }
    SECTION("a streamed body is retried only with a rewind") {
        for (int i = 0; i < 2; ++i) s.add(respond(answer(503, "Service Unavailable", "{}")));
        s.add(respond(answer(200, "OK", "{}")));
        std::size_t off = 0;
        int rewinds = 0;
        Request r;
        r.method = "PUT";
        r.url = "/o";
        r.body_size = 5;
        r.body_reader = [&](char *buf, std::size_t n) {
            std::size_t k = std::min<std::size_t>(n, 5 - off);
            std::memcpy(buf, "hello" + off, k);
            off += k;
            return k;
        };
        auto e = error_of([&] { c.send(r); });  // no rewind: the first 503 is final
        CHECK(e.http_status() == 503);
        off = 0;
        r.body_rewind = [&] {
            off = 0;
            ++rewinds;
        };
        CHECK(c.send(r).attempts == 2);
        CHECK(rewinds == 1);
        auto reqs = s.requests();
        REQUIRE(reqs.size() == 3);
        CHECK(reqs[2].substr(reqs[2].find("\r\n\r\n") + 4) == "hello");
    }
    SECTION("an exception in on_data reaches the caller") {
        s.add(respond(answer(200, "OK", big, "", "application/octet-stream")));
        Request r;
        r.url = "/o";
        r.on_data = [](std::string_view) { throw std::runtime_error("disk full"); };
        CHECK_THROWS_WITH(c.send(r), "disk full");
        CHECK(s.requests().size() == 1);
    }
}

TEST_CASE("paginate: three pages, then a loop", "[http][io]") {
    Server s;
    Recorder rec;
    Client c(test_options(s, rec));
    auto page = [&](int n, std::string next) {
        std::string link = next.empty() ? "" : "Link: <" + s.url() + next + ">; rel=\"next\"\r\n";
        return respond(answer(200, "OK", "{\"items\":[" + std::to_string(n) + "]}", link));
    };
    s.add(page(1, "/v1/items?page=2"));
    s.add(page(2, "/v1/items?page=3"));
    s.add(page(3, ""));
    std::vector<std::int64_t> items;
    auto next = [](const Response &r, const boost::json::value &) -> std::optional<std::string> {
        auto l = r.header("link");
        if (!l) return std::nullopt;
        auto m = parse_link_header(*l);
        if (!m.count("next")) return std::nullopt;
        return m["next"];
    };
    paginate(c, "/items", [&](const boost::json::value &p) { items.push_back(p.at("items").at(0).as_int64()); }, next);
    CHECK(items == std::vector<std::int64_t>{1, 2, 3});
    auto reqs = s.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[2].rfind("GET /v1/items?page=3 ", 0) == 0);

    s.add(page(1, "/v1/items?page=2"));
    s.add(page(2, "/v1/items?page=2"));
    auto e = error_of([&] { paginate(c, "/items", [](const boost::json::value &) {}, next); });
    CHECK(e.code() == WPH_EPROVIDER);
    CHECK(contains(e.message(), "pagination loops"));

    // A relative first URL and an absolute next link naming the same page.
    s.add(page(1, "/v1/items"));
    e = error_of([&] { paginate(c, "/items", [](const boost::json::value &) {}, next); });
    CHECK(contains(e.message(), "pagination loops"));

    s.add(page(1, "/v1/items?page=2"));
    e = error_of([&] { paginate(c, "/items", [](const boost::json::value &) {}, next, nullptr, 1); });
    CHECK(contains(e.message(), "pagination goes past 1 pages"));
}

TEST_CASE("client: log lines have no secrets", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(503, "Service Unavailable", "{}")));
    s.add(respond(answer(200, "OK", "{}")));
    ClientOptions o = test_options(s, rec);
    o.default_headers = {{"Authorization", "Bearer hcloud-token-XYZ"}};
    o.secrets = {"hcloud-token-XYZ"};
    Client c(o);
    CHECK(c.get("/servers?token=qs-secret&name=a").status == 200);
    REQUIRE(rec.lines.size() == 2);
    for (const auto &l : rec.lines) {
        INFO(l);
        CHECK_FALSE(contains(l, "hcloud-token-XYZ"));
        CHECK_FALSE(contains(l, "qs-secret"));
        CHECK(contains(l, "hetzner GET " + s.url() + "/v1/servers?token=***&name=a -> "));
    }
    CHECK(contains(rec.lines[0], "-> 503 ("));
    CHECK(contains(rec.lines[1], "-> 200 ("));
}

TEST_CASE("client: many threads share one client", "[http][io]") {
    Server s;
    Recorder rec;
    for (int i = 0; i < 16; ++i) s.add(respond(answer(200, "OK", "{\"n\":1}")));
    Client c(test_options(s, rec));
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 4; ++i)
                if (c.get("/n").json().at("n").as_int64() == 1) ++ok;
        });
    for (auto &t : ts) t.join();
    CHECK(ok == 16);
}

TEST_CASE("client: relative URL without a base, bad URLs", "[http][io]") {
    ClientOptions o;
    o.provider = "s3";
    Client c(o);
    auto e = error_of([&] { c.get("/x"); });
    CHECK(e.code() == WPH_EINVALID);
    CHECK(contains(e.message(), "a relative URL needs a base_url"));
}

TEST_CASE("client: TLS with an untrusted certificate says so, and ca_bundle fixes it", "[http][io]") {
    TlsIdentity id;
    Server s(id.ctx);
    Recorder rec;
    ClientOptions o = test_options(s, rec);
    Client c(o);
    auto e = error_of([&] { c.get("/servers"); });
    CHECK(e.code() == WPH_EIO);
    CHECK(contains(e.message(), "hetzner: GET /v1/servers: TLS certificate of 127.0.0.1 not trusted: "));
    CHECK(contains(e.message(), "(set ca_bundle)"));
    CHECK(s.requests().empty());
    CHECK(rec.sleeps.empty());  // not worth another attempt

    wph::test::TempDir dir("wph-http");
    const std::string ca = (dir.path / "ca.pem").string();
    std::ofstream(ca) << id.cert_pem;
    o.ca_bundle = ca;
    s.add(respond(answer(200, "OK", R"({"ok":true})")));
    Client trusting(o);
    CHECK(trusting.get("/servers").json().at("ok").as_bool());

    // verify_tls = false (tests only) accepts anything.
    o.ca_bundle.clear();
    o.verify_tls = false;
    s.add(respond(answer(200, "OK", "{}")));
    CHECK(Client(o).get("/servers").status == 200);
}

TEST_CASE("client: a TLS handshake that never completes is a tls timeout", "[http][io]") {
    Server s;  // plain TCP: the ClientHello gets no answer
    Recorder rec;
    s.add(hang());
    ClientOptions o = test_options(s, rec);
    o.base_url = "https://127.0.0.1:" + std::to_string(s.port());
    o.retry.max_attempts = 1;
    o.timeouts.tls = 200ms;
    Client c(o);
    auto e = error_of([&] { c.post_json("/x", boost::json::object{}); });
    CHECK(e.code() == WPH_ETIMEOUT);
    CHECK(e.message() == "hetzner: POST /x: no TLS handshake within 0.2 s (tls timeout)");
}

TEST_CASE("client: CURLOPT_RESOLVE pins a name to 127.0.0.1", "[http][io]") {
    Server s;
    Recorder rec;
    s.add(respond(answer(200, "OK", "{}")));
    ClientOptions o = test_options(s, rec);
    o.base_url = "http://api.example.invalid:" + std::to_string(s.port());
    o.resolve = {"api.example.invalid:" + std::to_string(s.port()) + ":127.0.0.1"};
    CHECK(Client(o).get("/x").status == 200);
    auto reqs = s.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(contains(reqs[0], "Host: api.example.invalid:"));
}
