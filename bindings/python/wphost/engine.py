"""Engine and Job: the Pythonic layer over wphost._core."""
from __future__ import annotations

import asyncio
import enum
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Union

from . import _core


class JobState(enum.IntEnum):
    PENDING = _core.JOB_PENDING
    RUNNING = _core.JOB_RUNNING
    SUCCEEDED = _core.JOB_SUCCEEDED
    FAILED = _core.JOB_FAILED
    CANCELLED = _core.JOB_CANCELLED


@dataclass(frozen=True)
class Progress:
    phase: str
    step: int
    steps: int
    percent: float
    bytes_done: int = 0
    bytes_total: int = 0
    files_done: int = 0
    files_total: int = 0
    elapsed_seconds: float = 0.0
    eta_seconds: float = -1.0  # -1: unknown
    item: str = ""  # the file being worked on


ProgressCallback = Callable[[Progress], Optional[bool]]


class Job:
    """A job running on the engine's worker threads."""

    def __init__(self, core: _core.Job) -> None:
        self._core = core

    @property
    def id(self) -> int:
        return self._core.id

    @property
    def kind(self) -> str:
        return self._core.kind

    @property
    def state(self) -> JobState:
        return JobState(self._core.state)

    @property
    def progress(self) -> Progress:
        return Progress(**self._core.progress())

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block (GIL released) until the job ends; False if `timeout`
        seconds passed first. Ctrl-C cancels the job, waits for it to stop,
        and raises KeyboardInterrupt."""
        return self._core.wait(timeout)

    def cancel(self) -> bool:
        """Ask the job to stop; False if it had already ended."""
        return self._core.cancel()

    def result(self) -> Any:
        """Wait, then return the parsed JSON result or raise the job's error."""
        return json.loads(self._core.result())

    async def result_async(self) -> Any:
        """Await the result without blocking the event loop; cancelling the
        awaiting task cancels the job."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._core.wait, None)
        except asyncio.CancelledError:
            self.cancel()
            raise
        return self.result()


class Engine:
    """An open libwphost engine: state store, worker threads, host profile.

    `host_profile` is a dict (or JSON text) overriding Debian 12's default
    paths; see docs/host-profile.md. Use as a context manager, or call
    close()."""

    def __init__(self, state_dir: Optional[str] = None,
                 host_profile: Union[None, str, Dict[str, Any]] = None, threads: int = 0) -> None:
        profile = host_profile if host_profile is None or isinstance(host_profile, str) else json.dumps(host_profile)
        self._core = _core.Engine(state_dir, profile, threads)
        self.sites = Sites(self)
        from .probe import Probes
        self.probes = Probes(self)
        from .provider import Certs
        self.certs = Certs(self)

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel running jobs, wait for them, and close the state store."""
        self._core.close()

    @property
    def state_dir(self) -> str:
        return self._core.state_dir

    def info(self) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._core.info())
        return result

    def jobs(self, limit: int = 0) -> List[Dict[str, Any]]:
        """Jobs recorded in the state store, newest first."""
        result: List[Dict[str, Any]] = json.loads(self._core.jobs(limit))
        return result

    def events(self, kind_prefix: str = "", after_id: int = 0, limit: int = 0) -> List[Dict[str, Any]]:
        """Events from the state store (id > after_id, kind starting with
        kind_prefix), oldest first: certificate renewals and their failures, ..."""
        result: List[Dict[str, Any]] = json.loads(self._core.events(kind_prefix, after_id, limit))
        return result

    def on_event(self, callback: Optional[Callable[[Dict[str, Any]], Any]]) -> None:
        """Call `callback` with each new event (a dict) on the thread that
        emits it; None stops."""
        if callback is None:
            self._core.set_event_callback(None)
            return
        cb = callback
        self._core.set_event_callback(lambda text: cb(json.loads(text)))

    def host_check_start(self, progress: Optional[ProgressCallback] = None) -> Job:
        """Start the host check as a job. `progress` is called on a worker
        thread with a Progress; returning False cancels the job."""
        if progress is None:
            return Job(self._core.host_check_start(None))
        cb = progress

        def adapter(p: Dict[str, Any]) -> Optional[bool]:
            return cb(Progress(**p))

        return Job(self._core.host_check_start(adapter))

    def host_check(self) -> Dict[str, Any]:
        """Run the host check and return its report (see docs/host-check.md)."""
        result: Dict[str, Any] = self.host_check_start().result()
        return result

    async def host_check_async(self) -> Dict[str, Any]:
        result: Dict[str, Any] = await self.host_check_start().result_async()
        return result


SiteSpec = Union[str, Dict[str, Any]]


def _spec_text(spec: Optional[SiteSpec]) -> Optional[str]:
    return spec if spec is None or isinstance(spec, str) else json.dumps(spec)


class Sites:
    """The WordPress sites of an engine (docs/site.md). Each method that
    changes the host runs a job and waits for it (Ctrl-C cancels it); the
    `*_start` form returns the Job instead. Specs are dicts or JSON text with
    the fields of docs/site-spec.md."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine

    def _start(self, op: str, a: str, b: Optional[str] = None,
               progress: Optional[ProgressCallback] = None) -> Job:
        if progress is None:
            return Job(self._engine._core.site_start(op, a, b, None))
        cb = progress

        def adapter(p: Dict[str, Any]) -> Optional[bool]:
            return cb(Progress(**p))

        return Job(self._engine._core.site_start(op, a, b, adapter))

    def _run(self, op: str, a: str, b: Optional[str] = None,
             progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        result: Dict[str, Any] = self._start(op, a, b, progress).result()
        return result

    def plan(self, spec: SiteSpec) -> Dict[str, Any]:
        """Every file, command and SQL statement create would use; touches nothing."""
        result: Dict[str, Any] = json.loads(self._engine._core.site_plan(_spec_text(spec) or ""))
        return result

    def create_start(self, spec: SiteSpec, progress: Optional[ProgressCallback] = None) -> Job:
        return self._start("create", _spec_text(spec) or "", None, progress)

    def create(self, spec: SiteSpec, progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """Create a site; the result has its URL, and the admin password when it was generated."""
        result: Dict[str, Any] = self.create_start(spec, progress).result()
        return result

    def delete(self, domain: str) -> Dict[str, Any]:
        return self._run("delete", domain)

    def suspend(self, domain: str) -> Dict[str, Any]:
        return self._run("suspend", domain)

    def unsuspend(self, domain: str) -> Dict[str, Any]:
        return self._run("unsuspend", domain)

    def set_php(self, domain: str, version: str) -> Dict[str, Any]:
        return self._run("set_php", domain, version)

    def regenerate(self, domain: str) -> Dict[str, Any]:
        return self._run("regenerate", domain)

    def clone(self, domain: str, spec: SiteSpec) -> Dict[str, Any]:
        """Copy a site to a new domain; `spec` needs "domain", other fields default to the source's."""
        return self._run("clone", domain, _spec_text(spec))

    def staging(self, domain: str, spec: Optional[SiteSpec] = None) -> Dict[str, Any]:
        """A password-protected, noindex copy; the result holds its password once."""
        return self._run("staging", domain, _spec_text(spec))

    def push(self, staging_domain: str, files: bool = True, database: bool = True,
             tables: Optional[List[str]] = None) -> Dict[str, Any]:
        options: Dict[str, Any] = {"files": files, "database": database}
        if tables is not None:
            options["tables"] = tables
        return self._run("push", staging_domain, json.dumps(options))

    def list(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = json.loads(self._engine._core.site_list())
        return result

    def get(self, domain: str) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._engine._core.site_get(domain))
        return result
