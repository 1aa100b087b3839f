"""Benchmark suites: one module of suites per family in :mod:`dnnsolve.bench.suites`.

The CLI's ``dnnsolve bench SUITE`` calls :func:`run_suite`, which writes a JSON
file with every row and the hardware, and a Markdown table with a summary.

>>> {"gset", "satlib-mis", "er", "regular", "color", "sat"} <= set(SUITES)
True
"""

from .generators import er_suite_graph, erdos_renyi, random_regular
from .harness import (
    SUITES,
    BenchReport,
    Instance,
    Suite,
    SuiteContext,
    hardware_info,
    markdown_table,
    register_suite,
    run_suite,
    select_instances,
)

__all__ = [
    "SUITES",
    "BenchReport",
    "Instance",
    "Suite",
    "SuiteContext",
    "er_suite_graph",
    "erdos_renyi",
    "hardware_info",
    "markdown_table",
    "random_regular",
    "register_suite",
    "run_suite",
    "select_instances",
]
