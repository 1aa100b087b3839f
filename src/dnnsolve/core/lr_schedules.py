"""Learning-rate and hyper-parameter schedules: a factor as a function of training progress
t ∈ [0, 1] (not to be confused with the task-graph scheduling family, :mod:`dnnsolve.schedule`).

Written as short strings so the CLI and result JSON can carry them:
``"constant"``, ``"cosine"``, ``"linear:a,b"`` (a → b), ``"exp:a,b"`` (geometric a → b),
``"step:k,g"`` (multiply by g at each of k equal stages).

>>> Schedule.parse("linear:0.1,1")(0.5)
0.55
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError


@dataclass(frozen=True)
class Schedule:
    kind: str = "constant"
    a: float = 1.0
    b: float = 1.0

    @classmethod
    def parse(cls, spec: str | float | Schedule | None) -> Schedule:
        if spec is None:
            return cls()
        if isinstance(spec, Schedule):
            return spec
        if isinstance(spec, (int, float)):
            return cls("constant", float(spec), float(spec))
        kind, _, args = spec.strip().partition(":")
        try:
            vals = [float(v) for v in args.split(",")] if args else []
        except ValueError as exc:
            raise InputError(f"bad schedule {spec!r}: arguments must be numbers") from exc
        if kind == "constant" and len(vals) <= 1:
            v = vals[0] if vals else 1.0
            return cls("constant", v, v)
        if kind == "cosine" and len(vals) <= 2:
            a, b = (vals + [1.0, 0.0][len(vals) :])[:2]
            return cls("cosine", a, b)
        if kind in ("linear", "exp", "step") and len(vals) == 2:
            if kind == "exp" and (vals[0] <= 0 or vals[1] <= 0):
                raise InputError(f"bad schedule {spec!r}: exp needs positive end points")
            return cls(kind, vals[0], vals[1])
        raise InputError(
            f"bad schedule {spec!r}; use constant, cosine, linear:a,b, exp:a,b or step:k,g"
        )

    def __call__(self, t: float) -> float:
        t = min(max(t, 0.0), 1.0)
        if self.kind == "constant":
            return self.a
        if self.kind == "linear":
            return self.a + (self.b - self.a) * t
        if self.kind == "exp":
            return self.a * (self.b / self.a) ** t
        if self.kind == "cosine":
            return self.b + 0.5 * (self.a - self.b) * (1 + math.cos(math.pi * t))
        # step: k stages, factor g per stage
        k = max(int(self.a), 1)
        return self.b ** min(int(t * k), k - 1)

    def __str__(self) -> str:
        if self.kind == "constant":
            return "constant" if self.a == 1.0 else f"constant:{self.a:g}"
        return f"{self.kind}:{self.a:g},{self.b:g}"
