#include <boost/json.hpp>

#include "capi/capi.hpp"
#include "provider/provider.hpp"
#include "util/json.hpp"

using namespace wph::capi;
namespace json = boost::json;

struct wph_provider {
    std::shared_ptr<wph::provider::Provider> provider;
    wph::Engine *engine = nullptr;
};

namespace {

Registry<wph_provider> &providers() {
    static Registry<wph_provider> r;
    return r;
}

wph_provider *check_provider(wph_provider *p) {
    if (!p) wph::raise(WPH_EINVALID, "provider", "provider is NULL");
    if (!providers().contains(p)) wph::raise(WPH_EINVALID, "provider", "provider handle is not open (already freed, or not from the library)");
    return p;
}

json::object params_of(const char *params_json, const char *operation) {
    if (!params_json || !*params_json) return {};
    return wph::util::parse_json_object(params_json, std::string("parameters of ") + operation, "provider");
}

std::string strings_json(const std::vector<std::string> &v) {
    json::array a;
    for (const auto &s : v) a.emplace_back(s);
    return wph::util::to_json(a);
}

}  // namespace

extern "C" {

WPH_API int wph_provider_kinds(char **json_out) {
    return guard([&] {
        require(json_out, "json_out", "wph_provider_kinds");
        *json_out = dup_out(strings_json(wph::provider::kinds()));
        return 0;
    });
}

WPH_API int wph_provider_open(wph_provider **out, wph_engine *engine, const char *config_json) {
    return guard([&] {
        require(out, "out", "wph_provider_open");
        *out = nullptr;
        require(config_json, "config_json", "wph_provider_open");
        auto &e = *check_engine(engine)->engine;
        auto config = wph::util::parse_json_object(config_json, "provider config", "provider");
        auto p = std::make_unique<wph_provider>();
        p->provider = wph::provider::open(config);
        p->engine = &e;
        providers().add(p.get());
        *out = p.release();
        return 0;
    });
}

WPH_API int wph_provider_operations(char **json_out, wph_provider *provider) {
    return guard([&] {
        require(json_out, "json_out", "wph_provider_operations");
        *json_out = nullptr;
        *json_out = dup_out(strings_json(check_provider(provider)->provider->operations()));
        return 0;
    });
}

WPH_API int wph_provider_call(char **json_out, wph_provider *provider, const char *operation, const char *params_json) {
    return guard([&] {
        require(json_out, "json_out", "wph_provider_call");
        *json_out = nullptr;
        require(operation, "operation", "wph_provider_call");
        auto *p = check_provider(provider);
        auto params = params_of(params_json, operation);
        *json_out = dup_out(wph::util::to_json(p->provider->call(operation, params, nullptr)));
        return 0;
    });
}

WPH_API int wph_provider_call_start(wph_job **out, wph_provider *provider, const char *operation,
                                    const char *params_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_provider_call_start");
        *out = nullptr;
        require(operation, "operation", "wph_provider_call_start");
        auto *p = check_provider(provider);
        auto params = params_of(params_json, operation);
        auto [cb, payload] = job_callbacks(opts);
        // The job keeps the client alive even if the handle is freed first.
        auto client = p->provider;
        std::string op = operation;
        *out = make_job(p->engine->start_job("provider.call", cb, payload, [client, op, params](wph::Job &job) {
            return wph::util::to_json(client->call(op, params, &job.cancel_token()));
        }));
        return 0;
    });
}

WPH_API void wph_provider_free(wph_provider *provider) {
    if (!provider || !providers().remove(provider)) return;
    delete provider;
}

}  // extern "C"
