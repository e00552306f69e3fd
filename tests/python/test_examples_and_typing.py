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
                               str(ROOT / "examples" / "python" / "probe.py")],
                       capture_output=True, text=True, timeout=300, env=python_env(), cwd=str(BUILD / "python"))
    assert r.returncode == 0, r.stdout + r.stderr
