#include "host/process.hpp"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "engine/job.hpp"

extern char **environ;

namespace wph {

namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd &) = delete;
    ~Fd() { reset(); }
    void reset() { if (fd >= 0) ::close(fd); fd = -1; }
};

void make_pipe(Fd &r, Fd &w) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) raise(WPH_EIO, "host", "pipe: " + errno_text(errno));
    r.fd = p[0];
    w.fd = p[1];
}

std::string describe(const std::vector<std::string> &argv) {
    return argv.empty() ? std::string("(empty)") : argv[0];
}

}  // namespace

ProcessResult run_process(const std::vector<std::string> &argv, const ProcessOptions &opts) {
    using clock = std::chrono::steady_clock;
    if (argv.empty() || argv[0].empty()) raise(WPH_EINVALID, "host", "run_process: empty argv");
    if (opts.cancel) opts.cancel->check("starting " + argv[0]);

    // Everything the child needs is built before spawning.
    std::vector<char *> cargv;
    for (auto &a : argv) cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);
    std::vector<std::string> env_store;
    if (opts.clean_env) env_store.emplace_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    for (char **e = environ; !opts.clean_env && e && *e; ++e) {
        std::string_view kv(*e);
        if (kv.starts_with("LC_ALL=") || kv.starts_with("LANG=") || kv.starts_with("LANGUAGE=")) continue;
        env_store.emplace_back(kv);
    }
    env_store.emplace_back("LC_ALL=C");
    for (auto &e : opts.env) env_store.push_back(e);
    std::vector<char *> cenv;
    for (auto &e : env_store) cenv.push_back(const_cast<char *>(e.c_str()));
    cenv.push_back(nullptr);

    Fd out_r, out_w, err_r, err_w, in_parent, in_child;
    make_pipe(out_r, out_w);
    make_pipe(err_r, err_w);
    {
        // A socket for stdin: send(MSG_NOSIGNAL) cannot raise SIGPIPE in the
        // host process when the child exits without reading.
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) raise(WPH_EIO, "host", "socketpair: " + errno_text(errno));
        in_parent.fd = sv[0];
        in_child.fd = sv[1];
        ::shutdown(in_child.fd, SHUT_WR);
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, in_child.fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w.fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w.fd, 2);
    if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &def);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        if (rc == ENOENT || rc == EACCES || rc == ENOEXEC)
            raise(WPH_ENOTFOUND, "host", "cannot run " + argv[0] + ": " + errno_text(rc));
        raise(WPH_EIO, "host", "cannot run " + argv[0] + ": " + errno_text(rc));
    }
    out_w.reset();
    err_w.reset();
    in_child.reset();

    ProcessResult res;
    std::size_t in_off = 0;
    if (opts.stdin_data.empty()) in_parent.reset();
    const auto deadline = clock::now() + opts.timeout;
    int stop_reason = 0;  // WPH_ETIMEOUT or a cancellation code
    char buf[65536];

    while (out_r.fd >= 0 || err_r.fd >= 0) {
        if (opts.cancel && opts.cancel->cancelled()) { stop_reason = opts.cancel->code(); break; }
        auto now = clock::now();
        if (now >= deadline) { stop_reason = WPH_ETIMEOUT; break; }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        int wait_ms = static_cast<int>(std::min<long long>(left, opts.cancel ? 50 : 1000));
        pollfd fds[3];
        int n = 0;
        int idx_out = -1, idx_err = -1, idx_in = -1;
        if (out_r.fd >= 0) { idx_out = n; fds[n++] = {out_r.fd, POLLIN, 0}; }
        if (err_r.fd >= 0) { idx_err = n; fds[n++] = {err_r.fd, POLLIN, 0}; }
        if (in_parent.fd >= 0) { idx_in = n; fds[n++] = {in_parent.fd, POLLOUT, 0}; }
        int pr = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
        if (pr < 0) {
            if (errno == EINTR) continue;
            stop_reason = WPH_EIO;
            break;
        }
        auto drain = [&](int idx, Fd &fd, std::string &into) {
            if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
            ssize_t r = ::read(fd.fd, buf, sizeof buf);
            if (r < 0 && errno == EINTR) return;
            if (r <= 0) { fd.reset(); return; }
            std::size_t room = opts.max_output > into.size() ? opts.max_output - into.size() : 0;
            if (static_cast<std::size_t>(r) > room) res.truncated = true;
            into.append(buf, std::min(room, static_cast<std::size_t>(r)));
        };
        drain(idx_out, out_r, res.out);
        drain(idx_err, err_r, res.err);
        if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = ::send(in_parent.fd, opts.stdin_data.data() + in_off, opts.stdin_data.size() - in_off,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) in_off += static_cast<std::size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) in_off = opts.stdin_data.size();
            if (in_off >= opts.stdin_data.size()) in_parent.reset();
        }
    }

    int status = 0;
    bool reaped = false;
    // Output is closed; the child may still be running. Keep to the deadline.
    while (!stop_reason) {
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) { reaped = true; break; }
        if (opts.cancel && opts.cancel->cancelled()) stop_reason = opts.cancel->code();
        else if (clock::now() >= deadline) stop_reason = WPH_ETIMEOUT;
        else ::usleep(5000);
    }
    if (stop_reason) ::kill(-pid, SIGKILL);
    while (!reaped) {
        pid_t w = ::waitpid(pid, &status, 0);
        if (w == pid || (w < 0 && errno != EINTR)) break;
    }
    if (stop_reason == WPH_ETIMEOUT)
        raise(WPH_ETIMEOUT, "host", describe(argv) + " did not finish within " + std::to_string(opts.timeout.count()) + " ms");
    if (stop_reason == WPH_EIO) raise(WPH_EIO, "host", "poll failed while running " + describe(argv));
    if (stop_reason) opts.cancel->check("running " + describe(argv));
    if (WIFEXITED(status)) {
        res.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res.term_signal = WTERMSIG(status);
    }
    return res;
}

}  // namespace wph
