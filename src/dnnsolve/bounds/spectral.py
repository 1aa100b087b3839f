"""Spectral upper bounds on MaxCut and hypergraph MaxCut, with their certificates.

**The bound.** With spins x ∈ {±1}ⁿ the cut of a weighted graph is ¼ xᵀLx, L the weighted
Laplacian (signed weights allowed). For any vector u, xᵀLx = xᵀ(L + Diag u)x − Σu ≤
n·λ_max(L + Diag u) − Σu, so

    maxcut ≤ ¼ (n · λ_max(L + Diag u) − Σu)                                   (★)

for every u ∈ ℝⁿ. The certificate is u itself (``{"u": [n floats]}``, method
``"spectral"``); (★) is invariant under u → u + c·1. Minimizing (★) over u is the
Delorme–Poljak eigenvalue bound, whose optimum equals the Goemans–Williamson SDP value
max ¼⟨L, X⟩ s.t. diag X = 1, X ⪰ 0.

**Finding u.** Two ways, both stopped by the deadline, the better verified u kept:

* :func:`burer_monteiro` solves the SDP in factored form X = VVᵀ (rank about √(2n), rows of
  V on the unit sphere) by Riemannian gradient descent with Barzilai–Borwein steps and a
  non-monotone line search; the dual certificate is u = −diag(LVVᵀ). The default up to
  :data:`BM_MAX_N` vertices.
* :func:`dp_descent` minimizes (★) directly, by gradient steps on a smoothed λ_max
  (log-sum-exp of the top few eigenvalues, sparse Lanczos warm-started from the last top
  eigenvector); for larger graphs, and after Burer–Monteiro when time is left.

**The value recorded** (:func:`certified_value`) is what the certificate proves *as the
independent checker* (:mod:`dnnsolve.verify.cut`) *recomputes it*: λ_max(L + Diag u) is
evaluated once more, by dense ``eigvalsh`` up to :data:`DENSE_MAX_N` vertices (the computed
eigenvalues are exact for a matrix within ``c·n·ε·‖M‖`` of M, so λ_max is at most the computed
one plus :func:`eig_margin`) and above that by Lanczos with a tight tolerance, adding the
residual norm ‖Mv − λv‖ (some eigenvalue lies within it of λ). The margin added here is twice
the checker's, plus the Lanczos tolerance the checker works to, so that the value recorded is
never below the one it recomputes; Σu is summed exactly (``math.fsum``). With integer weights
every cut is an integer, and the value is then rounded **down** — only after the margin is
added, so that a value like n²/4 − 10⁻¹² computed for a bound of exactly n²/4 is not floored
to n²/4 − 1 (the margin, far below 1, makes the floored value the true bound's floor or
more, never less).

**Hypergraph MaxCut** (:func:`hypermaxcut_bound`): a hyperedge e of k ≥ 2 vertices split a | k−a
has a(k−a) cut vertex pairs, between k − 1 and ⌊k²/4⌋ of them; so [e cut] ≤ pairs/(k − 1) and,
for a negative weight, −[e cut] ≤ −pairs/⌊k²/4⌋. Hyperedges of at most ``clique_max`` vertices
thus go into a graph (each vertex pair of e weighted w_e/(k − 1), or w_e/⌊k²/4⌋ when w_e < 0)
whose cut bounds theirs, and (★) bounds that graph; every larger hyperedge counts max(w_e, 0);
hyperedges of one vertex are never cut. The certificate is ``{"clique_max": K, "u": [...]}``
(``"u"`` absent or K < 2: the count alone, Σ max(w_e, 0) over hyperedges of ≥ 2 vertices).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..core.bound import Bound
from ..graph import Graph
from ..hypergraph import Hypergraph

#: the bound's method name, and so the form of its certificate (``{"u": [...]}``)
SPECTRAL = "spectral"
#: the hypergraph bound's method name (``{"clique_max": K, "u": [...]}``)
HYPER_SPECTRAL = "clique-spectral"

#: largest n whose λ_max is certified by a dense eigensolver (above: Lanczos + residual); the
#: checker uses the same limit. 0.9 s at n = 3000 on two shared cores.
DENSE_MAX_N = 4000
#: largest n solved by Burer–Monteiro by default (above: the eigenvalue descent alone)
BM_MAX_N = 5000
#: Lanczos tolerance (relative) the certificate's λ_max is computed to above DENSE_MAX_N
LANCZOS_TOL = 1e-10

_EPS = np.finfo(np.float64).eps


# --------------------------------------------------------------------------- linear algebra


def laplacian(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> sp.csr_matrix:
    """The weighted Laplacian D − W of an edge list (float64, CSR; duplicate edges add)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    w = np.asarray(weight, dtype=np.float64)
    deg = np.bincount(src, w, minlength=n) + np.bincount(dst, w, minlength=n)
    rows = np.concatenate([src, dst, np.arange(n)])
    cols = np.concatenate([dst, src, np.arange(n)])
    vals = np.concatenate([-w, -w, deg])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def abs_row_norm(M: sp.spmatrix) -> float:
    """max_i Σ_j |M_ij| (≥ the spectral norm)."""
    if M.shape[0] == 0:
        return 0.0
    return float(np.max(np.asarray(abs(M).sum(axis=1)).ravel()))


def eig_margin(n: int, norm: float) -> float:
    """How far a dense symmetric eigensolver's λ_max may be from the exact one (Weyl with
    a backward error of 16·n·ε·‖M‖, ‖M‖ ≤ ``norm``), plus 10⁻¹² absolute."""
    return 16.0 * max(n, 1) * _EPS * norm + 1e-12


@dataclass
class LambdaMax:
    """λ_max of a symmetric matrix: the computed value, an upper bound ``upper`` on the exact
    one, the top eigenvector (for warm starts) and how it was computed."""

    value: float
    upper: float
    vector: np.ndarray | None
    how: str
    residual: float = 0.0


def lambda_max(
    M: sp.spmatrix, *, dense_max_n: int = DENSE_MAX_N, v0: np.ndarray | None = None
) -> LambdaMax:
    """λ_max(M), with a margin making ``upper`` ≥ the exact value (see the module's text):
    twice the checker's margin plus the Lanczos tolerance it works to."""
    n = M.shape[0]
    if n == 0:
        return LambdaMax(0.0, 0.0, None, "empty")
    norm = abs_row_norm(M)
    if n <= dense_max_n:
        dense = M.toarray()
        w, v = sla.eigh(dense, subset_by_index=[n - 1, n - 1], driver="evr")
        if len(w) == 0:  # evr can return no pair when the top eigenvalue is many-fold (K_n)
            w, v = np.linalg.eigh(dense)
        lam = float(w[-1])
        return LambdaMax(lam, lam + 2 * eig_margin(n, norm), v[:, -1], "dense")
    lam, vec, res = _lanczos_top(M, v0, LANCZOS_TOL)
    upper = lam + 2 * res + LANCZOS_TOL * max(abs(lam), norm) + 2 * eig_margin(n, norm)
    return LambdaMax(lam, upper, vec, "lanczos", res)


def _lanczos_top(
    M: sp.spmatrix, v0: np.ndarray | None, tol: float
) -> tuple[float, np.ndarray, float]:
    """The top Ritz pair of M by ARPACK and its residual norm ‖Mv − λv‖ (v normalized)."""
    n = M.shape[0]
    if v0 is not None and (v0.shape != (n,) or not np.all(np.isfinite(v0)) or not v0.any()):
        v0 = None
    w, v = spla.eigsh(M, k=1, which="LA", v0=v0, tol=tol, ncv=min(n, 40), maxiter=20 * n)
    vec = v[:, 0] / np.linalg.norm(v[:, 0])
    lam = float(w[0])
    res = float(np.linalg.norm(M @ vec - lam * vec))
    return lam, vec, res


def _top_pairs(
    M: sp.spmatrix, k: int, v0: np.ndarray | None, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenpairs of M, ascending (dense for small n)."""
    n = M.shape[0]
    k = max(1, min(k, n - 1 if n > 1 else 1))
    if n <= 400:
        w, v = sla.eigh(M.toarray(), subset_by_index=[n - k, n - 1])
        return w, v
    w, v = spla.eigsh(M, k=k, which="LA", v0=v0, tol=tol, ncv=min(n, max(2 * k + 1, 24)))
    order = np.argsort(w)
    return w[order], v[:, order]


# --------------------------------------------------------------------------- the value


def integral_weights(weight: np.ndarray) -> bool:
    """Whether every weight is an integer (every cut is then an integer)."""
    w = np.asarray(weight, dtype=np.float64)
    return bool(np.all(np.isfinite(w)) and np.all(w == np.round(w)))


def certified_value(
    L: sp.spmatrix, u: np.ndarray, integral: bool, *, v0: np.ndarray | None = None, extra=0.0
) -> tuple[float, float, LambdaMax]:
    """What the certificate u proves: ¼(n·λ_max(L + Diag u) − Σu) with λ_max's margin (and
    ``extra``, a constant added as is), rounded down when the weights are integers.

    Returns (value, unrounded value, the λ_max computation)."""
    n = L.shape[0]
    u = np.asarray(u, dtype=np.float64)
    lam = lambda_max(L + sp.diags(u), v0=v0)
    s = math.fsum(u.tolist())
    raw = 0.25 * (n * lam.upper - s) + extra
    # the two products and the sums above round at most a few ulps of their terms
    raw += 8 * _EPS * (abs(n * lam.upper) + abs(s) + abs(extra))
    value = float(math.floor(raw)) if integral else raw
    return value, raw, lam


# --------------------------------------------------------------------------- Burer–Monteiro


@dataclass
class SDPState:
    """Where :func:`burer_monteiro` stopped: the factor V, ⟨L, VVᵀ⟩/4 (a lower bound on the
    SDP value when V's rows are unit vectors), the iterations and why it stopped."""

    V: np.ndarray
    primal: float
    iterations: int
    stop: str
    history: list = field(default_factory=list)


def _normalize_rows(V: np.ndarray) -> np.ndarray:
    nrm = np.linalg.norm(V, axis=1, keepdims=True)
    nrm[nrm == 0] = 1.0
    return V / nrm


def bm_rank(n: int) -> int:
    """The factor's rank: ⌈√(2n)⌉ + 1 (Burer–Monteiro: then every second-order critical point
    is, generically, optimal), at least 2 and at most n."""
    return max(2, min(n, math.ceil(math.sqrt(2 * n)) + 1))


def burer_monteiro(
    W: sp.csr_matrix,
    deadline: float,
    *,
    rank: int | None = None,
    seed: int = 0,
    V0: np.ndarray | None = None,
    gtol: float = 1e-7,
    max_iter: int = 100_000,
    check: Callable[[np.ndarray], object] | None = None,
) -> SDPState:
    """Minimize ⟨W, VVᵀ⟩ over V with unit rows (the MaxCut SDP: ⟨L, X⟩ = Σ deg − ⟨W, X⟩).

    Riemannian gradient G = 2(WV − diag(⟨(WV)ᵢ, vᵢ⟩)V), retraction by row normalization,
    alternating Barzilai–Borwein steps with a non-monotone Armijo line search (the last 10
    values). Stops at the deadline, when ‖G‖_F ≤ gtol·(1 + |f|), or when ``check(V, it)``
    (called every few iterations) returns a reason.
    """
    n = W.shape[0]
    k = rank or bm_rank(n)
    if V0 is not None:
        V = _normalize_rows(np.array(V0, dtype=np.float64))
    else:
        V = _normalize_rows(np.random.default_rng(seed).standard_normal((n, k)))
    WV = W @ V
    f = float(np.sum(WV * V))
    G = 2 * (WV - np.sum(WV * V, axis=1, keepdims=True) * V)
    gg = float(np.sum(G * G))
    t = 1.0 / max(2 * abs_row_norm(W), 1e-12)
    recent = [f]
    it, stop = 0, "iterations"
    next_check = 20
    while it < max_iter:
        if math.sqrt(gg) <= gtol * (1 + abs(f)):
            stop = "converged"
            break
        if time.monotonic() >= deadline:
            stop = "deadline"
            break
        ref = max(recent)
        for _ in range(30):
            Vn = _normalize_rows(V - t * G)
            WVn = W @ Vn
            fn = float(np.sum(WVn * Vn))
            if fn <= ref - 1e-4 * t * gg:
                break
            t *= 0.3
        else:
            stop = "line search"
            break
        dots = np.sum(WVn * Vn, axis=1, keepdims=True)
        Gn = 2 * (WVn - dots * Vn)
        S, Y = Vn - V, Gn - G
        sy = float(np.sum(S * Y))
        if sy > 0:
            t = float(np.sum(S * S)) / sy if it % 2 == 0 else sy / float(np.sum(Y * Y))
        else:
            t *= 2.0
        t = min(max(t, 1e-12), 1e6)
        V, WV, f, G = Vn, WVn, fn, Gn
        gg = float(np.sum(G * G))
        recent.append(f)
        if len(recent) > 10:
            recent.pop(0)
        it += 1
        if check is not None and it >= next_check:
            next_check = it + max(20, it // 4)
            why = check(V, WV, it)
            if why:
                stop = why
                break
    deg_w = np.asarray(W.sum(axis=1)).ravel()
    primal = 0.25 * (float(deg_w.sum()) - f)
    return SDPState(V, primal, it, stop)


def bm_certificate(W: sp.csr_matrix, V: np.ndarray, WV: np.ndarray | None = None) -> np.ndarray:
    """The dual certificate of a factor V: u = −diag(LVVᵀ) = diag(WVVᵀ) − deg, so that
    L + Diag u = Diag(diag(WVVᵀ)) − W, whose λ_max is 0 at the SDP optimum."""
    if WV is None:
        WV = W @ V
    deg_w = np.asarray(W.sum(axis=1)).ravel()
    return np.sum(WV * V, axis=1) - deg_w


# --------------------------------------------------------------------------- eigenvalue descent


def dp_descent(
    L: sp.csr_matrix,
    u0: np.ndarray,
    deadline: float,
    *,
    k: int = 8,
    max_iter: int = 100_000,
) -> tuple[np.ndarray, float, int]:
    """Minimize f(u) = n·λ_max(L + Diag u) − Σu (the Delorme–Poljak bound, ×4) from u0.

    Gradient steps on the smoothing f_μ(u) = n·μ·log Σⱼ exp(λⱼ/μ) − Σu over the k largest
    eigenvalues (∇f_μ = n·Σⱼ πⱼ vⱼ² − 1, π the softmax of λ/μ), with Barzilai–Borwein
    step lengths, μ shrinking as the top eigenvalues cluster. The eigenpairs come from
    Lanczos warm-started at the last top eigenvector. Returns the best u by the exact f (as
    computed by the eigensolver, not yet certified), that f, and the iterations.
    """
    n = L.shape[0]
    u = np.asarray(u0, dtype=np.float64).copy()
    u -= u.mean()
    v0 = None
    best_u, best_f = u.copy(), math.inf
    prev_u = prev_g = None
    step = None
    mu = None
    it = 0
    while it < max_iter and time.monotonic() < deadline:
        w, vecs = _top_pairs(L + sp.diags(u), k, v0, tol=1e-6)
        v0 = vecs[:, -1]
        lam = float(w[-1])
        f = n * lam - float(u.sum())
        if f < best_f:
            best_f, best_u = f, u.copy()
        spread = max(float(w[-1] - w[0]), 1e-12)
        if mu is None:
            mu = spread / 4
        mu = max(min(mu, spread / 2), 1e-9 * (1 + abs(lam)))
        z = (w - lam) / mu
        pi = np.exp(z - z.max())
        pi /= pi.sum()
        g = n * (vecs * vecs) @ pi - 1.0
        g -= g.mean()
        if prev_g is not None:
            s, y = u - prev_u, g - prev_g
            sy = float(s @ y)
            step = float(s @ s) / sy if sy > 0 else (step or 1.0) * 0.5
        if step is None:
            step = 0.1 * spread / max(float(np.abs(g).max()), 1e-12)
        prev_u, prev_g = u.copy(), g
        u = u - step * g
        mu *= 0.9
        it += 1
    return best_u, best_f, it


# --------------------------------------------------------------------------- MaxCut


def _graph_weight_matrix(n: int, src, dst, weight) -> sp.csr_matrix:
    w = np.asarray(weight, dtype=np.float64)
    W = sp.coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([src, dst]), np.concatenate([dst, src]))),
        shape=(n, n),
    ).tocsr()
    W.sum_duplicates()
    return W


def spectral_bound(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    deadline: float,
    *,
    integral: bool | None = None,
    target: float | None = None,
    method: str = "auto",
    seed: int = 0,
    extra: float = 0.0,
) -> tuple[float, np.ndarray, dict]:
    """The best certified bound (★) found by the deadline on the cut of the graph on ``n``
    vertices with edges (src, dst, weight): (value, u, notes).

    ``method``: ``"auto"`` (Burer–Monteiro up to :data:`BM_MAX_N` vertices, then the
    eigenvalue descent with the time left), ``"bm"``, ``"dp"`` or ``"trivial"`` (u = 0 and
    u = −deg, the better). ``target`` (the cut in hand) stops the search once the bound
    meets it. ``extra`` is added to every value (the hypergraph bound's constant part).
    ``integral`` says whether cuts are integers (default: whether the weights are).
    """
    t0 = time.monotonic()
    w = np.asarray(weight, dtype=np.float64)
    if integral is None:
        integral = integral_weights(w)
    L = laplacian(n, src, dst, w)
    W = _graph_weight_matrix(n, src, dst, w)
    deg = np.asarray(L.diagonal()).copy()
    notes: dict = {"n": n, "method": method}
    best: dict = {}

    def consider(u: np.ndarray, source: str, v0=None) -> float:
        value, raw, lam = certified_value(L, u, integral, v0=v0, extra=extra)
        if not best or value < best["value"] or (value == best["value"] and raw < best["raw"]):
            best.update(value=value, raw=raw, u=np.asarray(u, dtype=np.float64), source=source)
            best.update(lam=lam.value, how=lam.how)
        return value

    def met(value: float) -> bool:
        return target is not None and value <= target + 1e-9 * max(1.0, abs(target))

    if n == 0:
        return max(0.0, extra), np.zeros(0), {**notes, "source": "empty"}
    # the cheap certificates first: every later one must beat them
    consider(np.zeros(n), "u=0")
    consider(-deg, "u=-deg")
    if met(best["value"]) or method == "trivial" or W.nnz == 0:
        return _done(best, notes, t0)
    use_bm = method == "bm" or (method == "auto" and n <= BM_MAX_N)
    if use_bm:
        sdp = _bm_phase(W, L, deg, deadline, integral, extra, seed, target, consider)
        notes.update(
            bm_iterations=sdp.iterations, bm_stop=sdp.stop, bm_rank=sdp.V.shape[1],
            sdp_primal=sdp.primal + extra,
        )  # fmt: skip
    if (method == "dp" or (method == "auto" and not use_bm)) and not met(best["value"]):
        left = deadline - time.monotonic()
        if left > 0:
            u, _, iters = dp_descent(L, best["u"], deadline - 0.15 * left)
            consider(u, "dp")
            notes["dp_iterations"] = iters
    return _done(best, notes, t0)


def _bm_phase(W, L, deg, deadline, integral, extra, seed, target, consider) -> SDPState:
    """Burer–Monteiro up to the deadline (less the time the final λ_max needs), checking
    the certificate now and then: stop once its bound meets ``target`` or the SDP's own
    lower bound (nothing below it can be certified)."""
    n = W.shape[0]
    t_start = time.monotonic()
    # the final certification costs one dense (or Lanczos) λ_max: keep time for two
    t_lam = time.monotonic()
    certified_value(L, np.zeros(n), integral)
    t_lam = time.monotonic() - t_lam
    stop_at = deadline - 2.5 * t_lam - 0.02 * max(deadline - t_start, 0.0)
    state: dict = {"v0": None, "last": None}

    def check(V: np.ndarray, WV: np.ndarray, it: int) -> str | None:
        # a cheap estimate (Lanczos, loose) of the certificate's bound, vs the primal value
        u = bm_certificate(W, V, WV)
        M = L + sp.diags(u)
        try:
            lam, vec, _ = _lanczos_top(M, state["v0"], 1e-6) if n > 400 else _dense_top(M)
        except (spla.ArpackNoConvergence, np.linalg.LinAlgError):
            return None
        state["v0"] = vec
        dual = 0.25 * (n * lam - float(u.sum())) + extra
        primal = 0.25 * (float(deg.sum()) - float(np.sum(WV * V))) + extra
        state["last"] = (dual, primal)
        if integral and math.floor(dual + 1e-6) <= math.floor(primal + 1e-6):
            return "bound met the SDP"
        if dual - primal <= 1e-7 * max(1.0, abs(primal)):
            return "bound met the SDP"
        if target is not None and math.floor(dual) <= target and integral:
            return "bound met the cut"
        if target is not None and dual <= target and not integral:
            return "bound met the cut"
        return None

    sdp = burer_monteiro(W, stop_at, seed=seed, check=check)
    consider(bm_certificate(W, sdp.V), "bm", v0=state["v0"])
    return sdp


def _dense_top(M: sp.spmatrix) -> tuple[float, np.ndarray, float]:
    n = M.shape[0]
    w, v = sla.eigh(M.toarray(), subset_by_index=[n - 1, n - 1])
    return float(w[-1]), v[:, -1], 0.0


def _done(best: dict, notes: dict, t0: float) -> tuple[float, np.ndarray, dict]:
    notes.update(
        source=best["source"], unrounded=best["raw"], lambda_max=best["lam"],
        lambda_how=best["how"], search_s=time.monotonic() - t0,
    )  # fmt: skip
    return best["value"], best["u"], notes


def maxcut_bound(
    graph: Graph,
    deadline: float,
    *,
    target: float | None = None,
    method: str = "auto",
    seed: int = 0,
) -> Bound:
    """The spectral bound (★) on the maximum cut of ``graph``, found by ``deadline``
    (:func:`time.monotonic`), as a :class:`~dnnsolve.core.bound.Bound` with certificate
    ``{"u": [...]}`` in the graph's vertex order (the input file's order)."""
    t0 = time.perf_counter()
    value, u, notes = spectral_bound(
        graph.n, graph.src, graph.dst, graph.weight, deadline,
        target=target, method=method, seed=seed,
    )  # fmt: skip
    return Bound(value, SPECTRAL, {"u": u.tolist()}, time.perf_counter() - t0, notes)


# --------------------------------------------------------------------------- hypergraphs


def clique_expansion(hg: Hypergraph, clique_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The graph whose cut bounds the cut of the hyperedges of 2..``clique_max`` vertices:
    every vertex pair of such a hyperedge e (k vertices) with weight w_e/(k − 1), or
    w_e/⌊k²/4⌋ when w_e < 0. Returns (src, dst, weight), pairs repeated as they come."""
    sizes = hg.edge_sizes
    src, dst, wt = [], [], []
    for k in np.unique(sizes):
        k = int(k)
        if k < 2 or k > clique_max:
            continue
        es = np.flatnonzero(sizes == k)
        members = hg.edge_vertices[hg.edge_ptr[es][:, None] + np.arange(k)[None, :]]
        w = hg.weight[es]
        scale = np.where(w > 0, 1.0 / (k - 1), 1.0 / ((k * k) // 4))
        a, b = np.triu_indices(k, 1)
        src.append(members[:, a].ravel())
        dst.append(members[:, b].ravel())
        wt.append(np.repeat(w * scale, len(a)))
    if not src:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(src), np.concatenate(dst), np.concatenate(wt)


def counted_weight(hg: Hypergraph, clique_max: int) -> float:
    """Σ max(w_e, 0) over the hyperedges of more than ``clique_max`` vertices (and at
    least 2): what they may add to a cut at most."""
    sizes = hg.edge_sizes
    keep = (sizes >= 2) & (sizes > clique_max)
    return math.fsum(np.maximum(hg.weight[keep], 0.0).tolist())


def hypermaxcut_bound(
    hg: Hypergraph, deadline: float, *, target: float | None = None, seed: int = 0
) -> Bound:
    """An upper bound on the hypergraph's maximum cut: the better of the count Σ max(w_e, 0)
    over hyperedges of ≥ 2 vertices and, for K in the hyperedge sizes present, the spectral
    bound (★) of the clique expansion of hyperedges up to K vertices plus the count of the
    larger ones (see the module's text). Certificate ``{"clique_max": K, "u": [...]}``."""
    t0 = time.perf_counter()
    integral = integral_weights(hg.weight)
    trivial = counted_weight(hg, 1)
    best_value = float(math.floor(trivial)) if integral else trivial
    best_cert: dict = {"clique_max": 1}
    notes: dict = {"count": trivial}
    sizes = sorted({int(k) for k in hg.edge_sizes if k >= 2})
    # the largest K first (all hyperedges relaxed), then smaller ones with the time left
    for i, K in enumerate(reversed(sizes)):
        if target is not None and best_value <= target:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        src, dst, w = clique_expansion(hg, K)
        if len(w) == 0:
            continue
        extra = counted_weight(hg, K)
        share = left if i == len(sizes) - 1 else left * (0.6 if i == 0 else 0.5)
        value, u, sub = spectral_bound(
            hg.n, src, dst, w, time.monotonic() + share,
            integral=integral, target=target, seed=seed, extra=extra,
        )  # fmt: skip
        notes[f"K={K}"] = {"value": value, "unrounded": sub["unrounded"], "source": sub["source"]}
        if value < best_value:
            best_value, best_cert = value, {"clique_max": K, "u": u.tolist()}
    notes["clique_max"] = best_cert["clique_max"]
    return Bound(best_value, HYPER_SPECTRAL, best_cert, time.perf_counter() - t0, notes)
