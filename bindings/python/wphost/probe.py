"""Health probes: one-shot runs, monitors, statistics (docs/probe.md)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from . import _core

if TYPE_CHECKING:
    from .engine import Engine

Definitions = Union[str, List[Dict[str, Any]], Dict[str, Any]]
EventCallback = Callable[[Dict[str, Any]], Any]


def _defs_text(defs: Definitions) -> str:
    return defs if isinstance(defs, str) else json.dumps(defs)


class Monitor:
    """Probes running at their intervals until close() (or the end of a
    `with` block). Callbacks get each alert event as a dict, on a worker
    thread."""

    def __init__(self, engine: "Engine", defs: Definitions, on_event: Optional[EventCallback] = None,
                 remediate: Optional[EventCallback] = None) -> None:
        def wrap(cb: Optional[EventCallback]) -> Optional[Callable[[str], Any]]:
            if cb is None:
                return None
            f = cb
            return lambda text: f(json.loads(text))

        self._core = _core.ProbeMonitor(engine._core, _defs_text(defs), wrap(on_event), wrap(remediate))

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop: running probes end, results are stored, pending alerts delivered."""
        self._core.close()

    def metrics(self) -> str:
        """Prometheus text of the latest results (blackbox_exporter's metric names)."""
        return self._core.metrics()

    def status(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = json.loads(self._core.status())
        return result


class Probes:
    """`engine.probes`: run probes once, monitor them, read their history."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine

    @staticmethod
    def validate(defs: Definitions) -> Dict[str, Any]:
        """The normalised definitions; InvalidInput names the endpoint, field and reason."""
        result: Dict[str, Any] = json.loads(_core.probe_validate(_defs_text(defs)))
        return result

    def run(self, defs: Definitions) -> List[Dict[str, Any]]:
        """Run every probe now; results in the definitions' order (also stored)."""
        from .engine import Job
        result: List[Dict[str, Any]] = Job(self._engine._core.probe_run_start(_defs_text(defs), None)).result()
        return result

    def monitor(self, defs: Definitions, on_event: Optional[EventCallback] = None,
                remediate: Optional[EventCallback] = None) -> Monitor:
        return Monitor(self._engine, defs, on_event, remediate)

    def stats(self, name: Optional[str] = None, window: float = 86400) -> List[Dict[str, Any]]:
        """Uptime and latency percentiles per probe over the last `window` seconds."""
        result: List[Dict[str, Any]] = json.loads(self._engine._core.probe_stats(name, int(window)))
        return result

    def history(self, name: Optional[str] = None, limit: int = 100) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = json.loads(self._engine._core.probe_history(name, limit))
        return result
