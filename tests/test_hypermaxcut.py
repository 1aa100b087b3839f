"""Hypergraph MaxCut: evaluators, HypOp loss, readers, local search, solver optima, CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch

from dnnsolve import solve
from dnnsolve.baselines.hypermaxcut import cpsat_hypermaxcut, hypercut_value, sa_hypermaxcut
from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.data import default_data_dir
from dnnsolve.hypergraph import Hypergraph, random_hypergraph
from dnnsolve.io.hypergraphs import load_hypergraph, read_hypergraph, write_hmetis, write_hypop
from dnnsolve.params.hypergnn import HypergraphNetwork
from dnnsolve.problems.hypermaxcut import HyperMaxCut
from dnnsolve.search.hypermaxcut import (
    _State,
    cut_values,
    flip_gains,
    greedy_descent,
    tabu_search,
)


def _brute_force(hg: Hypergraph) -> float:
    """Optimum by enumeration (vertex 0 fixed on side 0), written from scratch."""
    edges = hg.edges()
    best = 0.0
    for bits in itertools.product([0, 1], repeat=hg.n - 1):
        side = (0, *bits)
        val = sum(float(w) for e, w in zip(edges, hg.weight) if len({side[v] for v in e}) == 2)
        best = max(best, val)
    return best


# ---------------------------------------------------------------- evaluators


def test_hand_made_cut_values():
    # triangle hyperedge {0,1,2}, pair {2,3}, pair {0,3}, singleton {1}
    hg = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3), (0, 3), (1,)], weights=[2, 1, 1, 5])
    p = HyperMaxCut(hg)
    cases = {
        (0, 0, 0, 0): 0.0,  # all monochromatic
        (1, 1, 1, 1): 0.0,
        (1, 1, 1, 0): 2.0,  # {2,3} and {0,3} cut
        (1, 0, 0, 0): 3.0,  # triangle (2) + {0,3} (1)
        (0, 0, 1, 0): 3.0,  # triangle + {2,3}
        (0, 1, 0, 1): 4.0,  # all but the singleton
    }
    for side, want in cases.items():
        z = torch.tensor([side], dtype=torch.bool)
        assert p.evaluate(z).objective.tolist() == [want]
        assert p.verify(np.array(side)) == (want, True)
        assert hypercut_value(hg, np.array(side)) == want
        assert cut_values(p.th, z).tolist() == [want]
    assert p.evaluate(torch.zeros(1, 4, dtype=torch.bool)).feasible.all()
    # wrong length: not a solution
    _, ok = p.verify(np.array([1, 0]))
    assert not ok


def test_loss_is_uncut_weight_at_binary_points():
    hg = random_hypergraph(12, 20, seed=4)
    hg.weight = np.linspace(0.5, 2.0, hg.m)
    p = HyperMaxCut(hg)
    z = torch.rand(16, 12, generator=torch.Generator().manual_seed(0)) < 0.5
    loss = p.loss(z.to(torch.float64), {})
    total = float(hg.weight.sum())
    assert torch.allclose(loss, total - p.evaluate(z).objective, atol=1e-9)
    # at x = 1/2 every edge of size k is monochromatic with probability 2^(1-k)
    half = p.loss(torch.full((1, 12), 0.5, dtype=torch.float64), {})
    want = float((hg.weight * 2.0 ** (1 - hg.edge_sizes)).sum())
    assert half.item() == pytest.approx(want)


def test_loss_is_differentiable_and_finite_at_the_box_corners():
    p = HyperMaxCut(random_hypergraph(20, seed=1))
    x = torch.tensor([[0.0] * 10 + [1.0] * 10, [0.3] * 20], requires_grad=True)
    loss = p.loss(x, {})
    loss.sum().backward()
    assert torch.isfinite(loss).all() and torch.isfinite(x.grad).all()
    assert x.grad[1].abs().sum() > 0


def test_evaluate_matches_verify_on_random_partitions():
    hg = random_hypergraph(60, seed=7)
    hg.weight = np.random.default_rng(0).integers(1, 5, hg.m).astype(float)
    p = HyperMaxCut(hg)
    z = torch.rand(32, 60, generator=torch.Generator().manual_seed(1)) < 0.5
    ev = p.evaluate(z).objective
    for b in range(32):
        assert ev[b].item() == p.verify(z[b].numpy())[0]


def test_flip_gains_and_incremental_state_are_exact():
    hg = random_hypergraph(40, seed=2)
    th = hg.to_torch()
    gen = torch.Generator().manual_seed(0)
    z = torch.rand(3, 40, generator=gen) < 0.5
    g = flip_gains(th, z)
    base = cut_values(th, z)
    for v in range(40):
        z2 = z.clone()
        z2[:, v] ^= True
        assert torch.allclose(cut_values(th, z2) - base, g[:, v])
    st = _State(th, z)
    for _ in range(100):
        k = torch.randint(0, 40, (3, 1), generator=gen)
        st.flip(k, st.g[:, :40].gather(1, k))
        assert torch.allclose(st.g[:, :40], flip_gains(th, st.sides()))
        assert torch.allclose(st.cut.view(-1), cut_values(th, st.sides()))


# ---------------------------------------------------------------- local search and optima


def test_greedy_descent_reaches_a_local_optimum():
    th = random_hypergraph(80, seed=3).to_torch()
    z = torch.zeros(4, 80, dtype=torch.bool)
    out = greedy_descent(th, z)
    assert (flip_gains(th, out) <= 1e-9).all()
    assert (cut_values(th, out) >= cut_values(th, z)).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tabu_search_reaches_brute_force_optimum(seed):
    hg = random_hypergraph(12, 22, seed=seed)
    opt = _brute_force(hg)
    z = torch.zeros(4, 12, dtype=torch.bool)
    out = tabu_search(hg.to_torch(), z, max_iters=2000, generator=torch.Generator().manual_seed(0))
    assert cut_values(hg.to_torch(), out).max().item() == opt


@pytest.mark.parametrize("seed", [10, 11])
@pytest.mark.parametrize("method", ["free", "hypop"])
def test_solver_reaches_proven_optimum(seed, method):
    hg = random_hypergraph(14, 30, seed=seed)
    hg.weight = np.random.default_rng(seed).integers(1, 4, hg.m).astype(float)
    opt = _brute_force(hg)
    assert cpsat_hypermaxcut(hg, time_limit=10).objective == opt
    r = solve(
        "hypermaxcut",
        hg,
        method=method,
        device="cpu",
        seed=0,
        steps=60,
        restarts=4,
        reference_value=opt,
    )
    assert r.feasible and r.objective == opt
    side = np.zeros(hg.n, dtype=int)
    side[np.asarray(r.solution) - 1] = 1  # ids are 1-based
    assert hypercut_value(hg, side) == opt


def test_cpsat_with_negative_weights_matches_brute_force():
    hg = random_hypergraph(10, 18, seed=5)
    hg.weight = np.random.default_rng(1).choice([-1.0, 1.0, 2.0], hg.m)
    r = cpsat_hypermaxcut(hg, time_limit=10)
    assert r.optimal and r.objective == _brute_force(hg)


def test_sa_baseline_is_decent():
    hg = random_hypergraph(14, 30, seed=3)
    assert sa_hypermaxcut(hg, sweeps=200, seed=0).objective == _brute_force(hg)
    r = sa_hypermaxcut(hg, time_limit=0.2, seed=1)
    assert r.time_s < 1.0 and r.objective == hypercut_value(hg, r.solution)


def test_network_output_shape_and_range():
    th = random_hypergraph(30, seed=0).to_torch()
    x = HypergraphNetwork(th, 3, generator=torch.Generator().manual_seed(0))()
    assert x.shape == (3, 30) and ((x >= 0) & (x <= 1)).all()


def test_local_search_without_time_limit_is_deterministic():
    hg = random_hypergraph(50, seed=8)
    p = HyperMaxCut(hg)
    z = torch.zeros(2, 50, dtype=torch.bool)
    a = p.local_search(z, None, torch.Generator().manual_seed(3))
    b = p.local_search(z, None, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


# ---------------------------------------------------------------- readers


def test_read_hypop_format(tmp_path):
    f = tmp_path / "h.txt"
    f.write_text("5 3\n1 2 3\n3 4\n5 1 2 4\n")
    hg = read_hypergraph(f)
    assert hg.meta["format"] == "hypop"
    assert (hg.n, hg.m) == (5, 3)
    assert hg.edges() == [[0, 1, 2], [2, 3], [4, 0, 1, 3]]  # file order
    assert "header_m" not in hg.meta
    f.write_text("5 4\n1 2 3\n3 4\n")  # HypOp's reader ignores m; so do we (kept in meta)
    assert read_hypergraph(f).m == 2 and read_hypergraph(f).meta["header_m"] == 4
    write_hypop(tmp_path / "back.txt", hg)
    assert read_hypergraph(tmp_path / "back.txt").edges() == hg.edges()


def test_read_hmetis_formats(tmp_path):
    f = tmp_path / "a.hgr"
    f.write_text("% comment\n3 4\n1 2\n2 3 4\n4 1\n")
    hg = read_hypergraph(f)
    assert (hg.n, hg.m, hg.meta["format"]) == (4, 3, "hmetis")
    assert hg.edges() == [[0, 1], [1, 2, 3], [3, 0]]
    g = tmp_path / "b.txt"  # fmt 11: edge weights first, vertex weights after
    g.write_text("2 3 11\n5 1 2\n7 2 3\n1\n2\n3\n")
    hg = read_hypergraph(g)
    assert hg.meta["format"] == "hmetis"
    assert hg.weight.tolist() == [5.0, 7.0] and hg.node_weight.tolist() == [1.0, 2.0, 3.0]
    # two-number header detected by the line count: "m n" with m = 3 lines
    h = tmp_path / "c.txt"
    h.write_text("3 5\n1 2\n3 4\n4 5\n")
    assert read_hypergraph(h).meta["format"] == "hmetis"
    write_hmetis(tmp_path / "d.hgr", hg)
    back = read_hypergraph(tmp_path / "d.hgr")
    assert back.edges() == hg.edges() and back.weight.tolist() == hg.weight.tolist()


@pytest.mark.parametrize(
    "name, text, fmt, msg, line",
    [
        ("a.txt", "3 2\n1 2\n2 x\n", "hypop", "not an integer", 3),
        ("b.txt", "3 2\n1 2\n2 4\n", "hypop", "out of range", 3),
        ("c.txt", "3 3\n1 2\n\n2 3 1 4\n", "hypop", "out of range", 4),
        ("d.txt", "1 3 0\n1 2\n2 3\n", None, "header says 1", 3),
        ("e.txt", "3\n1 2\n", "hypop", "header", 1),
        ("f.txt", "3 2\n1 2\n2 2\n", "hypop", "repeated", 3),
        ("g.hgr", "2 3 1\n1 1 2\n2\n", None, "no vertices", 3),
        ("h.hgr", "2 3 1\nw 1 2\n1 2 3\n", None, "not a number", 2),
        ("i.hgr", "1 3 7\n1 2\n", None, "fmt", 1),
        ("j.hgr", "1 3 10\n1 2\n1\n2\n", None, "header says 4", 4),
        ("k.hgr", "1 2 10\n1 2\n1 2\n3\n", None, "1 field", 3),
        ("l.txt", "", None, "empty", 1),
        ("m.hgr", "1 2\n0 1\n", None, "out of range", 2),
    ],
)
def test_malformed_input_names_the_line(tmp_path, name, text, fmt, msg, line):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(InputError, match=msg) as exc:
        read_hypergraph(f, format=fmt)
    assert exc.value.line == line


def test_loader_accepts_lists_and_rejects_junk():
    hg = load_hypergraph([["a", "b"], ["b", "c", "d"]])
    assert hg.n == 4 and hg.vertex_ids([0, 3]) == ["a", "d"]
    with pytest.raises(InputError):
        load_hypergraph([[1, 2], []])
    with pytest.raises(InputError):
        load_hypergraph(42)
    with pytest.raises(InputError, match="unknown hypergraph format"):
        read_hypergraph(__file__, format="nope")


def test_in_memory_labels_come_back_in_the_solution():
    r = solve("hypermaxcut", [[10, 20], [20, 30], [10, 30, 40]], device="cpu", steps=20)
    assert r.objective == 3.0 and set(r.solution) <= {10, 20, 30, 40}


@pytest.mark.skipif(
    default_data_dir() is None
    or not (default_data_dir() / "hypop_hypergraph" / "Hyp_453_673.txt").exists(),
    reason="HypOp dataset not available",
)
def test_reads_the_hypop_dataset_files():
    folder = default_data_dir() / "hypop_hypergraph"
    for f in sorted(folder.glob("*.txt")):
        hg = read_hypergraph(f)
        assert hg.meta["format"] == "hypop"
        head = f.read_text().split("\n", 1)[0].split()
        assert (hg.n, hg.meta.get("header_m", hg.m)) == (int(head[0]), int(head[1]))


# ---------------------------------------------------------------- CLI


def test_cli_solves_a_hypop_file(tmp_path, capsys):
    hg = random_hypergraph(12, 20, seed=6)
    f = tmp_path / "small.txt"
    write_hypop(f, hg)
    out = tmp_path / "res.json"
    rc = main(
        ["solve", "hypermaxcut", str(f), "--device", "cpu", "--restarts", "4", "--output", str(out)]
    )
    assert rc in (0, None)
    res = json.loads(out.read_text())
    assert res["feasible"] and res["objective"] == _brute_force(hg)
    side = np.zeros(12, dtype=int)
    side[np.asarray(res["solution"], dtype=int) - 1] = 1
    assert hypercut_value(hg, side) == res["objective"]


def test_cli_malformed_file_exits_2(tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_text("3 2\n1 2\n2 9\n")
    rc = main(["solve", "hypermaxcut", str(f), "--device", "cpu"])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.txt:3" in err and "out of range" in err
