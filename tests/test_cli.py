"""Command line end to end: exit codes, messages and JSON contents."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from dnnsolve.cli import main

# Petersen graph: MaxCut optimum 12, maximum independent set 4.
PETERSEN = [
    (1, 2),
    (2, 3),
    (3, 4),
    (4, 5),
    (5, 1),
    (1, 6),
    (2, 7),
    (3, 8),
    (4, 9),
    (5, 10),
    (6, 8),
    (8, 10),
    (10, 7),
    (7, 9),
    (9, 6),
]


@pytest.fixture
def petersen(tmp_path):
    path = tmp_path / "petersen.gset"
    path.write_text("10 15\n" + "".join(f"{u} {v} 1\n" for u, v in PETERSEN))
    return path


def _brute_force_cut(n, edges):
    best = 0
    for bits in itertools.product([0, 1], repeat=n):
        best = max(best, sum(bits[u - 1] != bits[v - 1] for u, v in edges))
    return best


def test_solve_maxcut_writes_verified_json(petersen, tmp_path, capsys):
    out = tmp_path / "res.json"
    rc = main(
        [
            "solve",
            "maxcut",
            str(petersen),
            "--steps",
            "100",
            "--restarts",
            "8",
            "--device",
            "cpu",
            "--seed",
            "3",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    for key in (
        "problem",
        "instance",
        "method",
        "objective",
        "feasible",
        "solution",
        "time_s",
        "device",
        "seed",
    ):
        assert key in data
    assert data["problem"] == "maxcut" and data["seed"] == 3 and data["device"] == "cpu"
    side = set(data["solution"])
    assert side <= set(range(1, 11))  # ids of the input file (1-based)
    cut = sum((u in side) != (v in side) for u, v in PETERSEN)
    assert data["objective"] == cut == _brute_force_cut(10, PETERSEN) == 12


def test_solve_mis_json_solution_is_independent(petersen, tmp_path):
    out = tmp_path / "mis.json"
    rc = main(
        [
            "solve",
            "mis",
            str(petersen),
            "--steps",
            "200",
            "--device",
            "cpu",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    chosen = set(data["solution"])
    assert all(not (u in chosen and v in chosen) for u, v in PETERSEN)
    assert data["objective"] == len(chosen) == 4 and data["feasible"]


def test_output_to_stdout_is_pure_json(petersen, capsys):
    rc = main(["solve", "maxcut", str(petersen), "--steps", "20", "--device", "cpu", "-o", "-"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["objective"] == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["solve", "maxcut", "/nonexistent/file.txt"], "file not found"),
        (["solve", "maxcut", "{f}", "--restarts", "0"], "--restarts"),
        (["solve", "maxcut", "{f}", "--method", "relaxd"], "did you mean 'relaxed'"),
        (["solve", "maxcut", "{f}", "--lr", "fast"], "--lr"),
        (["solve", "maxcut", "{f}", "--hparam", "oops"], "key=value"),
        (["solve", "maxcut", "{f}", "--hparam", "nope=1"], "unknown hyper-parameter"),
        (["solve", "maxcut", "{f}", "--hparam", "penalty=abc"], "must be a number"),
        (["solve", "maxcut", "{f}", "--time-limit", "-1"], "--time-limit"),
        (["bench", "no-such-suite", "--data", "{d}"], "suite"),
    ],
)
def test_bad_arguments_give_one_line_error_and_exit_2(petersen, args, message, capsys):
    args = [a.format(f=petersen, d=petersen.parent) for a in args]
    rc = main([*args, "--device", "cpu", "--quiet"] if args[0] == "solve" else args)
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_cuda_request_without_cuda(petersen, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    rc = main(["solve", "maxcut", str(petersen), "--device", "cuda"])
    assert rc == 2 and "no CUDA device" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    ["", "3 2\n1 2 1\n", "3 1\n1 x 1\n", "3 1\n1 9 1\n", "3 1\n2 2 1\n"],
    ids=["empty", "missing-edge", "non-numeric", "out-of-range", "self-loop"],
)
def test_malformed_files_exit_2_naming_the_file(tmp_path, content, capsys):
    path = tmp_path / "bad.gset"
    path.write_text(content)
    rc = main(["solve", "maxcut", str(path), "--format", "gset", "--device", "cpu", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.gset" in err and "Traceback" not in err


def test_usage_errors_exit_2():
    assert main(["solve", "maxcut"]) == 2
    assert main(["solve", "knapsack", "x"]) == 2
    assert main(["--help"]) == 0


def test_methods_lists_both_families(capsys):
    assert main(["methods"]) == 0
    text = capsys.readouterr().out
    for name in ("maxcut", "mis", "relaxed", "pignn", "pcqo", "relu"):
        assert name in text


def test_installed_entry_point_demo(tmp_path):
    """The README's main job, run as a separate process."""
    out = tmp_path / "demo.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dnnsolve.cli",
            "demo",
            "--device",
            "cpu",
            "--quiet",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    images = [r for r in results if r["problem"] == "denoise"]
    more = {r["problem"]: r for r in results if r["problem"] in ("pde", "lp", "sudoku", "schedule")}
    results = [r for r in results if r["problem"] in ("maxcut", "mis", "color", "sat")]
    assert {r["problem"] for r in results} == {"maxcut", "mis", "color", "sat"}
    # the other families: heat PINN near the analytic solution, the LP at HiGHS's optimum, a
    # verified Sudoku, a legal schedule
    assert set(more) == {"pde", "lp", "sudoku", "schedule"}
    assert more["pde"]["metrics"]["relative_l2"] < 2e-2
    assert more["lp"]["reference"] == 8.5 and abs(more["lp"]["objective"] - 8.5) < 1e-6
    assert more["sudoku"]["feasible"] and more["sudoku"]["objective"] == 0
    assert more["schedule"]["feasible"]
    # the image example: PSNR against the clean crop, well above the noisy input's
    assert len(images) == 1
    assert images[0]["metrics"]["psnr"] > images[0]["metrics"]["input_psnr"] + 3.0
    for r in results:  # each bundled example is solved to its proven optimum
        assert r["feasible"] and r["reference"] is not None
        assert r["objective"] == r["reference"], r["instance"]


def test_ctrl_c_writes_best_result_and_exits_130(tmp_path, monkeypatch, capsys):
    from dnnsolve.core.callbacks import Callback, RichProgress

    calls = {"n": 0}

    def interrupt(self, state):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    # the CLI's progress bar is its only callback: make it the one that sees Ctrl-C
    monkeypatch.setattr(RichProgress, "on_eval", interrupt)
    assert issubclass(RichProgress, Callback)
    src = tmp_path / "g.txt"
    src.write_text("4 4\n1 2 1\n2 3 1\n3 4 1\n4 1 1\n")
    out = tmp_path / "r.json"
    rc = main(["solve", "maxcut", str(src), "--steps", "500", "--device", "cpu", "-o", str(out)])
    assert rc == 130
    doc = json.loads(out.read_text())
    assert doc["stop_reason"] == "interrupted" and doc["feasible"] is True
    assert "best verified solution so far" in capsys.readouterr().err


def test_threads_option_sets_torch_threads_and_rejects_zero(petersen):
    import torch

    before = torch.get_num_threads()
    try:
        args = ["solve", "maxcut", str(petersen), "--device", "cpu", "--steps", "20", "-q"]
        assert main([*args, "--threads", "1"]) == 0
        assert torch.get_num_threads() == 1
        assert main([*args, "--threads", "0"]) == 2
    finally:
        torch.set_num_threads(before)


def _broken_polish(*args, **kwargs):
    raise RuntimeError("CUDA error: an illegal memory access was encountered")


def test_internal_error_is_one_line_and_exit_3(petersen, monkeypatch, capsys):
    # a RuntimeError (here a CUDA-like failure) inside a solve is not the user's input: exit 3,
    # one line naming the cause and where it came from, the traceback only with --debug
    from dnnsolve.problems import maxcut

    monkeypatch.setattr(maxcut.MaxCut, "decode", _broken_polish)
    args = ["solve", "maxcut", str(petersen), "--device", "cpu", "--steps", "5", "-q"]
    assert main(args) == 3
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "internal error: RuntimeError: CUDA error" in lines[0]
    assert "test_cli.py" in lines[0] and "--debug" in lines[0] and "Traceback" not in err
    assert main(["--debug", *args]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "_broken_polish" in err


def test_bad_input_stays_exit_2_with_debug(tmp_path, capsys):
    bad = tmp_path / "bad.gset"
    bad.write_text("3 1\n1 x 1\n")
    assert main(["solve", "maxcut", str(bad)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["--debug", "solve", "maxcut", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "bad.gset" in err


# the answer each family must give on a graph with no vertices: (objective, empty solution)
EMPTY_ANSWERS = {
    "maxcut": (0.0, []),
    "mis": (0.0, []),
    "clique": (0.0, []),
    "vertex-cover": (0.0, []),
    "color": (0.0, {"colors": 0, "coloring": {}}),
    "k-coloring": (0.0, {"k": 1, "colors": {}}),
    "domset": (0.0, []),
    "total-domset": (0.0, []),
    "connected-domset": (0.0, []),
    "disjunctive-domset": (0.0, []),
    "liars-domset": (0.0, []),
    "ve-domset": (0.0, []),
    "dissociation": (0.0, []),
}


@pytest.mark.parametrize("header", ["0 0\n", "p edge 0 0\n"], ids=["gset", "dimacs"])
@pytest.mark.parametrize("problem", sorted(EMPTY_ANSWERS))
def test_graph_without_vertices_gives_the_empty_answer(tmp_path, problem, header, capsys):
    path = tmp_path / ("none.gset" if header[0] == "0" else "none.col")
    path.write_text(header)
    extra = ["--colors", "1"] if problem == "k-coloring" else []
    rc = main(["solve", problem, str(path), *extra, "--device", "cpu", "--steps", "5", "-o", "-"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "Traceback" not in cap.err and "error" not in cap.err
    data = json.loads(cap.out)
    objective, solution = EMPTY_ANSWERS[problem]
    assert (data["objective"], data["solution"], data["feasible"]) == (objective, solution, True)


def test_unavailable_device_is_one_line_bad_input(petersen, capsys):
    import torch

    if torch.backends.mps.is_available():
        pytest.skip("MPS present")
    for device, message in [
        ("mps", "error: MPS (Apple GPU) was requested but is not available on this machine"),
        ("tpu", "error: unknown device 'tpu' (use cpu, cuda, cuda:N, mps or auto)"),
        ("xpu", "error: unsupported device type 'xpu'"),
    ]:
        rc = main(["solve", "maxcut", str(petersen), "--device", device, "-q"])
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert rc == 2 and len(lines) == 1 and lines[0].startswith(message), err
        assert "Traceback" not in err


def test_absurd_header_is_one_line_naming_file_and_line(tmp_path, capsys):
    path = tmp_path / "huge.col"
    path.write_text("c a tiny file\np edge 100000000000 1\ne 1 2\n")
    rc = main(["solve", "mis", str(path), "--device", "cpu", "-q"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and "Traceback" not in err and len(lines) == 1
    assert lines[0] == (
        f"error: {path}:2: header claims 100000000000 vertices: at most 3037000499 are "
        "supported (64-bit indices)"
    )
