"""The family contract: loaders, runners and options classes of the Solver-run families."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
import torch
import typer
from typer.testing import CliRunner

from dnnsolve import solve
from dnnsolve.cli import root as cli_app
from dnnsolve.cli.common import EXIT_UNKNOWN
from dnnsolve.cli.generate import family_command
from dnnsolve.core.errors import InputError
from dnnsolve.graph import Graph

# the package re-exports a function named `methods`, so fetch the module itself
M = importlib.import_module("dnnsolve.methods")
F = importlib.import_module("dnnsolve.family")


@pytest.fixture
def toy(monkeypatch):
    """A throw-away family "toy": MIS's default builder behind its own loader, runner and
    options class (with ``--colors``), registered through the family contract."""
    F._load()
    seen: dict = {}

    def loader(instance, fmt):
        seen["format"] = fmt
        if instance == "bad":
            raise InputError("bad toy instance")
        return Graph.from_edges(3, [(0, 1), (1, 2)], name="path3")  # MIS optimum 2

    def runner(method, inst, ctx, cfg, callbacks):
        seen["options"] = dict(ctx.options)
        result = M.run_method(method, inst, ctx, cfg, callbacks)
        result.status = ctx.options.get("status", "sat")
        return result

    mis = M.get_method("mis")
    monkeypatch.setitem(
        M._REGISTRY, "toy", {"m": M.Method("toy", "m", mis.build, "toy", dict(mis.defaults))}
    )
    monkeypatch.setitem(M._DEFAULT, "toy", "m")
    monkeypatch.setattr(F, "_FAMILIES", dict(F._FAMILIES))
    M.register_problem(
        "toy", "Toy.", formats="toyfmt", loader=loader, runner=runner, options=M.ColorsOptions
    )
    return seen


def test_solve_uses_the_problems_loader_and_runner(toy):
    r = solve(
        "toy", "anything", format="toyfmt", device="cpu", steps=20, restarts=2, options={"k": 1}
    )
    assert toy["format"] == "toyfmt" and toy["options"] == {"k": 1}
    assert r.objective == 2.0 and r.feasible and r.status == "sat"
    with pytest.raises(InputError, match="bad toy"):
        solve("toy", "bad", device="cpu")
    with pytest.raises(InputError, match="unknown problem"):
        F.get_family("nope")
    # options are checked once, by the options class, naming the flag
    with pytest.raises(InputError, match="--colors must be at least 1"):
        solve("toy", "anything", colors=0)
    with pytest.raises(InputError, match="unknown option 'colours'"):
        solve("toy", "anything", colours=3)
    # other SolverConfig fields are accepted as keywords
    r = solve("toy", "anything", device="cpu", steps=20, restarts=2, eval_every=5)
    assert r.extra["config"]["eval_every"] == 5


def test_out_of_device_memory_runs_again_with_half_the_restarts(toy, caplog):
    """Out of GPU memory (simulated: the runner raises torch's error above 2 restarts, as the
    solver re-raises it), the run is repeated with half the restarts, and says so."""
    tried = []

    def runner(method, inst, ctx, cfg, callbacks):
        tried.append(cfg.restarts)
        if cfg.restarts > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return M.run_method(method, inst, ctx, cfg, callbacks)

    M.register_problem("toy", "Toy.", formats="toyfmt", loader=lambda i, f: Graph.from_edges(
        3, [(0, 1), (1, 2)]), runner=runner, options=M.ColorsOptions)  # fmt: skip
    with caplog.at_level("WARNING", logger="dnnsolve"):
        r = solve("toy", "x", device="cpu", steps=20, restarts=8, seed=0)
    assert tried == [8, 4, 2] and r.objective == 2.0 and r.feasible
    assert "out of device memory with 8 restarts; running again with 4" in caplog.text


def test_out_of_device_memory_with_one_restart_is_one_line(toy, capsys):
    from dnnsolve.cli.common import exit_code_of
    from dnnsolve.core.errors import DeviceError

    def runner(method, inst, ctx, cfg, callbacks):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore")

    M.register_problem("toy", "Toy.", formats="toyfmt", loader=lambda i, f: Graph.from_edges(
        3, [(0, 1), (1, 2)]), runner=runner, options=M.ColorsOptions)  # fmt: skip
    with pytest.raises(DeviceError, match=r"toy: out of device memory .*Tried to allocate") as e:
        solve("toy", "x", device="cpu", steps=20, restarts=1)
    assert exit_code_of(e.value) == 2
    # torch's error raised outside a run (building an instance): one line too, exit code 2
    assert exit_code_of(torch.cuda.OutOfMemoryError("CUDA out of memory.\ntrace")) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all("out of device memory" in line for line in lines)


def _cli(args: list[str]) -> tuple[int, str]:
    app = typer.Typer()
    app.command("toy")(family_command(F.get_family("toy")))
    app.command("other")(lambda: None)
    res = CliRunner().invoke(app, ["toy", *args])
    return res.exit_code, res.output


def test_cli_extra_options_reach_the_runner(toy, tmp_path):
    f = tmp_path / "x.toy"
    f.write_text("whatever\n")
    out = tmp_path / "r.json"
    args = [str(f), "--colors", "3", "--option", "status=sat", "--device", "cpu"]
    code, output = _cli([*args, "--steps", "20", "-q", "-o", str(out)])
    assert code == 0, output
    assert toy["options"] == {"colors": 3, "status": "sat"}
    written = json.loads(out.read_text())
    assert written["status"] == "sat" and "status" not in written["extra"]
    # an option the family does not declare is not accepted
    assert _cli([str(f), "--colours", "3", "-q"])[0] == 2


def test_cli_status_unknown_exits_1(toy, tmp_path):
    f = tmp_path / "x.toy"
    f.write_text("whatever\n")
    args = [str(f), "--option", "status=unknown", "--device", "cpu", "--steps", "20", "-q"]
    assert _cli(args)[0] == EXIT_UNKNOWN == 1


def test_every_registered_problem_has_a_cli_command():
    names = {c.name for c in cli_app.solve_app.registered_commands}
    assert set(M.problems()) <= names


# ---------------------------------------------------------------- every graph family

GRAPH_FAMILIES = [
    "clique",
    "color",
    "connected-domset",
    "disjunctive-domset",
    "dissociation",
    "domset",
    "k-coloring",
    "liars-domset",
    "maxcut",
    "mis",
    "total-domset",
    "ve-domset",
    "vertex-cover",
]
QUICK = {"device": "cpu", "steps": 10, "restarts": 2, "seed": 0}


def _options(problem: str) -> dict:
    return {"k": 1} if problem == "k-coloring" else {}


def test_graph_family_list_is_complete():
    assert set(M.problems()) - set(GRAPH_FAMILIES) == {"hypermaxcut", "maxsat", "sat", "schedule"}


@pytest.mark.parametrize(
    ("problem", "method"), [(p, m) for p in GRAPH_FAMILIES for m in sorted(M.methods(p))]
)
def test_graph_without_vertices_has_the_empty_answer(problem, method):
    r = solve(problem, Graph.from_edges(0, []), method, options=_options(problem), **QUICK)
    assert r.objective == 0.0 and r.feasible
    empty = {"color": {"colors": 0, "coloring": {}}, "k-coloring": {"k": 1, "colors": {}}}
    assert r.solution == empty.get(problem, [])
    assert r.solution_array is None or len(r.solution_array) == 0


def _isolated_check(problem: str, n: int, r) -> None:
    """The optimum on n isolated vertices, checked from the definitions."""
    ids = list(range(1, n + 1))
    if problem in ("mis", "dissociation", "domset", "disjunctive-domset"):
        # independent / degree ≤ 1 (max), or every isolated vertex must be in D (min)
        assert sorted(r.solution) == ids and r.objective == n
    elif problem in ("vertex-cover", "ve-domset", "maxcut"):
        # nothing to cover / no edge to dominate: the empty set; no edge to cut: 0
        assert r.objective == 0.0
        assert set(r.solution) <= set(ids) and (problem == "maxcut" or r.solution == [])
    elif problem == "clique":
        assert len(r.solution) == 1 and r.solution[0] in ids and r.objective == 1.0
    elif problem == "color":
        assert r.objective == 1.0 and set(r.solution["coloring"].values()) == {1}
        assert sorted(r.solution["coloring"]) == ids
    elif problem == "k-coloring":
        assert r.objective == 0.0 and set(r.solution["colors"].values()) == {1}
    elif problem == "connected-domset":  # n = 1 here: the vertex itself
        assert r.solution == [1] and r.objective == 1.0
    else:  # pragma: no cover
        raise AssertionError(problem)
    assert r.feasible


@pytest.mark.parametrize("problem", GRAPH_FAMILIES)
def test_graph_with_vertices_but_no_edges_has_the_trivial_optimum(tmp_path, problem):
    f = tmp_path / "iso.col"
    f.write_text("p edge 5 0\n")
    if problem in ("total-domset", "liars-domset", "connected-domset"):
        # no total / liar's dominating set exists with an isolated vertex; five components
        # have no connected dominating set: one-line InputError naming the file
        why = "5 components" if problem == "connected-domset" else "vertex 1 is isolated"
        with pytest.raises(InputError, match=why) as info:
            solve(problem, f, **QUICK)
        assert info.value.path == str(f) and "\n" not in str(info.value)
        if problem != "connected-domset":
            return
        f.write_text("p edge 1 0\n")
        n = 1
    else:
        n = 5
    r = solve(problem, f, options=_options(problem), **QUICK)
    _isolated_check(problem, n, r)


def test_every_seeded_draw_uses_the_generators_device(monkeypatch):
    """Each torch draw with ``generator=`` in the graph families names ``device=`` equal to
    the generator's device: without it torch draws on the CPU and rejects a CUDA generator
    (the connected-domset repair, random colouring starts). Checked here with CPU
    generators: a missing ``device=`` fails, whatever the device."""
    calls: list[tuple[str, dict]] = []
    for name in ("rand", "randn", "randint", "randperm"):
        real = getattr(torch, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            if kwargs.get("generator") is not None:
                caller = sys._getframe(1)
                where = f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno} torch.{_name}"
                calls.append((where, kwargs))
            return _real(*args, **kwargs)

        monkeypatch.setattr(torch, name, spy)
    petersen = Graph.from_edges(
        10,
        [(i, (i + 1) % 5) for i in range(5)]
        + [(i, i + 5) for i in range(5)]
        + [(5 + i, 5 + (i + 2) % 5) for i in range(5)],
    )
    for problem in GRAPH_FAMILIES:
        opts = {"k": 3} if problem == "k-coloring" else {}
        if problem == "color":
            opts = {"init": "random"}  # random starting colourings
        before = len(calls)
        r = solve(problem, petersen, options=opts, **QUICK)
        assert r.feasible, problem
        assert len(calls) > before, problem  # the family does draw with its generator
    bad = sorted({where for where, kw in calls if kw.get("device") is None})
    assert not bad, bad
    for _, kw in calls:
        assert torch.device(kw["device"]) == kw["generator"].device


@pytest.mark.parametrize(("name", "text"), [("h.txt", "0 0\n"), ("h.hgr", "0 0\n")])
def test_hypergraph_without_vertices_has_the_empty_answer(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    for method in sorted(M.methods("hypermaxcut")):
        r = solve("hypermaxcut", f, method, **QUICK)
        assert (r.solution, r.objective, r.feasible) == ([], 0.0, True)
