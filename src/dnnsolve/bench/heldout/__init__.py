"""Held-out instance generators: structures the defaults were not tuned on, per family.

Each module of this package (``graphs``, ``dags``, ``coloring``, ...) offers

* ``instances(split) -> list[Instance]`` — ``split`` is ``"tune"`` (seeds 0–99, the seeds
  defaults may be tuned on) or ``"report"`` (seeds from 1000, never tuned on); each
  :class:`~dnnsolve.bench.harness.Instance` carries ``meta`` with ``problem``, ``family``,
  ``split`` and ``seed``;
* ``rows(inst, loaded, ctx, ablation) -> list[dict]`` — one row per variant (``default``,
  ``baseline``, and with ``ablation`` the stages switched off: ``network-only``,
  ``random+polish``, ``baseline+polish``, ``cpsat`` where it fits), each objective re-checked
  by an evaluator that shares no code with the solver.

The ``heldout`` benchmark suite (:mod:`dnnsolve.bench.suites.heldout`) runs them all.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..harness import ABLATION_VARIANTS, SuiteContext

SPLITS = ("tune", "report")
#: first seed of each split: defaults may be tuned on "tune" seeds, never on "report" ones
SPLIT_SEED = {"tune": 0, "report": 1000}


def family_modules() -> dict[str, ModuleType]:
    """The generator modules of this package, by module name."""
    mods = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "instances") and hasattr(mod, "rows"):
            mods[info.name] = mod
    return mods


def solver_rows(
    ctx: SuiteContext,
    problem: str,
    instance: Any,
    *,
    sense: str,
    recheck: Callable[[Any], float | None],
    ablation: bool,
    method: str | None = None,
    options: dict | None = None,
    score_infeasible: bool = False,
) -> list[dict]:
    """Rows of a family solved through the core solver: the default run, the classical
    heuristic alone (``baseline``) and, with ``ablation``, the other
    :data:`~dnnsolve.bench.harness.ABLATION_VARIANTS`, all at ``ctx.time_limit``.

    ``score_infeasible`` also reports an infeasible answer's verified objective (SAT: an
    assignment's falsified clauses, the figure the variants are compared on); ``feasible``
    and ``status`` still say whether it is a model."""
    from ...methods import get_method

    name = get_method(problem, method).name
    variants = {"default": {}, "baseline": ABLATION_VARIANTS["baseline"]}
    if ablation:
        variants.update({k: v for k, v in ABLATION_VARIANTS.items() if k != "baseline"})
    plain = dataclasses.replace(ctx, ablation=False)  # the variants are listed here
    rows = []
    for variant, config in variants.items():
        r = plain.run(problem, instance, name, recheck=recheck, options=options, config=config)
        objective = r["objective"]
        if objective is None and score_infeasible:
            objective = r.get("infeasible_objective")
        rows.append(
            {
                "variant": variant,
                "objective": objective,
                "sense": sense,
                "feasible": r["feasible"],
                "status": r.get("result_status"),
                "time_s": r["time_s"],
                "found_by": r.get("found_by"),
                "recheck": r.get("recheck"),
                "error": r.get("error"),
            }
        )
    return rows
