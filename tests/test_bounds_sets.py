"""Certified bounds of the set families (issue 21): MIS and clique from above, vertex cover and
colouring from below, k-colouring's conflicts from below; against brute force on small random
graphs (weighted too), tight where the theory says so, within their deadline, and accepted by
the independent checker of ``dnnsolve verify``."""

from __future__ import annotations

import itertools
import math
import os
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from dnnsolve.bounds.cliques import (
    clique_bound,
    clique_packing_bound,
    coloring_bound,
    greedy_clique,
    mis_bound,
    monochromatic_pairs,
    round_lower,
    round_upper,
    vertex_cover_bound,
)
from dnnsolve.graph import Graph
from dnnsolve.io import CNF, cnf_to_mis_graph, from_networkx, read_graph, write_dimacs
from dnnsolve.verify import sets as checker

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path | None:
    env = os.environ.get("DNNSOLVE_DATA")
    for c in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "datasets"]:
        if c.is_dir():
            return c
    return None


def random_graph(n: int, p: float, seed: int, weights: str = "none") -> Graph:
    rng = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(len(iu)) < p
    w = None
    if weights == "int":
        w = rng.integers(1, 6, n).astype(float)
    elif weights == "float":
        w = rng.uniform(0.1, 3.0, n)
    return Graph.from_edges(n, np.stack([iu[keep], ju[keep]], 1), node_weight=w)


def brute(g: Graph) -> dict[str, float]:
    """α_w, ω_w, τ_w and χ by enumeration (n ≤ 12)."""
    n = g.n
    w = np.ones(n) if g.node_weight is None else g.node_weight
    masks = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    sel = masks.astype(bool)
    inside = (sel[:, g.src] & sel[:, g.dst]).sum(1)
    size = sel.sum(1)
    weight = sel @ w
    independent = inside == 0
    clique = inside == size * (size - 1) // 2
    cover = ~(~sel[:, g.src] & ~sel[:, g.dst]).any(1)
    chi = next(k for k in range(n + 1) if colourable(g, k))
    return {
        "alpha": float(weight[independent].max()),
        "omega": float(weight[clique].max()),
        "tau": float(weight[cover].min()),
        "chi": float(chi),
    }


def colourable(g: Graph, k: int) -> bool:
    if g.n == 0:
        return True
    if k == 0:
        return False
    nbrs = [[] for _ in range(g.n)]
    for u, v in zip(g.src.tolist(), g.dst.tolist()):
        nbrs[u].append(v)
        nbrs[v].append(u)
    col = [-1] * g.n

    def place(v: int) -> bool:
        if v == g.n:
            return True
        used = {col[u] for u in nbrs[v]}
        for c in range(min(k, max(col) + 2)):
            if c not in used:
                col[v] = c
                if place(v + 1):
                    return True
        col[v] = -1
        return False

    return place(0)


def proven(tmp_path: Path, g: Graph, problem: str, b, objective: float) -> list[str]:
    """The independent checker on the bound (the graph written as DIMACS)."""
    path = tmp_path / "g.dimacs"
    write_dimacs(g, path)
    sense = {"mis": "max", "clique": "max"}.get(problem, "min")
    diff = b.value - objective if sense == "max" else objective - b.value
    gap = 0.0 if abs(diff) <= 1e-9 * max(1, abs(b.value)) else diff / abs(b.value)
    result = {
        "bound": b.value,
        "bound_method": b.method,
        "objective": objective,
        "feasible": False,
        "gap": gap,
    }
    graph = checker._Graph(path, None)
    return checker._check_bound(problem, graph, result, b.certificate)


@pytest.mark.parametrize("weights", ["none", "int", "float"])
@pytest.mark.parametrize("seed", range(6))
def test_bounds_hold_against_brute_force(weights, seed, tmp_path):
    n = 7 + seed % 5
    g = random_graph(n, [0.2, 0.4, 0.6][seed % 3], seed, weights)
    opt = brute(g)
    tol = 1e-9
    mis, clq, vc = mis_bound(g), clique_bound(g), vertex_cover_bound(g)
    assert mis.value >= opt["alpha"] - tol
    assert clq.value >= opt["omega"] - tol
    assert vc.value <= opt["tau"] + tol
    col = coloring_bound(g)
    assert len(col.certificate["clique"]) == col.value <= opt["chi"]
    for problem, b, obj in [
        ("mis", mis, opt["alpha"]),
        ("clique", clq, opt["omega"]),
        ("vertex-cover", vc, opt["tau"]),
        ("color", col, opt["chi"]),
    ]:
        assert proven(tmp_path, g, problem, b, obj)  # the checker accepts the certificate


def test_integral_weights_round_and_fractional_ones_do_not():
    assert round_upper(7.0 - 1e-12, True) == 7.0 and round_upper(7.4, True) == 7.0
    assert round_lower(7.0 + 1e-12, True) == 7.0 and round_lower(7.4, True) == 8.0
    assert round_upper(7.4, False) == 7.4 and round_lower(7.4, False) == 7.4
    c5 = from_networkx(nx.cycle_graph(5))
    assert mis_bound(c5).value == 2.0  # fractional 2.5, floored: α(C5) = 2 proven
    assert mis_bound(c5).notes["unrounded"] == pytest.approx(2.5)
    w = from_networkx(nx.cycle_graph(5))
    w.node_weight = np.full(5, 1.5)
    assert mis_bound(w).value == pytest.approx(3.75)  # 2.5 · 1.5, not rounded


def test_satisfiable_cnf_graph_has_a_tight_clique_cover():
    g = cnf_to_mis_graph(CNF(4, [[1, 2, 3], [-1, -2, 4], [2, -3, -4], [1, 3, 4], [-2, -3, -4]]))
    b = mis_bound(g, objective=5.0)
    assert b.value == 5.0 and b.method == "clique-cover"
    assert sorted(len(c) for c in b.certificate["cliques"]) == [3] * 5
    assert vertex_cover_bound(g, objective=10.0).value == 10.0  # 15 − 5


def cbs_files() -> list[Path]:
    d = data_dir()
    return sorted((d / "satlib_mis_cbs" / "cnf").glob("*.cnf"))[:3] if d else []


@pytest.mark.skipif(not cbs_files(), reason="SATLIB CBS instances not found")
def test_cbs_instances_are_proven_optimal_by_their_clauses():
    for path in cbs_files():
        g = read_graph(path)
        m = g.meta["n_clauses"]
        b = mis_bound(g, time.monotonic() + 10, objective=float(m))
        assert b.value == m and "lp" not in b.notes  # met by the partition: no LP run
        assert vertex_cover_bound(g, time.monotonic() + 10, objective=2.0 * m).value == 2 * m


def test_perfect_graphs_are_tight():
    km = from_networkx(nx.complete_multipartite_graph(3, 5, 2, 4))
    assert coloring_bound(km).value == 4  # χ = ω = 4 parts
    assert clique_bound(km).value == 4
    assert mis_bound(km).value == 5  # α = the largest part = the fewest cliques covering
    bip = from_networkx(nx.bipartite.random_graph(30, 25, 0.12, seed=3))
    matching = len(nx.max_weight_matching(bip.to_networkx(), maxcardinality=True))
    assert vertex_cover_bound(bip).value == matching  # König: τ = ν


def test_weighted_clique_bound_uses_the_heaviest_of_each_class():
    g = from_networkx(nx.complete_multipartite_graph(2, 2))  # C4: classes {0,1}, {2,3}
    g.node_weight = np.array([5.0, 1.0, 2.0, 7.0])
    b = clique_bound(g)
    assert b.value == 12.0  # ω_w = 5 + 7
    assert clique_bound(g, objective=12.0).method == "coloring"


def test_k_coloring_conflicts_from_edge_disjoint_cliques(tmp_path):
    assert [monochromatic_pairs(s, 3) for s in range(1, 8)] == [0, 0, 0, 1, 2, 3, 5]
    g = from_networkx(nx.disjoint_union(nx.complete_graph(5), nx.complete_graph(4)))
    b = clique_packing_bound(g, 3)
    assert b.value == 3.0  # K5: 2, K4: 1
    assert sorted(len(c) for c in b.certificate["cliques"]) == [4, 5]
    assert clique_packing_bound(g, 3, objective=0.0).value == 0.0  # (no proper answer exists)
    assert clique_packing_bound(g, 5).value == 0.0


def dimacs(name: str) -> Path | None:
    d = data_dir()
    path = d / "dimacs_color" / f"{name}.col" if d else None
    return path if path and path.exists() else None


@pytest.mark.skipif(dimacs("r250.1c") is None, reason="DIMACS colouring graphs not found")
def test_the_walk_finds_the_clique_the_greedy_misses():
    g = read_graph(dimacs("r250.1c"))  # χ = ω = 64 (CliColCom's log)
    assert len(greedy_clique(g)) == 63
    b = coloring_bound(g, time.monotonic() + 10, objective=64.0)
    assert b.value == 64 and b.notes["walk_steps"] > 0


def test_greedy_clique_finds_a_planted_clique():
    g = random_graph(300, 0.05, 1)
    planted = np.arange(40, 58)
    iu, ju = np.triu_indices(len(planted), 1)
    edges = np.concatenate([np.stack([g.src, g.dst], 1), np.stack([planted[iu], planted[ju]], 1)])
    g = Graph.from_edges(300, edges)
    assert len(greedy_clique(g)) >= 18


def test_deadlines_are_honoured():
    mis_bound(random_graph(30, 0.2, 0))  # compile (numba caches) before timing
    clique_bound(random_graph(30, 0.2, 0))
    big = random_graph(3000, 0.004, 5)  # ~18 000 edges: the LPs want longer than this
    for fn in (mis_bound, clique_bound, vertex_cover_bound):
        t0 = time.monotonic()
        b = fn(big, t0 + 0.3)
        assert time.monotonic() - t0 < 1.5, fn.__name__
        assert b.value > 0
    dense = random_graph(700, 0.5, 6)
    t0 = time.monotonic()
    b = coloring_bound(dense, t0 + 0.3)
    assert time.monotonic() - t0 < 1.0 and b.value >= 8


def test_empty_and_edgeless_graphs():
    empty = Graph.from_edges(0, [])
    assert mis_bound(empty).value == 0 and vertex_cover_bound(empty).value == 0
    assert clique_bound(empty).value == 0 and coloring_bound(empty).value == 0
    lone = Graph.from_edges(4, [])
    assert mis_bound(lone).value == 4 and clique_bound(lone).value == 1
    assert vertex_cover_bound(lone).value == 0 and coloring_bound(lone).value == 1


def test_solved_answers_carry_the_bound():
    from dnnsolve import solve

    g = nx.complete_multipartite_graph(2, 3, 3)
    r = solve("color", g, device="cpu", seed=0, steps=20, restarts=2)
    assert r.bound == 3 and r.bound_method == "clique" and r.gap == 0 and r.status == "optimal"
    cnf = CNF(3, [[1, 2, 3], [-1, 2, -3], [1, -2, 3]])
    r = solve("mis", cnf_to_mis_graph(cnf), device="cpu", seed=0, steps=20, restarts=2)
    assert r.objective == 3 and r.bound == 3 and r.status == "optimal"
    assert math.isclose(r.gap, 0.0)


def test_certificates_name_the_input_ids():
    g = from_networkx(nx.relabel_nodes(nx.cycle_graph(4), {i: f"v{i}" for i in range(4)}))
    cert = mis_bound(g).certificate
    assert {v for c in cert["cliques"] for v in c} == {"v0", "v1", "v2", "v3"}
    assert set(itertools.chain(*vertex_cover_bound(g).certificate.get("cliques", [[]]))) <= {
        "v0",
        "v1",
        "v2",
        "v3",
    }
