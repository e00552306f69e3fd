#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "repo/backend.hpp"
#include "util/fs.hpp"

namespace wph::repo {

const char *file_type_dir(FileType t) {
    switch (t) {
    case FileType::config: return "";
    case FileType::key: return "keys";
    case FileType::snapshot: return "snapshots";
    case FileType::index: return "index";
    case FileType::lock: return "locks";
    case FileType::pack: return "data";
    }
    return "";
}

namespace {

[[noreturn]] void io_fail(const std::string &what, const std::string &path, int err) {
    raise(err == ENOENT ? WPH_ENOTFOUND : WPH_EIO, "repo", what + " " + path + ": " + errno_text(err));
}

struct Fd {
    int fd = -1;
    ~Fd() { if (fd >= 0) ::close(fd); }
};

bool is_hex_name(const char *n) {
    std::size_t len = 0;
    for (; n[len]; ++len) {
        char c = n[len];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return len == 64;
}

class LocalBackend : public Backend {
public:
    explicit LocalBackend(std::string root) : root_(std::move(root)) {}

    std::string location() const override { return root_; }

    std::string path(FileType t, const std::string &name) const {
        if (t == FileType::config) return root_ + "/config";
        if (t == FileType::pack) return root_ + "/data/" + name.substr(0, 2) + "/" + name;
        return root_ + "/" + file_type_dir(t) + "/" + name;
    }

    void create() override {
        struct stat st{};
        if (::stat((root_ + "/config").c_str(), &st) == 0)
            raise(WPH_EEXISTS, "repo", "a repository already exists at " + root_);
        util::make_dirs(root_, 0700, "repo");
        for (auto t : {FileType::key, FileType::snapshot, FileType::index, FileType::lock, FileType::pack})
            mkdir_one(root_ + "/" + file_type_dir(t));
        for (int i = 0; i < 256; ++i) {
            char sub[3];
            std::snprintf(sub, sizeof sub, "%02x", i);
            mkdir_one(root_ + "/data/" + sub);
        }
    }

    void save(FileType t, const std::string &name, const std::string &data) override {
        std::string final_path = path(t, name);
        if (t == FileType::pack) mkdir_one(final_path.substr(0, final_path.rfind('/')));  // data/xx may be missing
        // Repository files are never modified; like restic, they are read-only.
        util::write_file_atomic(final_path, data, 0400, "repo");
    }

    std::string load(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length) override {
        std::string p = path(t, name);
        Fd f{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
        if (f.fd < 0) io_fail("cannot open", p, errno);
        struct stat st{};
        if (::fstat(f.fd, &st) != 0) io_fail("cannot stat", p, errno);
        auto size = static_cast<std::uint64_t>(st.st_size);
        // Checked before allocating: a damaged index must not make us reserve gigabytes.
        if (offset > size || length > size - offset)
            raise(WPH_EIO, "repo", p + " is shorter than expected (" + std::to_string(size) + " bytes, wanted " +
                                       std::to_string(offset + length) + "; truncated or damaged index?)");
        if (length == 0) length = size - offset;
        std::string out(length, '\0');
        std::uint64_t done = 0;
        while (done < length) {
            ssize_t n = ::pread(f.fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                io_fail("cannot read", p, errno);
            }
            if (n == 0) raise(WPH_EIO, "repo", p + " is shorter than expected (truncated?)");
            done += static_cast<std::uint64_t>(n);
        }
        return out;
    }

    std::uint64_t size(FileType t, const std::string &name) override {
        struct stat st{};
        std::string p = path(t, name);
        if (::stat(p.c_str(), &st) != 0) io_fail("cannot stat", p, errno);
        return static_cast<std::uint64_t>(st.st_size);
    }

    bool exists(FileType t, const std::string &name) override {
        struct stat st{};
        return ::stat(path(t, name).c_str(), &st) == 0;
    }

    void remove(FileType t, const std::string &name) override {
        std::string p = path(t, name);
        if (::unlink(p.c_str()) != 0 && errno != ENOENT) io_fail("cannot remove", p, errno);
    }

    void list(FileType t, const std::function<void(const std::string &, std::uint64_t)> &fn) override {
        if (t == FileType::pack) {
            std::string data = root_ + "/data";
            for_each_entry(data, [&](const char *sub) {
                if (std::strlen(sub) == 2) list_dir(data + "/" + sub, fn);
            });
            return;
        }
        list_dir(root_ + "/" + file_type_dir(t), fn);
    }

private:
    template <class F> void for_each_entry(const std::string &dir, F &&f) {
        DIR *d = ::opendir(dir.c_str());
        if (!d) {
            if (errno == ENOENT) return;
            io_fail("cannot list", dir, errno);
        }
        while (auto *e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            f(e->d_name);
        }
        ::closedir(d);
    }

    void list_dir(const std::string &dir, const std::function<void(const std::string &, std::uint64_t)> &fn) {
        std::vector<std::pair<std::string, std::uint64_t>> found;
        for_each_entry(dir, [&](const char *n) {
            if (!is_hex_name(n)) return;
            struct stat st{};
            if (::stat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode))
                found.emplace_back(n, static_cast<std::uint64_t>(st.st_size));
        });
        for (auto &[n, s] : found) fn(n, s);
    }

    void mkdir_one(const std::string &p) {
        if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) io_fail("cannot create directory", p, errno);
    }

    std::string root_;
};

}  // namespace

std::unique_ptr<Backend> open_local_backend(const std::string &path) {
    if (path.empty() || path[0] != '/') raise(WPH_EINVALID, "repo", "local repository path must be absolute: \"" + path + "\"");
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return std::make_unique<LocalBackend>(p);
}

std::unique_ptr<Backend> open_backend(const std::string &location) {
    if (location.rfind("local:", 0) == 0) return open_local_backend(location.substr(6));
    for (const char *scheme : {"rest:", "s3:", "sftp:", "b2:", "azure:", "gs:", "rclone:", "swift:"})
        if (location.rfind(scheme, 0) == 0)
            raise(WPH_EINVALID, "repo", std::string("the ") + std::string(scheme, std::strlen(scheme) - 1) +
                                            " backend is not available in this version of libwphost: " + location);
    return open_local_backend(location);
}

}  // namespace wph::repo
