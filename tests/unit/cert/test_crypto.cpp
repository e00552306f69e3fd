#include "cert/crypto.hpp"
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "engine/error.hpp"

using namespace wph::cert;

namespace {

// A self-signed certificate for `names` over `key`, valid from
// 2030-01-01T00:00:00Z for one day, serial 0x0a1b2c.
std::string self_signed(const Key &key, const std::vector<std::string> &names) {
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x0a1b2c);
    ASN1_TIME_set(X509_getm_notBefore(x), 1893456000);
    ASN1_TIME_set(X509_getm_notAfter(x), 1893456000 + 86400);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("test issuer"), -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, key.get());
    std::string san;
    for (auto &s : names) san += (san.empty() ? "DNS:" : ",DNS:") + s;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, key.get(), EVP_sha256());
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *p = nullptr;
    long len = BIO_get_mem_data(b, &p);
    std::string out(p, static_cast<std::size_t>(len));
    BIO_free(b);
    X509_free(x);
    return out;
}

std::string decode_json_part(const std::string &b64) { return b64url_decode(b64, "test"); }

}  // namespace

TEST_CASE("base64url encodes without padding and decodes back", "[cert]") {
    CHECK(b64url("") == "");
    CHECK(b64url("f") == "Zg");
    CHECK(b64url("fo") == "Zm8");
    CHECK(b64url("foo") == "Zm9v");
    CHECK(b64url("foob") == "Zm9vYg");
    CHECK(b64url(std::string("\xfb\xff", 2)) == "-_8");
    CHECK(b64url_decode("-_8", "x") == std::string("\xfb\xff", 2));
    CHECK(b64url_decode("Zm9vYg==", "x") == "foob");
    CHECK_THROWS_WITH(b64url_decode("Zm9v!", "\"hmac_key\""), Catch::Contains("\"hmac_key\" is not base64url"));
    CHECK_THROWS_WITH(b64url_decode("Z", "k"), Catch::Contains("bad length"));
}

TEST_CASE("JWK thumbprints match RFC 7638's example and a published EC one", "[cert]") {
    boost::json::object rsa{
        {"kty", "RSA"},
        {"n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6"
              "4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
              "1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
        {"e", "AQAB"},
        {"alg", "RS256"},
        {"kid", "2011-04-29"}};
    CHECK(jwk_thumbprint(rsa) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    boost::json::object ec{{"kty", "EC"},
                           {"crv", "P-256"},
                           {"x", "jJ6Flys3zK9jUhnOHf6G49Dyp5hah6CNP84-gY-n9eo"},
                           {"y", "nhI6iD5eFXgBTLt_1p3aip-5VbZeMhxeFSpjfEAf7Ww"}};
    CHECK(jwk_thumbprint(ec) == "w9eYdC6_s_tLQ8lH6PUpc0mddazaqtPgeC2IgWDiqY8");
    ec.erase("y");
    CHECK_THROWS_WITH(jwk_thumbprint(ec), Catch::Contains("\"y\""));
}

TEST_CASE("an EC P-256 account key gives a JWK of 32-byte coordinates and survives PEM", "[cert]") {
    Key k = generate_key("ec256");
    auto j = jwk(k);
    CHECK(j.at("kty") == "EC");
    CHECK(j.at("crv") == "P-256");
    CHECK(b64url_decode(j.at("x").as_string(), "x").size() == 32);
    CHECK(b64url_decode(j.at("y").as_string(), "y").size() == 32);
    CHECK(jwk_thumbprint(j).size() == 43);
    Key back = key_from_pem(key_to_pem(k), "pem");
    CHECK(jwk(back) == j);
    CHECK(jws_alg(k) == "ES256");
    CHECK_THROWS_AS(key_from_pem("not a key", "account.key"), wph::Error);
    CHECK_THROWS_WITH(generate_key("dsa"), Catch::Contains("\"key_type\""));
}

TEST_CASE("ES256 JWS: raw 64-byte r||s that verifies, and fails when tampered", "[cert]") {
    Key k = generate_key("ec256");
    boost::json::object prot{{"alg", "ES256"}, {"nonce", "abc"}, {"url", "https://ca.test/acme/new-order"}, {"kid", "https://ca.test/acct/1"}};
    auto jws = jws_sign(k, prot, R"({"identifiers":[]})");
    CHECK(b64url_decode(jws.at("signature").as_string(), "sig").size() == 64);
    CHECK(boost::json::parse(decode_json_part(std::string(jws.at("protected").as_string()))) == boost::json::value(prot));
    CHECK(decode_json_part(std::string(jws.at("payload").as_string())) == R"({"identifiers":[]})");
    CHECK(jws_verify(k, jws));
    auto bad = jws;
    bad["payload"] = b64url(R"({"identifiers":[1]})");
    CHECK_FALSE(jws_verify(k, bad));
    CHECK_FALSE(jws_verify(generate_key("ec256"), jws));
    // POST-as-GET: the empty payload.
    auto get = jws_sign(k, prot, "");
    CHECK(get.at("payload") == "");
    CHECK(jws_verify(k, get));
}

TEST_CASE("RS256 JWS round trip", "[cert]") {
    Key k = generate_key("rsa2048");
    CHECK(jws_alg(k) == "RS256");
    CHECK(jwk(k).at("e") == "AQAB");
    auto jws = jws_sign(k, {{"alg", "RS256"}}, "x");
    CHECK(jws_verify(k, jws));
}

TEST_CASE("External Account Binding is an HS256 JWS over the account JWK (RFC 8555 7.3.4)", "[cert]") {
    boost::json::object account_jwk{{"crv", "P-256"},
                                    {"kty", "EC"},
                                    {"x", "jJ6Flys3zK9jUhnOHf6G49Dyp5hah6CNP84-gY-n9eo"},
                                    {"y", "nhI6iD5eFXgBTLt_1p3aip-5VbZeMhxeFSpjfEAf7Ww"}};
    auto eab = eab_jws("kid-1", "YW4gRUFCIGtleSBvZiAzMiBieXRlcywgb3Igc28hISE", account_jwk, "https://ca.test/new-account");
    auto prot = boost::json::parse(decode_json_part(std::string(eab.at("protected").as_string())));
    CHECK(prot == boost::json::parse(R"({"alg":"HS256","kid":"kid-1","url":"https://ca.test/new-account"})"));
    CHECK(boost::json::parse(decode_json_part(std::string(eab.at("payload").as_string()))) == boost::json::value(account_jwk));
    // HMAC-SHA256 computed independently (Python's hmac module).
    CHECK(eab.at("signature") == "cLyS2I6PqKDls-fIifyo3EuJzjFF-xTRzFHjR9YkiAY");
    CHECK_THROWS_WITH(eab_jws("kid", "no*base64", account_jwk, "u"), Catch::Contains("\"eab\".\"hmac_key\""));
}

TEST_CASE("key authorization and the dns-01 TXT value", "[cert]") {
    auto ka = key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", "w9eYdC6_s_tLQ8lH6PUpc0mddazaqtPgeC2IgWDiqY8");
    CHECK(ka == "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.w9eYdC6_s_tLQ8lH6PUpc0mddazaqtPgeC2IgWDiqY8");
    CHECK(dns01_value(ka) == "LFX852Dw78acW4y2vUcZWylVV2BkapGEBkL-eueb4gU");
}

TEST_CASE("a CSR names the first name as CN and every name in the SAN", "[cert]") {
    Key k = generate_key("ec256");
    std::vector<std::string> names{"a.test", "www.a.test", "*.b.test"};
    std::string der = csr_der(k, names);
    auto *p = reinterpret_cast<const unsigned char *>(der.data());
    X509_REQ *req = d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(req);
    CHECK(X509_REQ_verify(req, k.get()) == 1);
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn);
    CHECK(std::string(cn) == "a.test");
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    REQUIRE(exts);
    std::vector<std::string> got;
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
        if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_subject_alt_name) continue;
        auto *gens = static_cast<GENERAL_NAMES *>(X509V3_EXT_d2i(e));
        for (int j = 0; j < sk_GENERAL_NAME_num(gens); ++j) {
            auto *g = sk_GENERAL_NAME_value(gens, j);
            REQUIRE(g->type == GEN_DNS);
            got.emplace_back(reinterpret_cast<const char *>(ASN1_STRING_get0_data(g->d.dNSName)));
        }
        GENERAL_NAMES_free(gens);
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    CHECK(got == names);
    CHECK_THROWS_AS(csr_der(k, {}), wph::Error);
}

TEST_CASE("an issued certificate is read: serial, validity, names, key match, chain split", "[cert]") {
    Key k = generate_key("ec256");
    std::string leaf = self_signed(k, {"a.test", "www.a.test"});
    std::string other = self_signed(generate_key("ec256"), {"ca.test"});
    std::string bundle = leaf + other;
    auto info = parse_cert_pem(bundle, "bundle");
    CHECK(info.serial == "0a1b2c");
    CHECK(info.not_before_ms == 1893456000000LL);
    CHECK(info.not_after_ms == 1893456000000LL + 86400000LL);
    CHECK(info.names == std::vector<std::string>{"a.test", "www.a.test"});
    CHECK(info.issuer == "CN=test issuer");
    CHECK_FALSE(info.der.empty());
    CHECK(cert_matches_key(bundle, k));
    CHECK_FALSE(cert_matches_key(bundle, generate_key("ec256")));
    auto [l, chain] = split_chain(bundle);
    CHECK(l == leaf);
    CHECK(chain == other);
    CHECK(count_certs(bundle) == 2);
    CHECK_THROWS_WITH(parse_cert_pem("junk", "fullchain.pem"), Catch::Contains("fullchain.pem holds no PEM certificate"));
}
