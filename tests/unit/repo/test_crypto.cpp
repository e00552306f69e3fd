#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <string>

#include <openssl/evp.h>

#include "engine/error.hpp"
#include "repo/crypto.hpp"
#include "wphost/common.h"

using namespace wph::repo;

namespace {

std::string unhex(std::string_view h) {
    REQUIRE(h.size() % 2 == 0);
    std::string out;
    for (std::size_t i = 0; i < h.size(); i += 2) out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string hex(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0xf]);
    }
    return out;
}

template <std::size_t N>
void set(std::array<std::uint8_t, N> &dst, std::string_view hexstr) {
    std::string b = unhex(hexstr);
    REQUIRE(b.size() == N);
    std::memcpy(dst.data(), b.data(), N);
}

MasterKey key_from_hex(std::string_view enc, std::string_view k, std::string_view r) {
    MasterKey key;
    set(key.encrypt, enc);
    set(key.mac_k, k);
    set(key.mac_r, r);
    return key;
}

MasterKey test_key() {
    return key_from_hex("303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef",
                        "ef4d8824cb80b2bcc5fbff8a9b12a42c", "cc8d4b948ee0ebfe1d415de921d10353");
}

int error_code(const std::function<void()> &f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.code();
    }
    return WPH_OK;
}

}  // namespace

TEST_CASE("sha256 known answers, one-shot and incremental", "[repo][crypto]") {
    CHECK(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    // FIPS 180-2: one million 'a', fed in uneven pieces.
    Sha256 h;
    std::string piece(999, 'a');
    std::size_t left = 1000000;
    while (left > 0) {
        std::size_t n = std::min(left, piece.size());
        h.update(piece.data(), n);
        left -= n;
    }
    h.update(nullptr, 0);
    CHECK(to_hex(h.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // The object starts over after finish().
    h.update("abc", 3);
    CHECK(to_hex(h.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hex IDs round trip and reject malformed text", "[repo][crypto]") {
    Id id = sha256("restic");
    std::string s = to_hex(id);
    REQUIRE(s.size() == 64);
    CHECK(s.find_first_not_of("0123456789abcdef") == std::string::npos);

    Id back{};
    REQUIRE(parse_id(s, back));
    CHECK(back == id);

    std::string upper = s;
    for (char &c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
    Id back2{};
    REQUIRE(parse_id(upper, back2));
    CHECK(back2 == id);

    Id untouched{};
    untouched.fill(0xaa);
    const Id before = untouched;
    CHECK_FALSE(parse_id("", untouched));
    CHECK_FALSE(parse_id(s.substr(0, 63), untouched));
    CHECK_FALSE(parse_id(s + "0", untouched));
    std::string bad = s;
    bad[10] = 'g';
    CHECK_FALSE(parse_id(bad, untouched));
    bad = s;
    bad[63] = ' ';
    CHECK_FALSE(parse_id(bad, untouched));
    CHECK(untouched == before);
}

TEST_CASE("Poly1305-AES test vectors (Bernstein 2005) verify through open()", "[repo][crypto]") {
    // msg, r, k (AES key), nonce, mac; the message is the "ciphertext" whose
    // MAC open() checks, so a success means the MAC matched.
    struct Vector {
        const char *msg, *r, *k, *nonce, *mac;
    };
    const Vector vectors[] = {
        {"f3f6", "851fc40c3467ac0be05cc20404f3f700", "ec074c835580741701425b623235add6",
         "fb447350c4e868c52ac3275cf9d4327e", "f4c633c3044fc145f84f335cb81953de"},
        {"", "a0f3080000f46400d0c7e9076c834403", "75deaa25c09f208e1dc4ce6b5cad3fbf", "61ee09218d29b0aaed7e154a2c5509cc",
         "dd3fab2251f11ac759f0887129cc2ee7"},
        {"663cea190ffb83d89593f3f476b6bc24d7e679107ea26adb8caf6652d0656136", "48443d0bb0d21109c89a100b5ce2c208",
         "6acb5f61a7176dd320c5c1eb2edcdc74", "ae212a55399729595dea458bc621ff0e", "0ee1c16bb73f0f4fd19881753c01cdbe"},
        {"ab0812724a7f1e342742cbed374d94d136c6b8795d45b3819830f2c04491faf0990c62e48b8018b2c3e4a0fa3134cb67fa83e158c994d9"
         "61c4cb21095c1bf9",
         "12976a08c4426d0ce8a82407c4f48207", "e1a5668a4d5b66a5f68cc5424ed5982d", "9ae831e743978d3a23527c7128149e3a",
         "5154ad0d2cb26e01274fc51148491f1b"},
    };
    for (const Vector &v : vectors) {
        MasterKey key;
        key.encrypt.fill(0x42);
        set(key.mac_k, v.k);
        set(key.mac_r, v.r);
        const std::string msg = unhex(v.msg);
        std::string sealed = unhex(v.nonce) + msg + unhex(v.mac);
        auto plain = open(key, sealed);
        REQUIRE(plain.has_value());
        CHECK(plain->size() == msg.size());

        sealed.back() ^= 1;
        CHECK_FALSE(open(key, sealed).has_value());
    }
}

TEST_CASE("open() decrypts restic's own test ciphertext", "[repo][crypto]") {
    const std::string sealed = unhex(
        "69fb41c62d12def4593bd71757138606338f621aeaeb39da0fe4f99233f8037a54ea63338a813bcf3f75d8c3cc75dddf8750");
    auto plain = open(test_key(), sealed);
    REQUIRE(plain.has_value());
    CHECK(*plain == "Dies ist ein Test!");
}

TEST_CASE("open() reads files written by restic 0.14", "[repo][crypto]") {
    // From a repository made by `restic init` (password "pw"): the key file's
    // scrypt parameters, salt and data, the master key it holds, and the
    // repository's config file.
    const std::string salt = unhex(
        "d9b38f757af42e713098c45a8b577e7440ce503072d98113ba746ced59200f340cc2f5a12c9897af2792e6b11845e9cef60c8400f99a2f0e7"
        "7f29941780e1098");
    const std::string key_data = unhex(
        "30f3225ea425c2ff82594735bc545a867dc23a59473f0103eb6e6c9cbc12142a002beb7d6b4f586c269eddaa11b1250caa46705ea1a25d84"
        "004e1467988994313f09661f62e76e803f0d76699fbe6622f7a2e29e93e96641d2bb6a215f4eb77a144196e6f1aa975c6345bbd089bd7e"
        "624b67aabfc58b4a0007f7f230a24c258c94b98481b0fdcbe91225b2ec77cceb422598ce9fbda180a7d7d13e1547b0d089");
    const std::string config = unhex(
        "257099cf7ddedd667ba76ebaf8871a0949ad92b8252604726a082221e87c052fd81b1dee8ddd7af3dc1d6a51f2febe62d2c71acd8e019b4d"
        "650f389f394ef02bb1ed0ad8dccbddeeff14e0132b0bcd8708b10c52da6b5a841d0bcbab9e78b8482c4edd4aa88037e2b2a6f3d0919c3218"
        "3abdd40f3cf902a8a9e85420c51d93736a52cb5d3df791d56ecbe813150a9ec5c3f77445225d0b4f482967");

    MasterKey user = derive_user_key("pw", salt, 32768, 8, 6);
    auto master_json = open(user, key_data);
    REQUIRE(master_json.has_value());
    CHECK(*master_json ==
          R"({"mac":{"k":"WPk8myy7lf9Ksm3rQiMm+Q==","r":"RQboArjr2g/w7mgDQMEKCw=="},)"
          R"("encrypt":"uYDKU722Yg1uGxysck5xlj6VOp1X3fwPI4VTqOXiCTg="})");

    // The same master key, base64-decoded.
    const MasterKey master = key_from_hex("b980ca53bdb6620d6e1b1cac724e71963e953a9d57ddfc0f238553a8e5e20938",
                                          "58f93c9b2cbb95ff4ab26deb422326f9", "4506e802b8ebda0ff0ee680340c10a0b");
    auto cfg = open(master, config);
    REQUIRE(cfg.has_value());
    CHECK(*cfg == R"({"version":2,"id":"9c77e53a21f0f261f5a0b16aed10853a4afacdf82ac4a3df371babf65eecb0bd",)"
                  R"("chunker_polynomial":"2211a9b1c544a1"})");
}

TEST_CASE("seal/open round trip", "[repo][crypto]") {
    const MasterKey key = random_master_key();
    for (std::size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 1000, 1 << 20}) {
        std::string plain(n, '\0');
        if (n > 0) random_bytes(plain.data(), n);
        std::string sealed = seal(key, plain);
        REQUIRE(sealed.size() == n + kCryptoOverhead);
        CHECK(sealed.compare(0, 16, std::string(16, '\0')) != 0);
        if (n >= 16) CHECK(sealed.compare(16, n, plain) != 0);
        auto back = open(key, sealed);
        REQUIRE(back.has_value());
        CHECK(*back == plain);
    }
    // Fresh IVs: the same plaintext seals differently.
    CHECK(seal(key, "same") != seal(key, "same"));
}

TEST_CASE("seal_append appends after existing bytes", "[repo][crypto]") {
    const MasterKey key = random_master_key();
    std::string out = "header";
    seal_append(key, "first", 5, out);
    const std::size_t second_at = out.size();
    seal_append(key, "second blob", 11, out);
    REQUIRE(out.size() == 6 + 5 + 32 + 11 + 32);
    CHECK(out.substr(0, 6) == "header");
    CHECK(open(key, std::string_view(out).substr(6, 5 + 32)) == std::optional<std::string>("first"));
    CHECK(open(key, std::string_view(out).substr(second_at)) == std::optional<std::string>("second blob"));
}

TEST_CASE("open() rejects tampering, wrong keys and short input", "[repo][crypto]") {
    const MasterKey key = random_master_key();
    const std::string plain = "the quick brown fox jumps over the lazy dog";
    const std::string sealed = seal(key, plain);
    REQUIRE(open(key, sealed).has_value());

    for (std::size_t at : {std::size_t(0), std::size_t(15), std::size_t(16), std::size_t(16 + plain.size() / 2),
                           sealed.size() - 17, sealed.size() - 16, sealed.size() - 1}) {
        INFO("flipped byte " << at);
        std::string t = sealed;
        t[at] = char(t[at] ^ 0x01);
        CHECK_FALSE(open(key, t).has_value());
    }

    MasterKey other = key;
    other.mac_k[0] ^= 1;
    CHECK_FALSE(open(other, sealed).has_value());
    other = key;
    other.mac_r[5] ^= 0x10;
    CHECK_FALSE(open(other, sealed).has_value());
    // The encryption key is not part of the MAC: decrypts, but to garbage.
    other = key;
    other.encrypt[0] ^= 1;
    auto garbage = open(other, sealed);
    REQUIRE(garbage.has_value());
    CHECK(*garbage != plain);

    CHECK_FALSE(open(key, "").has_value());
    CHECK_FALSE(open(key, sealed.substr(0, 31)).has_value());
    CHECK_FALSE(open(key, sealed.substr(0, 32)).has_value());
    CHECK_FALSE(open(key, sealed.substr(1)).has_value());
}

TEST_CASE("open() rejects an all-zero IV even with a valid MAC", "[repo][crypto]") {
    const MasterKey key = test_key();
    const std::string ct = "some ciphertext bytes";
    const std::uint8_t zero_iv[16] = {};

    // Compute the correct Poly1305-AES tag for the zero IV independently with
    // OpenSSL, so only the IV check can cause the rejection.
    std::uint8_t otk[32];
    static constexpr std::uint8_t kClamp[16] = {0xff, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f,
                                                0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f};
    for (int i = 0; i < 16; ++i) otk[i] = key.mac_r[i] & kClamp[i];
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0;
    REQUIRE(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), nullptr, key.mac_k.data(), nullptr) == 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    REQUIRE(EVP_EncryptUpdate(c, otk + 16, &len, zero_iv, 16) == 1);
    EVP_CIPHER_CTX_free(c);
    std::uint8_t tag[16];
    std::size_t taglen = 0;
    REQUIRE(EVP_Q_mac(nullptr, "POLY1305", nullptr, nullptr, nullptr, otk, sizeof otk,
                      reinterpret_cast<const unsigned char *>(ct.data()), ct.size(), tag, sizeof tag, &taglen) != nullptr);
    REQUIRE(taglen == 16);

    std::string iv(reinterpret_cast<const char *>(zero_iv), 16);
    std::string t(reinterpret_cast<const char *>(tag), 16);
    CHECK_FALSE(open(key, iv + ct + t).has_value());

    // The same construction with a non-zero IV is accepted, so the tag above
    // was computed the way open() expects.
    std::uint8_t iv1[16] = {};
    iv1[15] = 1;
    c = EVP_CIPHER_CTX_new();
    REQUIRE(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), nullptr, key.mac_k.data(), nullptr) == 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    REQUIRE(EVP_EncryptUpdate(c, otk + 16, &len, iv1, 16) == 1);
    EVP_CIPHER_CTX_free(c);
    REQUIRE(EVP_Q_mac(nullptr, "POLY1305", nullptr, nullptr, nullptr, otk, sizeof otk,
                      reinterpret_cast<const unsigned char *>(ct.data()), ct.size(), tag, sizeof tag, &taglen) != nullptr);
    CHECK(open(key, std::string(reinterpret_cast<const char *>(iv1), 16) + ct +
                        std::string(reinterpret_cast<const char *>(tag), 16))
              .has_value());
}

TEST_CASE("master keys: random ones are valid and clamped", "[repo][crypto]") {
    CHECK_FALSE(MasterKey{}.valid());
    MasterKey a = random_master_key();
    MasterKey b = random_master_key();
    CHECK(a.valid());
    CHECK(b.valid());
    CHECK(a.encrypt != b.encrypt);
    CHECK((a.mac_r[3] & 0xf0) == 0);
    CHECK((a.mac_r[4] & 0x03) == 0);
    CHECK((a.mac_r[15] & 0xf0) == 0);

    MasterKey partial = a;
    partial.mac_k.fill(0);
    CHECK_FALSE(partial.valid());
    partial = a;
    partial.mac_r.fill(0);
    CHECK_FALSE(partial.valid());
    partial = a;
    partial.encrypt.fill(0);
    CHECK_FALSE(partial.valid());
}

TEST_CASE("derive_user_key: RFC 7914 scrypt vectors, split as restic does", "[repo][crypto]") {
    MasterKey k = derive_user_key("", "", 16, 1, 1);
    std::string all = hex(std::string_view(reinterpret_cast<const char *>(k.encrypt.data()), 32)) +
                      hex(std::string_view(reinterpret_cast<const char *>(k.mac_k.data()), 16)) +
                      hex(std::string_view(reinterpret_cast<const char *>(k.mac_r.data()), 16));
    CHECK(all ==
          "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
          "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");

    k = derive_user_key("password", "NaCl", 1024, 8, 16);
    all = hex(std::string_view(reinterpret_cast<const char *>(k.encrypt.data()), 32)) +
          hex(std::string_view(reinterpret_cast<const char *>(k.mac_k.data()), 16)) +
          hex(std::string_view(reinterpret_cast<const char *>(k.mac_r.data()), 16));
    CHECK(all ==
          "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
          "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST_CASE("scrypt matches OpenSSL's for the parameters restic and libwphost write", "[repo][crypto]") {
    struct P {
        std::uint64_t N;
        std::uint32_t r, p;
        std::size_t out;
    };
    const std::string salt = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for (auto [N, r, p, out] : {P{32768, 8, 1, 64}, P{2048, 8, 3, 64}, P{4096, 1, 1, 33}, P{512, 3, 2, 100}}) {
        std::string ours(out, '\0'), openssl(out, '\0');
        scrypt("correct horse", salt, N, r, p, reinterpret_cast<std::uint8_t *>(ours.data()), out);
        REQUIRE(EVP_PBE_scrypt("correct horse", 13, reinterpret_cast<const unsigned char *>(salt.data()), salt.size(), N, r,
                               p, std::uint64_t(1) << 30, reinterpret_cast<unsigned char *>(openssl.data()), out) == 1);
        INFO("N=" << N << " r=" << r << " p=" << p);
        CHECK(hex(ours) == hex(openssl));
    }
}

TEST_CASE("derive_user_key rejects bad scrypt parameters", "[repo][crypto]") {
    const std::string salt(64, 's');
    CHECK(error_code([&] { derive_user_key("pw", salt, 0, 8, 1); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 1, 8, 1); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 3, 8, 1); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 1000, 8, 1); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, std::uint64_t(1) << 40, 8, 1); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 16, 0, 1); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 16, 8, 0); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 16, 1 << 20, 1 << 20); }) == WPH_EINVALID);
    CHECK(error_code([&] { derive_user_key("pw", salt, 2, 1, 1); }) == WPH_OK);
}
