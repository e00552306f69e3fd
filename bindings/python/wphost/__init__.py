"""libwphost for Python: a managed WordPress hosting engine.

    import wphost
    with wphost.Engine(state_dir="/tmp/wphost-state") as engine:
        report = engine.host_check()          # dict; Ctrl-C cancels the job
        print(report["nginx"]["status"])

Every JSON document has the same fields as the C ABI's (see docs/).
"""
from __future__ import annotations

from . import _core
from .engine import Engine, Job, JobState, Progress, Sites
from .repository import Repository
from .probe import Monitor as ProbeMonitor, Probes
from .provider import Certs, Provider, provider_kinds
from .errors import (AlreadyExists, AuthError, CallbackError, Cancelled, Conflict, Error, InvalidInput,
                     IOFailure, Locked, NotFound, OutOfMemory, ProviderError, Timeout, VersionMismatch,
                     error_class)

__version__: str = _core.version()
version_number: int = _core.version_number()
schema_version: int = _core.schema_version()

__all__ = [
    "Engine", "Job", "JobState", "Progress", "Repository", "Sites", "Probes", "ProbeMonitor",
    "Provider", "Certs", "provider_kinds",
    "Error", "NotFound", "AlreadyExists", "InvalidInput", "AuthError", "Timeout", "Cancelled", "Conflict",
    "Locked", "IOFailure", "ProviderError", "CallbackError", "OutOfMemory", "VersionMismatch", "error_class",
    "__version__", "version_number", "schema_version",
]
