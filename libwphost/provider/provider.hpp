// A provider client as the C ABI, Python and the CLI see it: operations by
// name, JSON parameters in, JSON results out. Each provider also has a typed
// C++ API (hetzner.hpp, digitalocean.hpp, cloudflare.hpp, s3.hpp); its
// dispatch() maps operation names onto that API.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <utility>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wph {
class CancelToken;
}

namespace wph::provider {

class Provider {
public:
    virtual ~Provider() = default;
    // "hetzner", "digitalocean", "cloudflare", "s3"
    virtual std::string kind() const = 0;
    // Operation names this provider accepts ("server.create", ...).
    virtual std::vector<std::string> operations() const = 0;
    // Runs one operation. Unknown operation or bad params: WPH_EINVALID
    // naming the operation and the field. Provider failures: wph::Error as
    // documented in http/client.hpp.
    virtual boost::json::value call(std::string_view operation, const boost::json::object &params,
                                    const CancelToken *cancel) = 0;
};

// The dispatch every provider shares: operations registered by name in the
// constructor with add(), looked up by call().
struct Params;

class OperationTable : public Provider {
public:
    using Fn = std::function<boost::json::value(const Params &, const CancelToken *)>;
    explicit OperationTable(std::string kind) : kind_(std::move(kind)) {}
    std::string kind() const override { return kind_; }
    std::vector<std::string> operations() const override;
    // WPH_EINVALID "<kind>: unknown operation ..." for a name not added.
    boost::json::value call(std::string_view operation, const boost::json::object &params,
                            const CancelToken *cancel) override;

protected:
    void add(std::string name, Fn fn) { ops_.emplace_back(std::move(name), std::move(fn)); }

private:
    std::string kind_;
    std::vector<std::pair<std::string, Fn>> ops_;
};

// config: {"kind": "...", credentials, "endpoint", "ca_bundle", "timeouts",
// "retry", ...} (docs/provider.md). WPH_EINVALID for an unknown kind or a
// bad field.
std::unique_ptr<Provider> open(const boost::json::object &config);
std::vector<std::string> kinds();

// Factories, one per provider module (registry.cpp dispatches on "kind").
std::unique_ptr<Provider> open_hetzner(const boost::json::object &config);
std::unique_ptr<Provider> open_digitalocean(const boost::json::object &config);
std::unique_ptr<Provider> open_cloudflare(const boost::json::object &config);
std::unique_ptr<Provider> open_s3(const boost::json::object &config);

// Helpers for dispatch(): a typed parameter or WPH_EINVALID
// "<provider> <operation>: \"<field>\" ...".
struct Params {
    const boost::json::object &obj;
    std::string_view provider;
    std::string_view operation;

    std::string str(std::string_view field) const;                      // required string
    std::string str_or(std::string_view field, std::string_view dflt) const;
    long long integer(std::string_view field) const;                    // required integer
    long long integer_or(std::string_view field, long long dflt) const;
    bool boolean_or(std::string_view field, bool dflt) const;
    std::vector<std::string> strings_or_empty(std::string_view field) const;  // array of strings
    const boost::json::value *get(std::string_view field) const;        // or nullptr
    [[noreturn]] void invalid(std::string_view field, std::string_view why) const;
};

}  // namespace wph::provider
