#include "host/net.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "engine/job.hpp"

namespace wph {

namespace {

using clock = std::chrono::steady_clock;

struct Sock {
    int fd = -1;
    ~Sock() { if (fd >= 0) ::close(fd); }
};

// Wait for `events` on fd until the deadline, checking cancellation every 50 ms.
// Returns false on timeout.
bool wait_fd(int fd, short events, clock::time_point deadline, const CancelToken *cancel) {
    for (;;) {
        if (cancel) cancel->check("a network check");
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 50)));
        if (r > 0) return true;
        if (r < 0 && errno != EINTR) return true;  // let the following call report the error
    }
}

bool connect_fd(Sock &s, const sockaddr *addr, socklen_t len, int family, clock::time_point deadline,
                const CancelToken *cancel, std::string &error) {
    s.fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s.fd < 0) { error = "socket: " + errno_text(errno); return false; }
    if (::connect(s.fd, addr, len) == 0) return true;
    if (errno != EINPROGRESS && errno != EAGAIN) { error = errno_text(errno); return false; }
    if (!wait_fd(s.fd, POLLOUT, deadline, cancel)) { error = "connect timed out"; return false; }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) { error = errno_text(soerr); return false; }
    return true;
}

}  // namespace

NetExchange net_exchange(const std::string &host, int port, const std::string &unix_path, const std::string &request,
                         const std::function<bool(const std::string &)> &complete, std::chrono::milliseconds timeout,
                         const CancelToken *cancel, std::size_t max_bytes) {
    NetExchange res;
    const auto deadline = clock::now() + timeout;
    Sock s;
    if (!unix_path.empty()) {
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        if (unix_path.size() >= sizeof sa.sun_path) { res.error = "socket path too long"; return res; }
        std::memcpy(sa.sun_path, unix_path.c_str(), unix_path.size() + 1);
        if (!connect_fd(s, reinterpret_cast<sockaddr *>(&sa), sizeof sa, AF_UNIX, deadline, cancel, res.error)) return res;
    } else {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo *ai = nullptr;
        int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &ai);
        if (gai != 0) { res.error = "cannot resolve " + host + ": " + gai_strerror(gai); return res; }
        std::string last;
        bool ok = false;
        for (addrinfo *p = ai; p && !ok; p = p->ai_next) {
            Sock attempt;
            if (connect_fd(attempt, p->ai_addr, p->ai_addrlen, p->ai_family, deadline, cancel, last)) {
                s.fd = attempt.fd;
                attempt.fd = -1;
                ok = true;
            }
        }
        ::freeaddrinfo(ai);
        if (!ok) { res.error = last; return res; }
    }
    res.connected = true;
    std::size_t off = 0;
    while (off < request.size()) {
        if (!wait_fd(s.fd, POLLOUT, deadline, cancel)) { res.error = "timed out sending"; return res; }
        ssize_t w = ::send(s.fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            res.error = "send: " + errno_text(errno);
            return res;
        }
        off += static_cast<std::size_t>(w);
    }
    char buf[16384];
    while (!complete(res.reply)) {
        if (res.reply.size() >= max_bytes) { res.error = "answer too long"; return res; }
        if (!wait_fd(s.fd, POLLIN, deadline, cancel)) { res.error = "timed out waiting for an answer"; return res; }
        ssize_t r = ::recv(s.fd, buf, std::min(sizeof buf, max_bytes - res.reply.size()), 0);
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            res.error = "recv: " + errno_text(errno);
            return res;
        }
        if (r == 0) {
            if (!complete(res.reply)) res.error = "connection closed before a full answer";
            return res;
        }
        res.reply.append(buf, static_cast<std::size_t>(r));
    }
    return res;
}

}  // namespace wph
