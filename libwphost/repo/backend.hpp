// Where a repository's files live. The local backend is restic's directory
// layout; REST, S3 and SFTP backends implement the same interface later.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace wph::repo {

enum class FileType { config, key, snapshot, index, lock, pack };
const char *file_type_dir(FileType t);  // "keys", "snapshots", ... ("" for config)

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
    virtual std::uint64_t size(FileType t, const std::string &name) = 0;
    virtual bool exists(FileType t, const std::string &name) = 0;
    virtual void remove(FileType t, const std::string &name) = 0;
    // Names of the files of a type whose names are 64 hex digits (others are
    // ignored, as restic ignores them), with their sizes.
    virtual void list(FileType t, const std::function<void(const std::string &name, std::uint64_t size)> &fn) = 0;
};

// A repository in a local directory ("/path" or "local:/path").
std::unique_ptr<Backend> open_local_backend(const std::string &path);

// Pick a backend from a repository location as restic spells it.
std::unique_ptr<Backend> open_backend(const std::string &location);

}  // namespace wph::repo
