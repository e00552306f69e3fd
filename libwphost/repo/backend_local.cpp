#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "engine/error.hpp"
#include "repo/backend.hpp"
#include "repo/buffer.hpp"
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

void Backend::load_into(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, char *out) {
    auto bytes = load(t, name, offset, length);
    std::memcpy(out, bytes.data(), bytes.size());
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

// Pack files are written by one background thread per repository, from
// staging buffers the producers fill, with O_DIRECT where the file system
// takes it: packs are large, written once and not read back soon, so going
// around the page cache saves the copy into it (the costliest part of
// writing on a virtual machine) and leaves the server's own cached files
// alone. Unnamed O_TMPFILE files are linked under their name at commit, so a
// killed process leaves nothing behind; without O_TMPFILE a named temporary
// file in data/ is renamed instead (restic ignores such names).
class PackWriter {
public:
    static constexpr std::size_t kStage = std::size_t(2) << 20;
    static constexpr std::size_t kAlign = 4096;

    struct File {
        int fd = -1;
        bool direct = false;
        std::string tmp_path;  // empty for an O_TMPFILE file
        std::atomic<bool> failed{false};
        std::exception_ptr error;  // set before `failed`
        void fail(std::exception_ptr e) {
            if (failed.load()) return;
            error = std::move(e);
            failed.store(true);
        }
    };

    ~PackWriter() {
        {
            std::lock_guard<std::mutex> l(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    // A staging buffer: a free one, a new one, or (when many are queued for
    // writing) the next one the writer hands back.
    Buffer take() {
        std::unique_lock<std::mutex> l(mu_);
        for (;;) {
            if (!free_.empty()) {
                Buffer b = std::move(free_.back());
                free_.pop_back();
                return b;
            }
            if (total_ < kMaxBuffers || queued_ == 0) break;
            back_.wait(l);
        }
        ++total_;
        l.unlock();
        return Buffer(kStage);
    }
    void give(Buffer b) {
        {
            std::lock_guard<std::mutex> l(mu_);
            free_.push_back(std::move(b));
        }
        back_.notify_one();
    }

    enum class Kind { write, commit, discard };
    struct Op {
        Kind kind;
        std::shared_ptr<File> file;
        Buffer buf;
        std::size_t len = 0;
        std::uint64_t off = 0;
        std::string final_path;
        std::function<void(std::exception_ptr)> done;
    };
    void submit(Op op) {
        {
            std::lock_guard<std::mutex> l(mu_);
            if (op.buf) ++queued_;
            ops_.push_back(std::move(op));
            if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        }
        cv_.notify_one();
    }

private:
    static constexpr unsigned kMaxBuffers = 8;

    void run() {
        for (;;) {
            Op op;
            {
                std::unique_lock<std::mutex> l(mu_);
                cv_.wait(l, [&] { return stop_ || !ops_.empty(); });
                if (ops_.empty()) return;
                op = std::move(ops_.front());
                ops_.pop_front();
            }
            File &f = *op.file;
            if (op.kind == Kind::write) {
                if (!f.failed.load()) {
                    try {
                        write_at(f, op.buf.data(), op.len, op.off);
                    } catch (...) {
                        f.fail(std::current_exception());
                    }
                }
            } else if (op.kind == Kind::commit) {
                if (!f.failed.load()) {
                    try {
                        finish(f, op);
                    } catch (...) {
                        f.fail(std::current_exception());
                    }
                }
                close_file(f);
                std::exception_ptr err = f.failed.load() ? f.error : nullptr;
                try {
                    op.done(err);
                } catch (...) {
                }
            } else {
                close_file(f);
            }
            if (op.buf) {
                std::lock_guard<std::mutex> l(mu_);
                --queued_;
                free_.push_back(std::move(op.buf));
                back_.notify_one();
            }
        }
    }

    static void close_file(File &f) {
        if (f.fd >= 0) ::close(f.fd);
        f.fd = -1;
        if (!f.tmp_path.empty()) ::unlink(f.tmp_path.c_str());  // renamed away after a commit
    }

    static void write_all(File &f, const char *p, std::size_t n, std::uint64_t off) {
        while (n > 0) {
            ssize_t w = ::pwrite(f.fd, p, n, static_cast<off_t>(off));
            if (w < 0) {
                if (errno == EINTR) continue;
                if (errno == EINVAL && f.direct) {  // the file system refuses this direct write
                    set_direct(f, false);
                    continue;
                }
                raise(WPH_EIO, "repo", "cannot write a pack file: " + errno_text(errno));
            }
            p += w;
            n -= static_cast<std::size_t>(w);
            off += static_cast<std::uint64_t>(w);
        }
    }
    static void set_direct(File &f, bool on) {
        int fl = ::fcntl(f.fd, F_GETFL);
        if (fl >= 0) ::fcntl(f.fd, F_SETFL, on ? (fl | O_DIRECT) : (fl & ~O_DIRECT));
        f.direct = on;
    }
    static void write_at(File &f, const char *p, std::size_t n, std::uint64_t off) {
        // Direct writes need whole blocks at block offsets; the end of a file
        // is written through the page cache.
        const std::size_t whole = f.direct ? n & ~(kAlign - 1) : 0;
        if (whole) write_all(f, p, whole, off);
        if (whole < n) {
            if (f.direct) set_direct(f, false);
            write_all(f, p + whole, n - whole, off + whole);
        }
    }

    void finish(File &f, Op &op) {
        if (op.len) write_at(f, op.buf.data(), op.len, op.off);
        if (::fsync(f.fd) != 0 && errno != EINVAL && errno != ENOTSUP)
            raise(WPH_EIO, "repo", "cannot fsync a pack file: " + errno_text(errno));
        std::string dir = op.final_path.substr(0, op.final_path.rfind('/'));
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            raise(WPH_EIO, "repo", "cannot create directory " + dir + ": " + errno_text(errno));
        if (f.tmp_path.empty()) {
            std::string proc = "/proc/self/fd/" + std::to_string(f.fd);
            if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, op.final_path.c_str(), AT_SYMLINK_FOLLOW) != 0 && errno != EEXIST)
                raise(WPH_EIO, "repo", "cannot create " + op.final_path + ": " + errno_text(errno));
        } else {
            if (::rename(f.tmp_path.c_str(), op.final_path.c_str()) != 0)
                raise(WPH_EIO, "repo", "cannot rename into " + op.final_path + ": " + errno_text(errno));
            f.tmp_path.clear();
        }
        Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
        if (d.fd >= 0) ::fsync(d.fd);
    }

    std::mutex mu_;
    std::condition_variable cv_, back_;
    std::deque<Op> ops_;
    std::vector<Buffer> free_;
    unsigned total_ = 0, queued_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

class LocalPendingFile : public PendingFile {
public:
    LocalPendingFile(PackWriter &w, std::shared_ptr<PackWriter::File> f, std::string root)
        : w_(w), f_(std::move(f)), root_(std::move(root)) {}
    ~LocalPendingFile() override {
        if (!committed_) w_.submit({PackWriter::Kind::discard, f_, std::move(cur_), 0, 0, {}, {}});
    }
    std::span<char> space() override {
        check();
        if (!cur_) {
            cur_ = w_.take();
            fill_ = 0;
        } else if (fill_ == cur_.capacity()) {
            w_.submit({PackWriter::Kind::write, f_, std::move(cur_), fill_, off_, {}, {}});
            off_ += fill_;
            cur_ = w_.take();
            fill_ = 0;
        }
        return {cur_.data() + fill_, cur_.capacity() - fill_};
    }
    void produced(std::size_t n) override { fill_ += n; }
    void commit(const std::string &name, std::function<void(std::exception_ptr)> done) override {
        check();
        committed_ = true;
        std::string final_path = root_ + "/data/" + name.substr(0, 2) + "/" + name;
        w_.submit({PackWriter::Kind::commit, f_, std::move(cur_), fill_, off_, std::move(final_path), std::move(done)});
    }

private:
    void check() {
        if (f_->failed.load()) std::rethrow_exception(f_->error);
    }
    PackWriter &w_;
    std::shared_ptr<PackWriter::File> f_;
    std::string root_;
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
        auto f = std::make_shared<PackWriter::File>();
        std::string data = root_ + "/data";
        // Linking an unnamed file needs /proc; without it, a named temporary file.
        static const bool have_proc = ::access("/proc/self/fd", X_OK) == 0;
        if (have_proc) {
            f->fd = ::open(data.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC | O_DIRECT, 0400);
            if (f->fd < 0 && errno == EINVAL) f->fd = ::open(data.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0400);
            else f->direct = f->fd >= 0;
        }
        if (f->fd < 0) {
            static thread_local std::mt19937_64 rng{std::random_device{}()};
            char suffix[32];
            std::snprintf(suffix, sizeof suffix, "/pack-tmp-%016llx", static_cast<unsigned long long>(rng()));
            f->tmp_path = data + suffix;
            f->fd = ::open(f->tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0400);
            if (f->fd < 0 && errno == EINVAL) f->fd = ::open(f->tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
            else f->direct = f->fd >= 0;
            if (f->fd < 0) {
                int err = errno;
                f->tmp_path.clear();
                io_fail("cannot create a pack file in", data, err);
            }
        }
        return std::make_unique<LocalPendingFile>(writer_, std::move(f), root_);
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

    void load_into(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, char *out) override {
        if (length == 0) raise(WPH_EINVALID, "repo", "load_into needs a length");
        read_range(t, name, offset, length, [&](std::uint64_t) { return out; });
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
    // Read [offset, offset+length) of a file (length 0: to the end) into the
    // memory `dest(n)` gives for n bytes.
    template <class Dest>
    void read_range(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, Dest &&dest) {
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
        char *out = dest(length);
        std::uint64_t done = 0;
        while (done < length) {
            ssize_t n = ::pread(f.fd, out + done, length - done, static_cast<off_t>(offset + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                io_fail("cannot read", p, errno);
            }
            if (n == 0) raise(WPH_EIO, "repo", p + " is shorter than expected (truncated?)");
            done += static_cast<std::uint64_t>(n);
        }
    }

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
    PackWriter writer_;  // last: its thread is joined before the rest goes
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
