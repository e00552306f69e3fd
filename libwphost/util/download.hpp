// Fetch a URL into a file with libcurl: TLS verification on, HTTP errors are
// failures, the file appears only when complete.
#pragma once

#include <chrono>
#include <string>

namespace wph {
class CancelToken;
}

namespace wph::util {

// WPH_EIO (network, HTTP status >= 400 with the status in the error),
// WPH_ETIMEOUT, WPH_ECANCELLED.
void download_to_file(const std::string &url, const std::string &path, std::chrono::seconds timeout,
                      const CancelToken *cancel);

}  // namespace wph::util
