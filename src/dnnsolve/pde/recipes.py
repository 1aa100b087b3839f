"""Training recipes: what :func:`~dnnsolve.pde.solve.solve_pde` does with the settings its
caller leaves unset.

The default recipe follows the high-accuracy PINN practice of Urbán, Stefanou & Pons (J. Comput.
Phys. 2024) and Kiyani et al. (CMAME 2025): a compact tanh network in float64, the boundary and
initial conditions built into the output (:func:`~dnnsolve.pde.constraints.exact_conditions`,
where the problem allows), a short Adam warm-up, then a dense self-scaled Broyden method whose
collocation points are redrawn every ``qn_refresh`` iterations (the curvature estimate is kept),
until the time budget ends it.  ``"adam-lbfgs"`` is the former default (Adam 5000, L-BFGS 1000,
float32, conditions as penalties), kept to reproduce older runs.

Recipes were tuned on Burgers seed 0 and the heat equation seed 0; BENCHMARKS.md reports the
other seeds and problems as held out.

>>> r = recipe_for("burgers")
>>> r.name, r.quasi_newton, r.dtype, r.time_limit
('burgers', 'ssbroyden', 'float64', 270.0)
>>> recipe_for("my-own-pde").name
'default'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import InputError

__all__ = ["RECIPES", "Recipe", "recipe_for"]


@dataclass(frozen=True)
class Recipe:
    """Settings of a solve; ``solve_pde`` takes each one its caller did not give.

    ``exact``: build the conditions into the network when the problem's structure allows;
    ``lbfgs_steps`` caps the quasi-Newton iterations (``time_limit``, in seconds for the whole
    solve, usually ends the run first; ``None``: no limit)."""

    name: str
    #: keyword arguments of the built-in problem's builder (a formulation of the same PDE)
    variant: Mapping[str, Any] = field(default_factory=dict)
    exact: bool = True
    method: str = "pinn"
    net: str = "mlp"
    options: Mapping[str, Any] = field(default_factory=lambda: {"hidden": 20, "layers": 3})
    adam_steps: int = 1000
    lr: float = 1e-3
    lbfgs_steps: int = 50_000
    quasi_newton: str = "ssbroyden"
    qn_refresh: int = 50
    interior: int = 5000
    boundary: int = 200
    validation: int = 2000
    sampler: str = "sobol"
    dtype: str = "float64"
    time_limit: float | None = 100.0

    def network(
        self, net: str | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], bool]:
        """The network a solve builds, its options, and whether it is the recipe's own.

        With no other network named and no ``options`` given it is the recipe's network with
        the recipe's options, and the recipe's formulation (``variant``) goes with it (e.g.
        periodicity left to an exactly periodic network); otherwise ``net`` (default the
        recipe's) with ``options`` alone.

        >>> recipe_for("allen-cahn").network()[0::2], recipe_for("heat").network("siren", {})
        (('fourier', True), ('siren', {}, False))
        """
        own = (net is None or net == self.net) and options is None
        return net or self.net, dict(self.options if own else options or {}), own

    def settings(self) -> dict[str, Any]:
        """The recipe as a plain dict (recorded in the result)."""
        out = dataclasses.asdict(self)
        out["options"] = dict(self.options)
        out["variant"] = dict(self.variant)
        return out


_DEFAULT = Recipe("default")

#: recipes by built-in problem name; other problems (and user PDEs) get ``"default"``
RECIPES: dict[str, Recipe] = {
    "default": _DEFAULT,
    "adam-lbfgs": Recipe(
        "adam-lbfgs",
        exact=False,
        options={},
        adam_steps=5000,
        lbfgs_steps=1000,
        quasi_newton="lbfgs",
        qn_refresh=0,
        interior=2000,
        dtype="float32",
        time_limit=None,
    ),
    "burgers": dataclasses.replace(_DEFAULT, name="burgers", time_limit=270.0),
    # ten dimensions: the Ritz energy needs first derivatives only (a PINN's Laplacian costs
    # ten second-derivative passes: it did not finish its Adam warm-up in the budget); the
    # 20 faces of the cube get enough boundary points for the penalty
    "poisson-nd": dataclasses.replace(
        _DEFAULT, name="poisson-nd", method="deep-ritz", boundary=2000
    ),
    # the initial data in the output, periodicity in an exactly periodic embedding of x
    # (cos πx, sin πx): the loss is the residual alone (Urbán et al.'s formulation)
    "allen-cahn": dataclasses.replace(
        _DEFAULT,
        name="allen-cahn",
        variant={"hard_initial": True, "periodic_network": True},
        net="fourier",
        options={"hidden": 30, "layers": 3, "features": 0, "periodic": {0: (2.0, 1)}},
        interior=8000,
        time_limit=840.0,
    ),
}


def recipe_for(problem: str | None, name: str = "auto") -> Recipe:
    """The recipe ``name``, or with ``"auto"`` the one of built-in ``problem`` (``"default"``
    for problems without one)."""
    if name == "auto":
        return RECIPES.get(problem or "", _DEFAULT)
    if name not in RECIPES:
        raise InputError(f"unknown recipe {name!r}; choose from auto, {', '.join(RECIPES)}")
    return RECIPES[name]
