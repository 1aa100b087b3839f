"""Learning Without Loss (Elser, arXiv 1911.00493): networks trained by RRR projections.

Every network variable is replicated per data item and edge (divide and concur); set A holds
consensus, data clamps, activations, class margins and the weight norm Omega, set B the
bilinear neuron constraint x . w = Omega y and bias consensus. The generic RRR engine
(:class:`dnnsolve.rrr.engine.RRR`) iterates x <- x + beta [P_B(2 P_A x - x) - P_A x] on the
flat state of :class:`FeedForwardDC` / :class:`NMFDC`.

>>> import numpy as np
>>> rrr_nmf(np.outer([1.0, 2.0], [2.0, 1.0]), 1, beta=0.5, omega=2.0)["success_rate"]
1.0
"""

from __future__ import annotations

from .network import FeedForwardDC, forward, init_params
from .nmf import NMFDC, auto_omega, nmf_residual, polish_nmf, rrr_nmf
from .projections import (
    bilinear_multiplier,
    bilinear_project,
    class_bounds,
    consensus,
    interval_project,
    relu_project,
    sphere_project,
    step_project,
)
from .train import LWLConfig, LWLModel, train_autoencoder, train_classifier, train_network

__all__ = [
    "NMFDC",
    "FeedForwardDC",
    "LWLConfig",
    "LWLModel",
    "auto_omega",
    "bilinear_multiplier",
    "bilinear_project",
    "class_bounds",
    "consensus",
    "forward",
    "init_params",
    "interval_project",
    "nmf_residual",
    "polish_nmf",
    "relu_project",
    "rrr_nmf",
    "sphere_project",
    "step_project",
    "train_autoencoder",
    "train_classifier",
    "train_network",
]
