"""Held-out colouring instances: planted k-colourings near the threshold, geometric, power law.

The colouring suites use the DIMACS COLOR graphs (Leighton, queens, Mycielski, register
graphs, book graphs). These generators make other structures:

* ``planted`` — n vertices in k equal hidden classes, each pair of different classes
  joined with probability p, p chosen for a mean degree near the colourability threshold
  of random graphs, 2k·ln k (so the hidden k-colouring is about the only one and greedy
  colourings need far more colours); k from 5 to 20, n from 100 to 1000;
* ``geometric`` — random geometric graphs (unit square, n = 500, mean degree 50), whose
  large cliques make χ close to the clique number;
* ``ba`` — Barabási–Albert preferential attachment (n = 1000, m = 15: a few hubs,
  degeneracy m).

Instances have ``meta["family"] == "color"`` (select them with ``--option families=color``)
and ``meta["generator"]`` ``planted`` / ``geometric`` / ``ba``. Problem ``color``: objective = colours of the verified proper colouring (sense ``min``).
Rows: ``default``; ``baseline`` (DSatur alone); with ``ablation``: ``network-only`` (the
network's decodes, no local search, no warm starts), ``random+polish`` (the local search
from random colourings at every q, stepping down like the default), ``baseline+polish``
(the local search from DSatur's colouring and the warm starts, no network) and ``cpsat``
(n ≤ 300). Every row is re-checked by :func:`check_coloring` (NumPy, no solver code).

>>> g = planted_coloring(60, 5, seed=1)
>>> g.n, int(g.meta["planted"].max()) + 1
(60, 5)
>>> check_coloring(g, g.meta["planted"])
5
"""

from __future__ import annotations

import math
import time
from typing import Any

import networkx as nx
import numpy as np

from ...baselines.coloring import cpsat_coloring, dsatur
from ...graph import Graph
from ...io import from_networkx
from ..harness import Instance, SuiteContext
from . import SPLIT_SEED

#: largest n the ``cpsat`` row is run for (its model has n·k Booleans and m·k clauses)
CPSAT_MAX_N = 300

#: planted families of one split: (k, n, mean degree / 2k·ln k)
PLANTED = ((5, 100, 1.0), (5, 1000, 1.0), (8, 250, 1.0), (10, 400, 1.0), (15, 450, 1.0))
PLANTED_LARGE_K = ((20, 700, 0.95),)


def planted_coloring(n: int, k: int, seed: int, degree_factor: float = 1.0) -> Graph:
    """n vertices in k equal hidden classes; pairs of different classes joined with
    p = d / (n (1 − 1/k)), d = ``degree_factor`` · 2k·ln k (the planted colouring is kept
    in ``meta["planted"]``, for tests).

    >>> g = planted_coloring(450, 15, seed=0)
    >>> 78 < 2 * g.m / g.n < 84  # mean degree ≈ 2·15·ln 15 = 81.2
    True
    """
    if not 2 <= k <= n:
        raise ValueError("planted colouring needs 2 <= k <= n")
    rng = np.random.default_rng(seed)
    cls = rng.permutation(np.arange(n) % k)
    d = degree_factor * 2.0 * k * math.log(k)
    p = min(d / (n * (1.0 - 1.0 / k)), 1.0)
    iu, ju = np.triu_indices(n, 1)
    keep = (cls[iu] != cls[ju]) & (rng.random(len(iu)) < p)
    g = Graph.from_edges(n, np.stack([iu[keep], ju[keep]], axis=1), name=f"planted{n}-k{k}-s{seed}")
    g.meta["planted"] = cls
    return g


def geometric(n: int, mean_degree: float, seed: int) -> Graph:
    """Random geometric graph in the unit square (networkx), radius for the mean degree."""
    r = math.sqrt(mean_degree / (math.pi * n))
    g = from_networkx(nx.random_geometric_graph(n, r, seed=seed))
    g.name = f"geo{n}-d{mean_degree:g}-s{seed}"
    return g


def barabasi_albert(n: int, m: int, seed: int) -> Graph:
    """Barabási–Albert graph (networkx): each new vertex joins m earlier ones ∝ degree."""
    g = from_networkx(nx.barabasi_albert_graph(n, m, seed=seed))
    g.name = f"ba{n}-m{m}-s{seed}"
    return g


def check_coloring(graph: Graph, colors: np.ndarray) -> int | None:
    """Number of colours of ``colors`` if it is a proper colouring of ``graph``, else None.

    Independent of the solvers: one NumPy comparison over the edge list.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> check_coloring(g, np.array([5, 2, 5])), check_coloring(g, np.array([1, 1, 2]))
    (2, None)
    """
    col = np.asarray(colors).reshape(-1)
    if col.shape != (graph.n,):
        return None
    if np.any(col[np.asarray(graph.src)] == col[np.asarray(graph.dst)]):
        return None
    return len(np.unique(col))


def _solution_colors(graph: Graph, solution: Any) -> np.ndarray | None:
    """Colours per vertex index from a result's ``{"colors", "coloring": {id: c}}``."""
    if not isinstance(solution, dict) or not isinstance(solution.get("coloring"), dict):
        return None
    table = {str(key): val for key, val in solution["coloring"].items()}
    ids = range(1, graph.n + 1) if graph.ids is None else graph.ids.tolist()
    try:
        col = np.array([int(table[str(i)]) for i in ids], dtype=np.int64)
    except (KeyError, TypeError, ValueError):
        return None
    return col if len(table) == graph.n else None


def _recheck(graph: Graph):
    def check(solution: Any) -> float | None:
        col = _solution_colors(graph, solution)
        k = None if col is None else check_coloring(graph, col)
        return None if k is None else float(k)

    return check


def instances(split: str) -> list[Instance]:
    """Planted k-colourable graphs (k = 5 … 20), a geometric and a Barabási–Albert graph."""
    if split not in SPLIT_SEED:
        raise ValueError(f"split must be tune or report, got {split!r}")
    base = SPLIT_SEED[split]
    out = []
    meta = {"problem": "color", "split": split}
    for i, (k, n, f) in enumerate(PLANTED + PLANTED_LARGE_K):
        seed = base + i
        out.append(
            Instance(
                f"planted{n}-k{k}-s{seed}",
                lambda n=n, k=k, f=f, seed=seed: planted_coloring(n, k, seed, f),
                {**meta, "family": "color", "generator": "planted", "seed": seed, "n": n, "k": k},
            )
        )
    seed = base + 10
    out.append(
        Instance(
            f"geo500-s{seed}",
            lambda seed=seed: geometric(500, 50.0, seed),
            {**meta, "family": "color", "generator": "geometric", "seed": seed, "n": 500},
        )
    )
    seed = base + 11
    out.append(
        Instance(
            f"ba1000-s{seed}",
            lambda seed=seed: barabasi_albert(1000, 15, seed),
            {**meta, "family": "color", "generator": "ba", "seed": seed, "n": 1000},
        )
    )
    return out


#: solver settings (``config``) and runner options of the variants run through dnnsolve.solve
VARIANTS: dict[str, tuple[dict, dict]] = {
    "default": ({}, {}),
    "network-only": ({"polish": False, "baseline": False}, {"warm": 0}),
    "random+polish": ({"network": False}, {"init": "random", "warm": 0}),
    "baseline+polish": ({"network": False}, {}),
}


def rows(inst: Instance, loaded: Any, ctx: SuiteContext, ablation: bool) -> list[dict]:
    """One row per variant, all at ``ctx.time_limit``, each re-checked by
    :func:`check_coloring`."""
    graph: Graph = loaded
    plain = SuiteContext(**{**ctx.__dict__, "ablation": False})
    recheck = _recheck(graph)
    out = []
    for variant, (config, options) in VARIANTS.items():
        if variant != "default" and not ablation:
            continue
        r = plain.run("color", graph, "potts", recheck=recheck, options=options, config=config)
        out.append(
            {
                "variant": variant,
                "objective": r["objective"],
                "sense": "min",
                "feasible": r["feasible"],
                "time_s": r["time_s"],
                "found_by": r.get("found_by"),
                "recheck": r.get("recheck"),
                "error": r.get("error"),
            }
        )
        if variant == "default":
            out.append(_classical_row("baseline", graph, lambda: dsatur(graph), "dsatur"))
    if ablation and graph.n <= CPSAT_MAX_N:
        out.append(
            _classical_row(
                "cpsat", graph, lambda: cpsat_coloring(graph, ctx.time_limit, workers=1), "cpsat"
            )
        )
    return out


def _classical_row(variant: str, graph: Graph, run, found_by: str) -> dict:
    t0 = time.perf_counter()
    res = run()
    seconds = time.perf_counter() - t0
    k = check_coloring(graph, res.solution) if res.feasible else None
    return {
        "variant": variant,
        "objective": None if k is None else float(k),
        "sense": "min",
        "feasible": k is not None,
        "time_s": seconds,
        "found_by": found_by,
        "recheck": None if k is None else bool(k == res.objective),
    }
