"""Batch solving on a real Ray cluster: ``ray start --head`` on 127.0.0.1 in a module fixture.

Checks: results equal sequential ``dnnsolve.solve`` calls with the same seeds (and an
independent recheck); a worker that kills itself mid-run is retried without losing finished
results; malformed inputs become failed records; a driver interrupted by Ctrl-C (SIGINT)
keeps its finished records and ``resume`` completes the set without duplicates.

Starting Ray takes ~10 s and the tests about a minute on a 2-core machine; they run by default
when Ray is installed (the ``dev`` extra installs it) and are skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from dnnsolve import solve  # noqa: E402
from dnnsolve.batch import make_tasks, parse_grid, run_batch  # noqa: E402
from dnnsolve.batch.tasks import Task  # noqa: E402
from dnnsolve.batch.worker import execute_task  # noqa: E402
from dnnsolve.data import example_path  # noqa: E402

TESTS = Path(__file__).resolve().parent
MAXCUT = example_path("maxcut_example")
MIS = example_path("mis_example")
SETTINGS = {"steps": 40, "restarts": 4}


def crash_first(task: dict, attempt: int, device: str = "cpu", history: bool = True) -> dict:
    """Kill the Ray worker process on the first attempt of tasks labelled ``crash``."""
    if attempt == 1 and "crash" in task.get("label", ""):
        os._exit(7)
    return execute_task(task, attempt, device, history)


def _ray_cli() -> list[str]:
    exe = shutil.which("ray")
    return [exe] if exe else [sys.executable, "-m", "ray.scripts.scripts"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        # workers import this module (crash_first) by name
        "PYTHONPATH": str(TESTS) + (os.pathsep + path if path else ""),
        "OMP_NUM_THREADS": "1",
        "RAY_USAGE_STATS_ENABLED": "0",
        # a throw-away loopback cluster: no token auth (Ray >= 2.5x enables it when a
        # ~/.ray/auth_token exists, and the driver would then need the token too)
        "RAY_AUTH_MODE": "disabled",
    }


@pytest.fixture(scope="module")
def cluster():
    mp = pytest.MonkeyPatch()
    mp.setenv("RAY_AUTH_MODE", "disabled")  # the driver (this process) as the cluster
    port = _free_port()
    cmd = [
        *_ray_cli(),
        "start",
        "--head",
        f"--port={port}",
        "--node-ip-address=127.0.0.1",
        "--num-cpus=2",
        "--num-gpus=0",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    subprocess.run(cmd, env=_env(), check=True, capture_output=True, timeout=180)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([*_ray_cli(), "stop"], capture_output=True, timeout=120)
        mp.undo()


def _edges(path: Path) -> list[tuple[int, int]]:
    lines = path.read_text().splitlines()
    if path.suffix == ".gset":
        return [(int(a), int(b)) for a, b, *_ in (line.split() for line in lines[1:])]
    return [(int(x[1]), int(x[2])) for x in (line.split() for line in lines) if x and x[0] == "e"]


def _recheck(rec: dict) -> float:
    chosen = set(rec["solution"])
    edges = _edges(Path(rec["input"]))
    if rec["problem"] == "maxcut":
        return float(sum((u in chosen) != (v in chosen) for u, v in edges))
    assert all(not (u in chosen and v in chosen) for u, v in edges)
    return float(len(chosen))


def _lines(path: Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_ray_equals_sequential_retries_killed_worker_records_bad_input(cluster, tmp_path):
    bad = tmp_path / "bad.dimacs"
    bad.write_text("p edge 3 2\ne 1 2\ne 2 x\n")
    tasks = make_tasks("mis", [MIS], SETTINGS, parse_grid(["seed=0,1"]))
    tasks[0] = Task(tasks[0].task_id, "mis", tasks[0].input, tasks[0].config, "crash")
    tasks += make_tasks("maxcut", [MAXCUT], SETTINGS, parse_grid(["seed=3"]))
    tasks += make_tasks("mis", [bad], SETTINGS)
    out = tmp_path / "r.jsonl"
    rep = run_batch(tasks, out, ray_address=cluster, progress=False, execute=crash_first)
    assert rep.backend == "ray" and rep.workers == 2
    assert rep.counts == {"ok": 3, "failed": 1, "retried": 1, "skipped": 0}
    recs = {r["task_id"]: r for r in _lines(out)}
    assert len(recs) == len(tasks) == len(_lines(out))
    crashed = recs[tasks[0].task_id]
    assert crashed["status"] == "ok" and crashed["attempts"] == 2
    assert "WorkerCrashedError" in crashed["previous_errors"][0]
    for t in tasks[:3]:
        r = recs[t.task_id]
        direct = solve(t.problem, t.input, device="cpu", seed=t.config["seed"], **SETTINGS)
        assert r["objective"] == direct.objective == _recheck(r)
        assert r["solution"] == direct.solution
    failed = recs[tasks[3].task_id]
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["error"].startswith("InputError") and "not an integer" in failed["error"]


_DRIVER = textwrap.dedent(
    """
    import sys
    from dnnsolve.batch import make_tasks, parse_grid, run_batch
    from dnnsolve.data import example_path
    tasks = make_tasks("maxcut", [example_path("maxcut_example")],
                       {"steps": 1500, "restarts": 8}, parse_grid(["seed=0,1,2,3,4,5,6,7"]))
    rep = run_batch(tasks, sys.argv[2], ray_address=sys.argv[1], progress=False, history=False)
    sys.exit(130 if rep.interrupted else 0)
    """
)


def test_ray_interrupted_driver_then_resume(cluster, tmp_path):
    out = tmp_path / "r.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, cluster, str(out)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and out.read_text().count("\n") >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.stdout.read().decode()[-2000:] if proc.stdout else ""
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    code = proc.wait(timeout=120)
    assert code == 130, proc.stdout.read().decode()[-2000:] if proc.stdout else ""
    kept = _lines(out)
    assert 2 <= len(kept) < 8 and all(r["status"] == "ok" for r in kept)

    tasks = make_tasks(
        "maxcut", [MAXCUT], {"steps": 1500, "restarts": 8}, parse_grid(["seed=0,1,2,3,4,5,6,7"])
    )
    rep = run_batch(tasks, out, ray_address=cluster, progress=False, history=False, resume=True)
    assert not rep.interrupted and rep.counts["skipped"] == len(kept)
    assert rep.counts["ok"] == 8 - len(kept) and rep.counts["failed"] == 0
    final = _lines(out)
    assert sorted(r["task_id"] for r in final) == sorted(t.task_id for t in tasks)
    assert final[: len(kept)] == kept  # finished records untouched
    for r in final:
        assert r["objective"] == _recheck(r) <= 117  # proven optimum of the example


def test_local_ray_instance_without_address(tmp_path):
    """backend="ray" with no address starts (and stops) a private local Ray instance."""
    tasks = make_tasks("maxcut", [MAXCUT], SETTINGS, parse_grid(["seed=0,1"]))
    rep = run_batch(tasks, tmp_path / "r.jsonl", backend="ray", workers=2, progress=False)
    assert rep.backend == "ray" and rep.counts["ok"] == 2 and not ray.is_initialized()
    for r in _lines(tmp_path / "r.jsonl"):
        direct = solve("maxcut", MAXCUT, device="cpu", seed=r["seed"], **SETTINGS)
        assert r["objective"] == direct.objective == _recheck(r)
