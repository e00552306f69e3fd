#include "probe/types.hpp"

#include <cctype>

namespace wph::probe {

std::optional<std::int64_t> parse_duration_ms(const std::string &text) {
    if (text.empty() || text.size() > 32) return std::nullopt;
    bool digits = true;
    for (unsigned char c : text) digits = digits && std::isdigit(c);
    if (digits) return text.size() <= 15 ? std::optional<std::int64_t>(std::stoll(text)) : std::nullopt;
    // A sequence of <number><unit>, Go's time.ParseDuration without fractions.
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = i;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        if (j == i || j - i > 12) return std::nullopt;
        std::int64_t n = std::stoll(text.substr(i, j - i));
        std::size_t k = j;
        while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
        std::string unit = text.substr(j, k - j);
        std::int64_t mult;
        if (unit == "ms") mult = 1;
        else if (unit == "s") mult = 1000;
        else if (unit == "m") mult = 60000;
        else if (unit == "h") mult = 3600000;
        else if (unit == "d") mult = 86400000;
        else return std::nullopt;
        // At most about 31 years in all: no term or sum can overflow.
        if (n > 1000000000000LL / mult || total > 1000000000000LL - n * mult) return std::nullopt;
        total += n * mult;
        i = k;
    }
    return total;
}

}  // namespace wph::probe
