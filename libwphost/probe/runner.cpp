// The probe runner: one event-loop thread per Runner drives libcurl's multi
// interface (HTTP(S) and TCP) and c-ares channels (DNS) together through
// curl_multi_poll, with a min-heap of per-phase deadlines checked after
// every wake-up.
//
// Ownership: every probe lives in Loop::probes (keyed by id) from the moment
// the loop takes it from the submission list until its `done` has been
// called; queues, the deadline heap and the c-ares socket table refer to
// probes by id, so a probe that ends early leaves only stale ids behind.
#include "probe/runner.hpp"

#include <arpa/inet.h>
#include <ares.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <limits>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "wphost/version.h"

namespace wph::probe {

namespace {

using Clock = std::chrono::steady_clock;
constexpr Clock::time_point kNever = Clock::time_point::max();

std::once_flag g_init_once;

void global_init() {
    std::call_once(g_init_once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            raise(WPH_ERROR, "probe", "curl_global_init failed");
        int rc = ares_library_init(ARES_LIB_INIT_ALL);
        if (rc != ARES_SUCCESS) raise(WPH_ERROR, "probe", std::string("ares_library_init: ") + ares_strerror(rc));
    });
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string lower(std::string s) {
    for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool iequals(const std::string &a, const std::string &b) { return lower(a) == lower(b); }

std::string strip_brackets(const std::string &h) {
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') return h.substr(1, h.size() - 2);
    return h;
}

bool is_ipv4(const std::string &s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool is_ipv6(const std::string &s) {
    in6_addr a{};
    return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// The pieces of a probe URL, through curl's own URL parser (so that what we
// key connections on is what curl connects to).
struct UrlParts {
    std::string scheme, host;  // host as in the URL: "[::1]" keeps its brackets
    int port = 0;
};

std::optional<UrlParts> parse_url(const std::string &url, std::string &why) {
    CURLU *u = curl_url();
    if (!u) {
        why = "out of memory";
        return std::nullopt;
    }
    UrlParts out;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
    char *part = nullptr;
    if (rc == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
        out.scheme = lower(part);
        curl_free(part);
    }
    part = nullptr;
    if (rc == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
        out.host = part;
        curl_free(part);
    }
    part = nullptr;
    if (rc == CURLUE_OK && curl_url_get(u, CURLUPART_PORT, &part, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        out.port = std::atoi(part);
        curl_free(part);
    }
    curl_url_cleanup(u);
    if (rc != CURLUE_OK) {
        why = std::string("invalid URL ") + url + ": " + curl_url_strerror(rc);
        return std::nullopt;
    }
    if (out.host.empty()) {
        why = "invalid URL " + url + ": no host";
        return std::nullopt;
    }
    return out;
}

// The URL with its host replaced (TLS server name override).
std::string replace_host(const std::string &url, const std::string &host) {
    CURLU *u = curl_url();
    if (!u) return url;
    std::string out = url;
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_HOST, host.c_str(), 0) == CURLUE_OK) {
        char *s = nullptr;
        if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
            out = s;
            curl_free(s);
        }
    }
    curl_url_cleanup(u);
    return out;
}

// "Nov 23 06:12:31 2027 GMT" (OpenSSL's ASN1_TIME_print) -> Unix seconds.
std::optional<std::int64_t> parse_cert_time(const char *text) {
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char mon[4] = {0};
    int day = 0, hh = 0, mm = 0, ss = 0, year = 0;
    // Fractional seconds ("06:12:31.123") are possible in GeneralizedTime.
    if (std::sscanf(text, " %3s %d %d:%d:%d%*[.0-9] %d", mon, &day, &hh, &mm, &ss, &year) != 6 &&
        std::sscanf(text, " %3s %d %d:%d:%d %d", mon, &day, &hh, &mm, &ss, &year) != 6)
        return std::nullopt;
    int m = -1;
    for (int i = 0; i < 12; ++i)
        if (std::strcmp(mon, months[i]) == 0) m = i;
    if (m < 0) return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = m;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return static_cast<std::int64_t>(timegm(&tm));
}

// ---- DNS messages ----

struct DnsType {
    const char *name;
    int code;
};
constexpr DnsType kDnsTypes[] = {{"A", 1},    {"NS", 2},   {"CNAME", 5}, {"SOA", 6},  {"PTR", 12},
                                 {"MX", 15},  {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"CAA", 257}};

int dns_type_code(const std::string &name) {
    std::string up = name;
    for (auto &c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const auto &t : kDnsTypes)
        if (up == t.name) return t.code;
    return -1;
}

std::string rcode_name(int rcode) {
    static const char *names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                  "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode >= 0 && rcode <= 10) return names[rcode];
    return "RCODE" + std::to_string(rcode);
}

// "10.0.0.1" -> "1.0.0.10.in-addr.arpa" (PTR queries may name an address).
std::string reverse_name(const std::string &name) {
    in_addr a4{};
    in6_addr a6{};
    if (inet_pton(AF_INET, name.c_str(), &a4) == 1) {
        auto *b = reinterpret_cast<const unsigned char *>(&a4);
        return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
               std::to_string(b[0]) + ".in-addr.arpa";
    }
    if (inet_pton(AF_INET6, name.c_str(), &a6) == 1) {
        static const char hex[] = "0123456789abcdef";
        std::string out;
        for (int i = 15; i >= 0; --i) {
            out += hex[a6.s6_addr[i] & 0xf];
            out += '.';
            out += hex[a6.s6_addr[i] >> 4];
            out += '.';
        }
        return out + "ip6.arpa";
    }
    return name;
}

unsigned u16(const unsigned char *p) { return (unsigned(p[0]) << 8) | p[1]; }
unsigned long u32(const unsigned char *p) {
    return (static_cast<unsigned long>(p[0]) << 24) | (static_cast<unsigned long>(p[1]) << 16) |
           (static_cast<unsigned long>(p[2]) << 8) | p[3];
}

// A (possibly compressed) name at `at`; advances `at` past its encoding.
bool read_name(const unsigned char *msg, int len, int &at, std::string &out) {
    char *s = nullptr;
    long enclen = 0;
    if (at >= len || ares_expand_name(msg + at, msg, len, &s, &enclen) != ARES_SUCCESS) return false;
    out = s;
    ares_free_string(s);
    at += static_cast<int>(enclen);
    return at <= len;
}

// Parse a reply: the rcode and the answers of the asked type, as text.
bool parse_dns_reply(const unsigned char *msg, int len, int qtype, ProbeResult &r, std::string &why) {
    if (len < 12) {
        why = "DNS reply too short";
        return false;
    }
    r.dns_rcode = rcode_name(msg[3] & 0x0f);
    unsigned qd = u16(msg + 4), an = u16(msg + 6);
    int at = 12;
    std::string name;
    for (unsigned i = 0; i < qd; ++i) {
        if (!read_name(msg, len, at, name) || at + 4 > len) {
            why = "malformed DNS reply (question)";
            return false;
        }
        at += 4;
    }
    for (unsigned i = 0; i < an; ++i) {
        if (!read_name(msg, len, at, name) || at + 10 > len) {
            why = "malformed DNS reply (answer)";
            return false;
        }
        unsigned type = u16(msg + at);
        unsigned rdlen = u16(msg + at + 8);
        at += 10;
        if (at + static_cast<int>(rdlen) > len) {
            why = "malformed DNS reply (record data)";
            return false;
        }
        const unsigned char *rd = msg + at;
        int end = at + static_cast<int>(rdlen);
        if (static_cast<int>(type) == qtype) {
            char buf[INET6_ADDRSTRLEN] = {0};
            std::string text;
            int p = at;
            bool ok = true;
            switch (type) {
            case 1:
                ok = rdlen == 4 && inet_ntop(AF_INET, rd, buf, sizeof buf);
                text = buf;
                break;
            case 28:
                ok = rdlen == 16 && inet_ntop(AF_INET6, rd, buf, sizeof buf);
                text = buf;
                break;
            case 2:
            case 5:
            case 12:
                ok = read_name(msg, len, p, text);
                break;
            case 15: {
                std::string host;
                ok = rdlen >= 3 && (p += 2, read_name(msg, len, p, host));
                text = std::to_string(u16(rd)) + " " + host;
                break;
            }
            case 16:
                while (p < end) {
                    unsigned n = msg[p];
                    if (p + 1 + static_cast<int>(n) > end) {
                        ok = false;
                        break;
                    }
                    text.append(reinterpret_cast<const char *>(msg + p + 1), n);
                    p += 1 + static_cast<int>(n);
                }
                break;
            case 6: {
                std::string mname, rname;
                ok = read_name(msg, len, p, mname) && read_name(msg, len, p, rname) && p + 20 <= end;
                if (ok) {
                    text = mname + " " + rname;
                    for (int k = 0; k < 5; ++k) text += " " + std::to_string(u32(msg + p + 4 * k));
                }
                break;
            }
            case 33: {
                std::string target;
                ok = rdlen >= 7 && (p += 6, read_name(msg, len, p, target));
                if (ok)
                    text = std::to_string(u16(rd)) + " " + std::to_string(u16(rd + 2)) + " " +
                           std::to_string(u16(rd + 4)) + " " + target;
                break;
            }
            case 257: {
                ok = rdlen >= 2 && 2u + rd[1] <= rdlen;
                if (ok) {
                    std::string tag(reinterpret_cast<const char *>(rd + 2), rd[1]);
                    std::string value(reinterpret_cast<const char *>(rd + 2 + rd[1]), rdlen - 2 - rd[1]);
                    text = std::to_string(rd[0]) + " " + tag + " \"" + value + "\"";
                }
                break;
            }
            default:
                ok = false;
            }
            if (!ok) {
                why = "malformed DNS reply (record of type " + std::to_string(type) + ")";
                return false;
            }
            r.dns_answers.push_back(std::move(text));
        }
        at = end;
    }
    return true;
}

std::string fmt_ms(std::int64_t ms) { return std::to_string(ms) + " ms"; }

}  // namespace

// ---------------------------------------------------------------------------

namespace {

class Loop;

enum class DnsStep { none, server_resolved, server_failed, replied, failed };

enum Phase { ph_dns, ph_connect, ph_tls, ph_first_byte, ph_body, ph_count };

struct Probe {
    Loop *impl = nullptr;
    std::uint64_t id = 0;
    ProbeDef def;
    std::function<void(ProbeResult)> done;
    ProbeResult res;

    UrlParts target;          // the URL's scheme, host and port
    std::string host_key;     // per-host connection limit key
    bool started = false;     // holds a per-host slot and an in-flight slot
    bool finished = false;
    bool https = false;
    Clock::time_point start{};
    Clock::time_point next_check = kNever;
    std::int64_t total_ms = 0;

    // curl
    CURL *easy = nullptr;
    CURLSH *share = nullptr;  // a private DNS cache for probes with `resolve` entries
    curl_slist *headers = nullptr, *resolve = nullptr, *connect_to = nullptr;
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::string fail;         // our own reason when a callback stops the transfer
    Clock::time_point tls_started{};  // TCP connected, TLS handshake begun (first connection)
    std::int64_t header_bytes = 0;

    // c-ares
    ares_channel channel = nullptr;
    DnsStep dns_step = DnsStep::none;
    int dns_status = ARES_SUCCESS;
    std::string dns_server_ip;
    int dns_port = 53;
    std::int64_t dns_limit_ms = 0;
    Clock::time_point dns_deadline = kNever;
    Clock::time_point dns_sent{};
    std::string dns_why;
};

struct HeapEntry {
    Clock::time_point when;
    std::uint64_t id;
    bool operator>(const HeapEntry &o) const { return when > o.when; }
};

struct HostSlot {
    long active = 0;
    std::deque<std::uint64_t> blocked;  // waiting for a connection of this host
};

struct AresSock {
    std::uint64_t probe = 0;
    bool readable = false, writable = false;
};

class Loop {
public:
    RunnerOptions opts;
    CURLM *multi = nullptr;
    std::thread thread;

    // Shared with submitters (under mu).
    std::mutex mu;
    bool stop = false;
    std::uint64_t next_id = 1;
    std::vector<std::unique_ptr<Probe>> incoming;
    std::vector<std::pair<std::uint64_t, std::string>> abort_requests;
    std::atomic<std::size_t> in_flight{0};

    // The loop thread's own.
    std::unordered_map<std::uint64_t, std::unique_ptr<Probe>> probes;
    std::deque<std::uint64_t> queue;      // submitted, not started
    std::deque<std::uint64_t> unblocked;  // got a host slot back: start before the queue
    std::unordered_map<std::string, HostSlot> hosts;
    std::size_t active = 0;
    std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<HeapEntry>> heap;
    std::unordered_map<ares_socket_t, AresSock> ares_socks;
    std::vector<std::uint64_t> deferred;  // c-ares callbacks' follow-ups, run outside c-ares

    explicit Loop(RunnerOptions o) : opts(o) {
        if (opts.max_in_flight == 0) opts.max_in_flight = 1;
        if (opts.max_per_host <= 0) opts.max_per_host = 1;
    }

    std::uint64_t submit(const ProbeDef &def, std::function<void(ProbeResult)> done) {
        auto p = std::make_unique<Probe>();
        p->impl = this;
        p->def = def;
        p->done = std::move(done);
        std::uint64_t id;
        in_flight.fetch_add(1, std::memory_order_acq_rel);
        {
            std::lock_guard<std::mutex> lk(mu);
            id = p->id = next_id++;
            incoming.push_back(std::move(p));
        }
        curl_multi_wakeup(multi);
        return id;
    }

    void request_abort(const std::vector<std::uint64_t> &ids, const std::string &why) {
        {
            std::lock_guard<std::mutex> lk(mu);
            for (auto id : ids) abort_requests.emplace_back(id, why);
        }
        curl_multi_wakeup(multi);
    }

    Probe *find(std::uint64_t id) {
        auto it = probes.find(id);
        return it == probes.end() || it->second->finished ? nullptr : it->second.get();
    }

    // ---- the loop ----

    void loop() {
        std::vector<curl_waitfd> wfds;
        for (;;) {
            std::vector<std::unique_ptr<Probe>> in;
            std::vector<std::pair<std::uint64_t, std::string>> aborts;
            bool stopping;
            {
                std::lock_guard<std::mutex> lk(mu);
                in.swap(incoming);
                aborts.swap(abort_requests);
                stopping = stop;
            }
            for (auto &p : in) {
                queue.push_back(p->id);
                auto id = p->id;
                probes.emplace(id, std::move(p));
            }
            if (stopping) {
                shutdown();
                return;
            }
            for (auto &[id, why] : aborts)
                if (Probe *p = find(id)) abort_probe(p, why);

            start_ready();
            int running = 0;
            curl_multi_perform(multi, &running);
            drain_curl();
            run_checks();
            run_deferred();
            start_ready();
            run_deferred();

            // Sleep until curl, a socket of c-ares, a deadline or a submission wakes us.
            long timeout = 1000;
            if (!heap.empty()) {
                auto wait = heap.top().when - Clock::now();
                long ms = wait.count() <= 0
                              ? 0
                              : static_cast<long>(
                                    std::ceil(std::chrono::duration<double, std::milli>(wait).count()));
                timeout = std::min(timeout, ms);
            }
            if (!deferred.empty()) timeout = 0;
            wfds.clear();
            for (const auto &[fd, s] : ares_socks) {
                curl_waitfd w{};
                w.fd = fd;
                w.events = static_cast<short>((s.readable ? CURL_WAIT_POLLIN : 0) |
                                              (s.writable ? CURL_WAIT_POLLOUT : 0));
                wfds.push_back(w);
            }
            curl_multi_poll(multi, wfds.empty() ? nullptr : wfds.data(), static_cast<unsigned>(wfds.size()),
                            static_cast<int>(timeout), nullptr);
            for (const auto &w : wfds) {
                if (!w.revents) continue;
                auto it = ares_socks.find(w.fd);
                if (it == ares_socks.end()) continue;
                Probe *p = find(it->second.probe);
                if (!p || !p->channel) continue;
                ares_process_fd(p->channel, (w.revents & CURL_WAIT_POLLIN) ? w.fd : ARES_SOCKET_BAD,
                                (w.revents & CURL_WAIT_POLLOUT) ? w.fd : ARES_SOCKET_BAD);
            }
            run_deferred();
        }
    }

    void shutdown() {
        // Callbacks may submit more while we stop: those end the same way.
        for (;;) {
            std::vector<std::uint64_t> ids;
            ids.reserve(probes.size());
            for (const auto &[id, p] : probes) ids.push_back(id);
            std::sort(ids.begin(), ids.end());
            for (auto id : ids)
                if (Probe *p = find(id)) abort_probe(p, "runner stopped");
            std::vector<std::unique_ptr<Probe>> in;
            {
                std::lock_guard<std::mutex> lk(mu);
                in.swap(incoming);
                abort_requests.clear();
            }
            if (in.empty() && probes.empty()) break;
            for (auto &p : in) {
                auto id = p->id;
                probes.emplace(id, std::move(p));
            }
        }
        queue.clear();
        unblocked.clear();
        hosts.clear();
    }

    // ---- scheduling ----

    void start_ready() {
        while (active < opts.max_in_flight) {
            std::uint64_t id;
            if (!unblocked.empty()) {
                id = unblocked.front();
                unblocked.pop_front();
            } else if (!queue.empty()) {
                id = queue.front();
                queue.pop_front();
            } else {
                break;
            }
            Probe *p = find(id);
            if (!p || p->started) continue;
            if (p->host_key.empty()) {
                std::string why;
                if (!prepare(p, why)) {
                    p->res.started_at_ms = unix_ms();
                    p->res.error = why;
                    finish(p);
                    continue;
                }
            }
            HostSlot &h = hosts[p->host_key];
            if (h.active >= opts.max_per_host) {
                h.blocked.push_back(id);
                continue;
            }
            ++h.active;
            ++active;
            p->started = true;
            begin(p);
        }
    }

    void release_slot(Probe *p) {
        if (!p->started) return;
        p->started = false;
        --active;
        auto it = hosts.find(p->host_key);
        if (it == hosts.end()) return;
        HostSlot &h = it->second;
        --h.active;
        while (!h.blocked.empty()) {
            auto id = h.blocked.front();
            h.blocked.pop_front();
            if (find(id)) {
                unblocked.push_back(id);
                break;
            }
        }
        if (h.active <= 0 && h.blocked.empty()) hosts.erase(it);
    }

    void schedule(Probe *p, Clock::time_point when) {
        if (when >= p->next_check) return;
        p->next_check = when;
        heap.push({when, p->id});
    }

    void run_checks() {
        auto now = Clock::now();
        while (!heap.empty() && heap.top().when <= now) {
            HeapEntry e = heap.top();
            heap.pop();
            Probe *p = find(e.id);
            if (!p || e.when != p->next_check) continue;  // stale
            p->next_check = kNever;
            if (p->def.kind == Kind::dns)
                check_dns(p, now);
            else
                check_curl(p, now);
        }
    }

    // Work out host, port and the connection key; false with `why` for a bad definition.
    bool prepare(Probe *p, std::string &why) {
        const ProbeDef &d = p->def;
        p->total_ms = d.timeouts.total > 0 ? d.timeouts.total : 10000;
        if (!d.url.empty()) {
            auto parts = parse_url(d.url, why);
            if (!parts) return false;
            p->target = *parts;
        } else if (!d.host.empty()) {
            p->target.host = (is_ipv6(d.host) ? "[" + d.host + "]" : d.host);
            p->target.port = d.port;
            p->target.scheme = d.kind == Kind::http ? "http" : d.kind == Kind::tcp ? "tcp" : "dns";
        } else {
            why = "probe " + d.name + " has no URL";
            return false;
        }
        const std::string &s = p->target.scheme;
        switch (d.kind) {
        case Kind::http:
            if (s != "http" && s != "https") {
                why = "unsupported scheme " + s + " for an HTTP probe (http or https)";
                return false;
            }
            p->https = s == "https";
            break;
        case Kind::tcp:
            if (p->target.port <= 0 && d.port > 0) p->target.port = d.port;
            if (p->target.port <= 0 || p->target.port > 65535) {
                why = "TCP probe " + d.url + " needs a port (tcp://host:port)";
                return false;
            }
            break;
        case Kind::dns:
            if (p->target.port <= 0) p->target.port = d.port > 0 ? d.port : 53;
            if (d.dns.name.empty()) {
                why = "DNS probe " + d.name + " has no query name";
                return false;
            }
            if (dns_type_code(d.dns.type) < 0) {
                why = "unsupported DNS query type " + d.dns.type;
                return false;
            }
            break;
        }
        p->host_key = lower(p->target.host) + ":" + std::to_string(p->target.port);
        return true;
    }

    void begin(Probe *p) {
        p->start = Clock::now();
        p->res.started_at_ms = unix_ms();
        std::string why;
        bool ok = p->def.kind == Kind::dns ? begin_dns(p, why) : begin_curl(p, why);
        if (!ok) {
            p->res.error = why;
            finish(p);
        }
    }

    // ---- HTTP(S) and TCP through curl ----

    static size_t on_body(char *data, size_t size, size_t n, void *ud) {
        auto *p = static_cast<Probe *>(ud);
        size_t len = size * n;
        p->res.body_bytes += static_cast<std::int64_t>(len);
        std::size_t room = p->def.max_body > p->res.body.size() ? p->def.max_body - p->res.body.size() : 0;
        if (len > room) {
            p->res.body.append(data, room);
            p->res.body_truncated = true;
            p->fail = "body larger than " + std::to_string(p->def.max_body) + " bytes";
            return 0;  // stops the transfer (CURLE_WRITE_ERROR)
        }
        p->res.body.append(data, len);
        return len;
    }

    static size_t on_header(char *, size_t size, size_t n, void *ud) {
        auto *p = static_cast<Probe *>(ud);
        p->header_bytes += static_cast<std::int64_t>(size * n);
        return size * n;
    }

    static int ssl_ctx_index() {
        static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
        return index;
    }

    // The TLS version, as soon as the handshake is done (the connection is
    // gone by the time the transfer ends).
    static void on_ssl_info(const SSL *ssl, int where, int) {
        if (!(where & SSL_CB_HANDSHAKE_DONE)) return;
        auto *p = static_cast<Probe *>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ssl_ctx_index()));
        if (p && !p->finished) p->res.tls_version = SSL_get_version(ssl);
    }

    // curl 7.88 reports CURLINFO_CONNECT_TIME only once TLS is up too, so the
    // TLS phase is noticed here: curl builds the SSL_CTX of a connection
    // right after its TCP connect.
    static CURLcode on_ssl_ctx(CURL *, void *ctx, void *ud) {
        auto *p = static_cast<Probe *>(ud);
        if (p->tls_started == Clock::time_point{}) p->tls_started = Clock::now();
        auto *c = static_cast<SSL_CTX *>(ctx);
        if (ssl_ctx_index() >= 0 && SSL_CTX_set_ex_data(c, ssl_ctx_index(), p) == 1)
            SSL_CTX_set_info_callback(c, on_ssl_info);
        return CURLE_OK;
    }

    bool begin_curl(Probe *p, std::string &why) {
        const ProbeDef &d = p->def;
        CURL *e = curl_easy_init();
        if (!e) {
            why = "curl_easy_init failed";
            return false;
        }
        p->easy = e;
        curl_easy_setopt(e, CURLOPT_PRIVATE, p);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        // Every probe measures a fresh connection: no reuse, no TLS resumption.
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
        // Aborting a transfer while curl's resolver thread still runs must not
        // block the loop (curl would otherwise join the thread).
        curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(p->total_ms));
        curl_easy_setopt(e, CURLOPT_USERAGENT, "libwphost-probe/" WPH_VERSION_STRING);

        if (!d.resolve.empty()) {
            // CURLOPT_RESOLVE writes into the DNS cache; the multi handle's cache
            // is shared by every probe, so these go to a cache of their own.
            p->share = curl_share_init();
            if (p->share) {
                curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
                curl_easy_setopt(e, CURLOPT_SHARE, p->share);
            }
            for (const auto &r : d.resolve) p->resolve = curl_slist_append(p->resolve, r.c_str());
            curl_easy_setopt(e, CURLOPT_RESOLVE, p->resolve);
        }

        if (d.kind == Kind::tcp) {
            std::string url = "http://" + p->target.host + ":" + std::to_string(p->target.port) + "/";
            curl_easy_setopt(e, CURLOPT_URL, url.c_str());
            curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
        } else {
            std::string url = d.url;
            const std::string &sni = d.tls.server_name;
            if (!sni.empty() && !iequals(sni, strip_brackets(p->target.host))) {
                // Name the server `sni` (SNI, certificate check, Host) but
                // connect where the URL points.
                url = replace_host(d.url, sni);
                std::string port = std::to_string(p->target.port);
                std::string entry = sni + ":" + port + ":" + p->target.host + ":" + port;
                p->connect_to = curl_slist_append(p->connect_to, entry.c_str());
                curl_easy_setopt(e, CURLOPT_CONNECT_TO, p->connect_to);
            }
            curl_easy_setopt(e, CURLOPT_URL, url.c_str());
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, d.follow_redirects ? 1L : 0L);
            curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(std::max(0, d.max_redirects)));
            bool has_expect = false;
            for (const auto &[k, v] : d.headers) {
                if (iequals(k, "Expect")) has_expect = true;
                std::string line = v.empty() ? k + ";" : k + ": " + v;
                p->headers = curl_slist_append(p->headers, line.c_str());
            }
            // No "Expect: 100-continue" pause before a body: it would skew first_byte.
            if (!d.body.empty() && !has_expect) p->headers = curl_slist_append(p->headers, "Expect:");
            if (p->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);

            const std::string &m = d.method.empty() ? std::string("GET") : d.method;
            if (!d.body.empty()) {
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(d.body.size()));
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, p->def.body.data());
                if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
            } else if (m == "HEAD") {
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
            } else if (m == "POST") {
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
            } else if (m != "GET") {
                curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
            }

            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, d.tls.verify ? 1L : 0L);
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, d.tls.verify ? 2L : 0L);
            if (!d.tls.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, d.tls.ca_file.c_str());
            if (!d.tls.client_cert.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, d.tls.client_cert.c_str());
            if (!d.tls.client_key.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, d.tls.client_key.c_str());
            curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
            curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
            curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, p);

            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
            curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
            curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
            curl_easy_setopt(e, CURLOPT_HEADERDATA, p);
        }
        CURLMcode mc = curl_multi_add_handle(multi, e);
        if (mc != CURLM_OK) {
            why = std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc);
            return false;
        }
        check_curl(p, Clock::now());
        return true;
    }

    struct CurlTimes {
        curl_off_t t[ph_count] = {0, 0, 0, 0, 0};  // microseconds: dns, connect, tls, first byte, total
    };

    CurlTimes curl_times(Probe *p) {
        CurlTimes ct;
        curl_easy_getinfo(p->easy, CURLINFO_NAMELOOKUP_TIME_T, &ct.t[ph_dns]);
        curl_easy_getinfo(p->easy, CURLINFO_CONNECT_TIME_T, &ct.t[ph_connect]);
        curl_easy_getinfo(p->easy, CURLINFO_APPCONNECT_TIME_T, &ct.t[ph_tls]);
        curl_easy_getinfo(p->easy, CURLINFO_STARTTRANSFER_TIME_T, &ct.t[ph_first_byte]);
        curl_easy_getinfo(p->easy, CURLINFO_TOTAL_TIME_T, &ct.t[ph_body]);
        if (ct.t[ph_connect] == 0 && p->tls_started != Clock::time_point{})
            ct.t[ph_connect] = std::max<curl_off_t>(
                1, std::chrono::duration_cast<std::chrono::microseconds>(p->tls_started - p->start).count());
        return ct;
    }

    // The phases this probe goes through, in order.
    std::vector<Phase> phases(const Probe *p) const {
        if (p->def.kind == Kind::tcp) return {ph_dns, ph_connect};
        if (p->https) return {ph_dns, ph_connect, ph_tls, ph_first_byte};
        return {ph_dns, ph_connect, ph_first_byte};
    }

    static std::int64_t phase_limit(const ProbeDef &d, Phase ph) {
        switch (ph) {
        case ph_dns: return d.timeouts.dns;
        case ph_connect: return d.timeouts.connect;
        case ph_tls: return d.timeouts.tls;
        case ph_first_byte: return d.timeouts.first_byte;
        default: return 0;
        }
    }

    static std::string phase_timeout_text(Phase ph, std::int64_t ms) {
        switch (ph) {
        case ph_dns: return "DNS lookup timed out after " + fmt_ms(ms);
        case ph_connect: return "connect timed out after " + fmt_ms(ms);
        case ph_tls: return "TLS handshake timed out after " + fmt_ms(ms);
        default: return "no first byte after " + fmt_ms(ms);
        }
    }

    // The phase a transfer is in: the first one not reached, counting a phase
    // as reached when a later one was (a zero time can mean "instant").
    // Returns the index into `ph`, or ph.size() when all are done.
    static std::size_t current_phase(const std::vector<Phase> &ph, const CurlTimes &ct) {
        std::size_t cur = 0;
        for (std::size_t i = 0; i < ph.size(); ++i)
            if (ct.t[ph[i]] > 0) cur = i + 1;
        return cur;
    }

    // Per-phase deadlines. A phase's limit counts from the end of the phase
    // before it; phases not begun yet are checked again at the earliest moment
    // their limit could pass, so no deadline is ever missed.
    void check_curl(Probe *p, Clock::time_point now) {
        auto ph = phases(p);
        CurlTimes ct = curl_times(p);
        std::size_t cur = current_phase(ph, ct);
        if (cur >= ph.size()) return;
        auto phase_start = p->start + std::chrono::microseconds(cur == 0 ? 0 : ct.t[ph[cur - 1]]);
        Clock::time_point next = kNever;
        std::int64_t lim = phase_limit(p->def, ph[cur]);
        if (lim > 0) {
            auto deadline = phase_start + std::chrono::milliseconds(lim);
            if (now >= deadline) {
                abort_probe(p, phase_timeout_text(ph[cur], lim));
                return;
            }
            next = deadline;
        }
        for (std::size_t j = cur + 1; j < ph.size(); ++j) {
            std::int64_t l = phase_limit(p->def, ph[j]);
            if (l > 0) next = std::min(next, now + std::chrono::milliseconds(l));
        }
        if (next != kNever) schedule(p, next);
    }

    void fill_curl_info(Probe *p, bool ended_by_curl) {
        CURL *e = p->easy;
        ProbeResult &r = p->res;
        long code = 0;
        if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK) r.status = static_cast<int>(code);
        char *ip = nullptr;
        if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && *ip) r.ip = ip;
        long ver = 0;
        if (r.status > 0 && curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &ver) == CURLE_OK) {
            switch (ver) {
            case CURL_HTTP_VERSION_1_0: r.http_version = "1.0"; break;
            case CURL_HTTP_VERSION_1_1: r.http_version = "1.1"; break;
            case CURL_HTTP_VERSION_2_0: r.http_version = "2"; break;
            case CURL_HTTP_VERSION_3: r.http_version = "3"; break;
            default: break;
            }
        }
        long redirects = 0;
        if (curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects) == CURLE_OK) r.redirects = redirects;

        CurlTimes ct = curl_times(p);
        auto ph = phases(p);
        std::size_t cur = current_phase(ph, ct);
        double *slot[ph_count] = {&r.timings.dns, &r.timings.connect, &r.timings.tls, &r.timings.first_byte,
                                  nullptr};
        for (std::size_t i = 0; i < ph.size(); ++i)
            *slot[ph[i]] = i < cur ? static_cast<double>(ct.t[ph[i]]) / 1e6 : -1.0;
        double elapsed = std::chrono::duration<double>(Clock::now() - p->start).count();
        r.timings.total = ended_by_curl && ct.t[ph_body] > 0 ? static_cast<double>(ct.t[ph_body]) / 1e6 : elapsed;

        r.connected = cur > (p->https ? 2u : 1u) || (p->def.kind == Kind::tcp && cur >= 2);

        if (p->https) {
            curl_certinfo *ci = nullptr;
            if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci) {
                for (int i = 0; i < ci->num_of_certs; ++i)
                    for (curl_slist *s = ci->certinfo[i]; s; s = s->next)
                        if (std::strncmp(s->data, "Expire date:", 12) == 0)
                            if (auto t = parse_cert_time(s->data + 12))
                                if (!r.cert_expiry || *t < *r.cert_expiry) r.cert_expiry = t;
            }
        }
    }

    std::string describe_timeout(Probe *p) {
        CurlTimes ct = curl_times(p);
        auto ph = phases(p);
        std::size_t cur = current_phase(ph, ct);
        static const char *where[] = {"during the DNS lookup", "while connecting", "during the TLS handshake",
                                      "waiting for the first byte", "reading the body"};
        Phase at = cur < ph.size() ? ph[cur] : ph_body;
        return "timed out after " + fmt_ms(p->total_ms) + ", " +
               std::to_string(p->res.body_bytes + p->header_bytes) + " bytes received (" + where[at] + ")";
    }

    std::string describe_error(Probe *p, CURLcode rc) {
        if (!p->fail.empty()) return p->fail;
        std::string eb = p->errbuf;
        auto after = [&](const std::string &prefix) {
            auto at = eb.find(prefix);
            return at == std::string::npos ? eb : eb.substr(at + prefix.size());
        };
        switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
            return describe_timeout(p);
        case CURLE_COULDNT_RESOLVE_HOST: {
            std::string host = eb.rfind("Could not resolve host: ", 0) == 0 ? after("Could not resolve host: ")
                                                                             : strip_brackets(p->target.host);
            return "name does not resolve: " + host;
        }
        case CURLE_COULDNT_CONNECT: {
            long err = 0;
            curl_easy_getinfo(p->easy, CURLINFO_OS_ERRNO, &err);
            std::string where = strip_brackets(p->target.host) + " port " + std::to_string(p->target.port);
            auto a = eb.find("Failed to connect to "), b = eb.find(" after ");
            if (a != std::string::npos && b != std::string::npos && b > a + 21) where = eb.substr(a + 21, b - a - 21);
            std::string what;
            switch (err) {
            case ECONNREFUSED: what = "connection refused"; break;
            case ENETUNREACH: what = "network unreachable"; break;
            case EHOSTUNREACH: what = "host unreachable"; break;
            case ETIMEDOUT: what = "connect timed out"; break;
            case 0: what = "cannot connect"; break;
            default: what = "cannot connect: " + errno_text(static_cast<int>(err)); break;
            }
            return what + " (" + where + ")";
        }
        case CURLE_TOO_MANY_REDIRECTS:
            return "too many redirects (more than " + std::to_string(std::max(0, p->def.max_redirects)) +
                   "): redirect loop?";
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH: {
            std::string why = eb;
            for (const char *prefix : {"SSL certificate problem: ", "SSL: "})
                if (why.rfind(prefix, 0) == 0) why = why.substr(std::strlen(prefix));
            if (why.empty()) why = curl_easy_strerror(rc);
            return "certificate verify failed: " + why;
        }
        case CURLE_SSL_CERTPROBLEM:
            return "client certificate problem: " + (eb.empty() ? std::string(curl_easy_strerror(rc)) : eb);
        case CURLE_SSL_CONNECT_ERROR:
            return "TLS handshake failed: " + (eb.empty() ? std::string(curl_easy_strerror(rc)) : eb);
        case CURLE_GOT_NOTHING:
            return "empty reply: the server closed the connection without answering";
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
            // TLS 1.3: a server that wants a client certificate says so after the handshake.
            if (eb.find("alert certificate required") != std::string::npos)
                return "the server requires a client certificate (" + eb + ")";
            return "connection lost: " + (eb.empty() ? std::string(curl_easy_strerror(rc)) : eb);
        default:
            return eb.empty() ? std::string(curl_easy_strerror(rc)) : eb;
        }
    }

    void drain_curl() {
        std::vector<std::pair<Probe *, CURLcode>> ended;
        int left = 0;
        while (CURLMsg *m = curl_multi_info_read(multi, &left)) {
            if (m->msg != CURLMSG_DONE) continue;
            Probe *p = nullptr;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
            if (p) ended.emplace_back(p, m->data.result);
        }
        for (auto [p, rc] : ended) {
            if (p->finished) continue;
            fill_curl_info(p, true);
            ProbeResult &r = p->res;
            if (rc == CURLE_OK) {
                if (p->def.kind == Kind::tcp) r.connected = true;
                else if (r.status <= 0) r.error = "no HTTP status received";
            } else {
                r.error = describe_error(p, rc);
            }
            r.success = r.connected && r.error.empty() && (p->def.kind == Kind::tcp || r.status > 0);
            finish(p);
        }
    }

    // ---- DNS through c-ares ----

    static void on_ares_sock(void *data, ares_socket_t fd, int readable, int writable) {
        auto *p = static_cast<Probe *>(data);
        auto &socks = p->impl->ares_socks;
        if (!readable && !writable)
            socks.erase(fd);
        else
            socks[fd] = AresSock{p->id, readable != 0, writable != 0};
    }

    static void on_server_addr(void *arg, int status, int, ares_addrinfo *ai) {
        auto *p = static_cast<Probe *>(arg);
        if (!p->finished && p->dns_step == DnsStep::none) {
            if (status == ARES_SUCCESS && ai && ai->nodes) {
                char buf[INET6_ADDRSTRLEN] = {0};
                const sockaddr *sa = ai->nodes->ai_addr;
                if (sa->sa_family == AF_INET)
                    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(sa)->sin_addr, buf, sizeof buf);
                else
                    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_addr, buf, sizeof buf);
                p->dns_server_ip = buf;
                p->dns_step = DnsStep::server_resolved;
            } else {
                p->dns_status = status;
                p->dns_step = DnsStep::server_failed;
            }
            p->impl->deferred.push_back(p->id);
        }
        if (ai) ares_freeaddrinfo(ai);
    }

    static void on_dns_reply(void *arg, int status, int, unsigned char *abuf, int alen) {
        auto *p = static_cast<Probe *>(arg);
        if (p->finished || p->dns_step == DnsStep::replied || p->dns_step == DnsStep::failed) return;
        auto now = Clock::now();
        if (status == ARES_SUCCESS && abuf) {
            std::string why;
            if (parse_dns_reply(abuf, alen, dns_type_code(p->def.dns.type), p->res, why)) {
                p->res.connected = true;
                p->res.timings.dns = std::chrono::duration<double>(now - p->dns_sent).count();
                p->dns_step = DnsStep::replied;
            } else {
                p->res.connected = true;
                p->dns_why = why;
                p->dns_step = DnsStep::failed;
            }
        } else {
            p->dns_status = status;
            p->dns_step = DnsStep::failed;
        }
        p->impl->deferred.push_back(p->id);
    }

    bool new_channel(Probe *p, std::int64_t try_ms, std::string &why) {
        ares_options o{};
        o.flags = ARES_FLAG_NOCHECKRESP;  // hand us SERVFAIL/REFUSED replies instead of trying elsewhere
        o.timeout = static_cast<int>(std::max<std::int64_t>(try_ms, 1));
        o.tries = 2;
        o.sock_state_cb = on_ares_sock;
        o.sock_state_cb_data = p;
        int rc = ares_init_options(&p->channel, &o,
                                   ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
        if (rc != ARES_SUCCESS) {
            p->channel = nullptr;
            why = std::string("ares_init_options: ") + ares_strerror(rc);
            return false;
        }
        return true;
    }

    void destroy_channel(Probe *p) {
        if (!p->channel) return;
        ares_channel ch = p->channel;
        p->channel = nullptr;
        ares_destroy(ch);  // calls on_dns_reply with ARES_EDESTRUCTION: ignored (finished or stepped)
    }

    bool begin_dns(Probe *p, std::string &why) {
        const ProbeDef &d = p->def;
        p->dns_limit_ms = d.timeouts.dns > 0 ? std::min(d.timeouts.dns, p->total_ms) : p->total_ms;
        p->dns_deadline = p->start + std::chrono::milliseconds(p->dns_limit_ms);
        p->dns_port = p->target.port;
        std::string server = strip_brackets(p->target.host);
        if (is_ipv4(server) || is_ipv6(server)) {
            p->dns_server_ip = server;
            if (!send_query(p, why)) return false;
        } else {
            // The server is named: look its address up first (system resolver settings).
            if (!new_channel(p, p->dns_limit_ms / 3, why)) return false;
            ares_addrinfo_hints hints{};
            hints.ai_family = AF_UNSPEC;
            ares_getaddrinfo(p->channel, server.c_str(), nullptr, &hints, on_server_addr, p);
        }
        check_dns(p, Clock::now());
        return true;
    }

    bool send_query(Probe *p, std::string &why) {
        destroy_channel(p);
        p->dns_step = DnsStep::none;
        p->res.ip = p->dns_server_ip;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(p->dns_deadline - Clock::now()).count();
        // Two tries; c-ares doubles the second, so the pair fills the limit.
        if (!new_channel(p, std::max<std::int64_t>(left, 3) / 3, why)) return false;
        std::string csv = is_ipv6(p->dns_server_ip) ? "[" + p->dns_server_ip + "]:" + std::to_string(p->dns_port)
                                                    : p->dns_server_ip + ":" + std::to_string(p->dns_port);
        int rc = ares_set_servers_ports_csv(p->channel, csv.c_str());
        if (rc != ARES_SUCCESS) {
            why = "bad DNS server " + csv + ": " + ares_strerror(rc);
            return false;
        }
        int type = dns_type_code(p->def.dns.type);
        std::string name = type == 12 ? reverse_name(p->def.dns.name) : p->def.dns.name;
        unsigned char *q = nullptr;
        int qlen = 0;
        rc = ares_create_query(name.c_str(), 1 /* IN */, type, 0, 1, &q, &qlen, 0);
        if (rc != ARES_SUCCESS) {
            why = "cannot build a DNS query for " + name + ": " + ares_strerror(rc);
            return false;
        }
        p->dns_sent = Clock::now();
        ares_send(p->channel, q, qlen, on_dns_reply, p);
        ares_free_string(q);
        return true;
    }

    void check_dns(Probe *p, Clock::time_point now) {
        if (now >= p->dns_deadline) {
            abort_probe(p, "DNS query timed out after " + fmt_ms(p->dns_limit_ms));
            return;
        }
        Clock::time_point next = p->dns_deadline;
        if (p->channel) {
            ares_process_fd(p->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' own retries
            timeval tv{};
            if (p->channel && ares_timeout(p->channel, nullptr, &tv))
                next = std::min(next, now + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec) +
                                          std::chrono::milliseconds(1));
        }
        schedule(p, next);
    }

    void run_deferred() {
        while (!deferred.empty()) {
            std::vector<std::uint64_t> ids;
            ids.swap(deferred);
            for (auto id : ids) {
                Probe *p = find(id);
                if (!p) continue;
                std::string why;
                switch (p->dns_step) {
                case DnsStep::server_resolved:
                    if (!send_query(p, why)) {
                        p->res.error = why;
                        finish(p);
                    } else {
                        check_dns(p, Clock::now());
                    }
                    break;
                case DnsStep::server_failed:
                    p->res.error = "name does not resolve: " + strip_brackets(p->target.host) + " (" +
                                   ares_strerror(p->dns_status) + ")";
                    finish(p);
                    break;
                case DnsStep::replied:
                    p->res.success = true;
                    finish(p);
                    break;
                case DnsStep::failed:
                    if (!p->dns_why.empty()) p->res.error = p->dns_why;
                    else if (p->dns_status == ARES_ETIMEOUT)
                        p->res.error = "DNS query timed out after " + fmt_ms(p->dns_limit_ms);
                    else if (p->dns_status == ARES_ECONNREFUSED)
                        p->res.error = "DNS server " + p->dns_server_ip + " port " + std::to_string(p->dns_port) +
                                       " refused the connection";
                    else
                        p->res.error = std::string("DNS query failed: ") + ares_strerror(p->dns_status);
                    finish(p);
                    break;
                case DnsStep::none:
                    break;
                }
            }
        }
    }

    // ---- ending ----

    // Stop a probe wherever it is (queued, connecting, reading) with `why`.
    void abort_probe(Probe *p, const std::string &why) {
        if (p->easy) fill_curl_info(p, false);
        if (!p->started && p->res.started_at_ms == 0) p->res.started_at_ms = unix_ms();
        if (p->def.kind == Kind::dns && p->started)
            p->res.timings.total = std::chrono::duration<double>(Clock::now() - p->start).count();
        p->res.error = why;
        p->res.success = false;
        finish(p);
    }

    void release_transport(Probe *p) {
        if (p->easy) {
            curl_multi_remove_handle(multi, p->easy);
            curl_easy_cleanup(p->easy);
            p->easy = nullptr;
        }
        if (p->share) {
            curl_share_cleanup(p->share);
            p->share = nullptr;
        }
        curl_slist_free_all(p->headers);
        curl_slist_free_all(p->resolve);
        curl_slist_free_all(p->connect_to);
        p->headers = p->resolve = p->connect_to = nullptr;
        destroy_channel(p);
    }

    void finish(Probe *p) {
        p->finished = true;
        release_transport(p);
        release_slot(p);
        ProbeResult &r = p->res;
        r.name = p->def.name;
        r.group = p->def.group;
        r.url = p->def.url;
        if (p->def.kind == Kind::dns && r.timings.total == 0 && p->start != Clock::time_point{})
            r.timings.total = std::chrono::duration<double>(Clock::now() - p->start).count();
        if (!r.error.empty()) r.success = false;
        ProbeResult out = std::move(r);
        auto done = std::move(p->done);
        probes.erase(p->id);  // p is gone from here on
        in_flight.fetch_sub(1, std::memory_order_acq_rel);
        if (done) {
            try {
                done(std::move(out));
            } catch (...) {
                // A callback's exception must not take the loop down.
            }
        }
    }
};

}  // namespace

struct Runner::Impl : Loop {
    using Loop::Loop;
};

// ---------------------------------------------------------------------------

Runner::Runner(RunnerOptions opts) : impl_(std::make_unique<Impl>(opts)) {
    global_init();
    impl_->multi = curl_multi_init();
    if (!impl_->multi) raise(WPH_ENOMEM, "probe", "curl_multi_init failed");
    curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, impl_->opts.max_per_host);
    try {
        impl_->thread = std::thread([this] { impl_->loop(); });
    } catch (const std::system_error &e) {
        curl_multi_cleanup(impl_->multi);
        raise(WPH_ERROR, "probe", std::string("cannot start the probe loop: ") + e.what());
    }
}

Runner::~Runner() {
    {
        std::lock_guard<std::mutex> lk(impl_->mu);
        impl_->stop = true;
    }
    curl_multi_wakeup(impl_->multi);
    if (impl_->thread.joinable()) impl_->thread.join();
    curl_multi_cleanup(impl_->multi);
}

void Runner::submit(const ProbeDef &def, std::function<void(ProbeResult)> done) {
    impl_->submit(def, std::move(done));
}

std::vector<ProbeResult> Runner::run_all(const std::vector<ProbeDef> &defs, const CancelToken *cancel,
                                         const std::function<void(std::size_t, ProbeResult &)> &each) {
    if (defs.empty()) return {};
    if (cancel) cancel->check("probes");
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        std::vector<ProbeResult> results;
        std::size_t remaining = 0;
    };
    auto st = std::make_shared<State>();
    st->results.resize(defs.size());
    st->remaining = defs.size();
    std::vector<std::uint64_t> ids;
    ids.reserve(defs.size());
    for (std::size_t i = 0; i < defs.size(); ++i)
        ids.push_back(impl_->submit(defs[i], [st, i, &each](ProbeResult r) {
            if (each) each(i, r);
            std::lock_guard<std::mutex> lk(st->mu);
            st->results[i] = std::move(r);
            if (--st->remaining == 0) st->cv.notify_all();
        }));
    bool aborted = false;
    std::unique_lock<std::mutex> lk(st->mu);
    while (st->remaining > 0) {
        st->cv.wait_for(lk, std::chrono::milliseconds(50));
        if (cancel && !aborted && cancel->cancelled() && st->remaining > 0) {
            aborted = true;
            lk.unlock();
            impl_->request_abort(ids, "cancelled");
            lk.lock();
        }
    }
    lk.unlock();
    if (cancel && (aborted || cancel->cancelled())) cancel->check("probes");
    return std::move(st->results);
}

std::size_t Runner::in_flight() const { return impl_->in_flight.load(std::memory_order_acquire); }

}  // namespace wph::probe
