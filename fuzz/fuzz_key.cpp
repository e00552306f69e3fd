// libFuzzer: decode_key_file and decode_master_key on arbitrary text.
// Properties when they decode: the encoded form decodes again and
// re-encodes to the same bytes; the decoded values satisfy the documented
// checks (64-byte salt, N a power of two, non-zero master key).
// (No scrypt here: derive_user_key with fuzzed N would only measure scrypt.)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/error.hpp"
#include "repo/format.hpp"

using namespace wph::repo;

namespace {
void require(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_key: property violated: %s\n", what);
        std::abort();
    }
}

void key_file(std::string_view in) {
    KeyFile k;
    try {
        k = decode_key_file(in);
    } catch (const wph::Error &) {
        return;
    }
    require(k.salt.size() == 64, "salt is 64 bytes");
    require(k.N >= 2 && (k.N & (k.N - 1)) == 0, "N is a power of two");
    require(k.r >= 1 && k.p >= 1, "r, p >= 1");
    const std::string text = encode_key_file(k);
    KeyFile again;
    try {
        again = decode_key_file(text);
    } catch (const wph::Error &e) {
        std::fprintf(stderr, "fuzz_key: decode_key_file(encode_key_file(k)) threw: %s\n", e.what());
        std::abort();
    }
    require(again.salt == k.salt && again.data == k.data && again.N == k.N && again.r == k.r && again.p == k.p &&
                again.username == k.username && again.hostname == k.hostname,
            "decode_key_file(encode_key_file(k)) == k");
    require(encode_key_file(again) == text, "encode_key_file is stable");
}

void master_key(std::string_view in) {
    MasterKey k;
    try {
        k = decode_master_key(in);
    } catch (const wph::Error &) {
        return;
    }
    require(k.valid(), "decoded master key is valid");
    const std::string text = encode_master_key(k);
    MasterKey again;
    try {
        again = decode_master_key(text);
    } catch (const wph::Error &e) {
        std::fprintf(stderr, "fuzz_key: decode_master_key(encode_master_key(k)) threw: %s\n", e.what());
        std::abort();
    }
    require(again.encrypt == k.encrypt && again.mac_k == k.mac_k && again.mac_r == k.mac_r,
            "decode_master_key(encode_master_key(k)) == k");
    require(encode_master_key(again) == text, "encode_master_key is stable");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    key_file(in);
    master_key(in);
    return 0;
}
