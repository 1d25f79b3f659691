"""Exceptions and warnings raised by neardup (the Rust side creates them with
the library's message)."""

import builtins


class NeardupError(Exception):
    """Base class of every neardup error."""


class ConfigError(NeardupError, builtins.ValueError):
    """A setting is out of range or inconsistent (also a ``ValueError``)."""


class IndexError(NeardupError):  # noqa: A001 - the name the API promises
    """Base class of the errors of a persistent index (``neardup.Index``).

    Not the builtin ``IndexError``: catch it as ``neardup.IndexError``.
    """


class InvalidIndexError(IndexError):
    """An index file is missing, truncated, corrupt or of a format version
    this build cannot read, or the directory is not an index.

    ``path`` names the file (or directory) concerned."""

    path: str


class IndexLockedError(IndexError):
    """Another writer holds the index's lock file.

    ``path`` is the lock file, ``pid`` the holder's process id (or None),
    ``stale`` whether that process is known to be gone."""

    path: str
    pid: int | None
    stale: bool


class IndexConfigMismatchError(IndexError, builtins.ValueError):
    """A setting given for an index differs from the one it was created
    with (also a ``ValueError``).

    ``setting`` names it; ``index_value`` and ``given`` are the two values."""

    setting: str
    index_value: str
    given: str


class SkippedWarning(UserWarning):
    """A document was not added (no words, or an id already used), or an id
    to remove was not found. Turn into errors with
    ``warnings.simplefilter("error", neardup.SkippedWarning)``."""
