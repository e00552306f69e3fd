// libFuzzer: the S3 client's XML reader and the documents built on it
// (ListObjectsV2 pages, error bodies, CreateMultipartUpload answers) on
// arbitrary bytes, and the properties
//   xml_unescape(xml_escape(x)) == x,
//   base64_decode(base64_encode(x)) == x,
//   an object key parsed from a page is what the page's <Key> decodes to.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "engine/error.hpp"
#include "provider/s3.hpp"

using namespace wph::provider::s3;

namespace {
void require(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_s3_xml: property violated: %s\n", what);
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    try {
        XmlNode root = parse_xml(in, "fuzz");
        require(!root.name.empty(), "a parsed root element has a name");
    } catch (const wph::Error &e) {
        require(e.code() == WPH_EPROVIDER, "malformed XML is WPH_EPROVIDER");
    }
    try {
        ListPage page = parse_list_page(in);
        require(!page.truncated || !page.next_token.empty(), "a truncated page has a continuation token");
        for (const auto &o : page.objects) require(o.size >= 0, "object sizes are not negative");
    } catch (const wph::Error &e) {
        require(e.code() == WPH_EPROVIDER, "a malformed page is WPH_EPROVIDER");
    }
    (void)parse_error(in);  // never throws
    try {
        (void)parse_upload_id(in);
    } catch (const wph::Error &) {
    }

    const std::string escaped = xml_escape(in);
    require(xml_unescape(escaped) == in, "xml_unescape(xml_escape(x)) == x");
    // A key put into a page comes back unchanged (valid UTF-8 keys only:
    // S3 keys are UTF-8).
    if (valid_utf8(in) && in.find('\0') == std::string_view::npos) {
        const std::string page = "<ListBucketResult><Contents><Key>" + escaped +
                                 "</Key><Size>1</Size></Contents></ListBucketResult>";
        ListPage p = parse_list_page(page);
        require(p.objects.size() == 1 && p.objects[0].key == in, "a page's key round-trips");
    }
    const std::optional<std::string> back = base64_decode(base64_encode(in));
    require(back.has_value() && *back == in, "base64_decode(base64_encode(x)) == x");
    (void)base64_decode(in);
    return 0;
}
