"""The contract every command keeps, checked over every family from one table (the specs):
``-o -`` prints one result JSON that validates against the shipped schema; bad input is one
line and exit 2; every ``--help`` lists the exit codes; former option names still work."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from dnnsolve.bench.suites.families import _example_input
from dnnsolve.cli import main
from dnnsolve.core.result import SCHEMA_VERSION, TIMING_KEYS, result_schema
from dnnsolve.data import example_path
from dnnsolve.family import families, flag_of

FAMILIES = families()
#: every command running a family: ``solve NAME`` and its alias under its group
COMMANDS = [(["solve", name], name) for name in FAMILIES] + [
    ([*([f.group] if f.group else []), f.alias], f.name) for f in FAMILIES.values() if f.alias
]
_IDS = [" ".join(command) for command, _ in COMMANDS]
#: the budget of each example run (small: the contract is checked, not the quality)
BUDGET = ["--time-limit", "3", "--device", "cpu", "--threads", "1", "--seed", "0"]


def _flags(fam, options: dict) -> list[str]:
    """The command-line spelling of an example's options."""
    fields = {f.name: f for f in dataclasses.fields(fam.options)}
    args: list[str] = []
    for key, value in options.items():
        if key == "time_limit":
            continue
        flag = flag_of(fields[key])
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, dict):
            for k, v in value.items():
                args += [flag, f"{k}={v}"]
        elif isinstance(value, list):
            args += [flag, ",".join(map(str, value))]
        else:
            args += [flag, str(value)]
    return args


def _example_args(name: str) -> list[str]:
    fam = FAMILIES[name]
    assert fam.example is not None, f"{name} has no bundled example"
    source = _example_input(fam)
    return [*([str(source)] if source is not None else []), *_flags(fam, fam.example[1])]


@pytest.fixture(scope="module")
def schema() -> dict:
    jsonschema.Draft202012Validator.check_schema(result_schema())
    return result_schema()


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_output_dash_prints_one_result_that_validates(name, schema, capsys):
    rc = main(["solve", name, *_example_args(name), *BUDGET, "-o", "-"])
    captured = capsys.readouterr()
    assert rc in (0, 1), captured.err  # an answer, or none within the small budget
    record = json.loads(captured.out)  # stdout holds the JSON and nothing else
    jsonschema.validate(record, schema)
    assert record["schema_version"] == SCHEMA_VERSION and record["problem"]
    assert set(record["timings"]) <= set(TIMING_KEYS)
    assert record["threads"] == 1  # --threads is recorded
    if rc == 0:
        assert (
            record["status"] in ("optimal", "feasible", "sat")
            or not FAMILIES[name].infeasible_is_error
        )


@pytest.mark.parametrize(("command", "name"), COMMANDS, ids=_IDS)
def test_help_lists_the_exit_codes(command, name, capsys):
    assert main([*command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 an answer; 1 unknown" in text and "130 interrupted" in text


@pytest.mark.parametrize("command", [["demo"], ["bench"], ["methods"], ["batch"], ["bench-batch"]])
def test_help_of_the_other_commands_lists_exit_codes(command, capsys):
    assert main([*command, "--help"]) == 0
    assert "Exit codes:" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "name"), COMMANDS, ids=_IDS)
def test_bad_option_value_is_one_line_exit_2(command, name, capsys):
    rc = main([*command, *_example_args(name), "--time-limit", "-1"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count("\n") == 0 and err.startswith("error:") and "--time-limit" in err


@pytest.mark.parametrize(
    "name", sorted(n for n, f in FAMILIES.items() if f.input_kind in ("file", "optional"))
)
def test_missing_input_file_is_one_line_exit_2(name, tmp_path, capsys):
    source, example = FAMILIES[name].example
    options = _flags(FAMILIES[name], example) if source is not None else []  # not the data
    rc = main(["solve", name, str(tmp_path / "missing.txt"), *options, *BUDGET])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0 and "missing.txt" in err, err


def test_stdin_input(monkeypatch, capsys):
    import io

    text = example_path("mis_example.dimacs").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
    assert main(["solve", "mis", "-", *BUDGET, "-o", "-"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["instance"] == "stdin" and record["objective"] == len(record["solution"])


def test_former_option_names_still_work_with_a_note(tmp_path, capsys):
    res = tmp_path / "r.json"
    args = ["solve", "lp", str(example_path("lp_example.mps")), "--max-iter", "50000", "-q"]
    assert main([*args, "--device", "cpu", "-o", str(res)]) == 0
    assert "--max-iter is deprecated; use --steps" in capsys.readouterr().err
    assert json.loads(res.read_text())["status"] == "optimal"


def test_quiet_without_output_still_prints_the_answer(capsys):
    mis = str(example_path("mis_example.dimacs"))
    assert main(["solve", "mis", mis, *BUDGET, "-q"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("mis_example.dimacs: feasible, objective ") and "\n" not in line


def test_sat_conventions(tmp_path, capsys):
    sat = str(example_path("sat_example.cnf"))
    rc = main(["solve", "sat", sat, *BUDGET, "--sat-exit-codes", "--dimacs-output"])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 10 and "s SATISFIABLE" in lines and lines[-1].endswith(" 0")
    model = [int(t) for line in lines if line.startswith("v ") for t in line[2:].split()][:-1]
    clauses = [
        [int(t) for t in line.split()[:-1]]
        for line in example_path("sat_example.cnf").read_text().splitlines()
        if line.strip() and line.split()[0].lstrip("-").isdigit()
    ]
    true = {lit for lit in model}
    assert all(any(lit in true for lit in clause) for clause in clauses)  # checked here
    unsat = tmp_path / "unsat.cnf"
    unsat.write_text("p cnf 1 2\n1 0\n-1 0\n")
    rc = main(["solve", "sat", str(unsat), *BUDGET, "--exact", "--dimacs-output"])
    assert rc == 2 and "s UNSATISFIABLE" in capsys.readouterr().out
    rc = main(["solve", "sat", str(unsat), *BUDGET, "--exact", "-q", "--sat-exit-codes"])
    assert rc == 20


def test_example_instead_of_input(capsys):
    assert main(["solve", "mis", "--example", "mis_example", *BUDGET, "-o", "-"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["instance"] == "mis_example.dimacs" and record["feasible"]
    assert main(["solve", "mis", "--example", "nope", *BUDGET]) == 2
    assert "choose from mis_example" in capsys.readouterr().err


def test_every_option_of_every_command_has_help_text():
    import click
    import typer.main

    from dnnsolve.cli.root import app

    missing = []

    def walk(cmd: click.Command, path: str) -> None:
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip():
                missing.append(f"{path} {p.opts[0]}")
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "dnnsolve")
    assert not missing, missing
