"""A PDE as a core :class:`~dnnsolve.core.problem.Problem`: residuals at sampled points.

A :class:`PDE` names a domain, an equation (``residual(x, u, d)``, or a Deep Ritz ``energy``
integrand), boundary / initial conditions and optionally a hard-constraint output transform and
a reference solution.  :class:`PDEProblem` turns it into the core's terms:

- the relaxed solution is the network's output at the current point set, produced by
  :class:`FieldNetwork` (B restarts with stacked parameters); training passes see the
  collocation points (interior + one set per condition, resampled every ``resample_every``
  steps), evaluation passes (under ``torch.no_grad``) a fixed validation set plus the
  evaluation grid;
- the loss per restart is ``w_r·mean r² + Σ_c w_c·mean e_c²`` (PINN) or
  ``|Ω|·mean energy + Σ_c w_c·mean e_c²`` (Deep Ritz), with the weights as hyper-parameters
  (``residual`` and one per condition: populations and schedules work as for any problem);
- the "decoded" solution is the field on the evaluation grid together with the validation
  loss, which is the objective: the solver keeps the state with the smallest validation loss
  (early stopping that never looks at the reference); the error against the reference is
  computed separately, in NumPy, by :func:`~dnnsolve.pde.solve.solve_pde`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from ..core.errors import InputError
from ..core.parameterization import Parameterization
from ..core.problem import Evaluation, Problem
from ..core.seeding import fresh_seed
from ..core.stacked import StackedModules
from . import autograd as ag
from .geometry import Geometry, TimeDomain
from .sampling import rar_select
from .weighting import LossBalancer, causal_residual

__all__ = [
    "PDE",
    "Derivatives",
    "Dirichlet",
    "FieldNetwork",
    "Initial",
    "Neumann",
    "PDEProblem",
    "Periodic",
    "Robin",
]

Field = Callable[[torch.Tensor], torch.Tensor] | float

#: default boundary penalty of Deep Ritz (E & Yu 2018 use β = 500)
RITZ_PENALTY = 500.0


def field_value(g: Field, x: torch.Tensor, m: int) -> torch.Tensor:
    """A boundary / initial datum (a function of the points or a constant) at ``x`` as
    ``(N, m)``."""
    if not callable(g):
        return torch.full((x.shape[0], m), float(g), dtype=x.dtype, device=x.device)
    return torch.as_tensor(g(x), dtype=x.dtype, device=x.device).reshape(x.shape[0], m)


class Derivatives:
    """Derivatives of ``u`` ``(N, m)`` at points ``x`` ``(N, d)``, computed once and cached.

    ``d.grad(c)`` is ``∇u_c`` ``(N, d)``, ``d(i, c)`` is ``∂u_c/∂x_i``, ``d(i, j, c=...)`` a
    second derivative, ``d.laplacian(dims, c)`` the Laplacian over ``dims``.
    """

    def __init__(self, u: torch.Tensor, x: torch.Tensor):
        self.u, self.x = u, x
        self._grads: dict[int, torch.Tensor] = {}

    def grad(self, c: int = 0) -> torch.Tensor:
        if c not in self._grads:
            self._grads[c] = ag.gradient(self.u[:, c], self.x)
        return self._grads[c]

    def __call__(self, *indices: int, c: int = 0) -> torch.Tensor:
        g = self.grad(c)[:, indices[0]]
        for i in indices[1:]:
            g = ag.gradient(g, self.x)[:, i]
        return g

    def laplacian(self, dims: Sequence[int] | None = None, c: int = 0) -> torch.Tensor:
        dims = range(self.x.shape[1]) if dims is None else dims
        g = self.grad(c)
        return sum(ag.gradient(g[:, i], self.x)[:, i] for i in dims)


# ---------------------------------------------------------------- conditions


@dataclass
class Condition(ABC):
    """Base: a named condition with its own points and a weight hyper-parameter."""

    name: str = ""
    weight: float = 1.0
    points: int = 0  # how many points (0: the problem's default)
    where: Callable[[torch.Tensor], torch.Tensor] | None = None  # keep only these boundary pts

    kind: ClassVar[str] = "condition"

    def sample(self, pde: PDE, n: int, method: str, gen: torch.Generator, dtype) -> dict:
        pts, normals = pde.domain.sample_boundary(n * (4 if self.where else 1), method, gen,
                                                  dtype=dtype)  # fmt: skip
        if self.where is not None:
            keep = self.where(pts)
            pts, normals = pts[keep][:n], normals[keep][:n]
            if len(pts) == 0:
                raise InputError(f"condition {self.label}: no boundary point satisfies `where`")
        return {"x": pts, "normal": normals}

    @property
    def label(self) -> str:
        return self.name or self.kind

    @abstractmethod
    def error(self, x, u, d: Derivatives, data: dict, m: int) -> torch.Tensor:
        """The condition's error ``(N, k)`` at its points (zero when it holds)."""


@dataclass
class Dirichlet(Condition):
    """``u = value`` on the (selected) boundary."""

    value: Field = 0.0
    kind: ClassVar[str] = "dirichlet"

    def error(self, x, u, d, data, m):
        return u - field_value(self.value, x, m)


@dataclass
class Neumann(Condition):
    """``∂u/∂n = value`` (outward normal) on the (selected) boundary."""

    value: Field = 0.0
    kind: ClassVar[str] = "neumann"

    def error(self, x, u, d, data, m):
        dn = torch.stack([(d.grad(c) * data["normal"]).sum(1) for c in range(m)], 1)
        return dn - field_value(self.value, x, m)


@dataclass
class Robin(Condition):
    """``a·u + b·∂u/∂n = value`` on the (selected) boundary."""

    a: float = 1.0
    b: float = 1.0
    value: Field = 0.0
    kind: ClassVar[str] = "robin"

    def error(self, x, u, d, data, m):
        dn = torch.stack([(d.grad(c) * data["normal"]).sum(1) for c in range(m)], 1)
        return self.a * u + self.b * dn - field_value(self.value, x, m)


@dataclass
class Initial(Condition):
    """``u(x, t0) = value(x, t0)`` on a :class:`~dnnsolve.pde.geometry.TimeDomain`."""

    value: Field = 0.0
    kind: ClassVar[str] = "initial"

    def sample(self, pde, n, method, gen, dtype):
        if not isinstance(pde.domain, TimeDomain):
            raise InputError("an initial condition needs a time-dependent domain (TimeDomain)")
        return {"x": pde.domain.sample_initial(n, method, gen, dtype=dtype)}

    def error(self, x, u, d, data, m):
        return u - field_value(self.value, x, m)


@dataclass
class Periodic(Condition):
    """``u`` (and with ``derivative=True`` also ``∂u/∂x_axis``) equal on opposite faces."""

    axis: int = 0
    derivative: bool = True
    kind: ClassVar[str] = "periodic"

    def sample(self, pde, n, method, gen, dtype):
        lo, hi = pde.domain.periodic_pairs(n, self.axis, method, gen, dtype=dtype)
        return {"x": torch.cat([lo, hi]), "pairs": len(lo)}

    def error(self, x, u, d, data, m):
        k = data["pairs"]
        err = [u[:k] - u[k:]]
        if self.derivative:
            g = torch.stack([d.grad(c)[:, self.axis] for c in range(m)], 1)
            err.append(g[:k] - g[k:])
        return torch.cat(err, 1)


# ---------------------------------------------------------------- the PDE


@dataclass
class PDE:
    """A PDE instance: domain, equation, conditions, optional hard constraint and reference.

    ``residual(x, u, d)`` returns the residual ``(N,)`` or ``(N, k)`` at interior points ``x``
    for the field ``u`` ``(N, m)`` with derivatives ``d`` (:class:`Derivatives`); ``energy`` is
    the Deep Ritz integrand (e.g. ``½|∇u|² − f u``).  ``hard(x, n)`` maps the raw network
    output to the field so that conditions hold exactly (listed in ``hard_conditions``, which
    are then left out of the loss).  ``reference()`` returns ``(points, values)`` on the
    evaluation grid (NumPy), when the solution is known.
    """

    name: str
    domain: Geometry
    residual: Callable[[torch.Tensor, torch.Tensor, Derivatives], torch.Tensor] | None = None
    conditions: list[Condition] = field(default_factory=list)
    outputs: int = 1
    energy: Callable[[torch.Tensor, torch.Tensor, Derivatives], torch.Tensor] | None = None
    hard: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    hard_conditions: tuple[str, ...] = ()
    reference: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None
    grid: int | Sequence[int] = 101
    description: str = ""
    #: scattered evaluation points ``(M, d)`` instead of the grid (high dimensions)
    eval_points: np.ndarray | None = None


class PointSets:
    """The problem's point sets, shared with :class:`FieldNetwork`.

    ``training()`` returns the collocation points (interior, then each condition's block);
    ``validation()`` the fixed validation interior and conditions, then the evaluation grid.
    ``last`` is the differentiable ``(B·N, d)`` leaf of the latest forward pass.
    """

    def __init__(self) -> None:
        self.train: torch.Tensor | None = None
        self.train_blocks: list[tuple[str, int, dict]] = []
        self.val: torch.Tensor | None = None
        self.val_blocks: list[tuple[str, int, dict]] = []
        self.grid_points: torch.Tensor | None = None
        self.last: torch.Tensor | None = None
        self.calls = 0
        self.resample: Callable[[], None] | None = None
        self.resample_every = 0

    def training(self) -> torch.Tensor:
        self.calls += 1
        due = self.resample_every and self.calls > 1 and (self.calls - 1) % self.resample_every == 0
        if self.resample is not None and due:
            self.resample()
        assert self.train is not None
        return self.train

    def validation(self) -> torch.Tensor:
        assert self.val is not None and self.grid_points is not None
        return torch.cat([self.val, self.grid_points])


class FieldNetwork(Parameterization):
    """B restarts of a coordinate network evaluated at the problem's current points.

    The output is ``(B, N·m)``; the points are a fresh differentiable leaf per pass (stored in
    ``points.last``) so the problem can differentiate the output with respect to them, one
    restart at a time (each restart sees its own copy of the points).
    """

    def __init__(
        self,
        make_net: Callable[[], torch.nn.Module],
        points: PointSets,
        outputs: int,
        restarts: int = 1,
        hard: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        batching: str = "auto",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.restarts, self.outputs = restarts, outputs
        self.nets = StackedModules(make_net, restarts, batching, device, dtype, generator)
        self.points = points
        self.hard = hard
        self.n = 0

    def field_at(self, pts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The field ``(B, N, m)`` of every restart at points ``pts`` ``(N, d)``, with the
        differentiable ``(B·N, d)`` leaf of the points (for derivatives)."""
        b, (n, dim) = self.restarts, pts.shape
        with torch.enable_grad():  # evaluation needs derivatives too (validation residual)
            flat = pts.detach().repeat(b, 1).requires_grad_(True)
            u = self.nets.apply(flat.view(b, n, dim))
            if u.dim() == 2:
                u = u.unsqueeze(-1)
            if self.hard is not None:
                u = self.hard(flat, u.reshape(b * n, -1)).reshape(b, n, -1)
        if u.shape[-1] != self.outputs:
            raise InputError(f"network has {u.shape[-1]} outputs, the PDE needs {self.outputs}")
        return u, flat

    def forward(self) -> torch.Tensor:
        pts = self.points.training() if torch.is_grad_enabled() else self.points.validation()
        u, flat = self.field_at(pts)
        self.points.last = flat
        self.n = u.shape[1] * self.outputs
        with torch.enable_grad():  # a view made under no_grad would lose the graph
            return u.reshape(self.restarts, self.n)

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten().tolist()
        seed = (
            int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
            if generator is not None
            else fresh_seed(62)
        )
        self.nets.reinit_(idx, torch.Generator().manual_seed(seed))


class PDEProblem(Problem):
    """The core problem of a :class:`PDE`: PINN residual loss or Deep Ritz energy.

    ``method`` is ``"pinn"`` or ``"deep-ritz"``; ``interior`` / ``boundary`` are the numbers of
    collocation points (conditions may set their own), ``sampler`` one of sobol / lhs /
    uniform, ``resample_every`` > 0 redraws the collocation points that often (in steps).

    Training aids (all off by default; see :mod:`dnnsolve.pde.weighting`):

    - ``balance``: ``"annealing"`` or ``"grad-norm"`` rescale the loss terms every
      ``balance_every`` steps from their parameter gradients, per restart (the multipliers
      scale the fixed weights; the validation loss keeps the fixed weights);
    - ``causal``: ε of causal weighting over ``causal_chunks`` time chunks (time-dependent
      problems, PINN only);
    - ``rar_every`` / ``rar_points``: residual-based adaptive refinement, every ``rar_every``
      steps the ``rar_points`` worst of ``rar_candidates`` random interior points (default
      10 × ``interior``) join the interior collocation points for good.

    Balancing and RAR need the network: :meth:`attach` it (``solve_pde`` does).
    """

    name: ClassVar[str] = "pde"
    sense: ClassVar[str] = "min"
    select: ClassVar[str] = "best"
    row_subsets: ClassVar[bool] = False  # derivatives come from the pass of all restarts

    def __init__(
        self,
        pde: PDE,
        method: str = "pinn",
        interior: int = 2000,
        boundary: int = 200,
        validation: int = 2000,
        sampler: str = "sobol",
        resample_every: int = 0,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        seed: int = 0,
        balance: str = "fixed",
        balance_every: int = 100,
        causal: float | None = None,
        causal_chunks: int = 32,
        rar_every: int = 0,
        rar_points: int = 0,
        rar_candidates: int | None = None,
    ):
        if method not in ("pinn", "deep-ritz"):
            raise InputError(f"method must be pinn or deep-ritz, got {method!r}")
        if method == "pinn" and pde.residual is None:
            raise InputError(f"{pde.name} defines no residual: use --method deep-ritz")
        if method == "deep-ritz" and pde.energy is None:
            raise InputError(f"{pde.name} defines no energy functional: use --method pinn")
        self.pde, self.method = pde, method
        self.instance = pde.name
        self.dtype, self.device = dtype, torch.device(device)
        self.interior, self.boundary, self.sampler = interior, boundary, sampler
        self.conditions = [c for c in pde.conditions if c.label not in pde.hard_conditions]
        names = [c.label for c in self.conditions]
        if len(set(names)) != len(names):
            raise InputError(f"condition names must be unique, got {names}")
        # Deep Ritz imposes conditions by a penalty that must dominate the energy (E & Yu use
        # β = 500); PINN weights are the conditions' own
        scale = RITZ_PENALTY if method == "deep-ritz" else 1.0
        self.hparams = {
            "residual": 1.0,
            **{c.label: float(c.weight) * scale for c in self.conditions},
        }
        self.points = PointSets()
        self._gen = torch.Generator().manual_seed(seed)
        self._val_gen = torch.Generator().manual_seed(seed + 7919)
        self.points.train, self.points.train_blocks = self._draw(self._gen, interior, boundary)
        self.points.val, self.points.val_blocks = self._draw(self._val_gen, validation, boundary)
        self.points.resample = self._resample
        self.points.resample_every = resample_every
        if pde.eval_points is not None:
            pts = torch.as_tensor(np.asarray(pde.eval_points), dtype=dtype, device=self.device)
            if pts.dim() != 2 or pts.shape[1] != pde.domain.dim:
                raise InputError(
                    f"eval_points must be (M, {pde.domain.dim}), got {tuple(pts.shape)}"
                )
            self.eval_points, self.grid_shape = pts, None
        else:
            grid = pde.domain.grid(pde.grid, device=self.device, dtype=dtype)
            self.eval_points, self.grid_shape = grid.points, tuple(grid.shape)
        self.points.grid_points = self.eval_points
        self.n_vars = len(self.eval_points) * pde.outputs + 1
        # training aids
        self.balancer = LossBalancer(balance, balance_every)
        if causal is not None:
            if not isinstance(pde.domain, TimeDomain):
                raise InputError(
                    f"causal weighting needs a time-dependent problem; {pde.name} is not"
                )
            if method != "pinn":
                raise InputError("causal weighting applies to the PINN residual loss only")
            if not (causal >= 0 and causal_chunks >= 1):
                raise InputError(
                    f"causal weighting needs eps >= 0 and chunks >= 1, got {causal}, {causal_chunks}"
                )
        self.causal, self.causal_chunks = causal, int(causal_chunks)
        self.causal_min_weight: float | None = None
        if rar_every < 0 or rar_points < 0 or (rar_every > 0) != (rar_points > 0):
            raise InputError("RAR needs both rar_every > 0 and rar_points > 0 (or neither)")
        if rar_every and pde.residual is None:
            raise InputError(f"RAR ranks points by the PDE residual; {pde.name} defines none")
        self.rar_every, self.rar_points = int(rar_every), int(rar_points)
        self.rar_candidates = int(rar_candidates or 10 * interior)
        if self.rar_every and self.rar_candidates < self.rar_points:
            raise InputError(
                f"RAR cannot pick {self.rar_points} points from {self.rar_candidates} candidates"
            )
        self.rar_added = 0
        self._rar_on = self.rar_every > 0
        self._rar_extra: torch.Tensor | None = None
        self._rar_gen = torch.Generator().manual_seed(seed + 104729)
        self._param: FieldNetwork | None = None
        self._steps = 0

    # -- points ----------------------------------------------------------------------------
    def _draw(self, gen: torch.Generator, n_int: int, n_bnd: int):
        blocks: list[tuple[str, int, dict]] = []
        x_int = self.pde.domain.sample_interior(n_int, self.sampler, gen, dtype=self.dtype)
        parts = [x_int]
        blocks.append(("residual", len(x_int), {}))
        for c in self.conditions:
            data = c.sample(self.pde, c.points or n_bnd, self.sampler, gen, self.dtype)
            x = data.pop("x")
            parts.append(x)
            blocks.append((c.label, len(x), {k: _to(v, self.device) for k, v in data.items()}))
        return torch.cat(parts).to(self.device), blocks

    def _resample(self) -> None:
        self.points.train, self.points.train_blocks = self._draw(
            self._gen, self.interior, self.boundary
        )
        if self._rar_extra is not None:  # refined points stay through redraws
            self._add_interior(self._rar_extra)

    def _add_interior(self, pts: torch.Tensor) -> None:
        label, count, data = self.points.train_blocks[0]
        assert label == "residual" and self.points.train is not None
        t = self.points.train
        self.points.train = torch.cat([t[:count], pts.to(t), t[count:]])
        self.points.train_blocks[0] = (label, count + len(pts), data)

    def attach(self, param: FieldNetwork) -> None:
        """The network being trained (gradient balancing and RAR need it)."""
        self._param = param

    def _refine(self) -> None:
        """RAR: add the interior candidates with the largest residual (mean over restarts)."""
        assert self._param is not None
        cand = self.pde.domain.sample_interior(
            self.rar_candidates, "uniform", self._rar_gen, dtype=self.dtype
        ).to(self.device)
        r = torch.zeros(len(cand), dtype=self.dtype, device=self.device)
        for chunk in torch.split(torch.arange(len(cand), device=self.device), 4096):
            xs = cand[chunk]
            u, leaf = self._param.field_at(xs)
            b = u.shape[0]
            res = self.pde.residual(
                leaf,
                u.reshape(-1, self.pde.outputs),
                Derivatives(u.reshape(-1, self.pde.outputs), leaf),
            )
            res = res.detach().reshape(b, len(xs), -1)
            r[chunk] = res.square().sum(2).mean(0).sqrt()
        r = torch.where(torch.isfinite(r), r, torch.zeros_like(r))
        new = rar_select(cand, r, self.rar_points)
        self._rar_extra = new if self._rar_extra is None else torch.cat([self._rar_extra, new])
        self._add_interior(new)
        self.rar_added += len(new)

    def begin_phase(self, phase: str) -> None:
        if phase in ("lbfgs", "quasi_newton"):
            # line searches and curvature pairs need one fixed loss: keep the points and
            # weights (a dense quasi-Newton phase redraws them only through refresh())
            self.points.resample_every = 0
            self.balancer.frozen = True
            self._rar_on = False

    def refresh(self) -> bool:
        """Redraw the collocation points (refined points stay): the solver calls this between
        quasi-Newton passes, so a long run does not overfit one sample."""
        self._resample()
        return True

    def training_aids(self) -> dict:
        """What the adaptive training aids did (for the result's ``extra``)."""
        out: dict[str, Any] = {}
        if self.balancer.mode != "fixed":
            out["balance"] = self.balancer.summary()
        if self.causal is not None:
            out["causal"] = {"eps": self.causal, "chunks": self.causal_chunks,
                             "last_chunk_weight": self.causal_min_weight}  # fmt: skip
        if self.rar_every:
            out["rar"] = {"every": self.rar_every, "points": self.rar_points,
                          "candidates": self.rar_candidates, "added": self.rar_added}  # fmt: skip
        return out

    # -- loss terms ------------------------------------------------------------------------
    def _terms(self, x: torch.Tensor, blocks, causal: bool = False) -> dict[str, torch.Tensor]:
        """Per-restart mean squared terms (and the Ritz energy) for output ``x`` (B, N·m);
        ``causal``: the residual term causally weighted (training passes)."""
        leaf = self.points.last
        assert leaf is not None
        m = self.pde.outputs
        b = x.shape[0]
        u_all = x.reshape(-1, m)  # (B·N, m), rows aligned with leaf
        n_total = leaf.shape[0] // b
        d = Derivatives(u_all, leaf)
        start, out = 0, {}
        for label, count, data in blocks:
            first, block = start, _block(b, n_total, start, count)
            start += count
            xs, us = block(leaf), block(u_all)
            sub = _SubDerivatives(d, block)
            if label == "residual":
                if self.method == "deep-ritz":
                    e = self.pde.energy(xs, us, sub).reshape(b, count)
                    out["energy"] = self.pde.domain.volume * e.mean(1)
                else:
                    r = self.pde.residual(xs, us, sub).reshape(b, count, -1)
                    if causal and self.causal is not None:
                        dom = self.pde.domain
                        assert isinstance(dom, TimeDomain)
                        t0, t1 = float(dom.bbox[0][-1]), float(dom.bbox[1][-1])
                        out["residual"], w_last = causal_residual(
                            r.square().mean(2), xs[:count, -1], t0, t1,
                            self.causal_chunks, self.causal,
                        )  # fmt: skip
                        self.causal_min_weight = float(w_last.min())
                    else:
                        out["residual"] = r.square().mean((1, 2))
                continue
            cond = next(c for c in self.conditions if c.label == label)
            data_b = {
                k: (v.repeat(b, 1) if isinstance(v, torch.Tensor) else v) for k, v in data.items()
            }
            if isinstance(cond, Periodic):  # pairs are matched within each restart
                e = torch.stack([
                    cond.error(None, us.reshape(b, count, m)[k],
                               _SubDerivatives(d, _block(1, b * n_total, k * n_total + first,
                                                         count)), data, m)
                    for k in range(b)
                ])  # fmt: skip
            else:
                e = cond.error(xs, us, sub, data_b, m).reshape(b, count, -1)
            out[label] = e.square().mean((1, 2))
        return out

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        terms = self._terms(x, self.points.train_blocks, causal=True)
        self._steps += 1
        if self._rar_on and self._param is not None and self._steps % self.rar_every == 0:
            self._refine()  # the new points join from the next step on
        if "energy" in terms:
            terms["residual"] = terms.pop("energy")
        if self.balancer.due():
            if self._param is None:
                raise InputError("loss balancing needs the network: call PDEProblem.attach")
            self.balancer.update(terms, list(self._param.parameters()))
        total = 0.0
        for label, t in terms.items():
            total = total + hp[label] * self.balancer.multiplier(label, t) * t
        return total

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        """Validation loss and the field on the evaluation grid (an evaluation pass)."""
        n_val = len(self.points.val)
        m = self.pde.outputs
        b = x.shape[0]
        with torch.enable_grad():
            terms = self._terms(x, self.points.val_blocks)
        loss = sum(self.hparams["residual" if k == "energy" else k] * v for k, v in terms.items())
        field = x.reshape(b, -1, m)[:, n_val:].reshape(b, -1)
        return torch.cat([field, loss.reshape(b, 1)], 1).detach()

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        obj = z[:, -1].to(torch.float64)
        return Evaluation(obj, torch.isfinite(obj))

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        """The validation loss carried with the solution; feasible if the field is finite.

        The error against the reference, the independent check, is computed from the field in
        NumPy by the caller (``solve_pde``)."""
        sol = np.asarray(solution, dtype=np.float64)
        return float(sol[-1]), bool(np.isfinite(sol).all())

    def solution_output(self, solution: np.ndarray) -> Any:
        return {"eval_points": len(self.eval_points), "outputs": self.pde.outputs}

    def field_of(self, solution: np.ndarray) -> np.ndarray:
        """The field on the evaluation grid ``(M, m)`` from a decoded solution."""
        return np.asarray(solution, dtype=np.float64)[:-1].reshape(-1, self.pde.outputs)


def _block(b: int, n: int, start: int, count: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Rows ``start … start+count`` of every restart's ``n`` rows of a ``(b·n, …)`` tensor, as
    a slice (a view when ``b == 1``): cheaper to differentiate through than a gather."""

    def take(t: torch.Tensor) -> torch.Tensor:
        return t.view(b, n, *t.shape[1:])[:, start : start + count].reshape(b * count, *t.shape[1:])

    return take


class _SubDerivatives(Derivatives):
    """:class:`Derivatives` of a block of rows (``take`` picks them from a full-pass tensor),
    computed on the whole pass and sliced."""

    def __init__(self, full: Derivatives, take: Callable[[torch.Tensor], torch.Tensor]):
        self.full, self.take = full, take
        self.u, self.x = take(full.u), take(full.x)

    def grad(self, c: int = 0) -> torch.Tensor:
        return self.take(self.full.grad(c))

    def __call__(self, *indices: int, c: int = 0) -> torch.Tensor:
        g = self.full.grad(c)[:, indices[0]]
        for i in indices[1:]:
            g = ag.gradient(g, self.full.x)[:, i]
        return self.take(g)

    def laplacian(self, dims: Sequence[int] | None = None, c: int = 0) -> torch.Tensor:
        x = self.full.x
        dims = range(x.shape[1]) if dims is None else dims
        g = self.full.grad(c)
        return self.take(sum(ag.gradient(g[:, i], x)[:, i] for i in dims))


def _to(v: Any, device: torch.device) -> Any:
    return v.to(device) if isinstance(v, torch.Tensor) else v
