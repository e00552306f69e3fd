"""Provider clients (cloud servers, DNS, object storage) and ACME
certificates: the Pythonic layer over wphost._core (docs/provider.md,
docs/cert.md)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from . import _core
from .engine import Job, Progress, ProgressCallback

if TYPE_CHECKING:
    from .engine import Engine

Doc = Union[str, Dict[str, Any]]


def _text(doc: Optional[Doc]) -> Optional[str]:
    return doc if doc is None or isinstance(doc, str) else json.dumps(doc)


def _adapt(progress: Optional[ProgressCallback]) -> Any:
    if progress is None:
        return None
    cb = progress

    def adapter(p: Dict[str, Any]) -> Optional[bool]:
        return cb(Progress(**p))

    return adapter


def provider_kinds() -> List[str]:
    """The provider kinds this library knows."""
    result: List[str] = json.loads(_core.provider_kinds())
    return result


class Provider:
    """A client of a cloud, DNS or storage provider, opened from its
    configuration (a dict or JSON text with "kind" and credentials):

        hz = wphost.Provider(engine, {"kind": "hetzner", "token_file": "/etc/wphost/hetzner.token"})
        server = hz.call("server.create", {"name": "web1", "server_type": "cx22", "image": "debian-12"})

    Failures raise the wphost.Error subclass of their code, with the HTTP
    status in `.status` and the provider's own message."""

    def __init__(self, engine: "Engine", config: Doc) -> None:
        self._core = _core.Provider(engine._core, _text(config) or "")
        self.kind: str = json.loads(config)["kind"] if isinstance(config, str) else str(config.get("kind"))

    def __enter__(self) -> "Provider":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._core.close()

    @property
    def operations(self) -> List[str]:
        result: List[str] = json.loads(self._core.operations())
        return result

    def call(self, operation: str, params: Optional[Doc] = None) -> Any:
        """Run one operation (GIL released) and return its JSON result."""
        return json.loads(self._core.call(operation, _text(params) or "{}"))

    def call_start(self, operation: str, params: Optional[Doc] = None,
                   progress: Optional[ProgressCallback] = None) -> Job:
        """The operation as a cancellable job (for those that wait)."""
        return Job(self._core.call_start(operation, _text(params) or "{}", _adapt(progress)))


class Certs:
    """Certificates from an ACME CA (docs/cert.md): engine.certs."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine

    def account(self, acme: Optional[Doc] = None) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._engine._core.cert_account(_text(acme)))
        return result

    def issue_start(self, request: Doc, progress: Optional[ProgressCallback] = None) -> Job:
        return Job(self._engine._core.cert_start("issue", None, _text(request), _adapt(progress)))

    def issue(self, request: Doc, progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """Issue a certificate and return its record."""
        result: Dict[str, Any] = self.issue_start(request, progress).result()
        return result

    def renew_start(self, options: Optional[Doc] = None, progress: Optional[ProgressCallback] = None) -> Job:
        return Job(self._engine._core.cert_start("renew", None, _text(options), _adapt(progress)))

    def renew(self, options: Optional[Doc] = None, progress: Optional[ProgressCallback] = None) -> Dict[str, Any]:
        """Renew what is due; raises when any renewal failed (each failure is
        also recorded on its certificate and emitted as an event)."""
        result: Dict[str, Any] = self.renew_start(options, progress).result()
        return result

    def revoke_start(self, name: str, options: Optional[Doc] = None) -> Job:
        return Job(self._engine._core.cert_start("revoke", name, _text(options), None))

    def revoke(self, name: str, options: Optional[Doc] = None) -> Dict[str, Any]:
        result: Dict[str, Any] = self.revoke_start(name, options).result()
        return result

    def list(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = json.loads(self._engine._core.cert_list())
        return result

    def get(self, name: str) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._engine._core.cert_get(name))
        return result
