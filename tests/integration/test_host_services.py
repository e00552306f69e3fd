"""The host check against real, private MariaDB, Redis and memcached servers
started for this test on 127.0.0.1 / their own sockets (never the machine's
own services)."""
import os
import socket
import subprocess

import pytest

from daemons import Daemon, free_port, need, wait_until

import wphost


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    need("/usr/sbin/mariadbd", "mariadb-install-db", "/usr/bin/redis-server", "/usr/bin/memcached")
    base = tmp_path_factory.mktemp("services")
    os.chmod(base, 0o755)
    daemons = []
    try:
        # MariaDB: own data directory and socket, no TCP. As root it runs as
        # root (the scratch directory is not the mysql user's to enter).
        data, run = base / "mysql-data", base / "mysql-run"
        run.mkdir()
        as_user = ["--user=root"] if os.geteuid() == 0 else []
        r = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}",
                            "--auth-root-authentication-method=socket", "--skip-test-db", *as_user],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        sock = run / "mysqld.sock"
        args = ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={sock}", "--skip-networking",
                f"--pid-file={run}/mysqld.pid", "--innodb-buffer-pool-size=16M", "--skip-log-bin", *as_user]
        daemons.append(Daemon(args, base / "mysql.log"))
        wait_until(lambda: sock.exists(), what="mariadbd")

        # Redis: a TCP port on loopback, and a second one behind a password.
        rport, rport_auth = free_port(), free_port()
        for port, extra in ((rport, []), (rport_auth, ["--requirepass", "s3cret"])):
            daemons.append(Daemon(["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(base), *extra], base / f"redis-{port}.log"))
        # memcached on loopback.
        mport = free_port()
        daemons.append(Daemon(["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(mport), "-U", "0", "-m", "16",
                               "-u", "nobody"], base / "memcached.log"))
        for port in (rport, rport_auth, mport):
            wait_until(lambda p=port: _accepts(p), what=f"server on port {port}")
        yield {"mysql_socket": str(sock), "redis_port": rport, "redis_auth_port": rport_auth, "memcached_port": mport}
    finally:
        for d in daemons:
            d.stop()


def _accepts(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_running_services_are_reported_ok(services, state_dir):
    profile = {
        "mysql": {"socket": services["mysql_socket"]},
        "redis": {"port": services["redis_port"]},
        "memcached": {"port": services["memcached_port"]},
    }
    with wphost.Engine(state_dir=state_dir, host_profile=profile) as engine:
        report = engine.host_check()
    mysql = report["mysql"]
    assert mysql["status"] == "ok", mysql
    assert mysql["socket_accepts"] and mysql["admin_access"]
    assert mysql["flavor"] == "MariaDB" and mysql["server_version"] == mysql["version"]
    redis = report["redis"]
    assert redis["status"] == "ok" and redis["running"], redis
    assert redis["server_version"] == redis["version"]
    mc = report["memcached"]
    assert mc["status"] == "ok" and mc["server_version"] == mc["version"], mc
    for key in ("mysql", "redis", "memcached"):
        assert key not in report["summary"]["stopped"] + report["summary"]["missing"]


def test_refusals_are_told_apart_from_absence(services, state_dir):
    profile = {
        "mysql": {"socket": services["mysql_socket"], "admin_user": "nobody_here"},
        "redis": {"port": services["redis_auth_port"]},
    }
    with wphost.Engine(state_dir=state_dir, host_profile=profile) as engine:
        report = engine.host_check()
    mysql = report["mysql"]
    assert mysql["status"] == "error" and mysql["socket_accepts"] and not mysql["admin_access"], mysql
    assert "nobody_here" in mysql["error"]
    assert report["redis"]["status"] == "ok" and report["redis"]["auth_required"] is True


def test_stopped_services(services, state_dir, tmp_path):
    profile = {
        "mysql": {"socket": str(tmp_path / "no.sock")},
        "redis": {"port": free_port()},
        "memcached": {"port": free_port()},
    }
    with wphost.Engine(state_dir=state_dir, host_profile=profile) as engine:
        report = engine.host_check()
    for key in ("mysql", "redis", "memcached"):
        assert report[key]["status"] == "stopped", report[key]
        assert "nothing answers" in report[key]["reason"]
