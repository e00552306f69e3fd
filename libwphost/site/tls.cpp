#include "site/tls.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "engine/error.hpp"

namespace wph::site {

namespace {
template <class T, void (*F)(T *)> struct Del {
    void operator()(T *p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Del<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Del<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Del<BIO, BIO_free_all>>;

[[noreturn]] void fail(const char *what) { raise(WPH_ERROR, "tls", std::string("self-signed certificate: ") + what); }

std::string bio_string(BIO *b) {
    char *data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
}
}  // namespace

KeyPair self_signed_certificate(const std::string &domain, const std::vector<std::string> &aliases) {
    PKey key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot generate a key");
    Cert cert(X509_new());
    if (!cert) fail("X509_new");
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 397L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME *name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(domain.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    std::string san = "DNS:" + domain;
    for (auto &a : aliases) san += ",DNS:" + a;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                              {NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, "critical,digitalSignature"},
                              {NID_ext_key_usage, "serverAuth"}}) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (!ext) fail("cannot build an extension");
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign");
    Bio kb(BIO_new(BIO_s_mem())), cb(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) fail("cannot write the key");
    if (!PEM_write_bio_X509(cb.get(), cert.get())) fail("cannot write the certificate");
    return {bio_string(kb.get()), bio_string(cb.get())};
}

}  // namespace wph::site
