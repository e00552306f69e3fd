// File-system helpers. Every failure is a wph::Error (WPH_EIO, or
// WPH_ENOTFOUND for a missing file) naming the path and the OS's reason.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

namespace wph::util {

// mkdir -p with the given mode for the directories it creates.
void make_dirs(const std::string &path, mode_t mode, const char *category);
// Whole file, or std::nullopt if it does not exist.
std::optional<std::string> read_file_if_exists(const std::string &path, std::size_t max_bytes = 16u << 20);
// At most the first n bytes of a file, or std::nullopt if it does not exist.
std::optional<std::string> read_head(const std::string &path, std::size_t n);
// Write atomically: temp file in the same directory, fsync, rename, fsync dir.
// With uid/gid other than -1 the file gets that owner before it appears.
void write_file_atomic(const std::string &path, const std::string &data, mode_t mode, const char *category,
                       uid_t uid = static_cast<uid_t>(-1), gid_t gid = static_cast<gid_t>(-1));
bool is_executable(const std::string &path);
bool exists(const std::string &path);

}  // namespace wph::util
