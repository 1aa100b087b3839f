"""Benchmark harness: run registered methods over a suite, next to classical baselines.

Every row comes from :func:`dnnsolve.solve` and reports only the verified
``Result.objective`` / ``Result.feasible``; the harness re-checks the returned
solution once more with the independent NumPy functions of
:mod:`dnnsolve.baselines` (column ``recheck``).
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import platform
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..baselines import cpsat_maxcut, cpsat_mis, greedy_maxcut, greedy_mis, maxcut_value, mis_value
from ..core.device import device_name, resolve_device
from ..core.errors import InputError
from ..core.result import _jsonable, atomic_write_text
from ..graph import Graph
from .generators import er_suite_graph, random_regular
from .references import ER_ANCHORS, GSET_BEST_KNOWN, PIGNN_GSET, SATLIB_TEST_MEAN_OPTIMUM


@dataclass(frozen=True)
class Suite:
    """A named benchmark: which problem(s), where the instances come from, default budget."""

    name: str
    problems: tuple[str, ...]
    description: str
    data_subdir: str | None  # folder under the data dir, None for generated suites
    default_time_limit: float
    columns: tuple[str, ...]


SUITES: dict[str, Suite] = {
    "gset": Suite(
        "gset",
        ("maxcut",),
        "MaxCut on the 71 Gset graphs (<data>/gset/G*.txt) vs best-known cuts, PI-GNN's "
        "published values and a greedy + 1-flip baseline",
        "gset",
        60.0,
        (
            "graph",
            "n",
            "m",
            "method",
            "cut",
            "best_known",
            "ratio",
            "time_s",
            "pignn",
            "greedy_cut",
            "greedy_time_s",
            "cpsat_cut",
            "cpsat_time_s",
            "error",
        ),
    ),
    "satlib-mis": Suite(
        "satlib-mis",
        ("mis",),
        "MIS on SATLIB CBS 3-SAT graphs (<data>/satlib_mis_cbs/cnf/*.cnf); optimum = "
        "number of clauses; CP-SAT and min-degree greedy side by side",
        "satlib_mis_cbs/cnf",
        20.0,
        (
            "instance",
            "n",
            "m",
            "method",
            "size",
            "optimum",
            "at_optimum",
            "time_s",
            "cpsat_size",
            "cpsat_optimal",
            "cpsat_time_s",
            "greedy_size",
            "error",
        ),
    ),
    "er": Suite(
        "er",
        ("mis",),
        "MIS on 128 generated Erdős–Rényi graphs, n uniform in [700, 800], p = 0.15 "
        "(seeds seed+i); CP-SAT at the method's wall time and greedy",
        None,
        30.0,
        (
            "instance",
            "n",
            "m",
            "method",
            "size",
            "time_s",
            "cpsat_size",
            "cpsat_time_s",
            "cpsat_bound",
            "greedy_size",
            "error",
        ),
    ),
    "regular": Suite(
        "regular",
        ("maxcut", "mis"),
        "Scaling on random 3-regular graphs, n = 100 × 10^k up to max_n (10^5 on CPU, "
        "10^6 on CUDA): MaxCut and MIS time and peak memory per n",
        None,
        120.0,
        (
            "problem",
            "n",
            "m",
            "method",
            "objective",
            "per_n",
            "time_s",
            "peak_mem_mb",
            "mem_start_mb",
            "mem_kind",
            "greedy_objective",
            "greedy_time_s",
            "error",
        ),
    ),
}

#: graphs up to this many vertices get a CP-SAT column in the gset suite by default
CPSAT_AUTO_MAX_N = 200


@dataclass
class BenchReport:
    """What :func:`run_suite` wrote: all rows, the summary and the two output files."""

    suite: str
    rows: list[dict]
    json_path: Path
    markdown_path: Path
    markdown: str
    summary: dict
    hardware: dict = field(default_factory=dict)


@dataclass
class _Instance:
    name: str
    load: Callable[[], Graph]
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------- data and instances


def default_data_dir() -> Path | None:
    """``$DNNSOLVE_DATA``, else ``../shared/datasets`` from the cwd or from a source checkout."""
    candidates = []
    if os.environ.get("DNNSOLVE_DATA"):
        candidates.append(Path(os.environ["DNNSOLVE_DATA"]))
    checkout = Path(__file__).resolve().parents[3]  # src/dnnsolve/bench/ → repository root
    candidates += [
        Path.cwd().parent / "shared" / "datasets",
        checkout.parent / "shared" / "datasets",
    ]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _data_folder(suite: Suite, data: Path | None) -> Path:
    base = Path(data) if data is not None else default_data_dir()
    if base is None:
        raise InputError(
            f"suite {suite.name!r} needs a datasets folder containing {suite.data_subdir}/; "
            "pass --data DIR or set DNNSOLVE_DATA"
        )
    folder = base / str(suite.data_subdir)
    if not folder.is_dir():
        raise InputError(
            f"suite {suite.name!r} expects the folder {folder} (i.e. <data>/{suite.data_subdir}/)",
            str(base),
        )
    return folder


def _file_instances(folder: Path, pattern: str, suite: Suite) -> list[_Instance]:
    from ..io import read_graph

    files = sorted(folder.glob(pattern), key=lambda p: _natural_key(p.name))
    if not files:
        raise InputError(f"no {pattern} files in {folder} (needed by suite {suite.name!r})")
    fmt = "gset" if suite.name == "gset" else None
    return [
        _Instance(p.name.split(".")[0], lambda p=p: read_graph(p, format=fmt), {"path": str(p)})
        for p in files
    ]


def select_instances(names: list[str], spec: str | None) -> list[str]:
    """Names matching ``spec``: comma-separated exact names, globs or ranges like ``G1-G10``.

    >>> select_instances(["G1", "G2", "G10", "G14"], "G1-G10,G14")
    ['G1', 'G2', 'G10', 'G14']
    """
    if not spec:
        return list(names)
    keep: set[str] = set()
    for tok in (t.strip() for t in spec.split(",")):
        if not tok:
            continue
        rng = re.fullmatch(r"([A-Za-z_]*)(\d+)-\1?(\d+)", tok)
        hit = [n for n in names if n == tok or fnmatch.fnmatchcase(n, tok)]
        if rng and not hit:
            pre, lo, hi = rng.group(1), int(rng.group(2)), int(rng.group(3))
            for n in names:
                m = re.fullmatch(re.escape(pre) + r"(\d+)", n)
                if m and lo <= int(m.group(1)) <= hi:
                    hit.append(n)
        if not hit:
            raise InputError(f"no instance matches {tok!r} (have e.g. {', '.join(names[:5])})")
        keep.update(hit)
    return [n for n in names if n in keep]


def _regular_sizes(max_n: int) -> list[int]:
    sizes, n = [], 100
    while n <= max_n:
        sizes.append(n)
        n *= 10
    return sizes


def _instances(
    suite: Suite, data: Path | None, seed: int, max_n: int | None, dev: torch.device
) -> list[_Instance]:
    if suite.name == "gset":
        return _file_instances(_data_folder(suite, data), "G*.txt", suite)
    if suite.name == "satlib-mis":
        return _file_instances(_data_folder(suite, data), "*.cnf", suite)
    if suite.name == "er":
        return [
            _Instance(f"er-{i:03d}", lambda i=i: er_suite_graph(i, seed), {"seed": seed + i})
            for i in range(128)
        ]
    top = max_n if max_n is not None else (10**6 if dev.type == "cuda" else 10**5)
    return [
        _Instance(f"reg3-n{n}", lambda n=n: random_regular(n, 3, seed + n), {"seed": seed + n})
        for n in _regular_sizes(top)
    ]


# ---------------------------------------------------------------- environment and memory


def hardware_info(device: torch.device, command: str | None = None) -> dict:
    """Platform, CPU model, cores, library versions and device name for the report."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from .. import __version__

    try:
        import ortools

        ortools_version = ortools.__version__
    except Exception:  # pragma: no cover - ortools is a dependency
        ortools_version = None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "ortools": ortools_version,
        "dnnsolve": __version__,
        "device": device_name(device),
        "command": command,
    }


def _rss_mb(field_name: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


@contextmanager
def _peak_memory(device: torch.device) -> Iterator[dict]:
    """Measure peak memory of the enclosed block: CUDA allocator peak, or CPU peak RSS.

    On Linux the RSS high-water mark is reset through /proc/self/clear_refs, so
    the CPU figure belongs to this block; elsewhere it is the process peak so far.
    """
    info: dict[str, Any] = {}
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        yield info
        torch.cuda.synchronize(device)
        info["peak_mem_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
        info["mem_kind"] = "cuda_max_allocated"
        return
    info["mem_start_mb"] = _rss_mb("VmRSS")
    reset = False
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        pass
    yield info
    hwm = _rss_mb("VmHWM") if reset else None
    if hwm is not None:
        info["peak_mem_mb"] = hwm
        info["mem_kind"] = "cpu_peak_rss"
    else:
        scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
        info["peak_mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024.0
        info["mem_kind"] = "cpu_process_max_rss"


# ---------------------------------------------------------------- running one method


def _recheck(problem: str, graph: Graph, solution: Any) -> float | None:
    """Objective of ``Result.solution`` recomputed by :mod:`dnnsolve.baselines`.

    Solutions are vertex-id lists (as written by ``solution_output``); None when
    the format is not recognised or the set is not independent.
    """
    if isinstance(solution, dict):
        solution = solution.get("vertices", solution.get("solution"))
    if not isinstance(solution, (list, tuple, np.ndarray)):
        return None
    try:
        if graph.ids is None:
            idx = np.asarray(solution, dtype=np.int64) - 1
        else:
            where = {(k.item() if hasattr(k, "item") else k): i for i, k in enumerate(graph.ids)}
            idx = np.array([where[k] for k in solution], dtype=np.int64)
    except (KeyError, TypeError, ValueError):
        return None
    if len(idx) and (idx.min() < 0 or idx.max() >= graph.n):
        return None
    mask = np.zeros(graph.n, dtype=bool)
    mask[idx] = True
    if problem == "maxcut":
        return maxcut_value(graph, mask)
    if problem == "mis":
        obj, ok = mis_value(graph, mask)
        return obj if ok else None
    return None


def _run_method(
    problem: str,
    graph: Graph,
    method: str,
    *,
    device: torch.device,
    time_limit: float,
    seed: int,
    reference: float | None,
    options: dict | None,
) -> dict:
    """One ``dnnsolve.solve`` call → row fields; exceptions become an ``error`` field."""
    from ..methods import solve

    t0 = time.perf_counter()
    try:
        r = solve(
            problem,
            graph,
            method=method,
            device=device,
            time_limit=time_limit,
            seed=seed,
            reference=reference,
            options=options,
        )
    except Exception as exc:
        return {
            "objective": None,
            "feasible": False,
            "time_s": None,
            "wall_s": time.perf_counter() - t0,
            "error": f"{type(exc).__name__}: {exc}",
        }
    wall = time.perf_counter() - t0
    objective = r.objective if r.feasible else None
    re_obj = _recheck(problem, graph, r.solution) if objective is not None else None
    return {
        "objective": objective,
        "feasible": bool(r.feasible),
        "time_s": r.time_s,
        "wall_s": wall,
        "recheck": None if re_obj is None else bool(abs(re_obj - objective) < 1e-6),
        "found_by": r.found_by,
        "stop_reason": r.stop_reason,
        "steps": r.steps,
        "restarts": r.restarts,
        "device": r.device,
        "error": None,
    }


# ---------------------------------------------------------------- per-suite rows


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _gset_rows(inst, graph, methods_, ctx) -> list[dict]:
    best = GSET_BEST_KNOWN.get(inst.name)
    base: dict[str, Any] = {
        "graph": inst.name,
        "n": graph.n,
        "m": graph.m,
        "best_known": best,
        "pignn": PIGNN_GSET.get(inst.name),
        "pignn_ratio": _ratio(PIGNN_GSET.get(inst.name), best),
    }
    if ctx["baselines"]:
        g = greedy_maxcut(graph)
        base.update(
            greedy_cut=g.objective, greedy_ratio=_ratio(g.objective, best), greedy_time_s=g.time_s
        )
        use_cpsat = ctx["cpsat"] if ctx["cpsat"] is not None else graph.n <= CPSAT_AUTO_MAX_N
        if use_cpsat:
            c = cpsat_maxcut(graph, ctx["time_limit"], seed=ctx["seed"])
            base.update(
                cpsat_cut=c.objective,
                cpsat_bound=c.bound,
                cpsat_optimal=c.optimal,
                cpsat_time_s=c.time_s,
            )
    rows = []
    for meth in methods_:
        out = _run_method("maxcut", graph, meth, reference=best, **ctx["run"])
        rows.append(
            {
                **base,
                "method": meth,
                "cut": out["objective"],
                "ratio": _ratio(out["objective"], best),
                **out,
            }
        )
    return rows


def _satlib_rows(inst, graph, methods_, ctx) -> list[dict]:
    opt = graph.meta.get("n_clauses")
    base: dict[str, Any] = {"instance": inst.name, "n": graph.n, "m": graph.m, "optimum": opt}
    if ctx["baselines"]:
        g = greedy_mis(graph)
        c = cpsat_mis(graph, ctx["time_limit"], seed=ctx["seed"])
        base.update(
            greedy_size=g.objective,
            greedy_time_s=g.time_s,
            cpsat_size=c.objective,
            cpsat_optimal=c.optimal,
            cpsat_bound=c.bound,
            cpsat_status=c.status,
            cpsat_time_s=c.time_s,
        )
    rows = []
    for meth in methods_:
        out = _run_method("mis", graph, meth, reference=opt, **ctx["run"])
        size = out["objective"]
        rows.append(
            {
                **base,
                "method": meth,
                "size": size,
                "at_optimum": None if opt is None or size is None else bool(size >= opt),
                **out,
            }
        )
    return rows


def _er_rows(inst, graph, methods_, ctx) -> list[dict]:
    base: dict[str, Any] = {"instance": inst.name, "n": graph.n, "m": graph.m, **inst.meta}
    if ctx["baselines"]:
        g = greedy_mis(graph)
        base.update(greedy_size=g.objective, greedy_time_s=g.time_s)
    rows = []
    for meth in methods_:
        out = _run_method("mis", graph, meth, reference=None, **ctx["run"])
        row = {**base, "method": meth, "size": out["objective"], **out}
        if ctx["baselines"]:
            # CP-SAT gets the wall time the method used (its whole budget if it failed)
            budget = out["wall_s"] if out["error"] is None else ctx["time_limit"]
            c = cpsat_mis(graph, max(budget, 0.1), seed=ctx["seed"])
            row.update(
                cpsat_size=c.objective,
                cpsat_time_limit=budget,
                cpsat_time_s=c.time_s,
                cpsat_bound=c.bound,
                cpsat_optimal=c.optimal,
                cpsat_status=c.status,
            )
        rows.append(row)
    return rows


def _regular_rows(inst, graph, methods_by_problem, ctx) -> list[dict]:
    rows = []
    dev = ctx["run"]["device"]
    for problem, meths in methods_by_problem.items():
        base: dict[str, Any] = {"problem": problem, "n": graph.n, "m": graph.m, **inst.meta}
        if ctx["baselines"]:
            g = greedy_maxcut(graph) if problem == "maxcut" else greedy_mis(graph)
            base.update(greedy_objective=g.objective, greedy_time_s=g.time_s)
        for meth in meths:
            with _peak_memory(dev) as mem:
                out = _run_method(problem, graph, meth, reference=None, **ctx["run"])
            obj = out["objective"]
            rows.append(
                {
                    **base,
                    "method": meth,
                    "per_n": None if obj is None else obj / graph.n,
                    **mem,
                    **out,
                }
            )
    return rows


# ---------------------------------------------------------------- summaries


def _mean(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return float(np.mean(xs)) if xs else None


def _gnum(name: str) -> int:
    m = re.search(r"(\d+)", name)
    return int(m.group(1)) if m else -1


def _summarize(suite: str, rows: list[dict]) -> dict:
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    out: dict[str, Any] = {"methods": {}, "errors": sum(1 for r in rows if r.get("error"))}
    if suite == "gset":
        for meth, rs in by_method.items():
            lo = [r["ratio"] for r in rs if _gnum(r["graph"]) <= 54]
            hi = [r["ratio"] for r in rs if _gnum(r["graph"]) >= 55]
            out["methods"][meth] = {
                "graphs": len(rs),
                "mean_ratio_G1_G54": _mean(lo),
                "graphs_G1_G54": len(lo),
                "mean_ratio_G55_G81": _mean(hi),
                "graphs_G55_G81": len(hi),
                "mean_time_s": _mean([r["time_s"] for r in rs]),
            }
        first = next(iter(by_method.values()), [])
        if first and "greedy_ratio" in first[0]:
            out["greedy"] = {
                "mean_ratio_G1_G54": _mean(
                    [r["greedy_ratio"] for r in first if _gnum(r["graph"]) <= 54]
                ),
                "mean_ratio_G55_G81": _mean(
                    [r["greedy_ratio"] for r in first if _gnum(r["graph"]) >= 55]
                ),
                "mean_time_s": _mean([r["greedy_time_s"] for r in first]),
            }
    elif suite in ("satlib-mis", "er"):
        for meth, rs in by_method.items():
            s = {
                "graphs": len(rs),
                "mean_size": _mean([r["size"] for r in rs]),
                "mean_time_s": _mean([r["time_s"] for r in rs]),
            }
            if suite == "satlib-mis":
                hits = [r["at_optimum"] for r in rs if r["at_optimum"] is not None]
                s["fraction_at_optimum"] = _mean([float(h) for h in hits])
                s["mean_optimum"] = _mean([r["optimum"] for r in rs])
            if rs and "cpsat_size" in rs[0]:
                s["cpsat_mean_size"] = _mean([r["cpsat_size"] for r in rs])
                s["cpsat_mean_time_s"] = _mean([r["cpsat_time_s"] for r in rs])
                s["cpsat_fraction_optimal"] = _mean([float(r["cpsat_optimal"]) for r in rs])
            if rs and "greedy_size" in rs[0]:
                s["greedy_mean_size"] = _mean([r["greedy_size"] for r in rs])
            out["methods"][meth] = s
        if suite == "er":
            out["anchors_mean_size"] = dict(ER_ANCHORS)
        else:
            out["anchor_mean_optimum_500_test_graphs"] = SATLIB_TEST_MEAN_OPTIMUM
    elif suite == "regular":
        for meth, rs in by_method.items():
            for problem in sorted({r["problem"] for r in rs}):
                sub = [r for r in rs if r["problem"] == problem and r["time_s"]]
                slope = None
                if len(sub) >= 2:
                    # log-log slope of time vs n: ≈ 1 means linear growth
                    slope = float(
                        np.polyfit(
                            np.log([r["n"] for r in sub]), np.log([r["time_s"] for r in sub]), 1
                        )[0]
                    )
                out["methods"][f"{problem}/{meth}"] = {
                    "sizes": [r["n"] for r in sub],
                    "time_s": [r["time_s"] for r in sub],
                    "peak_mem_mb": [r.get("peak_mem_mb") for r in sub],
                    "per_n": [r["per_n"] for r in sub],
                    "time_loglog_slope": slope,
                }
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.4f}" if abs(v) < 10 else f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict], columns: list[str] | tuple[str, ...]) -> str:
    """A GitHub Markdown table of ``rows`` restricted to ``columns`` (missing → "–").

    >>> print(markdown_table([{"a": 1, "b": 0.5}], ["a", "b"]))
    | a | b |
    |---|---|
    | 1 | 0.5000 |
    """
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def _summary_lines(suite: str, summary: dict) -> list[str]:
    lines = []
    for meth, s in summary["methods"].items():
        parts = [
            f"{k} = "
            + ("[" + ", ".join(_fmt(x) for x in v) + "]" if isinstance(v, list) else _fmt(v))
            for k, v in s.items()
        ]
        lines.append(f"- **{meth}**: " + ", ".join(parts))
    for key in ("greedy", "anchors_mean_size"):
        if key in summary:
            lines.append(
                f"- **{key}**: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in summary[key].items())
            )
    if "anchor_mean_optimum_500_test_graphs" in summary:
        lines.append(
            "- optimum averaged over the full 500-graph test split: "
            f"{summary['anchor_mean_optimum_500_test_graphs']}"
        )
    if summary.get("errors"):
        lines.append(f"- rows with errors: {summary['errors']}")
    return lines


def _markdown(suite: Suite, rows, summary, hw, settings) -> str:
    cols = [c for c in suite.columns if any(c in r for r in rows)] or list(suite.columns)
    head = [
        f"# dnnsolve bench: {suite.name}",
        "",
        suite.description + ".",
        "",
        f"- hardware: {hw['cpu']} ({hw['cores']} cores), {hw['platform']}; device "
        f"{hw['device']}; torch {hw['torch']}, ortools {hw['ortools']}",
        "- settings: " + ", ".join(f"{k} = {v}" for k, v in settings.items()),
    ]
    if hw.get("command"):
        head.append(f"- command: `{hw['command']}`")
    return "\n".join(
        [
            *head,
            "",
            markdown_table(rows, cols),
            "",
            "## Summary",
            "",
            *_summary_lines(suite.name, summary),
            "",
        ]
    )


# ---------------------------------------------------------------- entry point


def _resolve_methods(suite: Suite, methods: list[str] | None) -> tuple[dict[str, list[str]], list]:
    """Per problem, the methods to run (default: the problem's default method)."""
    from ..methods import get_method
    from ..methods import methods as registry

    chosen: dict[str, list[str]] = {}
    notes = []
    for problem in suite.problems:
        try:
            table = registry(problem)
        except InputError:
            if len(suite.problems) == 1:
                raise
            notes.append(f"no methods registered for {problem}; skipped")
            continue
        if methods is None:
            chosen[problem] = [get_method(problem).name]
        elif len(suite.problems) == 1:
            chosen[problem] = [get_method(problem, m).name for m in methods]
        else:
            chosen[problem] = [m for m in methods if m in table]
    if methods is not None and len(suite.problems) > 1:
        known = {m for ms in chosen.values() for m in ms}
        unknown = [m for m in methods if m not in known]
        if unknown:
            raise InputError(
                f"unknown method(s) {', '.join(unknown)} for suite {suite.name!r} "
                f"(problems {', '.join(suite.problems)})"
            )
    chosen = {p: ms for p, ms in chosen.items() if ms}
    if not chosen:
        raise InputError(f"no method to run for suite {suite.name!r}")
    return chosen, notes


def _out_paths(out: Path, suite: str) -> tuple[Path, Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem, k = f"{suite}-{stamp}", 1
    while (out / f"{stem}.json").exists() or (out / f"{stem}.md").exists():
        stem, k = f"{suite}-{stamp}-{k}", k + 1
    return out / f"{stem}.json", out / f"{stem}.md"


def run_suite(
    suite: str,
    *,
    data: Path | None = None,
    out: Path = Path("bench-out"),
    device: str = "auto",
    methods: list[str] | None = None,
    time_limit: float | None = None,
    limit: int | None = None,
    instances: str | None = None,
    seed: int = 0,
    baselines: bool = True,
    progress: bool = True,
    command: str | None = None,
    cpsat: bool | None = None,
    max_n: int | None = None,
    options: dict | None = None,
    resume: Path | None = None,
) -> BenchReport:
    """Run ``suite`` and write ``<out>/<suite>-<timestamp>.json`` and ``.md``.

    ``methods`` default to each problem's default method; ``time_limit`` (seconds
    per instance and method) defaults to the suite's; ``instances`` selects a
    subset (``"G14,G15"``, ``"G1-G10"``, globs) and ``limit`` keeps the first K.
    ``cpsat`` forces (True) or disables (False) the CP-SAT column of the gset
    suite (default: only graphs with ≤ 200 vertices); ``max_n`` caps the regular
    suite (default 10^5 on CPU, 10^6 on CUDA). A method that fails on an
    instance gives a row with ``error`` set and the run goes on.

    The JSON and Markdown files are rewritten (atomically) after every
    instance, with ``"complete": false`` until the end, so an interrupted run
    keeps what it finished; ``resume`` (such a JSON file) continues it in place,
    skipping the instances it already holds.

    >>> import tempfile
    >>> rep = run_suite("regular", max_n=100, time_limit=2, progress=False,
    ...                 device="cpu", out=Path(tempfile.mkdtemp()))  # doctest: +SKIP
    >>> rep.rows[0]["n"]  # doctest: +SKIP
    100
    """
    if suite not in SUITES:
        raise InputError(f"unknown benchmark suite {suite!r}; choose from {', '.join(SUITES)}")
    if time_limit is not None and time_limit <= 0:
        raise InputError("time limit must be positive")
    if limit is not None and limit < 1:
        raise InputError("limit must be at least 1")
    s = SUITES[suite]
    dev = resolve_device(device)
    chosen, notes = _resolve_methods(s, methods)
    tl = float(time_limit) if time_limit is not None else s.default_time_limit
    insts = _instances(s, data, seed, max_n, dev)
    keep = set(select_instances([i.name for i in insts], instances))
    insts = [i for i in insts if i.name in keep][: limit or None]
    hw = hardware_info(dev, command)
    ctx = {
        "baselines": baselines,
        "cpsat": cpsat,
        "time_limit": tl,
        "seed": seed,
        "run": {"device": dev, "time_limit": tl, "seed": seed, "options": options},
    }
    settings = {
        "methods": {p: ms for p, ms in chosen.items()},
        "time_limit_s": tl,
        "seed": seed,
        "instances": len(insts),
        "baselines": baselines,
    }
    rows: list[dict] = []
    done: list[str] = []
    if resume is not None:
        rows, done, json_path, md_path = _load_partial(Path(resume), suite, settings)
    else:
        json_path, md_path = _out_paths(Path(out), suite)

    def write(complete: bool) -> tuple[str, dict]:
        summary = _summarize(suite, [r for r in rows if "time_s" in r])
        if notes:
            summary["notes"] = notes
        md = _markdown(s, rows, summary, hw, settings)
        doc = {
            "suite": suite,
            "description": s.description,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "complete": complete,
            "done": done,
            "hardware": hw,
            "settings": settings,
            "rows": rows,
            "summary": summary,
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(json_path, json.dumps(_jsonable(doc), indent=2) + "\n")
        atomic_write_text(md_path, md)
        return md, summary

    insts = [i for i in insts if i.name not in set(done)]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=False,
    )
    try:
        with bar:
            task = bar.add_task(suite, total=len(insts))
            for inst in insts:
                _run_instance(suite, inst, chosen, ctx, rows, bar, task)
                done.append(inst.name)
                write(complete=False)
    except KeyboardInterrupt:
        Console(stderr=True).print(
            f"interrupted: {len(done)} instance(s) kept in {json_path}; "
            f"continue with --resume {json_path}"
        )
        raise
    md, summary = write(complete=True)
    return BenchReport(suite, rows, json_path, md_path, md, summary, hw)


def _run_instance(suite: str, inst, chosen: dict, ctx: dict, rows: list, bar, task) -> None:
    """Append the rows of one instance (an ``error`` row if it cannot be loaded)."""
    bar.update(task, description=f"{suite}: {inst.name}")
    try:
        graph = inst.load()
    except Exception as exc:
        rows.append(
            {
                "instance" if suite != "gset" else "graph": inst.name,
                "method": ",".join(m for ms in chosen.values() for m in ms),
                "error": f"{type(exc).__name__}: {exc}",
            }
        )
    else:
        if suite == "gset":
            rows += _gset_rows(inst, graph, chosen["maxcut"], ctx)
        elif suite == "satlib-mis":
            rows += _satlib_rows(inst, graph, chosen["mis"], ctx)
        elif suite == "er":
            rows += _er_rows(inst, graph, chosen["mis"], ctx)
        else:
            rows += _regular_rows(inst, graph, chosen, ctx)
    bar.advance(task)


def _load_partial(
    path: Path, suite: str, settings: dict
) -> tuple[list[dict], list[str], Path, Path]:
    """Rows, finished instance names and output paths of a run to resume."""
    try:
        doc = json.loads(path.read_text())
        rows, done = list(doc["rows"]), [str(x) for x in doc["done"]]
        old = doc["settings"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot resume from {path}: not a dnnsolve bench JSON ({exc})") from exc
    if doc.get("suite") != suite:
        raise InputError(
            f"cannot resume from {path}: it is a {doc.get('suite')!r} run, not {suite!r}"
        )
    for key in ("methods", "time_limit_s", "seed", "baselines"):
        if old.get(key) != _jsonable(settings[key]):
            raise InputError(
                f"cannot resume from {path}: it ran with {key} = {old.get(key)!r}, "
                f"this run asks for {settings[key]!r}; use the same options"
            )
    return rows, done, path, path.with_suffix(".md")
