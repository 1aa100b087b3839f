"""``tools/gpu-check``: the plan checks out on a CPU (dry run), a missing data file is a one-line
error, and ``--stage`` copies the plan's data (no wheels: nothing is downloaded here)."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "gpu-check"
DATASETS = Path(os.environ.get("DNNSOLVE_DATA") or ROOT.parent / "shared" / "datasets")


def _tool() -> dict:
    """The script's functions (it has no .py suffix, so it is run, not imported)."""
    return runpy.run_path(str(TOOL), run_name="gpu_check")


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(TOOL), *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def _fake_data(root: Path) -> Path:
    """Empty files at every path the plan reads: the suites only list them in a dry run."""
    for step in _tool()["build_steps"]("cpu", None):
        for rel in step.files:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).touch()
    return root


def test_dry_run_writes_the_planned_report(tmp_path: Path) -> None:
    data = _fake_data(tmp_path / "data")
    out = tmp_path / "out"
    res = _run("--device", "cpu", "--dry-run", "--out", str(out), "--data", str(data))
    assert res.returncode == 0, res.stderr
    doc = json.loads((out / "gpu-check.json").read_text())
    assert doc["mode"] == "dry-run" and doc["status"] == "planned" and doc["complete"]
    plan = doc["plan"]
    budgets = [p["budget_s"] for p in plan["steps"].values()]
    assert sum(budgets) == pytest.approx(plan["budget_sum_s"])
    assert plan["budget_sum_s"] <= plan["deadline_s"] == doc["deadline_s"] == 540
    steps = doc["steps"]
    assert set(steps) == {"tests", "gset", "mis", "color", "sat", "dip", "siren", "pde", "lp",
                          "schedule", "training", "compiled", "bandwidth"}  # fmt: skip
    assert steps["gset"]["instances"] == ["G14", "G22", "G55", "G70"]
    assert len(steps["mis"]["instances"]) == 10 and len(steps["lp"]["instances"]) == 20
    assert len(steps["sat"]["instances"]) == 20 and len(steps["color"]["instances"]) == 6
    for name, step in steps.items():
        assert step["status"] == "planned", name
        if name != "tests":
            assert step["instances"] and step["suite"], name
        if step.get("nominal_limit_s"):
            assert step["minimum_limit_s"] <= step["time_limit_s"] <= step["nominal_limit_s"]
    env = doc["environment"]
    assert env["python"] and env["torch"] and env["cuda_available"] in (True, False)
    md = (out / "gpu-check.md").read_text()
    assert (
        "| step | suite | instances | time limit s (nominal) | budget s | status | wall s |" in md
    )
    assert "| graph | n | m | cut | best_known | ratio | time_s |" in md
    assert "| G14 |" in md and "planned |" in md
    assert "plan checks out" in res.stdout


def test_the_gpu_plan_fits_its_deadline() -> None:
    g = _tool()
    steps = g["build_steps"]("cuda", None)
    plan, scale = g["make_plan"](steps, 540.0, 150.0, g["reserves_for"]("cuda"))
    assert sum(p["budget_s"] for p in plan.values()) <= 540
    assert 0 <= scale <= 1
    with pytest.raises(g["Fail"], match="too small"):
        g["make_plan"](steps, 200.0, 150.0, g["reserves_for"]("cuda"))


def test_a_missing_data_file_is_a_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = _run("--device", "cpu", "--dry-run", "--out", str(tmp_path / "out"), "--data", str(empty))
    assert res.returncode == 3
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "data file not found" in lines[0] and str(empty / "gset" / "G14.txt") in lines[0]


def test_unknown_step_is_a_usage_error() -> None:
    res = _run("--only", "gset,nope")
    assert res.returncode == 2 and "unknown step(s) nope" in res.stderr


@pytest.mark.skipif(not (DATASETS / "gset").is_dir(), reason="no datasets folder")
def test_stage_copies_the_plans_data(tmp_path: Path) -> None:
    dest = tmp_path / "stage"
    res = _run("--stage", str(dest), "--no-wheels", "--data", str(DATASETS))
    assert res.returncode == 0, res.stderr
    for rel in ("gset/G14.txt", "satlib_uf/uf250-1065/uf250-020.cnf", "lp/SOURCES.md",
                "images/DIP_denoising_color9_sigma25/F16_noisy.png", "dimacs_color/le450_5a.col"):  # fmt: skip
        assert (dest / rel).is_file(), rel
    assert "MiB" in res.stdout and "to carry" in res.stdout
    # the staged folder is all a run needs
    res = _run("--device", "cpu", "--dry-run", "--only", "gset,sat,lp,dip", "--data", str(dest),
               "--out", str(tmp_path / "out"))  # fmt: skip
    assert res.returncode == 0, res.stderr
