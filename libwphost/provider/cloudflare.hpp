// Cloudflare DNS API client (https://developers.cloudflare.com/api/): zones
// and DNS records, as the ACME DNS-01 challenge and site setup need them.
//
// Cloudflare wraps every answer in {"success", "errors", "messages",
// "result", "result_info"}; results here are that envelope's "result",
// unchanged, under the same key: {"result": {...}} for one zone or record,
// {"result": [...]} for a list (every page, via result_info.total_pages).
// An answer with "success": false is an error even with status 200
// (WPH_EPROVIDER, with Cloudflare's codes and messages).
//
// Record types, names, contents and TTLs are checked here before anything is
// sent (WPH_EINVALID naming the field).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.hpp"

namespace wph {
class CancelToken;
}

namespace wph::provider::cloudflare {

inline constexpr std::string_view default_endpoint = "https://api.cloudflare.com/client/v4";

// The fields of a record to create (all but ttl/proxied/comment required) or
// to change (only those set are sent).
struct RecordFields {
    std::optional<std::string> type;
    std::optional<std::string> name;
    std::optional<std::string> content;
    std::optional<long long> ttl;  // 1 = automatic, else 30..86400
    std::optional<bool> proxied;
    std::optional<std::string> comment;
};

// ---- pure helpers (no I/O) ----

// Upper-cased known record type, or WPH_EINVALID.
std::string check_type(std::string_view type);
// A record name: "@", or a DNS name in ASCII/Punycode (labels of letters,
// digits, '-' and '_', 1..63 bytes, 253 in all, '*' only as the whole first
// label); a trailing dot is dropped. WPH_EINVALID naming `field` otherwise.
std::string check_name(std::string_view name, std::string_view field = "name");
// Content that suits the type (A: IPv4, AAAA: IPv6, CNAME/NS/PTR/MX: a host
// name, TXT: at most 2048 characters, others: not empty).
void check_content(std::string_view type, std::string_view content);
void check_ttl(long long ttl);
// The POST (create = true, type/name/content required, ttl defaults to 1) or
// PATCH body.
boost::json::object record_body(const RecordFields &f, bool create);
// Cloudflare ids are 32 lower-case hex digits.
void check_id(std::string_view id, std::string_view field);
// The names a zone of `name` could have, longest first:
// "_acme-challenge.www.example.com" -> "_acme-challenge.www.example.com",
// "www.example.com", "example.com" (a single label is never a zone).
std::vector<std::string> zone_candidates(std::string_view name);
// "81057 Record already exists." from the envelope's "errors" (several are
// joined with "; ", an error_chain follows in parentheses); empty when none.
std::string error_message(const boost::json::value *body);
// Throws WPH_EPROVIDER "cloudflare: <what>: <status>: <errors>" when the
// envelope says "success": false or is not an envelope.
void check_envelope(const boost::json::value &doc, std::string_view what, long status);

class Client {
public:
    explicit Client(http::ClientOptions options);
    // config: "token" | "token_file" | "token_env" (an API token with Zone:Read
    // and DNS:Edit), "endpoint", "ca_bundle", "timeouts", "retry".
    static Client from_json(const boost::json::object &config);

    const http::Client &http() const noexcept { return http_; }

    boost::json::object list_zones(std::string_view name = {}, const CancelToken *cancel = nullptr) const;
    // The zone whose name is the longest suffix of `name`; WPH_ENOTFOUND
    // naming `name` when none of the account's zones holds it.
    boost::json::object find_zone(std::string_view name, const CancelToken *cancel = nullptr) const;
    // The id of the zone named exactly `zone`; WPH_ENOTFOUND otherwise.
    std::string zone_id(std::string_view zone, const CancelToken *cancel = nullptr) const;

    boost::json::object list_records(std::string_view zone_id, std::string_view type = {}, std::string_view name = {},
                                     std::string_view content = {}, const CancelToken *cancel = nullptr) const;
    boost::json::object create_record(std::string_view zone_id, const RecordFields &f,
                                      const CancelToken *cancel = nullptr) const;
    boost::json::object update_record(std::string_view zone_id, std::string_view id, const RecordFields &f,
                                      const CancelToken *cancel = nullptr) const;
    boost::json::object delete_record(std::string_view zone_id, std::string_view id,
                                      const CancelToken *cancel = nullptr) const;

private:
    boost::json::object list_all(const std::string &path, std::vector<std::pair<std::string, std::string>> query,
                                 int per_page, const CancelToken *cancel) const;
    boost::json::object checked(const http::Response &r) const;

    http::Client http_;
};

}  // namespace wph::provider::cloudflare
