// restic's cryptography on top of OpenSSL 3 (see RESTIC-FORMAT.md §2, §3).
#include "repo/crypto.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "engine/error.hpp"
#include "repo/buffer.hpp"
#include "wphost/common.h"

namespace wph::repo {

namespace {

[[noreturn]] void openssl_fail(const char *what) {
    unsigned long e = ERR_get_error();
    std::string msg = std::string("OpenSSL: ") + what;
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += ": ";
        msg += buf;
    }
    ERR_clear_error();
    raise(WPH_ERROR, "repo", std::move(msg));
}

// Algorithms are fetched once: an implicit fetch on every init would look the
// provider up again for each blob.
struct Algorithms {
    EVP_CIPHER *ctr = nullptr;
    EVP_CIPHER *ecb = nullptr;
    EVP_MAC *poly = nullptr;
    EVP_MD *sha = nullptr;
    Algorithms() {
        ctr = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
        ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
        poly = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
        sha = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    }
    ~Algorithms() {
        EVP_CIPHER_free(ctr);
        EVP_CIPHER_free(ecb);
        EVP_MAC_free(poly);
        EVP_MD_free(sha);
    }
};

const Algorithms &algorithms() {
    static const Algorithms algs;
    if (!algs.ctr || !algs.ecb || !algs.poly || !algs.sha)
        openssl_fail("AES-256-CTR, AES-128-ECB, POLY1305 or SHA256 is not available");
    return algs;
}

constexpr std::size_t kIvSize = 16;
// Poly1305 r clamp (top 4 bits of bytes 3,7,11,15 and low 2 bits of 4,8,12 cleared).
constexpr std::uint8_t kClamp[16] = {0xff, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f,
                                     0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f};
constexpr std::size_t kMacSize = 16;
// EVP update calls take an int length.
constexpr std::size_t kMaxStep = std::size_t(1) << 30;

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N> &a) {
    return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}

bool all_zero(const std::uint8_t *p, std::size_t n) {
    std::uint8_t acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc |= p[i];
    return acc == 0;
}

}  // namespace

std::string to_hex(const Id &id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(64, '\0');
    for (std::size_t i = 0; i < id.size(); ++i) {
        s[2 * i] = kDigits[id[i] >> 4];
        s[2 * i + 1] = kDigits[id[i] & 0xf];
    }
    return s;
}

bool parse_id(std::string_view hex, Id &out) {
    if (hex.size() != 64) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Id tmp;
    for (std::size_t i = 0; i < tmp.size(); ++i) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        tmp[i] = std::uint8_t(hi << 4 | lo);
    }
    out = tmp;
    return true;
}

Id sha256(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.finish();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) openssl_fail("EVP_MD_CTX_new");
    if (EVP_DigestInit_ex2(static_cast<EVP_MD_CTX *>(ctx_), algorithms().sha, nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx_));
        openssl_fail("SHA-256 init");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx_)); }

void Sha256::update(const void *data, std::size_t n) {
    if (n == 0) return;
    if (EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(ctx_), data, n) != 1) openssl_fail("SHA-256 update");
}

Id Sha256::finish() {
    Id id{};
    unsigned int len = 0;
    auto *ctx = static_cast<EVP_MD_CTX *>(ctx_);
    if (EVP_DigestFinal_ex(ctx, id.data(), &len) != 1 || len != id.size()) openssl_fail("SHA-256 final");
    // Leave the object usable for another message.
    if (EVP_DigestInit_ex2(ctx, algorithms().sha, nullptr) != 1) openssl_fail("SHA-256 init");
    return id;
}

void random_bytes(void *out, std::size_t n) {
    auto *p = static_cast<unsigned char *>(out);
    while (n > 0) {
        int step = int(std::min(n, kMaxStep));
        if (RAND_bytes(p, step) != 1) openssl_fail("RAND_bytes");
        p += step;
        n -= std::size_t(step);
    }
}

bool MasterKey::valid() const { return !all_zero(encrypt) && !all_zero(mac_k) && !all_zero(mac_r); }

MasterKey random_master_key() {
    MasterKey k;
    do {
        random_bytes(k.encrypt.data(), k.encrypt.size());
        random_bytes(k.mac_k.data(), k.mac_k.size());
        random_bytes(k.mac_r.data(), k.mac_r.size());
        // restic stores r already clamped; do the same so our keys look like its.
        for (int i = 0; i < 16; ++i) k.mac_r[i] &= kClamp[i];
    } while (!k.valid());
    return k;
}

StreamCipher::StreamCipher() : ctr_(EVP_CIPHER_CTX_new()), ecb_(EVP_CIPHER_CTX_new()), mac_(EVP_MAC_CTX_new(algorithms().poly)) {
    if (!ctr_ || !ecb_ || !mac_) {
        EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX *>(ctr_));
        EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX *>(ecb_));
        EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX *>(mac_));
        openssl_fail("cipher contexts");
    }
}

StreamCipher::~StreamCipher() {
    EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX *>(ctr_));
    EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX *>(ecb_));
    EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX *>(mac_));
}

void StreamCipher::begin(const MasterKey &key, const std::uint8_t *iv) {
    const Algorithms &algs = algorithms();
    auto *ctr = static_cast<EVP_CIPHER_CTX *>(ctr_);
    auto *ecb = static_cast<EVP_CIPHER_CTX *>(ecb_);
    // AES-256-CTR with the whole IV as the initial 128-bit big-endian counter
    // (OpenSSL's CTR mode increments exactly like Go's cipher.NewCTR).
    if (EVP_EncryptInit_ex2(ctr, algs.ctr, key.encrypt.data(), iv, nullptr) != 1) openssl_fail("AES-256-CTR init");
    // Poly1305-AES: one-time key r (clamped) || AES128(mac_k, iv).
    std::uint8_t otk[32];
    for (int i = 0; i < 16; ++i) otk[i] = key.mac_r[i] & kClamp[i];
    int len = 0;
    bool ok = EVP_EncryptInit_ex2(ecb, algs.ecb, key.mac_k.data(), nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_set_padding(ecb, 0) == 1 && EVP_EncryptUpdate(ecb, otk + 16, &len, iv, 16) == 1 && len == 16;
    ok = ok && EVP_MAC_init(static_cast<EVP_MAC_CTX *>(mac_), otk, sizeof otk, nullptr) == 1;
    OPENSSL_cleanse(otk, sizeof otk);
    if (!ok) openssl_fail("Poly1305-AES init");
}

void StreamCipher::authenticate(const std::uint8_t *ct, std::size_t n) {
    for (std::size_t off = 0; off < n; off += kMaxStep)
        if (EVP_MAC_update(static_cast<EVP_MAC_CTX *>(mac_), ct + off, std::min(kMaxStep, n - off)) != 1)
            openssl_fail("Poly1305");
}

void StreamCipher::decrypt(const std::uint8_t *ct, std::uint8_t *out, std::size_t n) {
    for (std::size_t off = 0; off < n; off += kMaxStep) {
        int step = int(std::min(kMaxStep, n - off));
        int len = 0;
        if (EVP_EncryptUpdate(static_cast<EVP_CIPHER_CTX *>(ctr_), out + off, &len, ct + off, step) != 1 || len != step)
            openssl_fail("AES-256-CTR");
    }
}

void StreamCipher::encrypt(const std::uint8_t *in, std::uint8_t *out, std::size_t n) {
    decrypt(in, out, n);  // CTR mode: the same operation both ways
    authenticate(out, n);
}

void StreamCipher::tag(std::uint8_t out[16]) {
    std::size_t outl = 0;
    if (EVP_MAC_final(static_cast<EVP_MAC_CTX *>(mac_), out, &outl, kMacSize) != 1 || outl != kMacSize)
        openssl_fail("Poly1305");
}

StreamCipher &thread_cipher() {
    static thread_local StreamCipher c;
    return c;
}

void random_iv(std::uint8_t iv[16]) {
    do {
        random_bytes(iv, kIvSize);
    } while (all_zero(iv, kIvSize));
}

void seal_append(const MasterKey &key, const void *plaintext, std::size_t n, std::string &out) {
    const std::size_t base = out.size();
    out.resize(base + kIvSize + n + kMacSize);
    auto *iv = reinterpret_cast<std::uint8_t *>(out.data() + base);
    random_iv(iv);
    std::uint8_t *ct = iv + kIvSize;
    try {
        auto &c = thread_cipher();
        c.begin(key, iv);
        c.encrypt(static_cast<const std::uint8_t *>(plaintext), ct, n);
        c.tag(ct + n);
    } catch (...) {
        out.resize(base);
        throw;
    }
}

std::string seal(const MasterKey &key, std::string_view plaintext) {
    std::string out;
    seal_append(key, plaintext.data(), plaintext.size(), out);
    return out;
}

std::optional<std::string> open(const MasterKey &key, std::string_view sealed) {
    if (sealed.size() < kIvSize + kMacSize) return std::nullopt;
    const auto *iv = reinterpret_cast<const std::uint8_t *>(sealed.data());
    if (all_zero(iv, kIvSize)) return std::nullopt;
    const std::uint8_t *ct = iv + kIvSize;
    const std::size_t n = sealed.size() - kIvSize - kMacSize;
    std::uint8_t tag[kMacSize];
    auto &c = thread_cipher();
    c.begin(key, iv);
    c.authenticate(ct, n);
    c.tag(tag);
    if (CRYPTO_memcmp(tag, ct + n, kMacSize) != 0) return std::nullopt;
    std::string plain(n, '\0');
    c.decrypt(ct, reinterpret_cast<std::uint8_t *>(plain.data()), n);
    return plain;
}

namespace {

inline std::uint32_t rotl(std::uint32_t a, int b) { return (a << b) | (a >> (32 - b)); }

// Salsa20/8 core (RFC 7914, section 3).
void salsa20_8(std::uint32_t b[16]) {
    std::uint32_t x[16];
    std::memcpy(x, b, sizeof x);
    for (int i = 0; i < 8; i += 2) {
        x[4] ^= rotl(x[0] + x[12], 7), x[8] ^= rotl(x[4] + x[0], 9);
        x[12] ^= rotl(x[8] + x[4], 13), x[0] ^= rotl(x[12] + x[8], 18);
        x[9] ^= rotl(x[5] + x[1], 7), x[13] ^= rotl(x[9] + x[5], 9);
        x[1] ^= rotl(x[13] + x[9], 13), x[5] ^= rotl(x[1] + x[13], 18);
        x[14] ^= rotl(x[10] + x[6], 7), x[2] ^= rotl(x[14] + x[10], 9);
        x[6] ^= rotl(x[2] + x[14], 13), x[10] ^= rotl(x[6] + x[2], 18);
        x[3] ^= rotl(x[15] + x[11], 7), x[7] ^= rotl(x[3] + x[15], 9);
        x[11] ^= rotl(x[7] + x[3], 13), x[15] ^= rotl(x[11] + x[7], 18);
        x[1] ^= rotl(x[0] + x[3], 7), x[2] ^= rotl(x[1] + x[0], 9);
        x[3] ^= rotl(x[2] + x[1], 13), x[0] ^= rotl(x[3] + x[2], 18);
        x[6] ^= rotl(x[5] + x[4], 7), x[7] ^= rotl(x[6] + x[5], 9);
        x[4] ^= rotl(x[7] + x[6], 13), x[5] ^= rotl(x[4] + x[7], 18);
        x[11] ^= rotl(x[10] + x[9], 7), x[8] ^= rotl(x[11] + x[10], 9);
        x[9] ^= rotl(x[8] + x[11], 13), x[10] ^= rotl(x[9] + x[8], 18);
        x[12] ^= rotl(x[15] + x[14], 7), x[13] ^= rotl(x[12] + x[15], 9);
        x[14] ^= rotl(x[13] + x[12], 13), x[15] ^= rotl(x[14] + x[13], 18);
    }
    for (int i = 0; i < 16; ++i) b[i] += x[i];
}

// scryptBlockMix: `in` is 2r 64-byte blocks; out gets the even results, then the odd.
void block_mix(const std::uint32_t *in, std::uint32_t *out, std::uint32_t r) {
    std::uint32_t x[16];
    std::memcpy(x, in + (2 * r - 1) * 16, sizeof x);
    for (std::uint32_t i = 0; i < 2 * r; ++i) {
        for (int k = 0; k < 16; ++k) x[k] ^= in[i * 16 + k];
        salsa20_8(x);
        std::memcpy(out + ((i & 1) * r + i / 2) * 16, x, sizeof x);
    }
}

// scryptROMix on one 128r-byte block, with V in `v` (N * 32r words).
void ro_mix(std::uint8_t *block, std::uint64_t N, std::uint32_t r, std::uint32_t *v, std::uint32_t *x, std::uint32_t *y) {
    const std::size_t words = 32 * std::size_t(r);
    for (std::size_t k = 0; k < words; ++k) {
        const std::uint8_t *q = block + 4 * k;
        x[k] = std::uint32_t(q[0]) | std::uint32_t(q[1]) << 8 | std::uint32_t(q[2]) << 16 | std::uint32_t(q[3]) << 24;
    }
    for (std::uint64_t i = 0; i < N; ++i) {
        std::memcpy(v + i * words, x, words * 4);
        block_mix(x, y, r);
        std::swap(x, y);
    }
    for (std::uint64_t i = 0; i < N; ++i) {
        // Integerify: the first word of the last 64-byte block, mod N (a power of two).
        const std::uint64_t j = x[(2 * r - 1) * 16] & (N - 1);
        const std::uint32_t *vj = v + j * words;
        for (std::size_t k = 0; k < words; ++k) x[k] ^= vj[k];
        block_mix(x, y, r);
        std::swap(x, y);
    }
    for (std::size_t k = 0; k < words; ++k)
        for (int b = 0; b < 4; ++b) block[4 * k + std::size_t(b)] = static_cast<std::uint8_t>(x[k] >> (8 * b));
}

}  // namespace

void scrypt(std::string_view password, std::string_view salt, std::uint64_t N, std::uint32_t r, std::uint32_t p,
            std::uint8_t *out, std::size_t out_len) {
    // RFC 7914 with PBKDF2-HMAC-SHA256 from OpenSSL. V is a Buffer (huge
    // pages where the kernel offers them): its 32 MiB, faulted in 4 KiB
    // pages, cost more than the hashing itself on virtual machines.
    const std::size_t block = 128 * std::size_t(r);
    std::vector<std::uint8_t> b(block * p);
    std::vector<std::uint32_t> xy(2 * block / 4);
    Buffer v(block * N);
    bool ok = PKCS5_PBKDF2_HMAC(password.data(), int(password.size()), reinterpret_cast<const unsigned char *>(salt.data()),
                                int(salt.size()), 1, algorithms().sha, int(b.size()), b.data()) == 1;
    if (ok) {
        for (std::uint32_t i = 0; i < p; ++i)
            ro_mix(b.data() + i * block, N, r, reinterpret_cast<std::uint32_t *>(v.data()), xy.data(), xy.data() + block / 4);
        ok = PKCS5_PBKDF2_HMAC(password.data(), int(password.size()), b.data(), int(b.size()), 1, algorithms().sha,
                               int(out_len), out) == 1;
    }
    OPENSSL_cleanse(v.data(), block * N);
    OPENSSL_cleanse(b.data(), b.size());
    OPENSSL_cleanse(xy.data(), xy.size() * 4);
    if (!ok) openssl_fail("PBKDF2-HMAC-SHA256");
}

MasterKey derive_user_key(std::string_view password, std::string_view salt, std::uint64_t N, std::uint32_t r,
                          std::uint32_t p) {
    // The limits Go's scrypt and simple-scrypt enforce when restic opens a
    // key; they also bound the memory to a few GiB.
    constexpr std::uint64_t kIntMax = 0x7fffffff;
    if (N <= 1 || (N & (N - 1)) != 0 || N > kIntMax)
        raise(WPH_EINVALID, "repo", "scrypt N must be a power of two between 2 and 2^30");
    if (r < 1 || p < 1) raise(WPH_EINVALID, "repo", "scrypt r and p must be at least 1");
    if (std::uint64_t(r) * p >= (std::uint64_t(1) << 30) || r > kIntMax / 128 / p || r > kIntMax / 256 ||
        N > kIntMax / 128 / r)
        raise(WPH_EINVALID, "repo", "scrypt parameters too large");
    // RFC 7914 requires N < 2^(16r); OpenSSL enforces it, Go does not.
    if (16 * std::uint64_t(r) < 64 && N >= (std::uint64_t(1) << (16 * r)))
        raise(WPH_EINVALID, "repo", "scrypt N too large for r (N must be below 2^(16r))");

    std::uint8_t out[64];
    scrypt(password, salt, N, r, p, out, sizeof out);
    MasterKey k;
    std::memcpy(k.encrypt.data(), out, 32);
    std::memcpy(k.mac_k.data(), out + 32, 16);
    std::memcpy(k.mac_r.data(), out + 48, 16);
    OPENSSL_cleanse(out, sizeof out);
    return k;
}

}  // namespace wph::repo
