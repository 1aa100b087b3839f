"""Differentiable stage scheduling of task graphs (Liu et al., ICML 2024).

* :mod:`~dnnsolve.schedule.graph` — :class:`TaskGraph`, GML / GraphML / edge-list I/O;
* :mod:`~dnnsolve.schedule.generators` — random layered DAGs;
* :mod:`~dnnsolve.schedule.problem` — :class:`SchedulingProblem` (loss, decode, evaluate, verify);
* :mod:`~dnnsolve.schedule.gumbel` — the constrained Gumbel-softmax parameterization;
* :mod:`~dnnsolve.schedule.baselines` — list scheduling, topological partitions (greedy fill
  and DP-optimal), CP-SAT and HiGHS on the ILP;
* :mod:`~dnnsolve.schedule.report` — a Gantt-style PNG of a schedule.

>>> from dnnsolve import solve
>>> g = random_layered_dag(60, "sparse", seed=0)
>>> r = solve("schedule", g, steps=20, restarts=4, device="cpu", seed=0)
>>> r.feasible, r.solution["legal"]
(True, True)
"""

from .check import check_schedule
from .generators import random_layered_dag
from .graph import TaskGraph, from_networkx, read_task_graph, write_task_graph
from .problem import SchedulingProblem

__all__ = [
    "SchedulingProblem",
    "TaskGraph",
    "check_schedule",
    "from_networkx",
    "random_layered_dag",
    "read_task_graph",
    "write_task_graph",
]
