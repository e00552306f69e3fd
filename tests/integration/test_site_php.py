"""The PHP programs the site engine runs inside a WordPress site
(libwphost/site/php: install.php, object-cache.php, search-replace.php), run with
PHP's command line against Debian's WordPress and real, private MariaDB and Redis
servers started for this test (never the machine's own services)."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from daemons import Daemon, accepts, free_port, need, wait_until

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "libwphost" / "site" / "php"
PHP = "/usr/bin/php8.2"
WORDPRESS = Path("/usr/share/wordpress")
PORT = 18080  # only ever part of URLs: nothing listens on it


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    need(PHP, "/usr/sbin/mariadbd", "mariadb-install-db", "/usr/bin/mariadb", "/usr/bin/redis-server",
         "/usr/bin/redis-cli", str(WORDPRESS / "wp-includes" / "version.php"),
         str(WORDPRESS / "wp-content" / "themes" / "twentytwentythree" / "style.css"))
    base = tmp_path_factory.mktemp("site-php")
    os.chmod(base, 0o755)
    daemons = []
    try:
        data, run = base / "mysql-data", base / "mysql-run"
        run.mkdir()
        as_user = ["--user=root"] if os.geteuid() == 0 else []
        r = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}",
                            "--auth-root-authentication-method=socket", "--skip-test-db", *as_user],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        sock = run / "mysqld.sock"
        daemons.append(Daemon(["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={sock}",
                               "--skip-networking", f"--pid-file={run}/mysqld.pid", "--innodb-buffer-pool-size=16M",
                               "--skip-log-bin", *as_user], base / "mysql.log"))
        rport = free_port()
        daemons.append(Daemon(["/usr/bin/redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(base)], base / "redis.log"))
        wait_until(lambda: sock.exists(), what="mariadbd")
        wait_until(lambda: accepts(rport), what="redis-server")
        yield {"base": base, "mysql_socket": str(sock), "redis_port": rport}
    finally:
        for d in daemons:
            d.stop()
        # The WordPress copies and the database files are big: keep only the logs.
        for child in base.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            elif not child.name.endswith(".log"):
                child.unlink()


def sql(servers, statement: str) -> str:
    r = subprocess.run(["/usr/bin/mariadb", "--no-defaults", "-S", servers["mysql_socket"], "-uroot", "-N", "-B",
                        "-e", statement], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def redis(servers, *args) -> str:
    r = subprocess.run(["/usr/bin/redis-cli", "-p", str(servers["redis_port"]), *args],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


class Site:
    """A docroot copied from Debian's WordPress (without Debian's wp-config.php),
    its own database and user, and a wp-config.php one level above the docroot."""

    def __init__(self, servers, name: str):
        self.name = name
        self.dir = servers["base"] / name
        self.docroot = self.dir / "public"
        self.domain = f"{name}.test"
        self.url = f"http://{self.domain}:{PORT}"
        self.salt = f"wph-{name}"
        self.dir.mkdir()
        shutil.copytree(WORDPRESS, self.docroot, symlinks=False, ignore_dangling_symlinks=True,
                        ignore=lambda d, names: ["wp-config.php"] if Path(d) == WORDPRESS else [])
        password = f"pw-{name}-x"
        sql(servers, f"CREATE DATABASE wp_{name}; CREATE USER 'wp_{name}'@'localhost' IDENTIFIED BY '{password}';"
                     f" GRANT ALL ON wp_{name}.* TO 'wp_{name}'@'localhost';")
        salts = "".join(f"define('{k}', '{k.lower()}-{name}-0123456789');\n" for k in (
            "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
            "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
        # The Redis port and timeout can be overridden per process, to run a
        # request against a Redis that is down.
        self.config = self.dir / "wp-config.php"
        self.config.write_text(
            "<?php\n"
            f"define('DB_NAME', 'wp_{name}');\ndefine('DB_USER', 'wp_{name}');\n"
            f"define('DB_PASSWORD', '{password}');\ndefine('DB_HOST', 'localhost:{servers['mysql_socket']}');\n"
            "define('DB_CHARSET', 'utf8mb4');\ndefine('DB_COLLATE', '');\n"
            f"$table_prefix = 'wp_';\n{salts}"
            f"define('WP_CACHE_KEY_SALT', '{self.salt}:');\n"
            "define('WPH_REDIS_HOST', '127.0.0.1');\n"
            f"define('WPH_REDIS_PORT', (int) (getenv('TEST_REDIS_PORT') ?: {servers['redis_port']}));\n"
            "define('WPH_REDIS_DATABASE', 0);\n"
            "define('WPH_REDIS_TIMEOUT', (float) (getenv('TEST_REDIS_TIMEOUT') ?: 1));\n"
            "define('DISABLE_WP_CRON', true);\n"
            "define('WP_ALLOW_MULTISITE', true);\n"
            "/*MULTISITE*/\n"
            f"if (!defined('ABSPATH')) {{\n    define('ABSPATH', '{self.docroot}/');\n}}\n"
            "require_once ABSPATH . 'wp-settings.php';\n")

    def install_request(self, **over) -> dict:
        req = {"url": self.url, "title": f"Site «{self.name}» & co", "admin_user": "boss",
               "admin_email": f"boss@{self.domain}", "admin_password": "pa\\ss'w\"ord-1", "locale": "",
               "public": False, "permalink": "/%postname%/", "multisite": None, "domain": self.domain, "port": PORT}
        req.update(over)
        return req


def run_php(site: Site, script: Path, stdin=None, env=None, args=(), timeout=120):
    return subprocess.run([PHP, "-d", "display_errors=stderr", str(script), *args], cwd=site.docroot,
                          input=json.dumps(stdin) if stdin is not None else "", capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def one_json_line(r) -> dict:
    """The scripts' contract: stdout is exactly one line of JSON."""
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1, (r.stdout, r.stderr)
    return json.loads(r.stdout)


# A PHP program run inside a site: loads WordPress, runs the snippet given as
# argv[1] with the JSON from stdin in $in, prints the snippet's result as JSON.
PROBE = r"""<?php
$_SERVER['HTTP_HOST'] = getenv('TEST_HTTP_HOST') ?: 'localhost';
$_SERVER['REQUEST_URI'] = '/';
$in = json_decode(stream_get_contents(STDIN), true);
require getcwd() . '/wp-load.php';
$out = (function ($in) { return eval($GLOBALS['argv'][1]); })($in);
echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
"""


@pytest.fixture(scope="module")
def probe_file(servers) -> Path:
    path = servers["base"] / "probe.php"
    path.write_text(PROBE)
    return path


def probe(site, probe_file, code: str, stdin=None, env=None):
    r = run_php(site, probe_file, stdin=stdin if stdin is not None else {}, env=env, args=[code])
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1]), r


def install(site: Site, **over):
    r = run_php(site, SCRIPTS / "install.php", stdin=site.install_request(**over))
    return r, one_json_line(r)


def wp_version() -> str:
    text = (WORDPRESS / "wp-includes" / "version.php").read_text()
    return re.search(r"\$wp_version = '([^']+)'", text).group(1)


@pytest.fixture(scope="module")
def site(servers):
    """An installed single site with the object-cache drop-in in place."""
    s = Site(servers, "alpha")
    r, out = install(s)
    assert r.returncode == 0 and out == {"ok": True, "wp_version": wp_version(), "admin_user_id": 1}, r.stderr
    shutil.copy(SCRIPTS / "object-cache.php", s.docroot / "wp-content" / "object-cache.php")
    return s


# -- install.php ---------------------------------------------------------------

def test_install_gives_a_site_whose_admin_can_log_in(site, probe_file):
    state, _ = probe(site, probe_file, r"""
        $ok = wp_authenticate($in['user'], wp_slash($in['password']));  // as wp-login.php passes it
        $bad = wp_authenticate($in['user'], 'not-the-password');
        return [
            'installed' => is_blog_installed(),
            'title' => get_option('blogname'), 'home' => get_option('home'), 'siteurl' => get_option('siteurl'),
            'public' => get_option('blog_public'), 'permalink' => get_option('permalink_structure'),
            'theme' => get_stylesheet(), 'theme_ok' => wp_get_theme()->exists(),
            'post_link' => get_permalink(1), 'rules' => count((array) get_option('rewrite_rules')),
            'user' => is_wp_error($ok) ? $ok->get_error_code() : $ok->ID,
            'admin' => !is_wp_error($ok) && user_can($ok, 'manage_options'),
            'email' => is_wp_error($ok) ? null : $ok->user_email,
            'wrong' => is_wp_error($bad) ? $bad->get_error_code() : 'accepted',
        ];
    """, stdin={"user": "boss", "password": "pa\\ss'w\"ord-1"})
    assert state["installed"] is True
    assert state["title"] == "Site «alpha» &amp; co"  # WordPress stores the title HTML-escaped
    assert state["home"] == state["siteurl"] == site.url
    assert state["public"] == "0"
    assert state["permalink"] == "/%postname%/"
    assert state["post_link"] == f"{site.url}/hello-world/"
    assert state["rules"] > 10
    assert state["theme"] == "twentytwentythree" and state["theme_ok"] is True
    assert state["user"] == 1 and state["admin"] is True and state["email"] == "boss@alpha.test"
    assert state["wrong"] == "incorrect_password"


def test_install_refuses_an_installed_site(site, servers):
    before = sql(servers, "SELECT user_pass FROM wp_alpha.wp_users WHERE ID = 1")
    r, out = install(site, title="Another title", admin_password="other")
    assert r.returncode == 3
    assert out["ok"] is False and "already installed" in out["error"]
    assert sql(servers, "SELECT option_value FROM wp_alpha.wp_options WHERE option_name = 'blogname'").strip() \
        == "Site «alpha» &amp; co"
    assert sql(servers, "SELECT user_pass FROM wp_alpha.wp_users WHERE ID = 1") == before


def test_install_rejects_a_bad_request_before_touching_the_database(servers):
    s = Site(servers, "zeta")
    r, out = install(s, domain="other.test")
    assert r.returncode == 2 and out["ok"] is False and "domain" in out["error"]
    r, out = install(s, admin_password="   ")
    assert r.returncode == 2 and "admin_password" in out["error"]
    assert sql(servers, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'wp_zeta'").strip() == "0"


@pytest.mark.parametrize("mode", ["subdirectory", "subdomain"])
def test_install_a_network(servers, probe_file, mode):
    s = Site(servers, {"subdirectory": "netdir", "subdomain": "netdom"}[mode])
    r, out = install(s, multisite=mode)
    assert r.returncode == 0 and out["ok"] is True, r.stdout + r.stderr
    db = f"wp_{s.name}"
    host = f"{s.domain}:{PORT}"
    assert sql(servers, f"SELECT id, domain, path FROM {db}.wp_site").split() == ["1", host, "/"]
    assert sql(servers, f"SELECT blog_id, site_id, domain, path FROM {db}.wp_blogs").split() == ["1", "1", host, "/"]

    # What the engine does next: the network constants in wp-config.php.
    s.config.write_text(s.config.read_text().replace("/*MULTISITE*/", (
        "define('MULTISITE', true);\n"
        f"define('SUBDOMAIN_INSTALL', {'true' if mode == 'subdomain' else 'false'});\n"
        f"define('DOMAIN_CURRENT_SITE', '{host}');\ndefine('PATH_CURRENT_SITE', '/');\n"
        "define('SITE_ID_CURRENT_SITE', 1);\ndefine('BLOG_ID_CURRENT_SITE', 1);\n")))
    state, _ = probe(s, probe_file, r"""
        return ['ms' => is_multisite(), 'subdomain' => is_subdomain_install(), 'blog' => get_current_blog_id(),
                'home' => home_url(), 'super' => is_super_admin(1), 'network' => get_network()->domain,
                'name' => get_network_option(1, 'site_name'), 'permalink' => get_option('permalink_structure'),
                'themes' => array_keys((array) get_site_option('allowedthemes'))];
    """, env={"TEST_HTTP_HOST": host})
    assert state["ms"] is True and state["subdomain"] is (mode == "subdomain")
    assert state["blog"] == 1 and state["home"] == s.url and state["network"] == host
    assert state["super"] is True and state["name"] == f"Site «{s.name}» & co"
    assert "twentytwentythree" in state["themes"]
    # A subdirectory network's main site keeps its posts under /blog/, as WordPress does.
    assert state["permalink"] == ("/%postname%/" if mode == "subdomain" else "/blog/%postname%/")


# -- object-cache.php ----------------------------------------------------------

def test_object_cache_keeps_values_in_redis_across_processes(site, servers, probe_file):
    first, _ = probe(site, probe_file, r"""
        wp_cache_set('answer', ['n' => 42, 'o' => (object) ['s' => 'text']], 'wph-test');
        wp_cache_set('count', 5, 'wph-test', 300);
        wp_cache_set('shared', 'for all blogs', 'site-options');
        wp_cache_set('local', 'this request only', 'counts');  // a non-persistent group
        return ['ext' => wp_using_ext_object_cache(), 'connected' => $GLOBALS['wp_object_cache']->redis_connected,
                'incr' => wp_cache_incr('count', 3, 'wph-test')];
    """)
    assert first == {"ext": True, "connected": True, "incr": 8}

    keys = redis(servers, "--scan", "--pattern", "*").splitlines()
    assert f"{site.salt}:1:wph-test:answer" in keys
    assert f"{site.salt}:global:site-options:shared" in keys
    assert not [k for k in keys if "this request only" in k or k.endswith(":counts:local")]
    assert all(k.startswith(f"{site.salt}:") for k in keys), keys
    assert redis(servers, "GET", f"{site.salt}:1:wph-test:count").strip() == "8"
    assert 0 < int(redis(servers, "TTL", f"{site.salt}:1:wph-test:count")) <= 300
    assert redis(servers, "GET", f"{site.salt}:1:wph-test:answer").strip() == \
        'a:2:{s:1:"n";i:42;s:1:"o";O:8:"stdClass":1:{s:1:"s";s:4:"text";}}'

    second, _ = probe(site, probe_file, r"""
        $answer = wp_cache_get('answer', 'wph-test', false, $found);
        $local = wp_cache_get('local', 'counts', false, $local_found);
        return ['answer' => $answer, 'found' => $found, 'count' => wp_cache_get('count', 'wph-test'),
                'shared' => wp_cache_get('shared', 'site-options'), 'local_found' => $local_found,
                'hits' => $GLOBALS['wp_object_cache']->cache_hits > 0];
    """)
    assert second == {"answer": {"n": 42, "o": {"s": "text"}}, "found": True, "count": 8,
                      "shared": "for all blogs", "local_found": False, "hits": True}


def test_object_cache_flush_removes_only_this_sites_keys(site, servers, probe_file):
    redis(servers, "SET", "other-site:1:wph-test:answer", "foreign")
    redis(servers, "SET", f"{site.salt}x:1:wph-test:answer", "foreign too")
    probe(site, probe_file, "wp_cache_set('answer', 1, 'wph-test'); return true;")
    assert redis(servers, "--scan", "--pattern", f"{site.salt}:*").splitlines()

    flushed, _ = probe(site, probe_file, "return wp_cache_flush();")
    assert flushed is True
    assert redis(servers, "--scan", "--pattern", f"{site.salt}:*").splitlines() == []
    assert redis(servers, "GET", "other-site:1:wph-test:answer").strip() == "foreign"
    assert redis(servers, "GET", f"{site.salt}x:1:wph-test:answer").strip() == "foreign too"


@pytest.mark.parametrize("how", ["refused", "silent"])
def test_object_cache_without_redis_keeps_the_site_working(site, probe_file, how):
    listener = None
    if how == "refused":
        port = free_port()  # nothing listens there
    else:  # accepts connections (kernel backlog) but never answers
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        state, r = probe(site, probe_file, r"""
            wp_cache_set('k', ['v' => 1], 'wph-test');
            $again = wp_cache_get('k', 'wph-test', false, $found);
            return ['connected' => $GLOBALS['wp_object_cache']->redis_connected, 'again' => $again,
                    'found' => $found, 'title' => get_option('blogname'), 'add' => wp_cache_add('k', 2, 'wph-test'),
                    'incr' => wp_cache_set('n', 1, 'wph-test') ? wp_cache_incr('n', 1, 'wph-test') : null];
        """, env={"TEST_REDIS_PORT": str(port), "TEST_REDIS_TIMEOUT": "0.3"})
        elapsed = time.monotonic() - started
    finally:
        if listener:
            listener.close()
    assert state == {"connected": False, "again": {"v": 1}, "found": True, "title": "Site «alpha» &amp; co",
                     "add": False, "incr": 2}
    assert r.stderr.count("using the in-request cache only") == 1, r.stderr
    assert elapsed < 10


# -- search-replace.php ----------------------------------------------------------

def test_search_replace_rewrites_plain_and_serialized_values(servers, probe_file):
    s = Site(servers, "gamma")
    r, out = install(s)
    assert out["ok"] is True, r.stderr
    old, new = s.url, "https://moved.example.org"
    seeded, _ = probe(s, probe_file, r"""
        global $wpdb;
        $old = $in['old'];
        update_option('wph_plain', "Visit $old/about today");
        update_option('wph_array', ['url' => "$old/", 'list' => ["$old/a.png", 7, 0.5, true], 'keep' => 'x']);
        update_option('wph_nested', ['inner' => serialize(['home' => "$old/deep", 'twice' => serialize("$old/deeper")])]);
        // An object of a class this process does not know, with private and protected properties.
        $wpdb->insert($wpdb->options, ['option_name' => 'wph_object', 'autoload' => 'no', 'option_value' =>
            'O:9:"Elsewhere":3:{s:3:"url";s:' . strlen($old) . ':"' . $old . '";s:6:"' . "\0*\0" . 'cfg";a:1:{i:0;s:'
            . strlen("$old/x") . ':"' . "$old/x" . '";}s:14:"' . "\0Elsewhere\0" . 'key";i:9;}']);
        // Serializable's opaque payload cannot be rewritten exactly: left alone.
        $wpdb->insert($wpdb->options, ['option_name' => 'wph_opaque', 'autoload' => 'no', 'option_value' =>
            'a:1:{i:0;C:6:"Opaque":' . strlen($old) . ':{' . $old . '}}']);
        // Looks serialized but its length is wrong: replaced as plain text.
        $wpdb->insert($wpdb->options, ['option_name' => 'wph_broken', 'autoload' => 'no', 'option_value' => 's:3:"' . $old . '";']);
        return ['guid' => get_post(1)->guid];
    """, stdin={"old": old})
    assert seeded["guid"].startswith(old + "/")

    r = run_php(s, SCRIPTS / "search-replace.php",
                stdin={"pairs": [[old, new], [f"//{s.domain}:{PORT}", "//moved.example.org"]],
                       "tables": [], "skip_columns": ["guid"]})
    result = one_json_line(r)
    assert r.returncode == 0 and result["ok"] is True, r.stdout + r.stderr
    assert result["tables"] >= 12 and result["rows"] >= 8 and result["cells"] >= result["rows"]
    assert result["untouched_values"] == 1 and result["skipped_tables"] == []

    raw = {name: sql(servers, f"SELECT option_value FROM wp_gamma.wp_options WHERE option_name = '{name}'").rstrip("\n")
           for name in ("wph_array", "wph_nested", "wph_object", "wph_opaque", "wph_broken")}
    assert old not in "".join(v for k, v in raw.items() if k != "wph_opaque")
    assert raw["wph_opaque"] == f'a:1:{{i:0;C:6:"Opaque":{len(old)}:{{{old}}}}}'
    assert raw["wph_broken"] == f's:3:"{new}";'
    assert f's:{len(new) + 1}:"{new}/";' in raw["wph_array"]

    state, _ = probe(s, probe_file, r"""
        global $wpdb;
        $raw = fn($name) => $wpdb->get_var($wpdb->prepare("SELECT option_value FROM $wpdb->options WHERE option_name = %s", $name));
        $nested = get_option('wph_nested');
        $inner = unserialize($nested['inner']);
        $object = unserialize($raw('wph_object'), ['allowed_classes' => false]);
        $props = (array) $object;
        return [
            'home' => get_option('home'), 'siteurl' => get_option('siteurl'),
            'plain' => get_option('wph_plain'), 'array' => get_option('wph_array'),
            'inner_ok' => is_array($inner), 'inner_home' => $inner['home'] ?? null,
            'twice' => isset($inner['twice']) ? unserialize($inner['twice']) : null,
            'class' => $props['__PHP_Incomplete_Class_Name'] ?? null,
            'url' => $props['url'] ?? null, 'cfg' => $props["\0*\0cfg"] ?? null, 'key' => $props["\0Elsewhere\0key"] ?? null,
            'guid' => get_post(1)->guid, 'content' => get_post(2)->post_content,
            'admin_url' => get_userdata(1)->user_url,
        ];
    """, env={"TEST_HTTP_HOST": "moved.example.org"})
    assert state["home"] == state["siteurl"] == new
    assert state["plain"] == f"Visit {new}/about today"
    assert state["array"] == {"url": f"{new}/", "list": [f"{new}/a.png", 7, 0.5, True], "keep": "x"}
    assert state["inner_ok"] is True and state["inner_home"] == f"{new}/deep"
    assert state["twice"] == f"{new}/deeper"
    assert state["class"] == "Elsewhere" and state["url"] == new and state["cfg"] == [f"{new}/x"] and state["key"] == 9
    assert state["guid"] == seeded["guid"]  # skipped column
    assert new in state["content"] and old not in state["content"]
    assert state["admin_url"] == new

    # A second run finds nothing more to change.
    again = one_json_line(run_php(s, SCRIPTS / "search-replace.php",
                                  stdin={"pairs": [[old, new]], "tables": [], "skip_columns": ["guid"]}))
    assert again["ok"] is True and again["cells"] == 0


def test_search_replace_flushes_the_object_cache(site, servers, probe_file):
    redis(servers, "SET", "other-site:1:options:alloptions", "foreign")
    probe(site, probe_file, "return get_option('home');")  # fills the cache
    assert f"{site.salt}:1:options:alloptions" in redis(servers, "--scan", "--pattern", f"{site.salt}:*").splitlines()
    request = {"pairs": [["text-found-nowhere", "x"]], "tables": [], "skip_columns": []}

    # Redis down: the cache cannot be flushed, and that is a failure.
    r = run_php(site, SCRIPTS / "search-replace.php", stdin=request, env={"TEST_REDIS_PORT": str(free_port())})
    out = one_json_line(r)
    assert r.returncode == 1 and out["ok"] is False and "object cache could not be flushed" in out["error"]
    assert redis(servers, "--scan", "--pattern", f"{site.salt}:*").splitlines()

    r = run_php(site, SCRIPTS / "search-replace.php", stdin=request)
    assert one_json_line(r) == {"ok": True, "tables": 12, "rows": 0, "cells": 0, "skipped_tables": [],
                                "untouched_values": 0}, r.stderr
    assert redis(servers, "--scan", "--pattern", f"{site.salt}:*").splitlines() == []
    assert redis(servers, "GET", "other-site:1:options:alloptions").strip() == "foreign"


def test_search_replace_rejects_bad_requests(site):
    for request, words in (({"pairs": []}, "pairs"), ({"pairs": [["", "x"]]}, "empty"),
                           ({"pairs": [["a", "b"]], "tables": ["wp_nope"]}, "no such table")):
        r = run_php(site, SCRIPTS / "search-replace.php", stdin=request)
        out = one_json_line(r)
        assert r.returncode == 2 and out["ok"] is False and words in out["error"], out
