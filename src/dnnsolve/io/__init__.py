"""Instance readers and writers (Gset, DIMACS, edge lists, CNF / WCNF, hypergraphs, NetworkX)."""

from .cnf import CNF, assignment_from_independent_set, cnf_to_mis_graph, read_cnf, write_cnf
from .graphs import FORMATS, detect_format, from_networkx, read_graph, write_dimacs, write_gset
from .hypergraphs import (
    HYPERGRAPH_FORMATS,
    load_hypergraph,
    read_hypergraph,
    write_hmetis,
    write_hypop,
)
from .wcnf import WCNF, detect_sat_format, read_wcnf, write_wcnf

__all__ = [
    "CNF",
    "FORMATS",
    "HYPERGRAPH_FORMATS",
    "WCNF",
    "assignment_from_independent_set",
    "cnf_to_mis_graph",
    "detect_format",
    "detect_sat_format",
    "from_networkx",
    "load_hypergraph",
    "read_cnf",
    "read_graph",
    "read_hypergraph",
    "read_wcnf",
    "write_cnf",
    "write_dimacs",
    "write_gset",
    "write_hmetis",
    "write_hypop",
    "write_wcnf",
]
