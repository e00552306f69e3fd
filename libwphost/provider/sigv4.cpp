#include "provider/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "engine/error.hpp"

namespace wph::provider::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

[[noreturn]] void bad(std::string message) { raise(WPH_EINVALID, "s3", "sigv4: " + std::move(message)); }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Headers never signed: hop-by-hop or changed by proxies and clients.
bool never_signed(std::string_view lname) {
    return lname == "authorization" || lname == "expect" || lname == "transfer-encoding" || lname == "user-agent" ||
           lname == "x-amzn-trace-id" || lname == "connection";
}

std::string scope_of(std::string_view date8, const Options &o) {
    std::string s(date8);
    s += '/';
    s += o.region;
    s += '/';
    s += o.service;
    s += "/aws4_request";
    return s;
}

void check_options(const Options &o) {
    parse_amz_date(o.amz_date);
    if (o.region.empty()) bad("the region is empty");
    if (o.service.empty()) bad("the service is empty");
}

std::string string_to_sign_of(std::string_view amz, std::string_view scope, std::string_view creq) {
    std::string sts(kAlgorithm);
    sts += '\n';
    sts += amz;
    sts += '\n';
    sts += scope;
    sts += '\n';
    sts += sha256_hex(creq);
    return sts;
}

std::string origin_of(const UrlParts &u) {
    std::string s = u.scheme + "://" + u.host;
    if (!u.port.empty()) s += ":" + u.port;
    return s;
}

}  // namespace

// ---------------------------------------------------------------- hashing

std::string hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1)
        raise(WPH_ERROR, "s3", "sigv4: SHA-256 failed");
    return hex(std::string_view(reinterpret_cast<const char *>(md), n));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(ctx_), EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx_));
        raise(WPH_ENOMEM, "s3", "sigv4: cannot set up SHA-256");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx_)); }

void Sha256::update(const void *data, std::size_t n) {
    if (EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(ctx_), data, n) != 1) raise(WPH_ERROR, "s3", "sigv4: SHA-256 failed");
}

std::string Sha256::hex_final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    auto *ctx = static_cast<EVP_MD_CTX *>(ctx_);
    if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
        raise(WPH_ERROR, "s3", "sigv4: SHA-256 failed");
    return hex(std::string_view(reinterpret_cast<const char *>(md), n));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(data.data()),
              data.size(), md, &n))
        raise(WPH_ERROR, "s3", "sigv4: HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char *>(md), n);
}

std::string signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                        std::string_view service) {
    std::string k = "AWS4";
    k += secret;
    std::string k_date = hmac_sha256(k, date8);
    std::fill(k.begin(), k.end(), '\0');
    std::string k_region = hmac_sha256(k_date, region);
    std::string k_service = hmac_sha256(k_region, service);
    return hmac_sha256(k_service, "aws4_request");
}

// ---------------------------------------------------------------- dates

std::string amz_date(std::int64_t epoch_s) {
    std::time_t t = static_cast<std::time_t>(epoch_s);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) bad("time out of range");
    if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1970) bad("time out of range");
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    return buf;
}

std::int64_t parse_amz_date(std::string_view s) {
    auto fail = [&]() -> std::int64_t {
        bad("the time \"" + std::string(s.substr(0, 40)) + "\" is not of the form YYYYMMDDTHHMMSSZ");
    };
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return fail();
    int v[14];
    for (int i = 0, j = 0; i < 15; ++i) {
        if (i == 8) continue;
        if (!std::isdigit(static_cast<unsigned char>(s[static_cast<std::size_t>(i)]))) return fail();
        v[j++] = s[static_cast<std::size_t>(i)] - '0';
    }
    int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    int mo = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    int h = v[8] * 10 + v[9], mi = v[10] * 10 + v[11], se = v[12] * 10 + v[13];
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60) return fail();
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return fail();
    // Days from the civil date (proleptic Gregorian), epoch 1970-01-01.
    int yy = mo <= 2 ? y - 1 : y;
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + mi * 60 + se;
}

// ---------------------------------------------------------------- URLs

std::string UrlParts::host_header() const {
    if (port.empty() || (scheme == "https" && port == "443") || (scheme == "http" && port == "80")) return host;
    return host + ":" + port;
}

UrlParts parse_url(std::string_view url) {
    UrlParts u;
    auto colon = url.find("://");
    if (colon == std::string_view::npos || colon == 0) bad("the URL \"" + std::string(url) + "\" is not absolute");
    u.scheme = lower(url.substr(0, colon));
    for (char c : u.scheme)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
            bad("the URL \"" + std::string(url) + "\" has a malformed scheme");
    std::string_view rest = url.substr(colon + 3);
    auto frag = rest.find('#');
    if (frag != std::string_view::npos) rest = rest.substr(0, frag);
    auto path_at = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_at);
    std::string_view tail = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
    if (authority.find('@') != std::string_view::npos) bad("the URL must not carry user information");
    if (authority.empty()) bad("the URL \"" + std::string(url) + "\" has no host");
    std::string_view hostpart = authority, port;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) bad("the URL \"" + std::string(url) + "\" has a malformed IPv6 host");
        hostpart = authority.substr(0, close + 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') bad("the URL \"" + std::string(url) + "\" has a malformed host");
            port = after.substr(1);
        }
    } else {
        auto c = authority.rfind(':');
        if (c != std::string_view::npos) {
            hostpart = authority.substr(0, c);
            port = authority.substr(c + 1);
        }
    }
    if (hostpart.empty()) bad("the URL \"" + std::string(url) + "\" has no host");
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c))) bad("the URL \"" + std::string(url) + "\" has a malformed port");
    if (port.size() > 5) bad("the URL \"" + std::string(url) + "\" has a malformed port");
    for (char c : hostpart)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '\\' || c == '%')
            bad("the URL \"" + std::string(url) + "\" has a malformed host");
    u.host = lower(hostpart);
    u.port = std::string(port);
    auto q = tail.find('?');
    u.path = std::string(tail.substr(0, q));
    if (q != std::string_view::npos) u.query = std::string(tail.substr(q + 1));
    if (u.path.empty()) u.path = "/";
    return u;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() + s.size() / 2);
    for (unsigned char c : s) {
        if (unreserved(c) || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::string normalize_path(std::string_view path) {
    if (path.empty()) return "/";
    std::vector<std::string_view> segs;
    std::size_t i = 0;
    while (i <= path.size()) {
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view seg = path.substr(i, j - i);
        if (seg == "..") {
            if (!segs.empty()) segs.pop_back();
        } else if (!seg.empty() && seg != ".") {
            segs.push_back(seg);
        }
        i = j + 1;
    }
    std::string out = "/";
    for (std::size_t k = 0; k < segs.size(); ++k) {
        if (k) out += '/';
        out += segs[k];
    }
    if (!segs.empty() && path.back() == '/') out += '/';
    return out;
}

std::string canonical_uri(std::string_view raw_path, bool s3) {
    if (raw_path.empty()) return "/";
    if (s3) return uri_encode(percent_decode(raw_path), true);
    return uri_encode(normalize_path(raw_path), true);
}

std::string canonical_query(std::string_view raw_query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t i = 0;
    while (i <= raw_query.size() && !raw_query.empty()) {
        auto j = raw_query.find('&', i);
        if (j == std::string_view::npos) j = raw_query.size();
        std::string_view pair = raw_query.substr(i, j - i);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            std::string_view k = pair.substr(0, eq);
            std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
            pairs.emplace_back(uri_encode(percent_decode(k), false), uri_encode(percent_decode(v), false));
        }
        i = j + 1;
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto &[k, v] : pairs) {
        if (!out.empty()) out += '&';
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

std::string trim_all(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    bool space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            space = !out.empty();
        } else {
            if (space) out += ' ';
            space = false;
            out += c;
        }
    }
    return out;
}

// ---------------------------------------------------------------- signing

Signed sign(const Request &request, const Credentials &creds, const Options &o) {
    check_options(o);
    if (creds.access_key_id.empty()) bad("the access key id is empty");
    if (request.method.empty()) bad("the method is empty");
    for (char c : request.method)
        if (!std::isupper(static_cast<unsigned char>(c))) bad("the method \"" + request.method + "\" is not an upper-case HTTP method");
    if (request.payload_sha256 != kUnsignedPayload && !is_hex64(request.payload_sha256))
        bad("the payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD");
    const UrlParts u = parse_url(request.url);

    // name -> values in order; names lower-case.
    std::vector<std::pair<std::string, std::vector<std::string>>> hs;
    auto add = [&](std::string name, std::string value) {
        for (auto &[n, vs] : hs)
            if (n == name) {
                vs.push_back(std::move(value));
                return;
            }
        hs.push_back({std::move(name), {std::move(value)}});
    };
    auto drop = [&](std::string_view name) {
        hs.erase(std::remove_if(hs.begin(), hs.end(), [&](const auto &h) { return h.first == name; }), hs.end());
    };
    for (const auto &[name, value] : request.headers) {
        std::string ln = lower(trim_all(name));
        if (ln.empty()) bad("a header has an empty name");
        for (char c : ln)
            if (static_cast<unsigned char>(c) <= 0x20 || c == ':' || static_cast<unsigned char>(c) >= 0x7f)
                bad("the header name \"" + ln + "\" is not a valid HTTP header name");
        for (char c : value)
            if (c == '\r' || c == '\n' || c == '\0') bad("the value of header \"" + ln + "\" contains a line break");
        if (never_signed(ln)) continue;
        add(std::move(ln), trim_all(value));
    }
    bool has_host = std::any_of(hs.begin(), hs.end(), [](const auto &h) { return h.first == "host"; });
    if (!has_host) add("host", u.host_header());
    drop("x-amz-date");
    add("x-amz-date", o.amz_date);
    if (o.s3) {
        drop("x-amz-content-sha256");
        add("x-amz-content-sha256", request.payload_sha256);
    }
    if (!creds.session_token.empty()) {
        drop("x-amz-security-token");
        add("x-amz-security-token", creds.session_token);
    }
    std::sort(hs.begin(), hs.end(), [](const auto &a, const auto &b) { return a.first < b.first; });

    Signed out;
    std::string canonical_headers;
    for (const auto &[n, vs] : hs) {
        canonical_headers += n;
        canonical_headers += ':';
        for (std::size_t k = 0; k < vs.size(); ++k) {
            if (k) canonical_headers += ',';
            canonical_headers += vs[k];
        }
        canonical_headers += '\n';
        if (!out.signed_headers.empty()) out.signed_headers += ';';
        out.signed_headers += n;
    }
    const std::string cpath = canonical_uri(u.path, o.s3);
    const std::string cquery = canonical_query(u.query);
    out.canonical_request = request.method + "\n" + cpath + "\n" + cquery + "\n" + canonical_headers + "\n" +
                            out.signed_headers + "\n" + request.payload_sha256;
    const std::string date8 = o.amz_date.substr(0, 8);
    const std::string scope = scope_of(date8, o);
    out.string_to_sign = string_to_sign_of(o.amz_date, scope, out.canonical_request);
    std::string key = signing_key(creds.secret_access_key, date8, o.region, o.service);
    out.signature = hex(hmac_sha256(key, out.string_to_sign));
    std::fill(key.begin(), key.end(), '\0');
    out.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" + scope +
                        ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature;

    out.headers.emplace_back("x-amz-date", o.amz_date);
    if (o.s3) out.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
    if (!creds.session_token.empty()) out.headers.emplace_back("x-amz-security-token", creds.session_token);
    out.headers.emplace_back("authorization", out.authorization);
    out.url = origin_of(u) + (o.s3 ? cpath : u.path) + (cquery.empty() ? "" : "?" + cquery);
    return out;
}

Presigned presign(std::string_view method, std::string_view url, std::int64_t expires_s, const Credentials &creds,
                  const Options &o) {
    check_options(o);
    if (creds.access_key_id.empty()) bad("the access key id is empty");
    if (expires_s < 1 || expires_s > kMaxPresignExpires)
        bad("the expiry must be between 1 and 604800 seconds (7 days), not " + std::to_string(expires_s));
    if (method.empty()) bad("the method is empty");
    for (char c : method)
        if (!std::isupper(static_cast<unsigned char>(c))) bad("the method \"" + std::string(method) + "\" is not an upper-case HTTP method");
    const UrlParts u = parse_url(url);
    const std::string date8 = o.amz_date.substr(0, 8);
    const std::string scope = scope_of(date8, o);

    std::string query = u.query;
    auto append = [&](std::string_view k, std::string_view v) {
        if (!query.empty()) query += '&';
        query += k;
        query += '=';
        query += uri_encode(v, false);
    };
    append("X-Amz-Algorithm", kAlgorithm);
    append("X-Amz-Credential", creds.access_key_id + "/" + scope);
    append("X-Amz-Date", o.amz_date);
    append("X-Amz-Expires", std::to_string(expires_s));
    if (!creds.session_token.empty()) append("X-Amz-Security-Token", creds.session_token);
    append("X-Amz-SignedHeaders", "host");

    Presigned out;
    const std::string cpath = canonical_uri(u.path, o.s3);
    const std::string cquery = canonical_query(query);
    out.canonical_request = std::string(method) + "\n" + cpath + "\n" + cquery + "\nhost:" + u.host_header() +
                            "\n\nhost\n" + std::string(kUnsignedPayload);
    out.string_to_sign = string_to_sign_of(o.amz_date, scope, out.canonical_request);
    std::string key = signing_key(creds.secret_access_key, date8, o.region, o.service);
    out.signature = hex(hmac_sha256(key, out.string_to_sign));
    std::fill(key.begin(), key.end(), '\0');
    out.url = origin_of(u) + (o.s3 ? cpath : u.path) + "?" + cquery + "&X-Amz-Signature=" + out.signature;
    return out;
}

}  // namespace wph::provider::sigv4
