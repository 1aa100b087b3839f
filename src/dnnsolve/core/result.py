"""Results: the best verified solution and everything needed to reproduce it."""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .bound import relative_gap


def jsonable(obj: Any) -> Any:
    """Make NumPy / torch scalars and non-finite floats JSON-safe."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; follow the user's umask like open()
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that readers never see a half-written file."""
    atomic_write_bytes(path, text.encode("utf-8"))


#: the values of :attr:`Result.status`
STATUSES = ("optimal", "sat", "unsat", "unknown", "feasible", "infeasible")

#: the version of the result JSON (``schema_version``; the JSON Schema is
#: ``dnnsolve/schema/result.schema.json``): raised when a field changes meaning or goes away.
#: 2: ``gap`` is the proven gap to ``bound``; the gap to the reference is ``reference_gap``
SCHEMA_VERSION = 2

#: the keys of :attr:`Result.timings`, in seconds, the same for every family: reading and
#: building the model, the classical baseline, the main method, the local-search polish, the
#: independent check of the answer, the certified bound, the whole run
TIMING_KEYS = (
    "setup_s", "baseline_s", "optimize_s", "polish_s", "verify_s", "bound_s", "total_s",
)  # fmt: skip


def result_schema() -> dict:
    """The JSON Schema of a result file (``result.schema.json``, shipped in the package).

    >>> result_schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    True
    """
    from importlib.resources import files

    return json.loads(files(__package__).joinpath("result.schema.json").read_text())


#: the order of the keys of a result JSON (the answer first, the record of the run after)
_KEY_ORDER = (
    "schema_version", "problem", "instance", "method", "status", "feasible", "objective",
    "sense", "bound", "bound_method", "gap", "metrics", "reference", "reference_gap", "ratio",
    "solution", "found_by", "stop_reason", "steps", "restarts", "time_s", "timings", "device",
    "threads", "seed", "hparams", "extra", "certificate", "history",
)  # fmt: skip


class _Derived(str):
    """A status derived from ``feasible`` (not set by the family): a plain string to readers
    and in JSON, but handing it back (``dataclasses.replace``) keeps the status derived."""

    __slots__ = ()


@dataclass
class Result:
    """Outcome of one solve.

    ``objective`` and ``feasible`` come from the problem's independent
    verifier applied to ``solution``, never from the training loss.
    ``found_by`` says which stage found the reported solution: ``"network"`` (decoded and
    repaired), ``"local_search"`` (the polish from the network's solutions), ``"baseline"``
    (the family's classical heuristic, run inside the same time limit; ``extra["baseline"]``
    has its objective and time) or ``"baseline+local_search"`` (the polish from the
    heuristic's answer); a polish that also searches from starts of its own names them
    (``"anneal"``: MaxCut's simulated annealing from random starts); families with runners of
    their own name their stages (``"dsatur"``, ``"cadical"``, ...). ``stop_reason`` why training stopped: ``"steps"``
    (step budget), ``"converged"`` (patience), ``"time_limit"``, or
    ``"reference"`` (the known optimum / best-known value was reached),
    ``"interrupted"`` (Ctrl-C: the best verified solution found so far), ``"early_stop"`` (a
    monitor, e.g. ES-WMV, ended the run; ``extra["returned"]`` says which iterate is reported
    and why) or ``"lbfgs_diverged"`` (the L-BFGS phase met a non-finite loss; the last good
    parameters were restored).

    ``feasible`` is whether ``solution`` satisfies every hard constraint of the problem as
    posed (a SAT assignment that falsifies a clause is not feasible, even when it is reported
    as the best one found). ``status`` says what the result means, one of :data:`STATUSES`:

    * ``"optimal"`` — feasible and proven optimal (an exact solver, a bound met, an LP's
      optimality conditions within the tolerance);
    * ``"feasible"`` — feasible, optimality not proven;
    * ``"sat"`` — a decision problem's answer (a model, a proper k-colouring), checked
      against every constraint;
    * ``"unsat"`` — proven that no assignment satisfies the hard constraints (CaDiCaL or RC2
      with ``--exact``); ``solution`` is None;
    * ``"unknown"`` — an incomplete method ended without a feasible answer and proved
      nothing (the CLI exits 1); ``solution`` may be the best infeasible answer found;
    * ``"infeasible"`` — no feasible answer: the reported one violates a hard constraint, or
      the solver proved there is none (an LP's infeasibility certificate; the solver's own
      word is in ``extra["solver_status"]``).

    A family that sets nothing gets the default, derived from ``feasible`` when read:
    ``"feasible"`` or ``"infeasible"``. Setting ``status = None`` returns to the default, and
    ``dataclasses.replace(result, feasible=...)`` keeps a default status following ``feasible``.

    >>> r = Result("mis", "g", "pcqo", 3.0, True, [1, 4], 0.1, "cpu", 0)
    >>> r.status, r.to_dict()["status"]
    ('feasible', 'feasible')
    >>> r.feasible = False
    >>> r.status
    'infeasible'
    >>> r.status = "unknown"
    >>> r.status, Result.from_dict(json.loads(r.to_json())).status
    ('unknown', 'unknown')
    >>> import dataclasses
    >>> r.status = None
    >>> dataclasses.replace(r, feasible=True).status
    'feasible'
    """

    problem: str
    instance: str
    method: str
    objective: float | None
    feasible: bool
    solution: Any
    time_s: float
    device: str
    seed: int | None
    sense: str = "max"
    reference: float | None = None
    found_by: str = "network"
    stop_reason: str = ""
    steps: int = 0
    restarts: int = 0
    hparams: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    #: what the result means (see above); None (the default) derives it from ``feasible``
    status: str | None = None
    #: the figures the answer is judged by besides ``objective``, by name (``psnr``, ``ssim``,
    #: ``relative_l2``, ``primal_residual``, ``conflicts``, ``test_error`` …)
    metrics: dict = field(default_factory=dict)
    #: CPU threads torch used (``torch.get_num_threads()`` when the run ended; None for a run
    #: that did not load torch, such as an LP through HiGHS)
    threads: int | None = None
    #: a proven bound on the optimum (upper when maximizing, lower when minimizing), None where
    #: the family has none or it was not asked for; ``bound_method`` names it and so the form
    #: of ``certificate``, the evidence ``dnnsolve verify`` rechecks it from (or
    #: ``{"file": name}``, a JSON file beside the result holding it)
    bound: float | None = None
    bound_method: str | None = None
    certificate: Any = None

    #: the reported solution as the solver held it (NumPy); not serialized.  ``solution`` is its
    #: JSON form, which for large solutions (images) only describes it.
    solution_array = None  # not a dataclass field
    #: the instance the solution answers, as the family read it (a graph, an LP …); not
    #: serialized: what a family's ``write`` hook needs to draw or check the answer
    instance_data = None

    def _get_status(self) -> str:
        status = self.__dict__.get("_status")
        if status is not None:
            return status
        return _Derived("feasible" if self.feasible else "infeasible")

    def _set_status(self, value: str | None) -> None:
        if isinstance(value, _Derived):
            value = None  # dataclasses.replace / copies pass the default back: keep it derived
        if value is not None and value not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)} or None, got {value!r}")
        self.__dict__["_status"] = value

    @property
    def gap(self) -> float | None:
        """The proven gap: how far the answer may be from the optimum, relative to ``bound``
        (:func:`~dnnsolve.core.bound.relative_gap`; 0 proves the answer optimal)."""
        return relative_gap(self.objective, self.bound, self.sense)

    @property
    def reference_gap(self) -> float | None:
        """Relative gap to the reference (≥ 0 means worse than the reference)."""
        if self.reference in (None, 0) or self.objective is None:
            return None
        diff = (
            self.reference - self.objective
            if self.sense == "max"
            else self.objective - self.reference
        )
        return diff / abs(self.reference)

    @property
    def ratio(self) -> float | None:
        """objective / reference (for maximization problems)."""
        if self.reference in (None, 0) or self.objective is None:
            return None
        return self.objective / self.reference

    def to_dict(self, history: bool = True) -> dict:
        """The result JSON (schema ``SCHEMA_VERSION``), keys in a fixed order."""
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        d["status"] = str.__str__(self.status)  # a plain string, derived or not
        d["gap"] = self.gap
        d["reference_gap"] = self.reference_gap
        d["ratio"] = self.ratio
        if not history:
            d.pop("history")
        ordered = {k: d.pop(k) for k in _KEY_ORDER if k in d}
        return jsonable({**ordered, **d})

    def to_json(self, history: bool = True, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(history), indent=indent)

    def save(self, path: str | os.PathLike, history: bool = True) -> None:
        """Write the result as JSON, atomically."""
        atomic_write_text(path, self.to_json(history) + "\n")

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        """The result of a :meth:`to_dict` (or a result JSON); ``status`` is kept as written.

        A JSON written before ``status`` was a field has none: it is derived again; one newer
        than this version of dnnsolve reads is an error. Version 1 files (``gap`` then meant
        the gap to the reference) are read as they are: the gaps are derived again."""
        version = d.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ValueError(
                f"result schema_version {version!r} is newer than this dnnsolve reads "
                f"({SCHEMA_VERSION}); upgrade dnnsolve"
            )
        derived = ("gap", "reference_gap", "ratio", "schema_version")
        d = {k: v for k, v in d.items() if k not in derived}
        return cls(**d)

    # -- display -----------------------------------------------------------------

    def _headline(self) -> str:
        obj = "–" if self.objective is None else f"{self.objective:g}"
        return f"{self.status}, objective {obj}"

    def __repr__(self) -> str:
        return (
            f"Result({self.problem} {self.instance!r} by {self.method}: {self._headline()}, "
            f"{self.time_s:.3g} s)"
        )

    def summary(self) -> str:
        """A few lines saying what was found (the notebook / REPL view of a result).

        >>> r = Result("mis", "g", "pcqo", 3.0, True, [1, 4, 6], 0.25, "cpu", 0)
        >>> r
        Result(mis 'g' by pcqo: feasible, objective 3, 0.25 s)
        >>> print(r.summary())
        mis on g by pcqo: feasible, objective 3
          solution   [1, 4, 6]
          time       0.25 s on cpu (found by network)
        """
        return "\n".join(
            [f"{self.problem} on {self.instance} by {self.method}: {self._headline()}"]
            + [f"  {label:<10} {text}" for label, text in self._summary_rows()]
        )

    def _summary_rows(self) -> list[tuple[str, str]]:
        rows = []
        if self.bound is not None:
            rows.append(("bound", bound_text(self)))
        if self.reference is not None:
            gap = "" if self.reference_gap is None else f" (gap {100 * self.reference_gap:.3g} %)"
            rows.append(("reference", f"{self.reference:g}{gap}"))
        rows += [
            (k, f"{v:.4g}" if isinstance(v, float) else str(v)) for k, v in self.metrics.items()
        ]
        text = json.dumps(jsonable(self.solution))
        rows.append(("solution", text if len(text) <= 80 else text[:76] + " …"))
        rows.append(("time", f"{self.time_s:.3g} s on {self.device} (found by {self.found_by})"))
        return rows

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._summary_rows()
        )
        head = html.escape(f"{self.problem} on {self.instance} by {self.method}: ")
        return f"<p><b>{head}{html.escape(self._headline())}</b></p><table>{cells}</table>"

    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        return cls.from_dict(json.loads(Path(path).read_text()))


def bound_text(result: Result) -> str:
    """The bound of a result in words: ``"12083 by spectral: within 3.8 % of optimal"``."""
    if result.bound is None:
        return "–"
    gap = result.gap
    if gap == 0:
        proof = "optimality proven"
    elif gap is None:
        proof = "gap undefined"
    else:
        proof = f"within {100 * gap:.3g} % of optimal"
    return f"{result.bound:g} by {result.bound_method}: {proof}"


# ``status`` is a dataclass field (``Result(..., status="sat")``, ``to_dict``, ``repr``) read
# and written through a property, so that an unset status follows ``feasible``.
Result.status = property(  # type: ignore[assignment]
    Result._get_status, Result._set_status, doc="What the result means; see :class:`Result`."
)
