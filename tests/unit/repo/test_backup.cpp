#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "../support.hpp"
#include "engine/error.hpp"
#include "engine/job.hpp"
#include "repo/ops.hpp"

using namespace wph::repo;
using wph::test::TempDir;
namespace fs = std::filesystem;

namespace {

Repository::InitOptions quick() {
    Repository::InitOptions o;
    o.kdf.N = 1024;
    return o;
}

std::string random_bytes_of(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::string s(n, '\0');
    for (auto &c : s) c = static_cast<char>(rng());
    return s;
}

// Cancels the job (callback returns non-zero) after `limit` progress reports.
struct Canceller {
    int calls = 0, limit;
    static int cb(const wph_progress *, void *p) {
        auto *self = static_cast<Canceller *>(p);
        return ++self->calls >= self->limit ? 1 : 0;
    }
};

std::string read_all(const fs::path &p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("a cancelled backup stops cleanly and the next one completes", "[repo][backup]") {
    TempDir d("wph-backup");
    auto src = d.path / "src";
    fs::create_directories(src / "sub");
    for (int i = 0; i < 6; ++i) std::ofstream(src / ("f" + std::to_string(i)), std::ios::binary) << random_bytes_of(2 << 20, i);
    std::ofstream(src / "sub" / "small") << "hello";
    auto repo = Repository::init(open_local_backend((d.path / "repo").string()), "pw", quick());

    for (int limit : {1, 3, 6}) {
        Canceller c{0, limit};
        wph::Job job(1, "repo.backup", &Canceller::cb, &c);
        BackupOptions o;
        o.paths = {src.string()};
        try {
            backup(*repo, o, &job);
            FAIL("the backup was not cancelled");
        } catch (const wph::Error &e) {
            CHECK(e.code() == WPH_EUSER);
        }
        CHECK(repo->snapshots().empty());
        CHECK(fs::is_empty(d.path / "repo" / "locks"));
    }

    BackupOptions o;
    o.paths = {src.string()};
    auto r = backup(*repo, o, nullptr);
    CHECK(r.stats.files_new == 7);
    RestoreOptions ro;
    ro.snapshot = r.snapshot_id;
    ro.target = (d.path / "out").string();
    auto st = restore(*repo, ro, nullptr);
    CHECK(st.files == 7);
    auto restored = d.path / "out" / src.relative_path();
    for (int i = 0; i < 6; ++i) CHECK(read_all(restored / ("f" + std::to_string(i))) == random_bytes_of(2 << 20, i));
    CHECK(read_all(restored / "sub" / "small") == "hello");
    CHECK(check(*repo, true, nullptr).errors.empty());
}

TEST_CASE("a cancelled stream backup stops cleanly", "[repo][backup]") {
    TempDir d("wph-backup");
    auto repo = Repository::init(open_local_backend((d.path / "repo").string()), "pw", quick());
    std::string data = random_bytes_of(6 << 20, 42);
    auto stream_of = [&](std::size_t &pos) {
        return [&](char *buf, std::size_t cap) {
            std::size_t n = std::min(cap, data.size() - pos);
            std::memcpy(buf, data.data() + pos, n);
            pos += n;
            return n;
        };
    };
    std::size_t pos = 0;
    Canceller c{0, 2};
    wph::Job job(1, "repo.backup", &Canceller::cb, &c);
    BackupOptions o;
    o.stdin_filename = "db.sql";
    o.read = stream_of(pos);
    CHECK_THROWS_AS(backup(*repo, o, &job), wph::Error);
    CHECK(repo->snapshots().empty());

    pos = 0;
    o.read = stream_of(pos);
    auto r = backup(*repo, o, nullptr);
    std::string out;
    dump(*repo, r.snapshot_id, "/db.sql", [&](const char *p, std::size_t n) { out.append(p, n); });
    CHECK(out == data);
}
