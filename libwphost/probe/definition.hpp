// Probe definitions from JSON (Gatus's endpoint model), validated, and the
// alerting section that goes with them.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "probe/types.hpp"

namespace wph::probe {

struct Webhook {
    std::string url;            // http(s)://
    std::string secret_file;    // HMAC-SHA256 key (first line); empty: unsigned
    int retries = 3;
    std::int64_t timeout_ms = 10000;
};

struct Definitions {
    std::vector<ProbeDef> probes;
    std::vector<Webhook> webhooks;
};

// Either an array of endpoints or {"endpoints": [...], "alerting": {"webhooks": [...]}}.
// WPH_EINVALID naming the endpoint (by index and name), the field and why.
Definitions parse_definitions(const std::string &json);

// The normalised definitions (every default filled in), as JSON.
boost::json::object definitions_to_json(const Definitions &d);
boost::json::object probe_to_json(const ProbeDef &p);

}  // namespace wph::probe
