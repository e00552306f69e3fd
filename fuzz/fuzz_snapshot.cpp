// libFuzzer: decode_snapshot on arbitrary text. Property when it decodes:
// what encode_snapshot writes decodes again and re-encodes to the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/error.hpp"
#include "repo/format.hpp"

using namespace wph::repo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    Snapshot s;
    try {
        s = decode_snapshot(in);
    } catch (const wph::Error &) {
        return 0;
    }
    const std::string text = encode_snapshot(s);
    Snapshot again;
    try {
        again = decode_snapshot(text);
    } catch (const wph::Error &e) {
        std::fprintf(stderr, "fuzz_snapshot: decode_snapshot(encode_snapshot(s)) threw: %s\n", e.what());
        std::abort();
    }
    if (encode_snapshot(again) != text) {
        std::fprintf(stderr, "fuzz_snapshot: encode_snapshot(decode_snapshot(encode_snapshot(s))) differs\n");
        std::abort();
    }
    return 0;
}
