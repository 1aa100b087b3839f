"""The held-out suite: every family's held-out generators, default against its baseline.

Instances come from the modules of :mod:`dnnsolve.bench.heldout` (structures the defaults
were not tuned on). ``--option split=report`` (default) takes the report seeds, never used
for tuning; ``split=tune`` the tuning seeds. ``--option families=mis,sat`` keeps some
families, ``--option large=1`` runs the 10⁵-vertex graphs instead (``large=1e6``: 10⁶),
``--option per_generator=K`` K seeds of each generator. ``--ablation`` adds the rows with stages
switched off (network only, local search from random starts / from the baseline).

The summary says, per family, on how many instances the default was at least as good as
the classical heuristic (``never_worse``), strictly better (``better``), and whether the
network stage adds anything: ``vs_baseline_polish`` counts default better / equal / worse
than the local search from the heuristic's answer at the same time.
"""

from __future__ import annotations

import math
from typing import Any

from ...core.errors import InputError
from ..harness import Instance, Suite, SuiteContext, option_int, register_suite
from ..heldout import SPLITS, family_modules

COLUMNS = (
    "instance",
    "family",
    "split",
    "variant",
    "objective",
    "feasible",
    "recheck",
    "found_by",
    "time_s",
    "error",
)


def _large(value: Any) -> int:
    """``large``: 0 / off, 1 / on (10⁵ vertices) or a vertex count such as ``1e6``."""
    text = str(value).strip().lower()
    if text in ("0", "false", "no", "off", ""):
        return 0
    if text in ("1", "true", "yes", "on"):
        return 100_000
    try:
        n = float(text)
    except ValueError:
        n = math.nan
    if not (math.isfinite(n) and n >= 1000 and n == int(n)):
        raise InputError(f"option large must be 0, 1 or a vertex count >= 1000, got {value!r}")
    return int(n)


def _options(ctx: SuiteContext) -> dict[str, Any]:
    opts = dict(ctx.options or {})
    split = str(opts.get("split", "report"))
    if split not in SPLITS:
        raise InputError(f"option split must be one of {', '.join(SPLITS)}, got {split!r}")
    fams = opts.get("families")
    return {
        "split": split,
        "families": None if not fams else {f.strip() for f in str(fams).split(",") if f.strip()},
        "large": _large(opts.get("large", "0")),
        "per_generator": option_int(opts.get("per_generator", 1), "per_generator"),
    }


def _instances(ctx: SuiteContext) -> list[Instance]:
    o = _options(ctx)
    out: list[Instance] = []
    for name, mod in family_modules().items():
        kw: dict[str, Any] = {}
        if name == "graphs":
            kw = {"large": o["large"], "per_generator": o["per_generator"]}
        elif o["large"]:
            continue
        for inst in mod.instances(o["split"], **kw):
            inst.meta["module"] = name
            if o["families"] is None or inst.meta["family"] in o["families"]:
                out.append(inst)
    if not out:
        raise InputError(f"no held-out instance matches families={sorted(o['families'] or [])}")
    return out


def _rows(inst: Instance, loaded: Any, chosen: dict, ctx: SuiteContext) -> list[dict]:
    mod = family_modules()[inst.meta["module"]]
    base = {"instance": inst.name, "family": inst.meta["family"], "split": inst.meta["split"]}
    return [{**base, **r} for r in mod.rows(inst, loaded, ctx, ctx.ablation)]


def _better(a: float | None, b: float | None, sense: str) -> int:
    """+1 if objective ``a`` beats ``b``, 0 on a tie, −1 if worse (None is worst)."""
    if a is None or b is None:
        return 0 if a is b else (1 if b is None else -1)
    if abs(a - b) <= 1e-9 * max(1.0, abs(b)):
        return 0
    return 1 if (a > b) == (sense == "max") else -1


def summarize(rows: list[dict]) -> dict:
    """Per family: never-worse and strictly-better counts, and what the network adds."""
    by_inst: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_inst.setdefault(r["instance"], {})[r["variant"]] = r
    fams: dict[str, dict] = {}
    for variants in by_inst.values():
        d, b = variants.get("default"), variants.get("baseline")
        if d is None or b is None:
            continue
        f = fams.setdefault(d["family"], {"instances": 0, "never_worse": 0, "better": 0})
        f["instances"] += 1
        cmp = _better(d.get("objective"), b.get("objective"), d["sense"])
        f["never_worse"] += cmp >= 0
        f["better"] += cmp > 0
        bp = variants.get("baseline+polish")
        if bp is not None:
            c = _better(d.get("objective"), bp.get("objective"), d["sense"])
            tally = f.setdefault("vs_baseline_polish", [0, 0, 0])  # better, equal, worse
            tally[1 - c] += 1
    methods: dict[str, dict] = {}
    for r in rows:
        m = methods.setdefault(r["variant"], {"rows": 0, "verified": 0})
        m["rows"] += 1
        m["verified"] += bool(r.get("objective") is not None and r.get("recheck") is not False)
    return {"methods": methods, "family": fams}


HELDOUT_SUITE = register_suite(
    Suite(
        name="heldout",
        problems=("heldout",),  # the instances name their own problems
        description="Held-out generators of every family (structures the defaults were not "
        "tuned on): the default against the family's classical heuristic at equal time",
        data_subdir=None,
        default_time_limit=10.0,
        columns=COLUMNS,
        instances=_instances,
        rows=_rows,
        summarize=summarize,
        methods=("default",),
        default_methods=("default",),
    )
)
