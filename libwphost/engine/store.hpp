// The state store: one SQLite file per state directory, opened with SQLiteCpp.
// Schema changes are numbered migrations, each applied in one transaction;
// PRAGMA user_version records how far a store has come, and a store written
// by a newer schema is refused (WPH_EVERSION) rather than misread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/error.hpp"

namespace SQLite { class Database; }

namespace wph {

struct JobRecord {
    std::int64_t id = 0;
    std::string kind, state, created_at, started_at, finished_at;
    int error_code = 0;
    std::string error_message;
};

struct SiteRecord {
    std::int64_t id = 0;
    std::string domain, state, spec, names;
    std::int64_t parent_id = 0, job_id = 0;
    std::string created_at, updated_at;
};

struct StepRecord {
    int seq = 0;
    std::string step, undo, state;
};

struct ProbeRow {
    std::string name, group;
    std::int64_t time_ms = 0;
    bool success = false;
    double duration_ms = 0;
    int status = 0;
    std::optional<std::int64_t> cert_expiry;
    std::string error;
    std::string detail = "{}";  // JSON: timings, conditions
};

struct IncidentRow {
    std::string name;
    std::int64_t opened_ms = 0, resolved_ms = 0;  // 0: still open
    std::string reason;
};

struct EventRow {
    std::int64_t id = 0, time_ms = 0;
    std::string level, kind, subject, message, data;
};

class Store {
public:
    // The schema version this build writes.
    static int schema_version() noexcept;
    // 'WPHX': marks an SQLite file as a libwphost state store.
    static constexpr std::int32_t kApplicationId = 0x57504858;

    // Open (creating if needed) and migrate. Throws wph::Error.
    explicit Store(const std::string &path);
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    const std::string &path() const noexcept { return path_; }
    int user_version();

    std::int64_t job_insert(const std::string &kind);
    void job_started(std::int64_t id);
    void job_finished(std::int64_t id, const std::string &state, const ErrorInfo *err, const std::string *result);
    std::vector<JobRecord> jobs_recent(unsigned limit);
    // Sites (on the local server). site_insert: WPH_EEXISTS for a known domain.
    std::int64_t local_server();
    std::int64_t site_insert(const std::string &domain, const std::string &state, const std::string &spec,
                             const std::string &names, std::int64_t parent_id, std::int64_t job_id);
    void site_update(std::int64_t id, const std::string &state, const std::string *spec, std::int64_t job_id);
    void site_delete(std::int64_t id);
    std::optional<SiteRecord> site_get(const std::string &domain);
    std::optional<SiteRecord> site_by_id(std::int64_t id);
    std::vector<SiteRecord> sites();
    bool slug_taken(const std::string &slug);
    // The journal of a site operation: each step with its undo, recorded
    // before the step runs.
    void step_begin(std::int64_t site_id, int seq, const std::string &step, const std::string &undo);
    void step_done(std::int64_t site_id, int seq);
    std::vector<StepRecord> steps(std::int64_t site_id);
    void steps_clear(std::int64_t site_id);
    // A job still pending or running in a live process.
    bool job_alive(std::int64_t job_id);

    // Probe results (one transaction per batch), newest first; retention.
    void probe_results_insert(const std::vector<ProbeRow> &rows);
    std::vector<ProbeRow> probe_results(const std::string &name, std::int64_t since_ms, unsigned limit);
    int probe_prune(std::int64_t before_ms);
    void probe_incident(const std::string &name, bool opened, std::int64_t time_ms, const std::string &reason);
    std::vector<IncidentRow> probe_incidents(const std::string &name, unsigned limit);

    // The event log, oldest first after `after_id`; kind_prefix "" for all.
    std::int64_t event_insert(std::int64_t time_ms, const std::string &level, const std::string &kind,
                              const std::string &subject, const std::string &message, const std::string &data);
    std::vector<EventRow> events(const std::string &kind_prefix, std::int64_t after_id, unsigned limit);

    // For an engine module that keeps its own tables (cert/): runs f on the
    // database under the store's lock; SQLite errors become wph::Error.
    void with_db(const char *what, const std::function<void(SQLite::Database &)> &f);

    // Jobs left "pending" or "running" by a process that died are marked
    // "interrupted" when a store is opened and no other engine holds it.
    int mark_interrupted_jobs();

private:
    template <class F> auto locked(const char *what, F &&f);
    void migrate();

    std::string path_;
    std::unique_ptr<SQLite::Database> db_;
    std::mutex mu_;
};

}  // namespace wph
