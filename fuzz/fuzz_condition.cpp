// libFuzzer: probe conditions (libwphost/probe/condition.*). The input is a
// condition, optionally followed by a newline and a response body.
//   - validate_condition throws nothing but wph::Error (WPH_EINVALID, naming
//     the condition);
//   - whatever it accepts evaluates without throwing against a default
//     ProbeResult, one with the input's body and one with extreme values; the
//     result keeps the text, its detail is one bounded line and evaluating
//     twice gives the same answer;
//   - the opposite operator (== / !=, < / >=, > / <=) is accepted too, and a
//     condition and its opposite never both hold.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "engine/error.hpp"
#include "probe/condition.hpp"

using namespace wph::probe;

namespace {
void require(bool ok, const char *what, const std::string &detail) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_condition: property violated: %s\n%s\n", what, detail.c_str());
        std::abort();
    }
}

bool op_char(char c) { return c == '=' || c == '!' || c == '<' || c == '>'; }

// The text with its operator replaced by the opposite one, or "" when the
// operator cannot be found the simple way (one spaced run of = ! < > outside
// brackets and parentheses).
std::string opposite(const std::string &t) {
    int depth = 0;
    std::size_t at = std::string::npos, end = 0, found = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c == '[' || c == '(') ++depth;
        else if (c == ']' || c == ')') --depth;
        else if (depth == 0 && op_char(c)) {
            std::size_t j = i;
            while (j < t.size() && op_char(t[j])) ++j;
            if ((i == 0 || t[i - 1] == ' ') && (j == t.size() || t[j] == ' ')) {
                ++found;
                at = i;
                end = j;
            }
            i = j - 1;
        }
    }
    if (found != 1) return "";
    std::string op = t.substr(at, end - at), neg;
    if (op == "==") neg = "!=";
    else if (op == "!=") neg = "==";
    else if (op == "<") neg = ">=";
    else if (op == ">=") neg = "<";
    else if (op == ">") neg = "<=";
    else if (op == "<=") neg = ">";
    else return "";
    return t.substr(0, at) + neg + t.substr(end);
}

void check_result(const std::string &text, const ConditionResult &c, const ProbeResult &r) {
    require(c.condition == text, "the result keeps the condition", text);
    require(!c.detail.empty(), "a detail is given", text);
    require(c.detail.size() <= text.size() + 600, "the detail is bounded", c.detail);
    for (unsigned char ch : c.detail)
        require(ch >= 0x20 && ch != 0x7f, "the detail is one line without control characters", c.detail);
    ConditionResult again = evaluate_condition(text, r);
    require(again.success == c.success && again.detail == c.detail, "evaluation is deterministic", text);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string in(reinterpret_cast<const char *>(data), size);
    std::size_t nl = in.find('\n');
    const std::string text = in.substr(0, nl);
    const std::string body = nl == std::string::npos ? R"({"a":{"b":[1,"x",true,null,2.5]},"s":"OK"})" : in.substr(nl + 1);

    try {
        validate_condition(text);
    } catch (const wph::Error &e) {
        require(e.code() == WPH_EINVALID, "validation errors are WPH_EINVALID", e.message());
        require(e.category() == "probe", "validation errors are in the probe category", e.message());
        require(e.message().rfind("condition \"", 0) == 0, "validation errors name the condition", e.message());
        return 0;
    }

    ProbeResult plain;
    ProbeResult rich;
    rich.connected = true;
    rich.status = 200;
    rich.ip = "127.0.0.1";
    rich.dns_rcode = "NOERROR";
    rich.timings.total = 0.123;
    rich.started_at_ms = 1700000000000;
    rich.cert_expiry = 1700000000 + 10 * 86400;
    rich.body = body;
    ProbeResult extreme = rich;
    const bool odd = size % 2;
    extreme.status = odd ? std::numeric_limits<int>::min() : std::numeric_limits<int>::max();
    extreme.timings.total = size % 3 == 0 ? std::nan("") : odd ? -std::numeric_limits<double>::infinity() : 1e308;
    extreme.cert_expiry = odd ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    extreme.started_at_ms = odd ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();

    const std::string neg = opposite(text);
    if (!neg.empty()) {
        try {
            validate_condition(neg);
        } catch (const wph::Error &e) {
            require(false, "the opposite operator is accepted too", text + "\n" + e.message());
        }
    }
    for (const ProbeResult *r : {&plain, &rich, &extreme}) {
        ConditionResult c = evaluate_condition(text, *r);
        check_result(text, c, *r);
        if (!neg.empty()) {
            ConditionResult n = evaluate_condition(neg, *r);
            require(!(c.success && n.success), "a condition and its opposite never both hold", text + "\n" + c.detail + "\n" + n.detail);
        }
    }
    return 0;
}
