// restic's content-defined chunker (restic/chunker v0.4.0), RESTIC-FORMAT.md §7.
#include "repo/chunker.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "engine/error.hpp"
#include "repo/crypto.hpp"
#include "wphost/common.h"

namespace wph::repo {

namespace {

constexpr int kDegree = 53;
constexpr int kShift = kDegree - 8;  // the 8 bits above the degree index the mod table
constexpr std::uint64_t kSplitMask = (std::uint64_t(1) << 20) - 1;

// x mod d over GF(2); d != 0.
Pol pol_mod(Pol x, Pol d) {
    const int dd = pol_degree(d);
    for (int diff = pol_degree(x) - dd; diff >= 0; diff = pol_degree(x) - dd) x ^= d << diff;
    return x;
}

// a*b mod g for deg(a), deg(b) < deg(g), deg(g) >= 1. Shift-and-add; the
// shifted value never exceeds deg(g) bits, so this works up to degree 63.
Pol pol_mulmod(Pol a, Pol b, Pol g) {
    const Pol top = Pol(1) << pol_degree(g);
    Pol res = 0;
    while (b != 0) {
        if (b & 1) res ^= a;
        b >>= 1;
        a <<= 1;
        if (a & top) a ^= g;
    }
    return res;
}

Pol pol_gcd(Pol a, Pol b) {
    while (b != 0) {
        Pol t = pol_mod(a, b);
        a = b;
        b = t;
    }
    return a;
}

// (x^(2^i) - x) mod g, x^(2^i) by i squarings of x.
Pol pol_qp(int i, Pol g) {
    Pol res = 2;
    for (int k = 0; k < i; ++k) res = pol_mulmod(res, res, g);
    return pol_mod(res ^ 2, g);
}

// One step of the rolling hash: remove `out_byte` leaving the window, shift `in` in.
[[gnu::always_inline]] inline std::uint64_t roll(std::uint64_t d, std::uint8_t out_byte, std::uint8_t in,
                                                 const std::uint64_t *out, const std::uint64_t *mod) {
    d ^= out[out_byte];
    return ((d << 8) | in) ^ mod[d >> kShift];
}

}  // namespace

struct Chunker::Tables {
    std::array<std::uint64_t, 256> out{};  // b * x^(8*63) mod P: removes b leaving the window
    std::array<std::uint64_t, 256> mod{};  // ((b << 53) mod P) | (b << 53): reduces the 8 overflow bits

    explicit Tables(Pol pol) {
        for (int b = 0; b < 256; ++b) {
            Pol h = pol_mod(Pol(b), pol);
            for (std::size_t i = 0; i + 1 < kWindow; ++i) h = pol_mod(h << 8, pol);
            out[b] = h;
            mod[b] = pol_mod(Pol(b) << kDegree, pol) | (Pol(b) << kDegree);
        }
    }

    // Tables are immutable and the same few polynomials are used over and
    // over (one per repository), so share them.
    static std::shared_ptr<const Tables> get(Pol pol) {
        static std::mutex mu;
        static std::map<Pol, std::shared_ptr<const Tables>> cache;
        std::lock_guard lock(mu);
        auto &slot = cache[pol];
        if (!slot) slot = std::make_shared<const Tables>(pol);
        return slot;
    }
};

int pol_degree(Pol p) { return 63 - std::countl_zero(p); }

bool pol_irreducible(Pol p) {
    // Like restic, polynomials of degree < 2 pass (the loop below is empty);
    // the chunker rejects anything but degree 53 anyway.
    const int deg = pol_degree(p);
    for (int i = 1; i <= deg / 2; ++i)
        if (pol_gcd(p, pol_qp(i, p)) != 1) return false;
    return true;
}

Pol random_polynomial() {
    for (int tries = 0; tries < 1000000; ++tries) {
        std::uint8_t b[8];
        random_bytes(b, sizeof b);
        Pol f = 0;
        for (int i = 7; i >= 0; --i) f = (f << 8) | b[i];  // little endian, as restic reads it
        f &= (Pol(1) << 54) - 1;
        f |= (Pol(1) << 53) | 1;
        if (pol_irreducible(f)) return f;
    }
    raise(WPH_ERROR, "repo", "no irreducible polynomial found");
}

Chunker::Chunker(Pol pol) {
    if (pol_degree(pol) != kDegree)
        raise(WPH_EINVALID, "repo", "chunker polynomial must have degree 53, got " + std::to_string(pol_degree(pol)));
    tables_ = Tables::get(pol);
    reset();
}

void Chunker::reset() {
    window_.fill(0);
    wpos_ = 0;
    digest_ = 0;
    count_ = 0;
    // restic pushes one byte of value 1 through the empty window.
    digest_ = roll(digest_, window_[0], 1, tables_->out.data(), tables_->mod.data());
    window_[0] = 1;
    wpos_ = 1;
}

std::size_t Chunker::scan(const std::uint8_t *data, std::size_t n, bool &cut) {
    cut = false;
    constexpr std::size_t kSkip = kMinSize - kWindow;

    // The first MinSize-64 bytes of a chunk are counted but never hashed.
    std::size_t pos = 0;
    if (count_ < kSkip) {
        pos = std::min(n, kSkip - count_);
        count_ += pos;
        if (pos == n) return n;
    }

    const std::uint64_t *out = tables_->out.data();
    const std::uint64_t *mod = tables_->mod.data();
    // Chunk length after data[i] is base + i + 1; count_ < kMaxSize always.
    const std::size_t base = count_ - pos;
    const std::size_t end = std::min(n, kMaxSize - base);
    std::uint64_t d = digest_;
    std::size_t i = pos;

    auto cut_after = [&](std::size_t at) {
        cut = true;
        reset();
        return at + 1;
    };

    // Until 64 bytes of this buffer have been hashed, the byte leaving the
    // window comes from the saved window.
    const std::size_t ring_end = std::min(end, pos + kWindow);
    if (i < ring_end) {
        std::size_t w = wpos_;
        for (; i < ring_end; ++i) {
            const std::uint8_t b = data[i];
            d = roll(d, window_[w], b, out, mod);
            window_[w] = b;
            w = (w + 1) % kWindow;
            if ((d & kSplitMask) == 0 && base + i + 1 >= kMinSize) return cut_after(i);
        }
        wpos_ = w;
    }

    // From here the leaving byte is data[i - 64], and every chunk length is
    // above kMinSize, so any digest with the low 20 bits zero is a cut.
    //
    // The digest depends only on the last 64 bytes, so the block is split
    // into lanes hashed in an interleaved loop: each lane starts from the 64
    // bytes before it, and the dependency chains of the lanes overlap. Cuts
    // are rare (about one per MiB); when a lane sees a candidate, the plain
    // loop below redoes the rest in order and finds the first one.
    constexpr std::size_t kLane = 16 * 1024;
    while (end - i >= 4 * kLane) {
        const std::uint8_t *p0 = data + i, *p1 = p0 + kLane, *p2 = p1 + kLane, *p3 = p2 + kLane;
        // Warm-up: hashing 64 bytes into a zero digest gives their fingerprint
        // (a zero byte leaving the window contributes nothing).
        std::uint64_t d0 = d, d1 = 0, d2 = 0, d3 = 0;
        for (std::ptrdiff_t k = -std::ptrdiff_t(kWindow); k < 0; ++k) {
            d1 = roll(d1, 0, p1[k], out, mod);
            d2 = roll(d2, 0, p2[k], out, mod);
            d3 = roll(d3, 0, p3[k], out, mod);
        }
        // Four independent chains in separate registers; a candidate cut in
        // any lane leaves the loop (rarely taken, so the branches are free).
        std::size_t k = 0;
        for (; k < kLane; ++k) {
            const std::ptrdiff_t o = std::ptrdiff_t(k) - std::ptrdiff_t(kWindow);
            d0 = roll(d0, p0[o], p0[k], out, mod);
            d1 = roll(d1, p1[o], p1[k], out, mod);
            d2 = roll(d2, p2[o], p2[k], out, mod);
            d3 = roll(d3, p3[o], p3[k], out, mod);
            if (((d0 & kSplitMask) == 0) | ((d1 & kSplitMask) == 0) | ((d2 & kSplitMask) == 0) | ((d3 & kSplitMask) == 0))
                break;
        }
        if (k < kLane) break;
        d = d3;
        i += 4 * kLane;
    }
    for (; i < end; ++i) {
        d = roll(d, data[i - kWindow], data[i], out, mod);
        if ((d & kSplitMask) == 0) return cut_after(i);
    }

    if (base + end == kMaxSize) return cut_after(end - 1);

    // No cut: end == n. Keep the state for the next buffer.
    digest_ = d;
    count_ = base + n;
    if (n - pos >= kWindow) {
        std::memcpy(window_.data(), data + n - kWindow, kWindow);
        wpos_ = 0;
    }
    return n;
}

}  // namespace wph::repo
