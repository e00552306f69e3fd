#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "engine/job.hpp"
#include "host/process.hpp"

using namespace std::chrono_literals;
using wph::ProcessOptions;
using wph::run_process;

namespace {
int code_of(const std::vector<std::string> &argv, const ProcessOptions &o) {
    try {
        run_process(argv, o);
    } catch (const wph::Error &e) {
        return e.code();
    }
    return 0;
}
}  // namespace

TEST_CASE("arguments reach the program unchanged, no shell involved", "[host][process]") {
    auto r = run_process({"/usr/bin/printf", "%s|", "a b", "$(id)", "; rm -rf /", "'q'"});
    CHECK(r.ok());
    CHECK(r.out == "a b|$(id)|; rm -rf /|'q'|");
}

TEST_CASE("exit status, stderr and stdin", "[host][process]") {
    auto r = run_process({"/bin/sh", "-c", "echo oops >&2; exit 7"});
    CHECK(r.exit_code == 7);
    CHECK(r.err == "oops\n");
    ProcessOptions o;
    o.stdin_data = "secret\n";
    auto c = run_process({"/bin/cat"}, o);
    CHECK(c.out == "secret\n");
    // A child that exits without reading its stdin does not hurt us (no SIGPIPE).
    o.stdin_data.assign(1 << 20, 'x');
    CHECK(run_process({"/bin/true"}, o).ok());
}

TEST_CASE("the locale is C", "[host][process]") {
    auto r = run_process({"/bin/sh", "-c", "echo $LC_ALL"});
    CHECK(r.out == "C\n");
}

TEST_CASE("output is capped", "[host][process]") {
    ProcessOptions o;
    o.max_output = 1000;
    auto r = run_process({"/bin/sh", "-c", "head -c 100000 /dev/zero"}, o);
    CHECK(r.ok());
    CHECK(r.out.size() == 1000);
    CHECK(r.truncated);
}

TEST_CASE("missing programs, timeouts and cancellation", "[host][process]") {
    CHECK(code_of({"/nonexistent/prog"}, {}) == WPH_ENOTFOUND);
    CHECK(code_of({}, {}) == WPH_EINVALID);

    ProcessOptions o;
    o.timeout = 200ms;
    auto t0 = std::chrono::steady_clock::now();
    CHECK(code_of({"/bin/sleep", "30"}, o) == WPH_ETIMEOUT);
    // A program that closes its output but keeps running is still bounded.
    CHECK(code_of({"/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, o) == WPH_ETIMEOUT);
    CHECK(std::chrono::steady_clock::now() - t0 < 20s);

    wph::CancelToken tok;
    ProcessOptions c;
    c.cancel = &tok;
    c.timeout = 60s;
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        tok.cancel();
    });
    CHECK(code_of({"/bin/sleep", "30"}, c) == WPH_ECANCELLED);
    canceller.join();
    // Already cancelled: nothing is started.
    CHECK(code_of({"/bin/true"}, c) == WPH_ECANCELLED);
}
