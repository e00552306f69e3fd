// The C ABI of include/wphost/cert.h.
#include <boost/json/object.hpp>
#include <memory>
#include <optional>

#include "capi/capi.hpp"
#include "cert/cert.hpp"
#include "util/json.hpp"

using namespace wph::capi;

namespace {

boost::json::object parse_opt(const char *json, const char *what) {
    if (!json || !*json) return {};
    return wph::util::parse_json_object(json, what, "cert");
}

}  // namespace

extern "C" {

WPH_API int wph_cert_account(char **json_out, wph_engine *engine, const char *acme_json) {
    return guard([&] {
        require(json_out, "json_out", "wph_cert_account");
        *json_out = nullptr;
        auto &e = *check_engine(engine)->engine;
        std::optional<boost::json::object> settings;
        if (acme_json) settings = parse_opt(acme_json, "acme settings");
        auto acct = wph::cert::account(e, settings ? &*settings : nullptr, nullptr);
        *json_out = dup_out(wph::util::to_json(acct));
        return 0;
    });
}

WPH_API int wph_cert_issue(wph_job **out, wph_engine *engine, const char *request_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_cert_issue");
        *out = nullptr;
        require(request_json, "request_json", "wph_cert_issue");
        auto &e = *check_engine(engine)->engine;
        // Checked here: a malformed request fails the call, not a job.
        auto request = std::make_shared<const boost::json::object>(wph::util::parse_json_object(request_json, "certificate request", "cert"));
        wph::cert::validate_request(*request);
        auto [cb, payload] = job_callbacks(opts);
        *out = make_job(e.start_job("cert.issue", cb, payload, [&e, request](wph::Job &job) {
            return wph::util::to_json(wph::cert::issue(e, &job, *request));
        }));
        return 0;
    });
}

WPH_API int wph_cert_renew(wph_job **out, wph_engine *engine, const char *options_json, const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_cert_renew");
        *out = nullptr;
        auto &e = *check_engine(engine)->engine;
        auto options = std::make_shared<const boost::json::object>(parse_opt(options_json, "renew options"));
        auto [cb, payload] = job_callbacks(opts);
        *out = make_job(e.start_job("cert.renew", cb, payload, [&e, options](wph::Job &job) {
            return wph::util::to_json(wph::cert::renew(e, &job, *options));
        }));
        return 0;
    });
}

WPH_API int wph_cert_revoke(wph_job **out, wph_engine *engine, const char *name, const char *options_json,
                            const wph_job_options *opts) {
    return guard([&] {
        require(out, "out", "wph_cert_revoke");
        *out = nullptr;
        require(name, "name", "wph_cert_revoke");
        auto &e = *check_engine(engine)->engine;
        auto options = std::make_shared<const boost::json::object>(parse_opt(options_json, "revoke options"));
        std::string n = name;
        wph::cert::get(e, n);  // WPH_ENOTFOUND now rather than in the job
        auto [cb, payload] = job_callbacks(opts);
        *out = make_job(e.start_job("cert.revoke", cb, payload, [&e, options, n](wph::Job &job) {
            return wph::util::to_json(wph::cert::revoke(e, &job, n, *options));
        }));
        return 0;
    });
}

WPH_API int wph_cert_list(char **json_out, wph_engine *engine) {
    return guard([&] {
        require(json_out, "json_out", "wph_cert_list");
        *json_out = nullptr;
        *json_out = dup_out(wph::util::to_json(wph::cert::list(*check_engine(engine)->engine)));
        return 0;
    });
}

WPH_API int wph_cert_get(char **json_out, wph_engine *engine, const char *name) {
    return guard([&] {
        require(json_out, "json_out", "wph_cert_get");
        *json_out = nullptr;
        require(name, "name", "wph_cert_get");
        *json_out = dup_out(wph::util::to_json(wph::cert::get(*check_engine(engine)->engine, name)));
        return 0;
    });
}

}  // extern "C"
