// restic's cryptography: SHA-256 IDs, AES-256-CTR + Poly1305-AES sealing,
// scrypt user keys. Pure functions over OpenSSL; no I/O except the CSPRNG.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wph::repo {

using Id = std::array<std::uint8_t, 32>;

std::string to_hex(const Id &id);
// 64 lowercase or uppercase hex characters; false otherwise.
bool parse_id(std::string_view hex, Id &out);
Id sha256(std::string_view data);

// Incremental SHA-256.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;
    void update(const void *data, std::size_t n);
    Id finish();

private:
    void *ctx_;
};

void random_bytes(void *out, std::size_t n);

struct MasterKey {
    std::array<std::uint8_t, 32> encrypt{};  // AES-256 key
    std::array<std::uint8_t, 16> mac_k{};    // AES-128 key of Poly1305-AES
    std::array<std::uint8_t, 16> mac_r{};    // Poly1305 r (clamped on use)
    bool valid() const;                      // none of the three is all zero
};

MasterKey random_master_key();

constexpr std::size_t kCryptoOverhead = 32;  // IV (16) + MAC (16)

// restic's AES-256-CTR + Poly1305-AES over a stream of pieces, for sealing a
// blob straight into a pack's buffers and opening one without copies. One
// object keeps its OpenSSL contexts across messages: use one per thread
// (thread_cipher()).
class StreamCipher {
public:
    StreamCipher();
    ~StreamCipher();
    StreamCipher(const StreamCipher &) = delete;
    StreamCipher &operator=(const StreamCipher &) = delete;
    // Start a message with this IV (16 bytes, not all zero).
    void begin(const MasterKey &key, const std::uint8_t *iv);
    // Encrypt the next n bytes into out (may equal in) and authenticate them.
    void encrypt(const std::uint8_t *in, std::uint8_t *out, std::size_t n);
    // Authenticate n more bytes of ciphertext without decrypting them.
    void authenticate(const std::uint8_t *ct, std::size_t n);
    // Decrypt the next n bytes (already authenticated) into out.
    void decrypt(const std::uint8_t *ct, std::uint8_t *out, std::size_t n);
    // The MAC of everything authenticated since begin().
    void tag(std::uint8_t out[16]);

private:
    void *ctr_, *ecb_, *mac_;
};
StreamCipher &thread_cipher();
// A fresh random IV, never all zero (restic refuses a zero nonce).
void random_iv(std::uint8_t iv[16]);

// IV || AES-256-CTR(plaintext) || Poly1305-AES(ciphertext), with a fresh random non-zero IV.
std::string seal(const MasterKey &key, std::string_view plaintext);
// Append the sealed form to `out` (avoids a copy for pack building).
void seal_append(const MasterKey &key, const void *plaintext, std::size_t n, std::string &out);
// Verify and decrypt; std::nullopt when the IV is zero, the input is shorter
// than 32 bytes or the MAC does not match.
std::optional<std::string> open(const MasterKey &key, std::string_view sealed);

// scrypt (RFC 7914) into out[0, out_len). Parameters are not checked here:
// derive_user_key checks them.
void scrypt(std::string_view password, std::string_view salt, std::uint64_t N, std::uint32_t r, std::uint32_t p,
            std::uint8_t *out, std::size_t out_len);

// scrypt(password, salt, N, r, p, 64 bytes) split as restic does:
// [0,32) encrypt, [32,48) mac_k, [48,64) mac_r. Throws wph::Error
// (WPH_EINVALID) for parameters scrypt refuses.
MasterKey derive_user_key(std::string_view password, std::string_view salt, std::uint64_t N, std::uint32_t r,
                          std::uint32_t p);

}  // namespace wph::repo
