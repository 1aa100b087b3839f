"""The ``dnnsolve`` command line: the app, the ``solve`` commands of the registered problems,
``demo``, ``bench``, ``methods``, ``version``, and the entry point :func:`main`.

A family's command is built when a command line names it (:class:`.generate.FamilyGroup`), so
that ``dnnsolve solve lp …`` starts without the other families' code; :data:`app` and
:data:`solve_app`, read from outside, hold every family's command.

Every failure ends in one line on stderr and the exit code of :mod:`dnnsolve.cli.common`:
2 for bad input (file, option, unavailable device), 3 for an internal error.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.table import Table
from typer.core import TyperCommand

from ..core.errors import InputError
from ..family import DEVICE_HELP, parse_pairs
from .batch import batch_command, batch_suite_command
from .common import (
    EXIT_CODES_HELP,
    EXIT_INPUT,
    EXIT_OK,
    THREADS_HELP,
    err,
    exit_code_of,
    former_flag,
    out,
    result_table,
    set_threads,
    show,
    threads_wanted,
)
from .generate import family_command, family_group, summary_row
from .image import image_app
from .rrr import rrr_app

_app = typer.Typer(
    cls=family_group(""),
    name="dnnsolve",
    help="Solve optimization problems with dataless neural networks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _versions() -> dict:
    import torch

    from .. import __version__

    return {"dnnsolve": __version__, "torch": torch.__version__, "cuda": torch.cuda.is_available()}


def _print_version(value: bool) -> None:
    if value:
        v = _versions()
        out.print(f"dnnsolve {v['dnnsolve']} (torch {v['torch']}, cuda {v['cuda']})")
        raise typer.Exit()


def _logging(verbosity: int) -> None:
    """``-v``: the steps of a run (INFO) on stderr; ``-vv``: DEBUG."""
    import logging

    from rich.logging import RichHandler

    logger = logging.getLogger("dnnsolve")
    logger.handlers[:] = [RichHandler(console=err, show_path=False, show_time=verbosity > 1)]
    logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    logger.propagate = False


@_app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the traceback of an error (before the command).")
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="Log the steps of a run on stderr (-vv: more)."
        ),
    ] = 0,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Solve optimization problems with dataless neural networks.

    Every command's --help ends with its exit codes; the threads torch uses (--threads,
    $DNNSOLVE_THREADS, else chosen for the machine) are checked here and set by each command
    that runs torch."""
    if verbose:
        _logging(verbose)
    threads_wanted(None)


_solve_app = typer.Typer(
    cls=family_group("solve"),
    help="Solve one instance: dnnsolve solve PROBLEM FILE \\[OPTIONS].",
    no_args_is_help=True,
)
_app.add_typer(_solve_app, name="solve")
_app.add_typer(image_app, name="image", help="Reconstruct an image with an untrained network.")
_app.add_typer(
    rrr_app, name="rrr", help="Solve constraint problems and train networks with RRR projections."
)


def register_family_commands() -> None:
    """``dnnsolve solve FAMILY`` for every family, and each alias under its group, in the Typer
    apps themselves (for :data:`app` and :data:`solve_app`); a command is registered once."""
    from ..family import families

    groups = {"image": image_app, "rrr": rrr_app}
    registered = {c.name for c in _solve_app.registered_commands}
    for name, fam in families().items():
        if name in registered:
            continue
        command = family_command(fam)
        _solve_app.command(name, epilog=EXIT_CODES_HELP)(command)
        if fam.alias is not None:
            group = groups[fam.group] if fam.group else _app
            group.command(fam.alias, epilog=EXIT_CODES_HELP)(command)


def __getattr__(name: str) -> Any:
    """``app`` and ``solve_app`` with every family's command registered: what a test or a
    program reading the apps expects (:func:`main` builds only the command it runs)."""
    apps = {"app": _app, "solve_app": _solve_app}
    if name not in apps:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    register_family_commands()
    return apps[name]


@_app.command("methods", epilog=EXIT_CODES_HELP)
def methods_cmd(
    family: Annotated[
        str | None, typer.Argument(help="Only this family.", show_default=False)
    ] = None,
) -> None:
    """List the families and their methods (the default and the classical baseline marked)."""
    from ..family import families, get_family

    chosen = {family: get_family(family)} if family else families()
    table = Table(title="dnnsolve methods")
    for col in ("family", "method", "description"):
        table.add_column(col)
    for name, fam in chosen.items():
        default = fam.default_method()
        for method, text in sorted(fam.methods().items()):
            mark = " (default)" if method == default else ""
            mark += " (baseline)" if method == fam.baseline else ""
            table.add_row(name, method + mark, text)
    show(table)


@_app.command("demo", epilog=EXIT_CODES_HELP)
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
    from ..family import solve

    set_threads(None)
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
            reference_value=info.get("optimum"),
            time_limit=30,
        )
        r.instance = name
        results.append(r.to_dict(history=False))
        rows.append({"problem": problem, **summary_row(r)})
    show(result_table(rows, title="dnnsolve demo (bundled examples with proven optima)"))
    image_rows = _demo_images(device, seed, quiet)
    results += [r.to_dict(history=False) for r in image_rows.pop("results")]
    show(result_table(image_rows["rows"], title="images (bundled, simulated noise)"))
    more = _demo_more(device, seed)
    results += [r.to_dict(history=False) for r in more.pop("results")]
    show(result_table(more["rows"], title="PDE, LP, RRR and scheduling (bundled inputs)"))
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
    res.result.metrics["input_psnr"] = float(psnr(noisy.clamp(0, 1), clean))
    res.result.problem = "denoise"  # the family that solves this task
    row = {
        "problem": "image denoise",
        "instance": "astronaut 128x128, sigma 25",
        "method": "deep-decoder",
        "noisy PSNR": round(res.result.metrics["input_psnr"], 2),
        "PSNR": round(res.metrics["psnr"], 2),
        "SSIM": round(res.metrics["ssim"], 3),
        "time_s": round(res.result.time_s, 1),
    }
    return {"rows": [row], "results": [res.result]}


def _demo_more(device: str, seed: int) -> dict:
    """The other families on bundled inputs, each with an independent check beside it."""
    import numpy as np

    from ..data import example_path
    from ..family import solve
    from ..lp import solve_lp
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
    gap = lp.metrics.get("gap_to_reference")
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


class _BenchCommand(TyperCommand):
    """``bench``, whose SUITE help names the suites when the help is shown: naming them imports
    every suite (and so every family), which no other command line should pay for."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from ..bench import SUITES

        suite = next(p for p in self.params if p.name == "suite")
        suite.help = f"Suite: {', '.join(SUITES)}."  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)


@_app.command("bench", epilog=EXIT_CODES_HELP, cls=_BenchCommand)
def bench(
    suite: Annotated[str, typer.Argument(help="Suite (its --help lists them).")],
    data: Annotated[
        Path | None,
        typer.Option(help="Datasets folder (default ../shared/datasets or $DNNSOLVE_DATA)."),
    ] = None,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Folder for the JSON and Markdown files.")
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
            "steps=300, early_stop=wmv, ...; graph suites: method options).",
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
    former_out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
) -> None:
    """Run a benchmark suite; writes OUT_DIR/SUITE-TIME.json and .md.

    Both files are updated after every instance, so an interrupted run keeps its
    finished instances and ``--resume FILE`` continues it.
    """
    from ..bench import run_suite
    from ..bench.harness import current_option_names

    set_threads(threads)
    out_dir = former_flag(out_dir, former_out, "--out", "--out-dir")
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be positive")
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1")
    if max_n is not None and max_n < 10:
        raise InputError("--max-n must be at least 10")
    options, renamed = current_option_names(parse_pairs(option, "--option", lists="numbers"))
    for note in renamed:
        err.print(f"note: {note}", highlight=False)
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
        options=options or None,
        resume=resume,
        ablation=ablation,
    )
    if not quiet:
        out.print(report.markdown)
    err.print(f"wrote {report.json_path} and {report.markdown_path}")


@_app.command("version", epilog=EXIT_CODES_HELP)
def version() -> None:
    """Print the dnnsolve and torch versions (JSON)."""
    out.print(json.dumps(_versions()))


_VERIFY_EXIT_CODES = (
    "Exit codes: 0 everything recorded holds; 1 something does not (one line says what); 2 "
    "bad input (a file that cannot be read, a result of an unknown problem)."
)


@_app.command("verify", epilog=_VERIFY_EXIT_CODES)
def verify_cmd(
    input: Annotated[
        Path | None,
        typer.Argument(
            help="The instance the result answers (graph, CNF / WCNF, MPS, schedule …); "
            "not needed for families whose answers are not rechecked.",
            show_default=False,
        ),
    ],
    result: Annotated[Path, typer.Argument(help="The result JSON (`dnnsolve solve … -o`).")],
    format: Annotated[
        str | None, typer.Option("--format", help="Force the input's reader (as for solve).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Recheck a result from its input alone: the answer is feasible, its objective is the
    one recorded, and the bound follows from its certificate (code shared with no solver).

    dnnsolve verify G1.txt result.json"""
    from ..verify import Failed, verify

    try:
        lines = verify(input, result, format)
    except Failed as exc:
        err.print(f"{result}: FAILED: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if not quiet:
        for line in lines:
            out.print(f"ok  {line}", highlight=False, soft_wrap=True)
        out.print(f"{result}: verified", highlight=False)


_BATCH_EXIT_CODES = (
    "Exit codes: 0 every task succeeded; 1 some tasks failed (their records say why); 2 bad "
    "input; 130 interrupted (finished records are kept)."
)
_app.command("batch", epilog=_BATCH_EXIT_CODES)(batch_command)
_app.command("bench-batch", epilog=_BATCH_EXIT_CODES)(batch_suite_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; every failure ends in one line and its exit code
    (:mod:`dnnsolve.cli.common`), the traceback only with ``--debug``."""
    args = list(sys.argv[1:] if argv is None else argv)
    first = next((k for k, a in enumerate(args) if not a.startswith("-")), len(args))
    debug = "--debug" in args[:first]
    try:
        _app(args=args, prog_name="dnnsolve")
    except SystemExit as exc:  # click's own exit: help, usage errors (2), success
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_INPUT)
    except BaseException as exc:
        return exit_code_of(exc, debug)
    return EXIT_OK
