#include "repo/direct_writer.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "engine/error.hpp"

namespace wph::repo {

void DirectWriter::File::fail(std::exception_ptr e) {
    if (failed.load()) return;
    error = std::move(e);
    failed.store(true);
}

void DirectWriter::File::rethrow_if_failed() const {
    if (failed.load()) std::rethrow_exception(error);
}

DirectWriter::File::~File() {
    if (fd >= 0) ::close(fd);
}

int DirectWriter::open_direct(const char *path, int flags, mode_t mode, bool &direct) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC | O_DIRECT | flags, mode);
    direct = fd >= 0;
    if (fd < 0 && errno == EINVAL) fd = ::open(path, O_WRONLY | O_CLOEXEC | flags, mode);
    return fd;
}

DirectWriter::~DirectWriter() {
    {
        std::lock_guard<std::mutex> l(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

Buffer DirectWriter::take() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
        if (!free_.empty()) {
            Buffer b = std::move(free_.back());
            free_.pop_back();
            return b;
        }
        // Waiting is safe only while a queued write will hand a buffer back.
        if (total_ < max_buffers_ || queued_ == 0) break;
        back_.wait(l);
    }
    ++total_;
    l.unlock();
    return Buffer(kStage);
}

void DirectWriter::give(Buffer b) {
    if (!b) return;
    {
        std::lock_guard<std::mutex> l(mu_);
        free_.push_back(std::move(b));
    }
    back_.notify_one();
}

void DirectWriter::write(std::shared_ptr<File> f, Buffer buf, std::size_t len, std::uint64_t off) {
    submit(Op{std::move(f), std::move(buf), len, off, false, {}});
}

void DirectWriter::finish(std::shared_ptr<File> f, Buffer buf, std::size_t len, std::uint64_t off,
                          std::function<void(File &)> then) {
    submit(Op{std::move(f), std::move(buf), len, off, true, std::move(then)});
}

void DirectWriter::submit(Op op) {
    {
        std::lock_guard<std::mutex> l(mu_);
        if (op.buf) ++queued_;
        ops_.push_back(std::move(op));
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    cv_.notify_one();
}

namespace {
void set_direct(DirectWriter::File &f, bool on) {
    int fl = ::fcntl(f.fd, F_GETFL);
    if (fl >= 0) ::fcntl(f.fd, F_SETFL, on ? (fl | O_DIRECT) : (fl & ~O_DIRECT));
    f.direct = on;
}

void write_all(DirectWriter::File &f, const char *p, std::size_t n, std::uint64_t off) {
    while (n > 0) {
        ssize_t w = ::pwrite(f.fd, p, n, static_cast<off_t>(off));
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EINVAL && f.direct) {  // the file system refuses this direct write
                set_direct(f, false);
                continue;
            }
            raise(WPH_EIO, "repo", "cannot write " + f.what + ": " + errno_text(errno));
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        off += static_cast<std::uint64_t>(w);
    }
}
}  // namespace

void DirectWriter::write_at(File &f, const char *p, std::size_t n, std::uint64_t off, bool last) {
    // Direct writes need whole blocks at block offsets; the end of a file is
    // written through the page cache.
    const std::size_t whole = f.direct ? (last ? n & ~(kAlign - 1) : n) : 0;
    if (whole) write_all(f, p, whole, off);
    if (whole < n) {
        if (f.direct) set_direct(f, false);
        write_all(f, p + whole, n - whole, off + whole);
    }
}

void DirectWriter::run() {
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
        if (!f.failed.load() && op.len) {
            try {
                write_at(f, op.buf.data(), op.len, op.off, op.last);
            } catch (...) {
                f.fail(std::current_exception());
            }
        }
        if (op.then) {
            try {
                op.then(f);
            } catch (...) {
                f.fail(std::current_exception());
            }
        }
        op.file.reset();  // may close the file
        {
            std::lock_guard<std::mutex> l(mu_);
            if (op.buf) {
                --queued_;
                free_.push_back(std::move(op.buf));
            }
        }
        back_.notify_one();
    }
}

}  // namespace wph::repo
