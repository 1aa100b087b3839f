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

import warnings

# torch's sparse CSR is stable for the operations used here; its beta notice is noise for users.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")

from .core.callbacks import Callback, RichProgress  # noqa: E402
from .core.errors import DeviceError, DnnsolveError, InputError, NumericalError  # noqa: E402
from .core.parameterization import FreeVariables, Parameterization  # noqa: E402
from .core.problem import Evaluation, Problem  # noqa: E402
from .core.result import Result  # noqa: E402
from .core.solver import Solver, SolverConfig  # noqa: E402
from .family import Family, Options, families, get_family, solve  # noqa: E402
from .graph import Graph  # noqa: E402
from .methods import get_method, methods, register  # noqa: E402

__version__ = "0.1.0"

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
