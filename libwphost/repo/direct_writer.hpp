// Writes large files from a background thread, through O_DIRECT where the
// file system takes it. Producers fill staging buffers taken from the
// writer, hand them over with the file offset, and go on computing; the
// writer thread writes them in order and runs each file's final step.
//
// Why O_DIRECT: pack files and restored files are large, written once and
// not read back soon. Going around the page cache saves the copy into it
// (on a virtual machine the costliest part of writing, as every new cache
// page is a host fault) and leaves the server's own cached files alone.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "repo/buffer.hpp"

namespace wph::repo {

class DirectWriter {
public:
    static constexpr std::size_t kStage = std::size_t(2) << 20;  // one staging buffer
    static constexpr std::size_t kAlign = 4096;                   // O_DIRECT block size used

    // An open file being written. `fd` may have O_DIRECT set (`direct`);
    // the writer drops it for writes the file system refuses and for the end.
    struct File {
        int fd = -1;
        bool direct = false;
        std::string what;  // for error messages ("a pack file", the path)
        std::atomic<bool> failed{false};
        std::exception_ptr error;  // set before `failed`
        void fail(std::exception_ptr e);
        void rethrow_if_failed() const;
        ~File();  // closes fd
    };
    // Open `path` for writing with O_DIRECT if the file system takes it.
    // `flags` are added to O_WRONLY | O_CLOEXEC. Returns -1 (errno set) on failure.
    static int open_direct(const char *path, int flags, mode_t mode, bool &direct);

    explicit DirectWriter(unsigned max_buffers = 8) : max_buffers_(max_buffers) {}
    ~DirectWriter();  // runs what is queued, then joins
    DirectWriter(const DirectWriter &) = delete;
    DirectWriter &operator=(const DirectWriter &) = delete;

    // A staging buffer of kStage bytes: a free one, a new one, or (when
    // enough are queued already) the next one the writer hands back.
    Buffer take();
    void give(Buffer b);

    // Write buf[0, len) at `off` (len a multiple of kAlign unless it is the
    // end of the file); the buffer goes back to the pool.
    void write(std::shared_ptr<File> f, Buffer buf, std::size_t len, std::uint64_t off);
    // After everything queued before it: write buf[0, len) at `off` as the
    // end of the file (empty buffer: nothing), then run `then` on the writer
    // thread. `then` runs even when a write failed: f->failed tells.
    void finish(std::shared_ptr<File> f, Buffer buf, std::size_t len, std::uint64_t off, std::function<void(File &)> then);

    // Write p[0, n) at `off` on the calling thread (used by the writer).
    static void write_at(File &f, const char *p, std::size_t n, std::uint64_t off, bool last);

private:
    struct Op {
        std::shared_ptr<File> file;
        Buffer buf;
        std::size_t len = 0;
        std::uint64_t off = 0;
        bool last = false;
        std::function<void(File &)> then;
    };
    void submit(Op op);
    void run();

    const unsigned max_buffers_;
    std::mutex mu_;
    std::condition_variable cv_, back_;
    std::deque<Op> ops_;
    std::vector<Buffer> free_;
    unsigned total_ = 0, queued_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace wph::repo
