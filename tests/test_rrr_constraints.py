"""RRR constraint solvers: colouring, Latin squares / Sudoku, bit retrieval, CLI.

Every solution is re-checked here with code independent of dnnsolve.rrr.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from dnnsolve.core.errors import InputError
from dnnsolve.data import default_data_dir
from dnnsolve.graph import Graph
from dnnsolve.rrr.constraints import (
    BitRetrievalRRR,
    ColoringRRR,
    LatinRRR,
    autocorrelation,
    parse_grid,
    random_bits,
    solve,
)

EASY = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
EASY_SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
# Arto Inkala's "hardest" puzzle (unique solution)
HARD = "800000000003600000070090200050007000000045700000100030001000068008500010090000400"
_ROOT = default_data_dir()  # $DNNSOLVE_DATA or ../shared/datasets; None without the data
DATA = (_ROOT or Path("no-datasets")) / "dimacs_color"


def _colors(solution, n):
    """0-based colours by vertex index from ``{"colors", "coloring": {id from 1: colour from 1}}``."""
    table = {int(v): c for v, c in solution["coloring"].items()}
    return [table[i + 1] - 1 for i in range(n)]


def _proper(edges, colors, k):
    return all(colors[u] != colors[v] for u, v in edges) and all(0 <= c < k for c in colors)


def _latin_ok(grid, givens, box):
    n = len(givens)
    full = set(range(1, n + 1))
    rows = all(set(grid[i]) == full for i in range(n))
    cols = all({grid[i][j] for i in range(n)} == full for j in range(n))
    boxes = True
    if box:
        bh, bw = box
        for r0 in range(0, n, bh):
            for c0 in range(0, n, bw):
                cells = {grid[r][c] for r in range(r0, r0 + bh) for c in range(c0, c0 + bw)}
                boxes &= cells == full
    kept = all(givens[i][j] in (0, grid[i][j]) for i in range(n) for j in range(n))
    return rows and cols and boxes and kept


def _mycielski(edges, n):
    """Mycielskian of a graph: chromatic number + 1."""
    new = list(edges)
    for u, v in edges:
        new += [(u, n + v), (v, n + u)]
    new += [(n + i, 2 * n) for i in range(n)]
    return new, 2 * n + 1


# ----------------------------------------------------------------------------- colouring


def test_color_grotzsch_with_chromatic_number_and_not_below():
    c5 = [(i, (i + 1) % 5) for i in range(5)]
    edges, n = _mycielski(c5, 5)  # Grötzsch graph, chi = 4
    g = Graph.from_edges(n, edges, name="grotzsch")
    res = solve(ColoringRRR(g, 4), restarts=16, seed=0, max_iter=3000)
    assert res.feasible and res.stop_reason == "solved"
    col = _colors(res.solution, n)
    assert _proper(edges, col, 4) and res.objective == len(set(col)) <= 4
    bad = solve(ColoringRRR(g, 3), restarts=8, seed=0, max_iter=300)
    assert not bad.feasible and bad.objective is None and bad.extra["conflicts"] >= 1
    assert bad.stop_reason == "max_iter"


def test_color_petersen_and_isolated_vertices():
    outer = [(i, (i + 1) % 5) for i in range(5)]
    spokes = [(i, i + 5) for i in range(5)]
    inner = [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
    edges = outer + spokes + inner
    g = Graph.from_edges(12, edges, name="petersen+2")  # vertices 10, 11 isolated
    res = solve(ColoringRRR(g, 3), restarts=16, seed=1, max_iter=3000)
    col = _colors(res.solution, 12)
    assert res.feasible and _proper(edges, col, 3) and len(res.solution["coloring"]) == 12
    with pytest.raises(InputError):
        ColoringRRR(g, 1)


def test_color_dimacs_queen5_5():
    path = DATA / "queen5_5.col"
    if not path.exists():
        pytest.skip("shared DIMACS data not present")
    from dnnsolve.io.graphs import read_graph

    g = read_graph(path)
    res = solve(ColoringRRR(g, 5), restarts=16, seed=0, max_iter=3000)
    assert res.feasible and res.objective == 5
    assert _proper(list(zip(g.src.tolist(), g.dst.tolist())), _colors(res.solution, g.n), 5)


# ----------------------------------------------------------------------------- Latin / Sudoku


def test_parse_grid_forms_and_errors():
    a = parse_grid(EASY)
    b = parse_grid("\n".join(" ".join(EASY[9 * i : 9 * i + 9]) for i in range(9)))
    assert a.shape == (9, 9) and np.array_equal(a, b) and a[0, 0] == 5 and a[0, 2] == 0
    assert parse_grid("1 . 3\n. . .\n3 . 1")[2, 0] == 3
    for bad in ("12345", "12x4" * 4, "5 0\n0 0 0", "3 . \n . 9"):
        with pytest.raises(InputError):
            parse_grid(bad)
    with pytest.raises(InputError):
        LatinRRR(parse_grid("1..." * 4), box=(3, 3))


def test_sudoku_4x4_and_easy_9x9_unique_solution():
    g4 = parse_grid("1...  ..2.  .3..  ...4")
    r4 = solve(LatinRRR(g4), restarts=8, seed=0, max_iter=2000)
    assert r4.feasible and _latin_ok(r4.solution, g4.tolist(), (2, 2))
    g9 = parse_grid(EASY)
    r9 = solve(LatinRRR(g9), restarts=16, seed=0, max_iter=3000)
    assert r9.feasible and r9.objective == 0
    assert _latin_ok(r9.solution, g9.tolist(), (3, 3))
    assert "".join(str(v) for row in r9.solution for v in row) == EASY_SOLUTION


def test_latin_square_completion_without_boxes():
    givens = parse_grid("1 . . . .\n. . 3 . .\n. . . . 2\n. 4 . . .\n. . . 5 .")
    res = solve(LatinRRR(givens, box=None), restarts=8, seed=0, max_iter=3000)
    assert res.problem == "latin" and res.feasible
    assert _latin_ok(res.solution, givens.tolist(), None)


def test_contradictory_sudoku_is_reported_infeasible():
    wrong = EASY[:40] + "8" + EASY[41:]  # two 8s in row 4 (and the centre box)
    assert wrong != EASY
    res = solve(LatinRRR(parse_grid(wrong)), restarts=4, seed=0, max_iter=200)
    assert not res.feasible and res.objective > 0


def test_sudoku_hard_inkala():
    g = parse_grid(HARD)
    res = solve(LatinRRR(g), restarts=32, beta=1.0, seed=0, max_iter=20000)
    assert res.feasible and _latin_ok(res.solution, g.tolist(), (3, 3))


# ----------------------------------------------------------------------------- bit retrieval


def _circular_autocorr(x):
    x = np.asarray(x)
    return [int(sum(x[j] * x[(j + k) % len(x)] for j in range(len(x)))) for k in range(len(x))]


@pytest.mark.parametrize("n", [24, 32, 40])
def test_bit_retrieval_random_instances(n):
    hidden = random_bits(n, seed=n)
    target = _circular_autocorr(hidden)
    assert autocorrelation(hidden).tolist() == target
    res = solve(
        BitRetrievalRRR(np.array(target), hidden=hidden), restarts=32, seed=0, max_iter=20000
    )
    assert res.feasible and res.objective == 0
    assert set(res.solution) <= {-1, 1} and _circular_autocorr(res.solution) == target


def test_bit_retrieval_sign_first_and_bad_targets():
    hidden = random_bits(20, seed=5)
    res = solve(
        BitRetrievalRRR(autocorrelation(hidden), fourier_first=False),
        restarts=16,
        seed=0,
        max_iter=20000,
    )
    assert res.feasible and _circular_autocorr(res.solution) == autocorrelation(hidden).tolist()
    for bad in ([5, 1, 2, 1], [4, 1, 2, 3], [4.5, 1, 1, 1], []):
        with pytest.raises(InputError):
            BitRetrievalRRR(np.array(bad))


# ----------------------------------------------------------------------------- CLI


def _app():
    from dnnsolve.cli.rrr import rrr_app

    app = typer.Typer()
    app.add_typer(rrr_app, name="rrr")
    return app


def test_cli_sudoku_and_bits(tmp_path):
    runner = CliRunner()
    out = tmp_path / "s.json"
    r = runner.invoke(_app(), ["rrr", "sudoku", EASY, "--output", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    assert d["feasible"] and d["method"] == "rrr"
    assert "".join(str(v) for row in d["solution"] for v in row) == EASY_SOLUTION
    ac = tmp_path / "ac.txt"
    ac.write_text(" ".join(map(str, autocorrelation(random_bits(16, seed=2)))))
    out2 = tmp_path / "b.json"
    r = runner.invoke(_app(), ["rrr", "bits", "--autocorr", str(ac), "-o", str(out2)])
    assert r.exit_code == 0, r.output
    d = json.loads(out2.read_text())
    assert _circular_autocorr(d["solution"]) == autocorrelation(random_bits(16, seed=2)).tolist()


def test_cli_color_infeasible_and_bad_input(tmp_path):
    col = tmp_path / "k4.col"
    col.write_text("p edge 4 6\ne 1 2\ne 1 3\ne 1 4\ne 2 3\ne 2 4\ne 3 4\n")
    runner = CliRunner()
    out = tmp_path / "c.json"
    r = runner.invoke(_app(), ["rrr", "color", str(col), "-k", "4", "-o", str(out), "-q"])
    assert r.exit_code == 0 and json.loads(out.read_text())["objective"] == 4
    r = runner.invoke(
        _app(), ["rrr", "color", str(col), "-k", "3", "--steps", "50", "-o", str(out), "-q"]
    )
    assert r.exit_code == 1 and "no solution" in r.output  # RRR proves nothing: unknown
    assert json.loads(out.read_text())["feasible"] is False
    assert json.loads(out.read_text())["status"] == "unknown"
    r = runner.invoke(_app(), ["rrr", "color", str(tmp_path / "nope.col"), "-k", "3"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = runner.invoke(_app(), ["rrr", "sudoku", "12x4", "-q"])
    assert r.exit_code == 2
    r = runner.invoke(_app(), ["rrr", "sudoku", EASY, "--beta", "3"])
    assert r.exit_code == 2 and "beta" in r.output


# ----------------------------------------------------------------------------- bench suites


def test_bench_suites_small(tmp_path):
    from dnnsolve.bench.harness import SUITES, run_suite

    assert {"rrr-color", "rrr-sudoku", "rrr-bits"} <= set(SUITES)
    rep = run_suite(
        "rrr-sudoku",
        out=tmp_path,
        device="cpu",
        time_limit=10,
        instances="wikipedia,latin6",
        progress=False,
        options={"trials": 2},
    )
    assert [r["instance"] for r in rep.rows] == ["wikipedia", "latin6"]
    assert all(r["solved"] == 2 and r["success_rate"] == 1 for r in rep.rows)
    rep = run_suite("rrr-bits", out=tmp_path, device="cpu", time_limit=10, max_n=32, progress=False)
    assert [r["n"] for r in rep.rows] == [24, 32] and rep.summary["methods"]["rrr"][
        "instances"
    ] == 2
    assert rep.json_path.exists() and "success_rate" in rep.markdown
