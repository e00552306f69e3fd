// DigitalOcean API client (https://docs.digitalocean.com/reference/api/):
// droplets, droplet actions, actions and SSH keys.
//
// Results are DigitalOcean's own response documents, unchanged:
// {"droplet": {...}}, {"droplets": [...]}, {"action": {...}}, {"ssh_key":
// {...}}, {"ssh_keys": [...]}; deletions answer {}. Lists follow
// links.pages.next to the end (per_page=50), only on the endpoint's own
// origin (the token is never sent elsewhere).
//
// Waiting for an action polls /actions/{id}, every poll.initial at first and
// growing to poll.max: "completed" ends the wait, "errored" is WPH_EPROVIDER,
// the deadline WPH_ETIMEOUT.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.hpp"
#include "provider/common.hpp"

namespace wph {
class CancelToken;
}

namespace wph::provider::digitalocean {

inline constexpr std::string_view default_endpoint = "https://api.digitalocean.com/v2";

using provider::PollOptions;
using provider::poll_delay;

struct DropletCreate {
    std::string name;
    std::string region;  // "fra1"
    std::string size;    // "s-1vcpu-1gb"
    boost::json::value image;  // slug (string) or id (integer)
    std::vector<boost::json::value> ssh_keys;  // ids (integers) or fingerprints (strings)
    std::string user_data;
    std::vector<std::string> tags;
};

// ---- pure helpers (no I/O) ----

// The POST /droplets body; WPH_EINVALID naming the field for bad input.
boost::json::object droplet_create_body(const DropletCreate &spec);
// "message (id)" from {"id": "not_found", "message": "..."}; empty when absent.
std::string error_message(const boost::json::value *body);
// true for "completed", false for "in-progress"; "errored" (or anything else)
// throws WPH_EPROVIDER naming the action.
bool action_finished(const boost::json::object &action);
// The id of the "create" action in links.actions of a POST /droplets answer.
std::optional<long long> create_action_id(const boost::json::value &answer);
// links.pages.next of a list answer, when there is one.
std::optional<std::string> next_page(const boost::json::value &page);
// true when `url` is on the origin (scheme://host[:port]) of `base`.
bool same_origin(std::string_view url, std::string_view base);

class Client {
public:
    explicit Client(http::ClientOptions options, PollOptions poll = {});
    // config: "token" | "token_file" | "token_env", "endpoint", "ca_bundle",
    // "timeouts", "retry", "poll": {"initial_ms", "max_ms"}.
    static Client from_json(const boost::json::object &config);

    const http::Client &http() const noexcept { return http_; }

    // {"droplet", "action"?}; when `wait`, the create action has completed
    // (or, without one, the droplet is "active") and "droplet" is read again.
    boost::json::object create_droplet(const DropletCreate &spec, bool wait, std::chrono::seconds timeout,
                                       const CancelToken *cancel = nullptr) const;
    boost::json::object list_droplets(std::string_view tag_name = {}, const CancelToken *cancel = nullptr) const;
    boost::json::object get_droplet(long long id, const CancelToken *cancel = nullptr) const;
    void delete_droplet(long long id, const CancelToken *cancel = nullptr) const;
    // type: power_on, power_off, shutdown, reboot, power_cycle. {"action"}.
    boost::json::object droplet_action(long long id, std::string_view type, bool wait, std::chrono::seconds timeout,
                                       const CancelToken *cancel = nullptr) const;

    boost::json::object get_action(long long id, const CancelToken *cancel = nullptr) const;
    boost::json::object wait_action(long long id, std::chrono::seconds timeout,
                                    const CancelToken *cancel = nullptr) const;

    boost::json::object create_ssh_key(std::string_view name, std::string_view public_key,
                                       const CancelToken *cancel = nullptr) const;
    boost::json::object list_ssh_keys(const CancelToken *cancel = nullptr) const;
    // id_or_fingerprint: a decimal id or a key fingerprint.
    boost::json::object get_ssh_key(std::string_view id_or_fingerprint, const CancelToken *cancel = nullptr) const;
    void delete_ssh_key(std::string_view id_or_fingerprint, const CancelToken *cancel = nullptr) const;

private:
    boost::json::object list_all(std::string path, std::vector<std::pair<std::string, std::string>> query,
                                 std::string_view key, const CancelToken *cancel) const;
    boost::json::object wait_until_done(boost::json::object action, std::chrono::steady_clock::time_point deadline,
                                        const CancelToken *cancel) const;
    boost::json::object wait_created(boost::json::object out, long long id, std::optional<long long> action_id,
                                     std::chrono::steady_clock::time_point deadline, const CancelToken *cancel) const;

    http::Client http_;
    PollOptions poll_;
};

}  // namespace wph::provider::digitalocean
