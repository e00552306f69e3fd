#include "repo/buffer.hpp"

#include <cerrno>
#include <cstdint>
#include <string>
#include <sys/mman.h>

#include "engine/error.hpp"

namespace wph::repo {

namespace {
constexpr std::size_t kHuge = std::size_t(2) << 20;
}

Buffer::Buffer(std::size_t capacity) {
    if (capacity == 0) return;
    // Rounded up to whole huge pages and aligned to one, so that the kernel
    // can back it with huge pages where transparent huge pages are enabled.
    const std::size_t cap = (capacity + kHuge - 1) & ~(kHuge - 1);
    void *raw = ::mmap(nullptr, cap + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        raise(WPH_ENOMEM, "repo", "cannot reserve a " + std::to_string(cap >> 20) + " MiB buffer: " + errno_text(errno));
    auto start = reinterpret_cast<std::uintptr_t>(raw);
    auto aligned = (start + kHuge - 1) & ~(std::uintptr_t(kHuge) - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    const std::uintptr_t end = start + cap + kHuge, used_end = aligned + cap;
    if (end > used_end) ::munmap(reinterpret_cast<void *>(used_end), end - used_end);
    p_ = reinterpret_cast<char *>(aligned);
    cap_ = cap;
#ifdef MADV_HUGEPAGE
    ::madvise(p_, cap_, MADV_HUGEPAGE);  // advice only: without it, 4 KiB pages
#endif
}

Buffer::~Buffer() { release(); }

void Buffer::release() noexcept {
    if (p_) ::munmap(p_, cap_);
    p_ = nullptr;
    cap_ = 0;
}

}  // namespace wph::repo
