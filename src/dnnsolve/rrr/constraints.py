"""Constraint problems solved with RRR: graph colouring, Latin squares / Sudoku, bit retrieval.

Each problem splits its constraints into two sets A and B with cheap exact projections
(divide and concur: every constraint acts on private replicas of the variables, and a
consensus set makes the replicas agree), runs the batched :class:`~dnnsolve.rrr.engine.RRR`
iteration from random restarts, decodes the point ``P_A(x)`` and re-checks it with an
independent NumPy verifier.  :func:`solve` returns a core :class:`~dnnsolve.core.result.Result`.

* :class:`ColoringRRR` — K-colouring. One replica (a vector in R^K) per edge end;
  A = each edge's two replicas are *distinct* one-hot vectors, B = all replicas of a
  vertex are equal.
* :class:`LatinRRR` — Latin square completion and Sudoku.  A 0/1 tensor X[r, c, v] with
  3 replicas (4 with boxes): A = one-hot along v (cell, with the givens clamped), along c
  (row), along r (column), over each box; B = replicas equal.
* :class:`BitRetrievalRRR` — x in {±1}^N from its periodic autocorrelation.  One set is
  the sign set, the other the signals whose DFT moduli are the square roots of the DFT
  of the autocorrelation (Elser, arXiv:1601.03428).
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..core.device import device_name, resolve_device
from ..core.errors import InputError
from ..core.result import Result
from ..graph import Graph, coloring_output
from .engine import RRR, Projection, RRRRun
from .projections import Consensus, FourierMagnitude, OneHot, Sign

__all__ = [
    "BitRetrievalRRR",
    "ColoringRRR",
    "DistinctOneHotPair",
    "LatinRRR",
    "RRRProblem",
    "autocorrelation",
    "parse_grid",
    "random_bits",
    "same_up_to_symmetry",
    "solve",
    "verify_bits",
    "verify_coloring",
    "verify_latin",
]


# ----------------------------------------------------------------------------- base class


class RRRProblem(ABC):
    """A constraint problem for RRR: two projections, a random start, decode and verify.

    Subclasses set ``name``, ``instance``, ``shape`` (per restart) and implement
    :meth:`project_a`, :meth:`project_b`, :meth:`decode` (batched torch),
    :meth:`is_solved` (batched torch, fast) and :meth:`verify` (NumPy, independent).
    """

    name = "rrr"
    instance = "instance"
    shape: tuple[int, ...] = ()

    @abstractmethod
    def project_a(self, x: Tensor) -> Tensor:
        """See the class docstring."""

    @abstractmethod
    def project_b(self, x: Tensor) -> Tensor:
        """See the class docstring."""

    def init(self, restarts: int, generator: torch.Generator, device, dtype) -> Tensor:
        """Random starting points, uniform in [0, 1)."""
        x = torch.rand((restarts, *self.shape), generator=generator, dtype=dtype)
        return x.to(device)

    @abstractmethod
    def decode(self, pa: Tensor) -> Tensor:
        """See the class docstring."""

    @abstractmethod
    def is_solved(self, pa: Tensor) -> Tensor:
        """See the class docstring."""

    @abstractmethod
    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """(objective, feasible) recomputed in NumPy from the decoded solution."""

    def to_json(self, solution: np.ndarray) -> Any:
        return np.asarray(solution).tolist()

    def violations(self, solution: np.ndarray) -> float:
        """How far a decoded solution is from feasible (ranks unsolved restarts)."""
        return self.verify(solution)[0]

    sense = "min"
    reference: float | None = None
    #: the step :func:`solve` uses when none is given (measured per family, see the suites)
    default_beta = 0.5


# ----------------------------------------------------------------------------- colouring


def _top2(a: Tensor) -> tuple[Tensor, Tensor]:
    """Largest two entries along the last dim (values, indices); faster than topk for small K."""
    v1, i1 = a.max(dim=-1, keepdim=True)
    v2, i2 = a.scatter(-1, i1, float("-inf")).max(dim=-1, keepdim=True)
    return torch.cat([v1, v2], -1), torch.cat([i1, i2], -1)


class DistinctOneHotPair(Projection):
    """Pairs (a, b) of one-hot vectors with different hot entries (last dim K, pair dim -2).

    The squared distance to (e_i, e_j) is const - 2(a_i + b_j), so the nearest pair
    maximizes a_i + b_j over i != j: both argmaxes when they differ, else the better of
    (first of a, second of b) and (second of a, first of b).

    >>> DistinctOneHotPair()(torch.tensor([[[0.9, 0.1, 0.0], [0.8, 0.0, 0.5]]])).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    """

    name = "distinct_onehot_pair"

    def __call__(self, x: Tensor) -> Tensor:
        a, b = x[..., 0, :], x[..., 1, :]
        va, ia = _top2(a)
        vb, ib = _top2(b)
        clash = ia[..., 0] == ib[..., 0]
        swap_b = va[..., 0] + vb[..., 1] >= va[..., 1] + vb[..., 0]  # keep a's best
        i = torch.where(clash & ~swap_b, ia[..., 1], ia[..., 0])
        j = torch.where(clash & swap_b, ib[..., 1], ib[..., 0])
        out = torch.zeros_like(x)
        out[..., 0, :].scatter_(-1, i.unsqueeze(-1), 1.0)
        out[..., 1, :].scatter_(-1, j.unsqueeze(-1), 1.0)
        return out


def verify_coloring(graph: Graph, colors: np.ndarray, k: int) -> tuple[int, bool]:
    """(conflicting edges, proper k-colouring?) by a plain loop over the edges.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> verify_coloring(g, np.array([0, 1, 0]), 2)
    (0, True)
    """
    col = [int(c) for c in np.asarray(colors).reshape(-1)]
    if len(col) != graph.n:
        return graph.m, False
    bad = sum(1 for u, v in zip(graph.src.tolist(), graph.dst.tolist()) if col[u] == col[v])
    return bad, bad == 0 and all(0 <= c < k for c in col)


class ColoringRRR(RRRProblem):
    """K-colouring by divide and concur: one replica per edge end (Elser style).

    x has shape (m, 2, K) per restart (edge, end, colour).  A: each edge's two replicas are
    distinct one-hot vectors; B: the replicas of one vertex are equal (their mean).
    Decoding takes the colour with most votes among a vertex's replicas in ``P_A(x)``
    (isolated vertices get colour 0).

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)], name="c4")
    >>> res = solve(ColoringRRR(g, 2), restarts=4, seed=0, max_iter=500)
    >>> res.feasible, res.objective
    (True, 2.0)
    """

    name = "coloring"
    default_beta = 0.8

    def __init__(self, graph: Graph, k: int):
        if k < 1:
            raise InputError(f"number of colours must be >= 1, got {k}")
        if k == 1 and graph.m > 0:
            raise InputError("a graph with an edge needs at least 2 colours")
        self.graph, self.k = graph, int(k)
        self.instance = graph.name
        m = graph.m
        self.shape = (m, 2, self.k)
        groups = np.stack([graph.src, graph.dst], axis=1).reshape(-1)
        self.groups = torch.as_tensor(groups, dtype=torch.long)
        self._pair = DistinctOneHotPair()
        self._cons = Consensus(self.groups, dim=1) if m else None
        self._dev: dict = {}

    def project_a(self, x: Tensor) -> Tensor:
        return self._pair(x) if self.graph.m else x

    def project_b(self, x: Tensor) -> Tensor:
        if self._cons is None:
            return x
        flat = x.reshape(x.shape[0], -1, self.k)
        return self._cons(flat).reshape(x.shape)

    def _edges(self, device) -> tuple[Tensor, Tensor, Tensor]:
        if device not in self._dev:
            self._dev[device] = (
                self.groups.to(device),
                torch.as_tensor(self.graph.src, device=device),
                torch.as_tensor(self.graph.dst, device=device),
            )
        return self._dev[device]

    def decode(self, pa: Tensor) -> Tensor:
        g, _, _ = self._edges(pa.device)
        votes = torch.zeros((pa.shape[0], self.graph.n, self.k), device=pa.device, dtype=pa.dtype)
        votes.index_add_(1, g, pa.reshape(pa.shape[0], -1, self.k))
        return votes.argmax(dim=-1)

    def is_solved(self, pa: Tensor) -> Tensor:
        _, s, d = self._edges(pa.device)
        col = self.decode(pa)
        return (col[:, s] != col[:, d]).all(dim=1)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        _, ok = verify_coloring(self.graph, solution, self.k)
        used = len(set(np.asarray(solution).reshape(-1).tolist())) if self.graph.n else 0
        return (float(used) if ok else float("nan")), ok

    def violations(self, solution: np.ndarray) -> float:
        return float(verify_coloring(self.graph, solution, self.k)[0])

    def to_json(self, solution: np.ndarray) -> Any:
        """The colouring as every family writes one: ``{"colors", "coloring": {vertex id:
        colour from 1}}``."""
        return coloring_output(self.graph, solution)

    def details(self, solution: np.ndarray) -> dict:
        bad, _ = verify_coloring(self.graph, solution, self.k)
        return {"conflicts": bad, "colors": self.k}


# ----------------------------------------------------------------------------- Latin / Sudoku


def parse_grid(text: str, source: str = "puzzle") -> np.ndarray:
    """Parse a square puzzle: 0 or ``.`` for blanks, values 1..N.

    Either a run of N^2 single characters (e.g. 81 for Sudoku; whitespace ignored) or N
    lines of N whitespace-separated integers.

    >>> parse_grid("12.. ..12 .... ....").tolist()[0]
    [1, 2, 0, 0]
    """
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    tokens = [ln.split() for ln in lines]
    multi = len(tokens) > 1 and all(len(t) == len(tokens) for t in tokens) and len(tokens[0]) > 1
    if multi:
        try:
            vals = [[0 if t in (".", "0") else int(t) for t in row] for row in tokens]
        except ValueError as exc:
            raise InputError(f"{source}: grid entries must be integers or '.'") from exc
        grid = np.asarray(vals, dtype=np.int64)
    else:
        chars = "".join("".join(t) for t in tokens)
        n = math.isqrt(len(chars))
        if n * n != len(chars) or n == 0:
            raise InputError(
                f"{source}: expected N*N cells (e.g. 81 characters) or N rows of N numbers, "
                f"got {len(chars)} characters"
            )
        if n > 9:
            raise InputError(f"{source}: grids larger than 9x9 need whitespace-separated numbers")
        if any(c not in ".0123456789" for c in chars):
            raise InputError(f"{source}: cells must be digits or '.'")
        grid = np.asarray([0 if c == "." else int(c) for c in chars], dtype=np.int64)
        grid = grid.reshape(n, n)
    n = grid.shape[0]
    if grid.min() < 0 or grid.max() > n:
        raise InputError(f"{source}: values must lie in 0..{n}")
    return grid


def _box_shape(n: int) -> tuple[int, int] | None:
    r = math.isqrt(n)
    return (r, r) if r * r == n and n > 1 else None


def verify_latin(
    grid: np.ndarray, givens: np.ndarray, box: tuple[int, int] | None
) -> tuple[int, bool]:
    """(violations, valid?): rows, columns (and boxes) are permutations of 1..N, givens kept.

    Violations count duplicate entries per unit plus changed givens and out-of-range cells.

    >>> g = np.array([[1, 2], [2, 1]])
    >>> verify_latin(g, np.array([[1, 0], [0, 0]]), None)
    (0, True)
    """
    g = np.asarray(grid)
    n = givens.shape[0]
    if g.shape != (n, n):
        return n * n, False
    bad = int(np.count_nonzero((g < 1) | (g > n)))
    bad += int(np.count_nonzero((givens > 0) & (g != givens)))
    units = [g[i, :] for i in range(n)] + [g[:, j] for j in range(n)]
    if box is not None:
        bh, bw = box
        for r0 in range(0, n, bh):
            for c0 in range(0, n, bw):
                units.append(g[r0 : r0 + bh, c0 : c0 + bw].reshape(-1))
    for u in units:
        bad += n - len(set(u.tolist()))
    return bad, bad == 0


class LatinRRR(RRRProblem):
    """Latin square completion (``box=None``) or Sudoku (``box=(bh, bw)``) by divide and concur.

    x has shape (R, N, N, N) per restart, R = 3 replicas of the 0/1 tensor X[r, c, v]
    (4 with boxes).  A: replica 0 one-hot along v with the givens clamped, replica 1
    one-hot along c, replica 2 along r, replica 3 over each box's cells; B: the replicas
    equal (their mean).

    >>> res = solve(LatinRRR(parse_grid("1...  ..2.  .3..  ...4"), box=(2, 2)), seed=0)
    >>> res.feasible
    True
    """

    name = "sudoku"
    default_beta = 0.8

    def __init__(self, givens: np.ndarray, box: tuple[int, int] | str | None = "auto"):
        g = np.asarray(givens, dtype=np.int64)
        if g.ndim != 2 or g.shape[0] != g.shape[1] or g.shape[0] < 1:
            raise InputError("the puzzle must be a square N x N grid")
        n = g.shape[0]
        if g.min() < 0 or g.max() > n:
            raise InputError(f"puzzle values must lie in 0..{n}")
        if box == "auto":
            box = _box_shape(n)
        if box is not None:
            bh, bw = box
            if bh * bw != n or n % bh or n % bw:
                raise InputError(f"box shape {bh}x{bw} does not tile a {n}x{n} grid")
        self.givens, self.n, self.box = g, n, box
        self.name = "sudoku" if box is not None else "latin"
        self.instance = f"{self.name}{n}"
        self.reps = 4 if box is not None else 3
        self.shape = (self.reps, n, n, n)
        clamp = np.zeros((n, n, n))
        mask = g > 0
        rr, cc = np.nonzero(mask)
        clamp[rr, cc, g[mask] - 1] = 1.0
        self._mask = torch.as_tensor(mask)
        self._clamp = torch.as_tensor(clamp)
        self._onehot = OneHot(dim=-1)
        self._dev: dict = {}

    def _consts(self, x: Tensor) -> tuple[Tensor, Tensor]:
        key = (x.device, x.dtype)
        if key not in self._dev:
            self._dev[key] = (
                self._mask.to(x.device).unsqueeze(-1),
                self._clamp.to(device=x.device, dtype=x.dtype),
            )
        return self._dev[key]

    def _box_onehot(self, y: Tensor) -> Tensor:
        bh, bw = self.box  # type: ignore[misc]
        n, b = self.n, y.shape[0]
        z = y.reshape(b, n // bh, bh, n // bw, bw, n).permute(0, 1, 3, 5, 2, 4)
        z = self._onehot(z.reshape(b, n // bh, n // bw, n, bh * bw))
        z = z.reshape(b, n // bh, n // bw, n, bh, bw).permute(0, 1, 4, 2, 5, 3)
        return z.reshape(b, n, n, n)

    def project_a(self, x: Tensor) -> Tensor:
        mask, clamp = self._consts(x)
        cell = torch.where(mask, clamp, OneHot(dim=-1)(x[:, 0]))
        parts = [cell, OneHot(dim=-2)(x[:, 1]), OneHot(dim=-3)(x[:, 2])]
        if self.box is not None:
            parts.append(self._box_onehot(x[:, 3]))
        return torch.stack(parts, dim=1)

    def project_b(self, x: Tensor) -> Tensor:
        return x.mean(dim=1, keepdim=True).expand_as(x).clone()

    def decode(self, pa: Tensor) -> Tensor:
        return pa[:, 0].argmax(dim=-1) + 1

    def is_solved(self, pa: Tensor) -> Tensor:
        return (pa == pa[:, :1]).flatten(1).all(dim=1)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        bad, ok = verify_latin(np.asarray(solution), self.givens, self.box)
        return float(bad), ok


# ----------------------------------------------------------------------------- bit retrieval


def random_bits(n: int, seed: int | None = 0) -> np.ndarray:
    """A random ±1 vector of length ``n`` (the hidden signal of a bit-retrieval instance).

    >>> random_bits(5, seed=1).tolist()
    [-1, -1, 1, -1, 1]
    """
    if n < 1:
        raise InputError(f"bit retrieval needs N >= 1, got {n}")
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.5, 1, -1).astype(np.int64)


def autocorrelation(bits: np.ndarray) -> np.ndarray:
    """Periodic autocorrelation a_k = sum_j x_j x_{(j+k) mod N}, by a direct integer loop.

    >>> autocorrelation(np.array([1, -1, 1])).tolist()
    [3, -1, -1]
    """
    x = np.asarray(bits, dtype=np.int64).reshape(-1)
    return np.asarray([int(np.dot(x, np.roll(x, -k))) for k in range(len(x))], dtype=np.int64)


def verify_bits(bits: np.ndarray, target: np.ndarray) -> tuple[int, bool]:
    """(sum of |autocorrelation - target| over the lags, exact match?) for a ±1 vector.

    >>> verify_bits(np.array([-1, 1, -1]), np.array([3, -1, -1]))
    (0, True)
    """
    x = np.asarray(bits).reshape(-1)
    t = np.asarray(target).reshape(-1)
    if x.shape != t.shape or not np.all(np.abs(x) == 1):
        return int(np.abs(t).sum()) + 1, False
    d = int(np.abs(autocorrelation(x) - t).sum())
    return d, d == 0


def same_up_to_symmetry(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ±1 vectors a and b agree up to cyclic shift, reversal and global sign.

    These symmetries keep the periodic autocorrelation, so bit retrieval can only recover a
    signal up to them.

    >>> same_up_to_symmetry(np.array([1, 1, -1, 1]), np.array([-1, 1, -1, -1]))
    True
    """
    a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
    if a.shape != b.shape:
        return False
    for c in (b, b[::-1]):
        for s in (1, -1):
            for k in range(len(a)):
                if np.array_equal(a, s * np.roll(c, k)):
                    return True
    return False


class BitRetrievalRRR(RRRProblem):
    """Recover x in {±1}^N from its periodic autocorrelation (Elser, arXiv:1601.03428).

    The DFT of the autocorrelation is |x̂|², so the second set is the signals with DFT
    modulus ``sqrt(max(DFT(a), 0))``.  ``fourier_first`` puts the Fourier set in A (Elser's
    order: the reflection goes through the Fourier set); otherwise the sign set is A.
    The decoded signal is ``sign(P_A x)``.

    >>> target = autocorrelation(random_bits(12, seed=3))
    >>> res = solve(BitRetrievalRRR(target), restarts=8, seed=0, max_iter=2000)
    >>> res.feasible
    True
    """

    name = "bit_retrieval"
    default_beta = 0.3

    def __init__(self, target: np.ndarray, fourier_first: bool = True, hidden=None):
        t = np.asarray(target)
        if t.ndim != 1 or t.shape[0] < 1:
            raise InputError("the autocorrelation must be a non-empty 1-D integer array")
        if not np.all(np.equal(np.round(t), t)):
            raise InputError("autocorrelation values must be integers")
        t = t.astype(np.int64)
        n = t.shape[0]
        if t[0] != n:
            raise InputError(f"a ±1 signal of length {n} has autocorrelation a_0 = {n}, got {t[0]}")
        if np.any(t[1:] != t[1:][::-1]):
            raise InputError("a periodic autocorrelation must be symmetric: a_k = a_(N-k)")
        self.target, self.n = t, n
        self.hidden = None if hidden is None else np.asarray(hidden)
        self.instance = f"bits{n}"
        self.shape = (n,)
        power = np.fft.rfft(t.astype(np.float64)).real
        self.magnitude = torch.as_tensor(np.sqrt(np.clip(power, 0.0, None)))
        self._fourier = FourierMagnitude(self.magnitude, n)
        self._sign = Sign()
        self.fourier_first = bool(fourier_first)
        self._dev: dict = {}

    def init(self, restarts: int, generator: torch.Generator, device, dtype) -> Tensor:
        x = torch.randn((restarts, self.n), generator=generator, dtype=dtype)
        return x.to(device)

    def project_a(self, x: Tensor) -> Tensor:
        return self._fourier(x) if self.fourier_first else self._sign(x)

    def project_b(self, x: Tensor) -> Tensor:
        return self._sign(x) if self.fourier_first else self._fourier(x)

    def decode(self, pa: Tensor) -> Tensor:
        return self._sign(pa).to(torch.long)

    def is_solved(self, pa: Tensor) -> Tensor:
        key = pa.device
        if key not in self._dev:
            self._dev[key] = torch.as_tensor(self.target, device=pa.device, dtype=torch.float64)
        s = self._sign(pa).to(torch.float64)
        ac = torch.fft.irfft(torch.fft.rfft(s, dim=-1).abs().square(), n=self.n, dim=-1)
        return (ac.round() == self._dev[key]).all(dim=1)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        d, ok = verify_bits(solution, self.target)
        return float(d), ok

    def details(self, solution: np.ndarray) -> dict:
        if self.hidden is None:
            return {}
        return {"matches_hidden_up_to_symmetry": same_up_to_symmetry(solution, self.hidden)}


# ----------------------------------------------------------------------------- driver


def solve(
    problem: RRRProblem,
    *,
    restarts: int = 16,
    beta: float | None = None,
    gamma: float | None = None,
    max_iter: int = 10000,
    tol: float = 1e-9,
    time_limit: float | None = None,
    seed: int | None = 0,
    device: str | torch.device = "auto",
    dtype: torch.dtype = torch.float32,
    record_every: int = 50,
    callback: Callable[[int, Tensor], bool | None] | None = None,
    stop_on_first: bool = True,
) -> Result:
    """Run batched RRR on ``problem`` and return a verified :class:`Result`.

    ``beta`` defaults to the problem's ``default_beta`` (0.8 colouring and Sudoku, 0.3 bit
    retrieval: the best of the steps tried on the suites' instances).
    ``restarts`` random starts run as one batch; by default the run stops at the first
    solved restart (``stop_on_first``).  The reported solution is the first solved
    restart's decoded ``P_A(x)``, else the restart with the fewest violations.
    ``objective`` / ``feasible`` come from the problem's NumPy verifier.  ``device`` is
    ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or
    ``"mps"``.

    >>> c5 = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)], name="c5")
    >>> res = solve(ColoringRRR(c5, 3), restarts=8, seed=0, max_iter=1000)
    >>> res.feasible, res.stop_reason, res.objective
    (True, 'solved', 3.0)
    """
    if restarts < 1:
        raise InputError(f"restarts must be >= 1, got {restarts}")
    if max_iter < 1:
        raise InputError(f"max_iter must be >= 1, got {max_iter}")
    if beta is None:
        beta = problem.default_beta
    dev = resolve_device(device)
    gen = torch.Generator()
    if seed is None:
        gen.seed()  # nondeterministic
    else:
        gen.manual_seed(int(seed))
    t0 = time.perf_counter()
    x0 = problem.init(restarts, gen, dev, dtype)
    engine = RRR(problem.project_a, problem.project_b, beta=beta, gamma=gamma)
    run: RRRRun = engine.run(
        x0,
        max_iter=max_iter,
        tol=tol,
        time_limit=time_limit,
        record_every=record_every,
        callback=callback,
        is_solved=problem.is_solved,
        stop_on_first=stop_on_first,
    )
    t_rrr = time.perf_counter() - t0
    t1 = time.perf_counter()
    decoded = problem.decode(run.solution).cpu().numpy()
    if run.n_solved:
        best = run.best
        objective, feasible = problem.verify(decoded[best])
    else:  # report the restart with the fewest violations by the independent check
        scores = [problem.verify(d) for d in decoded]
        ok = [i for i, (_, f) in enumerate(scores) if f]
        if ok:
            best = ok[0]
        else:
            bad = [problem.violations(d) for d in decoded]
            best = min(range(len(bad)), key=lambda i: (bad[i], float(run.gap[i])))
        objective, feasible = scores[best]
    t_verify = time.perf_counter() - t1
    sol = decoded[best]
    details = problem.details(sol) if hasattr(problem, "details") else {}
    solved_iters = run.iterations[run.solved].cpu().tolist()
    stop = run.stop_reason
    if stop == "first_solved":
        stop = "solved"
    res = Result(
        problem=problem.name,
        instance=problem.instance,
        method="rrr",
        objective=None if objective != objective else float(objective),
        feasible=bool(feasible),
        solution=problem.to_json(sol),
        time_s=time.perf_counter() - t0,
        device=device_name(dev),
        seed=seed,
        sense=problem.sense,
        reference=problem.reference,
        found_by="rrr",
        stop_reason=stop,
        steps=int(run.iterations.max().item()) if run.iterations.numel() else 0,
        restarts=restarts,
        hparams={"beta": beta, "gamma": gamma, "max_iter": max_iter, "tol": tol},
        timings={"optimize_s": t_rrr, "verify_s": t_verify},
        history=run.history,
        extra={
            "solved_restarts": run.n_solved,
            "iterations_to_solution": solved_iters,
            "reported_restart": int(best),
            "reported_gap": float(run.gap[best]),
            "iterations_per_s": float(run.iterations.sum().item()) / max(t_rrr, 1e-9),
            **details,
        },
    )
    res.solution_array = sol
    return res
