#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "../support.hpp"
#include "engine/store.hpp"

namespace fs = std::filesystem;

namespace {
using wph::test::TempDir;
}  // namespace

TEST_CASE("a new store is migrated to the current schema with its tables", "[engine][store]") {
    TempDir d;
    auto p = (d.path / "state.db").string();
    {
        wph::Store s(p);
        CHECK(s.user_version() == wph::Store::schema_version());
    }
    SQLite::Database db(p, SQLite::OPEN_READWRITE);
    CHECK(db.execAndGet("PRAGMA application_id").getInt() == wph::Store::kApplicationId);
    for (const char *t : {"servers", "sites", "jobs"}) CHECK(db.tableExists(t));
    // The sites table refuses a domain twice on one server.
    db.exec("INSERT INTO servers(name, kind, created_at, updated_at) VALUES ('local', 'local', 'now', 'now')");
    db.exec("INSERT INTO sites(server_id, domain, state, spec, created_at, updated_at) VALUES (1, 'a.test', 'active', '{}', 'n', 'n')");
    CHECK_THROWS(db.exec("INSERT INTO sites(server_id, domain, state, spec, created_at, updated_at) VALUES (1, 'a.test', 'active', '{}', 'n', 'n')"));
    // Reopening applies nothing twice.
    wph::Store again(p);
    CHECK(again.user_version() == wph::Store::schema_version());
}

TEST_CASE("jobs are recorded through their life", "[engine][store]") {
    TempDir d;
    wph::Store s((d.path / "state.db").string());
    auto id = s.job_insert("host.check");
    CHECK(id > 0);
    s.job_started(id);
    std::string result = "{\"ok\":true}";
    s.job_finished(id, "succeeded", nullptr, &result);
    auto id2 = s.job_insert("host.check");
    wph::ErrorInfo err{WPH_ECANCELLED, "job", "cancelled during nginx", 0};
    s.job_finished(id2, "cancelled", &err, nullptr);
    auto jobs = s.jobs_recent(10);
    REQUIRE(jobs.size() == 2);
    CHECK(jobs[0].id == id2);
    CHECK(jobs[0].state == "cancelled");
    CHECK(jobs[0].error_code == WPH_ECANCELLED);
    CHECK(jobs[0].error_message == "cancelled during nginx");
    CHECK(jobs[1].state == "succeeded");
    CHECK_FALSE(jobs[1].started_at.empty());
}

TEST_CASE("jobs left running by a dead process are marked interrupted", "[engine][store]") {
    TempDir d;
    auto p = (d.path / "state.db").string();
    wph::Store s(p);
    auto mine = s.job_insert("host.check");
    auto theirs = s.job_insert("host.check");
    {
        SQLite::Database db(p, SQLite::OPEN_READWRITE);
        // A pid that cannot exist (above the kernel's pid_max limit).
        db.exec("UPDATE jobs SET owner_pid = 99999999, state = 'running' WHERE id = " + std::to_string(theirs));
    }
    CHECK(s.mark_interrupted_jobs() == 1);
    auto jobs = s.jobs_recent(10);
    CHECK(jobs[0].id == theirs);
    CHECK(jobs[0].state == "interrupted");
    CHECK(jobs[1].id == mine);
    CHECK(jobs[1].state == "pending");
}

TEST_CASE("a store from a newer schema, a foreign file and garbage are refused", "[engine][store]") {
    TempDir d;
    auto p = (d.path / "state.db").string();
    { wph::Store s(p); }
    {
        SQLite::Database db(p, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = 42");
    }
    try {
        wph::Store s(p);
        FAIL("opened a newer store");
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EVERSION);
        CHECK_THAT(e.message(), Catch::Contains("schema version 42"));
    }
    // The refused store is untouched.
    {
        SQLite::Database db(p);
        CHECK(db.execAndGet("PRAGMA user_version").getInt() == 42);
    }

    auto g = (d.path / "garbage.db").string();
    {
        std::FILE *f = std::fopen(g.c_str(), "w");
        for (int i = 0; i < 200; ++i) std::fputc('A' + i % 26, f);
        std::fclose(f);
    }
    try {
        wph::Store s(g);
        FAIL("opened garbage");
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EIO);
        CHECK_THAT(e.message(), Catch::Contains("not an SQLite database"));
    }

    // A damaged page inside a real database.
    auto c = (d.path / "damaged.db").string();
    {
        wph::Store s(c);
        for (int i = 0; i < 200; ++i) s.job_insert("host.check");
    }
    {
        // Truncate the WAL away by checkpointing, then overwrite the middle.
        SQLite::Database db(c, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE");
    }
    {
        std::FILE *f = std::fopen(c.c_str(), "r+");
        // Keep page 1 (header and schema), clobber the table pages after it.
        std::fseek(f, 4096, SEEK_SET);
        for (int i = 0; i < 4096 * 6; ++i) std::fputc(0xA5, f);
        std::fclose(f);
    }
    try {
        wph::Store s(c);
        FAIL("opened a damaged store");
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EIO);
        CHECK_THAT(e.message(), Catch::Contains("corrupt"));
    }
}
