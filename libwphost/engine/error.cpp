#include "engine/error.hpp"

#include <cstring>
#include <new>

namespace wph {

void raise(int code, std::string_view category, std::string message) {
    throw Error(code, std::string(category), std::move(message));
}

std::string errno_text(int err) {
    char buf[256];
    // GNU strerror_r returns the message pointer (may not use buf).
    return std::string(strerror_r(err, buf, sizeof buf));
}

const char *code_name(int code) noexcept {
    switch (code) {
    case WPH_OK: return "WPH_OK";
    case WPH_ERROR: return "WPH_ERROR";
    case WPH_ENOTFOUND: return "WPH_ENOTFOUND";
    case WPH_EEXISTS: return "WPH_EEXISTS";
    case WPH_EINVALID: return "WPH_EINVALID";
    case WPH_EAUTH: return "WPH_EAUTH";
    case WPH_ETIMEOUT: return "WPH_ETIMEOUT";
    case WPH_ECANCELLED: return "WPH_ECANCELLED";
    case WPH_ECONFLICT: return "WPH_ECONFLICT";
    case WPH_ELOCKED: return "WPH_ELOCKED";
    case WPH_EIO: return "WPH_EIO";
    case WPH_EPROVIDER: return "WPH_EPROVIDER";
    case WPH_EUSER: return "WPH_EUSER";
    case WPH_ENOMEM: return "WPH_ENOMEM";
    case WPH_EVERSION: return "WPH_EVERSION";
    default: return "WPH_UNKNOWN";
    }
}

ErrorInfo current_exception_info() noexcept {
    try {
        throw;
    } catch (const Error &e) {
        return e.info();
    } catch (const std::bad_alloc &) {
        return ErrorInfo{WPH_ENOMEM, "engine", "out of memory", 0};
    } catch (const std::exception &e) {
        try {
            return ErrorInfo{WPH_ERROR, "internal", std::string("internal error: ") + e.what(), 0};
        } catch (...) {
            return ErrorInfo{WPH_ENOMEM, "engine", "out of memory", 0};
        }
    } catch (...) {
        return ErrorInfo{WPH_ERROR, "internal", "internal error: unknown exception", 0};
    }
}

}  // namespace wph
