"""Small bundled example instances with proven optima.

``EXAMPLES`` maps a name to a dict with ``file``, ``problem`` (``"maxcut"``,
``"mis"``, ``"color"`` or ``"sat"``), ``optimum`` (proven: by CP-SAT, or by
construction for the planted colouring and SAT examples), ``n``, ``m``,
``description`` and ``certificate`` (an optimal solution as a digit string in
the file's vertex / variable order: 0/1 sides or memberships, colours, or the
truth values of a model).

Other bundled files, for the families without graph optima: ``lp_example.mps`` (a 12-column
LP, optimum 8.5 by HiGHS), ``schedule_example.gml`` (a 60-node layered task DAG),
``sudoku_example.txt`` (a 9×9 Sudoku with a unique solution), ``hypermaxcut_example.hgr`` (a
random weighted hypergraph, 40 vertices and 80 hyperedges of 2-4 vertices, hMETIS),
``qp_example.qps`` (a 2-variable convex QP); :func:`example_path` finds them by file name.

>>> sorted(EXAMPLES)
['color_example', 'maxcut_example', 'mis_example', 'mis_sat_example', 'sat_example']
>>> example_path("mis_example").name
'mis_example.dimacs'
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.errors import InputError

DATA_DIR = Path(__file__).resolve().parent

EXAMPLES: dict[str, dict] = json.loads((DATA_DIR / "examples.json").read_text())
#: bundled inputs of the LP, scheduling and RRR commands
OTHER_FILES = (
    "lp_example.mps",
    "schedule_example.gml",
    "sudoku_example.txt",
    "hypermaxcut_example.hgr",
    "qp_example.qps",
)


def example_path(name: str) -> Path:
    """Path of a bundled example, by name (a key of :data:`EXAMPLES`) or file name."""
    if name in EXAMPLES:
        return DATA_DIR / EXAMPLES[name]["file"]
    for info in EXAMPLES.values():
        if info["file"] == name:
            return DATA_DIR / name
    if name in OTHER_FILES:
        return DATA_DIR / name
    raise InputError(f"unknown example {name!r}; available: {', '.join([*EXAMPLES, *OTHER_FILES])}")


__all__ = ["DATA_DIR", "EXAMPLES", "OTHER_FILES", "default_data_dir", "example_path"]


def default_data_dir() -> Path | None:
    """The benchmark datasets folder: ``$DNNSOLVE_DATA``, else ``../shared/datasets`` from the
    cwd or from a source checkout; None when there is none (the package never needs it)."""
    candidates = []
    if os.environ.get("DNNSOLVE_DATA"):
        candidates.append(Path(os.environ["DNNSOLVE_DATA"]))
    checkout = DATA_DIR.parents[2]  # src/dnnsolve/data/ → repository root
    candidates += [
        Path.cwd().parent / "shared" / "datasets",
        checkout.parent / "shared" / "datasets",
    ]
    for c in candidates:
        if c.is_dir():
            return c
    return None
