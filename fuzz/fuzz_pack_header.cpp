// libFuzzer: decode_pack_header on arbitrary plaintext, for repository
// versions 1 and 2. Properties when it decodes: the entries encode back to
// exactly the input, offsets are the running sum of lengths, version 1 has
// no compressed entries, pack_header_size() is the input size + 32.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "engine/error.hpp"
#include "repo/format.hpp"

using namespace wph::repo;

namespace {
void require(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_pack_header: property violated: %s\n", what);
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    for (unsigned version : {1u, 2u}) {
        try {
            auto entries = decode_pack_header(in, version);
            require(encode_pack_header(entries) == in, "encode_pack_header(decode_pack_header(h)) == h");
            require(pack_header_size(entries) == in.size() + kCryptoOverhead, "pack_header_size == size + 32");
            std::uint64_t offset = 0;
            for (auto &e : entries) {
                require(e.offset == offset, "offset == sum of the previous lengths");
                require(e.length >= kCryptoOverhead, "length >= 32");
                require(version >= 2 || e.uncompressed_length == 0, "no compressed entry in version 1");
                offset += e.length;
            }
        } catch (const wph::Error &) {
        }
    }
    return 0;
}
