"""The ``dnnsolve`` command line, the edge of the package: :mod:`.root` assembles the commands of
the other modules (one per family of commands); :mod:`.common` holds what they share: exit
codes, consoles, option parsers, thread set-up and error handling.

>>> main(["version"])  # doctest: +ELLIPSIS
{"dnnsolve": ...}
0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .root import main

if TYPE_CHECKING:
    from .root import app


def __getattr__(name: str) -> Any:
    # ``app`` holds every family's command, built on first use: the ``dnnsolve`` script, which
    # imports ``main`` from here, builds only the command it runs
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import root

    return root.app


__all__ = ["app", "main"]
