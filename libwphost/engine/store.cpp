#include "engine/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <cerrno>
#include <signal.h>
#include <unistd.h>

#include "util/fs.hpp"
#include "util/strings.hpp"
#include "wphost/version.h"

namespace wph {

namespace {

// Numbered migrations: entry i brings a store from version i to i + 1.
// Append only; never edit a migration that has shipped.
const char *const kMigrations[] = {
    // 1: servers, sites, jobs.
    R"sql(
CREATE TABLE servers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('local', 'ssh')),
    address     TEXT,
    port        INTEGER,
    ssh_user    TEXT,
    profile     TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE RESTRICT,
    domain      TEXT NOT NULL,
    state       TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (server_id, domain)
);
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    owner_pid     INTEGER,
    error_code    INTEGER NOT NULL DEFAULT 0,
    error_message TEXT,
    result        TEXT
);
CREATE INDEX jobs_by_state ON jobs(state);
)sql",
    // 2: what site provisioning needs: derived names, the job working on a
    // site, staging parents, and the journal of steps with their undo.
    R"sql(
ALTER TABLE sites ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN job_id INTEGER;
ALTER TABLE sites ADD COLUMN parent_id INTEGER REFERENCES sites(id) ON DELETE RESTRICT;
CREATE TABLE site_steps (
    site_id  INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    step     TEXT NOT NULL,
    undo     TEXT NOT NULL,
    state    TEXT NOT NULL CHECK (state IN ('begun', 'done')),
    PRIMARY KEY (site_id, seq)
);
)sql",
    // 3: probe results and incidents.
    R"sql(
CREATE TABLE probe_results (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    grp          TEXT NOT NULL DEFAULT '',
    time_ms      INTEGER NOT NULL,
    success      INTEGER NOT NULL,
    duration_ms  REAL NOT NULL,
    status       INTEGER,
    cert_expiry  INTEGER,
    error        TEXT,
    detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX probe_results_by_name_time ON probe_results(name, time_ms);
CREATE INDEX probe_results_by_time ON probe_results(time_ms);
CREATE TABLE probe_incidents (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    opened_ms    INTEGER NOT NULL,
    resolved_ms  INTEGER,
    reason       TEXT NOT NULL
);
CREATE INDEX probe_incidents_by_name ON probe_incidents(name, opened_ms);
)sql",
    // 4: the engine's event log (certificate renewals, ...), ACME accounts
    // and certificates.
    R"sql(
CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    time_ms  INTEGER NOT NULL,
    level    TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    message  TEXT NOT NULL,
    data     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_kind ON events(kind, id);
CREATE TABLE acme_accounts (
    id          INTEGER PRIMARY KEY,
    directory   TEXT NOT NULL,
    contact     TEXT NOT NULL,
    url         TEXT NOT NULL,
    key_path    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    UNIQUE (directory, contact)
);
CREATE TABLE certificates (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    names            TEXT NOT NULL,
    site             TEXT,
    directory        TEXT NOT NULL,
    challenge        TEXT NOT NULL,
    request          TEXT NOT NULL,
    key_path         TEXT NOT NULL,
    cert_path        TEXT NOT NULL,
    cert_url         TEXT,
    serial           TEXT,
    not_before_ms    INTEGER,
    not_after_ms     INTEGER,
    status           TEXT NOT NULL,
    issued_ms        INTEGER,
    last_attempt_ms  INTEGER,
    last_error       TEXT,
    failures         INTEGER NOT NULL DEFAULT 0
);
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

std::string now() { return util::now_rfc3339(); }

[[noreturn]] void sqlite_fail(const std::string &path, const char *what, const SQLite::Exception &e) {
    int rc = e.getErrorCode() & 0xff;  // primary result code
    std::string detail = e.what();
    switch (rc) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        raise(WPH_EIO, "state", "state store " + path + " is corrupt or not an SQLite database (" + detail +
                                    "); move it aside to start a new store");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        raise(WPH_ELOCKED, "state", std::string(what) + ": state store " + path + " is locked by another process");
    case SQLITE_CANTOPEN:
        raise(WPH_EIO, "state", "cannot open state store " + path + ": " + detail);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        raise(WPH_EIO, "state", std::string(what) + ": state store " + path + " is not writable: " + detail);
    case SQLITE_FULL:
        raise(WPH_EIO, "state", std::string(what) + ": disk full writing state store " + path);
    default:
        raise(WPH_EIO, "state", std::string(what) + ": state store " + path + ": " + detail);
    }
}

}  // namespace

int Store::schema_version() noexcept { return kSchemaVersion; }

template <class F> auto Store::locked(const char *what, F &&f) {
    std::lock_guard<std::mutex> lock(mu_);
    try {
        return f(*db_);
    } catch (const SQLite::Exception &e) {
        sqlite_fail(path_, what, e);
    }
}

Store::Store(const std::string &path) : path_(path) {
    // Refuse a file that is plainly not SQLite before SQLite does something
    // surprising with it (an empty file is fine: SQLite initialises it).
    if (auto head = util::read_head(path, 100)) {
        static const char magic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', 0};
        if (!head->empty() && (head->size() < 100 || head->compare(0, 16, std::string(magic, 16)) != 0))
            raise(WPH_EIO, "state", "state store " + path + " is not an SQLite database (corrupt or a foreign file); "
                                    "move it aside to start a new store");
    }
    try {
        db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
        db_->setBusyTimeout(5000);
        int app_id = db_->execAndGet("PRAGMA application_id").getInt();
        int version = db_->execAndGet("PRAGMA user_version").getInt();
        if (app_id != 0 && app_id != kApplicationId)
            raise(WPH_EIO, "state", "state store " + path + " is an SQLite database of another application (application_id " +
                                        std::to_string(app_id) + ")");
        if (app_id == 0 && version != 0)
            raise(WPH_EIO, "state", "state store " + path + " is an SQLite database of another application");
        db_->exec("PRAGMA journal_mode = WAL");
        db_->exec("PRAGMA synchronous = NORMAL");
        db_->exec("PRAGMA foreign_keys = ON");
        // Make sure the whole file is readable: a damaged page fails here,
        // not in the middle of a job.
        auto check = db_->execAndGet("PRAGMA quick_check(1)").getString();
        if (check != "ok")
            raise(WPH_EIO, "state", "state store " + path + " is corrupt (" + check + "); move it aside to start a new store");
        migrate();
    } catch (const SQLite::Exception &e) {
        sqlite_fail(path, "opening", e);
    }
}

Store::~Store() = default;

int Store::user_version() {
    return locked("reading schema version", [](SQLite::Database &db) { return db.execAndGet("PRAGMA user_version").getInt(); });
}

void Store::migrate() {
    // BEGIN IMMEDIATE: two processes opening a fresh store at once must not
    // both run the same migration.
    for (;;) {
        db_->exec("BEGIN IMMEDIATE");
        int version = db_->execAndGet("PRAGMA user_version").getInt();
        if (version > kSchemaVersion) {
            db_->exec("ROLLBACK");
            raise(WPH_EVERSION, "state",
                  "state store " + path_ + " has schema version " + std::to_string(version) +
                      ", written by a newer libwphost; this libwphost " WPH_VERSION_STRING
                      " knows schema versions up to " + std::to_string(kSchemaVersion) + "; upgrade libwphost to open it");
        }
        if (version == kSchemaVersion) {
            db_->exec("COMMIT");
            return;
        }
        try {
            if (version == 0) db_->exec("PRAGMA application_id = " + std::to_string(kApplicationId));
            db_->exec(kMigrations[version]);
            db_->exec("PRAGMA user_version = " + std::to_string(version + 1));
            db_->exec("COMMIT");
        } catch (...) {
            db_->exec("ROLLBACK");
            throw;
        }
    }
}

std::int64_t Store::job_insert(const std::string &kind) {
    return locked("recording a job", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "INSERT INTO jobs(kind, state, created_at, owner_pid) VALUES (?, 'pending', ?, ?)");
        q.bind(1, kind);
        q.bind(2, now());
        q.bind(3, static_cast<std::int64_t>(::getpid()));
        q.exec();
        return db.getLastInsertRowid();
    });
}

void Store::job_started(std::int64_t id) {
    locked("recording a job start", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ?");
        q.bind(1, now());
        q.bind(2, id);
        q.exec();
    });
}

void Store::job_finished(std::int64_t id, const std::string &state, const ErrorInfo *err, const std::string *result) {
    locked("recording a job end", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "UPDATE jobs SET state = ?, finished_at = ?, error_code = ?, error_message = ?, result = ? "
                                "WHERE id = ?");
        q.bind(1, state);
        q.bind(2, now());
        q.bind(3, err ? err->code : 0);
        if (err) q.bind(4, err->message); else q.bind(4);
        if (result) q.bind(5, *result); else q.bind(5);
        q.bind(6, id);
        q.exec();
    });
}

std::vector<JobRecord> Store::jobs_recent(unsigned limit) {
    return locked("listing jobs", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT id, kind, state, created_at, IFNULL(started_at, ''), IFNULL(finished_at, ''), "
                                "error_code, IFNULL(error_message, '') FROM jobs ORDER BY id DESC LIMIT ?");
        q.bind(1, static_cast<std::int64_t>(limit));
        std::vector<JobRecord> out;
        while (q.executeStep()) {
            JobRecord r;
            r.id = q.getColumn(0).getInt64();
            r.kind = q.getColumn(1).getString();
            r.state = q.getColumn(2).getString();
            r.created_at = q.getColumn(3).getString();
            r.started_at = q.getColumn(4).getString();
            r.finished_at = q.getColumn(5).getString();
            r.error_code = q.getColumn(6).getInt();
            r.error_message = q.getColumn(7).getString();
            out.push_back(std::move(r));
        }
        return out;
    });
}

namespace {
SiteRecord read_site(SQLite::Statement &q) {
    SiteRecord r;
    r.id = q.getColumn(0).getInt64();
    r.domain = q.getColumn(1).getString();
    r.state = q.getColumn(2).getString();
    r.spec = q.getColumn(3).getString();
    r.names = q.getColumn(4).getString();
    r.parent_id = q.getColumn(5).getInt64();
    r.job_id = q.getColumn(6).getInt64();
    r.created_at = q.getColumn(7).getString();
    r.updated_at = q.getColumn(8).getString();
    return r;
}
const char *const kSiteCols = "s.id, s.domain, s.state, s.spec, s.names, IFNULL(s.parent_id, 0), IFNULL(s.job_id, 0), "
                              "s.created_at, s.updated_at";
}  // namespace

std::int64_t Store::local_server() {
    return locked("recording the local server", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT id FROM servers WHERE name = 'local'");
        if (q.executeStep()) return q.getColumn(0).getInt64();
        SQLite::Statement i(db, "INSERT INTO servers(name, kind, created_at, updated_at) VALUES ('local', 'local', ?, ?)");
        i.bind(1, now());
        i.bind(2, now());
        i.exec();
        return db.getLastInsertRowid();
    });
}

std::int64_t Store::site_insert(const std::string &domain, const std::string &state, const std::string &spec,
                                const std::string &names, std::int64_t parent_id, std::int64_t job_id) {
    auto server = local_server();
    return locked("recording a site", [&](SQLite::Database &db) {
        SQLite::Statement c(db, "SELECT COUNT(*) FROM sites WHERE server_id = ? AND domain = ?");
        c.bind(1, server);
        c.bind(2, domain);
        c.executeStep();
        if (c.getColumn(0).getInt() > 0) raise(WPH_EEXISTS, "site", "a site " + domain + " already exists");
        SQLite::Statement q(db, "INSERT INTO sites(server_id, domain, state, spec, names, parent_id, job_id, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        q.bind(1, server);
        q.bind(2, domain);
        q.bind(3, state);
        q.bind(4, spec);
        q.bind(5, names);
        if (parent_id) q.bind(6, parent_id); else q.bind(6);
        if (job_id) q.bind(7, job_id); else q.bind(7);
        q.bind(8, now());
        q.bind(9, now());
        q.exec();
        return db.getLastInsertRowid();
    });
}

void Store::site_update(std::int64_t id, const std::string &state, const std::string *spec, std::int64_t job_id) {
    locked("updating a site", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "UPDATE sites SET state = ?, spec = IFNULL(?, spec), job_id = ?, updated_at = ? WHERE id = ?");
        q.bind(1, state);
        if (spec) q.bind(2, *spec); else q.bind(2);
        if (job_id) q.bind(3, job_id); else q.bind(3);
        q.bind(4, now());
        q.bind(5, id);
        q.exec();
    });
}

void Store::site_delete(std::int64_t id) {
    locked("removing a site", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "DELETE FROM sites WHERE id = ?");
        q.bind(1, id);
        q.exec();
    });
}

std::optional<SiteRecord> Store::site_get(const std::string &domain) {
    return locked("reading a site", [&](SQLite::Database &db) -> std::optional<SiteRecord> {
        SQLite::Statement q(db, std::string("SELECT ") + kSiteCols + " FROM sites s WHERE s.domain = ?");
        q.bind(1, domain);
        if (!q.executeStep()) return std::nullopt;
        return read_site(q);
    });
}

std::optional<SiteRecord> Store::site_by_id(std::int64_t id) {
    return locked("reading a site", [&](SQLite::Database &db) -> std::optional<SiteRecord> {
        SQLite::Statement q(db, std::string("SELECT ") + kSiteCols + " FROM sites s WHERE s.id = ?");
        q.bind(1, id);
        if (!q.executeStep()) return std::nullopt;
        return read_site(q);
    });
}

std::vector<SiteRecord> Store::sites() {
    return locked("listing sites", [&](SQLite::Database &db) {
        SQLite::Statement q(db, std::string("SELECT ") + kSiteCols + " FROM sites s ORDER BY s.domain");
        std::vector<SiteRecord> out;
        while (q.executeStep()) out.push_back(read_site(q));
        return out;
    });
}

bool Store::slug_taken(const std::string &slug) {
    return locked("reading sites", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT COUNT(*) FROM sites WHERE json_extract(names, '$.slug') = ?");
        q.bind(1, slug);
        q.executeStep();
        return q.getColumn(0).getInt() > 0;
    });
}

void Store::step_begin(std::int64_t site_id, int seq, const std::string &step, const std::string &undo) {
    locked("journalling a step", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "INSERT OR REPLACE INTO site_steps(site_id, seq, step, undo, state) VALUES (?, ?, ?, ?, 'begun')");
        q.bind(1, site_id);
        q.bind(2, seq);
        q.bind(3, step);
        q.bind(4, undo);
        q.exec();
    });
}

void Store::step_done(std::int64_t site_id, int seq) {
    locked("journalling a step", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "UPDATE site_steps SET state = 'done' WHERE site_id = ? AND seq = ?");
        q.bind(1, site_id);
        q.bind(2, seq);
        q.exec();
    });
}

std::vector<StepRecord> Store::steps(std::int64_t site_id) {
    return locked("reading a site's steps", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT seq, step, undo, state FROM site_steps WHERE site_id = ? ORDER BY seq");
        q.bind(1, site_id);
        std::vector<StepRecord> out;
        while (q.executeStep())
            out.push_back({q.getColumn(0).getInt(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getString()});
        return out;
    });
}

void Store::steps_clear(std::int64_t site_id) {
    locked("clearing a site's steps", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "DELETE FROM site_steps WHERE site_id = ?");
        q.bind(1, site_id);
        q.exec();
    });
}

bool Store::job_alive(std::int64_t job_id) {
    return locked("reading a job", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT state, IFNULL(owner_pid, 0) FROM jobs WHERE id = ?");
        q.bind(1, job_id);
        if (!q.executeStep()) return false;
        auto state = q.getColumn(0).getString();
        auto pid = q.getColumn(1).getInt64();
        if (state != "pending" && state != "running") return false;
        return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH);
    });
}

void Store::probe_results_insert(const std::vector<ProbeRow> &rows) {
    if (rows.empty()) return;
    locked("recording probe results", [&](SQLite::Database &db) {
        SQLite::Transaction tx(db);
        SQLite::Statement q(db, "INSERT INTO probe_results(name, grp, time_ms, success, duration_ms, status, cert_expiry, error, detail) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        for (auto &r : rows) {
            q.bind(1, r.name);
            q.bind(2, r.group);
            q.bind(3, r.time_ms);
            q.bind(4, r.success ? 1 : 0);
            q.bind(5, r.duration_ms);
            if (r.status) q.bind(6, r.status); else q.bind(6);
            if (r.cert_expiry) q.bind(7, *r.cert_expiry); else q.bind(7);
            if (!r.error.empty()) q.bind(8, r.error); else q.bind(8);
            q.bind(9, r.detail);
            q.exec();
            q.reset();
        }
        tx.commit();
    });
}

std::vector<ProbeRow> Store::probe_results(const std::string &name, std::int64_t since_ms, unsigned limit) {
    return locked("reading probe results", [&](SQLite::Database &db) {
        std::string sql = "SELECT name, grp, time_ms, success, duration_ms, IFNULL(status, 0), cert_expiry, IFNULL(error, ''), detail "
                          "FROM probe_results WHERE time_ms >= ?";
        if (!name.empty()) sql += " AND name = ?";
        sql += " ORDER BY time_ms DESC, id DESC";
        if (limit) sql += " LIMIT " + std::to_string(limit);
        SQLite::Statement q(db, sql);
        q.bind(1, since_ms);
        if (!name.empty()) q.bind(2, name);
        std::vector<ProbeRow> out;
        while (q.executeStep()) {
            ProbeRow r;
            r.name = q.getColumn(0).getString();
            r.group = q.getColumn(1).getString();
            r.time_ms = q.getColumn(2).getInt64();
            r.success = q.getColumn(3).getInt() != 0;
            r.duration_ms = q.getColumn(4).getDouble();
            r.status = q.getColumn(5).getInt();
            if (!q.getColumn(6).isNull()) r.cert_expiry = q.getColumn(6).getInt64();
            r.error = q.getColumn(7).getString();
            r.detail = q.getColumn(8).getString();
            out.push_back(std::move(r));
        }
        return out;
    });
}

int Store::probe_prune(std::int64_t before_ms) {
    return locked("pruning probe results", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "DELETE FROM probe_results WHERE time_ms < ?");
        q.bind(1, before_ms);
        int n = q.exec();
        SQLite::Statement i(db, "DELETE FROM probe_incidents WHERE resolved_ms IS NOT NULL AND resolved_ms < ?");
        i.bind(1, before_ms);
        i.exec();
        return n;
    });
}

void Store::probe_incident(const std::string &name, bool opened, std::int64_t time_ms, const std::string &reason) {
    locked("recording a probe incident", [&](SQLite::Database &db) {
        if (opened) {
            SQLite::Statement q(db, "INSERT INTO probe_incidents(name, opened_ms, reason) VALUES (?, ?, ?)");
            q.bind(1, name);
            q.bind(2, time_ms);
            q.bind(3, reason);
            q.exec();
        } else {
            SQLite::Statement q(db, "UPDATE probe_incidents SET resolved_ms = ? WHERE name = ? AND resolved_ms IS NULL");
            q.bind(1, time_ms);
            q.bind(2, name);
            q.exec();
        }
    });
}

std::vector<IncidentRow> Store::probe_incidents(const std::string &name, unsigned limit) {
    return locked("reading probe incidents", [&](SQLite::Database &db) {
        std::string sql = "SELECT name, opened_ms, IFNULL(resolved_ms, 0), reason FROM probe_incidents";
        if (!name.empty()) sql += " WHERE name = ?";
        sql += " ORDER BY opened_ms DESC LIMIT " + std::to_string(limit ? limit : 100);
        SQLite::Statement q(db, sql);
        if (!name.empty()) q.bind(1, name);
        std::vector<IncidentRow> out;
        while (q.executeStep())
            out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(), q.getColumn(3).getString()});
        return out;
    });
}

int Store::mark_interrupted_jobs() {
    return locked("checking interrupted jobs", [&](SQLite::Database &db) {
        std::vector<std::pair<std::int64_t, std::int64_t>> open;
        {
            SQLite::Statement q(db, "SELECT id, IFNULL(owner_pid, 0) FROM jobs WHERE state IN ('pending', 'running')");
            while (q.executeStep()) open.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
        }
        int n = 0;
        for (auto [id, pid] : open) {
            // A job whose owning process is gone will never finish.
            if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;
            SQLite::Statement u(db, "UPDATE jobs SET state = 'interrupted', finished_at = ?, error_code = ?, "
                                    "error_message = 'the process running this job ended before it finished' WHERE id = ?");
            u.bind(1, now());
            u.bind(2, WPH_ECANCELLED);
            u.bind(3, id);
            n += u.exec();
        }
        return n;
    });
}

std::int64_t Store::event_insert(std::int64_t time_ms, const std::string &level, const std::string &kind,
                                 const std::string &subject, const std::string &message, const std::string &data) {
    return locked("recording an event", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "INSERT INTO events (time_ms, level, kind, subject, message, data) VALUES (?, ?, ?, ?, ?, ?)");
        q.bind(1, static_cast<int64_t>(time_ms));
        q.bind(2, level);
        q.bind(3, kind);
        q.bind(4, subject);
        q.bind(5, message);
        q.bind(6, data);
        q.exec();
        return static_cast<std::int64_t>(db.getLastInsertRowid());
    });
}

std::vector<EventRow> Store::events(const std::string &kind_prefix, std::int64_t after_id, unsigned limit) {
    return locked("reading events", [&](SQLite::Database &db) {
        SQLite::Statement q(db, "SELECT id, time_ms, level, kind, subject, message, data FROM events "
                                "WHERE id > ? AND substr(kind, 1, ?) = ? ORDER BY id LIMIT ?");
        q.bind(1, static_cast<int64_t>(after_id));
        q.bind(2, static_cast<int>(kind_prefix.size()));
        q.bind(3, kind_prefix);
        q.bind(4, static_cast<int>(limit));
        std::vector<EventRow> out;
        while (q.executeStep())
            out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                           q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString(),
                           q.getColumn(6).getString()});
        return out;
    });
}

void Store::with_db(const char *what, const std::function<void(SQLite::Database &)> &f) {
    locked(what, [&](SQLite::Database &db) { f(db); });
}

}  // namespace wph
