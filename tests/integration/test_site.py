"""Site provisioning against real nginx, PHP-FPM 8.2, MariaDB and Redis from
Debian, started privately on 127.0.0.1 for this module (tests/integration/lemp.py).
WordPress comes from Debian's `wordpress` package."""
import grp
import json
import os
import pwd
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lemp import Lemp, second_php_version  # noqa: E402

import wphost  # noqa: E402

SOURCE = "/usr/share/wordpress"
PASSWORD = "correct-horse-battery"
CREATE_STEPS = ["group", "user", "home", "files", "secrets", "database", "database_user", "wp_config", "install",
                "object_cache", "php_pool", "nginx"]

if os.geteuid() != 0:
    pytest.skip("site provisioning creates Linux users: run as root", allow_module_level=True)


@pytest.fixture(scope="module")
def lemp() -> Iterator[Lemp]:
    if not Path(SOURCE, "wp-includes/version.php").exists():
        pytest.fail("Debian's wordpress package is missing (scripts/install-deps installs it)")
    base = tempfile.mkdtemp(prefix="wphs-", dir="/tmp")
    os.chmod(base, 0o755)
    stack = Lemp(base, listen_address="").start()
    try:
        yield stack
    finally:
        stack.stop()
        subprocess.run(["rm", "-rf", base])


@pytest.fixture(scope="module")
def engine(lemp: Lemp) -> Iterator[wphost.Engine]:
    e = wphost.Engine(state_dir=str(Path(lemp.profile["sites_root"]).parent.parent / "state"), host_profile=lemp.profile)
    yield e
    for s in e.sites.list():  # staging sites first
        if "staging_of" in s:
            e.sites.delete(s["domain"])
    for s in e.sites.list():
        e.sites.delete(s["domain"])
    e.close()


# Linux accounts are shared by everything on the machine: the host's state is
# judged on the accounts of the domains this module uses.
ACCOUNTS: Set[str] = set()


def spec(domain: str, **kw: Any) -> Dict[str, Any]:
    ACCOUNTS.add("wp_" + re.sub(r"[^a-z0-9]", "_", domain))
    d: Dict[str, Any] = {"domain": domain, "source": SOURCE, "title": f"Title of {domain}", "admin_password": PASSWORD}
    d.update(kw)
    return d


def get(lemp: Lemp, domain: str, path: str = "/", **kw: Any) -> Any:
    return lemp.http(path, host=f"{domain}:{lemp.http_port}", **kw)


def home_page(lemp: Lemp, domain: str) -> str:
    r = get(lemp, domain)
    assert r.status == 200, (r.status, r.body[:500], lemp.logs())
    return r.body.decode("utf-8", "replace")


def title_of(html: str) -> str:
    m = re.search(r"<title>(.*?)</title>", html, re.S)
    return m.group(1) if m else ""


def host_state(lemp: Lemp, engine: wphost.Engine) -> Dict[str, Any]:
    """What a site leaves on the host: accounts, files, configs, databases, state."""
    p = lemp.profile

    def listing(d: str) -> List[str]:
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    state_sites = Path(engine.state_dir) / "sites"
    return {
        "users": sorted(u.pw_name for u in pwd.getpwall() if u.pw_name in ACCOUNTS or u.pw_dir.startswith(p["sites_root"])),
        "groups": sorted(g.gr_name for g in grp.getgrall() if g.gr_name in ACCOUNTS),
        "sites_root": listing(p["sites_root"]),
        "nginx": listing(p["nginx"]["sites_dir"]),
        "pools": listing(str(Path(p["php"]["etc_dir"]) / "8.2/fpm/pool.d")),
        "sockets": sorted(x for x in listing(p["php"]["run_dir"]) if x.startswith("wp_")),
        "cache": listing(p["nginx"]["cache_dir"]),
        "secrets": listing(str(state_sites)),
        "databases": sorted(r[0] for r in lemp.mysql("SHOW DATABASES") if r[0].startswith("wp_")),
        "db_users": sorted(r[0] for r in lemp.mysql("SELECT User FROM mysql.user") if r[0].startswith("wp_")),
        "store": [s["domain"] for s in engine.sites.list()],
    }


def process_uids() -> List[int]:
    uids = []
    for pid in os.listdir("/proc"):
        try:
            status = Path("/proc", pid, "status").read_text()
        except (OSError, ValueError):
            continue
        m = re.search(r"^Uid:\s+(\d+)", status, re.M)
        if m:
            uids.append(int(m.group(1)))
    return uids


def redis_keys(lemp: Lemp, pattern: str) -> List[str]:
    out = subprocess.run(["redis-cli", "-p", str(lemp.profile["redis"]["port"]), "--scan", "--pattern", pattern],
                         capture_output=True, text=True, check=True).stdout
    return [k for k in out.splitlines() if k]


def php_as_site(lemp: Lemp, engine: wphost.Engine, domain: str, code: str) -> str:
    """Run PHP with WordPress loaded, as the site's user."""
    info = engine.sites.get(domain)
    user, docroot = info["names"]["user"], info["names"]["docroot"]
    script = Path(info["names"]["tmp"]) / "wph-test.php"
    script.write_text("<?php\n$_SERVER['HTTP_HOST'] = " + json.dumps(f"{domain}:{lemp.http_port}") +
                      ";\nrequire 'wp-load.php';\n" + code)
    os.chmod(script, 0o644)
    try:
        r = subprocess.run(["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--", "/usr/bin/php8.2", str(script)],
                           cwd=docroot, capture_output=True, text=True)
    finally:
        script.unlink()
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def login(lemp: Lemp, domain: str, user: str = "admin", password: str = PASSWORD) -> str:
    """Log in through wp-login.php; returns the Cookie header of the session."""
    body = urllib.parse.urlencode({"log": user, "pwd": password, "wp-submit": "Log In", "testcookie": "1",
                                   "redirect_to": "/wp-admin/"})
    r = get(lemp, domain, "/wp-login.php", method="POST", data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": "wordpress_test_cookie=WP%20Cookie%20check"})
    assert r.status == 302, (r.status, r.body[:2000])
    cookies = [c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie")]
    assert any(c.startswith("wordpress_logged_in_") for c in cookies), cookies
    return "; ".join(cookies)


def test_create_serves_wordpress_caches_and_logs_in(lemp: Lemp, engine: wphost.Engine) -> None:
    res = engine.sites.create(spec("alpha.test", cache="page"))
    assert res["url"] == f"http://alpha.test:{lemp.http_port}"
    assert "admin_password" not in res  # given, so never echoed
    html = home_page(lemp, "alpha.test")
    assert "Title of alpha.test" in title_of(html)
    assert "wp-content/themes/twentytwentythree" in html
    # Anonymous: the second request is served from nginx's cache.
    assert get(lemp, "alpha.test").headers.get("X-Cache") == "HIT"
    # Purging a page (cache purge module, from this machine) makes it a MISS again.
    assert get(lemp, "alpha.test", "/purge/").status == 200
    assert get(lemp, "alpha.test").headers.get("X-Cache") == "MISS"
    # Logged in: never from the cache, and WordPress knows the user.
    cookie = login(lemp, "alpha.test")
    r = get(lemp, "alpha.test", headers={"Cookie": cookie})
    assert r.status == 200
    assert r.headers.get("X-Cache") == "BYPASS"
    assert b"wp-admin-bar" in r.body or b"admin-bar" in r.body
    admin = get(lemp, "alpha.test", "/wp-admin/", headers={"Cookie": cookie})
    assert admin.status == 200 and b"Dashboard" in admin.body
    # A wrong password is refused.
    body = urllib.parse.urlencode({"log": "admin", "pwd": "wrong-password", "testcookie": "1"})
    bad = get(lemp, "alpha.test", "/wp-login.php", method="POST", data=body.encode(),
              headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": "wordpress_test_cookie=WP%20Cookie%20check"})
    assert bad.status == 200 and b"login_error" in bad.body
    # The host agrees with the state store.
    info = engine.sites.get("alpha.test")
    assert info["healthy"] is True, info["host"]
    assert info["state"] == "active"
    # Files and accounts are the site's own.
    names = info["names"]
    st = os.stat(names["wp_config"])
    assert st.st_mode & 0o777 == 0o600 and pwd.getpwuid(st.st_uid).pw_name == names["user"]
    assert os.stat(names["home"]).st_mode & 0o777 == 0o750
    assert not Path(names["docroot"], "wp-config.php").exists()  # one level above the docroot
    wpcontent = os.stat(Path(names["docroot"], "wp-content"))
    assert pwd.getpwuid(wpcontent.st_uid).pw_name == names["user"]
    # A shared core: root's read-only hard links, which the site cannot change.
    core = os.stat(Path(names["docroot"], "wp-includes/version.php"))
    assert core.st_uid == 0 and core.st_nlink >= 2 and core.st_mode & 0o022 == 0
    # The database user has exactly the listed privileges on its own database.
    grants = " ".join(r[0] for r in lemp.mysql(f"SHOW GRANTS FOR '{names['db_user']}'@'localhost'"))
    assert "ALL PRIVILEGES" not in grants and "GRANT OPTION" not in grants
    assert f"ON `{names['db_name']}`.*" in grants


def test_generated_password_is_returned_once(lemp: Lemp, engine: wphost.Engine) -> None:
    s = spec("gen.test", cache="none")
    del s["admin_password"]
    res = engine.sites.create(s)
    pw = res["admin_password"]
    assert len(pw) >= 16
    assert pw not in json.dumps(engine.sites.get("gen.test"))
    assert pw not in json.dumps(engine.jobs(5))
    login(lemp, "gen.test", password=pw)
    engine.sites.delete("gen.test")


def test_tarball_source_with_copied_core(lemp: Lemp, engine: wphost.Engine, tmp_path: Path) -> None:
    import tarfile
    tarball = tmp_path / "wordpress-release.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:  # laid out like wordpress.org's: wordpress/...
        for root, dirs, files in os.walk(SOURCE, followlinks=True):
            for f in files:
                full = os.path.join(root, f)
                if os.path.exists(full):  # Debian's package has dangling links
                    tar.add(os.path.realpath(full), arcname="wordpress/" + os.path.relpath(full, SOURCE), recursive=False)
    res = engine.sites.create(spec("tarball.test", cache="none", core="copy", source=str(tarball)))
    assert "Title of tarball.test" in title_of(home_page(lemp, "tarball.test"))
    # With core "copy" every file is the site user's own.
    owner = pwd.getpwuid(os.stat(Path(res["docroot"], "wp-includes/version.php")).st_uid).pw_name
    assert owner == res["user"]
    engine.sites.delete("tarball.test")
    with pytest.raises(wphost.Error, match="does not exist|not a WordPress"):
        engine.sites.create(spec("nosource.test", source=str(tmp_path / "missing.tar.gz")))


def test_one_site_cannot_read_another(lemp: Lemp, engine: wphost.Engine) -> None:
    engine.sites.create(spec("iso-a.test", cache="none"))
    engine.sites.create(spec("iso-b.test", cache="none"))
    a, b = engine.sites.get("iso-a.test")["names"], engine.sites.get("iso-b.test")["names"]
    probe = Path(a["docroot"], "probe.php")
    probe.write_text(textwrap.dedent(f"""\
        <?php
        $errors = [];
        set_error_handler(function ($no, $msg) use (&$errors) {{ $errors[] = $msg; return true; }});
        $r = file_get_contents({json.dumps(b["wp_config"])});
        echo $r === false ? "DENIED " . implode(" | ", $errors) : "READ " . strlen($r);
        echo "\\nOWN " . (is_readable(__DIR__ . "/../wp-config.php") ? "yes" : "no");
        """))
    os.chown(probe, pwd.getpwnam(a["user"]).pw_uid, grp.getgrnam(a["group"]).gr_gid)
    r = get(lemp, "iso-a.test", "/probe.php")
    text = r.body.decode()
    assert r.status == 200, text
    assert text.startswith("DENIED"), text
    assert "open_basedir" in text
    assert "OWN yes" in text
    # Without open_basedir, file permissions alone still refuse it.
    out = subprocess.run(["setpriv", f"--reuid={a['user']}", f"--regid={a['group']}", "--init-groups", "--",
                          "/usr/bin/php8.2", "-r", f"var_dump(@file_get_contents({json.dumps(b['wp_config'])}));"],
                         capture_output=True, text=True)
    assert "bool(false)" in out.stdout
    # PHP placed in uploads is never run.
    up = Path(a["docroot"], "wp-content/uploads/evil.php")
    up.write_text("<?php echo 'RAN';")
    r = get(lemp, "iso-a.test", "/wp-content/uploads/evil.php")
    assert r.status == 403 and b"RAN" not in r.body
    for d in ("iso-a.test", "iso-b.test"):
        engine.sites.delete(d)


def test_object_cache_uses_redis_with_the_site_prefix(lemp: Lemp, engine: wphost.Engine) -> None:
    engine.sites.create(spec("obj.test", cache="page+object"))
    slug = engine.sites.get("obj.test")["names"]["slug"]
    assert Path(engine.sites.get("obj.test")["names"]["docroot"], "wp-content/object-cache.php").exists()
    home_page(lemp, "obj.test")
    keys = redis_keys(lemp, f"{slug}:*")
    assert keys, "no object-cache keys in Redis"
    out = php_as_site(lemp, engine, "obj.test", "wp_cache_set('probe', 'value-42', 'wph'); echo wp_using_ext_object_cache() ? 'EXT' : 'NOEXT';")
    assert out.strip() == "EXT"
    out = php_as_site(lemp, engine, "obj.test", "echo wp_cache_get('probe', 'wph');")
    assert out.strip() == "value-42"  # a second process reads it back: it lives in Redis
    engine.sites.delete("obj.test")
    assert redis_keys(lemp, f"{slug}:*") == []  # delete removes the site's cache entries


def test_multisite_subdirectory_serves_a_second_blog(lemp: Lemp, engine: wphost.Engine) -> None:
    engine.sites.create(spec("multi.test", cache="none", multisite="subdirectory"))
    out = php_as_site(lemp, engine, "multi.test", textwrap.dedent(f"""\
        $host = {json.dumps(f"multi.test:{lemp.http_port}")};
        $id = wp_insert_site(['domain' => $host, 'path' => '/second/', 'title' => 'The Second Blog', 'user_id' => 1]);
        if (is_wp_error($id)) {{ echo 'ERR ' . $id->get_error_message(); exit; }}
        // WordPress drops the ':' of a port from new sites' domains; this
        // test's nginx is not on port 80, so put the port back.
        $wpdb->update($wpdb->blogs, ['domain' => $host], ['blog_id' => $id]);
        clean_blog_cache($id);
        update_blog_option($id, 'home', "http://$host/second");
        update_blog_option($id, 'siteurl', "http://$host/second");
        echo 'ID ' . $id;
        """))
    assert out.startswith("ID "), out
    assert "Title of multi.test" in title_of(home_page(lemp, "multi.test"))
    r = get(lemp, "multi.test", "/second/")
    assert r.status == 200, (r.status, r.body[:300])
    assert "The Second Blog" in title_of(r.body.decode())
    engine.sites.delete("multi.test")


def test_clone_staging_and_push(lemp: Lemp, engine: wphost.Engine) -> None:
    engine.sites.create(spec("live.test", cache="page"))
    # A serialized option holding the URL: the clone must rewrite it and keep it valid.
    php_as_site(lemp, engine, "live.test", "update_option('wph_probe', ['url' => home_url('/x'), 'n' => 1]);")

    cl = engine.sites.clone("live.test", {"domain": "copy.test"})
    assert cl["url"] == f"http://copy.test:{lemp.http_port}"
    html = home_page(lemp, "copy.test")
    assert "Title of live.test" in title_of(html)
    assert f"copy.test:{lemp.http_port}" in html and f"live.test:{lemp.http_port}" not in html
    probe = php_as_site(lemp, engine, "copy.test", "echo json_encode(get_option('wph_probe'));")
    assert json.loads(probe) == {"url": f"http://copy.test:{lemp.http_port}/x", "n": 1}
    login(lemp, "copy.test")  # same users

    st = engine.sites.staging("live.test")
    assert st["domain"] == "staging.live.test"
    assert get(lemp, "staging.live.test").status == 401
    import base64
    auth = "Basic " + base64.b64encode(f"staging:{st['staging_password']}".encode()).decode()
    r = get(lemp, "staging.live.test", headers={"Authorization": auth})
    assert r.status == 200
    assert "noindex" in (r.headers.get("X-Robots-Tag") or "")
    assert php_as_site(lemp, engine, "staging.live.test", "echo get_option('blog_public');").strip() == "0"
    listed = {s["domain"]: s for s in engine.sites.list()}
    assert listed["staging.live.test"]["staging_of"] == "live.test"
    with pytest.raises(wphost.Conflict):
        engine.sites.delete("live.test")  # its staging site first

    # Change staging, push the database: live serves the change, with its own URL.
    php_as_site(lemp, engine, "staging.live.test", "update_option('blogname', 'Pushed From Staging');")
    Path(engine.sites.get("staging.live.test")["names"]["docroot"], "wp-content/pushed.txt").write_text("files too")
    engine.sites.push("staging.live.test", files=True, database=True)
    html = home_page(lemp, "live.test")
    assert "Pushed From Staging" in title_of(html)
    assert f"live.test:{lemp.http_port}" in html and "staging.live.test" not in html
    assert php_as_site(lemp, engine, "live.test", "echo get_option('blog_public');").strip() == "1"
    assert get(lemp, "live.test", "/wp-content/pushed.txt").body == b"files too"

    # Only selected tables.
    php_as_site(lemp, engine, "staging.live.test", "update_option('blogname', 'Options Only');")
    php_as_site(lemp, engine, "staging.live.test", "wp_insert_post(['post_title' => 'Staging Post', 'post_status' => 'publish']);")
    engine.sites.push("staging.live.test", files=False, tables=["wp_options"])
    html = home_page(lemp, "live.test")
    assert "Options Only" in title_of(html)
    assert "Staging Post" not in html
    for d in ("staging.live.test", "copy.test", "live.test"):
        engine.sites.delete(d)


def test_suspend_regenerate_and_overrides(lemp: Lemp, engine: wphost.Engine) -> None:
    engine.sites.create(spec("life.test", cache="none"))
    names = engine.sites.get("life.test")["names"]
    engine.sites.suspend("life.test")
    r = get(lemp, "life.test")
    assert r.status == 503 and b"suspended" in r.body
    assert engine.sites.get("life.test")["state"] == "suspended"
    engine.sites.unsuspend("life.test")
    home_page(lemp, "life.test")
    # The operator's own directives survive regeneration.
    Path(names["conf"], "nginx/custom.conf").write_text('location = /wph-custom { return 200 "custom-ok"; }\n')
    Path(names["conf"], "php.ini").write_text("max_execution_time = 77\n")
    res = engine.sites.regenerate("life.test")
    assert any(p.endswith(".conf") and "pool.d" in p for p in res["changed"])
    assert get(lemp, "life.test", "/wph-custom").body == b"custom-ok"
    assert engine.sites.regenerate("life.test")["changed"] == []  # idempotent
    assert Path(names["conf"], "nginx/custom.conf").exists()
    assert php_as_site(lemp, engine, "life.test", "echo 1;") == "1"
    # A setting that would escape the site is refused, naming the line.
    Path(names["conf"], "php.ini").write_text("max_execution_time = 77\nopen_basedir = /\n")
    with pytest.raises(wphost.InvalidInput, match="line 2"):
        engine.sites.regenerate("life.test")
    Path(names["conf"], "php.ini").unlink()
    engine.sites.delete("life.test")


def test_switch_php_version(lemp: Lemp, engine: wphost.Engine) -> None:
    other = second_php_version()
    if other is None:
        pytest.skip("only PHP 8.2 is installed here (Debian 12 ships one PHP); switching needs a second php-fpm")
    engine.sites.create(spec("php.test", cache="none"))
    engine.sites.set_php("php.test", other)
    assert engine.sites.get("php.test")["spec"]["php"] == other
    home_page(lemp, "php.test")
    engine.sites.delete("php.test")


def test_missing_php_version_is_refused(lemp: Lemp, engine: wphost.Engine) -> None:
    before = host_state(lemp, engine)
    with pytest.raises(wphost.InvalidInput, match="PHP 7.0 is not installed"):
        engine.sites.create(spec("nophp.test", php="7.0"))
    assert host_state(lemp, engine) == before


def test_delete_leaves_nothing_behind(lemp: Lemp, engine: wphost.Engine) -> None:
    engine.sites.create(spec("keep.test", cache="none"))
    before = host_state(lemp, engine)
    res = engine.sites.create(spec("gone.test", cache="page+object", tls="self-signed"))
    assert host_state(lemp, engine) != before
    port = lemp.profile["nginx"]["https_port"]
    assert res["url"] == f"https://gone.test:{port}"
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}", "--resolve",
                        f"gone.test:{port}:127.0.0.1", f"https://gone.test:{port}/"], capture_output=True, text=True)
    assert r.stdout.split()[0] == "200", r.stdout + r.stderr  # served over TLS with the self-signed certificate
    plain = get(lemp, "gone.test")
    assert plain.status == 301 and plain.headers["Location"].startswith(f"https://gone.test:{port}/")
    uid = pwd.getpwnam(engine.sites.get("gone.test")["names"]["user"]).pw_uid
    engine.sites.delete("gone.test")
    assert host_state(lemp, engine) == before
    assert uid not in process_uids(), "a process of the deleted site's user is still running"
    home_page(lemp, "keep.test")
    with pytest.raises(wphost.NotFound):
        engine.sites.delete("gone.test")


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_failure_at_each_step_undoes_everything(lemp: Lemp, engine: wphost.Engine, step: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if "keep.test" not in [s["domain"] for s in engine.sites.list()]:
        engine.sites.create(spec("keep.test", cache="none"))
    before = host_state(lemp, engine)
    monkeypatch.setenv("WPHOST_FAULT_INJECT", f"site.create:{step}")
    with pytest.raises(wphost.Error, match=f'failed at step "{step}".*every step before it was undone'):
        engine.sites.create(spec("fail.test", cache="page+object"))
    monkeypatch.delenv("WPHOST_FAULT_INJECT")
    assert host_state(lemp, engine) == before
    assert redis_keys(lemp, "fail_test:*") == []
    # The other site is still served by nginx and PHP-FPM.
    home_page(lemp, "keep.test")


def test_cancelled_create_undoes_everything(lemp: Lemp, engine: wphost.Engine) -> None:
    before = host_state(lemp, engine)
    for delay in (0.05, 0.4):
        job = engine.sites.create_start(spec("cancel.test", cache="page+object"))
        time.sleep(delay)
        job.cancel()
        with pytest.raises(wphost.Cancelled):
            job.result()
        assert host_state(lemp, engine) == before, f"cancelled after {delay} s"


def test_crash_during_create_is_cleaned_up_by_the_next_call(lemp: Lemp, engine: wphost.Engine) -> None:
    before = host_state(lemp, engine)
    code = textwrap.dedent(f"""\
        import json, sys, wphost
        e = wphost.Engine(state_dir={engine.state_dir!r}, host_profile={json.dumps(lemp.profile)!r})
        e.sites.create({json.dumps(spec("crash.test", cache="page+object"))})
        """)
    env = dict(os.environ, WPHOST_FAULT_INJECT="site.create:php_pool:crash", PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 86, r.stdout + r.stderr
    # The crashed process left debris; the next call of this engine removes it.
    assert Path(lemp.profile["sites_root"], "crash.test").exists()
    assert "crash.test" not in [s["domain"] for s in engine.sites.list()]
    assert host_state(lemp, engine) == before
    home_page(lemp, "keep.test")


def test_python_example_creates_and_deletes_a_site(lemp: Lemp, engine: wphost.Engine, tmp_path: Path) -> None:
    from conftest import ROOT, python_env
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(lemp.profile))
    r = subprocess.run([sys.executable, str(ROOT / "examples/python/site.py"), engine.state_dir, "example.test", str(profile)],
                       capture_output=True, text=True, timeout=300, env=python_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "home page: 200 Example site" in r.stdout
    assert "deleted: example.test" in r.stdout
