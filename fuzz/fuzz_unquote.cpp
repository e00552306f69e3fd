// libFuzzer: go_unquote_body on arbitrary bytes, and the properties
//   go_unquote_body(go_quote_body(x)) == x          for every input x,
//   the same for every x that go_unquote_body accepts,
//   go_json_string(x) is a JSON string literal (it parses as one).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "engine/error.hpp"
#include "repo/format.hpp"

using namespace wph::repo;

namespace {
void require(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_unquote: property violated: %s\n", what);
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    try {
        const std::string quoted = go_quote_body(in);
        const std::optional<std::string> back = go_unquote_body(quoted);
        require(back.has_value() && *back == in, "go_unquote_body(go_quote_body(x)) == x");

        if (const std::optional<std::string> v = go_unquote_body(in)) {
            const std::optional<std::string> again = go_unquote_body(go_quote_body(*v));
            require(again.has_value() && *again == *v, "go_unquote_body(go_quote_body(go_unquote_body(x))) round trip");
        }

        const std::string json = go_json_string(in);
        boost::system::error_code ec;
        const boost::json::value parsed = boost::json::parse(json, ec);
        require(!ec && parsed.is_string(), "go_json_string(x) parses as a JSON string");
    } catch (const wph::Error &) {
    }
    return 0;
}
