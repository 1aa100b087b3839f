"""Held-out exact NMF instances: random matrices X = W H of known non-negative rank r.

The NMF defaults of ``dnnsolve rrr nmf`` were first set on the paper's LEDM matrices. These
generators make planted factorizations instead: W (K x r) and H (r x m) either sparse
non-negative integers (each entry 0 with probability 1/2, else uniform in 1..4, the case a user
reported failing; a row of W or column of H left all zero gets one non-zero entry) or dense uniform in [0, 1). X = W H has non-negative rank exactly r: at most r by
construction, at least r because its ordinary rank is r (checked; the seed is advanced until
it holds, and until no row or column of X is zero).

Sets (``instances(split, set=...)``): ``"issue"`` is 12 x 10 at rank 4 with sparse integer
factors (the reported failing case); ``"mixed"`` draws K, m in 8..40, r in 2..6 (r <= min(K,
m) / 2) and alternates sparse integer / dense uniform factors; ``"wide"`` draws r in 3..8 first,
then K, m in max(8, 2r)..40 (issue 19's range). Tune seeds are 0-99, report
seeds 1000+ (:data:`~dnnsolve.bench.heldout.SPLIT_SEED`); the defaults were set on tune
seeds only.

>>> x, w, h = random_nmf(12, 10, 4, seed=1000)
>>> x.shape, bool(np.array_equal(x, w @ h)), int(np.linalg.matrix_rank(x))
((12, 10), True, 4)
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ...core.errors import InputError
from ..harness import Instance, SuiteContext
from . import SPLIT_SEED

KINDS = ("sparse-int", "dense")
SETS = ("issue", "mixed", "wide")
#: instances per split and set (the issue set: at least 10 report seeds)
DEFAULT_COUNT = {"issue": 10, "mixed": 12, "wide": 20}


def random_nmf(
    k: int, m: int, rank: int, seed: int, kind: str = "sparse-int"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, W, H) with X = W H, W (k x rank) and H (rank x m) non-negative, rank(X) = rank.

    ``kind`` "sparse-int": entries 0 w.p. 1/2, else uniform in 1..4 (X is an integer
    matrix); "dense": uniform in [0, 1). Draws again (same generator) until rank(X) = rank
    and X has no zero row or column.

    >>> x, w, h = random_nmf(8, 9, 3, seed=5, kind="dense")
    >>> bool((w >= 0).all() and (h >= 0).all()), bool(np.allclose(x, w @ h))
    (True, True)
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not 1 <= int(rank) <= min(int(k), int(m)):
        raise InputError(f"rank must be in 1..min(k, m), got {rank}")
    rng = np.random.default_rng(int(seed))
    for _ in range(1000):
        if kind == "sparse-int":
            w = rng.integers(1, 5, (k, rank)) * (rng.random((k, rank)) < 0.5)
            h = rng.integers(1, 5, (rank, m)) * (rng.random((rank, m)) < 0.5)
            # a zero row of W (column of H) would be a zero row (column) of X: give it one
            # non-zero entry, so that thin factors stay sparse but every row and column counts
            for i in np.flatnonzero(w.sum(1) == 0):
                w[i, rng.integers(rank)] = rng.integers(1, 5)
            for i in np.flatnonzero(h.sum(0) == 0):
                h[rng.integers(rank), i] = rng.integers(1, 5)
            w, h = w.astype(np.float64), h.astype(np.float64)
        else:
            w, h = rng.random((k, rank)), rng.random((rank, m))
        x = w @ h
        if np.linalg.matrix_rank(x) == rank and (x.sum(0) > 0).all() and (x.sum(1) > 0).all():
            return x, w, h
    raise InputError(f"no rank-{rank} {kind} matrix drawn for seed {seed}")  # pragma: no cover


def instance_list(split: str, set: str = "mixed", count: int | None = None) -> list[Instance]:
    """The instances of one split and set (see the module docstring).

    >>> [i.name for i in instance_list("report", "issue", 2)]
    ['nmf-sparse-int-12x10-r4-s1000', 'nmf-sparse-int-12x10-r4-s1001']
    """
    if split not in SPLIT_SEED:
        raise InputError(f"split must be tune or report, got {split!r}")
    if set not in SETS:
        raise InputError(f"set must be one of {', '.join(SETS)}, got {set!r}")
    n = DEFAULT_COUNT[set] if count is None else int(count)
    out = []
    for j in range(n):
        seed = SPLIT_SEED[split] + j
        if set == "issue":
            k, m, r, kind = 12, 10, 4, "sparse-int"
        else:
            rng = np.random.default_rng([seed, 7])
            if set == "mixed":
                k, m = (int(v) for v in rng.integers(8, 41, 2))
                r = int(rng.integers(2, min(6, min(k, m) // 2) + 1))
            else:  # the rank first, so that every rank 3..8 is as likely
                r = int(rng.integers(3, 9))
                k, m = (int(v) for v in rng.integers(max(8, 2 * r), 41, 2))
            kind = KINDS[j % 2]
        name = f"nmf-{kind}-{k}x{m}-r{r}-s{seed}"
        meta = {
            "problem": "lwl-nmf",
            "family": "nmf",
            "split": split,
            "seed": seed,
            "set": set,
            "kind": kind,
            "k": k,
            "m": m,
            "rank": r,
        }
        out.append(
            Instance(name, (lambda k=k, m=m, r=r, s=seed, t=kind: random_nmf(k, m, r, s, t)), meta)
        )
    return out


def instances(split: str) -> list[Instance]:
    """The held-out contract: the ``mixed`` set of ``split`` (12 instances)."""
    return instance_list(split, "mixed")


def relative_error(x: np.ndarray, w: Any, z: Any) -> float | None:
    """Independent evaluator: |X - Z W^T|_F / |X|_F, None if a factor is not a valid one.

    Shares no code with the solvers (plain NumPy on the returned factors).

    >>> relative_error(np.ones((2, 2)), np.ones((2, 1)), np.ones((2, 1)))
    0.0
    """
    w, z = np.asarray(w, dtype=np.float64), np.asarray(z, dtype=np.float64)
    if w.ndim != 2 or z.ndim != 2 or w.shape[1] != z.shape[1]:
        return None
    if z.shape[0] != x.shape[0] or w.shape[0] != x.shape[1]:
        return None
    if not (np.isfinite(w).all() and np.isfinite(z).all()) or (w < 0).any() or (z < 0).any():
        return None
    diff = x - np.einsum("kj,ij->ki", z, w)
    return float(math.sqrt(float((diff**2).sum())) / math.sqrt(float((x**2).sum())))


def _row(variant: str, x: np.ndarray, out: dict, t: float, found_by: str | None) -> dict:
    obj = relative_error(x, out.get("W"), out.get("Z")) if out else None
    reported = out.get("best_error") if out else None
    recheck = None
    if obj is not None and reported is not None:
        recheck = abs(obj - reported) <= 1e-9 + 1e-6 * abs(reported)
    feasible = obj is not None and obj <= 1e-6
    tts = out.get("time_to_solution") if out else None
    return {
        "variant": variant,
        "objective": obj,
        "sense": "min",
        "feasible": bool(feasible),
        "time_s": tts if (feasible and tts is not None) else t,
        "found_by": found_by if feasible else None,
        "recheck": recheck,
    }


def _random_polish(x: np.ndarray, rank: int, time_limit: float, seed: int) -> dict:
    """Gauss-Newton polish from random starts until one succeeds or the time is spent."""
    from ...rrr.lwl.nmf import nmf_residual, polish_nmf

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    a = math.sqrt(float(x.mean()) / rank)
    best: dict = {}
    while not best or time.perf_counter() - t0 < time_limit:
        w, z, _ = polish_nmf(
            x,
            2 * a * rng.random((x.shape[1], rank)),
            2 * a * rng.random((x.shape[0], rank)),
            iters=60,
            rel_zero=0.0,
        )
        e = nmf_residual(x, w, z)
        if not best or e < best["best_error"]:
            best = {"W": w, "Z": z, "best_error": e}
        if e <= 1e-6:
            best["time_to_solution"] = time.perf_counter() - t0
            break
    return best


def rows(inst: Instance, loaded: Any, ctx: SuiteContext, ablation: bool) -> list[dict]:
    """Variants at equal wall time ``ctx.time_limit``; objective = relative error (min).

    ``default``: ``rrr_nmf`` with its defaults (restarts until solved, polish on);
    ``baseline``: HALS coordinate descent with restarts. With ``ablation``:
    ``network-only`` (RRR without the polish), ``random+polish`` (Gauss-Newton polish from
    random starts), ``baseline+polish`` (HALS for up to 90 % of the time, then the polish on its
    best answer).
    A row's ``time_s`` is the time to solution when solved, else the time spent.
    """
    from ...rrr.lwl.baselines import hals_nmf
    from ...rrr.lwl.nmf import nmf_residual, polish_nmf, rrr_nmf

    x = np.asarray(loaded[0], dtype=np.float64)
    r = int(inst.meta["rank"])
    tl = float(ctx.time_limit)
    out_rows = []

    def timed(fn):
        t0 = time.perf_counter()
        try:
            out = fn()
        except Exception as exc:  # a failing variant is a row with its error
            return {}, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"
        return out, time.perf_counter() - t0, None

    plans = {
        "default": lambda: rrr_nmf(x, r, restarts=None, time_limit=tl, seed=ctx.seed),
        "baseline": lambda: hals_nmf(x, r, time_limit=tl, seed=ctx.seed),
    }
    if ablation:

        def baseline_polish() -> dict:
            # the polish always runs on HALS's best answer (also when HALS met 1e-6: the
            # polish then takes it to machine precision, as it does for RRR)
            h = hals_nmf(x, r, time_limit=0.9 * tl, seed=ctx.seed)
            t0 = time.perf_counter()
            w, z, _ = polish_nmf(x, h["W"], h["Z"])
            e = nmf_residual(x, w, z)
            if e < h["best_error"]:
                t_hals = h["time_to_solution"] if h["time_to_solution"] is not None else h["time_s"]
                h = {**h, "W": w, "Z": z, "best_error": e}
                if e <= 1e-6:
                    h["time_to_solution"] = t_hals + time.perf_counter() - t0
            return h

        plans["network-only"] = lambda: rrr_nmf(
            x, r, restarts=None, time_limit=tl, seed=ctx.seed, polish=False
        )
        plans["random+polish"] = lambda: _random_polish(x, r, tl, ctx.seed)
        plans["baseline+polish"] = baseline_polish
    for variant, fn in plans.items():
        out, t, err = timed(fn)
        found = out.get("found_by") if variant in ("default", "network-only") else variant
        row = _row(variant, x, out, t, found)
        row["error"] = err
        out_rows.append(row)
    return out_rows
