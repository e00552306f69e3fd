// Run a program from an argv array (never a shell string), with a deadline,
// bounded output and cancellation. The child gets its own process group so a
// timeout or cancellation kills everything it started.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace wph {

class CancelToken;

struct ProcessOptions {
    std::chrono::milliseconds timeout{10000};
    const CancelToken *cancel = nullptr;
    std::string stdin_data;                   // written to the child's stdin (secrets go here, not argv)
    std::size_t max_output = 4u << 20;        // per stream; the rest is read and dropped
    std::vector<std::string> env;             // extra NAME=value entries; LC_ALL=C is always set
    bool clean_env = false;                   // start from PATH only instead of the caller's environment
    std::string cwd;                          // working directory of the child (empty: the caller's)
};

struct ProcessResult {
    int exit_code = -1;    // -1 if killed by a signal
    int term_signal = 0;
    std::string out, err;
    bool truncated = false;
    bool ok() const noexcept { return exit_code == 0; }
};

// Throws wph::Error: WPH_EINVALID (empty argv), WPH_ENOTFOUND (program
// missing or not executable), WPH_ETIMEOUT, WPH_ECANCELLED / WPH_EUSER,
// WPH_EIO (spawn failure).
ProcessResult run_process(const std::vector<std::string> &argv, const ProcessOptions &opts = {});

}  // namespace wph
