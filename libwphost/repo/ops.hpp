// Repository operations on top of Repository: backup (paths or a stream),
// restore, ls, dump, check, forget. Progress and cancellation go through a
// Job when one is given.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/repository.hpp"

namespace wph {
class Job;
}

namespace wph::repo {

struct BackupOptions {
    std::vector<std::string> paths;     // backup of paths
    std::string stdin_filename;         // backup of a stream (read through `read`)
    std::function<std::size_t(char *, std::size_t)> read;  // returns 0 at EOF
    std::vector<std::string> tags, excludes;
    std::string hostname;               // empty: this machine's name
    std::optional<std::string> parent;  // snapshot ID; absent: the latest matching one
    bool force = false;                 // re-read every file
    std::optional<Time> time;
};

struct BackupStats {
    std::uint64_t files_new = 0, files_changed = 0, files_unmodified = 0;
    std::uint64_t dirs = 0, others = 0;
    std::uint64_t bytes_processed = 0;  // file bytes read
    std::uint64_t bytes_total = 0;      // size of all files in the snapshot
    std::uint64_t blobs_added = 0, bytes_added = 0;  // stored bytes, after compression and encryption
    std::vector<std::string> errors;    // files that could not be read (skipped)
};

struct BackupResult {
    std::string snapshot_id;
    Snapshot snapshot;
    std::optional<std::string> parent_id;
    BackupStats stats;
};

BackupResult backup(Repository &repo, const BackupOptions &opts, Job *job);

struct RestoreOptions {
    std::string snapshot;  // ID, prefix or "latest"
    std::string target;
    std::vector<std::string> includes;  // patterns on the path inside the snapshot
    std::vector<std::string> excludes;
    std::string host;                   // for "latest"
};

struct RestoreStats {
    std::uint64_t files = 0, dirs = 0, others = 0, bytes = 0, hardlinks = 0;
};

RestoreStats restore(Repository &repo, const RestoreOptions &opts, Job *job);

// Resolve "latest" (newest snapshot, optionally of a host) or an ID prefix.
std::string find_snapshot(Repository &repo, const std::string &spec, const std::string &host = "");

struct LsEntry {
    std::string path;
    Node node;
};
void ls(Repository &repo, const std::string &snapshot, const std::function<void(const LsEntry &)> &fn);

// Write one file of a snapshot ("/src/a.txt") to `write`.
void dump(Repository &repo, const std::string &snapshot, const std::string &path,
          const std::function<void(const char *, std::size_t)> &write);

struct CheckResult {
    std::vector<std::string> errors, warnings;
    std::uint64_t packs = 0, snapshots = 0, trees = 0, blobs_read = 0;
};
CheckResult check(Repository &repo, bool read_data, Job *job);

struct PruneStats {
    std::uint64_t packs_kept = 0, packs_deleted = 0, packs_repacked = 0, unreferenced_packs = 0, missing_packs = 0;
    std::uint64_t blobs_repacked = 0, used_blobs = 0, index_files_replaced = 0, bytes_freed = 0;
};
// Remove what no snapshot needs: unused packs are deleted, partly used ones
// rewritten. Takes the exclusive lock; refuses (WPH_EIO) to touch a
// repository where a needed blob is missing or a pack's size is wrong.
PruneStats prune(Repository &repo, bool dry_run, Job *job);

struct Stats {
    std::uint64_t snapshots = 0, restore_files = 0, restore_size = 0;  // restic's restore-size mode, all snapshots
    std::uint64_t packs = 0, blobs = 0, stored_size = 0, uncompressed_size = 0, pack_bytes = 0;
};
Stats stats(Repository &repo);

// Does a restic-style pattern match a path (absolute, "/"-separated)?
bool pattern_matches(const std::string &pattern, const std::string &path);

}  // namespace wph::repo
