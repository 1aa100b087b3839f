"""The "Learning Without Loss" families: ``nmf``, ``classify`` and ``autoencode``.

No loss function: the network's variables are replicated per item and edge and RRR looks
for a point satisfying every constraint (Elser, arXiv 1911.00493). Each result's objective
is re-checked by an independent NumPy computation from the returned solution.

- ``nmf``: exact non-negative factorization X = Z W^T of a matrix (INPUT or ``--matrix``:
  .npy or whitespace/comma text; an array from Python) or of an LEDM matrix (``--ledm M``,
  default 6); objective = relative error, feasible = error <= ``success_tol``. Methods:
  ``rrr`` (default: Omega from the data scale, beta 0.3, fresh restarts until one succeeds
  within the time limit, 60 s by default, near-solutions polished), and the baselines
  ``hals`` (coordinate descent, the classical one), ``mu`` (Lee-Seung multiplicative
  updates) and ``cd`` (scikit-learn's coordinate descent).
- ``classify``: ReLU classifier on majority-circuit data (``data="majority"``, ``depth``)
  or the scikit-learn 8x8 digits (``data="digits"``), or on arrays (``(x_train, y_train,
  x_test, y_test)``, or an .npz file with those keys); objective = test error. Methods:
  ``rrr`` and the gradient baselines ``adam`` (the classical one) and ``sgd`` on the same
  network.
- ``autoencode``: strict binary encoding 2^n -> n -> 2^n with gapped-step activations;
  objective = fraction of restarts that encode perfectly.

A result that is not feasible (no exact factorization, a training error above 0, no perfect
encoding) is still an answer: the CLI shows it and exits 0.

>>> from dnnsolve import solve
>>> r = solve("nmf", ledm=6, device="cpu", seed=0, time_limit=20)
>>> r.feasible, r.objective <= 1e-6
(True, True)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...core.callbacks import Callback, CallbackRun
from ...core.device import device_name, resolve_device
from ...core.errors import InputError
from ...core.result import Result
from ...core.seeding import fresh_seed
from ...family import (
    Family,
    Options,
    at_least,
    non_negative,
    one_of,
    option,
    positive,
    register_family,
)
from ..family import options_record, rrr_step

__all__ = [
    "AutoencodeOptions",
    "ClassifyOptions",
    "Dataset",
    "LWLOptions",
    "Matrix",
    "NMFOptions",
    "parse_widths",
]

#: the NMF time limit when none is given (restarts run until one succeeds or it ends)
NMF_TIME_LIMIT = 60.0
#: default budget of ``autoencode`` (n = 4: ten restarts of 5 * 10^5 iterations take ~50 s on
#: two threads; n = 8 would take hours per restart)
AUTOENCODE_TIME_LIMIT = 300.0


@dataclass(kw_only=True)
class LWLOptions(Options):
    """What the LWL families share: CPU by default, a seed drawn once when none is given."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.seed is None:  # a fresh seed, recorded in the result
            self.seed = fresh_seed()


def _time(result: Result) -> tuple[str, str]:
    return "time", f"{result.time_s:.2f} s ({result.device})"


# --------------------------------------------------------------------------- nmf


@dataclass(kw_only=True)
class NMFOptions(LWLOptions):
    """``nmf``: the matrix (or LEDM size), the rank and the RRR settings."""

    time_limit: float | None = option(
        None, f"Wall-clock budget in seconds (default {NMF_TIME_LIMIT:g}).", check=positive
    )
    ledm: int | None = option(None, "LEDM size m (default 6).", check=at_least(2))
    matrix: Path | None = option(None, ".npy or text matrix (or give it as INPUT).")
    rank: int | None = option(None, "Rank (LEDM: the paper's r+).", check=at_least(1))
    beta: float | None = option(None, "RRR step beta in (0, 2] (default 0.3).", check=rrr_step)
    omega: float | None = option(
        None, "Column norm Omega of W (default: chosen from the data).", check=positive
    )
    steps: int | None = option(
        None,
        "Iterations per restart (rrr default: 20000, doubling every 2nd restart; 100000 with "
        "--restarts).",
        check=at_least(1),
        aliases=("iterations",),
    )
    success_tol: float = option(1e-6, "Relative error counted as exact.", check=positive)
    restarts: int | None = option(
        None, "Run exactly N restarts (default: new ones until one succeeds).", check=at_least(1)
    )
    polish: bool = option(True, "Gauss-Newton finish of near-solutions (rrr).")
    backend: str = option(
        "auto",
        "auto, numba (compiled, CPU) or torch (rrr).",
        check=one_of("auto", "numba", "torch"),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ledm is not None and self.matrix is not None:
            raise InputError("give --ledm or --matrix, not both")


@dataclass
class Matrix:
    """An NMF instance: the data, its name and the rank to factor at."""

    data: np.ndarray
    name: str
    rank: int


def read_matrix(instance: Any, opts: Options) -> Matrix:
    """INPUT or ``--matrix`` (a file or an array; ``--rank`` required), else LEDM(``ledm``)
    at the given or the paper's rank."""
    from .data import LEDM_RANKS, ledm, load_matrix

    assert isinstance(opts, NMFOptions)
    if instance is not None and (opts.matrix is not None or opts.ledm is not None):
        raise InputError("give the matrix as INPUT, --matrix or --ledm: only one")
    source = instance if instance is not None else opts.matrix
    if source is None:
        m = 6 if opts.ledm is None else opts.ledm
        rank = opts.rank if opts.rank is not None else LEDM_RANKS.get(m)
        if rank is None:
            raise InputError(f"no known nonnegative rank for LEDM {m}; give --rank")
        return Matrix(ledm(m), f"ledm{m}", rank)
    if isinstance(source, (str, os.PathLike)):
        data, name = load_matrix(source), Path(source).stem
    else:
        data, name = np.asarray(source, dtype=np.float64), "matrix"
    if opts.rank is None:
        raise InputError("--rank is required with a matrix")
    if data.ndim != 2 or min(data.shape) < 1:
        raise InputError("NMF data must be a non-empty 2-D matrix")
    if not np.isfinite(data).all() or (data < 0).any():
        raise InputError("NMF data must be finite and non-negative")
    if opts.rank > max(data.shape):
        raise InputError(f"--rank must be at most {max(data.shape)}, got {opts.rank}")
    return Matrix(data, name, opts.rank)


def _nmf_rrr(x: Matrix, opts: NMFOptions, time_limit: float) -> tuple[dict, dict]:
    from .nmf import DEFAULT_BETA, rrr_nmf

    beta = DEFAULT_BETA if opts.beta is None else opts.beta
    res = rrr_nmf(
        x.data,
        x.rank,
        beta=beta,
        omega=opts.omega,
        restarts=opts.restarts,
        max_iter=opts.steps,
        success_tol=opts.success_tol,
        time_limit=time_limit,
        seed=int(opts.seed or 0),
        device=resolve_device(opts.device),
        polish=opts.polish,
        backend=opts.backend,
        stop_on_first=False,
    )
    hparams = {"beta": beta, "omega": res["omega"], "polish": opts.polish}
    return res, hparams | {"backend": res["backend"]}


def _nmf_baseline(x: Matrix, opts: NMFOptions, method: str, time_limit: float) -> dict:
    from .baselines import cd_nmf, hals_nmf, multiplicative_nmf

    common = {"success_tol": opts.success_tol, "seed": int(opts.seed or 0)}
    common["time_limit"] = time_limit
    if method == "hals":
        res = hals_nmf(
            x.data, x.rank, restarts=opts.restarts or 16, max_iter=opts.steps or 5000, **common
        )
    elif method == "mu":
        res = multiplicative_nmf(
            x.data,
            x.rank,
            restarts=opts.restarts or 10,
            max_iter=opts.steps or 100_000,
            **common,
        )
    else:  # restarts until one succeeds unless a count is given
        res = cd_nmf(
            x.data,
            x.rank,
            restarts=opts.restarts or 10**6,
            max_iter=opts.steps or 20_000,
            stop_on_first=opts.restarts is None,
            **common,
        )
    iters = res.get("iterations")
    res["iterations"] = [iters] if isinstance(iters, int) else []
    res["restarts_run"] = len(res["solved"])
    out_of_time = res["time_s"] >= time_limit
    res["stop_reason"] = (
        "solved" if any(res["solved"]) else "time_limit" if out_of_time else "max_iter"
    )
    res["found_by"] = method if any(res["solved"]) else None
    return res


def _run_nmf(x: Matrix, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    from .nmf import nmf_residual

    assert isinstance(opts, NMFOptions)
    method = opts.method or "rrr"
    time_limit = NMF_TIME_LIMIT if opts.time_limit is None else opts.time_limit
    dev = resolve_device(opts.device)

    def solve(_: Any) -> Result:
        t0 = time.perf_counter()
        hparams: dict[str, Any] = {"rank": x.rank, "success_tol": opts.success_tol}
        if method == "rrr":
            res, more = _nmf_rrr(x, opts, time_limit)
            hparams |= more
        else:
            res = _nmf_baseline(x, opts, method, time_limit)
        if res.get("W") is None:
            raise InputError(f"{method} returned no factorization (no restart finished)")
        w, z = np.asarray(res["W"]), np.asarray(res["Z"])
        error = nmf_residual(x.data, w, z)  # the independent re-check
        return Result(
            problem="lwl-nmf",
            instance=x.name,
            method=method,
            objective=error,
            feasible=bool(error <= opts.success_tol),
            sense="min",
            time_s=res.get("time_s", time.perf_counter() - t0),
            device=device_name(dev),
            seed=opts.seed,
            found_by=res.get("found_by") or method,
            stop_reason=res["stop_reason"],
            steps=int(max(res["iterations"], default=0)),
            restarts=res["restarts_run"],
            solution={"W": w, "Z": z},
            hparams=hparams,
            history=res.get("history", []),
            extra={
                **{
                    k: res.get(k)
                    for k in (
                        "solved",
                        "errors",
                        "iterations",
                        "found_by",
                        "time_to_solution",
                    )
                },
                "shape": list(x.data.shape),
                "options": options_record(opts),
            },
            metrics={"success_rate": res.get("success_rate"), "gwm": res.get("gwm")},
        )

    return CallbackRun(callbacks, None, opts, x).run(solve)


def _nmf_rows(result: Result) -> list[tuple[str, str]]:
    e = result.extra
    k, m = e.get("shape") or ("?", "?")
    tts = e.get("time_to_solution")
    solved = e.get("solved") or []
    rows = [
        ("instance", f"{result.instance} ({k}x{m}), rank {result.hparams.get('rank')}"),
        ("success", f"{sum(solved)}/{result.restarts} restarts"),
        ("best relative error", f"{result.objective:.3e}"),
        ("found by", str(e.get("found_by"))),
        ("time to solution", "-" if tts is None else f"{tts:.2f} s"),
    ]
    h = result.hparams
    if "omega" in h:
        rows.append(("omega / beta", f"{h['omega']:.4g} / {h['beta']:g} ({h['backend']})"))
    return [*rows, ("iterations", str(result.steps)), _time(result)]


# --------------------------------------------------------------------------- classify


def parse_widths(text: Any) -> list[int]:
    """``"26,26"`` → [26, 26]; a list of widths stays a list.

    >>> parse_widths("26,26"), parse_widths([8])
    ([26, 26], [8])
    """
    try:
        if isinstance(text, str):
            widths = [int(h) for h in text.split(",") if h.strip()]
        else:
            widths = [int(h) for h in ([text] if isinstance(text, int) else text)]
    except (TypeError, ValueError):
        raise InputError(f"--hidden must be comma-separated integers, got {text!r}") from None
    if not widths or min(widths) < 1:
        raise InputError("--hidden needs at least one positive width")
    return widths


@dataclass(kw_only=True)
class ClassifyOptions(LWLOptions):
    """``classify``: the data, the network and the RRR (or gradient) training settings."""

    data: str = option("majority", "majority or digits.", check=one_of("majority", "digits"))
    depth: int = option(3, "Majority circuit depth.", check=at_least(1))
    n_train: int | None = option(None, "Training items.", flag="--train", check=at_least(1))
    hidden: list[int] = option(
        help="Hidden widths, e.g. 26,26.",
        parse=parse_widths,
        cli_type=str,
        cli_default="26,26",
        factory=lambda: [26, 26],
    )
    batch: int = option(128, "Items per batch |K|.", check=at_least(1))
    steps: int = option(
        100, "RRR iterations per batch.", check=at_least(1), aliases=("iterations",)
    )
    epochs: int = option(10, "Epochs (rrr).", check=at_least(1))
    beta: float = option(1.0, "RRR step beta in (0, 2].", check=rrr_step)
    omega: float = option(2.0, "Weight norm Omega.", check=positive)
    upsilon: float = option(1.0, "Class-node metric.", check=positive)
    margin: float = option(0.1, "Class margin Delta.", check=non_negative)
    exempt: float = option(
        0.0,
        "Fraction of each batch exempted from the class constraint (the paper's 0.005).",
        check=non_negative,
    )
    init: str = option(
        "gaussian",
        "Weight start: gaussian, or the paper's centred-uniform (better on long runs).",
        check=one_of("gaussian", "centred-uniform"),
    )
    restarts: int = option(1, "Independent restarts (batched).", check=at_least(1))
    gd_epochs: int = option(200, "Epochs of the gradient baselines (adam, sgd).", check=at_least(1))
    lr: float | None = option(
        None,
        "Learning rate of the gradient baselines (default 0.01 adam, 0.5 sgd).",
        check=positive,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hidden = parse_widths(self.hidden)


@dataclass
class Dataset:
    """A classification instance: train and test items and labels, and a name."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str


def read_dataset(instance: Any, opts: Options) -> Dataset:
    """``(x_train, y_train, x_test, y_test)`` arrays, an .npz file with those keys, or (no
    INPUT) the data named by ``data``."""
    from .data import digits_data, majority_circuit_data

    assert isinstance(opts, ClassifyOptions)
    seed = int(opts.seed or 0)
    if instance is None:
        if opts.data == "majority":
            arrays = majority_circuit_data(opts.depth, 13, opts.n_train or 4096, seed=seed)
            return Dataset(*arrays, name=f"majority{opts.depth}")
        return Dataset(*digits_data(opts.n_train or 1000, seed=seed), name="digits8x8")
    keys = ("x_train", "y_train", "x_test", "y_test")
    name = "data"
    if isinstance(instance, (str, os.PathLike)):
        path = os.fspath(instance)
        try:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in keys if k not in npz]
                if missing:
                    raise InputError(f"{path}: no {', '.join(missing)} array")
                instance = tuple(npz[k] for k in keys)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
        name = Path(path).stem
    if len(instance) != 4:
        raise InputError("classification data must be (x_train, y_train, x_test, y_test)")
    xtr, ytr, xte, yte = (np.asarray(a) for a in instance)
    return Dataset(xtr.astype(np.float64), ytr, xte.astype(np.float64), yte, name)


def _classify_rrr(d: Dataset, opts: ClassifyOptions, dev: Any) -> dict:
    from .train import LWLConfig, train_classifier

    cfg = LWLConfig(
        beta=opts.beta,
        omega=opts.omega,
        upsilon=opts.upsilon,
        margin=opts.margin,
        batch=opts.batch,
        iterations=opts.steps,
        epochs=opts.epochs,
        restarts=opts.restarts,
        seed=int(opts.seed or 0),
        time_limit=opts.time_limit,
        exempt=opts.exempt,
        init=opts.init,
    )
    model, s = train_classifier(
        d.x_train, d.y_train, opts.hidden, cfg, x_test=d.x_test, y_test=d.y_test, device=dev
    )
    b = s["best_restart"]
    names = (
        "beta",
        "omega",
        "upsilon",
        "margin",
        "batch",
        "iterations",
        "epochs",
        "exempt",
        "init",
    )
    return {
        "weights": [w[b].cpu().numpy() for w in model.weights],
        "biases": [v[b].cpu().numpy() for v in model.biases],
        "omega": cfg.omega,
        "stop_reason": model.stop_reason,
        "steps": model.iterations,
        "history": model.history,
        "hparams": {k: getattr(cfg, k) for k in names} | {"sizes": s["sizes"]},
        "extra": {k: s[k] for k in ("train_errors", "test_errors")},
    }


def _classify_gradient(d: Dataset, opts: ClassifyOptions, dev: Any, method: str) -> dict:
    from .baselines import gradient_classifier

    g = gradient_classifier(
        d.x_train,
        d.y_train,
        opts.hidden,
        x_test=d.x_test,
        y_test=d.y_test,
        optimizer=method,
        lr=opts.lr,
        batch=opts.batch,
        epochs=opts.gd_epochs,
        seed=int(opts.seed or 0),
        device=dev,
        time_limit=opts.time_limit,
    )
    sizes = [d.x_train.shape[1], *(w.shape[0] for w in g["weights"])]
    return {
        # a layer h W^T + b is the LWL layer h W^T / Omega - b' with Omega = 1, b' = -b
        "weights": g["weights"],
        "biases": [-b for b in g["biases"]],
        "omega": 1.0,
        "stop_reason": "epochs" if g["epochs"] >= opts.gd_epochs else "time_limit",
        "steps": g["epochs"],
        "history": g["history"],
        "hparams": {"lr": opts.lr, "batch": opts.batch, "epochs": opts.gd_epochs}
        | {"omega": 1.0, "sizes": sizes},
        "extra": {},
    }


def _run_classify(d: Dataset, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    from .train import numpy_forward

    assert isinstance(opts, ClassifyOptions)
    method = opts.method or "rrr"
    dev = resolve_device(opts.device)

    def solve(_: Any) -> Result:
        t0 = time.perf_counter()
        if method == "rrr":
            out = _classify_rrr(d, opts, dev)
        else:
            out = _classify_gradient(d, opts, dev, method)
        elapsed = time.perf_counter() - t0

        def error(x: np.ndarray, y: np.ndarray) -> float:  # the independent re-check
            scores = numpy_forward(x, out["weights"], out["biases"], out["omega"])
            return float((scores.argmax(1) != np.asarray(y)).mean())

        train_error, test_error = error(d.x_train, d.y_train), error(d.x_test, d.y_test)
        return Result(
            problem="lwl-classify",
            instance=d.name,
            method=method,
            objective=test_error,
            feasible=train_error == 0.0,
            sense="min",
            time_s=elapsed,
            device=device_name(dev),
            seed=opts.seed,
            found_by=method,
            stop_reason=out["stop_reason"],
            steps=out["steps"],
            restarts=opts.restarts if method == "rrr" else 1,
            solution={"weights": out["weights"], "biases": out["biases"]},
            hparams=out["hparams"],
            history=out["history"],
            metrics={"train_error": train_error, "test_error": test_error},
            extra={
                **out["extra"],
                "n_train": len(d.y_train),
                "n_test": len(d.y_test),
                "options": options_record(opts),
            },
        )

    return CallbackRun(callbacks, None, opts, d).run(solve)


def _classify_rows(result: Result) -> list[tuple[str, str]]:
    e = result.extra
    sizes = result.hparams.get("sizes") or []
    return [
        ("data", f"{result.instance}: {e.get('n_train')} train / {e.get('n_test')} test"),
        ("network", " -> ".join(map(str, sizes))),
        ("train error", f"{result.metrics['train_error']:.4f}"),
        ("test error", f"{result.metrics['test_error']:.4f}"),
        _time(result),
    ]


# --------------------------------------------------------------------------- autoencode


@dataclass(kw_only=True)
class AutoencodeOptions(LWLOptions):
    """``autoencode``: the code bits n and the RRR settings of the cyclic network."""

    time_limit: float | None = option(
        None, f"Wall-clock budget in seconds (default {AUTOENCODE_TIME_LIMIT:g}).", check=positive
    )
    bits: int = option(3, "Code bits n (2^n items), 1 to 8.", check=at_least(1))
    steps: int = option(
        500_000, "RRR iterations per restart and epoch.", check=at_least(1), aliases=("iterations",)
    )
    epochs: int = option(
        1, "Epochs: each starts the copies afresh from the consensus.", check=at_least(1)
    )
    beta: float = option(0.5, "RRR step beta in (0, 2].", check=rrr_step)
    omega: float = option(100.0, "Weight norm Omega.", check=positive)
    margin: float | None = option(
        None,
        "Step half-gap m (default: 0.85 of the largest feasible; n = 3: 0.245).",
        check=non_negative,
    )
    restarts: int = option(10, "Independent restarts (on --threads threads).", check=at_least(1))
    cyclic: bool = option(
        True, "Cyclic network with the code batch (LWL §6.1); off: the data batch alone."
    )
    backend: str = option(
        "auto", "auto, numba (compiled, CPU) or torch.", check=one_of("auto", "numba", "torch")
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.bits > 8:
            raise InputError(f"--bits must be at most 8, got {self.bits}")


def read_bits(instance: Any, opts: Options) -> int:
    """The autoencoder's items are generated (the 2^n one-hot vectors): no INPUT."""
    if instance is not None:
        raise InputError("autoencode takes no INPUT: its items are the one-hot vectors of --bits")
    assert isinstance(opts, AutoencodeOptions)
    return opts.bits


def _autoencode_feedforward(bits: int, opts: AutoencodeOptions, dev, time_limit: float) -> dict:
    """The data batch alone through the feed-forward trainer, in the cyclic trainer's terms."""
    from .cyclic import default_margin
    from .train import LWLConfig, train_autoencoder

    margin = default_margin(bits) if opts.margin is None else opts.margin
    cfg = LWLConfig(
        beta=opts.beta,
        omega=opts.omega,
        margin=margin,
        batch=2**bits,
        iterations=opts.steps,
        epochs=opts.epochs,
        restarts=opts.restarts,
        seed=int(opts.seed or 0),
        time_limit=time_limit,
        activation="step",
        upsilon=1.0,
    )
    model, s = train_autoencoder(bits, cfg, device=dev)
    b = s["best_restart"]
    return {
        "sizes": s["sizes"],
        "solved": s["solved_restarts"],
        "verified": s["verified"],
        "success_rate": s["success_rate"],
        "codes": s["codes"],
        "weights": [w[b].cpu().numpy() for w in model.weights],
        "biases": [v[b].cpu().numpy() for v in model.biases],
        "time_s": model.time_s,
        "margin": margin,
        "stop_reason": model.stop_reason,
        "iterations": [model.iterations],
        "history": model.history,
    }


def _run_autoencode(bits: int, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    from .cyclic import train_cyclic_autoencoder

    assert isinstance(opts, AutoencodeOptions)
    dev = resolve_device(opts.device)
    time_limit = AUTOENCODE_TIME_LIMIT if opts.time_limit is None else opts.time_limit

    def solve(_: Any) -> Result:
        if opts.cyclic:
            s = train_cyclic_autoencoder(
                bits,
                beta=opts.beta,
                omega=opts.omega,
                margin=opts.margin,
                restarts=opts.restarts,
                iterations=opts.steps,
                epochs=opts.epochs,
                time_limit=time_limit,
                seed=int(opts.seed or 0),
                device=dev,
                backend=opts.backend,
            )
        else:
            s = _autoencode_feedforward(bits, opts, dev, time_limit)
        margin = s.get("margin", opts.margin)
        return Result(
            problem="lwl-autoencode",
            instance=f"binary{bits}",
            method="rrr",
            objective=s["success_rate"],
            feasible=s["verified"],
            sense="max",
            time_s=s["time_s"],
            device=device_name(dev),
            seed=opts.seed,
            found_by="rrr",
            stop_reason=s["stop_reason"],
            steps=int(max(s["iterations"], default=0)),
            restarts=opts.restarts,
            solution={
                "codes": s["codes"] if s["verified"] else None,
                "weights": s["weights"],
                "biases": s["biases"],
            },
            hparams={
                "beta": opts.beta,
                "omega": opts.omega,
                "margin": margin,
                "iterations": opts.steps,
                "epochs": opts.epochs,
                "cyclic": opts.cyclic,
                "sizes": s["sizes"],
            },
            history=s["history"],
            extra={
                "solved_restarts": s["solved"],
                "iterations": s["iterations"],
                "options": options_record(opts),
            },
            metrics={"success_rate": s["success_rate"], "gwm": s.get("gwm")},
        )

    return CallbackRun(callbacks, None, opts, bits).run(solve)


def _autoencode_rows(result: Result) -> list[tuple[str, str]]:
    solved = result.extra.get("solved_restarts") or []
    return [
        ("network", " -> ".join(map(str, result.hparams.get("sizes") or []))),
        ("success", f"{sum(solved)}/{result.restarts} restarts"),
        _time(result),
    ]


# --------------------------------------------------------------------------- the specs


def _table(methods: dict[str, str]) -> Callable[[], dict[str, str]]:
    return lambda: dict(methods)


register_family(
    Family(
        name="nmf",
        summary="Exact non-negative matrix factorization X = Z W^T by RRR (LWL §4).",
        options=NMFOptions,
        read=read_matrix,
        run=_run_nmf,
        methods=_table(
            {
                "rrr": "RRR on the divide-and-concur layout, restarts until one succeeds, "
                "near-solutions polished (LWL §4)",
                "hals": "coordinate descent (HALS), fresh restarts until the time limit",
                "mu": "Lee-Seung multiplicative updates from batched restarts",
                "cd": "scikit-learn's coordinate-descent NMF (needs scikit-learn)",
            }
        ),
        default_method=lambda: "rrr",
        baseline="hals",
        formats=".npy, text (whitespace or comma separated rows)",
        input_help="Matrix file (.npy or text rows); default: --matrix, else LEDM(--ledm).",
        input_kind="optional",
        group="rrr",
        alias="nmf",
        example=(None, {"ledm": 6}),
        rows=_nmf_rows,
        infeasible_is_error=False,
    )
)

register_family(
    Family(
        name="classify",
        summary="Train a ReLU classifier by RRR (no loss) and report its test error (LWL §5).",
        options=ClassifyOptions,
        read=read_dataset,
        run=_run_classify,
        methods=_table(
            {
                "rrr": "RRR on the divide-and-concur network (learning without loss, LWL §5)",
                "adam": "the same network trained on cross-entropy by Adam",
                "sgd": "the same network trained on cross-entropy by SGD",
            }
        ),
        default_method=lambda: "rrr",
        baseline="adam",
        formats=".npz with x_train, y_train, x_test, y_test",
        input_help="An .npz file with x_train, y_train, x_test, y_test (default: --data).",
        input_kind="optional",
        group="rrr",
        alias="classify",
        example=(
            None,
            {"depth": 1, "n_train": 256, "hidden": [6], "batch": 64, "steps": 30, "epochs": 2},
        ),
        rows=_classify_rows,
        infeasible_is_error=False,
    )
)

register_family(
    Family(
        name="autoencode",
        summary="Learn a strict binary encoding of one-hot vectors by RRR (LWL §6.3.1).",
        options=AutoencodeOptions,
        read=read_bits,
        run=_run_autoencode,
        methods=_table(
            {"rrr": "RRR on the cyclic network with gapped-step activations (LWL §6.3.1)"}
        ),
        default_method=lambda: "rrr",
        input_help="None: the items are the 2^n one-hot vectors of --bits.",
        input_kind="none",
        group="rrr",
        alias="autoencode",
        example=(None, {"bits": 2, "steps": 20_000, "restarts": 4}),
        rows=_autoencode_rows,
        infeasible_is_error=False,
    )
)
