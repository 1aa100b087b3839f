"""Turn a batch request (inputs, shared settings, a parameter grid) into a list of tasks.

Inputs are instance files, glob patterns or manifests:

* a path to an existing file is one instance (even if it is malformed: the task then fails
  and is recorded as failed, it never stops the batch);
* a pattern with ``*``, ``?`` or ``[`` is expanded (``**`` recurses); one that matches
  nothing is a usage error, since it usually means a typo;
* ``@list.txt`` (or any ``*.jsonl`` file) is a manifest: a text manifest holds one path per
  line (``#`` comments, paths relative to the manifest), a JSONL manifest one object per line
  with ``"file"`` and optionally ``"options"``, ``"method"``, ``"reference_value"``, ``"format"``,
  ``"problem"`` and solver settings (``"seed"``, ``"steps"``, ...) for that instance.

Every task has a stable id: the instance path plus a hash of its configuration, so a
resumed batch recognises the tasks it already finished even when the inputs are listed in
another order.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputError

__all__ = ["Task", "check_settings", "expand_grid", "expand_inputs", "make_tasks", "parse_grid"]

#: the settings a task may give besides its family's options
_TASK_KEYS = frozenset({"problem"})
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Task:
    """One unit of work: solve ``input`` as ``problem`` with ``config``.

    ``config`` holds ``method``, solver settings (``seed``, ``steps``, ...), ``hparams`` and
    ``options`` dicts, and optionally ``reference`` / ``format``. ``label`` names the grid
    point (empty without ``--grid``); ``kind`` is ``"solve"`` or ``"suite"`` (a benchmark
    suite's instance, see :mod:`dnnsolve.batch.suites`). ``device`` is not part of the id:
    a resumed batch may run on other hardware.
    """

    task_id: str
    problem: str
    input: str
    config: dict = field(default_factory=dict)
    label: str = ""
    kind: str = "solve"

    def to_dict(self) -> dict:
        return {
            "task_id": self.task_id,
            "problem": self.problem,
            "input": self.input,
            "config": self.config,
            "label": self.label,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Task:
        return cls(d["task_id"], d["problem"], d["input"], d["config"], d["label"], d["kind"])


def task_id(problem: str, instance: str, config: dict, kind: str = "solve") -> str:
    """A stable id: instance name + a hash of (kind, problem, instance path, config).

    >>> a = task_id("maxcut", "/d/g.txt", {"seed": 0, "steps": 10})
    >>> a == task_id("maxcut", "/d/g.txt", {"steps": 10, "seed": 0}), a.split("#")[0]
    (True, 'g.txt')
    >>> a != task_id("maxcut", "/d/g.txt", {"seed": 1, "steps": 10})
    True
    """
    blob = json.dumps([kind, problem, instance, config], sort_keys=True, default=str)
    digest = hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]
    return f"{Path(instance).name}#{digest}"


def _parse_value(text: str) -> Any:
    """``"10"`` → 10, ``"0.5"`` → 0.5, ``"true"`` → True, ``"none"`` → None, else the text."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def parse_grid(items: Sequence[str] | None) -> dict[str, list[Any]]:
    """``["lr=0.01,0.1", "seed=0,1"]`` → ``{"lr": [0.01, 0.1], "seed": [0, 1]}``.

    Keys are solver settings (``seed``, ``steps``, ``lr``, ``restarts``, ``time_limit``, ...),
    ``method``, ``hparam.NAME`` (a loss hyper-parameter) or ``option.NAME`` (a method option).

    >>> parse_grid(["method=relaxed,pignn", "hparam.gamma=1,2"])
    {'method': ['relaxed', 'pignn'], 'hparam.gamma': [1, 2]}
    """
    grid: dict[str, list[Any]] = {}
    for item in items or []:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--grid must look like key=v1,v2, got {item!r}")
        _check_key(key)
        vals = [_parse_value(v) for v in values.split(",") if v.strip()]
        if not vals:
            raise InputError(f"--grid {key} has no values")
        if key in grid:
            raise InputError(f"--grid {key} given twice")
        grid[key] = list(dict.fromkeys(vals))  # drop repeated values
    return grid


def _check_key(key: str) -> None:
    """A grid key is an option name, or ``hparam.NAME`` / ``option.NAME`` (checked against the
    family by :func:`check_settings` once the family is known)."""
    prefix, dot, name = key.partition(".")
    if key.isidentifier() or (dot and name and prefix in ("hparam", "option")):
        return
    raise InputError(
        f"unknown --grid key {key!r}: use an option of the family (seed, steps, time_limit, "
        "...), method, hparam.NAME or option.NAME"
    )


def check_settings(problem: str, keys: Iterable[str], where: str = "batch setting") -> None:
    """InputError naming the settings that are not options of ``problem``'s family."""
    from ..family import deprecated_names, get_family

    fam = get_family(problem)
    names = {f.name for f in dataclasses.fields(fam.options)} | set(deprecated_names(fam.options))
    unknown = sorted(
        k for k in keys if k not in names and k not in _TASK_KEYS and not fam.options.accepts(k)
    )
    if unknown:
        raise InputError(
            f"unknown {where}(s) for {problem}: {', '.join(unknown)}; "
            f"choose from {', '.join(sorted(names))}"
        )


def current_names(problem: str, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with former option names replaced by the current ones.

    >>> current_names("lp", {"max_iter": 10, "tol": 1e-8})
    {'steps': 10, 'tol': 1e-08}
    """
    from ..family import deprecated_names, get_family

    former = deprecated_names(get_family(problem).options)
    return {former.get(k, k): v for k, v in settings.items()}


def expand_grid(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of a grid, as a list of ``{key: value}`` points (one if empty).

    >>> expand_grid({"seed": [0, 1], "lr": [0.1]})
    [{'seed': 0, 'lr': 0.1}, {'seed': 1, 'lr': 0.1}]
    >>> expand_grid({})
    [{}]
    """
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def apply_point(config: dict, point: dict[str, Any]) -> dict:
    """``config`` with a grid point applied (``hparam.X`` / ``option.X`` into their dicts)."""
    out = {**config, "hparams": dict(config.get("hparams") or {})}
    out["options"] = dict(config.get("options") or {})
    for key, value in point.items():
        prefix, _, name = key.partition(".")
        if prefix == "hparam":
            out["hparams"][name] = value
        elif prefix == "option":
            out["options"][name] = value
        else:
            out[key] = value
    return out


def point_label(point: dict[str, Any]) -> str:
    """``{"lr": 0.1, "seed": 0}`` → ``"lr=0.1 seed=0"`` (how the summary names a grid point)."""
    return " ".join(f"{k}={v}" for k, v in point.items())


# ---------------------------------------------------------------- inputs


@dataclass
class InputSpec:
    """One instance from the inputs: its path and per-instance settings from a manifest."""

    path: str
    settings: dict = field(default_factory=dict)
    where: tuple[str, int] | None = None  # manifest file and line of the settings


def _is_pattern(text: str) -> bool:
    return any(c in _GLOB_CHARS for c in text)


def _read_manifest(path: Path) -> list[InputSpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    base = path.parent
    specs: list[InputSpec] = []
    jsonl = path.suffix == ".jsonl"
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if jsonl or line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not a JSON object ({exc.msg})", str(path), lineno) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("file"), str):
                raise InputError('each line needs a "file" string', str(path), lineno)
            settings = {k: v for k, v in obj.items() if k != "file"}
            for key in ("options", "hparams"):
                if key in settings and not isinstance(settings[key], dict):
                    raise InputError(f'"{key}" must be an object', str(path), lineno)
            specs.append(InputSpec(str(_resolve(obj["file"], base)), settings, (str(path), lineno)))
        else:
            for p in _expand_one(line, base, where=f"{path}:{lineno}"):
                specs.append(InputSpec(p))
    return specs


def _resolve(p: str, base: Path | None) -> Path:
    path = Path(os.path.expanduser(p))
    if base is not None and not path.is_absolute():
        path = base / path
    return path.absolute()


def _expand_one(text: str, base: Path | None, where: str | None = None) -> list[str]:
    path = _resolve(text, base)
    if path.exists() or not _is_pattern(text):
        return [str(path)]  # a missing plain file becomes a failed record, not a crash
    hits = sorted(p for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
    if not hits:
        raise InputError(f"{where + ': ' if where else ''}no file matches {text!r}")
    return [str(Path(h).absolute()) for h in hits]


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[InputSpec]:
    """Files, globs and manifests → one :class:`InputSpec` per instance, duplicates kept once.

    >>> from dnnsolve.data import DATA_DIR
    >>> [Path(s.path).name for s in expand_inputs([str(DATA_DIR / "*_example.c*")])]
    ['color_example.col', 'mis_example.cnf', 'sat_example.cnf']
    """
    specs: list[InputSpec] = []
    for item in inputs:
        text = os.fspath(item)
        if text.startswith("@"):
            specs += _read_manifest(_resolve(text[1:], None))
        elif text.endswith(".jsonl") and Path(text).is_file():
            specs += _read_manifest(_resolve(text, None))
        else:
            specs += [InputSpec(p) for p in _expand_one(text, None)]
    if not specs:
        raise InputError("no input instances")
    seen: set[str] = set()
    unique = []
    for s in specs:
        key = json.dumps([s.path, s.settings], sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique


def _bundled_reference(problem: str, path: str) -> float | None:
    """The proven optimum of a bundled example file solved as its own problem."""
    from ..data import DATA_DIR, EXAMPLES

    p = Path(path)
    if p.parent != DATA_DIR:
        return None
    for info in EXAMPLES.values():
        if info["file"] == p.name and info["problem"] == problem:
            return info.get("optimum")
    return None


def make_tasks(
    problem: str,
    inputs: Iterable[str | os.PathLike],
    base: dict | None = None,
    grid: dict[str, list[Any]] | None = None,
) -> list[Task]:
    """One task per (instance, grid point).

    ``base`` holds the shared settings (``method``, solver settings, ``hparams``,
    ``options``, ``reference_value``, ``format``); a JSONL manifest line overrides them for its
    instance, and a grid point overrides both. Unset (None) settings are dropped, so they keep
    the method's defaults and do not change the task ids. A bundled example solved as its own
    problem gets its proven optimum as ``reference_value``. Former option names (``reference``,
    ``iterations`` …) are taken under their current names.

    >>> from dnnsolve.data import example_path
    >>> ts = make_tasks("maxcut", [example_path("maxcut_example")], {"steps": 50},
    ...                 grid={"seed": [0, 1]})
    >>> [(t.label, t.config["seed"], t.config["reference_value"]) for t in ts]
    [('seed=0', 0, 117), ('seed=1', 1, 117)]
    """
    base = dict(base or {})
    check_settings(problem, base)
    grid = grid or {}
    check_settings(
        problem, {k.partition(".")[0] + ("s" if "." in k else "") for k in grid}, "grid key"
    )
    points = [current_names(problem, point) for point in expand_grid(grid)]
    tasks: list[Task] = []
    seen: set[str] = set()
    for spec in expand_inputs(inputs):
        prob = spec.settings.get("problem", problem)
        try:
            check_settings(prob, spec.settings, "key")
            if prob != problem:
                check_settings(prob, base)
        except InputError as exc:
            raise InputError(str(exc), *(spec.where or ())) from None
        merged = {**base, **{k: v for k, v in spec.settings.items() if k != "problem"}}
        merged = current_names(prob, merged)
        for key in ("options", "hparams"):  # manifest dicts extend the shared ones
            if key in base and key in spec.settings:
                merged[key] = {**base[key], **spec.settings[key]}
        if merged.get("reference_value") is None:
            ref = _bundled_reference(prob, spec.path)
            if ref is not None:
                merged["reference_value"] = ref
        for point in points:
            cfg = apply_point(merged, point)
            cfg = {k: v for k, v in cfg.items() if v is not None and v != {}}
            tid = task_id(prob, spec.path, cfg)
            if tid in seen:
                continue
            seen.add(tid)
            tasks.append(Task(tid, prob, spec.path, cfg, point_label(point)))
    return tasks
