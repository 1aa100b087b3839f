"""Gradient / classical baselines for the LWL comparisons, on the same architectures.

- :func:`gradient_classifier`: the same ReLU network n_in -> hidden -> classes trained on
  cross-entropy by Adam or SGD (mini-batches of the same size as RRR's).
- :func:`multiplicative_nmf`: Lee-Seung multiplicative updates, batched over restarts.
- :func:`hals_nmf`: coordinate descent (HALS, column by column), batched over restarts, new
  rounds of restarts until the time limit: the classical baseline of the NMF benchmarks.
- :func:`cd_nmf`: scikit-learn's coordinate-descent NMF (the paper's comparison), if installed.
Success of an NMF is judged by :func:`~.nmf.nmf_residual`, as for RRR. The NMF baselines
return the best restart's factors ``W`` (m x r) and ``Z`` (K x r), the classifier its layers'
``weights`` and ``biases``.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch

from ...core.errors import InputError
from ...core.seeding import isolated_global_rng
from .nmf import nmf_residual


def gradient_classifier(
    x_train,
    y_train,
    hidden: list[int],
    *,
    x_test=None,
    y_test=None,
    optimizer: str = "adam",
    lr: float | None = None,
    batch: int = 128,
    epochs: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
    time_limit: float | None = None,
) -> dict:
    """Train the ReLU MLP by Adam / SGD on cross-entropy; returns errors and time.

    >>> x = np.array([[0.0, 1.0], [1.0, 0.0]] * 4)
    >>> gradient_classifier(x, np.array([0, 1] * 4), [4], epochs=20, batch=8)["train_error"]
    0.0
    """
    if optimizer not in ("adam", "sgd"):
        raise InputError(f"optimizer must be adam or sgd, got {optimizer!r}")
    # the initialization and the shuffles draw from torch's global generator, seeded here and
    # given back to the caller afterwards
    with isolated_global_rng(int(seed), device):
        return _train_classifier(x_train, y_train, hidden, x_test, y_test, optimizer, lr, batch,
                                 epochs, device, time_limit)  # fmt: skip


def _train_classifier(
    x_train, y_train, hidden, x_test, y_test, optimizer, lr, batch, epochs, device, time_limit
) -> dict:
    xtr = torch.as_tensor(np.asarray(x_train), dtype=torch.float32, device=device)
    ytr = torch.as_tensor(np.asarray(y_train), dtype=torch.long, device=device)
    nc = int(ytr.max()) + 1 if y_test is None else int(max(ytr.max(), int(np.max(y_test)))) + 1
    layers: list[torch.nn.Module] = []
    sizes = [xtr.shape[1], *hidden]
    for a, b in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-1], nc))
    net = torch.nn.Sequential(*layers).to(device)
    params = list(net.parameters())
    step_size = lr or (1e-2 if optimizer == "adam" else 0.5)
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    t_adam = 0

    def update() -> None:
        # plain Adam (Kingma & Ba defaults) / SGD step, written out: torch.optim's first step
        # imports the compiler stack (seconds), which dominates these small runs
        nonlocal t_adam
        t_adam += 1
        with torch.no_grad():
            for p, (m1, m2) in zip(params, moments):
                if p.grad is None:
                    continue
                if optimizer == "sgd":
                    p -= step_size * p.grad
                    continue
                m1.mul_(0.9).add_(p.grad, alpha=0.1)
                m2.mul_(0.999).addcmul_(p.grad, p.grad, value=0.001)
                mhat = m1 / (1 - 0.9**t_adam)
                vhat = m2 / (1 - 0.999**t_adam)
                p -= step_size * mhat / (vhat.sqrt() + 1e-8)
                p.grad = None

    n = xtr.shape[0]
    t0 = time.perf_counter()
    history = []
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, device=device)
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            loss = torch.nn.functional.cross_entropy(net(xtr[idx]), ytr[idx])
            for p in params:
                p.grad = None
            loss.backward()
            update()
        if epoch % 10 == 0 or epoch == epochs:
            with torch.no_grad():
                history.append(
                    {
                        "step": epoch,
                        "train_error": float((net(xtr).argmax(1) != ytr).float().mean()),
                    }
                )
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        out = {
            "train_error": float((net(xtr).argmax(1) != ytr).float().mean()),
            "time_s": elapsed,
            "epochs": epoch,
            "history": history,
            # the trained net: layer l computes h W_l^T + b_l (ReLU between layers)
            "weights": [
                m.weight.detach().cpu().numpy() for m in net if isinstance(m, torch.nn.Linear)
            ],
            "biases": [
                m.bias.detach().cpu().numpy() for m in net if isinstance(m, torch.nn.Linear)
            ],
        }
        if x_test is not None:
            xte = torch.as_tensor(np.asarray(x_test), dtype=torch.float32, device=device)
            yte = torch.as_tensor(np.asarray(y_test), dtype=torch.long, device=device)
            out["test_error"] = float((net(xte).argmax(1) != yte).float().mean())
    return out


def multiplicative_nmf(
    data: np.ndarray,
    rank: int,
    *,
    restarts: int = 1,
    max_iter: int = 100_000,
    success_tol: float = 1e-6,
    seed: int = 0,
    time_limit: float | None = None,
) -> dict:
    """Lee-Seung multiplicative updates X ~ Z W^T for ``restarts`` random starts at once.

    >>> out = multiplicative_nmf(np.outer([1.0, 2.0], [1.0, 3.0]), 1, max_iter=500)
    >>> out["success_rate"]
    1.0
    """
    x = torch.as_tensor(np.asarray(data, dtype=np.float64))
    k, m = x.shape
    g = torch.Generator().manual_seed(int(seed))
    z = torch.rand(restarts, k, rank, generator=g, dtype=torch.float64) + 0.1
    w = torch.rand(restarts, m, rank, generator=g, dtype=torch.float64) + 0.1
    eps = 1e-300
    t0 = time.perf_counter()
    it = 0
    for it in range(1, max_iter + 1):
        z = z * (x @ w) / (z @ (w.transpose(1, 2) @ w) + eps)
        w = w * (x.T @ z) / (w @ (z.transpose(1, 2) @ z) + eps)
        if it % 200 == 0:
            res = (x - z @ w.transpose(1, 2)).flatten(1).norm(dim=1) / x.norm()
            if bool((res <= success_tol).all()):
                break
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                break
    elapsed = time.perf_counter() - t0
    errs = [nmf_residual(data, w[i].numpy(), z[i].numpy()) for i in range(restarts)]
    solved = [e <= success_tol for e in errs]
    best = int(np.argmin(errs))
    return {
        "solved": solved,
        "success_rate": float(np.mean(solved)),
        "errors": errs,
        "best_error": errs[best],
        "W": w[best].numpy(),
        "Z": z[best].numpy(),
        "iterations": it,
        "time_s": elapsed,
    }


def hals_nmf(
    data: np.ndarray,
    rank: int,
    *,
    restarts: int = 16,
    max_iter: int = 5000,
    success_tol: float = 1e-6,
    seed: int = 0,
    time_limit: float | None = None,
) -> dict:
    """HALS coordinate descent X ~ Z W^T from ``restarts`` random starts at once.

    Each round runs a batch of ``restarts`` starts for up to ``max_iter`` sweeps (each sweep
    updates every column of Z, then of W, by its exact non-negative least-squares value with
    the others fixed); with a ``time_limit`` fresh rounds follow until a start succeeds or the
    time is spent (restarts at equal time). Success is re-checked by :func:`nmf_residual`.

    >>> out = hals_nmf(np.outer([1.0, 2.0], [1.0, 3.0]), 1, restarts=2, max_iter=200)
    >>> out["success_rate"]
    1.0
    """
    x = torch.as_tensor(np.asarray(data, dtype=np.float64))
    if x.dim() != 2 or bool((x < 0).any()):
        raise InputError("NMF data must be a non-negative 2-D matrix")
    k, m = x.shape
    g = torch.Generator().manual_seed(int(seed))
    scale = float(x.mean()) if float(x.mean()) > 0 else 1.0
    nx = float(x.norm())
    t0 = time.perf_counter()
    all_w, all_z, sweeps = [], [], 0
    t_first = None
    while True:
        # starts of the right scale: entries of Z W^T of the order of those of X
        a = (scale / rank) ** 0.5
        z = a * 2 * torch.rand(restarts, k, rank, generator=g, dtype=torch.float64)
        w = a * 2 * torch.rand(restarts, m, rank, generator=g, dtype=torch.float64)
        for it in range(1, max_iter + 1):
            for fac, oth, xx in ((z, w, x), (w, z, x.T)):
                num = xx @ oth  # (R, rows, r)
                gram = oth.transpose(1, 2) @ oth  # (R, r, r)
                for j in range(rank):
                    fit = (fac @ gram[:, :, j : j + 1]).squeeze(-1)  # (R, rows)
                    den = gram[:, j, j].clamp(min=1e-300)[:, None]
                    fac[:, :, j] = (fac[:, :, j] + (num[:, :, j] - fit) / den).clamp(min=0.0)
            sweeps += 1
            if it % 20 == 0:
                res = (x - z @ w.transpose(1, 2)).flatten(1).norm(dim=1) / nx
                if bool((res <= 0.5 * success_tol).any()):
                    break
                if time_limit is not None and time.perf_counter() - t0 > time_limit:
                    break
        all_w += list(w)
        all_z += list(z)
        res = (x - z @ w.transpose(1, 2)).flatten(1).norm(dim=1) / nx
        if bool((res <= 0.5 * success_tol).any()):
            t_first = time.perf_counter() - t0
            break
        if time_limit is None or time.perf_counter() - t0 > time_limit:
            break
    elapsed = time.perf_counter() - t0
    errs = [nmf_residual(data, w_.numpy(), z_.numpy()) for w_, z_ in zip(all_w, all_z)]
    solved = [e <= success_tol for e in errs]
    best = int(np.argmin(errs))
    return {
        "solved": solved,
        "success_rate": float(np.mean(solved)),
        "errors": errs,
        "best_error": errs[best],
        "W": all_w[best].numpy(),
        "Z": all_z[best].numpy(),
        "iterations": sweeps,
        "time_s": elapsed,
        "time_to_solution": t_first,
    }


def cd_nmf(
    data: np.ndarray,
    rank: int,
    *,
    restarts: int = 1,
    max_iter: int = 100_000,
    success_tol: float = 1e-6,
    seed: int = 0,
    time_limit: float | None = None,
    stop_on_first: bool = False,
) -> dict:
    """scikit-learn coordinate-descent NMF (random init, tol 0) from ``restarts`` seeds.

    ``stop_on_first`` ends at the first success (``time_to_solution`` records when).
    """
    try:
        from sklearn.decomposition import NMF
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("coordinate-descent NMF needs scikit-learn") from exc
    import warnings

    errs, t0 = [], time.perf_counter()
    t_first = None
    best: tuple[np.ndarray, np.ndarray] | None = None
    for r in range(restarts):
        model = NMF(
            rank, init="random", solver="cd", tol=0.0, max_iter=max_iter, random_state=int(seed) + r
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z = model.fit_transform(np.asarray(data, dtype=np.float64))
        errs.append(nmf_residual(data, model.components_.T, z))
        if errs[-1] <= min(errs):
            best = (model.components_.T.copy(), z)
        if errs[-1] <= success_tol and t_first is None:
            t_first = time.perf_counter() - t0
            if stop_on_first:
                break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    solved = [e <= success_tol for e in errs]
    return {
        "solved": solved,
        "success_rate": float(np.mean(solved)),
        "errors": errs,
        "best_error": min(errs),
        "W": None if best is None else best[0],
        "Z": None if best is None else best[1],
        "time_s": time.perf_counter() - t0,
        "time_to_solution": t_first,
    }


def gradient_autoencoder(
    n: int,
    *,
    restarts: int = 10,
    epochs: int = 3000,
    lr: float = 0.05,
    seed: int = 0,
    time_limit: float | None = None,
) -> dict:
    """The binary-encoding task 2^n -> n -> 2^n learned by Adam, the way one would without RRR.

    Sigmoid code units whose slope grows from 1 to 20 over the epochs (so that the codes end
    near 0 / 1), output logits, binary cross-entropy on the 2^n one-hot items, full batch;
    ``restarts`` networks train as one batched tensor program. Judged like the RRR network:
    step code units (pre-activation > 0) and step outputs must reproduce every item.

    >>> gradient_autoencoder(2, restarts=4, epochs=1500, seed=0)["success_rate"] > 0
    True
    """
    if not 1 <= int(n) <= 8:
        raise InputError(f"autoencoder bits n must be in 1..8, got {n}")
    gen = torch.Generator().manual_seed(int(seed))
    d, r = 2 ** int(n), int(restarts)
    x = torch.eye(d, dtype=torch.float64)
    params = [
        torch.randn(r, int(n), d, generator=gen, dtype=torch.float64) / d**0.5,
        torch.zeros(r, 1, int(n), dtype=torch.float64),
        torch.randn(r, d, int(n), generator=gen, dtype=torch.float64) / int(n) ** 0.5,
        torch.zeros(r, 1, d, dtype=torch.float64),
    ]
    for p in params:
        p.requires_grad_(True)
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    t0, done = time.perf_counter(), 0

    def code_pre(we, be):
        return torch.einsum("kd,rnd->rkn", x, we) + be

    for epoch in range(int(epochs)):
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            break
        slope = 1.0 + 19.0 * epoch / max(1, int(epochs) - 1)
        we, be, wd, bd = params
        h = torch.sigmoid(slope * code_pre(we, be))
        logits = torch.einsum("rkn,rdn->rkd", h, wd) + bd
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="sum"
        )
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():  # Adam, written out as in gradient_classifier
            for p, (m1, m2) in zip(params, moments):
                m1.mul_(0.9).add_(p.grad, alpha=0.1)
                m2.mul_(0.999).addcmul_(p.grad, p.grad, value=0.001)
                c1, c2 = 1 - 0.9 ** (epoch + 1), 1 - 0.999 ** (epoch + 1)
                p -= lr * (m1 / c1) / ((m2 / c2).sqrt() + 1e-8)
        done = epoch + 1
    with torch.no_grad():
        we, be, wd, bd = (p.detach() for p in params)
        codes = (code_pre(we, be) > 0).double()
        out = (torch.einsum("rkn,rdn->rkd", codes, wd) + bd > 0).double()
        solved = (out == x).all(-1).all(-1)
    return {
        "solved": solved.tolist(),
        "success_rate": float(solved.double().mean()),
        "epochs": done,
        "time_s": time.perf_counter() - t0,
    }
