"""Benchmark harness: run registered methods over a suite, next to classical baselines.

The harness knows no problem. A :class:`Suite` (registered with
:func:`register_suite`, one module per family in :mod:`dnnsolve.bench.suites`)
lists its instances, turns one instance into table rows and summarizes them;
the harness selects instances, runs them with progress, measures memory and
writes the JSON and Markdown files after every instance (``--resume``).

Every row comes from :func:`dnnsolve.solve` through :meth:`SuiteContext.run` and
reports only the verified ``Result.objective`` / ``Result.feasible`` (``objective`` only for
a feasible answer; an infeasible one's, e.g. SAT's falsified clauses, is
``infeasible_objective``) and ``Result.status`` as ``result_status``; a suite may
re-check the returned solution once more with an independent function (column
``recheck``).
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
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core.device import device_name, resolve_device
from ..core.errors import InputError
from ..core.result import TIMING_KEYS, atomic_write_text, jsonable
from ..data import default_data_dir


@dataclass
class Instance:
    """One benchmark instance: a name, how to load it, and metadata for the rows."""

    name: str
    load: Callable[[], Any]
    meta: dict = field(default_factory=dict)


#: the ablation rows of ``dnnsolve bench SUITE --ablation``: solver settings that switch the
#: stages of a default run off, each run at the same wall time as the default
ABLATION_VARIANTS: dict[str, dict[str, Any]] = {
    # decode + repair of the trained network, no local search, no classical heuristic
    "network-only": {"polish": False, "baseline": False},
    # the local search from the untrained network's (random) starts
    "random+polish": {"steps": 0, "baseline": False},
    # the local search from copies of the classical heuristic's answer
    "baseline+polish": {"network": False, "warm_start": 1.0},
    # the classical heuristic alone
    "baseline": {"network": False, "polish": False},
}


#: ``--option`` keys a suite reads itself, never passed to the methods
SUITE_KEYS = ("peers",)

#: ``--option`` keys under their former names (the vocabulary of the family options): still
#: taken, renamed with a note
FORMER_OPTIONS = {"iterations": "steps", "max_iter": "steps"}


def current_option_names(options: dict | None) -> tuple[dict | None, list[str]]:
    """``options`` with the former names of :data:`FORMER_OPTIONS` renamed, and one note per
    renamed key.

    >>> current_option_names({"iterations": 300, "crop": 64})
    ({'steps': 300, 'crop': 64}, ['iterations is deprecated; use steps'])
    """
    if not options:
        return options, []
    from ..family import deprecation_note

    renamed: dict = {}
    notes = []
    for key, value in options.items():
        new = FORMER_OPTIONS.get(key)
        if new is None:
            renamed[key] = value
            continue
        if new in options or new in renamed:
            raise InputError(f"option {key} is the former name of {new}; give only {new}")
        renamed[new] = value
        notes.append(deprecation_note(key, new))
    return renamed, notes


@dataclass
class SuiteContext:
    """What a suite's functions receive: the run's options and a way to run a method.

    With ``ablation`` set, every :meth:`run` also runs the :data:`ABLATION_VARIANTS` of the
    same method at the same time limit and adds their verified objectives to the row as
    columns named after the variants (None where the variant found nothing verified).
    """

    device: torch.device
    time_limit: float
    seed: int
    baselines: bool = True
    exact: bool | None = None  # force / skip the exact (CP-SAT, CaDiCaL) column
    max_n: int | None = None
    data: Path | None = None
    options: dict | None = None
    ablation: bool = False

    def method_options(self) -> dict:
        """``options`` less the suite's own keys (``peers``): what the methods receive."""
        return {k: v for k, v in (self.options or {}).items() if k not in SUITE_KEYS}

    def peers(self) -> list[str]:
        """The peer tools ``--option peers=a,b`` asks for (none by default)."""
        text = str((self.options or {}).get("peers", "none"))
        return [] if text in ("", "none") else [p.strip() for p in text.split(",") if p.strip()]

    def data_folder(self, suite: Suite, subdir: str | None = None) -> Path:
        """``<data>/<subdir>`` (default: the suite's ``data_subdir``), checked to exist."""
        return _data_folder(suite, self.data, subdir)

    def run(
        self,
        problem: str,
        instance: Any,
        method: str,
        *,
        reference: float | None = None,
        recheck: Callable[[Any], float | None] | None = None,
        options: dict | None = None,
        time_limit: float | None = None,
        config: dict | None = None,
    ) -> dict:
        """One ``dnnsolve.solve`` call → row fields (``objective``, ``time_s``, ``error``...).

        ``recheck(solution)`` recomputes the objective of ``Result.solution``
        independently (None when it is not valid); the row's ``recheck`` is
        whether it agrees. ``config`` overrides solver settings (``SolverConfig`` fields).
        """
        kw = dict(
            device=self.device,
            time_limit=self.time_limit if time_limit is None else time_limit,
            seed=self.seed,
            reference=reference,
            options={**self.method_options(), **(options or {})} or None,
            recheck=recheck,
        )
        row = _run_method(problem, instance, method, config=config, **kw)
        if self.ablation and not config:
            for variant, overrides in ABLATION_VARIANTS.items():
                other = _run_method(problem, instance, method, config=overrides, **kw)
                ok = other["objective"] is not None and other.get("recheck") is not False
                row[variant] = other["objective"] if ok else None
        return row


def _default_summary(rows: list[dict]) -> dict:
    """Per method: instances, mean objective, feasible fraction, mean time."""
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    return {
        "methods": {
            meth: {
                "instances": len(rs),
                "mean_objective": mean_of([r.get("objective") for r in rs]),
                "feasible_fraction": mean_of([float(bool(r.get("feasible"))) for r in rs]),
                "mean_time_s": mean_of([r.get("time_s") for r in rs]),
            }
            for meth, rs in by_method.items()
        }
    }


@dataclass(frozen=True)
class Suite:
    """A named benchmark: its problem(s), instances, rows and summary, default budget.

    ``instances(ctx)`` lists :class:`Instance` objects; ``rows(inst, loaded,
    methods_by_problem, ctx)`` runs the methods (and baselines) on one loaded
    instance and returns table rows; ``summarize(rows)`` returns a dict with a
    ``"methods"`` entry (per-method figures) and any suite-wide entries.
    """

    name: str
    problems: tuple[str, ...]
    description: str
    data_subdir: str | None  # folder under the data dir, None for generated suites
    default_time_limit: float
    columns: tuple[str, ...]
    instances: Callable[[SuiteContext], list[Instance]]
    rows: Callable[[Instance, Any, dict[str, list[str]], SuiteContext], list[dict]]
    summarize: Callable[[list[dict]], dict] = _default_summary
    key: str = "instance"  # the column that names the instance
    # methods that do not come from the dnnsolve.methods registry (e.g. image methods):
    # the names a run may ask for, and those run by default (default: the first)
    methods: tuple[str, ...] | None = None
    default_methods: tuple[str, ...] = ()


SUITES: dict[str, Suite] = {}


def option_int(v: Any, key: str, low: int = 1) -> int:
    """A suite option (``--option key=v``) as an integer ``>= low``, or a one-line error."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"option {key} must be an integer, got {v!r}") from None
    if not f.is_integer() or f < low:
        raise InputError(f"option {key} must be an integer >= {low}, got {v!r}")
    return int(f)


def option_float(v: Any, key: str) -> float:
    """A suite option as a finite number, or a one-line error."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"option {key} must be a number, got {v!r}") from None
    if not math.isfinite(f):
        raise InputError(f"option {key} must be finite, got {v!r}")
    return f


def register_suite(suite: Suite) -> Suite:
    """Make ``suite`` available to :func:`run_suite` and ``dnnsolve bench``."""
    SUITES[suite.name] = suite
    return suite


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


# ---------------------------------------------------------------- data and instances


def natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _data_folder(suite: Suite, data: Path | None, subdir: str | None = None) -> Path:
    subdir = subdir or suite.data_subdir
    base = Path(data) if data is not None else default_data_dir()
    if base is None:
        raise InputError(
            f"suite {suite.name!r} needs a datasets folder containing {subdir}/; "
            "pass --data DIR or set DNNSOLVE_DATA"
        )
    folder = base / str(subdir)
    if not folder.is_dir():
        raise InputError(
            f"suite {suite.name!r} expects the folder {folder} (i.e. <data>/{subdir}/)",
        )
    return folder


def file_instances(
    folder: Path, pattern: str, suite: Suite, load: Callable[[Path], Any]
) -> list[Instance]:
    """One :class:`Instance` per file matching ``pattern`` (natural order), loaded by ``load``."""
    files = sorted(folder.glob(pattern), key=lambda p: natural_key(p.name))
    if not files:
        raise InputError(f"no {pattern} files in {folder} (needed by suite {suite.name!r})")
    return [Instance(p.name.split(".")[0], lambda p=p: load(p), {"path": str(p)}) for p in files]


def select_instances(names: list[str], spec: str | None) -> list[str]:
    """Names matching ``spec``: comma-separated exact names, globs or ranges like ``G1-G10``.
    A name that itself holds commas (``kodim05@200,150``) may be given whole.

    >>> select_instances(["G1", "G2", "G10", "G14"], "G1-G10,G14")
    ['G1', 'G2', 'G10', 'G14']
    >>> select_instances(["a@1,2", "b@3,4", "c"], "b@3,4,c")
    ['b@3,4', 'c']
    """
    if not spec:
        return list(names)
    keep: set[str] = set()
    for tok in _tokens(spec, set(names)):
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


def _tokens(spec: str, names: set[str]) -> list[str]:
    """``spec`` split at commas, rejoining pieces that together spell an instance name."""
    parts = [t.strip() for t in spec.split(",")]
    out: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):  # the longest run of pieces that is a name
            joined = ",".join(parts[i:j])
            if j - i == 1 or joined in names:
                break
        if joined:
            out.append(joined)
        i = j
    return out


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
        "torch_threads": torch.get_num_threads(),
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
def peak_memory(device: torch.device) -> Iterator[dict]:
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


def solution_indices(graph: Any, solution: Any) -> np.ndarray | None:
    """0-based indices of a ``Result.solution`` vertex-id list (as ``solution_output`` writes).

    Ids are the input file's (``graph.ids``), else 1-based indices. None when the
    list cannot be read or names a vertex the graph does not have.

    >>> from dnnsolve.graph import Graph
    >>> solution_indices(Graph.from_edges(3, [(0, 1)]), [1, 3]).tolist()
    [0, 2]
    """
    if isinstance(solution, dict):
        solution = solution.get("vertices", solution.get("solution"))
    if not isinstance(solution, (list, tuple, np.ndarray)):
        return None
    try:
        if graph.ids is None:
            idx = np.asarray(solution, dtype=np.int64).reshape(-1) - 1
        else:
            where = {(k.item() if hasattr(k, "item") else k): i for i, k in enumerate(graph.ids)}
            idx = np.array([where[k] for k in solution], dtype=np.int64)
    except (KeyError, TypeError, ValueError):
        return None
    if len(idx) and (idx.min() < 0 or idx.max() >= graph.n):
        return None
    return idx


def vertex_set_recheck(
    graph: Any, value: Callable[[np.ndarray], float | tuple[float, bool]]
) -> Callable[[Any], float | None]:
    """A ``recheck`` for results whose solution lists vertex ids (a set, or one side of a cut).

    ``value(mask)`` is an independent evaluator of the 0/1 mask (int8): it returns the
    objective, or ``(objective, feasible)``; an unreadable or infeasible solution gives None.

    >>> from dnnsolve.graph import Graph
    >>> from dnnsolve.baselines import mis_value
    >>> g = Graph.from_edges(3, [(0, 1)])
    >>> check = vertex_set_recheck(g, lambda mask: mis_value(g, mask))
    >>> check([1, 3]), check([1, 2])  # ids are 1-based here; {1, 2} is not independent
    (2.0, None)
    """

    def check(solution: Any) -> float | None:
        idx = solution_indices(graph, solution)
        if idx is None:
            return None
        mask = np.zeros(graph.n, dtype=np.int8)
        mask[idx] = 1
        out = value(mask)
        if isinstance(out, tuple):
            obj, ok = out
            return obj if ok else None
        return out

    return check


def _run_method(
    problem: str,
    instance: Any,
    method: str,
    *,
    device: torch.device,
    time_limit: float,
    seed: int,
    reference: float | None,
    options: dict | None,
    recheck: Callable[[Any], float | None] | None = None,
    config: dict | None = None,
) -> dict:
    """One ``dnnsolve.solve`` call → row fields; exceptions become an ``error`` field."""
    from ..family import solve

    t0 = time.perf_counter()
    try:
        r = solve(
            problem,
            instance,
            method=method,
            device=device,
            time_limit=time_limit,
            seed=seed,
            reference_value=reference,
            options=options,
            **(config or {}),
        )
    except Exception as exc:
        return {
            "objective": None,
            "feasible": False,
            "result_status": None,
            "time_s": None,
            "wall_s": time.perf_counter() - t0,
            "error": f"{type(exc).__name__}: {exc}",
        }
    wall = time.perf_counter() - t0
    objective = r.objective if r.feasible else None
    re_obj = None
    if recheck is not None and objective is not None:
        try:
            re_obj = recheck(r.solution)
        except Exception:  # a solution the checker cannot read does not pass
            re_obj = None
    return {
        "objective": objective,
        "feasible": bool(r.feasible),
        "result_status": r.status,
        "infeasible_objective": None if r.feasible else r.objective,
        "time_s": r.time_s,
        "wall_s": wall,
        "recheck": None
        if recheck is None or objective is None
        else (re_obj is not None and bool(abs(re_obj - objective) < 1e-6)),
        "found_by": r.found_by,
        "stop_reason": r.stop_reason,
        "steps": r.steps,
        "restarts": r.restarts,
        "device": r.device,
        "timings": {k: v for k, v in (r.timings or {}).items() if k in TIMING_KEYS},
        "error": None,
    }


# ---------------------------------------------------------------- summaries


def mean_of(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return float(np.mean(xs)) if xs else None


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
        if abs(v) < 1e-2:  # PDE errors (1e-3 … 1e-6) would all print as 0.0000
            return f"{v:.2e}"
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


def _fmt_value(v: Any) -> str:
    return "[" + ", ".join(_fmt(x) for x in v) + "]" if isinstance(v, list) else _fmt(v)


def _summary_lines(summary: dict) -> list[str]:
    """Markdown bullets: one per method, then one per suite-wide entry."""
    lines = []
    for meth, s in summary.get("methods", {}).items():
        parts = [f"{k} = {_fmt_value(v)}" for k, v in s.items()]
        lines.append(f"- **{meth}**: " + ", ".join(parts))
    for key, val in summary.items():
        if key in ("methods", "errors", "notes"):
            continue
        if isinstance(val, dict) and val and all(isinstance(v, dict) for v in val.values()):
            for sub, figures in val.items():  # e.g. per family: one bullet each
                parts = [f"{k} = {_fmt_value(v)}" for k, v in figures.items()]
                lines.append(f"- **{key} {sub}**: " + ", ".join(parts))
        elif isinstance(val, dict):
            parts = [f"{k} = {_fmt_value(v)}" for k, v in val.items()]
            lines.append(f"- **{key}**: " + ", ".join(parts))
        else:
            lines.append(f"- {key}: {_fmt_value(val)}")
    for note in summary.get("notes", []):
        lines.append(f"- note: {note}")
    if summary.get("errors"):
        lines.append(f"- rows with errors: {summary['errors']}")
    return lines


#: the stages of a run, in the order they happen (``Result.timings`` keys without ``total_s``)
STAGES = tuple(k for k in TIMING_KEYS if k != "total_s")


def stage_split(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per method, the mean seconds per instance spent in each stage of the run
    (``Result.timings``), with ``total_s``; methods whose rows carry no timings are left out.

    >>> rows = [{"method": "m", "timings": {"optimize_s": 2.0, "polish_s": 1.0, "total_s": 3.5}}]
    >>> stage_split(rows)["m"]["polish_s"]
    1.0
    """
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("timings"):
            by_method.setdefault(r["method"], []).append(r["timings"])
    return {
        meth: {k: float(np.mean([t.get(k) or 0.0 for t in ts])) for k in (*STAGES, "total_s")}
        for meth, ts in by_method.items()
    }


def _stage_lines(rows: list[dict]) -> list[str]:
    """The "where the time went" table: mean seconds per stage and its share of the total."""
    split = stage_split(rows)
    if not split:
        return []
    lines = ["## Where the time went (mean s per instance, share of total)", ""]
    lines += ["| method | " + " | ".join(k[:-2] for k in STAGES) + " | total |"]
    lines += ["|---|" + "---|" * (len(STAGES) + 1)]
    for meth, t in split.items():
        total = t["total_s"] or sum(t[k] for k in STAGES) or 1.0
        cells = [f"{t[k]:.3g} ({100 * t[k] / total:.0f} %)" for k in STAGES]
        lines.append(f"| {meth} | " + " | ".join(cells) + f" | {t['total_s']:.3g} |")
    return [*lines, ""]


def markdown_report(suite: Suite, rows, summary, hw, settings) -> str:
    cols = [c for c in suite.columns if any(c in r for r in rows)] or list(suite.columns)
    cols += [v for v in ABLATION_VARIANTS if v not in cols and any(v in r for r in rows)]
    head = [
        f"# dnnsolve bench: {suite.name}",
        "",
        suite.description + ".",
        "",
        f"- hardware: {hw['cpu']} ({hw['cores']} cores), {hw['platform']}; device "
        f"{hw['device']}; torch {hw['torch']} ({hw.get('torch_threads')} threads), "
        f"ortools {hw['ortools']}",
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
            *_summary_lines(summary),
            "",
            *_stage_lines(rows),
        ]
    )


# ---------------------------------------------------------------- entry point


def resolve_methods(suite: Suite, methods: list[str] | None) -> tuple[dict[str, list[str]], list]:
    """Per problem, the methods to run (default: the problem's default method)."""
    from ..methods import get_method
    from ..methods import methods as registry

    if suite.methods is not None:  # the suite lists its own methods
        if methods is None:
            return {suite.problems[0]: list(suite.default_methods or suite.methods[:1])}, []
        if methods == ["none"]:  # the baselines alone
            return {suite.problems[0]: []}, ["no methods: baselines only"]
        unknown = [m for m in methods if m not in suite.methods]
        if unknown:
            raise InputError(
                f"unknown method(s) {', '.join(unknown)} for suite {suite.name!r}; "
                f"choose from {', '.join(suite.methods)}"
            )
        return {suite.problems[0]: list(dict.fromkeys(methods))}, []
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
    ablation: bool = False,
) -> BenchReport:
    """Run ``suite`` and write ``<out>/<suite>-<timestamp>.json`` and ``.md``.

    ``methods`` default to each problem's default method; ``time_limit`` (seconds
    per instance and method) defaults to the suite's; ``instances`` selects a
    subset (``"G14,G15"``, ``"G1-G10"``, globs) and ``limit`` keeps the first K.
    ``cpsat`` forces (True) or disables (False) the CP-SAT column of the gset
    suite (default: only graphs with ≤ 200 vertices); ``max_n`` caps the regular
    suite (default 10^5 on CPU, 10^6 on CUDA). ``ablation`` adds, for every method run, the
    :data:`ABLATION_VARIANTS` at the same time limit (columns named after them). A method that
    fails on an
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
    chosen, notes = resolve_methods(s, methods)
    options, renamed = current_option_names(options)
    for note in renamed:
        warnings.warn(note, DeprecationWarning, stacklevel=2)
    notes = [*notes, *renamed]
    tl = float(time_limit) if time_limit is not None else s.default_time_limit
    ctx = SuiteContext(
        device=dev,
        time_limit=tl,
        seed=seed,
        baselines=baselines,
        exact=cpsat,
        max_n=max_n,
        data=Path(data) if data is not None else None,
        options=options,
        ablation=ablation,
    )
    insts = s.instances(ctx)
    keep = set(select_instances([i.name for i in insts], instances))
    insts = [i for i in insts if i.name in keep][: limit or None]
    hw = hardware_info(dev, command)
    settings = {
        "methods": {p: ms for p, ms in chosen.items()},
        "time_limit_s": tl,
        "seed": seed,
        "instances": len(insts),
        "baselines": baselines,
    }
    if ablation:
        settings["ablation"] = list(ABLATION_VARIANTS)
    if options:
        settings["options"] = dict(options)
    rows: list[dict] = []
    done: list[str] = []
    if resume is not None:
        rows, done, json_path, md_path = _load_partial(Path(resume), suite, settings)
    else:
        json_path, md_path = _out_paths(Path(out), suite)

    def write(complete: bool) -> tuple[str, dict]:
        summary = s.summarize([r for r in rows if "time_s" in r])
        summary.setdefault("errors", sum(1 for r in rows if r.get("error")))
        if notes:
            summary["notes"] = notes
        md = markdown_report(s, rows, summary, hw, settings)
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
        atomic_write_text(json_path, json.dumps(jsonable(doc), indent=2) + "\n")
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
                _run_instance(s, inst, chosen, ctx, rows, bar, task)
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


def _run_instance(
    suite: Suite, inst: Instance, chosen: dict, ctx: SuiteContext, rows: list, bar, task
) -> None:
    """Append the rows of one instance (an ``error`` row if it cannot be loaded)."""
    bar.update(task, description=f"{suite.name}: {inst.name}")
    try:
        loaded = inst.load()
    except Exception as exc:
        rows.append(
            {
                suite.key: inst.name,
                "method": ",".join(m for ms in chosen.values() for m in ms),
                "error": f"{type(exc).__name__}: {exc}",
            }
        )
    else:
        rows += suite.rows(inst, loaded, chosen, ctx)
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
    for key in ("methods", "time_limit_s", "seed", "baselines", "options"):
        if old.get(key) != jsonable(settings.get(key)):
            raise InputError(
                f"cannot resume from {path}: it ran with {key} = {old.get(key)!r}, "
                f"this run asks for {settings.get(key)!r}; use the same options"
            )
    return rows, done, path, path.with_suffix(".md")


def _discover_suites() -> None:
    """Import every module of :mod:`dnnsolve.bench.suites` (each registers its suites)."""
    import importlib
    import pkgutil

    from . import suites

    for mod in pkgutil.iter_modules(suites.__path__):
        importlib.import_module(f"{suites.__name__}.{mod.name}")


_discover_suites()
