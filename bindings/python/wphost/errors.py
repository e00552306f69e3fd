"""The exception hierarchy, one class per C error code (WPH_E*)."""
from __future__ import annotations

from typing import Dict, Type


class Error(Exception):
    """A libwphost failure: `code` (negative WPH_E* number), `category`
    ("engine", "state", "job", "host", ...), `message`, and for provider
    calls the HTTP `status` (0 otherwise)."""

    code: int = -1

    def __init__(self, message: str, code: int | None = None, category: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.category = category
        self.status = status

    def __str__(self) -> str:
        return self.message


class NotFound(Error):
    code = -2


class AlreadyExists(Error):
    code = -3


class InvalidInput(Error, ValueError):
    code = -4


class AuthError(Error):
    code = -5


class Timeout(Error, TimeoutError):
    code = -6


class Cancelled(Error):
    code = -7


class Conflict(Error):
    code = -8


class Locked(Error):
    code = -9


class IOFailure(Error, OSError):
    code = -10


class ProviderError(Error):
    code = -11


class CallbackError(Error):
    """A callback of yours returned False or raised (WPH_EUSER)."""

    code = -12


class OutOfMemory(Error, MemoryError):
    code = -13


class VersionMismatch(Error):
    """Data written by a newer libwphost (WPH_EVERSION)."""

    code = -14


_BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls
    for cls in (NotFound, AlreadyExists, InvalidInput, AuthError, Timeout, Cancelled, Conflict, Locked,
                IOFailure, ProviderError, CallbackError, OutOfMemory, VersionMismatch)
}


def error_class(code: int) -> Type[Error]:
    """The exception class for a C error code."""
    return _BY_CODE.get(code, Error)


def _from_core(code: int, category: str, message: str, status: int) -> Error:
    return error_class(code)(message, code, category, status)
