// Large buffers for the data path (chunks, compression output, pack staging).
//
// They are page-aligned (O_DIRECT needs it), advised to use huge pages, and
// meant to be kept and reused: every 4 KiB page touched for the first time is
// a page fault, and on virtual machines a page fault costs microseconds. A
// backup that allocated a fresh buffer per chunk spent a third of its system
// time faulting pages in.
#pragma once

#include <cstddef>
#include <utility>

namespace wph::repo {

class Buffer {
public:
    Buffer() = default;
    // Reserves `capacity` bytes of address space; memory is committed as it
    // is first written. Throws wph::Error (WPH_ENOMEM) when mmap fails.
    explicit Buffer(std::size_t capacity);
    ~Buffer();
    Buffer(Buffer &&o) noexcept : p_(std::exchange(o.p_, nullptr)), cap_(std::exchange(o.cap_, 0)) {}
    Buffer &operator=(Buffer &&o) noexcept {
        if (this != &o) {
            release();
            p_ = std::exchange(o.p_, nullptr);
            cap_ = std::exchange(o.cap_, 0);
        }
        return *this;
    }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;

    char *data() const noexcept { return p_; }
    std::size_t capacity() const noexcept { return cap_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    void release() noexcept;
    char *p_ = nullptr;
    std::size_t cap_ = 0;
};

}  // namespace wph::repo
