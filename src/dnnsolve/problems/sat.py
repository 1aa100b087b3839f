"""SAT and weighted partial MaxSAT with dataless losses and a batched SLS polish.

Relaxed variables x ∈ (0, 1)^n are P(x_v = true); a literal's value is x_v for a
positive and 1 − x_v for a negative literal. Two differentiable losses (``formulation``):

* ``"prob"`` — expected falsified weight under independent Bernoulli variables:
  L(x) = Σ_c w_c Π_{ℓ∈c} (1 − val(ℓ)), the product taken as exp(Σ log(1 − val(ℓ)))
  with a segment sum over the literal occurrences (stable and differentiable).
* ``"fourier"`` — FourierSAT (Kyrillidis, Shrivastava, Vardi & Zhang, AAAI 2020): the
  Walsh–Fourier (multilinear) expansion of each clause on spins s = 2x − 1 ∈ [−1, 1]
  (here s = +1 is true). A clause is the Boolean function f_c(s) = −1 if satisfied,
  +1 if falsified, whose multilinear extension is
  FE_c(s) = 2 Π_{ℓ∈c} (1 − σ_ℓ s_{v(ℓ)}) / 2 − 1 (σ_ℓ = ±1 the literal's sign), and
  FourierSAT minimises F(s) = Σ_c w_c FE_c(s) over the box: F = −Σ w_c exactly at the
  models. It is computed as a direct product over the clause's padded literal table
  and optimised by projected gradient steps on the box (``squash="clamp"``).

Clause weights w_c adapt during training (*clause reweighting*, as in SLS solvers and
FourierSAT's weighted restarts): every ``reweight_every`` loss evaluations, each
restart multiplies the weights of the clauses its rounded assignment falsifies by
1 + ``reweight`` (an hparam, so it can differ between restarts) and renormalises them
to their original mean. The weights are a (B, m) buffer of the problem.

Decoding rounds at ½; :meth:`local_search` runs batched probSAT (SAT) / weighted
WalkSAT (MaxSAT) walkers from the decoded assignments (:mod:`dnnsolve.search.sat`).
The method is incomplete: a model is reported (``Result.status`` ``"sat"``, ``feasible``)
only after a clause-by-clause check; otherwise the best assignment found is reported with
``feasible`` false, its falsified clauses as the objective and status ``"unknown"``, unless
``--exact`` hands the formula to CaDiCaL (``"sat"`` or ``"unsat"``). MaxSAT answers carry a
certified lower bound on the cost from unsatisfiable cores (:mod:`dnnsolve.bounds.maxsat`) and
the proven gap; SAT has none (a model is its own proof). MaxSAT reports
``"optimal"`` (nothing falsified, or RC2's optimum), ``"feasible"`` (every hard clause true),
``"unknown"`` (a hard clause falsified: not feasible) or ``"unsat"`` (RC2: the hard clauses
cannot all hold).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..baselines.sat import probsat
from ..core.bound import Bound, relative_gap
from ..core.callbacks import Callback
from ..core.errors import InputError
from ..core.parameterization import FreeVariables
from ..core.problem import Evaluation, Problem
from ..core.result import Result
from ..core.solver import SolverConfig
from ..io.cnf import CNF, read_cnf
from ..io.wcnf import WCNF, detect_sat_format, read_wcnf, weight_sum
from ..methods import BuildContext, ExactOptions, Method, register, register_problem, run_method
from ..params.clause_graph import ClauseGraphNetwork
from ..search import sat as kernels

_EPS = 1e-12


def _unit_mean(weights: np.ndarray, soft: np.ndarray) -> np.ndarray:
    """``weights / mean(soft weights)`` without overflowing on weights near 1e308.

    The loss only needs relative weights: dividing by the maximum first keeps the mean
    finite (a plain mean of 1e308s is inf, which zeroed every loss weight).

    >>> _unit_mean(np.array([1e308, 1e308, 5e307, 0.0]), np.array([True, True, True, False]))
    array([1.2, 1.2, 0.6, 0. ])
    """
    w = np.asarray(weights, np.float64)
    if not soft.any():
        return w.copy()
    with np.errstate(over="ignore"):
        mean = float(w[soft].mean())
    if np.isfinite(mean) and mean > 0:
        return w / mean
    top = float(w[soft].max())
    if top <= 0:
        return w.copy()
    rel = w / top
    return rel / float(rel[soft].mean())


class _ClauseProblem(Problem):
    """Shared machinery of :class:`Satisfiability` and :class:`MaxSat`."""

    sense = "min"

    def __init__(
        self,
        n_vars: int,
        clauses: list[list[int]],
        weights: np.ndarray,
        hard: np.ndarray,
        name: str,
        device: torch.device | str = "cpu",
        formulation: str = "prob",
        reweight_every: int = 10,
        walkers: int | None = None,
    ):
        if formulation not in ("prob", "fourier"):
            raise ValueError(f"unknown formulation {formulation!r}; choose prob or fourier")
        self.n_vars = int(n_vars)
        self.instance = name
        self.formulation = formulation
        self.reweight_every = max(int(reweight_every), 0)
        dev = torch.device(device)
        self.walkers = walkers or (512 if dev.type == "cuda" else 64)
        self.generator: torch.Generator | None = None
        # the original clauses, for verify (NumPy, no normalisation shared with the kernels)
        self._orig = [list(c) for c in clauses]
        lens = np.fromiter((len(c) for c in clauses), np.int64, len(clauses))
        flat = np.fromiter((x for c in clauses for x in c), np.int64, int(lens.sum()))
        self._v_var = np.abs(flat) - 1
        self._v_pos = flat > 0
        self._v_start = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        self._v_w = np.asarray(weights, np.float64)
        self._v_hard = np.asarray(hard, bool)
        # normalised clauses (no repeated literal, no tautology) for losses and kernels
        kept, keep = kernels.normalize_clauses(clauses)
        self.ct = kernels.clause_tensors(
            self.n_vars, kept, self._v_w[keep], self._v_hard[keep], dev
        )
        soft = ~self._v_hard[keep]
        base = _unit_mean(self._v_w[keep], soft)
        self._soft_mask = torch.as_tensor(soft, device=dev)
        self._base_w = torch.as_tensor(np.where(soft, base, 0.0), dtype=torch.float32, device=dev)
        self._hard_scale = float(base[soft].max()) if soft.any() else 1.0
        self._cw: torch.Tensor | None = None  # (B, m) adaptive clause weights
        self._calls = 0

    # -- losses ------------------------------------------------------------------
    def _clause_weights(self, B: int, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        hard_w = hp["hard"][:, None] * self._hard_scale if "hard" in hp else 1.0
        base = torch.where(self._soft_mask, self._base_w, hard_w * torch.ones_like(self._base_w))
        base = base.expand(B, -1)
        if self._cw is None or self._cw.shape[0] != B:
            self._cw = torch.ones(B, self.ct.m, device=base.device)
        return base * self._cw

    def falsified_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Π_{ℓ∈c}(1 − val(ℓ)) per restart and clause, (B, m), via log-space segment sums.

        >>> p = Satisfiability(CNF(2, [[1, -2]]))
        >>> p.falsified_prob(torch.tensor([[0.0, 1.0], [0.5, 0.5]])).flatten().tolist()
        [1.0, 0.25]
        """
        ct = self.ct
        xl = x[:, ct.lit_var]
        false_p = torch.where(ct.lit_pos, 1.0 - xl, xl).clamp_min(_EPS)
        logs = torch.zeros(x.shape[0], ct.m, dtype=x.dtype, device=x.device)
        logs = logs.index_add(1, ct.lit_clause, torch.log(false_p))
        return torch.exp(logs)

    def fourier_expansion(self, x: torch.Tensor) -> torch.Tensor:
        """FourierSAT's FE_c(s) = 2 Π_{ℓ∈c} (1 − σ_ℓ s_v)/2 − 1 with s = 2x − 1, (B, m).

        −1 for a satisfied clause and +1 for a falsified one at a 0/1 point.

        >>> p = Satisfiability(CNF(2, [[1, -2]]))
        >>> p.fourier_expansion(torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.5, 0.5]])).flatten().tolist()
        [1.0, -1.0, -0.5]
        """
        ct = self.ct
        s = 2.0 * x - 1.0
        s = torch.cat([s, torch.zeros_like(s[:, :1])], dim=1)  # dummy variable (padding)
        sv = s[:, ct.cl_var[: ct.m]]  # (B, m, K)
        sigma = torch.where(ct.cl_pos[: ct.m], 1.0, -1.0).to(s.dtype)
        factor = (1.0 - sigma * sv) / 2.0
        factor = torch.where(ct.cl_var[: ct.m] < ct.n, factor, torch.ones_like(factor))
        return 2.0 * factor.prod(dim=-1) - 1.0

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        B = x.shape[0]
        w = self._clause_weights(B, hp)
        if self.formulation == "fourier":
            val = (w * self.fourier_expansion(x)).sum(dim=1)
        else:
            val = (w * self.falsified_prob(x)).sum(dim=1)
        self._calls += 1
        if self.reweight_every and self._calls % self.reweight_every == 0 and "reweight" in hp:
            self._reweight(x.detach(), hp["reweight"])
        return val

    def _reweight(self, x: torch.Tensor, rate: torch.Tensor) -> None:
        """Clause reweighting: falsified clauses of each restart's rounding gain weight."""
        with torch.no_grad():
            bad = kernels.falsified(self.ct, x > 0.5).to(x.dtype)
            cw = self._cw * (1.0 + rate[:, None] * bad)
            self._cw = cw / cw.mean(dim=1, keepdim=True)

    # -- discrete side -------------------------------------------------------------
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x > 0.5

    def _counts(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(falsified soft weight, falsified hard count) per row, float64."""
        bad = kernels.falsified(self.ct, z.bool()).to(torch.float64)
        soft = bad @ torch.where(self.ct.hard, 0.0, self.ct.weight)
        hard = bad @ self.ct.hard.to(torch.float64)
        return soft, hard

    def _check(self, solution: np.ndarray) -> tuple[float, float] | None:
        """NumPy re-check on the original clauses: (falsified soft weight, hard count)."""
        a = np.asarray(solution).reshape(-1)
        if a.shape != (self.n_vars,):
            return None
        a = a.astype(bool)
        if len(self._v_var) == 0:
            return 0.0, 0.0
        true_lit = a[self._v_var] == self._v_pos
        sat = np.logical_or.reduceat(true_lit, self._v_start)
        soft = weight_sum(self._v_w[~sat & ~self._v_hard])  # no overflow on 1e308 weights
        hard = float((~sat & self._v_hard).sum())
        return soft, hard

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Batched probSAT (SAT) / weighted WalkSAT (MaxSAT) from the decoded assignments.

        The candidates are tiled to ``walkers`` rows. With ``time_limit=None`` it runs at
        most 20 000 steps (deterministic for a seeded generator), and MaxSAT stops after
        2 000 steps without a better cost.
        """
        steps = 20000 if time_limit is None else 1 << 40
        stall = 2000 if time_limit is None and self.search_mode == "maxsat" else None
        best, _ = kernels.local_search(
            self.ct,
            z,
            time_limit=time_limit,
            max_steps=steps,
            walkers=max(self.walkers, z.shape[0]),
            generator=generator,
            mode=self.search_mode,
            target=self.reference(),
            stall_steps=stall,
        )
        return best

    search_mode = "sat"

    def solution_output(self, solution: np.ndarray) -> list[int]:
        """DIMACS signed literals: [1, -2, 3, ...] (v if x_v is true, −v otherwise)."""
        a = np.asarray(solution).reshape(-1).astype(bool)
        idx = np.arange(1, len(a) + 1)
        return np.where(a, idx, -idx).tolist()


class Satisfiability(_ClauseProblem):
    """SAT: minimise the number of falsified clauses; 0 is a model (``reference() == 0``).

    >>> p = Satisfiability(CNF(2, [[1, -2], [2]]))
    >>> p.verify(np.array([1, 1])), p.verify(np.array([0, 1]))
    ((0.0, True), (1.0, False))
    >>> p.solution_output(np.array([1, 0]))
    [1, -2]
    """

    name = "sat"

    def __init__(
        self,
        cnf: CNF,
        device: torch.device | str = "cpu",
        formulation: str = "prob",
        reweight_every: int = 10,
        walkers: int | None = None,
    ):
        m = len(cnf.clauses)
        super().__init__(
            cnf.n_vars,
            cnf.clauses,
            np.ones(m),
            np.zeros(m, bool),
            cnf.name,
            device,
            formulation,
            reweight_every,
            walkers,
        )
        self.cnf = cnf
        self.hparams = {"reweight": 0.3}

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        soft, _ = self._counts(z)
        return Evaluation(soft, torch.ones_like(soft, dtype=torch.bool))

    baseline_name = "probsat"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """One classical probSAT walker (:func:`~dnnsolve.baselines.probsat`) from a random
        assignment, for ``time_limit`` seconds (100 n flips without a limit)."""
        seed = generator.initial_seed() % 2**31 if generator is not None else 0
        flips = 100 * self.n_vars if time_limit is None else None
        run = probsat(self.cnf, time_limit=time_limit, max_flips=flips, seed=seed)
        return torch.as_tensor(run.solution, dtype=torch.bool, device=self.ct.weight.device)[None]

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """(falsified clauses, feasible): every clause is a hard constraint of SAT, so only a
        model is feasible (training still ranks assignments by the falsified count)."""
        r = self._check(solution)
        if r is None:
            return float("nan"), False
        return r[0], bool(r[0] == 0.0)

    def reference(self) -> float | None:
        return 0.0


class MaxSat(_ClauseProblem):
    """Weighted partial MaxSAT: minimise falsified soft weight with every hard clause true.

    >>> f = WCNF(2, [[1, 2], [-1], [-2]], np.array([0, 3, 1]), np.array([True, False, False]))
    >>> p = MaxSat(f)
    >>> p.verify(np.array([0, 1])), p.verify(np.array([0, 0]))
    ((1.0, True), (0.0, False))
    """

    name = "maxsat"
    search_mode = "maxsat"

    def __init__(
        self,
        wcnf: WCNF,
        device: torch.device | str = "cpu",
        formulation: str = "prob",
        reweight_every: int = 10,
        walkers: int | None = None,
        reference: float | None = None,
    ):
        super().__init__(
            wcnf.n_vars,
            wcnf.clauses,
            wcnf.weights,
            wcnf.hard,
            wcnf.name,
            device,
            formulation,
            reweight_every,
            walkers,
        )
        self.wcnf = wcnf
        self._reference = reference
        self.hparams = {"reweight": 0.3, "hard": 2.0}

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        soft, hard = self._counts(z)
        # a falsified weight past float64 (weights near 1e308) ranks as the largest float
        # instead of inf, which would score it as infeasible; verify reports it as inf
        soft = soft.clamp_max(torch.finfo(torch.float64).max)
        return Evaluation(soft, hard == 0)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        r = self._check(solution)
        if r is None:
            return float("nan"), False
        return r[0], r[1] == 0

    def reference(self) -> float | None:
        return self._reference


# ------------------------------------------------------------------ loading


def load_cnf(instance: Any, fmt: str | None = None) -> CNF:
    """A :class:`CNF`, a DIMACS file path, or a list of DIMACS clauses → :class:`CNF`."""
    if isinstance(instance, CNF):
        return instance
    if isinstance(instance, WCNF):
        if instance.n_hard != instance.n_clauses:
            raise InputError("a MaxSAT formula with soft clauses is not a SAT instance; use maxsat")
        return CNF(instance.n_vars, instance.clauses, instance.name)
    if isinstance(instance, (str, Path)):
        p = Path(instance)
        kind = fmt or detect_sat_format(p)
        if kind == "wcnf":
            raise InputError(f"{p.name} is a WCNF (MaxSAT) file; use `dnnsolve solve maxsat`")
        if kind != "cnf":
            raise InputError(f"unknown SAT format {kind!r}; use cnf")
        return read_cnf(p)
    if isinstance(instance, Sequence):
        clauses = [list(map(int, c)) for c in instance]
        n = max((abs(x) for c in clauses for x in c), default=0)
        return CNF(n, clauses)
    raise InputError(f"cannot use an instance of type {type(instance).__name__} for sat")


def load_wcnf(instance: Any, fmt: str | None = None) -> WCNF:
    """A :class:`WCNF`, a :class:`CNF` (all clauses soft, weight 1) or a WCNF/CNF file."""
    if isinstance(instance, WCNF):
        return instance
    if isinstance(instance, CNF):
        return WCNF.from_cnf(instance)
    if isinstance(instance, (str, Path)):
        p = Path(instance)
        kind = fmt or detect_sat_format(p)
        if kind == "wcnf":
            return read_wcnf(p)
        if kind == "cnf":
            return WCNF.from_cnf(read_cnf(p))
        raise InputError(f"unknown MaxSAT format {kind!r}; use wcnf or cnf")
    raise InputError(f"cannot use an instance of type {type(instance).__name__} for maxsat")


# ------------------------------------------------------------------ runners


def _assignment(solution: Any, n_vars: int) -> np.ndarray | None:
    """Signed-literal list → 0/1 array (None if it is not one literal per variable)."""
    if not isinstance(solution, (list, tuple, np.ndarray)):
        return None
    lits = np.asarray(solution, dtype=np.int64).reshape(-1)
    if len(lits) != n_vars or not np.array_equal(np.abs(lits), np.arange(1, n_vars + 1)):
        return None
    return (lits > 0).astype(np.int8)


def _literals(assignment: np.ndarray) -> list[int]:
    a = np.asarray(assignment).reshape(-1).astype(bool)
    idx = np.arange(1, len(a) + 1)
    return np.where(a, idx, -idx).tolist()


def _sat_runner(
    method: Method,
    cnf: CNF,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """Run the dataless solver; report ``sat`` only for a model checked clause by clause.

    Every clause is a hard constraint: an assignment that falsifies one is not feasible. It is
    still reported as the best one found (objective = its falsified clauses), with status
    ``unknown``, or ``unsat`` when ``--exact`` proves the formula unsatisfiable.
    """
    from ..baselines.sat import cadical, count_falsified

    t0 = time.perf_counter()
    result = run_method(method, cnf, ctx, config, callbacks)
    a = _assignment(result.solution, cnf.n_vars)
    model_ok = a is not None and count_falsified(cnf.clauses, a) == 0 and cnf.satisfied(a)
    result.status = "sat" if model_ok else "unknown"
    result.feasible = bool(model_ok)
    result.extra["checked"] = bool(model_ok)
    if not model_ok and ctx.options.get("exact"):
        left = None
        if config.time_limit is not None:
            left = max(config.time_limit - (time.perf_counter() - t0), 1.0)
        c = cadical(cnf, time_limit=left)
        result.extra["exact"] = {"solver": "cadical153", "status": c.status, "time_s": c.time_s}
        result.time_s += c.time_s
        if c.status == "sat" and cnf.satisfied(c.solution):
            result.solution = _literals(c.solution)
            result.objective, result.feasible = 0.0, True
            result.found_by = "cadical"
            result.status = "sat"
            result.extra["checked"] = True
        elif c.status == "unsat":
            result.solution, result.objective, result.feasible = None, None, False
            result.found_by = "cadical"
            result.status = "unsat"
    return result


def _maxsat_runner(
    method: Method,
    wcnf: WCNF,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """Run the dataless solver; ``--exact`` adds RC2's proven optimum."""
    from ..baselines.sat import maxsat_cost, rc2

    result = run_method(method, wcnf, ctx, config, callbacks)
    a = _assignment(result.solution, wcnf.n_vars)
    cost, ok = maxsat_cost(wcnf, a) if a is not None else (float("nan"), False)
    obj = float("nan") if result.objective is None else float(result.objective)
    # equal (a cost beyond float64 is inf in both checks) or within rounding
    ok = ok and (cost == obj or abs(cost - obj) < 1e-6 * max(1.0, abs(cost)))
    if not ok:
        status = "unknown"  # a hard clause falsified (or an unreadable answer): not feasible
    elif cost == 0.0:
        status = "optimal"  # nothing falsified: no assignment does better
    else:
        status = "feasible"
    result.status = status
    result.feasible = bool(ok)
    if ctx.options.get("exact") and status != "optimal":
        r = rc2(wcnf)
        result.extra["exact"] = {"solver": "rc2", "status": r.status, "time_s": r.time_s}
        result.time_s += r.time_s
        if r.status == "infeasible":
            result.status = "unsat"
            result.solution, result.objective, result.feasible = None, None, False
            result.found_by = "rc2"
        elif r.feasible:
            if not ok or r.objective < cost - 1e-9:
                result.solution = _literals(r.solution)
                result.objective, result.feasible = r.objective, True
                result.found_by = "rc2"
            result.status = "optimal"
    return result


def _v_lines(literals: Any, per_line: int = 20) -> list[str]:
    lits = [int(v) for v in literals] + [0]
    return [
        "v " + " ".join(map(str, lits[k : k + per_line])) for k in range(0, len(lits), per_line)
    ]


def sat_lines(result: Result) -> list[str]:
    """The SAT competition's output: ``s SATISFIABLE`` and the model's ``v`` lines,
    ``s UNSATISFIABLE`` or ``s UNKNOWN``.

    >>> from dnnsolve.core.result import Result
    >>> sat_lines(Result("sat", "f", "pcqo", 0.0, True, [1, -2], 0.1, "cpu", 0, status="sat"))
    ['c dnnsolve pcqo on f', 's SATISFIABLE', 'v 1 -2 0']
    """
    word = {"sat": "SATISFIABLE", "unsat": "UNSATISFIABLE"}.get(result.status, "UNKNOWN")
    lines = [f"c dnnsolve {result.method} on {result.instance}", f"s {word}"]
    return lines + (_v_lines(result.solution) if word == "SATISFIABLE" else [])


def maxsat_lines(result: Result) -> list[str]:
    """The MaxSAT evaluation's output: ``s OPTIMUM FOUND`` / ``SATISFIABLE`` /
    ``UNSATISFIABLE`` / ``UNKNOWN``, the cost (``o``, falsified soft weight) and ``v`` lines."""
    word = {
        "optimal": "OPTIMUM FOUND",
        "feasible": "SATISFIABLE",
        "unsat": "UNSATISFIABLE",
    }.get(result.status, "UNKNOWN")
    answered = word in ("OPTIMUM FOUND", "SATISFIABLE") and result.solution is not None
    lines = [f"c dnnsolve {result.method} on {result.instance}"]
    if answered and result.objective is not None:
        lines.append(f"o {result.objective:.17g}")
    lines.append(f"s {word}")
    return lines + (_v_lines(result.solution) if answered else [])


def _maxsat_bound(wcnf: WCNF, result: Result, deadline: float) -> Bound | None:
    """The family's certified bound: a lower bound on the cost from disjoint (weight-split)
    unsatisfiable cores (:func:`dnnsolve.bounds.maxsat.core_bound`). An optimum proven by RC2
    (``--exact``) that the cores do not reach is left without a bound (with a note): its proof
    is RC2's, not one ``dnnsolve verify`` can recheck; so is a formula whose first core takes
    longer than the deadline (``--bound-time``).

    SAT has no bound: a model is its own proof (``dnnsolve verify`` rechecks it clause by
    clause), and an ``unsat`` answer from CaDiCaL comes without a certificate (no DRAT proof is
    recorded; ``dnnsolve verify`` reruns a SAT solver on small formulas instead).
    """
    from ..bounds.maxsat import core_bound

    if result.objective is None:
        return None
    found = core_bound(wcnf, deadline)
    if found is None:
        return None
    if not found.certificate["cores"] and not found.notes["exhausted"] and result.objective > 0:
        # 0 is a bound all the same, worth recording only where it meets the answer
        result.extra.setdefault("notes", []).append(
            "no bound: no unsatisfiable core found by the deadline"
        )
        return None
    if result.status == "optimal" and relative_gap(result.objective, found.value, "min") != 0.0:
        result.extra.setdefault("notes", []).append(
            f"the cores prove cost >= {found.value:g}, short of the optimum RC2 proved: "
            "no bound recorded"
        )
        return None
    return found


register_problem(
    "sat",
    "Boolean satisfiability (DIMACS CNF); incomplete: sat or unknown (--exact: CaDiCaL).",
    formats="cnf",
    loader=load_cnf,
    runner=_sat_runner,
    options=ExactOptions,
    example=("sat_example.cnf", {}),
    dimacs=sat_lines,
)
register_problem(
    "maxsat",
    "Weighted partial MaxSAT (WCNF classic or 2022 format, or CNF); --exact: RC2 optimum.",
    formats="wcnf, cnf",
    loader=load_wcnf,
    runner=_maxsat_runner,
    options=ExactOptions,
    example=("sat_example.cnf", {}),
    dimacs=maxsat_lines,
    bound=_maxsat_bound,
)

# ------------------------------------------------------------------ methods

_COMMON = {
    "restarts": 32,
    "steps": 100,
    "eval_every": 20,
    "patience": 3,
    "polish_fraction": 0.9,
}


def _opt(ctx: BuildContext, key: str, default: Any) -> Any:
    return ctx.options.get(key, default)


def _free(n: int, ctx: BuildContext, squash: str) -> FreeVariables:
    return FreeVariables(
        n,
        ctx.restarts,
        squash=squash,
        init_std=float(_opt(ctx, "init_std", 0.5 if squash == "sigmoid" else 0.2)),
        device=ctx.device,
        generator=ctx.generator,
    )


def _sat_problem(cnf: CNF, ctx: BuildContext, formulation: str) -> Satisfiability:
    p = Satisfiability(
        cnf,
        ctx.device,
        formulation,
        int(_opt(ctx, "reweight_every", 10)),
        _opt(ctx, "walkers", None),
    )
    p.generator = ctx.generator
    return p


def _maxsat_problem(wcnf: WCNF, ctx: BuildContext, formulation: str) -> MaxSat:
    p = MaxSat(
        wcnf,
        ctx.device,
        formulation,
        int(_opt(ctx, "reweight_every", 10)),
        _opt(ctx, "walkers", None),
        ctx.reference,
    )
    p.generator = ctx.generator
    return p


def _graph_net(prob: _ClauseProblem, ctx: BuildContext) -> ClauseGraphNetwork:
    return ClauseGraphNetwork(
        prob.ct,
        ctx.restarts,
        dim=int(_opt(ctx, "dim", 16)),
        layers=int(_opt(ctx, "layers", 2)),
        generator=ctx.generator,
    )


@register(
    "sat",
    "relaxed",
    "clause-violation probability Σ_c Π(1 − x_ℓ), free sigmoid variables, clause "
    "reweighting, Adam; rounding + batched probSAT",
    default=True,
    lr=0.1,
    **_COMMON,
)
def _sat_relaxed(cnf: CNF, ctx: BuildContext):
    return _sat_problem(cnf, ctx, "prob"), _free(cnf.n_vars, ctx, "sigmoid")


@register(
    "sat",
    "fouriersat",
    "FourierSAT: Walsh–Fourier expansion Σ_c FE_c(s) on the box [−1, 1]^n, projected Adam; "
    "rounding + batched probSAT",
    lr=0.05,
    **_COMMON,
)
def _sat_fourier(cnf: CNF, ctx: BuildContext):
    return _sat_problem(cnf, ctx, "fourier"), _free(cnf.n_vars, ctx, "clamp")


@register(
    "sat",
    "gnn",
    "clause–variable graph network (trainable embedding), violation-probability loss; "
    "rounding + batched probSAT",
    lr=0.01,
    **{**_COMMON, "restarts": 16},
)
def _sat_gnn(cnf: CNF, ctx: BuildContext):
    prob = _sat_problem(cnf, ctx, "prob")
    return prob, _graph_net(prob, ctx)


@register(
    "maxsat",
    "relaxed",
    "weighted violation probability (hard clauses × hard), free sigmoid variables, clause "
    "reweighting; rounding + batched weighted WalkSAT",
    default=True,
    lr=0.1,
    **{**_COMMON, "polish_fraction": 0.7},
)
def _maxsat_relaxed(wcnf: WCNF, ctx: BuildContext):
    return _maxsat_problem(wcnf, ctx, "prob"), _free(wcnf.n_vars, ctx, "sigmoid")


@register(
    "maxsat",
    "fouriersat",
    "weighted FourierSAT expansion on the box, projected Adam; rounding + weighted WalkSAT",
    lr=0.05,
    **{**_COMMON, "polish_fraction": 0.7},
)
def _maxsat_fourier(wcnf: WCNF, ctx: BuildContext):
    return _maxsat_problem(wcnf, ctx, "fourier"), _free(wcnf.n_vars, ctx, "clamp")


@register(
    "maxsat",
    "gnn",
    "clause–variable graph network, weighted violation probability; weighted WalkSAT polish",
    lr=0.01,
    **{**_COMMON, "restarts": 16, "polish_fraction": 0.7},
)
def _maxsat_gnn(wcnf: WCNF, ctx: BuildContext):
    prob = _maxsat_problem(wcnf, ctx, "prob")
    return prob, _graph_net(prob, ctx)
