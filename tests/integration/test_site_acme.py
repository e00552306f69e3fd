"""A site with "tls": "acme" on a real nginx + PHP-FPM + MariaDB stack gets a
certificate from pebble (a real ACME CA, Debian's package) over HTTP-01
through its own nginx, and serves HTTPS that verifies against pebble's root;
plain HTTP redirects to it. Renewal installs the new certificate into the
running site; delete forgets it."""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lemp import Lemp  # noqa: E402
from pebble import Pebble  # noqa: E402

import wphost  # noqa: E402

SOURCE = "/usr/share/wordpress"
DOMAIN = "shop.acme.test"

if os.geteuid() != 0:
    pytest.skip("site provisioning creates Linux users: run as root", allow_module_level=True)


@pytest.fixture(scope="module")
def stack() -> Iterator[Tuple[Lemp, Pebble]]:
    base = tempfile.mkdtemp(prefix="wphacme-", dir="/tmp")
    os.chmod(base, 0o755)
    lemp = Lemp(base, listen_address="").start()
    # pebble validates HTTP-01 on the port the sites' nginx listens on.
    ca = Pebble(Path(base) / "pebble", http_port=lemp.http_port)
    try:
        ca.start()
        yield lemp, ca
    finally:
        ca.stop()
        lemp.stop()
        subprocess.run(["rm", "-rf", base])


@pytest.fixture(scope="module")
def engine(stack: Tuple[Lemp, Pebble]) -> Iterator[wphost.Engine]:
    lemp, ca = stack
    profile: Dict[str, Any] = dict(lemp.profile)
    profile["acme"] = ca.acme_settings()
    e = wphost.Engine(state_dir=str(lemp.base / "state"), host_profile=profile)
    yield e
    for s in e.sites.list():
        e.sites.delete(s["domain"])
    e.close()


def served_certificate(lemp: Lemp, ca: Pebble, name: str) -> Dict[str, Any]:
    """The certificate nginx presents for `name`, verified against pebble's root."""
    ctx = ssl.create_default_context(cafile=str(ca.base / "root.pem"))
    with socket.create_connection(("127.0.0.1", lemp.https_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as tls:  # raises unless the chain and name verify
            cert: Dict[str, Any] = tls.getpeercert()
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {name}:{lemp.https_port}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
            cert["_status_line"] = data.split(b"\r\n", 1)[0].decode()
            return cert


def test_acme_site_serves_https_with_a_pebble_certificate(engine: wphost.Engine, stack: Tuple[Lemp, Pebble]) -> None:
    lemp, ca = stack
    res = engine.sites.create({"domain": DOMAIN, "source": SOURCE, "tls": "acme", "title": "ACME shop",
                               "admin_password": "correct-horse-battery"})
    assert res["url"] == f"https://{DOMAIN}:{lemp.https_port}"

    rec = engine.certs.get(DOMAIN)
    assert rec["status"] == "valid" and rec["site"] == DOMAIN
    assert set(rec["names"]) == {DOMAIN, "www." + DOMAIN}
    assert rec["challenge"] == "http-01"

    # nginx serves the issued certificate (not the self-signed stand-in), and
    # it verifies against pebble's root for both names.
    for name in (DOMAIN, "www." + DOMAIN):
        cert = served_certificate(lemp, ca, name)
        assert ("DNS", name) in cert["subjectAltName"]
    page = served_certificate(lemp, ca, DOMAIN)
    assert page["_status_line"].startswith("HTTP/1.1 200"), page["_status_line"]

    # The site's copies are root's, 0600.
    ssl_dir = Path(lemp.profile["ssl_dir"])
    for f in ssl_dir.rglob("*.pem"):
        assert f.stat().st_mode & 0o077 == 0, f

    # Plain HTTP answers the CA's challenges and sends everything else to HTTPS.
    r = lemp.http("/wp-login.php", host=f"{DOMAIN}:{lemp.http_port}")
    assert r.status == 301
    assert r.headers["Location"] == f"https://{DOMAIN}:{lemp.https_port}/wp-login.php"


def test_renewal_is_installed_into_the_running_site(engine: wphost.Engine, stack: Tuple[Lemp, Pebble]) -> None:
    lemp, ca = stack
    before = served_certificate(lemp, ca, DOMAIN)["serialNumber"]
    out = engine.certs.renew({"name": DOMAIN, "force": True})
    assert DOMAIN in [r if isinstance(r, str) else r.get("name") for r in out["renewed"]]
    after = served_certificate(lemp, ca, DOMAIN)["serialNumber"]
    assert after != before
    assert int(after, 16) == int(engine.certs.get(DOMAIN)["serial"], 16)
    kinds = [e["kind"] for e in engine.events("cert.")]
    assert "cert.renewed" in kinds


def test_subdomain_multisite_without_dns_provider_is_refused(engine: wphost.Engine) -> None:
    with pytest.raises(wphost.InvalidInput, match="wildcard"):
        engine.sites.create({"domain": "net.acme.test", "source": SOURCE, "tls": "acme", "multisite": "subdomain",
                             "admin_password": "correct-horse-battery"})
    assert all(s["domain"] != "net.acme.test" for s in engine.sites.list())


def test_delete_forgets_the_certificate(engine: wphost.Engine, stack: Tuple[Lemp, Pebble]) -> None:
    engine.sites.delete(DOMAIN)
    with pytest.raises(wphost.NotFound):
        engine.certs.get(DOMAIN)


def test_subdomain_multisite_gets_a_wildcard_over_dns01(stack: Tuple[Lemp, Pebble], tmp_path: Path) -> None:
    """With a DNS provider in the profile, a subdomain network's certificate
    covers *.domain, proven over DNS-01 through the (fake) Cloudflare API whose
    records pebble's DNS server serves."""
    from fakes.cloudflare import FakeCloudflare
    from fakes.fakeserver import tls_files

    lemp, ca = stack

    def on_txt(name: str, value: str, present: bool) -> None:
        if present:
            ca.set_txt(name, value)
        else:
            ca.clear_txt(name)

    tls = tls_files(tmp_path / "cf-tls")
    token_file = tmp_path / "cf-token"
    with FakeCloudflare(tls, on_txt=on_txt) as cf:
        token_file.write_text(cf.token)
        token_file.chmod(0o600)
        cf.add_zone("acme.test")
        profile: Dict[str, Any] = dict(lemp.profile)
        profile["acme"] = dict(ca.acme_settings(), dns={
            "provider": {"kind": "cloudflare", "token_file": str(token_file), "endpoint": cf.url, "ca_bundle": tls.ca},
            "resolvers": [ca.resolver], "propagation_timeout_s": 30})
        with wphost.Engine(state_dir=str(tmp_path / "state"), host_profile=profile) as e:
            domain = "net.acme.test"
            e.sites.create({"domain": domain, "source": SOURCE, "tls": "acme", "multisite": "subdomain",
                            "admin_password": "correct-horse-battery"})
            try:
                rec = e.certs.get(domain)
                assert rec["challenge"] == "dns-01"
                assert "*." + domain in rec["names"]
                for name in (domain, "blog." + domain):
                    assert ("DNS", "*." + domain if name != domain else domain) in served_certificate(lemp, ca, name)["subjectAltName"]
                assert all(not r for r in cf.records.values()), "TXT records left behind"
            finally:
                e.sites.delete(domain)
