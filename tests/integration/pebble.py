"""A private ACME CA for tests: pebble (Debian's package) with
pebble-challtestsrv as its DNS server, both on 127.0.0.1 with their own ports
and directory.

pebble validates HTTP-01 at http://<name>:<http_port>/ and resolves every
name through challtestsrv, which answers A queries with 127.0.0.1 and TXT
queries with what /set-txt was given. Nonces are rejected at pebble's
default rate, so clients must handle badNonce."""
import json
import os
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

from daemons import Daemon, accepts, free_port, need, wait_until


class Pebble:
    def __init__(self, base: Path, http_port: Optional[int] = None) -> None:
        need("/usr/bin/pebble", "/usr/bin/pebble-challtestsrv", "openssl")
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.port, self.mgmt_port = free_port(), free_port()
        self.http_port = http_port or free_port()  # where pebble validates HTTP-01
        self.tls_port = free_port()  # unused (tls-alpn-01)
        self.dns_port, self.chall_mgmt_port = free_port(), free_port()
        self.tls_cert, self.tls_key = base / "pebble-tls.pem", base / "pebble-tls.key"
        self.pebble: Optional[Daemon] = None
        self.challtestsrv: Optional[Daemon] = None

    @property
    def directory(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def resolver(self) -> str:
        return f"127.0.0.1:{self.dns_port}"

    def start(self) -> None:
        # pebble's listener certificate (its clients trust it via ca_bundle).
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(self.tls_key), "-out", str(self.tls_cert), "-days", "2",
                        "-subj", "/CN=pebble test listener",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True)
        os.chmod(self.tls_key, 0o600)
        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
            "certificate": str(self.tls_cert),
            "privateKey": str(self.tls_key),
            "httpPort": self.http_port,
            "tlsPort": self.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}
        (self.base / "pebble.json").write_text(json.dumps(cfg))
        self.challtestsrv = Daemon(
            ["/usr/bin/pebble-challtestsrv", "-management", f"127.0.0.1:{self.chall_mgmt_port}",
             "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
            self.base / "challtestsrv.log")
        env = dict(os.environ)
        env["PEBBLE_VA_NOSLEEP"] = "1"
        env["PEBBLE_AUTHZREUSE"] = "0"  # every order proves its names again (failures must be able to happen)
        self.pebble = Daemon(["/usr/bin/pebble", "-config", str(self.base / "pebble.json"),
                              "-dnsserver", f"127.0.0.1:{self.dns_port}"],
                             self.base / "pebble.log", env=env)
        wait_until(lambda: accepts(self.chall_mgmt_port), 30, "pebble-challtestsrv")
        wait_until(lambda: accepts(self.port) and accepts(self.mgmt_port), 30, "pebble")
        (self.base / "root.pem").write_text(self.mgmt_get("/roots/0"))
        (self.base / "intermediate.pem").write_text(self.mgmt_get("/intermediates/0"))

    def stop(self) -> None:
        for d in (self.pebble, self.challtestsrv):
            if d:
                d.stop()

    # ---- management interfaces ----

    def _ctx(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.tls_cert))
        ctx.check_hostname = False
        return ctx

    def mgmt_get(self, path: str) -> str:
        with urllib.request.urlopen(f"https://127.0.0.1:{self.mgmt_port}{path}", context=self._ctx(), timeout=10) as r:
            body: bytes = r.read()
            return body.decode()

    def cert_status(self, serial_hex: str) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self.mgmt_get(f"/cert-status-by-serial/{serial_hex}"))
        return result

    def chall(self, path: str, body: Dict[str, Any]) -> None:
        req = urllib.request.Request(f"http://127.0.0.1:{self.chall_mgmt_port}{path}", data=json.dumps(body).encode(),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def set_txt(self, name: str, value: str) -> None:
        self.chall("/set-txt", {"host": name.rstrip(".") + ".", "value": value})

    def clear_txt(self, name: str) -> None:
        self.chall("/clear-txt", {"host": name.rstrip(".") + "."})

    def acme_settings(self) -> Dict[str, Any]:
        return {"directory": self.directory, "ca_bundle": str(self.tls_cert), "email": "admin@a.test"}
