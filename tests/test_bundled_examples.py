"""The bundled LP, scheduling and Sudoku inputs: readable, and solved to verified answers."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from dnnsolve.cli import app
from dnnsolve.core.errors import InputError
from dnnsolve.data import OTHER_FILES, example_path


def test_every_file_is_bundled():
    for name in OTHER_FILES:
        assert example_path(name).is_file()
    with pytest.raises(InputError, match=r"lp_example\.mps"):
        example_path("nosuch")


def test_lp_example_solved_to_the_highs_optimum(tmp_path):
    highspy = pytest.importorskip("highspy")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(example_path("lp_example.mps")))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(8.5, abs=1e-9)
    out = tmp_path / "lp.json"
    res = CliRunner().invoke(app, ["solve", "lp", str(example_path("lp_example.mps")), "-q", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    rec = json.loads(out.read_text())
    # recheck from x: the rows and bounds of the file, through HiGHS's own model arrays
    x = np.asarray(rec["solution"])  # the LP solution x
    lp = h.getLp()
    a = lp.a_matrix_
    import scipy.sparse as sp

    A = sp.csc_matrix((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_))
    ax = A @ x
    tol = 1e-6 * (1 + np.abs(ax).max())
    assert np.all(ax >= np.asarray(lp.row_lower_) - tol) and np.all(
        ax <= np.asarray(lp.row_upper_) + tol
    )
    assert np.all(x >= -1e-6) and np.all(x <= 10 + 1e-6)
    assert float(np.asarray(lp.col_cost_) @ x) == pytest.approx(8.5, rel=1e-6)


def test_schedule_example_is_a_dag_and_schedules_legally(tmp_path):
    g = nx.read_gml(example_path("schedule_example.gml"))
    assert g.number_of_nodes() == 60 and nx.is_directed_acyclic_graph(g)
    out = tmp_path / "s.json"
    res = CliRunner().invoke(app, ["solve", "schedule", str(example_path("schedule_example.gml")),
                                   "--stages", "4", "--steps", "50", "-q", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    rec = json.loads(out.read_text())
    stage = {str(k): int(v) for k, v in rec["solution"]["stage"].items()}
    assert set(stage) == {str(u) for u in g.nodes}  # networkx keys GML nodes by label
    for u, v in g.edges():
        assert stage[str(u)] <= stage[str(v)]  # precedence
    assert all(0 <= s < 4 for s in stage.values())


def test_sudoku_example_solved(tmp_path):
    res = CliRunner().invoke(app, ["rrr", "sudoku", str(example_path("sudoku_example.txt")), "-q", "-o", str(tmp_path / "s.json")])  # fmt: skip
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "s.json").read_text())
    grid = np.asarray(rec["solution"]).reshape(9, 9)
    givens = [
        line
        for line in example_path("sudoku_example.txt").read_text().splitlines()
        if not line.startswith("#")
    ]
    for r, line in enumerate(givens):
        for c, ch in enumerate(line.strip()):
            if ch not in "0.":
                assert grid[r, c] == int(ch)
    full = set(range(1, 10))
    for i in range(9):
        assert set(grid[i]) == full and set(grid[:, i]) == full
        br, bc = divmod(i, 3)
        assert set(grid[3 * br : 3 * br + 3, 3 * bc : 3 * bc + 3].ravel()) == full
