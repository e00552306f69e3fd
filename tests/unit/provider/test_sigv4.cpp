// The SigV4 signer against AWS's published vectors: the Signature Version 4
// test suite (generic service rules) and the worked examples of the S3
// documentation (S3 rules, presigned URL).
#include "provider/sigv4.hpp"
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "engine/error.hpp"

using namespace wph::provider;

namespace {

// Credentials, region, service and time of the AWS SigV4 test suite.
const sigv4::Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const std::string kSuiteScope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

sigv4::Options suite_options() {
    sigv4::Options o;
    o.region = "us-east-1";
    o.service = "service";
    o.amz_date = "20150830T123600Z";
    o.s3 = false;
    return o;
}

sigv4::Signed suite(const std::string &method, const std::string &target, sigv4::Headers headers = {},
                    const std::string &body = "", const sigv4::Credentials &creds = kSuiteCreds) {
    sigv4::Request r;
    r.method = method;
    r.url = "https://example.amazonaws.com" + target;
    r.headers = std::move(headers);
    r.payload_sha256 = sigv4::sha256_hex(body);
    return sigv4::sign(r, creds, suite_options());
}

// Credentials, region and time of the S3 documentation's examples.
const sigv4::Credentials kS3Creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

sigv4::Options s3_options() {
    sigv4::Options o;
    o.region = "us-east-1";
    o.service = "s3";
    o.amz_date = "20130524T000000Z";
    o.s3 = true;
    return o;
}

sigv4::Signed s3(const std::string &method, const std::string &target, sigv4::Headers headers = {},
                 const std::string &payload_hash = std::string(sigv4::kEmptySha256)) {
    sigv4::Request r;
    r.method = method;
    r.url = "https://examplebucket.s3.amazonaws.com" + target;
    r.headers = std::move(headers);
    r.payload_sha256 = payload_hash;
    return sigv4::sign(r, kS3Creds, s3_options());
}

int code_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.code();
    }
    return 0;
}

}  // namespace

TEST_CASE("sigv4: AWS SigV4 test suite, get-vanilla (canonical request, string to sign, authorization)", "[sigv4]") {
    auto s = suite("GET", "/");
    CHECK(s.canonical_request ==
          "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(s.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    CHECK(s.authorization == kSuiteScope + "SignedHeaders=host;x-amz-date, "
                                           "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    // Generic services get no x-amz-content-sha256.
    for (const auto &[n, v] : s.headers) CHECK(n != "x-amz-content-sha256");
}

TEST_CASE("sigv4: AWS SigV4 test suite, query, path and header cases", "[sigv4]") {
    struct Case {
        const char *name;
        const char *method;
        const char *target;
        sigv4::Headers headers;
        const char *signed_headers;
        const char *signature;
    };
    const Case cases[] = {
        // AWS SigV4 test suite, get-vanilla-query-order-key-case
        {"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", {}, "host;x-amz-date",
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        // AWS SigV4 test suite, get-vanilla-query-unreserved
        {"get-vanilla-query-unreserved", "GET",
         "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
         "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         {}, "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        // AWS SigV4 test suite, get-vanilla-utf8-query
        {"get-vanilla-utf8-query", "GET", "/?\xe1\x88\xb4=bar", {}, "host;x-amz-date",
         "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        // AWS SigV4 test suite, get-utf8
        {"get-utf8", "GET", "/\xe1\x88\xb4", {}, "host;x-amz-date",
         "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        // AWS SigV4 test suite, normalize-path/get-space
        {"get-space", "GET", "/example space/", {}, "host;x-amz-date",
         "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
        // AWS SigV4 test suite, normalize-path/get-slashes
        {"get-slashes", "GET", "//example//", {}, "host;x-amz-date",
         "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
        // AWS SigV4 test suite, normalize-path/get-relative-relative
        {"get-relative-relative", "GET", "/example1/example2/../..", {}, "host;x-amz-date",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        // AWS SigV4 test suite, post-header-key-case
        {"post-header-key-case", "POST", "/", {}, "host;x-amz-date",
         "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        // AWS SigV4 test suite, get-header-value-trim
        {"get-header-value-trim", "GET", "/", {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}},
         "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        // AWS SigV4 test suite, get-header-key-duplicate
        {"get-header-key-duplicate", "GET", "/", {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
         "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    };
    for (const auto &c : cases) {
        INFO(c.name);
        auto s = suite(c.method, c.target, c.headers);
        CHECK(s.authorization == kSuiteScope + "SignedHeaders=" + c.signed_headers + ", Signature=" + c.signature);
    }
}

TEST_CASE("sigv4: AWS SigV4 test suite, post-x-www-form-urlencoded", "[sigv4]") {
    auto s = suite("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1");
    CHECK(s.authorization == kSuiteScope + "SignedHeaders=content-type;host;x-amz-date, "
                                           "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST_CASE("sigv4: AWS SigV4 test suite, post-sts-header-before (session token)", "[sigv4]") {
    sigv4::Credentials creds = kSuiteCreds;
    creds.session_token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuw"
        "thAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHN"
        "VXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    auto s = suite("POST", "/", {}, "", creds);
    CHECK(s.authorization == kSuiteScope + "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                                           "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    bool token_header = false;
    for (const auto &[n, v] : s.headers) token_header |= n == "x-amz-security-token" && v == creds.session_token;
    CHECK(token_header);
}

TEST_CASE("sigv4: S3 documentation, GET object with a Range header", "[sigv4]") {
    auto s = s3("GET", "/test.txt", {{"Range", "bytes=0-9"}});
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
          "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    bool content_sha = false;
    for (const auto &[n, v] : s.headers) content_sha |= n == "x-amz-content-sha256" && v == sigv4::kEmptySha256;
    CHECK(content_sha);
}

TEST_CASE("sigv4: S3 documentation, PUT object", "[sigv4]") {
    const std::string hash = sigv4::sha256_hex("Welcome to Amazon S3.");
    CHECK(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    auto s = s3("PUT", "/test$file.text",
                {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}, hash);
    CHECK(s.canonical_request.rfind("PUT\n/test%24file.text\n\n", 0) == 0);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
          "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    CHECK(s.url == "https://examplebucket.s3.amazonaws.com/test%24file.text");
}

TEST_CASE("sigv4: S3 documentation, GET bucket lifecycle and list objects", "[sigv4]") {
    CHECK(s3("GET", "/?lifecycle").signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    auto list = s3("GET", "/?max-keys=2&prefix=J");
    CHECK(list.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    CHECK(list.url == "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J");
}

TEST_CASE("sigv4: S3 documentation, presigned GET URL", "[sigv4]") {
    auto p = sigv4::presign("GET", "https://examplebucket.s3.amazonaws.com/test.txt", 86400, kS3Creds, s3_options());
    CHECK(p.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    CHECK(p.url ==
          "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    CHECK(code_of([] { sigv4::presign("GET", "https://b.s3.amazonaws.com/k", 604801, kS3Creds, s3_options()); }) ==
          WPH_EINVALID);
    CHECK(code_of([] { sigv4::presign("GET", "https://b.s3.amazonaws.com/k", 0, kS3Creds, s3_options()); }) ==
          WPH_EINVALID);
    CHECK(code_of([] { sigv4::presign("GET", "https://b.s3.amazonaws.com/k", 604800, kS3Creds, s3_options()); }) == 0);
}

TEST_CASE("sigv4: S3 paths are encoded once and not normalized", "[sigv4]") {
    CHECK(sigv4::canonical_uri("/a//b/../c d+e=f", true) == "/a//b/../c%20d%2Be%3Df");
    CHECK(sigv4::canonical_uri("/a%20b/%E1%88%B4", true) == "/a%20b/%E1%88%B4");
    CHECK(sigv4::canonical_uri("/a%20b", false) == "/a%2520b");
    CHECK(sigv4::canonical_uri("", true) == "/");
    CHECK(sigv4::normalize_path("/./example") == "/example");
    CHECK(sigv4::normalize_path("/a/b/../../..") == "/");
    CHECK(sigv4::normalize_path("/a/./b/") == "/a/b/");
}

TEST_CASE("sigv4: canonical query strings", "[sigv4]") {
    CHECK(sigv4::canonical_query("") == "");
    CHECK(sigv4::canonical_query("uploads") == "uploads=");
    CHECK(sigv4::canonical_query("b=2&a=x%20y&a=1&&") == "a=1&a=x%20y&b=2");
    CHECK(sigv4::canonical_query("prefix=a+b/c&list-type=2") == "list-type=2&prefix=a%2Bb%2Fc");
    CHECK(sigv4::canonical_query("k=%zz") == "k=%25zz");
}

TEST_CASE("sigv4: dates, URLs and bad input", "[sigv4]") {
    CHECK(sigv4::amz_date(1440938160) == "20150830T123600Z");
    CHECK(sigv4::parse_amz_date("20150830T123600Z") == 1440938160);
    CHECK(sigv4::parse_amz_date("20000229T000000Z") == 951782400);
    CHECK(code_of([] { sigv4::parse_amz_date("20150230T123600Z"); }) == WPH_EINVALID);
    CHECK(code_of([] { sigv4::parse_amz_date("2015-08-30T12:36:00Z"); }) == WPH_EINVALID);

    auto u = sigv4::parse_url("HTTP://Example.COM:80/a?b=c#frag");
    CHECK(u.scheme == "http");
    CHECK(u.host_header() == "example.com");
    CHECK(u.path == "/a");
    CHECK(u.query == "b=c");
    CHECK(sigv4::parse_url("http://127.0.0.1:9000").host_header() == "127.0.0.1:9000");
    CHECK(sigv4::parse_url("https://[::1]:8443/x").host_header() == "[::1]:8443");
    CHECK(code_of([] { sigv4::parse_url("/relative"); }) == WPH_EINVALID);
    CHECK(code_of([] { sigv4::parse_url("https://user:pw@host/"); }) == WPH_EINVALID);
    CHECK(code_of([] { sigv4::parse_url("https://host:12x/"); }) == WPH_EINVALID);

    sigv4::Request r;
    r.url = "https://example.amazonaws.com/";
    r.payload_sha256 = "nothex";
    CHECK(code_of([&] { sigv4::sign(r, kSuiteCreds, suite_options()); }) == WPH_EINVALID);
    r.payload_sha256 = std::string(sigv4::kUnsignedPayload);
    r.headers = {{"X-Bad", "a\r\nb"}};
    CHECK(code_of([&] { sigv4::sign(r, kSuiteCreds, suite_options()); }) == WPH_EINVALID);
    r.headers = {{"User-Agent", "x"}, {"Authorization", "old"}, {"X-Amz-Date", "19990101T000000Z"}};
    auto s = sigv4::sign(r, kSuiteCreds, suite_options());
    CHECK(s.signed_headers == "host;x-amz-date");
    CHECK(s.canonical_request.find("x-amz-date:20150830T123600Z") != std::string::npos);
    CHECK(sigv4::trim_all("  a \t  b  ") == "a b");
}
