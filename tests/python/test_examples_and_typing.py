"""The Python example runs, and the package type-checks with mypy --strict."""
import shutil
import subprocess
import sys

from conftest import BUILD, ROOT, python_env


def test_python_example_runs(state_dir):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / "doctor.py"), state_dir],
                       capture_output=True, text=True, timeout=120, env=python_env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("nginx")
    assert r.stdout.splitlines()[-1].startswith("missing:")


def test_python_backup_example_runs(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / "backup.py"), str(tmp_path),
                        str(ROOT / "docs")], capture_output=True, text=True, timeout=120, env=python_env())
    assert r.returncode == 0, r.stderr
    assert "check ok: True" in r.stdout


def test_python_dns_example_runs(tmp_path, state_dir):
    import json

    from fakes.cloudflare import FakeCloudflare
    from fakes.fakeserver import tls_files

    with FakeCloudflare(tls_files(tmp_path / "tls")) as cf:
        cf.add_zone("example.com")
        config = tmp_path / "cf.json"
        config.write_text(json.dumps({"kind": "cloudflare", "endpoint": cf.url, "token": cf.token,
                                      "ca_bundle": cf.tls.ca}))
        argv = [sys.executable, str(ROOT / "examples" / "python" / "dns_record.py"), state_dir, str(config),
                "example.com", "A", "www.example.com"]
        first = subprocess.run(argv + ["192.0.2.1"], capture_output=True, text=True, timeout=60, env=python_env())
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("created ")
        again = subprocess.run(argv + ["192.0.2.2"], capture_output=True, text=True, timeout=60, env=python_env())
        assert again.returncode == 0, again.stderr
        assert again.stdout.split() == ["updated", first.stdout.split()[1]]
        bad = subprocess.run(argv[:4] + ["nowhere.org", "A", "x.nowhere.org", "192.0.2.3"], capture_output=True,
                             text=True, timeout=60, env=python_env())
        assert bad.returncode == 1 and "nowhere.org" in bad.stderr


def test_package_ships_typing_files():
    pkg = BUILD / "python" / "wphost"
    assert (pkg / "py.typed").exists()
    assert (pkg / "_core.pyi").exists()


def test_mypy_strict():
    mypy = [sys.executable, "-m", "mypy"]
    if subprocess.run(mypy + ["--version"], capture_output=True).returncode != 0:
        mypy = [shutil.which("mypy") or "mypy"]
    r = subprocess.run(mypy + ["--strict", "--no-incremental", "--cache-dir=/dev/null",
                               str(BUILD / "python" / "wphost"), str(ROOT / "examples" / "python" / "doctor.py"),
                               str(ROOT / "examples" / "python" / "backup.py"), str(ROOT / "examples" / "python" / "site.py"),
                               str(ROOT / "examples" / "python" / "probe.py"),
                               str(ROOT / "examples" / "python" / "dns_record.py")],
                       capture_output=True, text=True, timeout=300, env=python_env(), cwd=str(BUILD / "python"))
    assert r.returncode == 0, r.stdout + r.stderr
