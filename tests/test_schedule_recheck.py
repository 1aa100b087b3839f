"""The schedule suite's independent re-check: wrong schedules rejected, right ones accepted.

The solver and the baselines judge their schedules with ``dnnsolve.schedule``'s checker
(``check_schedule``); the bench re-check must not, so a bug in that checker shows up as
``recheck: False`` instead of a legal-looking row.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
import torch

import dnnsolve.schedule.baselines as sched_baselines
import dnnsolve.schedule.problem as sched_problem
from dnnsolve.bench.harness import Instance, SuiteContext
from dnnsolve.bench.suites.schedule import (
    _longest_path_nodes,
    _rows,
    schedule_recheck,
    schedule_violations,
)
from dnnsolve.core.result import Result
from dnnsolve.schedule import TaskGraph
from dnnsolve.schedule.baselines import ScheduleRun

# a → b → d, a → c → d, c → e; memory 4, 1, 2, 3, 2; comm 1 except c → e (5)
G = TaskGraph.from_edges(
    5,
    [(0, 1), (1, 3), (0, 2), (2, 3), (2, 4)],
    memory=[4, 1, 2, 3, 2],
    comm=[1, 1, 1, 1, 5],
    ids=["a", "b", "c", "d", "e"],
)


def _by_hand(s: dict[str, int], w: float = 1.0) -> float:
    """comm + w·peak of G's schedule, term by term."""
    comm = (
        (s["b"] - s["a"])
        + (s["d"] - s["b"])
        + (s["c"] - s["a"])
        + (s["d"] - s["c"])
        + 5 * (s["e"] - s["c"])
    )
    load = [0.0, 0.0, 0.0]
    for node, m in zip("abcde", [4, 1, 2, 3, 2], strict=True):
        load[s[node]] += m
    return comm + w * max(load)


def test_longest_path_is_the_default_stage_count():
    assert _longest_path_nodes(G) == 3 == G.depth


def test_correct_schedules_are_accepted_with_their_objective():
    good = {"a": 0, "b": 1, "c": 1, "d": 2, "e": 1}  # comm 1+1+1+1+0 = 4, loads 4, 5, 3
    assert _by_hand(good) == 9.0
    assert schedule_violations(G, {"stage": good, "num_stages": 3}, 3) == (9.0, [])
    assert schedule_violations(G, good, 3, memory_weight=2.0) == (4.0 + 10.0, [])
    assert schedule_violations(G, np.array([0, 1, 1, 2, 1]), 3) == (9.0, [])  # node order
    assert schedule_violations(G, good, 3, objective="latency") == (3.0, [])
    # every legal schedule of G in 3 stages: the re-check agrees with the hand formula
    legal = 0
    for st in itertools.product(range(3), repeat=5):
        s = dict(zip("abcde", st, strict=True))
        ok = s["a"] <= s["b"] <= s["d"] and s["a"] <= s["c"] <= s["d"] and s["c"] <= s["e"]
        obj, why = schedule_violations(G, s, 3)
        assert (obj is not None) == ok and (why == []) == ok
        if ok:
            legal += 1
            assert obj == _by_hand(s)
    assert legal > 10


@pytest.mark.parametrize(
    ("solution", "kw", "reason"),
    [
        ({"a": 0, "b": 1, "c": 2, "d": 1, "e": 2}, {}, "edge c -> d goes from stage 2 back to"),
        ({"a": 0, "b": 1, "c": 1, "d": 2, "e": 1}, {"strict": True}, "to the same stage"),
        ({"a": 0, "b": 1, "c": 1, "d": 3, "e": 1}, {}, "node d: stage 3 outside 0..2"),
        ({"a": -1, "b": 1, "c": 1, "d": 2, "e": 1}, {}, "node a: stage -1 outside"),
        ({"a": 0, "b": 1, "c": 1, "d": 2}, {}, "1 node(s) without a stage, e.g. e"),
        ({"a": 0, "b": 1, "c": 1, "d": 2, "e": 1, "zz": 0}, {}, "unknown node(s), e.g. zz"),
        ({"a": 0, "b": 1.5, "c": 1, "d": 2, "e": 1}, {}, "node b: stage 1.5 is not an integer"),
        ({"a": 0, "b": True, "c": 1, "d": 2, "e": 1}, {}, "is not an integer"),
        ([0, 1, 1, 2], {}, "4 stages for 5 nodes"),
        ({"a": 0, "b": 1, "c": 1, "d": 2, "e": 1}, {"capacity": 4.5}, "stage 1 holds 5 > capacity"),
    ],
)
def test_wrong_schedules_are_rejected(solution, kw, reason):
    obj, why = schedule_violations(G, solution, 3, **kw)
    assert obj is None and any(reason in w for w in why), why
    assert schedule_recheck(G, 3, **kw)(solution) is None


# ---------------------------------------------------------------- through the suite


def _broken_checker(graph, stages_of, num_stages, strict=False, capacity=None, memory_weight=1.0):
    """A check_schedule with a bug: it never looks at the edges (every schedule 'legal')."""
    s = np.asarray(stages_of, dtype=np.int64)
    load = [float(graph.memory[s == d].sum()) for d in range(num_stages)]
    return {
        "legal": True,
        "comm": 0.0,
        "peak": max(load),
        "objective": memory_weight * max(load),
        "latency": float(s.max() + 1),
        "entropy": 0.0,
        "stage_memory": load,
        "violations": 0,
    }


BAD = {"a": 1, "b": 0, "c": 0, "d": 0, "e": 2}  # a → b goes backwards: loads 6, 4, 2
GOOD = {"a": 0, "b": 1, "c": 1, "d": 2, "e": 1}


def _suite_rows(monkeypatch, schedule: dict[str, int], baseline: dict[str, int]) -> dict:
    """The suite's rows for G when gumbel 'returns' ``schedule`` and every baseline
    ``baseline``, both judged by the broken checker (as the package would report them)."""
    monkeypatch.setattr(sched_problem, "check_schedule", _broken_checker)
    monkeypatch.setattr(sched_baselines, "check_schedule", _broken_checker)
    prob = sched_problem.SchedulingProblem(G, stages=3)
    z = np.array([schedule[i] for i in G.ids])
    claimed, legal = prob.verify(z)  # what the package's own check says
    assert legal

    def fake_solve(problem, instance, **kw):
        return Result(
            problem="schedule",
            instance="g",
            method=kw["method"],
            objective=claimed,
            feasible=True,
            solution=prob.solution_output(z),
            time_s=0.01,
            device="cpu",
            seed=0,
            sense="min",
        )

    def fake_baseline(name, graph, **kw):
        s = np.array([baseline[i] for i in G.ids])
        rep = _broken_checker(graph, s, 3)
        return ScheduleRun(name, s, rep["objective"], True, "feasible", 0.01)

    # dnnsolve.methods is also a function of the package: patch the module itself
    monkeypatch.setattr(sys.modules["dnnsolve.family"], "solve", fake_solve)
    monkeypatch.setattr(sched_baselines, "run_baseline", fake_baseline)
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=1.0, seed=0, options={})
    rows = _rows(Instance("g", lambda: G), G, {"schedule": ["gumbel"]}, ctx)
    return {r["method"]: r for r in rows}


def test_suite_rejects_a_wrong_schedule_its_own_checker_accepts(monkeypatch):
    rows = _suite_rows(monkeypatch, BAD, BAD)
    assert set(rows) == {"gumbel", "list", "topo", "topo-dp", "cpsat", "highs"}
    for r in rows.values():
        # the package called it legal (objective 6); the independent re-check does not
        assert r["legal"] is True and r["objective"] == 6.0
        assert r["recheck"] is False, r


def test_suite_rejects_a_wrong_objective(monkeypatch):
    # a legal schedule whose objective the broken checker gets wrong (it drops the comm)
    rows = _suite_rows(monkeypatch, GOOD, GOOD)
    for r in rows.values():
        assert r["objective"] == 5.0 and r["recheck"] is False  # the real objective is 9


def test_suite_accepts_correct_schedules(tmp_path):
    from dnnsolve.bench.harness import run_suite

    rep = run_suite(
        "schedule",
        out=tmp_path,
        device="cpu",
        time_limit=1,
        options={"sizes": "40", "densities": "sparse"},
        progress=False,
    )
    rows = [r for r in rep.rows if r.get("objective") is not None]
    assert {r["method"] for r in rows} >= {"gumbel", "list", "topo", "topo-dp"}
    for r in rows:
        assert r["recheck"] is True, r
    assert all(m["recheck_ok"] for m in rep.summary["methods"].values())
