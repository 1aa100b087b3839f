"""The certified bound's way through the family contract, the result file and ``verify``:
the time split, the proven gap and status, a bad bound left out, the certificate file, the
record checks every result gets (issue 21). The bounds themselves: tests/test_bounds_*.py."""

from __future__ import annotations

import dataclasses
import json
import time

import networkx as nx
import pytest

from dnnsolve.core.bound import Bound, relative_gap
from dnnsolve.core.errors import InputError
from dnnsolve.core.result import Result
from dnnsolve.family import BOUND_SECONDS_WITHOUT_LIMIT, get_family
from dnnsolve.verify import Failed, check_record, load_result, verify


def test_relative_gap_is_the_distance_to_the_bound_over_the_bound():
    assert relative_gap(90.0, 100.0, "max") == pytest.approx(0.1)
    assert relative_gap(110.0, 100.0, "min") == pytest.approx(0.1)
    assert relative_gap(7.0, 7.0 + 1e-12, "max") == 0.0  # met within the tolerance: proven
    assert relative_gap(3.0, 0.0, "min") is None  # no scale to measure it by
    assert relative_gap(None, 1.0, "max") is None and relative_gap(1.0, None, "max") is None
    assert relative_gap(101.0, 100.0, "max") == pytest.approx(-0.01)  # a contradiction


def _with_bound(name: str, fn):
    return dataclasses.replace(get_family(name), bound=fn)


def _cycle_options(fam, **kw):
    return fam.make_options(steps=20, restarts=2, device="cpu", seed=0, **kw)


def test_the_bound_gets_its_share_of_the_time_limit():
    seen = {}

    def bound(instance, result, deadline):
        seen["left"] = deadline - time.monotonic()
        seen["run_limit"] = result.extra["config"]["time_limit"]
        return Bound(6.0, "test", {"n": 6})

    fam = _with_bound("maxcut", bound)
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam, time_limit=20.0, bound_time=0.25))
    assert seen["run_limit"] == pytest.approx(15.0)  # the run's share: 75 % of 20 s
    assert 5.0 - 0.5 <= seen["left"] <= 20.0
    assert r.bound == 6.0 and r.bound_method == "test" and r.certificate == {"n": 6}
    assert r.timings["bound_s"] >= 0 and r.timings["total_s"] >= r.timings["bound_s"]


def test_without_a_time_limit_the_bound_gets_a_fixed_budget():
    seen = {}

    def bound(instance, result, deadline):
        seen["left"] = deadline - time.monotonic()
        return None

    fam = _with_bound("maxcut", bound)
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam))
    assert 0 < seen["left"] <= BOUND_SECONDS_WITHOUT_LIMIT
    assert r.bound is None and r.gap is None and r.status == "feasible"


def test_a_bound_meeting_the_answer_proves_it_optimal():
    fam = _with_bound("maxcut", lambda g, r, d: Bound(6.0, "test", {}))
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam))
    assert r.objective == 6.0 and r.gap == 0.0 and r.status == "optimal"
    d = r.to_dict()
    assert (d["bound"], d["bound_method"], d["gap"]) == (6.0, "test", 0.0)


def test_a_loose_bound_gives_the_proven_gap():
    fam = _with_bound("maxcut", lambda g, r, d: Bound(8.0, "test", {}))
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam))
    assert r.gap == pytest.approx(0.25) and r.status == "feasible"


def test_a_bound_contradicting_the_answer_is_left_out_with_a_note():
    fam = _with_bound("maxcut", lambda g, r, d: Bound(5.0, "broken", {}))
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam))
    assert r.objective == 6.0 and r.bound is None and r.status == "feasible"
    assert any("contradicts" in n for n in r.extra["notes"])


def test_a_failing_bound_leaves_the_answer_and_says_why():
    def bound(instance, result, deadline):
        raise ValueError("eigsh did not converge")

    fam = _with_bound("maxcut", bound)
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam))
    assert r.feasible and r.bound is None
    assert r.extra["notes"] == ["no bound: eigsh did not converge"]


def test_no_bound_skips_it_and_keeps_the_whole_time_limit():
    calls = []
    fam = _with_bound("maxcut", lambda g, r, d: calls.append(1))
    r = fam.solve(nx.cycle_graph(6), _cycle_options(fam, bound=False, time_limit=10.0))
    assert calls == [] and r.bound is None
    assert r.extra["config"]["time_limit"] == pytest.approx(10.0)


def test_bound_time_must_be_a_share():
    with pytest.raises(InputError, match="--bound-time must be in"):
        get_family("maxcut").make_options(bound_time=1.5)


def _record(**kw) -> dict:
    r = Result("maxcut", "g", "relaxed", 90.0, True, [1], 0.1, "cpu", 0, sense="max")
    for k, v in kw.items():
        setattr(r, k, v)
    return r.to_dict()


def test_every_record_is_checked_for_a_consistent_bound_and_gap():
    ok = _record(bound=100.0, bound_method="x", certificate={})
    assert check_record(ok)
    with pytest.raises(Failed, match="gap"):
        check_record({**ok, "gap": 0.05})
    with pytest.raises(Failed, match="without its method and certificate"):
        check_record({**ok, "certificate": None})
    with pytest.raises(Failed, match="above the bound"):
        check_record({**ok, "objective": 101.0, "gap": -0.01})
    with pytest.raises(Failed, match="optimal"):
        check_record({**ok, "status": "optimal"})
    with pytest.raises(Failed, match="without a bound"):
        check_record(_record() | {"gap": 0.0})


def test_version_1_results_are_read(tmp_path):
    r = Result("maxcut", "g", "relaxed", 9.0, True, [1], 0.1, "cpu", 0, reference=10.0)
    d = r.to_dict()
    for key in ("bound", "bound_method", "certificate", "reference_gap"):
        d.pop(key)
    d.update(schema_version=1, gap=0.1)  # then the gap to the reference
    back = Result.from_dict(d)
    assert back.reference_gap == pytest.approx(0.1) and back.gap is None
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(d))
    assert load_result(path)["schema_version"] == 1


def test_unreadable_or_foreign_result_files_are_input_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a result JSON"):
        verify(None, bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(InputError, match="not a dnnsolve result"):
        verify(None, other)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(_record() | {"schema_version": 99}))
    with pytest.raises(InputError, match="schema_version"):
        verify(None, newer)


def test_results_not_rechecked_say_so(tmp_path):
    path = tmp_path / "pde.json"
    path.write_text(json.dumps(_record() | {"problem": "pde"}))
    (line,) = verify(None, path)
    assert "not rechecked" in line
