// Where a repository's files live. The local backend is restic's directory
// layout; REST, S3 and SFTP backends implement the same interface later.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "repo/buffer.hpp"

namespace wph::repo {

enum class FileType { config, key, snapshot, index, lock, pack };
const char *file_type_dir(FileType t);  // "keys", "snapshots", ... ("" for config)

// A file written front to back whose name is known only at the end: a pack,
// named by the SHA-256 of its bytes. The bytes are written into space the
// file hands out (no copy through an intermediate string), and a backend may
// write them in the background while the caller goes on.
class PendingFile {
public:
    // A file never committed is discarded; nothing of it stays visible.
    virtual ~PendingFile() = default;
    // Writable space for the next bytes; never empty. Throws the error of an
    // earlier background write (WPH_EIO: disk full, ...).
    virtual std::span<char> space() = 0;
    // The first `n` bytes of the last space() now hold the file's next bytes.
    virtual void produced(std::size_t n) = 0;
    // Store the file durably and atomically under `name` (a file of that name
    // that is already there has the same bytes and is kept). `done` runs
    // once, possibly on another thread, with nullptr or the error.
    virtual void commit(const std::string &name, std::function<void(std::exception_ptr)> done) = 0;
};

class Backend {
public:
    virtual ~Backend() = default;
    // A printable location ("/srv/backups/repo").
    virtual std::string location() const = 0;
    // Create the layout of a new repository; WPH_EEXISTS if one is there.
    virtual void create() = 0;
    // Store a file atomically (never visible half-written) and durably.
    virtual void save(FileType t, const std::string &name, const std::string &data) = 0;
    // The whole file, or `length` bytes from `offset` (length 0: to the end).
    // WPH_ENOTFOUND when missing, WPH_EIO on a short read.
    virtual std::string load(FileType t, const std::string &name, std::uint64_t offset = 0, std::uint64_t length = 0) = 0;
    // `length` (> 0) bytes from `offset` into `buf` (grown as needed), with
    // load()'s errors; returns where in `buf` they start. The default goes
    // through load(); the local backend reads packs with O_DIRECT, in whole
    // blocks around the range.
    virtual char *load_into(FileType t, const std::string &name, std::uint64_t offset, std::uint64_t length, Buffer &buf);
    virtual std::uint64_t size(FileType t, const std::string &name) = 0;
    virtual bool exists(FileType t, const std::string &name) = 0;
    virtual void remove(FileType t, const std::string &name) = 0;
    // Names of the files of a type whose names are 64 hex digits (others are
    // ignored, as restic ignores them), with their sizes.
    virtual void list(FileType t, const std::function<void(const std::string &name, std::uint64_t size)> &fn) = 0;
    // Start a file to be written piece by piece. The default keeps it in
    // memory and save()s it on commit.
    virtual std::unique_ptr<PendingFile> create_pending(FileType t);
    // Does list() see a file as soon as save() has returned, from any
    // process? Locking skips restic's wait for slow listings when it does.
    virtual bool immediate_listing() const { return false; }
};

// A repository in a local directory ("/path" or "local:/path").
std::unique_ptr<Backend> open_local_backend(const std::string &path);

// Pick a backend from a repository location as restic spells it.
std::unique_ptr<Backend> open_backend(const std::string &location);

}  // namespace wph::repo
