"""Registry of methods: (problem, method name) → how to build problem + parameterization.

Each family registers its methods here with their default solver settings, so
the API, the CLI and the benchmark harness all see the same list.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .core.callbacks import Callback
from .core.device import device_name, resolve_device
from .core.errors import InputError
from .core.parameterization import Parameterization
from .core.problem import Problem
from .core.result import Result
from .core.seeding import fresh_seed, isolated_global_rng
from .core.solver import Solver, SolverConfig


@dataclass
class BuildContext:
    """What a method's builder receives besides the instance."""

    restarts: int
    device: torch.device
    generator: torch.Generator
    options: dict = field(default_factory=dict)
    reference: float | None = None


Builder = Callable[[Any, BuildContext], "tuple[Problem, Parameterization]"]
Loader = Callable[[Any, "str | None"], Any]
Runner = Callable[["Method", Any, BuildContext, SolverConfig, Sequence[Callback]], Result]


@dataclass
class ProblemInfo:
    """What the API and the CLI know of a problem besides its methods.

    ``loader(instance, format)`` turns a path or an in-memory object into the
    instance the builders take (default: a :class:`~dnnsolve.graph.Graph` via
    :mod:`dnnsolve.io`). ``runner`` replaces the default single solver run
    (build, then :meth:`Solver.solve`), e.g. for an outer search over the
    number of colours. ``cli_options`` names extra CLI options of
    ``dnnsolve solve PROBLEM`` (``"colors"``, ``"exact"``) passed to builders
    and runners in ``BuildContext.options``.
    """

    name: str
    summary: str
    formats: str = "gset, dimacs, edgelist"
    loader: Loader | None = None
    runner: Runner | None = None
    cli_options: tuple[str, ...] = ()


@dataclass
class Method:
    problem: str
    name: str
    build: Builder
    description: str
    defaults: dict = field(default_factory=dict)


_REGISTRY: dict[str, dict[str, Method]] = {}
_DEFAULT: dict[str, str] = {}
_PROBLEMS: dict[str, ProblemInfo] = {}


def register_problem(
    name: str,
    summary: str,
    *,
    formats: str = "gset, dimacs, edgelist",
    loader: Loader | None = None,
    runner: Runner | None = None,
    cli_options: Sequence[str] = (),
) -> ProblemInfo:
    """Describe a problem for the CLI and the API (see :class:`ProblemInfo`)."""
    info = ProblemInfo(name, summary, formats, loader, runner, tuple(cli_options))
    _PROBLEMS[name] = info
    return info


def problem_info(problem: str) -> ProblemInfo:
    """The :class:`ProblemInfo` of a registered problem (a plain graph problem if undeclared)."""
    methods(problem)  # raises InputError for unknown problems
    return _PROBLEMS.get(problem) or ProblemInfo(problem, problem)


def register(problem: str, name: str, description: str, *, default: bool = False, **defaults):
    """Decorator registering a builder as ``problem``/``name`` with solver defaults."""

    def wrap(fn: Builder) -> Builder:
        _REGISTRY.setdefault(problem, {})[name] = Method(problem, name, fn, description, defaults)
        if default or problem not in _DEFAULT:
            _DEFAULT[problem] = name
        return fn

    return wrap


_LOADED = False


def _load_families() -> None:
    """Import every module of :mod:`dnnsolve.problems`; each registers its methods."""
    global _LOADED
    if _LOADED:
        return
    import importlib
    import pkgutil

    # (not ``from . import problems``: the package re-exports the function ``problems``)
    pkg = importlib.import_module(f"{__package__}.problems")
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")
    _LOADED = True


def problems() -> list[str]:
    """Names of the problems with at least one method."""
    _load_families()
    return sorted(_REGISTRY)


def methods(problem: str) -> dict[str, Method]:
    """The methods registered for ``problem`` (raises InputError for unknown problems)."""
    _load_families()
    if problem not in _REGISTRY:
        raise InputError(f"unknown problem {problem!r}; choose from {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[problem]


def get_method(problem: str, name: str | None = None) -> Method:
    table = methods(problem)
    name = name or _DEFAULT[problem]
    if name not in table:
        close = difflib.get_close_matches(name, table, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(
            f"unknown method {name!r} for {problem}{hint}; choose from {', '.join(sorted(table))}"
        )
    return table[name]


_CONFIG_FIELDS = {f.name for f in fields(SolverConfig)}


def solve(
    problem: str,
    instance: Any,
    method: str | None = None,
    *,
    device: str | torch.device = "auto",
    callbacks: Sequence[Callback] = (),
    options: dict | None = None,
    reference: float | None = None,
    format: str | None = None,
    **config: Any,
) -> Result:
    """Solve one instance with a registered method and return the verified :class:`Result`.

    ``instance`` is a file path or an in-memory instance the problem accepts (a
    :class:`~dnnsolve.graph.Graph` or NetworkX graph for graph problems, a
    :class:`~dnnsolve.io.CNF` for SAT, ...).
    Keyword arguments that are :class:`SolverConfig` fields (``restarts``, ``steps``,
    ``time_limit``, ``seed``, ``lr``, ``hparams``, ...) override the method's defaults;
    ``options`` go to the method's builder (e.g. ``{"conv": "sage"}``).

    >>> import networkx as nx
    >>> from dnnsolve import solve
    >>> r = solve("maxcut", nx.cycle_graph(6), method="relaxed", steps=50, restarts=4,
    ...           device="cpu", seed=0)
    >>> r.objective, r.feasible
    (6.0, True)
    """
    m = get_method(problem, method)
    bad = set(config) - _CONFIG_FIELDS
    if bad:
        raise TypeError(f"unknown solver option(s): {', '.join(sorted(bad))}")
    cfg = SolverConfig(**{**m.defaults, **config})
    dev = resolve_device(device)
    obj = load_instance(instance, problem=problem, format=format)
    gen = torch.Generator(device=dev)
    cfg.seed = cfg.seed if cfg.seed is not None else fresh_seed()
    gen.manual_seed(cfg.seed)
    ctx = BuildContext(cfg.restarts, dev, gen, dict(options or {}), reference)
    info = problem_info(problem)
    run = info.runner or run_method
    with isolated_global_rng(cfg.seed, dev):  # network initialization draws from it
        return run(m, obj, ctx, cfg, callbacks)


def run_method(
    method: Method,
    instance: Any,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """The default runner: build problem and parameterization, run the :class:`Solver` once.

    An instance without variables (a graph with no vertices) has one answer, the empty
    one: it is verified and returned without training (:func:`empty_result`).
    """
    prob, param = method.build(instance, ctx)
    if prob.n_vars == 0:
        return empty_result(prob, method.name, ctx, config, callbacks)
    solver = Solver(config, callbacks)
    return solver.solve(prob, param, method=method.name, extra={"options": ctx.options})


def empty_result(
    prob: Problem,
    method: str,
    ctx: BuildContext,
    config: SolverConfig,
    callbacks: Sequence[Callback] = (),
) -> Result:
    """The verified result of an instance with no variables: the empty solution.

    Its objective and feasibility come from the problem's own verifier, as for any
    solve (e.g. the empty set of a graph with no vertices is independent, a clique, a
    cover and dominating, with size 0; a cut of weight 0).
    """
    for cb in callbacks:
        cb.on_start(config, prob)
    t0 = time.perf_counter()
    sol = np.zeros(0, dtype=np.int64)
    objective, feasible = prob.verify(sol)
    result = Result(
        problem=prob.name,
        instance=prob.instance,
        method=method,
        objective=objective,
        feasible=feasible,
        solution=prob.solution_output(sol),
        time_s=time.perf_counter() - t0,
        device=device_name(ctx.device),
        seed=config.seed,
        sense=prob.sense,
        reference=prob.reference(),
        found_by="trivial",
        stop_reason="empty",
        steps=0,
        restarts=0,
        extra={"config": asdict(config), "options": ctx.options},
    )
    result.solution_array = sol
    for cb in callbacks:
        cb.on_end(result)
    return result


def load_instance(instance: Any, problem: str | None = None, format: str | None = None):
    """Load ``instance`` with the problem's loader (default: graphs via :mod:`dnnsolve.io`)."""
    if problem is not None:
        loader = problem_info(problem).loader
        if loader is not None:
            return loader(instance, format)
    return load_graph(instance, format)


def load_graph(instance: Any, format: str | None = None):
    """Accept a Graph, a NetworkX graph, or a path readable by :func:`dnnsolve.io.read_graph`."""
    from .graph import Graph
    from .io import from_networkx, read_graph

    if isinstance(instance, Graph):
        return instance
    if isinstance(instance, (str, os.PathLike)):
        return read_graph(Path(instance), format=format)
    if hasattr(instance, "nodes") and hasattr(instance, "edges"):
        return from_networkx(instance)
    raise InputError(f"cannot use an instance of type {type(instance).__name__}")
