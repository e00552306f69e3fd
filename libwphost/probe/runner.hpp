// Runs probes concurrently: HTTP(S) and TCP through libcurl's multi
// interface, DNS through c-ares, all on one event-loop thread, with a
// deadline per phase, capped bodies and redirects, and a bound on
// connections per host.
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
    std::vector<ProbeResult> run_all(const std::vector<ProbeDef> &defs, const CancelToken *cancel = nullptr);

    std::size_t in_flight() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wph::probe
