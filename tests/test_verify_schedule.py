"""``dnnsolve verify`` on schedules: genuine results (balance and latency, with the counting
or the LP-dual bound) pass in every input format; a node moved to another stage, a changed
multiplier or argument, or settings that do not match fail (issue 21)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dnnsolve import solve
from dnnsolve.schedule import check_schedule, random_layered_dag, write_task_graph
from dnnsolve.verify import Failed, verify

CASES = {
    "balance": ("gml", {}),
    "balance-stages": ("el", {"stages": 6}),
    "strict": ("graphml", {"strict": True}),
    "strict-wide": ("gml", {"strict": True, "stages": 16}),
    "latency": ("el", {"objective": "latency", "capacity": 9000.0, "strict": True, "stages": 30}),
    "list": ("gml", {"method": "list", "stages": 8}),
}


@pytest.fixture(scope="module")
def graph():
    return random_layered_dag(80, "sparse", seed=2)


@pytest.fixture(scope="module")
def solved(tmp_path_factory, graph):
    tmp = tmp_path_factory.mktemp("schedule")
    out = {}
    for name, (fmt, kw) in CASES.items():
        path = tmp / f"g.{fmt}"
        if not path.exists():
            write_task_graph(graph, path)
        r = solve("schedule", path, steps=20, restarts=4, device="cpu", seed=0, polish=False, **kw)
        assert r.feasible and r.bound is not None, name
        res = tmp / f"{name}.json"
        r.save(res)
        out[name] = (path, res)
    return out


def _tampered(tmp_path, path, change):
    data = json.loads(path.read_text())
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    return bad


@pytest.mark.parametrize("name", CASES)
def test_a_genuine_schedule_and_its_bound_are_verified(solved, name):
    path, res = solved[name]
    data = json.loads(res.read_text())
    expect = "schedule-lp-dual" if name.startswith("strict") else "schedule-counting"
    assert data["bound_method"] == expect
    lines = verify(path, res)
    assert any("legal" in line for line in lines) and any("proves" in line for line in lines)


@pytest.mark.parametrize("name", CASES)
def test_one_node_moved_to_another_stage_is_caught(solved, name, graph, tmp_path):
    path, res = solved[name]
    data = json.loads(res.read_text())
    sol = data["solution"]
    D, strict = sol["num_stages"], bool(data["extra"]["options"].get("strict"))
    stages = np.array([sol["stage"][i] for i in graph.ids])
    latency = sol["objective_kind"] == "latency"
    cap = sol["parts"]["capacity"]
    before = check_schedule(graph, stages, D, strict, cap)
    # the first move that changes the schedule's objective or legality
    for i in np.argsort(-graph.memory).tolist():
        for d in range(D):
            if d == stages[i]:
                continue
            moved = stages.copy()
            moved[i] = d
            after = check_schedule(graph, moved, D, strict, cap)
            key = "latency" if latency else "objective"
            if after["legal"] != before["legal"] or after[key] != before[key]:
                break
        else:
            continue
        break

    def move(data):
        data["solution"]["stage"][graph.ids[i]] = d

    with pytest.raises(Failed, match="recorded"):
        verify(path, _tampered(tmp_path, res, move))


def test_a_changed_lp_multiplier_is_caught(solved, tmp_path):
    path, res = solved["strict"]

    def inflate(data):  # the stage rows' multipliers far above w: the Lagrangian collapses
        mu = data["certificate"]["lp"]["stages"]
        mu[0] += 100.0

    with pytest.raises(Failed, match="certificate proves only"):
        verify(path, _tampered(tmp_path, res, inflate))

    def negative(data):
        data["certificate"]["lp"]["edges"][0][2] = -1.0

    with pytest.raises(Failed, match="negative"):
        verify(path, _tampered(tmp_path, res, negative))

    def non_edge(data):
        edge = data["certificate"]["lp"]["edges"][0]
        edge[0], edge[1] = edge[1], edge[0]  # reversed: not an edge of the DAG

    with pytest.raises(Failed, match="not an edge"):
        verify(path, _tampered(tmp_path, res, non_edge))


def test_a_weaker_peak_argument_is_caught(solved, graph, tmp_path):
    path, res = solved["balance"]
    light = graph.ids[int(np.argmin(graph.memory))]

    def swap(data):
        data["certificate"]["peak"] = {"node": light}

    with pytest.raises(Failed, match="certificate proves only"):
        verify(path, _tampered(tmp_path, res, swap))


def test_a_latency_argument_that_does_not_apply_is_caught(solved, tmp_path):
    path, res = solved["latency"]

    def other(data):
        data["certificate"]["argument"] = "levels"
        data["certificate"]["t"] = 0  # 0 + ⌈Σm / C⌉: the total argument, never stronger
        data["bound"] = data["objective"]
        data["gap"] = 0.0

    with pytest.raises(Failed, match="certificate proves only"):
        verify(path, _tampered(tmp_path, res, other))


def test_settings_that_do_not_match_the_options_are_caught(solved, tmp_path):
    path, res = solved["balance-stages"]

    def stages(data):
        data["solution"]["num_stages"] = 7

    with pytest.raises(Failed, match="num_stages"):
        verify(path, _tampered(tmp_path, res, stages))

    path, res = solved["strict"]

    def loose(data):  # the strict LP certificate no longer applies
        data["extra"]["options"]["strict"] = False

    with pytest.raises(Failed, match="strict"):
        verify(path, _tampered(tmp_path, res, loose))
