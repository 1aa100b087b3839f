"""Rechecking the dominating-set family (``domset``, ``total-domset``, ``connected-domset``,
``disjunctive-domset``, ``liars-domset``, ``ve-domset``, ``dissociation``) from the graph file.

The answer (``solution``: the ids of the vertices in the set) is checked against each
problem's definition, written out again here on plain neighbour sets; the bound
(``covering-lp-dual``) is rechecked from its certificate: every row it names must be a
constraint the problem implies (rebuilt here from the definition: a closed neighbourhood, a
cut vertex, a 3-vertex path …), every dual entry finite and ≥ 0; then

    value = (Σ_rows y·b − Σ z) / α,   α = max(1, max_v (Σ_rows y·a_v − z_v))

is a lower bound on the optimum of the cover (weak duality for min 1ᵀx, Ax ≥ b, 0 ≤ x ≤ 1,
after scaling the duals to feasibility), ``ceil(value − 1e-6 − 1e-9·|value|)`` its integral
form, and for ``dissociation`` n minus that bounds |S| from above.
"""

from __future__ import annotations

import math
from collections import deque
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..io import read_graph
from . import Failed

MAXIMIZED = {"dissociation"}

#: the rows a certificate may name per problem: row kind → how many vertex ids name a row
ROW_KINDS: dict[str, dict[str, int]] = {
    "domset": {"closed": 1},
    "total-domset": {"open": 1},
    "connected-domset": {"closed": 1, "cut": 1},
    "disjunctive-domset": {"disjunctive": 1},
    "liars-domset": {"closed2": 1, "pair": 2},
    "ve-domset": {"edge": 2},
    "dissociation": {"star": 1, "path": 3},
}

ROUND_ABS, ROUND_REL = 1e-6, 1e-9


class _Graph:
    """The input as neighbour sets, with the map from the input's ids to positions."""

    def __init__(self, path: Path, fmt: str | None):
        g = read_graph(path, fmt)
        self.n = int(g.n)
        ids = list(range(1, self.n + 1)) if g.ids is None else [_plain(i) for i in g.ids]
        self.ids = ids
        self.index: dict[Any, int] = {}
        for i, vid in enumerate(ids):
            self.index[vid] = i
            self.index.setdefault(str(vid), i)
        self.nb: list[set[int]] = [set() for _ in range(self.n)]
        for u, v in zip(np.asarray(g.src).tolist(), np.asarray(g.dst).tolist()):
            if u != v:
                self.nb[u].add(v)
                self.nb[v].add(u)

    def vertex(self, vid: Any, what: str) -> int:
        if isinstance(vid, bool) or not isinstance(vid, (int, str, float)):
            raise Failed(f"{what}: {vid!r} is not a vertex id")
        key = int(vid) if isinstance(vid, float) and vid.is_integer() else vid
        if key in self.index:
            return self.index[key]
        if str(key) in self.index:
            return self.index[str(key)]
        raise Failed(f"{what}: vertex {vid!r} is not in the graph")

    def closed(self, v: int) -> set[int]:
        return self.nb[v] | {v}

    def at_distance_two(self, v: int) -> set[int]:
        out: set[int] = set()
        for u in self.nb[v]:
            out |= self.nb[u]
        return out - self.nb[v] - {v}


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


# --------------------------------------------------------------------------- definitions


def _dominated(g: _Graph, d: list[bool], v: int) -> bool:
    return d[v] or any(d[u] for u in g.nb[v])


def _connected(g: _Graph, d: list[bool]) -> bool:
    members = [v for v in range(g.n) if d[v]]
    if not members:
        return g.n == 0
    seen = {members[0]}
    todo = deque([members[0]])
    while todo:
        v = todo.popleft()
        for u in g.nb[v]:
            if d[u] and u not in seen:
                seen.add(u)
                todo.append(u)
    return len(seen) == len(members)


def _liars(g: _Graph, d: list[bool]) -> str | None:
    count = [sum(1 for u in g.closed(v) if d[u]) for v in range(g.n)]
    for v in range(g.n):
        if count[v] < 2:
            return f"vertex {g.ids[v]} sees {count[v]} vertices of the set in N[v] (needs 2)"
    # pairs whose closed neighbourhoods share no vertex of the set see at least 2 + 2: only
    # pairs inside some N[w], w in the set, can fall short
    checked: set[tuple[int, int]] = set()
    for w in range(g.n):
        if not d[w]:
            continue
        ball = sorted(g.closed(w))
        for i, u in enumerate(ball):
            for v in ball[i + 1 :]:
                if (u, v) in checked:
                    continue
                checked.add((u, v))
                seen = sum(1 for x in g.closed(u) | g.closed(v) if d[x])
                if seen < 3:
                    return (
                        f"vertices {g.ids[u]} and {g.ids[v]} see {seen} vertices of the set in "
                        "N[u] ∪ N[v] (needs 3)"
                    )
    return None


def violation(problem: str, g: _Graph, d: list[bool]) -> str | None:
    """What in the definition of ``problem`` the set ``d`` breaks first, or None."""
    if problem in ("domset", "connected-domset"):
        for v in range(g.n):
            if not _dominated(g, d, v):
                return f"vertex {g.ids[v]} is not dominated"
        if problem == "connected-domset" and not _connected(g, d):
            return "the set does not induce a connected subgraph"
        return None
    if problem == "total-domset":
        for v in range(g.n):
            if not any(d[u] for u in g.nb[v]):
                return f"vertex {g.ids[v]} has no neighbour in the set"
        return None
    if problem == "disjunctive-domset":
        for v in range(g.n):
            if _dominated(g, d, v):
                continue
            if sum(1 for u in g.at_distance_two(v) if d[u]) < 2:
                return f"vertex {g.ids[v]} is neither dominated nor two steps from 2 vertices"
        return None
    if problem == "liars-domset":
        return _liars(g, d)
    if problem == "ve-domset":
        for u in range(g.n):
            for w in g.nb[u]:
                if u < w and not any(d[x] for x in g.closed(u) | g.closed(w)):
                    return f"edge {g.ids[u]}-{g.ids[w]} is not dominated"
        return None
    if problem == "dissociation":
        for v in range(g.n):
            if d[v] and sum(1 for u in g.nb[v] if d[u]) > 1:
                return f"vertex {g.ids[v]} has more than one neighbour in the set"
        return None
    raise Failed(f"{problem} is not a problem of the dominating-set family")


# --------------------------------------------------------------------------- the bound


def _row(problem: str, g: _Graph, name: str, verts: list[int], cut: set[int] | None):
    """(coefficients {vertex: a}, right-hand side) of one certificate row, after checking
    that the row is a constraint ``problem`` implies."""
    if name in ("closed", "closed2"):
        (v,) = verts
        return dict.fromkeys(g.closed(v), 1.0), (1.0 if name == "closed" else 2.0)
    if name == "open":
        (v,) = verts
        return dict.fromkeys(g.nb[v], 1.0), 1.0
    if name == "cut":
        (v,) = verts
        if cut is None or v not in cut:
            raise Failed(f"certificate row cut {g.ids[v]}: not a cut vertex of the graph")
        return {v: 1.0}, 1.0
    if name == "disjunctive":
        (v,) = verts
        coef = dict.fromkeys(g.at_distance_two(v), 1.0)
        coef.update(dict.fromkeys(g.closed(v), 2.0))
        return coef, 2.0
    if name == "pair":
        u, v = verts
        if u == v:
            raise Failed(f"certificate row pair {g.ids[u]} {g.ids[v]}: not two vertices")
        return dict.fromkeys(g.closed(u) | g.closed(v), 1.0), 3.0
    if name == "edge":
        u, w = verts
        if w not in g.nb[u]:
            raise Failed(f"certificate row edge {g.ids[u]} {g.ids[w]}: not an edge")
        return dict.fromkeys(g.closed(u) | g.closed(w), 1.0), 1.0
    if name == "path":
        u, v, w = verts
        if u == w or u not in g.nb[v] or w not in g.nb[v]:
            raise Failed(
                f"certificate row path {g.ids[u]} {g.ids[v]} {g.ids[w]}: not a 3-vertex path"
            )
        return dict.fromkeys((u, v, w), 1.0), 1.0
    if name == "star":
        (v,) = verts
        k = len(g.nb[v])
        if k < 2:
            raise Failed(f"certificate row star {g.ids[v]}: vertex of degree {k} < 2")
        coef = dict.fromkeys(g.nb[v], 1.0)
        coef[v] = float(k - 1)
        return coef, float(k - 1)
    raise Failed(f"certificate row kind {name!r} is not one of {problem}'s")


def _entry(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise Failed(f"{what}: dual entry {x!r} is not a finite number")
    if x < 0:
        raise Failed(f"{what}: dual entry {x!r} is negative")
    return float(x)


def proven_bound(problem: str, g: _Graph, certificate: dict) -> tuple[float, float, float]:
    """(bound, unrounded value, α) that ``certificate`` proves for ``problem`` on ``g``."""
    rows = certificate.get("rows")
    if not isinstance(rows, dict):
        raise Failed("the certificate has no rows")
    allowed = ROW_KINDS[problem]
    cut = {int(v) for v in nx.articulation_points(_nx(g))} if "cut" in rows else None
    load = [0.0] * g.n  # Σ_rows y·a_v − z_v
    total = 0.0  # Σ_rows y·b − Σ z
    for name, entries in rows.items():
        if name not in allowed:
            raise Failed(f"certificate row kind {name!r} is not one of {problem}'s")
        if not isinstance(entries, list):
            raise Failed(f"certificate rows {name!r} are not a list")
        arity = allowed[name]
        for entry in entries:
            if not isinstance(entry, list) or len(entry) != arity + 1:
                raise Failed(f"certificate row {name} {entry!r}: expected {arity} ids and a dual")
            what = f"certificate row {name} {' '.join(map(str, entry[:-1]))}"
            verts = [g.vertex(x, what) for x in entry[:-1]]
            y = _entry(entry[-1], what)
            coef, rhs = _row(problem, g, name, verts, cut)
            for v, a in coef.items():
                load[v] += y * a
            total += y * rhs
    for entry in certificate.get("upper") or []:
        if not isinstance(entry, list) or len(entry) != 2:
            raise Failed(f"certificate upper-bound dual {entry!r}: expected an id and a dual")
        v = g.vertex(entry[0], "certificate upper-bound dual")
        z = _entry(entry[1], f"certificate upper-bound dual of {entry[0]}")
        load[v] -= z
        total -= z
    alpha = max([1.0, *load])
    value = total / alpha
    cover = float(math.ceil(value - ROUND_ABS - ROUND_REL * abs(value))) if g.n else 0.0
    bound = g.n - cover if problem in MAXIMIZED else cover
    return bound, value, alpha


def _nx(g: _Graph) -> nx.Graph:
    h = nx.Graph()
    h.add_nodes_from(range(g.n))
    h.add_edges_from((u, v) for u in range(g.n) for v in g.nb[u] if u < v)
    return h


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    if problem not in ROW_KINDS:
        raise Failed(f"{problem} is not a problem of the dominating-set family")
    g = _Graph(Path(input), fmt)
    lines = [f"graph: {g.n} vertices, {sum(len(s) for s in g.nb) // 2} edges"]
    sense = "max" if problem in MAXIMIZED else "min"
    if result.get("sense") != sense:
        raise Failed(f"sense {result.get('sense')!r} recorded, {problem} is a {sense} problem")
    sol = result.get("solution")
    if not isinstance(sol, list):
        raise Failed("the solution is not a list of vertex ids")
    d = [False] * g.n
    for vid in sol:
        v = g.vertex(vid, "solution")
        if d[v]:
            raise Failed(f"solution: vertex {vid!r} is listed twice")
        d[v] = True
    size = float(sum(d))
    wrong = violation(problem, g, d)
    if bool(result.get("feasible")) != (wrong is None):
        why = wrong or "the set meets the definition"
        raise Failed(f"feasible {result.get('feasible')} recorded, but {why}")
    obj = result.get("objective")
    if wrong is None and (not isinstance(obj, (int, float)) or not _close(float(obj), size)):
        raise Failed(f"objective {obj!r} recorded, the set holds {size:g} vertices")
    lines.append(
        f"{problem}: {size:g} vertices, "
        + ("feasible" if wrong is None else f"not feasible ({wrong})")
    )
    bound = result.get("bound")
    if bound is None:
        return lines
    if result.get("bound_method") != "covering-lp-dual":
        raise Failed(f"bound method {result.get('bound_method')!r} is not covering-lp-dual")
    if not isinstance(certificate, dict):
        raise Failed("a bound is recorded without its certificate")
    if certificate.get("problem", problem) != problem:
        raise Failed(f"the certificate is for {certificate.get('problem')!r}, not {problem}")
    proven, value, alpha = proven_bound(problem, g, certificate)
    scaled = f" (duals scaled by 1/{alpha:.12g})" if alpha > 1 + 1e-12 else ""
    if sense == "min" and bound > proven + 1e-9:
        raise Failed(f"bound {bound:g} recorded, the certificate proves only {proven:g}{scaled}")
    if sense == "max" and bound < proven - 1e-9:
        raise Failed(f"bound {bound:g} recorded, the certificate proves only {proven:g}{scaled}")
    lines.append(f"LP dual: value {value:.9g}{scaled}, proves bound {proven:g}")
    if wrong is None:
        if (sense == "min" and bound > size + 1e-9) or (sense == "max" and bound < size - 1e-9):
            raise Failed(f"bound {bound:g} contradicts the feasible set of {size:g} vertices")
        diff = size - bound if sense == "min" else bound - size
        gap = (
            0.0
            if abs(diff) <= 1e-9 * max(1.0, abs(bound), size)
            else (diff / abs(bound) if bound else None)
        )
        rec = result.get("gap")
        if (gap is None) != (rec is None) or (
            gap is not None and abs(rec - gap) > 1e-9 * max(1.0, abs(gap))
        ):
            raise Failed(f"gap {rec!r} recorded, objective and bound give {gap!r}")
        lines.append(f"gap {gap!r} of objective {size:g} to bound {bound:g}")
    return lines
