"""Exceptions with messages meant for users (the CLI prints them on one line, exit code 2)."""

from __future__ import annotations


class DnnsolveError(Exception):
    """Base class for every error dnnsolve reports to a user."""


class InputError(DnnsolveError):
    """A malformed or inconsistent input file or argument.

    ``path`` and ``line`` locate the problem when it comes from a file.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class NumericalError(DnnsolveError):
    """Training diverged (NaN / inf) and could not be recovered."""


class DeviceError(DnnsolveError):
    """The requested device is unavailable or ran out of memory."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (torch's are often many), or its type's name.

    >>> first_line(RuntimeError("CUDA out of memory.\\nTried to allocate 2 GiB"))
    'CUDA out of memory.'
    """
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
