"""Certificates from a real ACME CA: pebble (Debian's package) with
pebble-challtestsrv for DNS, an HTTP-01 server started here on pebble's
validation port, and the Cloudflare fake for DNS-01."""
import http.server
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import wphost

sys.path.insert(0, str(Path(__file__).parent))
from daemons import free_port, wait_until  # noqa: E402
from pebble import Pebble  # noqa: E402

from fakes.cloudflare import FakeCloudflare  # noqa: E402
from fakes.fakeserver import tls_files  # noqa: E402


class ChallengeServer:
    """Serves <root>/.well-known/acme-challenge/<token> on pebble's HTTP-01
    port. mode: "serve" (the file), "wrong" (a wrong body), "hang" (accepts,
    never answers until released)."""

    def __init__(self, port: int) -> None:
        self.root = Path("/nonexistent")
        self.mode = "serve"
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if outer.mode == "hang":
                    outer.release.wait(60)
                    return
                m = re.fullmatch(r"/\.well-known/acme-challenge/([A-Za-z0-9_-]+)", self.path)
                f = outer.root / ".well-known" / "acme-challenge" / m.group(1) if m else None
                if outer.mode == "wrong" and m:
                    body = b"not-the-key-authorization"
                elif f is not None and f.is_file():
                    body = f.read_bytes()
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pebble]:
    p = Pebble(tmp_path_factory.mktemp("pebble"))
    try:
        p.start()
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def web(ca: Pebble) -> Iterator[ChallengeServer]:
    s = ChallengeServer(ca.http_port)
    yield s
    s.stop()


@pytest.fixture
def webroot(tmp_path: Path, web: ChallengeServer) -> Path:
    root = tmp_path / "www"
    root.mkdir()
    web.root, web.mode = root, "serve"
    web.release.clear()
    return root


@pytest.fixture
def engine(tmp_path: Path, ca: Pebble) -> Iterator[wphost.Engine]:
    e = wphost.Engine(state_dir=str(tmp_path / "state"), host_profile={"acme": ca.acme_settings()})
    yield e
    e.close()


def openssl(*args: str) -> str:
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True).stdout


def mode(p: str) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def check_files(rec: Dict[str, Any], ca: Pebble, names: List[str]) -> None:
    files = rec["files"]
    for f in ("privkey", "fullchain", "cert", "chain"):
        assert mode(files[f]) == 0o600, f
    assert mode(os.path.dirname(files["privkey"])) == 0o700
    out = openssl("verify", "-CAfile", str(ca.base / "root.pem"), "-untrusted", files["chain"], files["cert"])
    assert out.strip().endswith(": OK")
    san = openssl("x509", "-in", files["cert"], "-noout", "-ext", "subjectAltName")
    assert sorted(re.findall(r"DNS:([^,\s]+)", san)) == sorted(names)
    # The key on disk is the certificate's.
    pub_cert = openssl("x509", "-in", files["cert"], "-noout", "-pubkey")
    pub_key = openssl("pkey", "-in", files["privkey"], "-pubout")
    assert pub_cert == pub_key
    assert Path(files["fullchain"]).read_text() == Path(files["cert"]).read_text() + Path(files["chain"]).read_text()


def test_issue_several_names_over_http01(engine: wphost.Engine, ca: Pebble, webroot: Path) -> None:
    phases: List[str] = []

    def progress(p: Any) -> None:
        phases.append(p.phase)

    rec = engine.certs.issue({"names": ["a.test", "www.a.test", "shop.a.test"], "webroot": str(webroot)},
                             progress=progress)
    assert rec["name"] == "a.test"
    assert rec["names"] == ["a.test", "www.a.test", "shop.a.test"]
    assert rec["status"] == "valid"
    assert rec["challenge"] == "http-01"
    assert rec["failures"] == 0 and rec["last_error"] is None
    assert rec["days_left"] > 30
    assert rec["directory"] == ca.directory
    assert re.fullmatch(r"[0-9a-f]+", rec["serial"])
    assert rec["key_path"] == rec["files"]["privkey"] and rec["cert_path"] == rec["files"]["fullchain"]
    check_files(rec, ca, ["a.test", "www.a.test", "shop.a.test"])
    # The challenge files are gone again.
    assert list((webroot / ".well-known" / "acme-challenge").iterdir()) == []
    assert "challenges" in phases and "finalize" in phases
    assert engine.certs.get("a.test") == rec
    assert [c["name"] for c in engine.certs.list()] == ["a.test"]
    # One account, reused: the key file is private.
    acct = engine.certs.account()
    assert acct["directory"] == ca.directory and acct["url"].startswith("https://127.0.0.1:")
    assert mode(acct["key_path"]) == 0o600
    assert engine.certs.account() == acct


def test_rsa_key_on_request(engine: wphost.Engine, ca: Pebble, webroot: Path) -> None:
    rec = engine.certs.issue({"names": ["rsa.test"], "webroot": str(webroot), "key_type": "rsa2048"})
    assert openssl("pkey", "-in", rec["files"]["privkey"], "-noout", "-text").startswith("Private-Key: (2048 bit")
    assert "rsaEncryption" in openssl("x509", "-in", rec["files"]["cert"], "-noout", "-text")
    check_files(rec, ca, ["rsa.test"])


def test_dns01_with_a_wildcard_through_cloudflare(engine: wphost.Engine, ca: Pebble, tmp_path: Path) -> None:
    seen: List[Any] = []

    def on_txt(name: str, value: str, present: bool) -> None:
        seen.append((name, value, present))
        if present:
            ca.set_txt(name, value)
        else:
            ca.clear_txt(name)

    tls = tls_files(tmp_path / "cf-tls")
    token_file = tmp_path / "cf-token"
    with FakeCloudflare(tls, on_txt=on_txt) as cf:
        token_file.write_text(cf.token + "\n")
        token_file.chmod(0o600)
        cf.add_zone("d.test")
        provider = {"kind": "cloudflare", "token_file": str(token_file), "endpoint": cf.url, "ca_bundle": tls.ca}
        rec = engine.certs.issue({"names": ["d.test", "*.d.test"], "challenge": "dns-01",
                                  "dns": {"provider": provider, "resolvers": [ca.resolver], "propagation_timeout_s": 20}})
        check_files(rec, ca, ["d.test", "*.d.test"])
        assert rec["challenge"] == "dns-01"
        # Both TXT values were published under _acme-challenge.d.test and removed afterwards.
        created = [s for s in seen if s[2]]
        assert len(created) == 2 and all(s[0] == "_acme-challenge.d.test" for s in created)
        assert all(not r for r in cf.records.values()), "TXT records left behind"
        # The stored request refers to the token file; the token itself is nowhere in the record.
        assert cf.token not in json.dumps(rec)
        assert rec["request"]["dns"]["provider"]["token_file"] == str(token_file)


def test_dns01_waits_for_the_record_to_be_visible(engine: wphost.Engine, ca: Pebble, tmp_path: Path) -> None:
    # The provider accepts the record but it never reaches the resolver:
    # the propagation check gives up, the CA is never asked, the record goes.
    tls = tls_files(tmp_path / "cf-tls")
    token_file = tmp_path / "cf-token"
    with FakeCloudflare(tls) as cf:
        token_file.write_text(cf.token)
        token_file.chmod(0o600)
        cf.add_zone("p.test")
        provider = {"kind": "cloudflare", "token_file": str(token_file), "endpoint": cf.url, "ca_bundle": tls.ca}
        with pytest.raises(wphost.Timeout) as ei:
            engine.certs.issue({"names": ["p.test"], "challenge": "dns-01",
                                "dns": {"provider": provider, "resolvers": [ca.resolver], "propagation_timeout_s": 2}})
        assert f"dns-01: TXT _acme-challenge.p.test not visible at {ca.resolver} after 2 s" in str(ei.value)
        assert len(cf.seen("POST /client/v4/zones/")) == 1
        assert all(not r for r in cf.records.values()), "TXT record left behind"


def test_renew_not_due_then_forced(engine: wphost.Engine, ca: Pebble, webroot: Path) -> None:
    first = engine.certs.issue({"names": ["r.test"], "webroot": str(webroot)})
    res = engine.certs.renew()
    assert res == {"renewed": [], "failed": [], "not_due": ["r.test"], "skipped": []}
    events_before = engine.events("cert.")
    res = engine.certs.renew({"force": True, "name": "r.test"})
    assert res["renewed"] == ["r.test"]
    second = engine.certs.get("r.test")
    assert second["serial"] != first["serial"]
    assert second["status"] == "valid"
    check_files(second, ca, ["r.test"])
    new = [e for e in engine.events("cert.") if e not in events_before]
    assert [e["kind"] for e in new] == ["cert.renewed"] and new[0]["subject"] == "r.test"


def test_failed_renewal_keeps_the_old_certificate_and_says_so(engine: wphost.Engine, ca: Pebble, webroot: Path) -> None:
    rec = engine.certs.issue({"names": ["f.test"], "webroot": str(webroot)})
    before = {k: Path(v).read_bytes() for k, v in rec["files"].items()}
    got: List[Dict[str, Any]] = []
    engine.on_event(got.append)
    shutil.rmtree(webroot)
    with pytest.raises(wphost.ProviderError) as ei:
        engine.certs.renew({"force": True})
    assert "f.test" in str(ei.value) and str(webroot) in str(ei.value)
    after = engine.certs.get("f.test")
    assert after["status"] == "renew-failed"
    assert after["failures"] == 1
    assert str(webroot) in after["last_error"]
    assert after["last_attempt"] is not None
    assert after["serial"] == rec["serial"]
    assert {k: Path(v).read_bytes() for k, v in rec["files"].items()} == before
    events = engine.events("cert.renew.failed")
    assert len(events) == 1
    ev = events[0]
    assert ev["level"] == "error" and ev["subject"] == "f.test"
    data = ev["data"] if isinstance(ev["data"], dict) else json.loads(ev["data"])
    assert data["names"] == ["f.test"] and data["failures"] == 1 and data["days_left"] > 30
    assert [e["kind"] for e in got] == ["cert.renew.failed"]
    engine.on_event(None)
    # A second failure counts up.
    with pytest.raises(wphost.ProviderError):
        engine.certs.renew({"force": True})
    assert engine.certs.get("f.test")["failures"] == 2


def test_revoke(engine: wphost.Engine, ca: Pebble, webroot: Path) -> None:
    rec = engine.certs.issue({"names": ["v.test"], "webroot": str(webroot)})
    status = ca.cert_status(rec["serial"])
    assert status["Status"] == "Valid"
    out = engine.certs.revoke("v.test", {"reason": 4})
    assert out["status"] == "revoked"
    assert engine.certs.get("v.test")["status"] == "revoked"
    assert ca.cert_status(rec["serial"])["Status"] == "Revoked"
    with pytest.raises(wphost.Conflict):
        engine.certs.revoke("v.test")
    with pytest.raises(wphost.NotFound):
        engine.certs.revoke("nothing.test")
    # Renewal leaves revoked certificates alone.
    assert engine.certs.renew({"force": True})["skipped"] == ["v.test"]


def test_revoke_after_the_contact_changed(tmp_path: Path, ca: Pebble, webroot: Path) -> None:
    # Another contact is another account, which the CA does not let revoke
    # this certificate: the request is then signed with the certificate's key.
    state = str(tmp_path / "state2")
    with wphost.Engine(state_dir=state, host_profile={"acme": ca.acme_settings()}) as e:
        rec = e.certs.issue({"names": ["k.test"], "webroot": str(webroot)})
    other = dict(ca.acme_settings(), email="someone-else@a.test")
    with wphost.Engine(state_dir=state, host_profile={"acme": other}) as e:
        assert e.certs.revoke("k.test")["status"] == "revoked"
        assert len(os.listdir(os.path.join(state, "acme"))) == 2
    assert ca.cert_status(rec["serial"])["Status"] == "Revoked"


def test_ca_refuses_a_wrong_http01_answer(engine: wphost.Engine, web: ChallengeServer, webroot: Path) -> None:
    web.mode = "wrong"
    with pytest.raises(wphost.Error) as ei:
        engine.certs.issue({"names": ["w.test"], "webroot": str(webroot)})
    assert isinstance(ei.value, (wphost.AuthError, wphost.ProviderError))
    msg = str(ei.value)
    assert "http-01" in msg and "w.test" in msg and "could not verify" in msg
    with pytest.raises(wphost.NotFound):
        engine.certs.get("w.test")
    assert list((webroot / ".well-known" / "acme-challenge").iterdir()) == []


def test_challenge_that_never_completes_times_out(engine: wphost.Engine, web: ChallengeServer, webroot: Path) -> None:
    web.mode = "hang"
    try:
        with pytest.raises(wphost.Timeout) as ei:
            engine.certs.issue({"names": ["slow.test"], "webroot": str(webroot), "challenge_timeout_s": 2})
        assert "acme: authorization for slow.test still pending after 2 s" in str(ei.value)
    finally:
        web.release.set()
    assert list((webroot / ".well-known" / "acme-challenge").iterdir()) == []


def test_cancelling_an_issue_cleans_up(engine: wphost.Engine, web: ChallengeServer, webroot: Path) -> None:
    web.mode = "hang"
    try:
        job = engine.certs.issue_start({"names": ["c.test"], "webroot": str(webroot), "challenge_timeout_s": 60})
        challenge_dir = webroot / ".well-known" / "acme-challenge"
        wait_until(lambda: challenge_dir.is_dir() and any(challenge_dir.iterdir()), 30, "the challenge file")
        job.cancel()
        with pytest.raises(wphost.Cancelled):
            job.result()
    finally:
        web.release.set()
    assert list(challenge_dir.iterdir()) == []
    with pytest.raises(wphost.NotFound):
        engine.certs.get("c.test")


class RateLimitingFront:
    """pebble enforces no rate limits (its README says so), so this HTTPS
    front serves pebble's directory with newOrder pointing here, and answers
    newOrder as RFC 8555 §6.6 describes a rate-limited request: 429,
    application/problem+json of type urn:ietf:params:acme:error:rateLimited,
    and Retry-After. Every other request goes to pebble itself."""

    def __init__(self, ca: Pebble) -> None:
        self.port = free_port()
        front = self
        ctx = ssl.create_default_context(cafile=str(ca.tls_cert))
        ctx.check_hostname = False

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                with urllib.request.urlopen(ca.directory, context=ctx, timeout=10) as r:
                    d = json.loads(r.read())
                d["newOrder"] = f"https://127.0.0.1:{front.port}/order-plz"
                self._send(200, "application/json", json.dumps(d).encode(), {})

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.dumps({"type": "urn:ietf:params:acme:error:rateLimited", "status": 429,
                                   "detail": "too many new orders recently"}).encode()
                self._send(429, "application/problem+json", body, {"Retry-After": "3600"})

            def _send(self, status: int, ctype: str, body: bytes, extra: Dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(str(ca.tls_cert), str(ca.tls_key))
        self.httpd.socket = sctx.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_rate_limited_order(engine: wphost.Engine, ca: Pebble, webroot: Path) -> None:
    front = RateLimitingFront(ca)
    try:
        with pytest.raises(wphost.ProviderError) as ei:
            engine.certs.issue({"names": ["rl.test"], "webroot": str(webroot),
                                "acme": {"directory": f"https://127.0.0.1:{front.port}/dir"}})
    finally:
        front.stop()
    assert str(ei.value) == "acme: rate limited by the CA: too many new orders recently (retry after 3600 s)"
    assert ei.value.status == 429


@pytest.mark.parametrize("request_doc,needle", [
    ({"webroot": "/srv"}, '"names" is required'),
    ({"names": ["ok.test", "bad_name.test"], "webroot": "/srv"}, '"bad_name.test"'),
    ({"names": ["ok.test"], "challenge": "tls-alpn-01", "webroot": "/srv"}, '"challenge" must be'),
    ({"names": ["*.ok.test"], "webroot": "/srv"}, "wildcard names need"),
    ({"names": ["ok.test"], "challenge": "dns-01"}, "dns-01 needs a DNS provider"),
])
def test_bad_requests_are_refused_before_any_network_use(tmp_path: Path, request_doc: Dict[str, Any],
                                                         needle: str) -> None:
    # Nothing listens at this directory: reaching the network would be an I/O error.
    profile = {"acme": {"directory": f"https://127.0.0.1:{free_port()}/dir"}}
    with wphost.Engine(state_dir=str(tmp_path / "state"), host_profile=profile) as e:
        with pytest.raises(wphost.InvalidInput) as ei:
            e.certs.issue(request_doc)
        assert needle in str(ei.value)
        assert not (tmp_path / "state" / "acme").exists()
