"""The problem-agnostic core: problems, parameterizations, the solver, results."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .callbacks import Callback, RichProgress
from .errors import DeviceError, DnnsolveError, InputError, NumericalError
from .result import Result, atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from .lr_schedules import Schedule
    from .parameterization import FreeVariables, Parameterization
    from .problem import Evaluation, Problem
    from .solver import Solver, SolverConfig
    from .training import SolveState

#: the names whose modules import torch, loaded on first use
_LAZY = {
    "Schedule": ".lr_schedules",
    "FreeVariables": ".parameterization",
    "Parameterization": ".parameterization",
    "Evaluation": ".problem",
    "Problem": ".problem",
    "Solver": ".solver",
    "SolverConfig": ".solver",
    "SolveState": ".training",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Callback",
    "DeviceError",
    "DnnsolveError",
    "Evaluation",
    "FreeVariables",
    "InputError",
    "NumericalError",
    "Parameterization",
    "Problem",
    "Result",
    "RichProgress",
    "Schedule",
    "SolveState",
    "Solver",
    "SolverConfig",
    "atomic_write_bytes",
    "atomic_write_text",
]
