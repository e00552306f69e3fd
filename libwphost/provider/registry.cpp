#include <boost/json.hpp>

#include "engine/error.hpp"
#include "provider/provider.hpp"

namespace wph::provider {

namespace json = boost::json;

std::vector<std::string> kinds() { return {"cloudflare", "digitalocean", "hetzner", "s3"}; }

std::unique_ptr<Provider> open(const json::object &config) {
    auto it = config.find("kind");
    if (it == config.end()) raise(WPH_EINVALID, "provider", "provider config: \"kind\" is missing (one of cloudflare, digitalocean, hetzner, s3)");
    if (!it->value().is_string()) raise(WPH_EINVALID, "provider", "provider config: \"kind\" must be a string");
    std::string kind(it->value().get_string());
    if (kind == "hetzner") return open_hetzner(config);
    if (kind == "digitalocean") return open_digitalocean(config);
    if (kind == "cloudflare") return open_cloudflare(config);
    if (kind == "s3") return open_s3(config);
    raise(WPH_EINVALID, "provider", "provider config: unknown \"kind\" \"" + kind + "\" (one of cloudflare, digitalocean, hetzner, s3)");
}

std::vector<std::string> OperationTable::operations() const {
    std::vector<std::string> out;
    for (const auto &[name, fn] : ops_) out.push_back(name);
    return out;
}

json::value OperationTable::call(std::string_view operation, const json::object &params, const CancelToken *cancel) {
    for (const auto &[name, fn] : ops_)
        if (name == operation) return fn(Params{params, kind_, operation}, cancel);
    raise(WPH_EINVALID, kind_, kind_ + ": unknown operation \"" + std::string(operation) + "\"");
}

void Params::invalid(std::string_view field, std::string_view why) const {
    raise(WPH_EINVALID, std::string(provider),
          std::string(provider) + " " + std::string(operation) + ": \"" + std::string(field) + "\" " + std::string(why));
}

const json::value *Params::get(std::string_view field) const {
    auto it = obj.find(field);
    if (it == obj.end() || it->value().is_null()) return nullptr;
    return &it->value();
}

std::string Params::str(std::string_view field) const {
    auto *v = get(field);
    if (!v) invalid(field, "is required");
    if (!v->is_string()) invalid(field, "must be a string");
    if (v->get_string().empty()) invalid(field, "must not be empty");
    return std::string(v->get_string());
}

std::string Params::str_or(std::string_view field, std::string_view dflt) const {
    auto *v = get(field);
    if (!v) return std::string(dflt);
    if (!v->is_string()) invalid(field, "must be a string");
    return std::string(v->get_string());
}

long long Params::integer(std::string_view field) const {
    auto *v = get(field);
    if (!v) invalid(field, "is required");
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<long long>(v->get_uint64());
    if (v->is_double()) {
        double d = v->get_double();
        if (d == static_cast<double>(static_cast<long long>(d))) return static_cast<long long>(d);
    }
    invalid(field, "must be an integer");
}

long long Params::integer_or(std::string_view field, long long dflt) const { return get(field) ? integer(field) : dflt; }

bool Params::boolean_or(std::string_view field, bool dflt) const {
    auto *v = get(field);
    if (!v) return dflt;
    if (!v->is_bool()) invalid(field, "must be true or false");
    return v->get_bool();
}

std::vector<std::string> Params::strings_or_empty(std::string_view field) const {
    std::vector<std::string> out;
    auto *v = get(field);
    if (!v) return out;
    if (!v->is_array()) invalid(field, "must be an array of strings");
    for (const auto &e : v->get_array()) {
        if (!e.is_string()) invalid(field, "must be an array of strings");
        out.emplace_back(e.get_string());
    }
    return out;
}

}  // namespace wph::provider
