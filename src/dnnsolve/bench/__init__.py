"""Benchmark suites (Gset, SATLIB-MIS, ER-[700-800], random regular scaling).

The CLI's ``dnnsolve bench SUITE`` calls :func:`run_suite`, which writes a JSON
file with every row and the hardware, and a Markdown table with a summary.

>>> sorted(SUITES)
['er', 'gset', 'regular', 'satlib-mis']
"""

from .generators import er_suite_graph, erdos_renyi, random_regular
from .harness import (
    SUITES,
    BenchReport,
    Suite,
    default_data_dir,
    hardware_info,
    markdown_table,
    run_suite,
    select_instances,
)

__all__ = [
    "SUITES",
    "BenchReport",
    "Suite",
    "default_data_dir",
    "er_suite_graph",
    "erdos_renyi",
    "hardware_info",
    "markdown_table",
    "random_regular",
    "run_suite",
    "select_instances",
]
