#include "provider/common.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <thread>

#include "engine/error.hpp"
#include "engine/job.hpp"

namespace wph::provider {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

const boost::json::object *as_obj(const boost::json::value *v) { return v && v->is_object() ? &v->get_object() : nullptr; }

std::string str_field(const boost::json::object &o, std::string_view k) {
    auto it = o.find(k);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

boost::json::object member(const boost::json::value &doc, std::string_view key, std::string_view what,
                           std::string_view kind) {
    if (auto *o = as_obj(&doc)) {
        auto it = o->find(key);
        if (it != o->end() && it->value().is_object()) return it->value().get_object();
    }
    std::string k(kind);
    raise(WPH_EPROVIDER, k, k + ": " + std::string(what) + ": the answer has no \"" + std::string(key) + "\" object");
}

milliseconds poll_delay(const PollOptions &poll, int polls_done) {
    double ms = static_cast<double>(poll.initial.count()) * std::pow(1.5, std::clamp(polls_done, 0, 60));
    double cap = static_cast<double>(std::max(poll.max, poll.initial).count());
    return milliseconds(static_cast<long long>(std::min(ms, cap)));
}

PollOptions poll_options_from_json(const boost::json::object &config, std::string_view kind) {
    PollOptions poll;
    auto it = config.find("poll");
    if (it == config.end()) return poll;
    std::string k(kind);
    if (!it->value().is_object()) raise(WPH_EINVALID, k, k + ": \"poll\" must be an object");
    const auto &p = it->value().get_object();
    auto positive = [&](std::string_view key, milliseconds dflt) {
        auto f = p.find(key);
        if (f == p.end()) return dflt;
        if (!f->value().is_int64() || f->value().get_int64() <= 0)
            raise(WPH_EINVALID, k, k + ": \"poll." + std::string(key) + "\" must be a positive integer");
        return milliseconds(f->value().get_int64());
    };
    poll.initial = positive("initial_ms", poll.initial);
    poll.max = positive("max_ms", poll.max);
    return poll;
}

void sleep_for(milliseconds d, const CancelToken *cancel, std::string_view what) {
    auto end = steady_clock::now() + d;
    while (true) {
        if (cancel) cancel->check(what);
        auto now = steady_clock::now();
        if (now >= end) return;
        std::this_thread::sleep_for(std::min<steady_clock::duration>(end - now, milliseconds(50)));
    }
}

http::ClientOptions bearer_client_options(const boost::json::object &config, std::string_view kind,
                                          std::string_view default_endpoint,
                                          std::function<std::string(const boost::json::value *)> error_message) {
    auto opts = http::client_options_from_json(config, std::string(kind), std::string(default_endpoint));
    std::string token = http::secret_from_json(config, "token", kind);
    opts.secrets.push_back(token);
    opts.default_headers.emplace_back("Authorization", "Bearer " + token);
    opts.error_message = [f = std::move(error_message)](const http::Response &, const boost::json::value *body) { return f(body); };
    return opts;
}

}  // namespace wph::provider
