// Helpers shared by the unit tests.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

namespace wph::test {

// A fresh directory under $TMPDIR, removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const char *prefix = "wph-test") {
        std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

}  // namespace wph::test
