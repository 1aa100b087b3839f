"""The clique and vertex-cover suites: random graphs, DIMACS graphs and their complements.

Instances, in this order (so ``--limit K`` keeps the small, provable ones):
generated G(n, p) graphs, DIMACS colouring graphs from ``<data>/dimacs_color``
(``co-NAME`` is the complement of NAME; skipped when the folder is missing) and
large sparse graphs for scale. CP-SAT runs with the suite's time limit on
graphs it can model (column ``proven``: the optimum was proven); the method
gets the proven optimum as its reference (it stops when it reaches it).
"""

from __future__ import annotations

from typing import Any

from ...baselines.cover_clique import (
    CLIQUE_MAX_NON_EDGES,
    clique_value,
    cover_value,
    cpsat_clique,
    cpsat_vertex_cover,
    greedy_clique,
    greedy_vertex_cover,
)
from ...core.errors import InputError
from ...graph import Graph
from ..generators import erdos_renyi
from ..harness import Instance, Suite, SuiteContext, mean_of, register_suite, vertex_set_recheck

#: CP-SAT columns only up to this many vertices (unless --exact)
CPSAT_MAX_N = 2000

_CLIQUE_RANDOM = [(100, 0.5), (100, 0.7), (100, 0.9), (200, 0.5), (200, 0.7), (200, 0.9)]
_CLIQUE_DIMACS = [
    "DSJC125.5",
    "DSJC125.9",
    "DSJC250.9",
    "DSJC500.5",
    "co-DSJC125.1",
    "co-queen8_8",
    "co-myciel5",
    "co-DSJC250.1",
]
_CLIQUE_SCALE = [(10_000, 10.0), (100_000, 10.0)]

_COVER_RANDOM = [(100, 0.05), (100, 0.1), (200, 0.05), (200, 0.1), (300, 0.03), (300, 0.05)]
_COVER_DIMACS = [
    "DSJC125.1",
    "myciel5",
    "queen8_8",
    "DSJC250.1",
    "co-DSJC125.9",
    "co-DSJC250.9",
    "le450_5a",
    "DSJC500.1",
]
_COVER_SCALE = [(10_000, 5.0), (100_000, 5.0)]


def _complement(graph: Graph) -> Graph:
    from ...graph import complement_graph

    return complement_graph(graph)


def _dimacs_instances(ctx: SuiteContext, suite: Suite, names: list[str]) -> list[Instance]:
    try:
        folder = ctx.data_folder(suite, "dimacs_color")
    except InputError:
        return []
    out = []
    for name in names:
        base = name[3:] if name.startswith("co-") else name
        path = folder / f"{base}.col"
        if not path.is_file():
            continue

        def load(path=path, co=name.startswith("co-"), name=name) -> Graph:
            from ...io import read_graph

            g = read_graph(path, format="dimacs")
            g = _complement(g) if co else g
            g.name = name
            return g

        out.append(Instance(name, load, {"path": str(path)}))
    return out


def _random_instances(ctx: SuiteContext, sizes: list[tuple[int, float]]) -> list[Instance]:
    seed = ctx.seed
    return [
        Instance(
            f"er-n{n}-p{p:g}",
            lambda i=i, n=n, p=p: erdos_renyi(n, p, seed + i, name=f"er-n{n}-p{p:g}"),
            {"seed": seed + i},
        )
        for i, (n, p) in enumerate(sizes)
    ]


def _scale_instances(ctx: SuiteContext, sizes: list[tuple[int, float]]) -> list[Instance]:
    seed = ctx.seed
    top = ctx.max_n if ctx.max_n is not None else 10**6
    return [
        Instance(
            f"er-n{n}-d{d:g}",
            lambda n=n, d=d: erdos_renyi(n, d / (n - 1), seed + n, name=f"er-n{n}-d{d:g}"),
            {"seed": seed + n},
        )
        for n, d in sizes
        if n <= top
    ]


def _clique_instances(ctx: SuiteContext) -> list[Instance]:
    suite = SUITES_BY_NAME["clique"]
    return (
        _random_instances(ctx, _CLIQUE_RANDOM)
        + _dimacs_instances(ctx, suite, _CLIQUE_DIMACS)
        + _scale_instances(ctx, _CLIQUE_SCALE)
    )


def _cover_instances(ctx: SuiteContext) -> list[Instance]:
    suite = SUITES_BY_NAME["vertex-cover"]
    return (
        _random_instances(ctx, _COVER_RANDOM)
        + _dimacs_instances(ctx, suite, _COVER_DIMACS)
        + _scale_instances(ctx, _COVER_SCALE)
    )


def _rechecker(problem: str, graph: Graph):
    value = clique_value if problem == "clique" else cover_value
    return vertex_set_recheck(graph, lambda mask: value(graph, mask))


def _rows(problem: str, col: str):
    def rows(inst: Instance, graph: Graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
        base: dict[str, Any] = {"instance": inst.name, "n": graph.n, "m": graph.m, **inst.meta}
        ref = None
        if ctx.baselines:
            g = greedy_clique(graph) if problem == "clique" else greedy_vertex_cover(graph)
            base.update(greedy=g.objective, greedy_time_s=g.time_s)
            fits = graph.n <= CPSAT_MAX_N
            if problem == "clique":
                fits = fits and graph.n * (graph.n - 1) // 2 - graph.m <= CLIQUE_MAX_NON_EDGES
            if ctx.exact if ctx.exact is not None else fits:
                exact = cpsat_clique if problem == "clique" else cpsat_vertex_cover
                c = exact(graph, ctx.time_limit, seed=ctx.seed)
                base.update(
                    cpsat=c.objective,
                    proven=c.optimal,
                    cpsat_bound=c.bound,
                    cpsat_time_s=c.time_s,
                )
                ref = c.objective if c.optimal else None
        out_rows = []
        for meth in chosen[problem]:
            out = ctx.run(problem, graph, meth, reference=ref, recheck=_rechecker(problem, graph))
            val = out["objective"]
            at = None
            if ref is not None and val is not None:
                at = bool(val >= ref - 1e-9) if problem == "clique" else bool(val <= ref + 1e-9)
            out_rows.append({**base, "method": meth, col: val, "at_optimum": at, **out})
        return out_rows

    return rows


def _summary(col: str):
    def summarize(rows: list[dict]) -> dict:
        by_method: dict[str, list[dict]] = {}
        for r in rows:
            by_method.setdefault(r["method"], []).append(r)
        out: dict[str, Any] = {"methods": {}}
        for meth, rs in by_method.items():
            hits = [float(r["at_optimum"]) for r in rs if r.get("at_optimum") is not None]
            out["methods"][meth] = {
                "instances": len(rs),
                f"mean_{col}": mean_of([r[col] for r in rs]),
                "proven_instances": len(hits),
                "fraction_at_proven_optimum": mean_of(hits),
                "mean_time_s": mean_of([r["time_s"] for r in rs]),
                "greedy_mean": mean_of([r.get("greedy") for r in rs]),
                "cpsat_mean": mean_of([r.get("cpsat") for r in rs]),
                "recheck_all": all(r.get("recheck") is not False for r in rs),
            }
        return out

    return summarize


_COLUMNS = (
    "instance",
    "n",
    "m",
    "method",
    "{col}",
    "cpsat",
    "proven",
    "at_optimum",
    "time_s",
    "cpsat_time_s",
    "greedy",
    "found_by",
    "recheck",
    "error",
)


def _columns(col: str) -> tuple[str, ...]:
    return tuple(c.format(col=col) for c in _COLUMNS)


SUITES_BY_NAME = {
    "clique": register_suite(
        Suite(
            "clique",
            ("clique",),
            "Maximum clique on G(n, p) with p = 0.5–0.9, DIMACS colouring graphs and complements "
            "(<data>/dimacs_color, co-NAME = complement) and sparse G(n, d/n) up to 10^5 "
            "(implicit complement); CP-SAT (proven?) and greedy side by side",
            None,
            10.0,
            _columns("size"),
            instances=_clique_instances,
            rows=_rows("clique", "size"),
            summarize=_summary("size"),
        )
    ),
    "vertex-cover": register_suite(
        Suite(
            "vertex-cover",
            ("vertex-cover",),
            "Minimum vertex cover on sparse G(n, p), DIMACS colouring graphs and complements "
            "(<data>/dimacs_color) and sparse G(n, d/n) up to 10^5; CP-SAT (proven?) and "
            "greedy (complement of min-degree greedy MIS) side by side",
            None,
            10.0,
            _columns("cover"),
            instances=_cover_instances,
            rows=_rows("vertex-cover", "cover"),
            summarize=_summary("cover"),
        )
    ),
}
