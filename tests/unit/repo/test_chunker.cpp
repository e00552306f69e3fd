#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "repo/chunker.hpp"
#include "repo/crypto.hpp"
#include "wphost/common.h"

using namespace wph::repo;

namespace {

constexpr Pol kTestPol = 0x3DA3358B4DC173;  // restic/chunker's test polynomial

struct ChunkInfo {
    std::size_t length;
    std::string id;
    bool operator==(const ChunkInfo &o) const { return length == o.length && id == o.id; }
};

std::ostream &operator<<(std::ostream &os, const ChunkInfo &c) { return os << "{" << c.length << ", " << c.id << "}"; }

// Product over GF(2) (carry-less multiplication), no overflow checks.
Pol clmul(Pol a, Pol b) {
    Pol r = 0;
    for (; b != 0; b >>= 1, a <<= 1)
        if (b & 1) r ^= a;
    return r;
}

// SplitMix64, little-endian bytes: a stream any language can regenerate.
std::vector<std::uint8_t> splitmix_stream(std::uint64_t seed, std::size_t n) {
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i < n; i += 8) {
        std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        for (std::size_t b = 0; b < 8 && i + b < n; ++b) out[i + b] = std::uint8_t(z >> (8 * b));
    }
    return out;
}

// Chunk `data`, handing it to scan() in pieces of next_piece() bytes.
std::vector<ChunkInfo> chunk_all(Pol pol, const std::vector<std::uint8_t> &data,
                                 const std::function<std::size_t()> &next_piece) {
    Chunker c(pol);
    Sha256 h;
    std::vector<ChunkInfo> chunks;
    std::size_t pos = 0, start = 0;
    bool consistent = true;  // checked once: per-call assertions would dominate the run time
    while (pos < data.size()) {
        std::size_t piece_left = std::min(next_piece(), data.size() - pos);
        // Keep scanning the rest of the piece after a cut, as a caller would.
        while (piece_left > 0) {
            bool cut = false;
            const std::size_t took = c.scan(data.data() + pos, piece_left, cut);
            if (took > piece_left || (!cut && took != piece_left)) {
                FAIL("scan() returned " << took << " of " << piece_left << " bytes, cut = " << cut);
            }
            h.update(data.data() + pos, took);
            pos += took;
            piece_left -= took;
            if (cut) {
                consistent = consistent && c.chunk_size() == 0;
                chunks.push_back({pos - start, to_hex(h.finish())});
                start = pos;
            } else {
                consistent = consistent && c.chunk_size() == pos - start;
            }
        }
    }
    if (pos > start) chunks.push_back({pos - start, to_hex(h.finish())});
    CHECK(consistent);
    return chunks;
}

std::vector<ChunkInfo> chunk_whole(Pol pol, const std::vector<std::uint8_t> &data) {
    return chunk_all(pol, data, [&] { return data.size(); });
}

// Expected chunks for splitmix_stream(0x5eed, 24 MiB) with kTestPol, as cut by
// restic 0.14 (`restic backup` into a repository whose config carries
// kTestPol; lengths from the index, IDs from the file's content list).
const std::vector<ChunkInfo> kStreamChunks = {
    {529373, "5500430908989e618c60f8d227a1d9f774fee29192767a000fa4e1b4fa14cdd9"},
    {1689687, "873781bd177e5dc1bb1f2f1041dd9ac299840cf40c5fa0bcde4f8adc833cc62f"},
    {547335, "b8c8ae2a37b679565d04ab74e51b877c9ee3f20194d9eafc97168cf73d1c8d48"},
    {1499377, "b5142315120638e8875ce47f5bf6345b6496020fba306913afe8b9eb182d32fc"},
    {2087620, "d167251fc9de8c5ec314ca2296b5d8978dcc9b523ab4d0bce7b905f5dba6cc43"},
    {958842, "dd50d9a3258fdb8e0bf0cd8b2c95d5bbc0c3995f9bbbf74af195332530a0bf23"},
    {1010383, "1360c024e34b4ebd1c8ad19403492e74cd0450a31482307b71b9a69cc44833af"},
    {614771, "76f86b60d47b211d96e57cc2ec52673a169875d360d0b4f1115afa0fa751e4f3"},
    {1123732, "f15c95fa88756117be4da37970f2038714cbd982ac7a2feed1420f79a40124d2"},
    {2870879, "ec7e94ac3b90413552af601c34bbbc335f63289f5beaae947f5c80cbf926edae"},
    {1556810, "73111b762bebb7e0a19d6af299f9028753c3712742ac29cb94278b1020591686"},
    {691599, "76716ccc25512c4786eed7089ba3c1ef23520a5a3119bca0202563d4311a7521"},
    {1056585, "98d3e509d033c2896cc54a64826fc967c5c109408fb64aae18dc411089714cd7"},
    {1557471, "a2e2fb86de92f05c9cdb9ef5fad25a014f29e15760f30eaee07097027d308320"},
    {1271403, "d18aeef632687ec1696c478e86c2ae337c9b4cf9514ab3b8882157747827e670"},
    {675015, "71718b528d8897ecfce189169079618bd0d85caf08bb7d5f8a1d9f0db4174037"},
    {1206151, "54725dcc9f8e4cd9ea9041ec847a6d52c607b43f598eaf11e9c5a26244bcd7a9"},
    {1304876, "a93a9775d408e2242a4f146f373fb3cd9aedae9c85f074883388cbda0bd37c03"},
    {599026, "2f553268c6f9251bb12ce03f10e9a614957522e19ba629b634ecdea4084a6fe3"},
    {2314889, "6b6eac9d5db7bad128b4da75aa7a730c53e3bd06769701ba1cfa26006719e7d6"},
};

const std::vector<std::uint8_t> &test_stream() {
    static const std::vector<std::uint8_t> s = splitmix_stream(0x5eed, 24 * 1024 * 1024);
    return s;
}

}  // namespace

TEST_CASE("polynomial degree", "[repo][chunker]") {
    CHECK(pol_degree(0) == -1);
    CHECK(pol_degree(1) == 0);
    CHECK(pol_degree(2) == 1);
    CHECK(pol_degree(3) == 1);
    CHECK(pol_degree(kTestPol) == 53);
    CHECK(pol_degree(Pol(1) << 63) == 63);
    CHECK(pol_degree(~Pol(0)) == 63);
}

TEST_CASE("irreducibility of degree-53 polynomials (restic/chunker test vectors)", "[repo][chunker]") {
    const std::pair<Pol, bool> vectors[] = {
        {0x38f1e565e288df, false}, {0x3DA3358B4DC173, true},  {0x30a8295b9d5c91, false}, {0x255f4350b962cb, false},
        {0x267f776110a235, false}, {0x2f4dae10d41227, false}, {0x2482734cacca49, true},  {0x312daf4b284899, false},
        {0x29dfb6553d01d1, false}, {0x3548245eb26257, false}, {0x3199e7ef4211b3, false}, {0x362f39017dae8b, false},
        {0x200d57aa6fdacb, false}, {0x35e0a4efa1d275, false}, {0x2ced55b026577f, false}, {0x260b012010893d, false},
        {0x2df29cbcd59e9d, false}, {0x3f2ac7488bd429, false}, {0x3e5cb1711669fb, false}, {0x226d8de57a9959, false},
        {0x3c8de80aaf5835, false}, {0x2026a59efb219b, false}, {0x39dfa4d13fb231, false}, {0x3143d0464b3299, false},
    };
    for (auto [p, irreducible] : vectors) {
        INFO(std::hex << p);
        CHECK(pol_irreducible(p) == irreducible);
    }
    // Divisible by x, by x+1 (an even number of terms), by x^4+x+1.
    CHECK_FALSE(pol_irreducible(kTestPol ^ 1));
    CHECK_FALSE(pol_irreducible((Pol(1) << 53) | 3));
    const Pol product = clmul(0x13, (Pol(1) << 49) | 0x12345);
    REQUIRE(pol_degree(product) == 53);
    CHECK_FALSE(pol_irreducible(product));
}

TEST_CASE("irreducibility of small polynomials", "[repo][chunker]") {
    CHECK(pol_irreducible(0x7));         // x^2+x+1
    CHECK_FALSE(pol_irreducible(0x5));   // x^2+1 = (x+1)^2
    CHECK_FALSE(pol_irreducible(0x6));   // x^2+x = x(x+1)
    CHECK(pol_irreducible(0xb));         // x^3+x+1
    CHECK_FALSE(pol_irreducible(0xf));   // x^3+x^2+x+1 = (x+1)^3
    CHECK(pol_irreducible(0x13));        // x^4+x+1
    CHECK_FALSE(pol_irreducible(0x15));  // x^4+x^2+1 = (x^2+x+1)^2
    CHECK(pol_irreducible(0x11b));       // x^8+x^4+x^3+x+1 (AES)
    CHECK_FALSE(pol_irreducible(clmul(0xb, 0x13)));
}

TEST_CASE("random polynomials are irreducible and of degree 53", "[repo][chunker]") {
    Pol a = random_polynomial();
    Pol b = random_polynomial();
    for (Pol p : {a, b}) {
        CHECK(pol_degree(p) == 53);
        CHECK((p & 1) == 1);
        CHECK(pol_irreducible(p));
        CHECK_NOTHROW(Chunker(p));
    }
    CHECK(a != b);
}

TEST_CASE("chunker refuses polynomials of a degree other than 53", "[repo][chunker]") {
    for (Pol p : {Pol(0), Pol(1), Pol(0x11b), kTestPol >> 1, kTestPol << 1}) {
        try {
            Chunker c(p);
            FAIL("no exception for " << std::hex << p);
        } catch (const wph::Error &e) {
            CHECK(e.code() == WPH_EINVALID);
        }
    }
}

TEST_CASE("chunks of a pseudo-random stream match restic 0.14", "[repo][chunker]") {
    const auto &data = test_stream();
    auto chunks = chunk_whole(kTestPol, data);
    CHECK(chunks == kStreamChunks);
}

TEST_CASE("chunk boundaries do not depend on how the stream is split", "[repo][chunker]") {
    const auto &data = test_stream();
    for (std::size_t piece : {std::size_t(63), std::size_t(64), std::size_t(65), std::size_t(4096),
                              std::size_t(512 * 1024 - 64), std::size_t(512 * 1024), std::size_t(1024 * 1024 + 1),
                              std::size_t(3 * 1024 * 1024 + 7)}) {
        INFO("piece size " << piece);
        CHECK(chunk_all(kTestPol, data, [&] { return piece; }) == kStreamChunks);
    }
    std::mt19937_64 rng(7);
    CHECK(chunk_all(kTestPol, data, [&] { return 1 + rng() % 200000; }) == kStreamChunks);
    CHECK(chunk_all(kTestPol, data, [&] { return 1 + rng() % 100; }) == kStreamChunks);

    // Byte by byte over a prefix holding a few cuts.
    std::vector<std::uint8_t> prefix(data.begin(), data.begin() + 4 * 1024 * 1024);
    auto whole = chunk_whole(kTestPol, prefix);
    REQUIRE(whole.size() >= 3);
    CHECK(chunk_all(kTestPol, prefix, [] { return std::size_t(1); }) == whole);
}

TEST_CASE("all-zero input is cut at MinSize (restic/chunker test vector)", "[repo][chunker]") {
    std::vector<std::uint8_t> zeros(4 * Chunker::kMinSize, 0);
    const ChunkInfo expect{Chunker::kMinSize, "07854d2fef297a06ba81685e660c332de36d5d18d546927d30daad6d7fda1541"};
    CHECK(chunk_whole(kTestPol, zeros) == std::vector<ChunkInfo>(4, expect));
    CHECK(chunk_all(kTestPol, zeros, [] { return std::size_t(100000); }) == std::vector<ChunkInfo>(4, expect));
}

TEST_CASE("input without a cut point is cut at MaxSize (as restic 0.14 does)", "[repo][chunker]") {
    // 0x01 repeated never gives a digest with 20 low zero bits under kTestPol.
    std::vector<std::uint8_t> ones(17 * 1024 * 1024 + 12345, 1);
    const std::vector<ChunkInfo> expect = {
        {8388608, "bb929bbdce85fdbc903a463e96630a25f8b6ef5b76090e24cd92ea8fb47b2f65"},
        {8388608, "bb929bbdce85fdbc903a463e96630a25f8b6ef5b76090e24cd92ea8fb47b2f65"},
        {1060921, "a9558c11d57a87358359ea20174a549c0e7eaa16233008306a41f61e8e316d98"},
    };
    CHECK(chunk_whole(kTestPol, ones) == expect);
    CHECK(chunk_all(kTestPol, ones, [] { return std::size_t(8 * 1024 * 1024 - 1); }) == expect);
    CHECK(chunk_all(kTestPol, ones, [] { return std::size_t(65536); }) == expect);
}

TEST_CASE("chunk sizes stay within MinSize and MaxSize", "[repo][chunker]") {
    const Pol pol = random_polynomial();
    const auto data = splitmix_stream(0xC0FFEE, 40 * 1024 * 1024);
    auto chunks = chunk_whole(pol, data);
    REQUIRE(chunks.size() > 1);
    std::size_t total = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        total += chunks[i].length;
        CHECK(chunks[i].length <= Chunker::kMaxSize);
        if (i + 1 < chunks.size()) CHECK(chunks[i].length >= Chunker::kMinSize);
    }
    CHECK(total == data.size());
    // A different polynomial cuts differently.
    CHECK(chunks != chunk_whole(kTestPol, data));
}

TEST_CASE("empty and short input", "[repo][chunker]") {
    Chunker c(kTestPol);
    bool cut = true;
    const std::uint8_t byte = 0;
    CHECK(c.scan(&byte, 0, cut) == 0);
    CHECK_FALSE(cut);
    CHECK(c.chunk_size() == 0);
    CHECK(c.scan(nullptr, 0, cut) == 0);
    CHECK_FALSE(cut);

    // Less than MinSize never cuts; the caller ends the chunk at EOF.
    const auto &data = test_stream();
    cut = true;
    CHECK(c.scan(data.data(), Chunker::kMinSize - 1, cut) == Chunker::kMinSize - 1);
    CHECK_FALSE(cut);
    CHECK(c.chunk_size() == Chunker::kMinSize - 1);
}

TEST_CASE("reset() starts a new chunk", "[repo][chunker]") {
    const auto &data = test_stream();
    Chunker c(kTestPol);
    bool cut = false;
    REQUIRE(c.scan(data.data(), 200000, cut) == 200000);
    REQUIRE(c.scan(data.data() + 200000, 300000, cut) == 300000);
    REQUIRE(c.chunk_size() == 500000);
    c.reset();
    CHECK(c.chunk_size() == 0);

    // From here it behaves like a fresh chunker on the stream's remainder.
    Chunker fresh(kTestPol);
    const std::uint8_t *rest = data.data() + 500000;
    const std::size_t n = data.size() - 500000;
    bool cut_a = false, cut_b = false;
    const std::size_t a = c.scan(rest, n, cut_a);
    const std::size_t b = fresh.scan(rest, n, cut_b);
    CHECK(a == b);
    CHECK(cut_a == cut_b);
    CHECK(cut_a);
}
