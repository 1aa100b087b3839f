"""The family contract: every family reachable through the API, the CLI, batch and bench."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dnnsolve import families, get_family, solve
from dnnsolve.cli import main
from dnnsolve.cli import root as cli_root
from dnnsolve.core.errors import InputError
from dnnsolve.data import example_path
from dnnsolve.family import Options, option, parse_pairs, positive

#: every kind of problem the mission names, by one family each (the registry holds more)
KINDS = {
    "maxcut", "mis", "clique", "vertex-cover", "color", "domset", "hypermaxcut", "sat",
    "maxsat", "schedule", "lp", "qp", "denoise", "inpaint", "superres", "deblur", "mri", "ct",
    "fit", "pde", "sudoku", "rrr-color", "bit-retrieval", "nmf", "classify", "autoencode",
}  # fmt: skip


def test_every_kind_of_problem_is_a_family():
    assert set(families()) >= KINDS


@pytest.mark.parametrize("name", sorted(families()))
def test_spec_is_complete_and_generates_a_command(name):
    fam = get_family(name)
    assert issubclass(fam.options, Options) and dataclasses.is_dataclass(fam.options)
    assert fam.default_method() in fam.methods()
    # the baseline is runnable (--method BASELINE), except where the classical answer is the
    # reference the result is measured against (the PDEs' finite-difference solutions)
    assert fam.baseline is None or fam.baseline in fam.methods() or name == "pde"
    # every option field has help text for the CLI
    for f in dataclasses.fields(fam.options):
        if f.metadata.get("cli", True):
            assert f.metadata.get("help"), f"{name}: option {f.name} has no help"
    commands = {c.name for c in cli_root.solve_app.registered_commands}
    assert name in commands
    # defaults alone make valid options (the checks run on them too), unless one is required
    try:
        assert isinstance(fam.make_options(), fam.options)
    except InputError as exc:
        assert "is required" in str(exc)


def test_options_are_checked_once_naming_the_flag():
    with pytest.raises(InputError, match="--time-limit must be positive, got -1"):
        get_family("lp").make_options(time_limit=-1)
    with pytest.raises(InputError, match="unknown option 'tolerance' for lp"):
        get_family("lp").make_options(tolerance=1e-6)
    with pytest.raises(InputError, match="unknown method 'pdgh' for lp \\(did you mean 'pdhg'"):
        get_family("lp").make_options(method="pdgh")
    with pytest.raises(InputError, match="did you mean 'maxcut'"):
        get_family("maxkut")


def test_option_fields_carry_help_check_and_parser():
    @dataclasses.dataclass(kw_only=True)
    class Toy(Options):
        rate: float = option(1.0, "A rate.", check=positive)
        pairs: dict = option(
            help="k=v", parse=lambda items: parse_pairs(items, "--pairs"), factory=dict
        )

    assert Toy(rate=2.0).rate == 2.0 and Toy(pairs=None).pairs == {}
    with pytest.raises(InputError, match="--rate must be positive"):
        Toy(rate=0.0)
    meta = {f.name: f.metadata for f in dataclasses.fields(Toy)}
    assert meta["pairs"]["parse"](["a=1", "b=x,y"]) == {"a": 1, "b": ["x", "y"]}


def test_api_and_cli_give_the_same_lp_answer(tmp_path, capsys):
    mps = example_path("lp_example.mps")
    r = solve("lp", mps, device="cpu", tol=1e-9)
    out = tmp_path / "r.json"
    assert (
        main(["solve", "lp", str(mps), "--device", "cpu", "--tol", "1e-9", "-q", "-o", str(out)])
        == 0
    )
    written = json.loads(out.read_text())
    assert written["objective"] == pytest.approx(r.objective, rel=1e-12)
    assert written["status"] == r.status == "optimal"
    assert r.objective == pytest.approx(8.5, abs=1e-6)  # HiGHS's optimum of the bundled LP


def test_solver_family_baseline_method_is_the_classical_heuristic():
    r = solve("mis", example_path("mis_example"), method="baseline", device="cpu", seed=0)
    assert r.method == "baseline" and r.found_by == "baseline" and r.feasible
    assert r.extra["config"]["network"] is False and r.steps == 0


def test_batch_runs_any_family(tmp_path, capsys):
    out = tmp_path / "b.jsonl"
    mps = str(example_path("lp_example.mps"))
    rc = main(["batch", "lp", mps, "-o", str(out), "--workers", "0", "--set", "tol=1e-8",
               "--grid", "method=pdhg,highs", "-q"])  # fmt: skip
    assert rc == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["method"] for r in rows} == {"pdhg", "highs"}
    assert all(r["status"] == "ok" and r["result_status"] == "optimal" for r in rows)
    assert all(r["objective"] == pytest.approx(8.5, abs=1e-6) for r in rows)
    rc = main(["batch", "lp", mps, "-o", str(tmp_path / "c.jsonl"), "--set", "tool=1", "-q"])
    assert rc == 2 and "unknown option 'tool' for lp" in capsys.readouterr().err


def test_families_bench_suite_runs_default_and_baseline(tmp_path):
    from dnnsolve.bench.harness import run_suite

    rep = run_suite("families", out=tmp_path, device="cpu", time_limit=3,
                    options={"only": "lp,mis"}, progress=False)  # fmt: skip
    rows = {(r["instance"], r["method"]): r for r in rep.rows}
    assert set(rows) == {("lp", "default"), ("lp", "baseline"), ("mis", "default"),
                         ("mis", "baseline")}  # fmt: skip
    assert all(r["error"] is None and r["feasible"] for r in rows.values())
    assert rows[("lp", "baseline")]["name"] == "highs"
    # the bundled MIS example's proven optimum is 24: neither answer can exceed it
    assert (
        rows[("mis", "default")]["objective"] <= 24 and rows[("mis", "baseline")]["objective"] <= 24
    )


@pytest.mark.parametrize(
    "args", [["solve", "lp"], ["image", "denoise"], ["pde"], ["rrr", "nmf"], ["batch"]]
)
def test_help_lists_the_exit_codes(args, capsys):
    assert main([*args, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0" in text and "130 interrupted" in text


def test_every_family_defaults_to_the_auto_device():
    defaults = {
        f.default
        for fam in families().values()
        for f in dataclasses.fields(fam.options)
        if f.name == "device"
    }
    assert defaults == {"auto"}
