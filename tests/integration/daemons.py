"""Helpers the integration tests share to start private servers: a free
loopback port, waiting for a server, required programs, a daemon child."""
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, List

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], timeout: float = 60.0, what: str = "server") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not come up")


def need(*programs: str) -> None:
    for p in programs:
        if not shutil.which(p) and not Path(p).exists():
            pytest.fail(f"{p} is not installed (scripts/install-deps installs it)")


class Daemon:
    """A server run in the foreground as a child, its output in a log file."""

    def __init__(self, argv: List[str], log: Path, **kw: Any) -> None:
        self.log = open(log, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
