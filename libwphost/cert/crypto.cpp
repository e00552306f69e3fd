#include "cert/crypto.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <ctime>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "engine/error.hpp"
#include "util/json.hpp"

namespace wph::cert {

namespace {

constexpr const char *kCat = "cert";

std::string ossl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

[[noreturn]] void fail(const std::string &what) { raise(WPH_ERROR, kCat, what + ": " + ossl_error()); }

struct BioFree { void operator()(BIO *b) const { BIO_free(b); } };
struct BnFree { void operator()(BIGNUM *b) const { BN_free(b); } };
struct CtxFree { void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); } };
struct X509Free { void operator()(X509 *x) const { X509_free(x); } };
struct ReqFree { void operator()(X509_REQ *x) const { X509_REQ_free(x); } };
struct SigFree { void operator()(ECDSA_SIG *s) const { ECDSA_SIG_free(s); } };
struct GensFree { void operator()(GENERAL_NAMES *g) const { GENERAL_NAMES_free(g); } };
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bio mem_bio(std::string_view data) {
    Bio b(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!b) fail("BIO_new_mem_buf");
    return b;
}

std::string bio_string(BIO *b) {
    char *p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    return std::string(p, static_cast<std::size_t>(n > 0 ? n : 0));
}

std::string bn_bytes(const BIGNUM *bn, int pad) {
    int n = pad > 0 ? pad : BN_num_bytes(bn);
    std::string out(static_cast<std::size_t>(n), '\0');
    if (pad > 0) {
        if (BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), pad) != pad) fail("BN_bn2binpad");
    } else {
        BN_bn2bin(bn, reinterpret_cast<unsigned char *>(out.data()));
    }
    return out;
}

Bn pkey_bn(const Key &key, const char *param) {
    BIGNUM *bn = nullptr;
    if (!EVP_PKEY_get_bn_param(key.get(), param, &bn)) fail(std::string("reading key parameter ") + param);
    return Bn(bn);
}

std::string json_str(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

std::int64_t asn1_time_ms(const ASN1_TIME *t) {
    struct tm tm {};
    if (!ASN1_TIME_to_tm(t, &tm)) fail("ASN1_TIME_to_tm");
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string digest_sign(const Key &key, std::string_view data) {
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) fail("EVP_DigestSignInit");
    std::size_t len = 0;
    auto *in = reinterpret_cast<const unsigned char *>(data.data());
    if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) fail("EVP_DigestSign");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len, in, data.size()) != 1)
        fail("EVP_DigestSign");
    sig.resize(len);
    return sig;
}

}  // namespace

std::string b64url(std::string_view data) {
    static const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto u = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(data[k])); };
    for (; i + 3 <= data.size(); i += 3) {
        unsigned v = (u(i) << 16) | (u(i + 1) << 8) | u(i + 2);
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += abc[(v >> 6) & 63];
        out += abc[v & 63];
    }
    if (data.size() - i == 1) {
        unsigned v = u(i) << 16;
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
    } else if (data.size() - i == 2) {
        unsigned v = (u(i) << 16) | (u(i + 1) << 8);
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += abc[(v >> 6) & 63];
    }
    return out;
}

std::string b64url_decode(std::string_view text, std::string_view what) {
    // Padding is tolerated at the end (some CAs print EAB keys with it).
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-' || c == '+') v = 62;
        else if (c == '_' || c == '/') v = 63;
        else raise(WPH_EINVALID, kCat, std::string(what) + " is not base64url (unexpected character)");
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6) raise(WPH_EINVALID, kCat, std::string(what) + " is not base64url (bad length)");
    return out;
}

std::string sha256(std::string_view data) {
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1) fail("EVP_Digest");
    return std::string(reinterpret_cast<char *>(md), n);
}

std::string hex(std::string_view data) {
    static const char *d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : data) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return out;
}

Key::Key(EVP_PKEY *owned) : p_(owned, EVP_PKEY_free) {}

bool Key::is_ec() const { return p_ && EVP_PKEY_get_base_id(p_.get()) == EVP_PKEY_EC; }

Key generate_key(std::string_view type) {
    EVP_PKEY *k = nullptr;
    if (type == "ec256" || type.empty()) k = EVP_EC_gen("P-256");
    else if (type == "rsa2048") k = EVP_RSA_gen(2048);
    else raise(WPH_EINVALID, kCat, "\"key_type\" must be \"ec256\" or \"rsa2048\", got \"" + std::string(type) + "\"");
    if (!k) fail("generating a key");
    return Key(k);
}

std::string key_to_pem(const Key &key) {
    Bio b(BIO_new(BIO_s_mem()));
    if (!b || PEM_write_bio_PrivateKey(b.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("writing a private key");
    return bio_string(b.get());
}

Key key_from_pem(std::string_view pem, std::string_view what) {
    auto b = mem_bio(pem);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr);
    if (!k) {
        ERR_clear_error();
        raise(WPH_EINVALID, kCat, std::string(what) + " is not a PEM private key");
    }
    return Key(k);
}

std::string jws_alg(const Key &key) {
    int id = EVP_PKEY_get_base_id(key.get());
    if (id == EVP_PKEY_EC) return "ES256";
    if (id == EVP_PKEY_RSA) return "RS256";
    raise(WPH_EINVALID, kCat, "account key must be EC P-256 or RSA");
}

boost::json::object jwk(const Key &key) {
    if (key.is_ec()) {
        char group[64] = {0};
        std::size_t glen = 0;
        if (!EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) ||
            (std::string_view(group) != "prime256v1" && std::string_view(group) != "P-256"))
            raise(WPH_EINVALID, kCat, "EC account keys must be on the P-256 curve");
        auto x = pkey_bn(key, OSSL_PKEY_PARAM_EC_PUB_X), y = pkey_bn(key, OSSL_PKEY_PARAM_EC_PUB_Y);
        return {{"crv", "P-256"}, {"kty", "EC"}, {"x", b64url(bn_bytes(x.get(), 32))}, {"y", b64url(bn_bytes(y.get(), 32))}};
    }
    auto n = pkey_bn(key, OSSL_PKEY_PARAM_RSA_N), e = pkey_bn(key, OSSL_PKEY_PARAM_RSA_E);
    return {{"e", b64url(bn_bytes(e.get(), 0))}, {"kty", "RSA"}, {"n", b64url(bn_bytes(n.get(), 0))}};
}

std::string jwk_thumbprint(const boost::json::object &k) {
    auto member = [&](const char *name) -> std::string {
        auto *v = k.if_contains(name);
        if (!v || !v->is_string()) raise(WPH_EINVALID, kCat, std::string("JWK lacks the string member \"") + name + "\"");
        return std::string("\"") + name + "\":" + json_str(v->as_string());
    };
    auto *kty = k.if_contains("kty");
    if (!kty || !kty->is_string()) raise(WPH_EINVALID, kCat, "JWK lacks \"kty\"");
    std::string_view t = kty->as_string();
    std::string canon;
    if (t == "EC") canon = "{" + member("crv") + "," + member("kty") + "," + member("x") + "," + member("y") + "}";
    else if (t == "RSA") canon = "{" + member("e") + "," + member("kty") + "," + member("n") + "}";
    else if (t == "oct") canon = "{" + member("k") + "," + member("kty") + "}";
    else raise(WPH_EINVALID, kCat, "JWK \"kty\" must be EC, RSA or oct, got \"" + std::string(t) + "\"");
    return b64url(sha256(canon));
}

boost::json::object jws_sign(const Key &key, const boost::json::object &protected_header, std::string_view payload) {
    std::string prot = b64url(util::to_json(protected_header));
    std::string pay = b64url(payload);
    std::string input = prot + "." + pay;
    std::string sig = digest_sign(key, input);
    if (key.is_ec()) {
        auto *p = reinterpret_cast<const unsigned char *>(sig.data());
        std::unique_ptr<ECDSA_SIG, SigFree> es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
        if (!es) fail("decoding an ECDSA signature");
        const BIGNUM *r = nullptr, *s = nullptr;
        ECDSA_SIG_get0(es.get(), &r, &s);
        sig = bn_bytes(r, 32) + bn_bytes(s, 32);
    }
    return {{"protected", prot}, {"payload", pay}, {"signature", b64url(sig)}};
}

bool jws_verify(const Key &key, const boost::json::object &jws) {
    auto get = [&](const char *n) -> std::string {
        auto *v = jws.if_contains(n);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    std::string input = get("protected") + "." + get("payload");
    std::string sig = b64url_decode(get("signature"), "JWS signature");
    if (key.is_ec()) {
        if (sig.size() != 64) return false;
        std::unique_ptr<ECDSA_SIG, SigFree> es(ECDSA_SIG_new());
        BIGNUM *r = BN_bin2bn(reinterpret_cast<const unsigned char *>(sig.data()), 32, nullptr);
        BIGNUM *s = BN_bin2bn(reinterpret_cast<const unsigned char *>(sig.data()) + 32, 32, nullptr);
        if (!es || !r || !s || ECDSA_SIG_set0(es.get(), r, s) != 1) {
            BN_free(r);
            BN_free(s);
            fail("building an ECDSA signature");
        }
        unsigned char *der = nullptr;
        int n = i2d_ECDSA_SIG(es.get(), &der);
        if (n <= 0) fail("encoding an ECDSA signature");
        sig.assign(reinterpret_cast<char *>(der), static_cast<std::size_t>(n));
        OPENSSL_free(der);
    }
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) fail("EVP_DigestVerifyInit");
    int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(sig.data()), sig.size(),
                              reinterpret_cast<const unsigned char *>(input.data()), input.size());
    ERR_clear_error();
    return rc == 1;
}

boost::json::object eab_jws(const std::string &eab_kid, const std::string &hmac_key_b64url,
                            const boost::json::object &account_jwk, const std::string &new_account_url) {
    std::string mac_key = b64url_decode(hmac_key_b64url, "\"eab\".\"hmac_key\"");
    if (mac_key.empty()) raise(WPH_EINVALID, kCat, "\"eab\".\"hmac_key\" is empty");
    boost::json::object prot{{"alg", "HS256"}, {"kid", eab_kid}, {"url", new_account_url}};
    std::string p = b64url(util::to_json(prot));
    std::string pay = b64url(util::to_json(account_jwk));
    std::string input = p + "." + pay;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), mac_key.data(), static_cast<int>(mac_key.size()),
              reinterpret_cast<const unsigned char *>(input.data()), input.size(), md, &n))
        fail("HMAC");
    OPENSSL_cleanse(mac_key.data(), mac_key.size());
    return {{"protected", p}, {"payload", pay}, {"signature", b64url(std::string_view(reinterpret_cast<char *>(md), n))}};
}

std::string key_authorization(std::string_view token, std::string_view thumbprint) {
    return std::string(token) + "." + std::string(thumbprint);
}

std::string dns01_value(std::string_view key_authorization) { return b64url(sha256(key_authorization)); }

std::string csr_der(const Key &key, const std::vector<std::string> &names) {
    if (names.empty()) raise(WPH_EINVALID, kCat, "a CSR needs at least one name");
    std::unique_ptr<X509_REQ, ReqFree> req(X509_REQ_new());
    if (!req || X509_REQ_set_version(req.get(), 0) != 1) fail("X509_REQ_new");
    X509_NAME *subj = X509_REQ_get_subject_name(req.get());
    // The CN is limited to 64 characters; longer first names live in the SAN only.
    if (names[0].size() <= 64 &&
        X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(names[0].c_str()), -1,
                                   -1, 0) != 1)
        fail("setting the CSR subject");
    std::unique_ptr<GENERAL_NAMES, GensFree> gens(sk_GENERAL_NAME_new_null());
    for (auto &n : names) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || ASN1_STRING_set(s, n.data(), static_cast<int>(n.size())) != 1) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            fail("building the CSR names");
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        sk_GENERAL_NAME_push(gens.get(), g);
    }
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens.get());
    if (!exts || !ext) {
        sk_X509_EXTENSION_free(exts);
        fail("building the subjectAltName extension");
    }
    sk_X509_EXTENSION_push(exts, ext);
    int ok = X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (ok != 1) fail("adding the CSR extensions");
    if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) fail("X509_REQ_set_pubkey");
    if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) fail("signing the CSR");
    unsigned char *der = nullptr;
    int n = i2d_X509_REQ(req.get(), &der);
    if (n <= 0) fail("encoding the CSR");
    std::string out(reinterpret_cast<char *>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

namespace {

std::unique_ptr<X509, X509Free> first_cert(std::string_view pem, std::string_view what) {
    auto b = mem_bio(pem);
    X509 *x = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr);
    if (!x) {
        ERR_clear_error();
        raise(WPH_EINVALID, kCat, std::string(what) + " holds no PEM certificate");
    }
    return std::unique_ptr<X509, X509Free>(x);
}

}  // namespace

CertInfo parse_cert_pem(std::string_view pem, std::string_view what) {
    auto x = first_cert(pem, what);
    CertInfo info;
    Bn serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr));
    if (!serial) fail("reading the serial number");
    char *h = BN_bn2hex(serial.get());
    if (!h) fail("BN_bn2hex");
    info.serial = h;
    OPENSSL_free(h);
    for (auto &c : info.serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    info.not_before_ms = asn1_time_ms(X509_get0_notBefore(x.get()));
    info.not_after_ms = asn1_time_ms(X509_get0_notAfter(x.get()));
    std::unique_ptr<GENERAL_NAMES, GensFree> gens(
        static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (gens) {
        for (int i = 0; i < sk_GENERAL_NAME_num(gens.get()); ++i) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens.get(), i);
            if (g->type != GEN_DNS) continue;
            const ASN1_IA5STRING *s = g->d.dNSName;
            info.names.emplace_back(reinterpret_cast<const char *>(ASN1_STRING_get0_data(s)),
                                    static_cast<std::size_t>(ASN1_STRING_length(s)));
        }
    }
    Bio b(BIO_new(BIO_s_mem()));
    if (b && X509_NAME_print_ex(b.get(), X509_get_issuer_name(x.get()), 0, XN_FLAG_RFC2253) >= 0)
        info.issuer = bio_string(b.get());
    unsigned char *der = nullptr;
    int n = i2d_X509(x.get(), &der);
    if (n <= 0) fail("encoding the certificate");
    info.der.assign(reinterpret_cast<char *>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    ERR_clear_error();
    return info;
}

std::pair<std::string, std::string> split_chain(std::string_view pem) {
    constexpr std::string_view end = "-----END CERTIFICATE-----";
    auto pos = pem.find(end);
    if (pos == std::string_view::npos) return {std::string(pem), ""};
    pos += end.size();
    if (pos < pem.size() && pem[pos] == '\r') ++pos;
    if (pos < pem.size() && pem[pos] == '\n') ++pos;
    std::string leaf(pem.substr(0, pos));
    if (leaf.empty() || leaf.back() != '\n') leaf += '\n';
    std::string_view rest = pem.substr(pos);
    while (!rest.empty() && (rest.front() == '\n' || rest.front() == '\r')) rest.remove_prefix(1);
    return {leaf, std::string(rest)};
}

int count_certs(std::string_view pem) {
    int n = 0;
    for (std::size_t p = 0; (p = pem.find("-----BEGIN CERTIFICATE-----", p)) != std::string_view::npos; ++p) ++n;
    return n;
}

bool cert_matches_key(std::string_view pem, const Key &key) {
    auto x = first_cert(pem, "certificate");
    EVP_PKEY *pub = X509_get0_pubkey(x.get());
    bool ok = pub && EVP_PKEY_eq(pub, key.get()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace wph::cert
