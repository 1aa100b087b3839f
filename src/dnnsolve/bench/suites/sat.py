"""The SAT suite: SATLIB uniform random 3-SAT (uf20 … uf250, uuf50 …), beside CaDiCaL and probSAT.

Instances come from ``<data>/satlib_uf/<family>/*.cnf``. They are listed round-robin
over the default families (uf20-91, uf50-218, uf100-430, uf250-1065, uuf50-218), so
``--limit K`` takes about K/5 of each; uuf100 and uuf250 follow at the end (select
them with ``--instances 'uuf100*'``). A row is ``sat`` only when the returned literal
list satisfies every clause (re-checked here by :func:`count_falsified`); the
unsatisfiable uuf families can only be ``unknown`` for the incomplete methods.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from ...baselines.sat import cadical, count_falsified, probsat
from ...io.cnf import CNF, read_cnf
from ..harness import Instance, Suite, SuiteContext, natural_key, register_suite

DEFAULT_FAMILIES = ("uf20-91", "uf50-218", "uf100-430", "uf250-1065", "uuf50-218")
EXTRA_FAMILIES = ("uuf100-430", "uuf250-1065")


def _family(name: str) -> str:
    m = re.match(r"(u?uf\d+)", name)
    return m.group(1) if m else name


def _instances(ctx: SuiteContext) -> list[Instance]:
    root = ctx.data_folder(SAT_SUITE)
    per_family: list[list[Path]] = []
    tail: list[Path] = []
    for fam in (*DEFAULT_FAMILIES, *EXTRA_FAMILIES):
        folder = root / fam
        if not folder.is_dir():
            continue
        files = sorted(folder.glob("*.cnf"), key=lambda p: natural_key(p.name))
        if fam in DEFAULT_FAMILIES:
            per_family.append(files)
        else:
            tail += files
    ordered: list[Path] = []
    for k in range(max((len(f) for f in per_family), default=0)):
        ordered += [f[k] for f in per_family if k < len(f)]
    ordered += tail
    if not ordered:
        from ...core.errors import InputError

        raise InputError(f"no .cnf files under {root}/<family>/ (needed by suite 'sat')")
    return [
        Instance(p.name.split(".")[0], lambda p=p: read_cnf(p), {"path": str(p)}) for p in ordered
    ]


def _recheck(cnf: CNF):
    def check(solution: Any) -> float | None:
        lits = np.asarray(solution, dtype=np.int64).reshape(-1)
        if len(lits) != cnf.n_vars or sorted(np.abs(lits).tolist()) != list(
            range(1, cnf.n_vars + 1)
        ):
            return None
        a = np.zeros(cnf.n_vars, dtype=np.int8)
        a[np.abs(lits) - 1] = lits > 0
        return float(count_falsified(cnf.clauses, a))

    return check


def _rows(inst: Instance, cnf: CNF, chosen: dict, ctx: SuiteContext) -> list[dict]:
    base: dict[str, Any] = {
        "instance": inst.name,
        "family": _family(inst.name),
        "n": cnf.n_vars,
        "m": cnf.n_clauses,
    }
    if ctx.baselines:
        c = cadical(cnf, time_limit=max(ctx.time_limit, 1.0))
        p = probsat(cnf, time_limit=ctx.time_limit, seed=ctx.seed)
        base.update(
            cadical_status=c.status,
            cadical_time_s=c.time_s,
            sls_status=p.status,
            sls_time_s=p.time_s,
            sls_flips=p.extra.get("flips"),
        )
    rows = []
    for meth in chosen["sat"]:
        out = ctx.run("sat", cnf, meth, reference=0.0, recheck=_recheck(cnf))
        obj = out["objective"]  # a model's 0; None for an assignment that falsifies clauses
        solved = out.get("result_status") == "sat" and obj == 0.0 and out.get("recheck") is True
        rows.append(
            {
                **base,
                "method": meth,
                "status": "sat" if solved else ("error" if out["error"] else "unknown"),
                "unsat_clauses": obj if obj is not None else out.get("infeasible_objective"),
                **out,
            }
        )
    return rows


def _median(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _summary(rows: list[dict]) -> dict:
    out: dict[str, Any] = {"methods": {}, "families": {}}
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    for meth, rs in by_method.items():
        out["methods"][meth] = {
            "instances": len(rs),
            "solved_fraction": sum(r["status"] == "sat" for r in rs) / len(rs),
            "median_time_s": _median([r.get("time_s") for r in rs]),
        }
        fams: dict[str, list[dict]] = {}
        for r in rs:
            fams.setdefault(r["family"], []).append(r)
        for fam, fr in sorted(fams.items(), key=lambda kv: natural_key(kv[0])):
            solved = [r for r in fr if r["status"] == "sat"]
            out["families"][f"{meth}/{fam}"] = {
                "instances": len(fr),
                "solved_fraction": len(solved) / len(fr),
                "median_time_s_solved": _median([r.get("time_s") for r in solved]),
                "median_time_s": _median([r.get("time_s") for r in fr]),
                "cadical_solved_fraction": (
                    sum(r.get("cadical_status") in ("sat", "unsat") for r in fr) / len(fr)
                ),
                "cadical_median_time_s": _median([r.get("cadical_time_s") for r in fr]),
                "sls_solved_fraction": sum(r.get("sls_status") == "sat" for r in fr) / len(fr),
                "sls_median_time_s": _median([r.get("sls_time_s") for r in fr]),
            }
    return out


SAT_SUITE = register_suite(
    Suite(
        name="sat",
        problems=("sat",),
        description="SATLIB uniform random 3-SAT (uf20…uf250, uuf50): solved fraction and "
        "time vs CaDiCaL and single-thread probSAT",
        data_subdir="satlib_uf",
        default_time_limit=10.0,
        columns=(
            "instance",
            "family",
            "n",
            "m",
            "method",
            "status",
            "unsat_clauses",
            "time_s",
            "cadical_status",
            "cadical_time_s",
            "sls_status",
            "sls_time_s",
            "recheck",
            "error",
        ),
        instances=_instances,
        rows=_rows,
        summarize=_summary,
    )
)
