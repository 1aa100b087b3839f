"""``dnnsolve verify``: recheck a result file from its input alone.

A checker reads the input file, takes the result's ``solution`` and recomputes, with code of
its own (this package imports none of the solvers, the families or :mod:`dnnsolve.bounds`: an
import-linter contract), that the answer is what the problem asks (feasible), that its
objective is the one recorded, and that the recorded bound follows from its certificate.
Every checker has the signature

    check(problem: str, input: Path, result: dict, certificate: dict | None,
          fmt: str | None) -> list[str]

returning what it checked, one short line each, and raising :class:`Failed` with one line
naming the first thing that does not hold.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
from pathlib import Path
from typing import Any

from ..core.errors import InputError


class Failed(Exception):
    """Something in a result file does not hold: one line saying what."""


#: problem → "module:function" of its checker (imported when a result of it is checked)
CHECKERS: dict[str, str] = {
    "maxcut": "dnnsolve.verify.cut:check",
    "hypermaxcut": "dnnsolve.verify.cut:check",
    "mis": "dnnsolve.verify.sets:check",
    "clique": "dnnsolve.verify.sets:check",
    "vertex-cover": "dnnsolve.verify.sets:check",
    "color": "dnnsolve.verify.sets:check",
    "k-coloring": "dnnsolve.verify.sets:check",
    "rrr-color": "dnnsolve.verify.sets:check",
    "domset": "dnnsolve.verify.domination:check",
    "total-domset": "dnnsolve.verify.domination:check",
    "connected-domset": "dnnsolve.verify.domination:check",
    "disjunctive-domset": "dnnsolve.verify.domination:check",
    "liars-domset": "dnnsolve.verify.domination:check",
    "ve-domset": "dnnsolve.verify.domination:check",
    "dissociation": "dnnsolve.verify.domination:check",
    "schedule": "dnnsolve.verify.schedule:check",
    "sat": "dnnsolve.verify.sat:check",
    "maxsat": "dnnsolve.verify.sat:check",
    "lp": "dnnsolve.verify.lp:check",
    "sudoku": "dnnsolve.verify.puzzles:check",
    "qp": "dnnsolve.verify.lp:check",
}


def checker(problem: str) -> Any:
    """The checker function of ``problem``, or None when its answers are not rechecked."""
    target = CHECKERS.get(problem)
    if target is None:
        return None
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


#: the result files this version reads (``schema_version``)
SCHEMA_VERSIONS = (1, 2)

#: families whose answers are judged against what the input file does not hold (a clean
#: image, an exact PDE solution, held-out data): their result files are read and their
#: records checked for consistency, but the answer is not recomputed
NOT_RECHECKED = {
    "denoise": "an image's quality is measured against the clean image, not in the input",
    "inpaint": "an image's quality is measured against the clean image, not in the input",
    "superres": "an image's quality is measured against the clean image, not in the input",
    "deblur": "an image's quality is measured against the clean image, not in the input",
    "mri": "an image's quality is measured against the clean image, not in the input",
    "ct": "an image's quality is measured against the clean image, not in the input",
    "fit": "an image's quality is measured against the clean image, not in the input",
    "pde": "a PDE answer is a network, measured against the exact solution of a built-in",
    "nmf": "a factorization is stored as its factors' shapes only",
    "classify": "a trained network's weights are not in the result",
    "autoencode": "a trained network's weights are not in the result",
    "bit-retrieval": "the signal is stored as its statistics only",
}


def load_result(path: Path) -> dict:
    """The result JSON at ``path`` (InputError naming the file when it cannot be one)."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise InputError(f"cannot read the result: {exc.strerror}", path=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a result JSON ({exc})", path=str(path)) from None
    if not isinstance(data, dict) or "problem" not in data or "solution" not in data:
        raise InputError("not a dnnsolve result (no problem / solution)", path=str(path))
    version = data.get("schema_version")
    if version not in SCHEMA_VERSIONS:
        raise InputError(
            f"result schema_version {version!r} is not one of {SCHEMA_VERSIONS}", path=str(path)
        )
    return data


def certificate_of(result: dict, result_path: Path) -> dict | None:
    """The bound's certificate: in the result, or in the file it names (relative to the
    result's folder), whose SHA-256 must match the one recorded."""
    cert = result.get("certificate")
    if not isinstance(cert, dict) or "file" not in cert:
        return cert
    path = Path(cert["file"])
    if not path.is_absolute():
        path = Path(result_path).resolve().parent / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the certificate: {exc.strerror}", path=str(path)) from None
    if cert.get("sha256") and hashlib.sha256(data).hexdigest() != cert["sha256"]:
        raise Failed(f"certificate file {path.name} is not the one the result was written with")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a certificate JSON ({exc})", path=str(path)) from None


def proven_gap(objective: float, bound: float, sense: str) -> float | None:
    """The gap the result should record for ``objective`` and ``bound`` (the definition of
    the result schema, written out again here)."""
    diff = bound - objective if sense == "max" else objective - bound
    if abs(diff) <= 1e-9 * max(1.0, abs(bound), abs(objective)):
        return 0.0
    return None if bound == 0 else diff / abs(bound)


def check_record(result: dict) -> list[str]:
    """What a result must hold whatever its family: a bound comes with its method and
    certificate, never contradicts the objective, and the recorded gap and status follow
    from them."""
    bound, objective, sense = result.get("bound"), result.get("objective"), result.get("sense")
    if bound is None:
        if result.get("gap") is not None:
            raise Failed("a gap is recorded without a bound")
        return []
    if not isinstance(bound, (int, float)) or not math.isfinite(bound):
        raise Failed(f"bound {bound!r} is not a finite number")
    if not result.get("bound_method") or result.get("certificate") is None:
        raise Failed("a bound is recorded without its method and certificate")
    if objective is None:
        raise Failed("a bound is recorded without an objective")
    gap = proven_gap(objective, bound, sense)
    if gap is not None and gap < 0:
        better = "above" if sense == "max" else "below"
        raise Failed(f"the objective {objective:g} is {better} the bound {bound:g}")
    recorded = result.get("gap")
    if (gap is None) != (recorded is None) or (
        gap is not None and abs(recorded - gap) > 1e-9 * max(1.0, abs(gap))
    ):
        raise Failed(f"gap {recorded!r} recorded, but objective and bound give {gap!r}")
    if result.get("status") == "optimal" and gap not in (None, 0.0) and gap > 1e-6:
        raise Failed(f"status optimal recorded with a proven gap of {gap:.3g}")
    return [f"gap {gap if gap is not None else 'undefined'} follows from bound {bound:g}"]


def verify(input: Path | None, result_path: Path, fmt: str | None = None) -> list[str]:
    """Recheck the result file ``result_path`` against ``input``; what was checked, one line
    each. Raises :class:`Failed` (one line) when something does not hold, InputError when a
    file cannot be read.

    >>> from dnnsolve import solve
    >>> from dnnsolve.data import example_path
    >>> import tempfile, pathlib
    >>> r = solve("mis", example_path("mis_example"), steps=30, restarts=2, device="cpu", seed=0)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> r.save(out)
    >>> lines = verify(example_path("mis_example"), out)
    >>> len(lines) > 1
    True
    """
    result = load_result(result_path)
    problem = result["problem"]
    check = checker(problem)
    if check is None:
        if problem not in NOT_RECHECKED:
            raise InputError(f"unknown problem {problem!r} in the result", path=str(result_path))
        why = NOT_RECHECKED[problem]
        return [f"{problem}: record read; the answer is not rechecked ({why})"]
    if input is None:
        raise InputError(f"give the INPUT file the {problem} result answers")
    certificate = certificate_of(result, result_path)
    lines = check(problem, Path(input), result, certificate, fmt)
    return [*lines, *check_record(result)]
