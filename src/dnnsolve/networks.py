"""Coordinate networks shared by the families that fit a field to coordinates (untrained
images, PDE solutions): the SIREN of Sitzmann et al. (2020).

Family-specific networks live with their family (:mod:`dnnsolve.imaging.networks`,
:mod:`dnnsolve.pde.networks`); a network moves here when a second family uses it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["SineLayer", "Siren"]


class SineLayer(nn.Module):
    """``sin(omega_0 (W x + b))`` with SIREN's initialization (``first``: the input layer)."""

    def __init__(self, n_in: int, n_out: int, omega_0: float, first: bool):
        super().__init__()
        self.omega_0 = omega_0
        self.linear = nn.Linear(n_in, n_out)
        bound = 1.0 / n_in if first else math.sqrt(6.0 / n_in) / omega_0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega_0 * self.linear(x))


class Siren(nn.Module):
    """SIREN (Sitzmann et al. 2020): ``sin(omega_0 (W x + b))`` layers and a linear output.

    Initialization as published: first layer ``W ~ U(-1/n, 1/n)``, hidden layers
    ``W ~ U(-sqrt(6/n)/omega_0, sqrt(6/n)/omega_0)`` (n = fan-in), biases PyTorch's
    default; the last layer is linear with the hidden initialization.  With this
    initialization every hidden activation is arcsine-distributed on ``[-1, 1]``
    (standard deviation ``1/sqrt(2)``).  Defaults: 3 hidden layers of 256 (the image-fitting
    network: 2 -> 256 x 4 sine layers -> out), ``omega_0 = 30``.

    >>> net = Siren(out_features=3, hidden=32, hidden_layers=1)
    >>> net(torch.zeros(5, 2)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        in_features: int = 2,
        out_features: int = 1,
        hidden: int = 256,
        hidden_layers: int = 3,
        first_omega_0: float = 30.0,
        hidden_omega_0: float = 30.0,
    ):
        super().__init__()
        layers: list[nn.Module] = [SineLayer(in_features, hidden, first_omega_0, True)]
        layers += [SineLayer(hidden, hidden, hidden_omega_0, False) for _ in range(hidden_layers)]
        self.sines = nn.Sequential(*layers)
        self.out = nn.Linear(hidden, out_features)
        bound = math.sqrt(6.0 / hidden) / hidden_omega_0
        with torch.no_grad():
            self.out.weight.uniform_(-bound, bound)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        """Map coordinates ``(..., in_features)`` to values ``(..., out_features)``."""
        return self.out(self.sines(coords))
