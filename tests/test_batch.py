"""Batch solving on the local backends (inline and the spawned process pool).

Objectives are re-checked from the returned solutions with parsers and evaluators written
here (not the package's), and compared with direct ``dnnsolve.solve`` calls with the same
seeds. The Ray backend is tested in test_batch_ray.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dnnsolve import solve
from dnnsolve.batch import JsonlSink, make_tasks, parse_grid, read_records, run_batch
from dnnsolve.batch.tasks import Task, expand_inputs
from dnnsolve.batch.worker import execute_task
from dnnsolve.cli.batch import batch_command, batch_suite_command
from dnnsolve.core.errors import InputError
from dnnsolve.data import DATA_DIR, EXAMPLES, example_path

MAXCUT = example_path("maxcut_example")
MIS = example_path("mis_example")
SETTINGS = {"steps": 40, "restarts": 4}


# ---------------------------------------------------------------- independent re-checks


def _edges(path: Path) -> list[tuple[int, int]]:
    """1-based edge list of a Gset (``n m`` then ``u v w``) or DIMACS (``e u v``) file."""
    out = []
    lines = path.read_text().splitlines()
    if path.suffix == ".gset":
        for line in lines[1:]:
            u, v, *_ = line.split()
            out.append((int(u), int(v)))
    else:
        for line in lines:
            if line.startswith("e "):
                _, u, v = line.split()
                out.append((int(u), int(v)))
    return out


def _recheck(rec: dict) -> float:
    """The objective of a record's solution, computed here: cut size or independent-set size."""
    edges = _edges(Path(rec["input"]))
    chosen = set(rec["solution"])
    if rec["problem"] == "maxcut":
        return float(sum((u in chosen) != (v in chosen) for u, v in edges))
    assert all(not (u in chosen and v in chosen) for u, v in edges), "not an independent set"
    return float(len(chosen))


def crash_first(task: dict, attempt: int, device: str = "cpu", history: bool = True) -> dict:
    """Kill the worker process on the first attempt of tasks labelled ``crash``."""
    if attempt == 1 and "crash" in task.get("label", ""):
        os._exit(7)
    return execute_task(task, attempt, device, history)


def always_raise(task: dict, attempt: int, device: str = "cpu", history: bool = True) -> dict:
    """A worker whose task always fails with a (retryable) runtime error."""
    if "flaky" in task.get("label", ""):
        from dnnsolve.batch.worker import failed_record

        return failed_record(task, attempt, f"RuntimeError: flaky {attempt}", retryable=True)
    return execute_task(task, attempt, device, history)


def _relabel(t: Task, label: str) -> Task:
    return Task(t.task_id, t.problem, t.input, t.config, label, t.kind)


def _lines(path: Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# ---------------------------------------------------------------- tasks


def test_inputs_globs_manifests_and_stable_ids(tmp_path):
    (tmp_path / "sub").mkdir()
    a = tmp_path / "a.dimacs"
    b = tmp_path / "sub" / "b.dimacs"
    for p in (a, b):
        p.write_text(MIS.read_text())
    (tmp_path / "list.txt").write_text("# two graphs\na.dimacs\n\nsub/*.dimacs\n")
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"file": "a.dimacs", "seed": 5, "options": {"x": 1}}) + "\n"
    )
    specs = expand_inputs([f"@{tmp_path / 'list.txt'}"])
    assert [Path(s.path) for s in specs] == [a, b]
    specs = expand_inputs([str(tmp_path / "**" / "*.dimacs")])
    assert sorted(Path(s.path) for s in specs) == [a, b]
    t1 = make_tasks("mis", [str(tmp_path / "m.jsonl")], {"seed": 0, "steps": 5})
    assert t1[0].config["seed"] == 5 and t1[0].config["options"] == {"x": 1}
    # ids: independent of the listing order and of how unset settings are spelled
    x = make_tasks("mis", [str(a), str(b)], {"steps": 5, "lr": None}, parse_grid(["seed=0,1"]))
    y = make_tasks("mis", [str(b), str(a)], {"steps": 5}, parse_grid(["seed=0,1"]))
    assert len(x) == 4 and {t.task_id for t in x} == {t.task_id for t in y}
    assert len({t.task_id for t in x}) == 4
    z = make_tasks("mis", [str(a)], {"steps": 6}, parse_grid(["seed=0,1"]))
    assert not {t.task_id for t in z} & {t.task_id for t in x}
    # a missing plain file is a task (it fails later); an empty glob or a bad key is an error
    assert len(make_tasks("mis", [str(tmp_path / "nope.dimacs")])) == 1
    with pytest.raises(InputError, match="no file matches"):
        make_tasks("mis", [str(tmp_path / "*.col")])
    with pytest.raises(InputError, match="unknown --grid key"):
        parse_grid(["gamma-x=1,2"])
    with pytest.raises(InputError, match=r"unknown grid key.*for mis: gamma"):
        make_tasks("mis", [str(a)], {}, parse_grid(["gamma=1,2"]))
    with pytest.raises(InputError, match="file"):
        (tmp_path / "bad.jsonl").write_text('{"seed": 1}\n')
        make_tasks("mis", [str(tmp_path / "bad.jsonl")])
    grid = parse_grid(["hparam.gamma=1,2", "option.conv=gcn", "method=pcqo"])
    ts = make_tasks("mis", [str(a)], {}, grid)
    assert [t.config["hparams"] for t in ts] == [{"gamma": 1}, {"gamma": 2}]
    assert ts[0].config["options"] == {"conv": "gcn"} and ts[0].config["method"] == "pcqo"


def test_bundled_examples_get_their_optimum_as_reference():
    ts = make_tasks("mis", [str(DATA_DIR / "*_example.dimacs")])
    assert ts[0].config["reference_value"] == EXAMPLES["mis_example"]["optimum"]
    # a bundled file solved as another problem has no reference
    assert "reference_value" not in make_tasks("vertex-cover", [MIS])[0].config


# ---------------------------------------------------------------- sink


def test_sink_cuts_partial_line_and_locks(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"task_id": "a", "status": "ok"}\n{"task_id": "b", "status": "failed"}\n{"ta')
    with pytest.raises(InputError, match="--resume"):
        JsonlSink(out)
    with JsonlSink(out, resume=True) as sink:
        assert sink.done_ids() == {"a", "b"} and sink.repaired_bytes == 4
        with pytest.raises(InputError, match="in use"):
            JsonlSink(out, resume=True)
        sink.write({"task_id": "c", "status": "ok", "x": float("nan")})
    assert [r["task_id"] for r in _lines(out)] == ["a", "b", "c"]
    assert _lines(out)[2]["x"] is None  # non-finite floats become JSON null
    with JsonlSink(out, resume=True, drop_failed=True) as sink:  # --retry-failed
        assert sink.done_ids() == {"a", "c"}
        sink.write({"task_id": "b", "status": "ok"})
    assert sorted(r["task_id"] for r in read_records(out)[0]) == ["a", "b", "c"]


# ---------------------------------------------------------------- running


def test_inline_results_equal_sequential_solves(tmp_path):
    tasks = make_tasks("maxcut", [MAXCUT], SETTINGS, parse_grid(["seed=0,1"]))
    tasks += make_tasks("mis", [MIS], SETTINGS, parse_grid(["seed=0,1"]))
    rep = run_batch(tasks, tmp_path / "r.jsonl", workers=0, progress=False)
    assert rep.counts == {"ok": 4, "failed": 0, "retried": 0, "skipped": 0}
    recs = {r["task_id"]: r for r in _lines(tmp_path / "r.jsonl")}
    for t in tasks:
        rec = recs[t.task_id]
        direct = solve(t.problem, t.input, device="cpu", seed=t.config["seed"], **SETTINGS)
        assert rec["objective"] == direct.objective
        assert rec["solution"] == direct.solution
        assert _recheck(rec) == rec["objective"] and rec["feasible"]
        assert rec["reference"] == (117 if t.problem == "maxcut" else 24)
        assert rec["objective"] <= rec["reference"]
        assert rec["status"] == "ok" and rec["attempts"] == 1
        # no training history only when the classical heuristic already met the optimum
        assert rec["history"] or (rec["found_by"] == "baseline" and rec["reference_gap"] == 0)
        assert set(rec) >= {
            "task_id",
            "input",
            "config",
            "error",
            "worker",
            "wall_s",
            "reference_gap",
        }


def test_pool_retries_a_killed_worker_and_records_bad_inputs(tmp_path):
    bad = tmp_path / "bad.dimacs"
    bad.write_text("p edge 3 2\ne 1 2\ne 2 x\n")
    tasks = make_tasks("mis", [MIS], SETTINGS, parse_grid(["seed=0,1"]))
    tasks[0] = _relabel(tasks[0], "crash")
    tasks += make_tasks("mis", [bad, tmp_path / "missing.dimacs"], SETTINGS)
    out = tmp_path / "r.jsonl"
    rep = run_batch(tasks, out, workers=2, progress=False, execute=crash_first, history=False)
    assert rep.backend == "local" and not rep.interrupted
    assert rep.counts["ok"] == 2 and rep.counts["failed"] == 2 and rep.counts["retried"] == 1
    recs = _lines(out)
    assert sorted(r["task_id"] for r in recs) == sorted(t.task_id for t in tasks)  # once each
    by_id = {r["task_id"]: r for r in recs}
    crashed = by_id[tasks[0].task_id]
    assert crashed["status"] == "ok" and crashed["attempts"] == 2
    assert "died" in crashed["previous_errors"][0]
    for t in tasks[:2]:
        direct = solve("mis", MIS, device="cpu", seed=t.config["seed"], **SETTINGS)
        assert by_id[t.task_id]["objective"] == direct.objective == _recheck(by_id[t.task_id])
    for t in tasks[2:]:  # malformed / missing input: one attempt, a failed record
        r = by_id[t.task_id]
        assert r["status"] == "failed" and r["attempts"] == 1
        assert r["error"].startswith("InputError") and r["objective"] is None
    assert "not an integer" in by_id[tasks[2].task_id]["error"]


def test_retries_are_bounded_and_failures_recorded(tmp_path):
    tasks = make_tasks("mis", [MIS], SETTINGS, parse_grid(["seed=0,1"]))
    tasks[1] = _relabel(tasks[1], "flaky")
    rep = run_batch(
        tasks, tmp_path / "r.jsonl", workers=0, max_retries=2, progress=False, execute=always_raise
    )
    assert rep.counts == {"ok": 1, "failed": 1, "retried": 2, "skipped": 0}
    failed = next(r for r in _lines(tmp_path / "r.jsonl") if r["status"] == "failed")
    assert failed["attempts"] == 3 and failed["error"] == "RuntimeError: flaky 3"
    assert failed["previous_errors"] == ["RuntimeError: flaky 1", "RuntimeError: flaky 2"]


def test_interrupt_then_resume_completes_without_duplicates(tmp_path):
    tasks = make_tasks(
        "maxcut", [MAXCUT], {"steps": 20, "restarts": 2}, parse_grid(["seed=0,1,2,3"])
    )
    out = tmp_path / "r.jsonl"
    seen = []

    def stop_after_two(rec):
        seen.append(rec)
        if len(seen) == 2:
            raise KeyboardInterrupt  # what Ctrl-C does in the driver

    rep = run_batch(tasks, out, workers=0, progress=False, on_record=stop_after_two)
    assert rep.interrupted and rep.counts["ok"] == 2 and len(_lines(out)) == 2
    with out.open("a") as fh:  # and the machine died while writing a third line
        fh.write('{"task_id": "maxcut_example.gset#')
    rep2 = run_batch(tasks, out, workers=0, resume=True, progress=False)
    assert rep2.repaired_bytes > 0 and rep2.counts["skipped"] == 2 and rep2.counts["ok"] == 2
    ids = [r["task_id"] for r in _lines(out)]
    assert sorted(ids) == sorted(t.task_id for t in tasks)
    assert [r["seed"] for r in rep2.records] == [0, 1, 2, 3]
    part = run_batch(tasks[:2], out, workers=0, resume=True, progress=False)
    assert part.counts["skipped"] == 2 and len(part.records) == 2 and part.other_records == 2


# ---------------------------------------------------------------- CLI and summary


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("batch")(batch_command)
    app.command("other")(lambda: None)  # two commands: keep the "batch" sub-command name
    return app


def test_cli_grid_summary_and_exit_codes(tmp_path):
    runner = CliRunner(env={"COLUMNS": "200"})
    out = tmp_path / "r.jsonl"
    args = ["batch", "maxcut", str(MAXCUT), "-o", str(out), "--workers", "0", "--restarts"]
    res = runner.invoke(_app(), [*args, "2", "--steps", "30", "--grid", "lr=0.001,0.1"])
    assert res.exit_code == 0, res.output
    recs = _lines(out)
    assert [r["config"]["lr"] for r in recs] == [0.001, 0.1]
    assert all(_recheck(r) == r["objective"] for r in recs)
    assert "rank" in res.output and "lr=0.1" in res.output
    best = min(recs, key=lambda r: r["reference_gap"])["label"]
    first_row = next(line for line in res.output.splitlines() if "relaxed lr=" in line)
    assert best in first_row  # the summary lists the best configuration first
    res = runner.invoke(_app(), [*args, "2", "--grid", "lr=0.1"])  # exists, no --resume
    assert isinstance(res.exception, InputError)
    bad = tmp_path / "bad.gset"
    bad.write_text("3 1\n1 two 1\n")
    res = runner.invoke(
        _app(), [*args, "2", "--steps", "30", "--grid", "lr=0.001,0.1", str(bad), "--resume"]
    )
    assert res.exit_code == 1  # some tasks failed; the others were skipped (already present)
    assert [r["status"] for r in _lines(out)] == ["ok", "ok", "failed", "failed"]
    res = runner.invoke(_app(), ["batch", "maxcut", str(MAXCUT), "-o", str(out), "--grid", "x=1"])
    assert isinstance(res.exception, InputError)


def test_suite_through_batch_path(tmp_path):
    from dnnsolve.batch.suites import run_suite_batched

    out = tmp_path / "reg.jsonl"
    rep = run_suite_batched("regular", out=out, max_n=100, time_limit=1, workers=0, progress=False)
    assert rep.batch.counts["ok"] == 1
    assert [(r["problem"], r["n"]) for r in rep.rows] == [("maxcut", 100), ("mis", 100)]
    assert all(r["recheck"] is True and r["error"] is None for r in rep.rows)  # suite's checker
    assert rep.rows[0]["objective"] <= 150  # a 3-regular graph on 100 vertices has 150 edges
    assert rep.markdown_path.read_text().startswith("# dnnsolve bench: regular")
    again = run_suite_batched(
        "regular", out=out, max_n=100, time_limit=1, workers=0, progress=False, resume=True
    )
    assert again.batch.counts["skipped"] == 1 and again.rows == rep.rows
    app = typer.Typer()
    app.command("bench-batch")(batch_suite_command)
    app.command("other")(lambda: None)
    args = ["bench-batch", "regular", "-o", str(out), "--max-n", "100", "--time-limit", "1"]
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, [*args, "--workers", "0", "--resume"])
    assert res.exit_code == 0, res.output
    assert "1 skipped" in res.output and "| maxcut | 100 | 150 | relaxed |" in res.output


def test_an_unavailable_device_fails_once_without_retries():
    # DeviceRequestError is an InputError subclass: the same on every attempt, so no retry
    # and no traceback in the record (the name test alone missed subclasses)
    task = make_tasks("mis", [example_path("mis_example")], {"steps": 5, "restarts": 2})[0]
    rec = execute_task(task.to_dict(), device="mps", history=False)
    assert rec["status"] == "failed" and rec["retryable"] is False
    assert rec["traceback"] is None and "MPS" in rec["error"]
