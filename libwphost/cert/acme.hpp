// ACME (RFC 8555) messages: parsing the CA's JSON objects and problem
// documents, turning problems into wph::Error, checking names. No I/O:
// unit-tested and fuzzed (fuzz/fuzz_acme.cpp).
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"

namespace wph::cert::acme {

struct Directory {
    std::string new_nonce, new_account, new_order, revoke_cert, key_change;
    std::string terms_of_service;
    bool eab_required = false;
};

struct Problem {
    std::string type;    // "urn:ietf:params:acme:error:badNonce", ...
    std::string detail;
    long status = 0;
    std::string identifier;  // subproblems: the identifier's value
    std::vector<Problem> subproblems;

    // The part after "urn:ietf:params:acme:error:" (or the whole type).
    std::string short_type() const;
};

struct Challenge {
    std::string type, url, token, status;
    std::optional<Problem> error;
};

struct Authorization {
    std::string identifier;  // dns value, without "*." even for wildcards
    bool wildcard = false;
    std::string status;      // pending, valid, invalid, deactivated, expired, revoked
    std::vector<Challenge> challenges;

    std::string name() const { return wildcard ? "*." + identifier : identifier; }
    const Challenge *find(std::string_view type) const;
};

struct Order {
    std::string status;  // pending, ready, processing, valid, invalid
    std::vector<std::string> identifiers;
    std::vector<std::string> authorizations;
    std::string finalize, certificate;
    std::optional<Problem> error;
};

// Each throws WPH_EPROVIDER "acme: <what> from the CA is malformed: ..."
// on a missing or mistyped member.
Directory parse_directory(const boost::json::value &v);
Authorization parse_authorization(const boost::json::value &v);
Order parse_order(const boost::json::value &v);
Problem parse_problem_value(const boost::json::value &v);
// A problem document from a response body (nullopt when it is not one).
std::optional<Problem> parse_problem(std::string_view body);

// The error for a problem document the CA answered with (`what`: the
// request, e.g. "newOrder"); retry_after_s when the CA sent Retry-After.
//   rateLimited -> WPH_EPROVIDER "acme: rate limited by the CA: <detail> (retry after N s)"
//   unauthorized -> WPH_EAUTH, accountDoesNotExist -> WPH_ENOTFOUND,
//   malformed/rejectedIdentifier/badCSR/... -> WPH_EINVALID, else WPH_EPROVIDER.
Error problem_error(const Problem &p, long http_status, std::string_view what, std::optional<long long> retry_after_s);
// The error for a challenge the CA could not verify, naming the domain,
// the challenge type and the CA's detail.
Error challenge_error(const std::string &name, const std::string &challenge_type, const std::optional<Problem> &p,
                      long http_status);

// A DNS name we may ask a certificate for: lower-case LDH labels, at most
// 253 characters, at least two labels, optionally "*." in front. Returns
// the reason it is not, or "" when it is.
std::string name_problem(std::string_view name);

}  // namespace wph::cert::acme
