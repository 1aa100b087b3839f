"""Exact NMF of LEDM matrices by the compiled RRR loop, from fixed starts: how many of them reach
a relative error of 1e-6 within a fixed number of iterations, and the cost of one iteration.

Usage: ``OMP_NUM_THREADS=1 python tools/lwl_ledm_runs.py M RANK EPOCH MAX_ITER STARTS [FACTOR]
[BETA]``. ``FACTOR`` multiplies :func:`~dnnsolve.rrr.lwl.nmf.auto_omega`'s sqrt(m mean(X) / r)
(default 1.13); ``EPOCH`` < ``MAX_ITER`` restarts the copies from the consensus W and
Z = max(0, W^+ X) every ``EPOCH`` iterations, as the paper's C program does at each pass over
the data. Starts are seeded 0 .. STARTS - 1.
"""

import math
import sys
import time

import numpy as np

from dnnsolve.rrr.lwl import nmf_kernel
from dnnsolve.rrr.lwl.data import ledm
from dnnsolve.rrr.lwl.nmf import _start_numpy, auto_omega, polish_nmf

m, rank, epoch, max_iter, starts = (int(a) for a in sys.argv[1:6])
factor = float(sys.argv[6]) if len(sys.argv) > 6 else 1.13
beta = float(sys.argv[7]) if len(sys.argv) > 7 else 0.3
x = ledm(m)
scale = x.mean()
xn = x / scale
omega = auto_omega(x, rank, factor) / math.sqrt(scale)
res_tol = 0.5e-6 * np.linalg.norm(xn)


def run(seed: int) -> int | None:
    """Iterations to a solution from start ``seed`` (None: not within ``max_iter``)."""
    wc, zc = _start_numpy(xn, rank, omega, np.random.default_rng([seed, 0]))
    u = np.zeros(xn.shape)
    wa, za = np.empty((m, rank)), np.empty((xn.shape[0], rank))
    it, last = 0, math.inf
    while it < max_iter:
        todo, done = min(epoch, max_iter - it), 0
        while done < todo:
            step = min(200, todo - done)
            n, solved, _ = nmf_kernel.rrr_iterate(
                xn, wc, zc, u, beta, omega, step, 10, res_tol, wa, za
            )
            done, it = done + n, it + n
            if solved:
                return it
            err = np.linalg.norm(xn - za @ wa.T) / np.linalg.norm(xn)
            if err < 0.1 and err < 0.5 * last:  # the library's polish rule
                last = err
                if polish_nmf(xn, wa, za)[2] <= 0.5e-6:
                    return it
        if epoch < max_iter:
            wc[:] = wa[None]
            zc[:] = np.clip(xn @ np.linalg.pinv(wa).T, 0, None)[:, None, :]
            u[:] = 0
            last = math.inf
    return None


nmf_kernel.rrr_iterate(xn, *_start_numpy(xn, rank, omega, np.random.default_rng(0)),
                       np.zeros(xn.shape), beta, omega, 2, 10, res_tol,
                       np.empty((m, rank)), np.empty((xn.shape[0], rank)))  # fmt: skip
t = time.perf_counter()
runs = [run(seed) for seed in range(starts)]
elapsed = time.perf_counter() - t
solved = [r for r in runs if r is not None]
total = sum(r if r is not None else max_iter for r in runs)
gwm = 1e-9 * total * x.shape[0] * m * rank
print(
    f"LEDM {m} rank {rank}, factor {factor}, beta {beta}, epoch {epoch}: {len(solved)}/{starts} "
    f"within {max_iter} iterations (median {np.median(solved) if solved else '-'}); "
    f"{elapsed / total * 1e6:.1f} us per iteration, {gwm / elapsed:.3f} GWM/s"
)
print("iterations per start:", runs)
