"""Rechecking a ``schedule`` result from the task-graph file (GML, GraphML or edge list).

The file is parsed here (NetworkX for GML / GraphML, a reader of its own for edge lists; the
attributes as :mod:`dnnsolve.schedule.graph` documents them: node ``memory`` / ``parameter`` /
``weight`` / ``mem`` / ``resource``, edge ``comm`` / ``parameter`` / ``weight`` /
``communication``, 1 when absent). The problem's settings come from the result: D
(``solution.num_stages``; the option ``stages`` when given, else the DAG's depth, which is
recomputed), the objective (``solution.objective_kind``), w and C (``solution.parts``) and
strict precedence (``extra.options.strict``). The stage of every node (``solution.stage``)
is checked for legality (integer stages in 0..D−1, s_u ≤ s_v — s_u < s_v when strict — on
every edge, every stage's memory within C) and the objective recomputed: balance
Σ_e c_e (s_v − s_u) + w·max_d M_d, latency max_i s_i + 1.

A bound is rechecked from its certificate (forms in :mod:`dnnsolve.bounds.schedule`, rewritten
here from the definitions): the counting argument it names (a node's memory, the memory of the
nodes whose window lies inside a stage interval, the communication of strict edges; for
latency the argument and its t) and, for ``schedule-lp-dual``, the Lagrangian value of its
multipliers (every multiplier finite and ≥ 0, every edge one of the file's).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..core.errors import InputError
from . import Failed

_NODE_KEYS = ("memory", "parameter", "weight", "mem", "resource")
_EDGE_KEYS = ("comm", "parameter", "weight", "communication")
_TRUE = ("1", "true", "yes", "on")
ROUND_ABS, ROUND_REL = 1e-6, 1e-9


class _Dag:
    """The task graph as arrays: node ids (strings), memory, edges u → v with comm."""

    def __init__(self, ids: list[str], memory: list[float], edges: list[tuple[int, int, float]]):
        self.ids = ids
        self.n = len(ids)
        self.index = {v: i for i, v in enumerate(ids)}
        self.memory = np.asarray(memory, dtype=np.float64)
        self.src = np.asarray([e[0] for e in edges], dtype=np.int64)
        self.dst = np.asarray([e[1] for e in edges], dtype=np.int64)
        self.comm = np.asarray([e[2] for e in edges], dtype=np.float64)
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n))
        g.add_edges_from(zip(self.src.tolist(), self.dst.tolist()))
        if not nx.is_directed_acyclic_graph(g):
            raise InputError("the task graph has a cycle")
        self.edge_set = set(zip(self.src.tolist(), self.dst.tolist()))
        order = list(nx.topological_sort(g))
        self.level = [0] * self.n  # longest path (edges) into each node
        for v in order:
            for u in g.predecessors(v):
                self.level[v] = max(self.level[v], self.level[u] + 1)
        self.height = [0] * self.n  # longest path out of each node
        for v in reversed(order):
            for u in g.successors(v):
                self.height[v] = max(self.height[v], self.height[u] + 1)
        self.depth = max(self.level) + 1 if self.n else 0


def _weight(attrs: dict, keys: tuple[str, ...], what: str, path: Path) -> float:
    for k in keys:
        if k in attrs:
            try:
                val = float(attrs[k])
            except (TypeError, ValueError):
                raise InputError(f"{what}: {k}={attrs[k]!r} is not a number", str(path)) from None
            if not math.isfinite(val) or val < 0:
                raise InputError(f"{what}: {k}={attrs[k]!r} must be finite and >= 0", str(path))
            return val
    return 1.0


def read_dag(path: Path, fmt: str | None) -> _Dag:
    """The task graph of ``path`` (format from ``fmt`` or the suffix)."""
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind in ("gml", "graphml", "xml"):
        try:
            g = nx.read_gml(path, label="id") if kind == "gml" else nx.read_graphml(path)
        except Exception as exc:  # NetworkX raises many kinds on malformed files
            raise InputError(f"cannot parse {kind.upper()}: {exc}", str(path)) from None
        if not g.is_directed():
            raise InputError("a task graph must be directed", str(path))
        if g.is_multigraph():
            g = nx.DiGraph(g)
        nodes = list(g.nodes())
        index = {v: i for i, v in enumerate(nodes)}
        memory = [_weight(g.nodes[v], _NODE_KEYS, f"node {v}", path) for v in nodes]
        edges = [
            (index[u], index[v], _weight(a, _EDGE_KEYS, f"edge {u}->{v}", path))
            for u, v, a in g.edges(data=True)
        ]
        return _Dag([str(v) for v in nodes], memory, edges)
    if kind not in ("el", "txt", "edgelist", "edges", ""):
        raise InputError(f"unknown task-graph format {kind!r}", str(path))
    ids: dict[str, int] = {}
    mem: dict[int, float] = {}
    edges = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        tok = raw.split("#", 1)[0].replace(",", " ").split()
        if not tok:
            continue
        if tok[0].lower() in ("node", "n") and len(tok) == 3:
            mem[ids.setdefault(tok[1], len(ids))] = float(tok[2])
        elif len(tok) in (2, 3):
            u, v = ids.setdefault(tok[0], len(ids)), ids.setdefault(tok[1], len(ids))
            edges.append((u, v, float(tok[2]) if len(tok) == 3 else 1.0))
        else:
            raise InputError(f"cannot read the line {raw!r}", str(path))
    names = sorted(ids, key=ids.__getitem__)
    return _Dag(names, [mem.get(i, 1.0) for i in range(len(names))], edges)


# --------------------------------------------------------------------------- settings


def _number(x: Any, what: str) -> float:
    try:
        val = float(x)
    except (TypeError, ValueError):
        raise Failed(f"{what} {x!r} is not a number") from None
    if not math.isfinite(val):
        raise Failed(f"{what} {x!r} is not finite")
    return val


def settings(result: dict, dag: _Dag) -> dict[str, Any]:
    """D, the objective, w, C and strictness the answer was found under (consistent with the
    options recorded)."""
    sol = result.get("solution")
    if not isinstance(sol, dict) or not isinstance(sol.get("stage"), dict):
        raise Failed("the solution holds no stage per node")
    opts = (result.get("extra") or {}).get("options") or {}
    parts = sol.get("parts") or {}
    D = sol.get("num_stages")
    if isinstance(D, bool) or not isinstance(D, int) or D < 1:
        raise Failed(f"num_stages {D!r} is not a positive integer")
    given = opts.get("stages")
    if given is not None:
        if _number(given, "option stages") != D:
            raise Failed(f"num_stages {D} recorded, but the option stages is {given!r}")
    elif dag.depth != D:
        raise Failed(
            f"num_stages {D} recorded without the option, but the DAG's depth is {dag.depth}"
        )
    kind = sol.get("objective_kind", opts.get("objective", "balance"))
    if kind not in ("balance", "latency") or kind != opts.get("objective", kind):
        raise Failed(f"objective kind {kind!r} recorded (option {opts.get('objective')!r})")
    w = _number(parts.get("memory_weight", opts.get("memory_weight", 1.0)), "memory weight")
    if "memory_weight" in opts and _number(opts["memory_weight"], "option memory_weight") != w:
        raise Failed(f"memory weight {w:g} recorded, option {opts['memory_weight']!r}")
    cap = parts.get("capacity", opts.get("capacity"))
    cap = None if cap is None else _number(cap, "capacity")
    if opts.get("capacity") is not None and _number(opts["capacity"], "option capacity") != cap:
        raise Failed(f"capacity {cap!r} recorded, option {opts['capacity']!r}")
    strict = str(opts.get("strict", False)).lower() in _TRUE
    return {"D": D, "kind": kind, "w": w, "capacity": cap, "strict": strict}


# --------------------------------------------------------------------------- the schedule


def recheck(dag: _Dag, stage_of: dict, s: dict[str, Any]) -> tuple[str | None, float, list]:
    """(what makes it illegal or None, objective, per-stage memory) of a stage map."""
    if set(stage_of) != set(dag.ids):
        missing = [v for v in dag.ids if v not in stage_of][:1]
        extra = [v for v in stage_of if v not in dag.index][:1]
        what = f"node {missing[0]} has no stage" if missing else f"unknown node {extra[0]!r}"
        raise Failed(f"solution: {what}")
    D = s["D"]
    stages = []
    for vid in dag.ids:
        x = stage_of[vid]
        if isinstance(x, bool) or not isinstance(x, (int, float)) or x != int(x):
            return f"node {vid}: stage {x!r} is not an integer", math.inf, []
        if not 0 <= x < D:
            return f"node {vid}: stage {int(x)} outside 0..{D - 1}", math.inf, []
        stages.append(int(x))
    need = 1 if s["strict"] else 0
    comm = []
    for u, v, c in zip(dag.src.tolist(), dag.dst.tolist(), dag.comm.tolist()):
        diff = stages[v] - stages[u]
        if diff < need:
            rel = "<" if s["strict"] else "<="
            return (
                f"edge {dag.ids[u]}->{dag.ids[v]}: stage {stages[u]} then {stages[v]} "
                f"(needs s_u {rel} s_v)",
                math.inf,
                [],
            )
        comm.append(c * diff)
    loads = [[] for _ in range(D)]
    for i, m in enumerate(dag.memory.tolist()):
        loads[stages[i]].append(m)
    load = [math.fsum(x) for x in loads]
    cap = s["capacity"]
    if cap is not None:
        for d, x in enumerate(load):
            if x > cap + 1e-9:
                return f"stage {d} holds memory {x:g} > capacity {cap:g}", math.inf, load
    if s["kind"] == "latency":
        return None, float(max(stages) + 1), load
    return None, math.fsum(comm) + s["w"] * max(load), load


# --------------------------------------------------------------------------- the bound


def _up(x: float) -> float:
    return float(math.ceil(x - ROUND_ABS - ROUND_REL * abs(x)))


def _integral(a: np.ndarray) -> bool:
    return bool(np.all(a == np.floor(a)))


def _windows(dag: _Dag, s: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    D = s["D"]
    if not s["strict"]:
        return np.zeros(dag.n, dtype=np.int64), np.full(dag.n, D - 1, dtype=np.int64)
    return np.asarray(dag.level), D - 1 - np.asarray(dag.height)


def _peak(dag: _Dag, s: dict[str, Any], arg: Any) -> float:
    """The peak bound the counting argument ``arg`` proves."""
    if not isinstance(arg, dict) or len(arg) != 1:
        raise Failed(f"certificate peak argument {arg!r} is not one of node / interval")
    if "node" in arg:
        if str(arg["node"]) not in dag.index:
            raise Failed(f"certificate peak node {arg['node']!r} is not in the graph")
        val = float(dag.memory[dag.index[str(arg["node"])]])
    elif "interval" in arg:
        iv = arg["interval"]
        if not (isinstance(iv, list) and len(iv) == 2 and all(isinstance(x, int) for x in iv)):
            raise Failed(f"certificate peak interval {iv!r} is not two stages")
        a, b = iv
        if not 0 <= a <= b < s["D"]:
            raise Failed(f"certificate peak interval {iv} is not inside 0..{s['D'] - 1}")
        lo, hi = _windows(dag, s)
        inside = (lo >= a) & (hi <= b)
        val = math.fsum(dag.memory[inside].tolist()) / (b - a + 1)
    else:
        raise Failed(f"certificate peak argument {arg!r} is not one of node / interval")
    return _up(val) if _integral(dag.memory) else val


def _multipliers(x: Any, size: int, what: str) -> np.ndarray:
    if not isinstance(x, list) or len(x) != size:
        raise Failed(f"certificate {what}: expected {size} multipliers")
    out = np.array([_number(v, f"certificate {what} multiplier") for v in x], dtype=np.float64)
    if np.any(out < 0):
        raise Failed(f"certificate {what}: a multiplier is negative")
    return out


def _lagrangian(dag: _Dag, s: dict[str, Any], lp: Any, peak: float) -> float:
    """The Lagrangian value the multipliers of ``lp`` prove (:mod:`dnnsolve.bounds.schedule`)."""
    if not s["strict"]:
        raise Failed("an LP certificate for a schedule without strict precedence")
    if not isinstance(lp, dict):
        raise Failed("the LP certificate is not an object")
    D, n = s["D"], dag.n
    lam_in = np.zeros(n)  # Σ λ of the edges into each node
    lam_out = np.zeros(n)
    lam_total = 0.0
    for entry in lp.get("edges") or []:
        if not isinstance(entry, list) or len(entry) != 3:
            raise Failed(f"certificate LP edge {entry!r}: expected two node ids and a multiplier")
        u, v = dag.index.get(str(entry[0])), dag.index.get(str(entry[1]))
        if u is None or v is None or (u, v) not in dag.edge_set:
            raise Failed(f"certificate LP edge {entry[0]}->{entry[1]} is not an edge of the DAG")
        lam = _number(entry[2], "certificate LP edge multiplier")
        if lam < 0:
            raise Failed(f"certificate LP edge {entry[0]}->{entry[1]}: negative multiplier")
        lam_in[v] += lam
        lam_out[u] += lam
        lam_total += lam
    mu = _multipliers(lp.get("stages"), D, "stage rows")
    cap = mu.copy()
    const = lam_total  # each strict edge: λ·(s_v − s_u − 1) ≥ 0
    if s["capacity"] is not None:
        nu = _multipliers(lp.get("capacity"), D, "capacity rows")
        cap += nu
        const -= s["capacity"] * float(nu.sum())
    elif lp.get("capacity"):
        raise Failed("capacity multipliers for a schedule without a capacity")
    rng = lp.get("peak_range")
    if not (isinstance(rng, list) and len(rng) == 2):
        raise Failed("the LP certificate has no peak_range [lo, hi]")
    lo_r, hi_r = _number(rng[0], "peak_range lo"), _number(rng[1], "peak_range hi")
    total_mem = math.fsum(dag.memory.tolist())
    if lo_r > peak + 1e-9 * max(1.0, abs(peak)):
        raise Failed(f"peak_range starts at {lo_r:g}, above the proven peak bound {peak:g}")
    if hi_r < total_mem or hi_r < lo_r:
        raise Failed(f"peak_range ends at {hi_r:g}, below the total memory {total_mem:g}")
    # σ_i: the comm slope of node i, Σ c into − Σ c out
    sigma = np.zeros(n)
    for u, v, c in zip(dag.src.tolist(), dag.dst.tolist(), dag.comm.tolist()):
        sigma[v] += c
        sigma[u] -= c
    coef = sigma - lam_in + lam_out
    lo, hi = _windows(dag, s)
    parts = [const]
    for i in range(n):
        if lo[i] > hi[i]:
            raise Failed(f"node {dag.ids[i]} has no legal stage among {D}")
        d = np.arange(lo[i], hi[i] + 1)
        parts.append(float(np.min(coef[i] * d + dag.memory[i] * cap[d])))
    r = s["w"] - float(mu.sum())
    parts.append(min(r * lo_r, r * hi_r))
    return math.fsum(parts)


def _latency_bound(dag: _Dag, s: dict[str, Any], cert: dict) -> float:
    arg, C = cert.get("argument"), s["capacity"]
    if arg == "one":
        return 1.0
    if arg == "depth" and s["strict"]:
        return float(dag.depth)
    if C is not None and arg == "total":
        return _up(math.fsum(dag.memory.tolist()) / C)
    if C is not None and arg == "big":
        return float(np.sum(dag.memory > C / 2))
    if C is not None and s["strict"] and arg in ("levels", "heights"):
        t = cert.get("t")
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise Failed(f"certificate t {t!r} is not a stage count")
        depth_of = dag.level if arg == "levels" else dag.height
        mem = math.fsum(m for m, k in zip(dag.memory.tolist(), depth_of) if k >= t)
        return t + _up(mem / C)
    raise Failed(f"certificate argument {arg!r} does not apply to this latency schedule")


def proven_bound(dag: _Dag, s: dict[str, Any], method: str, cert: dict) -> tuple[float, str]:
    """(the lower bound ``cert`` proves, how, in words)."""
    for key, want in (("objective", s["kind"]), ("stages", s["D"]), ("strict", s["strict"])):
        if key in cert and cert[key] != want:
            raise Failed(f"the certificate is for {key} {cert[key]!r}, the schedule's is {want!r}")
    if s["kind"] == "latency":
        if method != "schedule-counting":
            raise Failed(f"bound method {method!r} for a latency schedule")
        val = _latency_bound(dag, s, cert)
        return val, f"latency ≥ {val:g} by {cert.get('argument')}"
    if method not in ("schedule-counting", "schedule-lp-dual"):
        raise Failed(f"bound method {method!r} is not a schedule bound")
    peak = _peak(dag, s, cert.get("peak"))
    comm = cert.get("comm")
    if comm == "edges" and s["strict"]:
        comm_lb = math.fsum(dag.comm.tolist())
    elif comm == "none":
        comm_lb = 0.0
    else:
        raise Failed(f"certificate comm argument {comm!r} does not apply")
    value = comm_lb + s["w"] * peak
    how = f"counting: communication ≥ {comm_lb:g}, peak ≥ {peak:g}"
    if method == "schedule-lp-dual" or "lp" in cert:
        lag = _lagrangian(dag, s, cert.get("lp"), peak)
        integral = _integral(dag.memory) and _integral(dag.comm) and float(s["w"]).is_integer()
        lag = _up(lag) if integral else lag - 1e-9 * max(1.0, abs(lag))
        how += f"; LP multipliers: {lag:.12g}"
        value = max(value, lag)
    return value, how


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    dag = read_dag(Path(input), fmt)
    lines = [f"task graph: {dag.n} nodes, {len(dag.src)} edges, depth {dag.depth}"]
    if result.get("sense") != "min":
        raise Failed(f"sense {result.get('sense')!r} recorded, schedules are minimized")
    s = settings(result, dag)
    wrong, obj, _ = recheck(dag, result["solution"]["stage"], s)
    if bool(result.get("feasible")) != (wrong is None):
        raise Failed(
            f"feasible {result.get('feasible')} recorded, but {wrong or 'the schedule is legal'}"
        )
    rec = result.get("objective")
    if wrong is None:
        if not isinstance(rec, (int, float)) or abs(rec - obj) > 1e-9 * max(1.0, abs(obj)):
            raise Failed(f"objective {rec!r} recorded, the schedule's {s['kind']} is {obj:g}")
        lines.append(f"{s['D']} stages, {s['kind']} {obj:g}, legal")
    else:
        lines.append(f"not legal, as recorded ({wrong})")
    bound = result.get("bound")
    if bound is None:
        return lines
    if not isinstance(certificate, dict):
        raise Failed("a bound is recorded without its certificate")
    proven, how = proven_bound(dag, s, str(result.get("bound_method")), certificate)
    if bound > proven + 1e-9 * max(1.0, abs(proven)):
        raise Failed(f"bound {bound:g} recorded, the certificate proves only {proven:.12g}")
    lines.append(f"{how}: proves {proven:.12g}")
    if wrong is None:
        if bound > obj + 1e-9 * max(1.0, abs(obj)):
            raise Failed(f"bound {bound:g} is above the legal schedule's {obj:g}")
        diff = obj - bound
        gap = (
            0.0
            if abs(diff) <= 1e-9 * max(1.0, abs(bound), abs(obj))
            else (diff / abs(bound) if bound else None)
        )
        got = result.get("gap")
        if (gap is None) != (got is None) or (
            gap is not None and abs(got - gap) > 1e-9 * max(1.0, abs(gap))
        ):
            raise Failed(f"gap {got!r} recorded, objective and bound give {gap!r}")
        lines.append(f"gap {gap!r} of {obj:g} to bound {bound:g}")
    return lines
