"""Start-up: the ``dnnsolve`` command imports what the command it runs needs, no more.

The checks name modules, not seconds (the time belongs in benchmarks): building the CLI imports
no family, and ``dnnsolve solve lp`` imports the LP family alone, without the graph, image and
PDE families' solvers or the heavy libraries they bring (OR-Tools, pandas, SciPy's optimize /
stats / interpolate, numba, matplotlib, PySAT). The tables that let one family load alone
(:data:`dnnsolve.family.FAMILY_HOMES`, :data:`dnnsolve.cli.generate.FAMILY_ALIASES`) are
checked against the specs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from typer.testing import CliRunner

from dnnsolve.cli.generate import FAMILY_ALIASES
from dnnsolve.data import example_path
from dnnsolve.family import FAMILY_HOMES, families

#: what the ``dnnsolve`` script imports, and what it runs (pyproject.toml, [project.scripts])
BUILD = "from dnnsolve.cli import main"
ENTRY = f"import sys; {BUILD}; sys.exit(main(sys.argv[1:]))"

#: libraries that only some solvers use, slow to import (OR-Tools alone ~0.35 s with pandas)
HEAVY = (
    "matplotlib",
    "numba",
    "ortools",
    "pandas",
    "pysat",
    "scipy.interpolate",
    "scipy.optimize",
    "scipy.stats",
    "skimage",
)
#: the package's code a command line loads only when it names it
FAMILY_CODE = (
    "dnnsolve.baselines",
    "dnnsolve.bench",
    "dnnsolve.imaging",
    "dnnsolve.pde",
    "dnnsolve.problems",
    "dnnsolve.rrr",
    "dnnsolve.schedule",
    "dnnsolve.search",
)


def imported(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter imports running ``code`` (read from ``-X importtime``)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", proc.stderr, re.M))


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The modules of ``packages`` (or the packages themselves) among ``modules``."""
    return sorted(
        m for m in modules if m in packages or m.startswith(tuple(p + "." for p in packages))
    )


def test_building_the_cli_imports_no_family_and_no_heavy_library():
    modules = imported(BUILD)
    assert "dnnsolve.cli.root" in modules
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, (*FAMILY_CODE, "dnnsolve.lp")) == []


def test_solve_lp_imports_the_lp_family_alone(tmp_path):
    out = tmp_path / "lp.json"
    args = ["solve", "lp", str(example_path("lp_example.mps")), "-q", "-o", str(out)]
    modules = imported(ENTRY, *args)
    assert json.loads(out.read_text())["status"] == "optimal"
    assert "dnnsolve.lp.pdhg" in modules
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, FAMILY_CODE) == []


def test_solve_lp_with_highs_does_not_import_torch(tmp_path):
    # no network runs: torch (1-2 s of start-up) stays unloaded, threads flag included
    out = tmp_path / "lp.json"
    args = ["solve", "lp", str(example_path("lp_example.mps")), "--method", "highs"]
    modules = imported(ENTRY, *args, "--threads", "2", "-q", "-o", str(out))
    result = json.loads(out.read_text())
    assert result["status"] == "optimal" and abs(result["objective"] - 8.5) < 1e-9
    assert "torch" not in modules
    assert loaded(modules, FAMILY_CODE) == []


def test_threads_set_before_torch_loads_reach_torch():
    # one thread, where torch's own default is the number of cores (torch caps it there)
    code = (
        "from dnnsolve.cli.common import set_threads; set_threads(1); "
        "import torch; print(torch.get_num_threads())"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "1"


def test_building_the_cli_does_not_import_torch():
    assert "torch" not in imported(BUILD)


def _registered_by() -> dict[str, str]:
    """Each family → the module whose top-level code registered it (every family loaded in a
    fresh interpreter, the registry recording who wrote each entry)."""
    code = """
import inspect, json
import dnnsolve.family as F

class Recorder(dict):
    def __setitem__(self, name, family):
        frames = [f for f in inspect.stack(0) if f.function == "<module>"]
        self.where = getattr(self, "where", {})
        self.where[name] = frames[0].frame.f_globals["__name__"]
        super().__setitem__(name, family)

F._FAMILIES = Recorder(F._FAMILIES)
F.families()
print(json.dumps(F._FAMILIES.where))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_family_homes_name_the_module_registering_each_family():
    homes = {name: home for home, names in FAMILY_HOMES.items() for name in names}
    assert _registered_by() == homes


def test_family_aliases_match_the_specs():
    aliases = {(fam.group or "", fam.alias): name for name, fam in families().items() if fam.alias}
    table = {
        (group, alias): name for group, ids in FAMILY_ALIASES.items() for alias, name in ids.items()
    }
    assert table == aliases


def test_bench_help_still_names_the_suites():
    from dnnsolve.cli import app

    res = CliRunner().invoke(app, ["bench", "--help"])
    assert res.exit_code == 0, res.output
    assert "gset" in res.output and "netlib" in res.output
