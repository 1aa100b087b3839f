"""Instance readers and writers (Gset, DIMACS, edge lists, CNF / WCNF, hypergraphs, NetworkX)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cnf import CNF, assignment_from_independent_set, cnf_to_mis_graph, read_cnf, write_cnf
    from .graphs import FORMATS, detect_format, from_networkx, read_graph, write_dimacs, write_gset
    from .hypergraphs import (
        HYPERGRAPH_FORMATS,
        load_hypergraph,
        read_hypergraph,
        write_hmetis,
        write_hypop,
    )
    from .wcnf import WCNF, detect_sat_format, read_wcnf, write_wcnf

#: each name → its module, imported on first use: the graph readers load torch (through
#: :mod:`dnnsolve.graph`), which a reader of other files (the LP family's) does not need
_HOMES = {
    **dict.fromkeys(
        ("CNF", "assignment_from_independent_set", "cnf_to_mis_graph", "read_cnf", "write_cnf"),
        ".cnf",
    ),
    **dict.fromkeys(
        ("FORMATS", "detect_format", "from_networkx", "read_graph", "write_dimacs", "write_gset"),
        ".graphs",
    ),
    **dict.fromkeys(
        ("HYPERGRAPH_FORMATS", "load_hypergraph", "read_hypergraph", "write_hmetis", "write_hypop"),
        ".hypergraphs",
    ),
    **dict.fromkeys(("WCNF", "detect_sat_format", "read_wcnf", "write_wcnf"), ".wcnf"),
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "CNF",
    "FORMATS",
    "HYPERGRAPH_FORMATS",
    "WCNF",
    "assignment_from_independent_set",
    "cnf_to_mis_graph",
    "detect_format",
    "detect_sat_format",
    "from_networkx",
    "load_hypergraph",
    "read_cnf",
    "read_graph",
    "read_hypergraph",
    "read_wcnf",
    "write_cnf",
    "write_dimacs",
    "write_gset",
    "write_hmetis",
    "write_hypop",
    "write_wcnf",
]
