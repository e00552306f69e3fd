"""A threaded HTTP(S) server on 127.0.0.1 for the fakes of cloud APIs that
cannot run here (Hetzner Cloud, DigitalOcean, Cloudflare, S3), with scripted
faults: an answer of the test's choosing, malformed or truncated JSON, a
hang, a dropped connection.

    with FakeServer(handler, tls_files(tmp_path)) as fake:
        fake.fault(status=429, headers={"Retry-After": "1"})
        ... fake.url ... fake.requests ...
"""
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union
from urllib.parse import parse_qs, urlsplit


@dataclass
class Req:
    method: str
    path: str  # raw path as sent, without the query
    query: Dict[str, List[str]]
    raw_query: str
    headers: Dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Body = Union[bytes, str, dict, list, None]


@dataclass
class Resp:
    status: int = 200
    body: Body = b""
    headers: Dict[str, str] = field(default_factory=dict)


@dataclass
class TlsFiles:
    ca: str
    cert: str
    key: str


def tls_files(directory: Union[str, Path], names: Optional[List[str]] = None) -> TlsFiles:
    """A private CA and a server certificate it signed for 127.0.0.1,
    localhost and `names` (made with the openssl CLI)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (str(d / n) for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=libwphost test CA")
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    sans = ["IP:127.0.0.1", "DNS:localhost"] + [f"DNS:{n}" for n in (names or [])]
    ext = d / "san.ext"
    ext.write_text("subjectAltName=" + ",".join(sans) + "\nbasicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", str(ext))
    return TlsFiles(ca=ca, cert=cert, key=key)


@dataclass
class _Fault:
    count: int
    match: Optional["re.Pattern[str]"]
    status: Optional[int]
    headers: Optional[Dict[str, str]]
    body: Body
    delay: float
    malformed: bool
    truncate: bool
    hang: Optional[float]
    drop: bool


def _encode(body: Body, headers: Dict[str, str]) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (dict, list)):
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(body).encode()
    if isinstance(body, str):
        return body.encode()
    return body


class FakeServer:
    def __init__(self, handler: Callable[[Req], Resp], tls: Optional[TlsFiles] = None) -> None:
        self.handler = handler
        self.tls = tls
        self.requests: List[Req] = []
        self._faults: List[_Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def fault(self, status: Optional[int] = None, headers: Optional[Dict[str, str]] = None, body: Body = None,
              count: int = 1, match: Optional[str] = None, delay: float = 0.0, malformed: bool = False,
              truncate: bool = False, hang: Optional[float] = None, drop: bool = False) -> None:
        """Answer the next `count` requests matching `match` (a regex searched
        in "METHOD /path") with this fault instead of the handler: a fixed
        answer (status/headers/body), the handler's answer delayed by
        `delay`, `malformed` JSON, its JSON body cut in half (`truncate`,
        with a Content-Length that matches the cut body), no answer for
        `hang` seconds, or the connection closed without an answer (`drop`)."""
        with self._lock:
            self._faults.append(_Fault(count, re.compile(match) if match else None, status, headers, body, delay,
                                       malformed, truncate, hang, drop))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, line: str) -> Optional[_Fault]:
        with self._lock:
            for f in self._faults:
                if f.match is None or f.match.search(line):
                    f.count -= 1
                    if f.count <= 0:
                        self._faults.remove(f)
                    return f
        return None

    def start(self) -> "FakeServer":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                req = Req(method=self.command, path=parts.path, query=parse_qs(parts.query, keep_blank_values=True),
                          raw_query=parts.query, headers={k.lower(): v for k, v in self.headers.items()}, body=body)
                with fake._lock:
                    fake.requests.append(req)
                f = fake._take_fault(f"{req.method} {req.path}")
                if f and f.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if f and f.hang:
                    fake._stopping.wait(f.hang)
                    self.close_connection = True
                    return
                if f and f.delay:
                    fake._stopping.wait(f.delay)
                if f and f.status is not None:
                    resp = Resp(f.status, f.body, dict(f.headers or {}))
                else:
                    try:
                        resp = fake.handler(req)
                    except Exception as e:  # a bug in a fake must show, not hang the client
                        resp = Resp(500, {"fake_error": repr(e)})
                    if f and f.headers:
                        resp.headers.update(f.headers)
                headers = dict(resp.headers)
                data = _encode(resp.body, headers)
                if f and f.malformed:
                    data = b'{"this is": not json'
                    headers["Content-Type"] = "application/json"
                if f and f.truncate:
                    data = data[: max(1, len(data) // 2)]
                self.send_response(resp.status)
                for k, v in headers.items():
                    if k.lower() != "content-length":
                        self.send_header(k, v)
                if self.command != "HEAD" or "content-length" not in {k.lower() for k in headers}:
                    self.send_header("Content-Length", str(len(data)))
                else:
                    self.send_header("Content-Length", headers.get("Content-Length", headers.get("content-length", "0")))
                self.end_headers()
                if self.command != "HEAD" and data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._httpd = Server(("127.0.0.1", 0), Handler)
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls.cert, self.tls.key)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def seen(self, pattern: str) -> List[Req]:
        """The requests whose "METHOD /path" matches `pattern`."""
        rx = re.compile(pattern)
        with self._lock:
            return [r for r in self.requests if rx.search(f"{r.method} {r.path}")]


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False
