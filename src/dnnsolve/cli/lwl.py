"""``dnnsolve rrr {nmf,classify,autoencode}``: "Learning Without Loss" by RRR projections.

No loss function: the network's variables are replicated per item and edge and RRR looks for
a point satisfying every constraint (Elser, arXiv 1911.00493). Each command prints a summary
and, with ``--output FILE``, writes a core :class:`~dnnsolve.core.result.Result` as JSON
(objective re-checked by an independent NumPy computation).

- ``nmf``: exact non-negative factorization of an LEDM matrix (``--ledm M``) or a matrix file
  (``--matrix FILE``, .npy or whitespace/comma text); objective = relative error, feasible =
  error <= ``--success-tol``. Default: Omega chosen from the data scale, beta 0.3, fresh
  restarts until one succeeds within ``--time-limit`` (60 s), near-solutions polished.
- ``classify``: ReLU classifier on majority-circuit data (``--data majority --depth N``) or
  the scikit-learn 8x8 digits (``--data digits``); objective = test error.
- ``autoencode``: strict binary encoding 2^n -> n -> 2^n with gapped-step activations;
  objective = fraction of restarts that encode perfectly.

Exit codes: 0 done, 2 bad input (one line on stderr), 130 interrupted (the result so far is
still written).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from ..core.device import device_name, resolve_device
from ..core.errors import InputError
from ..core.result import Result
from .common import DEVICE_HELP, EXIT_INTERRUPTED, err, guarded, out

__all__ = ["autoencode_command", "classify_command", "nmf_command"]


Beta = Annotated[float | None, typer.Option("--beta", help="RRR step beta (0, 2]")]
Omega = Annotated[float | None, typer.Option("--omega", help="weight norm Omega")]
Restarts = Annotated[int, typer.Option("--restarts", help="independent restarts (batched)")]
Seed = Annotated[int, typer.Option("--seed", help="random seed")]
Device = Annotated[str, typer.Option("--device", help=DEVICE_HELP)]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="write the result JSON")]
TimeLimit = Annotated[float | None, typer.Option("--time-limit", help="seconds")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no summary table")]


def _finish(result: Result, output: Path | None, quiet: bool, rows: list[tuple[str, str]]) -> None:
    to_stdout = str(output) == "-"
    if to_stdout:
        sys.stdout.write(result.to_json() + "\n")
    elif output is not None:
        result.save(output)
    if not quiet and not to_stdout:
        table = Table(title=f"dnnsolve rrr {result.problem.removeprefix('lwl-')}")
        table.add_column("", style="bold")
        table.add_column("")
        for k, v in [*rows, ("time", f"{result.time_s:.2f} s ({result.device})")]:
            table.add_row(k, v)
        if output is not None:
            table.add_row("output", str(output))
        out.print(table)
    if result.stop_reason == "interrupted":
        err.print("interrupted: the result so far was written")
        raise typer.Exit(EXIT_INTERRUPTED)


def _positive(value: float | int | None, flag: str) -> None:
    if value is not None and not value > 0:
        raise InputError(f"{flag} must be positive, got {value}")


def _load_matrix(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InputError("matrix file not found", path=str(path))
    try:
        if path.suffix == ".npy":
            m = np.load(path, allow_pickle=False)
        else:
            text = path.read_text().replace(",", " ")
            m = np.array(
                [
                    [float(v) for v in line.split()]
                    for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")
                ]
            )
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot read a matrix: {exc}", path=str(path)) from None
    if m.ndim != 2:
        raise InputError("the matrix must be 2-D with rows of equal length", path=str(path))
    return m.astype(np.float64)


def nmf_command(
    ledm: Annotated[int | None, typer.Option("--ledm", help="LEDM size m (default 6)")] = None,
    matrix: Annotated[Path | None, typer.Option("--matrix", help=".npy or text matrix")] = None,
    rank: Annotated[int | None, typer.Option("--rank", help="rank (LEDM: paper's r+)")] = None,
    beta: Beta = None,
    omega: Annotated[
        float | None,
        typer.Option("--omega", help="column norm Omega of W (default: chosen from the data)"),
    ] = None,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations",
            help="RRR iterations per restart (default: 20000, doubling every 2nd restart; "
            "100000 with --restarts)",
        ),
    ] = None,
    success_tol: Annotated[float, typer.Option("--success-tol", help="relative error")] = 1e-6,
    restarts: Annotated[
        int | None,
        typer.Option(
            "--restarts", help="run exactly N restarts (default: new ones until one succeeds)"
        ),
    ] = None,
    polish: Annotated[
        bool, typer.Option("--polish/--no-polish", help="Gauss-Newton finish of near-solutions")
    ] = True,
    backend: Annotated[
        str, typer.Option("--backend", help="auto, numba (compiled, CPU) or torch")
    ] = "auto",
    seed: Seed = 0,
    device: Device = "cpu",
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="seconds (default 60)")
    ] = None,
    output: Output = None,
    quiet: Quiet = False,
) -> None:
    """Exact non-negative matrix factorization X = Z W^T by RRR (LWL §4)."""

    def run() -> None:
        from ..rrr.lwl.data import LEDM_RANKS
        from ..rrr.lwl.data import ledm as make_ledm
        from ..rrr.lwl.nmf import DEFAULT_BETA, rrr_nmf

        if ledm is not None and matrix is not None:
            raise InputError("give --ledm or --matrix, not both")
        for v, f in (
            (iterations, "--iterations"),
            (restarts, "--restarts"),
            (time_limit, "--time-limit"),
            (success_tol, "--success-tol"),
            (omega, "--omega"),
            (beta, "--beta"),
        ):
            _positive(v, f)
        if matrix is not None:
            data, name = _load_matrix(matrix), matrix.stem
            r = rank
            if r is None:
                raise InputError("--rank is required with --matrix")
        else:
            m = 6 if ledm is None else ledm
            data, name = make_ledm(m), f"ledm{m}"
            r = rank if rank is not None else LEDM_RANKS.get(m)
            if r is None:
                raise InputError(f"no known nonnegative rank for LEDM {m}; give --rank")
        dev = resolve_device(device)
        b = DEFAULT_BETA if beta is None else beta
        res = rrr_nmf(
            data,
            r,
            beta=b,
            omega=omega,
            restarts=restarts,
            max_iter=iterations,
            success_tol=success_tol,
            time_limit=60.0 if time_limit is None else time_limit,
            seed=seed,
            device=dev,
            polish=polish,
            backend=backend,
            stop_on_first=False,
        )
        n_run = res["restarts_run"]
        result = Result(
            problem="lwl-nmf",
            instance=name,
            method="rrr",
            objective=res["best_error"],
            feasible=bool(any(res["solved"])),
            sense="min",
            time_s=res["time_s"],
            device=device_name(dev),
            seed=seed,
            stop_reason=res["stop_reason"],
            steps=int(max(res["iterations"])),
            restarts=n_run,
            solution={"W": res["W"], "Z": res["Z"]},
            hparams={
                "rank": r,
                "beta": b,
                "omega": res["omega"],
                "success_tol": success_tol,
                "polish": polish,
                "backend": res["backend"],
            },
            history=res["history"],
            extra={
                k: res[k]
                for k in (
                    "success_rate",
                    "solved",
                    "errors",
                    "iterations",
                    "gwm",
                    "found_by",
                    "time_to_solution",
                )
            },
        )
        tts = res["time_to_solution"]
        _finish(
            result,
            output,
            quiet,
            [
                ("instance", f"{name} ({data.shape[0]}x{data.shape[1]}), rank {r}"),
                ("success", f"{sum(res['solved'])}/{n_run} restarts"),
                ("best relative error", f"{res['best_error']:.3e}"),
                ("found by", str(res["found_by"])),
                ("time to solution", "-" if tts is None else f"{tts:.2f} s"),
                ("omega / beta", f"{res['omega']:.4g} / {b:g} ({res['backend']})"),
                ("iterations", str(max(res["iterations"]))),
            ],
        )

    guarded(run)


def _classify_data(data: str, depth: int, n_train: int | None, seed: int):
    from ..rrr.lwl.data import digits_data, majority_circuit_data

    if data == "majority":
        return majority_circuit_data(depth, 13, n_train or 4096, seed=seed), f"majority{depth}"
    if data == "digits":
        return digits_data(n_train or 1000, seed=seed), "digits8x8"
    raise InputError(f"--data must be majority or digits, got {data!r}")


def classify_command(
    data: Annotated[str, typer.Option("--data", help="majority or digits")] = "majority",
    depth: Annotated[int, typer.Option("--depth", help="majority circuit depth")] = 3,
    n_train: Annotated[int | None, typer.Option("--train", help="training items")] = None,
    hidden: Annotated[str, typer.Option("--hidden", help="hidden widths, e.g. 26,26")] = "26,26",
    batch: Annotated[int, typer.Option("--batch", help="items per batch |K|")] = 128,
    iterations: Annotated[int, typer.Option("--iterations", help="RRR iterations / batch")] = 100,
    epochs: Annotated[int, typer.Option("--epochs", help="epochs")] = 10,
    beta: Beta = 1.0,
    omega: Omega = 2.0,
    upsilon: Annotated[float, typer.Option("--upsilon", help="class-node metric")] = 1.0,
    margin: Annotated[float, typer.Option("--margin", help="class margin Delta")] = 0.1,
    restarts: Restarts = 1,
    seed: Seed = 0,
    device: Device = "cpu",
    time_limit: TimeLimit = None,
    output: Output = None,
    quiet: Quiet = False,
) -> None:
    """Train a ReLU classifier by RRR (no loss) and report its test error (LWL §5)."""

    def run() -> None:
        from ..rrr.lwl.train import LWLConfig, train_classifier

        try:
            widths = [int(h) for h in hidden.split(",") if h.strip()]
        except ValueError:
            raise InputError(f"--hidden must be comma-separated integers, got {hidden!r}") from None
        if not widths or min(widths) < 1:
            raise InputError("--hidden needs at least one positive width")
        (xtr, ytr, xte, yte), name = _classify_data(data, depth, n_train, seed)
        cfg = LWLConfig(
            beta=1.0 if beta is None else beta,
            omega=2.0 if omega is None else omega,
            upsilon=upsilon,
            margin=margin,
            batch=batch,
            iterations=iterations,
            epochs=epochs,
            restarts=restarts,
            seed=seed,
            time_limit=time_limit,
        )
        dev = resolve_device(device)
        t0 = time.perf_counter()
        model, s = train_classifier(xtr, ytr, widths, cfg, x_test=xte, y_test=yte, device=dev)
        b = s["best_restart"]
        result = Result(
            problem="lwl-classify",
            instance=name,
            method="rrr",
            objective=s["test_error"],
            feasible=s["train_error"] == 0.0,
            sense="min",
            time_s=time.perf_counter() - t0,
            device=device_name(dev),
            seed=seed,
            stop_reason=model.stop_reason,
            steps=model.iterations,
            restarts=restarts,
            solution={
                "weights": [w[b].cpu().numpy() for w in model.weights],
                "biases": [v[b].cpu().numpy() for v in model.biases],
            },
            hparams={
                k: getattr(cfg, k)
                for k in ("beta", "omega", "upsilon", "margin", "batch", "iterations", "epochs")
            }
            | {"sizes": s["sizes"]},
            history=model.history,
            extra={
                "train_error": s["train_error"],
                "test_error": s["test_error"],
                "train_errors": s["train_errors"],
                "test_errors": s["test_errors"],
            },
        )
        _finish(
            result,
            output,
            quiet,
            [
                ("data", f"{name}: {len(ytr)} train / {len(yte)} test"),
                ("network", " -> ".join(map(str, s["sizes"]))),
                ("train error", f"{s['train_error']:.4f}"),
                ("test error", f"{s['test_error']:.4f}"),
            ],
        )

    guarded(run)


def autoencode_command(
    bits: Annotated[int, typer.Option("--bits", help="code bits n (2^n items)")] = 3,
    iterations: Annotated[int, typer.Option("--iterations", help="RRR iterations")] = 5000,
    beta: Beta = 0.5,
    omega: Omega = 100.0,
    margin: Annotated[float, typer.Option("--margin", help="step half-gap m")] = 0.2,
    restarts: Restarts = 10,
    seed: Seed = 0,
    device: Device = "cpu",
    time_limit: TimeLimit = None,
    output: Output = None,
    quiet: Quiet = False,
) -> None:
    """Learn a strict binary encoding of one-hot vectors by RRR (LWL §6.3.1)."""

    def run() -> None:
        from ..rrr.lwl.train import LWLConfig, train_autoencoder

        cfg = LWLConfig(
            beta=0.5 if beta is None else beta,
            omega=100.0 if omega is None else omega,
            margin=margin,
            batch=2**bits,
            iterations=iterations,
            epochs=1,
            restarts=restarts,
            seed=seed,
            time_limit=time_limit,
            activation="step",
            upsilon=1.0,
        )
        dev = resolve_device(device)
        model, s = train_autoencoder(bits, cfg, device=dev)
        b = s["best_restart"]
        result = Result(
            problem="lwl-autoencode",
            instance=f"binary{bits}",
            method="rrr",
            objective=s["success_rate"],
            feasible=s["verified"],
            sense="max",
            time_s=model.time_s,
            device=device_name(dev),
            seed=seed,
            stop_reason=model.stop_reason,
            steps=model.iterations,
            restarts=restarts,
            solution={
                "codes": s["codes"],
                "weights": [w[b].cpu().numpy() for w in model.weights],
                "biases": [v[b].cpu().numpy() for v in model.biases],
            },
            hparams={
                "beta": cfg.beta,
                "omega": cfg.omega,
                "margin": margin,
                "iterations": iterations,
            },
            history=model.history,
            extra={"solved_restarts": s["solved_restarts"]},
        )
        _finish(
            result,
            output,
            quiet,
            [
                ("network", " -> ".join(map(str, s["sizes"]))),
                ("success", f"{sum(s['solved_restarts'])}/{restarts} restarts"),
            ],
        )

    guarded(run)
