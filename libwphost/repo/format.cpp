#include "repo/format.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <cstring>
#include <ctime>

#include "engine/error.hpp"

namespace wph::repo {

namespace json = boost::json;

namespace {

[[noreturn]] void bad(const std::string &what) { raise(WPH_EINVALID, "repo", what); }

// ---------------------------------------------------------------- UTF-8
// Decode one UTF-8 sequence at s[i]; returns the code point and its length,
// or -1 for an invalid sequence (length 1).
std::pair<long, std::size_t> utf8_at(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return {c, 1};
    std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (len == 0 || c > 0xf4 || i + len > s.size()) return {-1, 1};
    long cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (std::size_t k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return {-1, 1};
        cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return {-1, 1};
    return {cp, len};
}

void append_utf8(std::string &out, unsigned long cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

const char kHex[] = "0123456789abcdef";

// Go's strconv.IsPrint for code points >= U+0080 (categories L, M, N, P, S).
struct Range {
    std::uint32_t lo, hi;
};
const Range kPrintable[] = {
#include "repo/printable_ranges.inc"
};

bool go_printable(std::uint32_t cp) {
    auto it = std::upper_bound(std::begin(kPrintable), std::end(kPrintable), cp,
                               [](std::uint32_t v, const Range &r) { return v < r.lo; });
    return it != std::begin(kPrintable) && cp <= std::prev(it)->hi;
}

// ---------------------------------------------------------------- JSON reading helpers
const json::object &as_object(const json::value &v, const char *what) {
    if (!v.is_object()) bad(std::string(what) + " is not a JSON object");
    return v.get_object();
}

const json::value *field(const json::object &o, const char *key) {
    auto it = o.find(key);
    return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string get_string(const json::object &o, const char *key, bool required = false) {
    auto *v = field(o, key);
    if (!v) {
        if (required) bad(std::string("missing \"") + key + "\"");
        return {};
    }
    if (!v->is_string()) bad(std::string("\"") + key + "\" is not a string");
    return std::string(v->get_string());
}

std::uint64_t get_uint(const json::object &o, const char *key, bool required = false) {
    auto *v = field(o, key);
    if (!v) {
        if (required) bad(std::string("missing \"") + key + "\"");
        return 0;
    }
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    bad(std::string("\"") + key + "\" is not a non-negative integer");
}

std::int64_t get_int(const json::object &o, const char *key) {
    auto *v = field(o, key);
    if (!v) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= INT64_MAX) return static_cast<std::int64_t>(v->get_uint64());
    bad(std::string("\"") + key + "\" is not an integer");
}

// A field that restic declares as a 32-bit number: larger values are refused
// (Go's decoder refuses them), never truncated.
std::uint32_t get_u32(const json::object &o, const char *key, bool required = false) {
    auto v = get_uint(o, key, required);
    if (v > UINT32_MAX) bad(std::string("\"") + key + "\" is larger than 32 bits");
    return static_cast<std::uint32_t>(v);
}

Id get_id(const json::object &o, const char *key) {
    Id id{};
    auto s = get_string(o, key, true);
    if (!parse_id(s, id)) bad(std::string("\"") + key + "\" is not a 64-digit hex ID");
    return id;
}

std::optional<Id> get_opt_id(const json::object &o, const char *key) {
    if (!field(o, key)) return std::nullopt;
    return get_id(o, key);
}

Time get_time(const json::object &o, const char *key, bool required) {
    auto s = get_string(o, key, required);
    if (s.empty()) return {};
    auto t = parse_time(s);
    if (!t) bad(std::string("\"") + key + "\" is not an RFC 3339 time: " + s);
    return *t;
}

std::vector<std::string> get_strings(const json::object &o, const char *key) {
    std::vector<std::string> out;
    auto *v = field(o, key);
    if (!v) return out;
    if (!v->is_array()) bad(std::string("\"") + key + "\" is not an array");
    for (auto &e : v->get_array()) {
        if (!e.is_string()) bad(std::string("\"") + key + "\" holds a non-string");
        out.emplace_back(e.get_string());
    }
    return out;
}

json::value parse(std::string_view text, const char *what) {
    boost::system::error_code ec;
    json::parse_options po;
    po.max_depth = 32;
    auto v = json::parse(text, ec, {}, po);
    if (ec) bad(std::string(what) + " is not valid JSON: " + ec.message());
    return v;
}

// ---------------------------------------------------------------- JSON writing helper
// Writes compact JSON objects with fields in the order they are added, the
// way Go's encoding/json writes a struct.
class Writer {
public:
    Writer &begin() { out_.push_back('{'); first_ = true; return *this; }
    Writer &end() { out_.push_back('}'); first_ = false; return *this; }
    Writer &key(const char *k) {
        if (!first_) out_.push_back(',');
        first_ = false;
        out_.push_back('"');
        out_ += k;
        out_ += "\":";
        return *this;
    }
    Writer &str(const char *k, std::string_view v) { key(k); out_ += go_json_string(v); return *this; }
    Writer &raw(const char *k, std::string_view v) { key(k); out_ += v; return *this; }
    Writer &num(const char *k, std::uint64_t v) { key(k); out_ += std::to_string(v); return *this; }
    Writer &inum(const char *k, std::int64_t v) { key(k); out_ += std::to_string(v); return *this; }
    Writer &boolean(const char *k, bool v) { key(k); out_ += v ? "true" : "false"; return *this; }
    Writer &id(const char *k, const Id &v) { key(k); out_ += '"' + to_hex(v) + '"'; return *this; }
    Writer &time(const char *k, const Time &t) { return str(k, format_time(t)); }
    Writer &strings(const char *k, const std::vector<std::string> &v) {
        key(k);
        out_.push_back('[');
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out_.push_back(',');
            out_ += go_json_string(v[i]);
        }
        out_.push_back(']');
        return *this;
    }
    Writer &ids(const char *k, const std::vector<Id> &v) {
        key(k);
        out_.push_back('[');
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out_.push_back(',');
            out_ += '"' + to_hex(v[i]) + '"';
        }
        out_.push_back(']');
        return *this;
    }
    // Start a nested value after key(): the caller appends to text().
    std::string &text() { return out_; }

private:
    std::string out_;
    bool first_ = true;
};

}  // namespace

// ================================================================ encodings

std::string base64_encode(std::string_view data) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v = (std::uint8_t(data[i]) << 16) | (std::uint8_t(data[i + 1]) << 8) | std::uint8_t(data[i + 2]);
        out += {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
    }
    if (i + 1 == data.size()) {
        std::uint32_t v = std::uint8_t(data[i]) << 16;
        out += {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == data.size()) {
        std::uint32_t v = (std::uint8_t(data[i]) << 16) | (std::uint8_t(data[i + 1]) << 8);
        out += {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view t) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (t.size() % 4) return std::nullopt;
    std::string out;
    out.reserve(t.size() / 4 * 3);
    for (std::size_t i = 0; i < t.size(); i += 4) {
        int a = val(t[i]), b = val(t[i + 1]);
        bool last = i + 4 == t.size();
        int c = t[i + 2] == '=' && last ? -2 : val(t[i + 2]);
        int d = t[i + 3] == '=' && last ? -2 : val(t[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)) return std::nullopt;
        std::uint32_t v = (a << 18) | (b << 12) | ((c < 0 ? 0 : c) << 6) | (d < 0 ? 0 : d);
        out.push_back(static_cast<char>(v >> 16));
        if (c >= 0) out.push_back(static_cast<char>((v >> 8) & 0xff));
        if (d >= 0) out.push_back(static_cast<char>(v & 0xff));
    }
    return out;
}

std::string go_json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        auto [cp, len] = utf8_at(s, i);
        i += len;
        if (cp < 0) {
            out += "\\ufffd";
            continue;
        }
        switch (cp) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '<': out += "\\u003c"; continue;
        case '>': out += "\\u003e"; continue;
        case '&': out += "\\u0026"; continue;
        case 0x2028: out += "\\u2028"; continue;
        case 0x2029: out += "\\u2029"; continue;
        default: break;
        }
        if (cp < 0x20) {
            out += "\\u00";
            out.push_back(kHex[cp >> 4]);
            out.push_back(kHex[cp & 15]);
        } else {
            append_utf8(out, static_cast<unsigned long>(cp));
        }
    }
    out.push_back('"');
    return out;
}

std::string go_quote_body(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        auto [cp, len] = utf8_at(s, i);
        if (cp < 0) {
            auto b = static_cast<unsigned char>(s[i]);
            out += "\\x";
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 15]);
            i += 1;
            continue;
        }
        i += len;
        switch (cp) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\a': out += "\\a"; continue;
        case '\b': out += "\\b"; continue;
        case '\f': out += "\\f"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '\v': out += "\\v"; continue;
        default: break;
        }
        if (cp < 0x20 || cp == 0x7f) {
            out += "\\x";
            out.push_back(kHex[cp >> 4]);
            out.push_back(kHex[cp & 15]);
        } else if (cp >= 0x80 && !go_printable(static_cast<std::uint32_t>(cp))) {
            char buf[24];
            if (cp < 0x10000) std::snprintf(buf, sizeof buf, "\\u%04lx", static_cast<unsigned long>(cp));
            else std::snprintf(buf, sizeof buf, "\\U%08lx", static_cast<unsigned long>(cp));
            out += buf;
        } else {
            append_utf8(out, static_cast<unsigned long>(cp));
        }
    }
    return out;
}

std::optional<std::string> go_unquote_body(std::string_view s) {
    std::string out;
    auto hexval = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        // An unescaped quote or newline cannot stand in a Go double-quoted string.
        if (c == '"' || c == '\n') return std::nullopt;
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i >= s.size()) return std::nullopt;
        char e = s[i];
        switch (e) {
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case '\\': out.push_back('\\'); break;
        case '"': out.push_back('"'); break;
        case 'x': {
            if (i + 2 >= s.size()) return std::nullopt;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            out.push_back(static_cast<char>(h * 16 + l));
            i += 2;
            break;
        }
        case 'u':
        case 'U': {
            std::size_t n = e == 'u' ? 4 : 8;
            if (i + n >= s.size()) return std::nullopt;
            unsigned long cp = 0;
            for (std::size_t k = 1; k <= n; ++k) {
                int h = hexval(s[i + k]);
                if (h < 0) return std::nullopt;
                cp = cp * 16 + static_cast<unsigned long>(h);
            }
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
            append_utf8(out, cp);
            i += n;
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                if (i + 2 >= s.size()) return std::nullopt;
                int v = 0;
                for (int k = 0; k < 3; ++k) {
                    char d = s[i + k];
                    if (d < '0' || d > '7') return std::nullopt;
                    v = v * 8 + (d - '0');
                }
                if (v > 255) return std::nullopt;
                out.push_back(static_cast<char>(v));
                i += 2;
                break;
            }
            return std::nullopt;
        }
    }
    return out;
}

// ================================================================ time

Time time_from(std::int64_t sec, std::int32_t nsec) {
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    localtime_r(&t, &tm);
    return Time{sec, nsec, static_cast<std::int32_t>(tm.tm_gmtoff)};
}

Time time_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return time_from(ts.tv_sec, static_cast<std::int32_t>(ts.tv_nsec));
}

std::string format_time(const Time &t) {
    std::time_t wall = static_cast<std::time_t>(t.sec + t.offset);
    std::tm tm{};
    gmtime_r(&wall, &tm);
    int year = std::clamp(tm.tm_year + 1900, 0, 9999);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                          tm.tm_min, tm.tm_sec);
    std::string out(buf, static_cast<std::size_t>(n));
    if (t.nsec) {
        std::snprintf(buf, sizeof buf, ".%09d", t.nsec);
        std::string frac(buf);
        while (frac.back() == '0') frac.pop_back();
        out += frac;
    }
    if (t.offset == 0) {
        out += 'Z';
    } else {
        int off = t.offset < 0 ? -t.offset : t.offset;
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", t.offset < 0 ? '-' : '+', off / 3600, (off / 60) % 60);
        out += buf;
    }
    return out;
}

std::optional<Time> parse_time(std::string_view s) {
    auto num = [&](std::size_t pos, std::size_t len, int &out) {
        if (pos + len > s.size()) return false;
        out = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int Y, M, D, h, m, sec;
    // As strict as Go 1.19's time.Parse(time.RFC3339): 'T' and 'Z' exactly,
    // the day checked against its month, no leap second.
    if (s.size() < 20 || !num(0, 4, Y) || s[4] != '-' || !num(5, 2, M) || s[7] != '-' || !num(8, 2, D) ||
        s[10] != 'T' || !num(11, 2, h) || s[13] != ':' || !num(14, 2, m) || s[16] != ':' || !num(17, 2, sec))
        return std::nullopt;
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 59) return std::nullopt;
    if (D > days_in[M - 1] + (M == 2 && leap ? 1 : 0)) return std::nullopt;
    std::size_t i = 19;
    std::int32_t nsec = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        int digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (digits < 9) nsec = nsec * 10 + (s[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0) return std::nullopt;
        for (int k = digits; k < 9; ++k) nsec *= 10;
    }
    std::int32_t offset = 0;
    if (i < s.size() && s[i] == 'Z') {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om)) return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;  // an offset that could not be written back
        offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    std::int64_t wall = timegm(&tm);
    return Time{wall - offset, nsec, offset};
}

// ================================================================ config

std::string encode_config(const Config &c) {
    char pol[32];
    std::snprintf(pol, sizeof pol, "%llx", static_cast<unsigned long long>(c.chunker_polynomial));
    Writer w;
    w.begin().num("version", c.version).str("id", c.id).str("chunker_polynomial", pol).end();
    return w.text();
}

Config decode_config(std::string_view text) {
    auto v = parse(text, "config");
    auto &o = as_object(v, "config");
    Config c;
    c.version = get_u32(o, "version", true);
    if (c.version < 1 || c.version > 2) bad("unsupported repository version " + std::to_string(c.version));
    c.id = get_string(o, "id", true);
    auto pol = get_string(o, "chunker_polynomial", true);
    if (pol.empty() || pol.size() > 16 || pol.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        bad("chunker_polynomial is not a hexadecimal number");
    c.chunker_polynomial = std::stoull(pol, nullptr, 16);
    return c;
}

// ================================================================ keys

std::string encode_key_file(const KeyFile &k) {
    Writer w;
    w.begin()
        .time("created", k.created)
        .str("username", k.username)
        .str("hostname", k.hostname)
        .str("kdf", "scrypt")
        .num("N", k.N)
        .num("r", k.r)
        .num("p", k.p)
        .str("salt", base64_encode(k.salt))
        .str("data", base64_encode(k.data))
        .end();
    return w.text();
}

KeyFile decode_key_file(std::string_view text) {
    auto v = parse(text, "key file");
    auto &o = as_object(v, "key file");
    KeyFile k;
    if (get_string(o, "kdf", true) != "scrypt") bad("key uses an unknown KDF \"" + get_string(o, "kdf") + "\"");
    k.created = get_time(o, "created", false);
    k.username = get_string(o, "username");
    k.hostname = get_string(o, "hostname");
    k.N = get_uint(o, "N", true);
    auto r = get_uint(o, "r", true), p = get_uint(o, "p", true);
    if (r == 0 || p == 0 || r > (1u << 30) || p > (1u << 30)) bad("scrypt parameters r and p are out of range");
    k.r = static_cast<std::uint32_t>(r);
    k.p = static_cast<std::uint32_t>(p);
    if (k.N < 2 || (k.N & (k.N - 1)) != 0 || k.N >= (1ull << 31)) bad("scrypt parameter N is not a power of two");
    auto salt = base64_decode(get_string(o, "salt", true));
    if (!salt || salt->size() != 64) bad("key salt is not 64 bytes of base64");
    k.salt = *salt;
    auto data = base64_decode(get_string(o, "data", true));
    if (!data) bad("key data is not base64");
    k.data = *data;
    return k;
}

std::string encode_master_key(const MasterKey &k) {
    auto b = [](const auto &a) { return base64_encode(std::string_view(reinterpret_cast<const char *>(a.data()), a.size())); };
    return "{\"mac\":{\"k\":\"" + b(k.mac_k) + "\",\"r\":\"" + b(k.mac_r) + "\"},\"encrypt\":\"" + b(k.encrypt) + "\"}";
}

MasterKey decode_master_key(std::string_view text) {
    auto v = parse(text, "master key");
    auto &o = as_object(v, "master key");
    auto *mac = field(o, "mac");
    if (!mac) bad("master key has no \"mac\"");
    auto &m = as_object(*mac, "master key mac");
    MasterKey k;
    auto fill = [](auto &dst, const std::string &b64, const char *what) {
        auto raw = base64_decode(b64);
        if (!raw || raw->size() != dst.size()) bad(std::string("master key ") + what + " has the wrong size");
        std::memcpy(dst.data(), raw->data(), dst.size());
    };
    fill(k.encrypt, get_string(o, "encrypt", true), "encrypt");
    fill(k.mac_k, get_string(m, "k", true), "mac.k");
    fill(k.mac_r, get_string(m, "r", true), "mac.r");
    if (!k.valid()) bad("master key is all zero");
    return k;
}

// ================================================================ packs and index

const char *blob_type_name(BlobType t) { return t == BlobType::tree ? "tree" : "data"; }

std::string encode_pack_header(const std::vector<PackEntry> &entries) {
    std::string out;
    auto le32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    for (auto &e : entries) {
        bool z = e.uncompressed_length != 0;
        out.push_back(static_cast<char>((z ? 2 : 0) + (e.type == BlobType::tree ? 1 : 0)));
        le32(e.length);
        if (z) le32(e.uncompressed_length);
        out.append(reinterpret_cast<const char *>(e.id.data()), e.id.size());
    }
    return out;
}

std::size_t pack_header_size(const std::vector<PackEntry> &entries) {
    std::size_t n = kCryptoOverhead;
    for (auto &e : entries) n += e.uncompressed_length ? 41 : 37;
    return n;
}

std::vector<PackEntry> decode_pack_header(std::string_view p, unsigned repo_version) {
    std::vector<PackEntry> out;
    std::uint64_t offset = 0;
    auto le32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[at + static_cast<std::size_t>(i)]);
        return v;
    };
    std::size_t i = 0;
    while (i < p.size()) {
        auto type = static_cast<std::uint8_t>(p[i]);
        if (type > 3) bad("pack header has an unknown blob type " + std::to_string(type));
        bool z = type >= 2;
        if (z && repo_version < 2) bad("pack header has a compressed blob in a version 1 repository");
        std::size_t size = z ? 41 : 37;
        if (i + size > p.size()) bad("pack header is truncated");
        PackEntry e;
        e.type = (type & 1) ? BlobType::tree : BlobType::data;
        e.length = le32(i + 1);
        e.uncompressed_length = z ? le32(i + 5) : 0;
        if (z && e.uncompressed_length == 0) bad("pack header has a compressed blob of length 0");
        if (e.length < kCryptoOverhead) bad("pack header has a blob shorter than its encryption overhead");
        std::memcpy(e.id.data(), p.data() + i + size - 32, 32);
        if (offset > UINT32_MAX) bad("pack is too large");
        e.offset = static_cast<std::uint32_t>(offset);
        offset += e.length;
        out.push_back(e);
        i += size;
    }
    return out;
}

std::string encode_index(const IndexFile &idx) {
    Writer w;
    w.begin();
    if (!idx.supersedes.empty()) w.ids("supersedes", idx.supersedes);
    w.key("packs");
    auto &out = w.text();
    out.push_back('[');
    for (std::size_t i = 0; i < idx.packs.size(); ++i) {
        if (i) out.push_back(',');
        auto &p = idx.packs[i];
        out += "{\"id\":\"" + to_hex(p.id) + "\",\"blobs\":[";
        for (std::size_t j = 0; j < p.blobs.size(); ++j) {
            auto &b = p.blobs[j];
            if (j) out.push_back(',');
            out += "{\"id\":\"" + to_hex(b.id) + "\",\"type\":\"" + blob_type_name(b.type) + "\",\"offset\":" +
                   std::to_string(b.offset) + ",\"length\":" + std::to_string(b.length);
            if (b.uncompressed_length) out += ",\"uncompressed_length\":" + std::to_string(b.uncompressed_length);
            out.push_back('}');
        }
        out += "]}";
    }
    out.push_back(']');
    w.end();
    return w.text() + "\n";
}

IndexFile decode_index(std::string_view text, unsigned repo_version) {
    auto v = parse(text, "index");
    IndexFile idx;
    const json::array *packs = nullptr;
    if (v.is_array()) {
        packs = &v.get_array();  // the legacy format: an array of packs
    } else {
        auto &o = as_object(v, "index");
        if (auto *s = field(o, "supersedes")) {
            if (!s->is_array()) bad("index \"supersedes\" is not an array");
            for (auto &e : s->get_array()) {
                Id id{};
                if (!e.is_string() || !parse_id(std::string_view(e.get_string()), id)) bad("index \"supersedes\" holds a bad ID");
                idx.supersedes.push_back(id);
            }
        }
        auto *p = field(o, "packs");
        if (!p || !p->is_array()) bad("index has no \"packs\" array");
        packs = &p->get_array();
    }
    for (auto &pv : *packs) {
        auto &po = as_object(pv, "index pack");
        IndexPack ip;
        ip.id = get_id(po, "id");
        auto *blobs = field(po, "blobs");
        if (!blobs || !blobs->is_array()) bad("index pack has no \"blobs\" array");
        for (auto &bv : blobs->get_array()) {
            auto &bo = as_object(bv, "index blob");
            PackEntry e;
            e.id = get_id(bo, "id");
            auto type = get_string(bo, "type", true);
            if (type == "data") e.type = BlobType::data;
            else if (type == "tree") e.type = BlobType::tree;
            else bad("index blob has an unknown type \"" + type + "\"");
            auto off = get_uint(bo, "offset", true), len = get_uint(bo, "length", true), ul = get_uint(bo, "uncompressed_length");
            if (off > UINT32_MAX || len > UINT32_MAX || ul > UINT32_MAX) bad("index blob offset or length out of range");
            if (len < kCryptoOverhead) bad("index blob is shorter than its encryption overhead");
            if (ul && repo_version < 2) bad("index uses compression, which repository version 1 does not support");
            e.offset = static_cast<std::uint32_t>(off);
            e.length = static_cast<std::uint32_t>(len);
            e.uncompressed_length = static_cast<std::uint32_t>(ul);
            ip.blobs.push_back(e);
        }
        idx.packs.push_back(std::move(ip));
    }
    return idx;
}

// ================================================================ nodes and trees

const char *node_type_name(NodeType t) {
    switch (t) {
    case NodeType::file: return "file";
    case NodeType::dir: return "dir";
    case NodeType::symlink: return "symlink";
    case NodeType::dev: return "dev";
    case NodeType::chardev: return "chardev";
    case NodeType::fifo: return "fifo";
    case NodeType::socket: return "socket";
    }
    return "file";
}

namespace {
constexpr std::uint32_t kGoDir = 1u << 31, kGoSymlink = 1u << 27, kGoDevice = 1u << 26, kGoPipe = 1u << 25,
                        kGoSocket = 1u << 24, kGoSetuid = 1u << 23, kGoSetgid = 1u << 22, kGoCharDevice = 1u << 21,
                        kGoSticky = 1u << 20;
}  // namespace

std::uint32_t go_mode_from_posix(std::uint32_t m) {
    std::uint32_t g = m & 0777;
    switch (m & 0170000) {
    case 0040000: g |= kGoDir; break;
    case 0120000: g |= kGoSymlink; break;
    case 0060000: g |= kGoDevice; break;
    case 0020000: g |= kGoDevice | kGoCharDevice; break;
    case 0010000: g |= kGoPipe; break;
    case 0140000: g |= kGoSocket; break;
    default: break;
    }
    if (m & 04000) g |= kGoSetuid;
    if (m & 02000) g |= kGoSetgid;
    if (m & 01000) g |= kGoSticky;
    return g;
}

std::uint32_t posix_mode_from_go(std::uint32_t g) {
    std::uint32_t m = g & 0777;
    if (g & kGoSetuid) m |= 04000;
    if (g & kGoSetgid) m |= 02000;
    if (g & kGoSticky) m |= 01000;
    return m;
}

namespace {
void encode_node(std::string &out, const Node &n) {
    Writer w;
    w.begin();
    // The name is Go-quoted first (restic's own convention), then JSON-encoded.
    w.str("name", go_quote_body(n.name));
    w.str("type", node_type_name(n.type));
    if (n.mode) w.num("mode", n.mode);
    w.time("mtime", n.mtime).time("atime", n.atime).time("ctime", n.ctime);
    w.num("uid", n.uid).num("gid", n.gid);
    if (!n.user.empty()) w.str("user", n.user);
    if (!n.group.empty()) w.str("group", n.group);
    if (n.inode) w.num("inode", n.inode);
    if (n.device_id) w.num("device_id", n.device_id);
    if (n.size) w.num("size", n.size);
    if (n.links) w.num("links", n.links);
    if (!n.linktarget.empty()) w.str("linktarget", n.linktarget);
    if (!n.xattrs.empty()) {
        w.key("extended_attributes");
        auto &t = w.text();
        t.push_back('[');
        for (std::size_t i = 0; i < n.xattrs.size(); ++i) {
            if (i) t.push_back(',');
            t += "{\"name\":" + go_json_string(n.xattrs[i].name) + ",\"value\":\"" + base64_encode(n.xattrs[i].value) + "\"}";
        }
        t.push_back(']');
    }
    if (n.device) w.num("device", n.device);
    if (n.type == NodeType::file) w.ids("content", n.content);
    else w.raw("content", "null");
    if (n.subtree) w.id("subtree", *n.subtree);
    if (!n.error.empty()) w.str("error", n.error);
    w.end();
    out += w.text();
}

NodeType node_type_from(const std::string &s) {
    static const std::pair<const char *, NodeType> types[] = {
        {"file", NodeType::file}, {"dir", NodeType::dir}, {"symlink", NodeType::symlink}, {"dev", NodeType::dev},
        {"chardev", NodeType::chardev}, {"fifo", NodeType::fifo}, {"socket", NodeType::socket}};
    for (auto &[name, t] : types)
        if (s == name) return t;
    bad("tree node has an unknown type \"" + s + "\"");
}
}  // namespace

std::string encode_tree(const std::vector<Node> &nodes) {
    std::string out = "{\"nodes\":[";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (i) {
            if (!(nodes[i - 1].name < nodes[i].name)) bad("tree nodes are not sorted or not unique at \"" + nodes[i].name + "\"");
            out.push_back(',');
        }
        encode_node(out, nodes[i]);
    }
    out += "]}\n";
    return out;
}

std::vector<Node> decode_tree(std::string_view text) {
    auto v = parse(text, "tree");
    auto &o = as_object(v, "tree");
    auto *nodes = field(o, "nodes");
    std::vector<Node> out;
    if (!nodes) return out;
    if (!nodes->is_array()) bad("tree \"nodes\" is not an array");
    for (auto &nv : nodes->get_array()) {
        auto &no = as_object(nv, "tree node");
        Node n;
        auto quoted = get_string(no, "name", true);
        auto name = go_unquote_body(quoted);
        if (!name) bad("tree node name is not a valid quoted string: " + quoted);
        n.name = std::move(*name);
        if (n.name.empty()) bad("tree node has an empty name");
        n.type = node_type_from(get_string(no, "type", true));
        n.mode = get_u32(no, "mode");
        n.mtime = get_time(no, "mtime", false);
        n.atime = get_time(no, "atime", false);
        n.ctime = get_time(no, "ctime", false);
        n.uid = get_u32(no, "uid");
        n.gid = get_u32(no, "gid");
        n.user = get_string(no, "user");
        n.group = get_string(no, "group");
        n.inode = get_uint(no, "inode");
        n.device_id = get_uint(no, "device_id");
        n.size = get_uint(no, "size");
        n.links = get_uint(no, "links");
        n.linktarget = get_string(no, "linktarget");
        n.device = get_uint(no, "device");
        n.error = get_string(no, "error");
        if (auto *xa = field(no, "extended_attributes")) {
            if (!xa->is_array()) bad("extended_attributes is not an array");
            for (auto &x : xa->get_array()) {
                auto &xo = as_object(x, "extended attribute");
                auto val = base64_decode(get_string(xo, "value"));
                if (!val) bad("extended attribute value is not base64");
                n.xattrs.push_back({get_string(xo, "name", true), *val});
            }
        }
        if (auto *c = field(no, "content")) {
            if (!c->is_array()) bad("tree node content is not an array");
            for (auto &e : c->get_array()) {
                Id id{};
                if (!e.is_string() || !parse_id(std::string_view(e.get_string()), id)) bad("tree node content holds a bad ID");
                n.content.push_back(id);
            }
        } else if (n.type == NodeType::file) {
            bad("file node \"" + n.name + "\" has no content list");
        }
        n.subtree = get_opt_id(no, "subtree");
        if (n.type == NodeType::dir && !n.subtree) bad("directory node \"" + n.name + "\" has no subtree");
        out.push_back(std::move(n));
    }
    return out;
}

// ================================================================ snapshots

std::string encode_snapshot(const Snapshot &s) {
    Writer w;
    w.begin().time("time", s.time);
    if (s.parent) w.id("parent", *s.parent);
    w.id("tree", s.tree).strings("paths", s.paths);
    if (!s.hostname.empty()) w.str("hostname", s.hostname);
    if (!s.username.empty()) w.str("username", s.username);
    if (s.uid) w.num("uid", s.uid);
    if (s.gid) w.num("gid", s.gid);
    if (!s.excludes.empty()) w.strings("excludes", s.excludes);
    if (!s.tags.empty()) w.strings("tags", s.tags);
    if (s.original) w.id("original", *s.original);
    w.end();
    return w.text();
}

Snapshot decode_snapshot(std::string_view text) {
    auto v = parse(text, "snapshot");
    auto &o = as_object(v, "snapshot");
    Snapshot s;
    s.time = get_time(o, "time", true);
    s.parent = get_opt_id(o, "parent");
    s.tree = get_id(o, "tree");
    s.paths = get_strings(o, "paths");
    s.hostname = get_string(o, "hostname");
    s.username = get_string(o, "username");
    s.uid = get_u32(o, "uid");
    s.gid = get_u32(o, "gid");
    s.excludes = get_strings(o, "excludes");
    s.tags = get_strings(o, "tags");
    s.original = get_opt_id(o, "original");
    return s;
}

// ================================================================ locks

std::string encode_lock(const Lock &l) {
    Writer w;
    w.begin().time("time", l.time).boolean("exclusive", l.exclusive).str("hostname", l.hostname).str("username", l.username)
        .inum("pid", l.pid);
    if (l.uid) w.num("uid", l.uid);
    if (l.gid) w.num("gid", l.gid);
    w.end();
    return w.text();
}

Lock decode_lock(std::string_view text) {
    auto v = parse(text, "lock");
    auto &o = as_object(v, "lock");
    Lock l;
    l.time = get_time(o, "time", true);
    if (auto *e = field(o, "exclusive")) {
        if (!e->is_bool()) bad("lock \"exclusive\" is not a boolean");
        l.exclusive = e->get_bool();
    }
    l.hostname = get_string(o, "hostname");
    l.username = get_string(o, "username");
    l.pid = get_int(o, "pid");
    l.uid = get_u32(o, "uid");
    l.gid = get_u32(o, "gid");
    return l;
}

}  // namespace wph::repo
