"""`pip install --no-build-isolation ./bindings/python` works offline and
gives a package that runs from anywhere (no libwphost.so needed)."""
import os
import subprocess
import sys

from conftest import ROOT


def test_offline_pip_install(tmp_path, state_dir):
    target = tmp_path / "site"
    env = dict(os.environ)
    env.update({"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                        "--target", str(target), str(ROOT / "bindings" / "python")],
                       capture_output=True, text=True, timeout=1800, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (target / "wphost" / "py.typed").exists()
    assert (target / "wphost" / "_core.pyi").exists()
    check = ("import json, sys, wphost; e = wphost.Engine(state_dir=sys.argv[1]); "
             "r = e.host_check(); e.close(); print(wphost.__version__, sorted(r['summary']))")
    clean_env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(target), "HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", check, state_dir], capture_output=True, text=True,
                       timeout=120, env=clean_env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "['errors', 'missing', 'ok', 'stopped']" in r.stdout
