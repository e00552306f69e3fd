// The condition language: parsing (validate_condition), evaluation against a
// ProbeResult (evaluate_condition) and the WordPress health conditions.
//
// Grammar (one condition, at most 1000 bytes, no control characters):
//
//   condition   := left " " op " " right          (spaces around op required;
//                                                  more spaces are fine)
//   op          := "==" | "!=" | "<" | "<=" | ">" | ">="
//   left        := value
//   right       := value | literal | "pat(" glob ")" | "any(" item ("," item)* ")"
//   value       := placeholder | "len(" body ")" | "has(" body path ")"
//   placeholder := "[STATUS]" | "[RESPONSE_TIME]" | body | "[CONNECTED]"
//                | "[CERTIFICATE_EXPIRATION]" | "[DNS_RCODE]" | "[IP]"
//   body        := "[BODY]" path?
//   path        := ( "." key | "[" digits "]" )+  key: no ".", "[", "]"
//
// The operator is the only run of the characters = ! < > that stands alone
// (between spaces, or at an end) outside brackets and parentheses; brackets
// and parentheses must balance over the whole text. A right side that starts
// with "[" and an upper-case name ("[IP]") is a placeholder; any other
// right side that is not a function call is literal text, taken as written.
#include "probe/condition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "engine/error.hpp"

namespace wph::probe {

namespace {

constexpr std::size_t kMaxConditionBytes = 1000;
constexpr std::size_t kShownMax = 80;  // a value shown in a detail, at most

// ---- small text helpers

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || is_upper(c) || c == '_'; }
bool is_ident(char c) { return is_ident_start(c) || is_digit(c); }
bool is_op_char(char c) { return c == '=' || c == '!' || c == '<' || c == '>'; }
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

std::string hex_byte(unsigned char c) {
    static const char digits[] = "0123456789abcdef";
    return std::string{'\\', 'x', digits[c >> 4], digits[c & 15]};
}

// Length of a well-formed UTF-8 sequence starting at s[i], or 0.
std::size_t utf8_len(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if (!is_continuation(static_cast<unsigned char>(s[i + k]))) return 0;
    return n;
}

// A value as shown in a detail or a message: one line, control characters and
// malformed UTF-8 escaped, cut (with "...") to at most `max` bytes.
std::string shown(std::string_view s, std::size_t max = kShownMax) {
    std::string out;
    std::vector<std::size_t> cuts;  // out.size() after each piece
    std::size_t i = 0;
    while (i < s.size() && out.size() <= max) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '\n') out += "\\n", ++i;
        else if (c == '\r') out += "\\r", ++i;
        else if (c == '\t') out += "\\t", ++i;
        else if (is_control(c)) out += hex_byte(c), ++i;
        else if (c < 0x80) out += static_cast<char>(c), ++i;
        else if (std::size_t n = utf8_len(s, i)) out.append(s.substr(i, n)), i += n;
        else out += hex_byte(c), ++i;
        cuts.push_back(out.size());
    }
    if (i == s.size() && out.size() <= max) return out;
    std::size_t keep = 0;
    for (std::size_t c : cuts)
        if (c + 3 <= max) keep = c;
    out.resize(keep);
    return out + "...";
}

std::string quoted(std::string_view s) { return "\"" + shown(s, 40) + "\""; }

[[noreturn]] void bad(std::string_view text, const std::string &what) {
    raise(WPH_EINVALID, "probe", "condition \"" + shown(text, 120) + "\": " + what);
}

// Levenshtein distance of two short strings (for "did you mean").
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char &c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

// ---- numbers: exact comparison of decimal text (no overflow, no rounding)

struct Number {
    bool negative = false;
    std::string digits;      // no leading or trailing zeros; empty for zero
    std::int64_t exponent = 0;  // value = 0.<digits> x 10^exponent
};

// [+-]digits[.digits][(e|E)[+-]digits]
std::optional<Number> parse_number(std::string_view s) {
    std::size_t i = 0, n = s.size();
    Number r;
    if (i < n && (s[i] == '+' || s[i] == '-')) r.negative = s[i++] == '-';
    std::size_t int_start = i;
    while (i < n && is_digit(s[i])) ++i;
    std::string_view int_part = s.substr(int_start, i - int_start), frac;
    if (int_part.empty()) return std::nullopt;
    if (i < n && s[i] == '.') {
        std::size_t f = ++i;
        while (i < n && is_digit(s[i])) ++i;
        if (i == f) return std::nullopt;
        frac = s.substr(f, i - f);
    }
    std::int64_t e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool neg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
        std::size_t es = i;
        while (i < n && is_digit(s[i])) {
            if (e < 1000000000000) e = e * 10 + (s[i] - '0');  // saturates far beyond any real value
            ++i;
        }
        if (i == es) return std::nullopt;
        if (neg) e = -e;
    }
    if (i != n) return std::nullopt;
    std::string all = std::string(int_part) + std::string(frac);
    std::size_t lead = all.find_first_not_of('0');
    if (lead == std::string::npos) return Number{};  // zero (sign dropped)
    r.exponent = static_cast<std::int64_t>(int_part.size()) - static_cast<std::int64_t>(lead) + e;
    all.erase(0, lead);
    all.erase(all.find_last_not_of('0') + 1);
    r.digits = std::move(all);
    return r;
}

int compare(const Number &a, const Number &b) {
    int sa = a.digits.empty() ? 0 : a.negative ? -1 : 1;
    int sb = b.digits.empty() ? 0 : b.negative ? -1 : 1;
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    int mag;
    if (a.exponent != b.exponent) mag = a.exponent < b.exponent ? -1 : 1;
    else {
        int c = a.digits.compare(b.digits);
        mag = c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return sa > 0 ? mag : -mag;
}

// ---- durations

// parse_duration_ms, for text it can take without overflowing.
std::optional<std::int64_t> duration_ms(std::string_view s) {
    if (s.empty() || s.size() > 32) return std::nullopt;
    bool all_digits = std::all_of(s.begin(), s.end(), is_digit);
    if (all_digits) {
        if (s.size() > 18) return std::nullopt;
    } else {
        std::size_t run = 0;
        for (char c : s) {
            run = is_digit(c) ? run + 1 : 0;
            if (run > 9) return std::nullopt;  // 999999999d and 16 such terms fit in int64
        }
    }
    return parse_duration_ms(std::string(s));
}

std::string format_duration(std::int64_t ms) {
    std::string out = ms < 0 ? "-" : "";
    std::uint64_t v = ms < 0 ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
    if (v < 1000) return out + std::to_string(v) + "ms";
    const std::pair<std::uint64_t, const char *> units[] = {
        {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    bool below_minute = v < 60000;
    for (auto [size, name] : units) {
        if (v >= size) out += std::to_string(v / size) + name;
        v %= size;
    }
    if (below_minute && v) out += std::to_string(v) + "ms";
    return out;
}

std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    return r;
}

std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    return r;
}

// ---- glob patterns: * any run, ? one character (UTF-8), the whole text

// Next and previous character boundaries: a character is a byte that is not a
// UTF-8 continuation byte with the continuation bytes after it.
std::size_t next_char(std::string_view s, std::size_t i) {
    ++i;
    while (i < s.size() && is_continuation(static_cast<unsigned char>(s[i]))) ++i;
    return i;
}
std::size_t prev_char(std::string_view s, std::size_t i) {
    --i;
    while (i > 0 && is_continuation(static_cast<unsigned char>(s[i]))) --i;
    return i;
}

// A star-free piece of a pattern matched forward from `pos`: its end, or npos.
std::size_t match_forward(std::string_view piece, std::string_view s, std::size_t pos) {
    for (char p : piece) {
        if (pos >= s.size()) return std::string_view::npos;
        if (p == '?') pos = next_char(s, pos);
        else if (s[pos] == p) ++pos;
        else return std::string_view::npos;
    }
    return pos;
}

// ... matched backward so that it ends at `end`: its start, or npos.
std::size_t match_backward(std::string_view piece, std::string_view s, std::size_t end) {
    for (std::size_t k = piece.size(); k-- > 0;) {
        if (end == 0) return std::string_view::npos;
        if (piece[k] == '?') end = prev_char(s, end);
        else if (s[end - 1] == piece[k]) --end;
        else return std::string_view::npos;
    }
    return end;
}

bool glob_match(std::string_view pattern, std::string_view s) {
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    for (;;) {
        std::size_t star = pattern.find('*', start);
        pieces.push_back(pattern.substr(start, star == std::string_view::npos ? std::string_view::npos : star - start));
        if (star == std::string_view::npos) break;
        start = star + 1;
    }
    constexpr auto npos = std::string_view::npos;
    if (pieces.size() == 1) return match_forward(pieces[0], s, 0) == s.size();
    std::size_t pos = match_forward(pieces.front(), s, 0);
    if (pos == npos) return false;
    std::size_t limit = match_backward(pieces.back(), s, s.size());
    if (limit == npos || limit < pos) return false;
    // The pieces between stars, each at its leftmost place (the end of a
    // match only grows with its start, so leftmost leaves the most room).
    for (std::size_t k = 1; k + 1 < pieces.size(); ++k) {
        std::string_view piece = pieces[k];
        if (piece.empty()) continue;
        if (piece.find('?') == npos) {
            std::size_t at = s.find(piece, pos);
            if (at == npos || at + piece.size() > limit) return false;
            pos = at + piece.size();
            continue;
        }
        std::size_t end = npos;
        for (std::size_t at = pos; at < limit; ++at) {
            end = match_forward(piece, s.substr(0, limit), at);
            if (end != npos) break;
        }
        if (end == npos) return false;
        pos = end;
    }
    return true;
}

// ---- the parsed form

enum class Op { eq, ne, lt, le, gt, ge };
enum class Placeholder { status, response_time, body, connected, certificate_expiration, dns_rcode, ip };
enum class Kind { number, duration, boolean, text, any };  // what a value can be compared with

struct PlaceholderName {
    const char *name;
    Placeholder p;
};
constexpr PlaceholderName kPlaceholders[] = {
    {"STATUS", Placeholder::status},
    {"RESPONSE_TIME", Placeholder::response_time},
    {"BODY", Placeholder::body},
    {"CONNECTED", Placeholder::connected},
    {"CERTIFICATE_EXPIRATION", Placeholder::certificate_expiration},
    {"DNS_RCODE", Placeholder::dns_rcode},
    {"IP", Placeholder::ip},
};
constexpr const char *kPlaceholderList =
    "[STATUS], [RESPONSE_TIME], [BODY], [BODY].<path>, [CONNECTED], [CERTIFICATE_EXPIRATION], [DNS_RCODE], [IP]";

struct PathStep {
    bool is_index = false;
    std::string key;
    std::size_t index = 0;  // saturated: an index past any array
};

struct Operand {
    enum class Type { value, literal, pattern, any_of } type = Type::literal;
    std::string src;  // as written (trimmed)
    // value
    enum class Func { none, len, has } func = Func::none;
    Placeholder placeholder = Placeholder::status;
    bool has_path = false;
    std::vector<PathStep> path;
    // literal, pattern: the text; any_of: the items
    std::string text;
    std::vector<std::string> items;
};

struct Parsed {
    Operand left, right;
    Op op = Op::eq;
    std::string op_text;
};

bool ordering(Op op) { return op != Op::eq && op != Op::ne; }

Kind kind_of(const Operand &o) {
    if (o.func == Operand::Func::len) return Kind::number;
    if (o.func == Operand::Func::has) return Kind::boolean;
    switch (o.placeholder) {
    case Placeholder::status:
    case Placeholder::response_time: return Kind::number;
    case Placeholder::certificate_expiration: return Kind::duration;
    case Placeholder::connected: return Kind::boolean;
    case Placeholder::dns_rcode:
    case Placeholder::ip: return Kind::text;
    case Placeholder::body: return Kind::any;
    }
    return Kind::any;
}

// A placeholder with its JSON path: "[BODY].a.b[0]".
void parse_placeholder(std::string_view text, std::string_view src, Operand &o) {
    std::size_t close = src.find(']');  // src starts with '['
    if (close == std::string_view::npos) bad(text, "unbalanced: \"" + shown(src, 60) + "\" has no \"]\"");
    std::string_view name = src.substr(1, close - 1);
    if (name == "DOMAIN_EXPIRATION")
        bad(text, "[DOMAIN_EXPIRATION] is not supported (no WHOIS look-ups); [CERTIFICATE_EXPIRATION] is");
    const PlaceholderName *found = nullptr;
    for (const auto &p : kPlaceholders)
        if (name == p.name) found = &p;
    if (!found) {
        std::string msg = "unknown placeholder \"" + shown(src.substr(0, close + 1), 60) + "\"";
        const char *best = nullptr;
        std::size_t best_d = std::max<std::size_t>(1, name.size() / 3) + 1;
        for (const auto &p : kPlaceholders) {
            std::size_t d = distance(upper(name.substr(0, 64)), p.name);
            if (d < best_d) best_d = d, best = p.name;
        }
        if (best) msg += "; did you mean [" + std::string(best) + "]?";
        else msg += std::string("; use ") + kPlaceholderList;
        bad(text, msg);
    }
    o.type = Operand::Type::value;
    o.placeholder = found->p;
    std::string_view rest = src.substr(close + 1);
    if (rest.empty()) return;
    std::string ph = "[" + std::string(name) + "]";
    if (found->p != Placeholder::body) {
        if (rest.front() == '.' || rest.front() == '[') bad(text, ph + " takes no JSON path; only [BODY] does");
        bad(text, "unexpected \"" + shown(rest, 60) + "\" after " + ph);
    }
    o.has_path = true;
    std::size_t i = 0;
    while (i < rest.size()) {
        char c = rest[i];
        PathStep step;
        if (c == '.') {
            std::size_t end = rest.find_first_of(".[]", i + 1);
            if (end == std::string_view::npos) end = rest.size();
            step.key = std::string(rest.substr(i + 1, end - i - 1));
            if (step.key.empty()) bad(text, "empty key in the JSON path \"" + shown(src, 60) + "\"");
            i = end;
        } else if (c == '[') {
            std::size_t end = rest.find(']', i);
            if (end == std::string_view::npos) bad(text, "unbalanced: \"[\" in the JSON path is not closed");
            std::string_view digits = rest.substr(i + 1, end - i - 1);
            if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit))
                bad(text, "array index \"[" + shown(digits, 40) + "]\" is not a number; write e.g. [BODY].items[0]");
            step.is_index = true;
            for (char d : digits) step.index = step.index > 100000000000u ? step.index : step.index * 10 + static_cast<std::size_t>(d - '0');
            i = end + 1;
        } else {
            bad(text, "unexpected \"" + shown(rest.substr(i), 60) + "\" in the JSON path after [BODY]; a step is .key or [index]");
        }
        o.path.push_back(std::move(step));
    }
}

// If src is name(...) with its parenthesis closing at the end: the name.
std::optional<std::string_view> function_name(std::string_view text, std::string_view src) {
    if (src.empty() || !is_ident_start(src[0])) return std::nullopt;
    std::size_t i = 1;
    while (i < src.size() && is_ident(src[i])) ++i;
    if (i == src.size() || src[i] != '(') return std::nullopt;
    int depth = 0;
    for (std::size_t k = i; k < src.size(); ++k) {
        if (src[k] == '(' || src[k] == '[') ++depth;
        else if (src[k] == ')' || src[k] == ']') {
            if (--depth == 0) {
                if (k + 1 != src.size())
                    bad(text, "unexpected \"" + shown(src.substr(k + 1), 60) + "\" after " + std::string(src.substr(0, i)) + "()");
                break;
            }
        }
    }
    return src.substr(0, i);
}

void parse_value_function(std::string_view text, std::string_view name, std::string_view src, Operand &o) {
    std::string_view arg = trim(src.substr(name.size() + 1, src.size() - name.size() - 2));
    bool len = name == "len";
    const char *need = len ? "len() takes [BODY] or a [BODY] JSON path, as in len([BODY].items)"
                           : "has() takes a [BODY] JSON path, as in has([BODY].errors)";
    if (arg.empty() || arg.front() != '[') bad(text, std::string(need) + ", not \"" + shown(arg, 60) + "\"");
    parse_placeholder(text, arg, o);
    if (o.placeholder != Placeholder::body || (!len && !o.has_path)) bad(text, need);
    o.func = len ? Operand::Func::len : Operand::Func::has;
}

Operand parse_left(std::string_view text, std::string_view src) {
    Operand o;
    o.src = std::string(src);
    if (src.front() == '[') {
        parse_placeholder(text, src, o);
        return o;
    }
    if (auto name = function_name(text, src)) {
        if (*name == "len" || *name == "has") {
            parse_value_function(text, *name, src, o);
            return o;
        }
        if (*name == "pat" || *name == "any")
            bad(text, std::string(*name) + "() goes on the right side, as in [STATUS] == any(200, 204) or [BODY] == pat(*<title>*)");
        bad(text, "unknown function \"" + shown(*name, 40) + "\"; use len() or has() on the left, pat() or any() on the right");
    }
    std::string msg = "the left side \"" + shown(src, 60) + "\" is not a placeholder";
    for (const auto &p : kPlaceholders)
        if (upper(src) == p.name) msg += "; did you mean [" + std::string(p.name) + "]?";
    if (msg.back() != '?') msg += std::string("; use ") + kPlaceholderList + ", len() or has()";
    bad(text, msg);
}

Operand parse_right(std::string_view text, std::string_view src) {
    Operand o;
    o.src = std::string(src);
    if (src.size() >= 3 && src[0] == '[' && is_upper(src[1])) {
        std::size_t close = src.find(']');
        std::string_view name = src.substr(1, close - 1);
        if (std::all_of(name.begin(), name.end(), [](char c) { return is_upper(c) || c == '_'; })) {
            parse_placeholder(text, src, o);
            return o;
        }
    }
    if (auto name = function_name(text, src)) {
        std::string_view arg = src.substr(name->size() + 1, src.size() - name->size() - 2);
        if (*name == "pat") {
            o.type = Operand::Type::pattern;
            o.text = std::string(arg);
            return o;
        }
        if (*name == "any") {
            o.type = Operand::Type::any_of;
            if (trim(arg).empty()) bad(text, "any() needs at least one value, as in any(200, 204)");
            int depth = 0;
            std::size_t start = 0;
            for (std::size_t k = 0; k <= arg.size(); ++k) {
                if (k < arg.size() && (arg[k] == '(' || arg[k] == '[')) ++depth;
                else if (k < arg.size() && (arg[k] == ')' || arg[k] == ']')) --depth;
                else if (k == arg.size() || (arg[k] == ',' && depth == 0)) {
                    std::string_view item = trim(arg.substr(start, k - start));
                    if (item.empty()) bad(text, "any() has an empty value");
                    o.items.emplace_back(item);
                    start = k + 1;
                }
            }
            return o;
        }
        if (*name == "len" || *name == "has") {
            parse_value_function(text, *name, src, o);
            return o;
        }
        bad(text, "unknown function \"" + shown(*name, 40) + "\"; use len() or has() on the left, pat() or any() on the right");
    }
    o.type = Operand::Type::literal;
    o.text = std::string(src);
    return o;
}

// What the literal `lit` must look like to be compared with a value of kind k.
void check_literal(std::string_view text, const Operand &value, Kind k, const std::string &lit, bool order) {
    switch (k) {
    case Kind::number:
        if (!parse_number(lit))
            bad(text, "\"" + shown(lit, 60) + "\" is not a number, and " + shown(value.src, 60) + " is one");
        break;
    case Kind::duration:
        if (!duration_ms(lit))
            bad(text, "\"" + shown(lit, 60) + "\" is not a duration; use e.g. 72h, 48h30m, 7d or milliseconds");
        break;
    case Kind::boolean:
        if (lit != "true" && lit != "false")
            bad(text, shown(value.src, 60) + " is true or false, not \"" + shown(lit, 60) + "\"");
        break;
    case Kind::text:
        break;
    case Kind::any:
        if (order && !parse_number(lit))
            bad(text, "\"" + shown(lit, 60) + "\" is not a number; <, <=, > and >= compare numbers");
        break;
    }
}

std::string lone_hint(std::string_view t) {
    return t.find("pat(") == std::string_view::npos ? "" : "; in pat(), match a lone bracket or parenthesis with ?";
}

Parsed parse(std::string_view text) {
    if (text.size() > kMaxConditionBytes)
        bad(text, "is " + std::to_string(text.size()) + " bytes long; at most " + std::to_string(kMaxConditionBytes));
    for (std::size_t i = 0; i < text.size(); ++i)
        if (is_control(static_cast<unsigned char>(text[i])))
            bad(text, "control character 0" + hex_byte(static_cast<unsigned char>(text[i])).substr(1) + " at byte " + std::to_string(i));
    std::string_view t = trim(text);
    if (t.empty()) bad(text, "empty; write e.g. [STATUS] == 200");
    const std::size_t offset = static_cast<std::size_t>(t.data() - text.data());  // of t in text

    // Brackets and parentheses balance (each kind on its own).
    int square = 0, round = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c == '[') ++square;
        else if (c == '(') ++round;
        else if ((c == ']' && --square < 0) || (c == ')' && --round < 0))
            bad(text, std::string("unbalanced: \"") + c + "\" at byte " + std::to_string(offset + i) + " closes nothing" + lone_hint(t));
    }
    if (square > 0) bad(text, "unbalanced: a \"[\" is not closed" + lone_hint(t));
    if (round > 0) bad(text, "unbalanced: a \"(\" is not closed" + lone_hint(t));

    // The operator: runs of = ! < > standing alone outside brackets.
    struct Run {
        std::size_t begin, end;
    };
    std::vector<Run> alone;
    std::optional<Run> attached;
    int depth = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c == '[' || c == '(') ++depth;
        else if (c == ']' || c == ')') --depth;
        else if (depth == 0 && is_op_char(c)) {
            std::size_t j = i;
            while (j < t.size() && is_op_char(t[j])) ++j;
            bool spaced = (i == 0 || t[i - 1] == ' ') && (j == t.size() || t[j] == ' ');
            if (spaced) alone.push_back({i, j});
            else if (!attached) attached = Run{i, j};
            i = j - 1;
        }
    }
    static const std::string_view ops[] = {"==", "!=", "<=", ">=", "<", ">"};
    auto known = [](std::string_view s) { return std::find(std::begin(ops), std::end(ops), s) != std::end(ops); };
    if (alone.empty()) {
        if (attached) {
            std::string_view a = t.substr(attached->begin, attached->end - attached->begin);
            if (known(a)) bad(text, "put spaces around the operator \"" + std::string(a) + "\", as in [STATUS] == 200");
            bad(text, "unknown operator \"" + std::string(a) + "\"; use ==, !=, <, <=, >, >= with spaces around it");
        }
        bad(text, "no operator; write <placeholder> <op> <value> with one of ==, !=, <, <=, >, >=, as in [STATUS] == 200");
    }
    if (alone.size() > 1)
        bad(text, "more than one operator (\"" + std::string(t.substr(alone[0].begin, alone[0].end - alone[0].begin)) + "\" and \"" +
                      std::string(t.substr(alone[1].begin, alone[1].end - alone[1].begin)) +
                      "\"); to compare with text holding one, use pat()");
    Parsed p;
    p.op_text = std::string(t.substr(alone[0].begin, alone[0].end - alone[0].begin));
    if (!known(p.op_text)) bad(text, "unknown operator \"" + p.op_text + "\"; use ==, !=, <, <=, >, >=");
    p.op = p.op_text == "==" ? Op::eq : p.op_text == "!=" ? Op::ne : p.op_text == "<" ? Op::lt
         : p.op_text == "<=" ? Op::le : p.op_text == ">" ? Op::gt : Op::ge;
    std::string_view left = trim(t.substr(0, alone[0].begin));
    std::string_view right = trim(t.substr(alone[0].end));
    if (left.empty()) bad(text, "nothing on the left of \"" + p.op_text + "\"");
    if (right.empty()) bad(text, "nothing on the right of \"" + p.op_text + "\"");
    p.left = parse_left(text, left);
    p.right = parse_right(text, right);

    // Types.
    bool order = ordering(p.op);
    Kind lk = kind_of(p.left);
    auto not_ordered = [&](const Operand &o, Kind k) {
        if (order && (k == Kind::boolean || k == Kind::text))
            bad(text, shown(o.src, 60) + " is not a number; " + p.op_text + " compares numbers (use == or !=)");
    };
    not_ordered(p.left, lk);
    switch (p.right.type) {
    case Operand::Type::pattern:
    case Operand::Type::any_of:
        if (order) bad(text, std::string(p.right.type == Operand::Type::pattern ? "pat()" : "any()") + " works with == and != only");
        for (const auto &item : p.right.items) check_literal(text, p.left, lk, item, false);
        break;
    case Operand::Type::value:
        not_ordered(p.right, kind_of(p.right));
        break;
    case Operand::Type::literal:
        check_literal(text, p.left, lk, p.right.text, order);
        break;
    }
    return p;
}

// ---- evaluation

struct Resolved {
    bool ok = true;
    std::string value;  // compared
    std::string show;   // shown in the detail
    std::string why;    // when !ok
    bool duration = false;  // value is milliseconds of [CERTIFICATE_EXPIRATION]
};

std::string json_number_text(double d) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, res.ptr);
}

std::string json_text(const boost::json::value &v) {
    switch (v.kind()) {
    case boost::json::kind::string: return std::string(v.get_string());
    case boost::json::kind::int64: return std::to_string(v.get_int64());
    case boost::json::kind::uint64: return std::to_string(v.get_uint64());
    case boost::json::kind::double_: return json_number_text(v.get_double());
    case boost::json::kind::bool_: return v.get_bool() ? "true" : "false";
    case boost::json::kind::null: return "null";
    default: return boost::json::serialize(v);
    }
}

// The JSON value at a path of the body, or why there is none.
struct Lookup {
    boost::json::value doc;
    const boost::json::value *at = nullptr;
    std::string why;
};

void lookup(const std::string &body, const std::vector<PathStep> &path, Lookup &out) {
    boost::json::parse_options opt;
    opt.max_depth = 256;
    boost::system::error_code ec;
    out.doc = boost::json::parse(body, ec, {}, opt);
    if (ec) {
        out.why = body.empty() ? "empty body, not JSON" : "body is not JSON";
        return;
    }
    const boost::json::value *v = &out.doc;
    for (const auto &step : path) {
        if (step.is_index) {
            const auto *a = v->if_array();
            if (!a || step.index >= a->size()) {
                out.why = "not found";
                return;
            }
            v = &(*a)[step.index];
        } else {
            const auto *o = v->if_object();
            const boost::json::value *next = o ? o->if_contains(step.key) : nullptr;
            if (!next) {
                out.why = "not found";
                return;
            }
            v = next;
        }
    }
    out.at = v;
}

Resolved resolve(const Operand &o, const ProbeResult &r) {
    Resolved res;
    if (o.type != Operand::Type::value) {
        res.value = res.show = o.text;
        return res;
    }
    // Only the start of a value is shown (shown() cuts it to kShownMax).
    auto set = [&](std::string v) {
        res.show = v.substr(0, 4 * kShownMax);
        res.value = std::move(v);
    };
    switch (o.placeholder) {
    case Placeholder::status: set(std::to_string(r.status)); break;
    case Placeholder::response_time: {
        double ms = r.timings.total * 1000.0;
        if (std::isnan(ms)) {
            res.ok = false;
            res.why = "no response time";
        } else {
            ms = std::clamp(ms, -9.0e15, 9.0e15);
            set(std::to_string(std::llround(ms)));
        }
        break;
    }
    case Placeholder::connected: set(r.connected ? "true" : "false"); break;
    case Placeholder::dns_rcode: set(r.dns_rcode); break;
    case Placeholder::ip: set(r.ip); break;
    case Placeholder::certificate_expiration:
        if (!r.cert_expiry) {
            res.ok = false;
            res.why = "no certificate";
        } else {
            std::int64_t left = saturating_sub(saturating_mul(*r.cert_expiry, 1000), r.started_at_ms);
            res.value = std::to_string(left);
            res.show = format_duration(left);
            res.duration = true;
        }
        break;
    case Placeholder::body:
        if (!o.has_path) {
            if (o.func == Operand::Func::len) set(std::to_string(r.body.size()));
            else set(r.body);
            break;
        }
        Lookup l;
        lookup(r.body, o.path, l);
        if (o.func == Operand::Func::has) {
            set(l.at ? "true" : "false");
            break;
        }
        if (!l.at) {
            res.ok = false;
            res.why = l.why;
            break;
        }
        if (o.func == Operand::Func::len) {
            const auto &v = *l.at;
            std::size_t n = v.is_array()    ? v.get_array().size()
                            : v.is_object() ? v.get_object().size()
                            : v.is_string() ? v.get_string().size()
                            : v.is_null()   ? 0
                                            : json_text(v).size();
            set(std::to_string(n));
        } else {
            set(json_text(*l.at));
        }
        break;
    }
    return res;
}

// The value compared, in milliseconds when the other side is a duration.
std::optional<std::string> comparable(const Resolved &v, bool duration_context) {
    if (!duration_context || v.duration) return v.value;
    auto ms = duration_ms(v.value);
    if (!ms) return std::nullopt;
    return std::to_string(*ms);
}

bool equal(const std::string &a, const std::string &b) {
    auto na = parse_number(a), nb = parse_number(b);
    if (na && nb) return compare(*na, *nb) == 0;
    return a == b;
}

}  // namespace

void validate_condition(const std::string &text) {
    (void)parse(text);
}

ConditionResult evaluate_condition(const std::string &text, const ProbeResult &r) {
    Parsed p = parse(text);
    ConditionResult out;
    out.condition = text;

    Resolved left = resolve(p.left, r);
    Resolved right = resolve(p.right, r);
    auto side = [](const Operand &o, const Resolved &v) {
        if (o.type != Operand::Type::value) return o.src;
        return o.src + " (" + (v.ok ? shown(v.show) : v.why) + ")";
    };
    std::string detail = side(p.left, left) + " " + p.op_text + " " + side(p.right, right);
    std::string note;
    bool success = false;

    if (left.ok && right.ok) {
        bool dur = left.duration || right.duration;
        auto a = comparable(left, dur);
        if (!a) {
            note = quoted(left.value) + " is not a duration";
        } else if (p.right.type == Operand::Type::pattern) {
            success = glob_match(p.right.text, *a) == (p.op == Op::eq);
        } else if (p.right.type == Operand::Type::any_of) {
            bool any = false;
            for (const auto &item : p.right.items) {
                Resolved iv;
                iv.value = item;
                auto b = comparable(iv, dur);
                if (b && equal(*a, *b)) any = true;
            }
            success = any == (p.op == Op::eq);
        } else if (auto b = comparable(right, dur); !b) {
            note = quoted(right.value) + " is not a duration";
        } else if (!ordering(p.op)) {
            success = equal(*a, *b) == (p.op == Op::eq);
        } else {
            auto na = parse_number(*a), nb = parse_number(*b);
            if (!na || !nb) {
                note = quoted(!na ? *a : *b) + " is not a number";
            } else {
                int c = compare(*na, *nb);
                success = p.op == Op::lt ? c < 0 : p.op == Op::le ? c <= 0 : p.op == Op::gt ? c > 0 : c >= 0;
            }
        }
    }
    if (!note.empty()) detail += ": " + note;
    out.success = success;
    out.detail = std::move(detail);
    return out;
}

std::vector<std::string> wordpress_conditions() {
    return {
        "[STATUS] < 500",
        // PHP errors printed into the page (display_errors on).
        "[BODY] != pat(*Fatal error*)",
        "[BODY] != pat(*PHP Parse error*)",
        "[BODY] != pat(*<b>Parse error</b>*)",
        // WordPress's own fatal error handler (5.2 and later; the older wording first).
        "[BODY] != pat(*The site is experiencing technical difficulties*)",
        "[BODY] != pat(*There has been a critical error on this website*)",
        // wp-includes/functions.php dead_db(), and the .maintenance page.
        "[BODY] != pat(*Error establishing a database connection*)",
        "[BODY] != pat(*Briefly unavailable for scheduled maintenance*)",
    };
}

}  // namespace wph::probe
