#include "util/download.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <mutex>
#include <unistd.h>

#include "engine/error.hpp"
#include "engine/job.hpp"

namespace wph::util {

namespace {
std::once_flag curl_once;

struct Sink {
    std::FILE *f = nullptr;
    const CancelToken *cancel = nullptr;
};

size_t on_data(char *p, size_t size, size_t n, void *ud) {
    auto *s = static_cast<Sink *>(ud);
    return std::fwrite(p, size, n, s->f) * size;
}

int on_progress(void *ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto *s = static_cast<Sink *>(ud);
    return s->cancel && s->cancel->cancelled() ? 1 : 0;
}
}  // namespace

void download_to_file(const std::string &url, const std::string &path, std::chrono::seconds timeout,
                      const CancelToken *cancel) {
    std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::string tmp = path + ".part";
    Sink sink{std::fopen(tmp.c_str(), "wbe"), cancel};
    if (!sink.f) raise(WPH_EIO, "http", "cannot create " + tmp);
    CURL *c = curl_easy_init();
    if (!c) {
        std::fclose(sink.f);
        raise(WPH_ENOMEM, "http", "curl_easy_init failed");
    }
    char err[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sink);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "libwphost");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    bool flushed = std::fflush(sink.f) == 0 && ::fsync(fileno(sink.f)) == 0;
    std::fclose(sink.f);
    auto fail = [&](int code, const std::string &why, int http = 0) {
        std::remove(tmp.c_str());
        throw Error(code, "http", "downloading " + url + ": " + why, http);
    };
    if (rc == CURLE_ABORTED_BY_CALLBACK) fail(WPH_ECANCELLED, "cancelled");
    if (rc == CURLE_OPERATION_TIMEDOUT) fail(WPH_ETIMEOUT, err[0] ? err : "timed out");
    if (rc != CURLE_OK) fail(WPH_EIO, err[0] ? err : curl_easy_strerror(rc));
    if (status >= 400) fail(WPH_EIO, "HTTP status " + std::to_string(status), static_cast<int>(status));
    if (!flushed) fail(WPH_EIO, "cannot write " + tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(WPH_EIO, "cannot rename " + tmp);
}

}  // namespace wph::util
