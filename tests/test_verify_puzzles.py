"""``dnnsolve verify`` on the RRR puzzles: a solved Sudoku or colouring passes, one change fails."""

from __future__ import annotations

import json

import pytest

from dnnsolve import solve
from dnnsolve.cli import main
from dnnsolve.core.errors import InputError
from dnnsolve.data import example_path
from dnnsolve.verify import Failed, verify


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    r = solve("sudoku", example_path("sudoku_example.txt"), device="cpu", seed=0)
    assert r.feasible
    path = tmp_path_factory.mktemp("sudoku") / "r.json"
    r.save(path)
    return path


def test_a_solved_sudoku_is_verified(solved, capsys):
    assert main(["verify", str(example_path("sudoku_example.txt")), str(solved)]) == 0
    assert "verified" in capsys.readouterr().out


def test_one_changed_cell_is_caught(solved, tmp_path, capsys):
    data = json.loads(solved.read_text())
    row = data["solution"][4]
    row[0], row[1] = row[1], row[0]  # rows stay permutations; two columns break
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(Failed, match="feasible True recorded"):
        verify(example_path("sudoku_example.txt"), bad)
    assert main(["verify", str(example_path("sudoku_example.txt")), str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_a_puzzle_that_is_not_one_is_an_input_error(solved, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("12345\nabc\n")
    with pytest.raises(InputError, match="not a square puzzle"):
        verify(junk, solved)


def test_an_rrr_colouring_is_verified_and_a_changed_colour_caught(tmp_path):
    graph = tmp_path / "c5.col"
    graph.write_text("p edge 5 5\ne 1 2\ne 2 3\ne 3 4\ne 4 5\ne 5 1\n")
    r = solve("rrr-color", graph, colors=3, device="cpu", seed=0)
    assert r.feasible
    path = tmp_path / "r.json"
    r.save(path)
    assert verify(graph, path)
    data = json.loads(path.read_text())
    coloring = data["solution"]["coloring"]
    coloring["1"] = coloring["2"]  # neighbours now share a colour
    path.write_text(json.dumps(data))
    with pytest.raises(Failed):
        verify(graph, path)
