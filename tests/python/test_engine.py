import asyncio
import os
import stat
import threading

import pytest

import wphost


def test_version_and_constants():
    assert wphost.__version__.count(".") == 2
    assert wphost.version_number > 0
    assert wphost.schema_version >= 1


def test_open_creates_private_state_dir(state_dir):
    with wphost.Engine(state_dir=state_dir) as engine:
        assert engine.state_dir == state_dir
        assert stat.S_IMODE(os.stat(state_dir).st_mode) == 0o700
        assert os.path.exists(os.path.join(state_dir, "state.db"))
        info = engine.info()
        assert info["state_dir"] == state_dir
        assert info["schema_version"] == wphost.schema_version
        assert info["host_profile"]["nginx"]["binary"] == "/usr/sbin/nginx"


def test_host_check_report(state_dir):
    with wphost.Engine(state_dir=state_dir) as engine:
        report = engine.host_check()
    for key in ("os", "systemd", "nginx", "php_fpm", "mysql", "redis", "memcached", "restic", "resources"):
        assert key in report, key
        assert report[key]["status"] in ("ok", "missing", "stopped", "error")
    assert isinstance(report["systemd"]["running"], bool)
    assert report["os"]["id"]
    disk = report["resources"]["disk"][0]
    assert disk["path"] == state_dir and disk["total_bytes"] >= disk["free_bytes"] > 0
    assert report["resources"]["memory"]["total_bytes"] > 0
    summary = report["summary"]
    assert summary["ok"] == (not summary["missing"] and not summary["stopped"] and not summary["errors"])


def test_missing_components_say_missing(state_dir, tmp_path):
    nothing = str(tmp_path / "nothing")
    profile = {
        "nginx": {"binary": nothing + "/nginx"},
        "php": {"fpm_dir": nothing},
        "mysql": {"server_binaries": [nothing + "/mariadbd"], "socket": nothing + "/mysqld.sock"},
        "redis": {"server_binary": nothing + "/redis-server", "socket": nothing + "/redis.sock"},
        "memcached": {"binary": nothing + "/memcached", "port": 1},
        "restic": {"binary": nothing + "/restic"},
    }
    with wphost.Engine(state_dir=state_dir, host_profile=profile) as engine:
        report = engine.host_check()
    for key in ("nginx", "php_fpm", "mysql", "redis", "memcached", "restic"):
        assert report[key]["status"] == "missing", (key, report[key])
        assert report[key]["reason"]
    assert sorted(report["summary"]["missing"]) == sorted(
        ["nginx", "php_fpm", "mysql", "redis", "memcached", "restic"])


def test_job_progress_and_record(state_dir):
    seen = []
    threads = set()
    with wphost.Engine(state_dir=state_dir) as engine:
        job = engine.host_check_start(progress=lambda p: (seen.append(p.phase), threads.add(threading.get_ident())) and None)
        report = job.result()
        assert job.state is wphost.JobState.SUCCEEDED
        assert job.kind == "host.check"
        assert job.progress.percent == 100.0
        assert "summary" in report
        jobs = engine.jobs()
    assert seen[:9] == ["os", "systemd", "nginx", "php-fpm", "mysql", "redis", "memcached", "restic", "resources"]
    assert threading.get_ident() not in threads  # callbacks run on a worker thread
    assert jobs[0]["id"] == job.id and jobs[0]["state"] == "succeeded" and jobs[0]["kind"] == "host.check"


def test_jobs_survive_a_restart(state_dir):
    with wphost.Engine(state_dir=state_dir) as engine:
        first = engine.host_check_start()
        first.wait()
        first_id = first.id
    with wphost.Engine(state_dir=state_dir) as engine:
        ids = [j["id"] for j in engine.jobs()]
    assert first_id in ids


def test_async_form(state_dir):
    async def main():
        with wphost.Engine(state_dir=state_dir) as engine:
            return await engine.host_check_async()
    assert "summary" in asyncio.run(main())


def test_several_engines_share_a_state_dir(state_dir):
    with wphost.Engine(state_dir=state_dir) as a, wphost.Engine(state_dir=state_dir) as b:
        ja, jb = a.host_check_start(), b.host_check_start()
        assert ja.result() and jb.result()
        assert ja.id != jb.id


def test_closed_engine_is_refused(state_dir):
    engine = wphost.Engine(state_dir=state_dir)
    engine.close()
    engine.close()  # twice is fine
    with pytest.raises(wphost.InvalidInput, match="closed"):
        engine.host_check()
