"""Training protocol of "Learning Without Loss" (LWL §5.2) and feed-forward inference.

Per batch: warm start (every copy at the consensus weights w_A and biases b_B, x and y from a
forward pass), then up to ``iterations`` RRR iterations on the D&C state of
:class:`~.network.FeedForwardDC` (engine: :class:`dnnsolve.rrr.engine.RRR` on the flat
(restarts, N) tensor), then the consensus parameters of the read-off point P_A(x) are carried
to the next batch. Items are reshuffled every epoch. Inference is the ordinary forward pass
with the consensus parameters; the class is the output node with the largest y - b.

R restarts train R independent networks as one tensor program; the reported network is the
one with the lowest training error (ties: the earliest restart).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ...core.errors import InputError, NumericalError
from ..engine import RRR
from .network import INIT_SCHEMES, FeedForwardDC, activate, forward, init_params
from .projections import class_bounds


@dataclass
class LWLConfig:
    """Hyper-parameters of RRR training (defaults: the paper's majority-circuit run, §5.5.1).

    ``tol`` is the RMS gap per state coordinate at which a batch stops early (the paper's
    RRR_err), ``margin`` the class margin Delta (or the half-gap of the step activation),
    ``exempt`` the fraction of each batch exempted from the class constraint (the items
    farthest from it; the paper's MNIST run uses 0.5 %), ``init`` the start of the weights
    (:func:`~.network.init_params`: "gaussian", or the paper's "centred-uniform", which did
    better after 30 epochs on depth-3 majority circuits and worse on short runs).
    """

    beta: float = 1.0
    omega: float = 2.0
    upsilon: float = 1.0
    margin: float = 0.1
    batch: int = 128
    iterations: int = 100
    epochs: int = 30
    tol: float = 1e-8
    restarts: int = 1
    seed: int = 0
    device: str = "cpu"
    time_limit: float | None = None
    activation: str = "relu"
    exempt: float = 0.0
    init: str = "gaussian"

    def check(self) -> None:
        if not 0.0 < self.beta <= 2.0:
            raise InputError(f"beta must be in (0, 2], got {self.beta}")
        for name in ("omega", "upsilon"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.margin < 0:
            raise InputError(f"margin must be >= 0, got {self.margin}")
        for name in ("batch", "iterations", "epochs", "restarts"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.init not in INIT_SCHEMES:
            raise InputError(f"init must be one of {', '.join(INIT_SCHEMES)}, got {self.init!r}")
        if not 0.0 <= self.exempt < 1.0:
            raise InputError(f"exempt must be a fraction in [0, 1), got {self.exempt}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise InputError(f"time_limit must be > 0, got {self.time_limit}")


@dataclass
class LWLModel:
    """Trained consensus parameters of every restart and the training record."""

    sizes: list[int]
    weights: list[torch.Tensor]  # (R, n_out, n_in)
    biases: list[torch.Tensor]  # (R, n_out)
    omega: float
    activation: str
    history: list[dict] = field(default_factory=list)
    iterations: int = 0
    time_s: float = 0.0
    stop_reason: str = "epochs"

    def scores(self, inputs: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Output y - b of every restart, (R, n_items, n_L)."""
        x = torch.as_tensor(np.asarray(inputs), dtype=self.weights[0].dtype)
        return forward(
            x.to(self.weights[0].device), self.weights, self.biases, self.omega, self.activation
        )

    def predict(self, inputs: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Predicted class of every item for every restart, (R, n_items)."""
        return self.scores(inputs).argmax(-1)

    def error(self, inputs, labels) -> torch.Tensor:
        """Classification error of every restart, (R,)."""
        lab = torch.as_tensor(np.asarray(labels)).to(self.weights[0].device).long()
        return (self.predict(inputs) != lab.unsqueeze(0)).double().mean(-1)


def numpy_forward(
    inputs: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    omega: float,
    activation: str = "relu",
) -> np.ndarray:
    """Independent NumPy re-implementation of the forward pass (one restart) for verification.

    >>> numpy_forward(np.array([[1.0, -1.0]]), [np.eye(2)], [np.zeros(2)], 1.0).tolist()
    [[1.0, -1.0]]
    """
    h = np.asarray(inputs, dtype=np.float64)
    for layer, (w, b) in enumerate(zip(weights, biases)):
        z = h @ np.asarray(w).T / omega - np.asarray(b)
        if layer == len(weights) - 1:
            return z
        h = np.maximum(z, 0.0) if activation == "relu" else (z > 0).astype(np.float64)
    return h


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def train_network(
    x_train: torch.Tensor,
    bounds: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    sizes: list[int],
    cfg: LWLConfig,
    *,
    targets: torch.Tensor | None = None,
    evaluate: Callable[[LWLModel], dict] | None = None,
    device: torch.device | None = None,
    stop: Callable[[LWLModel], bool] | None = None,
    solved: Callable[[list[torch.Tensor], list[torch.Tensor]], torch.Tensor] | None = None,
) -> LWLModel:
    """RRR training of a layered network; ``bounds(idx)`` gives the output (lo, hi) of items idx.

    Each epoch runs floor(n / batch) batches of a fresh permutation (the D&C layout has a fixed
    batch size, so the n mod batch left-over items wait for the next shuffle).

    ``evaluate(model)`` runs after every epoch and its dict joins the history row;
    ``stop(model)`` ends training early (e.g. zero training error); ``solved(weights, biases)``
    ((B,) bool, on the parameters read off P_A(x)) freezes a restart inside a batch as soon as
    its network does the job (checked every 10 iterations).
    """
    cfg.check()
    dev = device or torch.device(cfg.device)
    dtype = torch.float64
    n = x_train.shape[0]
    k = min(int(cfg.batch), n)
    gen = _generator(cfg.seed)
    ws, bs = init_params(sizes, cfg.restarts, cfg.omega, gen, dtype, scheme=cfg.init)
    ws = [w.to(dev) for w in ws]
    bs = [b.to(dev) for b in bs]
    net = FeedForwardDC(
        sizes,
        k,
        omega=cfg.omega,
        upsilon=cfg.upsilon,
        activation=cfg.activation,
        margin=cfg.margin,
        exempt=max(1, round(cfg.exempt * k)) if cfg.exempt > 0 else 0,
    )
    engine = RRR(net.project_a, net.project_b, beta=cfg.beta)
    tol = cfg.tol * math.sqrt(net.size)
    xs = x_train.to(device=dev, dtype=dtype)
    model = LWLModel(sizes, ws, bs, cfg.omega, cfg.activation)
    t0 = time.perf_counter()
    total_iter = 0
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        batches = max(1, n // k)
        gaps = []
        for bi in range(batches):
            idx = perm[bi * k : (bi + 1) * k]
            net.inputs = xs[idx]
            lo, hi = bounds(idx)
            net.lo, net.hi = lo.to(dev, dtype), hi.to(dev, dtype)
            x0 = net.warm_start(ws, bs)
            left = None
            if cfg.time_limit is not None:
                left = cfg.time_limit - (time.perf_counter() - t0)
                if left <= 0:
                    model.stop_reason = "time_limit"
                    break
            check = None if solved is None else (lambda pa: solved(*net.read_params(pa)))
            run = engine.run(
                x0,
                max_iter=cfg.iterations,
                tol=tol,
                time_limit=left,
                record_every=cfg.iterations,
                is_solved=check,
                check_every=10,
            )
            if run.stop_reason == "interrupted":
                model.stop_reason = "interrupted"
            total_iter += int(run.iterations.max())
            ws, bs = net.read_params(run.solution)
            if not all(bool(torch.isfinite(w).all()) for w in ws):
                raise NumericalError("RRR training produced non-finite weights")
            gaps.append(float(run.gap.min()) / math.sqrt(net.size))
            if model.stop_reason in ("interrupted",):
                break
        model.weights, model.biases = ws, bs
        model.iterations = total_iter
        row = {
            "step": epoch,
            "iterations": total_iter,
            "gap_rms_min": min(gaps) if gaps else None,
            "time_s": time.perf_counter() - t0,
        }
        if evaluate is not None:
            row.update(evaluate(model))
        model.history.append(row)
        if model.stop_reason in ("interrupted", "time_limit"):
            break
        if stop is not None and stop(model):
            model.stop_reason = "target"
            break
    model.time_s = time.perf_counter() - t0
    return model


def train_classifier(
    x_train,
    y_train,
    hidden: list[int],
    cfg: LWLConfig,
    *,
    x_test=None,
    y_test=None,
    n_classes: int | None = None,
    device: torch.device | None = None,
) -> tuple[LWLModel, dict]:
    """Train a ReLU classifier n_in -> hidden -> n_classes by RRR; returns (model, summary).

    The summary has per-restart train/test errors, the chosen restart (lowest train error)
    and its errors re-checked by the independent NumPy forward pass.

    >>> x = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]])
    >>> cfg = LWLConfig(batch=4, iterations=50, epochs=2, restarts=2)
    >>> model, s = train_classifier(x, np.array([0, 1, 0, 1]), [4], cfg)
    >>> s["train_error"]
    0.0
    """
    xtr = torch.as_tensor(np.asarray(x_train, dtype=np.float64))
    ytr = torch.as_tensor(np.asarray(y_train)).long()
    if xtr.dim() != 2 or ytr.dim() != 1 or xtr.shape[0] != ytr.shape[0] or xtr.shape[0] == 0:
        raise InputError("x_train must be (n, d) and y_train (n,) with n >= 1")
    if bool((ytr < 0).any()):
        raise InputError("class labels must be non-negative integers")
    nc = int(n_classes or int(ytr.max()) + 1)
    if nc < 2:
        raise InputError("a classifier needs at least two classes")
    lo_all, hi_all = class_bounds(ytr, nc, cfg.margin)
    sizes = [xtr.shape[1], *[int(h) for h in hidden], nc]

    def evaluate(m: LWLModel) -> dict:
        row = {"train_error": float(m.error(xtr, ytr).min())}
        if x_test is not None:
            row["test_error_of_best_train"] = float(
                m.error(x_test, y_test)[int(m.error(xtr, ytr).argmin())]
            )
        return row

    model = train_network(
        xtr, lambda idx: (lo_all[idx], hi_all[idx]), sizes, cfg, evaluate=evaluate, device=device
    )
    tr = model.error(xtr, ytr)
    best = int(tr.argmin())
    summary = {"sizes": sizes, "train_errors": tr.tolist(), "best_restart": best}
    w_np = [w[best].cpu().numpy() for w in model.weights]
    b_np = [b[best].cpu().numpy() for b in model.biases]
    pred = numpy_forward(xtr.numpy(), w_np, b_np, cfg.omega).argmax(1)
    summary["train_error"] = float((pred != ytr.numpy()).mean())
    if x_test is not None:
        xte = np.asarray(x_test, dtype=np.float64)
        yte = np.asarray(y_test)
        summary["test_errors"] = model.error(xte, yte).tolist()
        summary["test_error"] = float(
            (numpy_forward(xte, w_np, b_np, cfg.omega).argmax(1) != yte).mean()
        )
    return model, summary


def binary_encoding_data(n: int) -> np.ndarray:
    """The 2^n one-hot vectors of the binary-encoding autoencoder (LWL §6.3.1).

    >>> binary_encoding_data(1).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return np.eye(2**n)


def train_autoencoder(
    n: int, cfg: LWLConfig, device: torch.device | None = None
) -> tuple[LWLModel, dict]:
    """Strict binary encoding 2^n -> n -> 2^n with gapped-step activations by RRR.

    Data-batch version of the paper's cyclic autoencoder: the 2^n one-hot items are clamped
    at the inputs and their bits bound the output y - b (>= m for a 1, <= -m for a 0, m =
    ``cfg.margin``); the paper's extra code batch is not used. Success: the feed-forward
    network (step x = [y - b > 0]) reproduces every item, hence gives distinct n-bit codes.
    """
    if not 1 <= n <= 8:
        raise InputError(f"autoencoder bits n must be in 1..8, got {n}")
    cfg = LWLConfig(**{**asdict(cfg), "activation": "step"})
    data = torch.as_tensor(binary_encoding_data(n))
    inf = torch.tensor(float("inf"), dtype=torch.float64)
    lo_all = torch.where(data > 0, torch.tensor(cfg.margin, dtype=torch.float64), -inf)
    hi_all = torch.where(data > 0, inf, torch.tensor(-cfg.margin, dtype=torch.float64))
    sizes = [2**n, n, 2**n]

    def success(m: LWLModel) -> torch.Tensor:
        return ((m.scores(data) > 0).double() == data.to(m.weights[0])).all(-1).all(-1)

    model = train_network(
        data,
        lambda idx: (lo_all[idx], hi_all[idx]),
        sizes,
        cfg,
        evaluate=lambda m: {"solved": int(success(m).sum())},
        device=device,
        stop=lambda m: bool(success(m).all()),
        solved=lambda ws, bs: (
            ((forward(data.to(ws[0]), ws, bs, cfg.omega, "step") > 0).to(ws[0]) == data.to(ws[0]))
            .all(-1)
            .all(-1)
        ),
    )
    ok = success(model)
    best = int(torch.nonzero(ok)[0, 0]) if bool(ok.any()) else 0
    w_np = [w[best].cpu().numpy() for w in model.weights]
    b_np = [b[best].cpu().numpy() for b in model.biases]
    out = numpy_forward(data.numpy(), w_np, b_np, cfg.omega, "step") > 0
    codes = (data.numpy() @ w_np[0].T / cfg.omega - b_np[0]) > 0
    verified = bool((out == (data.numpy() > 0)).all()) and len({c.tobytes() for c in codes}) == 2**n
    summary = {
        "sizes": sizes,
        "solved_restarts": ok.tolist(),
        "success_rate": float(ok.double().mean()),
        "best_restart": best,
        "verified": verified,
        "codes": codes.astype(int).tolist() if verified else None,
    }
    return model, summary


__all__ = [
    "LWLConfig",
    "LWLModel",
    "activate",
    "binary_encoding_data",
    "numpy_forward",
    "train_autoencoder",
    "train_classifier",
    "train_network",
]
