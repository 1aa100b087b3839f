"""Registry of methods: (problem, method name) → how to build problem + parameterization.

Each family registers its methods here with their default solver settings, so
the API, the CLI and the benchmark harness all see the same list.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from .core.callbacks import Callback
from .core.device import resolve_device
from .core.errors import InputError
from .core.parameterization import Parameterization
from .core.problem import Problem
from .core.result import Result
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


@dataclass
class Method:
    problem: str
    name: str
    build: Builder
    description: str
    defaults: dict = field(default_factory=dict)


_REGISTRY: dict[str, dict[str, Method]] = {}
_DEFAULT: dict[str, str] = {}


def register(problem: str, name: str, description: str, *, default: bool = False, **defaults):
    """Decorator registering a builder as ``problem``/``name`` with solver defaults."""

    def wrap(fn: Builder) -> Builder:
        _REGISTRY.setdefault(problem, {})[name] = Method(problem, name, fn, description, defaults)
        if default or problem not in _DEFAULT:
            _DEFAULT[problem] = name
        return fn

    return wrap


def _load_families() -> None:
    from .problems import maxcut, mis  # noqa: F401  (registration side effects)


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

    ``instance`` is a :class:`~dnnsolve.graph.Graph`, a NetworkX graph or a file path.
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
    graph = load_instance(instance, problem=problem, format=format)
    gen = torch.Generator(device=dev)
    seed = cfg.seed if cfg.seed is not None else int(torch.seed() % 2**31)
    cfg.seed = seed
    gen.manual_seed(seed)
    torch.manual_seed(seed)
    ctx = BuildContext(cfg.restarts, dev, gen, dict(options or {}), reference)
    prob, param = m.build(graph, ctx)
    solver = Solver(cfg, callbacks)
    result = solver.solve(prob, param, method=m.name, extra={"options": ctx.options})
    return result


def load_instance(instance: Any, problem: str | None = None, format: str | None = None):
    """Accept a Graph, a NetworkX graph, or a path readable by :mod:`dnnsolve.io`."""
    from .graph import Graph
    from .io import from_networkx, read_graph

    if isinstance(instance, Graph):
        return instance
    if isinstance(instance, (str, os.PathLike)):
        return read_graph(Path(instance), format=format)
    if hasattr(instance, "nodes") and hasattr(instance, "edges"):
        return from_networkx(instance)
    raise InputError(f"cannot use an instance of type {type(instance).__name__}")
