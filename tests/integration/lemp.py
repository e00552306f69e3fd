"""A private LEMP stack (nginx, PHP-FPM, MariaDB, Redis) for integration tests.

``Lemp(base)`` lays out ``base`` like a Debian 12 host under a prefix and starts
its own daemons there, all on 127.0.0.1 (MariaDB on a unix socket only), never
touching the machine's own services, ports or configuration:

    <base>/etc/nginx/nginx.conf            nginx main config (user www-data, pid below)
    <base>/etc/nginx/{conf.d,sites-enabled,sites-available,snippets}/, fastcgi_params, ...
                                           (copies of Debian's /etc/nginx files, so that
                                           relative includes such as ``include
                                           snippets/fastcgi-php.conf;`` work as on a host)
    <base>/etc/php/8.2/fpm/php-fpm.conf    FPM main config; pools in pool.d/*.conf
    <base>/run/nginx.pid, run/php/php8.2-fpm.pid, run/php/*.sock, run/mysqld/mysqld.sock
    <base>/var/log/{nginx,php,mysql,redis}/ logs; var/lib/{mysql,nginx,redis}/ state
    <base>/srv/sites, <base>/srv/core      for the library (sites_root, core_store)
    <base>/cache/nginx                     for the library's FastCGI caches
    <base>/host-profile.json               ``Lemp.profile`` as JSON

nginx and PHP-FPM run as root masters with www-data workers, exactly like on a
host, so every directory from ``/`` down to the files they serve must be
traversable by www-data. ``Lemp`` makes the directories it creates 0755 but does
not loosen the caller's: the parents of ``base`` must already be traversable,
otherwise ``Lemp`` raises ``RuntimeError`` naming the culprit. Pytest's
``tmp_path`` lives under ``/tmp/pytest-of-root`` (0700); either call
``make_traversable(tmp_path)`` first (it adds o+x, never o+r, to the path and its
ancestors) or use a base made with ``tempfile.mkdtemp()``. Unix socket paths
must stay under 108 bytes, so keep ``base`` short-ish (checked too).

Usage::

    with Lemp(base) as lemp:            # or lemp = Lemp(base).start(); ...; lemp.stop()
        engine = wphost.Engine(state_dir=..., host_profile=lemp.profile)
        status, headers, body = lemp.http("/", host="site.test")
        rows = lemp.mysql("SELECT user, host FROM mysql.user")

Daemons run in the foreground as children of the test process, each in its own
session (so ``stop()`` can sweep orphaned workers) and with a parent-death
signal (SIGTERM), so a crashed test run does not leave them behind. That signal
is tied to the *thread* that started them: call ``start()`` from a thread that
outlives the stack (pytest fixtures run in the main thread). ``stop()`` is also
registered with ``atexit``.

How the library is expected to drive it ("services": "signal"):
  - nginx: SIGHUP to the pid in ``<base>/run/nginx.pid`` (the master, which is the
    process we started). Note nginx keeps the old workers accepting for ~100 ms
    after a reload (the master sleeps 100 ms before telling them to quit), so a
    new server block is not reliably live until ~100-150 ms after SIGHUP. Wrap the
    library call in ``with lemp.expect_nginx_reload():`` to wait until only the new
    workers remain (``lemp.reload_nginx()`` sends the SIGHUP itself).
  - PHP-FPM: SIGUSR2 to the pid in ``<base>/run/php/php8.2-fpm.pid``; FPM
    execvp()s its own argv (``/usr/sbin/php-fpm8.2 --nodaemonize -y <conf>``) and
    keeps its pid, its pid file and its listening sockets. If the new
    configuration is invalid the re-exec'd FPM *exits*: test it first with
    ``php-fpm8.2 -t -y <conf>``. ``with lemp.expect_fpm_reload():`` waits for the
    re-exec'd master to be ready (``lemp.reload_fpm()`` sends the SIGUSR2 itself).
  - nginx picks the server by listen address *before* Host: the default server
    listens on ``127.0.0.1:<http_port>``, so a site's server block must say
    ``listen 127.0.0.1:<http_port>;`` too. A bare ``listen <http_port>;`` (0.0.0.0)
    is never chosen for connections to 127.0.0.1 while the default server listens
    there: such sites get the default 404. ``Lemp(base, listen_address="")``
    makes the default server ``listen <http_port> default_server;`` instead.
  - PHP-FPM reads Debian's own /etc/php/8.2/fpm/php.ini and conf.d (extensions
    such as mysqli and redis), as on a host; only php-fpm.conf and pools are private.

``python3 lemp.py`` runs a self-check (see the bottom of this file).

Plain Python (standard library only): no pytest needed.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import glob
import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

WEB_USER = "www-data"
PHP_VERSION = "8.2"
SUN_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1


# --------------------------------------------------------------------------- helpers

def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def second_php_version() -> Optional[str]:
    """Another installed PHP-FPM version besides 8.2 (e.g. "8.1"), newest first; else None."""
    versions = []
    for path in glob.glob("/usr/sbin/php-fpm*.*"):
        m = re.fullmatch(r"php-fpm(\d+)\.(\d+)", os.path.basename(path))
        if m and os.access(path, os.X_OK) and f"{m[1]}.{m[2]}" != PHP_VERSION:
            versions.append((int(m[1]), int(m[2])))
    if not versions:
        return None
    major, minor = max(versions)
    return f"{major}.{minor}"


def _web_ids() -> Tuple[int, Set[int]]:
    pw = pwd.getpwnam(WEB_USER)
    gids = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if WEB_USER in g.gr_mem}
    return pw.pw_uid, gids


def _traversable_by_web(st: os.stat_result, uid: int, gids: Set[int]) -> bool:
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def check_traversable(path: Union[str, Path]) -> None:
    """Raise RuntimeError unless www-data may traverse every existing ancestor of path."""
    uid, gids = _web_ids()
    p = Path(os.path.abspath(path))
    for d in reversed([p, *p.parents]):
        if not d.exists():
            break
        st = d.stat()
        if not _traversable_by_web(st, uid, gids):
            raise RuntimeError(
                f"{d} (mode {stat.filemode(st.st_mode)}, owner {st.st_uid}:{st.st_gid}) is not traversable by "
                f"{WEB_USER}, so nginx/PHP-FPM workers could not reach {path}. Give Lemp a base whose parents "
                f"are traversable, e.g. call lemp.make_traversable(path) on a pytest tmp_path first "
                f"(/tmp/pytest-of-root is 0700), or use tempfile.mkdtemp().")


def make_traversable(path: Union[str, Path]) -> None:
    """Add o+x (search only, never read) to path and each ancestor lacking it.

    Meant for pytest's 0700 temporary directories; never call it on system
    directories you did not create."""
    p = Path(os.path.abspath(path))
    for d in [p, *p.parents]:
        if d.exists():
            mode = d.stat().st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(d, stat.S_IMODE(mode) | stat.S_IXOTH)


def _mkdirs(*dirs: Path, mode: int = 0o755) -> None:
    """mkdir -p, chmod'ing every component it creates (and the leaf) to mode."""
    for d in dirs:
        missing = []
        p = d
        while not p.exists():
            missing.append(p)
            p = p.parent
        for m in reversed(missing):
            m.mkdir(exist_ok=True)
            os.chmod(m, mode)
        os.chmod(d, mode)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text)
    os.chmod(path, mode)


def _tail(path: Path, lines: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return "(no such file)"
    return "\n".join(data.splitlines()[-lines:])


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    # Runs in the child between fork and exec: TERM it if the test process dies
    # (survives exec, so it also covers FPM's SIGUSR2 re-exec and nginx's master).
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Response(NamedTuple):
    status: int
    headers: "Headers"
    body: bytes


class Headers(Dict[str, str]):
    """Response headers with case-insensitive lookup; repeated headers (Set-Cookie...)
    are joined with ", " here and kept one by one in ``.all``."""

    def __init__(self, items: Sequence[Tuple[str, str]]) -> None:
        joined: Dict[str, str] = {}
        for k, v in items:
            key = k.lower()
            joined[key] = f"{joined[key]}, {v}" if key in joined else v
        super().__init__(joined)
        self.all: List[Tuple[str, str]] = list(items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:  # type: ignore[override]
        return super().get(key.lower(), default)

    def get_all(self, key: str) -> List[str]:
        return [v for k, v in self.all if k.lower() == key.lower()]


class _Daemon:
    def __init__(self, name: str, argv: List[str], out: Path, logs: Sequence[Path] = ()):
        self.name, self.argv, self.out, self.logs = name, argv, out, list(logs)
        self._out = open(out, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=_child_setup, close_fds=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        if self.alive():
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait_stopped(self, timeout: float) -> None:
        if self.alive():
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Sweep anything left in its session (workers orphaned by a KILLed master).
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._out.close()


# MariaDB data directory made once per process by mariadb-install-db, then copied
# (copying 26 MB beats bootstrapping again).
_template_lock = threading.Lock()
_template_dir: Optional[Path] = None
MYSQL_ARGS = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--skip-log-bin",
              "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"]


def _as_root_args() -> List[str]:
    return ["--user=root"] if os.geteuid() == 0 else []


def _mysql_template() -> Optional[Path]:
    with _template_lock:
        return _template_dir


def _install_db(datadir: Path, log: Path) -> "subprocess.Popen[bytes]":
    with open(log, "ab") as out:
        return subprocess.Popen(
            ["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--auth-root-authentication-method=socket",
             "--skip-test-db", *_as_root_args(), *MYSQL_ARGS],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, close_fds=True)


def _remember_template(datadir: Path) -> None:
    global _template_dir
    with _template_lock:
        if _template_dir is not None:
            return
        tmpl = Path(tempfile.mkdtemp(prefix="wphost-lemp-mysql-"))
        shutil.rmtree(tmpl)
        shutil.copytree(datadir, tmpl, symlinks=True)
        _template_dir = tmpl
        atexit.register(shutil.rmtree, tmpl, True)


_live: "set[Lemp]" = set()  # started and not yet stopped


@atexit.register
def _stop_all() -> None:
    for lemp in list(_live):
        lemp.stop()


# --------------------------------------------------------------------------- Lemp

class Lemp:
    """A private nginx + PHP-FPM + MariaDB + Redis under ``base``; see the module docstring.

    Attributes after start(): ``profile`` (dict), ``http_port``, ``https_port``,
    ``redis_port``, ``mysql_socket``, ``base`` and the paths below.

    php_versions: the PHP-FPM masters to run (default just "8.2"; add
    ``second_php_version()`` when a test needs two). listen_address: where the
    default (404) server listens; "" for all addresses. Nothing listens on
    https_port until the library configures it.
    """

    def __init__(self, base: Union[str, Path], *, php_versions: Sequence[str] = (PHP_VERSION,),
                 listen_address: str = "127.0.0.1", start_timeout: float = 60.0):
        self.base = Path(os.path.abspath(base))
        self.php_versions = list(php_versions)
        self.listen_address = listen_address
        self.start_timeout = start_timeout
        self.http_port = free_port()
        self.https_port = free_port()
        self.redis_port = free_port()
        b = self.base
        self.nginx_dir = b / "etc/nginx"
        self.nginx_conf = self.nginx_dir / "nginx.conf"
        self.sites_dir = self.nginx_dir / "sites-enabled"
        self.nginx_pid_file = b / "run/nginx.pid"
        self.nginx_error_log = b / "var/log/nginx/error.log"
        self.nginx_access_log = b / "var/log/nginx/access.log"
        self.cache_dir = b / "cache/nginx"
        self.php_etc = b / "etc/php"
        self.php_run = b / "run/php"
        self.mysql_run = b / "run/mysqld"
        self.mysql_socket = self.mysql_run / "mysqld.sock"
        self.mysql_datadir = b / "var/lib/mysql"
        self.mysql_error_log = b / "var/log/mysql/error.log"
        self.redis_log = b / "var/log/redis/redis-server.log"
        self.sites_root = b / "srv/sites"
        self.core_store = b / "srv/core"
        self.profile_file = b / "host-profile.json"
        self._daemons: Dict[str, _Daemon] = {}
        self.startup_seconds: Optional[float] = None

    # ---- paths per PHP version
    def fpm_conf(self, version: str = PHP_VERSION) -> Path:
        return self.php_etc / version / "fpm/php-fpm.conf"

    def fpm_pool_dir(self, version: str = PHP_VERSION) -> Path:
        return self.php_etc / version / "fpm/pool.d"

    def fpm_pid_file(self, version: str = PHP_VERSION) -> Path:
        return self.php_run / f"php{version}-fpm.pid"

    def fpm_error_log(self, version: str = PHP_VERSION) -> Path:
        return self.base / f"var/log/php{version}-fpm.log"

    def placeholder_socket(self, version: str = PHP_VERSION) -> Path:
        return self.php_run / f"wphost-placeholder-{version}.sock"

    # ---- profile
    @property
    def profile(self) -> Dict[str, Any]:
        return {
            "sites_root": str(self.sites_root),
            "core_store": str(self.core_store),
            "ssl_dir": str(self.base / "etc/wphost/ssl"),
            "nginx": {"config": str(self.nginx_conf), "sites_dir": str(self.sites_dir),
                      "pid_file": str(self.nginx_pid_file), "cache_dir": str(self.cache_dir), "user": WEB_USER,
                      "http_port": self.http_port, "https_port": self.https_port},
            "php": {"etc_dir": str(self.php_etc), "run_dir": str(self.php_run)},
            "mysql": {"socket": str(self.mysql_socket), "admin_user": "root", "admin_password_file": ""},
            "redis": {"host": "127.0.0.1", "port": self.redis_port},
            "services": "signal",
        }

    def profile_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.profile, indent=indent)

    # ---- pids (as the library would find them)
    def nginx_pid(self) -> int:
        return int(self.nginx_pid_file.read_text().split()[0])

    def fpm_pid(self, version: str = PHP_VERSION) -> int:
        return int(self.fpm_pid_file(version).read_text().split()[0])

    # ---- waiting for the library's reloads
    def nginx_workers(self) -> Set[int]:
        """Pids of the nginx master's worker processes (including ones shutting down)."""
        master = self.nginx_pid()
        workers: Set[int] = set()
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                st = (d / "stat").read_text()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
                if ppid == master and (d / "cmdline").read_bytes().startswith(b"nginx: worker process"):
                    workers.add(int(d.name))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
        return workers

    @contextlib.contextmanager
    def expect_nginx_reload(self, timeout: float = 10.0) -> Iterator[None]:
        """Wrap code that makes nginx reload (SIGHUP); on exit, wait until every worker
        from before has exited, i.e. until only the new configuration answers.

        Needed because after SIGHUP the master starts new workers, sleeps 100 ms and
        only then tells the old ones to quit: meanwhile either generation may answer.
        Raises RuntimeError if no reload happened within timeout."""
        before = self.nginx_workers()
        yield
        end = time.monotonic() + timeout
        while True:
            now = self.nginx_workers()
            if now and not now & before:
                return
            if time.monotonic() > end:
                raise RuntimeError(f"nginx did not finish a reload within {timeout}s (workers before {sorted(before)}, "
                                   f"now {sorted(now)})\n{self.logs()}")
            time.sleep(0.01)

    def reload_nginx(self) -> None:
        """SIGHUP nginx (as the library does) and wait until the new configuration alone answers."""
        with self.expect_nginx_reload():
            os.kill(self.nginx_pid(), signal.SIGHUP)

    @contextlib.contextmanager
    def expect_fpm_reload(self, version: str = PHP_VERSION, timeout: float = 10.0) -> Iterator[None]:
        """Wrap code that makes PHP-FPM reload (SIGUSR2); on exit, wait until the
        re-exec'd master is ready (its pools' sockets are inherited, so their existence
        proves nothing). Raises RuntimeError if FPM died (e.g. invalid new config) or
        no reload finished within timeout."""
        log = self.fpm_error_log(version)
        marker = b"NOTICE: ready to handle connections"
        before = log.read_bytes().count(marker) if log.exists() else 0
        yield
        end = time.monotonic() + timeout
        daemon = self._daemons.get(f"php{version}-fpm")
        while log.read_bytes().count(marker) <= before:
            if daemon is not None and not daemon.alive():
                raise RuntimeError(f"php{version}-fpm exited while reloading\n{self.logs()}")
            if time.monotonic() > end:
                raise RuntimeError(f"php{version}-fpm did not finish a reload within {timeout}s\n{self.logs()}")
            time.sleep(0.01)

    def reload_fpm(self, version: str = PHP_VERSION) -> None:
        """SIGUSR2 PHP-FPM (as the library does) and wait until it is ready again."""
        with self.expect_fpm_reload(version):
            os.kill(self.fpm_pid(version), signal.SIGUSR2)

    # ---- lifecycle
    def __enter__(self) -> "Lemp":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> "Lemp":
        t0 = time.monotonic()
        try:
            pwd.getpwnam(WEB_USER)
        except KeyError:
            raise RuntimeError(f"user {WEB_USER} does not exist") from None
        for p in ("/usr/sbin/nginx", "/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db", "/usr/bin/mariadb",
                  "/usr/bin/redis-server", *(f"/usr/sbin/php-fpm{v}" for v in self.php_versions)):
            if not os.access(p, os.X_OK):
                raise RuntimeError(f"{p} is not installed (scripts/install-deps installs it)")
        check_traversable(self.base)
        for sock in [self.mysql_socket, *(self.placeholder_socket(v) for v in self.php_versions),
                     self.php_run / ("x" * 40 + ".sock")]:
            if len(os.fsencode(str(sock))) > SUN_PATH_MAX:
                raise RuntimeError(f"base {self.base} is too long: unix socket path {sock} (or a site's FPM socket "
                                   f"beside it) would exceed {SUN_PATH_MAX} bytes")
        if self.mysql_datadir.exists() or self.nginx_conf.exists():
            raise RuntimeError(f"{self.base} already holds a stack; give each Lemp a fresh base")
        _live.add(self)
        try:
            self._layout()
            install = None
            tmpl = _mysql_template()
            if tmpl is not None:
                shutil.copytree(tmpl, self.mysql_datadir, symlinks=True)
            else:
                install = _install_db(self.mysql_datadir, self.base / "var/log/mysql/install-db.log")
            # Redis, PHP-FPM and nginx start while MariaDB bootstraps.
            self._start_redis()
            for v in self.php_versions:
                self._start_fpm(v)
            self._start_nginx()
            if install is not None:
                if install.wait(timeout=self.start_timeout) != 0:
                    raise RuntimeError("mariadb-install-db failed:\n" +
                                       _tail(self.base / "var/log/mysql/install-db.log", 40))
                _remember_template(self.mysql_datadir)
            self._start_mysql()
            self._wait_all()
        except BaseException:
            self.stop()
            raise
        _write(self.profile_file, self.profile_json() + "\n")
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """TERM every daemon at once, KILL what is left after timeout seconds."""
        daemons = list(self._daemons.values())
        for d in daemons:
            d.terminate()
        end = time.monotonic() + timeout
        for d in daemons:
            d.wait_stopped(max(0.1, end - time.monotonic()))
        self._daemons.clear()
        _live.discard(self)

    def running(self) -> Dict[str, bool]:
        return {name: d.alive() for name, d in self._daemons.items()}

    # ---- layout and daemons
    def _layout(self) -> None:
        b = self.base
        _mkdirs(b, self.nginx_dir / "conf.d", self.sites_dir, self.nginx_dir / "sites-available",
                self.nginx_dir / "snippets", b / "run", self.php_run, self.mysql_run, self.cache_dir,
                b / "var/log/nginx", b / "var/log/mysql", b / "var/log/redis", b / "var/lib/nginx",
                b / "var/lib/redis", self.sites_root, self.core_store,
                *(self.fpm_pool_dir(v) for v in self.php_versions))
        # Debian's nginx support files, so relative includes resolve under <base>/etc/nginx.
        for src in Path("/etc/nginx").iterdir():
            if src.is_file() and src.name != "nginx.conf":
                shutil.copy2(src, self.nginx_dir / src.name)
        for src in Path("/etc/nginx/snippets").glob("*.conf"):
            shutil.copy2(src, self.nginx_dir / "snippets" / src.name)
        self._write_nginx_conf()
        for v in self.php_versions:
            self._write_fpm_conf(v)

    def _write_nginx_conf(self) -> None:
        b = self.base
        temp = b / "var/lib/nginx"
        listen = f"{self.listen_address}:{self.http_port}" if self.listen_address else str(self.http_port)
        _write(self.nginx_conf, f"""\
# Private test nginx, modelled on Debian 12's /etc/nginx/nginx.conf (written by tests/integration/lemp.py).
# Started as: nginx -c {self.nginx_conf} -e {self.nginx_error_log} -g 'daemon off;'
user {WEB_USER};
worker_processes 1;
pid {self.nginx_pid_file};
error_log {self.nginx_error_log};
include /etc/nginx/modules-enabled/*.conf;

events {{
	worker_connections 1024;
}}

http {{
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;

	include /etc/nginx/mime.types;
	default_type application/octet-stream;

	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;

	access_log {self.nginx_access_log};
	gzip on;

	client_body_temp_path {temp}/body;
	proxy_temp_path {temp}/proxy;
	fastcgi_temp_path {temp}/fastcgi;
	uwsgi_temp_path {temp}/uwsgi;
	scgi_temp_path {temp}/scgi;

	include {self.nginx_dir}/conf.d/*.conf;
	include {self.sites_dir}/*.conf;

	# Stands in for Debian's sites-enabled/default.
	server {{
		listen {listen} default_server;
		server_name _;
		return 404;
	}}
}}
""")

    def _write_fpm_conf(self, v: str) -> None:
        _write(self.fpm_conf(v), f"""\
; Private test PHP-FPM {v} (written by tests/integration/lemp.py).
; Started as: /usr/sbin/php-fpm{v} --nodaemonize -y {self.fpm_conf(v)}
[global]
pid = {self.fpm_pid_file(v)}
error_log = {self.fpm_error_log(v)}
daemonize = no
include={self.fpm_pool_dir(v)}/*.conf
""")
        # FPM refuses to start without a pool.
        _write(self.fpm_pool_dir(v) / "00-placeholder.conf", f"""\
[wphost-placeholder]
user = {WEB_USER}
group = {WEB_USER}
listen = {self.placeholder_socket(v)}
listen.owner = {WEB_USER}
listen.group = {WEB_USER}
listen.mode = 0660
pm = ondemand
pm.max_children = 1
""")

    def _start_redis(self) -> None:
        self._daemons["redis"] = _Daemon(
            "redis", ["/usr/bin/redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                      "--appendonly", "no", "--dir", str(self.base / "var/lib/redis"),
                      "--logfile", str(self.redis_log)],
            self.base / "var/log/redis/stdout.log", [self.redis_log])

    def _start_fpm(self, v: str) -> None:
        # Absolute argv[0]: on SIGUSR2 FPM execvp()s its saved argv, keeping its pid.
        self._daemons[f"php{v}-fpm"] = _Daemon(
            f"php{v}-fpm", [f"/usr/sbin/php-fpm{v}", "--nodaemonize", "-y", str(self.fpm_conf(v))],
            self.base / f"var/log/php{v}-fpm.stdout.log", [self.fpm_error_log(v)])

    def _start_nginx(self) -> None:
        self._daemons["nginx"] = _Daemon(
            "nginx", ["/usr/sbin/nginx", "-c", str(self.nginx_conf), "-e", str(self.nginx_error_log),
                      "-g", "daemon off;"],
            self.base / "var/log/nginx/stdout.log", [self.nginx_error_log])

    def _start_mysql(self) -> None:
        self._daemons["mariadb"] = _Daemon(
            "mariadb", ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={self.mysql_datadir}",
                        f"--socket={self.mysql_socket}", "--skip-networking",
                        f"--pid-file={self.mysql_run}/mysqld.pid", f"--log-error={self.mysql_error_log}",
                        *_as_root_args(), *MYSQL_ARGS],
            self.base / "var/log/mysql/stdout.log", [self.mysql_error_log])

    def _mysql_ready(self) -> bool:
        if not self.mysql_socket.exists():
            return False
        r = subprocess.run(["mariadb", "--no-defaults", f"--socket={self.mysql_socket}", "-uroot", "-e", "select 1"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return r.returncode == 0

    def _fpm_ready_check(self, v: str) -> Callable[[], bool]:
        return lambda: self.placeholder_socket(v).exists() and self.fpm_pid_file(v).exists()

    def _wait_all(self) -> None:
        checks: Dict[str, Callable[[], bool]] = {
            "redis": lambda: accepts(self.redis_port),
            "nginx": lambda: self.nginx_pid_file.exists() and accepts(self.http_port),
            "mariadb": self._mysql_ready,
        }
        for v in self.php_versions:
            checks[f"php{v}-fpm"] = self._fpm_ready_check(v)
        pending = dict(checks)
        end = time.monotonic() + self.start_timeout
        while pending:
            for name, check in list(pending.items()):
                if not self._daemons[name].alive():
                    raise RuntimeError(f"{name} exited during start-up (status {self._daemons[name].proc.returncode})"
                                       f"\n{self.logs()}")
                if check():
                    del pending[name]
            if pending:
                if time.monotonic() > end:
                    raise RuntimeError(f"{', '.join(pending)} did not come up within {self.start_timeout}s"
                                       f"\n{self.logs()}")
                time.sleep(0.02)

    # ---- using it
    def http(self, path: str, host: str, headers: Optional[Dict[str, str]] = None, method: str = "GET",
             data: Union[None, bytes, str, Dict[str, str]] = None, port: Optional[int] = None,
             timeout: float = 30.0) -> Response:
        """One request to 127.0.0.1:<http_port> with the given Host header; redirects are not followed.

        data: bytes/str body, or a dict sent as application/x-www-form-urlencoded."""
        hdrs = {"Host": host, **(headers or {})}
        if isinstance(data, dict):
            data = urllib.parse.urlencode(data).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif isinstance(data, str):
            data = data.encode()
        conn = http.client.HTTPConnection("127.0.0.1", port or self.http_port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            body = resp.read()
            return Response(resp.status, Headers(resp.getheaders()), body)
        finally:
            conn.close()

    def mysql(self, sql: str, database: Optional[str] = None) -> List[Tuple[Optional[str], ...]]:
        """Run SQL as the admin (root over the unix socket); rows of every result set, as tuples
        of strings (None for NULL). Raises RuntimeError with the client's error on failure."""
        argv = ["mariadb", "--no-defaults", f"--socket={self.mysql_socket}", "-uroot", "--xml"]
        if database:
            argv.append(database)
        r = subprocess.run(argv, input=sql.encode(), capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"mariadb failed ({r.returncode}): {r.stderr.decode(errors='replace').strip()}"
                               f"\nSQL: {sql}")
        rows: List[Tuple[Optional[str], ...]] = []
        out = r.stdout.decode()
        # One <resultset> document per statement that returned rows.
        for doc in re.findall(r"<resultset.*?</resultset>|<resultset[^>]*/>", out, re.S):
            for row in ET.fromstring(doc).iter("row"):
                rows.append(tuple(
                    None if f.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true" else (f.text or "")
                    for f in row.iter("field")))
        return rows

    def logs(self, lines: int = 40) -> str:
        """The tails of every daemon's logs, for assertion messages."""
        parts = []
        paths: List[Path] = []
        for d in self._daemons.values():
            paths += d.logs + [d.out]
        if not self._daemons:  # stopped: show what there is
            paths += sorted((self.base / "var/log").rglob("*.log"))
        seen = set()
        for p in paths:
            if p in seen or not p.exists() or p.stat().st_size == 0:
                continue
            seen.add(p)
            parts.append(f"==> {p} <==\n{_tail(p, lines)}")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"Lemp({str(self.base)!r}, http_port={self.http_port}, running={self.running()})"


# --------------------------------------------------------------------------- self-check

def _wait_for(check: Callable[[], bool], timeout: float, what: str, lemp: Lemp) -> float:
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"{what} did not happen within {timeout}s\n{lemp.logs()}")
        time.sleep(0.005)
    return time.monotonic() - t0


def _session_members(sids: Sequence[int]) -> List[str]:
    """Processes still in the sessions our daemons led (masters and their workers)."""
    left = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if os.getsid(int(d.name)) in sids:
                    cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    left.append(f"{d.name} {cmd}")
            except (ProcessLookupError, FileNotFoundError, PermissionError):
                pass
    return left


def _self_check() -> None:
    base = Path(tempfile.mkdtemp(prefix="lemp-"))
    os.chmod(base, 0o755)
    try:
        lemp = Lemp(base).start()
        sessions = [d.pid for d in lemp._daemons.values()]
        try:
            print(f"started in {lemp.startup_seconds:.2f}s under {base} (http {lemp.http_port})")
            assert lemp.http("/", "nothing.test").status == 404
            assert lemp.mysql("select 1 as a, NULL as b, 'x\ty' as c") == [("1", None, "x\ty")]
            assert lemp.mysql("create database t; create table t.x (v text); insert into t.x values ('<&>');"
                              "select v from t.x") == [("<&>",)]
            fpm_pid, nginx_pid = lemp.fpm_pid(), lemp.nginx_pid()
            assert fpm_pid == lemp._daemons["php8.2-fpm"].pid and nginx_pid == lemp._daemons["nginx"].pid

            docroot = lemp.sites_root / "check/htdocs"
            _mkdirs(docroot)
            _write(docroot / "index.php", "<?php echo 'hello from ', PHP_SAPI, ' ', PHP_VERSION, ' as ', "
                                          "posix_getpwuid(posix_geteuid())['name'];\n")
            sock = lemp.php_run / "check.sock"
            _write(lemp.fpm_pool_dir() / "check.conf", f"""\
[check]
user = {WEB_USER}
group = {WEB_USER}
listen = {sock}
listen.owner = {WEB_USER}
listen.group = {WEB_USER}
listen.mode = 0660
pm = ondemand
pm.max_children = 2
""")
            _write(lemp.sites_dir / "check.conf", f"""\
server {{
	listen 127.0.0.1:{lemp.http_port};
	server_name check.test;
	root {docroot};
	index index.php;
	location ~ \\.php$ {{
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:{sock};
	}}
}}
""")
            t = time.monotonic()
            with lemp.expect_fpm_reload():
                os.kill(lemp.fpm_pid(), signal.SIGUSR2)  # what the library does
            fpm_reload = time.monotonic() - t
            assert sock.exists()
            t = time.monotonic()
            old_workers = lemp.nginx_workers()
            with lemp.expect_nginx_reload():
                os.kill(lemp.nginx_pid(), signal.SIGHUP)
                nginx_first = _wait_for(lambda: lemp.http("/", "check.test").status != 404, 10,
                                        "new server block after SIGHUP", lemp)
            nginx_reload = time.monotonic() - t
            assert not lemp.nginx_workers() & old_workers
            for _ in range(20):  # the old configuration is gone for good
                r = lemp.http("/", "check.test")
                assert r.status == 200, (r, lemp.logs())
            assert r.status == 200 and r.body.startswith(b"hello from fpm-fcgi 8.2.") and \
                r.body.endswith(b" as www-data"), (r, lemp.logs())
            assert "text/html" in r.headers["content-type"]
            # Same pids, pid files still right, old pool still there.
            assert lemp.fpm_pid() == fpm_pid and lemp._daemons["php8.2-fpm"].alive(), lemp.logs()
            assert lemp.nginx_pid() == nginx_pid and lemp.placeholder_socket().exists()
            # A second SIGUSR2 with a worker alive (ondemand keeps it for 10s), and a SIGHUP.
            t = time.monotonic()
            lemp.reload_fpm()
            fpm_reload2 = time.monotonic() - t
            assert lemp.http("/", "check.test").status == 200 and lemp.fpm_pid() == fpm_pid
            lemp.reload_nginx()
            assert lemp.http("/", "check.test").status == 200 and lemp.nginx_pid() == nginx_pid
            print(f"FPM SIGUSR2 -> ready in {fpm_reload * 1000:.0f} ms ({fpm_reload2 * 1000:.0f} ms with a worker); "
                  f"nginx SIGHUP -> new server first answers in {nginx_first * 1000:.0f} ms, "
                  f"old workers gone in {nginx_reload * 1000:.0f} ms")
            print("PHP page:", r.body.decode())
        finally:
            t = time.monotonic()
            lemp.stop()
            print(f"stopped in {time.monotonic() - t:.2f}s")
        # A second stack copies the MariaDB data directory made by the first.
        with Lemp(base / "second") as second:
            sessions += [d.pid for d in second._daemons.values()]
            assert second.http("/", "check.test").status == 404 and second.mysql("select 2") == [("2",)]
            print(f"second stack started in {second.startup_seconds:.2f}s")
        left = _session_members(sessions)
        assert not left, f"processes left behind: {left}"
        print("self-check OK")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    _self_check()
