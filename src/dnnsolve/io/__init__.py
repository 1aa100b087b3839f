"""Instance readers and writers (Gset, DIMACS, edge lists, CNF, NetworkX)."""

from .cnf import CNF, assignment_from_independent_set, cnf_to_mis_graph, read_cnf, write_cnf
from .graphs import FORMATS, detect_format, from_networkx, read_graph, write_dimacs, write_gset

__all__ = [
    "CNF",
    "FORMATS",
    "assignment_from_independent_set",
    "cnf_to_mis_graph",
    "detect_format",
    "from_networkx",
    "read_cnf",
    "read_graph",
    "write_cnf",
    "write_dimacs",
    "write_gset",
]
