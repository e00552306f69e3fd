#include <catch2/catch.hpp>

#include "engine/error.hpp"
#include "repo/forget.hpp"

using namespace wph::repo;

namespace {

// A snapshot at a UTC wall-clock time "YYYY-MM-DDTHH:MM:SSZ".
std::pair<std::string, Snapshot> snap(const std::string &id, const std::string &time, const std::string &host = "web1",
                                      std::vector<std::string> tags = {}, std::vector<std::string> paths = {"/srv"}) {
    Snapshot s;
    s.time = *parse_time(time);
    s.hostname = host;
    s.tags = std::move(tags);
    s.paths = std::move(paths);
    return {id, s};
}

std::vector<std::string> kept(const std::vector<ForgetGroup> &groups) {
    std::vector<std::string> out;
    for (auto &g : groups)
        for (auto &d : g.snapshots)
            if (d.keep) out.push_back(d.id);
    std::sort(out.begin(), out.end());
    return out;
}

const Time kNow = *parse_time("2026-06-30T12:00:00Z");

// One snapshot a day at noon through June 2026, then a few more in one day.
std::vector<std::pair<std::string, Snapshot>> june() {
    std::vector<std::pair<std::string, Snapshot>> v;
    for (int d = 1; d <= 30; ++d) {
        char t[32], id[8];
        std::snprintf(t, sizeof t, "2026-06-%02dT12:00:00Z", d);
        std::snprintf(id, sizeof id, "d%02d", d);
        v.push_back(snap(id, t));
    }
    v.push_back(snap("d30a", "2026-06-30T08:00:00Z"));
    v.push_back(snap("d30b", "2026-06-30T09:30:00Z"));
    return v;
}

}  // namespace

TEST_CASE("durations as restic spells them", "[repo][forget]") {
    auto d = parse_duration("1y5m7d2h");
    REQUIRE(d);
    CHECK(d->years == 1);
    CHECK(d->months == 5);
    CHECK(d->days == 7);
    CHECK(d->hours == 2);
    CHECK(parse_duration("3d")->days == 3);
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("3"));
    CHECK_FALSE(parse_duration("d3"));
    CHECK_FALSE(parse_duration("3w"));
}

TEST_CASE("an empty policy keeps everything", "[repo][forget]") {
    auto plan = plan_forget(june(), ForgetPolicy{}, ForgetFilter{}, kNow);
    CHECK(kept(plan).size() == 32);
}

TEST_CASE("keep-last keeps the newest N", "[repo][forget]") {
    ForgetPolicy p;
    p.last = 3;
    // The three newest are all of June 30.
    CHECK(kept(plan_forget(june(), p, ForgetFilter{}, kNow)) == std::vector<std::string>{"d30", "d30a", "d30b"});
}

TEST_CASE("keep-daily keeps the newest snapshot of each day", "[repo][forget]") {
    ForgetPolicy p;
    p.daily = 3;
    // June 30 has three snapshots: only the newest of that day counts.
    CHECK(kept(plan_forget(june(), p, ForgetFilter{}, kNow)) == std::vector<std::string>{"d28", "d29", "d30"});
}

TEST_CASE("keep-weekly uses ISO weeks", "[repo][forget]") {
    ForgetPolicy p;
    p.weekly = 2;
    // ISO week 27 of 2026 starts Monday June 29; week 26 ends Sunday June 28.
    CHECK(kept(plan_forget(june(), p, ForgetFilter{}, kNow)) == std::vector<std::string>{"d28", "d30"});
}

TEST_CASE("rules combine; a snapshot kept by any rule stays", "[repo][forget]") {
    ForgetPolicy p;
    p.last = 1;
    p.monthly = 2;
    p.yearly = 1;
    auto v = june();
    v.push_back(snap("may", "2026-05-15T00:00:00Z"));
    v.push_back(snap("old", "2025-12-31T23:00:00Z"));
    auto plan = plan_forget(v, p, ForgetFilter{}, kNow);
    CHECK(kept(plan) == std::vector<std::string>{"d30", "may"});
    for (auto &d : plan[0].snapshots)
        if (d.id == "d30") CHECK(d.reasons.size() == 3);  // last, monthly, yearly
}

TEST_CASE("keep-within counts back from the newest snapshot, not from now", "[repo][forget]") {
    ForgetPolicy p;
    p.within = *parse_duration("2d");
    auto plan = plan_forget(june(), p, ForgetFilter{}, *parse_time("2027-01-01T00:00:00Z"));
    CHECK(kept(plan) == std::vector<std::string>{"d29", "d30", "d30a", "d30b"});
}

TEST_CASE("keep-tag keeps tagged snapshots without using a count", "[repo][forget]") {
    std::vector<std::pair<std::string, Snapshot>> v{snap("a", "2026-06-01T00:00:00Z", "web1", {"monthly", "db"}),
                                                    snap("b", "2026-06-02T00:00:00Z", "web1", {"db"}),
                                                    snap("c", "2026-06-03T00:00:00Z", "web1", {})};
    ForgetPolicy p;
    p.keep_tags = {"monthly,db"};
    p.last = 1;
    CHECK(kept(plan_forget(v, p, ForgetFilter{}, kNow)) == std::vector<std::string>{"a", "c"});
}

TEST_CASE("groups by host and paths by default; filters apply first", "[repo][forget]") {
    std::vector<std::pair<std::string, Snapshot>> v{
        snap("w1", "2026-06-01T00:00:00Z", "web1"), snap("w2", "2026-06-02T00:00:00Z", "web1"),
        snap("x1", "2026-06-01T00:00:00Z", "web2"), snap("x2", "2026-06-02T00:00:00Z", "web2"),
        snap("p1", "2026-06-03T00:00:00Z", "web1", {}, {"/var/www"})};
    ForgetPolicy p;
    p.last = 1;
    auto plan = plan_forget(v, p, ForgetFilter{}, kNow);
    CHECK(plan.size() == 3);
    CHECK(kept(plan) == std::vector<std::string>{"p1", "w2", "x2"});

    ForgetFilter only;
    only.host = "web2";
    CHECK(kept(plan_forget(v, p, only, kNow)) == std::vector<std::string>{"x2"});

    ForgetFilter one_group;
    one_group.group_by = "";
    CHECK(kept(plan_forget(v, p, one_group, kNow)) == std::vector<std::string>{"p1"});

    ForgetFilter bad;
    bad.group_by = "host,colour";
    CHECK_THROWS_AS(plan_forget(v, p, bad, kNow), wph::Error);
}

TEST_CASE("buckets follow the zone each snapshot was written in", "[repo][forget]") {
    // 00:30 on June 2 in UTC+02:00 is 22:30Z on June 1: the same UTC day as
    // the newer snapshot, but another wall-clock day for its writer.
    std::vector<std::pair<std::string, Snapshot>> v{snap("late", "2026-06-02T00:30:00+02:00"),
                                                    snap("next", "2026-06-01T23:00:00Z")};
    ForgetPolicy p;
    p.daily = 5;
    CHECK(kept(plan_forget(v, p, ForgetFilter{}, kNow)) == std::vector<std::string>{"late", "next"});
}
