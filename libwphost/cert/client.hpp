// The ACME client: signed requests over wph::http::Client with nonce
// handling (Replay-Nonce from every answer, badNonce retried with the fresh
// nonce), problem documents turned into errors, and the RFC 8555 resources.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cert/acme.hpp"
#include "cert/crypto.hpp"

namespace wph {
class CancelToken;
}
namespace wph::http {
class Client;
struct Response;
}  // namespace wph::http

namespace wph::cert::acme {

struct ClientConfig {
    std::string directory_url;
    std::string ca_bundle;  // PEM of CAs trusted for the CA's HTTPS; empty: the system's
    std::vector<std::string> resolve;  // CURLOPT_RESOLVE entries (tests)
    const CancelToken *cancel = nullptr;
};

struct Reply {
    long status = 0;
    std::string body;
    std::string location;
    std::optional<long long> retry_after_s;
    boost::json::value json() const;    // WPH_EPROVIDER on malformed JSON
};

class Client {
public:
    Client(ClientConfig cfg, Key account_key);
    ~Client();

    const Directory &directory();
    const Key &key() const noexcept { return key_; }
    std::string thumbprint() const;

    // newAccount: with only_existing, WPH_ENOTFOUND when the CA does not
    // know this key. Returns the account URL (the kid), also kept for later
    // requests.
    std::string account(const std::string &contact, bool only_existing, const std::string &eab_kid,
                        const std::string &eab_hmac_b64url);
    void set_kid(std::string kid) { kid_ = std::move(kid); }

    // A signed POST (payload nullopt: POST-as-GET). Problem documents throw
    // (problem_error, `what` naming the request); badNonce is retried.
    Reply post(const std::string &url, const std::optional<boost::json::value> &payload, const std::string &what,
               bool use_jwk = false, const std::string &accept = "");

    Order new_order(const std::vector<std::string> &names, std::string &order_url);
    Order get_order(const std::string &url);
    Authorization get_authorization(const std::string &url);
    void respond(const std::string &challenge_url);
    Order finalize(const std::string &finalize_url, const std::string &csr_der);
    std::string download(const std::string &cert_url);
    // Signed by the account (kid), or with_jwk by this client's key when it
    // is the certificate's own key. reason < 0: none given.
    void revoke(const std::string &cert_der, int reason, bool with_jwk);

    // Retry-After (seconds) of the last answer, if it had one.
    std::optional<long long> last_retry_after() const noexcept { return last_retry_after_; }

    // Sleep up to `d`, waking early when cancelled (then throws).
    void pause(std::chrono::milliseconds d);

private:
    std::string nonce();
    Reply send_raw(const std::string &method, const std::string &url, const std::string &body,
                   const std::string &content_type, const std::string &accept, const std::string &what);

    ClientConfig cfg_;
    Key key_;
    std::unique_ptr<http::Client> http_;
    std::optional<Directory> dir_;
    std::string nonce_;
    std::string kid_;
    std::optional<long long> last_retry_after_;
};

}  // namespace wph::cert::acme
