#include "repo/forget.hpp"

#include <algorithm>
#include <ctime>
#include <climits>
#include <map>

#include "engine/error.hpp"
#include "util/strings.hpp"

namespace wph::repo {

std::optional<Duration> parse_duration(const std::string &s) {
    Duration d;
    if (s.empty()) return std::nullopt;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start || i == s.size() || i - start > 6) return std::nullopt;
        int n = std::stoi(s.substr(start, i - start));
        switch (s[i]) {
        case 'y': d.years += n; break;
        case 'm': d.months += n; break;
        case 'd': d.days += n; break;
        case 'h': d.hours += n; break;
        default: return std::nullopt;
        }
        ++i;
    }
    return d;
}

bool ForgetPolicy::empty() const {
    return !last && !hourly && !daily && !weekly && !monthly && !yearly && within.zero() && within_hourly.zero() &&
           within_daily.zero() && within_weekly.zero() && within_monthly.zero() && within_yearly.zero() && keep_tags.empty();
}

bool snapshot_has_tags(const Snapshot &s, const std::string &tag_list) {
    for (auto t : util::split(tag_list, ',')) {
        auto tag = std::string(util::trim(t));
        if (!tag.empty() && std::find(s.tags.begin(), s.tags.end(), tag) == s.tags.end()) return false;
    }
    return true;
}

namespace {

// The snapshot's wall clock in the zone it was written in: restic buckets by it.
std::tm wall(const Time &t) {
    std::time_t w = static_cast<std::time_t>(t.sec + t.offset);
    std::tm tm{};
    gmtime_r(&w, &tm);
    return tm;
}

long bucket(const Time &t, char unit) {
    auto tm = wall(t);
    long y = tm.tm_year + 1900;
    switch (unit) {
    case 'H': return ((y * 100 + tm.tm_mon + 1) * 100 + tm.tm_mday) * 100 + tm.tm_hour;
    case 'd': return (y * 100 + tm.tm_mon + 1) * 100 + tm.tm_mday;
    case 'w': {
        char buf[16];
        std::strftime(buf, sizeof buf, "%G%V", &tm);  // ISO year and week
        return std::stol(buf);
    }
    case 'm': return y * 100 + tm.tm_mon + 1;
    case 'y': return y;
    default: return 0;
    }
}

// `t` minus a calendar duration (as Go's AddDate, then hours).
Time minus(const Time &t, const Duration &d) {
    auto tm = wall(t);
    tm.tm_year -= d.years;
    tm.tm_mon -= d.months;
    tm.tm_mday -= d.days;
    tm.tm_hour -= d.hours;
    return Time{static_cast<std::int64_t>(timegm(&tm)) - t.offset, t.nsec, t.offset};
}

std::string duration_text(const Duration &d) {
    std::string s;
    if (d.years) s += std::to_string(d.years) + "y";
    if (d.months) s += std::to_string(d.months) + "m";
    if (d.days) s += std::to_string(d.days) + "d";
    if (d.hours) s += std::to_string(d.hours) + "h";
    return s;
}

std::string join(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    std::string s;
    for (auto &x : v) s += x + "\n";
    return s;
}

}  // namespace

std::vector<ForgetGroup> plan_forget(const std::vector<std::pair<std::string, Snapshot>> &snapshots,
                                     const ForgetPolicy &policy, const ForgetFilter &filter, const Time &now) {
    bool by_host = false, by_paths = false, by_tags = false;
    for (auto part : util::split(filter.group_by, ',')) {
        auto p = util::trim(part);
        if (p == "host") by_host = true;
        else if (p == "paths") by_paths = true;
        else if (p == "tags") by_tags = true;
        else if (!p.empty()) raise(WPH_EINVALID, "repo", "group_by: unknown field \"" + std::string(p) + "\" (host, paths, tags)");
    }
    std::map<std::string, ForgetGroup> groups;
    for (auto &[id, s] : snapshots) {
        if (!filter.host.empty() && s.hostname != filter.host) continue;
        if (!filter.tags.empty() &&
            std::none_of(filter.tags.begin(), filter.tags.end(), [&](const std::string &t) { return snapshot_has_tags(s, t); }))
            continue;
        if (!std::all_of(filter.paths.begin(), filter.paths.end(), [&](const std::string &p) {
                return std::find(s.paths.begin(), s.paths.end(), p) != s.paths.end();
            }))
            continue;
        std::string key = (by_host ? s.hostname : "") + "\x1f" + (by_paths ? join(s.paths) : "") + "\x1f" + (by_tags ? join(s.tags) : "");
        auto &g = groups[key];
        if (by_host) g.host = s.hostname;
        if (by_paths) {
            g.paths = s.paths;
            std::sort(g.paths.begin(), g.paths.end());
        }
        if (by_tags) {
            g.tags = s.tags;
            std::sort(g.tags.begin(), g.tags.end());
        }
        g.snapshots.push_back(ForgetDecision{id, s, false, {}});
    }

    std::vector<ForgetGroup> out;
    for (auto &[key, g] : groups) {
        auto &list = g.snapshots;
        std::stable_sort(list.begin(), list.end(), [](const ForgetDecision &a, const ForgetDecision &b) {
            return b.snapshot.time < a.snapshot.time;
        });
        if (policy.empty()) {
            for (auto &d : list) {
                d.keep = true;
                d.reasons.push_back("no policy");
            }
            out.push_back(std::move(g));
            continue;
        }
        // The newest snapshot that is not in the future anchors the "within" rules.
        std::optional<Time> latest;
        for (auto &d : list)
            if (!(now < d.snapshot.time)) {
                latest = d.snapshot.time;
                break;
            }
        struct Rule {
            const char *reason;
            char unit;  // 'l' last, 'H' hourly, 'd', 'w', 'm', 'y'
            long count;  // -1: unlimited (within rules)
            std::optional<Duration> within;
            long previous = LONG_MIN;
        };
        std::vector<Rule> rules = {
            {"last snapshot", 'l', static_cast<long>(policy.last), std::nullopt},
            {"hourly snapshot", 'H', static_cast<long>(policy.hourly), std::nullopt},
            {"daily snapshot", 'd', static_cast<long>(policy.daily), std::nullopt},
            {"weekly snapshot", 'w', static_cast<long>(policy.weekly), std::nullopt},
            {"monthly snapshot", 'm', static_cast<long>(policy.monthly), std::nullopt},
            {"yearly snapshot", 'y', static_cast<long>(policy.yearly), std::nullopt},
            {"hourly within", 'H', policy.within_hourly.zero() ? 0 : -1, policy.within_hourly},
            {"daily within", 'd', policy.within_daily.zero() ? 0 : -1, policy.within_daily},
            {"weekly within", 'w', policy.within_weekly.zero() ? 0 : -1, policy.within_weekly},
            {"monthly within", 'm', policy.within_monthly.zero() ? 0 : -1, policy.within_monthly},
            {"yearly within", 'y', policy.within_yearly.zero() ? 0 : -1, policy.within_yearly},
        };
        std::uint64_t serial = 0;
        for (auto &d : list) {
            for (auto &t : policy.keep_tags)
                if (snapshot_has_tags(d.snapshot, t)) d.reasons.push_back("has tags " + t);
            if (!policy.within.zero() && latest && minus(*latest, policy.within) < d.snapshot.time)
                d.reasons.push_back("within " + duration_text(policy.within));
            ++serial;
            for (auto &r : rules) {
                if (r.count == 0) continue;
                if (r.within && (!latest || !(minus(*latest, *r.within) < d.snapshot.time))) continue;
                long b = r.unit == 'l' ? static_cast<long>(serial) : bucket(d.snapshot.time, r.unit);
                if (b != r.previous) {
                    r.previous = b;
                    d.reasons.push_back(r.reason);
                    if (r.count > 0) --r.count;
                }
            }
            d.keep = !d.reasons.empty();
        }
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace wph::repo
