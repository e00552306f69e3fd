#include "capi/capi.hpp"
#include "site/site.hpp"
#include "site/spec.hpp"

using namespace wph::capi;

namespace {

std::string text(const char *s, const char *param, const char *function) {
    require(s, param, function);
    return s;
}

template <class F>
int start(wph_job **out, wph_engine *engine, const wph_job_options *opts, const char *function, const char *kind, F &&work) {
    return guard([&] {
        require(out, "out", function);
        *out = nullptr;
        auto &e = *check_engine(engine)->engine;
        auto [cb, payload] = job_callbacks(opts);
        *out = make_job(e.start_job(kind, cb, payload, [&e, work = std::forward<F>(work)](wph::Job &job) { return work(e, job); }));
        return 0;
    });
}

}  // namespace

extern "C" {

WPH_API int wph_site_plan(char **json_out, wph_engine *engine, const char *spec_json) {
    return guard([&] {
        require(json_out, "json_out", "wph_site_plan");
        *json_out = nullptr;
        auto spec = text(spec_json, "spec_json", "wph_site_plan");
        *json_out = dup_out(wph::site::plan_create(*check_engine(engine)->engine, spec));
        return 0;
    });
}

WPH_API int wph_site_create(wph_job **out, wph_engine *engine, const char *spec_json, const wph_job_options *opts) {
    std::string spec;
    if (int rc = guard([&] {
            spec = text(spec_json, "spec_json", "wph_site_create");
            wph::site::parse_spec(spec);  // a bad spec fails the call, not a job
            return 0;
        }))
        return rc;
    return start(out, engine, opts, "wph_site_create", "site.create",
                 [spec](wph::Engine &e, wph::Job &job) { return wph::site::create(e, job, spec); });
}

WPH_API int wph_site_delete(wph_job **out, wph_engine *engine, const char *domain, const wph_job_options *opts) {
    std::string d;
    if (int rc = guard([&] { d = text(domain, "domain", "wph_site_delete"); return 0; })) return rc;
    return start(out, engine, opts, "wph_site_delete", "site.delete",
                 [d](wph::Engine &e, wph::Job &job) { return wph::site::remove(e, job, d); });
}

WPH_API int wph_site_suspend(wph_job **out, wph_engine *engine, const char *domain, int suspended, const wph_job_options *opts) {
    std::string d;
    if (int rc = guard([&] { d = text(domain, "domain", "wph_site_suspend"); return 0; })) return rc;
    bool on = suspended != 0;
    return start(out, engine, opts, "wph_site_suspend", "site.suspend",
                 [d, on](wph::Engine &e, wph::Job &job) { return wph::site::suspend(e, job, d, on); });
}

WPH_API int wph_site_set_php(wph_job **out, wph_engine *engine, const char *domain, const char *version,
                             const wph_job_options *opts) {
    std::string d, v;
    if (int rc = guard([&] {
            d = text(domain, "domain", "wph_site_set_php");
            v = text(version, "version", "wph_site_set_php");
            if (!wph::site::is_php_version(v)) wph::raise(WPH_EINVALID, "site", "\"" + v + "\" is not a PHP version such as 8.2");
            return 0;
        }))
        return rc;
    return start(out, engine, opts, "wph_site_set_php", "site.php",
                 [d, v](wph::Engine &e, wph::Job &job) { return wph::site::set_php(e, job, d, v); });
}

WPH_API int wph_site_regenerate(wph_job **out, wph_engine *engine, const char *domain, const wph_job_options *opts) {
    std::string d;
    if (int rc = guard([&] { d = text(domain, "domain", "wph_site_regenerate"); return 0; })) return rc;
    return start(out, engine, opts, "wph_site_regenerate", "site.regenerate",
                 [d](wph::Engine &e, wph::Job &job) { return wph::site::regenerate(e, job, d); });
}

WPH_API int wph_site_clone(wph_job **out, wph_engine *engine, const char *from_domain, const char *spec_json,
                           const wph_job_options *opts) {
    std::string d, spec;
    if (int rc = guard([&] {
            d = text(from_domain, "from_domain", "wph_site_clone");
            spec = text(spec_json, "spec_json", "wph_site_clone");
            return 0;
        }))
        return rc;
    return start(out, engine, opts, "wph_site_clone", "site.clone",
                 [d, spec](wph::Engine &e, wph::Job &job) { return wph::site::clone(e, job, d, spec, false); });
}

WPH_API int wph_site_staging(wph_job **out, wph_engine *engine, const char *domain, const char *spec_json,
                             const wph_job_options *opts) {
    std::string d, spec;
    if (int rc = guard([&] {
            d = text(domain, "domain", "wph_site_staging");
            spec = spec_json ? spec_json : "";
            return 0;
        }))
        return rc;
    return start(out, engine, opts, "wph_site_staging", "site.staging",
                 [d, spec](wph::Engine &e, wph::Job &job) { return wph::site::clone(e, job, d, spec, true); });
}

WPH_API int wph_site_push(wph_job **out, wph_engine *engine, const char *staging_domain, const char *options_json,
                          const wph_job_options *opts) {
    std::string d, o;
    if (int rc = guard([&] {
            d = text(staging_domain, "staging_domain", "wph_site_push");
            o = options_json ? options_json : "";
            return 0;
        }))
        return rc;
    return start(out, engine, opts, "wph_site_push", "site.push",
                 [d, o](wph::Engine &e, wph::Job &job) { return wph::site::push(e, job, d, o); });
}

WPH_API int wph_site_list(char **json_out, wph_engine *engine) {
    return guard([&] {
        require(json_out, "json_out", "wph_site_list");
        *json_out = nullptr;
        *json_out = dup_out(wph::site::list_json(*check_engine(engine)->engine));
        return 0;
    });
}

WPH_API int wph_site_get(char **json_out, wph_engine *engine, const char *domain) {
    return guard([&] {
        require(json_out, "json_out", "wph_site_get");
        *json_out = nullptr;
        auto d = text(domain, "domain", "wph_site_get");
        *json_out = dup_out(wph::site::get_json(*check_engine(engine)->engine, d));
        return 0;
    });
}

}  // extern "C"
