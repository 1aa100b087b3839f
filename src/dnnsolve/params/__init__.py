"""Parameterizations beyond free variables: graph, hypergraph, colouring and clause networks."""

from ..core.parameterization import FreeVariables, Parameterization
from .gnn import EmbeddingNetwork, GraphNetwork, TwoLayerNetwork

__all__ = [
    "EmbeddingNetwork",
    "FreeVariables",
    "GraphNetwork",
    "Parameterization",
    "TwoLayerNetwork",
]
