#include "probe/monitor.hpp"

#include <curl/curl.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <thread>

#include "engine/engine.hpp"
#include "engine/error.hpp"
#include "engine/job.hpp"
#include "probe/report.hpp"
#include "probe/runner.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace wph::probe {

namespace json = boost::json;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ProbeRow to_row(const ProbeResult &r) {
    ProbeRow row;
    row.name = r.name;
    row.group = r.group;
    row.time_ms = r.started_at_ms;
    row.success = r.success;
    row.duration_ms = r.timings.total * 1000.0;
    row.status = r.status;
    row.cert_expiry = r.cert_expiry;
    row.error = r.error;
    auto j = result_to_json(r);
    json::object detail{{"timings", j["timings"]}, {"conditions", j["conditions"]}};
    if (j.contains("ip")) detail["ip"] = j["ip"];
    if (j.contains("dns_rcode")) detail["dns_rcode"] = j["dns_rcode"];
    row.detail = util::to_json(detail);
    return row;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto idx = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
    return v[std::min(idx, v.size() - 1)];
}

size_t discard(char *, size_t size, size_t n, void *) { return size * n; }

// POST an event to a webhook, retried with backoff. Returns the last error ("" on success).
std::string deliver(const Webhook &w, const std::string &body, const std::string &event_type, const std::atomic<bool> &stopping) {
    std::string secret;
    if (!w.secret_file.empty()) {
        auto s = util::read_file_if_exists(w.secret_file, 4096);
        if (!s) return "secret file " + w.secret_file + " not found";
        secret = std::string(util::trim(util::lines(*s).empty() ? std::string_view() : util::lines(*s)[0]));
    }
    std::string last;
    for (int attempt = 0; attempt <= w.retries; ++attempt) {
        if (attempt) {
            // 1 s, 2 s, 4 s, ... (at most 60 s), cut short when stopping.
            auto wait = std::chrono::milliseconds(std::min(60000, 1000 << std::min(attempt - 1, 6)));
            auto end = std::chrono::steady_clock::now() + wait;
            while (std::chrono::steady_clock::now() < end && !stopping) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        CURL *c = curl_easy_init();
        if (!c) return "curl_easy_init failed";
        struct curl_slist *h = nullptr;
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, ("X-Wphost-Event: " + event_type).c_str());
        if (!secret.empty()) h = curl_slist_append(h, ("X-Wphost-Signature: sha256=" + hmac_sha256_hex(secret, body)).c_str());
        char err[CURL_ERROR_SIZE] = {0};
        curl_easy_setopt(c, CURLOPT_URL, w.url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(w.timeout_ms));
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "libwphost-probe");
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (rc == CURLE_OK && status >= 200 && status < 300) return "";
        last = rc != CURLE_OK ? std::string(err[0] ? err : curl_easy_strerror(rc)) : "HTTP status " + std::to_string(status);
        if (stopping && attempt >= 1) break;
    }
    return last;
}

}  // namespace

std::string hmac_sha256_hex(const std::string &key, const std::string &body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(body.data()), body.size(),
         mac, &len);
    static const char *x = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) { out += x[mac[i] >> 4]; out += x[mac[i] & 15]; }
    return out;
}

std::string validate_json(const std::string &defs_json) { return util::to_json(definitions_to_json(parse_definitions(defs_json))); }

std::string run_once(Engine &e, Job &job, const Definitions &defs) {
    Runner runner;
    // Each result is evaluated as it comes and its body dropped, so memory
    // follows the probes in flight, not the length of the list.
    auto results = runner.run_all(defs.probes, &job.cancel_token(), [&](std::size_t i, ProbeResult &r) {
        evaluate(defs.probes[i], r);
        std::string().swap(r.body);
    });
    std::vector<ProbeRow> rows;
    rows.reserve(results.size());
    json::array out;
    out.reserve(results.size());
    for (auto &r : results) {
        rows.push_back(to_row(r));
        out.push_back(result_to_json(r));
    }
    results.clear();
    results.shrink_to_fit();
    e.store().probe_results_insert(rows);
    return json::serialize(out);
}

std::string history_json(Engine &e, const std::string &name, unsigned limit) {
    json::array out;
    for (auto &r : e.store().probe_results(name, 0, limit ? limit : 100)) {
        json::object o{{"name", r.name}, {"group", r.group}, {"time_ms", r.time_ms}, {"success", r.success},
                       {"duration_ms", r.duration_ms}, {"error", r.error}};
        if (r.status) o["status"] = r.status;
        if (r.cert_expiry) o["certificate_expiry"] = *r.cert_expiry;
        std::error_code ec;
        auto d = json::parse(r.detail, ec);
        if (!ec && d.is_object())
            for (auto &kv : d.as_object()) o[kv.key()] = kv.value();
        out.push_back(std::move(o));
    }
    return util::to_json(out);
}

std::string stats_json(Engine &e, const std::string &name, std::int64_t window_seconds) {
    if (window_seconds <= 0) raise(WPH_EINVALID, "probe", "the statistics window must be positive");
    auto since = now_ms() - window_seconds * 1000;
    std::map<std::string, std::vector<ProbeRow>> by;
    for (auto &r : e.store().probe_results(name, since, 0)) by[r.name].push_back(std::move(r));
    std::map<std::string, std::vector<IncidentRow>> incidents;
    for (auto &i : e.store().probe_incidents(name, 1000))
        if (!i.resolved_ms) incidents[i.name].push_back(i);
    json::array out;
    for (auto &[n, rows] : by) {
        std::vector<double> d;
        std::size_t ok = 0;
        for (auto &r : rows) {
            d.push_back(r.duration_ms);
            ok += r.success;
        }
        auto &last = rows.front();
        json::object o{{"name", n},
                       {"group", last.group},
                       {"window_seconds", window_seconds},
                       {"runs", rows.size()},
                       {"successes", ok},
                       {"uptime", rows.empty() ? 0.0 : static_cast<double>(ok) / static_cast<double>(rows.size())},
                       {"latency_ms", {{"p50", percentile(d, 0.5)}, {"p90", percentile(d, 0.9)}, {"p99", percentile(d, 0.99)},
                                       {"max", *std::max_element(d.begin(), d.end())}}},
                       {"last", {{"time_ms", last.time_ms}, {"success", last.success}, {"error", last.error}}},
                       {"open_incident", incidents.count(n) > 0}};
        out.push_back(std::move(o));
    }
    return util::to_json(out);
}

struct Monitor::Impl {
    Engine &engine;
    Definitions defs;
    MonitorOptions opts;
    Runner runner;
    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> completed{0};

    mutable std::mutex latest_mu;
    std::map<std::string, ProbeResult> latest;
    AlertState alerts;  // under latest_mu

    std::mutex sched_mu;
    std::condition_variable sched_cv;
    std::vector<bool> running;  // under sched_mu

    std::mutex out_mu;
    std::condition_variable out_cv;
    std::vector<ProbeRow> rows;          // under out_mu
    std::deque<AlertEvent> events;       // under out_mu
    std::atomic<std::size_t> in_flight{0};

    std::thread scheduler, writer, alerter;

    Impl(Engine &e, Definitions d, MonitorOptions o)
        : engine(e), defs(std::move(d)), opts(std::move(o)), runner(RunnerOptions{opts.max_in_flight, opts.max_per_host}),
          running(defs.probes.size(), false) {
        scheduler = std::thread([this] { schedule(); });
        writer = std::thread([this] { write(); });
        alerter = std::thread([this] { alert(); });
    }

    ~Impl() {
        stopping = true;
        sched_cv.notify_all();
        scheduler.join();
        // Let probes in flight end (each within its total timeout).
        while (in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        out_cv.notify_all();
        writer.join();
        alerter.join();
    }

    void schedule() {
        using clock = std::chrono::steady_clock;
        std::mt19937_64 rng{std::random_device{}()};
        using Item = std::pair<clock::time_point, std::size_t>;
        std::priority_queue<Item, std::vector<Item>, std::greater<>> due;
        auto start = clock::now();
        for (std::size_t i = 0; i < defs.probes.size(); ++i) {
            // Spread the first runs over the first interval (at most 10 s).
            auto spread = std::min<std::int64_t>(defs.probes[i].interval.count(), 10000);
            due.emplace(start + std::chrono::milliseconds(spread > 1 ? static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(spread)) : 0), i);
        }
        std::unique_lock<std::mutex> lock(sched_mu);
        while (!stopping) {
            if (due.empty()) {
                sched_cv.wait(lock, [this] { return stopping.load(); });
                break;
            }
            auto next = due.top().first;
            if (clock::now() < next) {
                sched_cv.wait_until(lock, next, [this] { return stopping.load(); });
                continue;
            }
            auto [when, i] = due.top();
            due.pop();
            auto &def = defs.probes[i];
            // ±5 % jitter keeps probes from lining up.
            auto ms = def.interval.count();
            auto jitter = ms / 20 > 0 ? static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(ms / 10 + 1)) - ms / 20 : 0;
            due.emplace(std::max(when, clock::now()) + std::chrono::milliseconds(ms + jitter), i);
            if (running[i]) continue;  // still running: skip this round rather than pile up
            running[i] = true;
            ++in_flight;
            lock.unlock();
            runner.submit(def, [this, i](ProbeResult r) { finished(i, std::move(r)); });
            lock.lock();
        }
    }

    void finished(std::size_t i, ProbeResult r) {
        auto &def = defs.probes[i];
        evaluate(def, r);
        std::optional<AlertEvent> ev;
        {
            std::lock_guard<std::mutex> l(latest_mu);
            ev = alerts.observe(def, r);
            auto row = to_row(r);
            latest[def.name] = std::move(r);
            std::lock_guard<std::mutex> o(out_mu);
            rows.push_back(std::move(row));
            if (ev) events.push_back(*ev);
        }
        out_cv.notify_all();
        {
            std::lock_guard<std::mutex> l(sched_mu);
            running[i] = false;
        }
        ++completed;
        --in_flight;
    }

    void write() {
        auto last_prune = std::chrono::steady_clock::now() - std::chrono::hours(2);
        for (;;) {
            std::vector<ProbeRow> batch;
            {
                std::unique_lock<std::mutex> l(out_mu);
                out_cv.wait_for(l, std::chrono::milliseconds(250), [this] { return stopping && in_flight == 0; });
                batch.swap(rows);
            }
            try {
                engine.store().probe_results_insert(batch);
                if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours(1)) {
                    engine.store().probe_prune(now_ms() - static_cast<std::int64_t>(opts.retention_days) * 86400000);
                    last_prune = std::chrono::steady_clock::now();
                }
            } catch (const std::exception &) {
                // A busy or full store must not stop the probes; the next batch tries again.
            }
            std::lock_guard<std::mutex> l(out_mu);
            if (stopping && in_flight == 0 && rows.empty()) return;
        }
    }

    void alert() {
        for (;;) {
            AlertEvent ev;
            {
                std::unique_lock<std::mutex> l(out_mu);
                out_cv.wait_for(l, std::chrono::milliseconds(250), [this] { return !events.empty() || (stopping && in_flight == 0); });
                if (events.empty()) {
                    if (stopping && in_flight == 0) return;
                    continue;
                }
                ev = events.front();
                events.pop_front();
            }
            try {
                engine.store().probe_incident(ev.probe, ev.type == "triggered", ev.time_ms, ev.reason);
            } catch (const std::exception &) {
            }
            auto body = util::to_json(ev.to_json());
            if (ev.type == "triggered" && opts.remediate) {
                try { opts.remediate(body); } catch (...) {}
            }
            if (opts.on_event) {
                try { opts.on_event(body); } catch (...) {}
            }
            for (auto &w : defs.webhooks) deliver(w, body, ev.type, stopping);
        }
    }
};

Monitor::Monitor(Engine &e, Definitions defs, MonitorOptions opts)
    : impl_(std::make_unique<Impl>(e, std::move(defs), std::move(opts))) {}

Monitor::~Monitor() = default;

std::string Monitor::metrics() const {
    std::vector<ProbeResult> v;
    {
        std::lock_guard<std::mutex> l(impl_->latest_mu);
        for (auto &[n, r] : impl_->latest) v.push_back(r);
    }
    return prometheus_text(v);
}

std::string Monitor::status_json() const {
    json::array out;
    std::lock_guard<std::mutex> l(impl_->latest_mu);
    for (auto &p : impl_->defs.probes) {
        auto it = impl_->latest.find(p.name);
        if (it == impl_->latest.end()) continue;
        auto o = result_to_json(it->second);
        o["incident"] = impl_->alerts.open(p.name);
        out.push_back(std::move(o));
    }
    return util::to_json(out);
}

std::uint64_t Monitor::completed() const { return impl_->completed.load(); }

}  // namespace wph::probe
