// libFuzzer: the HTTP layer's pure helpers (libwphost/http/pure.cpp), fed
// with the header values and bodies a provider (or anyone in between) can
// send. The input is used whole by every parser, and split for redact():
// its first line is a comma-separated list of secrets, the rest the text.
//   - parse_retry_after: never negative; delta-seconds are exact; a later
//     "now" never means a longer wait;
//   - backoff_delay: within [0, max_delay] without a hint, the hint as given;
//   - parse_rate_limit: no negative numbers;
//   - parse_link_header: rels are lower-case single tokens, URLs hold no '>';
//   - redact: no secret (without '*') survives, and (when no secret has a
//     '*') redacting twice changes nothing more;
//   - url_encode / query_string: only unreserved characters and %XX, and
//     decoding gives the input back;
//   - Response::json: throws nothing but WPH_EPROVIDER naming the request.
#include <boost/json/value.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"
#include "http/client.hpp"

using namespace wph::http;

namespace {
void require(bool ok, const char *what, std::string_view detail) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_http_headers: property violated: %s\n%.*s\n", what, static_cast<int>(detail.size()),
                     detail.data());
        std::abort();
    }
}

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes url_encode's output; "" with ok=false when it holds anything else.
std::string decode(std::string_view s, bool keep_slash, bool &ok) {
    std::string out;
    ok = true;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            int h = i + 2 < s.size() ? hexval(s[i + 1]) : -1, l = i + 2 < s.size() ? hexval(s[i + 2]) : -1;
            if (h < 0 || l < 0) {
                ok = false;
                return {};
            }
            out += static_cast<char>(h * 16 + l);
            i += 2;
        } else if (unreserved(s[i]) || (keep_slash && s[i] == '/')) {
            out += s[i];
        } else {
            ok = false;
            return {};
        }
    }
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t b = 0;
    while (true) {
        std::size_t e = s.find(sep, b);
        out.emplace_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
        if (e == std::string_view::npos) return out;
        b = e + 1;
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string in(reinterpret_cast<const char *>(data), size);
    const std::int64_t now = 1700000000;

    // Retry-After.
    if (auto d = parse_retry_after(in, now)) {
        require(d->count() >= 0, "Retry-After is never negative", in);
        auto later = parse_retry_after(in, now + 10);
        require(later.has_value(), "Retry-After parses the same at any time", in);
        require(*later <= *d, "a later now never waits longer", in);
        std::string_view t = in;
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r' || t.front() == '\n')) t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
        if (!t.empty() && t.size() <= 12 && t.find_first_not_of("0123456789") == std::string_view::npos)
            require(d->count() == std::stoll(std::string(t)) * 1000, "delta-seconds are exact", in);
    }

    // Backoff, with the policy and randomness taken from the input.
    {
        RetryPolicy p;
        auto byte = [&](std::size_t i) { return i < size ? static_cast<unsigned>(data[i]) : 0u; };
        p.base_delay = std::chrono::milliseconds(byte(0) * 1000 + byte(1));
        p.max_delay = std::chrono::milliseconds(byte(2) * 100000 + byte(3));
        const int n = static_cast<int>(byte(4)) - 8;
        const double r = byte(5) / 256.0;
        auto d = backoff_delay(p, n, r, std::nullopt);
        require(d.count() >= 0 && d <= p.max_delay, "backoff within [0, max_delay]", in);
        auto h = backoff_delay(p, n, r, std::chrono::milliseconds(byte(6)));
        require(h.count() == byte(6), "a server hint is used as given", in);
    }

    // Rate limits: the input as header lines.
    {
        Headers hs;
        for (const auto &line : split(in, '\n')) {
            std::size_t c = line.find(':');
            if (c == std::string::npos) continue;
            std::string k = line.substr(0, c);
            for (char &ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            hs.emplace_back(k, line.substr(c + 1));
        }
        for (const char *name : {"ratelimit-reset", "ratelimit-limit", "x-ratelimit-remaining", "ratelimit"})
            hs.emplace_back(name, in);
        RateLimit rl = parse_rate_limit(hs, now);
        require(!rl.limit || *rl.limit >= 0, "limit is not negative", in);
        require(!rl.remaining || *rl.remaining >= 0, "remaining is not negative", in);
        require(!rl.reset_after_s || *rl.reset_after_s >= 0, "reset is not negative", in);
    }

    // Link.
    for (const auto &[rel, url] : parse_link_header(in)) {
        require(!rel.empty(), "rels are not empty", in);
        for (char c : rel) {
            require(!(c >= 'A' && c <= 'Z'), "rels are lower-case", in);
            require(c != ' ' && c != '\t' && c != '\r' && c != '\n', "a rel is one token", in);
        }
        require(url.find('>') == std::string::npos, "URLs hold no '>'", in);
    }

    // Redaction.
    {
        std::size_t nl = in.find('\n');
        std::vector<std::string> secrets = nl == std::string::npos ? std::vector<std::string>{} : split(in.substr(0, nl), ',');
        const std::string text = nl == std::string::npos ? in : in.substr(nl + 1);
        const std::string once = redact(text, secrets);
        bool starless = true;  // a secret with '*' matches the "***" put in its place
        for (const auto &s : secrets) {
            if (s.find('*') != std::string::npos) starless = false;
            else if (!s.empty()) require(once.find(s) == std::string::npos, "no secret survives redaction", in);
        }
        if (starless) require(redact(once, secrets) == once, "redacting twice changes nothing more", in);
    }

    // URL encoding.
    for (bool keep : {false, true}) {
        bool ok = false;
        std::string enc = url_encode(in, keep);
        require(decode(enc, keep, ok) == in && ok, "url_encode decodes back", in);
    }
    {
        std::size_t half = in.size() / 2;
        std::string q = query_string({{in.substr(0, half), in.substr(half)}, {"n", "1"}});
        bool ok = false;
        std::size_t eq = q.find('='), amp = q.find('&');
        require(eq != std::string::npos && amp != std::string::npos && eq < amp, "one = per pair", q);
        require(decode(q.substr(0, eq), false, ok) == in.substr(0, half) && ok, "query names decode back", in);
        require(decode(q.substr(eq + 1, amp - eq - 1), false, ok) == in.substr(half) && ok, "query values decode back", in);
    }

    // A body as JSON.
    {
        Response r;
        r.status = 200;
        r.provider = "fuzz";
        r.what = "GET /x";
        r.body = in;
        try {
            r.json();
        } catch (const wph::Error &e) {
            require(e.code() == WPH_EPROVIDER, "bad JSON is WPH_EPROVIDER", e.message());
            require(e.message().rfind("fuzz: GET /x: answer is not valid JSON (", 0) == 0, "the message names the request",
                    e.message());
            require(e.http_status() == 200, "the error keeps the status", e.message());
        }
    }
    return 0;
}
