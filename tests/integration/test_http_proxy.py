"""Provider calls go through the proxy named by the usual environment
variables (HTTPS_PROXY, NO_PROXY), as libcurl reads them, with TLS still
verified end to end through the CONNECT tunnel."""
import os
import select
import socket
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

import wphost
from fakes.cloudflare import FakeCloudflare
from fakes.fakeserver import tls_files


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on 127.0.0.1 that records its tunnels."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.tunnels: List[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target = head.split(b"\r\n", 1)[0].decode().split(" ")[:2]
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels.append(target)
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port))) as up:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pair = [client, up]
                while True:
                    ready, _, _ = select.select(pair, [], [], 10)
                    if not ready:
                        return
                    for s in ready:
                        data = s.recv(65536)
                        if not data:
                            return
                        (up if s is client else client).sendall(data)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    p = ConnectProxy()
    yield p
    p.close()


@pytest.fixture
def proxy_env(proxy: ConnectProxy) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")}
    for k in saved:
        os.environ.pop(k, None)
    os.environ["HTTPS_PROXY"] = f"http://127.0.0.1:{proxy.port}"
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_calls_go_through_https_proxy_and_no_proxy_bypasses_it(tmp_path: Path, proxy: ConnectProxy,
                                                                proxy_env: None) -> None:
    with FakeCloudflare(tls_files(tmp_path / "tls")) as cf, wphost.Engine(state_dir=str(tmp_path / "state")) as e:
        cf.add_zone("example.com")
        assert cf.tls is not None
        p = wphost.Provider(e, {"kind": "cloudflare", "endpoint": cf.url, "token": cf.token, "ca_bundle": cf.tls.ca})
        assert p.call("zone.find", {"name": "www.example.com"})["result"]["name"] == "example.com"
        assert proxy.tunnels and all(t == f"127.0.0.1:{cf.server.port}" for t in proxy.tunnels)

        seen = len(proxy.tunnels)
        os.environ["NO_PROXY"] = "127.0.0.1"
        p.call("zone.list", {})
        assert len(proxy.tunnels) == seen
