// Runs probes concurrently: HTTP(S) and TCP through libcurl's multi
// interface, DNS through c-ares, all on one event-loop thread, with a
// deadline per phase, capped bodies and redirects, and a bound on
// connections per host.
//
// Every probe measures a fresh connection (no reuse, no TLS resumption).
// Timeouts: `total` bounds the whole probe; `dns`, `connect`, `tls` and
// `first_byte` each bound one phase, counted from the end of the phase
// before it (for DNS probes, `dns` or else `total` bounds the query).
// A probe waiting for a free slot (max_in_flight, max_per_host) has not
// started: neither its timeouts nor started_at_ms count that wait.
#pragma once

#include <functional>
#include <memory>

#include "probe/types.hpp"

namespace wph {
class CancelToken;
}

namespace wph::probe {

struct RunnerOptions {
    std::size_t max_in_flight = 1000;     // probes running at once
    long max_per_host = 64;               // connections per host (CURLMOPT_MAX_HOST_CONNECTIONS)
};

class Runner {
public:
    explicit Runner(RunnerOptions opts = {});
    ~Runner();  // stops the loop thread; pending probes end with error "runner stopped"
    Runner(const Runner &) = delete;
    Runner &operator=(const Runner &) = delete;

    // Queue a probe; `done` is called on the loop thread with the result
    // (conditions not yet evaluated: ProbeResult::conditions is empty and
    // success means "connected and got an answer"). Thread-safe.
    void submit(const ProbeDef &def, std::function<void(ProbeResult)> done);

    // Run a list now and return the results in the list's order.
    // Cancellable; the conditions are not evaluated here either.
    // `each`, when given, sees every result on the loop thread as it comes
    // (to evaluate it and drop its body while the others run).
    std::vector<ProbeResult> run_all(const std::vector<ProbeDef> &defs, const CancelToken *cancel = nullptr,
                                     const std::function<void(std::size_t, ProbeResult &)> &each = {});

    // Probes submitted and not yet done (queued or running).
    std::size_t in_flight() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wph::probe
