#include "cert/dns.hpp"

#include <ares.h>
#include <mutex>
#include <sys/select.h>
#include <thread>

#include "engine/error.hpp"
#include "engine/job.hpp"

namespace wph::cert {

namespace {

std::once_flag g_ares_once;

struct Query {
    bool done = false;
    int status = ARES_SUCCESS;
    std::vector<std::string> records;
};

void on_reply(void *arg, int status, int, unsigned char *abuf, int alen) {
    auto *q = static_cast<Query *>(arg);
    q->done = true;
    q->status = status;
    if (status != ARES_SUCCESS || !abuf) return;
    ares_txt_ext *txt = nullptr;
    int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (rc != ARES_SUCCESS) {
        q->status = rc;
        return;
    }
    for (auto *t = txt; t; t = t->next) {
        std::string chunk(reinterpret_cast<const char *>(t->txt), t->length);
        if (t->record_start || q->records.empty()) q->records.push_back(std::move(chunk));
        else q->records.back() += chunk;
    }
    ares_free_data(txt);
}

}  // namespace

std::vector<std::string> query_txt(const std::string &name, const std::string &resolver, std::chrono::milliseconds timeout) {
    std::call_once(g_ares_once, [] {
        int rc = ares_library_init(ARES_LIB_INIT_ALL);
        if (rc != ARES_SUCCESS) raise(WPH_ERROR, "cert", std::string("ares_library_init: ") + ares_strerror(rc));
    });
    ares_channel ch = nullptr;
    ares_options o{};
    o.timeout = 2000;
    o.tries = 2;
    int rc = ares_init_options(&ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) raise(WPH_EIO, "cert", std::string("dns-01: ares_init_options: ") + ares_strerror(rc));
    std::unique_ptr<std::remove_pointer_t<ares_channel>, void (*)(ares_channel)> guard(ch, ares_destroy);
    std::string where = resolver.empty() ? "the system's resolver" : resolver;
    if (!resolver.empty()) {
        rc = ares_set_servers_ports_csv(ch, resolver.c_str());
        if (rc != ARES_SUCCESS)
            raise(WPH_EINVALID, "cert", "dns-01: bad resolver \"" + resolver + "\" (host:port): " + ares_strerror(rc));
    }
    Query q;
    ares_query(ch, name.c_str(), 1 /* C_IN */, 16 /* T_TXT */, on_reply, &q);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!q.done) {
        if (std::chrono::steady_clock::now() >= deadline) break;
        fd_set rd, wr;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        int nfds = ares_fds(ch, &rd, &wr);
        if (nfds == 0) break;
        timeval max{0, 200000}, tv{};
        timeval *tvp = ares_timeout(ch, &max, &tv);
        select(nfds, &rd, &wr, nullptr, tvp);
        ares_process(ch, &rd, &wr);
    }
    if (!q.done) raise(WPH_ETIMEOUT, "cert", "dns-01: no answer from " + where + " for TXT " + name);
    if (q.status == ARES_ENOTFOUND || q.status == ARES_ENODATA) return {};
    if (q.status != ARES_SUCCESS)
        raise(WPH_EIO, "cert", "dns-01: TXT " + name + " at " + where + ": " + ares_strerror(q.status));
    return q.records;
}

void wait_for_txt(const std::string &name, const std::string &value, const std::vector<std::string> &resolvers,
                  std::chrono::seconds timeout, const CancelToken *cancel) {
    std::vector<std::string> list = resolvers.empty() ? std::vector<std::string>{""} : resolvers;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto &r : list) {
        std::string last_error;
        for (;;) {
            if (cancel) cancel->check("waiting for DNS propagation");
            try {
                auto recs = query_txt(name, r, std::chrono::milliseconds(5000));
                bool seen = false;
                for (auto &v : recs) seen = seen || v == value;
                if (seen) break;
                last_error.clear();
            } catch (const Error &e) {
                if (e.code() == WPH_EINVALID) throw;
                last_error = e.message();
            }
            if (std::chrono::steady_clock::now() >= deadline)
                raise(WPH_ETIMEOUT, "cert",
                      "dns-01: TXT " + name + " not visible at " + (r.empty() ? std::string("the system's resolver") : r) +
                          " after " + std::to_string(timeout.count()) + " s" + (last_error.empty() ? "" : " (" + last_error + ")"));
            for (int i = 0; i < 20; ++i) {  // 1 s, waking for cancellation
                if (cancel) cancel->check("waiting for DNS propagation");
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
    }
}

}  // namespace wph::cert
