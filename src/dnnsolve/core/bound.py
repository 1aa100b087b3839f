"""Certified bounds: how far an answer can be from the optimum, with the evidence.

A family that can bound its optimum gives its spec a ``bound`` function (see
:class:`dnnsolve.family.Family`): instance, the verified result and a deadline in, a
:class:`Bound` out. The bound's ``certificate`` is plain JSON (a vector, a dual solution, a
clique cover …) from which ``dnnsolve verify`` recomputes the value with code of its own; the
forms are listed in the README, "Certified bounds and dnnsolve verify".

>>> b = Bound(12083.0, "spectral", {"u": [0.0, 0.0]})
>>> relative_gap(11624.0, b.value, "max")
0.0379...
>>> relative_gap(5.0, 5.0, "min")
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Bound:
    """A proven bound on a problem's optimum: an upper bound when the problem maximizes, a
    lower bound when it minimizes.

    ``value`` is what the certificate proves (already rounded for integral objectives: the
    floor of a MaxCut bound with integer weights); ``method`` names the bound and so the
    form of ``certificate``; ``time_s`` is what computing it took; ``notes`` are figures
    worth reporting that the check does not need (iterations, the unrounded value …).
    """

    value: float
    method: str
    certificate: dict[str, Any] = field(default_factory=dict)
    time_s: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)


#: a gap this small (relative) is read as zero: the bound meets the answer
GAP_TOLERANCE = 1e-9


def relative_gap(objective: float | None, bound: float | None, sense: str) -> float | None:
    """How far ``objective`` may be from the optimum, relative to the bound: (bound −
    objective) / |bound| when maximizing, (objective − bound) / |bound| when minimizing.

    For a positive optimum this is exactly "the answer is within this fraction of the
    optimum, proven". Zero when the bound meets the answer (optimality proven), None when
    either is missing or the bound is zero while the answer is not.
    """
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = bound - objective if sense == "max" else objective - bound
    scale = abs(bound)
    if abs(diff) <= GAP_TOLERANCE * max(1.0, scale, abs(objective)):
        return 0.0
    if scale == 0:
        return None
    return diff / scale
