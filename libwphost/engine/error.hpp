// Errors inside the library are exceptions of type wph::Error; the C ABI layer
// (capi/) turns them into codes and the thread's last error.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "wphost/common.h"

namespace wph {

struct ErrorInfo {
    int code = WPH_OK;
    std::string category;
    std::string message;
    int http_status = 0;
};

class Error : public std::runtime_error {
public:
    Error(int code, std::string category, std::string message, int http_status = 0)
        : std::runtime_error(message), info_{code, std::move(category), std::move(message), http_status} {}
    explicit Error(ErrorInfo info) : std::runtime_error(info.message), info_(std::move(info)) {}

    int code() const noexcept { return info_.code; }
    const std::string &category() const noexcept { return info_.category; }
    const std::string &message() const noexcept { return info_.message; }
    int http_status() const noexcept { return info_.http_status; }
    const ErrorInfo &info() const noexcept { return info_; }

private:
    ErrorInfo info_;
};

[[noreturn]] void raise(int code, std::string_view category, std::string message);

// "Permission denied" for EACCES and so on.
std::string errno_text(int err);

// The name of a code ("WPH_EINVALID"), or "WPH_UNKNOWN".
const char *code_name(int code) noexcept;

// Turn the exception being handled into ErrorInfo (call inside a catch block).
ErrorInfo current_exception_info() noexcept;

}  // namespace wph
