"""Instance readers and writers (Gset, DIMACS, edge lists, CNF, hypergraphs, NetworkX)."""

from .cnf import CNF, assignment_from_independent_set, cnf_to_mis_graph, read_cnf, write_cnf
from .graphs import FORMATS, detect_format, from_networkx, read_graph, write_dimacs, write_gset
from .hypergraphs import (
    HYPERGRAPH_FORMATS,
    load_hypergraph,
    read_hypergraph,
    write_hmetis,
    write_hypop,
)

__all__ = [
    "CNF",
    "FORMATS",
    "HYPERGRAPH_FORMATS",
    "assignment_from_independent_set",
    "cnf_to_mis_graph",
    "detect_format",
    "from_networkx",
    "load_hypergraph",
    "read_cnf",
    "read_graph",
    "read_hypergraph",
    "write_cnf",
    "write_dimacs",
    "write_gset",
    "write_hmetis",
    "write_hypop",
]
