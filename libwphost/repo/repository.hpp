// A restic repository opened with a password: config, master key, index,
// blobs in packs, unpacked files (snapshots, index, locks) and locks.
// Thread-safe: blobs may be saved and loaded from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <thread>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "repo/backend.hpp"
#include "repo/buffer.hpp"
#include "repo/chunker.hpp"
#include "repo/crypto.hpp"
#include "repo/format.hpp"

namespace wph {
class CancelToken;
}

namespace wph::repo {

struct IdHash {
    std::size_t operator()(const Id &id) const noexcept {
        std::size_t h;
        std::memcpy(&h, id.data(), sizeof h);
        return h;
    }
};

enum class Compression { automatic, off, max };

struct KdfParams {
    std::uint64_t N = 32768;
    std::uint32_t r = 8, p = 1;
};

struct BlobLocation {
    Id pack{};
    PackEntry entry;
};

// Buffers and a decompression context kept by one thread for reading blobs
// without allocating (restore, check).
struct BlobScratch {
    BlobScratch() = default;
    ~BlobScratch();
    BlobScratch(const BlobScratch &) = delete;
    BlobScratch &operator=(const BlobScratch &) = delete;
    Buffer raw, plain;
    void *dctx = nullptr;
};

struct KeyInfo {
    std::string id;
    bool current = false;
    std::string username, hostname;
    Time created;
};

class Repository {
public:
    struct InitOptions {
        unsigned version = 2;
        std::optional<Pol> polynomial;  // a random one when absent
        KdfParams kdf;
    };

    // Create a new repository; WPH_EEXISTS if one exists at the location.
    static std::unique_ptr<Repository> init(std::unique_ptr<Backend> be, const std::string &password,
                                            const InitOptions &opts);
    // Open with a password (WPH_EAUTH if no key opens with it) and load the index.
    static std::unique_ptr<Repository> open(std::unique_ptr<Backend> be, const std::string &password);
    ~Repository();

    Backend &backend() { return *be_; }
    const Config &config() const { return config_; }
    unsigned version() const { return config_.version; }
    void set_compression(Compression c) { compression_ = c; }
    void set_pack_size(std::size_t bytes) { pack_size_ = bytes; }

    // ---- unpacked files ----
    // Load, verify the name (SHA-256 of the stored bytes), decrypt, decompress.
    std::string load_unpacked(FileType t, const std::string &name);
    // Encrypt (and compress in v2) and store under the SHA-256 of the stored bytes.
    Id save_unpacked(FileType t, std::string_view plaintext);
    std::vector<std::string> list(FileType t);

    // ---- index and blobs ----
    void load_index();
    std::optional<BlobLocation> lookup(BlobType t, const Id &id) const;
    bool has_blob(BlobType t, const Id &id) const { return lookup(t, id).has_value(); }
    std::size_t blob_count() const;
    // Plaintext of a blob, verified against its ID.
    std::string load_blob(BlobType t, const Id &id);
    // Decrypt, decompress and verify one stored blob (`where` names its pack in errors).
    std::string open_blob(const PackEntry &e, std::string_view stored, const std::string &where);
    // The same in place: `stored` (e.length bytes) is decrypted where it is,
    // decompressed into s.plain. The view points into one of them.
    std::string_view open_blob_in(const PackEntry &e, char *stored, BlobScratch &s, const std::string &where);
    // Plaintext of a blob read into `s`, verified against its ID; valid
    // until `s` is used again.
    std::string_view load_blob_in(BlobType t, const Id &id, BlobScratch &s);
    // Decrypt and decode a pack's encrypted header.
    std::vector<PackEntry> open_pack_header(std::string_view sealed);
    // Store a blob unless the repository has it; returns the stored size
    // added (0 when it was already there).
    std::uint64_t save_blob(BlobType t, std::string_view plaintext, const Id &id);
    std::uint64_t save_blob(BlobType t, std::string_view plaintext) { return save_blob(t, plaintext, sha256(plaintext)); }
    // Finish open packs and write the index for everything saved since the
    // last flush. Must be called before a snapshot refers to new blobs.
    void flush();
    // ---- for prune ----
    // Every index file, decoded (blobs listed in several packs appear in each).
    std::vector<std::pair<std::string, IndexFile>> load_index_files();
    // Store a blob in a new pack even if the index has it elsewhere.
    void repack_blob(BlobType t, std::string_view plaintext, const Id &id);
    // Finish open packs; return the packs written since the last index, unindexed.
    std::vector<IndexPack> finish_packs();
    // Write index files for `packs`, each naming `supersedes`.
    void write_index(std::vector<IndexPack> packs, const std::vector<Id> &supersedes);
    // Every pack known to the index, with its blobs.
    std::vector<IndexPack> index_packs() const;
    // Index files that could not be loaded (damaged), with the reason.
    std::vector<std::string> index_errors() const;
    // Index file names loaded.
    const std::vector<std::string> &index_files() const { return index_files_; }

    // ---- snapshots ----
    std::vector<std::pair<std::string, Snapshot>> snapshots();
    // Full ID from an ID or a unique prefix ("latest" is resolved by callers).
    std::string resolve(FileType t, const std::string &prefix);

    // ---- keys ----
    std::vector<KeyInfo> keys();
    std::string add_key(const std::string &password, const KdfParams &kdf);
    void remove_key(const std::string &id);
    // Replace the key in use with one for `password`; returns the new key's ID.
    std::string change_password(const std::string &password, const KdfParams &kdf);
    const std::string &key_id() const { return key_id_; }

    // ---- locks ----
    // Take a lock (exclusive or shared). Conflicting locks that are stale
    // (older than 30 minutes, or of a dead process on this host) are ignored.
    // WPH_ELOCKED names the holder.
    void lock(bool exclusive);
    void unlock();
    // Remove stale locks (all locks with all_locks); returns how many.
    int remove_stale_locks(bool all_locks);

    Chunker make_chunker() const { return Chunker(config_.chunker_polynomial); }

private:
    Repository(std::unique_ptr<Backend> be);
    struct Packer;
    // The blob's place in the index; WPH_EIO naming it when it is not there.
    BlobLocation locate(BlobType t, const Id &id) const;
    std::unique_ptr<Packer> take_packer(BlobType t);
    std::uint64_t store_blob(BlobType t, std::string_view plaintext, const Id &id);
    void append_blob(Packer &p, BlobType t, std::string_view plaintext, const Id &id);
    void drop_packer(std::unique_ptr<Packer> p, const Id *also);
    void finish_pack(std::unique_ptr<Packer> p);
    void wait_packs(bool rethrow);
    std::string decode_unpacked(const std::string &plain, const std::string &what);

    std::unique_ptr<Backend> be_;
    Config config_;
    MasterKey key_;
    std::string key_id_;
    Compression compression_ = Compression::automatic;
    std::size_t pack_size_ = 16u << 20;

    mutable std::mutex mu_;
    std::unordered_map<Id, BlobLocation, IdHash> data_, tree_;
    std::unordered_set<Id, IdHash> pending_data_, pending_tree_;  // being written
    // Open packs not in use. A saving thread takes one, seals its blob into
    // it and puts it back, so several threads fill packs at once.
    std::vector<std::unique_ptr<Packer>> idle_[2];
    std::size_t committing_ = 0;  // packs handed to the backend, not yet stored
    std::condition_variable committed_;
    std::exception_ptr write_error_;  // of a pack the backend failed to store
    std::vector<IndexPack> unindexed_;  // packs written, not yet in an index file
    std::vector<std::string> index_files_, index_errors_;
    // The lock is rewritten every few minutes so that others never see it
    // as stale while this process works (restic refreshes every 5 minutes).
    void refresh_loop();
    std::mutex lock_mu_;
    std::condition_variable lock_cv_;
    std::thread refresher_;
    bool stop_refresh_ = false;
    Lock lock_{};
    std::string lock_id_;
};

// How often a held lock is rewritten; tests shorten it.
void set_lock_refresh_interval(std::chrono::milliseconds interval);

bool lock_is_stale(const Lock &l, const std::string &this_host);

// Holds a repository lock for a scope.
class RepoLock {
public:
    RepoLock(Repository &repo, bool exclusive) : repo_(repo) { repo_.lock(exclusive); }
    ~RepoLock() {
        try {
            repo_.unlock();
        } catch (...) {
            // A lock that cannot be removed goes stale; never throw from here.
        }
    }
    RepoLock(const RepoLock &) = delete;
    RepoLock &operator=(const RepoLock &) = delete;

private:
    Repository &repo_;
};

}  // namespace wph::repo
