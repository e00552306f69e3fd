// Minimal blocking socket client with a deadline and cancellation, for the
// short request/answer exchanges of the host check (Redis INFO, memcached
// version). Connection failures are reported, never thrown past the caller's
// check; see the functions' comments.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace wph {

class CancelToken;

struct NetExchange {
    bool connected = false;
    std::string reply;
    std::string error;  // why it failed, empty on success
};

// Connect to host:port (TCP) or to a Unix socket path (when unix_path is not
// empty), send `request`, and read until `complete(reply)` says the answer is
// whole, the peer closes, max_bytes are read, or the deadline passes.
// Throws only for cancellation.
NetExchange net_exchange(const std::string &host, int port, const std::string &unix_path, const std::string &request,
                         const std::function<bool(const std::string &)> &complete, std::chrono::milliseconds timeout,
                         const CancelToken *cancel, std::size_t max_bytes = 1u << 20);

}  // namespace wph
