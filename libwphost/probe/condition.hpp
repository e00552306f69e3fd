// The condition language of probes (Gatus's): "[STATUS] == 200",
// "[RESPONSE_TIME] < 700", "[BODY] == pat(*<title>*)", "[BODY].status == UP",
// "[CERTIFICATE_EXPIRATION] > 72h", "[CONNECTED] == true",
// "[DNS_RCODE] == NOERROR", "[IP] == 127.0.0.1", len(), has(), any().
// Pure logic: parsing and evaluating against a ProbeResult.
#pragma once

#include <string>

#include "probe/types.hpp"

namespace wph::probe {

// Throws wph::Error WPH_EINVALID naming what is wrong with the text.
void validate_condition(const std::string &text);

// Evaluate one condition (already validated) against a result.
ConditionResult evaluate_condition(const std::string &text, const ProbeResult &r);

// The conditions `wordpress: true` adds: no PHP fatal error text, not the
// "Error establishing a database connection" page, not in maintenance mode.
std::vector<std::string> wordpress_conditions();

}  // namespace wph::probe
