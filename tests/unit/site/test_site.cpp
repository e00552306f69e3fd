// Site spec validation, renderers and plan mode: pure logic, no root, no servers.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "engine/engine.hpp"
#include "engine/error.hpp"
#include "site/render.hpp"
#include "site/site.hpp"
#include "site/spec.hpp"

using namespace wph;
using namespace wph::site;
namespace json = boost::json;

namespace {

int code_of(const std::function<void()> &f, std::string *msg = nullptr) {
    try {
        f();
    } catch (const Error &e) {
        if (msg) *msg = e.message();
        return e.code();
    }
    return 0;
}

std::string with(const std::string &field_json) { return "{\"domain\":\"example.com\"," + field_json + "}"; }

bool has(const std::string &hay, const std::string &needle) { return hay.find(needle) != std::string::npos; }

struct Rendered {
    HostProfile p;
    SiteSpec s;
    SiteNames n;
    Rendered(const std::string &spec_json, int port = 80) : s(parse_spec(spec_json)) {
        p.nginx.http_port = port;
        n = make_names(p, s.domain, slug_for(s.domain, false));
    }
    RenderContext ctx(bool suspended = false) { return RenderContext{p, s, n, suspended, true, {}, {}, {}, true}; }
};

}  // namespace

TEST_CASE("domains: RFC 1123 labels, IDN to punycode, lower case") {
    CHECK(normalize_domain("Example.COM", "d") == "example.com");
    CHECK(normalize_domain("bücher.example", "d") == "xn--bcher-kva.example");
    CHECK(normalize_domain("example.com.", "d") == "example.com");
    CHECK(normalize_domain("a-b.c-d.example", "d") == "a-b.c-d.example");
    std::string msg;
    for (const char *bad : {"", "localhost", "-a.com", "a-.com", "a..com", "exa mple.com", "a;b.com", "a/b.com", "a\nb.com",
                            "1.2.3.4", "xn--.com", "ab--cd.com", "a_b.com", "$host.com", "{a}.com"}) {
        INFO(bad);
        CHECK(code_of([&] { normalize_domain(bad, "domain"); }) == WPH_EINVALID);
    }
    CHECK(code_of([&] { normalize_domain(std::string(64, 'a') + ".com", "domain"); }, &msg) == WPH_EINVALID);
    CHECK(has(msg, "63"));
}

TEST_CASE("spec: defaults, and every field validated with the field named") {
    auto s = parse_spec(R"({"domain":"Shop.Example.com"})");
    CHECK(s.domain == "shop.example.com");
    CHECK(s.php == "8.2");
    CHECK(s.cache == "page");
    CHECK(s.title == "shop.example.com");
    CHECK(s.admin_email == "admin@shop.example.com");
    CHECK(s.environment == "production");

    struct Bad {
        const char *json;
        const char *field;
    } bad[] = {
        {R"({"title":"x"})", "domain"},
        {R"({"domain":"example.com","php":"8.2; rm -rf /"})", "\"php\""},
        {R"({"domain":"example.com","php":8.2})", "\"php\""},
        {R"({"domain":"example.com","title":"a\nb"})", "\"title\""},
        {R"({"domain":"example.com","admin_user":"adm'in"})", "\"admin_user\""},
        {R"({"domain":"example.com","admin_email":"a@b.c' OR 1=1"})", "\"admin_email\""},
        {R"({"domain":"example.com","admin_password":"short"})", "\"admin_password\""},
        {R"({"domain":"example.com","source":"relative/dir"})", "\"source\""},
        {R"({"domain":"example.com","source":"https://x.org/a b.tgz"})", "\"source\""},
        {R"({"domain":"example.com","cache":"all"})", "\"cache\""},
        {R"({"domain":"example.com","multisite":"yes"})", "\"multisite\""},
        {R"({"domain":"example.com","php_limits":{"memory_limit":"256M;"}})", "php_limits.memory_limit"},
        {R"({"domain":"example.com","php_limits":{"max_children":0}})", "php_limits.max_children"},
        {R"({"domain":"example.com","php_limits":{"bogus":1}})", "php_limits.bogus"},
        {R"({"domain":"example.com","aliases":["example.com"]})", "aliases[0]"},
        {R"({"domain":"example.com","aliases":["ok.example.com","bad;name"]})", "aliases[1]"},
        {R"({"domain":"example.com","locale":"de_DE;"})", "\"locale\""},
        {R"({"domain":"example.com","domian":"typo"})", "\"domian\""},
        {R"({"domain":"example.com","environment":"dev"})", "\"environment\""},
        {R"({"domain":"example.com","redis_database":16})", "\"redis_database\""},
        {R"([1,2])", "site spec"},
    };
    for (auto &b : bad) {
        INFO(b.json);
        std::string msg;
        CHECK(code_of([&] { parse_spec(b.json); }, &msg) == WPH_EINVALID);
        CHECK(has(msg, b.field));
    }
    CHECK(parse_spec(with(R"("tls":"acme")")).tls == "acme");
    std::string msg;
    CHECK(code_of([&] { parse_spec(with(R"("tls":"letsencrypt")")); }, &msg) == WPH_EINVALID);
    CHECK(has(msg, "acme"));
}

TEST_CASE("names fit Linux and MariaDB limits and stay unique per domain") {
    CHECK(slug_for("example.com", false) == "example_com");
    auto long_slug = slug_for(std::string(40, 'a') + ".example.com", false);
    CHECK(("wp_" + long_slug).size() <= 32);
    // Two domains that read the same get different hashed slugs.
    CHECK(slug_for("a-b.com", true) != slug_for("a.b.com", true));
    HostProfile p;
    auto n = make_names(p, "example.com", "example_com");
    CHECK(n.home == "/srv/wphost/sites/example.com");
    CHECK(n.docroot == n.home + "/public");
    CHECK(n.wp_config == n.home + "/wp-config.php");
    CHECK(n.user == "wp_example_com");
    CHECK(pool_socket(p, "8.2", n) == "/run/php/wp_example_com-8.2.sock");
    CHECK(pool_file(p, "8.2", n) == "/etc/php/8.2/fpm/pool.d/wp_example_com.conf");
}

TEST_CASE("nginx server block: cache rules, limits, uploads, overrides") {
    Rendered r(with(R"("cache":"page")"));
    auto conf = render_nginx(r.ctx());
    CHECK(has(conf, "fastcgi_cache_path /var/cache/nginx/wphost/example_com "));
    CHECK(has(conf, "server_name example.com;"));
    CHECK(has(conf, "server_name www.example.com;\n    return 301 http://example.com$request_uri;"));
    CHECK(has(conf, "if ($request_method = POST) { set $wph_skip_cache 1; }"));
    CHECK(has(conf, "if ($query_string != \"\") { set $wph_skip_cache 1; }"));
    CHECK(has(conf, "wordpress_logged_in"));
    CHECK(has(conf, "woocommerce_cart_hash"));
    CHECK(has(conf, "/wp-admin/"));
    CHECK(has(conf, "sitemap"));
    CHECK(has(conf, "/feed/"));
    CHECK(has(conf, "add_header X-Cache $upstream_cache_status always;"));
    CHECK(has(conf, "location = /wp-login.php {\n        limit_req zone=wph_example_com_login"));
    CHECK(has(conf, "location = /xmlrpc.php {\n        limit_req zone=wph_example_com_xmlrpc"));
    CHECK(has(conf, "location ~* ^/wp-content/uploads/.*\\.(?:php[0-9]?|phtml|phar|pht)$ { deny all; }"));
    CHECK(has(conf, "include /srv/wphost/sites/example.com/conf/nginx/*.conf;"));
    CHECK(has(conf, "expires 365d;"));
    CHECK(has(conf, "disable_symlinks if_not_owner from=$document_root;"));
    CHECK(has(conf, "open_file_cache max=10000 inactive=60s;"));
    CHECK(has(conf, "fastcgi_cache_purge wph_example_com"));
    CHECK(has(conf, "fastcgi_pass unix:/run/php/wp_example_com-8.2.sock;"));
    CHECK_FALSE(has(conf, "HTTP_HOST"));  // the default port needs no fix
    // The uploads rule comes before the PHP location (nginx takes the first regex).
    CHECK(conf.find("wp-content/uploads") < conf.find("location ~ \\.php$"));

    Rendered nocache(with(R"("cache":"none","www":"none")"), 8080);
    auto c2 = render_nginx(nocache.ctx());
    CHECK_FALSE(has(c2, "fastcgi_cache"));
    CHECK_FALSE(has(c2, "www.example.com"));
    CHECK(has(c2, "listen 8080;"));
    CHECK(has(c2, "fastcgi_param HTTP_HOST $host:$server_port;"));

    auto suspended = render_nginx(r.ctx(true));
    CHECK(has(suspended, "return 503;"));
    CHECK_FALSE(has(suspended, "fastcgi_pass"));

    Rendered ms(with(R"("multisite":"subdirectory")"));
    CHECK(has(render_nginx(ms.ctx()), "rewrite ^(/[^/]+)?(/wp-.*) $2 last;"));
    Rendered sub(with(R"("multisite":"subdomain")"));
    CHECK(has(render_nginx(sub.ctx()), "*.example.com"));
}

TEST_CASE("PHP-FPM pool: own user, socket for nginx's group, open_basedir") {
    Rendered r(with(R"("php_limits":{"memory_limit":"512M","upload_max_filesize":"128M","max_children":7})"));
    auto pool = render_pool(r.ctx(), {{"max_execution_time", "120"}});
    CHECK(has(pool, "[wp_example_com]\nuser = wp_example_com\ngroup = wp_example_com\n"));
    CHECK(has(pool, "listen.owner = wp_example_com\nlisten.group = www-data\nlisten.mode = 0660\n"));
    CHECK(has(pool, "pm = ondemand\npm.max_children = 7\n"));
    CHECK(has(pool, "php_admin_value[open_basedir] = /srv/wphost/sites/example.com/public/:/srv/wphost/sites/example.com/tmp/:"));
    CHECK(has(pool, "php_admin_value[session.save_path] = /srv/wphost/sites/example.com/tmp/sessions"));
    CHECK(has(pool, "php_admin_value[upload_tmp_dir] = /srv/wphost/sites/example.com/tmp/uploads"));
    CHECK(has(pool, "php_value[memory_limit] = 512M"));
    CHECK(has(pool, "php_value[upload_max_filesize] = 128M"));
    CHECK(has(pool, "php_value[max_execution_time] = 120"));
    Rendered open(with(R"("open_basedir":false)"));
    CHECK_FALSE(has(render_pool(open.ctx(), {}), "open_basedir"));
    CHECK(code_of([&] { parse_spec(with(R"("open_basedir":"no")")); }) == WPH_EINVALID);
}

TEST_CASE("php.ini overrides: simple settings only") {
    auto m = parse_php_overrides("; comment\nmax_execution_time = 60\nmemory_limit=\"1G\"\n\n", "php.ini");
    CHECK(m.at("max_execution_time") == "60");
    CHECK(m.at("memory_limit") == "1G");
    std::string msg;
    CHECK(code_of([&] { parse_php_overrides("open_basedir = /\n", "php.ini"); }, &msg) == WPH_EINVALID);
    CHECK(has(msg, "line 1"));
    CHECK(code_of([&] { parse_php_overrides("x = a\nauto_prepend_file = /tmp/x.php\n", "php.ini"); }, &msg) == WPH_EINVALID);
    CHECK(has(msg, "line 2"));
    CHECK(code_of([&] { parse_php_overrides("memory_limit = 1G\nphp_admin_value[open_basedir] = /\n", "f"); }) == WPH_EINVALID);
    CHECK(code_of([&] { parse_php_overrides("memory_limit = 1G; extension=evil\n", "f"); }) == WPH_EINVALID);
    CHECK(code_of([&] { parse_php_overrides("novalue\n", "f"); }) == WPH_EINVALID);
}

TEST_CASE("wp-config.php: credentials, salts, hardening, multisite constants") {
    Rendered r(with(R"("cache":"page+object","multisite":"subdirectory")"));
    auto sec = SiteSecrets::generate();
    sec.db_password = "pa'ss\\word";
    auto cfg = render_wp_config(r.ctx(), sec);
    CHECK(has(cfg, "define('DB_PASSWORD', 'pa\\'ss\\\\word');"));
    CHECK(has(cfg, "define('DB_HOST', 'localhost:/run/mysqld/mysqld.sock');"));
    CHECK(has(cfg, "define('DISALLOW_FILE_EDIT', true);"));
    CHECK(has(cfg, "define('AUTOMATIC_UPDATER_DISABLED', true);"));
    CHECK(has(cfg, "define('WP_CACHE_KEY_SALT', 'example_com:');"));
    CHECK(has(cfg, "define('WPH_REDIS_PORT', 6379);"));
    CHECK(has(cfg, "define('MULTISITE', true);"));
    CHECK(has(cfg, "define('SUBDOMAIN_INSTALL', false);"));
    CHECK(has(cfg, "define('ABSPATH', __DIR__ . '/public/');"));
    for (auto &salt : sec.salts) {
        CHECK(salt.size() == 64);
        CHECK(salt.find('\'') == std::string::npos);
        CHECK(salt.find('\\') == std::string::npos);
        CHECK(has(cfg, salt));
    }
    CHECK(SiteSecrets::generate().salts != sec.salts);
    auto pw = crypt_sha512("secret");
    CHECK(pw.rfind("$6$", 0) == 0);
}

TEST_CASE("plan mode renders everything and runs nothing") {
    auto dir = std::filesystem::temp_directory_path() / ("wph-plan-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    EngineConfig cfg;
    cfg.state_dir = dir.string();
    Engine e(cfg);
    auto plan = json::parse(plan_create(e, R"({"domain":"plan.example","cache":"page+object","admin_password":"a-long-password-1"})"));
    auto &actions = plan.at("actions").as_array();
    bool groupadd = false, useradd = false, pool = false, nginx = false, nginx_t = false, sql_grant = false, install = false;
    for (auto &a : actions) {
        auto text = json::serialize(a);
        CHECK_FALSE(has(text, "a-long-password-1"));  // secrets never shown
        auto &o = a.as_object();
        auto kind = std::string(o.at("action").as_string());
        if (kind == "run") {
            auto &argv = o.at("argv").as_array();
            auto prog = std::string(argv[0].as_string());
            groupadd |= prog == "/usr/sbin/groupadd";
            useradd |= prog == "/usr/sbin/useradd";
            nginx_t |= prog == "/usr/sbin/nginx" && argv.size() > 1 && argv[1] == "-t";
            install |= o.contains("as_user") && o.at("as_user") == "wp_plan_example" && o.contains("stdin") && o.at("stdin") == "(secret)";
        }
        if (kind == "write" && o.at("path") == "/etc/php/8.2/fpm/pool.d/wp_plan_example.conf") pool = true;
        if (kind == "write" && o.at("path") == "/etc/nginx/sites-enabled/wphost-plan.example.conf") nginx = true;
        if (kind == "write" && o.at("path") == "/srv/wphost/sites/plan.example/wp-config.php") CHECK(o.at("secret") == true);
        if (kind == "sql")
            for (auto &st : o.at("statements").as_array()) {
                auto stmt = std::string(st.as_string());
                if (stmt.rfind("GRANT", 0) == 0) {
                    sql_grant = true;
                    CHECK_FALSE(has(stmt, "ALL"));
                    CHECK_FALSE(has(stmt, "GRANT OPTION"));
                    CHECK(has(stmt, "ON `wp_plan_example`.* TO 'wp_plan_example'@'localhost'"));
                }
                CHECK((!has(stmt, "IDENTIFIED BY") || has(stmt, "(secret)")));
            }
    }
    CHECK(groupadd);
    CHECK(useradd);
    CHECK(pool);
    CHECK(nginx);
    CHECK(nginx_t);
    CHECK(sql_grant);
    CHECK(install);
    // Nothing reached the host or the store.
    CHECK_FALSE(std::filesystem::exists("/srv/wphost/sites/plan.example"));
    CHECK(json::parse(list_json(e)).as_array().empty());
    std::filesystem::remove_all(dir);
}
