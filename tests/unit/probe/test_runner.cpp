// The probe runner against small hostile servers started inside the test:
// silent, trickling, endless, redirect loops, refused and unresolvable
// targets, TLS with a test CA made here, TCP, DNS through dnsmasq, and load.
#include "probe/runner.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "../support.hpp"

extern char **environ;

using namespace wph::probe;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool contains(const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; }

// A listening TCP socket on 127.0.0.1 and an ephemeral port.
int listen_local(int &port, int backlog = 512) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, backlog) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

// A port nothing listens on (bound once, then closed).
int closed_port() {
    int port = 0;
    int fd = listen_local(port);
    ::close(fd);
    return port;
}

// A UDP socket bound on 127.0.0.1 that never answers.
int udp_sink(int &port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

// ---------------------------------------------------------------------------
// A plain HTTP server, one poll() thread, behaviour chosen by the path:
//   /ok          200 {"status":"ok"} after `delay_ms`
//   /echo        200 with the method, the X-Probe header and the body
//   /silent      reads the request, never answers
//   /trickle     headers, then one body byte per second
//   /endless     a body without end
//   /loop        302 to itself
//   /hop/N       302 to /hop/N-1; /hop/0 is 200
// It counts the connections open at once (peak) for the per-host limit.
class HttpServer {
public:
    explicit HttpServer(int delay_ms = 0) : delay_ms_(delay_ms) {
        fd_ = listen_local(port_);
        ::fcntl(fd_, F_SETFL, O_NONBLOCK);
        REQUIRE(::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) == 0);
        thread_ = std::thread([this] { run(); });
    }
    ~HttpServer() {
        stop_ = true;
        (void)!::write(wake_[1], "x", 1);
        thread_.join();
        for (auto &c : conns_) ::close(c.fd);
        ::close(fd_);
        ::close(wake_[0]);
        ::close(wake_[1]);
    }
    int port() const { return port_; }
    std::string url(const std::string &path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    int peak() const { return peak_.load(); }
    int open() const { return open_.load(); }
    long accepted() const { return accepted_.load(); }

private:
    struct Conn {
        int fd = -1;
        std::string in, out;
        bool answered = false, close_after = false, endless = false;
        int trickle_left = 0;
        Clock::time_point due{};  // a delayed answer or the next trickled byte
        bool waiting = false;
        std::string pending;      // the answer to send at `due`
    };

    void run() {
        while (!stop_) {
            std::vector<pollfd> fds;
            fds.push_back({wake_[0], POLLIN, 0});
            fds.push_back({fd_, POLLIN, 0});
            auto now = Clock::now();
            int timeout = 100;
            for (auto &c : conns_) {
                short ev = POLLIN;
                if (!c.out.empty() || c.endless) ev |= POLLOUT;
                fds.push_back({c.fd, ev, 0});
                if (c.waiting) {
                    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.due - now).count();
                    timeout = std::max(0, std::min<int>(timeout, static_cast<int>(ms) + 1));
                }
            }
            ::poll(fds.data(), fds.size(), timeout);
            if (fds[1].revents & POLLIN) accept_all();
            now = Clock::now();
            std::vector<Conn> keep;
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                Conn &c = conns_[i];
                short rev = fds[i + 2].revents;
                if (step(c, rev, now))
                    keep.push_back(std::move(c));
                else
                    drop(c);
            }
            conns_.swap(keep);
            // Connections accepted this round were not polled yet.
            for (auto &c : fresh_) conns_.push_back(std::move(c));
            fresh_.clear();
        }
    }

    void accept_all() {
        for (;;) {
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (c < 0) return;
            Conn conn;
            conn.fd = c;
            fresh_.push_back(std::move(conn));
            ++accepted_;
            int now_open = ++open_;
            int p = peak_.load();
            while (now_open > p && !peak_.compare_exchange_weak(p, now_open)) {}
        }
    }

    void drop(Conn &c) {
        ::close(c.fd);
        c.fd = -1;
        --open_;
    }

    static std::string reply(int code, const std::string &reason, const std::string &body,
                             const std::string &extra = "") {
        return "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: application/json\r\n" + extra +
               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

    // false: close the connection
    bool step(Conn &c, short rev, Clock::time_point now) {
        if (rev & POLLIN) {
            char buf[16384];
            ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n == 0) return false;
            if (n > 0 && c.in.size() < 65536) c.in.append(buf, static_cast<std::size_t>(n));
            if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
        }
        if ((rev & (POLLERR | POLLHUP)) && !(rev & POLLIN)) return false;
        if (!c.answered) {
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) return true;
            std::size_t clen = 0;
            std::string lower = c.in.substr(0, end);
            for (auto &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            auto cl = lower.find("\r\ncontent-length:");
            if (cl != std::string::npos) clen = std::stoul(lower.substr(cl + 17));
            if (c.in.size() < end + 4 + clen) return true;
            c.answered = true;
            answer(c, c.in.substr(0, end), c.in.substr(end + 4, clen), now);
        }
        if (c.waiting && now >= c.due) {
            if (c.trickle_left > 0) {
                c.out += "x";
                if (--c.trickle_left > 0) c.due = now + std::chrono::seconds(1);
                else c.waiting = false;
            } else {
                c.out += c.pending;
                c.pending.clear();
                c.waiting = false;
                c.close_after = true;
            }
        }
        if (c.endless && c.out.size() < 65536) c.out.append(65536, 'z');
        if (!c.out.empty()) {
            ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
            if (n > 0) c.out.erase(0, static_cast<std::size_t>(n));
        }
        if (c.close_after && c.out.empty()) return false;
        return true;
    }

    void answer(Conn &c, const std::string &head, const std::string &body, Clock::time_point now) {
        std::string method = head.substr(0, head.find(' '));
        auto p0 = head.find(' ') + 1;
        std::string path = head.substr(p0, head.find(' ', p0) - p0);
        if (path == "/ok") {
            c.pending = reply(200, "OK", "{\"status\":\"ok\"}");
            c.waiting = true;
            c.due = now + std::chrono::milliseconds(delay_ms_);
        } else if (path == "/echo") {
            std::string hdr;
            auto h = head.find("\r\nX-Probe: ");
            if (h != std::string::npos) hdr = head.substr(h + 11, head.find("\r\n", h + 2) - h - 11);
            c.out = reply(200, "OK", "{\"method\":\"" + method + "\",\"x_probe\":\"" + hdr + "\",\"body\":\"" + body + "\"}");
            c.close_after = true;
        } else if (path == "/silent") {
            // nothing, ever
        } else if (path == "/trickle") {
            c.out = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
            c.trickle_left = 100;
            c.waiting = true;
            c.due = now;
        } else if (path == "/endless") {
            c.out = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
            c.endless = true;
        } else if (path == "/loop") {
            c.out = reply(302, "Found", "", "Location: /loop\r\n");
            c.close_after = true;
        } else if (path.rfind("/hop/", 0) == 0) {
            int n = std::atoi(path.c_str() + 5);
            c.out = n > 0 ? reply(302, "Found", "", "Location: /hop/" + std::to_string(n - 1) + "\r\n")
                          : reply(200, "OK", "{\"hops\":\"done\"}");
            c.close_after = true;
        } else {
            c.out = reply(404, "Not Found", "{}");
            c.close_after = true;
        }
    }

    int delay_ms_;
    int fd_ = -1, port_ = 0;
    int wake_[2] = {-1, -1};
    std::atomic<bool> stop_{false};
    std::vector<Conn> conns_, fresh_;
    std::atomic<int> open_{0}, peak_{0};
    std::atomic<long> accepted_{0};
    std::thread thread_;
};

// ---------------------------------------------------------------------------
// Certificates made here with OpenSSL: a CA, a server certificate for
// probe.test signed by it, an expired one, a self-signed one.

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr make_key() {
    KeyPtr k(EVP_EC_gen("P-256"), EVP_PKEY_free);
    REQUIRE(k);
    return k;
}

void add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// Valid from `from` to `to` seconds relative to now.
CertPtr make_cert(EVP_PKEY *key, const std::string &cn, X509 *issuer, EVP_PKEY *issuer_key, long from, long to,
                  bool ca) {
    CertPtr x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    unsigned char serial[8];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), from);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), to);
    X509_set_pubkey(x.get(), key);
    X509_NAME *name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(cn.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509 *iss = issuer ? issuer : x.get();
    if (ca) {
        add_ext(x.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(x.get(), iss, NID_subject_key_identifier, "hash");
    } else {
        add_ext(x.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x.get(), iss, NID_ext_key_usage, "serverAuth,clientAuth");
        add_ext(x.get(), iss, NID_subject_alt_name, ("DNS:" + cn).c_str());
    }
    REQUIRE(X509_sign(x.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

void write_pem(const std::string &path, X509 *cert) {
    std::FILE *f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    PEM_write_X509(f, cert);
    std::fclose(f);
}

void write_key(const std::string &path, EVP_PKEY *key) {
    std::FILE *f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
}

std::int64_t not_after(X509 *cert) {
    std::tm tm{};
    REQUIRE(ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1);
    return static_cast<std::int64_t>(timegm(&tm));
}

// An HTTPS server answering 200 "ok" to each connection, one at a time;
// `silent`: completes the handshake, reads the request, never answers.
class TlsServer {
public:
    TlsServer(X509 *cert, EVP_PKEY *key, X509 *chain = nullptr, bool silent = false, X509 *client_ca = nullptr)
        : silent_(silent) {
        ctx_ = SSL_CTX_new(TLS_server_method());
        REQUIRE(ctx_);
        REQUIRE(SSL_CTX_use_certificate(ctx_, cert) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey(ctx_, key) == 1);
        if (chain) REQUIRE(SSL_CTX_add1_chain_cert(ctx_, chain) == 1);
        if (client_ca) {  // demand a client certificate signed by client_ca
            REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), client_ca) == 1);
            SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        }
        fd_ = listen_local(port_);
        thread_ = std::thread([this] { run(); });
    }
    ~TlsServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
        SSL_CTX_free(ctx_);
    }
    int port() const { return port_; }

private:
    void run() {
        // OpenSSL's socket BIO writes with write(): a client that hung up must
        // not kill the test process with SIGPIPE.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            timeval tv{2, 0};
            ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            SSL *ssl = SSL_new(ctx_);
            SSL_set_fd(ssl, c);
            if (SSL_accept(ssl) == 1) {
                std::string in;
                char buf[4096];
                while (in.find("\r\n\r\n") == std::string::npos) {
                    int n = SSL_read(ssl, buf, sizeof buf);
                    if (n <= 0) break;
                    in.append(buf, static_cast<std::size_t>(n));
                }
                while (silent_ && !stop_) {
                    pollfd q{c, POLLIN, 0};
                    if (::poll(&q, 1, 50) > 0) {
                        char b[256];
                        if (::recv(c, b, sizeof b, MSG_DONTWAIT) == 0) break;
                    }
                }
                if (!silent_ && in.find("\r\n\r\n") != std::string::npos) {
                    const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                    SSL_write(ssl, resp, sizeof resp - 1);
                    SSL_shutdown(ssl);
                }
            }
            SSL_free(ssl);
            ::close(c);
        }
    }

    SSL_CTX *ctx_ = nullptr;
    bool silent_ = false;
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

ProbeDef http_probe(const std::string &name, const std::string &url, std::int64_t total_ms = 5000) {
    ProbeDef d;
    d.name = name;
    d.group = "test";
    d.url = url;
    d.kind = Kind::http;
    d.timeouts.total = total_ms;
    return d;
}

ProbeResult run_one(Runner &r, const ProbeDef &d) {
    auto res = r.run_all({d});
    REQUIRE(res.size() == 1);
    return res[0];
}

std::size_t count_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

long rss_kib() {
    std::FILE *f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    long v = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmHWM:", 6) == 0) v = std::atol(line + 6);
    std::fclose(f);
    return v;
}

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("runner: a normal HTTP answer", "[runner]") {
    HttpServer srv;
    Runner runner;
    auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto r = run_one(runner, http_probe("ok", srv.url("/ok")));
    auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    INFO(r.error);
    CHECK(r.success);
    CHECK(r.connected);
    CHECK(r.error.empty());
    CHECK(r.status == 200);
    CHECK(r.body == "{\"status\":\"ok\"}");
    CHECK(r.body_bytes == 15);
    CHECK_FALSE(r.body_truncated);
    CHECK(r.ip == "127.0.0.1");
    CHECK(r.http_version == "1.1");
    CHECK(r.redirects == 0);
    CHECK(r.name == "ok");
    CHECK(r.group == "test");
    CHECK(r.url == srv.url("/ok"));
    CHECK(r.started_at_ms >= before);
    CHECK(r.started_at_ms <= after);
    CHECK(r.timings.dns >= 0);
    CHECK(r.timings.connect >= r.timings.dns);
    CHECK(r.timings.tls == -1);
    CHECK(r.timings.first_byte >= r.timings.connect);
    CHECK(r.timings.total >= r.timings.first_byte);
    CHECK(r.timings.total < 1.0);
    CHECK_FALSE(r.cert_expiry);
    CHECK(runner.in_flight() == 0);
}

TEST_CASE("runner: method, headers, body, HEAD, redirects", "[runner]") {
    HttpServer srv;
    Runner runner;
    auto post = http_probe("post", srv.url("/echo"));
    post.method = "POST";
    post.body = "hello";
    post.headers = {{"X-Probe", "yes"}};
    auto put = http_probe("put", srv.url("/echo"));
    put.method = "PUT";
    put.body = "data";
    auto del = http_probe("delete", srv.url("/echo"));
    del.method = "DELETE";
    auto head = http_probe("head", srv.url("/ok"));
    head.method = "HEAD";
    auto hops = http_probe("hops", srv.url("/hop/2"));
    hops.max_redirects = 3;
    auto nofollow = http_probe("nofollow", srv.url("/loop"));
    nofollow.follow_redirects = false;
    auto res = runner.run_all({post, put, del, head, hops, nofollow});
    REQUIRE(res.size() == 6);
    for (const auto &r : res) {
        INFO(r.name << ": " << r.error);
        CHECK(r.success);
    }
    CHECK(res[0].body == "{\"method\":\"POST\",\"x_probe\":\"yes\",\"body\":\"hello\"}");
    CHECK(res[1].body == "{\"method\":\"PUT\",\"x_probe\":\"\",\"body\":\"data\"}");
    CHECK(res[2].body == "{\"method\":\"DELETE\",\"x_probe\":\"\",\"body\":\"\"}");
    CHECK(res[3].status == 200);
    CHECK(res[3].body.empty());
    CHECK(res[4].status == 200);
    CHECK(res[4].redirects == 2);
    CHECK(res[4].body == "{\"hops\":\"done\"}");
    CHECK(res[5].status == 302);
    CHECK(res[5].redirects == 0);
}

TEST_CASE("runner: hostile servers fail with specific reasons, on time", "[runner]") {
    HttpServer srv;
    Runner runner;
    auto silent_total = http_probe("silent-total", srv.url("/silent"), 1000);
    auto silent_fb = http_probe("silent-first-byte", srv.url("/silent"), 5000);
    silent_fb.timeouts.first_byte = 600;
    auto trickle = http_probe("trickle", srv.url("/trickle"), 2500);
    auto endless = http_probe("endless", srv.url("/endless"));
    endless.max_body = 65536;
    auto loop = http_probe("loop", srv.url("/loop"));
    loop.max_redirects = 3;
    int refused_port = closed_port();
    auto refused = http_probe("refused", "http://127.0.0.1:" + std::to_string(refused_port) + "/");
    auto unresolvable = http_probe("unresolvable", "http://no-such-host.invalid/");
    // TLS against a server that never answers the ClientHello.
    auto tls_silent = http_probe("tls-silent", "https://127.0.0.1:" + std::to_string(srv.port()) + "/", 5000);
    tls_silent.timeouts.tls = 500;
    // A connect that hangs: a listener with a full backlog (one connection waiting).
    int bl_port = 0;
    int bl = listen_local(bl_port, 0);
    int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(bl_port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(filler, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    auto hang = http_probe("connect-hang", "http://127.0.0.1:" + std::to_string(bl_port) + "/", 5000);
    hang.timeouts.connect = 400;

    auto t0 = Clock::now();
    auto res = runner.run_all({silent_total, silent_fb, trickle, endless, loop, refused, unresolvable, tls_silent,
                               hang});
    double wall = since(t0);
    ::close(filler);
    ::close(bl);
    REQUIRE(res.size() == 9);
    for (const auto &r : res) {
        INFO(r.name << ": " << r.error);
        CHECK_FALSE(r.success);
        CHECK_FALSE(r.error.empty());
    }
    CHECK(wall < 3.5);

    const auto &st = res[0];
    CHECK(contains(st.error, "timed out after 1000 ms, 0 bytes received"));
    CHECK(st.connected);
    CHECK(st.timings.total >= 0.95);
    CHECK(st.timings.total < 1.5);
    CHECK(st.timings.first_byte == -1);

    const auto &fb = res[1];
    CHECK(fb.error == "no first byte after 600 ms");
    CHECK(fb.timings.total >= 0.55);
    CHECK(fb.timings.total < 1.1);
    CHECK(fb.timings.connect >= 0);
    CHECK(fb.timings.first_byte == -1);

    const auto &tr = res[2];
    CHECK(contains(tr.error, "timed out after 2500 ms"));
    CHECK(contains(tr.error, "reading the body"));
    CHECK(tr.status == 200);
    CHECK(tr.body_bytes >= 2);
    CHECK(tr.body_bytes <= 4);
    CHECK(tr.timings.total >= 2.45);
    CHECK(tr.timings.total < 3.0);

    const auto &en = res[3];
    CHECK(en.error == "body larger than 65536 bytes");
    CHECK(en.body_truncated);
    CHECK(en.body.size() == 65536);
    CHECK(en.status == 200);
    CHECK(en.connected);

    const auto &lp = res[4];
    CHECK(lp.error == "too many redirects (more than 3): redirect loop?");
    CHECK(lp.status == 302);

    const auto &rf = res[5];
    CHECK(rf.error == "connection refused (127.0.0.1 port " + std::to_string(refused_port) + ")");
    CHECK_FALSE(rf.connected);
    CHECK(rf.timings.connect == -1);
    CHECK(rf.timings.total < 1.0);

    const auto &un = res[6];
    CHECK(un.error == "name does not resolve: no-such-host.invalid");
    CHECK_FALSE(un.connected);
    CHECK(un.timings.dns == -1);

    const auto &ts = res[7];
    CHECK(ts.error == "TLS handshake timed out after 500 ms");
    CHECK_FALSE(ts.connected);
    CHECK(ts.timings.connect >= 0);
    CHECK(ts.timings.tls == -1);
    CHECK(ts.timings.total < 1.0);

    const auto &hg = res[8];
    CHECK(hg.error == "connect timed out after 400 ms");
    CHECK(hg.timings.connect == -1);
    CHECK(hg.timings.total >= 0.35);
    CHECK(hg.timings.total < 0.9);
}

TEST_CASE("runner: resolve entries stay with their probe", "[runner]") {
    HttpServer srv;
    Runner runner;
    std::string port = std::to_string(srv.port());
    auto with = http_probe("with", "http://pinned.invalid:" + port + "/ok");
    with.resolve = {"pinned.invalid:" + port + ":127.0.0.1"};
    auto r1 = run_one(runner, with);
    INFO(r1.error);
    CHECK(r1.success);
    CHECK(r1.ip == "127.0.0.1");
    // The same name without the override must not find it in the shared DNS cache.
    auto r2 = run_one(runner, http_probe("without", "http://pinned.invalid:" + port + "/ok"));
    CHECK(r2.error == "name does not resolve: pinned.invalid");
}

TEST_CASE("runner: HTTPS with a test CA", "[runner]") {
    wph::test::TempDir dir("wph-runner-tls");
    std::string ca_file = (dir.path / "ca.pem").string();
    auto ca_key = make_key();
    auto ca = make_cert(ca_key.get(), "Probe Test CA", nullptr, nullptr, -3600, 20L * 86400, true);
    write_pem(ca_file, ca.get());
    auto key = make_key();
    auto good = make_cert(key.get(), "probe.test", ca.get(), ca_key.get(), -3600, 30L * 86400, false);
    auto expired = make_cert(key.get(), "probe.test", ca.get(), ca_key.get(), -10L * 86400, -86400, false);
    auto self = make_cert(key.get(), "probe.test", nullptr, nullptr, -3600, 30L * 86400, false);

    TlsServer good_srv(good.get(), key.get(), ca.get());  // sends the chain: leaf + CA
    TlsServer expired_srv(expired.get(), key.get());
    TlsServer self_srv(self.get(), key.get());
    TlsServer silent_srv(good.get(), key.get(), nullptr, true);
    std::string gp = std::to_string(good_srv.port());

    auto by_resolve = http_probe("by-resolve", "https://probe.test:" + gp + "/");
    by_resolve.resolve = {"probe.test:" + gp + ":127.0.0.1"};
    by_resolve.tls.ca_file = ca_file;
    auto by_name = http_probe("by-server-name", "https://127.0.0.1:" + gp + "/");
    by_name.tls.ca_file = ca_file;
    by_name.tls.server_name = "probe.test";
    auto exp = http_probe("expired", "https://127.0.0.1:" + std::to_string(expired_srv.port()) + "/");
    exp.tls.ca_file = ca_file;
    exp.tls.server_name = "probe.test";
    auto selfp = http_probe("self-signed", "https://127.0.0.1:" + std::to_string(self_srv.port()) + "/");
    selfp.tls.ca_file = ca_file;
    selfp.tls.server_name = "probe.test";
    auto self_system = selfp;
    self_system.name = "self-signed-system-ca";
    self_system.tls.ca_file.clear();
    auto wrong = by_name;
    wrong.name = "wrong-host";
    wrong.tls.server_name = "wrong.test";
    auto noverify = selfp;
    noverify.name = "no-verify";
    noverify.tls.verify = false;
    auto silent = by_name;
    silent.name = "tls-silent-after-handshake";
    silent.url = "https://127.0.0.1:" + std::to_string(silent_srv.port()) + "/";
    silent.timeouts.tls = 2000;
    silent.timeouts.first_byte = 500;

    Runner runner;
    auto res = runner.run_all({by_resolve, by_name, exp, selfp, self_system, wrong, noverify, silent});
    REQUIRE(res.size() == 8);
    std::int64_t chain_expiry = std::min(not_after(good.get()), not_after(ca.get()));
    CHECK(chain_expiry == not_after(ca.get()));
    for (int i : {0, 1}) {
        const auto &r = res[i];
        INFO(r.name << ": " << r.error);
        CHECK(r.success);
        CHECK(r.connected);
        CHECK(r.status == 200);
        CHECK(r.body == "ok");
        CHECK(r.ip == "127.0.0.1");
        CHECK(r.tls_version.rfind("TLSv1.", 0) == 0);
        REQUIRE(r.cert_expiry);
        CHECK(*r.cert_expiry == chain_expiry);
        CHECK(r.timings.tls >= r.timings.connect);
        CHECK(r.timings.first_byte >= r.timings.tls);
        CHECK(r.timings.total >= r.timings.first_byte);
    }
    INFO(res[2].error);
    CHECK_FALSE(res[2].success);
    CHECK(contains(res[2].error, "certificate verify failed"));
    CHECK(contains(res[2].error, "expir"));
    CHECK_FALSE(res[2].connected);
    INFO(res[3].error);
    CHECK_FALSE(res[3].success);
    CHECK(contains(res[3].error, "certificate verify failed"));
    CHECK(contains(res[3].error, "self"));
    INFO(res[4].error);
    CHECK_FALSE(res[4].success);
    CHECK(contains(res[4].error, "certificate verify failed"));
    INFO(res[5].error);
    CHECK_FALSE(res[5].success);
    CHECK(contains(res[5].error, "certificate verify failed"));
    CHECK(contains(res[5].error, "wrong.test"));
    INFO(res[6].error);
    CHECK(res[6].success);
    CHECK(res[6].status == 200);
    REQUIRE(res[6].cert_expiry);
    CHECK(*res[6].cert_expiry == not_after(self.get()));
    const auto &sl = res[7];
    INFO(sl.error);
    CHECK(sl.error == "no first byte after 500 ms");
    CHECK(sl.connected);
    CHECK(sl.timings.connect >= 0);
    CHECK(sl.timings.tls >= sl.timings.connect);
    CHECK(sl.timings.first_byte == -1);
    CHECK(sl.timings.total >= 0.45);
    CHECK(sl.timings.total < 1.0);
    CHECK(sl.tls_version.rfind("TLSv1.", 0) == 0);
}

TEST_CASE("runner: HTTPS client certificates", "[runner]") {
    wph::test::TempDir dir("wph-runner-mtls");
    std::string ca_file = (dir.path / "ca.pem").string();
    std::string cert_file = (dir.path / "client.pem").string();
    std::string key_file = (dir.path / "client.key").string();
    auto ca_key = make_key();
    auto ca = make_cert(ca_key.get(), "Probe Test CA", nullptr, nullptr, -3600, 20L * 86400, true);
    write_pem(ca_file, ca.get());
    auto key = make_key();
    auto server = make_cert(key.get(), "probe.test", ca.get(), ca_key.get(), -3600, 30L * 86400, false);
    auto client_key = make_key();
    auto client = make_cert(client_key.get(), "client.probe.test", ca.get(), ca_key.get(), -3600, 86400, false);
    write_pem(cert_file, client.get());
    write_key(key_file, client_key.get());
    TlsServer srv(server.get(), key.get(), nullptr, false, ca.get());

    auto with = http_probe("with-client-cert", "https://127.0.0.1:" + std::to_string(srv.port()) + "/");
    with.tls.ca_file = ca_file;
    with.tls.server_name = "probe.test";
    with.tls.client_cert = cert_file;
    with.tls.client_key = key_file;
    auto without = with;
    without.name = "without-client-cert";
    without.tls.client_cert.clear();
    without.tls.client_key.clear();
    auto missing = with;
    missing.name = "missing-cert-file";
    missing.tls.client_cert = (dir.path / "nope.pem").string();
    Runner runner;
    auto res = runner.run_all({with, without, missing});
    INFO(res[0].error);
    CHECK(res[0].success);
    CHECK(res[0].status == 200);
    INFO(res[1].error);
    CHECK_FALSE(res[1].success);
    CHECK_FALSE(res[1].error.empty());
    INFO(res[2].error);
    CHECK_FALSE(res[2].success);
    CHECK(contains(res[2].error, "client certificate"));
}

TEST_CASE("runner: at most max_in_flight at once, started_at is the real start", "[runner]") {
    HttpServer srv(100);
    RunnerOptions opts;
    opts.max_in_flight = 3;
    Runner runner(opts);
    std::vector<ProbeDef> defs;
    for (int i = 0; i < 9; ++i) defs.push_back(http_probe("q" + std::to_string(i), srv.url("/ok")));
    auto res = runner.run_all(defs);
    for (const auto &r : res) {
        INFO(r.name << ": " << r.error);
        CHECK(r.success);
        CHECK(r.timings.total < 0.5);  // time queued does not count
    }
    CHECK(srv.peak() <= 3);
    // Three rounds of ~100 ms: the last three started ~200 ms after the first three.
    CHECK(res[8].started_at_ms - res[0].started_at_ms >= 180);
}

TEST_CASE("runner: TCP probes", "[runner]") {
    int port = 0;
    int fd = listen_local(port);
    int closed = closed_port();
    ProbeDef open;
    open.name = "tcp-open";
    open.kind = Kind::tcp;
    open.url = "tcp://127.0.0.1:" + std::to_string(port);
    open.timeouts.total = 2000;
    ProbeDef shut = open;
    shut.name = "tcp-closed";
    shut.url = "tcp://127.0.0.1:" + std::to_string(closed);
    ProbeDef noport = open;
    noport.name = "tcp-no-port";
    noport.url = "tcp://127.0.0.1";
    Runner runner;
    auto res = runner.run_all({open, shut, noport});
    // The connections are closed once measured (CONNECT_ONLY keeps none open).
    std::size_t fds_before = count_fds();
    auto many = runner.run_all(std::vector<ProbeDef>(50, open));
    CHECK(std::all_of(many.begin(), many.end(), [](const ProbeResult &r) { return r.success; }));
    CHECK(count_fds() <= fds_before + 2);
    ::close(fd);
    INFO(res[0].error);
    CHECK(res[0].success);
    CHECK(res[0].connected);
    CHECK(res[0].ip == "127.0.0.1");
    CHECK(res[0].timings.connect >= 0);
    CHECK(res[0].timings.first_byte == -1);
    CHECK(res[0].status == 0);
    CHECK_FALSE(res[1].success);
    CHECK_FALSE(res[1].connected);
    CHECK(res[1].error == "connection refused (127.0.0.1 port " + std::to_string(closed) + ")");
    CHECK_FALSE(res[2].success);
    CHECK(contains(res[2].error, "needs a port"));
}

namespace {

// dnsmasq from Debian as a child process on a free UDP port of 127.0.0.1.
class Dnsmasq {
public:
    Dnsmasq() {
        if (::access("/usr/sbin/dnsmasq", X_OK) != 0) return;
        present_ = true;
        // dnsmasq needs the port for UDP and TCP; it may lose a race for it: try again.
        for (int attempt = 0; attempt < 5 && !ready_; ++attempt) start();
    }
    ~Dnsmasq() { reap(); }
    bool present() const { return present_; }
    bool ready() const { return ready_; }
    int port() const { return port_; }

private:
    // A port free for both UDP and TCP on 127.0.0.1 right now.
    static int free_port() {
        for (int i = 0; i < 20; ++i) {
            int port = 0;
            int u = udp_sink(port);
            int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<uint16_t>(port));
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            bool ok = ::bind(t, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
            ::close(t);
            ::close(u);
            if (ok) return port;
        }
        return 0;
    }

    void start() {
        port_ = free_port();
        if (port_ == 0) return;
        std::vector<std::string> args = {"/usr/sbin/dnsmasq",
                                         "--no-daemon",
                                         "--conf-file=/dev/null",
                                         "--port=" + std::to_string(port_),
                                         "--listen-address=127.0.0.1",
                                         "--bind-interfaces",
                                         "--no-resolv",
                                         "--no-hosts",
                                         "--pid-file=",
                                         "--address=/probe.test/127.0.0.7",
                                         "--address=/probe.test/::7",
                                         "--mx-host=mx.probe.test,mail.probe.test,10",
                                         "--txt-record=txt.probe.test,v=spf1 -all"};
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
        if (pid_ <= 0) return;
        // Ready when it answers (binding its port to find out would race with it).
        int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port_));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // id 0x4242, RD, one question: probe.test A IN
        const unsigned char query[] = {0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'p', 'r', 'o',
                                       'b',  'e',  4,    't',  'e', 's', 't', 0, 0, 1, 0, 1};
        for (int i = 0; i < 50 && !ready_; ++i) {
            ::sendto(s, query, sizeof query, 0, reinterpret_cast<sockaddr *>(&a), sizeof a);
            pollfd p{s, POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) {
                unsigned char buf[512];
                ready_ = ::recv(s, buf, sizeof buf, MSG_DONTWAIT) >= 12;
            }
            int status = 0;
            if (!ready_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
        }
        ::close(s);
        if (!ready_) reap();
    }

    void reap() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        pid_ = -1;
    }

    pid_t pid_ = -1;
    int port_ = 0;
    bool present_ = false, ready_ = false;
};

ProbeDef dns_probe(const std::string &name, int port, const std::string &qname, const std::string &type,
                   const std::string &server = "127.0.0.1") {
    ProbeDef d;
    d.name = name;
    d.kind = Kind::dns;
    d.url = "dns://" + server + ":" + std::to_string(port);
    d.dns.name = qname;
    d.dns.type = type;
    d.timeouts.total = 3000;
    return d;
}

}  // namespace

TEST_CASE("runner: DNS probes through dnsmasq", "[runner]") {
    Dnsmasq dnsmasq;
    if (!dnsmasq.present()) {
        WARN("skipped: /usr/sbin/dnsmasq is missing (apt-get install dnsmasq-base)");
        return;
    }
    INFO("dnsmasq did not start on 127.0.0.1 (5 attempts)");
    REQUIRE(dnsmasq.ready());
    int p = dnsmasq.port();
    int sink_port = 0;
    int sink = udp_sink(sink_port);
    auto timeout = dns_probe("timeout", sink_port, "probe.test", "A");
    timeout.timeouts.dns = 800;
    Runner runner;
    auto t0 = Clock::now();
    auto res = runner.run_all({dns_probe("a", p, "probe.test", "A"), dns_probe("aaaa", p, "probe.test", "AAAA"),
                               dns_probe("mx", p, "mx.probe.test", "MX"), dns_probe("txt", p, "txt.probe.test", "txt"),
                               dns_probe("unknown", p, "not-known.example", "A"),
                               dns_probe("named-server", p, "probe.test", "A", "localhost"), timeout,
                               dns_probe("bad-type", p, "probe.test", "HINFO")});
    double wall = since(t0);
    ::close(sink);
    REQUIRE(res.size() == 8);
    for (int i = 0; i < 6; ++i) {
        const auto &r = res[i];
        INFO(r.name << ": " << r.error);
        CHECK(r.success);
        CHECK(r.connected);
        CHECK(r.error.empty());
        CHECK(r.ip == "127.0.0.1");
        CHECK(r.timings.total < 1.0);
    }
    CHECK(res[0].dns_rcode == "NOERROR");
    CHECK(res[0].dns_answers == std::vector<std::string>{"127.0.0.7"});
    CHECK(res[0].timings.dns >= 0);
    CHECK(res[1].dns_answers == std::vector<std::string>{"::7"});
    CHECK(res[2].dns_answers == std::vector<std::string>{"10 mail.probe.test"});
    CHECK(res[3].dns_answers == std::vector<std::string>{"v=spf1 -all"});
    // dnsmasq without upstream servers (--no-resolv) refuses what it does not know.
    CHECK(res[4].dns_rcode == "REFUSED");
    CHECK(res[4].dns_answers.empty());
    CHECK(res[5].dns_answers == std::vector<std::string>{"127.0.0.7"});

    const auto &to = res[6];
    CHECK_FALSE(to.success);
    CHECK_FALSE(to.connected);
    CHECK(to.error == "DNS query timed out after 800 ms");
    CHECK(to.timings.total >= 0.75);
    CHECK(to.timings.total < 1.3);
    CHECK(wall < 1.5);
    CHECK(res[7].error == "unsupported DNS query type HINFO");
}

TEST_CASE("runner: 500 probes at once, connections per host bounded", "[runner]") {
    HttpServer srv(10);
    RunnerOptions opts;
    opts.max_per_host = 8;
    Runner runner(opts);
    std::vector<ProbeDef> defs;
    for (int i = 0; i < 500; ++i) defs.push_back(http_probe("p" + std::to_string(i), srv.url("/ok"), 20000));
    auto t0 = Clock::now();
    auto res = runner.run_all(defs);
    double wall = since(t0);
    REQUIRE(res.size() == 500);
    int ok = 0;
    for (std::size_t i = 0; i < res.size(); ++i) {
        if (res[i].success && res[i].status == 200 && res[i].name == defs[i].name) ++ok;
        else INFO(res[i].name << ": " << res[i].error);
    }
    CHECK(ok == 500);
    CHECK(srv.accepted() == 500);
    CHECK(srv.peak() <= 8);
    CHECK(srv.peak() >= 2);
    CHECK(wall < 10.0);
    CHECK(runner.in_flight() == 0);
    // Every connection was closed (no reuse, nothing kept open).
    for (int i = 0; i < 100 && srv.open() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(srv.open() == 0);
}

TEST_CASE("runner: slow probes do not delay fast ones, stopping ends the rest", "[runner]") {
    HttpServer srv;
    std::mutex mu;
    std::condition_variable cv;
    int stopped = 0, others = 0;
    bool fast_done = false;
    ProbeResult fast;
    double fast_wall = 0;
    {
        Runner runner;
        for (int i = 0; i < 50; ++i)
            runner.submit(http_probe("slow" + std::to_string(i), srv.url("/silent"), 20000), [&](ProbeResult r) {
                std::lock_guard<std::mutex> lk(mu);
                if (r.error == "runner stopped") ++stopped;
                else ++others;
            });
        // Let the slow ones connect first.
        for (int i = 0; i < 200 && srv.open() < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CHECK(srv.open() == 50);
        auto t0 = Clock::now();
        runner.submit(http_probe("fast", srv.url("/ok")), [&](ProbeResult r) {
            std::lock_guard<std::mutex> lk(mu);
            fast = std::move(r);
            fast_done = true;
            fast_wall = since(t0);
            cv.notify_all();
        });
        std::unique_lock<std::mutex> lk(mu);
        cv.wait_for(lk, std::chrono::seconds(5), [&] { return fast_done; });
        CHECK(runner.in_flight() == 50);
    }
    REQUIRE(fast_done);
    INFO(fast.error);
    CHECK(fast.success);
    CHECK(fast_wall < 1.0);
    CHECK(stopped == 50);
    CHECK(others == 0);
}

TEST_CASE("runner: run_all is cancellable", "[runner]") {
    HttpServer srv;
    Runner runner;
    std::vector<ProbeDef> defs;
    for (int i = 0; i < 5; ++i) defs.push_back(http_probe("s" + std::to_string(i), srv.url("/silent"), 20000));
    wph::CancelToken cancel;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel.cancel();
    });
    auto t0 = Clock::now();
    int code = 0;
    try {
        runner.run_all(defs, &cancel);
    } catch (const wph::Error &e) {
        code = e.code();
    }
    canceller.join();
    CHECK(code == WPH_ECANCELLED);
    CHECK(since(t0) < 1.0);
    CHECK(runner.in_flight() == 0);
    // The runner keeps working afterwards.
    auto r = run_one(runner, http_probe("after", srv.url("/ok")));
    CHECK(r.success);
}

TEST_CASE("runner: bad definitions end with a reason", "[runner]") {
    Runner runner;
    auto bad_scheme = http_probe("ftp", "ftp://example.invalid/");
    auto no_url = http_probe("nothing", "");
    auto res = runner.run_all({bad_scheme, no_url});
    CHECK(contains(res[0].error, "unsupported scheme ftp"));
    CHECK(contains(res[1].error, "has no URL"));
    CHECK(res[0].started_at_ms > 0);
}

TEST_CASE("runner: DNS probes to a closed port or an unknown server", "[runner]") {
    Runner runner;
    int port = closed_port();
    auto closed = dns_probe("closed", port, "probe.test", "A");
    auto unknown = dns_probe("unknown-server", 53, "probe.test", "A", "no-such-server.invalid");
    auto res = runner.run_all({closed, unknown});
    CHECK(res[0].timings.total < 1.0);  // ICMP port unreachable, not a timeout
    CHECK(res[0].error == "DNS server 127.0.0.1 port " + std::to_string(port) + " refused the connection");
    CHECK_FALSE(res[0].connected);
    CHECK(res[1].error.rfind("name does not resolve: no-such-server.invalid", 0) == 0);
}

// Not part of the suite: probes per second against the local servers, and memory.
TEST_CASE("runner: throughput", "[.][runner-bench]") {
    HttpServer srv;
    for (long per_host : {8L, 64L}) {
        RunnerOptions opts;
        opts.max_per_host = per_host;
        Runner runner(opts);
        std::vector<ProbeDef> defs;
        for (int i = 0; i < 5000; ++i) defs.push_back(http_probe("p" + std::to_string(i), srv.url("/ok"), 20000));
        auto t0 = Clock::now();
        auto res = runner.run_all(defs);
        double wall = since(t0);
        long ok = std::count_if(res.begin(), res.end(), [](const ProbeResult &r) { return r.success; });
        std::printf("HTTP, max_per_host %ld: %ld/5000 ok in %.2f s = %.0f probes/s; peak open %d; VmHWM %ld KiB\n",
                    per_host, ok, wall, 5000 / wall, srv.peak(), rss_kib());
    }
    {
        // Thousands in flight at once on the one loop thread.
        RunnerOptions opts;
        opts.max_per_host = 5000;
        opts.max_in_flight = 5000;
        Runner runner(opts);
        std::vector<ProbeDef> defs;
        for (int i = 0; i < 3000; ++i) defs.push_back(http_probe("s" + std::to_string(i), srv.url("/silent"), 3000));
        auto t0 = Clock::now();
        auto res = runner.run_all(defs);
        double wall = since(t0);
        long timed_out = std::count_if(res.begin(), res.end(), [](const ProbeResult &r) {
            return r.error.rfind("timed out after 3000 ms", 0) == 0;
        });
        double worst = 0;
        for (const auto &r : res) worst = std::max(worst, r.timings.total);
        std::printf("3000 silent in flight: %ld timed out as expected, all done in %.2f s, worst total %.3f s; "
                    "server peak open %d; VmHWM %ld KiB\n",
                    timed_out, wall, worst, srv.peak(), rss_kib());
    }
    Dnsmasq dnsmasq;
    if (dnsmasq.ready()) {
        Runner runner;
        std::vector<ProbeDef> defs;
        for (int i = 0; i < 2000; ++i) defs.push_back(dns_probe("d" + std::to_string(i), dnsmasq.port(), "probe.test", "A"));
        auto t0 = Clock::now();
        auto res = runner.run_all(defs);
        double wall = since(t0);
        long ok = std::count_if(res.begin(), res.end(), [](const ProbeResult &r) { return r.success; });
        std::printf("DNS: %ld/2000 ok in %.2f s = %.0f probes/s; VmHWM %ld KiB\n", ok, wall, 2000 / wall, rss_kib());
    }
}
