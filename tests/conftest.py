"""Shared fixtures for the Python, CLI and integration tests.

The build directory comes from WPH_BUILD_DIR (scripts/test sets it); the
package is imported from <build>/python, where CMake assembles it."""
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("WPH_BUILD_DIR", ROOT / "build")).resolve()
sys.path.insert(0, str(BUILD / "python"))
sys.path.insert(0, str(ROOT / "tests"))  # tests/fakes


@pytest.fixture
def build_dir() -> Path:
    return BUILD


@pytest.fixture
def cli() -> str:
    path = BUILD / "bin" / "wphost"
    if not path.exists():
        pytest.fail(f"{path} is not built")
    return str(path)


@pytest.fixture
def state_dir(tmp_path: Path) -> str:
    return str(tmp_path / "state")


@pytest.fixture
def hanging_profile(tmp_path: Path) -> dict:
    """A host whose nginx never answers `nginx -V`: the host check hangs there."""
    script = tmp_path / "hanging-nginx"
    script.write_text("#!/bin/sh\nexec sleep 60\n")
    script.chmod(0o755)
    return {"nginx": {"binary": str(script)}, "command_timeout_ms": 120000}


def python_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(BUILD / "python") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def dumps(obj: object) -> str:
    return json.dumps(obj)
