"""PDEs without data: PINNs and Deep Ritz on the core solver.

- :mod:`.problem`: a :class:`PDE` (domain, residual or energy, conditions, hard constraint,
  reference) as a core problem (:class:`PDEProblem`) with a :class:`FieldNetwork`
  parameterization; :func:`solve_pde` trains with Adam then L-BFGS and reports the relative L2
  error; built-in problems in :data:`PDE_PROBLEMS`;
- :mod:`.networks`: MLP, Deep Ritz residual network, Fourier features (optionally exactly
  periodic), SIREN;

- :mod:`.geometry`: domains (interval, box, ball, polygon / L-shape, products with time) with
  interior / boundary / initial samplers, outward normals, evaluation grids and boundary
  distance functions for hard constraints;
- :mod:`.sampling`: uniform, Latin hypercube and Sobol points, residual-based refinement
  (RAR, RAD);
- :mod:`.autograd`: gradient, partial derivatives, Laplacian, divergence, Jacobian, Hessian of
  network outputs at batched points (differentiable again, for losses);
- :mod:`.references`: reference solutions (analytic; Burgers by Cole–Hopf quadrature; loaders
  for the published data files) and the relative L2 error;
- :mod:`.classical`: classical solvers run beside the networks (finite differences, ETDRK4,
  method of lines, Crank–Nicolson).

>>> from dnnsolve.pde import Box, laplacian, requires_grad
>>> x = requires_grad(Box([0, 0], [1, 1]).sample_interior(4, generator=torch.Generator().manual_seed(0)))
>>> bool(torch.allclose(laplacian((x**2).sum(1), x), torch.full((4,), 4.0)))
True
"""

import torch  # noqa: F401  (doctest namespace)

from . import classical
from .autograd import divergence, gradient, hessian, jacobian, laplacian, partial, requires_grad
from .builtins import allen_cahn, poisson2d, poisson_lshape, poisson_nd
from .classical import allen_cahn_reference, poisson_lshape_reference
from .geometry import Ball, Box, Disk, Geometry, Grid, Interval, Polygon, Rectangle, TimeDomain
from .networks import MLP, NETWORKS, FourierMLP, ResidualMLP, build_network
from .problem import (
    PDE,
    Derivatives,
    Dirichlet,
    FieldNetwork,
    Initial,
    Neumann,
    PDEProblem,
    Periodic,
    Robin,
)
from .references import (
    BURGERS_NU,
    Reference,
    burgers_cole_hopf,
    burgers_reference,
    grid_points,
    heat_reference,
    helmholtz_reference,
    load_allen_cahn,
    load_burgers_shock,
    load_poisson_lshape,
    poisson2d_reference,
    poisson_nd_reference,
    relative_l2,
)
from .sampling import METHODS, rad_resample, rar_select, sample
from .solve import PDE_PROBLEMS, PDEResult, builtin, solve_pde

__all__ = [
    "BURGERS_NU",
    "METHODS",
    "MLP",
    "NETWORKS",
    "PDE",
    "PDE_PROBLEMS",
    "Ball",
    "Box",
    "Derivatives",
    "Dirichlet",
    "Disk",
    "FieldNetwork",
    "FourierMLP",
    "Geometry",
    "Grid",
    "Initial",
    "Interval",
    "Neumann",
    "PDEProblem",
    "PDEResult",
    "Periodic",
    "Polygon",
    "Rectangle",
    "Reference",
    "ResidualMLP",
    "Robin",
    "TimeDomain",
    "allen_cahn",
    "allen_cahn_reference",
    "build_network",
    "builtin",
    "burgers_cole_hopf",
    "burgers_reference",
    "classical",
    "divergence",
    "gradient",
    "grid_points",
    "heat_reference",
    "helmholtz_reference",
    "hessian",
    "jacobian",
    "laplacian",
    "load_allen_cahn",
    "load_burgers_shock",
    "load_poisson_lshape",
    "partial",
    "poisson2d",
    "poisson2d_reference",
    "poisson_lshape",
    "poisson_lshape_reference",
    "poisson_nd",
    "poisson_nd_reference",
    "rad_resample",
    "rar_select",
    "relative_l2",
    "requires_grad",
    "sample",
    "solve_pde",
]
