"""Instance readers and writers."""

from .graphs import from_networkx, read_graph

__all__ = ["from_networkx", "read_graph"]
