"""A backup that runs out of disk fails with a clear error and leaves a
repository both libwphost and restic accept. The repository lives on a
small tmpfs mounted in a private mount namespace (needs root, as CI has)."""
import os
import shutil
import subprocess

import pytest

SCRIPT = r"""
set -u
mnt=$1 src=$2 wphost=$3 state=$4
mount -t tmpfs -o size=24m tmpfs "$mnt" || exit 97
export RESTIC_REPOSITORY=$mnt/repo RESTIC_PASSWORD=pw RESTIC_CACHE_DIR=$mnt/../cache
"$wphost" --state-dir "$state" repo init >/dev/null || exit 98
head -c 3000000 /dev/zero > "$mnt/filler"
"$wphost" --state-dir "$state" repo backup "$src" > "$mnt/../backup.out" 2> "$mnt/../backup.err"
echo "backup_rc=$?"
rm -f "$mnt/filler"      # the operator frees some space
echo "locks=$(ls "$mnt/repo/locks" | wc -l)"
restic --no-cache check >/dev/null 2>&1; echo "restic_check=$?"
"$wphost" --state-dir "$state" repo check >/dev/null 2>&1; echo "wphost_check=$?"
"$wphost" --state-dir "$state" repo prune >/dev/null 2>&1; echo "prune=$?"
small=$(dirname "$mnt")/small
mkdir -p "$small" && echo hello > "$small/f"
"$wphost" --state-dir "$state" repo backup "$small" >/dev/null 2>&1; echo "small_backup=$?"
restic --no-cache check --read-data >/dev/null 2>&1; echo "restic_check_after=$?"
"$wphost" --state-dir "$state" repo restore latest --target "$mnt/../out" >/dev/null 2>&1; echo "restore=$?"
cat "$mnt/../out$small/f" 2>/dev/null | head -1 | sed 's/^/restored=/'
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")
def test_disk_full_during_backup(cli, tmp_path):
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is missing")
    src = tmp_path / "src"
    src.mkdir()
    for i in range(8):
        (src / f"upload-{i}.bin").write_bytes(os.urandom(5_000_000))  # 40 MB that will not compress
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", SCRIPT, "x", str(mnt), str(src),
                          cli, str(tmp_path / "state")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    result = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    err = (tmp_path / "backup.err").read_text()
    assert result["backup_rc"] == "1", out.stdout
    assert err.count("\n") == 1 and "No space left on device" in err and "WPH_EIO" in err, err
    assert result["locks"] == "0", "the failed backup left its lock behind"
    assert result["restic_check"] == "0"
    assert result["wphost_check"] == "0"
    assert result["prune"] == "0"
    assert result["small_backup"] == "0"
    assert result["restic_check_after"] == "0"
    assert result["restore"] == "0" and result["restored"] == "hello"
