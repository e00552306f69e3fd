import sqlite3

import pytest

import wphost
from wphost import _core


def test_hierarchy_mirrors_the_c_codes():
    for cls in (wphost.NotFound, wphost.AlreadyExists, wphost.InvalidInput, wphost.AuthError, wphost.Timeout,
                wphost.Cancelled, wphost.Conflict, wphost.Locked, wphost.IOFailure, wphost.ProviderError,
                wphost.CallbackError, wphost.OutOfMemory, wphost.VersionMismatch):
        assert issubclass(cls, wphost.Error)
        assert wphost.error_class(cls.code) is cls
        assert _core.error_code_name(cls.code) != "WPH_UNKNOWN"
    assert wphost.error_class(-999) is wphost.Error
    assert issubclass(wphost.InvalidInput, ValueError)
    assert issubclass(wphost.Timeout, TimeoutError)


def test_bad_profile(state_dir):
    with pytest.raises(wphost.InvalidInput) as e:
        wphost.Engine(state_dir=state_dir, host_profile={"nginx": {"binray": "/x"}})
    assert "nginx.binray" in str(e.value)
    assert e.value.code == -4 and e.value.category == "host" and e.value.status == 0
    with pytest.raises(wphost.InvalidInput, match="not valid JSON"):
        wphost.Engine(state_dir=state_dir, host_profile="{nope")
    with pytest.raises(wphost.InvalidInput, match="must be between 100 and 600000"):
        wphost.Engine(state_dir=state_dir, host_profile={"command_timeout_ms": 5})


def test_corrupt_store(tmp_path):
    d = tmp_path / "st"
    d.mkdir()
    (d / "state.db").write_bytes(b"\x00garbage" * 40)
    with pytest.raises(wphost.IOFailure, match="not an SQLite database") as e:
        wphost.Engine(state_dir=str(d))
    assert e.value.category == "state"
    assert isinstance(e.value, OSError)
    # Nothing was overwritten.
    assert (d / "state.db").read_bytes() == b"\x00garbage" * 40


def test_store_from_a_newer_libwphost(state_dir):
    wphost.Engine(state_dir=state_dir).close()
    db = sqlite3.connect(state_dir + "/state.db")
    db.execute("PRAGMA user_version = 77")
    db.commit()
    db.close()
    with pytest.raises(wphost.VersionMismatch, match="schema version 77"):
        wphost.Engine(state_dir=state_dir)


def test_state_dir_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(wphost.IOFailure, match=str(f)):
        wphost.Engine(state_dir=str(f) + "/state")
