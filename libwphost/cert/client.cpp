#include "cert/client.hpp"

#include <boost/json.hpp>
#include <ctime>
#include <thread>

#include "engine/job.hpp"
#include "http/client.hpp"
#include "util/json.hpp"

namespace wph::cert::acme {

namespace {

constexpr int kNonceRetries = 3;

std::optional<long long> retry_after(const http::Response &r) {
    auto h = r.header("retry-after");
    if (!h) return std::nullopt;
    auto d = http::parse_retry_after(*h, static_cast<std::int64_t>(std::time(nullptr)));
    if (!d) return std::nullopt;
    return static_cast<long long>((d->count() + 999) / 1000);
}

}  // namespace

boost::json::value Reply::json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) raise(WPH_EPROVIDER, "acme", "acme: the CA answered with malformed JSON (" + ec.message() + ")");
    return v;
}

Client::Client(ClientConfig cfg, Key account_key) : cfg_(std::move(cfg)), key_(std::move(account_key)) {
    http::ClientOptions o;
    o.provider = "acme";
    o.ca_bundle = cfg_.ca_bundle;
    o.resolve = cfg_.resolve;
    // Every ACME answer is handled here (problem documents, badNonce); the
    // HTTP layer retries only what never reached the CA.
    o.retry.max_attempts = 3;
    o.retry.base_delay = std::chrono::milliseconds(500);
    o.retry.max_delay = std::chrono::milliseconds(5000);
    o.timeouts.response = std::chrono::milliseconds(60000);
    o.timeouts.body = std::chrono::milliseconds(60000);
    http_ = std::make_unique<http::Client>(std::move(o));
}

Client::~Client() = default;

void Client::pause(std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
        if (cfg_.cancel) cfg_.cancel->check("waiting for the ACME CA");
        auto left = until - std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
    }
    if (cfg_.cancel) cfg_.cancel->check("waiting for the ACME CA");
}

Reply Client::send_raw(const std::string &method, const std::string &url, const std::string &body,
                       const std::string &content_type, const std::string &accept, const std::string &what) {
    if (cfg_.cancel) cfg_.cancel->check(what);
    http::Request rq;
    rq.method = method;
    rq.url = url;
    rq.body = body;
    if (!content_type.empty()) rq.headers.emplace_back("Content-Type", content_type);
    rq.headers.emplace_back("Accept", accept.empty() ? "application/json" : accept);
    rq.cancel = cfg_.cancel;
    for (long s = 400; s < 600; ++s) rq.accept_statuses.push_back(s);
    auto r = http_->send(std::move(rq));
    if (auto n = r.header("replay-nonce"); n && !n->empty()) nonce_ = *n;
    Reply rep;
    rep.status = r.status;
    rep.body = std::move(r.body);
    if (auto l = r.header("location")) rep.location = *l;
    rep.retry_after_s = retry_after(r);
    last_retry_after_ = rep.retry_after_s;
    return rep;
}

const Directory &Client::directory() {
    if (!dir_) {
        auto r = send_raw("GET", cfg_.directory_url, "", "", "", "fetching the ACME directory");
        if (r.status >= 400) {
            if (auto p = parse_problem(r.body)) throw problem_error(*p, r.status, "the directory request", r.retry_after_s);
            raise(WPH_EPROVIDER, "acme",
                  "acme: the directory " + cfg_.directory_url + " answered HTTP " + std::to_string(r.status));
        }
        try {
            dir_ = parse_directory(r.json());
        } catch (const Error &e) {
            throw Error(e.code(), "acme", e.message() + " (is " + cfg_.directory_url + " an ACME directory URL?)");
        }
    }
    return *dir_;
}

std::string Client::thumbprint() const { return jwk_thumbprint(jwk(key_)); }

std::string Client::nonce() {
    if (!nonce_.empty()) return std::exchange(nonce_, std::string());
    auto &d = directory();
    auto r = send_raw("HEAD", d.new_nonce, "", "", "", "fetching a nonce");
    if (nonce_.empty())
        raise(WPH_EPROVIDER, "acme", "acme: newNonce answered HTTP " + std::to_string(r.status) + " without a Replay-Nonce");
    return std::exchange(nonce_, std::string());
}

Reply Client::post(const std::string &url, const std::optional<boost::json::value> &payload, const std::string &what,
                   bool use_jwk, const std::string &accept) {
    std::string body = payload ? util::to_json(*payload) : std::string();
    for (int attempt = 0;; ++attempt) {
        boost::json::object prot{{"alg", jws_alg(key_)}, {"nonce", nonce()}, {"url", url}};
        if (use_jwk || kid_.empty()) prot["jwk"] = jwk(key_);
        else prot["kid"] = kid_;
        auto jws = jws_sign(key_, prot, body);
        auto r = send_raw("POST", url, util::to_json(jws), "application/jose+json", accept, what);
        if (r.status < 400) return r;
        auto p = parse_problem(r.body);
        if (p && p->short_type() == "badNonce" && attempt < kNonceRetries) continue;  // nonce_ holds the fresh one
        if (p) throw problem_error(*p, r.status, what, r.retry_after_s);
        std::string snippet = r.body.substr(0, 200);
        raise(r.status == 401 || r.status == 403 ? WPH_EAUTH : WPH_EPROVIDER, "acme",
              "acme: " + what + " failed with HTTP " + std::to_string(r.status) + (snippet.empty() ? "" : ": " + snippet));
    }
}

std::string Client::account(const std::string &contact, bool only_existing, const std::string &eab_kid,
                            const std::string &eab_hmac_b64url) {
    auto &d = directory();
    boost::json::object req{{"termsOfServiceAgreed", true}};
    if (!contact.empty()) req["contact"] = boost::json::array{boost::json::string(contact)};
    if (only_existing) req["onlyReturnExisting"] = true;
    if (!only_existing && !eab_kid.empty()) req["externalAccountBinding"] = eab_jws(eab_kid, eab_hmac_b64url, jwk(key_), d.new_account);
    if (!only_existing && d.eab_required && eab_kid.empty())
        raise(WPH_EINVALID, "acme",
              "acme: the CA " + cfg_.directory_url + " requires External Account Binding: set \"eab\": {\"kid\", \"hmac_key\"}");
    auto r = post(d.new_account, boost::json::value(req), only_existing ? "account lookup" : "newAccount", true);
    if (r.location.empty()) raise(WPH_EPROVIDER, "acme", "acme: newAccount answered without a Location header");
    kid_ = r.location;
    return kid_;
}

Order Client::new_order(const std::vector<std::string> &names, std::string &order_url) {
    boost::json::array ids;
    for (auto &n : names) ids.push_back(boost::json::object{{"type", "dns"}, {"value", n}});
    auto r = post(directory().new_order, boost::json::value(boost::json::object{{"identifiers", ids}}), "newOrder");
    if (r.location.empty()) raise(WPH_EPROVIDER, "acme", "acme: newOrder answered without a Location header");
    order_url = r.location;
    return parse_order(r.json());
}

Order Client::get_order(const std::string &url) { return parse_order(post(url, std::nullopt, "fetching the order").json()); }

Authorization Client::get_authorization(const std::string &url) {
    return parse_authorization(post(url, std::nullopt, "fetching an authorization").json());
}

void Client::respond(const std::string &challenge_url) {
    post(challenge_url, boost::json::value(boost::json::object{}), "answering a challenge");
}

Order Client::finalize(const std::string &finalize_url, const std::string &csr) {
    auto r = post(finalize_url, boost::json::value(boost::json::object{{"csr", b64url(csr)}}), "finalize");
    return parse_order(r.json());
}

std::string Client::download(const std::string &cert_url) {
    auto r = post(cert_url, std::nullopt, "downloading the certificate", false, "application/pem-certificate-chain");
    return r.body;
}

void Client::revoke(const std::string &cert_der, int reason, bool with_jwk) {
    auto &d = directory();
    if (d.revoke_cert.empty()) raise(WPH_EPROVIDER, "acme", "acme: the CA's directory has no revokeCert");
    boost::json::object req{{"certificate", b64url(cert_der)}};
    if (reason >= 0) req["reason"] = reason;
    post(d.revoke_cert, boost::json::value(req), "revokeCert", with_jwk);
}

}  // namespace wph::cert::acme
