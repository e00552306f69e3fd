// The engine: state directory and store, host profile, worker threads, jobs.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/job.hpp"
#include "engine/store.hpp"
#include "host/profile.hpp"

namespace boost::asio { class thread_pool; }

namespace wph {

struct EngineConfig {
    std::string state_dir;     // empty: the XDG default
    std::string host_profile;  // JSON; empty: Debian defaults
    unsigned threads = 0;      // 0: number of cores, at least 2
};

// $XDG_DATA_HOME/wphost, else $HOME/.local/share/wphost (HOME from the
// environment, else the password database).
std::string default_state_dir();

class Engine {
public:
    explicit Engine(const EngineConfig &cfg);
    // Cancels running jobs and waits for them.
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    const std::string &state_dir() const noexcept { return state_dir_; }
    Store &store() noexcept { return *store_; }
    const HostProfile &profile() const noexcept { return profile_; }
    unsigned threads() const noexcept { return threads_; }

    using Work = std::function<std::string(Job &)>;
    // Record the job in the store and queue it. `kind` must be a static string.
    std::shared_ptr<Job> start_job(const char *kind, wph_progress_cb cb, void *payload, Work work);

    std::string info_json() const;
    std::string jobs_json(unsigned limit);

private:
    std::string state_dir_;
    HostProfile profile_;
    std::unique_ptr<Store> store_;
    unsigned threads_;
    std::unique_ptr<boost::asio::thread_pool> pool_;
    std::mutex jobs_mu_;
    std::vector<std::weak_ptr<Job>> jobs_;
};

}  // namespace wph
