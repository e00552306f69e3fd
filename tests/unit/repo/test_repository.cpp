#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../support.hpp"
#include "engine/error.hpp"
#include "repo/repository.hpp"

using namespace wph::repo;
using wph::test::TempDir;
namespace fs = std::filesystem;

namespace {
Repository::InitOptions quick(unsigned version = 2) {
    Repository::InitOptions o;
    o.version = version;
    o.kdf.N = 1024;  // fast keys for tests
    return o;
}

int error_code(const std::function<void()> &f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.code();
    }
    return 0;
}

std::size_t count_files(const fs::path &dir) {
    std::size_t n = 0;
    for (auto &e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}
}  // namespace

TEST_CASE("init, blobs, index and reopen", "[repo][repository]") {
    for (unsigned version : {1u, 2u}) {
        TempDir d("wph-repo");
        auto loc = (d.path / "repo").string();
        Id a{}, b{};
        {
            auto r = Repository::init(open_local_backend(loc), "pw", quick(version));
            CHECK(r->version() == version);
            std::string big(3 << 20, 'x');
            a = sha256(big);
            CHECK(r->save_blob(BlobType::data, big, a) > 0);
            CHECK(r->save_blob(BlobType::data, big, a) == 0);  // deduplicated
            b = sha256(std::string("{\"nodes\":[]}\n"));
            r->save_blob(BlobType::tree, "{\"nodes\":[]}\n", b);
            r->flush();
            CHECK(r->load_blob(BlobType::data, a) == big);
        }
        CHECK(fs::exists(d.path / "repo" / "data" / "ff"));
        auto r = Repository::open(open_local_backend(loc), "pw");
        CHECK(r->has_blob(BlobType::data, a));
        CHECK(r->has_blob(BlobType::tree, b));
        CHECK_FALSE(r->has_blob(BlobType::tree, a));
        CHECK(r->load_blob(BlobType::tree, b) == "{\"nodes\":[]}\n");
        CHECK(r->index_packs().size() == 2);  // data and tree blobs never share a pack
        CHECK(error_code([&] { Repository::open(open_local_backend(loc), "wrong"); }) == WPH_EAUTH);
        CHECK(error_code([&] { Repository::init(open_local_backend(loc), "pw", quick()); }) == WPH_EEXISTS);
        CHECK(error_code([&] { Repository::open(open_local_backend((d.path / "none").string()), "pw"); }) == WPH_ENOTFOUND);
    }
}

TEST_CASE("a second password opens the same repository", "[repo][repository]") {
    TempDir d("wph-repo");
    auto loc = (d.path / "repo").string();
    std::string second;
    {
        auto r = Repository::init(open_local_backend(loc), "one", quick());
        second = r->add_key("two", KdfParams{1024, 8, 1});
        CHECK(r->keys().size() == 2);
        CHECK(error_code([&] { r->remove_key(r->key_id()); }) == WPH_ECONFLICT);
    }
    auto r = Repository::open(open_local_backend(loc), "two");
    CHECK(r->key_id() == second);
}

TEST_CASE("damaged files are named, never trusted", "[repo][repository]") {
    TempDir d("wph-repo");
    auto loc = (d.path / "repo").string();
    Id a{};
    {
        auto r = Repository::init(open_local_backend(loc), "pw", quick());
        a = sha256(std::string("hello world"));
        r->save_blob(BlobType::data, "hello world", a);
        r->flush();
    }
    // Flip a byte inside the only data pack.
    fs::path pack;
    for (auto &e : fs::recursive_directory_iterator(d.path / "repo" / "data"))
        if (e.is_regular_file()) pack = e.path();
    fs::permissions(pack, fs::perms::owner_write, fs::perm_options::add);
    {
        std::fstream f(pack, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(20);
        char c = 0;
        f.read(&c, 1);
        f.seekp(20);
        c = static_cast<char>(c ^ 0x40);
        f.write(&c, 1);
    }
    auto r = Repository::open(open_local_backend(loc), "pw");
    try {
        r->load_blob(BlobType::data, a);
        FAIL("a damaged blob was returned");
    } catch (const wph::Error &e) {
        CHECK(e.code() == WPH_EIO);
        CHECK_THAT(e.message(), Catch::Contains(pack.filename().string()));
    }
}

TEST_CASE("locks: exclusive against shared, stale locks ignored, refresh keeps one lock", "[repo][repository]") {
    TempDir d("wph-repo");
    auto loc = (d.path / "repo").string();
    auto a = Repository::init(open_local_backend(loc), "pw", quick());
    auto b = Repository::open(open_local_backend(loc), "pw");
    a->lock(false);
    b->lock(false);  // shared locks coexist
    b->unlock();
    CHECK(error_code([&] { b->lock(true); }) == WPH_ELOCKED);
    a->unlock();
    b->lock(true);
    CHECK(error_code([&] { a->lock(false); }) == WPH_ELOCKED);
    b->unlock();
    CHECK(count_files(d.path / "repo" / "locks") == 0);

    // A lock of a process that no longer exists on this host is stale.
    Lock dead;
    dead.time = time_now();
    dead.exclusive = true;
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    dead.hostname = host;
    dead.pid = 99999999;
    a->save_unpacked(FileType::lock, encode_lock(dead));
    CHECK(lock_is_stale(dead, host));
    a->lock(false);  // not blocked by the stale lock
    a->unlock();
    CHECK(a->remove_stale_locks(false) == 1);

    // A held lock is rewritten while the operation runs.
    set_lock_refresh_interval(std::chrono::milliseconds(50));
    a->lock(false);
    auto first = a->list(FileType::lock);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto later = a->list(FileType::lock);
    a->unlock();
    set_lock_refresh_interval(std::chrono::minutes(5));
    REQUIRE(first.size() == 1);
    REQUIRE(later.size() == 1);
    CHECK(first != later);
    CHECK(count_files(d.path / "repo" / "locks") == 0);
}

TEST_CASE("two processes taking the lock at the same moment never both hold it exclusively", "[repo][repository]") {
    // Each side writes its lock, then looks for others: the later look sees
    // the other's lock, so on a local directory no wait is needed.
    TempDir d("wph-repo");
    auto loc = (d.path / "repo").string();
    auto a = Repository::init(open_local_backend(loc), "pw", quick());
    auto b = Repository::open(open_local_backend(loc), "pw");
    int both = 0, one = 0;
    for (int round = 0; round < 40; ++round) {
        bool got_a = false, got_b = false;
        std::thread ta([&] { got_a = error_code([&] { a->lock(true); }) == 0; });
        std::thread tb([&] { got_b = error_code([&] { b->lock(round % 2 == 0); }) == 0; });  // against exclusive and shared
        ta.join();
        tb.join();
        both += got_a && got_b;
        one += got_a != got_b;
        if (got_a) a->unlock();
        if (got_b) b->unlock();
        REQUIRE(count_files(d.path / "repo" / "locks") == 0);
    }
    CHECK(both == 0);
    CHECK(one > 0);  // and they do not always shut each other out
}
