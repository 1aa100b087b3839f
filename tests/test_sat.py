"""SAT and MaxSAT: readers, losses, evaluators, local search, runners, CLI, baselines."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.sat import cadical, count_falsified, maxsat_cost, probsat, rc2
from dnnsolve.bench.harness import default_data_dir
from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.io.cnf import CNF, read_cnf, write_cnf
from dnnsolve.io.wcnf import WCNF, detect_sat_format, read_wcnf, write_wcnf
from dnnsolve.problems.sat import MaxSat, Satisfiability, load_cnf, load_wcnf
from dnnsolve.search import sat as kernels

# ---------------------------------------------------------------- helpers


def planted_3sat(n: int, m: int, seed: int) -> tuple[CNF, np.ndarray]:
    """Random 3-SAT with a planted model (every clause keeps a literal the model makes true)."""
    rng = random.Random(seed)
    model = [rng.random() < 0.5 for _ in range(n)]
    clauses = []
    while len(clauses) < m:
        vs = rng.sample(range(1, n + 1), 3)
        c = [v if rng.random() < 0.5 else -v for v in vs]
        if any(model[abs(lit) - 1] == (lit > 0) for lit in c):
            clauses.append(c)
    return CNF(n, clauses, f"planted{n}"), np.array(model, dtype=np.int8)


def brute_force_maxsat(f: WCNF) -> float | None:
    best = None
    for bits in itertools.product([0, 1], repeat=f.n_vars):
        cost, ok = maxsat_cost(f, np.array(bits))
        if ok and (best is None or cost < best):
            best = cost
    return best


def random_wcnf(n: int, m: int, seed: int, hard_frac: float = 0.3) -> WCNF:
    rng = random.Random(seed)
    clauses, weights, hard = [], [], []
    for _ in range(m):
        k = rng.randint(1, 3)
        vs = rng.sample(range(1, n + 1), k)
        clauses.append([v if rng.random() < 0.5 else -v for v in vs])
        h = rng.random() < hard_frac
        hard.append(h)
        weights.append(0 if h else rng.randint(1, 9))
    return WCNF(n, clauses, np.array(weights, float), np.array(hard), name=f"rand{seed}")


ALL8 = CNF(3, [[s1 * 1, s2 * 2, s3 * 3] for s1 in (1, -1) for s2 in (1, -1) for s3 in (1, -1)])


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------- WCNF reader


def test_wcnf_classic_with_top(tmp_path):
    p = _write(
        tmp_path,
        "a.wcnf",
        "c classic\np wcnf 3 4 10\n10 1 2 0\n3 -1 0\n10 -2 3 0\n2 -3 0\n",
    )
    f = read_wcnf(p)
    assert (f.n_vars, f.n_clauses, f.top) == (3, 4, 10.0)
    assert f.hard.tolist() == [True, False, True, False]
    assert f.weights.tolist() == [0.0, 3.0, 0.0, 2.0]
    assert f.meta["format"] == "classic"


def test_wcnf_classic_without_top_all_soft(tmp_path):
    f = read_wcnf(_write(tmp_path, "b.wcnf", "p wcnf 2 2\n5 1 2 0\n7 -1 0\n"))
    assert not f.hard.any() and f.weights.tolist() == [5.0, 7.0]


def test_wcnf_new_format_and_roundtrip(tmp_path):
    f = read_wcnf(_write(tmp_path, "c.wcnf", "c 2022\nh 1 -2 0\n4 2 0\n1 -1 3 0\n"))
    assert (f.n_vars, f.hard.tolist(), f.weights.tolist()) == (3, [True, False, False], [0, 4, 1])
    for dialect in ("new", "classic"):
        write_wcnf(f, tmp_path / f"o_{dialect}.wcnf", dialect=dialect)
        g = read_wcnf(tmp_path / f"o_{dialect}.wcnf")
        assert g.clauses == f.clauses and g.hard.tolist() == f.hard.tolist()
        assert g.weights.tolist() == f.weights.tolist()


@pytest.mark.parametrize(
    "name,text,line,msg",
    [
        ("hdr.wcnf", "p wcnf 3\n1 1 0\n", 1, "header"),
        ("hdr2.wcnf", "p cnf 3 1 4\n1 1 0\n", 1, "header"),
        ("lit.wcnf", "p wcnf 2 2 9\n9 1 2 0\n1 -3 0\n", 3, "out of range"),
        ("zero.wcnf", "h 1 2 0\n3 -1 2\n", 2, "end with 0"),
        ("tok.wcnf", "h 1 x 0\n", 1, "'x'"),
        ("weight.wcnf", "h 1 0\nq 1 0\n", 2, "weight 'q'"),
        ("negw.wcnf", "h 1 0\n-2 1 0\n", 2, "positive"),
        ("count.wcnf", "p wcnf 2 3 9\n9 1 0\n1 2 0\n", 1, "3 clauses"),
        ("more.wcnf", "p wcnf 2 1 9\n9 1 0\n1 2 0\n", 3, "1 clauses"),
        ("hmix.wcnf", "p wcnf 2 2 9\n9 1 0\nh 2 0\n", 3, "2022"),
        ("empty.wcnf", "h 0\n", 1, "empty clause"),
        ("nothing.wcnf", "", 1, "empty file"),
        ("mid0.wcnf", "h 1 0 2 0\n", 1, "0 inside"),
    ],
)
def test_wcnf_malformed(tmp_path, name, text, line, msg):
    p = _write(tmp_path, name, text)
    with pytest.raises(InputError) as exc:
        read_wcnf(p)
    assert exc.value.line == line and msg in str(exc.value)


def test_detect_format(tmp_path):
    assert detect_sat_format(_write(tmp_path, "x.txt", "c\nh 1 0\n")) == "wcnf"
    assert detect_sat_format(_write(tmp_path, "y.txt", "p wcnf 1 1 2\n2 1 0\n")) == "wcnf"
    assert detect_sat_format(_write(tmp_path, "z.txt", "p cnf 1 1\n1 0\n")) == "cnf"


def test_loaders(tmp_path):
    cnf_path = _write(tmp_path, "f.cnf", "p cnf 2 2\n1 2 0\n-1 0\n")
    assert load_cnf(cnf_path).clauses == [[1, 2], [-1]]
    assert load_cnf([[1, -3], [2]]).n_vars == 3
    with pytest.raises(InputError, match="maxsat"):
        load_cnf(_write(tmp_path, "g.wcnf", "h 1 0\n2 -1 0\n"))
    w = load_wcnf(cnf_path)
    assert not w.hard.any() and w.weights.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- losses and evaluators


def test_violation_probability_hand_values():
    p = Satisfiability(CNF(2, [[1, -2]]))
    x = torch.tensor([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0], [0.2, 0.7]])
    viol = p.falsified_prob(x).flatten()
    assert torch.allclose(viol, torch.tensor([1.0, 0.25, 0.0, 0.8 * 0.7]), atol=1e-6)
    hp = {"reweight": torch.zeros(4)}
    assert torch.allclose(p.loss(x, hp), viol, atol=1e-6)


def test_fourier_expansion_matches_boolean_function_and_is_multilinear():
    f = CNF(3, [[1, -2, 3], [-1, 2], [2, 3]])
    p = Satisfiability(f, formulation="fourier")
    # at every corner FE_c = +1 exactly when the clause is falsified
    for bits in itertools.product([0, 1], repeat=3):
        fe = p.fourier_expansion(torch.tensor([bits], dtype=torch.float32))[0]
        falsified = [count_falsified([c], bits) for c in f.clauses]
        assert fe.tolist() == [1.0 if b else -1.0 for b in falsified]
    # multilinear: = 2·(violation probability) − 1 everywhere in the box
    x = torch.rand(5, 3, generator=torch.Generator().manual_seed(1))
    prob = Satisfiability(f).falsified_prob(x)
    assert torch.allclose(p.fourier_expansion(x), 2 * prob - 1, atol=1e-6)


def test_loss_gradient_flows_and_reweighting_changes_weights():
    f, _ = planted_3sat(20, 80, seed=3)
    p = Satisfiability(f, reweight_every=1)
    x = torch.full((2, 20), 0.3, requires_grad=True)
    hp = {"reweight": torch.tensor([0.0, 0.5])}
    p.loss(x, hp).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    cw = p._cw
    assert torch.allclose(cw[0], torch.ones_like(cw[0]))  # rate 0: unchanged
    bad = kernels.falsified(p.ct, x.detach() > 0.5)[1]
    assert bad.any() and bool((cw[1][bad] > cw[1][~bad].max()).all())
    assert torch.allclose(cw.mean(dim=1), torch.ones(2))


def test_evaluate_and_verify_agree_random():
    rng = np.random.default_rng(0)
    f = random_wcnf(8, 30, seed=5)
    f.clauses[0] = [1, 1, -2]  # repeated literal
    f.clauses[1] = [3, -3]  # tautology
    sat_p = Satisfiability(CNF(f.n_vars, f.clauses))
    max_p = MaxSat(f)
    z = torch.as_tensor(rng.integers(0, 2, size=(64, 8)), dtype=torch.bool)
    ev_s, ev_m = sat_p.evaluate(z), max_p.evaluate(z)
    for b in range(64):
        a = z[b].numpy().astype(np.int8)
        assert ev_s.objective[b].item() == count_falsified(f.clauses, a)
        bad = float(count_falsified(f.clauses, a))
        assert sat_p.verify(a) == (bad, bad == 0)  # every clause is hard: only a model
        cost, ok = maxsat_cost(f, a)
        assert max_p.verify(a) == (cost, ok)
        assert bool(ev_m.feasible[b]) == ok
        assert ev_m.objective[b].item() == pytest.approx(cost)
        assert f.cost(a) == (cost if ok else None)
    assert sat_p.verify(np.zeros(3))[1] is False  # wrong length


def test_hand_checked_evaluations():
    p = Satisfiability(CNF(2, [[1, 2], [-1], [-2, 1]]))
    z = torch.tensor([[0, 0], [1, 1], [0, 1]], dtype=torch.bool)
    assert p.evaluate(z).objective.tolist() == [1.0, 1.0, 1.0]
    f = WCNF(2, [[1, 2], [-1], [-2]], np.array([0, 3, 1]), np.array([True, False, False]))
    q = MaxSat(f)
    ev = q.evaluate(torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=torch.bool))
    assert ev.feasible.tolist() == [False, True, True, True]
    assert ev.objective.tolist() == [0.0, 3.0, 1.0, 4.0]


# ---------------------------------------------------------------- local search


def test_batched_probsat_finds_models_of_planted_instances():
    for seed in range(3):
        f, _ = planted_3sat(60, 240, seed)
        cl, _ = kernels.normalize_clauses(f.clauses)
        ct = kernels.clause_tensors(f.n_vars, cl)
        g = torch.Generator().manual_seed(seed)
        z = torch.rand(16, f.n_vars, generator=g) < 0.5
        best, cost = kernels.local_search(ct, z, max_steps=20000, generator=g)
        i = int(cost.argmin())
        assert cost[i] == 0 and count_falsified(f.clauses, best[i].numpy()) == 0
        assert cost.tolist() == [float(count_falsified(f.clauses, b.numpy())) for b in best]


def test_local_search_is_deterministic_for_a_seed():
    f, _ = planted_3sat(40, 170, 7)
    cl, _ = kernels.normalize_clauses(f.clauses)
    ct = kernels.clause_tensors(f.n_vars, cl)
    z = torch.zeros(4, 40, dtype=torch.bool)
    runs = [
        kernels.local_search(ct, z, max_steps=300, generator=torch.Generator().manual_seed(3))
        for _ in range(2)
    ]
    assert torch.equal(runs[0][0], runs[1][0])


def test_weighted_walksat_cost_is_exact():
    f = random_wcnf(10, 40, seed=2)
    cl, keep = kernels.normalize_clauses(f.clauses)
    ct = kernels.clause_tensors(f.n_vars, cl, f.weights[keep], f.hard[keep])
    g = torch.Generator().manual_seed(0)
    best, cost = kernels.local_search(
        ct, torch.zeros(8, 10, dtype=torch.bool), max_steps=500, generator=g, mode="maxsat"
    )
    big = f.soft_total + 1
    for b in range(8):
        c, _ = maxsat_cost(f, best[b].numpy())
        nhard = sum(
            1
            for cl_, h in zip(f.clauses, f.hard, strict=True)
            if h and count_falsified([cl_], best[b].numpy())
        )
        assert cost[b].item() == pytest.approx(c + big * nhard)


# ---------------------------------------------------------------- solving


def _uf20() -> list:
    d = default_data_dir()
    folder = None if d is None else d / "satlib_uf" / "uf20-91"
    if folder is None or not folder.is_dir():
        return [planted_3sat(20, 91, s)[0] for s in range(3)]
    return [read_cnf(p) for p in sorted(folder.glob("*.cnf"))[:3]]


@pytest.mark.parametrize("method", ["relaxed", "fouriersat", "gnn"])
def test_solves_small_satisfiable_formulas(method):
    for f in _uf20()[: 3 if method == "relaxed" else 1]:
        r = solve("sat", f, method=method, device="cpu", steps=40, restarts=8, seed=0)
        assert r.status == "sat" and r.extra["checked"]
        a = np.array([lit > 0 for lit in r.solution], dtype=np.int8)
        assert [abs(v) for v in r.solution] == list(range(1, f.n_vars + 1))
        assert f.satisfied(a) and r.objective == 0.0 and r.feasible


def test_planted_instance_solved_and_checked():
    f, _ = planted_3sat(100, 400, 11)
    r = solve("sat", f, device="cpu", seed=1)
    assert r.status == "sat"
    assert count_falsified(f.clauses, np.array([v > 0 for v in r.solution])) == 0


def test_unsat_formula_unknown_then_exact():
    r = solve("sat", ALL8, device="cpu", steps=20, restarts=4, polish=False)
    assert r.status == "unknown" and r.objective >= 1 and not r.feasible  # a clause is false
    r2 = solve(
        "sat", ALL8, device="cpu", steps=20, restarts=4, polish=False, options={"exact": True}
    )
    assert r2.status == "unsat" and r2.found_by == "cadical" and r2.solution is None


def test_exact_on_satisfiable_keeps_network_model():
    f, _ = planted_3sat(30, 120, 4)
    r = solve("sat", f, device="cpu", options={"exact": True}, seed=0)
    assert r.status == "sat"
    assert r.found_by in ("network", "local_search", "baseline", "baseline+local_search")


@pytest.mark.parametrize("seed", range(4))
def test_maxsat_reaches_proven_optimum(seed):
    f = random_wcnf(10, 45, seed)
    opt = brute_force_maxsat(f)
    ref = rc2(f)
    if opt is None:
        assert ref.status == "infeasible"
        r = solve("maxsat", f, device="cpu", steps=30, restarts=8, options={"exact": True})
        assert r.status == "unsat"
        return
    assert ref.objective == opt
    r = solve("maxsat", f, device="cpu", steps=60, restarts=8, seed=seed)
    assert r.feasible and r.objective == pytest.approx(opt)
    a = np.array([v > 0 for v in r.solution])
    assert maxsat_cost(f, a) == (r.objective, True)
    assert r.status in ("feasible", "optimal")
    r2 = solve("maxsat", f, device="cpu", steps=10, restarts=4, options={"exact": True})
    assert r2.status == "optimal" and r2.objective == pytest.approx(opt)


def test_maxsat_unweighted_cnf_equals_unsat_core_bound():
    # ALL8 as unweighted MaxSAT: every assignment falsifies exactly one clause
    r = solve("maxsat", ALL8, device="cpu", steps=20, restarts=4, seed=0)
    assert r.objective == 1.0 and r.feasible
    # the unsatisfiable core (all eight clauses) proves cost >= 1: the answer is optimal
    assert (r.bound, r.bound_method, r.gap, r.status) == (1.0, "cores", 0.0, "optimal")
    r = solve("maxsat", ALL8, device="cpu", steps=20, restarts=4, seed=0, bound=False)
    assert r.status == "feasible" and r.bound is None


# ---------------------------------------------------------------- baselines


def test_baselines_agree():
    f, _ = planted_3sat(50, 210, 2)
    c, p = cadical(f), probsat(f, seed=0, time_limit=20)
    assert c.status == "sat" and f.satisfied(c.solution)
    assert p.status == "sat" and f.satisfied(p.solution)
    assert cadical(ALL8, time_limit=5).status == "unsat"
    assert probsat(ALL8, time_limit=0.2).status == "unknown"


# ---------------------------------------------------------------- CLI


def test_cli_exit_codes(tmp_path, capsys):
    f, _ = planted_3sat(30, 120, 9)
    sat_path = tmp_path / "sat.cnf"
    write_cnf(f, sat_path)
    out = tmp_path / "r.json"
    rc = main(["solve", "sat", str(sat_path), "--device", "cpu", "-q", "-o", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert res["status"] == "sat"
    assert f.satisfied(np.array([v > 0 for v in res["solution"]]))
    unsat_path = tmp_path / "unsat.cnf"
    write_cnf(ALL8, unsat_path)
    base = ["solve", "sat", str(unsat_path), "--device", "cpu", "-q", "--steps", "10"]
    assert main([*base, "--time-limit", "1"]) == 1
    assert "unknown" in capsys.readouterr().err
    assert main([*base, "--exact", "--no-polish"]) == 2  # proven unsatisfiable
    bad = _write(tmp_path, "bad.cnf", "p cnf 2 1\n1 3 0\n")
    assert main(["solve", "sat", str(bad), "--device", "cpu", "-q"]) == 2
    assert "bad.cnf:2" in capsys.readouterr().err
    wbad = _write(tmp_path, "bad.wcnf", "h 1 2 0\n3 x 0\n")
    assert main(["solve", "maxsat", str(wbad), "--device", "cpu", "-q"]) == 2
    assert "bad.wcnf:2" in capsys.readouterr().err
    good = _write(tmp_path, "g.wcnf", "h 1 2 0\n3 -1 0\n1 -2 0\n")
    rc = main(["solve", "maxsat", str(good), "--device", "cpu", "-q", "--exact", "-o", str(out)])
    res = json.loads(out.read_text())
    assert rc == 0 and res["objective"] == 1.0 and res["status"] == "optimal"
    infeasible = _write(tmp_path, "inf.wcnf", "h 1 0\nh -1 0\n2 1 0\n")
    assert main(["solve", "maxsat", str(infeasible), "--device", "cpu", "-q"]) == 1
