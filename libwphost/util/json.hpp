// Boost.JSON helpers: parsing with precise error messages, typed field reads.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace wph::util {

// Parse a JSON document; WPH_EINVALID naming `what` and the byte offset on failure.
boost::json::value parse_json(std::string_view text, std::string_view what, std::string_view category);
// Parse and require an object.
boost::json::object parse_json_object(std::string_view text, std::string_view what, std::string_view category);
std::string to_json(const boost::json::value &v);

}  // namespace wph::util
