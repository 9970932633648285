"""The one exception tree of champion.

::

    ChampionError
     ├── InputError            bad input from the user: exit status 2
     │    ├── SuiteError       a suite file is malformed (path:line: message)
     │    └── CandidateError   a models file or -m spec is malformed
     ├── ProviderError         a model call failed; recorded as an error trial
     │    ├── ProviderTimeout      the call took longer than its timeout
     │    ├── ProviderUnavailable  connection refused/reset, 5xx, model missing
     │    ├── RateLimited          HTTP 429
     │    ├── ProviderRejected     4xx other than 429 (auth, bad request): never retried
     │    └── ProviderProtocolError the backend answered garbage
     └── StoreError            the database could not be read or written
"""

from __future__ import annotations

__all__ = [
    "CandidateError",
    "ChampionError",
    "InputError",
    "ProviderError",
    "ProviderProtocolError",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "StoreError",
    "SuiteError",
]


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


class CandidateError(InputError):
    """A models file or ``-m`` spec is malformed."""


class ProviderError(ChampionError):
    """A model call failed. ``retryable`` says whether a retry may help."""

    retryable: bool = False


class ProviderTimeout(ProviderError):
    """The call did not finish within its timeout."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """The backend could not be reached or answered with a server error."""

    retryable = True


class RateLimited(ProviderError):
    """The backend answered HTTP 429."""

    retryable = True


class ProviderRejected(ProviderError):
    """The backend refused the request (auth, bad request, unknown model)."""


class ProviderProtocolError(ProviderError):
    """The backend answered something that is not its documented protocol."""


class StoreError(ChampionError):
    """The result database could not be read or written."""
