"""Held-out graphs, hypergraphs and CNF formulas, unlike the suites' generators.

The graph suites were tuned on Erdős–Rényi and random regular graphs, Gset, SATLIB and
DIMACS. These generators make other structures: power-law degrees (Barabási–Albert,
Chung–Lu), geometry (random geometric graphs, whose cliques are large), lattices (tori,
with ±1 weights for MaxCut: spin glasses), planted partitions, bipartite graphs; for
hypergraphs heavy-tailed edge sizes and communities; for SAT planted 3-SAT at the
threshold ratio 4.2, community-structured formulas and large formulas.

Every generator is a pure function of its seed (NumPy ``default_rng``).

>>> g = chung_lu(500, 2.5, 6.0, seed=3)
>>> g.n, bool(g.m > 1000)
(500, True)
>>> f = planted_sat(50, 4.2, seed=1)
>>> len(f.clauses)
210
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ...baselines.common import maxcut_value, mis_value
from ...baselines.cover_clique import clique_value, cover_value
from ...baselines.hypermaxcut import hypercut_value
from ...baselines.sat import count_falsified
from ...graph import Graph
from ...hypergraph import Hypergraph
from ...io.cnf import CNF
from ...problems.domination_check import CHECKS
from ..generators import random_regular
from ..harness import Instance, SuiteContext, vertex_set_recheck
from . import SPLIT_SEED, solver_rows

# ---------------------------------------------------------------- graph generators


def _graph(n: int, pairs: np.ndarray, name: str, weights: np.ndarray | None = None) -> Graph:
    """A simple graph from (k, 2) vertex pairs: self-loops and repeated pairs dropped."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    a, b = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    keep = a != b
    key, first = np.unique(a[keep] * n + b[keep], return_index=True)
    edges = np.stack([key // n, key % n], axis=1)
    w = None if weights is None else np.asarray(weights)[keep][first]
    return Graph.from_edges(n, edges, w, name=name)


def barabasi_albert(n: int, m: int, seed: int) -> Graph:
    """Preferential attachment: each new vertex links to ``m`` earlier ones ∝ degree."""
    rng = np.random.default_rng(seed)
    targets = list(range(m))
    ends: list[int] = []  # every edge end once: sampling from it is ∝ degree
    pairs = []
    for v in range(m, n):
        for t in set(targets):
            pairs.append((v, t))
            ends += [v, t]
        targets = [ends[i] for i in rng.integers(0, len(ends), m)]
    return _graph(n, np.array(pairs), f"ba{n}-{m}-s{seed}")


def chung_lu(n: int, exponent: float, mean_degree: float, seed: int) -> Graph:
    """Power-law expected degrees w_i ∝ (i + i0)^(−1/(γ−1)); edge {i, j} with p ∝ w_i w_j.

    Sampled in O(m): draw m ≈ Σw/2 endpoint pairs from the weight distribution."""
    rng = np.random.default_rng(seed)
    w = (np.arange(n) + 10.0) ** (-1.0 / (exponent - 1.0))
    w *= mean_degree * n / w.sum()
    m = round(float(w.sum()) / 2)
    p = w / w.sum()
    pairs = np.stack([rng.choice(n, m, p=p), rng.choice(n, m, p=p)], axis=1)
    return _graph(n, pairs, f"chunglu{n}-s{seed}")


def random_geometric(n: int, mean_degree: float, seed: int) -> Graph:
    """Points uniform in the unit square (torus distance), joined within radius r,
    r chosen for the wanted mean degree; pairs found by a periodic k-d tree."""
    rng = np.random.default_rng(seed)
    pts = rng.random((n, 2))
    r = float(np.sqrt(mean_degree / (np.pi * n)))
    pairs = cKDTree(pts, boxsize=1.0).query_pairs(r, output_type="ndarray")
    return _graph(n, pairs, f"geo{n}-s{seed}")


def torus(rows: int, cols: int, seed: int, spin_glass: bool = False) -> Graph:
    """The rows × cols grid with wrap-around; ``spin_glass``: weights ±1 at random."""
    rng = np.random.default_rng(seed)
    idx = np.arange(rows * cols).reshape(rows, cols)
    right = np.stack([idx.ravel(), np.roll(idx, -1, axis=1).ravel()], axis=1)
    down = np.stack([idx.ravel(), np.roll(idx, -1, axis=0).ravel()], axis=1)
    pairs = np.concatenate([right, down])
    w = rng.choice([-1.0, 1.0], len(pairs)) if spin_glass else None
    kind = "spinglass" if spin_glass else "torus"
    return _graph(rows * cols, pairs, f"{kind}{rows}x{cols}-s{seed}", w)


def planted_partition(n: int, blocks: int, p_in: float, p_out: float, seed: int) -> Graph:
    """Equal blocks; pairs inside a block joined with ``p_in``, across with ``p_out``."""
    rng = np.random.default_rng(seed)
    label = rng.permutation(n) % blocks
    iu, ju = np.triu_indices(n, 1)
    p = np.where(label[iu] == label[ju], p_in, p_out)
    keep = rng.random(len(iu)) < p
    return _graph(n, np.stack([iu[keep], ju[keep]], 1), f"planted{n}-{blocks}-s{seed}")


def random_bipartite(n_left: int, n_right: int, mean_degree: float, seed: int) -> Graph:
    """Left and right sides, m = mean_degree · n / 2 random left–right pairs."""
    rng = np.random.default_rng(seed)
    n = n_left + n_right
    m = int(mean_degree * n / 2)
    pairs = np.stack([rng.integers(0, n_left, m), n_left + rng.integers(0, n_right, m)], 1)
    return _graph(n, pairs, f"bipartite{n}-s{seed}")


# ---------------------------------------------------------------- hypergraphs and CNF


def heavy_tailed_hypergraph(n: int, m: int, seed: int, communities: int = 1) -> Hypergraph:
    """Edge sizes 2 + Zipf(2) capped at 12; with ``communities`` > 1, 85 % of the edges
    draw their members inside one community."""
    rng = np.random.default_rng(seed)
    label = rng.permutation(n) % communities
    groups = [np.flatnonzero(label == c) for c in range(communities)]
    edges = []
    for _ in range(m):
        size = int(min(1 + rng.zipf(2.0), 12))
        pool = groups[rng.integers(communities)] if rng.random() < 0.85 else np.arange(n)
        edges.append(rng.choice(pool, size=min(size, len(pool)), replace=False))
    kind = "community" if communities > 1 else "zipf"
    return Hypergraph.from_edges(n, edges, name=f"{kind}-hg{n}-s{seed}")


def planted_sat(n: int, ratio: float, seed: int, communities: int = 1) -> CNF:
    """3-SAT with round(ratio · n) clauses satisfied by a hidden random model.

    Clauses are drawn at random and kept when the model satisfies them (the planted
    ensemble). With ``communities`` > 1, 90 % of the clauses take their variables inside
    one community (industrial-like modularity)."""
    rng = np.random.default_rng(seed)
    model = rng.random(n) < 0.5
    label = rng.permutation(n) % communities
    groups = [np.flatnonzero(label == c) for c in range(communities)]
    clauses: list[list[int]] = []
    while len(clauses) < round(ratio * n):
        pool = groups[rng.integers(communities)] if rng.random() < 0.9 else np.arange(n)
        vs = rng.choice(pool, 3, replace=False)
        signs = rng.random(3) < 0.5
        if np.any(model[vs] == signs):  # a literal v (sign True) is true when model[v] is
            clauses.append([int(v + 1) if s else -int(v + 1) for v, s in zip(vs, signs)])
    kind = "community" if communities > 1 else "planted"
    return CNF(n, clauses, f"{kind}-sat{n}-s{seed}")


# ---------------------------------------------------------------- independent re-checks


def _sat_check(cnf: CNF):
    def check(solution: Any) -> float | None:
        lits = np.asarray(solution, dtype=np.int64).reshape(-1)
        if sorted(np.abs(lits).tolist()) != list(range(1, cnf.n_vars + 1)):
            return None
        a = np.zeros(cnf.n_vars, dtype=np.int8)
        a[np.abs(lits) - 1] = lits > 0
        return float(count_falsified(cnf.clauses, a))

    return check


RECHECKS: dict[str, Callable[[Any], Callable[[Any], float | None]]] = {
    "maxcut": lambda g: vertex_set_recheck(g, partial(maxcut_value, g)),
    "mis": lambda g: vertex_set_recheck(g, partial(mis_value, g)),
    "clique": lambda g: vertex_set_recheck(g, partial(clique_value, g)),
    "vertex-cover": lambda g: vertex_set_recheck(g, partial(cover_value, g)),
    "domset": lambda g: vertex_set_recheck(g, partial(CHECKS["domset"], g)),
    "hypermaxcut": lambda h: vertex_set_recheck(h, partial(hypercut_value, h)),
    "sat": _sat_check,
}
SENSE = {"vertex-cover": "min", "domset": "min", "sat": "min"}

# ---------------------------------------------------------------- the instance lists

#: per problem: (generator label, function of the seed); sizes fit a few seconds on a CPU
FAMILIES: dict[str, list[tuple[str, Callable[[int], Any]]]] = {
    "maxcut": [
        ("ba", lambda s: barabasi_albert(2000, 3, s)),
        ("geometric", lambda s: random_geometric(2000, 10.0, s)),
        ("spinglass", lambda s: torus(45, 45, s, spin_glass=True)),
        ("planted", lambda s: planted_partition(1200, 4, 0.02, 0.004, s)),
    ],
    "mis": [
        ("chunglu", lambda s: chung_lu(3000, 2.5, 6.0, s)),
        ("geometric", lambda s: random_geometric(2000, 8.0, s)),
        ("bipartite", lambda s: random_bipartite(700, 300, 4.0, s)),
        ("ba", lambda s: barabasi_albert(3000, 2, s)),
    ],
    "clique": [
        ("geometric", lambda s: random_geometric(1500, 30.0, s)),
        ("planted", lambda s: planted_partition(300, 6, 0.5, 0.08, s)),
        ("ba", lambda s: barabasi_albert(2000, 6, s)),
    ],
    "vertex-cover": [
        ("ba", lambda s: barabasi_albert(2000, 3, s)),
        ("geometric", lambda s: random_geometric(1500, 8.0, s)),
        ("bipartite", lambda s: random_bipartite(500, 500, 5.0, s)),
    ],
    "domset": [
        ("geometric", lambda s: random_geometric(800, 8.0, s)),
        ("ba", lambda s: barabasi_albert(800, 2, s)),
        ("torus", lambda s: torus(25, 30, s)),
    ],
    "hypermaxcut": [
        ("zipf", lambda s: heavy_tailed_hypergraph(800, 1600, s)),
        ("community", lambda s: heavy_tailed_hypergraph(800, 1600, s, communities=8)),
    ],
    "sat": [
        ("planted", lambda s: planted_sat(400, 4.2, s)),
        ("community", lambda s: planted_sat(500, 4.1, s, communities=10)),
        ("large", lambda s: planted_sat(5000, 4.0, s)),
    ],
}

#: the large sparse graphs of the "MIS ≥ greedy at 10⁵–10⁶" target (``--option large=N``),
#: each a function of (vertex count, seed)
LARGE: dict[str, list[tuple[str, Callable[[int, int], Any]]]] = {
    "mis": [
        ("chunglu", lambda n, s: chung_lu(n, 2.5, 4.0, s)),
        ("geometric", lambda n, s: random_geometric(n, 6.0, s)),
        ("regular3", lambda n, s: random_regular(n, 3, s, name=f"reg3-{n}-s{s}")),
    ],
}


def instances(split: str, large: int = 0, per_generator: int = 1) -> list[Instance]:
    """``per_generator`` instances of each generator and problem for ``split``; ``large`` > 0
    gives the large sparse graphs with that many vertices instead."""
    table = LARGE if large else FAMILIES
    out = []
    for problem, gens in table.items():
        for label, make in gens:
            for k in range(per_generator):
                seed = SPLIT_SEED[split] + k
                meta = {"problem": problem, "family": problem, "split": split, "seed": seed}
                size = f"-n{large}" if large else ""
                name = f"{problem}-{label}{size}-s{seed}"
                build = partial(make, large) if large else make
                out.append(Instance(name, lambda m=build, s=seed: m(s), meta))
    return out


def rows(inst: Instance, loaded: Any, ctx: SuiteContext, ablation: bool) -> list[dict]:
    problem = inst.meta["problem"]
    return solver_rows(
        ctx,
        problem,
        loaded,
        sense=SENSE.get(problem, "max"),
        recheck=RECHECKS[problem](loaded),
        ablation=ablation,
        score_infeasible=problem == "sat",  # the falsified clauses of an unsolved formula
    )
