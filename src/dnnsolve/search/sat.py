"""Batched stochastic local search for SAT and MaxSAT: many probSAT / WalkSAT walkers at once.

Every walker (one row of a (B, n) assignment batch) keeps the number of true literals
of each clause, ``numtrue`` (B, m). One step of all walkers together:

1. pick a falsified clause per walker uniformly (SAT) or with hard clauses first (MaxSAT):
   the clauses are cut into blocks of ≈ √m (:func:`_pick_falsified`); each walker keeps the
   falsified count (selection weight) of every block, updated with the flip in step 4, so
   a pick is a cumulative sum over the block totals, one over the chosen block, and two
   ``searchsorted`` — O(√m) per walker instead of O(m);
2. score the clause's variables from their occurrence lists (padded CSR, (n, D)):
   ``break`` = clauses that only this variable satisfies (``numtrue == 1`` and the
   literal true), ``make`` = falsified clauses it would satisfy;
3. choose a variable: probSAT (Balint & Schöning, SAT 2012) samples with probability
   ∝ (ε + break)^(−c_b) (polynomial; exponential c_b^(−break) for k ≥ 4); the weighted
   WalkSAT rule (MaxSAT) takes a random variable with probability ``noise`` and otherwise
   the one minimising weighted break − make;
4. flip it and update ``numtrue``, the falsified mask and the block totals through its
   occurrence list (``scatter``/``scatter_add``).

A walker with no falsified clause stops moving, so checking for a model only every
``check_every`` steps loses nothing; the loop reads the device back (the best cost) only
at those checks, so a GPU is not waited on every step. All tensors live on the device of
the input, so the same code runs on CPU and CUDA; every step is O(B·(√m + K·D)) work in a
fixed number of kernels (a MaxSAT step also keeps each walker's best assignment: O(B·n)).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

#: probSAT's defaults for uniform random k-SAT: (variant, c_b, ε) by clause length
_PROBSAT = {
    3: ("poly", 2.06, 0.9),
    4: ("exp", 3.0, 1.0),
    5: ("exp", 3.7, 1.0),
    6: ("exp", 5.1, 1.0),
}
_PROBSAT_LONG = ("exp", 5.4, 1.0)

_BIG = 1 << 28  # numtrue of the padding clause: never falsified, never critical


def probsat_params(k: int) -> tuple[str, float, float]:
    """probSAT's ``(variant, c_b, ε)`` for clause length ``k``.

    >>> probsat_params(3)
    ('poly', 2.06, 0.9)
    """
    if k <= 3:
        return _PROBSAT[3]
    return _PROBSAT.get(k, _PROBSAT_LONG)


@dataclass
class ClauseTensors:
    """A clause set as device tensors (normalised: no duplicate literal, no tautology).

    ``lit_var``/``lit_pos``/``lit_clause`` (L,) describe the literal occurrences (0-based
    variables, ``lit_pos`` True for a positive literal). ``cl_var``/``cl_pos`` (m+1, K)
    pad each clause to the longest one with the dummy variable ``n``; row ``m`` is a
    dummy clause. ``occ_clause``/``occ_pos`` (n+1, D) are the occurrence lists padded
    with the dummy clause ``m``. ``weight`` (m,) are the soft weights, ``hard`` (m,) the
    hard mask.
    """

    n: int
    m: int
    lit_var: torch.Tensor
    lit_pos: torch.Tensor
    lit_clause: torch.Tensor
    cl_var: torch.Tensor
    cl_pos: torch.Tensor
    cl_len: torch.Tensor
    occ_clause: torch.Tensor
    occ_pos: torch.Tensor
    weight: torch.Tensor
    hard: torch.Tensor
    max_len: int

    @property
    def device(self) -> torch.device:
        return self.lit_var.device


def normalize_clauses(
    clauses: list[list[int]],
) -> tuple[list[list[int]], np.ndarray]:
    """Drop repeated literals and tautological clauses; return kept clauses and their indices.

    A tautology (x ∨ ¬x ∨ ...) is satisfied by every assignment, so dropping it changes
    no objective.

    >>> normalize_clauses([[1, 1, -2], [3, -3], [2]])
    ([[1, -2], [2]], array([0, 2]))
    """
    out, keep = [], []
    for i, c in enumerate(clauses):
        lits = list(dict.fromkeys(c))
        s = set(lits)
        if any(-lit in s for lit in lits):
            continue
        out.append(lits)
        keep.append(i)
    return out, np.asarray(keep, dtype=np.int64)


def clause_tensors(
    n_vars: int,
    clauses: list[list[int]],
    weight: np.ndarray | None = None,
    hard: np.ndarray | None = None,
    device: torch.device | str = "cpu",
) -> ClauseTensors:
    """Build :class:`ClauseTensors` from already normalised DIMACS clauses.

    >>> ct = clause_tensors(3, [[1, -2], [2, 3, -1]])
    >>> ct.cl_var.tolist(), ct.occ_clause.shape
    ([[0, 1, 3], [1, 2, 0], [3, 3, 3]], torch.Size([4, 2]))
    """
    m = len(clauses)
    lengths = np.fromiter((len(c) for c in clauses), np.int64, m)
    flat = np.fromiter((x for c in clauses for x in c), np.int64, int(lengths.sum()))
    var = np.abs(flat) - 1
    pos = flat > 0
    clause = np.repeat(np.arange(m, dtype=np.int64), lengths)
    K = int(lengths.max()) if m else 1
    start = np.zeros(m, np.int64)
    if m:
        start[1:] = np.cumsum(lengths)[:-1]
    slot = np.arange(len(flat)) - np.repeat(start, lengths)
    cl_var = np.full((m + 1, K), n_vars, np.int64)
    cl_pos = np.zeros((m + 1, K), bool)
    cl_var[clause, slot] = var
    cl_pos[clause, slot] = pos
    # occurrence lists
    order = np.argsort(var, kind="stable")
    cnt = np.bincount(var, minlength=n_vars)
    D = max(int(cnt.max(initial=0)), 1)
    vstart = np.zeros(n_vars, np.int64)
    if n_vars:
        vstart[1:] = np.cumsum(cnt)[:-1]
    vs = var[order]
    oslot = np.arange(len(vs)) - vstart[vs]
    occ_clause = np.full((n_vars + 1, D), m, np.int64)
    occ_pos = np.zeros((n_vars + 1, D), bool)
    occ_clause[vs, oslot] = clause[order]
    occ_pos[vs, oslot] = pos[order]
    w = np.ones(m) if weight is None else np.asarray(weight, np.float64)
    h = np.zeros(m, bool) if hard is None else np.asarray(hard, bool)
    dev = torch.device(device)

    def t(a, dtype=None):
        return torch.as_tensor(a, dtype=dtype, device=dev)

    return ClauseTensors(
        n=n_vars,
        m=m,
        lit_var=t(var),
        lit_pos=t(pos),
        lit_clause=t(clause),
        cl_var=t(cl_var),
        cl_pos=t(cl_pos),
        cl_len=t(lengths),
        occ_clause=t(occ_clause),
        occ_pos=t(occ_pos),
        weight=t(w, torch.float64),
        hard=t(h),
        max_len=K,
    )


def true_counts(ct: ClauseTensors, z: torch.Tensor) -> torch.Tensor:
    """Number of true literals per clause, (B, m+1) int32 (last column: the dummy clause)."""
    B = z.shape[0]
    val = (z[:, ct.lit_var] == ct.lit_pos).to(torch.int32)
    nt = torch.zeros(B, ct.m + 1, dtype=torch.int32, device=z.device)
    nt.index_add_(1, ct.lit_clause, val)
    nt[:, ct.m] = _BIG
    return nt


def falsified(ct: ClauseTensors, z: torch.Tensor) -> torch.Tensor:
    """(B, m) bool: clauses falsified by the 0/1 assignments ``z`` (B, n)."""
    return true_counts(ct, z.bool())[:, : ct.m] == 0


def _block_size(slots: int) -> int:
    """Clauses per block for ``slots`` clause slots: ⌈√slots⌉, so both levels of
    :func:`_pick_falsified` are O(√slots).

    >>> _block_size(1), _block_size(16), _block_size(17), _block_size(1066)
    (1, 4, 5, 33)
    """
    return math.isqrt(max(slots, 1) - 1) + 1


def _block_sums(unsat: torch.Tensor, sel_w: torch.Tensor | None, bs: int) -> torch.Tensor:
    """(B, nb) falsified count (``sel_w is None``, int32) or falsified selection weight
    (int64) per block of ``bs`` clauses; ``unsat`` (B, nb·bs) bool, ``sel_w`` (nb·bs,)."""
    B = unsat.shape[0]
    if sel_w is None:
        return unsat.view(B, -1, bs).sum(-1, dtype=torch.int32)
    return (unsat * sel_w).view(B, -1, bs).sum(-1)


def _pick_falsified(
    unsat: torch.Tensor,
    sel_w: torch.Tensor | None,
    bsum: torch.Tensor,
    u: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One falsified clause per walker, uniformly (``sel_w is None``) or ∝ ``sel_w``.

    ``unsat`` (B, nb·bs) is the falsified mask (padding columns False), ``bsum`` (B, nb) its
    :func:`_block_sums`, ``u`` (B,) float64 uniforms in [0, 1). The target rank
    t = ⌊u · total⌋ is found in two levels: the block whose cumulative total passes t
    (a cumsum over nb), then the clause inside it (a cumsum over bs) — O(nb + bs) per
    walker. Returns ``(clause, active)``: the clause index (B,) long (meaningless where
    ``active`` is False: the walker has nothing falsified).

    >>> unsat = torch.tensor([[False, True, False, True], [False] * 4])
    >>> bsum = _block_sums(unsat, None, 2)
    >>> c, act = _pick_falsified(unsat, None, bsum, torch.tensor([0.7, 0.3], dtype=torch.float64))
    >>> c[0].item(), act.tolist()
    (3, [True, False])
    """
    B, nb = bsum.shape
    bs = unsat.shape[1] // nb
    dt = bsum.dtype
    cb = torch.cumsum(bsum, dim=1, dtype=dt)
    tot = cb[:, -1:]
    # t ∈ [0, tot) exactly (min: u·tot may round up to tot); t = -1 where tot = 0, which
    # lands on clause 0 below without any clamp
    t = torch.minimum((u[:, None] * tot).to(dt), tot - 1)
    blk = torch.searchsorted(cb, t, right=True)  # (B, 1): first block with cb > t
    t = t - (cb - bsum).gather(1, blk)  # rank inside the block, < its total
    x = unsat.view(B, nb, bs).gather(1, blk[:, :, None].expand(B, 1, bs)).squeeze(1)
    if sel_w is not None:
        x = x * sel_w.view(nb, bs)[blk.squeeze(1)]
    cs = torch.cumsum(x, dim=1, dtype=dt)
    j = torch.searchsorted(cs, t, right=True)  # first clause with cs > t
    return (blk * bs + j).squeeze(1), tot.squeeze(1) > 0


def local_search(
    ct: ClauseTensors,
    z: torch.Tensor,
    *,
    time_limit: float | None = None,
    max_steps: int = 20000,
    walkers: int | None = None,
    generator: torch.Generator | None = None,
    mode: str = "sat",
    noise: float = 0.2,
    check_every: int = 50,
    target: float | None = None,
    stall_steps: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run batched probSAT (``mode="sat"``) or weighted WalkSAT (``mode="maxsat"``).

    ``z`` (B0, n) are the starting assignments; they are tiled up to ``walkers`` rows
    (default B0). Stops when a walker satisfies every clause (SAT) / reaches cost
    ``target`` (MaxSAT, default 0), after ``max_steps`` steps, or at ``time_limit``
    seconds, or (with ``stall_steps``) when the best cost of all walkers has not improved
    for that many steps. Returns ``(best, cost)``: each walker's best assignment (B, n) bool and its
    cost (B,) float64 — falsified clauses (SAT) or ``n_hard_falsified · (soft_total + 1)
    + falsified soft weight`` (MaxSAT). Huge weights (near 1e308) are walked on scaled by a
    power of two (:func:`_weight_shift`), so a cost past the float64 range comes back inf.

    >>> ct = clause_tensors(3, [[1, 2], [-1, 2], [1, -2], [-1, -2, 3]])
    >>> best, cost = local_search(ct, torch.zeros(4, 3, dtype=torch.bool),
    ...                           generator=torch.Generator().manual_seed(0))
    >>> float(cost.min()), best[int(cost.argmin())].tolist()
    (0.0, [True, True, True])
    """
    if mode not in ("sat", "maxsat"):
        raise ValueError("mode must be 'sat' or 'maxsat'")
    t0 = time.perf_counter()
    dev = z.device
    z = z.bool()
    if walkers is not None and walkers > z.shape[0]:
        reps = -(-walkers // z.shape[0])
        z = z.repeat(reps, 1)[:walkers]
    B, n, m = z.shape[0], ct.n, ct.m
    a = torch.cat([z, torch.zeros(B, 1, dtype=torch.bool, device=dev)], dim=1)  # dummy var n
    nt = true_counts(ct, a[:, :n])
    rows = torch.arange(B, device=dev)
    K = ct.cl_var.shape[1]
    D = ct.occ_clause.shape[1]
    occ_valid = ct.occ_clause < m  # (n+1, D)
    weighted = mode == "maxsat"
    # weights near 1e308 would overflow soft_total (and every cost) to inf and make the
    # costs NaN (0 · inf): the walk runs on weights scaled by 2^-shift (exact, 0 when the
    # costs fit) and the returned costs are scaled back
    shift = _weight_shift(ct) if weighted else 0
    weight = ct.weight * 2.0**-shift if shift else ct.weight
    soft_total = float(weight[~ct.hard].sum()) if m else 0.0
    hard_w = soft_total + 1.0
    if weighted:
        w_eff = torch.where(ct.hard, torch.full_like(weight, hard_w), weight)
        w_eff = torch.cat([w_eff, torch.zeros(1, dtype=w_eff.dtype, device=dev)])
        # selection weights (integers): a falsified hard clause is picked first with
        # probability ≥ 1 − 1/100 against every soft clause together
        sel_w = torch.where(ct.hard, torch.full_like(ct.cl_len, 100 * (m + 1)), 1)
        goal = 0.0 if target is None else math.ldexp(float(target), -shift)
    else:
        variant, cb, eps = probsat_params(int(ct.cl_len.max()) if m else 3)

    def exact_cost(nt: torch.Tensor) -> torch.Tensor:
        unsat = nt == 0
        if weighted:
            return unsat.to(torch.float64) @ w_eff
        return unsat.sum(1).to(torch.float64)

    def unscaled(c: torch.Tensor) -> torch.Tensor:
        return c * 2.0**shift if shift else c  # a power of two: exact, inf past float64

    cost = exact_cost(nt)
    best, best_cost = a[:, :n].clone(), cost.clone()
    if m == 0 or max_steps <= 0:
        return best, unscaled(best_cost)
    # falsified mask (B, nb·bs), kept up to date: the dummy clause m and the padding up to
    # whole blocks are never falsified; bsum (B, nb) its per-block count / selection weight
    bs = _block_size(m + 1)
    nb = -(-(m + 1) // bs)
    unsat = torch.zeros(B, nb * bs, dtype=torch.bool, device=dev)
    unsat[:, : m + 1] = nt == 0
    occ_block = ct.occ_clause // bs  # (n+1, D)
    if weighted:
        sel_w = torch.cat([sel_w, torch.zeros(nb * bs - m, dtype=sel_w.dtype, device=dev)])
        w_occ = w_eff[ct.occ_clause]  # (n+1, D), 0 on padding
        sel_occ = sel_w[ct.occ_clause]
    else:
        sel_w = None
    bsum = _block_sums(unsat, sel_w, bs)
    step = 0
    last_best, last_step = float(best_cost.min()), 0
    while step < max_steps:
        # float64: exact picks even when the hard selection weights make the total ≫ 2^24
        r = torch.rand(B, 3, generator=generator, device=dev, dtype=torch.float64)
        c, active = _pick_falsified(unsat, sel_w, bsum, r[:, 0])
        c = torch.where(active, c, m)
        vars_ = ct.cl_var[c]  # (B, K)
        cand = vars_ < n
        cur = a.gather(1, vars_)  # (B, K)
        occ = ct.occ_clause[vars_]  # (B, K, D)
        ntv = nt.gather(1, occ.view(B, K * D)).view(B, K, D)
        crit = (ntv == 1) & (ct.occ_pos[vars_] == cur[..., None])
        if weighted:
            wo = w_occ[vars_]
            score = (wo * crit).sum(-1) - (wo * (ntv == 0)).sum(-1)
            score = torch.where(cand, score, torch.full_like(score, torch.inf))
            # ties broken at random, then greedy with probability 1 − noise
            jitter = torch.rand(B, K, generator=generator, device=dev) * 1e-6
            greedy = torch.argmin(score + jitter * (score.abs() + 1.0), dim=1)
            nvalid = cand.sum(1)
            rnd = (r[:, 2] * nvalid).long().clamp_max(nvalid - 1).clamp_min(0)
            choice = torch.where(r[:, 1] < noise, rnd, greedy)
        else:
            brk = crit.sum(-1).to(torch.float32)
            p = (eps + brk).pow(-cb) if variant == "poly" else torch.pow(cb, -brk)
            p = p * cand
            cp = torch.cumsum(p, dim=1)
            u = (r[:, 1:2] * cp[:, -1:]).to(cp.dtype)
            choice = torch.searchsorted(cp, u).squeeze(1).clamp_max(K - 1)
        v = vars_.gather(1, choice[:, None]).squeeze(1)
        v = torch.where(active, v, n)
        old = a[rows, v]
        ov = ct.occ_clause[v]  # (B, D)
        valid = occ_valid[v]
        was_true = ct.occ_pos[v] == old[:, None]
        nto = nt.gather(1, ov)
        # incremental cost: clauses this flip falsifies minus those it satisfies
        gone = (nto == 1) & was_true
        made = (nto == 0) & ~was_true
        # (gone and made are False on the padding: the dummy clause's numtrue is _BIG)
        chg = gone.to(bsum.dtype) - made.to(bsum.dtype)  # falsified count change
        if weighted:
            cost = cost + (w_occ[v] * (gone.to(torch.float64) - made.to(torch.float64))).sum(1)
            chg = chg * sel_occ[v]
        else:
            cost = cost + chg.sum(1)
        delta = torch.where(was_true, -1, 1).to(torch.int32) * valid
        nt.scatter_add_(1, ov, delta)
        unsat.scatter_(1, ov, (nto + delta) == 0)  # ov has no repeat but the dummy clause
        bsum.scatter_add_(1, occ_block[v], chg)
        a[rows, v] = ~old
        step += 1
        if weighted or step % check_every == 0:
            better = cost < best_cost
            best = torch.where(better[:, None], a[:, :n], best)
            best_cost = torch.minimum(best_cost, cost)
        if step % check_every == 0:
            if weighted:  # drop float drift of the incremental sums
                cost = exact_cost(nt)
            now = float(best_cost.min())
            if now < last_best:
                last_best, last_step = now, step
            done = now <= (goal if weighted else 0.0)
            if stall_steps is not None and step - last_step >= stall_steps:
                done = True
            if done or (time_limit is not None and time.perf_counter() - t0 > time_limit):
                break
    better = cost < best_cost
    best = torch.where(better[:, None], a[:, :n], best)
    best_cost = torch.minimum(best_cost, cost)
    return best, unscaled(best_cost)


def _weight_shift(ct: ClauseTensors) -> int:
    """Smallest k ≥ 0 with every MaxSAT walk cost of ``ct.weight · 2^-k`` finite.

    A cost is at most (m + 1) · (soft_total + 1) ≤ (m + 1)² · max weight + m + 1.

    >>> ct = clause_tensors(1, [[1], [-1]], np.array([1e308, 1e308]))
    >>> _weight_shift(ct) > 0, _weight_shift(clause_tensors(1, [[1]], np.array([5.0])))
    (True, 0)
    """
    if ct.m == 0:
        return 0
    soft = ct.weight[~ct.hard]
    top = float(soft.abs().max()) if soft.numel() else 0.0
    if top == 0.0:
        return 0
    e = math.frexp(top)[1]  # top < 2^e
    return max(0, e + 2 * (ct.m + 2).bit_length() - 1000)
