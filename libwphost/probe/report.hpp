// What becomes of a probe's result: its conditions evaluated, JSON,
// Prometheus text with blackbox_exporter's metric names, and the alert
// state machine (Gatus's failure and success thresholds). Pure logic.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "probe/types.hpp"

namespace wph::probe {

// Evaluate the definition's conditions into r.conditions; r.success becomes
// "the probe got an answer and every condition held".
void evaluate(const ProbeDef &def, ProbeResult &r);

boost::json::object result_to_json(const ProbeResult &r);

// Prometheus text exposition (format 0.0.4) of the latest results, one
// series per probe labelled probe, group and target.
std::string prometheus_text(const std::vector<ProbeResult> &latest);

struct AlertEvent {
    std::string type;            // "triggered" or "resolved"
    std::string probe, group, url;
    int consecutive = 0;         // failures (triggered) or successes (resolved) in a row
    std::string reason;          // why the last probe failed (triggered)
    std::int64_t time_ms = 0;
    boost::json::object to_json() const;
};

// One incident per run of failures: triggered after failure_threshold
// failures in a row, resolved after success_threshold successes in a row.
class AlertState {
public:
    std::optional<AlertEvent> observe(const ProbeDef &def, const ProbeResult &r);
    bool open(const std::string &probe) const;

private:
    struct Counters {
        int failures = 0, successes = 0;
        bool open = false;
    };
    std::map<std::string, Counters> by_probe_;
};

// The first failing reason of a result: its error, or its first failed condition.
std::string failure_reason(const ProbeResult &r);

}  // namespace wph::probe
