"""Certified bounds on the optimum of the graph, covering, SAT and LP problems.

Shared by the families (each family's spec names its bound function; see
:class:`dnnsolve.core.bound.Bound`): this package knows problems as data (a graph, a covering
matrix, clauses), imports no family and is checked independently by :mod:`dnnsolve.verify`,
which shares none of its code.
"""
