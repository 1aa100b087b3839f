"""The ``families`` suite, generated from the family specs: every family's bundled example,
solved by its default method and by its classical baseline, side by side.

A smoke test of every front door at once (``dnnsolve bench families``), not a measurement of
quality: the examples are small and the budgets short. ``--option only=a,b`` restricts it to
some families.
"""

from __future__ import annotations

import time
from typing import Any

from ...data import example_path
from ...family import Family, families
from ..harness import Instance, Suite, SuiteContext, register_suite

_METHODS = ("default", "baseline")


def _example_input(fam: Family) -> Any:
    """The example's input: a bundled file by name, else the text itself (a built-in name)."""
    assert fam.example is not None
    name = fam.example[0]
    if name is None or fam.input_kind == "name":
        return name
    return example_path(name)


def _quality(metrics: dict) -> str | None:
    """The figure a family is judged by where its objective is not it: PSNR against the
    simulated image's clean original, relative L2 against the PDE's reference."""
    psnr = metrics.get("psnr")
    if psnr is not None:
        return f"PSNR {psnr:.2f} dB"
    rel = metrics.get("relative_l2")
    return None if rel is None else f"rel. L2 {rel:.2e}"


def _instances(ctx: SuiteContext) -> list[Instance]:
    only = str((ctx.options or {}).get("only", "")).replace(",", " ").split()
    return [
        Instance(name, lambda fam=fam: fam)
        for name, fam in families().items()
        if fam.example is not None and (not only or name in only)
    ]


def _rows(inst: Instance, fam: Family, methods: dict[str, list[str]], ctx: SuiteContext):
    from ...family import solve

    rows = []
    for which in methods.get("families", list(_METHODS)):
        method = fam.default_method() if which == "default" else fam.baseline
        if method is None or method not in fam.methods():  # none, or the reference itself
            continue
        options = {"time_limit": ctx.time_limit, "seed": ctx.seed, **fam.example[1]}
        t0 = time.perf_counter()
        row: dict[str, Any] = {"instance": inst.name, "method": which, "name": method}
        try:
            r = solve(fam.name, _example_input(fam), method, device=str(ctx.device), **options)
        except Exception as exc:
            row.update(error=f"{type(exc).__name__}: {exc}", time_s=time.perf_counter() - t0)
        else:
            row.update(
                status=r.status,
                objective=r.objective,
                feasible=r.feasible,
                quality=_quality(r.metrics),
                time_s=r.time_s,
                error=None,
            )
        rows.append(row)
    return rows


SUITE = register_suite(
    Suite(
        "families",
        ("families",),
        "Every family's bundled example (`Family.example`): its default method and its "
        "classical baseline, side by side (a smoke test of every family's front door)",
        None,
        10.0,
        (
            "instance",
            "method",
            "name",
            "status",
            "objective",
            "feasible",
            "quality",
            "time_s",
            "error",
        ),
        instances=_instances,
        rows=_rows,
        methods=_METHODS,
        default_methods=_METHODS,
    )
)
