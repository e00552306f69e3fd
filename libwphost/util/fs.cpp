#include "util/fs.hpp"

#include <cerrno>
#include <cstdio>
#include <random>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.hpp"

namespace wph::util {

namespace {
[[noreturn]] void io_fail(const char *category, const std::string &what, const std::string &path, int err) {
    raise(err == ENOENT ? WPH_ENOTFOUND : WPH_EIO, category, what + " " + path + ": " + errno_text(err));
}

struct Fd {
    int fd = -1;
    ~Fd() { if (fd >= 0) ::close(fd); }
};
}  // namespace

void make_dirs(const std::string &path, mode_t mode, const char *category) {
    if (path.empty()) raise(WPH_EINVALID, category, "empty directory path");
    std::string cur;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), mode) != 0) {
            int err = errno;
            if (err == EEXIST) {
                struct stat st{};
                if (::stat(cur.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
                raise(WPH_EIO, category, "cannot create directory " + cur + ": a file of that name exists");
            }
            // Permission errors on existing ancestors are fine; only fail where
            // the component really is missing.
            struct stat st{};
            if (::stat(cur.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
            raise(WPH_EIO, category, "cannot create directory " + cur + ": " + errno_text(err));
        }
    }
}

std::optional<std::string> read_file_if_exists(const std::string &path, std::size_t max_bytes) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        io_fail("host", "cannot open", path, errno);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            io_fail("host", "cannot read", path, errno);
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_bytes) raise(WPH_EIO, "host", "file too large: " + path);
    }
    return out;
}

std::optional<std::string> read_head(const std::string &path, std::size_t n) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        io_fail("state", "cannot open", path, errno);
    }
    std::string out(n, '\0');
    ssize_t r = ::pread(f.fd, out.data(), n, 0);
    if (r < 0) io_fail("state", "cannot read", path, errno);
    out.resize(static_cast<std::size_t>(r));
    return out;
}

void write_file_atomic(const std::string &path, const std::string &data, mode_t mode, const char *category, uid_t uid,
                       gid_t gid) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    // A random name, created exclusively: threads and processes writing the
    // same file at once never share a temporary file.
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "-tmp-%016llx", static_cast<unsigned long long>(rng()));
    std::string tmp = path + suffix;
    {
        // The final mode from the start: no moment with wider permissions.
        Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)};
        if (f.fd < 0) io_fail(category, "cannot create", tmp, errno);
        if (::fchmod(f.fd, mode) != 0) io_fail(category, "cannot chmod", tmp, errno);
        if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::fchown(f.fd, uid, gid) != 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            io_fail(category, "cannot chown", tmp, err);
        }
        std::size_t off = 0;
        while (off < data.size()) {
            ssize_t n = ::write(f.fd, data.data() + off, data.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                int err = errno;
                ::unlink(tmp.c_str());
                io_fail(category, "cannot write", tmp, err);
            }
            off += static_cast<std::size_t>(n);
        }
        // Some file systems cannot fsync; the rename is still atomic there.
        if (::fsync(f.fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
            int err = errno;
            ::unlink(tmp.c_str());
            io_fail(category, "cannot fsync", tmp, err);
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        io_fail(category, "cannot rename into", path, err);
    }
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd >= 0) ::fsync(d.fd);
}

bool is_executable(const std::string &path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool exists(const std::string &path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace wph::util
