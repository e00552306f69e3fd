#include "probe/report.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "probe/condition.hpp"

namespace wph::probe {

namespace json = boost::json;

void evaluate(const ProbeDef &def, ProbeResult &r) {
    r.conditions.clear();
    // A DNS probe's [BODY] is its first answer (Gatus's convention).
    if (def.kind == Kind::dns && r.body.empty() && !r.dns_answers.empty()) r.body = r.dns_answers.front();
    bool answered = r.error.empty();
    bool all = true;
    for (auto &c : def.conditions) {
        auto cr = evaluate_condition(c, r);
        all = all && cr.success;
        r.conditions.push_back(std::move(cr));
    }
    r.success = answered && all;
}

std::string failure_reason(const ProbeResult &r) {
    if (!r.error.empty()) return r.error;
    for (auto &c : r.conditions)
        if (!c.success) return "condition failed: " + (c.detail.empty() ? c.condition : c.detail);
    return "";
}

json::object result_to_json(const ProbeResult &r) {
    json::array conds;
    for (auto &c : r.conditions) conds.push_back(json::object{{"condition", c.condition}, {"success", c.success}, {"detail", c.detail}});
    auto t = [](double v) { return v < 0 ? json::value(nullptr) : json::value(std::round(v * 1e6) / 1e6); };
    json::object o{{"name", r.name},
                   {"group", r.group},
                   {"url", r.url},
                   {"time_ms", r.started_at_ms},
                   {"success", r.success},
                   {"connected", r.connected},
                   {"error", r.error},
                   {"timings", {{"dns", t(r.timings.dns)}, {"connect", t(r.timings.connect)}, {"tls", t(r.timings.tls)},
                                {"first_byte", t(r.timings.first_byte)}, {"total", t(r.timings.total)}}},
                   {"conditions", conds}};
    if (r.status) o["status"] = r.status;
    if (!r.ip.empty()) o["ip"] = r.ip;
    if (!r.http_version.empty()) o["http_version"] = r.http_version;
    if (r.redirects) o["redirects"] = r.redirects;
    if (r.body_bytes) o["body_bytes"] = r.body_bytes;
    if (r.body_truncated) o["body_truncated"] = true;
    if (r.cert_expiry) o["certificate_expiry"] = *r.cert_expiry;
    if (!r.tls_version.empty()) o["tls_version"] = r.tls_version;
    if (!r.dns_rcode.empty()) {
        o["dns_rcode"] = r.dns_rcode;
        json::array a;
        for (auto &x : r.dns_answers) a.emplace_back(x);
        o["dns_answers"] = a;
    }
    return o;
}

namespace {
// A label value: backslash, double quote and newline escaped.
std::string label(const std::string &s) {
    std::string o;
    for (char c : s) {
        if (c == '\\') o += "\\\\";
        else if (c == '"') o += "\\\"";
        else if (c == '\n') o += "\\n";
        else o += c;
    }
    return o;
}

// The shortest text that reads back as the same double ("0.008", "1795412345").
std::string num(double v) {
    char b[64];
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(b, sizeof b, "%.0f", v);
        return b;
    }
    auto [end, ec] = std::to_chars(b, b + sizeof b, v);
    return ec == std::errc() ? std::string(b, end) : std::string("NaN");
}

struct Family {
    const char *name, *type, *help;
};
}  // namespace

std::string prometheus_text(const std::vector<ProbeResult> &latest) {
    // Families in blackbox_exporter's names; each family's samples together.
    const Family fam[] = {
        {"probe_success", "gauge", "Displays whether or not the probe was a success"},
        {"probe_duration_seconds", "gauge", "Returns how long the probe took to complete in seconds"},
        {"probe_http_duration_seconds", "gauge", "Duration of http request by phase, summed over all redirects"},
        {"probe_http_status_code", "gauge", "Response HTTP status code"},
        {"probe_http_content_length", "gauge", "Length of http content response"},
        {"probe_http_redirects", "gauge", "The number of redirects"},
        {"probe_http_ssl", "gauge", "Indicates if SSL was used for the final redirect"},
        {"probe_http_version", "gauge", "Returns the version of HTTP of the probe response"},
        {"probe_ssl_earliest_cert_expiry", "gauge", "Returns last SSL chain expiry in unixtime"},
        {"probe_dns_lookup_time_seconds", "gauge", "Returns the time taken for probe dns lookup in seconds"},
        {"probe_dns_rcode", "gauge", "DNS response code of the probe: 1 for the code seen"},
        {"probe_dns_answer_rrs", "gauge", "Returns number of entries in the answer resource record list"},
    };
    std::string out;
    for (auto &f : fam) {
        std::string body;
        for (auto &r : latest) {
            std::string lbl = "probe=\"" + label(r.name) + "\",group=\"" + label(r.group) + "\",target=\"" + label(r.url) + "\"";
            auto line = [&](const std::string &extra, double v) {
                body += std::string(f.name) + "{" + lbl + extra + "} " + num(v) + "\n";
            };
            std::string n = f.name;
            bool http = r.url.rfind("http", 0) == 0;
            bool dns = !r.dns_rcode.empty() || r.url.rfind("dns://", 0) == 0;
            if (n == "probe_success") line("", r.success ? 1 : 0);
            else if (n == "probe_duration_seconds") line("", r.timings.total);
            else if (n == "probe_http_duration_seconds" && http) {
                auto at = [](double x) { return x < 0 ? 0.0 : x; };
                double dns_t = at(r.timings.dns), conn = at(r.timings.connect), tls = at(r.timings.tls), fb = at(r.timings.first_byte);
                line(",phase=\"resolve\"", dns_t);
                line(",phase=\"connect\"", conn > dns_t ? conn - dns_t : 0);
                line(",phase=\"tls\"", tls > conn ? tls - conn : 0);
                double before = std::max({dns_t, conn, tls});
                line(",phase=\"processing\"", fb > before ? fb - before : 0);
                line(",phase=\"transfer\"", fb > 0 && r.timings.total > fb ? r.timings.total - fb : 0);
            } else if (n == "probe_http_status_code" && http) line("", r.status);
            else if (n == "probe_http_content_length" && http) line("", static_cast<double>(r.body_bytes));
            else if (n == "probe_http_redirects" && http) line("", static_cast<double>(r.redirects));
            else if (n == "probe_http_ssl" && http) line("", r.url.rfind("https://", 0) == 0 ? 1 : 0);
            else if (n == "probe_http_version" && http && !r.http_version.empty()) line("", std::atof(r.http_version.c_str()));
            else if (n == "probe_ssl_earliest_cert_expiry" && r.cert_expiry) line("", static_cast<double>(*r.cert_expiry));
            else if (n == "probe_dns_lookup_time_seconds") line("", r.timings.dns < 0 ? 0 : r.timings.dns);
            else if (n == "probe_dns_rcode" && dns && !r.dns_rcode.empty()) line(",rcode=\"" + label(r.dns_rcode) + "\"", 1);
            else if (n == "probe_dns_answer_rrs" && dns) line("", static_cast<double>(r.dns_answers.size()));
        }
        if (body.empty()) continue;
        out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n" + body;
    }
    return out;
}

json::object AlertEvent::to_json() const {
    return {{"type", type}, {"probe", probe}, {"group", group}, {"url", url}, {"consecutive", consecutive},
            {"reason", reason}, {"time_ms", time_ms}};
}

std::optional<AlertEvent> AlertState::observe(const ProbeDef &def, const ProbeResult &r) {
    auto &c = by_probe_[def.name];
    if (r.success) {
        c.failures = 0;
        ++c.successes;
        if (c.open && c.successes >= def.success_threshold) {
            c.open = false;
            return AlertEvent{"resolved", def.name, def.group, def.url, c.successes, "", r.started_at_ms};
        }
    } else {
        c.successes = 0;
        ++c.failures;
        if (!c.open && c.failures >= def.failure_threshold) {
            c.open = true;
            return AlertEvent{"triggered", def.name, def.group, def.url, c.failures, failure_reason(r), r.started_at_ms};
        }
    }
    return std::nullopt;
}

bool AlertState::open(const std::string &probe) const {
    auto it = by_probe_.find(probe);
    return it != by_probe_.end() && it->second.open;
}

}  // namespace wph::probe
