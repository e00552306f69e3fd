// libFuzzer: decode_tree on arbitrary text. When it decodes, encode_tree
// must not crash (it may refuse unsorted or duplicate names with
// wph::Error). When that succeeds too, what it wrote must decode again and
// re-encode to the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"
#include "repo/format.hpp"

using namespace wph::repo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    std::vector<Node> nodes;
    try {
        nodes = decode_tree(in);
    } catch (const wph::Error &) {
        return 0;
    }
    std::string text;
    try {
        text = encode_tree(nodes);
    } catch (const wph::Error &) {
        return 0;  // names not sorted or not unique: restic's writer refuses those too
    }
    std::vector<Node> again;
    try {
        again = decode_tree(text);
    } catch (const wph::Error &e) {
        std::fprintf(stderr, "fuzz_tree: decode_tree(encode_tree(nodes)) threw: %s\n", e.what());
        std::abort();
    }
    if (encode_tree(again) != text) {
        std::fprintf(stderr, "fuzz_tree: encode_tree(decode_tree(encode_tree(nodes))) differs\n");
        std::abort();
    }
    return 0;
}
