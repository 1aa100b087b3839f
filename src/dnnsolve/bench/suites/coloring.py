"""Graph-colouring suites on the DIMACS COLOR graphs (``<data>/dimacs_color/*.col``).

* ``color`` — PI-GNN's colouring set (anna, david, homer, huck, jean, myciel5–7,
  queen5_5 … queen13_13) and le450_5a/b, le450_15a/b, le450_25a/b against their
  known chromatic numbers; each method searches for the smallest q and stops at χ.
* ``color-all`` — every ``.col`` file of the folder (χ where known, else only the
  colours found), for ``--instances`` selections beyond the default set.

Known chromatic numbers: the DIMACS colouring literature (CliColCom /
gc-cdcl certificates, elementary proofs, or published values).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...baselines.coloring import coloring_conflicts, dsatur
from ...graph import Graph
from ..harness import Instance, Suite, SuiteContext, file_instances, mean_of, register_suite

#: known chromatic numbers (certificates, proofs or published literature values)
CHROMATIC_NUMBER: dict[str, int] = {
    "anna": 11,
    "david": 11,
    "homer": 13,
    "huck": 11,
    "jean": 10,
    "games120": 9,
    "miles250": 8,
    "miles500": 20,
    "miles750": 31,
    "miles1000": 42,
    "miles1500": 73,
    "myciel3": 4,
    "myciel4": 5,
    "myciel5": 6,
    "myciel6": 7,
    "myciel7": 8,
    "queen5_5": 5,
    "queen6_6": 7,
    "queen7_7": 7,
    "queen8_8": 9,
    "queen8_12": 12,
    "queen9_9": 10,
    "queen10_10": 11,
    "queen11_11": 11,
    "queen12_12": 12,
    "queen13_13": 13,
    "queen14_14": 14,
    "queen15_15": 15,
    "queen16_16": 16,
    "le450_5a": 5,
    "le450_5b": 5,
    "le450_5c": 5,
    "le450_5d": 5,
    "le450_15a": 15,
    "le450_15b": 15,
    "le450_15c": 15,
    "le450_15d": 15,
    "le450_25a": 25,
    "le450_25b": 25,
    "le450_25c": 25,
    "le450_25d": 25,
    "mulsol.i.1": 49,
    "zeroin.i.1": 49,
    "fpsol2.i.1": 65,
    "inithx.i.1": 54,
    "school1": 14,
    "school1_nsh": 14,
    "DSJC125.1": 5,
    "DSJC125.5": 17,
    "DSJC125.9": 44,
    "DSJR500.1": 12,
    "r125.1": 5,
    "r250.5": 65,
    "r1000.1": 20,
}

#: PI-GNN's colouring set (Schuetz et al. 2022) + myciel7 + the le450 5/15/25 a–b graphs
DEFAULT_SET: tuple[str, ...] = (
    "anna",
    "david",
    "homer",
    "huck",
    "jean",
    "myciel5",
    "myciel6",
    "myciel7",
    "queen5_5",
    "queen6_6",
    "queen7_7",
    "queen8_8",
    "queen8_12",
    "queen9_9",
    "queen10_10",
    "queen11_11",
    "queen12_12",
    "queen13_13",
    "le450_5a",
    "le450_5b",
    "le450_15a",
    "le450_15b",
    "le450_25a",
    "le450_25b",
)


def _stem(path: Path) -> str:
    return path.name[: -len(".col")] if path.name.endswith(".col") else path.stem


def _load(path: Path) -> Graph:
    from ...io import read_graph

    g = read_graph(path, format="dimacs")
    g.name = _stem(path)
    return g


def _all_instances(ctx: SuiteContext) -> list[Instance]:
    suite = SUITES_BY_NAME["color-all"]
    insts = file_instances(ctx.data_folder(suite), "*.col", suite, _load)
    for inst in insts:  # names keep their dots (mulsol.i.1, DSJC125.1)
        inst.name = _stem(Path(inst.meta["path"]))
    return insts


def _default_instances(ctx: SuiteContext) -> list[Instance]:
    suite = SUITES_BY_NAME["color"]
    folder = ctx.data_folder(suite)
    out = []
    for name in DEFAULT_SET:
        path = folder / f"{name}.col"
        if path.is_file():
            out.append(Instance(name, lambda p=path: _load(p), {"path": str(path)}))
    if not out:
        _all_instances(ctx)  # raises the usual "no *.col files" error
    return out


def _rows(inst: Instance, graph: Graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...problems.coloring import coloring_from_output

    chi = CHROMATIC_NUMBER.get(inst.name)
    ds = dsatur(graph) if ctx.baselines else None
    rows = []
    for method in chosen["color"]:
        seen: dict[str, Any] = {}

        def recheck(solution: Any, seen: dict = seen) -> float | None:
            col = coloring_from_output(graph, solution)
            if col is None:
                return None
            seen["conflicts"] = coloring_conflicts(graph, col)
            return float(len(set(col.tolist()))) if seen["conflicts"] == 0 else None

        r = ctx.run("color", graph, method, reference=chi, recheck=recheck)
        colors = r.get("objective")
        rows.append(
            {
                "instance": inst.name,
                "n": graph.n,
                "m": graph.m,
                "method": method,
                "colors": None if colors is None else int(colors),
                "chi": chi,
                "at_chi": None if chi is None or colors is None else bool(colors <= chi),
                "conflicts": seen.get("conflicts"),
                "time_s": r.get("time_s"),
                "timings": r.get("timings"),
                "found_by": r.get("found_by"),
                "dsatur_colors": None if ds is None else int(ds.objective),
                "dsatur_time_s": None if ds is None else ds.time_s,
                "recheck": r.get("recheck"),
                "error": r.get("error"),
            }
        )
    return rows


def _summary(rows: list[dict]) -> dict:
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    out: dict[str, Any] = {"methods": {}}
    for meth, rs in by_method.items():
        known = [r for r in rs if r["chi"] is not None]
        out["methods"][meth] = {
            "instances": len(rs),
            "fraction_at_chi": mean_of([float(bool(r["at_chi"])) for r in known]),
            "at_chi": sum(1 for r in known if r["at_chi"]),
            "with_chi": len(known),
            "mean_time_s": mean_of([r["time_s"] for r in rs]),
            "mean_excess_colors": mean_of(
                [r["colors"] - r["chi"] for r in known if r["colors"] is not None]
            ),
            "dsatur_fraction_at_chi": mean_of(
                [
                    float(r["dsatur_colors"] <= r["chi"])
                    for r in known
                    if r["dsatur_colors"] is not None
                ]
            ),
        }
    return out


_COLUMNS = (
    "instance",
    "n",
    "m",
    "method",
    "colors",
    "chi",
    "at_chi",
    "conflicts",
    "time_s",
    "found_by",
    "dsatur_colors",
    "recheck",
    "error",
)

SUITES_BY_NAME = {
    "color": register_suite(
        Suite(
            "color",
            ("color",),
            "Graph colouring on PI-GNN's DIMACS set + le450_5/15/25 a-b (<data>/dimacs_color/"
            "*.col) vs the known chromatic number; smallest q found, DSatur side by side",
            "dimacs_color",
            60.0,
            _COLUMNS,
            instances=_default_instances,
            rows=_rows,
            summarize=_summary,
        )
    ),
    "color-all": register_suite(
        Suite(
            "color-all",
            ("color",),
            "Graph colouring on every DIMACS COLOR graph of <data>/dimacs_color/ (χ where known)",
            "dimacs_color",
            60.0,
            _COLUMNS,
            instances=_all_instances,
            rows=_rows,
            summarize=_summary,
        )
    ),
}
