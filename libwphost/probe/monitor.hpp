// Probes over time: one-shot runs, the monitor (a scheduler running each
// probe at its interval with jitter, results to the state store, alerts to
// callbacks and webhooks, Prometheus text of the latest results), and
// uptime and latency statistics from the store.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "probe/definition.hpp"

namespace wph {
class Engine;
class Job;
}  // namespace wph

namespace wph::probe {

// Validate definitions; the normalised document as JSON.
std::string validate_json(const std::string &defs_json);

// Run every probe once now, evaluate, record in the store; JSON array of results.
std::string run_once(Engine &e, Job &job, const Definitions &defs);

// Per probe over the last window: runs, successes, uptime, latency
// percentiles (p50, p90, p99, max), the last result and open incidents.
std::string stats_json(Engine &e, const std::string &name, std::int64_t window_seconds);
// The newest results (all probes, or one), newest first.
std::string history_json(Engine &e, const std::string &name, unsigned limit);

struct MonitorOptions {
    std::size_t max_in_flight = 1000;
    long max_per_host = 64;
    int retention_days = 7;
    // Called on an alert thread with an event's JSON; non-zero return is ignored.
    std::function<void(const std::string &event_json)> on_event;
    // Called first for "triggered" events (e.g. restart a PHP-FPM pool).
    std::function<void(const std::string &event_json)> remediate;
};

class Monitor {
public:
    Monitor(Engine &e, Definitions defs, MonitorOptions opts);
    ~Monitor();  // stops scheduling, lets running probes end, flushes results, delivers pending alerts
    Monitor(const Monitor &) = delete;
    Monitor &operator=(const Monitor &) = delete;

    std::string metrics() const;      // Prometheus text of the latest results
    std::string status_json() const;  // latest result per probe
    std::uint64_t completed() const;  // probes finished since start

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// HMAC-SHA256 of body with key, lower-case hex.
std::string hmac_sha256_hex(const std::string &key, const std::string &body);

}  // namespace wph::probe
