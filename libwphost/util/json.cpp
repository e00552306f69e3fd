#include "util/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "engine/error.hpp"

namespace wph::util {

boost::json::value parse_json(std::string_view text, std::string_view what, std::string_view category) {
    boost::system::error_code ec;
    boost::json::parse_options opts;
    opts.max_depth = 64;
    boost::json::value v = boost::json::parse(text, ec, {}, opts);
    if (ec) {
        raise(WPH_EINVALID, category,
              std::string(what) + " is not valid JSON: " + ec.message());
    }
    return v;
}

boost::json::object parse_json_object(std::string_view text, std::string_view what, std::string_view category) {
    auto v = parse_json(text, what, category);
    if (!v.is_object()) raise(WPH_EINVALID, category, std::string(what) + " must be a JSON object");
    return std::move(v.as_object());
}

std::string to_json(const boost::json::value &v) { return boost::json::serialize(v); }

}  // namespace wph::util
