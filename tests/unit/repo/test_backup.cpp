#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
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

TEST_CASE("backup and restore round-trip files of every size class, read by several workers at once", "[repo][backup]") {
    TempDir d("wph-backup");
    auto src = d.path / "src";
    // Sizes around the boundaries of the data path: empty, tiny, one read
    // block, the minimum chunk, the direct-write threshold, several chunks,
    // beyond the maximum chunk (a forced cut), and not a multiple of 4096.
    const std::size_t sizes[] = {0, 1, 4095, 4097, 256 * 1024, 512 * 1024 - 1, 512 * 1024, 512 * 1024 + 1,
                                 3 * 1024 * 1024 + 17, 9 * 1024 * 1024 + 5};
    std::map<fs::path, std::string> want;
    unsigned seed = 1;
    for (int dir = 0; dir < 4; ++dir) {
        auto sub = src / ("d" + std::to_string(dir)) / "deeper";
        fs::create_directories(sub);
        for (auto size : sizes) {
            auto p = (dir % 2 ? sub : sub.parent_path()) / ("f" + std::to_string(size));
            // Zeros (compressible; a cut never comes before the maximum) and random bytes.
            std::string bytes = dir == 3 ? std::string(size, '\0') : random_bytes_of(size, seed++);
            std::ofstream(p, std::ios::binary) << bytes;
            want[p] = bytes;
        }
    }
    fs::create_directories(src / "empty");
    fs::create_symlink("d0/f1", src / "link");
    fs::create_hard_link(src / "d0" / "f4097", src / "hard");
    want[src / "hard"] = want[src / "d0" / "f4097"];

    for (unsigned version : {1u, 2u}) {
        INFO("repository version " << version);
        auto loc = d.path / ("repo" + std::to_string(version));
        auto o_init = quick();
        o_init.version = version;
        auto repo = Repository::init(open_local_backend(loc.string()), "pw", o_init);
        BackupOptions o;
        o.paths = {src.string()};
        auto r = backup(*repo, o, nullptr);
        CHECK(r.stats.files_new == want.size());
        CHECK(r.stats.errors.empty());
        // Packs are linked in whole; nothing half-written is left beside them.
        for (auto &e : fs::recursive_directory_iterator(loc / "data"))
            if (e.is_regular_file()) CHECK(e.path().filename().string().size() == 64);

        RestoreOptions ro;
        ro.snapshot = r.snapshot_id;
        ro.target = (d.path / ("out" + std::to_string(version))).string();
        restore(*repo, ro, nullptr);
        auto out = fs::path(ro.target) / src.relative_path();
        for (auto &[p, bytes] : want) {
            auto rp = out / p.lexically_relative(src);
            INFO(rp);
            REQUIRE(fs::exists(rp));
            CHECK(fs::file_size(rp) == bytes.size());
            CHECK(read_all(rp) == bytes);
        }
        CHECK(fs::is_directory(out / "empty"));
        CHECK(fs::read_symlink(out / "link") == "d0/f1");
        CHECK(fs::hard_link_count(out / "hard") == 2);
        CHECK(check(*repo, true, nullptr).errors.empty());

        // A second backup reads nothing again and adds no data.
        auto again = backup(*repo, o, nullptr);
        CHECK(again.stats.files_unmodified == want.size());
        CHECK(again.stats.bytes_processed == 0);
    }
}

TEST_CASE("a stream read in small pieces gives the same blobs as the file", "[repo][backup]") {
    TempDir d("wph-backup");
    std::string data = random_bytes_of(5 * 1024 * 1024 + 123, 7);
    std::ofstream(d.path / "dump.sql", std::ios::binary) << data;
    auto repo = Repository::init(open_local_backend((d.path / "repo").string()), "pw", quick());
    BackupOptions f;
    f.paths = {(d.path / "dump.sql").string()};
    auto from_file = backup(*repo, f, nullptr);

    std::size_t pos = 0;
    BackupOptions s;
    s.stdin_filename = "dump.sql";
    s.read = [&](char *buf, std::size_t cap) {
        std::size_t n = std::min({cap, std::size_t(1000), data.size() - pos});  // short reads, like a pipe
        std::memcpy(buf, data.data() + pos, n);
        pos += n;
        return n;
    };
    auto from_stream = backup(*repo, s, nullptr);
    CHECK(from_file.stats.blobs_added > 1);
    CHECK(from_stream.stats.blobs_added == 1);  // only its tree: every chunk was there already
    std::string out;
    dump(*repo, from_stream.snapshot_id, "/dump.sql", [&](const char *p, std::size_t n) { out.append(p, n); });
    CHECK(out == data);
}
