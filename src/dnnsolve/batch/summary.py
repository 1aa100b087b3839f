"""The end-of-batch summary: one row per configuration, ranked within each problem.

Configurations are ranked by mean gap to the reference when every configuration has one,
else by mean per-instance rank (1 = best objective on that instance among the
configurations; an infeasible or failed result ranks last), ties broken by mean time. A plain
mean objective over different instances mixes scales, so it is shown but not used to rank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

__all__ = ["summarize", "summary_table"]


def _mean(xs: list) -> float | None:
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return sum(xs) / len(xs) if xs else None


def _config_name(rec: dict) -> str:
    method = rec.get("method") or (rec.get("config") or {}).get("method") or "default"
    label = rec.get("label") or ""
    if label.startswith(f"method={method}"):
        label = label[len(f"method={method}") :].strip()
    return f"{method} {label}".strip()


def _instance_ranks(groups: dict[str, list[dict]], sense: str) -> dict[str, float]:
    """Mean over instances of each group's rank on that instance (ties share the mean rank)."""
    per_inst: dict[str, dict[str, float | None]] = defaultdict(dict)
    for name, recs in groups.items():
        for r in recs:
            key = str(r.get("input") or r.get("instance"))
            obj = r.get("objective") if r.get("status") == "ok" and r.get("feasible") else None
            if obj is not None:
                prev = per_inst[key].get(name)
                better = prev is None or (obj > prev if sense == "max" else obj < prev)
                per_inst[key][name] = obj if better else prev
            else:
                per_inst[key].setdefault(name, None)
    ranks: dict[str, list[float]] = defaultdict(list)
    worst = float(len(groups))
    for values in per_inst.values():
        scored = [(n, v) for n, v in values.items() if v is not None]
        sign = -1.0 if sense == "max" else 1.0
        scored.sort(key=lambda nv: sign * nv[1])
        i = 0
        while i < len(scored):
            j = i
            while j + 1 < len(scored) and scored[j + 1][1] == scored[i][1]:
                j += 1
            for k in range(i, j + 1):
                ranks[scored[k][0]].append((i + j) / 2 + 1)
            i = j + 1
        for n in groups:
            if values.get(n) is None:
                ranks[n].append(worst)
    return {n: sum(v) / len(v) for n, v in ranks.items() if v}


def summarize(records: list[dict]) -> list[dict]:
    """Summary rows: per problem and configuration, counts and means, with a ``rank``.

    >>> recs = [
    ...     {"task_id": "1", "problem": "maxcut", "method": "relaxed", "label": "lr=0.1", "input": "a",
    ...      "status": "ok", "feasible": True, "objective": 10.0, "sense": "max", "time_s": 1.0},
    ...     {"task_id": "2", "problem": "maxcut", "method": "relaxed", "label": "lr=1", "input": "a",
    ...      "status": "ok", "feasible": True, "objective": 12.0, "sense": "max", "time_s": 2.0},
    ...     {"task_id": "3", "problem": "maxcut", "method": "relaxed", "label": "lr=1", "input": "b",
    ...      "status": "failed", "feasible": False, "objective": None, "error": "boom"},
    ... ]
    >>> [(r["rank"], r["config"], r["ok"], r["failed"]) for r in summarize(recs)]
    [(1, 'relaxed lr=1', 1, 1), (2, 'relaxed lr=0.1', 1, 0)]
    """
    by_problem: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if "task_id" not in r:
            continue
        by_problem[str(r.get("problem"))][_config_name(r)].append(r)
    rows: list[dict] = []
    for problem, groups in by_problem.items():
        senses = [r.get("sense") for rs in groups.values() for r in rs if r.get("sense")]
        sense = senses[0] if senses else "max"
        ranks = _instance_ranks(groups, sense)
        prows = []
        for name, recs in groups.items():
            ok = [r for r in recs if r.get("status") == "ok"]
            feas = [r for r in ok if r.get("feasible")]
            gaps = [r.get("reference_gap", r.get("gap")) for r in feas]  # v1 records: "gap"
            proven = [r.get("gap") for r in feas if r.get("schema_version", 1) >= 2]
            prows.append(
                {
                    "problem": problem,
                    "config": name,
                    "tasks": len(recs),
                    "ok": len(ok),
                    "failed": len(recs) - len(ok),
                    "feas %": 100.0 * len(feas) / len(recs) if recs else None,
                    "objective": _mean([r.get("objective") for r in feas]),
                    "ref. gap %": None
                    if not gaps or any(g is None for g in gaps)
                    else 100.0 * _mean(gaps),  # type: ignore[operator]
                    "proven gap %": None
                    if not proven or any(g is None for g in proven)
                    else 100.0 * _mean(proven),  # type: ignore[operator]
                    "mean rank": ranks.get(name),
                    "time s": _mean([r.get("time_s") for r in ok]),
                }
            )
        by_gap = all(p["ref. gap %"] is not None and p["failed"] == 0 for p in prows)

        def key(p: dict, by_gap: bool = by_gap) -> tuple:
            primary = p["ref. gap %"] if by_gap else p["mean rank"]
            return (
                math.inf if primary is None else primary,
                math.inf if p["time s"] is None else p["time s"],
            )

        prows.sort(key=key)
        for i, p in enumerate(prows, 1):
            rows.append({"rank": i, **p})
    return rows


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)


def summary_table(rows: list[dict], title: str | None = None):
    """A Rich table of :func:`summarize` rows."""
    from rich.table import Table

    table = Table(
        title=title,
        caption="means over each configuration's tasks; rank = "
        "by gap to the reference when known, else by mean per-instance rank",
    )
    cols = list(dict.fromkeys(k for r in rows for k in r))
    if len({r.get("problem") for r in rows}) == 1:
        cols.remove("problem")
    for c in cols:
        left = c in ("problem", "config")
        table.add_column(c, justify="left" if left else "right", no_wrap=c == "config")
    for r in rows:
        table.add_row(*[_fmt(r.get(c)) for c in cols])
    return table
