"""The one exception tree of champion.

::

    ChampionError
     ├── InputError            bad input from the user: exit status 2
     │    ├── SuiteError       a suite file is malformed (path:line: message)
     │    ├── WorkflowError    a workflow or items file is malformed (path:line: message)
     │    └── CandidateError   a models file or -m spec is malformed
     │         └── MissingDependency  a provider's package is not installed
     ├── ProviderError         a call failed; an error trial       (kind "internal")
     │    ├── ProviderTimeout      past its deadline                  (kind "timeout")
     │    ├── ProviderUnavailable  refused/reset, 5xx, model missing  (kind "unavailable")
     │    ├── RateLimited          HTTP 429                           (kind "rate_limited")
     │    ├── ProviderRejected     4xx other than 429: never retried  (kind "rejected")
     │    │    ├── MissingKey          the key's environment variable is unset
     │    │    ├── UnknownModel        the backend does not know the model (404)
     │    │    └── ConstraintRejected  the backend refuses the constrained-output mode
     │    └── ProviderProtocolError the backend answered garbage      (kind "protocol")
     │         └── AnswerTooLarge  the answer passed the size cap; cut there
     └── StoreError            the database could not be read or written

Every provider error carries its ``kind`` (a class attribute, never parsed
from the message), the HTTP ``status`` when there was one, and the server's
``retry_after_s`` when it sent ``Retry-After``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = [
    "AnswerTooLarge",
    "CandidateError",
    "ChampionError",
    "ConstraintRejected",
    "ErrorKind",
    "InputError",
    "MissingDependency",
    "MissingKey",
    "ProviderError",
    "ProviderProtocolError",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "StoreError",
    "SuiteError",
    "UnknownModel",
    "WorkflowError",
]

#: What kind of failure an error trial records.
ErrorKind = Literal["timeout", "unavailable", "rate_limited", "rejected", "protocol", "internal"]
ERROR_KINDS: tuple[ErrorKind, ...] = ("timeout", "unavailable", "rate_limited", "rejected",
                                      "protocol", "internal")


class ChampionError(Exception):
    """Base of every error champion raises on purpose."""


class InputError(ChampionError):
    """Bad input (suite, models file, option). The CLI exits with status 2."""


class SuiteError(InputError):
    """A suite file is malformed.

    Renders as ``path:line: message`` when the line is known.
    """

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class WorkflowError(InputError):
    """A workflow file (or a workflow's items file) is malformed, or names a task
    the store has no run of.

    Renders as ``path:line: message`` when the line is known.
    """

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class CandidateError(InputError):
    """A models file or ``-m`` spec is malformed."""


class MissingDependency(CandidateError):
    """A provider needs a Python package that is not installed.

    Attributes:
        package: the distribution to install.
    """

    def __init__(self, message: str, package: str) -> None:
        super().__init__(message)
        self.package = package


class ProviderError(ChampionError):
    """A model call failed.

    Attributes:
        kind: what an error trial records (class attribute).
        retryable: whether a retry may help (class attribute).
        status: the HTTP status, when the backend answered one.
        retry_after_s: the server's ``Retry-After``, in seconds, when it sent one.
    """

    kind: ClassVar[ErrorKind] = "internal"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class ProviderTimeout(ProviderError):
    """The call did not finish within its deadline."""

    kind: ClassVar[ErrorKind] = "timeout"
    retryable: ClassVar[bool] = True


class ProviderUnavailable(ProviderError):
    """The backend could not be reached or answered with a server error."""

    kind: ClassVar[ErrorKind] = "unavailable"
    retryable: ClassVar[bool] = True


class RateLimited(ProviderError):
    """The backend answered HTTP 429."""

    kind: ClassVar[ErrorKind] = "rate_limited"
    retryable: ClassVar[bool] = True


class ProviderRejected(ProviderError):
    """The backend refused the request (auth, bad request, unknown model)."""

    kind: ClassVar[ErrorKind] = "rejected"


class MissingKey(ProviderRejected):
    """The environment variable that holds the model's API key is not set."""


class UnknownModel(ProviderRejected):
    """The backend does not know the model (HTTP 404 or "model not found")."""


class ConstraintRejected(ProviderRejected):
    """The backend refuses the constrained-output mode the request asks for."""


class ProviderProtocolError(ProviderError):
    """The backend answered something that is not its documented protocol."""

    kind: ClassVar[ErrorKind] = "protocol"


class AnswerTooLarge(ProviderProtocolError):
    """The answer grew past the size cap; ``partial`` is the text up to the cap."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class StoreError(ChampionError):
    """The result database could not be read or written."""
