// restic's content-defined chunker (restic/chunker v0.4.0): Rabin
// fingerprints over a 64-byte window with the repository's polynomial,
// chunks between 512 KiB and 8 MiB. Pure logic, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace wph::repo {

using Pol = std::uint64_t;

// Degree of a polynomial over GF(2) (index of the highest set bit; -1 for 0).
int pol_degree(Pol p);
// The irreducibility test restic applies to the config's polynomial.
bool pol_irreducible(Pol p);
// A random irreducible polynomial of degree 53, as `restic init` picks one.
Pol random_polynomial();

class Chunker {
public:
    static constexpr std::size_t kMinSize = 512 * 1024;
    static constexpr std::size_t kMaxSize = 8 * 1024 * 1024;
    static constexpr std::size_t kWindow = 64;

    // Throws wph::Error (WPH_EINVALID) if pol has a degree other than 53.
    explicit Chunker(Pol pol);

    // Start a new chunk (done automatically after each cut).
    void reset();

    // Scan the next n bytes of the stream. Returns how many of them belong to
    // the current chunk; `cut` is set when the chunk ends after that many
    // bytes (the caller then starts a new chunk with the rest). When no cut
    // is found, returns n and cut = false. The last chunk of a stream ends at
    // EOF, wherever the caller stops.
    std::size_t scan(const std::uint8_t *data, std::size_t n, bool &cut);

    // Bytes in the current chunk so far.
    std::size_t chunk_size() const noexcept { return count_; }

private:
    struct Tables;
    std::shared_ptr<const Tables> tables_;
    std::array<std::uint8_t, kWindow> window_{};
    std::size_t wpos_ = 0;
    std::uint64_t digest_ = 0;
    std::size_t count_ = 0;
};

}  // namespace wph::repo
