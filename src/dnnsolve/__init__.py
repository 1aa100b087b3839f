"""dnnsolve: dataless neural networks for optimization.

A network is trained on one problem instance, with no training data; the
trained network, decoded and verified, is the solution.

>>> import networkx as nx
>>> import dnnsolve
>>> result = dnnsolve.solve("maxcut", nx.cycle_graph(8), steps=50, restarts=4, device="cpu")
>>> result.objective
8.0
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

# torch's sparse CSR is stable for the operations used here; its beta notice is noise for users.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")

from .core.callbacks import Callback, RichProgress  # noqa: E402
from .core.errors import DeviceError, DnnsolveError, InputError, NumericalError  # noqa: E402
from .core.result import Result  # noqa: E402
from .family import Family, Options, families, get_family, solve  # noqa: E402

# bound here, before any import of the submodule dnnsolve.methods could take the name
from .methods import get_method, methods, register  # noqa: E402

if TYPE_CHECKING:
    from .core.parameterization import FreeVariables, Parameterization
    from .core.problem import Evaluation, Problem
    from .core.solver import Solver, SolverConfig
    from .graph import Graph

__version__ = "0.1.0"

#: the names whose modules load torch or SciPy, imported on first use: ``import dnnsolve`` (and
#: so every ``dnnsolve`` command) starts without them
_LAZY = {
    "FreeVariables": ".core.parameterization",
    "Parameterization": ".core.parameterization",
    "Evaluation": ".core.problem",
    "Problem": ".core.problem",
    "Solver": ".core.solver",
    "SolverConfig": ".core.solver",
    "Graph": ".graph",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Callback",
    "DeviceError",
    "DnnsolveError",
    "Evaluation",
    "Family",
    "FreeVariables",
    "Graph",
    "InputError",
    "NumericalError",
    "Options",
    "Parameterization",
    "Problem",
    "Result",
    "RichProgress",
    "Solver",
    "SolverConfig",
    "__version__",
    "families",
    "get_family",
    "get_method",
    "methods",
    "register",
    "solve",
]
