// Small string helpers with no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wph::util {

std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
std::vector<std::string_view> lines(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
// Current time as RFC 3339 UTC ("2026-11-23T04:05:06Z").
std::string now_rfc3339();
// Parse a non-negative decimal integer; false on anything else.
bool parse_u64(std::string_view s, std::uint64_t &out);

}  // namespace wph::util
