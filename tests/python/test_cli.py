"""The wphost command: --help, --json, exit codes, one-line errors."""
import json
import subprocess

import pytest


def run(cli, *args, timeout=60):
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=timeout)


def test_help(cli):
    r = run(cli, "--help")
    assert r.returncode == 0 and "doctor" in r.stdout
    for cmd in ("doctor", "jobs", "info", "version"):
        r = run(cli, cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"usage: wphost {cmd}"), cmd


def test_doctor_json(cli, state_dir):
    r = run(cli, "doctor", "--json", "--state-dir", state_dir)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["os"]["status"] == "ok"
    assert set(report["summary"]) == {"missing", "stopped", "errors", "ok"}


def test_doctor_text(cli, state_dir):
    r = run(cli, "--state-dir", state_dir, "doctor")
    assert r.returncode == 0, r.stderr
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert names[:8] == ["os", "systemd", "nginx", "php_fpm", "mysql", "redis", "memcached", "restic"]
    assert "memory" in names


def test_doctor_require(cli, state_dir, tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"restic": {"binary": str(tmp_path / "none")}}))
    r = run(cli, "doctor", "--require", "restic", "--profile", str(profile), "--state-dir", state_dir)
    assert r.returncode == 3
    assert "restic is missing" in r.stderr
    r = run(cli, "doctor", "--require", "nonsense", "--state-dir", state_dir)
    assert r.returncode == 2 and "unknown component" in r.stderr


def test_jobs_and_info(cli, state_dir):
    run(cli, "doctor", "--json", "--state-dir", state_dir)
    r = run(cli, "jobs", "--json", "--state-dir", state_dir)
    jobs = json.loads(r.stdout)
    assert r.returncode == 0 and jobs[0]["kind"] == "host.check" and jobs[0]["state"] == "succeeded"
    r = run(cli, "info", "--json", "--state-dir", state_dir)
    assert json.loads(r.stdout)["state_dir"] == state_dir
    r = run(cli, "version", "--json")
    assert json.loads(r.stdout)["version"].count(".") == 2


@pytest.mark.parametrize("args, code, text", [
    (["frobnicate"], 2, "unknown command"),
    (["doctor", "--bogus"], 2, "unknown option --bogus"),
    (["doctor", "--state-dir"], 2, "needs a value"),
    (["jobs", "--limit", "x"], 2, "--limit"),
    ([], 2, "usage:"),
])
def test_usage_errors(cli, args, code, text):
    r = run(cli, *args)
    assert r.returncode == code
    assert text in r.stderr + r.stdout


def test_errors_are_one_line(cli, tmp_path):
    bad = tmp_path / "st"
    bad.mkdir()
    (bad / "state.db").write_bytes(b"garbage" * 50)
    r = run(cli, "doctor", "--state-dir", str(bad))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("wphost: error: ")
    assert "WPH_EIO" in r.stderr and "not an SQLite database" in r.stderr
    r = run(cli, "doctor", "--profile", str(tmp_path / "missing.json"), "--state-dir", str(tmp_path / "s2"))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "missing.json" in r.stderr
    (tmp_path / "bad.json").write_text('{"nginx": 5}')
    r = run(cli, "doctor", "--profile", str(tmp_path / "bad.json"), "--state-dir", str(tmp_path / "s3"))
    assert r.returncode == 1 and '"nginx" must be an object' in r.stderr and "WPH_EINVALID" in r.stderr


def test_ctrl_c_cancels_doctor(cli, state_dir, hanging_profile, tmp_path):
    import signal
    import time
    p = tmp_path / "hang.json"
    p.write_text(json.dumps(hanging_profile))
    proc = subprocess.Popen([cli, "doctor", "--profile", str(p), "--state-dir", state_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "cancelled" in err
    r = run(cli, "jobs", "--json", "--state-dir", state_dir)
    assert json.loads(r.stdout)[0]["state"] == "cancelled"
