#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "../support.hpp"
#include "engine/engine.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
using wph::test::TempDir;

wph::EngineConfig config(const TempDir &d) {
    wph::EngineConfig c;
    c.state_dir = (d.path / "state").string();
    c.threads = 2;
    return c;
}
}  // namespace

TEST_CASE("a job's result, progress and record", "[engine][jobs]") {
    TempDir d;
    wph::Engine e(config(d));
    auto job = e.start_job("test.steps", nullptr, nullptr, [](wph::Job &j) {
        for (unsigned i = 0; i < 4; ++i) j.report("step", i, 4);
        return std::string("{\"n\":4}");
    });
    REQUIRE(job->wait(10s));
    CHECK(job->state() == WPH_JOB_SUCCEEDED);
    CHECK(job->result() == "{\"n\":4}");
    CHECK(job->progress().percent == 100.0);
    // The row is written before the job is seen to end.
    auto rec = e.store().jobs_recent(1);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].state == "succeeded");
    CHECK(rec[0].id == job->id());
}

TEST_CASE("errors thrown by the work become the job's error", "[engine][jobs]") {
    TempDir d;
    wph::Engine e(config(d));
    auto job = e.start_job("test.fail", nullptr, nullptr,
                           [](wph::Job &) -> std::string { throw wph::Error(WPH_ENOTFOUND, "host", "no such thing"); });
    REQUIRE(job->wait(10s));
    CHECK(job->state() == WPH_JOB_FAILED);
    CHECK(job->error().code == WPH_ENOTFOUND);
    CHECK(job->error().message == "no such thing");
    auto crash = e.start_job("test.crash", nullptr, nullptr, [](wph::Job &) -> std::string { throw std::logic_error("bug"); });
    REQUIRE(crash->wait(10s));
    CHECK(crash->error().code == WPH_ERROR);
    CHECK_THAT(crash->error().message, Catch::Contains("bug"));
}

TEST_CASE("cancellation from another thread reaches the next cancellation point", "[engine][jobs]") {
    TempDir d;
    wph::Engine e(config(d));
    std::atomic<bool> started{false};
    auto job = e.start_job("test.loop", nullptr, nullptr, [&](wph::Job &j) -> std::string {
        started = true;
        for (unsigned i = 0;; ++i) {
            j.report("loop", i, 0);
            std::this_thread::sleep_for(5ms);
        }
    });
    while (!started) std::this_thread::sleep_for(1ms);
    CHECK_FALSE(job->wait(20ms));
    std::thread t([&] { CHECK(job->request_cancel()); });
    t.join();
    REQUIRE(job->wait(10s));
    CHECK(job->state() == WPH_JOB_CANCELLED);
    CHECK(job->error().code == WPH_ECANCELLED);
    CHECK_FALSE(job->request_cancel());
}

TEST_CASE("many jobs run on a small pool", "[engine][jobs]") {
    TempDir d;
    wph::Engine e(config(d));
    std::vector<std::shared_ptr<wph::Job>> jobs;
    for (int i = 0; i < 50; ++i)
        jobs.push_back(e.start_job("test.n", nullptr, nullptr, [i](wph::Job &) { return std::to_string(i); }));
    for (int i = 0; i < 50; ++i) {
        REQUIRE(jobs[i]->wait(10s));
        CHECK(jobs[i]->result() == std::to_string(i));
    }
}

TEST_CASE("the default state directory follows XDG", "[engine]") {
    const char *old_xdg = std::getenv("XDG_DATA_HOME");
    const char *old_home = std::getenv("HOME");
    std::string saved = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
    ::setenv("XDG_DATA_HOME", "/xdg/data", 1);
    CHECK(wph::default_state_dir() == "/xdg/data/wphost");
    ::unsetenv("XDG_DATA_HOME");
    ::setenv("HOME", "/home/someone", 1);
    CHECK(wph::default_state_dir() == "/home/someone/.local/share/wphost");
    if (old_xdg) ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
    if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
}
