"""wphost.Repository from Python: the calls a panel or script relies on."""
import os
import subprocess

import pytest

import wphost


@pytest.fixture
def engine(state_dir):
    with wphost.Engine(state_dir=state_dir) as e:
        yield e


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "site"
    (src / "wp-content" / "uploads").mkdir(parents=True)
    (src / "wp-config.php").write_text("<?php define('DB_NAME', 'wp');\n")
    (src / "wp-content" / "uploads" / "photo.jpg").write_bytes(os.urandom(700_000))
    (src / "debug.log").write_text("noise\n")
    return src


def test_backup_restore_roundtrip(engine, tree, tmp_path):
    repo = wphost.Repository.init(engine, str(tmp_path / "repo"), password="pw", scrypt_n=1024)
    seen = []
    snap = repo.backup([str(tree)], tags=["daily"], exclude=["*.log"], progress=lambda p: seen.append(p.phase))
    assert snap["stats"]["files_new"] == 2
    assert "backup" in seen
    out = tmp_path / "out"
    result = repo.restore(str(out), snapshot=snap["snapshot_id"])
    assert result["files"] == 2
    restored = out / str(tree).lstrip("/")
    assert (restored / "wp-config.php").read_text() == (tree / "wp-config.php").read_text()
    assert (restored / "wp-content/uploads/photo.jpg").read_bytes() == (tree / "wp-content/uploads/photo.jpg").read_bytes()
    assert not (restored / "debug.log").exists()
    # A second backup finds its parent and reads nothing again.
    again = repo.backup([str(tree)], tags=["daily"], exclude=["*.log"])
    assert again["parent"] == snap["snapshot_id"]
    assert again["stats"]["files_unmodified"] == 2 and again["stats"]["bytes_processed"] == 0
    assert [s["id"] for s in repo.snapshots(tags=["daily"])] == [snap["snapshot_id"], again["snapshot_id"]]
    assert repo.snapshots(tags=["weekly"]) == []
    assert repo.check(read_data=True)["ok"] is True


def test_stream_backup_and_dump(engine, tmp_path):
    repo = wphost.Repository.init(engine, str(tmp_path / "repo"), password="pw", scrypt_n=1024)
    proc = subprocess.Popen(["head", "-c", "3000000", "/dev/urandom"], stdout=subprocess.PIPE)
    chunks = []

    class Tee:
        def read(self, n):
            data = proc.stdout.read(n)
            chunks.append(data)
            return data

    snap = repo.backup_stream("db.sql", Tee(), tags=["db"])
    proc.wait()
    assert snap["paths"] == ["/db.sql"]
    assert repo.dump("/db.sql") == b"".join(chunks)
    assert repo.ls()["nodes"][0]["size"] == 3_000_000
    # An iterable of chunks works too.
    repo.backup_stream("small.sql", [b"a" * 10, b"", b"b" * 5])
    assert repo.dump("/small.sql") == b"a" * 10 + b"b" * 5


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_stream_reader_failure_cancels(engine, tmp_path):
    repo = wphost.Repository.init(engine, str(tmp_path / "repo"), password="pw", scrypt_n=1024)

    class Broken:
        def read(self, n):
            raise OSError("pipe broke")

    with pytest.raises(wphost.CallbackError):
        repo.backup_stream("db.sql", Broken())
    assert repo.snapshots() == []
    assert repo.check()["ok"] is True


def test_errors(engine, tmp_path):
    loc = str(tmp_path / "repo")
    with pytest.raises(wphost.NotFound, match="no repository"):
        wphost.Repository.open(engine, loc, password="pw")
    repo = wphost.Repository.init(engine, loc, password="pw", scrypt_n=1024)
    with pytest.raises(wphost.AlreadyExists):
        wphost.Repository.init(engine, loc, password="pw")
    with pytest.raises(wphost.AuthError, match="wrong password"):
        wphost.Repository.open(engine, loc, password="nope")
    with pytest.raises(wphost.InvalidInput, match="no password"):
        wphost.Repository.open(engine, loc)
    with pytest.raises(wphost.InvalidInput, match="version"):
        wphost.Repository.init(engine, str(tmp_path / "r3"), password="pw", version=3)
    with pytest.raises(wphost.NotFound, match="cannot back up"):
        repo.backup([str(tmp_path / "missing")])
    with pytest.raises(wphost.NotFound, match="no snapshot"):
        repo.restore(str(tmp_path / "out"))
    with pytest.raises(wphost.InvalidInput, match="keep_daily"):
        repo.forget(keep_daily=-1)


def test_keys_and_password_file(engine, tmp_path):
    loc = str(tmp_path / "repo")
    pwfile = tmp_path / "pw"
    pwfile.write_text("first\n")
    pwfile.chmod(0o600)
    repo = wphost.Repository.init(engine, loc, password_file=str(pwfile), scrypt_n=1024)
    new_id = repo.add_key("second")
    ids = {k["id"]: k for k in repo.keys()}
    assert new_id in ids and len(ids) == 2
    assert sum(k["current"] for k in ids.values()) == 1
    other = wphost.Repository.open(engine, loc, password="second")
    assert other.info()["key_id"] == new_id
    other.close()
    repo.remove_key(new_id)
    with pytest.raises(wphost.AuthError):
        wphost.Repository.open(engine, loc, password="second")
    changed = repo.change_password("third")
    assert [k["id"] for k in repo.keys()] == [changed]
    with pytest.raises(wphost.AuthError):
        wphost.Repository.open(engine, loc, password_file=str(pwfile))
    wphost.Repository.open(engine, loc, password="third").close()


def test_forget_and_prune(engine, tree, tmp_path):
    repo = wphost.Repository.init(engine, str(tmp_path / "repo"), password="pw", scrypt_n=1024)
    for i in range(3):
        (tree / f"file{i}").write_bytes(os.urandom(200_000))
        repo.backup([str(tree)])
    dry = repo.forget(keep_last=1, dry_run=True)
    assert dry["removed"] == 0 and len(dry["groups"][0]["remove"]) == 2
    assert len(repo.snapshots()) == 3
    done = repo.forget(keep_last=1, prune=True)
    assert done["removed"] == 2
    assert done["prune"]["packs_deleted"] + done["prune"]["packs_repacked"] >= 0
    left = repo.snapshots()
    assert len(left) == 1
    out = tmp_path / "out"
    repo.restore(str(out))
    assert (out / str(tree).lstrip("/") / "file2").read_bytes() == (tree / "file2").read_bytes()
    assert repo.check(read_data=True)["ok"] is True
    stats = repo.stats()
    assert stats["snapshots"] == 1 and stats["restore_files"] == 6


def test_cancelled_backup_leaves_a_valid_repository(engine, tmp_path):
    src = tmp_path / "big"
    src.mkdir()
    for i in range(40):
        (src / f"f{i}").write_bytes(os.urandom(1_000_000))
    repo = wphost.Repository.init(engine, str(tmp_path / "repo"), password="pw", scrypt_n=1024)
    job = repo.backup_start([str(src)], progress=lambda p: p.bytes_done < 5_000_000)
    with pytest.raises(wphost.CallbackError):
        job.result()
    assert repo.snapshots() == []
    assert os.listdir(tmp_path / "repo" / "locks") == []
    check = repo.check(read_data=True)
    assert check["ok"] is True, check
    # The next backup reuses what the cancelled one stored.
    snap = repo.backup([str(src)])
    assert snap["stats"]["bytes_added"] < 40_000_000


def test_backup_progress_has_totals_item_and_eta(engine, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    total = 0
    for i in range(12):
        data = os.urandom(1_500_000)
        (src / f"upload-{i}.bin").write_bytes(data)
        total += len(data)
    repo = wphost.Repository.init(engine, str(tmp_path / "repo"), password="pw", scrypt_n=1024)
    seen = []
    repo.backup([str(src)], progress=seen.append)
    with_totals = [p for p in seen if p.bytes_total]
    assert with_totals, "no progress report carried totals"
    assert with_totals[-1].bytes_total == total and with_totals[-1].files_total == 12
    assert all(p.bytes_done <= p.bytes_total for p in with_totals)
    assert any(p.item.startswith(str(src) + "/upload-") for p in seen)
    assert any(p.eta_seconds >= 0 for p in with_totals)
    assert seen[-1].elapsed_seconds > 0
