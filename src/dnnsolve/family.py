"""The family contract: the one way a kind of problem enters dnnsolve.

A *family* is a kind of problem with its own input (a graph, a CNF, an LP, an image, a
built-in PDE, a Sudoku, a matrix …). Each family declares one :class:`Family` spec:

* ``options`` — a dataclass derived from :class:`Options` whose fields, declared with
  :func:`option`, carry their default, help text and validation (checked once, when the
  options are made);
* ``read`` — the reader turning an input (a path, a name or an in-memory object) into the
  instance, ``formats`` naming what it reads;
* ``methods`` and ``default_method`` — what ``--method`` may name; ``baseline`` — the
  classical method the family's answers are compared with (one of ``methods``, or, where the
  classical answer is the reference itself, as for the PDEs, its name);
* ``run`` — the runner: instance, options and callbacks in, a verified
  :class:`~dnnsolve.core.result.Result` out.

From the specs come :func:`solve` (``dnnsolve.solve``), the command
``dnnsolve solve FAMILY INPUT [options]`` and its aliases (``dnnsolve image …``,
``dnnsolve pde …``, ``dnnsolve rrr …``), ``dnnsolve batch FAMILY`` and the ``families``
bench suite. This module imports no family: each registers itself with
:func:`register_family` when its module (listed in ``FAMILY_MODULES``) is imported, and
``FAMILY_HOMES`` names the families of each module, so that one family loads alone.

>>> import dnnsolve
>>> fam = get_family("maxcut")
>>> fam.default_method(), fam.baseline
('relaxed', 'baseline')
>>> opts = fam.make_options(time_limit=-1)
Traceback (most recent call last):
...
dnnsolve.core.errors.InputError: --time-limit must be positive, got -1
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import logging
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from typing import Any, ClassVar

from .core.bound import Bound, relative_gap
from .core.callbacks import Callback
from .core.errors import DeviceError, InputError, first_line
from .core.result import Result

#: the modules whose import registers every family besides ``dnnsolve.problems.*`` (imported
#: on first use)
FAMILY_MODULES = (
    "dnnsolve.schedule.family",
    "dnnsolve.lp.family",
    "dnnsolve.imaging.family",
    "dnnsolve.pde.family",
    "dnnsolve.rrr.family",
    "dnnsolve.rrr.lwl.family",
)

#: the module registering each family, so that :func:`get_family` imports one family's module
#: and not all of them (``dnnsolve solve lp`` loads no graph, image or PDE code); a family
#: missing here is still found, by loading every module (tests/test_startup.py checks the table)
FAMILY_HOMES = {
    "dnnsolve.imaging.family": ("ct", "deblur", "denoise", "fit", "inpaint", "mri", "superres"),
    "dnnsolve.lp.family": ("lp", "qp"),
    "dnnsolve.pde.family": ("pde",),
    "dnnsolve.problems.clique": ("clique",),
    "dnnsolve.problems.coloring": ("color",),
    "dnnsolve.problems.domination": (
        "connected-domset",
        "disjunctive-domset",
        "dissociation",
        "domset",
        "liars-domset",
        "total-domset",
        "ve-domset",
    ),
    "dnnsolve.problems.domination_color": ("k-coloring",),
    "dnnsolve.problems.hypermaxcut": ("hypermaxcut",),
    "dnnsolve.problems.maxcut": ("maxcut",),
    "dnnsolve.problems.mis": ("mis",),
    "dnnsolve.problems.sat": ("maxsat", "sat"),
    "dnnsolve.problems.vertex_cover": ("vertex-cover",),
    "dnnsolve.rrr.family": ("bit-retrieval", "rrr-color", "sudoku"),
    "dnnsolve.rrr.lwl.family": ("autoencode", "classify", "nmf"),
    "dnnsolve.schedule.family": ("schedule",),
}

DEVICE_HELP = "cpu, cuda, cuda:N, mps or auto."

log = logging.getLogger("dnnsolve")

Check = Callable[[Any], "str | None"]


# --------------------------------------------------------------------------- option fields


def option(
    default: Any = None,
    help: str = "",
    *,
    check: Check | None = None,
    flag: str | None = None,
    short: str | None = None,
    metavar: str | None = None,
    cli_default: Any = MISSING,
    cli: bool = True,
    cli_required: bool = False,
    parse: Callable[[Any], Any] | None = None,
    cli_type: Any = None,
    factory: Callable[[], Any] | None = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """A field of a family's options: its default, help text and check.

    ``check(value)`` returns what is wrong with a value (``"must be positive"``) or None;
    ``None`` values are not checked. ``flag`` overrides the CLI flag (default:
    ``--field-name``), ``short`` adds one (``"-q"``); ``cli_default`` is the default on the
    command line when it differs from the API's (a seed of 0 rather than a fresh one);
    ``cli=False`` keeps a field out of the CLI, ``cli_required=True`` makes it a required
    option there (an output folder the command must write, say; checked after INPUT, in one
    line, so that ``--list`` needs none). ``parse`` turns the command line's text
    (of type ``cli_type``, e.g. ``list[str]`` for repeated ``key=value`` items) into the
    field's value. ``aliases`` are former names of the option, still taken (a keyword, and a
    hidden ``--former-name`` flag) with a deprecation note.
    """
    meta = {
        "help": help,
        "check": check,
        "flag": flag,
        "short": short,
        "metavar": metavar,
        "cli_default": cli_default,
        "cli": cli,
        "cli_required": cli_required,
        "parse": parse,
        "cli_type": cli_type,
        "aliases": tuple(aliases),
    }
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def flag_for(name: str) -> str:
    """The CLI flag of an option name (``time_limit`` → ``--time-limit``)."""
    return "--" + name.replace("_", "-")


def flag_of(f: dataclasses.Field) -> str:
    """The CLI flag of an options field: its own ``flag``, else :func:`flag_for` its name."""
    return f.metadata.get("flag") or flag_for(f.name)


def deprecated_names(options: type) -> dict[str, str]:
    """Former option names still taken → the field now holding them.

    >>> import dnnsolve
    >>> deprecated_names(get_family("lp").options)["max_iter"]
    'steps'
    """
    return {
        alias: f.name
        for f in dataclasses.fields(options)
        for alias in f.metadata.get("aliases", ())
    }


def deprecation_note(old: str, new: str) -> str:
    """The one line said when a former option name is used."""
    return f"{old} is deprecated; use {new}"


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def positive(v: Any) -> str | None:
    return None if _number(v) and v > 0 else "must be positive"


def non_negative(v: Any) -> str | None:
    return None if _number(v) and v >= 0 else "must be non-negative"


def at_least(low: int) -> Check:
    def check(v: Any) -> str | None:
        return None if _number(v) and v >= low else f"must be at least {low}"

    return check


def fraction(v: Any) -> str | None:
    return None if _number(v) and 0 <= v <= 1 else "must be in [0, 1]"


def one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else f"must be one of {', '.join(map(str, choices))}"

    return check


# --------------------------------------------------------------------------- text parsers
# (what the command line and batch grids give as text, turned into option values once)


def parse_numbers(text: str | None, what: str) -> float | list[float] | None:
    """``"0.1"`` → 0.1, ``"0.1,0.2"`` → a population [0.1, 0.2].

    >>> parse_numbers("0.1,0.2", "--lr")
    [0.1, 0.2]
    """
    if text is None:
        return None
    try:
        vals = [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError as exc:
        raise InputError(
            f"{what} must be a number or a comma-separated list, got {text!r}"
        ) from exc
    if not vals:
        raise InputError(f"{what} is empty")
    return vals[0] if len(vals) == 1 else vals


def parse_scalar(text: str) -> Any:
    """``"16"`` → 16, ``"0.5"`` → 0.5, ``"true"`` → True, anything else stays a string.

    >>> parse_scalar("16"), parse_scalar("0.5"), parse_scalar("false"), parse_scalar("sage")
    (16, 0.5, False, 'sage')
    """
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    for kind in (int, float):
        try:
            return kind(t)
        except ValueError:
            pass
    return t


def parse_pairs(
    pairs: Sequence[str] | None, what: str, numeric: bool = False, lists: bool | str = True
) -> dict[str, Any]:
    """``["gamma=900", "conv=sage", "sizes=16,32"]`` → {"gamma": 900, "conv": "sage",
    "sizes": [16, 32]}: numbers, booleans or strings; a comma makes a list (with ``lists``;
    with ``lists="numbers"`` only a list of numbers, other text staying one string).

    With ``numeric`` every value must be a number or a comma-separated list of numbers.

    >>> parse_pairs(["gamma=900", "conv=sage", "sizes=16,32", "fast=true"], "--option")
    {'gamma': 900, 'conv': 'sage', 'sizes': [16, 32], 'fast': True}
    >>> parse_pairs(["seeds=0,1", "only=lp,mis"], "--option", lists="numbers")
    {'seeds': [0, 1], 'only': 'lp,mis'}
    """
    result: dict[str, Any] = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise InputError(f"{what} must look like key=value, got {item!r}")
        if numeric:
            result[key] = parse_numbers(value, f"{what} {key}")
            if (
                isinstance(result[key], float)
                and result[key].is_integer()
                and "." not in value
                and "e" not in value.lower()
            ):
                result[key] = int(result[key])
        elif lists and "," in value:
            items = [parse_scalar(v) for v in value.split(",") if v.strip()]
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)
            result[key] = items if lists is True or numbers else value.strip()
        else:
            result[key] = parse_scalar(value)
    return result


@dataclass(kw_only=True)
class Options:
    """The options every family takes; a family's options dataclass derives from it.

    ``EXTRA`` names a dict field that takes keywords the dataclass does not declare (a
    family accepting its solver's settings, say); :meth:`accepts` says which.
    """

    EXTRA: ClassVar[str | None] = None

    method: str | None = option(None, "Method (`dnnsolve methods` lists them).")
    time_limit: float | None = option(None, "Wall-clock budget in seconds.", check=positive)
    seed: int | None = option(
        None, "Random seed (CPU runs are reproducible).", cli_default=0, metavar="INT"
    )
    device: str = option("auto", DEVICE_HELP)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            value = getattr(self, f.name)
            if value is None and f.default_factory is not MISSING:
                value = f.default_factory()  # None stands for "the default" (a batch record)
                setattr(self, f.name, value)
            if check is not None and value is not None:
                problem = check(value)
                if problem:
                    raise InputError(f"{flag_of(f)} {problem}, got {value!r}")

    @classmethod
    def accepts(cls, key: str) -> bool:
        """Whether the ``EXTRA`` field takes ``key`` (override with the accepted keys)."""
        return False


def share(v: Any) -> str | None:
    return None if _number(v) and 0 < v < 1 else "must be in (0, 1)"


#: the bound's budget when the run has no --time-limit (seconds; most bounds need far less)
BOUND_SECONDS_WITHOUT_LIMIT = 10.0


@dataclass(kw_only=True)
class BoundOptions(Options):
    """The options of a family that can bound its optimum (its spec's ``bound``): whether to,
    the share of ``--time-limit`` the bound gets, and where its certificate goes."""

    bound: bool = option(
        True,
        "Compute a certified bound on the optimum and the proven gap of the answer "
        "(`dnnsolve verify` rechecks it).",
    )
    bound_time: float = option(
        0.1,
        "Share of --time-limit kept for the bound (without a limit the bound gets up to "
        f"{BOUND_SECONDS_WITHOUT_LIMIT:g} s).",
        check=share,
        metavar="SHARE",
    )
    certificate: str | None = option(
        None,
        "Write the bound's certificate to this JSON file (the result names it) rather than "
        "into the result.",
        metavar="FILE",
    )

    def run_share(self) -> Options:
        """These options with the run's part of the time limit (the bound keeps its share)."""
        if not self.bound or self.time_limit is None:
            return self
        return dataclasses.replace(self, time_limit=self.time_limit * (1 - self.bound_time))

    def bound_deadline(self, start: float, now: float) -> float:
        """When the bound must be done (:func:`time.monotonic`): the end of the time limit
        counted from ``start``, and never less than its share from ``now``."""
        if self.time_limit is None:
            return now + BOUND_SECONDS_WITHOUT_LIMIT
        return max(start + self.time_limit, now + self.bound_time * self.time_limit)


# --------------------------------------------------------------------------- the spec


Runner = Callable[[Any, Options, Sequence[Callback]], Result]
Reader = Callable[[Any, Options], Any]
#: ``bound(instance, result, deadline)``: a certified bound on the optimum of ``instance``
#: (``result`` is the verified answer, ``deadline`` a :func:`time.monotonic` time to finish by),
#: or None where there is none to give
BoundFunction = Callable[[Any, Result, float], "Bound | None"]


@dataclass(frozen=True)
class Family:
    """A family's spec: what the API, the CLI, batch and bench are generated from.

    ``methods()`` maps method names to one-line descriptions (a callable: graph families
    register methods after the spec). ``input_kind`` is ``"file"`` (INPUT is a file),
    ``"name"`` (a built-in name, e.g. a PDE problem), ``"optional"`` (a file, or none
    when an option such as ``--example`` supplies the data) or ``"none"`` (the options
    make the data). ``group`` and ``alias`` place a second command, ``dnnsolve GROUP
    ALIAS``, beside ``dnnsolve solve NAME``. ``example`` is a bundled input with small
    options, solved by the ``families`` bench suite.
    ``write(result, options)`` writes what the options ask for besides the result JSON
    (an image, a report) and returns the paths; ``rows(result)`` are the CLI summary rows.
    ``shortfall(result)`` says, in one line, why an answer falls short of what the family
    promises although it is feasible (an LP point short of optimal), or None.
    ``catalog()`` lists a ``"name"`` family's built-in inputs, one row (column → text) each:
    the CLI prints them for ``--list`` (or the name ``list``). ``example``'s input is None for
    a family whose options make the data. ``infeasible_is_error=False`` makes a result that
    is not feasible an answer all the same (exit 0): for families whose ``feasible`` says a
    target was met (an exact factorization, zero training error), not that the answer is usable.
    ``dimacs(result)`` gives the answer as the SAT competitions' ``s`` / ``o`` / ``v`` lines (the
    CLI's ``--dimacs-output`` and ``--sat-exit-codes`` exist where it is set).
    ``bound(instance, result, deadline)`` proves a bound on the optimum, with a certificate
    (:class:`~dnnsolve.core.bound.Bound`); a family that has one takes :class:`BoundOptions`.
    """

    name: str
    summary: str
    options: type[Options]
    read: Reader
    run: Runner
    methods: Callable[[], Mapping[str, str]]
    default_method: Callable[[], str]
    baseline: str | None = None
    formats: str = ""
    input_help: str = "Instance file."
    input_kind: str = "file"
    group: str | None = None
    alias: str | None = None
    example: tuple[str | None, dict[str, Any]] | None = None
    write: Callable[[Result, Options], list[str]] | None = None
    rows: Callable[[Result], list[tuple[str, str]]] | None = None
    shortfall: Callable[[Result], str | None] | None = None
    catalog: Callable[[], list[dict[str, str]]] | None = None
    infeasible_is_error: bool = True
    dimacs: Callable[[Result], list[str]] | None = None
    bound: BoundFunction | None = None

    def make_options(self, **values: Any) -> Options:
        """The family's options from keywords, checked once (InputError naming the option)."""
        names = {f.name for f in dataclasses.fields(self.options)}
        former = deprecated_names(self.options)
        extra_name = self.options.EXTRA
        extra: dict[str, Any] = {}
        for key in [k for k in values if k not in names]:
            if key in former and former[key] not in values:
                warnings.warn(deprecation_note(key, former[key]), DeprecationWarning, stacklevel=3)
                values[former[key]] = values.pop(key)
                continue
            if extra_name is None or not self.options.accepts(key):
                choices = sorted(n for n in names if n != extra_name)
                close = difflib.get_close_matches(key, [*choices, *former], n=1)
                hint = f" (did you mean {former.get(close[0], close[0])!r}?)" if close else ""
                raise InputError(
                    f"unknown option {key!r} for {self.name}{hint}; choose from "
                    + ", ".join(choices)
                )
            extra[key] = values.pop(key)
        if extra:
            values[extra_name] = {**(values.get(extra_name) or {}), **extra}
        opts = self.options(**values)
        self.check_method(opts.method)
        return opts

    def check_method(self, method: str | None) -> str:
        """``method`` (or the default) if the family has it; InputError with a hint if not."""
        table = self.methods()
        name = method or self.default_method()
        if name not in table:
            close = difflib.get_close_matches(name, table, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"unknown method {name!r} for {self.name}{hint}; "
                f"choose from {', '.join(sorted(table))}"
            )
        return name

    def solve(self, input: Any, options: Options, callbacks: Sequence[Callback] = ()) -> Result:
        """Read ``input`` and run the family's runner on it; the threads torch used (when the
        run loaded it) and the total time are recorded in the result."""
        log.info("%s: reading %s", self.name, _describe(input))
        instance = self.read(input, options)
        log.info("%s: solving with %s", self.name, options.method or self.default_method())
        start = time.monotonic()
        bounded = self.bound is not None and isinstance(options, BoundOptions) and options.bound
        run_options = options.run_share() if bounded else options
        result = self._run_in_memory(instance, run_options, callbacks)
        result.instance_data = instance
        result.problem = self.name  # one name per family in every result (the imaging tasks too)
        torch = sys.modules.get("torch")  # a run without a network (HiGHS) need not load it
        if result.threads is None and torch is not None:
            result.threads = torch.get_num_threads()
        result.timings.setdefault("total_s", result.time_s)
        if bounded and result.feasible:
            assert isinstance(options, BoundOptions)
            self._add_bound(instance, result, options.bound_deadline(start, time.monotonic()))
        log.info(
            "%s: %s, objective %s in %.3g s (stop: %s)",
            self.name, result.status, result.objective, result.time_s, result.stop_reason or "-",
        )  # fmt: skip
        return result

    def _add_bound(self, instance: Any, result: Result, deadline: float) -> None:
        """Prove a bound on the optimum and put it in ``result`` with its certificate; an
        answer whose gap is then zero is proven optimal. A bound that cannot be had (or, a
        bug, one contradicting the verified answer) is left out with a note: the answer
        stands."""
        assert self.bound is not None
        t0 = time.perf_counter()
        try:
            found = self.bound(instance, result, deadline)
        except Exception as exc:
            if _out_of_device_memory(exc):
                raise
            log.warning("%s: no bound: %s", self.name, first_line(exc))
            result.extra.setdefault("notes", []).append(f"no bound: {first_line(exc)}")
            return
        elapsed = time.perf_counter() - t0
        result.timings["bound_s"] = elapsed
        result.timings["total_s"] = result.timings.get("total_s", result.time_s) + elapsed
        if found is None:
            return
        gap = relative_gap(result.objective, found.value, result.sense)
        if gap is not None and gap < 0:
            note = (
                f"bound {found.value:g} ({found.method}) contradicts the verified objective "
                f"{result.objective:g}: left out (a bug: please report it)"
            )
            log.error("%s: %s", self.name, note)
            result.extra.setdefault("notes", []).append(note)
            return
        result.bound, result.bound_method = found.value, found.method
        result.certificate = found.certificate
        result.extra["bound"] = {"time_s": elapsed, **found.notes}
        if gap == 0 and result.status == "feasible":
            result.status = "optimal"
        log.info("%s: bound %g by %s (gap %s)", self.name, found.value, found.method, gap)

    def _run_in_memory(self, instance: Any, options: Options, callbacks: Sequence[Callback]):
        """Run; out of accelerator memory, run again with half the restarts (saying so) while
        there are restarts to halve, then give up on one line (:class:`DeviceError`)."""
        while True:
            try:
                return self.run(instance, options, callbacks)
            except Exception as exc:
                restarts = getattr(options, "restarts", None)
                if not _out_of_device_memory(exc):
                    raise
                _release_device_memory()
                if not isinstance(restarts, int) or restarts <= 1:
                    raise DeviceError(
                        f"{self.name}: out of device memory ({first_line(exc)}); "
                        "use a smaller instance or --device cpu"
                    ) from exc
                half = restarts // 2
                log.warning(
                    "%s: out of device memory with %d restarts; running again with %d",
                    self.name, restarts, half,
                )  # fmt: skip
                options = dataclasses.replace(options, restarts=half)


def _out_of_device_memory(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is torch's out-of-memory error."""
    torch = sys.modules.get("torch")
    while exc is not None and torch is not None:
        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def _release_device_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def _describe(input: Any) -> str:
    text = repr(input) if not isinstance(input, (str, os.PathLike)) else os.fspath(input)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- the registry

_FAMILIES: dict[str, Family] = {}
_LOADED: list[bool] = []


def register_family(family: Family) -> Family:
    """Add ``family`` to the registry (its module calls this when imported)."""
    _FAMILIES[family.name] = family
    return family


def _load() -> None:
    if _LOADED:
        return
    _LOADED.append(True)
    for module in FAMILY_MODULES:
        importlib.import_module(module)
    problems = importlib.import_module("dnnsolve.problems")
    import pkgutil

    for mod in sorted(pkgutil.iter_modules(problems.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"dnnsolve.problems.{mod.name}")


def _load_home(name: str) -> None:
    """Import the module registering family ``name`` (every module if the table lacks it)."""
    home = next((m for m, names in FAMILY_HOMES.items() if name in names), None)
    if home is not None:
        importlib.import_module(home)
    if name not in _FAMILIES:
        _load()


def families() -> dict[str, Family]:
    """Every registered family by name."""
    _load()
    return dict(sorted(_FAMILIES.items()))


def get_family(name: str) -> Family:
    """The family called ``name`` (InputError with a hint for an unknown name)."""
    if name not in _FAMILIES:
        _load_home(name)
    if name not in _FAMILIES:
        close = difflib.get_close_matches(name, _FAMILIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(
            f"unknown problem {name!r}{hint}; choose from {', '.join(sorted(_FAMILIES))}"
        )
    return _FAMILIES[name]


def solve(
    family: str,
    input: Any = None,
    method: str | None = None,
    *,
    callbacks: Sequence[Callback] = (),
    **options: Any,
) -> Result:
    """Solve one instance of any family and return its verified :class:`Result`.

    ``input`` is what the family reads: a file path, or an in-memory instance (a
    :class:`~dnnsolve.graph.Graph` or NetworkX graph for graph problems, a
    :class:`~dnnsolve.io.CNF` for SAT, an image tensor, a built-in PDE's name …).
    ``options`` are the fields of the family's options dataclass
    (``get_family(family).options``); unknown ones are an InputError naming the choices.

    >>> import networkx as nx
    >>> from dnnsolve import solve
    >>> r = solve("maxcut", nx.cycle_graph(6), method="relaxed", steps=50, restarts=4,
    ...           device="cpu", seed=0)
    >>> r.objective, r.feasible
    (6.0, True)
    """
    fam = get_family(family)
    return fam.solve(input, fam.make_options(method=method, **options), callbacks)
