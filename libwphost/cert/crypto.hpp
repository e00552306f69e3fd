// The cryptography of ACME (no I/O): base64url, keys, JWK and its RFC 7638
// thumbprint, JWS (ES256 / RS256 / HS256 for External Account Binding),
// certificate signing requests and reading issued certificates.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace wph::cert {

std::string b64url(std::string_view data);
// WPH_EINVALID naming `what` for characters outside the alphabet.
std::string b64url_decode(std::string_view text, std::string_view what);
std::string sha256(std::string_view data);  // raw 32 bytes
std::string hex(std::string_view data);     // lower-case

class Key {
public:
    Key() = default;
    explicit Key(EVP_PKEY *owned);
    EVP_PKEY *get() const noexcept { return p_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(p_); }
    bool is_ec() const;

private:
    std::shared_ptr<EVP_PKEY> p_;
};

// "ec256" (EC P-256, the default) or "rsa2048"; WPH_EINVALID otherwise.
Key generate_key(std::string_view type);
// PKCS#8 PEM of the private key; load accepts what it writes (and
// traditional EC/RSA PEM). WPH_EINVALID naming `what` on failure.
std::string key_to_pem(const Key &key);
Key key_from_pem(std::string_view pem, std::string_view what);

// The public JWK: {"crv","kty","x","y"} (EC P-256) or {"e","kty","n"} (RSA).
boost::json::object jwk(const Key &key);
// RFC 7638: base64url(SHA-256(required members in lexicographic order, no
// white space)). Works on any EC/RSA/oct JWK object; WPH_EINVALID when a
// required member is missing.
std::string jwk_thumbprint(const boost::json::object &jwk);
// "ES256" or "RS256".
std::string jws_alg(const Key &key);

// Flattened JWS JSON serialization {"protected","payload","signature"}.
// `payload` is the exact bytes to sign ("" for POST-as-GET). ES256
// signatures are r||s, 32 bytes each (RFC 7518 §3.4), not DER.
boost::json::object jws_sign(const Key &key, const boost::json::object &protected_header, std::string_view payload);
// Verify a flattened JWS made by jws_sign with this key's public part (for
// tests and self-checks).
bool jws_verify(const Key &key, const boost::json::object &jws);

// RFC 8555 §7.3.4: the externalAccountBinding member: an HS256 JWS over the
// account's JWK, protected {"alg":"HS256","kid":eab_kid,"url":new_account_url},
// keyed with the base64url-decoded HMAC key.
boost::json::object eab_jws(const std::string &eab_kid, const std::string &hmac_key_b64url,
                            const boost::json::object &account_jwk, const std::string &new_account_url);

// key authorization = token "." thumbprint; dns-01 TXT value =
// base64url(SHA-256(key authorization)).
std::string key_authorization(std::string_view token, std::string_view thumbprint);
std::string dns01_value(std::string_view key_authorization);

// A CSR (DER) for these names: CN = the first, every name a SAN dNSName.
std::string csr_der(const Key &key, const std::vector<std::string> &names);

struct CertInfo {
    std::string serial;  // lower-case hex, no leading zero bytes
    std::int64_t not_before_ms = 0, not_after_ms = 0;
    std::vector<std::string> names;  // SAN dNSNames, in order
    std::string issuer;              // one-line DN
    std::string der;                 // the certificate, DER
};
// The first certificate of a PEM bundle. WPH_EINVALID naming `what` when
// there is none or it does not parse.
CertInfo parse_cert_pem(std::string_view pem, std::string_view what);
// Leaf PEM and the rest (the chain) of a PEM bundle.
std::pair<std::string, std::string> split_chain(std::string_view pem);
int count_certs(std::string_view pem);
// Does the first certificate carry this key's public half?
bool cert_matches_key(std::string_view pem, const Key &key);

}  // namespace wph::cert
