#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "repo/backend.hpp"
#include "repo/buffer.hpp"
#include "repo/direct_writer.hpp"
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

// The default pending file: bytes gathered in memory, saved at commit.
namespace {
class MemoryPendingFile : public PendingFile {
public:
    MemoryPendingFile(Backend &be, FileType t) : be_(be), type_(t) {}
    std::span<char> space() override {
        if (bytes_.size() == bytes_.capacity()) bytes_.reserve(std::max<std::size_t>(bytes_.capacity() * 2, 1u << 20));
        filled_ = bytes_.size();
        bytes_.resize(bytes_.capacity());
        return {bytes_.data() + filled_, bytes_.size() - filled_};
    }
    void produced(std::size_t n) override { bytes_.resize(filled_ + n); }
    void commit(const std::string &name, std::function<void(std::exception_ptr)> done) override {
        std::exception_ptr err;
        try {
            be_.save(type_, name, bytes_);
        } catch (...) {
            err = std::current_exception();
        }
        bytes_.clear();
        bytes_.shrink_to_fit();
        done(err);
    }

private:
    Backend &be_;
    FileType type_;
    std::string bytes_;
    std::size_t filled_ = 0;
};
}  // namespace

std::unique_ptr<PendingFile> Backend::create_pending(FileType t) { return std::make_unique<MemoryPendingFile>(*this, t); }

char *Backend::load_into(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, Buffer &buf) {
    auto bytes = load(t, name, offset, length);
    if (buf.capacity() < bytes.size()) buf = Buffer(bytes.size());
    std::memcpy(buf.data(), bytes.data(), bytes.size());
    return buf.data();
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

// A pack is written into an unnamed O_TMPFILE file by the repository's
// DirectWriter (see direct_writer.hpp) and linked under its name at commit,
// so a killed process leaves nothing behind. Without O_TMPFILE (or /proc to
// link it through), a named temporary file in data/ is renamed instead;
// restic ignores such names.
class LocalPendingFile : public PendingFile {
public:
    LocalPendingFile(DirectWriter &w, std::shared_ptr<DirectWriter::File> f, std::string tmp_path, std::string root)
        : w_(w), f_(std::move(f)), tmp_path_(std::move(tmp_path)), root_(std::move(root)) {}
    ~LocalPendingFile() override {
        if (committed_) return;
        w_.finish(f_, std::move(cur_), 0, 0, [tmp = tmp_path_](DirectWriter::File &) {
            if (!tmp.empty()) ::unlink(tmp.c_str());
        });
    }
    std::span<char> space() override {
        f_->rethrow_if_failed();
        if (!cur_) {
            cur_ = w_.take();
            fill_ = 0;
        } else if (fill_ == cur_.capacity()) {
            w_.write(f_, std::move(cur_), fill_, off_);
            off_ += fill_;
            cur_ = w_.take();
            fill_ = 0;
        }
        return {cur_.data() + fill_, cur_.capacity() - fill_};
    }
    void produced(std::size_t n) override { fill_ += n; }
    void commit(const std::string &name, std::function<void(std::exception_ptr)> done) override {
        f_->rethrow_if_failed();
        committed_ = true;
        std::string final_path = root_ + "/data/" + name.substr(0, 2) + "/" + name;
        w_.finish(f_, std::move(cur_), fill_, off_,
                  [final_path, tmp = tmp_path_, done = std::move(done)](DirectWriter::File &f) {
                      std::exception_ptr err = f.failed.load() ? f.error : nullptr;
                      if (!err) {
                          try {
                              store(f, tmp, final_path);
                          } catch (...) {
                              err = std::current_exception();
                          }
                      }
                      if (err && !tmp.empty()) ::unlink(tmp.c_str());
                      done(err);
                  });
    }

private:
    // Durable, then visible under its name, then the name durable.
    static void store(DirectWriter::File &f, const std::string &tmp, const std::string &final_path) {
        if (::fsync(f.fd) != 0 && errno != EINVAL && errno != ENOTSUP)
            raise(WPH_EIO, "repo", "cannot fsync " + f.what + ": " + errno_text(errno));
        std::string dir = final_path.substr(0, final_path.rfind('/'));
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            raise(WPH_EIO, "repo", "cannot create directory " + dir + ": " + errno_text(errno));
        if (tmp.empty()) {
            std::string proc = "/proc/self/fd/" + std::to_string(f.fd);
            // EEXIST: the same name is the same bytes.
            if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW) != 0 && errno != EEXIST)
                raise(WPH_EIO, "repo", "cannot create " + final_path + ": " + errno_text(errno));
        } else if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
            raise(WPH_EIO, "repo", "cannot rename into " + final_path + ": " + errno_text(errno));
        }
        Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
        if (d.fd >= 0) ::fsync(d.fd);
    }

    DirectWriter &w_;
    std::shared_ptr<DirectWriter::File> f_;
    std::string tmp_path_, root_;
    Buffer cur_;
    std::size_t fill_ = 0;
    std::uint64_t off_ = 0;
    bool committed_ = false;
};

class LocalBackend : public Backend {
public:
    explicit LocalBackend(std::string root) : root_(std::move(root)) {}

    bool immediate_listing() const override { return true; }

    std::unique_ptr<PendingFile> create_pending(FileType t) override {
        if (t != FileType::pack) return Backend::create_pending(t);
        auto f = std::make_shared<DirectWriter::File>();
        f->what = "a pack file in " + root_;
        std::string data = root_ + "/data", tmp;
        // Linking an unnamed file needs /proc; without it, a named temporary file.
        static const bool have_proc = ::access("/proc/self/fd", X_OK) == 0;
        if (have_proc) f->fd = DirectWriter::open_direct(data.c_str(), O_TMPFILE, 0400, f->direct);
        if (f->fd < 0) {
            static thread_local std::mt19937_64 rng{std::random_device{}()};
            char suffix[32];
            std::snprintf(suffix, sizeof suffix, "/pack-tmp-%016llx", static_cast<unsigned long long>(rng()));
            tmp = data + suffix;
            f->fd = DirectWriter::open_direct(tmp.c_str(), O_CREAT | O_EXCL, 0400, f->direct);
            if (f->fd < 0) io_fail("cannot create a pack file in", data, errno);
        }
        return std::make_unique<LocalPendingFile>(writer_, std::move(f), std::move(tmp), root_);
    }

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
        std::string out;
        read_range(t, name, offset, length, [&](std::uint64_t n) {
            out.resize(n);
            return out.data();
        });
        return out;
    }

    // Packs are read around the page cache: what restore and check read is
    // large and read once, and on virtual machines copying out of freshly
    // filled cache pages costs more than the reading.
    char *load_into(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, Buffer &buf) override {
        if (length == 0) raise(WPH_EINVALID, "repo", "load_into needs a length");
        std::string p = path(t, name);
        auto f = open_file(t, name, p);
        if (offset > f->size || length > f->size - offset)
            raise(WPH_EIO, "repo", p + " is shorter than expected (" + std::to_string(f->size) + " bytes, wanted " +
                                       std::to_string(offset + length) + "; truncated or damaged index?)");
        if (f->direct_fd >= 0) {
            constexpr std::uint64_t kBlock = DirectWriter::kAlign;
            const std::uint64_t start = offset & ~(kBlock - 1), end = (offset + length + kBlock - 1) & ~(kBlock - 1);
            const std::uint64_t want = offset + length - start;  // what must be read; EOF may cut the last block
            if (buf.capacity() < end - start) buf = Buffer(end - start);
            std::uint64_t got = 0;
            while (got < want) {
                ssize_t n = ::pread(f->direct_fd, buf.data() + got, end - start - got, static_cast<off_t>(start + got));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0 && errno == EINVAL) break;  // not for this file system after all: read it as usual
                if (n < 0) io_fail("cannot read", p, errno);
                if (n == 0) raise(WPH_EIO, "repo", p + " is shorter than expected (truncated?)");
                got += static_cast<std::uint64_t>(n);
            }
            if (got >= want) return buf.data() + (offset - start);
        }
        if (buf.capacity() < length) buf = Buffer(length);
        read_range(t, name, offset, length, [&](std::uint64_t) { return buf.data(); });
        return buf.data();
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
        if (t == FileType::pack) forget_open(name);
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
    // Read [offset, offset+length) of a file (length 0: to the end) into the
    // memory `dest(n)` gives for n bytes.
    template <class Dest>
    void read_range(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, Dest &&dest) {
        std::string p = path(t, name);
        auto f = open_file(t, name, p);
        const std::uint64_t size = f->size;
        // Checked before allocating: a damaged index must not make us reserve gigabytes.
        if (offset > size || length > size - offset)
            raise(WPH_EIO, "repo", p + " is shorter than expected (" + std::to_string(size) + " bytes, wanted " +
                                       std::to_string(offset + length) + "; truncated or damaged index?)");
        if (length == 0) length = size - offset;
        char *out = dest(length);
        std::uint64_t done = 0;
        while (done < length) {
            ssize_t n = ::pread(f->fd, out + done, length - done, static_cast<off_t>(offset + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                io_fail("cannot read", p, errno);
            }
            if (n == 0) raise(WPH_EIO, "repo", p + " is shorter than expected (truncated?)");
            done += static_cast<std::uint64_t>(n);
        }
    }

    // Packs never change once written, so the last few opened stay open:
    // restore and check read many blobs from each.
    struct OpenFile {
        int fd = -1, direct_fd = -1;  // direct_fd: the same pack with O_DIRECT, where the file system takes it
        std::uint64_t size = 0;
        ~OpenFile() {
            if (fd >= 0) ::close(fd);
            if (direct_fd >= 0) ::close(direct_fd);
        }
    };
    std::shared_ptr<OpenFile> open_file(FileType t, const std::string &name, const std::string &p) {
        if (t == FileType::pack) {
            std::lock_guard<std::mutex> l(open_mu_);
            for (auto &[n, f] : open_packs_)
                if (n == name) return f;
        }
        auto f = std::make_shared<OpenFile>();
        f->fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (f->fd < 0) io_fail("cannot open", p, errno);
        struct stat st{};
        if (::fstat(f->fd, &st) != 0) io_fail("cannot stat", p, errno);
        f->size = static_cast<std::uint64_t>(st.st_size);
        if (t == FileType::pack) {
            f->direct_fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
            std::lock_guard<std::mutex> l(open_mu_);
            if (open_packs_.size() >= kOpenPacks) open_packs_.erase(open_packs_.begin());
            open_packs_.emplace_back(name, f);
        }
        return f;
    }
    void forget_open(const std::string &name) {
        std::lock_guard<std::mutex> l(open_mu_);
        std::erase_if(open_packs_, [&](auto &e) { return e.first == name; });
    }
    static constexpr std::size_t kOpenPacks = 16;
    std::mutex open_mu_;
    std::vector<std::pair<std::string, std::shared_ptr<OpenFile>>> open_packs_;  // oldest first

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
    DirectWriter writer_;  // last: its thread is joined before the rest goes
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
