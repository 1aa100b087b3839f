"""Peer tools run beside dnnsolve in the benchmark suites, at the same wall time and one thread.

These are the libraries a user would pick instead; they are optional (``pip install
"dnnsolve[peers]"``), and a suite asked for a peer that is not installed records why in the
row (``peer_error``) instead of failing. Every peer answer is re-checked here with the same
independent evaluator as dnnsolve's.

MaxCut through dwave-samplers, in its Ising form (minimize Σ w_ij s_i s_j, h = 0, so that
cut = (Σ w − E) / 2), with the protocol of the project's side-by-side runs:

* ``SimulatedAnnealingSampler``: one calibration read of 1000 sweeps measures the sweep rate;
  then reads sized to a sixth of the budget each, one at a time, until the next would not fit;
  the best read is kept.
* ``TabuSampler``: one read with ``timeout`` = the budget.

LPs through OR-Tools PDLP (``ortools``, a dependency of dnnsolve), one thread, on the arrays
dnnsolve read (``pdlp_lp``): its relative tolerance set to the suite's, its answer re-checked
with :func:`dnnsolve.lp.model.residuals` like dnnsolve's own.

Imaging through deepinv's Deep Image Prior (``deepinv_dip``): its ``ConvDecoder`` as in its DIP
example (64 channels, a 2×2 input, 7 layers, Adam lr 1e-2, no early stopping) on the same noisy
image, PSNR recomputed here with :func:`dnnsolve.imaging.psnr`.  deepinv is not in an extra: it
requires torchvision, which dnnsolve does not install (and which pins its own torch); install it
by hand without its dependencies, ``pip install --no-deps deepinv==0.5.0 && pip install
torchmetrics einops natsort tqdm h5py`` (:func:`load_deepinv` explains how it imports without
torchvision).

PDEs through DeepXDE (``deepxde_pinn``, extra ``[peers]``): its standard forward-problem recipe
(PyTorch backend, float64, tanh ``FNN`` with Glorot normal initialization, Adam lr 1e-3 for 60 %
of the time, then L-BFGS until the time ends) on ``burgers``, ``heat`` and ``poisson2d``, with
the network size and collocation point counts given (the suite passes its own run's), scored on
the suite's evaluation points against the same reference.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import io
import math
import os
import random
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..baselines import maxcut_value
from ..core.errors import InputError
from ..graph import Graph

#: the MaxCut peers by name (``--option peers=dwave`` runs both)
MAXCUT_PEERS = ("dwave-sa", "dwave-tabu")
#: the LP peers by name
LP_PEERS = ("pdlp",)
#: the imaging peers by name
IMAGE_PEERS = ("deepinv",)
#: the PDE peers by name, and the built-in problems DeepXDE's peer expresses
PDE_PEERS = ("deepxde",)
DEEPXDE_PROBLEMS = ("burgers", "heat", "poisson2d")
#: DeepXDE's example point counts (``Burgers.py`` / ``heat.py``: domain, boundary, initial; it
#: has no 2-D Poisson example: the same 2540 domain points and 240 on the boundary)
DEEPXDE_EXAMPLE_POINTS = {"burgers": (2540, 80, 160), "heat": (2540, 80, 160),
                          "poisson2d": (2540, 240, 0)}  # fmt: skip
#: deepinv's DIP example: ``ConvDecoder(img_size, in_size=[2, 2], channels=64)`` (its default
#: 7 layers), ``DeepImagePrior(..., learning_rate=1e-2)`` with its default 2500 iterations
DEEPINV_DIP_EXAMPLE = {"channels": 64, "in_size": (2, 2), "layers": 7, "lr": 1e-2,
                       "iterations": 2500}  # fmt: skip


@dataclass
class PeerResult:
    """One peer run: the cut re-checked here, its time, or why it did not run."""

    name: str
    objective: float | None
    time_s: float
    error: str | None = None
    #: the LP peers' checked figures (relative primal residual, the solver's own status)
    primal_residual: float | None = None
    status: str | None = None
    #: iterative peers: the iterations they ran; imaging peers: the image they returned
    iterations: int | None = None
    solution: torch.Tensor | None = None
    #: figures of one peer (e.g. DeepXDE's Adam steps and L-BFGS iterations)
    details: dict[str, Any] = field(default_factory=dict)


def _ising(graph: Graph) -> dict[tuple[int, int], float]:
    quad: dict[tuple[int, int], float] = {}
    for u, v, w in zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist()):
        key = (u, v) if u < v else (v, u)
        quad[key] = quad.get(key, 0.0) + float(w)
    return quad


def _sides(sample, n: int) -> np.ndarray:
    return np.array([sample[i] > 0 for i in range(n)], dtype=bool)


def dwave_maxcut(graph: Graph, peer: str, time_limit: float, seed: int = 0) -> PeerResult:
    """Run the dwave-samplers peer ``peer`` (``dwave-sa`` or ``dwave-tabu``) for about
    ``time_limit`` seconds on ``graph``; the best cut, re-checked."""
    t0 = time.perf_counter()
    try:
        from dwave.samplers import SimulatedAnnealingSampler, TabuSampler
    except ImportError:
        return PeerResult(peer, None, 0.0, "dwave-samplers is not installed (pip install "
                          "dwave-samplers)")  # fmt: skip
    n = graph.n
    h = {i: 0.0 for i in range(n)}
    j = _ising(graph)
    best: np.ndarray | None = None
    if peer == "dwave-tabu":
        ss = TabuSampler().sample_ising(
            h, j, num_reads=1, timeout=int(1000 * time_limit), seed=seed
        )
        best = _sides(ss.first.sample, n)
    elif peer == "dwave-sa":
        sampler = SimulatedAnnealingSampler()
        t = time.perf_counter()
        ss = sampler.sample_ising(h, j, num_reads=1, num_sweeps=1000, seed=seed)
        per_sweep = (time.perf_counter() - t) / 1000
        sweeps = max(1000, int(time_limit / 6 / max(per_sweep, 1e-9)))
        candidates = [_sides(ss.first.sample, n)]
        k, last = 1, time.perf_counter() - t
        while True:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0 or last > left:
                break
            t = time.perf_counter()
            ss = sampler.sample_ising(h, j, num_reads=1, num_sweeps=sweeps, seed=seed + k)
            last = time.perf_counter() - t
            candidates.append(_sides(ss.first.sample, n))
            k += 1
        best = max(candidates, key=lambda side: maxcut_value(graph, side))
    else:
        raise ValueError(f"unknown MaxCut peer {peer!r}; choose from {', '.join(MAXCUT_PEERS)}")
    return PeerResult(peer, maxcut_value(graph, best), time.perf_counter() - t0)


def pdlp_lp(lp, time_limit: float, tol: float = 1e-7) -> PeerResult:
    """OR-Tools PDLP on ``lp`` (a :class:`~dnnsolve.lp.model.LPData` without a quadratic term),
    one thread, relative and absolute optimality tolerance ``tol``; objective and relative
    primal residual recomputed from its x by :func:`~dnnsolve.lp.model.residuals`."""
    from ..lp.model import residuals

    t0 = time.perf_counter()
    try:
        from ortools.pdlp import solve_log_pb2, solvers_pb2
        from ortools.pdlp.python import pdlp
    except ImportError:
        return PeerResult("pdlp", None, 0.0, "OR-Tools PDLP is not importable")
    if lp.is_qp:
        return PeerResult("pdlp", None, 0.0, "the PDLP peer runs LPs only")
    qp = pdlp.QuadraticProgram()
    qp.resize_and_initialize(lp.n, lp.m)
    qp.objective_vector = np.asarray(lp.c, dtype=np.float64)
    qp.objective_offset = float(lp.offset)
    qp.constraint_matrix = lp.A.tocsc()
    qp.constraint_lower_bounds = np.asarray(lp.row_lower, dtype=np.float64)
    qp.constraint_upper_bounds = np.asarray(lp.row_upper, dtype=np.float64)
    qp.variable_lower_bounds = np.asarray(lp.col_lower, dtype=np.float64)
    qp.variable_upper_bounds = np.asarray(lp.col_upper, dtype=np.float64)
    params = solvers_pb2.PrimalDualHybridGradientParams()
    crit = params.termination_criteria.simple_optimality_criteria
    crit.eps_optimal_absolute = crit.eps_optimal_relative = tol
    params.termination_criteria.time_sec_limit = float(time_limit)
    params.num_threads = 1
    result = pdlp.primal_dual_hybrid_gradient(qp, params)
    x = np.asarray(result.primal_solution, dtype=np.float64)
    status = solve_log_pb2.TerminationReason.Name(result.solve_log.termination_reason)
    if x.shape != (lp.n,) or not np.all(np.isfinite(x)):
        return PeerResult("pdlp", None, time.perf_counter() - t0, f"no primal point ({status})")
    r = residuals(lp, x)
    return PeerResult(
        "pdlp",
        float(r["objective"]),
        time.perf_counter() - t0,
        primal_residual=float(r["primal_residual"]),
        status=status.removeprefix("TERMINATION_REASON_").lower(),
    )


# ---------------------------------------------------------------- deepinv (imaging)


class _StandIn(type):
    """A torchvision name that deepinv imports but its DIP path never uses: any attribute is
    another stand-in (``InterpolationMode.BILINEAR``), and calling one says why it cannot run."""

    def __getattr__(cls, name: str) -> _StandIn:
        if name.startswith("__"):
            raise AttributeError(name)
        return _StandIn(name, (), {})

    def __call__(cls, *args, **kwargs):
        raise ImportError(
            f"torchvision is not installed (deepinv called torchvision's {cls.__name__})"
        )


class _TorchvisionStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import torchvision[.x]`` with empty modules whose names are stand-ins."""

    def find_spec(self, name, path=None, target=None):
        if name == "torchvision" or name.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda name: _StandIn(name, (), {})  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


@contextmanager
def _torchvision_stand_in() -> Iterator[None]:
    """Stand-ins for torchvision during one import; afterwards ``import torchvision`` fails
    again as before (the stand-in modules leave ``sys.modules``)."""
    finder = _TorchvisionStandIn()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            if isinstance(sys.modules[name].__spec__.loader, _TorchvisionStandIn):
                del sys.modules[name]


def load_deepinv() -> types.ModuleType:
    """``import deepinv``, also where torchvision is missing (raises ImportError where deepinv
    is).

    deepinv 0.5's package ``__init__`` imports torchvision, and so do its datasets, transforms
    and plotting modules, so no submodule imports without it; its DIP path (``ConvDecoder``,
    ``DeepImagePrior``, ``MCLoss``, ``Physics``) never calls it.  Without torchvision the import
    runs once with empty stand-in torchvision modules, which leave ``sys.modules`` right after;
    deepinv's torchvision-based functions then raise ImportError when called.
    """
    try:
        import deepinv
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("torchvision"):
            raise
        for name in [n for n in sys.modules if n == "deepinv" or n.startswith("deepinv.")]:
            del sys.modules[name]  # the half-imported package, before a second try
        with _torchvision_stand_in():
            import deepinv
    return deepinv


def deepinv_dip(
    noisy: torch.Tensor,
    iterations: int = DEEPINV_DIP_EXAMPLE["iterations"],
    *,
    operator: Callable[[torch.Tensor], torch.Tensor] | None = None,
    reference: torch.Tensor | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    channels: int = DEEPINV_DIP_EXAMPLE["channels"],
    in_size: tuple[int, int] = DEEPINV_DIP_EXAMPLE["in_size"],
    layers: int = DEEPINV_DIP_EXAMPLE["layers"],
    lr: float = DEEPINV_DIP_EXAMPLE["lr"],
) -> PeerResult:
    """deepinv's Deep Image Prior on the ``(1, C, H, W)`` measurement ``noisy``: its
    ``ConvDecoder`` (default: its DIP example's) trained ``iterations`` Adam steps, or until
    ``time_limit`` seconds, on its ``MCLoss`` through ``operator`` (default: the identity, i.e.
    denoising; e.g. an inpainting operator of :mod:`dnnsolve.imaging`).

    The loop is ``DeepImagePrior.forward``'s, statement for statement, with a clock check added
    (``forward`` has none): z ~ N(0, 1) of shape ``(1, channels, *in_size)``, Adam on the
    generator, no early stopping, no averaging, then one more forward pass for the image.  With
    no time limit the image equals ``DeepImagePrior(...)(noisy, physics)`` under the same torch
    seed (the tests check it).  ``seed`` seeds the network and z inside a forked torch RNG (the
    global state is left alone); the thread count is the caller's.  Returns the image clipped to
    ``[0, 1]`` as ``solution`` (on the CPU), its PSNR against ``reference`` as ``objective``
    (None without one), the iterations run and ``time_s``: the training loop and the last
    forward pass (not the import of deepinv, nor torch.optim's one-time import of
    torch._dynamo).  A failure is the result's ``error``: this never raises.
    """
    name = "deepinv"
    try:
        dinv = load_deepinv()
    except ImportError as exc:
        return PeerResult(name, None, 0.0, f"deepinv is not installed ({exc}); pip install "
                          "--no-deps deepinv==0.5.0, then torchmetrics einops natsort tqdm h5py")  # fmt: skip
    y = noisy.detach().float()
    img_size = tuple(int(s) for s in y.shape[1:])
    physics = dinv.physics.Physics(A=operator) if operator is not None else dinv.physics.Denoising()
    deadline = math.inf if time_limit is None else time.perf_counter() + float(time_limit)
    # the seed goes to a forked RNG (CPU, and the GPU z is drawn on): the caller's stays
    gpus = [y.device.index or 0] if y.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=gpus):
            torch.manual_seed(int(seed))
            net = dinv.models.ConvDecoder(img_size, in_size=tuple(in_size), layers=layers,
                                          channels=channels).to(y.device)  # fmt: skip
            dip = dinv.models.DeepImagePrior(net, [channels, *in_size], iterations=iterations,
                                             learning_rate=lr)  # fmt: skip
            # torch.optim's first optimizer imports torch._dynamo (seconds): an import, not
            # training, so it happens before the clock starts
            torch.optim.Adam([torch.zeros(1, requires_grad=True)])
            t0 = time.perf_counter()
            steps, z = _deepinv_dip_loop(dip, y, physics, deadline)
            with torch.enable_grad():
                x = dip.generator(z)
            seconds = time.perf_counter() - t0
    except Exception as exc:  # a failing peer is reported in its row, the suite goes on
        return PeerResult(name, None, 0.0, f"{type(exc).__name__}: {exc}")
    image = x.detach().clamp(0.0, 1.0).cpu()
    score = None
    if reference is not None:
        from ..imaging import psnr

        score = float(psnr(image, reference.detach().cpu()))
    return PeerResult(name, score, seconds, iterations=steps, solution=image)


def _deepinv_dip_loop(dip, y: torch.Tensor, physics, deadline: float) -> tuple[int, torch.Tensor]:
    """The body of ``DeepImagePrior.forward`` (deepinv 0.5) up to its last forward pass, with
    a clock check per iteration: (the iterations run, the input z)."""
    with torch.enable_grad():
        dip.generator.requires_grad_(True)
        z = torch.randn(dip.img_size, device=y.device).unsqueeze(0)
        optimizer = torch.optim.Adam(dip.generator.parameters(), lr=dip.lr)
        steps = 0
        for _ in range(dip.max_iter):
            if time.perf_counter() >= deadline:
                break
            x = dip.generator(z)
            error = dip.loss(y=y, x_net=x, physics=physics)
            optimizer.zero_grad()
            error.backward()
            optimizer.step()
            steps += 1
    return steps, z


# ---------------------------------------------------------------- DeepXDE (PDEs)


def _deepxde_data(dde, problem: str, pde, points: tuple[int, int, int]) -> tuple[Any, int]:
    """DeepXDE's data object for built-in ``problem`` (the same PDE as ours) with ``points``
    (domain, boundary, initial), and its input dimension."""
    from ..pde import references as R

    pi = math.pi
    domain, boundary, initial_points = points

    def on_boundary(_, on_b):
        return on_b

    def on_initial(_, on_i):
        return on_i

    def zero(x):
        return np.zeros((len(x), 1))

    if problem in ("burgers", "heat"):
        (x_lo,), (x_hi,) = (b[:1] for b in pde.domain.bbox)
        (t_lo,), (t_hi,) = (b[1:] for b in pde.domain.bbox)
        geom = dde.geometry.GeometryXTime(
            dde.geometry.Interval(float(x_lo), float(x_hi)),
            dde.geometry.TimeDomain(float(t_lo), float(t_hi)),
        )
        if problem == "burgers":
            nu = R.BURGERS_NU  # 0.01 / π

            def residual(x, y):
                y_x = dde.grad.jacobian(y, x, i=0, j=0)
                y_t = dde.grad.jacobian(y, x, i=0, j=1)
                return y_t + y * y_x - nu * dde.grad.hessian(y, x, i=0, j=0)

            def initial(x):
                return -np.sin(pi * x[:, 0:1])
        else:
            alpha = 0.4  # builtins._heat

            def residual(x, y):
                y_t = dde.grad.jacobian(y, x, i=0, j=1)
                return y_t - alpha * dde.grad.hessian(y, x, i=0, j=0)

            def initial(x):
                return np.sin(pi * x[:, 0:1])

        bc = dde.icbc.DirichletBC(geom, zero, on_boundary)
        ic = dde.icbc.IC(geom, initial, on_initial)
        data = dde.data.TimePDE(
            geom, residual, [bc, ic], num_domain=domain, num_boundary=boundary,
            num_initial=initial_points,
        )  # fmt: skip
        return data, 2
    if problem == "poisson2d":
        lo, hi = pde.domain.bbox
        geom = dde.geometry.Rectangle([float(v) for v in lo], [float(v) for v in hi])

        def residual(x, y):
            f = 2.0 * pi**2 * torch.sin(pi * x[:, 0:1]) * torch.sin(pi * x[:, 1:2])
            lap = dde.grad.hessian(y, x, i=0, j=0) + dde.grad.hessian(y, x, i=1, j=1)
            return -lap - f

        bc = dde.icbc.DirichletBC(geom, zero, on_boundary)
        return dde.data.PDE(geom, residual, [bc], num_domain=domain, num_boundary=boundary), 2
    raise InputError(f"the DeepXDE peer covers {', '.join(DEEPXDE_PROBLEMS)}, not {problem!r}")


def _deepxde_points(
    problem: str, domain: int | None, boundary: int | None, initial: int | None
) -> tuple[int, int, int]:
    """(domain, boundary, initial) point counts: those given, else DeepXDE's example's."""
    ex = DEEPXDE_EXAMPLE_POINTS[problem]
    out = (
        ex[0] if domain is None else int(domain),
        ex[1] if boundary is None else int(boundary),
        0 if problem == "poisson2d" else ex[2] if initial is None else int(initial),
    )
    if min(out[:2]) < 1 or out[2] < 0:
        raise InputError(f"the DeepXDE peer needs positive point counts, got {out}")
    return out


@contextmanager
def _torch_state_kept() -> Iterator[None]:
    """DeepXDE sets torch's default dtype, seeds every RNG and may change the thread count:
    all of them come back afterwards."""
    saved_dtype = torch.get_default_dtype()
    saved_rng = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    saved_threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_default_dtype(saved_dtype)
        random.setstate(saved_rng[0])
        np.random.set_state(saved_rng[1])
        torch.set_rng_state(saved_rng[2])
        torch.set_num_threads(saved_threads)


def deepxde_pinn(
    problem: str,
    seconds: float,
    seed: int = 0,
    threads: int | None = None,
    *,
    hidden: int = 20,
    layers: int = 3,
    domain_points: int | None = None,
    boundary_points: int | None = None,
    initial_points: int | None = None,
) -> PeerResult:
    """DeepXDE's standard PINN recipe on built-in ``problem`` (burgers, heat, poisson2d) for
    ``seconds`` of wall time: ``objective`` is its relative L2 error on the problem's evaluation
    points (:func:`~dnnsolve.pde.references.relative_l2` against the same reference as ours),
    ``solution`` its values there (:func:`pde_eval_points`), ``details`` its ``adam_steps``, ``lbfgs_iterations``, ``dtype``, ``device``, ``net`` and
    ``points``; ``error`` says why it has none (this never raises).

    PyTorch backend, float64, ``FNN([d] + [hidden] * layers + [1], "tanh", "Glorot normal")``,
    ``domain_points`` / ``boundary_points`` / ``initial_points`` collocation points (None:
    DeepXDE's example counts, :data:`DEEPXDE_EXAMPLE_POINTS`), the conditions as loss terms,
    Adam (lr 1e-3) for 60 % of ``seconds``, then DeepXDE's L-BFGS (its default options: history
    100, strong-Wolfe line search) until ``seconds`` end.  DeepXDE's L-BFGS runs a fixed number
    of iterations per call; they are sized from the measured Adam step time (about 1 % of
    ``seconds`` a call, at least 20 iterations), and no call starts that the last one's duration
    says would end past the time.  ``time_s`` counts from the sampling of the points to the end
    of training (the imports not included: DeepXDE's, and torch._dynamo's, which torch.optim's
    first optimizer loads and which took seconds of the Adam phase before).

    DeepXDE sets torch's default dtype (and, with a GPU, device) on import; the suite runs this
    in a child process.  In-process, the default dtype, L-BFGS options, thread count and random
    states are put back afterwards.  Needs ``pip install deepxde`` (the ``[peers]`` extra).
    """
    name = "deepxde"
    details: dict[str, Any] = {}
    lbfgs_saved: dict | None = None
    lbfgs_options: dict | None = None
    log = io.StringIO()  # DeepXDE prints its progress: kept off stdout
    with _torch_state_kept():
        try:
            from ..pde import builtin
            from ..pde.references import relative_l2

            if problem not in DEEPXDE_PROBLEMS:
                raise InputError(f"the DeepXDE peer covers {', '.join(DEEPXDE_PROBLEMS)}")
            if not (seconds > 0 and math.isfinite(seconds)):
                raise InputError(f"the peer needs a positive finite time, got {seconds!r}")
            points = _deepxde_points(problem, domain_points, boundary_points, initial_points)
            if threads:
                torch.set_num_threads(int(threads))
            os.environ["DDE_BACKEND"] = "pytorch"
            with contextlib.redirect_stdout(log):
                try:
                    import deepxde as dde
                except ImportError as exc:
                    raise ImportError(
                        f"DeepXDE is not installed ({exc}); pip install 'dnnsolve[peers]'"
                    ) from None
                if dde.backend.backend_name != "pytorch":
                    raise RuntimeError(
                        f"DeepXDE runs backend {dde.backend.backend_name}, not pytorch"
                    )
                with contextlib.suppress(Exception):  # else float32, reported in details
                    dde.config.set_default_float("float64")
                details.update(dtype=dde.config.default_float(),
                               device=str(torch.empty(0).device),
                               net=f"mlp {hidden}x{layers} tanh", points=list(points))  # fmt: skip
                dde.config.set_random_seed(int(seed))
                lbfgs_options = dde.optimizers.config.LBFGS_options
                lbfgs_saved = dict(lbfgs_options)
                pde = builtin(problem)
                # torch.optim's first optimizer imports torch._dynamo (seconds): an import,
                # not training, so it happens before the clock starts
                torch.optim.Adam([torch.zeros(1, requires_grad=True)])
                t0 = time.perf_counter()
                data, dim = _deepxde_data(dde, problem, pde, points)
                net = dde.nn.FNN([dim] + [int(hidden)] * int(layers) + [1], "tanh",
                                 "Glorot normal")  # fmt: skip
                model = dde.Model(data, net)
                adam_steps = _deepxde_train(dde, model, t0, seconds, lbfgs_options)
                seconds_run = time.perf_counter() - t0
                pts = pde_eval_points(pde)
                pred = np.asarray(model.predict(pts), dtype=np.float64)
            exact = np.asarray(pde.reference(pts), dtype=np.float64)
            details.update(adam_steps=adam_steps,
                           lbfgs_iterations=int(model.train_state.step) - adam_steps)  # fmt: skip
            return PeerResult(name, relative_l2(pred, exact), seconds_run,
                              iterations=int(model.train_state.step),
                              solution=torch.from_numpy(pred), details=details)  # fmt: skip
        except Exception as exc:  # a failing peer is reported, never raised
            return PeerResult(name, None, 0.0, f"{type(exc).__name__}: {exc}", details=details)
        finally:
            if lbfgs_options is not None and lbfgs_saved is not None:
                lbfgs_options.clear()
                lbfgs_options.update(lbfgs_saved)


def _deepxde_train(dde, model, t0: float, seconds: float, lbfgs_options: dict) -> int:
    """Adam (lr 1e-3) until 60 % of ``seconds`` after ``t0``, then L-BFGS in calls until
    ``seconds``; the Adam steps taken."""

    class WallClock(dde.callbacks.Callback):
        """Stops training at ``deadline``; ``ahead``: also when the next call, as long as the
        last, would end past it (L-BFGS runs in calls)."""

        def __init__(self, deadline: float, ahead: bool = False):
            super().__init__()
            self.deadline, self.ahead = deadline, ahead
            self.last = time.perf_counter()

        def on_epoch_end(self):
            now = time.perf_counter()
            lap, self.last = now - self.last, now
            if now + (lap if self.ahead else 0.0) >= self.deadline:
                self.model.stop_training = True

    model.compile("adam", lr=1e-3)
    t_adam = time.perf_counter()
    model.train(iterations=10**9, callbacks=[WallClock(t0 + 0.6 * seconds)], verbose=0)
    adam_steps = int(model.train_state.step)
    step_s = (time.perf_counter() - t_adam) / max(adam_steps, 1)
    # an L-BFGS iteration costs about 1.5 Adam steps (line search): calls of ~1 % of the time,
    # at least 20 iterations (DeepXDE reads a call that made one iteration as converged)
    chunk = int(min(1000, max(20, 0.01 * seconds / (1.5 * step_s))))
    dde.optimizers.set_LBFGS_options(maxiter=10**9)
    lbfgs_options["iter_per_step"] = chunk
    lbfgs_options["fun_per_step"] = int(1.25 * chunk)
    if time.perf_counter() < t0 + seconds:
        model.compile("L-BFGS")
        model.train(callbacks=[WallClock(t0 + seconds, ahead=True)], verbose=0)
    return adam_steps


def pde_eval_points(pde) -> np.ndarray:
    """The evaluation points (float64) of PDE ``pde``, as :func:`~dnnsolve.pde.solve_pde`
    scores on them: its own ``eval_points``, else its grid."""
    if pde.eval_points is not None:
        return np.asarray(pde.eval_points, dtype=np.float64)
    return pde.domain.grid(pde.grid, dtype=torch.float64).points.numpy()
