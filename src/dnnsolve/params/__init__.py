"""Parameterizations beyond free variables (graph neural networks)."""

from ..core.parameterization import FreeVariables, Parameterization
from .gnn import GraphNetwork

__all__ = ["FreeVariables", "GraphNetwork", "Parameterization"]
