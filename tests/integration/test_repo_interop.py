"""Interoperability of libwphost's backup repositories with the real restic.

Every test drives the `wphost repo` command-line tool and Debian's
/usr/bin/restic (0.14) as subprocesses on trees generated under tmp_path, and
checks what a user relies on: a repository written by one program is read,
checked and restored by the other, byte for byte and with its metadata;
blobs are shared between them (dedup) and each uses the other's snapshots as
parents; keys, stdin backups, patterns and filters, repositories restic has
pruned or upgraded, damaged files, killed backups, live locks and concurrent
backups behave.

Both repository format versions (1: uncompressed, 2: zstd) are covered.
"""
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest

RESTIC = "/usr/bin/restic"
PASSWORD = "correct horse battery staple"
VERSIONS = pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
# Exit codes wphost may use; anything else (in particular a signal) is a crash.
WPHOST_EXIT_CODES = {0, 1, 2, 3, 130}
TIMEOUT = 180
IS_ROOT = os.geteuid() == 0
MIB = 1 << 20
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# The same binary as conftest's `cli` fixture (which is function-scoped).
WPHOST = Path(os.environ.get("WPH_BUILD_DIR", Path(__file__).resolve().parents[2] / "build")).resolve() / "bin" / "wphost"


# --------------------------------------------------------------------------- running the programs


def _tail(b: bytes, n: int = 4000) -> str:
    s = b.decode("utf-8", "backslashreplace")
    return s if len(s) <= n else "..." + s[-n:]


def describe(r: subprocess.CompletedProcess) -> str:
    argv = [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in r.args]
    return (f"command: {shlex.join(argv)}\nexit code: {r.returncode}\n"
            f"stdout: {_tail(r.stdout or b'')}\nstderr: {_tail(r.stderr or b'')}")


def loads(b: bytes):
    """JSON from a program's output; names that are not UTF-8 survive as surrogates."""
    return json.loads(b.decode("utf-8", "surrogateescape"))


def restic_summary(stdout: bytes) -> dict:
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith(b"{"):
            msg = loads(line)
            if msg.get("message_type") == "summary":
                return msg
    raise AssertionError(f"no summary message in restic's output: {_tail(stdout)}")


class Tools:
    """wphost and restic, with the password and a private restic cache."""

    def __init__(self, cli: str, state_dir: str, work: Path):
        self.cli = cli
        self.state_dir = state_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
        env["RESTIC_PASSWORD"] = PASSWORD
        env["RESTIC_CACHE_DIR"] = str(work / "restic-cache")
        self.env = env

    def _env(self, password, tz=None):
        env = dict(self.env)
        if password is not None:
            env["RESTIC_PASSWORD"] = password
        if tz is not None:
            env["TZ"] = tz
        return env

    def wphost_argv(self, *args) -> list:
        return [self.cli, "--state-dir", self.state_dir, "repo", *map(_arg, args)]

    def wphost(self, *args, ok=True, password=None, input=None, timeout=TIMEOUT, tz=None):
        r = subprocess.run(self.wphost_argv(*args), input=input if input is not None else b"",
                           capture_output=True, env=self._env(password, tz), timeout=timeout)
        assert r.returncode >= 0, f"wphost was killed by signal {-r.returncode} (crash)\n{describe(r)}"
        assert r.returncode in WPHOST_EXIT_CODES, f"wphost exited with unexpected code\n{describe(r)}"
        if ok:
            assert r.returncode == 0, f"wphost failed\n{describe(r)}"
        return r

    def wphost_json(self, *args, **kw):
        r = self.wphost(*args, "--json", **kw)
        try:
            return loads(r.stdout)
        except ValueError as e:
            raise AssertionError(f"wphost --json printed no valid JSON ({e})\n{describe(r)}")

    def restic(self, repo, *args, ok=True, password=None, input=None, timeout=TIMEOUT, tz=None):
        r = subprocess.run([RESTIC, "-r", str(repo), *map(_arg, args)], input=input if input is not None else b"",
                           capture_output=True, env=self._env(password, tz), timeout=timeout)
        if ok:
            assert r.returncode == 0, f"restic failed\n{describe(r)}"
        return r

    def restic_check(self, repo, *args):
        r = self.restic(repo, "check", *args)
        assert b"no errors were found" in r.stdout, describe(r)
        return r

    def restic_snapshots(self, repo) -> list:
        return loads(self.restic(repo, "snapshots", "--json").stdout)

    def blob_sets(self, repo) -> dict:
        """Blob IDs per type, as restic sees them in the index."""
        sets = {"data": set(), "tree": set()}
        for line in self.restic(repo, "list", "blobs").stdout.decode().splitlines():
            kind, blob = line.split()
            sets[kind].add(blob)
        return sets


def _arg(a):
    return a if isinstance(a, bytes) else str(a)


@pytest.fixture
def tools(cli, state_dir, tmp_path) -> Tools:
    if not os.access(RESTIC, os.X_OK):
        pytest.fail(f"{RESTIC} is not installed (apt-get install restic)")
    return Tools(cli, state_dir, tmp_path)


# --------------------------------------------------------------------------- trees


def _write(path: bytes, data: bytes, mode: int = 0o644) -> None:
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


# Names a backup must keep exactly (bytes: the last ones are not UTF-8).
ODD_NAMES = [
    b"with space", b'dq"uote', b"sq'uote", b"back\\slash", b"new\nline", b"tab\tname",
    "ünïcödé-日本語-✓".encode(), b"ctl\x01char", b"-dash", b"*star?[x]", b"bad\xffname",
]


def make_tree(root: Path, big_bytes: int = 18 * MIB, seed: int = 1) -> None:
    """A tree with every kind of entry and metadata a restore must reproduce."""
    rnd = random.Random(seed)
    r = os.fsencode(root)

    def j(*parts: bytes) -> bytes:
        return os.path.join(r, *parts)

    os.makedirs(r)
    for d in (b"sub", b"sub/deeper", b"sub/deeper/deepest", b"empty-dir", b"dir with space", b"dir-0700",
              b"setgid-dir", b"sticky-dir", b"bad\xfedir"):
        os.mkdir(j(d))
    _write(j(b"small.txt"), b"hello, restic\n")
    _write(j(b"empty"), b"")
    _write(j(b"setuid-tool"), b"#!/bin/sh\necho setuid\n", 0o4755)
    _write(j(b"secret.key"), rnd.randbytes(4096), 0o600)
    _write(j(b"readonly.txt"), b"read only\n", 0o444)
    _write(j(b"big.bin"), rnd.randbytes(big_bytes))          # several chunks, more than one 16 MiB pack
    _write(j(b"medium.bin"), rnd.randbytes(1_500_000))
    _write(j(b"zeros.bin"), bytes(3 * MIB))                  # identical chunks inside one file
    _write(j(b"sub/deeper/deepest/leaf.txt"), b"leaf\n")
    _write(j(b"dir with space/inner file.txt"), b"inner\n", 0o755)
    _write(j(b"setgid-dir/in-setgid"), b"g\n")
    _write(j(b"sticky-dir/in-sticky"), b"s\n")
    _write(j(b"bad\xfedir", b"f"), b"in a dir whose name is not UTF-8\n")
    for i, name in enumerate(ODD_NAMES):
        _write(j(b"sub", name), b"content of %d: " % i + name)
    _write(j(b"hardlink-a"), rnd.randbytes(100_000))
    os.link(j(b"hardlink-a"), j(b"sub/hardlink-b"))
    os.symlink(b"small.txt", j(b"link-rel"))
    os.symlink(b"/nonexistent/target with space", j(b"link-dangling"))
    os.symlink(b"..", j(b"sub/link-up"))
    os.symlink("ünïcödé-日本語-✓".encode(), j(b"sub/link-unicode"))
    os.mkfifo(j(b"fifo"), 0o640)
    os.setxattr(j(b"small.txt"), b"user.mime_type", b"text/plain")
    os.setxattr(j(b"sub"), b"user.binary", b"bar\0\xff")
    with socket.socket(socket.AF_UNIX) as sock:  # not stored by restic (nor wphost): scan_tree skips it
        sock.bind(j(b"socket"))
    if IS_ROOT:
        _write(j(b"owned-by-1234"), b"someone else's\n", 0o640)
        os.chown(j(b"owned-by-1234"), 1234, 5678)
        os.mknod(j(b"chardev"), stat.S_IFCHR | 0o644, os.makedev(1, 3))
        os.mknod(j(b"blockdev"), stat.S_IFBLK | 0o600, os.makedev(7, 0))
    os.chmod(j(b"dir-0700"), 0o700)
    os.chmod(j(b"setgid-dir"), 0o2775)
    os.chmod(j(b"sticky-dir"), 0o1777)
    set_times(root)


def set_times(root: Path) -> None:
    """Give every entry its own mtime with odd nanoseconds; directories after their contents."""
    counter = iter(range(1_000_000))

    def visit(p: bytes):
        st = os.lstat(p)
        if stat.S_ISDIR(st.st_mode):
            for n in sorted(os.listdir(p)):
                visit(os.path.join(p, n))
        i = next(counter)
        mtime = (1_500_000_000 + 86_400 * i) * 10**9 + (i * 123_456_791 + 987_654_321) % 10**9
        os.utime(p, ns=(mtime + 10**9, mtime), follow_symlinks=False)

    visit(os.fsencode(root))


def write_random_tree(root: Path, files: int, size: int, seed: int) -> None:
    rnd = random.Random(seed)
    for i in range(files):
        d = root / f"d{i % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:03d}.bin").write_bytes(rnd.randbytes(size))


_KIND = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink", stat.S_IFIFO: "fifo",
         stat.S_IFSOCK: "socket", stat.S_IFCHR: "chardev", stat.S_IFBLK: "dev"}


def sha256_file(p: bytes) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def scan_tree(root) -> tuple:
    """{relative path: metadata} of a tree (lstat, never following links), and
    its hard-link groups (sets of paths sharing an inode)."""
    root_b = os.fsencode(root)
    entries = {}
    inodes = defaultdict(list)

    def visit(rel: bytes):
        p = os.path.join(root_b, rel) if rel else root_b
        st = os.lstat(p)
        kind = _KIND[stat.S_IFMT(st.st_mode)]
        if kind == "socket":
            return
        info = {"type": kind, "mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid}
        if kind in ("file", "dir", "symlink"):
            info["mtime_ns"] = st.st_mtime_ns
        if kind in ("file", "dir"):
            names = sorted(n for n in os.listxattr(p, follow_symlinks=False) if n.startswith("user."))
            if names:
                info["xattrs"] = [(n, os.getxattr(p, n, follow_symlinks=False)) for n in names]
        if kind == "file":
            info["size"] = st.st_size
            info["sha256"] = sha256_file(p)
            inodes[(st.st_dev, st.st_ino)].append(rel)
        elif kind == "symlink":
            info["target"] = os.readlink(p)
        elif kind in ("chardev", "dev"):
            info["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
        elif kind == "dir":
            for n in sorted(os.listdir(p)):
                visit(os.path.join(rel, n) if rel else n)
        entries[rel or b"."] = info

    visit(b"")
    groups = {frozenset(v) for v in inodes.values() if len(v) > 1}
    return entries, groups


def tree_diff(expected_root, actual_root) -> list:
    a, ga = scan_tree(expected_root)
    b, gb = scan_tree(actual_root)
    diffs = []
    for k in sorted(a.keys() | b.keys()):
        if k not in b:
            diffs.append(f"{k!r}: missing ({a[k]['type']})")
        elif k not in a:
            diffs.append(f"{k!r}: unexpected extra {b[k]['type']}")
        else:
            for f in sorted(a[k].keys() | b[k].keys()):
                if a[k].get(f) != b[k].get(f):
                    diffs.append(f"{k!r}: {f} expected {a[k].get(f)!r}, got {b[k].get(f)!r}")
    if ga != gb:
        diffs.append(f"hard-link groups differ: expected {sorted(sorted(g) for g in ga)}, "
                     f"got {sorted(sorted(g) for g in gb)}")
    return diffs


def assert_same_tree(expected_root, actual_root) -> None:
    assert os.path.lexists(actual_root), f"{actual_root} was not restored"
    diffs = tree_diff(expected_root, actual_root)
    assert not diffs, (f"{len(diffs)} difference(s) between {expected_root} and its restore {actual_root}:\n  "
                       + "\n  ".join(diffs[:80]))


def restored(target: Path, src: Path) -> Path:
    """Where a restore of a backup of `src` puts it (restic keeps the full path)."""
    return target / str(src).lstrip("/")


@pytest.fixture(scope="module")
def source_tree(tmp_path_factory) -> dict:
    src = Path(os.path.realpath(tmp_path_factory.mktemp("interop"))) / "src"
    make_tree(src)
    entries, _ = scan_tree(src)
    files = [k for k, v in entries.items() if v["type"] == "file"]
    unique = {entries[k]["sha256"]: entries[k]["size"] for k in files}  # hard links read once at least
    return {"path": src, "files": len(files), "unique_bytes": sum(unique.values()), "entries": entries}


# --------------------------------------------------------------------------- 1. wphost writes, restic reads


@VERSIONS
def test_restic_checks_and_restores_a_wphost_backup(version, tools, source_tree, tmp_path):
    src, repo = source_tree["path"], tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    config = loads(tools.restic(repo, "cat", "config").stdout)
    assert config["version"] == version

    # times are written in the writer's zone: use one with a half-hour offset
    res = tools.wphost_json("backup", "-r", repo, src, tz="Asia/Kolkata")
    st = res["stats"]
    assert st["errors"] == [], st
    assert st["files_new"] == source_tree["files"], st
    assert res["paths"] == [str(src)]
    packs = [p for p in (repo / "data").glob("*/*") if HEX64.match(p.name)]
    assert len(packs) >= 3, f"expected two data packs and a tree pack, found {len(packs)} packs"

    tools.restic_check(repo, "--read-data")
    snaps = tools.restic_snapshots(repo)
    assert [s["id"] for s in snaps] == [res["snapshot_id"]]
    assert snaps[0]["tree"] == res["tree"] and snaps[0]["paths"] == [str(src)]

    target = tmp_path / "restore"
    tools.restic(repo, "restore", "latest", "--target", target)
    assert_same_tree(src, restored(target, src))


@VERSIONS
def test_wphost_restores_its_own_backup(version, tools, source_tree, tmp_path):
    src, repo = source_tree["path"], tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    res = tools.wphost_json("backup", "-r", repo, src)
    target = tmp_path / "restore"
    tools.wphost("restore", res["short_id"], "-r", repo, "--target", target)
    assert_same_tree(src, restored(target, src))
    tools.wphost("check", "-r", repo, "--read-data")


# --------------------------------------------------------------------------- 2. restic writes, wphost reads


@VERSIONS
def test_wphost_reads_a_restic_backup(version, tools, source_tree, tmp_path):
    src, repo = source_tree["path"], tmp_path / "repo"
    tools.restic(repo, "init", "--repository-version", version)
    tools.restic(repo, "backup", src, tz="America/St_Johns")  # times are written with a -03:30 offset
    [snap] = tools.restic_snapshots(repo)

    # snapshots
    listed = tools.wphost_json("snapshots", "-r", repo)
    assert len(listed) == 1, listed
    assert listed[0]["id"] == snap["id"] and listed[0]["tree"] == snap["tree"]
    assert listed[0]["paths"] == [str(src)] and listed[0]["hostname"] == snap["hostname"]

    # ls: every path, with type, mode, size and link target
    ls = tools.wphost_json("ls", "-r", repo, snap["short_id"])
    nodes = {os.fsencode(n["path"]): n for n in ls["nodes"]}
    src_b = os.fsencode(src)
    expected = {}
    parent = os.path.dirname(src_b)
    while parent != b"/":
        expected[parent] = None
        parent = os.path.dirname(parent)
    for rel, info in source_tree["entries"].items():
        expected[src_b if rel == b"." else src_b + b"/" + rel] = info
    assert set(nodes) == set(expected), (f"missing: {sorted(set(expected) - set(nodes))}\n"
                                         f"extra: {sorted(set(nodes) - set(expected))}")
    for path, info in expected.items():
        if info is None:
            assert nodes[path]["type"] == "dir", nodes[path]
            continue
        n = nodes[path]
        assert n["type"] == info["type"], (path, n)
        assert oct(n["mode"]) == info["mode"], (path, n)
        if info["type"] == "file":
            assert n["size"] == info["size"], (path, n)
        if info["type"] == "symlink":
            assert os.fsencode(n["linktarget"]) == info["target"], (path, n)

    # restore
    target = tmp_path / "restore"
    tools.wphost("restore", "latest", "-r", repo, "--target", target)
    assert_same_tree(src, restored(target, src))

    # check
    tools.wphost("check", "-r", repo, "--read-data")

    # dump
    for rel in (b"big.bin", b"zeros.bin", b"empty", b"sub/new\nline", b"sub/bad\xffname", b"bad\xfedir/f"):
        want = (src / os.fsdecode(rel)).read_bytes()
        got = tools.wphost("dump", "-r", repo, "latest", src_b + b"/" + rel).stdout
        assert got == want, f"dump of {rel!r}: {len(got)} bytes, expected {len(want)} (sha256 differs)"


# --------------------------------------------------------------------------- 3. dedup and parents


@VERSIONS
def test_restic_dedups_against_a_wphost_backup(version, tools, source_tree, tmp_path):
    src, repo, n = source_tree["path"], tmp_path / "repo", source_tree["files"]
    tools.wphost("init", "-r", repo, "--repository-version", version)
    w = tools.wphost_json("backup", "-r", repo, src, tz="Asia/Kolkata")  # mtimes compared across zones
    before = tools.blob_sets(repo)
    assert before["data"], "wphost stored no data blobs"

    # restic picks the wphost snapshot as parent and does not re-read the files
    r = tools.restic(repo, "backup", src)
    out = r.stdout.decode("utf-8", "replace")
    assert f"using parent snapshot {w['short_id']}" in out, describe(r)
    assert re.search(rf"Files:\s+0 new,\s+0 changed,\s+{n} unmodified", out), describe(r)

    # re-reading every file, restic finds every chunk already stored
    summary = restic_summary(tools.restic(repo, "backup", "--force", "--json", src).stdout)
    assert summary["total_files_processed"] == n, summary
    assert summary["data_blobs"] == 0, f"restic stored new data blobs for unchanged content: {summary}"
    assert tools.blob_sets(repo)["data"] == before["data"]
    tools.restic_check(repo)


@VERSIONS
def test_wphost_dedups_against_a_restic_backup(version, tools, source_tree, tmp_path):
    src, repo, n = source_tree["path"], tmp_path / "repo", source_tree["files"]
    tools.wphost("init", "-r", repo, "--repository-version", version)
    tools.restic(repo, "backup", src, tz="America/St_Johns")  # mtimes compared across zones
    [rsnap] = tools.restic_snapshots(repo)
    before = tools.blob_sets(repo)

    # wphost picks the restic snapshot as parent: nothing is read again
    w1 = tools.wphost_json("backup", "-r", repo, src)
    st = w1["stats"]
    assert w1["parent"] == rsnap["id"], w1
    assert (st["files_unmodified"], st["files_new"], st["files_changed"]) == (n, 0, 0), st
    assert st["bytes_processed"] == 0, st
    mid = tools.blob_sets(repo)
    assert mid["data"] == before["data"]
    assert st["blobs_added"] == len(mid["tree"] - before["tree"]), (st, len(mid["tree"] - before["tree"]))

    # re-reading every file, wphost chunks them exactly as restic did
    w2 = tools.wphost_json("backup", "-r", repo, "--force", src)
    st = w2["stats"]
    assert w2["parent"] is None and st["files_new"] == n, w2
    assert st["bytes_processed"] >= source_tree["unique_bytes"], st
    after = tools.blob_sets(repo)
    assert after["data"] == before["data"], f"{len(after['data'] - before['data'])} new data blobs"
    assert st["blobs_added"] == len(after["tree"] - mid["tree"]), st
    tools.restic_check(repo)


def restic_ls_paths(tools: Tools, repo: Path, snapshot: str) -> set:
    paths = set()
    for line in tools.restic(repo, "ls", "--json", snapshot).stdout.splitlines():
        msg = loads(line)
        if msg.get("struct_type") == "node":
            paths.add(msg["path"])
    return paths


def relative_paths(root: Path) -> set:
    return {os.path.relpath(os.path.join(d, n), root) for d, dirs, files in os.walk(root) for n in dirs + files}


def test_patterns_and_filters_agree_with_restic(tools, source_tree, tmp_path):
    """--exclude at backup, --include/--exclude at restore and the snapshot
    filters select exactly what restic's same flags select (format-independent: v2 only)."""
    src, repo = source_tree["path"], tmp_path / "repo"
    tools.wphost("init", "-r", repo)
    full = tools.wphost_json("backup", "-r", repo, src, "--tag", "a", "--tag", "b", "--host", "h-one")
    everything = restic_ls_paths(tools, repo, full["snapshot_id"])

    for pat in ("*.bin", f"{src}/sub/deeper", "deeper/deepest", "*dir*"):
        w = tools.wphost_json("backup", "-r", repo, src, "--exclude", pat, "--host", "h-ex")
        r = restic_summary(tools.restic(repo, "backup", src, "--exclude", pat, "--host", "h-ex", "--json").stdout)
        got, want = restic_ls_paths(tools, repo, w["snapshot_id"]), restic_ls_paths(tools, repo, r["snapshot_id"])
        assert got != everything, f"--exclude {pat!r} excluded nothing"
        assert got == want, f"--exclude {pat!r}: wphost kept {sorted(got - want)} and dropped {sorted(want - got)}"

    for flag, pat in (("--include", "*.txt"), ("--include", f"{src}/sub/deeper"), ("--exclude", "sub"),
                      ("--exclude", "*.bin")):
        tw, tr = tmp_path / "w", tmp_path / "r"
        shutil.rmtree(tw, ignore_errors=True)
        shutil.rmtree(tr, ignore_errors=True)
        tools.wphost("restore", full["snapshot_id"], "-r", repo, "--target", tw, flag, pat)
        tools.restic(repo, "restore", full["snapshot_id"], "--target", tr, flag, pat)
        got, want = relative_paths(tw), relative_paths(tr)
        assert got == want, f"restore {flag} {pat!r}: wphost extra {sorted(got - want)}, missing {sorted(want - got)}"

    restic_snap = restic_summary(tools.restic(repo, "backup", src, "--tag", "c", "--host", "h-two", "--json").stdout)
    assert restic_snap["files_unmodified"] == 0  # another host: no parent
    for flt in (["--tag", "a,c"], ["--tag", "a", "--tag", "c"], ["--host", "h-one", "--tag", "b"], ["--path", str(src)]):
        got = {s["id"] for s in tools.wphost_json("snapshots", "-r", repo, *flt)}
        want = {s["id"] for s in loads(tools.restic(repo, "snapshots", "--json", *flt).stdout)}
        assert got == want, f"snapshots {flt}: wphost {len(got)} snapshots, restic {len(want)}"
        assert want or flt == ["--tag", "a,c"], flt


# --------------------------------------------------------------------------- repositories restic has maintained


@VERSIONS
def test_wphost_reads_a_repo_restic_has_pruned(version, tools, tmp_path):
    """A repository wphost wrote, pruned by restic: afterwards (repacked packs, new index files that supersede the old ones)
    wphost still reads, checks, restores and backs up into the repository."""
    src, repo = tmp_path / "src", tmp_path / "repo"
    make_tree(src, big_bytes=1 * MIB)
    rnd = random.Random(9)
    for i in range(3):
        (src / f"doomed-{i}.bin").write_bytes(rnd.randbytes(700_000))
    set_times(src)
    tools.wphost("init", "-r", repo, "--repository-version", version)
    tools.wphost("backup", "-r", repo, src)
    for i in range(3):
        (src / f"doomed-{i}.bin").unlink()
    (src / "newcomer.bin").write_bytes(rnd.randbytes(900_000))
    tools.restic(repo, "backup", src)
    indexes_before = set(os.listdir(repo / "index"))

    r = tools.restic(repo, "forget", "--keep-last", "1", "--prune", "--max-unused", "0")
    assert not indexes_before & set(os.listdir(repo / "index")), f"prune rewrote no index\n{describe(r)}"
    assert len(tools.restic_snapshots(repo)) == 1

    tools.wphost("check", "-r", repo, "--read-data")
    target = tmp_path / "restore"
    tools.wphost("restore", "latest", "-r", repo, "--target", target)
    assert_same_tree(src, restored(target, src))
    before = tools.blob_sets(repo)
    res = tools.wphost_json("backup", "-r", repo, "--force", src)
    assert res["stats"]["errors"] == [], res
    assert tools.blob_sets(repo)["data"] == before["data"], "wphost re-stored data that survived the prune"
    tools.restic_check(repo, "--read-data")


@VERSIONS
def test_restic_reads_a_repo_wphost_has_pruned(version, tools, tmp_path):
    """Backups by restic (and one by wphost), then wphost's forget --prune:
    restic checks every byte, the kept snapshots restore identically in both
    programs, and nothing a kept snapshot needs was removed."""
    src, repo = tmp_path / "src", tmp_path / "repo"
    make_tree(src, big_bytes=1 * MIB)
    rnd = random.Random(5)
    tools.restic(repo, "init", "--repository-version", version)
    for i in range(3):
        (src / f"gen-{i}.bin").write_bytes(rnd.randbytes(800_000))
        tools.restic(repo, "backup", src)
    tools.wphost("backup", "-r", repo, src)
    (src / "gen-0.bin").unlink()
    (src / "late.bin").write_bytes(rnd.randbytes(600_000))
    tools.restic(repo, "backup", src)
    packs_before = {p.name for p in (repo / "data").glob("*/*")}

    res = tools.wphost_json("forget", "-r", repo, "--keep-last", "2", "--prune")
    assert res["removed"] == 3, res
    assert res["prune"]["packs_deleted"] + res["prune"]["packs_repacked"] > 0, res
    assert {p.name for p in (repo / "data").glob("*/*")} != packs_before
    snaps = tools.restic_snapshots(repo)
    assert len(snaps) == 2
    tools.restic_check(repo, "--read-data")
    tools.wphost("check", "-r", repo, "--read-data")
    latest = tmp_path / "latest"
    tools.restic(repo, "restore", "latest", "--target", latest)
    assert_same_tree(src, restored(latest, src))
    older = tmp_path / "older"
    tools.wphost("restore", snaps[0]["id"], "-r", repo, "--target", older)
    assert (restored(older, src) / "gen-0.bin").exists() and not (restored(older, src) / "late.bin").exists()
    # restic's own prune afterwards finds nothing of ours to complain about.
    tools.restic(repo, "prune")
    tools.restic_check(repo, "--read-data")


def test_wphost_reads_a_v1_repo_upgraded_by_restic(tools, tmp_path):
    """`restic migrate upgrade_repo_v2` turns a v1 repository into v2 in place:
    old uncompressed index and snapshots stay; wphost reads both generations."""
    src, repo = tmp_path / "src", tmp_path / "repo"
    make_tree(src, big_bytes=1 * MIB)
    tools.wphost("init", "-r", repo, "--repository-version", 1)
    old = tools.wphost_json("backup", "-r", repo, src)
    tools.restic(repo, "migrate", "upgrade_repo_v2")
    assert loads(tools.restic(repo, "cat", "config").stdout)["version"] == 2
    tools.wphost("check", "-r", repo, "--read-data")
    (src / "after-upgrade.txt").write_bytes(b"compressible " * 10000)
    new = tools.wphost_json("backup", "-r", repo, src)
    assert new["parent"] == old["snapshot_id"], new
    tools.restic_check(repo, "--read-data")
    for snap, name in ((old, "old"), (new, "new")):
        target = tmp_path / name
        tools.restic(repo, "restore", snap["snapshot_id"], "--target", target)
        if name == "new":
            assert_same_tree(src, restored(target, src))
        else:
            assert not restored(target, src).joinpath("after-upgrade.txt").exists()
            assert restored(target, src).joinpath("big.bin").read_bytes() == (src / "big.bin").read_bytes()


# --------------------------------------------------------------------------- 4. keys


@VERSIONS
def test_keys_added_by_either_program_open_the_repo(version, tools, tmp_path):
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    pw2, pw3 = "second password from restic", "third password from wphost"
    (tmp_path / "pw2").write_text(pw2 + "\n")
    (tmp_path / "pw3").write_text(pw3 + "\n")

    # restic adds a key: wphost opens with it
    tools.restic(repo, "key", "add", "--new-password-file", tmp_path / "pw2")
    keys = tools.wphost_json("key", "list", "-r", repo, password=pw2)
    assert len(keys) == 2, keys
    current = [k["id"] for k in keys if k["current"]]
    restic_keys = loads(tools.restic(repo, "key", "list", "--json", password=pw2).stdout)
    restic_current = [k["id"] for k in restic_keys if k["current"]]
    assert len(current) == 1 and len(restic_current) == 1 and current[0].startswith(restic_current[0])
    # ... also from a password file, as restic takes it
    tools.wphost("snapshots", "-r", repo, "--password-file", tmp_path / "pw2", password="unused")

    # wphost adds a key: restic opens with it
    added = tools.wphost_json("key", "add", "-r", repo, "--new-password-file", tmp_path / "pw3")
    assert HEX64.match(added["id"]), added
    restic_keys = loads(tools.restic(repo, "key", "list", "--json", password=pw3).stdout)
    assert len(restic_keys) == 3, restic_keys
    assert [k["id"] for k in restic_keys if k["current"]] == [added["id"][:8]]
    tools.restic_check(repo)

    # wphost removes restic's key: that password no longer opens the repo for either program
    tools.wphost("key", "remove", current[0], "-r", repo)
    r = tools.restic(repo, "snapshots", password=pw2, ok=False)
    assert r.returncode != 0, describe(r)
    r = tools.wphost("snapshots", "-r", repo, password=pw2, ok=False)
    assert r.returncode == 1, describe(r)
    tools.restic(repo, "snapshots", password=pw3)

    # a wrong password
    r = tools.wphost("snapshots", "-r", repo, password="not the password", ok=False)
    assert r.returncode == 1, describe(r)
    assert b"wrong password" in r.stderr and b"WPH_EAUTH" in r.stderr, describe(r)


# --------------------------------------------------------------------------- 5. stdin


@VERSIONS
def test_stdin_backups_cross_over(version, tools, tmp_path):
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    rnd = random.Random(5)
    dump = b"".join(b"INSERT INTO wp_posts VALUES (%d,'post %d');\n" % (i, i) for i in range(60000))
    dump += rnd.randbytes(2 * MIB)

    w = tools.wphost_json("backup", "-r", repo, "--stdin", "--stdin-filename", "db.sql", input=dump)
    assert w["paths"] == ["/db.sql"], w
    [snap] = tools.restic_snapshots(repo)
    assert snap["paths"] == ["/db.sql"], snap
    got = tools.restic(repo, "dump", "latest", "/db.sql").stdout
    assert got == dump, f"restic dump gave {len(got)} bytes, expected {len(dump)}"
    target = tmp_path / "restore"
    tools.restic(repo, "restore", "latest", "--target", target)
    assert (target / "db.sql").read_bytes() == dump

    # an empty stream is an empty file
    w = tools.wphost_json("backup", "-r", repo, "--stdin", "--stdin-filename", "empty.sql", input=b"")
    assert tools.restic(repo, "dump", w["short_id"], "/empty.sql").stdout == b""
    tools.restic_check(repo, "--read-data")

    # restic's stdin backup, dumped by wphost
    other = rnd.randbytes(3 * MIB + 17)
    summary = restic_summary(tools.restic(repo, "backup", "--stdin", "--stdin-filename", "site.tar", "--json",
                                          input=other).stdout)
    got = tools.wphost("dump", "-r", repo, summary["snapshot_id"], "/site.tar").stdout
    assert got == other, f"wphost dump gave {len(got)} bytes, expected {len(other)}"
    assert tools.wphost("dump", "-r", repo, "latest", "/site.tar").stdout == other


# --------------------------------------------------------------------------- 6. damaged files


@pytest.fixture(scope="module")
def pristine_repos(tmp_path_factory):
    """One small wphost-written repository per version, built once and copied per test."""
    cache = {}

    def get(version: int) -> Path:
        if version not in cache:
            base = Path(os.path.realpath(tmp_path_factory.mktemp(f"pristine-v{version}")))
            t = Tools(str(WPHOST), str(base / "state"), base)
            src = base / "src"
            src.mkdir()
            (src / "a.txt").write_bytes(b"a" * 1000)
            (src / "random.bin").write_bytes(random.Random(7).randbytes(2 * MIB))
            (src / "sub").mkdir()
            (src / "sub" / "b.txt").write_bytes(b"bbb\n")
            t.wphost("init", "-r", base / "repo", "--repository-version", version)
            t.wphost("backup", "-r", base / "repo", src)
            cache[version] = base / "repo"
        return cache[version]

    return get


def _only_file(d: Path) -> Path:
    files = [p for p in d.iterdir() if HEX64.match(p.name)]
    assert len(files) == 1, files
    return files[0]


@VERSIONS
@pytest.mark.parametrize("kind", ["pack", "pack-truncated", "pack-deleted", "index", "snapshot", "key",
                                  "index-renamed", "snapshot-renamed"])
def test_damaged_file_is_reported_by_name(version, kind, tools, pristine_repos, tmp_path):
    """One flipped byte in a pack, index, snapshot or key file (and, '-renamed',
    with the file renamed to its new hash so that only the MAC can tell); a
    pack cut to half its size, or deleted."""
    repo = tmp_path / "repo"
    shutil.copytree(pristine_repos(version), repo)
    base = kind.split("-")[0]
    if base == "pack":
        path = max((p for p in (repo / "data").glob("*/*") if HEX64.match(p.name)), key=lambda p: p.stat().st_size)
        offset = 20  # inside the first blob: restore needs it
    else:
        path = _only_file(repo / {"index": "index", "snapshot": "snapshots", "key": "keys"}[base])
        offset = path.stat().st_size // 2
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    if kind == "pack-truncated":
        data = data[:len(data) // 2]
    else:
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    if kind == "pack-deleted":
        path.unlink()
    if kind.endswith("-renamed"):
        path = path.rename(path.with_name(hashlib.sha256(data).hexdigest()))
    name = path.name

    r = tools.wphost("check", "-r", repo, "--read-data", ok=False)
    out = r.stdout + r.stderr
    assert r.returncode == 1, f"check did not report the damaged {kind} file\n{describe(r)}"
    assert name.encode() in out, f"check's report does not name {path.relative_to(repo)}\n{describe(r)}"

    # Restoring the (only) snapshot cannot succeed; the error names the damaged file.
    r = tools.wphost("restore", "latest", "-r", repo, "--target", tmp_path / "restore", ok=False)
    assert r.returncode == 1, f"restore did not fail despite the damaged {kind} file\n{describe(r)}"
    assert name.encode() in r.stdout + r.stderr, f"restore's error does not name {name}\n{describe(r)}"
    # Listing snapshots only needs keys, index and snapshots: with a damaged
    # one it may fail or warn, but must name the file.
    r = tools.wphost("snapshots", "-r", repo, ok=base == "pack")
    if base != "pack":
        assert name.encode() in r.stdout + r.stderr, f"the damaged {kind} file is not named\n{describe(r)}"


@VERSIONS
def test_a_damaged_key_does_not_lock_out_the_other_keys(version, tools, tmp_path):
    """Several keys exist so that one password keeps working when another is
    lost; one damaged key file (its sealed master key) must not stop the
    other password from opening the repository. restic opens it."""
    pristine = tmp_path / "pristine"
    tools.wphost("init", "-r", pristine, "--repository-version", version)
    (tmp_path / "pw2").write_text("the other password\n")
    tools.wphost("key", "add", "-r", pristine, "--new-password-file", tmp_path / "pw2")
    key_of = {}  # key file name -> the password it opens with
    for pw in (PASSWORD, "the other password"):
        [current] = [k["id"] for k in tools.wphost_json("key", "list", "-r", pristine, password=pw) if k["current"]]
        key_of[current] = pw
    assert sorted(key_of) == sorted(os.listdir(pristine / "keys")), key_of

    for damaged, pw in sorted(key_of.items()):
        other_pw = next(p for k, p in key_of.items() if k != damaged)
        repo = tmp_path / f"damaged-{damaged[:8]}"
        shutil.copytree(pristine, repo)
        path = repo / "keys" / damaged
        path.chmod(0o600)
        text = path.read_bytes()
        at = text.index(b'"data":"') + 20
        path.write_bytes(text[:at] + (b"A" if text[at:at + 1] != b"A" else b"B") + text[at + 1:])

        r = tools.restic(repo, "snapshots", password=other_pw, ok=False)
        assert r.returncode == 0, f"reference: restic opens with the intact key\n{describe(r)}"
        r = tools.wphost("snapshots", "-r", repo, password=other_pw, ok=False)
        assert r.returncode == 0, f"the damaged key {damaged[:8]} kept the intact key's password out\n{describe(r)}"
        r = tools.wphost("snapshots", "-r", repo, password=pw, ok=False)
        assert r.returncode == 1 and damaged.encode() in r.stderr, describe(r)


# --------------------------------------------------------------------------- 7. kill -9


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory) -> Path:
    root = Path(os.path.realpath(tmp_path_factory.mktemp("big"))) / "data"
    write_random_tree(root, files=40, size=5 * MIB, seed=11)  # 200 MiB
    return root


def _locks(repo: Path) -> list:
    return [p.name for p in (repo / "locks").iterdir() if HEX64.match(p.name)]


@VERSIONS
def test_killed_backup_leaves_a_consistent_repo(version, tools, big_tree, tmp_path):
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)

    def packs() -> int:
        return sum(1 for p in (repo / "data").glob("*/*") if HEX64.match(p.name))

    # Killed at points of the backup's own progress (not after fixed delays,
    # which a faster backup outruns): right after taking its lock, after the
    # first new pack, and after three more.
    for i, moment in enumerate(("locked", 1, 3)):
        start_packs = packs()
        proc = subprocess.Popen(tools.wphost_argv("backup", "-r", repo, big_tree), env=tools.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:
            if (moment == "locked" and _locks(repo)) or (moment != "locked" and packs() >= start_packs + moment):
                break
            time.sleep(0.005)
        if proc.poll() is not None:
            err = proc.communicate()[1]
            pytest.fail(f"the backup ended before the kill point {moment!r} (exit {proc.returncode}): {_tail(err)}")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        stale = _locks(repo)
        if i == 0:
            assert stale, "the killed backup held no lock file (cannot test stale-lock handling)"
            # wphost ignores a dead process's lock, and `unlock` removes it
            tools.wphost("check", "-r", repo)
            removed = tools.wphost_json("unlock", "-r", repo)
            assert removed["removed"] == len(stale), (removed, stale)
            assert _locks(repo) == []
        else:
            tools.wphost("check", "-r", repo)
            tools.restic(repo, "unlock")
            assert _locks(repo) == []
        tools.restic_check(repo)
        tools.wphost("check", "-r", repo)
    left = [p for p in (repo / "data").glob("*/*") if HEX64.match(p.name)]
    assert left, "no killed backup got as far as writing a pack: the kills tested nothing"

    assert tools.restic_snapshots(repo) == [], "a killed backup got as far as its snapshot"

    # after the interruptions a backup completes and restores exactly
    res = tools.wphost_json("backup", "-r", repo, big_tree)
    assert res["stats"]["errors"] == [] and res["stats"]["files_new"] == 40, res
    assert _locks(repo) == []
    tools.restic_check(repo, "--read-data")
    tools.wphost("check", "-r", repo)
    target = tmp_path / "restore"
    tools.restic(repo, "restore", res["snapshot_id"], "--target", target, "--include", big_tree / "d0")
    assert_same_tree(big_tree / "d0", restored(target, big_tree / "d0"))


# --------------------------------------------------------------------------- locks held by live processes


def _wait_for_lock(repo: Path, proc: subprocess.Popen, timeout: float = 20.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        locks = _locks(repo)
        if locks:
            return locks[0]
        if proc.poll() is not None:
            pytest.fail(f"the lock holder exited early (exit {proc.returncode}): {_tail(proc.communicate()[1])}")
        time.sleep(0.05)
    pytest.fail("the lock holder wrote no lock file")


@VERSIONS
def test_live_locks_are_honoured_both_ways(version, tools, tmp_path):
    """A running backup's lock keeps the other program's exclusive commands out,
    and neither program's unlock removes a live lock."""
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)

    # wphost holds a lock (a stdin backup waiting for its input)
    holder = subprocess.Popen(tools.wphost_argv("backup", "-r", repo, "--stdin", "--stdin-filename", "w.sql", "--json"),
                              env=tools.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = _wait_for_lock(repo, holder)
        r = tools.restic(repo, "check", ok=False)
        assert r.returncode != 0 and b"already locked" in r.stderr, \
            f"restic check ran while wphost held a lock\n{describe(r)}"
        assert b"PID %d" % holder.pid in r.stderr, describe(r)  # restic decoded the lock
        removed = tools.wphost_json("unlock", "-r", repo)
        assert removed["removed"] == 0 and _locks(repo) == [lock], removed
        out, err = holder.communicate(b"wphost data\n", timeout=TIMEOUT)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert holder.returncode == 0, _tail(err)
    assert _locks(repo) == [], "wphost left its lock behind"
    assert tools.restic(repo, "dump", loads(out)["snapshot_id"], "/w.sql").stdout == b"wphost data\n"

    # restic holds a lock
    holder = subprocess.Popen([RESTIC, "-r", str(repo), "backup", "--stdin", "--stdin-filename", "r.sql"],
                              env=tools.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = _wait_for_lock(repo, holder)
        r = tools.wphost("check", "-r", repo, ok=False)
        assert r.returncode == 1 and b"WPH_ELOCKED" in r.stderr, f"wphost check ran while restic held a lock\n{describe(r)}"
        assert lock.encode() in r.stderr and str(holder.pid).encode() in r.stderr, describe(r)
        removed = tools.wphost_json("unlock", "-r", repo)
        assert removed["removed"] == 0 and _locks(repo) == [lock], removed
        # a shared lock does not keep out another backup
        tools.wphost("backup", "-r", repo, "--stdin", "--stdin-filename", "alongside.sql", input=b"x")
        out, err = holder.communicate(b"restic data\n", timeout=TIMEOUT)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert holder.returncode == 0, _tail(err)
    assert _locks(repo) == []
    saved = re.search(rb"snapshot ([0-9a-f]{8}) saved", out)
    assert saved, _tail(out)
    assert tools.wphost("dump", "-r", repo, saved.group(1), "/r.sql").stdout == b"restic data\n"


@VERSIONS
def test_restic_unlock_leaves_a_running_wphost_backup_alone(version, tools, tmp_path):
    """restic 0.14's `unlock` probes the PID of every lock of this host with
    SIGHUP (internal/restic/lock_unix.go); restic itself survives that, and a
    running wphost backup must too: `restic unlock` is routinely run by backup
    scripts, possibly while wphost's backup of the same repository runs."""
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    holder = subprocess.Popen(tools.wphost_argv("backup", "-r", repo, "--stdin", "--stdin-filename", "w.sql", "--json"),
                              env=tools.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = _wait_for_lock(repo, holder)
        tools.restic(repo, "unlock")
        time.sleep(0.3)
        assert holder.poll() is None, f"`restic unlock` ended the running wphost backup (exit {holder.returncode})"
        assert _locks(repo) == [lock], "restic removed the lock of a running wphost backup"
        out, err = holder.communicate(b"data\n", timeout=TIMEOUT)
        assert holder.returncode == 0, _tail(err)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert _locks(repo) == []
    assert tools.restic(repo, "dump", loads(out)["snapshot_id"], "/w.sql").stdout == b"data\n"


# --------------------------------------------------------------------------- 8. concurrent backups


@VERSIONS
def test_concurrent_backups_into_one_repo(version, tools, tmp_path):
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    trees = [tmp_path / "one", tmp_path / "two"]
    shared = random.Random(3).randbytes(6 * MIB)  # stored by whichever process gets there first, or both
    for i, t in enumerate(trees):
        write_random_tree(t, files=8, size=4 * MIB, seed=20 + i)
        (t / "shared.bin").write_bytes(shared)

    procs = [subprocess.Popen(tools.wphost_argv("backup", "-r", repo, t, "--json"), env=tools.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for t in trees]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0, f"concurrent backup failed (exit {p.returncode}): {_tail(err)}"
        results.append(loads(out))
    for res in results:
        assert res["stats"]["errors"] == [] and res["stats"]["files_new"] == 9, res

    snaps = {s["id"]: s for s in tools.restic_snapshots(repo)}
    assert set(snaps) == {r["snapshot_id"] for r in results}
    assert _locks(repo) == []
    tools.restic_check(repo, "--read-data")
    tools.wphost("check", "-r", repo)
    for res, t in zip(results, trees):
        target = tmp_path / f"restore-{t.name}"
        tools.restic(repo, "restore", res["snapshot_id"], "--target", target)
        assert_same_tree(t, restored(target, t))


@VERSIONS
def test_wphost_and_restic_back_up_into_one_repo_at_once(version, tools, tmp_path):
    repo = tmp_path / "repo"
    tools.wphost("init", "-r", repo, "--repository-version", version)
    shared = random.Random(4).randbytes(5 * MIB)
    trees = [tmp_path / "by-wphost", tmp_path / "by-restic"]
    for i, t in enumerate(trees):
        write_random_tree(t, files=4, size=3 * MIB, seed=30 + i)
        (t / "shared.bin").write_bytes(shared)
    procs = [subprocess.Popen(tools.wphost_argv("backup", "-r", repo, trees[0], "--json"), env=tools.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE),
             subprocess.Popen([RESTIC, "-r", str(repo), "backup", str(trees[1]), "--json"], env=tools.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0, f"{p.args[0]} failed (exit {p.returncode}): {_tail(err)}"
        outs.append(out)
    ids = [loads(outs[0])["snapshot_id"], restic_summary(outs[1])["snapshot_id"]]
    tools.restic_check(repo, "--read-data")
    tools.wphost("check", "-r", repo, "--read-data")
    for snap, t in zip(ids, trees):
        target = tmp_path / f"restore-{t.name}"
        tools.wphost("restore", snap, "-r", repo, "--target", target)
        assert_same_tree(t, restored(target, t))
