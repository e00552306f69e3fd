// DNS-01 propagation check: TXT queries at given resolvers (c-ares).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace wph {
class CancelToken;
}

namespace wph::cert {

// The TXT records of `name` at one resolver ("host:port" or "host"; empty:
// the system's), each record's strings joined. NXDOMAIN / no data: empty.
// Transport failures: WPH_EIO naming the resolver.
std::vector<std::string> query_txt(const std::string &name, const std::string &resolver, std::chrono::milliseconds timeout);

// Poll until every resolver answers `value` among the TXT records of
// `name`; WPH_ETIMEOUT "dns-01: TXT <name> not visible at <resolver> after
// N s" when the deadline passes.
void wait_for_txt(const std::string &name, const std::string &value, const std::vector<std::string> &resolvers,
                  std::chrono::seconds timeout, const CancelToken *cancel);

}  // namespace wph::cert
