"""The ``dnnsolve`` command line, the edge of the package: :mod:`.root` assembles the commands of
the other modules (one per family of commands); :mod:`.common` holds what they share: exit
codes, consoles, option parsers, thread set-up and error handling.

>>> main(["version"])  # doctest: +ELLIPSIS
{"dnnsolve": ...}
0
"""

from .root import app, main

__all__ = ["app", "main"]
