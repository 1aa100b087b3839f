"""The certified bounds of the dominating-set family (LP duals, :mod:`dnnsolve.bounds.covering`)
and of scheduling (:mod:`dnnsolve.bounds.schedule`): valid against brute force and CP-SAT,
tight where the LP is integral, within the deadline (issue 21)."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from dnnsolve.bounds.covering import (
    METHOD,
    ROWS,
    covering_bound,
    covering_rows,
    cut_vertices,
    dual_value,
    round_up,
)
from dnnsolve.bounds.schedule import COUNTING, LP_DUAL, schedule_bound
from dnnsolve.graph import Graph
from dnnsolve.problems.domination_check import CHECKS
from dnnsolve.schedule import random_layered_dag
from dnnsolve.schedule.baselines import cpsat_schedule

KINDS = tuple(ROWS)


def _optimum(kind: str, g: Graph) -> float | None:
    """Brute force over all 2^n sets (None: no feasible set)."""
    best = None
    for bits in itertools.product((0, 1), repeat=g.n):
        obj, ok = CHECKS[kind](g, np.array(bits))
        if ok and (best is None or (obj > best if kind == "dissociation" else obj < best)):
            best = obj
    return best


def _random_graph(rng, n: int, p: float) -> Graph:
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
    return Graph.from_edges(n, edges)


def test_every_bound_is_valid_against_brute_force_on_small_random_graphs():
    rng = np.random.default_rng(7)
    checked = dict.fromkeys(KINDS, 0)
    for _ in range(14):
        g = _random_graph(rng, int(rng.integers(4, 9)), float(rng.uniform(0.2, 0.7)))
        for kind in KINDS:
            opt = _optimum(kind, g)
            if opt is None:
                continue
            b = covering_bound(kind, g)
            assert b.method == METHOD and b.value == int(b.value)
            if kind == "dissociation":
                assert b.value >= opt, (kind, g.src, g.dst)
            else:
                assert b.value <= opt, (kind, g.src, g.dst)
            checked[kind] += 1
    assert all(c >= 5 for c in checked.values()), checked


def _path(n: int) -> Graph:
    return Graph.from_edges(n, [(i, i + 1) for i in range(n - 1)])


@pytest.mark.parametrize(
    ("kind", "graph", "optimum"),
    [
        ("domset", Graph.from_edges(6, [(0, i) for i in range(1, 6)]), 1),  # a star
        ("domset", _path(7), 3),  # ⌈n/3⌉
        ("domset", _path(9), 3),
        ("total-domset", _path(6), 4),
        ("connected-domset", _path(7), 5),  # the cut vertices: every inner vertex
        (
            "connected-domset",
            Graph.from_edges(7, [(0, 1), (1, 2), (1, 3), (3, 4), (3, 5), (5, 6)]),
            3,
        ),
        ("liars-domset", _path(4), 4),  # leaves force both ends of their edge
        ("ve-domset", _path(5), 1),
        ("dissociation", _path(6), 4),
        ("dissociation", Graph.from_edges(5, [(0, i) for i in range(1, 5)]), 4),  # the leaves
    ],
)
def test_the_bound_is_tight_where_the_lp_is_integral(kind, graph, optimum):
    assert _optimum(kind, graph) == optimum
    b = covering_bound(kind, graph)
    assert b.value == optimum and b.notes["dual"] == "lp"


def test_the_certificate_is_a_dual_feasible_point_of_the_rows():
    rng = np.random.default_rng(3)
    g = _random_graph(rng, 40, 0.12)
    for kind in ("domset", "liars-domset", "dissociation", "disjunctive-domset"):
        if kind == "liars-domset" and (g.degrees() == 0).any():
            continue
        b = covering_bound(kind, g)
        assert 1.0 <= b.notes["scale"] < 1 + 1e-6  # HiGHS's tolerances, not a wrong dual
        blocks = covering_rows(kind, g)
        cert = b.certificate["rows"]
        ys = []
        for block in blocks:  # the certificate's rows back onto the blocks' order
            y = np.zeros(block.A.shape[0])
            index = {tuple(int(v) for v in k): i for i, k in enumerate(block.keys + 1)}
            for *ids, val in cert[block.name]:
                y[index[tuple(ids)]] = val
            ys.append(y)
        value, _, _ = dual_value(blocks, ys, g.n)
        assert value == pytest.approx(b.notes["value"])
        cover = round_up(value)
        assert b.value == (g.n - cover if kind == "dissociation" else cover)


def test_cut_vertices_match_networkx():
    import networkx as nx

    rng = np.random.default_rng(5)
    for _ in range(20):
        g = _random_graph(rng, 25, 0.09)
        expect = sorted(nx.articulation_points(g.to_networkx()))
        assert cut_vertices(g).tolist() == expect


def test_a_past_deadline_gives_the_uniform_dual_at_once():
    rng = np.random.default_rng(0)
    g = _random_graph(rng, 300, 0.05)
    t = time.monotonic()
    b = covering_bound("domset", g, deadline=t)
    assert time.monotonic() - t < 2.0
    assert b.notes["lp"] == "not run" and b.notes["dual"] == "uniform"
    delta = int(g.degrees().max())
    assert b.value == round_up(g.n / (delta + 1))  # n / (Δ + 1)
    assert b.value <= covering_bound("domset", g).value


def test_highs_stops_by_the_deadline():
    # the vertex-edge rows of a dense graph: an LP HiGHS needs seconds for
    rng = np.random.default_rng(1)
    g = _random_graph(rng, 150, 0.5)
    t = time.monotonic()
    b = covering_bound("ve-domset", g, deadline=t + 0.4)
    assert time.monotonic() - t < 0.4 + 0.5  # building the rows + HiGHS's last iteration
    assert b.value >= 1 and b.notes["lp"] in ("Time limit reached", "Optimal")


def test_an_empty_graph_has_the_empty_bound():
    g = Graph.from_edges(0, [])
    assert covering_bound("domset", g).value == 0
    assert covering_bound("dissociation", g).value == 0


# --------------------------------------------------------------------------- scheduling


@pytest.mark.parametrize(("strict", "extra"), [(False, 0), (False, 2), (True, 0), (True, 2)])
def test_schedule_bound_is_below_the_proven_optimum(strict, extra):
    for seed in range(2):
        g = random_layered_dag(14, "sparse", seed=seed)
        D = g.depth + extra
        b = schedule_bound(g.n, g.src, g.dst, g.memory, g.comm, g.ids, stages=D, strict=strict)
        r = cpsat_schedule(g, stages=D, strict=strict, time_limit=10)
        assert r.status == "OPTIMAL"
        assert b.value <= r.objective
        assert b.value >= max(g.memory.max(), np.ceil(g.memory.sum() / D))
        assert b.method == (LP_DUAL if strict and "lp" in b.certificate else COUNTING)


def test_the_strict_lp_bound_beats_counting_and_can_be_tight():
    g = random_layered_dag(40, "sparse", seed=0)
    b = schedule_bound(g.n, g.src, g.dst, g.memory, g.comm, g.ids, stages=g.depth, strict=True)
    assert b.method == LP_DUAL and b.value > b.notes["counting"]
    r = cpsat_schedule(g, stages=g.depth, strict=True, time_limit=10)
    assert r.status == "OPTIMAL" and b.value == r.objective  # proven optimal by the LP


def test_schedule_latency_bound_is_below_the_optimum():
    g = random_layered_dag(14, "sparse", seed=1)
    cap = float(g.memory.max()) * 1.5
    for strict in (False, True):
        D = g.depth + 6
        b = schedule_bound(
            g.n, g.src, g.dst, g.memory, g.comm, g.ids,
            stages=D, objective="latency", capacity=cap, strict=strict,
        )  # fmt: skip
        r = cpsat_schedule(
            g, stages=D, objective="latency", capacity=cap, strict=strict, time_limit=10
        )
        assert r.status == "OPTIMAL" and 1 <= b.value <= r.objective
        assert b.value >= np.ceil(g.memory.sum() / cap)


def test_schedule_bound_without_time_keeps_the_counting_bound():
    g = random_layered_dag(200, "dense", seed=0)
    t = time.monotonic()
    b = schedule_bound(
        g.n, g.src, g.dst, g.memory, g.comm, g.ids, stages=g.depth, strict=True, deadline=t
    )
    assert time.monotonic() - t < 2.0
    assert b.method == COUNTING and b.notes["lp"] == "not run"
    assert b.value == b.notes["counting"]
