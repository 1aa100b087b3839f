"""Peer tools of the benchmark suites: answers re-checked here, missing peers reported."""

from __future__ import annotations

import sys

import pytest

from dnnsolve.bench.peers import dwave_maxcut, pdlp_lp
from dnnsolve.data import EXAMPLES, example_path
from dnnsolve.io import read_graph
from dnnsolve.lp import read_lp


def test_pdlp_on_the_bundled_lp_is_checked_independently():
    lp = read_lp(example_path("lp_example.mps"))
    r = pdlp_lp(lp, time_limit=10, tol=1e-8)
    assert r.error is None and r.status == "optimal"
    assert r.objective == pytest.approx(8.5, abs=1e-6)  # HiGHS's optimum of the bundled LP
    assert r.primal_residual < 1e-6


def test_a_missing_peer_is_a_row_note_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "dwave.samplers", None)  # import fails as if not installed
    r = dwave_maxcut(read_graph(example_path("maxcut_example")), "dwave-sa", 1.0)
    assert r.objective is None and "not installed" in r.error


@pytest.mark.parametrize("peer", ["dwave-sa", "dwave-tabu"])
def test_dwave_peers_reach_the_bundled_optimum(peer):
    pytest.importorskip("dwave.samplers")
    g = read_graph(example_path("maxcut_example"))
    r = dwave_maxcut(g, peer, time_limit=2.0, seed=0)
    assert r.error is None and r.objective == EXAMPLES["maxcut_example"]["optimum"]
