"""Held-out generators, the never-worse-than-the-baseline guarantee, and the ablation rows.

Every objective here is recomputed with NumPy code of this file, from the returned solution
and from the classical heuristic's own answer, never taken from the solver's report.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines import (
    greedy_clique,
    greedy_domination,
    greedy_maxcut,
    greedy_mis,
    greedy_vertex_cover,
    probsat,
)
from dnnsolve.bench import run_suite
from dnnsolve.bench.heldout import graphs as G
from dnnsolve.core.parameterization import FreeVariables
from dnnsolve.core.problem import Evaluation, Problem
from dnnsolve.core.solver import Solver, SolverConfig

# ---------------------------------------------------------------- independent evaluators


def _edges(g):
    return np.asarray(g.src), np.asarray(g.dst)


def _mask(n: int, ids) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[np.asarray(ids, dtype=np.int64) - 1] = True  # generated graphs have 1-based ids
    return m


def _cut(g, side) -> float:
    s, d = _edges(g)
    w = np.ones(len(s)) if g.weight is None else np.asarray(g.weight)
    return float(w[side[s] != side[d]].sum())


def _independent(g, m) -> bool:
    s, d = _edges(g)
    return not np.any(m[s] & m[d])


def _clique(g, m) -> bool:
    k = int(m.sum())
    s, d = _edges(g)
    inside = {(min(a, b), max(a, b)) for a, b in zip(s[m[s] & m[d]], d[m[s] & m[d]])}
    return len(inside) == k * (k - 1) // 2


def _cover(g, m) -> bool:
    s, d = _edges(g)
    return bool(np.all(m[s] | m[d]))


def _dominating(g, m) -> bool:
    s, d = _edges(g)
    dom = m.copy()
    dom[s[m[d]]] = True
    dom[d[m[s]]] = True
    return bool(dom.all())


def _hypercut(h, side) -> float:
    total = 0.0
    for e in range(h.m):
        members = h.edge_vertices[h.edge_ptr[e] : h.edge_ptr[e + 1]]
        if len(set(side[members].tolist())) == 2:
            total += float(h.weight[e])
    return total


def _falsified(cnf, lits) -> int:
    val = {abs(x): x > 0 for x in lits}
    return sum(not any(val[abs(x)] == (x > 0) for x in c) for c in cnf.clauses)


# ---------------------------------------------------------------- generators


def test_generators_make_the_promised_structures():
    geo = G.random_geometric(400, 8.0, seed=1)
    assert 6.0 < 2 * geo.m / geo.n < 10.0  # mean degree near 8
    tor = G.torus(10, 12, seed=0)
    assert tor.m == 2 * 120 and np.all(tor.degrees() == 4)
    bip = G.random_bipartite(60, 40, 4.0, seed=2)
    s, d = _edges(bip)
    assert np.all((s < 60) != (d < 60))  # every edge crosses the sides
    ba = G.barabasi_albert(500, 3, seed=4)
    deg = ba.degrees()
    assert deg.max() > 5 * np.median(deg)  # hubs: a heavy tail
    cl = G.chung_lu(2000, 2.5, 6.0, seed=5)
    assert cl.degrees().max() > 10 * np.mean(cl.degrees())
    # the same seed gives the same instance; another seed another one
    assert G.chung_lu(300, 2.5, 6.0, seed=5).m == G.chung_lu(300, 2.5, 6.0, seed=5).m
    a = G.random_geometric(300, 8.0, seed=1)
    b = G.random_geometric(300, 8.0, seed=2)
    assert not (np.array_equal(a.src, b.src) and np.array_equal(a.dst, b.dst))


def test_planted_formulas_are_satisfiable_and_splits_do_not_overlap():
    from pysat.solvers import Cadical153

    for f in (G.planted_sat(80, 4.2, seed=3), G.planted_sat(90, 4.1, seed=4, communities=5)):
        assert len(f.clauses) == round(4.2 * 80) or len(f.clauses) == round(4.1 * 90)
        with Cadical153(bootstrap_with=f.clauses) as s:
            assert s.solve()
    tune = {i.name for i in G.instances("tune")}
    report = {i.name for i in G.instances("report")}
    assert tune and report and not tune & report
    assert all(
        i.meta["split"] == "report" and i.meta["seed"] >= 1000 for i in G.instances("report")
    )


# ---------------------------------------------------------------- never worse than the baseline

SMALL = dict(device="cpu", seed=0, time_limit=1.5, restarts=8)


def test_maxcut_never_worse_than_greedy():
    for g in (G.torus(12, 12, seed=1001, spin_glass=True), G.barabasi_albert(200, 3, seed=1002)):
        r = solve("maxcut", g, **SMALL)
        mine = _cut(g, _mask(g.n, r.solution))
        base = _cut(g, greedy_maxcut(g).solution.astype(bool))
        assert mine == r.objective and mine >= base


def test_mis_never_worse_than_min_degree_greedy():
    for g in (G.random_geometric(300, 8.0, seed=1003), G.chung_lu(400, 2.5, 5.0, seed=1004)):
        r = solve("mis", g, **SMALL)
        m = _mask(g.n, r.solution)
        base = greedy_mis(g).solution.astype(bool)
        assert _independent(g, m) and _independent(g, base)
        assert m.sum() == r.objective and m.sum() >= base.sum()


def test_clique_and_cover_never_worse_than_greedy():
    g = G.random_geometric(300, 20.0, seed=1005)
    r = solve("clique", g, **SMALL)
    m = _mask(g.n, r.solution)
    base = greedy_clique(g).solution.astype(bool)
    assert _clique(g, m) and _clique(g, base) and m.sum() >= base.sum()
    g = G.barabasi_albert(300, 3, seed=1006)
    r = solve("vertex-cover", g, **SMALL)
    m = _mask(g.n, r.solution)
    base = greedy_vertex_cover(g).solution.astype(bool)
    assert _cover(g, m) and _cover(g, base) and m.sum() <= base.sum()


def test_domset_never_worse_than_greedy():
    g = G.random_geometric(200, 6.0, seed=1007)
    r = solve("domset", g, **SMALL)
    m = _mask(g.n, r.solution)
    base = greedy_domination("domset", g).solution.astype(bool)
    assert _dominating(g, m) and _dominating(g, base) and m.sum() <= base.sum()


def test_hypermaxcut_never_worse_than_local_optimum_cut():
    h = G.heavy_tailed_hypergraph(200, 400, seed=1008)
    r = solve("hypermaxcut", h, **SMALL)
    side = _mask(h.n, r.solution)
    assert _hypercut(h, side) == r.objective
    base = r.extra["baseline"]["objective"]
    assert r.objective >= base


def test_sat_never_worse_than_probsat():
    f = G.planted_sat(150, 4.2, seed=1009)
    r = solve("sat", f, **SMALL)
    base = probsat(f, time_limit=0.15, seed=0)
    assert _falsified(f, r.solution) == r.objective
    assert r.objective <= _falsified(f, np.where(base.solution, 1, -1) * np.arange(1, 151))


# ---------------------------------------------------------------- the solver's baseline hook


class _Line(Problem):
    """Maximize Σ x_i·c_i over 0/1 vectors with a loss that pushes every x to 0 (a
    network that never finds anything); the baseline knows the answer."""

    name, sense = "line", "max"

    def __init__(self, n: int = 6):
        self.n_vars = n
        self.c = torch.arange(1.0, n + 1.0)

    def loss(self, x, hp):
        return (x * x).sum(1)

    def decode(self, x):
        return x > 0.5

    def evaluate(self, z):
        return Evaluation(z.double() @ self.c.double(), torch.ones(len(z), dtype=torch.bool))

    def verify(self, solution):
        return float(np.asarray(solution, bool) @ np.arange(1.0, self.n_vars + 1.0)), True

    def baseline(self, time_limit, generator=None):
        return torch.ones((1, self.n_vars), dtype=torch.bool)

    def relax(self, z):
        return z.float()


def _param(n=6, restarts=4):
    return FreeVariables(n, restarts, squash="sigmoid", generator=torch.Generator().manual_seed(0))


def test_solver_reports_the_baseline_when_the_network_finds_less():
    r = Solver(SolverConfig(restarts=4, steps=50, seed=0)).solve(_Line(), _param())
    assert r.objective == 21.0 and r.found_by == "baseline"
    assert r.extra["baseline"]["objective"] == 21.0 and r.timings["baseline_s"] >= 0
    off = Solver(SolverConfig(restarts=4, steps=50, seed=0, baseline=False)).solve(
        _Line(), _param()
    )
    assert off.objective < 21.0 and "baseline" not in off.extra


def test_network_off_runs_no_step_and_warm_start_moves_restarts():
    r = Solver(SolverConfig(restarts=4, steps=50, seed=0, network=False, polish=False)).solve(
        _Line(), _param()
    )
    assert r.steps == 0 and not r.history and r.objective == 21.0
    p = _param(restarts=4)
    assert p.warm_start_(torch.tensor([2, 3]), torch.ones(2, 6))
    assert bool((p()[2:] > 0.5).all())
    with pytest.raises(ValueError, match="warm_start"):
        SolverConfig(warm_start=1.5)


# ---------------------------------------------------------------- the suite and its ablation rows


def test_heldout_suite_ablation_rows_are_rechecked(tmp_path):
    rep = run_suite(
        "heldout",
        time_limit=1.0,
        instances="mis-bipartite-*",
        options={"families": "mis"},
        ablation=True,
        device="cpu",
        progress=False,
        out=tmp_path,
    )
    variants = {r["variant"] for r in rep.rows}
    assert variants == {"default", "baseline", "network-only", "random+polish", "baseline+polish"}
    assert all(r["recheck"] is True for r in rep.rows)
    fam = rep.summary["family"]["mis"]
    assert fam["instances"] == 1 and fam["never_worse"] == 1
    assert sum(fam["vs_baseline_polish"]) == 1


class _TiledLine(_Line):
    """A local search that tiles its starts to 8 rows (like the SAT walkers) and finds the
    optimum only in the last row."""

    def baseline(self, time_limit, generator=None):
        return torch.zeros((1, self.n_vars), dtype=torch.bool)

    def local_search(self, z, time_limit, generator=None):
        out = z.bool().repeat(-(-8 // len(z)), 1)[:8].clone()
        out[-1] = True
        return out


def test_polish_that_tiles_its_starts_reports_an_origin():
    r = Solver(SolverConfig(restarts=2, steps=5, seed=0)).solve(_TiledLine(), _param(restarts=2))
    assert r.objective == 21.0 and r.found_by in ("local_search", "baseline+local_search")


def test_large_option_sizes_the_sparse_graphs_and_rejects_nonsense() -> None:
    from dnnsolve.bench.suites.heldout import _large
    from dnnsolve.core.errors import InputError

    assert (_large("0"), _large("1"), _large("1e6"), _large(2000)) == (0, 100_000, 10**6, 2000)
    for bad in ("1.5e3x", "10", "-5e3", "nan"):
        with pytest.raises(InputError, match="option large"):
            _large(bad)
    graphs = {i.name: i.load() for i in G.instances("report", large=2000)}
    assert set(graphs) == {"mis-chunglu-n2000-s1000", "mis-geometric-n2000-s1000",
                           "mis-regular3-n2000-s1000"}  # fmt: skip
    for g in graphs.values():
        assert g.n == 2000
    reg = graphs["mis-regular3-n2000-s1000"]
    deg = np.bincount(np.concatenate(_edges(reg)), minlength=reg.n)
    assert reg.m == 3000 and set(deg.tolist()) == {3}
