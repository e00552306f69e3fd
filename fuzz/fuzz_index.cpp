// libFuzzer: decode_index on arbitrary text, for repository versions 1 and 2.
// Property when it decodes: what encode_index writes decodes again to the
// same index and re-encodes to the same bytes.
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
        std::fprintf(stderr, "fuzz_index: property violated: %s\n", what);
        std::abort();
    }
}

bool same(const IndexFile &a, const IndexFile &b) {
    if (a.supersedes != b.supersedes || a.packs.size() != b.packs.size()) return false;
    for (std::size_t i = 0; i < a.packs.size(); ++i) {
        const auto &p = a.packs[i], &q = b.packs[i];
        if (p.id != q.id || p.blobs.size() != q.blobs.size()) return false;
        for (std::size_t j = 0; j < p.blobs.size(); ++j) {
            const auto &x = p.blobs[j], &y = q.blobs[j];
            if (x.type != y.type || x.id != y.id || x.offset != y.offset || x.length != y.length ||
                x.uncompressed_length != y.uncompressed_length)
                return false;
        }
    }
    return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    for (unsigned version : {1u, 2u}) {
        IndexFile idx;
        try {
            idx = decode_index(in, version);
        } catch (const wph::Error &) {
            continue;
        }
        const std::string text = encode_index(idx);
        IndexFile again;
        try {
            again = decode_index(text, version);
        } catch (const wph::Error &e) {
            std::fprintf(stderr, "fuzz_index: decode_index(encode_index(idx)) threw: %s\n", e.what());
            std::abort();
        }
        require(same(idx, again), "decode_index(encode_index(idx)) == idx");
        require(encode_index(again) == text, "encode_index is deterministic");
    }
    return 0;
}
