"""Repository: backups in restic's format (readable by the real restic)."""
from __future__ import annotations

import io
import json
from typing import IO, Any, Callable, Dict, Iterable, List, Optional, Sequence, Union, cast

from . import _core
from .engine import Engine, Job, Progress, ProgressCallback


def _adapt(progress: Optional[ProgressCallback]) -> Optional[Callable[[Dict[str, Any]], Optional[bool]]]:
    if progress is None:
        return None
    cb = progress

    def adapter(p: Dict[str, Any]) -> Optional[bool]:
        return cb(Progress(**p))

    return adapter


class Repository:
    """A backup repository in restic's format (versions 1 and 2).

        with wphost.Engine() as engine:
            repo = wphost.Repository.init(engine, "/srv/backups/site1", password="s3cret")
            snap = repo.backup(["/srv/wphost/sites/example.com"], tags=["daily"])
            repo.restore("/tmp/restore", snapshot=snap["snapshot_id"])

    `restic -r /srv/backups/site1 snapshots` lists the same snapshots. The
    engine must stay open while the repository is used."""

    def __init__(self, core: _core.Repo, engine: Engine) -> None:
        self._core = core
        self._engine = engine  # keeps the engine alive

    @classmethod
    def init(cls, engine: Engine, location: str, password: Optional[str] = None, password_file: Optional[str] = None,
             version: int = 2, compression: Optional[str] = None, scrypt_n: int = 0) -> "Repository":
        """Create a repository (WPH_EEXISTS / AlreadyExists if one is there)."""
        return cls(_core.Repo.init(engine._core, location, password, password_file, version, compression, scrypt_n), engine)

    @classmethod
    def open(cls, engine: Engine, location: str, password: Optional[str] = None, password_file: Optional[str] = None,
             compression: Optional[str] = None) -> "Repository":
        """Open a repository; a wrong password raises AuthError."""
        return cls(_core.Repo.open(engine._core, location, password, password_file, compression), engine)

    def __enter__(self) -> "Repository":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._core.close()

    def info(self) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._core.info())
        return result

    def stats(self) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._core.stats())
        return result

    def snapshots(self, host: Optional[str] = None, tags: Sequence[str] = (),
                  paths: Sequence[str] = ()) -> List[Dict[str, Any]]:
        """Snapshots, oldest first, with the fields of `restic snapshots --json`."""
        spec = json.dumps({"host": host or "", "tags": list(tags), "paths": list(paths)})
        result: List[Dict[str, Any]] = json.loads(self._core.snapshots(spec))
        return result

    def ls(self, snapshot: str = "latest") -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._core.ls(snapshot))
        return result

    # ---- backup ----
    def backup_start(self, paths: Sequence[str], tags: Sequence[str] = (), host: Optional[str] = None,
                     exclude: Sequence[str] = (), parent: Optional[str] = None, force: bool = False,
                     progress: Optional[ProgressCallback] = None) -> Job:
        spec: Dict[str, Any] = {"paths": list(paths), "tags": list(tags), "host": host or "", "exclude": list(exclude),
                                "force": force}
        if parent:
            spec["parent"] = parent
        return Job(self._core.backup_start(json.dumps(spec), _adapt(progress)))

    def backup(self, paths: Sequence[str], tags: Sequence[str] = (), host: Optional[str] = None,
               exclude: Sequence[str] = (), parent: Optional[str] = None, force: bool = False,
               progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """Back up paths; returns {"snapshot_id", "parent", "stats", ...}. Ctrl-C cancels."""
        result: Dict[str, Any] = self.backup_start(paths, tags, host, exclude, parent, force, progress).result()
        return result

    def backup_stream(self, filename: str, stream: Union[IO[bytes], Iterable[bytes]], tags: Sequence[str] = (),
                      host: Optional[str] = None, progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """Back up a byte stream as one file (like `restic backup --stdin
        --stdin-filename`); `stream` is a binary file object or an iterable
        of bytes chunks. Nothing touches the disk on the way."""
        reader: Callable[[int], bytes]
        read_method = getattr(stream, "read", None)
        if read_method is not None:
            reader = cast(Callable[[int], bytes], read_method)
        else:
            it = iter(cast(Iterable[bytes], stream))
            pending = io.BytesIO()

            def chunks(n: int) -> bytes:
                data = pending.read(n)
                while not data:
                    chunk = next(it, None)
                    if chunk is None:
                        return b""
                    pending.seek(0)
                    pending.truncate()
                    pending.write(chunk)
                    pending.seek(0)
                    data = pending.read(n)
                return data

            reader = chunks

        spec = json.dumps({"filename": filename, "tags": list(tags), "host": host or ""})
        result: Dict[str, Any] = Job(self._core.backup_stream_start(spec, reader, _adapt(progress))).result()
        return result

    # ---- restore, dump ----
    def restore_start(self, target: str, snapshot: str = "latest", include: Sequence[str] = (),
                      exclude: Sequence[str] = (), host: Optional[str] = None,
                      progress: Optional[ProgressCallback] = None) -> Job:
        spec = json.dumps({"snapshot": snapshot, "target": target, "include": list(include), "exclude": list(exclude),
                           "host": host or ""})
        return Job(self._core.restore_start(spec, _adapt(progress)))

    def restore(self, target: str, snapshot: str = "latest", include: Sequence[str] = (),
                exclude: Sequence[str] = (), host: Optional[str] = None,
                progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        result: Dict[str, Any] = self.restore_start(target, snapshot, include, exclude, host, progress).result()
        return result

    def dump(self, path: str, snapshot: str = "latest", out: Optional[IO[bytes]] = None) -> Optional[bytes]:
        """One file of a snapshot: written to `out`, or returned as bytes."""
        if out is not None:
            self._core.dump(snapshot, path, out.write)
            return None
        buf = io.BytesIO()
        self._core.dump(snapshot, path, buf.write)
        return buf.getvalue()

    # ---- maintenance ----
    def check(self, read_data: bool = False, progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """{"ok": bool, "errors": [...], "warnings": [...], ...}."""
        result: Dict[str, Any] = Job(self._core.check_start(json.dumps({"read_data": read_data}),
                                                            _adapt(progress))).result()
        return result

    def forget(self, keep_last: int = 0, keep_hourly: int = 0, keep_daily: int = 0, keep_weekly: int = 0,
               keep_monthly: int = 0, keep_yearly: int = 0, keep_within: str = "", keep_tags: Sequence[str] = (),
               group_by: str = "host,paths", host: Optional[str] = None, tags: Sequence[str] = (),
               paths: Sequence[str] = (), dry_run: bool = False, prune: bool = False,
               progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """restic's `forget` policy; with prune=True the data is removed too."""
        spec = json.dumps({"keep_last": keep_last, "keep_hourly": keep_hourly, "keep_daily": keep_daily,
                           "keep_weekly": keep_weekly, "keep_monthly": keep_monthly, "keep_yearly": keep_yearly,
                           "keep_within": keep_within, "keep_tags": list(keep_tags), "group_by": group_by,
                           "host": host or "", "tags": list(tags), "paths": list(paths), "dry_run": dry_run,
                           "prune": prune})
        result: Dict[str, Any] = Job(self._core.forget_start(spec, _adapt(progress))).result()
        return result

    def prune(self, dry_run: bool = False, progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        result: Dict[str, Any] = Job(self._core.prune_start(json.dumps({"dry_run": dry_run}),
                                                            _adapt(progress))).result()
        return result

    def keys(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = json.loads(self._core.keys())
        return result

    def add_key(self, password: str) -> str:
        """Add a key for another password; returns its ID."""
        return self._core.add_key(password)

    def change_password(self, password: str) -> str:
        """Replace the key in use with one for `password`; returns its ID."""
        return self._core.change_password(password)

    def remove_key(self, key_id: str) -> None:
        self._core.remove_key(key_id)

    def unlock(self, all_locks: bool = False) -> int:
        """Remove stale locks (or all); returns how many."""
        return self._core.unlock(all_locks)
