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

    // The event log: each event is stored (table events) and handed to the
    // event callback, if set, on the emitting thread. level: "info",
    // "warning" or "error"; data_json: a JSON object.
    using EventCallback = std::function<void(const std::string &event_json)>;
    std::int64_t emit_event(const char *level, const std::string &kind, const std::string &subject,
                            const std::string &message, const std::string &data_json = "{}");
    void set_event_callback(EventCallback cb);
    std::string events_json(const std::string &kind_prefix, std::int64_t after_id, unsigned limit);

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
    std::mutex event_mu_;
    EventCallback on_event_;
};

}  // namespace wph
