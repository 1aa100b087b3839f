"""Generate the bundled examples in src/dnnsolve/data/ and prove their optima with CP-SAT.

Run once from the repository root: ``python tools/make_examples.py``. Deterministic
(fixed seeds); the output files are committed, this script is not shipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
from ortools.sat.python import cp_model

from dnnsolve.graph import Graph
from dnnsolve.io import CNF, read_graph, write_cnf, write_dimacs, write_gset

DATA = Path(__file__).resolve().parents[1] / "src" / "dnnsolve" / "data"


def _solve(model: cp_model.CpModel, time_limit: float = 120.0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    status = solver.Solve(model)
    if status != cp_model.OPTIMAL:
        raise SystemExit(f"CP-SAT did not prove optimality (status {solver.StatusName(status)})")
    return solver


def maxcut_exact(g: Graph) -> tuple[int, list[int]]:
    """Exact MaxCut, x_i = side of i (G(100, 0.03): ~1 s; 3-regular n=80: >90 s)."""
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{i}") for i in range(g.n)]
    model.Add(x[0] == 0)  # side symmetry
    cut = []
    for u, v, w in zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist()):
        assert w == 1.0
        e = model.NewBoolVar("")
        model.Add(e <= x[u] + x[v])
        model.Add(e <= 2 - x[u] - x[v])
        cut.append(e)
    model.Maximize(sum(cut))
    s = _solve(model)
    return round(s.ObjectiveValue()), [int(s.Value(v)) for v in x]


def mis_exact(g: Graph) -> tuple[int, list[int]]:
    """Exact maximum independent set (unit weights); clause cliques help the bound."""
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{i}") for i in range(g.n)]
    for u, v in zip(g.src.tolist(), g.dst.tolist()):
        model.AddBoolOr([x[u].Not(), x[v].Not()])
    if "clause" in g.meta:
        for c in np.unique(g.meta["clause"]):
            model.AddAtMostOne([x[i] for i in np.flatnonzero(g.meta["clause"] == c)])
    model.Maximize(sum(x))
    s = _solve(model)
    return round(s.ObjectiveValue()), [int(s.Value(v)) for v in x]


def planted_3sat(n_vars: int, n_clauses: int, seed: int) -> tuple[CNF, list[int]]:
    """Random 3-SAT whose clauses are all satisfied by a hidden random assignment (returned)."""
    rng = np.random.default_rng(seed)
    hidden = rng.integers(0, 2, n_vars)
    clauses = []
    while len(clauses) < n_clauses:
        vs = rng.choice(n_vars, 3, replace=False)
        signs = rng.integers(0, 2, 3)
        if any(signs[k] == hidden[vs[k]] for k in range(3)):
            clauses.append([int(v + 1) if s else -int(v + 1) for v, s in zip(vs, signs)])
    cnf = CNF(n_vars, clauses, "mis_example")
    assert cnf.satisfied(hidden.astype(bool))
    return cnf, hidden.tolist()


def planted_coloring(n: int, k: int, p: float, seed: int) -> tuple[Graph, list[int]]:
    """A k-partite random graph plus one k-clique across the parts: χ = k exactly.

    The parts give a proper k-colouring (χ ≤ k), the clique needs k colours (χ ≥ k).
    """
    rng = np.random.default_rng(seed)
    part = rng.permutation(np.arange(n) % k)
    edges = {
        (u, v) for u in range(n) for v in range(u + 1, n) if part[u] != part[v] and rng.random() < p
    }
    clique = [int(np.flatnonzero(part == c)[0]) for c in range(k)]
    edges |= {(min(a, b), max(a, b)) for a in clique for b in clique if a != b}
    return Graph.from_edges(n, sorted(edges), name="color_example"), part.tolist()


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    info = {}

    nxg = nx.gnp_random_graph(100, 0.03, seed=2024)
    g = Graph.from_edges(100, list(nxg.edges()), name="maxcut_example")
    write_gset(g, DATA / "maxcut_example.gset")
    g = read_graph(DATA / "maxcut_example.gset")
    opt, cert = maxcut_exact(g)
    info["maxcut_example"] = dict(
        file="maxcut_example.gset",
        problem="maxcut",
        optimum=opt,
        n=g.n,
        m=g.m,
        description="G(n=100, p=0.03) random graph, unweighted (MaxCut)",
        certificate="".join(map(str, cert)),
    )

    cnf, _ = planted_3sat(30, 100, seed=7)
    write_cnf(
        cnf, DATA / "mis_example.cnf", "planted satisfiable random 3-SAT, 30 vars, 100 clauses"
    )
    g = read_graph(DATA / "mis_example.cnf")
    opt, cert = mis_exact(g)
    assert opt == cnf.n_clauses
    info["mis_sat_example"] = dict(
        file="mis_example.cnf",
        problem="mis",
        optimum=opt,
        n=g.n,
        m=g.m,
        description="satisfiable random 3-SAT (30 vars, 100 clauses) as an MIS graph",
        certificate="".join(map(str, cert)),
    )

    nxg = nx.gnp_random_graph(60, 0.1, seed=11)
    g = Graph.from_edges(60, list(nxg.edges()), name="mis_example")
    write_dimacs(g, DATA / "mis_example.dimacs", "G(60, 0.1) random graph for MIS, seed 11")
    g = read_graph(DATA / "mis_example.dimacs")
    opt, cert = mis_exact(g)
    info["mis_example"] = dict(
        file="mis_example.dimacs",
        problem="mis",
        optimum=opt,
        n=g.n,
        m=g.m,
        description="G(n=60, p=0.1) random graph, unweighted (MIS)",
        certificate="".join(map(str, cert)),
    )

    g, part = planted_coloring(200, 8, 0.5, seed=5)  # DSatur needs 16 colours
    write_dimacs(g, DATA / "color_example.col", "planted 8-partite G(200, 0.5) + an 8-clique")
    g = read_graph(DATA / "color_example.col")
    info["color_example"] = dict(
        file="color_example.col",
        problem="color",
        optimum=8,
        n=g.n,
        m=g.m,
        description="planted 8-colourable G(200, 0.5) with an 8-clique: chromatic number 8",
        certificate="".join(map(str, part)),
    )

    cnf, hidden = planted_3sat(200, 852, seed=3)  # clause ratio 4.26, the hard region
    cnf.name = "sat_example"
    write_cnf(cnf, DATA / "sat_example.cnf", "planted satisfiable random 3-SAT, 200 vars")
    info["sat_example"] = dict(
        file="sat_example.cnf",
        problem="sat",
        optimum=0,
        n=cnf.n_vars,
        m=cnf.n_clauses,
        description="planted satisfiable random 3-SAT, 200 variables, 852 clauses (ratio 4.26)",
        certificate="".join(map(str, hidden)),
    )

    for f in DATA.iterdir():
        f.chmod(0o644)  # atomic_write_text creates 0600 temp files
    text = json.dumps(info, indent=1)
    (DATA / "examples.json").write_text(text + "\n")
    for k, v in info.items():
        print(k, v["file"], "n", v["n"], "m", v["m"], "optimum", v["optimum"])


if __name__ == "__main__":
    main()
