"""The problem-agnostic core: problems, parameterizations, the solver, results."""

from .callbacks import Callback, RichProgress
from .errors import DeviceError, DnnsolveError, InputError, NumericalError
from .lr_schedules import Schedule
from .parameterization import FreeVariables, Parameterization
from .problem import Evaluation, Problem
from .result import Result, atomic_write_bytes, atomic_write_text
from .solver import Solver, SolverConfig
from .training import SolveState

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
