"""The ``dnnsolve`` command line: the app, the ``solve`` commands of the registered problems,
``demo``, ``bench``, ``methods``, ``version``, and the entry point :func:`main`.

Every failure ends in one line on stderr and the exit code of :mod:`dnnsolve.cli.common`:
2 for bad input (file, option, unavailable device), 3 for an internal error.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.errors import DnnsolveError, InputError
from .batch import batch_command, batch_suite_command
from .common import (
    DEVICE_HELP,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNKNOWN,
    THREADS_HELP,
    err,
    exit_code_of,
    out,
    parse_floats,
    parse_pairs,
    result_table,
    set_threads,
)
from .image import image_app
from .lp import lp_command, qp_command
from .lwl import autoencode_command, classify_command, nmf_command
from .pde import pde_command
from .rrr import rrr_app
from .schedule import schedule_command

app = typer.Typer(
    name="dnnsolve",
    help="Solve optimization problems with dataless neural networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the traceback of an error (before the command).")
    ] = False,
) -> None:
    """Solve optimization problems with dataless neural networks."""


solve_app = typer.Typer(
    help="Solve one instance: dnnsolve solve PROBLEM FILE \\[OPTIONS].", no_args_is_help=True
)
app.add_typer(solve_app, name="solve")
app.add_typer(image_app, name="image", help="Reconstruct an image with an untrained network.")
app.add_typer(
    rrr_app, name="rrr", help="Solve constraint problems and train networks with RRR projections."
)


def _summary_row(result) -> dict:
    return {
        "instance": result.instance,
        "method": result.method,
        "status": result.status,
        "objective": result.objective,
        "feasible": result.feasible,
        "reference": result.reference,
        "gap %": None if result.gap is None else 100 * result.gap,
        "found by": result.found_by,
        "time s": result.time_s,
    }


def _run_solve(
    problem: str,
    *,
    file: Path,
    method: str | None,
    restarts: int | None,
    steps: int | None,
    time_limit: float | None,
    seed: int,
    device: str,
    output: Path | None,
    fmt: str | None,
    lr: str | None,
    hparam: list[str] | None,
    options: dict[str, Any],
    reference: float | None,
    no_polish: bool,
    quiet: bool,
    threads: int | None = None,
) -> None:
    from ..core.callbacks import RichProgress
    from ..methods import get_method, solve

    set_threads(threads)
    m = get_method(problem, method)
    if not file.exists():
        raise InputError(f"no such file: {file}")
    if restarts is not None and restarts < 1:
        raise InputError("--restarts must be at least 1")
    if steps is not None and steps < 0:
        raise InputError("--steps must be non-negative")
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be positive")
    callbacks = [] if quiet else [RichProgress(f"{problem}/{m.name}", console=err)]
    config: dict[str, Any] = {
        "restarts": restarts,
        "steps": steps,
        "time_limit": time_limit,
        "seed": seed,
        "lr": parse_floats(lr, "--lr"),
    }
    hp = parse_pairs(hparam, "--hparam", numeric=True)
    if hp:
        config["hparams"] = hp
    if no_polish:
        config["polish"] = False
    result = solve(
        problem,
        file,
        m.name,
        device=device,
        callbacks=callbacks,
        options=options,
        reference=reference,
        format=fmt,
        **{k: v for k, v in config.items() if v is not None},  # unset options keep method defaults
    )
    result.instance = file.name
    if output is not None:
        if str(output) == "-":
            sys.stdout.write(result.to_json() + "\n")
        else:
            result.save(output)
    if not quiet and str(output) != "-":
        out.print(result_table([_summary_row(result)]))
        if output is not None:
            err.print(f"result written to {output}")
    status = result.status
    if status == "unknown":
        err.print(
            f"status unknown: no solution found for {file.name} within the budget "
            "(the method is incomplete; see --exact)"
        )
        raise typer.Exit(EXIT_UNKNOWN)
    if not result.feasible and status != "unsat":
        why = result.extra.get("infeasible_reason") or "no feasible solution found"
        raise DnnsolveError(f"{file.name}: {why}")
    if result.stop_reason == "interrupted":
        where = f" (written to {output})" if output is not None else ""
        err.print(f"interrupted: the result is the best verified solution so far{where}")
        raise typer.Exit(EXIT_INTERRUPTED)


#: per-problem extra options of ``dnnsolve solve PROBLEM`` (see ``ProblemInfo.cli_options``)
_EXTRA_OPTIONS: dict[str, tuple[Any, Any]] = {
    "colors": (
        None,
        Annotated[
            int | None,
            typer.Option(
                "--colors",
                help="Number of colours q to use (default: search for the smallest q "
                "it can colour without conflicts).",
            ),
        ],
    ),
    "exact": (
        False,
        Annotated[
            bool,
            typer.Option(
                "--exact",
                help="If no answer is found, hand the instance to an exact solver "
                "(CaDiCaL for SAT, RC2 for MaxSAT) for a complete answer.",
            ),
        ],
    ),
}


def _make_solve_command(problem: str, summary: str, formats: str, extras: tuple[str, ...]):
    """A ``dnnsolve solve PROBLEM`` command: the common options plus ``extras``."""

    def command(**kw: Any) -> None:
        options = parse_pairs(kw.pop("option"), "--option")
        for name in extras:
            value = kw.pop(name)
            if value is not None and value is not False:
                options[name] = value
        _run_solve(problem, options=options, **kw)

    P = inspect.Parameter
    params = [
        P(
            "file",
            P.KEYWORD_ONLY,
            annotation=Annotated[Path, typer.Argument(help="Instance file.", show_default=False)],
        ),
        P(
            "method",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, typer.Option(help="Method (see `dnnsolve methods`).")],
        ),
        P(
            "restarts",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[int | None, typer.Option(help="Batched restarts B.")],
        ),
        P(
            "steps",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[int | None, typer.Option(help="Gradient steps per restart.")],
        ),
        P(
            "time_limit",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                float | None, typer.Option("--time-limit", help="Wall-clock budget in seconds.")
            ],
        ),
        P(
            "seed",
            P.KEYWORD_ONLY,
            default=0,
            annotation=Annotated[
                int, typer.Option(help="Random seed (CPU runs are reproducible).")
            ],
        ),
        P(
            "device",
            P.KEYWORD_ONLY,
            default="auto",
            annotation=Annotated[str, typer.Option(help=DEVICE_HELP)],
        ),
        P(
            "output",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None,
                typer.Option("--output", "-o", help="Write the result JSON here (- for stdout)."),
            ],
        ),
        P(
            "fmt",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None, typer.Option("--format", help=f"Force a reader: {formats}.")
            ],
        ),
        P(
            "lr",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None,
                typer.Option(help="Learning rate, or a comma list for a per-restart population."),
            ],
        ),
        P(
            "hparam",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                list[str] | None,
                typer.Option(
                    "--hparam", help="Loss hyper-parameter key=value (comma list = population)."
                ),
            ],
        ),
        P(
            "option",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                list[str] | None,
                typer.Option("--option", help="Method option key=value, e.g. conv=sage."),
            ],
        ),
        P(
            "reference",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                float | None,
                typer.Option(
                    help="Known optimum / best-known value: reported with the gap; "
                    "the run stops once it is reached."
                ),
            ],
        ),
        P(
            "no_polish",
            P.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool, typer.Option("--no-polish", help="Skip the local-search polish.")
            ],
        ),
        P(
            "threads",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[int | None, typer.Option(help=THREADS_HELP)],
        ),
        P(
            "quiet",
            P.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool, typer.Option("--quiet", "-q", help="No progress bar or table.")
            ],
        ),
    ]
    for name in extras:
        if name not in _EXTRA_OPTIONS:
            raise ValueError(f"unknown CLI option {name!r} declared by problem {problem!r}")
        default, annotation = _EXTRA_OPTIONS[name]
        params.append(P(name, P.KEYWORD_ONLY, default=default, annotation=annotation))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = summary
    command.__name__ = problem
    return command


def _register_solve_commands() -> None:
    from ..methods import problem_info, problems

    for name in problems():
        info = problem_info(name)
        solve_app.command(name)(
            _make_solve_command(name, info.summary, info.formats, info.cli_options)
        )


_register_solve_commands()
solve_app.command("lp")(lp_command)
solve_app.command("qp")(qp_command)
# its own command (--stages, --report, ...) replaces the generic `solve schedule`
solve_app.command("schedule")(schedule_command)


@app.command("methods")
def methods_cmd() -> None:
    """List problems and their methods."""
    from ..methods import _DEFAULT, methods, problems

    table = Table(title="dnnsolve methods")
    table.add_column("problem")
    table.add_column("method")
    table.add_column("description")
    for p in problems():
        for name, m in sorted(methods(p).items()):
            mark = " (default)" if _DEFAULT.get(p) == name else ""
            table.add_row(p, name + mark, m.description)
    out.print(table)


@app.command("demo")
def demo(
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write all results as a JSON list.")
    ] = None,
) -> None:
    """Solve the bundled examples (MaxCut, MIS, colouring, SAT) and compare with their optima;
    denoise a bundled image crop with a Deep Decoder; solve the heat equation with a PINN, the
    bundled LP, Sudoku and task graph."""
    from ..core.callbacks import RichProgress
    from ..data import EXAMPLES, example_path
    from ..methods import solve

    rows, results = [], []
    for name, info in EXAMPLES.items():
        problem = info["problem"]
        cb = [] if quiet else [RichProgress(f"{name}", console=err)]
        r = solve(
            problem,
            example_path(name),
            device=device,
            seed=seed,
            callbacks=cb,
            reference=info.get("optimum"),
            time_limit=30,
        )
        r.instance = name
        results.append(r.to_dict(history=False))
        rows.append({"problem": problem, **_summary_row(r)})
    out.print(result_table(rows, title="dnnsolve demo (bundled examples with proven optima)"))
    image_rows = _demo_images(device, seed, quiet)
    results += [r.to_dict(history=False) for r in image_rows.pop("results")]
    out.print(result_table(image_rows["rows"], title="images (bundled, simulated noise)"))
    more = _demo_more(device, seed)
    results += [r.to_dict(history=False) for r in more.pop("results")]
    out.print(result_table(more["rows"], title="PDE, LP, RRR and scheduling (bundled inputs)"))
    if output is not None:
        from ..core.result import atomic_write_text

        atomic_write_text(output, json.dumps(results, indent=2) + "\n")


def _demo_images(device: str, seed: int, quiet: bool) -> dict:
    """Denoise a 128x128 crop of a bundled image (sigma = 25) with a Deep Decoder."""
    import torch

    from ..core.callbacks import RichProgress
    from ..imaging import Denoising, GaussianNoise, example_image, psnr, read_image, reconstruct

    clean = read_image(example_image("astronaut"))[..., 64:192, 64:192].contiguous()
    noisy = Denoising(GaussianNoise(25 / 255)).measure(clean, torch.Generator().manual_seed(seed))
    cb = [] if quiet else [RichProgress("astronaut denoise", console=err)]
    res = reconstruct(
        noisy,
        Denoising(),
        method="deep-decoder",
        iterations=1000,
        reference=clean,
        device=device,
        seed=seed,
        callbacks=cb,
        instance="astronaut-128-sigma25",
    )
    res.result.extra["noisy_psnr"] = float(psnr(noisy.clamp(0, 1), clean))
    row = {
        "problem": "image denoise",
        "instance": "astronaut 128x128, sigma 25",
        "method": "deep-decoder",
        "noisy PSNR": round(res.result.extra["noisy_psnr"], 2),
        "PSNR": round(res.metrics["psnr"], 2),
        "SSIM": round(res.metrics["ssim"], 3),
        "time_s": round(res.result.time_s, 1),
    }
    return {"rows": [row], "results": [res.result]}


def _demo_more(device: str, seed: int) -> dict:
    """The other families on bundled inputs, each with an independent check beside it."""
    import numpy as np

    from ..data import example_path
    from ..lp import solve_lp
    from ..methods import solve
    from ..pde import solve_pde
    from ..rrr.constraints import LatinRRR, parse_grid
    from ..rrr.constraints import solve as rrr_solve
    from ..schedule.baselines import list_schedule
    from ..schedule.graph import read_task_graph

    rows, results = [], []
    # the heat equation's recipe (3×20 float64, exact conditions, Adam + SSBroyden), on a
    # fixed step count rather than a budget, so a busy machine gets the same answer
    pde = solve_pde("heat", interior=500, adam_steps=500, lbfgs_steps=100, time_limit=math.inf,
                    device=device, seed=seed)  # fmt: skip
    rows.append({"problem": "pde heat", "instance": "u_t = 0.4 u_xx", "method": "pinn",
                 "result": f"rel. L2 {pde.relative_l2:.1e}", "check": "analytic solution",
                 "time_s": round(pde.result.time_s, 1)})  # fmt: skip
    results.append(pde.result)
    lp = solve_lp(example_path("lp_example.mps"), method="pdhg", device=device, seed=seed,
                  reference=True)  # fmt: skip
    gap = lp.extra.get("gap_to_reference")
    rows.append({"problem": "lp", "instance": "lp_example.mps", "method": "pdhg",
                 "result": f"{lp.objective:.6g} ({lp.status})",
                 "check": f"HiGHS {lp.reference:.6g}, gap {gap:.1e}" if gap is not None else "–",
                 "time_s": round(lp.time_s, 2)})  # fmt: skip
    results.append(lp)
    path = example_path("sudoku_example.txt")
    sudoku = rrr_solve(LatinRRR(parse_grid(path.read_text(), str(path)), box="auto"),
                       seed=seed, device=device, time_limit=30)  # fmt: skip
    rows.append({"problem": "rrr sudoku", "instance": path.name, "method": "rrr",
                 "result": "solved" if sudoku.feasible else "not solved",
                 "check": "rows, columns, boxes, givens", "time_s": round(sudoku.time_s, 2)})  # fmt: skip
    results.append(sudoku)
    path = example_path("schedule_example.gml")
    sched = solve("schedule", path, device=device, seed=seed, options={"stages": 4},
                  time_limit=10)  # fmt: skip
    greedy = list_schedule(read_task_graph(path), 4)
    rows.append({"problem": "schedule", "instance": f"{path.name}, 4 stages", "method": "gumbel",
                 "result": f"{sched.objective:.6g}" + (" legal" if sched.feasible else " illegal"),
                 "check": f"list scheduling {np.round(greedy.objective, 6):g}",
                 "time_s": round(sched.time_s, 2)})  # fmt: skip
    results.append(sched)
    return {"rows": rows, "results": results}


def _suite_names() -> str:
    from ..bench import SUITES

    return ", ".join(SUITES)


@app.command("bench")
def bench(
    suite: Annotated[str, typer.Argument(help=f"Suite: {_suite_names()}.")],
    data: Annotated[
        Path | None,
        typer.Option(help="Datasets folder (default ../shared/datasets or $DNNSOLVE_DATA)."),
    ] = None,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the JSON and Markdown files.")
    ] = Path("bench-out"),
    methods: Annotated[str | None, typer.Option(help="Comma-separated methods to run.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per instance and method.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Run at most this many instances.")] = None,
    instances: Annotated[
        str | None, typer.Option(help="Subset of instances, e.g. G14,G15 or G1-G10.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Skip classical baselines.")
    ] = False,
    exact: Annotated[
        bool | None,
        typer.Option(
            "--exact/--no-exact", help="Force / skip the CP-SAT column (default: small graphs)."
        ),
    ] = None,
    max_n: Annotated[
        int | None,
        typer.Option("--max-n", help="regular suite: largest n (default 1e5 CPU, 1e6 CUDA)."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue an interrupted run from its JSON file (same options)."),
    ] = None,
    threads: Annotated[int | None, typer.Option(help=THREADS_HELP)] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Suite / method option key=value, repeatable (image suites: crop=64, "
            "iterations=300, early_stop=wmv, ...; graph suites: method options).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    ablation: Annotated[
        bool,
        typer.Option(
            "--ablation",
            help="Also run each method with stages switched off, at equal time: network only, "
            "local search from random starts, from the classical heuristic's answer, and the "
            "heuristic alone (columns network-only, random+polish, baseline+polish, baseline).",
        ),
    ] = False,
) -> None:
    """Run a benchmark suite; writes <out>/<suite>-<time>.json and .md.

    Both files are updated after every instance, so an interrupted run keeps its
    finished instances and ``--resume FILE`` continues it.
    """
    from ..bench import run_suite

    set_threads(threads)
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be positive")
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1")
    if max_n is not None and max_n < 10:
        raise InputError("--max-n must be at least 10")
    report = run_suite(
        suite,
        data=data,
        out=out_dir,
        device=device,
        methods=[m.strip() for m in methods.split(",")] if methods else None,
        time_limit=time_limit,
        limit=limit,
        instances=instances,
        seed=seed,
        baselines=not no_baselines,
        progress=not quiet,
        command="dnnsolve " + " ".join(sys.argv[1:]),
        cpsat=exact,
        max_n=max_n,
        options=parse_pairs(option, "--option") or None,
        resume=resume,
        ablation=ablation,
    )
    if not quiet:
        out.print(report.markdown)
    err.print(f"wrote {report.json_path} and {report.markdown_path}")


@app.command("version")
def version() -> None:
    """Print the dnnsolve and torch versions."""
    import torch

    from .. import __version__

    out.print(
        json.dumps(
            {"dnnsolve": __version__, "torch": torch.__version__, "cuda": torch.cuda.is_available()}
        )
    )


app.command("pde")(pde_command)
rrr_app.command("nmf")(nmf_command)
rrr_app.command("classify")(classify_command)
rrr_app.command("autoencode")(autoencode_command)
app.command("batch")(batch_command)
app.command("bench-batch")(batch_suite_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; every failure ends in one line and its exit code
    (:mod:`dnnsolve.cli.common`), the traceback only with ``--debug``."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args[: next((k for k, a in enumerate(args) if not a.startswith("-")), 0)]
    try:
        app(args=args, prog_name="dnnsolve")
    except SystemExit as exc:  # click's own exit: help, usage errors (2), success
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_INPUT)
    except BaseException as exc:
        return exit_code_of(exc, debug)
    return EXIT_OK
