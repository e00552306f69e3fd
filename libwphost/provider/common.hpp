// What the provider clients share: reading their JSON answers, a
// bearer-token HTTP client from a provider configuration, and waiting for
// asynchronous actions (poll intervals that grow, sleeps that wake for
// cancellation).
#pragma once

#include <boost/json/fwd.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "http/client.hpp"

namespace wph {
class CancelToken;
}

namespace wph::provider {

// The object `v` holds, or nullptr.
const boost::json::object *as_obj(const boost::json::value *v);
// The string field `k` of `o`, or "" when it is missing or not a string.
std::string str_field(const boost::json::object &o, std::string_view k);
// The object under `key` of an answer, or WPH_EPROVIDER "<kind>: <what>: the
// answer has no "<key>" object".
boost::json::object member(const boost::json::value &doc, std::string_view key, std::string_view what,
                           std::string_view kind);

struct PollOptions {
    std::chrono::milliseconds initial{1000};
    std::chrono::milliseconds max{5000};
};

// The wait before poll n+1 (n >= 0 polls done): initial * 1.5^n, at most max.
std::chrono::milliseconds poll_delay(const PollOptions &poll, int polls_done);
// config's "poll": {"initial_ms", "max_ms"} (positive integers), or the
// defaults; WPH_EINVALID naming the field.
PollOptions poll_options_from_json(const boost::json::object &config, std::string_view kind);
// Sleeps `d`, waking every 50 ms to check the cancel token (`what` names the
// wait in the cancellation error).
void sleep_for(std::chrono::milliseconds d, const CancelToken *cancel, std::string_view what);
// The common HTTP options plus "Authorization: Bearer <token>" from
// "token" / "token_file" / "token_env" (kept among the secrets), and the
// provider's error extractor.
http::ClientOptions bearer_client_options(const boost::json::object &config, std::string_view kind,
                                          std::string_view default_endpoint,
                                          std::function<std::string(const boost::json::value *)> error_message);

}  // namespace wph::provider
