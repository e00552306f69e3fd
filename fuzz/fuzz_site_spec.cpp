// libFuzzer: parse_spec and parse_php_overrides on arbitrary bytes. Whatever
// a spec is accepted with, the files rendered from it keep their shape:
//   - the pool file has as many lines as the template (no value adds one),
//   - every nginx server_name and listen line holds only name characters,
//   - wp-config.php's define lines each end with ");".
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/error.hpp"
#include "site/render.hpp"
#include "site/spec.hpp"

using namespace wph::site;

namespace {
void require(bool ok, const char *what, const std::string &detail) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_site_spec: property violated: %s\n%s\n", what, detail.c_str());
        std::abort();
    }
}

std::size_t count_lines(const std::string &s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

std::size_t template_pool_lines(bool open_basedir) {
    wph::HostProfile p;
    auto s = parse_spec(open_basedir ? R"({"domain":"example.com"})" : R"({"domain":"example.com","open_basedir":false})");
    auto n = make_names(p, s.domain, slug_for(s.domain, false));
    return count_lines(render_pool(RenderContext{p, s, n, false, false, {}, {}, {}, false}, {}));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const std::size_t pool_lines[2] = {template_pool_lines(false), template_pool_lines(true)};
    const std::string in(reinterpret_cast<const char *>(data), size);
    try {
        auto overrides = parse_php_overrides(in, "php.ini");
        for (auto &[k, v] : overrides) {
            require(k.find_first_of("\n\r[]=") == std::string::npos, "override key is a plain name", k);
            require(v.find_first_of("\n\r;\"") == std::string::npos, "override value is inert", v);
        }
    } catch (const wph::Error &) {
    }
    try {
        SiteSpec s = parse_spec(in);
        wph::HostProfile p;
        p.nginx.http_port = 8080;
        auto n = make_names(p, s.domain, slug_for(s.domain, false));
        RenderContext ctx{p, s, n, false, true, {}, {}, {}, true};
        require(count_lines(render_pool(ctx, {})) == pool_lines[s.open_basedir], "pool file keeps its lines", render_pool(ctx, {}));
        auto conf = render_nginx(ctx);
        std::size_t pos = 0;
        while ((pos = conf.find("server_name ", pos)) != std::string::npos) {
            auto end = conf.find(';', pos);
            auto value = conf.substr(pos + 12, end - pos - 12);
            for (unsigned char c : value)
                require(std::isalnum(c) || c == '.' || c == '-' || c == ' ' || c == '*', "server_name holds names only", value);
            pos = end;
        }
        auto cfg = render_wp_config(ctx, SiteSecrets::generate());
        pos = 0;
        while ((pos = cfg.find("define(", pos)) != std::string::npos) {
            auto eol = cfg.find('\n', pos);
            require(cfg.compare(eol - 2, 2, ");") == 0, "each define is one line", cfg.substr(pos, eol - pos));
            pos = eol;
        }
    } catch (const wph::Error &) {
    }
    return 0;
}
