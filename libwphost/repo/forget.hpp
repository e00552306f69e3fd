// restic's forget policy (0.14's ApplyPolicy): pure logic over snapshot
// lists, so it is tested without a repository.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "repo/format.hpp"

namespace wph::repo {

// "1y5m7d2h" as restic spells durations for --keep-within.
struct Duration {
    int years = 0, months = 0, days = 0, hours = 0;
    bool zero() const { return !years && !months && !days && !hours; }
};
std::optional<Duration> parse_duration(const std::string &s);

struct ForgetPolicy {
    unsigned last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0;
    Duration within;
    Duration within_hourly, within_daily, within_weekly, within_monthly, within_yearly;
    std::vector<std::string> keep_tags;  // each "a,b" needs all of its tags
    bool empty() const;
};

struct ForgetFilter {
    std::string host;
    std::vector<std::string> tags;   // any entry; "a,b" needs both
    std::vector<std::string> paths;  // all must be in the snapshot's paths
    std::string group_by = "host,paths";  // any of host, paths, tags; "" for one group
};

struct ForgetDecision {
    std::string id;
    Snapshot snapshot;
    bool keep = false;
    std::vector<std::string> reasons;  // "last snapshot", "daily snapshot", ...
};

struct ForgetGroup {
    std::string host;                 // set when grouped by host
    std::vector<std::string> paths;   // when grouped by paths
    std::vector<std::string> tags;    // when grouped by tags
    std::vector<ForgetDecision> snapshots;  // newest first
};

// Throws wph::Error (WPH_EINVALID) for a bad group_by.
std::vector<ForgetGroup> plan_forget(const std::vector<std::pair<std::string, Snapshot>> &snapshots,
                                     const ForgetPolicy &policy, const ForgetFilter &filter, const Time &now);

bool snapshot_has_tags(const Snapshot &s, const std::string &tag_list);

}  // namespace wph::repo
