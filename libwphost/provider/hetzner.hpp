// Hetzner Cloud API client (https://docs.hetzner.cloud): servers, actions,
// SSH keys and firewalls.
//
// Results are Hetzner's own response documents, unchanged: {"server": {...}},
// {"servers": [...]}, {"action": {...}}, {"ssh_key": {...}}, {"firewall":
// {...}, "actions": [...]} ... (ids, names, status, public_net, labels, ...).
// Lists follow meta.pagination.next_page to the end (per_page=50).
//
// Waiting for an action polls /actions/{id}, every poll.initial at first and
// growing to poll.max; status "error" is WPH_EPROVIDER with the action's error
// code and message, the deadline WPH_ETIMEOUT.
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

namespace wph::provider::hetzner {

inline constexpr std::string_view default_endpoint = "https://api.hetzner.cloud/v1";

using provider::PollOptions;
using provider::poll_delay;

struct ServerCreate {
    std::string name;
    std::string server_type;  // "cx22"
    std::string image;        // "debian-12" or an id as a string
    std::string location;     // optional
    std::string datacenter;   // optional
    std::vector<boost::json::value> ssh_keys;  // names (strings) or ids (integers)
    std::string user_data;    // cloud-init, optional
    boost::json::object labels;
    std::vector<long long> firewalls;  // firewall ids
    std::optional<bool> start_after_create;
};

// ---- pure helpers (no I/O) ----

// The POST /servers body; WPH_EINVALID naming the field for bad input.
boost::json::object server_create_body(const ServerCreate &spec);
// "message (code)" from {"error": {"code", "message"}}; empty when absent.
std::string error_message(const boost::json::value *body);
// true for "success", false for "running"; "error" throws WPH_EPROVIDER with
// the action's error code and message; anything else WPH_EPROVIDER too.
bool action_finished(const boost::json::object &action);
// meta.pagination.next_page of a list answer, when there is one.
std::optional<long long> next_page(const boost::json::value &page);
// Labels must be an object of strings (Hetzner's label rules are checked by
// Hetzner); WPH_EINVALID naming `field` otherwise.
void check_labels(const boost::json::value &labels, std::string_view field);

class Client {
public:
    explicit Client(http::ClientOptions options, PollOptions poll = {});
    // config: "token" | "token_file" | "token_env", "endpoint", "ca_bundle",
    // "timeouts", "retry", "poll": {"initial_ms", "max_ms"}.
    static Client from_json(const boost::json::object &config);

    const http::Client &http() const noexcept { return http_; }

    // {"server", "action", "next_actions", "root_password"}; when `wait`, the
    // create action and the next actions have finished and "server" is read
    // again (status "running", addresses assigned).
    boost::json::object create_server(const ServerCreate &spec, bool wait, std::chrono::seconds timeout,
                                      const CancelToken *cancel = nullptr) const;
    // {"servers": [...]}, every page.
    boost::json::object list_servers(std::string_view label_selector = {}, std::string_view name = {},
                                     const CancelToken *cancel = nullptr) const;
    boost::json::object get_server(long long id, const CancelToken *cancel = nullptr) const;
    // {"action": {...}} (finished when `wait`).
    boost::json::object delete_server(long long id, bool wait, std::chrono::seconds timeout,
                                      const CancelToken *cancel = nullptr) const;
    // action: poweron, poweroff, reboot, reset, shutdown. {"action": {...}}.
    boost::json::object power(long long id, std::string_view action, bool wait, std::chrono::seconds timeout,
                              const CancelToken *cancel = nullptr) const;

    boost::json::object get_action(long long id, const CancelToken *cancel = nullptr) const;
    // {"action": {...}} once it succeeded.
    boost::json::object wait_action(long long id, std::chrono::seconds timeout,
                                    const CancelToken *cancel = nullptr) const;

    boost::json::object create_ssh_key(std::string_view name, std::string_view public_key,
                                       const boost::json::object &labels, const CancelToken *cancel = nullptr) const;
    boost::json::object list_ssh_keys(const CancelToken *cancel = nullptr) const;
    boost::json::object get_ssh_key(long long id, const CancelToken *cancel = nullptr) const;
    void delete_ssh_key(long long id, const CancelToken *cancel = nullptr) const;

    // rules: Hetzner's rule objects; apply_to: Hetzner's resource objects.
    boost::json::object create_firewall(std::string_view name, const boost::json::array &rules,
                                        const boost::json::object &labels, const boost::json::array &apply_to,
                                        const CancelToken *cancel = nullptr) const;
    boost::json::object list_firewalls(const CancelToken *cancel = nullptr) const;
    boost::json::object get_firewall(long long id, const CancelToken *cancel = nullptr) const;
    void delete_firewall(long long id, const CancelToken *cancel = nullptr) const;
    // {"actions": [...]}
    boost::json::object set_firewall_rules(long long id, const boost::json::array &rules,
                                           const CancelToken *cancel = nullptr) const;
    boost::json::object apply_firewall(long long id, const std::vector<long long> &server_ids,
                                       const CancelToken *cancel = nullptr) const;

private:
    boost::json::object list_all(std::string path, std::vector<std::pair<std::string, std::string>> query,
                                 std::string_view key, const CancelToken *cancel) const;
    boost::json::object wait_until_done(boost::json::object action, std::chrono::steady_clock::time_point deadline,
                                        const CancelToken *cancel) const;

    http::Client http_;
    PollOptions poll_;
};

}  // namespace wph::provider::hetzner
