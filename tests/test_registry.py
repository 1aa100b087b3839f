"""Family plug-in points: problem loaders, runners and per-problem CLI options."""

from __future__ import annotations

import importlib
import json

import pytest
import typer
from typer.testing import CliRunner

from dnnsolve.cli import root as cli_app
from dnnsolve.core.errors import InputError
from dnnsolve.graph import Graph

# the package re-exports a function named `methods`, so fetch the module itself
M = importlib.import_module("dnnsolve.methods")


@pytest.fixture
def toy(monkeypatch):
    """A throw-away problem "toy": MIS's default builder behind its own loader and runner."""
    M._load_families()
    seen: dict = {}

    def loader(instance, fmt):
        seen["format"] = fmt
        if instance == "bad":
            raise InputError("bad toy instance")
        return Graph.from_edges(3, [(0, 1), (1, 2)], name="path3")  # MIS optimum 2

    def runner(method, inst, ctx, cfg, callbacks):
        seen["options"] = dict(ctx.options)
        result = M.run_method(method, inst, ctx, cfg, callbacks)
        result.extra["status"] = ctx.options.get("status", "sat")
        return result

    mis = M.get_method("mis")
    monkeypatch.setitem(
        M._REGISTRY, "toy", {"m": M.Method("toy", "m", mis.build, "toy", dict(mis.defaults))}
    )
    monkeypatch.setitem(M._DEFAULT, "toy", "m")
    monkeypatch.setitem(
        M._PROBLEMS, "toy", M.ProblemInfo("toy", "Toy.", "toyfmt", loader, runner, ("colors",))
    )
    return seen


def test_solve_uses_the_problems_loader_and_runner(toy):
    r = M.solve(
        "toy", "anything", format="toyfmt", device="cpu", steps=20, restarts=2, options={"k": 1}
    )
    assert toy["format"] == "toyfmt" and toy["options"] == {"k": 1}
    assert r.objective == 2.0 and r.feasible and r.extra["status"] == "sat"
    with pytest.raises(InputError, match="bad toy"):
        M.solve("toy", "bad", device="cpu")
    assert M.problem_info("toy").cli_options == ("colors",)
    # problems that declare nothing still get an info record
    assert M.problem_info("maxcut").loader is None
    with pytest.raises(InputError, match="unknown problem"):
        M.problem_info("nope")


def _app(problem: str, extras: tuple[str, ...]) -> typer.Typer:
    app = typer.Typer()
    app.command(problem)(cli_app._make_solve_command(problem, "Toy.", "toyfmt", extras))
    return app


def test_cli_extra_options_reach_the_runner(toy, tmp_path):
    f = tmp_path / "x.toy"
    f.write_text("whatever\n")
    out = tmp_path / "r.json"
    res = CliRunner().invoke(
        _app("toy", ("colors",)),
        [
            str(f),
            "--colors",
            "3",
            "--option",
            "status=sat",
            "--device",
            "cpu",
            "--steps",
            "20",
            "-q",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert toy["options"] == {"colors": 3, "status": "sat"}
    assert json.loads(out.read_text())["extra"]["status"] == "sat"
    # an extra option the problem did not declare is not accepted
    res = CliRunner().invoke(_app("toy", ()), [str(f), "--colors", "3", "-q"])
    assert res.exit_code == 2
    with pytest.raises(ValueError, match="unknown CLI option"):
        cli_app._make_solve_command("toy", "Toy.", "toyfmt", ("nope",))


def test_cli_status_unknown_exits_1(toy, tmp_path):
    f = tmp_path / "x.toy"
    f.write_text("whatever\n")
    res = CliRunner().invoke(
        _app("toy", ()),
        [str(f), "--option", "status=unknown", "--device", "cpu", "--steps", "20", "-q"],
    )
    assert res.exit_code == cli_app.EXIT_UNKNOWN == 1


def test_every_registered_problem_has_a_cli_command():
    names = {c.name for c in cli_app.solve_app.registered_commands}
    assert set(M.problems()) <= names
