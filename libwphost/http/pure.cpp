// The HTTP layer's pure helpers (no I/O, no libcurl): header parsing,
// backoff, redaction, URL encoding, and Response's accessors. Kept apart from
// client.cpp so the fuzz target links them without libcurl.
#include "http/client.hpp"

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>
#include <limits>

#include "engine/error.hpp"

namespace wph::http {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim_sv(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = lower(c);
    return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int month_index(std::string_view m) {
    static constexpr std::array<const char *, 12> names{"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    for (std::size_t i = 0; i < names.size(); ++i)
        if (iequals(m, names[i])) return static_cast<int>(i) + 1;
    return 0;
}

bool is_weekday(std::string_view w) {
    static constexpr std::array<const char *, 7> shortn{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    static constexpr std::array<const char *, 7> longn{"monday", "tuesday", "wednesday", "thursday",
                                                       "friday", "saturday", "sunday"};
    for (auto n : shortn)
        if (iequals(w, n)) return true;
    for (auto n : longn)
        if (iequals(w, n)) return true;
    return false;
}

// A tiny cursor over the date text.
struct Cursor {
    std::string_view s;
    std::size_t i = 0;
    bool done() const { return i >= s.size(); }
    bool lit(char c) {
        if (i < s.size() && s[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
    void spaces() {
        while (i < s.size() && s[i] == ' ') ++i;
    }
    bool space1() {  // at least one space
        if (i >= s.size() || s[i] != ' ') return false;
        spaces();
        return true;
    }
    std::string_view alpha() {
        std::size_t b = i;
        while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
        return s.substr(b, i - b);
    }
    // 1..max_digits digits; exactly `min_digits` at least.
    bool num(int min_digits, int max_digits, int &out) {
        int n = 0, v = 0;
        while (i < s.size() && is_digit(s[i]) && n < max_digits) {
            v = v * 10 + (s[i] - '0');
            ++i;
            ++n;
        }
        if (n < min_digits) return false;
        if (i < s.size() && is_digit(s[i])) return false;  // too many digits
        out = v;
        return true;
    }
    bool time(int &h, int &m, int &sec) {
        return num(2, 2, h) && lit(':') && num(2, 2, m) && lit(':') && num(2, 2, sec);
    }
};

bool valid_date(int y, int mon, int d, int h, int mi, int s) {
    if (y < 1 || mon < 1 || mon > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
    static constexpr int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d <= mdays[mon - 1];
}

// IMF-fixdate, RFC 850 and asctime dates (RFC 9110 section 5.6.7) -> epoch seconds.
std::optional<std::int64_t> parse_http_date(std::string_view v) {
    Cursor c{v};
    std::string_view wd = c.alpha();
    if (!is_weekday(wd)) return std::nullopt;
    int y = 0, mon = 0, d = 0, h = 0, mi = 0, s = 0;
    if (c.lit(',')) {
        if (!c.space1()) return std::nullopt;
        if (!c.num(1, 2, d)) return std::nullopt;
        if (c.lit(' ')) {  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
            mon = month_index(c.alpha());
            if (!mon || !c.lit(' ') || !c.num(4, 4, y) || !c.lit(' ') || !c.time(h, mi, s)) return std::nullopt;
        } else if (c.lit('-')) {  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
            mon = month_index(c.alpha());
            int yy = 0;
            if (!mon || !c.lit('-') || !c.num(2, 4, yy) || !c.lit(' ') || !c.time(h, mi, s)) return std::nullopt;
            y = yy >= 100 ? yy : (yy < 70 ? 2000 + yy : 1900 + yy);
        } else {
            return std::nullopt;
        }
        c.spaces();
        std::string_view zone = c.alpha();
        if (!iequals(zone, "GMT") && !iequals(zone, "UTC")) return std::nullopt;
    } else if (c.space1()) {  // asctime: "Sun Nov  6 08:49:37 1994"
        mon = month_index(c.alpha());
        if (!mon || !c.space1() || !c.num(1, 2, d) || !c.space1() || !c.time(h, mi, s) || !c.space1() ||
            !c.num(4, 4, y))
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    c.spaces();
    if (!c.done()) return std::nullopt;
    if (!valid_date(y, mon, d, h, mi, s)) return std::nullopt;
    return days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + s;
}

// A leading non-negative decimal number ("12", "1.5", "30, 30;w=60"): the
// integer part rounded up when a fraction follows. nullopt for anything else.
std::optional<long long> leading_number(std::string_view v, bool ceil_fraction) {
    v = trim_sv(v);
    std::size_t i = 0;
    long long n = 0;
    bool any = false;
    while (i < v.size() && is_digit(v[i])) {
        if (n > (std::numeric_limits<long long>::max() - 9) / 10) return std::nullopt;
        n = n * 10 + (v[i] - '0');
        ++i;
        any = true;
    }
    if (!any) return std::nullopt;
    if (i < v.size() && v[i] == '.') {
        ++i;
        bool frac = false;
        while (i < v.size() && is_digit(v[i])) {
            if (v[i] != '0') frac = true;
            ++i;
        }
        if (frac && ceil_fraction && n < std::numeric_limits<long long>::max()) ++n;
    }
    // What follows must be a separator, not more of a token ("12abc").
    if (i < v.size() && !(v[i] == ',' || v[i] == ';' || is_space(v[i]))) return std::nullopt;
    return n;
}

}  // namespace

// ---- Retry-After ----

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_epoch_s) {
    value = trim_sv(value);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), is_digit)) {
        // delta-seconds; absurd values are capped (about 31 700 years) rather than overflowing.
        constexpr std::int64_t cap = 1'000'000'000'000LL;
        std::int64_t s = 0;
        for (char ch : value) {
            s = s * 10 + (ch - '0');
            if (s > cap) {
                s = cap;
                break;
            }
        }
        return std::chrono::milliseconds(s * 1000);
    }
    auto when = parse_http_date(value);
    if (!when) return std::nullopt;
    std::int64_t delta = *when - now_epoch_s;
    if (delta < 0) delta = 0;
    return std::chrono::milliseconds(delta * 1000);
}

// ---- backoff ----

std::chrono::milliseconds backoff_delay(const RetryPolicy &p, int failed_attempts, double random01,
                                        std::optional<std::chrono::milliseconds> server_hint) {
    if (server_hint) return std::max(*server_hint, std::chrono::milliseconds(0));
    if (failed_attempts < 1) failed_attempts = 1;
    if (!(random01 >= 0.0)) random01 = 0.0;  // also NaN
    if (random01 >= 1.0) random01 = std::nextafter(1.0, 0.0);
    const double base = static_cast<double>(std::max<std::int64_t>(p.base_delay.count(), 0));
    const double maxd = static_cast<double>(std::max<std::int64_t>(p.max_delay.count(), 0));
    const int exp = std::min(failed_attempts - 1, 62);
    const double cap = std::min(maxd, base * std::ldexp(1.0, exp));
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(cap * random01)));
}

// ---- rate limits ----

RateLimit parse_rate_limit(const Headers &h, std::int64_t now_epoch_s) {
    RateLimit rl;
    auto find = [&](std::initializer_list<std::string_view> names) -> std::optional<std::string_view> {
        for (auto n : names)
            for (const auto &[k, v] : h)
                if (iequals(k, n)) return std::string_view(v);
        return std::nullopt;
    };
    auto reset_of = [&](long long v) -> long long {
        // Hetzner and DigitalOcean send a UNIX timestamp, the IETF draft seconds.
        if (v > 1'000'000'000LL) return std::max<long long>(0, v - now_epoch_s);
        return v;
    };
    if (auto v = find({"ratelimit-limit", "x-ratelimit-limit", "x-rate-limit-limit"}))
        rl.limit = leading_number(*v, false);
    if (auto v = find({"ratelimit-remaining", "x-ratelimit-remaining", "x-rate-limit-remaining"}))
        rl.remaining = leading_number(*v, false);
    if (auto v = find({"ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset", "x-ratelimit-reset-after"}))
        if (auto n = leading_number(*v, true)) rl.reset_after_s = reset_of(*n);

    // The draft's single-header forms: "RateLimit: limit=100, remaining=50, reset=30"
    // and (later drafts) "RateLimit: \"default\";r=50;t=30".
    if (auto v = find({"ratelimit"})) {
        std::string_view s = *v;
        std::size_t i = 0;
        while (i < s.size()) {
            std::size_t j = i;
            while (j < s.size() && s[j] != ',' && s[j] != ';') ++j;
            std::string_view item = trim_sv(s.substr(i, j - i));
            std::size_t eq = item.find('=');
            if (eq != std::string_view::npos) {
                std::string key = to_lower(trim_sv(item.substr(0, eq)));
                auto num = leading_number(item.substr(eq + 1), key == "reset" || key == "t");
                if (num) {
                    if ((key == "limit" || key == "q") && !rl.limit) rl.limit = num;
                    else if ((key == "remaining" || key == "r") && !rl.remaining) rl.remaining = num;
                    else if ((key == "reset" || key == "t") && !rl.reset_after_s) rl.reset_after_s = reset_of(*num);
                }
            }
            i = j + 1;
        }
    }
    return rl;
}

// ---- Link ----

std::map<std::string, std::string> parse_link_header(std::string_view v) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    const std::size_t n = v.size();
    auto skip_ws = [&] {
        while (i < n && is_space(v[i])) ++i;
    };
    // Skip to just after the next comma outside quotes and angle brackets.
    auto recover = [&] {
        bool q = false;
        while (i < n) {
            char c = v[i++];
            if (q) {
                if (c == '\\' && i < n) ++i;
                else if (c == '"') q = false;
            } else if (c == '"') {
                q = true;
            } else if (c == ',') {
                return;
            }
        }
    };
    while (i < n) {
        skip_ws();
        if (i < n && v[i] == ',') {
            ++i;
            continue;
        }
        if (i >= n) break;
        if (v[i] != '<') {
            recover();
            continue;
        }
        std::size_t close = v.find('>', i + 1);
        if (close == std::string_view::npos) break;
        std::string url(trim_sv(v.substr(i + 1, close - i - 1)));
        i = close + 1;
        std::vector<std::string> rels;
        bool bad = false;
        // Parameters: ; name [= token | quoted-string]
        while (true) {
            skip_ws();
            if (i >= n || v[i] == ',') break;
            if (v[i] != ';') {
                bad = true;
                break;
            }
            ++i;
            skip_ws();
            std::size_t b = i;
            while (i < n && !is_space(v[i]) && v[i] != '=' && v[i] != ';' && v[i] != ',') ++i;
            std::string name = to_lower(v.substr(b, i - b));
            skip_ws();
            std::string value;
            if (i < n && v[i] == '=') {
                ++i;
                skip_ws();
                if (i < n && v[i] == '"') {
                    ++i;
                    bool closed = false;
                    while (i < n) {
                        char c = v[i++];
                        if (c == '\\' && i < n) {
                            value += v[i++];
                        } else if (c == '"') {
                            closed = true;
                            break;
                        } else {
                            value += c;
                        }
                    }
                    if (!closed) {
                        bad = true;
                        break;
                    }
                } else {
                    std::size_t vb = i;
                    while (i < n && !is_space(v[i]) && v[i] != ';' && v[i] != ',') ++i;
                    value = std::string(v.substr(vb, i - vb));
                }
            }
            if (name == "rel" && rels.empty()) {  // the first rel parameter counts (RFC 8288 3.3)
                std::size_t k = 0;
                while (k < value.size()) {
                    while (k < value.size() && is_space(value[k])) ++k;
                    std::size_t e = k;
                    while (e < value.size() && !is_space(value[e])) ++e;
                    if (e > k) rels.push_back(to_lower(std::string_view(value).substr(k, e - k)));
                    k = e;
                }
            }
        }
        if (bad) {
            recover();
            continue;
        }
        for (auto &r : rels) out.emplace(r, url);  // first of each rel wins
    }
    return out;
}

// ---- redaction ----

namespace {

bool sensitive_name(std::string_view name) {
    std::string n = to_lower(name);
    // Trim quotes/whitespace a caller may leave around the name.
    for (const char *w : {"token", "password", "passwd", "secret", "signature", "credential", "apikey", "api_key",
                          "api-key", "authorization"})
        if (n.find(w) != std::string::npos) return true;
    return n == "key" || n == "private_key" || n == "privatekey" || n == "private-key";
}

bool header_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// "Authorization: Bearer x" and friends, anywhere in a line: the value up to
// the end of the line becomes "***".
std::string redact_headers(std::string_view s) {
    static constexpr std::array<std::string_view, 7> names{"authorization", "proxy-authorization", "cookie",
                                                           "set-cookie",    "x-auth-key",          "x-amz-security-token",
                                                           "x-auth-token"};
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        // At the start of a header-name-like word?
        if (header_name_char(s[i]) && (i == 0 || !header_name_char(s[i - 1]))) {
            std::size_t e = i;
            while (e < s.size() && header_name_char(s[e])) ++e;
            std::string_view name = s.substr(i, e - i);
            std::size_t colon = e;
            while (colon < s.size() && (s[colon] == ' ' || s[colon] == '\t')) ++colon;
            bool is_header = colon < s.size() && s[colon] == ':';
            if (is_header) {
                bool hit = false;
                for (auto n : names)
                    if (iequals(name, n)) hit = true;
                if (hit) {
                    std::size_t vb = colon + 1;
                    while (vb < s.size() && (s[vb] == ' ' || s[vb] == '\t')) ++vb;
                    std::size_t ve = vb;
                    while (ve < s.size() && s[ve] != '\n' && s[ve] != '\r') ++ve;
                    out.append(s.substr(i, vb - i));
                    if (ve > vb) out += "***";
                    i = ve;
                    continue;
                }
            }
            out.append(name);
            i = e;
            continue;
        }
        out += s[i++];
    }
    return out;
}

bool query_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '%';
}

// name=value after '?', '&', ';' or the start/whitespace.
std::string redact_query(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        bool boundary = i == 0 || s[i - 1] == '?' || s[i - 1] == '&' || s[i - 1] == ';' || is_space(s[i - 1]);
        if (boundary && query_name_char(s[i])) {
            std::size_t e = i;
            while (e < s.size() && query_name_char(s[e])) ++e;
            if (e < s.size() && s[e] == '=' && sensitive_name(s.substr(i, e - i))) {
                std::size_t ve = e + 1;
                while (ve < s.size() && s[ve] != '&' && s[ve] != '#' && s[ve] != '"' && s[ve] != '\'' &&
                       s[ve] != '<' && s[ve] != '>' && !is_space(s[ve]))
                    ++ve;
                out.append(s.substr(i, e + 1 - i));
                if (ve > e + 1) out += "***";
                i = ve;
                continue;
            }
            out.append(s.substr(i, e - i));
            i = e;
            continue;
        }
        out += s[i++];
    }
    return out;
}

// "name": "value" with a sensitive name: the string's content becomes "***".
std::string redact_json(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] != '"') {
            out += s[i++];
            continue;
        }
        // A string: find its end.
        std::size_t e = i + 1;
        while (e < s.size() && s[e] != '"') e += s[e] == '\\' ? 2 : 1;
        if (e >= s.size()) {
            out.append(s.substr(i));
            break;
        }
        std::string_view name = s.substr(i + 1, e - i - 1);
        out.append(s.substr(i, e + 1 - i));
        i = e + 1;
        std::size_t k = i;
        while (k < s.size() && is_space(s[k])) ++k;
        if (k >= s.size() || s[k] != ':' || !sensitive_name(name)) continue;
        ++k;
        while (k < s.size() && is_space(s[k])) ++k;
        if (k >= s.size() || s[k] != '"') continue;
        std::size_t ve = k + 1;
        while (ve < s.size() && s[ve] != '"') ve += s[ve] == '\\' ? 2 : 1;
        out.append(s.substr(i, k + 1 - i));  // the colon, spaces and the opening quote
        out += "***";
        if (ve >= s.size()) {  // unterminated: drop the rest of the value
            i = s.size();
            break;
        }
        out += '"';
        i = ve + 1;
    }
    return out;
}

}  // namespace

std::string redact(std::string_view text, const std::vector<std::string> &secrets) {
    // Every byte inside an occurrence of a secret (in the text as given, so
    // that the "***" put in never matches again) is covered; each run of
    // covered bytes becomes one "***".
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::vector<std::string_view> uniq;
    for (const auto &x : secrets)
        if (!x.empty() && std::find(uniq.begin(), uniq.end(), std::string_view(x)) == uniq.end()) uniq.emplace_back(x);
    for (std::string_view sec : uniq) {
        std::size_t pos = 0;
        std::size_t covered = 0;  // the end of this secret's last span
        while (true) {
            std::size_t f = text.find(sec, pos);
            if (f == std::string_view::npos) break;
            if (f < covered && !spans.empty()) spans.back().second = f + sec.size();  // overlapping: extend
            else spans.emplace_back(f, f + sec.size());
            covered = f + sec.size();
            pos = f + 1;
        }
    }
    std::string s;
    if (spans.empty()) {
        s.assign(text);
    } else {
        std::sort(spans.begin(), spans.end());
        s.reserve(text.size());
        std::size_t at = 0;
        for (std::size_t i = 0; i < spans.size();) {
            std::size_t b = spans[i].first, e = spans[i].second;
            for (++i; i < spans.size() && spans[i].first <= e; ++i) e = std::max(e, spans[i].second);
            s.append(text.substr(at, b - at));
            s += "***";
            at = e;
        }
        s.append(text.substr(at));
    }
    return redact_json(redact_query(redact_headers(s)));
}

// ---- URLs ----

std::string url_encode(std::string_view s, bool keep_slash) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string query_string(const std::vector<std::pair<std::string, std::string>> &params) {
    std::string out;
    for (const auto &[k, v] : params) {
        if (!out.empty()) out += '&';
        out += url_encode(k);
        out += '=';
        out += url_encode(v);
    }
    return out;
}

// ---- Response ----

std::optional<std::string> Response::header(std::string_view name) const {
    for (const auto &[k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

RateLimit Response::rate_limit() const { return parse_rate_limit(headers, static_cast<std::int64_t>(std::time(nullptr))); }

boost::json::value Response::json() const {
    boost::json::parse_options opts;
    opts.max_depth = 256;
    boost::json::stream_parser p({}, opts);
    boost::system::error_code ec;
    std::size_t used = p.write_some(body.data(), body.size(), ec);
    std::size_t at = used;
    if (!ec) {
        if (used < body.size()) {
            // Something after the document (write_some stops at its end).
            std::size_t k = used;
            while (k < body.size() && is_space(body[k])) ++k;
            if (k < body.size()) {
                at = k;
                ec = boost::json::make_error_code(boost::json::error::extra_data);
            }
        }
        if (!ec) {
            p.finish(ec);
            at = body.size();
        }
    }
    if (ec) {
        std::string reason = body.empty() ? std::string("empty body") : ec.message();
        const char *kind = at >= body.size() ? "truncated" : "malformed";
        std::string msg = (provider.empty() ? std::string("http") : provider) + ": " + (what.empty() ? url : what) +
                          ": answer is not valid JSON (" + kind + " at byte " + std::to_string(at) + ": " + reason +
                          ")";
        throw Error(WPH_EPROVIDER, provider.empty() ? "http" : provider, msg, static_cast<int>(status));
    }
    return p.release();
}

}  // namespace wph::http
