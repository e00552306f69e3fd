// The S3 client's pure helpers: XML answers, keys, base64, ranges, config.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "engine/error.hpp"
#include "provider/s3.hpp"

using namespace wph::provider::s3;

namespace {
int code_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.code();
    }
    return 0;
}
}  // namespace

TEST_CASE("s3: a ListObjectsV2 page with entities, prefixes and a continuation token", "[s3]") {
    const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>photos/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>photos/a &amp; b &lt;1&gt; &quot;q&quot; &apos;s&apos; &#233;&#x1F600;.jpg</Key>
    <LastModified>2026-11-23T09:00:00.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <Size>1234567890123</Size><StorageClass>STANDARD</StorageClass>
  </Contents>
  <!-- a comment -->
  <Contents><Key><![CDATA[photos/<raw>]]></Key><Size>0</Size><ETag>"x"</ETag></Contents>
  <CommonPrefixes><Prefix>photos/2025/</Prefix></CommonPrefixes>
</ListBucketResult>)";
    ListPage p = parse_list_page(xml);
    REQUIRE(p.objects.size() == 2);
    CHECK(p.objects[0].key == "photos/a & b <1> \"q\" 's' \xc3\xa9\xf0\x9f\x98\x80.jpg");
    CHECK(p.objects[0].size == 1234567890123LL);
    CHECK(p.objects[0].etag == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(p.objects[0].last_modified == "2026-11-23T09:00:00.000Z");
    CHECK(p.objects[1].key == "photos/<raw>");
    CHECK(p.prefixes == std::vector<std::string>{"photos/2025/"});
    CHECK(p.truncated);
    CHECK(p.next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_CASE("s3: malformed XML is a provider error, never a crash", "[s3]") {
    for (const char *bad : {"", "<", "<ListBucketResult>", "<ListBucketResult></Other>", "<a><b></a></b>",
                            "<ListBucketResult><Contents><Key>&bogus;</Key></Contents></ListBucketResult>",
                            "<ListBucketResult><Contents><Key>&#0;</Key></Contents></ListBucketResult>",
                            "<ListBucketResult><Contents><Key>&#xD800;</Key></Contents></ListBucketResult>",
                            "<ListBucketResult><Contents><Size>12x</Size><Key>k</Key></Contents></ListBucketResult>",
                            "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                            "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
                            "<!DOCTYPE x [<!ENTITY a 'b'>]><ListBucketResult/>", "<Error><Code>x</Code></Error>",
                            "<ListBucketResult a=\"1></ListBucketResult>", "<ListBucketResult/>trailing"}) {
        INFO(bad);
        CHECK(code_of([&] { parse_list_page(bad); }) == WPH_EPROVIDER);
    }
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "<a>";
    CHECK(code_of([&] { parse_xml(deep, "deep"); }) == WPH_EPROVIDER);
    CHECK(parse_list_page("<ListBucketResult/>").objects.empty());
}

TEST_CASE("s3: error documents", "[s3]") {
    auto e = parse_error(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not "
        "exist.</Message><Key>a&amp;b</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>");
    REQUIRE(e);
    CHECK(e->code == "NoSuchKey");
    CHECK(e->message == "The specified key does not exist.");
    CHECK(e->resource == "a&b");
    CHECK(e->request_id == "4442587FB7D0A2F9");
    CHECK_FALSE(parse_error("{\"message\": \"json\"}"));
    CHECK_FALSE(parse_error("<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>"));
    CHECK_FALSE(parse_error("<Error><Code>broken"));
    CHECK(parse_upload_id("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE"
                          "</UploadId></InitiateMultipartUploadResult>") == "VXBsb2FkIElE");
    CHECK(code_of([] { parse_upload_id("<InitiateMultipartUploadResult/>"); }) == WPH_EPROVIDER);
    CHECK(complete_body({{1, "\"a\""}, {2, "\"b\""}}) ==
          "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber>"
          "<ETag>&quot;a&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part>"
          "</CompleteMultipartUpload>");
}

TEST_CASE("s3: keys, UTF-8, base64 and ranges", "[s3]") {
    CHECK(code_of([] { validate_key(""); }) == WPH_EINVALID);
    CHECK(code_of([] { validate_key(std::string(1025, 'a')); }) == WPH_EINVALID);
    CHECK(code_of([] { validate_key(std::string(1024, 'a')); }) == 0);
    CHECK(code_of([] { validate_key("bad\xff"); }) == WPH_EINVALID);
    for (const char *k : {".", "..", "a/../b", "./a", "a/.", "a//./b"}) {
        INFO(k);
        CHECK(code_of([&] { validate_key(k); }) == WPH_EINVALID);
    }
    for (const char *k : {"a..b", ".hidden", "a/.../b", "a/..b/", "/lead//double/", "trailing/"}) {
        INFO(k);
        CHECK(code_of([&] { validate_key(k); }) == 0);
    }
    CHECK(valid_utf8("caf\xc3\xa9 \xe1\x88\xb4 \xf0\x9f\x98\x80"));
    CHECK_FALSE(valid_utf8("\xc3"));
    CHECK_FALSE(valid_utf8("\xc0\xaf"));        // overlong
    CHECK_FALSE(valid_utf8("\xed\xa0\x80"));    // surrogate
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    for (const std::string &s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
        auto back = base64_decode(base64_encode(s));
        REQUIRE(back);
        CHECK(*back == s);
    }
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK_FALSE(base64_decode("Zm9v!"));
    CHECK_FALSE(base64_decode("Z"));
    CHECK(range_header(0, 10) == "bytes=0-9");
    CHECK(range_header(5, 0) == "bytes=5-");
    CHECK(strip_quotes("\"abc\"") == "abc");
}

TEST_CASE("s3: configuration", "[s3]") {
    namespace json = boost::json;
    json::object c{{"kind", "s3"}, {"bucket", "b"}, {"access_key_id", "AK"}, {"secret_access_key", "SK"}};
    Config cfg = config_from_json(c);
    CHECK(cfg.endpoint == "https://s3.us-east-1.amazonaws.com");
    CHECK_FALSE(cfg.path_style);
    CHECK(cfg.part_size == 16 * kMiB);
    CHECK(cfg.multipart_threshold == 64 * kMiB);
    Client aws(cfg);
    CHECK(aws.object_url("a b/c+d") == "https://b.s3.us-east-1.amazonaws.com/a%20b/c%2Bd");
    CHECK(aws.bucket_url("list-type=2") == "https://b.s3.us-east-1.amazonaws.com/?list-type=2");

    json::object b2 = c;
    b2["endpoint"] = "https://s3.eu-central-003.backblazeb2.com";
    b2["region"] = "eu-central-003";
    Config b2cfg = config_from_json(b2);
    CHECK(b2cfg.path_style);
    CHECK(Client(b2cfg).object_url("k") == "https://s3.eu-central-003.backblazeb2.com/b/k");

    auto bad = [&](const char *field, json::value v) {
        json::object x = c;
        x[field] = v;
        try {
            config_from_json(x);
        } catch (const wph::Error &e) {
            CHECK(e.code() == WPH_EINVALID);
            CHECK(e.message().find(field) != std::string::npos);
            return;
        }
        FAIL("accepted " << field);
    };
    bad("part_size_mb", 4);
    bad("bucket", "a/b");
    bad("region", "us east");
    bad("path_style", "yes");
    bad("endpoint", "https://s3.example.com/prefix");
    json::object nokey = c;
    nokey.erase("secret_access_key");
    CHECK(code_of([&] { config_from_json(nokey); }) == WPH_EINVALID);
}
