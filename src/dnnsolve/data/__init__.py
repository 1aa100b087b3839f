"""Small bundled example instances with proven optima.

``EXAMPLES`` maps a name to a dict with ``file``, ``problem`` (``"maxcut"`` or
``"mis"``), ``optimum`` (proven by CP-SAT), ``n``, ``m``, ``description`` and
``certificate`` (an optimal 0/1 vector, vertex order of the file).

>>> sorted(EXAMPLES)
['maxcut_example', 'mis_example', 'mis_sat_example']
>>> example_path("mis_example").name
'mis_example.dimacs'
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core.errors import InputError

DATA_DIR = Path(__file__).resolve().parent

EXAMPLES: dict[str, dict] = json.loads((DATA_DIR / "examples.json").read_text())


def example_path(name: str) -> Path:
    """Path of a bundled example, by name (a key of :data:`EXAMPLES`) or file name."""
    if name in EXAMPLES:
        return DATA_DIR / EXAMPLES[name]["file"]
    for info in EXAMPLES.values():
        if info["file"] == name:
            return DATA_DIR / name
    raise InputError(f"unknown example {name!r}; available: {', '.join(EXAMPLES)}")


__all__ = ["DATA_DIR", "EXAMPLES", "example_path"]
