"""The Solver-run families: their options, their methods and the runner they share.

A graph, SAT or scheduling family registers itself with :func:`register_problem` (a
:class:`~dnnsolve.family.Family` whose options are :class:`SolverOptions`) and its methods
with :func:`register`: (problem, method name) → how to build the problem and the
parameterization, with the method's default solver settings. The API, the CLI, batch and
bench see them through :mod:`dnnsolve.family`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .core.callbacks import Callback
from .core.errors import InputError
from .core.result import Result
from .family import (
    BoundFunction,
    BoundOptions,
    Family,
    Options,
    at_least,
    families,
    get_family,
    non_negative,
    option,
    parse_numbers,
    parse_pairs,
    register_family,
)

# torch and the Solver are imported where a method runs: registering a family (which the CLI
# does for its commands) needs only the options and the method table
if TYPE_CHECKING:
    import torch

    from .core.parameterization import Parameterization
    from .core.problem import Problem
    from .core.solver import SolverConfig


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
Runner = Callable[["Method", Any, BuildContext, "SolverConfig", Sequence[Callback]], Result]


@dataclass
class Method:
    problem: str
    name: str
    build: Builder
    description: str
    defaults: dict = field(default_factory=dict)

    def settings(self, instance: Any) -> dict:
        """The solver defaults for ``instance``: a :class:`SizeRule` default is called with the
        loaded instance."""
        return {k: v(instance) if isinstance(v, SizeRule) else v for k, v in self.defaults.items()}


@dataclass(frozen=True)
class SizeRule:
    """A solver default that depends on the instance: ``rule(instance)`` gives the value;
    ``why`` says what it follows from (and is its repr).

    >>> rule = SizeRule(lambda g: 0.5 if g > 10 else 0.8, "half on large instances")
    >>> rule(3), rule(30)
    (0.8, 0.5)
    """

    rule: Callable[[Any], Any]
    why: str

    def __call__(self, instance: Any) -> Any:
        return self.rule(instance)

    def __repr__(self) -> str:
        return f"SizeRule({self.why!r})"


BASELINE = "baseline"
_BASELINE_TEXT = "the problem's classical heuristic alone (no network, no polish)"


_REGISTRY: dict[str, dict[str, Method]] = {}
_DEFAULT: dict[str, str] = {}


def _numbers(text: Any) -> Any:
    return parse_numbers(text, "--lr") if isinstance(text, str) else text


@dataclass(kw_only=True)
class SolverOptions(BoundOptions):
    """The options of the families run by the :class:`Solver` (graphs, SAT, scheduling).

    Keywords naming other :class:`SolverConfig` fields (``patience``, ``eval_every`` …) go
    to ``config``; ``options`` go to the method's builder (e.g. ``{"conv": "sage"}``).
    """

    EXTRA: ClassVar[str | None] = "config"

    restarts: int | None = option(None, "Batched restarts B.", check=at_least(1))
    steps: int | None = option(None, "Gradient steps per restart.", check=non_negative)
    lr: float | list[float] | None = option(
        None,
        "Learning rate, or a comma list for a per-restart population.",
        parse=_numbers,
        cli_type=str,
    )
    hparams: dict[str, Any] = option(
        help="Loss hyper-parameter key=value (comma list = population).",
        flag="--hparam",
        parse=lambda items: parse_pairs(items, "--hparam", numeric=True),
        cli_type=list[str],
        factory=dict,
    )
    options: dict[str, Any] = option(
        help="Method option key=value, e.g. conv=sage.",
        flag="--option",
        parse=lambda items: parse_pairs(items, "--option", lists=False),
        cli_type=list[str],
        factory=dict,
    )
    reference_value: float | None = option(
        None,
        "Known optimum / best-known value: reported with the gap; the run stops once it is "
        "reached.",
        aliases=("reference",),
    )
    polish: bool = option(True, "Local-search polish of the decoded answers.")
    format: str | None = option(None, "Force a reader (see the formats above).")
    config: dict[str, Any] = option(help="Other SolverConfig fields.", cli=False, factory=dict)

    @classmethod
    def accepts(cls, key: str) -> bool:
        return key in config_fields()

    def solver_settings(self) -> dict[str, Any]:
        """The :class:`SolverConfig` fields these options set (unset ones keep the method's)."""
        chosen = {"restarts": self.restarts, "steps": self.steps, "lr": self.lr}
        chosen.update(time_limit=self.time_limit, seed=self.seed)
        settings = {k: v for k, v in chosen.items() if v is not None}
        if self.hparams:
            settings["hparams"] = self.hparams
        if not self.polish:
            settings["polish"] = False
        return {**self.config, **settings}

    def builder_options(self) -> dict[str, Any]:
        """What the method's builder and runner receive in ``BuildContext.options``."""
        return dict(self.options)


@dataclass(kw_only=True)
class ColorsOptions(SolverOptions):
    """Solver options with a number of colours q."""

    colors: int | None = option(
        None,
        "Number of colours q to use (default: search for the smallest q it can colour "
        "without conflicts).",
        check=at_least(1),
    )

    def builder_options(self) -> dict[str, Any]:
        extra = {} if self.colors is None else {"colors": self.colors}
        return {**self.options, **extra}


@dataclass(kw_only=True)
class ExactOptions(SolverOptions):
    """Solver options with a complete fallback."""

    exact: bool = option(
        False,
        "If no answer is found, hand the instance to an exact solver (CaDiCaL for SAT, RC2 "
        "for MaxSAT) for a complete answer.",
    )

    def builder_options(self) -> dict[str, Any]:
        extra = {"exact": True} if self.exact else {}
        return {**self.options, **extra}


def register_problem(
    name: str,
    summary: str,
    *,
    formats: str = "gset, dimacs, edgelist",
    loader: Loader | None = None,
    runner: Runner | None = None,
    options: type[SolverOptions] = SolverOptions,
    baseline: str = BASELINE,
    example: tuple[str, dict[str, Any]] | None = None,
    write: Callable[[Result, Options], list[str]] | None = None,
    rows: Callable[[Result], list[tuple[str, str]]] | None = None,
    dimacs: Callable[[Result], list[str]] | None = None,
    bound: BoundFunction | None = None,
) -> Family:
    """Register a Solver-run family (see :class:`~dnnsolve.family.Family`).

    ``loader(instance, format)`` turns a path or an in-memory object into the instance the
    builders take (default: a :class:`~dnnsolve.graph.Graph` via :mod:`dnnsolve.io`).
    ``runner`` replaces the default single solver run (:func:`run_method`), e.g. for an
    outer search over the number of colours. The classical ``baseline`` is a registered
    method, or by default the problem's own heuristic (:func:`baseline_method`).
    """

    def table() -> dict[str, str]:
        descs = {n: m.description for n, m in methods(name).items()}
        return {**descs, BASELINE: _BASELINE_TEXT} if baseline == BASELINE else descs

    read_with = loader or load_graph

    def read(instance: Any, opts: Options) -> Any:
        return read_with(instance, getattr(opts, "format", None))

    def run(instance: Any, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
        assert isinstance(opts, SolverOptions)
        return run_solver(name, instance, opts, callbacks, runner or run_method)

    return register_family(
        Family(
            name=name,
            summary=summary,
            options=options,
            read=read,
            run=run,
            methods=table,
            default_method=lambda: _DEFAULT[name],
            baseline=baseline,
            formats=formats,
            example=example,
            write=write,
            rows=rows,
            dimacs=dimacs,
            bound=bound,
        )
    )


def register(problem: str, name: str, description: str, *, default: bool = False, **defaults):
    """Decorator registering a builder as ``problem``/``name`` with solver defaults (a
    :class:`SizeRule` for one that depends on the instance)."""

    def wrap(fn: Builder) -> Builder:
        _REGISTRY.setdefault(problem, {})[name] = Method(problem, name, fn, description, defaults)
        if default or problem not in _DEFAULT:
            _DEFAULT[problem] = name
        return fn

    return wrap


def problems() -> list[str]:
    """Names of the Solver-run families with at least one method."""
    families()
    return sorted(_REGISTRY)


def methods(problem: str) -> dict[str, Method]:
    """The methods registered for ``problem`` (raises InputError for unknown problems)."""
    if problem not in _REGISTRY:
        with contextlib.suppress(InputError):
            get_family(problem)  # imports the problem's module only
    if problem not in _REGISTRY:
        families()
    if problem not in _REGISTRY:
        raise InputError(f"unknown problem {problem!r}; choose from {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[problem]


def get_method(problem: str, name: str | None = None) -> Method:
    """The registered method ``name`` of ``problem`` (default: the problem's default)."""
    table = methods(problem)
    name = name or _DEFAULT[problem]
    if name not in table:
        get_family(problem).check_method(name)  # the error with a hint
        raise InputError(f"{name!r} is not a registered method of {problem}")
    return table[name]


def baseline_method(problem: str) -> Method:
    """The classical heuristic of ``problem`` as a method: its default method's problem
    built and solved with ``network=False, polish=False``."""
    d = get_method(problem)
    settings = {**d.defaults, "network": False, "polish": False}
    return Method(problem, BASELINE, d.build, _BASELINE_TEXT, settings)


@functools.cache
def config_fields() -> frozenset[str]:
    """The names of the :class:`SolverConfig` fields (the keywords ``config`` takes)."""
    from .core.solver import SolverConfig

    return frozenset(f.name for f in fields(SolverConfig))


def run_solver(
    problem: str,
    instance: Any,
    opts: SolverOptions,
    callbacks: Sequence[Callback],
    runner: Runner,
) -> Result:
    """Run ``problem``'s method on a loaded instance: settings, device and seed resolved
    once, the network initialised from an isolated global generator."""
    import torch

    from .core.device import resolve_device
    from .core.seeding import fresh_seed, isolated_global_rng
    from .core.solver import SolverConfig

    m = baseline_method(problem) if opts.method == BASELINE else get_method(problem, opts.method)
    cfg = SolverConfig(**{**m.settings(instance), **opts.solver_settings()})
    dev = resolve_device(opts.device)
    cfg.seed = cfg.seed if cfg.seed is not None else fresh_seed()
    gen = torch.Generator(device=dev)
    gen.manual_seed(cfg.seed)
    ctx = BuildContext(cfg.restarts, dev, gen, opts.builder_options(), opts.reference_value)
    with isolated_global_rng(cfg.seed, dev):  # network initialization draws from it
        return runner(m, instance, ctx, cfg, callbacks)


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
    from .core.solver import Solver

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
    import numpy as np

    from .core.device import device_name

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
