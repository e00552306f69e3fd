"""Probes against real local servers: nginx from Debian with TLS from a test
CA made here, dnsmasq for DNS, and small hostile servers started by the test."""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import wphost

sys.path.insert(0, str(Path(__file__).parent))
from lemp import free_port  # noqa: E402


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d: Path) -> None:
    """A test CA; site.test signed by it for 90 days; expired.test signed by it
    but expired; self.test self-signed."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=wphost test CA", cwd=d)
    for name in ("site", "expired"):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}.test", cwd=d)
        (d / f"{name}.ext").write_text(f"subjectAltName=DNS:{name}.test\n")
    openssl("x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "site.pem",
            "-days", "90", "-extfile", "site.ext", cwd=d)
    # `openssl x509 -req` cannot backdate: a minimal `openssl ca` setup can.
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    (d / "ca.cnf").write_text(f"""[ca]
default_ca = test
[test]
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
default_md = sha256
policy = anything
[anything]
commonName = supplied
""")
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr",
            "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
            "-extfile", "expired.ext", cwd=d)
    openssl("req", "-x509", *ec, "-keyout", "self.key", "-out", "self.pem", "-days", "30", "-subj", "/CN=self.test",
            "-addext", "subjectAltName=DNS:self.test", cwd=d)


class Servers:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: List[subprocess.Popen] = []
        self.http_port, self.https_port, self.dns_port = free_port(), free_port(), free_port()
        self.stop_event = threading.Event()
        self.threads: List[threading.Thread] = []

    def start_nginx(self) -> None:
        d = self.base
        make_ca(d)
        conf = d / "nginx.conf"
        servers = ""
        for name in ("site", "expired", "self"):
            servers += f"""
    server {{
        listen 127.0.0.1:{self.https_port} ssl;
        server_name {name}.test;
        ssl_certificate {d}/{name}.pem;
        ssl_certificate_key {d}/{name}.key;
        location / {{ return 200 '<html><title>{name}</title>ok</html>'; }}
    }}"""
        conf.write_text(f"""daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp-body;
    proxy_temp_path {d}/tmp-proxy;
    fastcgi_temp_path {d}/tmp-fastcgi;
    uwsgi_temp_path {d}/tmp-uwsgi;
    scgi_temp_path {d}/tmp-scgi;
    server {{
        listen 127.0.0.1:{self.http_port};
        location = /health {{ default_type application/json; return 200 '{{"status": "UP", "db": {{"ok": true}}}}'; }}
        location = /fatal {{ return 200 '<b>Fatal error</b>: Uncaught Error: Call to undefined function x()'; }}
        location = /dberror {{ return 500 '<h1>Error establishing a database connection</h1>'; }}
        location = /loop {{ return 302 /loop; }}
        location = /slow {{ return 200 'x'; }}
        location / {{ return 200 '<html><title>home</title></html>'; }}
    }}{servers}
}}
""")
        self.procs.append(subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-e", str(d / "nginx-error.log")],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.wait_port(self.http_port)
        self.wait_port(self.https_port)

    def start_dnsmasq(self) -> None:
        self.procs.append(subprocess.Popen(
            ["/usr/sbin/dnsmasq", "--no-daemon", "--keep-in-foreground", f"--port={self.dns_port}", "--listen-address=127.0.0.1",
             "--bind-interfaces", "--no-resolv", "--no-hosts", "--address=/site.test/127.0.0.9", f"--pid-file={self.base}/dnsmasq.pid",
             "--user=root", "--group=root", "--log-facility=-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.3)

    def hostile(self, kind: str) -> int:
        """A TCP server that misbehaves: 'silent' (accepts, never answers), 'trickle' (a byte a second),
        'endless' (an endless body)."""
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(128)
        srv.settimeout(0.2)
        port = srv.getsockname()[1]

        def handle(c: socket.socket) -> None:
            try:
                c.settimeout(0.5)
                try:
                    c.recv(4096)
                except socket.timeout:
                    pass
                if kind == "silent":
                    while not self.stop_event.wait(0.2):
                        pass
                elif kind == "trickle":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                    while not self.stop_event.wait(1.0):
                        c.sendall(b"x")
                elif kind == "endless":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                    chunk = b"y" * 65536
                    while not self.stop_event.is_set():
                        c.sendall(chunk)
            except OSError:
                pass
            finally:
                c.close()

        def serve() -> None:
            while not self.stop_event.is_set():
                try:
                    c, _ = srv.accept()
                except socket.timeout:
                    continue
                except OSError:
                    break
                t = threading.Thread(target=handle, args=(c,), daemon=True)
                t.start()
            srv.close()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.threads.append(t)
        return port

    @staticmethod
    def wait_port(port: int) -> None:
        end = time.monotonic() + 15
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {port}")

    def stop(self) -> None:
        self.stop_event.set()
        for p in self.procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    for prog in ("/usr/sbin/nginx", "/usr/sbin/dnsmasq", "/usr/bin/openssl"):
        if not Path(prog).exists():
            pytest.fail(f"{prog} is missing (scripts/install-deps installs it)")
    base = Path(tempfile.mkdtemp(prefix="wphp-"))
    s = Servers(base)
    try:
        s.start_nginx()
        s.start_dnsmasq()
        yield s
    finally:
        s.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[wphost.Engine]:
    e = wphost.Engine(state_dir=str(tmp_path / "state"))
    yield e
    e.close()


def by_name(results: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {r["name"]: r for r in results}


def test_http_conditions(servers: Servers, engine: wphost.Engine) -> None:
    base = f"http://127.0.0.1:{servers.http_port}"
    r = by_name(engine.probes.run([
        {"name": "home", "url": base + "/", "conditions": ["[STATUS] == 200", "[BODY] == pat(*<title>home</title>*)",
                                                            "[RESPONSE_TIME] < 5000", "[IP] == 127.0.0.1"]},
        {"name": "json", "url": base + "/health", "conditions": ["[BODY].status == UP", "[BODY].db.ok == true"]},
        {"name": "wrong-status", "url": base + "/", "conditions": ["[STATUS] == 201"]},
        {"name": "fatal", "url": base + "/fatal", "wordpress": True},
        {"name": "dberror", "url": base + "/dberror", "wordpress": True},
        {"name": "wp-ok", "url": base + "/", "wordpress": True},
    ]))
    assert r["home"]["success"], r["home"]
    assert r["home"]["status"] == 200 and r["home"]["ip"] == "127.0.0.1"
    t = r["home"]["timings"]
    assert 0 <= t["connect"] <= t["first_byte"] <= t["total"]
    assert r["json"]["success"], r["json"]["conditions"]
    assert not r["wrong-status"]["success"]
    assert r["wrong-status"]["conditions"][0]["detail"] == "[STATUS] (200) == 201"
    assert not r["fatal"]["success"] and not r["dberror"]["success"]
    assert r["wp-ok"]["success"], r["wp-ok"]["conditions"]


def test_tls_certificates(servers: Servers, engine: wphost.Engine) -> None:
    d = servers.base
    port = servers.https_port

    def ep(name: str, host: str, **client: Any) -> Dict[str, Any]:
        c = {"resolve": [f"{host}:{port}:127.0.0.1"]}
        c.update(client)
        return {"name": name, "url": f"https://{host}:{port}/", "client": c,
                "conditions": ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 72h"]}

    r = by_name(engine.probes.run([
        ep("valid", "site.test", **{"ca-file": str(d / "ca.pem")}),
        ep("no-ca", "site.test"),
        ep("expired", "expired.test", **{"ca-file": str(d / "ca.pem")}),
        ep("self-signed", "self.test", **{"ca-file": str(d / "ca.pem")}),
        ep("wrong-host", "site.test", **{"ca-file": str(d / "ca.pem"), "server-name": "other.test"}),
        ep("insecure", "self.test", insecure=True),
    ]))
    assert r["valid"]["success"], r["valid"]
    expiry = r["valid"]["certificate_expiry"]
    assert 88 * 86400 < expiry - time.time() < 91 * 86400
    assert not r["no-ca"]["success"] and "certificate" in r["no-ca"]["error"].lower()
    assert not r["expired"]["success"] and "expir" in r["expired"]["error"].lower()
    assert not r["self-signed"]["success"]
    assert not r["wrong-host"]["success"]
    assert r["insecure"]["connected"] and r["insecure"]["status"] == 200


def test_hostile_endpoints_fail_in_time_without_delaying_others(servers: Servers, engine: wphost.Engine) -> None:
    silent, trickle, endless = servers.hostile("silent"), servers.hostile("trickle"), servers.hostile("endless")
    closed = free_port()
    defs = [
        {"name": "silent", "url": f"http://127.0.0.1:{silent}/", "timeouts": {"first-byte": "1s", "total": "3s"}},
        {"name": "trickle", "url": f"http://127.0.0.1:{trickle}/", "timeouts": {"total": "2s"}},
        {"name": "endless", "url": f"http://127.0.0.1:{endless}/", "client": {"max-body": 200000}},
        {"name": "loop", "url": f"http://127.0.0.1:{servers.http_port}/loop", "client": {"max-redirects": 5}},
        {"name": "refused", "url": f"http://127.0.0.1:{closed}/"},
        {"name": "nxdomain", "url": "http://does-not-exist.invalid/", "timeouts": {"total": "5s"}},
        {"name": "tcp-open", "url": f"tcp://127.0.0.1:{servers.http_port}"},
        {"name": "tcp-closed", "url": f"tcp://127.0.0.1:{closed}"},
    ] + [{"name": f"fast-{i}", "url": f"http://127.0.0.1:{servers.http_port}/"} for i in range(20)]
    t0 = time.monotonic()
    r = by_name(engine.probes.run(defs))
    elapsed = time.monotonic() - t0
    assert elapsed < 8, f"the run took {elapsed:.1f} s"
    reasons = {n: r[n]["error"].lower() for n in ("silent", "trickle", "endless", "loop", "refused", "nxdomain", "tcp-closed")}
    for n, why in reasons.items():
        assert not r[n]["success"] and why, (n, r[n])
    assert "first byte" in reasons["silent"]
    assert r["silent"]["timings"]["total"] < 2.5
    assert "timed out" in reasons["trickle"] and r["trickle"]["timings"]["total"] < 3
    assert "larger than" in reasons["endless"] and r["endless"]["body_truncated"]
    assert "redirect" in reasons["loop"]
    assert "refused" in reasons["refused"] or "connect" in reasons["refused"]
    assert "resolve" in reasons["nxdomain"]
    assert r["tcp-open"]["success"] and r["tcp-open"]["connected"]
    # The fast probes were not held up by the hostile ones.
    for i in range(20):
        assert r[f"fast-{i}"]["success"] and r[f"fast-{i}"]["timings"]["total"] < 1.0, r[f"fast-{i}"]


def test_dns(servers: Servers, engine: wphost.Engine) -> None:
    dns = f"dns://127.0.0.1:{servers.dns_port}"
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes queries, never answers
    silent.bind(("127.0.0.1", 0))
    r = by_name(engine.probes.run([
        {"name": "a", "url": dns, "dns": {"query-name": "site.test", "query-type": "A"},
         "conditions": ["[DNS_RCODE] == NOERROR", "[BODY] == 127.0.0.9"]},
        {"name": "unknown", "url": dns, "dns": {"query-name": "nothing.example"}, "conditions": ["[DNS_RCODE] == NOERROR"]},
        {"name": "silent-server", "url": f"dns://127.0.0.1:{silent.getsockname()[1]}", "dns": {"query-name": "site.test"},
         "timeouts": {"total": "1500ms"}},
        {"name": "no-server", "url": f"dns://127.0.0.1:{free_port()}", "dns": {"query-name": "site.test"}},
    ]))
    silent.close()
    assert r["a"]["success"], r["a"]
    assert r["a"]["dns_answers"] == ["127.0.0.9"]
    assert not r["unknown"]["success"] and r["unknown"]["dns_rcode"] in ("NXDOMAIN", "REFUSED")
    assert not r["silent-server"]["success"] and "timed out" in r["silent-server"]["error"]
    assert r["silent-server"]["timings"]["total"] < 2.5
    assert not r["no-server"]["success"] and "refused" in r["no-server"]["error"]


def test_bad_definitions_name_the_field(engine: wphost.Engine) -> None:
    cases = [
        ([{"name": "x", "url": "ftp://a/"}], '"url"'),
        ([{"name": "x", "url": "http://a/", "conditions": ["[STATU] == 200"]}], "STATU"),
        ([{"name": "x", "url": "http://a/", "timeouts": {"tls": "20s", "total": "10s"}}], '"timeouts"'),
        ([{"name": "x", "url": "http://a/"}, {"name": "x", "url": "http://b/"}], "used twice"),
        ([{"name": "x", "url": "dns://1.1.1.1"}], "query-name"),
        ([{"name": "x", "url": "http://a/", "interval": "soon"}], '"interval"'),
        ([{"name": "x", "url": "http://a/", "bogus": 1}], '"bogus"'),
    ]
    for defs, needle in cases:
        with pytest.raises(wphost.InvalidInput, match=needle.replace("[", r"\[")):
            engine.probes.run(defs)
    norm = engine.probes.validate([{"name": "x", "url": "http://a/"}])
    assert norm["endpoints"][0]["conditions"] == ["[STATUS] < 400"]


class Hook(http.server.BaseHTTPRequestHandler):
    received: List[Tuple[Dict[str, str], bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Hook.fail_first > 0:
            Hook.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        Hook.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_monitor_alerts_webhooks_metrics_and_stats(servers: Servers, engine: wphost.Engine, tmp_path: Path) -> None:
    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    Hook.received.clear()
    Hook.fail_first = 1  # the first delivery fails: the webhook is retried
    secret = tmp_path / "hook.secret"
    secret.write_text("s3cret-key\n")
    secret.chmod(0o600)
    flag = tmp_path / "healthy"
    flag.write_text("no")
    # A target whose health the test switches: a tiny HTTP server reading the flag.
    class Flip(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            ok = flag.read_text() == "yes"
            self.send_response(200 if ok else 503)
            self.end_headers()
            self.wfile.write(b"ok" if ok else b"down")

        def log_message(self, *args: Any) -> None:
            pass

    flip = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flip)
    threading.Thread(target=flip.serve_forever, daemon=True).start()
    defs = {
        "endpoints": [
            {"name": "flip", "group": "g1", "url": f"http://127.0.0.1:{flip.server_port}/", "interval": "1s",
             "conditions": ["[STATUS] == 200"], "alerts": {"failure-threshold": 2, "success-threshold": 2}},
            {"name": "steady", "url": f"http://127.0.0.1:{servers.http_port}/", "interval": "1s"},
        ],
        "alerting": {"webhooks": [{"url": f"http://127.0.0.1:{hook.server_port}/hook", "secret-file": str(secret)}]},
    }
    events: List[Dict[str, Any]] = []
    remediations: List[Dict[str, Any]] = []
    with engine.probes.monitor(defs, on_event=events.append, remediate=remediations.append) as mon:
        deadline = time.monotonic() + 15
        while not events and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [e["type"] for e in events] == ["triggered"], events
        assert events[0]["probe"] == "flip" and "503" in events[0]["reason"]
        assert remediations and remediations[0]["probe"] == "flip"
        flag.write_text("yes")
        deadline = time.monotonic() + 15
        while len(events) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [e["type"] for e in events] == ["triggered", "resolved"], events
        metrics = mon.metrics()
        status = {s["name"]: s for s in mon.status()}
    # One event per incident, no repeats while it lasted.
    assert [e["type"] for e in events] == ["triggered", "resolved"]
    assert status["steady"]["success"]
    assert 'probe_success{probe="steady",group="",target="http://127.0.0.1:' in metrics
    assert "# TYPE probe_http_duration_seconds gauge" in metrics
    assert 'phase="connect"' in metrics and "probe_http_status_code" in metrics
    # Webhooks: both events arrived (the first after a retry), signed.
    deadline = time.monotonic() + 10
    while len(Hook.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [json.loads(b)["type"] for _, b in Hook.received] == ["triggered", "resolved"]
    for headers, body in Hook.received:
        want = "sha256=" + hmac.new(b"s3cret-key", body, hashlib.sha256).hexdigest()
        assert headers["X-Wphost-Signature"] == want
    hook.shutdown()
    flip.shutdown()
    # Statistics and history from the store.
    stats = {s["name"]: s for s in engine.probes.stats(window=3600)}
    assert stats["steady"]["runs"] >= 2 and stats["steady"]["uptime"] == 1.0
    assert 0 < stats["flip"]["uptime"] < 1.0
    assert stats["flip"]["latency_ms"]["p99"] >= stats["flip"]["latency_ms"]["p50"] > 0
    hist = engine.probes.history("flip", limit=5)
    assert 1 <= len(hist) <= 5 and all(h["name"] == "flip" for h in hist)


def test_cli_serves_prometheus_metrics(servers: Servers, cli: str, tmp_path: Path) -> None:
    defs = tmp_path / "probes.json"
    defs.write_text(json.dumps([{"name": "home", "url": f"http://127.0.0.1:{servers.http_port}/", "interval": "1s"}]))
    port = free_port()
    p = subprocess.Popen([cli, "--state-dir", str(tmp_path / "state"), "probe", "serve", str(defs), "--listen",
                          f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline and "probe_success" not in text:
            time.sleep(0.3)
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            except OSError:
                pass
        assert 'probe_success{probe="home"' in text and "} 1" in text, text
    finally:
        p.terminate()
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    r = subprocess.run([cli, "--state-dir", str(tmp_path / "state"), "probe", "stats", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)[0]["runs"] >= 1
    # `probe run` exits 1 when a probe fails.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "url": f"http://127.0.0.1:{free_port()}/"}]))
    r = subprocess.run([cli, "--state-dir", str(tmp_path / "state"), "probe", "run", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1 and "FAIL" in r.stdout


def test_python_example(servers: Servers, tmp_path: Path) -> None:
    from conftest import ROOT, python_env
    ok = f"http://127.0.0.1:{servers.http_port}/"
    r = subprocess.run([sys.executable, str(ROOT / "examples/python/probe.py"), str(tmp_path / "state"), ok],
                       capture_output=True, text=True, timeout=60, env=python_env())
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stdout + r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "examples/python/probe.py"), str(tmp_path / "state"), ok,
                        f"http://127.0.0.1:{free_port()}/"], capture_output=True, text=True, timeout=60, env=python_env())
    assert r.returncode == 1 and "FAIL" in r.stdout
