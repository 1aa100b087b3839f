"""Classical baselines: OR-Tools CP-SAT and NumPy greedy heuristics for MaxCut and MIS.

Every baseline returns a :class:`BaselineResult` whose ``objective`` is recomputed
from the returned 0/1 solution by :func:`maxcut_value` / :func:`mis_value`, never
taken from the solver's own report.

>>> from dnnsolve.baselines import cpsat_maxcut, greedy_mis
>>> from dnnsolve.graph import Graph
>>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
>>> greedy_mis(g).objective, cpsat_maxcut(g, time_limit=5).objective
(2.0, 4.0)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .coloring import coloring_conflicts, cpsat_coloring, dsatur
    from .common import BaselineResult, maxcut_value, mis_value
    from .cover_clique import (
        clique_value,
        cover_value,
        cpsat_clique,
        cpsat_vertex_cover,
        greedy_clique,
        greedy_vertex_cover,
    )
    from .cpsat import cpsat_maxcut, cpsat_mis
    from .domination import CPSAT_PROBLEMS, cpsat_domination, cpsat_k_coloring, greedy_domination
    from .greedy import greedy_maxcut, greedy_mis
    from .hypermaxcut import cpsat_hypermaxcut, hypercut_value, sa_hypermaxcut
    from .sat import cadical, count_falsified, maxsat_cost, probsat, rc2

#: where each name lives: loaded on first use, since the CP-SAT models import OR-Tools and the
#: SAT baselines python-sat, which a family that uses neither should not pay for at start-up
_LAZY = {
    "coloring_conflicts": ".coloring",
    "cpsat_coloring": ".coloring",
    "dsatur": ".coloring",
    "BaselineResult": ".common",
    "maxcut_value": ".common",
    "mis_value": ".common",
    "clique_value": ".cover_clique",
    "cover_value": ".cover_clique",
    "cpsat_clique": ".cover_clique",
    "cpsat_vertex_cover": ".cover_clique",
    "greedy_clique": ".cover_clique",
    "greedy_vertex_cover": ".cover_clique",
    "cpsat_maxcut": ".cpsat",
    "cpsat_mis": ".cpsat",
    "CPSAT_PROBLEMS": ".domination",
    "cpsat_domination": ".domination",
    "cpsat_k_coloring": ".domination",
    "greedy_domination": ".domination",
    "greedy_maxcut": ".greedy",
    "greedy_mis": ".greedy",
    "cpsat_hypermaxcut": ".hypermaxcut",
    "hypercut_value": ".hypermaxcut",
    "sa_hypermaxcut": ".hypermaxcut",
    "cadical": ".sat",
    "count_falsified": ".sat",
    "maxsat_cost": ".sat",
    "probsat": ".sat",
    "rc2": ".sat",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CPSAT_PROBLEMS",
    "BaselineResult",
    "cadical",
    "clique_value",
    "coloring_conflicts",
    "count_falsified",
    "cover_value",
    "cpsat_clique",
    "cpsat_coloring",
    "cpsat_domination",
    "cpsat_hypermaxcut",
    "cpsat_k_coloring",
    "cpsat_maxcut",
    "cpsat_mis",
    "cpsat_vertex_cover",
    "dsatur",
    "greedy_clique",
    "greedy_domination",
    "greedy_maxcut",
    "greedy_mis",
    "greedy_vertex_cover",
    "hypercut_value",
    "maxcut_value",
    "maxsat_cost",
    "mis_value",
    "probsat",
    "rc2",
    "sa_hypermaxcut",
]
