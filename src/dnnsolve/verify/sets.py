"""Rechecking MIS, clique, vertex-cover, colouring (``color``) and ``k-coloring`` results,
and the bounds beside them, from the input graph alone.

The answer: the set (ids of the input) is independent / a clique / a cover, the colouring
proper, and the recorded objective is its weight (vertex weights of the input), its number
of colours or its conflicting edges. The bound: its certificate, read with the definitions
below, proves a value; the recorded bound may be weaker than that but not stronger, the
answer may not beat it, and the recorded gap must follow from bound and objective.

Certificates (``bound_method``: form; what it proves):

* ``clique-cover`` / ``fractional-clique-cover`` (mis; vertex-cover as Σw − it):
  ``{"cliques": [[id, …], …], "weights": [y, …]}``, weights optional (default: each clique's
  heaviest vertex weight); α_w ≤ Σ y when every vertex v has Σ_{C ∋ v} y_C ≥ w_v.
* ``coloring`` / ``fractional-coloring`` (clique): ``{"classes": …, "weights": …}``, the same
  with independent sets: ω_w ≤ Σ y.
* ``edge-packing`` (vertex-cover): ``{"edges": [[id, id], …], "weights": [y, …]}`` (default
  1); τ_w ≥ Σ y when every vertex carries Σ_{e ∋ v} y_e ≤ w_v.
* ``clique`` (color): ``{"clique": [id, …]}``; χ ≥ its size.
* ``clique-packing`` (k-coloring): ``{"k": k, "cliques": […]}``, edge-disjoint cliques;
  conflicts ≥ Σ t(|C|, k), t(s, k) the monochromatic pairs of s vertices in k balanced classes.

A covering sum left short by floating point (an LP's answer, within 1e-6 of the weight)
counts, the value scaled by max_v w_v / covered_v so that it stays proven (a packing: by
min_v w_v / load_v). Integral weights make the optimum an integer: upper bounds are rounded
down, lower bounds up, after a tolerance of 1e-6·max(1, |value|) that only weakens them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError
from ..io import read_graph
from . import Failed

#: relative slack on a covering / packing constraint (floating point of an LP's answer)
SLACK = 1e-6
#: relative tolerance before rounding a proven value on an integral optimum
ROUND = 1e-6
#: relative tolerance of the comparisons of recorded numbers
TOL = 1e-9

_SENSE = {
    "mis": "max", "clique": "max", "vertex-cover": "min", "color": "min", "k-coloring": "min",
    "rrr-color": "min",
}  # fmt: skip


class _Graph:
    """The input read once: edges as sorted keys u·n + v (u < v), weights, ids → indices."""

    def __init__(self, path: Path, fmt: str | None):
        g = read_graph(path, format=fmt)
        self.n = g.n
        self.src = np.asarray(g.src, dtype=np.int64)
        self.dst = np.asarray(g.dst, dtype=np.int64)
        a, b = np.minimum(self.src, self.dst), np.maximum(self.src, self.dst)
        self.keys = np.unique(a * max(self.n, 1) + b)
        self.w = np.ones(g.n) if g.node_weight is None else np.asarray(g.node_weight, float)
        self.integral = bool(np.all(self.w == np.round(self.w)))
        labels = g.ids if g.ids is not None else np.arange(1, g.n + 1)
        self.ids = [x.item() if hasattr(x, "item") else x for x in labels]
        self.index = {str(x): i for i, x in enumerate(self.ids)}
        if len(self.index) != self.n:
            raise InputError("the input's vertex ids are not distinct", path=str(path))

    def vertices(self, ids: Any, what: str) -> np.ndarray:
        """Indices of a list of ids (Failed on an unknown id or one listed twice)."""
        if not isinstance(ids, list):
            raise Failed(f"{what} is not a list of vertex ids")
        out = np.empty(len(ids), dtype=np.int64)
        for i, x in enumerate(ids):
            j = self.index.get(str(x))
            if j is None:
                raise Failed(f"{what} names vertex {x!r}, not in the input")
            out[i] = j
        if len(np.unique(out)) != len(out):
            dup = next(x for x in ids if sum(str(y) == str(x) for y in ids) > 1)
            raise Failed(f"{what} lists vertex {dup!r} twice")
        return out

    def colours(self, table: Any, what: str) -> np.ndarray:
        """The colour of every vertex from ``{id: colour}`` (Failed if one is missing / bad)."""
        if not isinstance(table, dict):
            raise Failed(f"{what} is not a table of vertex id → colour")
        by = {str(k): v for k, v in table.items()}
        if len(by) != len(table):
            raise Failed(f"{what} gives a vertex two colours")
        extra = set(by) - set(self.index)
        if extra:
            raise Failed(f"{what} names vertex {sorted(extra)[0]!r}, not in the input")
        col = np.empty(self.n, dtype=np.int64)
        for i, x in enumerate(self.ids):
            c = by.get(str(x))
            if c is None:
                raise Failed(f"{what} gives vertex {x!r} no colour")
            if isinstance(c, bool) or not isinstance(c, (int, float)) or c != int(c):
                raise Failed(f"{what} gives vertex {x!r} the colour {c!r}, not an integer")
            col[i] = int(c)
        return col

    def pair_keys(self, s: np.ndarray) -> np.ndarray:
        a, b = np.triu_indices(len(s), 1)
        u, v = s[a], s[b]
        return np.minimum(u, v) * max(self.n, 1) + np.maximum(u, v)

    def is_edge(self, keys: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, max(len(self.keys) - 1, 0))
        return (self.keys[pos] == keys) if len(self.keys) else np.zeros(len(keys), bool)

    def missing_edge(self, s: np.ndarray) -> tuple[Any, Any] | None:
        """Two members of ``s`` that are not adjacent (None: ``s`` is a clique)."""
        keys = self.pair_keys(s)
        bad = np.flatnonzero(~self.is_edge(keys))
        if not len(bad):
            return None
        k = int(keys[bad[0]])
        return self.ids[k // max(self.n, 1)], self.ids[k % max(self.n, 1)]

    def inside_edge(self, s: np.ndarray) -> tuple[Any, Any] | None:
        """An edge with both ends in ``s`` (None: ``s`` is independent)."""
        if len(s) * (len(s) - 1) // 2 <= 4 * max(len(self.src), 1):
            keys = self.pair_keys(s)
            hit = np.flatnonzero(self.is_edge(keys))
            if not len(hit):
                return None
            k = int(keys[hit[0]])
            return self.ids[k // max(self.n, 1)], self.ids[k % max(self.n, 1)]
        mask = np.zeros(self.n, bool)
        mask[s] = True
        hit = np.flatnonzero(mask[self.src] & mask[self.dst])
        if not len(hit):
            return None
        return self.ids[self.src[hit[0]]], self.ids[self.dst[hit[0]]]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


# --------------------------------------------------------------------------- the answer


def _check_set(problem: str, g: _Graph, result: dict) -> tuple[list[str], float]:
    sel = g.vertices(result.get("solution"), "the solution")
    mask = np.zeros(g.n, bool)
    mask[sel] = True
    weight = math.fsum(g.w[sel].tolist())
    if problem == "mis":
        bad = int(np.count_nonzero(mask[g.src] & mask[g.dst]))
        ok, why = bad == 0, f"{bad} edges have both ends in the set"
        holds = "independent"
    elif problem == "clique":
        k = len(sel)
        inside = int(np.count_nonzero(mask[g.src] & mask[g.dst]))
        ok, why = inside == k * (k - 1) // 2, f"{k * (k - 1) // 2 - inside} pairs are not adjacent"
        holds = "a clique"
    else:
        bad = int(np.count_nonzero(~mask[g.src] & ~mask[g.dst]))
        ok, why = bad == 0, f"{bad} edges are not covered"
        holds = "a cover"
    _same_feasible(result, ok, why)
    _same_objective(result, weight, "the set's weight")
    state = holds if ok else f"not {holds} ({why}), as recorded"
    return [f"{problem}: {len(sel)} vertices of {g.n}, {state}, weight {weight:g}"], weight


def _same_feasible(result: dict, ok: bool, why: str) -> None:
    recorded = bool(result.get("feasible"))
    if recorded != ok:
        raise Failed(f"feasible {recorded} recorded, but {why if not ok else 'it is feasible'}")


def _same_objective(result: dict, value: float, what: str) -> None:
    rec = result.get("objective")
    if rec is None:
        return
    if not _number(rec) or not _close(float(rec), value):
        raise Failed(f"objective {rec!r} recorded, but {what} is {value:g}")


def _check_color(g: _Graph, result: dict) -> tuple[list[str], float]:
    sol = result.get("solution")
    if not isinstance(sol, dict):
        raise Failed("the solution is not {colors, coloring}")
    col = g.colours(sol.get("coloring"), "the colouring")
    if np.any(col < 1):
        raise Failed("the colouring uses a colour below 1")
    used = len(np.unique(col)) if g.n else 0
    if sol.get("colors") != used:
        raise Failed(f"colors {sol.get('colors')!r} recorded, but the colouring uses {used}")
    bad = int(np.count_nonzero(col[g.src] == col[g.dst]))
    _same_feasible(result, bad == 0, f"{bad} edges join equal colours")
    _same_objective(result, float(used), "the number of colours")
    state = "proper" if bad == 0 else f"{bad} conflicting edges, as recorded"
    return [f"color: {used} colours on {g.n} vertices, {state}"], float(used)


def _k_of(sol: Any) -> tuple[int, Any]:
    if not isinstance(sol, dict):
        raise Failed("the solution is not {k, colors}")
    if isinstance(sol.get("coloring"), dict):  # the colour family's form
        k, table = sol.get("k", sol.get("colors")), sol["coloring"]
    else:
        k, table = sol.get("k"), sol.get("colors")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise Failed(f"the number of colours k {k!r} is not a positive integer")
    return k, table


def _check_k_coloring(g: _Graph, result: dict) -> tuple[list[str], float]:
    k, table = _k_of(result.get("solution"))
    col = g.colours(table, "the colouring")
    out = int(np.count_nonzero((col < 1) | (col > k)))
    bad = int(np.count_nonzero(col[g.src] == col[g.dst]))
    ok = bad == 0 and out == 0
    _same_feasible(result, ok, f"{bad} edges join equal colours, {out} colours outside 1..{k}")
    _same_objective(result, float(bad), "the number of conflicting edges")
    state = "proper" if ok else f"{bad} conflicting edges, {out} colours out of range, as recorded"
    return [f"k-coloring: {k} colours on {g.n} vertices, {state}"], float(bad)


# --------------------------------------------------------------------------- certificates


def _sets(g: _Graph, cert: dict, key: str) -> list[np.ndarray]:
    raw = cert.get(key)
    if not isinstance(raw, list):
        raise Failed(f"the certificate has no list {key!r}")
    return [g.vertices(s, f"{key}[{i}] of the certificate") for i, s in enumerate(raw)]


def _set_weights(g: _Graph, cert: dict, sets: list[np.ndarray], heaviest: bool) -> np.ndarray:
    """The certificate's weights, or (absent) each set's heaviest vertex weight / 1."""
    raw = cert.get("weights")
    if raw is None:
        if heaviest:
            return np.array([float(g.w[s].max()) if len(s) else 0.0 for s in sets])
        return np.ones(len(sets))
    if not isinstance(raw, list) or len(raw) != len(sets):
        raise Failed("the certificate's weights do not match its sets one for one")
    if not all(_number(y) and y >= 0 for y in raw):
        raise Failed("a weight of the certificate is negative or not a number")
    return np.asarray(raw, dtype=float)


def _cover(g: _Graph, cert: dict, key: str, kind: str) -> tuple[float, str]:
    """The value of a weighted cover by cliques / independent sets (kind), checked."""
    sets = _sets(g, cert, key)
    for i, s in enumerate(sets):
        pair = g.missing_edge(s) if kind == "clique" else g.inside_edge(s)
        if pair is not None:
            how = "not adjacent" if kind == "clique" else "adjacent"
            raise Failed(
                f"{key}[{i}] of the certificate is not {_a(kind)}: {pair[0]!r} and "
                f"{pair[1]!r} are {how}"
            )
    y = _set_weights(g, cert, sets, heaviest=True)
    cov = np.zeros(g.n)
    for s, ys in zip(sets, y):
        cov[s] += ys
    need = g.w > 0
    short = np.flatnonzero(need & (cov < g.w * (1 - SLACK)))
    if len(short):
        v = int(short[0])
        raise Failed(
            f"vertex {g.ids[v]!r} (weight {g.w[v]:g}) is covered {cov[v]:g} by the "
            f"certificate's {key}"
        )
    scale = max(1.0, float(np.max(g.w[need] / cov[need], initial=0.0)))
    value = math.fsum(y.tolist()) * scale
    what = key if kind == "clique" else f"{key} (independent sets)"
    return value, f"{len(sets)} {what} cover every vertex's weight: {value:.10g}"


def _a(kind: str) -> str:
    return "a clique" if kind == "clique" else "an independent set"


def _packing(g: _Graph, cert: dict) -> tuple[float, str]:
    raw = cert.get("edges")
    if not isinstance(raw, list):
        raise Failed("the certificate has no list 'edges'")
    ends = [g.vertices(e, f"edges[{i}] of the certificate") for i, e in enumerate(raw)]
    if any(len(e) != 2 for e in ends):
        raise Failed("an entry of the certificate's edges is not a pair")
    pairs = np.array(ends, dtype=np.int64).reshape(-1, 2)
    keys = np.minimum(pairs[:, 0], pairs[:, 1]) * max(g.n, 1) + np.maximum(pairs[:, 0], pairs[:, 1])
    bad = np.flatnonzero(~g.is_edge(keys))
    if len(bad):
        raise Failed(f"edges[{int(bad[0])}] of the certificate is not an edge of the input")
    if len(np.unique(keys)) != len(keys):
        raise Failed("the certificate lists an edge twice")
    y = _set_weights(g, cert, ends, heaviest=False)
    load = np.bincount(pairs[:, 0], y, g.n) + np.bincount(pairs[:, 1], y, g.n)
    over = np.flatnonzero(load > g.w * (1 + SLACK))
    if len(over):
        v = int(over[0])
        raise Failed(
            f"vertex {g.ids[v]!r} (weight {g.w[v]:g}) carries {load[v]:g} of the "
            "certificate's edge packing"
        )
    loaded = load > g.w
    scale = min(1.0, float(np.min(g.w[loaded] / load[loaded], initial=1.0)))
    value = math.fsum(y.tolist()) * scale
    return value, f"{len(raw)} edges packed within every vertex's weight: {value:.10g}"


def _pairs(s: int, k: int) -> int:
    q, r = divmod(s, k)
    return r * (q + 1) * q // 2 + (k - r) * q * (q - 1) // 2


def _proven(problem: str, method: str, g: _Graph, cert: dict, result: dict) -> tuple[float, str]:
    """The unrounded value the certificate proves, and what was checked."""
    if problem == "mis" and method in ("clique-cover", "fractional-clique-cover"):
        return _cover(g, cert, "cliques", "clique")
    if problem == "clique" and method in ("coloring", "fractional-coloring"):
        return _cover(g, cert, "classes", "independent set")
    if problem == "vertex-cover" and method == "edge-packing":
        return _packing(g, cert)
    if problem == "vertex-cover" and method in ("clique-cover", "fractional-clique-cover"):
        alpha, what = _cover(g, cert, "cliques", "clique")
        total = math.fsum(g.w.tolist())
        return total - alpha, f"{what}; total weight {total:g} − that"
    if problem == "color" and method == "clique":
        clique = g.vertices(cert.get("clique"), "the certificate's clique")
        pair = g.missing_edge(clique)
        if pair is not None:
            raise Failed(
                f"the certificate's clique is not one: {pair[0]!r} and {pair[1]!r} are not adjacent"
            )
        return float(len(clique)), f"a clique of {len(clique)} vertices"
    if problem == "k-coloring" and method == "clique-packing":
        k, _ = _k_of(result.get("solution"))
        if cert.get("k") != k:
            raise Failed(f"the certificate is for k = {cert.get('k')!r}, the answer for k = {k}")
        cliques = _sets(g, cert, "cliques")
        seen: set[int] = set()
        for i, s in enumerate(cliques):
            pair = g.missing_edge(s)
            if pair is not None:
                raise Failed(f"cliques[{i}] of the certificate is not a clique")
            keys = g.pair_keys(s).tolist()
            if not seen.isdisjoint(keys):
                raise Failed(f"cliques[{i}] of the certificate shares an edge with another")
            seen.update(keys)
        value = float(sum(_pairs(len(s), k) for s in cliques))
        return value, f"{len(cliques)} edge-disjoint cliques force {value:g} conflicts"
    raise Failed(f"bound method {method!r} is not one that {problem} results use")


def _check_bound(problem: str, g: _Graph, result: dict, cert: Any) -> list[str]:
    sense = _SENSE[problem]
    recorded = result.get("bound")
    if not _number(recorded):
        raise Failed(f"bound {recorded!r} is not a finite number")
    if not isinstance(cert, dict):
        raise Failed("a bound is recorded without its certificate")
    method = str(result.get("bound_method"))
    value, what = _proven(problem, method, g, cert, result)
    integral = g.integral or problem in ("color", "k-coloring")
    slack = ROUND * max(1.0, abs(value))
    if integral:
        value = float(math.floor(value + slack) if sense == "max" else math.ceil(value - slack))
    tol = TOL * max(1.0, abs(value))
    if (sense == "max" and recorded < value - tol) or (sense == "min" and recorded > value + tol):
        raise Failed(f"bound {recorded:g} recorded, but the certificate proves only {value:g}")
    objective = result.get("objective")
    if objective is not None and result.get("feasible"):
        beats = objective > value + tol if sense == "max" else objective < value - tol
        if beats:
            raise Failed(f"the objective {objective:g} beats the proven bound {value:g}")
    lines = [f"{method}: {what}; bound {recorded:g} {'≥' if sense == 'max' else '≤'} {value:g}"]
    if objective is not None:
        lines.append(_check_gap(result, float(objective), float(recorded), sense))
    return lines


def _check_gap(result: dict, objective: float, bound: float, sense: str) -> str:
    diff = bound - objective if sense == "max" else objective - bound
    if abs(diff) <= TOL * max(1.0, abs(bound), abs(objective)):
        gap: float | None = 0.0
    else:
        gap = None if bound == 0 else diff / abs(bound)
    rec = result.get("gap")
    if (rec is None) != (gap is None) or (
        gap is not None and (not _number(rec) or abs(rec - gap) > TOL * max(1.0, abs(gap)))
    ):
        raise Failed(
            f"gap {rec!r} recorded, but objective {objective:g} and bound {bound:g} give {gap!r}"
        )
    return f"gap {gap:.6g} = |bound − objective| / |bound|" if gap is not None else "gap undefined"


# --------------------------------------------------------------------------- entry point


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    """Recheck a result of mis, clique, vertex-cover, color or k-coloring (and its bound)."""
    if problem not in _SENSE:
        raise InputError(f"dnnsolve.verify.sets does not check {problem!r} results")
    if result.get("sense") not in (None, _SENSE[problem]):
        raise Failed(f"sense {result.get('sense')!r} recorded; {problem} is a {_SENSE[problem]}")
    g = _Graph(Path(input), fmt)
    if problem in ("mis", "clique", "vertex-cover"):
        lines, _ = _check_set(problem, g, result)
    elif problem in ("color", "rrr-color"):  # RRR's colouring answers in the same form
        lines, _ = _check_color(g, result)
    else:
        lines, _ = _check_k_coloring(g, result)
    if result.get("bound") is not None:
        lines += _check_bound(problem, g, result, certificate)
    return lines
