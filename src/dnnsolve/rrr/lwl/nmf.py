"""Exact non-negative matrix factorization by RRR (LWL §4, eq. 14): X = Z W^T, W, Z >= 0.

Single-layer network: K data items (rows of X, K x m), m data nodes, r code nodes. Per item k
and data node i the weight row W[i, :] and the code Z[k, :] have private copies w[k, i, :] and
z[k, i, :]; the state of R restarts is one flat tensor (R, 2 K m r).

- A (:meth:`NMFDC.project_a`): weight copies agree (mean over k), are >= 0 and every column
  W[:, j] has norm Omega; code copies agree (mean over i) and are >= 0.
- B (:meth:`NMFDC.project_b`): w[k, i, :] . z[k, i, :] = X[k, i] per (item, data node), the
  bilinear projection with the right side fixed by the data.

The column norm Omega only fixes the scale ambiguity W -> W D, Z -> Z D^-1; it sets how the
metric splits changes between W and Z (the paper's LEDM runs use Omega = 0.6 ... 0.9).
Because X -> s X with Omega -> sqrt(s) Omega is the same problem scaled, only the ratio of
Omega to the data scale matters: :func:`auto_omega` picks it from the data so that, at a
solution, a weight row W[i] and a code row Z[k] have comparable norms (the bilinear
projection then moves both). A fixed Omega on unscaled data (e.g. 0.6 on a matrix of mean 8)
leaves RRR in a slow, badly balanced regime, where most restarts fail.

:func:`rrr_nmf` drives restarts (one compiled loop per restart with numba, else batched torch)
and finishes each near-solution with :func:`polish_nmf`, a Gauss-Newton step on the support
RRR found; success is always judged by the NumPy re-check :func:`nmf_residual`.

Against the paper and its C program (``RRRnmf.c`` of github.com/veitelser/LWL, read as a
reference): the same D&C layout, the same A (weight copies averaged, clipped at 0, columns
rescaled to Omega, a column with nothing positive set to Omega at its largest entry; code copies
averaged over the data nodes and clipped), the same B (the bilinear projection with the right
side fixed by the data, the root in (-1, 1) by safeguarded Newton), the same update
x + beta (P_B(2 P_A x - x) - P_A x), the same start (uniform W with columns of norm Omega,
Z = max(0, W^+ X) in every copy) and the same work unit (GWM). Where we differ, on purpose:

- the data are scaled to mean 1 and Omega by the square root of that factor (the same problem,
  exactly; the C program takes the data as given), and Omega defaults to :func:`auto_omega`;
- a run stops when the read-off |X - Z W^T| is small (checked every 10 iterations), not when
  the RMS gap falls below a threshold, and near-solutions are finished by :func:`polish_nmf`;
- each Newton solve starts from the previous multiplier (the C program starts from 0; the root
  is unique, so only the cost differs) and ends once its step is below 1e-8 (the C program
  takes one more, confirming step);
- restarts run side by side on threads (the C program runs one);
- the C program re-initializes the copies at every pass over the data (epoch); for a one-batch
  NMF that is a restart from the consensus W every ``itermax`` iterations. Measured on LEDM 6,
  20 starts of 200 000 iterations: 12 / 20 solved with such a restart every 10 000 iterations,
  13 / 20 without, so it is not built.

The paper's scaling of the LEDM matrices is not in the notes we have; with entries scaled to
[0, 1] its Omega = 0.6 at m = 6 is our factor 1.13 (its 0.7 at m = 8 would be 1.31). With 1.13
and no cap short of the paper's work, the paper's success rates come back: LEDM 6, 20 of 20
restarts (median 1.3 * 10^5 iterations = 0.024 GWM, mean 0.057 GWM, against the paper's
0.02 GWM); LEDM 8, 20 of 20 (mean 0.53 GWM against the paper's 0.61). Factor 1.0 solves LEDM 6 sooner when it does, but
leaves 3 of 20 restarts stuck, and solves nothing on LEDM 8 within 10^6 iterations.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np
import torch

from ...core.errors import InputError
from ..engine import RRR
from .projections import bilinear_project, sphere_project


@dataclass
class NMFDC:
    """D&C layout and projections for the exact NMF of ``data`` (K x m) at rank ``rank``.

    >>> nmf = NMFDC(torch.ones(2, 3, dtype=torch.float64), rank=1)
    >>> nmf.size
    12
    """

    data: torch.Tensor
    rank: int
    omega: float = 1.0

    def __post_init__(self) -> None:
        self.k, self.m = self.data.shape
        self._cache: dict = {}  # last bilinear multipliers: Newton warm start
        self.size = 2 * self.k * self.m * self.rank

    def views(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(w, z) views (B, K, m, r) of a flat state (B, N)."""
        b, half = flat.shape[0], self.size // 2
        shape = (b, self.k, self.m, self.rank)
        return flat[:, :half].view(shape), flat[:, half:].view(shape)

    def consensus(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The A-side factors: W (B, m, r) and Z (B, K, r)."""
        w, z = self.views(flat)
        wa = sphere_project(w.mean(1).transpose(1, 2), self.omega, nonneg=True).transpose(1, 2)
        za = torch.clamp(z.mean(2), min=0.0)
        return wa, za

    def project_a(self, flat: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(flat)
        w, z = self.views(out)
        wa, za = self.consensus(flat)
        w.copy_(wa.unsqueeze(1).expand_as(w))
        z.copy_(za.unsqueeze(2).expand_as(z))
        return out

    def project_b(self, flat: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(flat)
        w, z = self.views(flat)
        wo, zo = self.views(out)
        wn, zn, _ = bilinear_project(
            w, z, None, c=self.data.to(flat).unsqueeze(0), cache=self._cache
        )
        wo.copy_(wn)
        zo.copy_(zn)
        return out

    def start(self, restarts: int, generator: torch.Generator) -> torch.Tensor:
        """Random W (uniform, columns rescaled to Omega), Z = max(0, least squares), as copies."""
        dt = self.data.dtype
        w = torch.rand(restarts, self.m, self.rank, generator=generator, dtype=dt)
        w = sphere_project(w.transpose(1, 2), self.omega, nonneg=True).transpose(1, 2)
        w = w.to(self.data.device)
        z = torch.linalg.pinv(w) @ self.data.T.unsqueeze(0)  # (R, r, K)
        z = torch.clamp(z.transpose(1, 2), min=0.0)  # (R, K, r)
        flat = torch.empty(restarts, self.size, dtype=dt, device=self.data.device)
        wv, zv = self.views(flat)
        wv.copy_(w.unsqueeze(1).expand_as(wv))
        zv.copy_(z.unsqueeze(2).expand_as(zv))
        return flat


def nmf_residual(x: np.ndarray, w: np.ndarray, z: np.ndarray) -> float:
    """Independent check: relative Frobenius error |X - Z W^T| / |X|, inf if a factor is < 0.

    >>> nmf_residual(np.eye(2), np.eye(2), np.eye(2))
    0.0
    """
    x, w, z = (np.asarray(a, dtype=np.float64) for a in (x, w, z))
    if (w < 0).any() or (z < 0).any() or not (np.isfinite(w).all() and np.isfinite(z).all()):
        return math.inf
    return float(np.linalg.norm(x - z @ w.T) / max(np.linalg.norm(x), 1e-300))


#: default Omega relative to the data scale (:func:`auto_omega`); 1.13 reproduces the paper's
#: Omega = 0.6 on LEDM 6 (entries scaled to [0, 1]) and was checked on the tune seeds 0-99 of
#: :mod:`dnnsolve.bench.heldout.nmf`
AUTO_OMEGA = 1.13
#: default RRR step (the paper's value for LEDM; beta = 0.5 is as good on random instances
#: and worse on LEDM)
DEFAULT_BETA = 0.3
#: polish the read-off factors once their relative error is below this
POLISH_BELOW = 0.1
#: iterations of the compiled loop between checks of the clock and the polish
CHUNK = 200


def auto_omega(data: np.ndarray, rank: int, factor: float = AUTO_OMEGA) -> float:
    """Column norm Omega balancing |W[i]| and |Z[k]| at a solution: factor sqrt(m mean(X) / r).

    With columns of norm Omega the mean squared row norm of W (m x r) is r Omega^2 / m; a code
    row Z[k] of a factorization of entries of size mean(X) has squared norm about mean(X) over
    that, so the two agree when Omega^2 ~ m mean(X) / r.

    >>> round(auto_omega(np.ones((4, 9)), 1, factor=1.0), 6)
    3.0
    """
    x = np.asarray(data, dtype=np.float64)
    return float(factor * math.sqrt(x.shape[1] * max(float(x.mean()), 1e-300) / int(rank)))


def polish_nmf(
    data: np.ndarray,
    w: np.ndarray,
    z: np.ndarray,
    *,
    iters: int = 30,
    rel_zero: float = 1e-2,
    tol: float = 1e-14,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Gauss-Newton on the support of (W, Z): finishes an RRR near-solution in a few steps.

    Entries below ``rel_zero`` times their column's largest are fixed at 0 (the zero pattern
    RRR found); the rest take least-squares Gauss-Newton steps on X - Z W^T (min-norm, so the
    scale gauge does no harm), clipped at 0. RRR's own endgame is linear and slow; near an
    exact factorization with the right support this converges quadratically. Returns
    (W, Z, relative error); the caller re-checks.

    >>> x = np.outer([1.0, 2.0], [3.0, 1.0])
    >>> w, z, e = polish_nmf(x, np.array([[2.9], [1.2]]), np.array([[1.1], [1.9]]))
    >>> e < 1e-12
    True
    """
    x = np.asarray(data, dtype=np.float64)
    kk, m = x.shape
    r = w.shape[1]
    w, z = np.array(w, dtype=np.float64), np.array(z, dtype=np.float64)
    nx = max(float(np.linalg.norm(x)), 1e-300)
    mw = w > rel_zero * np.maximum(w.max(0, keepdims=True), 1e-300)
    mz = z > rel_zero * np.maximum(z.max(0, keepdims=True), 1e-300)
    w[~mw] = 0.0
    z[~mz] = 0.0
    err = float(np.linalg.norm(x - z @ w.T)) / nx
    best = err
    eye_k, eye_m = np.eye(kk), np.eye(m)
    for step in range(iters):
        if err <= tol:
            break
        res = (x - z @ w.T).ravel()
        # residual (k, i) depends on Z[k, j] through W[i, j] and on W[i, j] through Z[k, j]
        jz = np.einsum("ab,ij->aibj", eye_k, w).reshape(kk * m, kk * r)[:, mz.ravel()]
        jw = np.einsum("kj,ia->kiaj", z, eye_m).reshape(kk * m, m * r)[:, mw.ravel()]
        delta = np.linalg.lstsq(np.hstack([jz, jw]), res, rcond=None)[0]
        nz = int(mz.sum())
        z[mz] += delta[:nz]
        w[mw] += delta[nz:]
        np.clip(z, 0.0, None, out=z)
        np.clip(w, 0.0, None, out=w)
        err = float(np.linalg.norm(x - z @ w.T)) / nx
        if step >= 3 and err > 0.5 * best:  # not converging: wrong support or wrong basin
            break
        best = min(best, err)
    return w, z, err


def _start_numpy(xn: np.ndarray, rank: int, omega: float, rng: np.random.Generator):
    """Random W (uniform, columns of norm Omega), Z = max(0, least squares), as copies."""
    kk, m = xn.shape
    w = rng.random((m, rank))
    w *= omega / np.linalg.norm(w, axis=0, keepdims=True)
    z = np.clip(xn @ np.linalg.pinv(w).T, 0.0, None)
    wc = np.ascontiguousarray(np.broadcast_to(w, (kk, m, rank)))
    zc = np.ascontiguousarray(np.broadcast_to(z[:, None, :], (kk, m, rank)))
    return wc, zc


def numba_available() -> bool:
    """Whether the compiled kernel can run (numba installed; imported only when used)."""
    return importlib.util.find_spec("numba") is not None


@dataclass
class _Job:
    """What every restart of one :func:`rrr_nmf` call shares (data already scaled)."""

    xn: np.ndarray
    rank: int
    omega: float
    beta: float
    seed: int
    res_tol: float
    success_tol: float
    polish: bool


@dataclass
class _Restarts:
    """Per-restart outcomes in restart order, and how the run ended."""

    ws: list = field(default_factory=list)
    zs: list = field(default_factory=list)
    iters: list = field(default_factory=list)
    found: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    history: list = field(default_factory=list)
    t_first: float | None = None
    stop_reason: str = "max_iter"


def _polished(job: _Job, wa: np.ndarray, za: np.ndarray, last: float):
    """(error, polished factors or None): :func:`polish_nmf` once the read-off error has fallen
    below :data:`POLISH_BELOW` and halved since the last try."""
    err = float(np.linalg.norm(job.xn - za @ wa.T) / np.linalg.norm(job.xn))
    if not (job.polish and err < POLISH_BELOW and err < 0.5 * last):
        return last, None
    wp, zp, ep = polish_nmf(job.xn, wa, za)
    return err, ((wp, zp) if ep <= 0.5 * job.success_tol else None)


def _numba_restart(job: _Job, index: int, cap: int, until: float | None, stop: threading.Event):
    """One restart of the compiled loop, in chunks of :data:`CHUNK` iterations (between them:
    the polish rule, the clock and the stop flag). Returns (W, Z, iterations, found_by,
    seconds)."""
    from .nmf_kernel import _consensus, rrr_iterate

    t_start = time.perf_counter()
    kk, m = job.xn.shape
    wc, zc = _start_numpy(job.xn, job.rank, job.omega, np.random.default_rng([job.seed, index]))
    wa, za, u = np.empty((m, job.rank)), np.empty((kk, job.rank)), np.zeros((kk, m))
    _consensus(wc, zc, job.omega, wa, za)
    count, last = 0, math.inf
    while count < cap and not stop.is_set():
        n, solved, _gap = rrr_iterate(
            job.xn, wc, zc, u, job.beta, job.omega, min(CHUNK, cap - count), 10, job.res_tol, wa, za
        )
        count += int(n)
        if solved:
            return wa, za, count, "rrr", time.perf_counter() - t_start
        last, done = _polished(job, wa, za, last)
        if done is not None:
            return *done, count, "rrr+polish", time.perf_counter() - t_start
        if until is not None and time.perf_counter() >= until:
            break
    return wa, za, count, None, time.perf_counter() - t_start


def _numba_restarts(
    job: _Job, n_total: int, cap0: int, deadline: float | None, stop_first: bool, lanes: int, t0
) -> _Restarts:
    """Restarts on ``lanes`` threads (the kernel holds no GIL). ``n_total`` = 0: new restarts
    until one succeeds, restart j allowed ``cap0`` x 2^(j // 2) iterations; else ``n_total``
    restarts of ``cap0`` iterations, each given its share of the time left when it starts."""
    until_solved = n_total == 0
    out = _Restarts()
    results: dict[int, tuple] = {}
    lock, stop = threading.Lock(), threading.Event()
    started = [0]

    def lane() -> None:
        while True:
            with lock:
                i, now = started[0], time.perf_counter()
                if stop.is_set() or (not until_solved and i >= n_total):
                    return
                if deadline is not None and now >= deadline:
                    out.stop_reason = "time_limit"
                    return
                started[0] += 1
            cap = cap0 * 2 ** (i // 2) if until_solved else cap0
            until = deadline
            if deadline is not None and not until_solved:  # unused time carries on
                until = min(deadline, now + (deadline - now) * lanes / (n_total - i))
            res = _numba_restart(job, i, cap, until, stop)
            with lock:
                results[i] = res
                out.history.append(
                    {"step": i, "time_s": time.perf_counter() - t0, "iterations": res[2]}
                )
                if res[3] is not None and out.t_first is None:
                    out.t_first = time.perf_counter() - t0
                if res[3] is not None and (until_solved or stop_first):
                    out.stop_reason = "solved" if until_solved else "first_solved"
                    stop.set()

    with ThreadPoolExecutor(lanes) as pool:
        futures = [pool.submit(lane) for _ in range(lanes)]
        try:
            while not all(f.done() for f in futures):
                wait(futures, timeout=0.2)
        except KeyboardInterrupt:
            stop.set()
            out.stop_reason = "interrupted"
        for f in futures:
            f.result()
    for i in sorted(results):
        w, z, n, how, sec = results[i]
        out.ws.append(w)
        out.zs.append(z)
        out.iters.append(n)
        out.found.append(how)
        out.seconds.append(sec)
    return out


class _TorchRuns:
    """Restarts batched in one tensor through :class:`NMFDC` and the generic RRR step."""

    def __init__(self, job: _Job, n: int, first: int, device):
        self.nmf = NMFDC(torch.as_tensor(job.xn).to(device), job.rank, job.omega)
        self.rrr = RRR(self.nmf.project_a, self.nmf.project_b, beta=job.beta)
        # restart streams: distinct for every (seed, first restart) pair
        gen = torch.Generator().manual_seed(job.seed * 1_000_003 + int(first))
        self.x = self.nmf.start(n, gen)
        self.res_tol = job.res_tol
        self._wa, self._za = self.nmf.consensus(self.x)
        self._frozen = torch.zeros(n, dtype=torch.bool, device=self.x.device)

    def advance(self, idx: list[int], n_iter: int) -> tuple[list[int], list[bool]]:
        sel = torch.tensor(idx, device=self.x.device)
        xs = self.x[sel]
        self.nmf._cache.clear()  # the Newton warm start is per batch shape
        xt = self.nmf.data.unsqueeze(0)
        count = torch.zeros(len(idx), dtype=torch.long)
        solved = torch.zeros(len(idx), dtype=torch.bool, device=xs.device)
        for it in range(n_iter):
            d, pa = self.rrr.difference(xs)
            if it % 10 == 0:
                wa, za = self.nmf.consensus(pa)
                res = (xt - za @ wa.transpose(1, 2)).flatten(1).norm(dim=1)
                solved |= res <= self.res_tol
            live = ~solved
            xs = torch.where(live.unsqueeze(1), xs + self.rrr.beta * d, xs)
            count += live.cpu().long()
            if bool(solved.all()):
                break
        self.x[sel] = xs
        wa, za = self.nmf.consensus(self.nmf.project_a(xs))
        self._wa = self._wa.clone()
        self._za = self._za.clone()
        self._wa[sel], self._za[sel] = wa, za
        return count.tolist(), solved.cpu().tolist()

    def factors(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self._wa[i].cpu().numpy(), self._za[i].cpu().numpy()


def choose_backend(backend: str, device: torch.device | str) -> str:
    """The compiled loop or the tensor program: "numba", "torch", or for "auto" numba when it
    is installed and the device is a CPU (shared by the NMF and autoencoder drivers)."""
    if backend not in ("auto", "numba", "torch"):
        raise InputError(f"backend must be auto, numba or torch, got {backend!r}")
    if backend == "numba" and not numba_available():
        raise InputError("backend numba needs the numba package (pip install numba)")
    if backend == "auto":
        cpu = torch.device(device).type == "cpu"
        return "numba" if (numba_available() and cpu) else "torch"
    return backend


def rrr_nmf(
    data: np.ndarray | torch.Tensor,
    rank: int,
    *,
    beta: float = DEFAULT_BETA,
    omega: float | None = None,
    restarts: int | None = 1,
    max_iter: int | None = None,
    tol: float = 1e-10,
    success_tol: float = 1e-6,
    time_limit: float | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    stop_on_first: bool = False,
    polish: bool = True,
    backend: str = "auto",
    threads: int | None = None,
) -> dict:
    """Exact NMF X = Z W^T (W, Z >= 0) of ``data`` at ``rank`` by RRR from random restarts.

    ``omega``: the column norm of W; None picks :func:`auto_omega` from the data.
    ``restarts``: an int runs that many independent restarts (each up to ``max_iter``, default
    10^7, iterations, the time limit shared out among them), for success-rate statistics;
    None keeps starting fresh restarts until one succeeds or ``time_limit`` (default 60 s)
    ends, restart j allowed ``max_iter`` (default 20000) x 2^(j // 2) iterations (a doubling
    schedule: no single cap has to be right). ``polish``: finish near-solutions with
    :func:`polish_nmf`. ``backend``: "numba" (compiled loop, CPU), "torch" (batched tensors,
    any device) or "auto" (numba when installed and on CPU). ``threads``: numba restarts run
    side by side on this many threads (default ``torch.get_num_threads()``, which the command
    line sets from --threads). ``tol`` is kept for API compatibility (the gap tolerance of the
    torch engine; success is judged on the residual).

    Returns a dict: per-restart ``solved`` (relative error <= ``success_tol``, re-checked in
    NumPy by :func:`nmf_residual`), ``errors``, ``iterations`` and ``restart_seconds``,
    ``found_by`` ("rrr", "rrr+polish" or None), the best factors ``W`` (m x r), ``Z`` (K x r),
    ``time_s``, ``time_to_solution`` (first success, None if none), ``omega``, ``backend`` and
    the work in GWMs (1e-9 x iterations x K x edges, LWL §4).

    >>> out = rrr_nmf(np.array([[1.0, 0.0], [1.0, 1.0]]), 2, beta=0.5, omega=1.0)
    >>> out["success_rate"], out["best_error"] < 1e-6
    (1.0, True)
    """
    del tol
    x = np.asarray(data.cpu().numpy() if isinstance(data, torch.Tensor) else data)
    try:
        x = x.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError("NMF data must be a numeric matrix") from None
    if x.ndim != 2 or min(x.shape) < 1:
        raise InputError("NMF data must be a non-empty 2-D matrix")
    if not np.isfinite(x).all() or (x < 0).any():
        raise InputError("NMF data must be finite and non-negative")
    if not 1 <= int(rank) <= max(x.shape):
        raise InputError(f"rank must be in 1..{max(x.shape)}, got {rank}")
    if omega is not None and not omega > 0:
        raise InputError(f"omega must be > 0, got {omega}")
    if not (isinstance(beta, (int, float)) and 0.0 < float(beta) <= 2.0):
        raise InputError(f"beta must be in (0, 2], got {beta!r}")
    if (restarts is not None and int(restarts) < 1) or (max_iter is not None and int(max_iter) < 1):
        raise InputError("restarts and max_iter must be >= 1")
    if time_limit is not None and not time_limit > 0:
        raise InputError(f"time_limit must be > 0, got {time_limit}")
    rank = int(rank)
    kk, m = x.shape
    name = choose_backend(backend, device)
    until_solved = restarts is None
    if until_solved and time_limit is None:
        time_limit = 60.0
    om = auto_omega(x, rank) if omega is None else float(omega)
    # work on X / s with Omega / sqrt(s): the same problem, entries of order 1
    s = float(x.mean()) if float(x.mean()) > 0 else 1.0
    xn, omn = x / s, om / math.sqrt(s)
    res_tol = 0.5 * success_tol * float(np.linalg.norm(xn))
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    cap0 = int(max_iter) if max_iter is not None else (20_000 if until_solved else 10**7)
    n_total = int(restarts) if restarts is not None else 0

    if float(np.abs(x).max()) == 0.0:  # X = 0: Z = 0 with any normalized W is exact
        w0 = np.zeros((m, rank))
        w0[0] = om
        n = n_total or 1
        zero = _Restarts([w0] * n, [np.zeros((kk, rank))] * n, [0] * n, ["rrr"] * n, [0.0] * n)
        zero.t_first, zero.stop_reason = 0.0, "solved"
        return _result(x, zero, 0.0, success_tol, om, name, rank)

    job = _Job(xn, rank, omn, float(beta), int(seed), res_tol, success_tol, polish)
    if name == "numba":
        lanes = max(1, int(threads) if threads is not None else torch.get_num_threads())
        lanes = lanes if until_solved else min(lanes, n_total)
        runs = _numba_restarts(job, n_total, cap0, deadline, stop_on_first, lanes, t0)
    else:
        runs = _torch_restarts(job, n_total, cap0, deadline, stop_on_first, t0, device)
    if not runs.ws:  # interrupted or out of time before the first chunk ended
        w0, z0 = _start_numpy(xn, rank, omn, np.random.default_rng([seed, 0]))
        runs.ws, runs.zs, runs.iters, runs.found = [w0[0]], [z0[:, 0]], [0], [None]
        runs.seconds = [0.0]
    if runs.stop_reason == "max_iter" and all(f is not None for f in runs.found):
        runs.stop_reason = "solved"
    runs.ws = [np.array(w) * math.sqrt(s) for w in runs.ws]  # back to the data's scale
    runs.zs = [np.array(z) * math.sqrt(s) for z in runs.zs]
    return _result(x, runs, time.perf_counter() - t0, success_tol, om, name, rank)


def _torch_restarts(
    job: _Job, n_total: int, cap0: int, deadline: float | None, stop_first: bool, t0, device
) -> _Restarts:
    """Restarts as batches of one tensor program (:class:`_TorchRuns`), the same schedule as
    :func:`_numba_restarts` (batches of 8 when running until a success)."""
    until_solved = n_total == 0
    batch = 8 if until_solved else n_total
    out = _Restarts()
    started = 0
    try:
        while until_solved or started < n_total:
            if deadline is not None and time.perf_counter() >= deadline:
                out.stop_reason = "time_limit"
                break
            n = batch if until_solved else min(batch, n_total - started)
            runs = _TorchRuns(job, n, started, device)
            cap = cap0 * 2 ** (started // 2) if until_solved else cap0
            how = _torch_batch(job, runs, n, cap, deadline, until_solved or stop_first, t0, out)
            started += n
            if any(h is not None for h in how) and out.t_first is None:
                out.t_first = time.perf_counter() - t0
                if until_solved or stop_first:
                    out.stop_reason = "solved" if until_solved else "first_solved"
                    break
    except KeyboardInterrupt:
        out.stop_reason = "interrupted"
    return out


def _torch_batch(job, runs, n, cap, deadline, stop_first, t0, out: _Restarts) -> list:
    """Advance one batch in chunks until every restart is solved or spent (or the first
    success, with ``stop_first``); append its restarts to ``out``."""
    t_start = time.perf_counter()
    count, last = [0] * n, [math.inf] * n
    how: list[str | None] = [None] * n
    pw: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    live = list(range(n))
    while live:
        done, ok = runs.advance(live, min(CHUNK, cap - max(count[i] for i in live)))
        for i, d, o in zip(list(live), done, ok):
            count[i] += d
            if o:
                how[i] = "rrr"
                continue
            last[i], polished = _polished(job, *runs.factors(i), last[i])
            if polished is not None:
                how[i], pw[i] = "rrr+polish", polished
        live = [i for i in live if how[i] is None and count[i] < cap]
        now = time.perf_counter()
        out.history.append({"step": len(out.ws), "time_s": now - t0, "live": len(live)})
        if any(h is not None for h in how) and stop_first:
            break
        if deadline is not None and now >= deadline:
            break
    for i in range(n):
        wa, za = pw.get(i, runs.factors(i))
        out.ws.append(wa)
        out.zs.append(za)
        out.iters.append(count[i])
        out.found.append(how[i])
        out.seconds.append(time.perf_counter() - t_start)  # a batch runs its restarts together
    return how


def _result(x, runs: _Restarts, elapsed, success_tol, om, name, rank) -> dict:
    errs = [nmf_residual(x, w, z) for w, z in zip(runs.ws, runs.zs)]
    solved = [e <= success_tol for e in errs]
    best = int(np.argmin(errs))
    return {
        "solved": solved,
        "success_rate": float(np.mean(solved)),
        "errors": errs,
        "best_error": errs[best],
        "iterations": list(runs.iters),
        "restart_seconds": list(runs.seconds),
        "found_by": runs.found[best] if solved[best] else None,
        "W": runs.ws[best],
        "Z": runs.zs[best],
        "time_s": elapsed,
        "time_to_solution": runs.t_first if any(solved) else None,
        "omega": om,
        "backend": name,
        "restarts_run": len(runs.ws),
        "gwm": 1e-9 * sum(runs.iters) * x.shape[0] * x.shape[1] * rank,
        "stop_reason": runs.stop_reason,
        "history": runs.history,
    }
