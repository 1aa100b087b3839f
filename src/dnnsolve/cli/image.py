"""``dnnsolve image TASK``: reconstruct an image with an untrained network from the command line.

Tasks: ``denoise``, ``inpaint``, ``superres``, ``deblur``, ``mri``, ``ct`` and ``fit``.

Where the measurement comes from:

- ``INPUT`` is the measurement as an image file (PNG / JPEG / TIFF): the noisy image, the
  image with missing pixels, the low-resolution image, the blurred image.
- ``--simulate`` treats ``INPUT`` as the *clean* image instead: the command applies the
  operator and the noise (``--seed``) itself and uses ``INPUT`` as the reference, so PSNR and
  SSIM come for free.  ``--example NAME`` does the same with a bundled example image
  (camera, astronaut, coffee, chelsea).  ``inpaint --missing F`` always simulates.
- ``mri`` and ``ct``: measurements are complex k-space / sinograms, not images, so an image
  ``INPUT`` is always the ground truth the measurement is simulated from.  Measured data come
  as ``.npy`` files: for ``mri`` a complex k-space array ``(H, W)`` or ``(C, H, W)``, *centred*
  (zero frequency at ``(H // 2, W // 2)``, as ``np.fft.fftshift(np.fft.fft2(x, norm="ortho"))``
  of an image with intensities in [0, 1]) and zero where not sampled (the sampling mask is read
  off the non-zero entries unless ``--mask`` is given); for ``ct`` a real sinogram ``(D, A)``
  or ``(C, D, A)`` laid out as :func:`skimage.transform.radon` (one column per angle, ``A``
  angles equally spaced over [0°, 180°)).
- ``--crop N`` centre-crops INPUT (and a mask file and the reference, at the matching place)
  to ``N × N`` before anything else: the quick way to try a method on a CPU.

Exit codes: 0 success, 2 bad input (one line on stderr), 130 interrupted by Ctrl-C (the image
and result JSON are still written, from the iterate the run would have returned at that point).
"""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.errors import InputError, NumericalError
from ..imaging.data import EXAMPLES
from ..imaging.methods import IMAGE_METHODS
from .common import (
    DEVICE_HELP,
    EXIT_INTERRUPTED,
    err,
    out,
    parse_lr,
    parse_net_options,
    set_threads,
)

if typing.TYPE_CHECKING:
    import torch

    from ..imaging.operators import Operator

__all__ = ["image_app", "parse_kernel", "parse_net_options"]

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

image_app = typer.Typer(
    help="Reconstruct an image with an untrained network (Deep Image Prior and friends).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# --------------------------------------------------------------------------- option parsing


def _parse_average(text: str | None) -> float | str | None:
    """``None`` → the method's default, ``"none"`` → no averaging, else an EMA decay in [0, 1)."""
    if text is None:
        return "default"
    if text.strip().lower() in ("none", "off", "0"):
        return None
    try:
        decay = float(text)
    except ValueError:
        raise InputError(f"--average must be a decay in (0, 1) or none, got {text!r}") from None
    if not 0.0 < decay < 1.0:
        raise InputError(f"--average must be a decay in (0, 1) or none, got {text!r}")
    return decay


def parse_kernel(spec: str):
    """A blur kernel from ``gaussian:SIGMA``, ``motion:LENGTH[,ANGLE]`` or a ``.npy`` / image file.

    File kernels must be 2-D (an image is averaged over its channels), non-negative and are
    normalised to sum 1.

    >>> parse_kernel("gaussian:1").shape, parse_kernel("motion:5,90").shape
    ((7, 7), (5, 5))
    >>> parse_kernel("box:3")
    Traceback (most recent call last):
    ...
    dnnsolve.core.errors.InputError: unknown blur kernel 'box:3' (use gaussian:SIGMA, motion:LENGTH[,ANGLE], or a .npy / .png file)
    """
    import numpy as np

    from ..imaging.operators import gaussian_kernel, motion_kernel

    kind, sep, arg = spec.partition(":")
    kind = kind.strip().lower()
    if sep and kind in ("gaussian", "motion"):
        try:
            nums = [float(v) for v in arg.split(",")]
        except ValueError:
            raise InputError(f"bad numbers in blur kernel {spec!r}") from None
        if kind == "gaussian" and len(nums) == 1:
            return gaussian_kernel(nums[0])
        if kind == "motion" and len(nums) in (1, 2):
            return motion_kernel(*nums)
        raise InputError(f"blur kernel {spec!r}: use gaussian:SIGMA or motion:LENGTH[,ANGLE]")
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        k = _load_npy(path, "blur kernel")
    elif suffix in IMAGE_EXT:
        from ..imaging.io import read_image

        k = read_image(path)[0].mean(dim=0).double().numpy()
    else:
        raise InputError(
            f"unknown blur kernel {spec!r} (use gaussian:SIGMA, motion:LENGTH[,ANGLE], "
            "or a .npy / .png file)"
        )
    k = np.asarray(k, dtype=np.float64)
    if k.ndim != 2 or not np.isfinite(k).all() or (k < 0).any() or k.sum() <= 0:
        raise InputError(
            "a blur kernel must be a 2-D array of non-negative finite values, not all zero",
            path=str(path),
        )
    return k / k.sum()


def _load_npy(path: Path, what: str):
    import numpy as np

    if not path.is_file():
        raise InputError(f"no such {what} file", path=str(path))
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # any decoder failure is a bad input file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot read {what}: {first}", path=str(path)) from None


def _mask_spec(spec: str, size: tuple[int, int], seed: int):
    """``cartesian:ACCEL`` / ``radial:SPOKES`` → a centred k-space mask ``(H, W)``."""
    from ..imaging.operators import cartesian_mask, radial_mask

    kind, sep, arg = spec.partition(":")
    kind = kind.strip().lower()
    try:
        if sep and kind == "cartesian":
            return cartesian_mask(size, float(arg), seed=seed)
        if sep and kind == "radial":
            return radial_mask(size, int(arg))
    except ValueError:
        pass
    raise InputError(f"unknown k-space mask {spec!r} (use cartesian:ACCEL or radial:SPOKES)")


# --------------------------------------------------------------------------- image helpers


def _crop_box(h: int, w: int, n: int | None) -> tuple[int, int, int] | None:
    if n is None:
        return None
    if n < 1:
        raise InputError("--crop must be at least 1")
    if n > h or n > w:
        raise InputError(f"--crop {n} is larger than the image ({h}x{w})")
    return ((h - n) // 2, (w - n) // 2, n)


def _crop(x: torch.Tensor, box: tuple[int, int, int] | None, factor: int = 1) -> torch.Tensor:
    """Centre crop ``box = (top, left, size)`` (in units of ``1 / factor`` pixels of ``x``)."""
    if box is None:
        return x
    t, left, n = (v * factor for v in box)
    return x[..., t : t + n, left : left + n].contiguous()


def _gray(x: torch.Tensor) -> torch.Tensor:
    """RGB → luma (BT.601 weights); gray passes through."""
    if x.shape[1] == 1:
        return x
    w = x.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True)


def _size(shape) -> str:
    c, h, w = shape[-3:]
    kind = "gray" if c == 1 else "RGB" if c == 3 else f"{c}-channel"
    return f"{h}x{w} {kind}"


# --------------------------------------------------------------------------- the common part


@dataclass
class Common:
    """The options every ``dnnsolve image`` command takes."""

    input: Path | None
    example: str | None
    simulate: bool
    crop: int | None
    method: str | None
    iterations: int | None
    lr: str | None
    restarts: int
    early_stop: str
    window: int
    patience: int
    average: str | None
    tv: float | None
    blend: float | None
    net_option: list[str] | None
    device: str
    seed: int
    time_limit: float | None
    threads: int | None
    reference: Path | None
    out: Path
    bits: int
    output: Path | None
    report: Path | None
    quiet: bool


@dataclass
class Setup:
    """What a task hands to the common runner: the inverse problem and how to show it."""

    operator: Operator
    measurement: torch.Tensor  # (1, ...) as the operator expects
    shape: tuple[int, int, int]  # image (C, H, W)
    reference: torch.Tensor | None  # the clean image when simulated
    display: tuple[str, torch.Tensor]  # report panel of the input, image-shaped when possible
    operator_info: dict[str, Any]
    simulated: bool
    source: str  # INPUT path or "example:NAME"
    full_shape: tuple[int, int, int] | None = None  # image shape before --crop
    crop: tuple[int, int, int] | None = None  # crop box in image coordinates
    gray_reference: bool = False  # mri / ct: a colour reference is converted to gray
    y_scale: int | None = None
    notes: list[str] = field(default_factory=list)


def _source(c: Common, *, simulate: bool | None = None) -> tuple[Path, str, bool]:
    """(file, description, simulated) of the command's image."""
    if c.example is not None and c.input is not None:
        raise InputError("give either INPUT or --example, not both")
    if c.example is not None:
        from ..imaging.data import example_image

        return example_image(c.example), f"example:{c.example}", True
    if c.input is None:
        raise InputError("give an INPUT image or --example NAME")
    return c.input, str(c.input), c.simulate if simulate is None else simulate


def _load(c: Common, path: Path):
    """INPUT read and cropped: (image, crop box or None, full (C, H, W) before the crop)."""
    from ..imaging.io import read_image

    x = read_image(path)
    box = _crop_box(x.shape[2], x.shape[3], c.crop)
    return _crop(x, box), box, tuple(x.shape[1:])


def _generator(seed: int):
    import torch

    return torch.Generator().manual_seed(int(seed))


def _noise_sigma(sigma: float) -> float:
    if not (math.isfinite(sigma) and sigma >= 0):
        raise InputError(f"--sigma must be a non-negative number, got {sigma}")
    return sigma / 255.0


def _simple_task(c: Common, op: Operator, label: str, info: dict[str, Any]) -> Setup:
    """Tasks whose measurement is an image of the image's size (denoise, deblur)."""
    path, source, simulated = _source(c)
    x, box, full = _load(c, path)
    if simulated:
        clean = x
        y = op.measure(clean, _generator(c.seed)).clamp(0.0, 1.0).float()
        ref = clean
    else:
        y, ref = x, None
    return Setup(
        operator=op,
        measurement=y,
        shape=tuple(x.shape[1:]),
        reference=ref,
        display=(label, y),
        operator_info=info,
        simulated=simulated,
        source=source,
        full_shape=full,
        crop=box,
    )


def _load_reference(c: Common, s: Setup) -> torch.Tensor | None:
    """The reference image: the simulated clean image, or ``--reference`` checked and cropped."""
    if c.reference is None:
        return s.reference
    if s.simulated:
        raise InputError(
            "--reference cannot be combined with --example / --simulate: "
            "the clean image is the reference"
        )
    from ..imaging.io import read_image

    ref = read_image(c.reference)
    if s.gray_reference:
        ref = _gray(ref)
    want = s.full_shape or s.shape
    if tuple(ref.shape[1:]) != tuple(want):
        raise InputError(
            f"reference image is {_size(ref.shape)}, expected {_size(want)}"
            + (" (before --crop)" if s.crop is not None else ""),
            path=str(c.reference),
        )
    return _crop(ref, s.crop)


#: the automatic stopping rules (dnnsolve.imaging.stopping), as the summary names them
_RULE_TEXT = {"discrepancy": "noise-level discrepancy", "holdout": "withheld-pixel",
              "plateau": "settled-output"}  # fmt: skip


def _returned_text(result) -> str:
    r = result.extra.get("returned") or {}
    by, step = r.get("by"), r.get("step")
    at = f" at step {step}" if step is not None else ""
    if by == "average":
        decay = next(
            (m.get("decay") for m in result.extra.get("monitors", []) if m.get("name") == by), None
        )
        text = f"output average (EMA decay {decay}){at}"
    elif by in _RULE_TEXT:
        text = f"output average where the {_RULE_TEXT[by]} rule stopped{at}"
    elif by == "es-wmv":
        names = {m.get("name") for m in result.extra.get("monitors", [])}
        what = "output average" if "average" in names else "iterate"
        text = f"{what} at the ES-WMV minimum-variance step{at.replace(' at step', '')}"
    else:
        text = f"last iterate{at}"
    return text


def _why_text(result) -> str:
    r = result.extra.get("returned") or {}
    if r.get("why"):
        return r["why"]
    return {
        "steps": "the iteration budget was used up",
        "time_limit": "the time limit was reached",
        "interrupted": "interrupted (Ctrl-C)",
        "early_stop": "early stopping",
    }.get(result.stop_reason, result.stop_reason)


def _summary(task: str, result, metrics: dict, written: dict, out_path: Path) -> Table:
    table = Table(title=f"dnnsolve image {task}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    rows = [
        ("method", result.method),
        ("iterations", str(result.steps)),
        ("stop reason", result.stop_reason),
        ("returned", _returned_text(result)),
        ("why", _why_text(result)),
    ]
    mix = result.extra.get("blend")
    if mix:
        share = mix["network_share"]
        rows.append(("blend", f"{share:g} x network + {1 - share:g} x {mix['baseline'].upper()}"))
    if metrics:
        rows.append(("PSNR", f"{metrics['psnr']:.2f} dB"))
        if "psnr_y" in metrics:
            rows.append(("PSNR-Y", f"{metrics['psnr_y']:.2f} dB"))
        rows.append(("SSIM", f"{metrics['ssim']:.4f}"))
        if written:
            rows.append(("PSNR (written file)", f"{written['psnr']:.2f} dB"))
    rows += [("time", f"{result.time_s:.1f} s"), ("image", str(out_path))]
    for k, v in rows:
        table.add_row(k, v)
    return table


def _check_outputs(c: Common) -> None:
    """Fail on bad output paths before spending minutes on the reconstruction."""
    if c.out.suffix.lower() not in IMAGE_EXT:
        raise InputError(
            f"--out must end in .png, .jpg, .tif (got {c.out.suffix or 'no extension'!r})",
            path=str(c.out),
        )
    if c.bits not in (8, 16):
        raise InputError(f"--bits must be 8 or 16, got {c.bits}")
    if c.bits == 16 and c.out.suffix.lower() in (".jpg", ".jpeg"):
        raise InputError("JPEG cannot store 16-bit images; use PNG or TIFF", path=str(c.out))
    if c.report is not None:
        from ..imaging.report import REPORT_FORMATS

        if c.report.suffix.lower() not in REPORT_FORMATS:
            raise InputError(
                f"--report must end in {', '.join(REPORT_FORMATS)}", path=str(c.report)
            )
    if c.crop is not None and c.crop < 1:
        raise InputError("--crop must be at least 1")
    if c.iterations is not None and c.iterations < 0:
        raise InputError("--iterations must be non-negative")
    if c.restarts < 1:
        raise InputError("--restarts must be at least 1")
    if c.window < 1 or c.patience < 1:
        raise InputError("--window and --patience must be at least 1")
    if c.time_limit is not None and not c.time_limit > 0:
        raise InputError("--time-limit must be positive")
    if c.tv is not None and not (math.isfinite(c.tv) and c.tv >= 0):
        raise InputError("--tv must be a non-negative number")
    from ..imaging.reconstruct import EARLY_STOP

    if c.early_stop not in EARLY_STOP:
        raise InputError(f"--early-stop must be {', '.join(EARLY_STOP)}, got {c.early_stop!r}")
    if c.example is not None and c.example not in EXAMPLES:
        raise InputError(
            f"unknown example image {c.example!r}; choose one of {', '.join(EXAMPLES)}"
        )


def _run(task: str, c: Common, build: Callable[[Common], Setup], default_method: str) -> None:
    """Build the problem, reconstruct, write the image / JSON / report, print the summary."""
    import torch

    from ..core.callbacks import RichProgress
    from ..imaging.io import read_image, write_image
    from ..imaging.reconstruct import image_metrics, reconstruct

    set_threads(c.threads)
    _check_outputs(c)
    method = c.method or default_method
    if method not in IMAGE_METHODS:
        raise InputError(f"unknown image method {method!r}; choose from {', '.join(IMAGE_METHODS)}")
    lr = parse_lr(c.lr)
    average = _parse_average(c.average)
    options = parse_net_options(c.net_option)

    s = build(c)
    reference = _load_reference(c, s)
    if not bool(torch.isfinite(s.measurement).all()):
        raise InputError("the measurement contains NaN or infinite values")
    if not c.quiet:
        for note in s.notes:
            err.print(f"note: {note}", highlight=False)

    name = Path(s.source).name if not s.source.startswith("example:") else s.source[8:]
    callbacks = [] if c.quiet else [RichProgress(f"{task}/{method}", console=err)]
    res = reconstruct(
        s.measurement,
        s.operator,
        method=method,
        shape=s.shape,
        iterations=c.iterations,
        lr=lr,
        restarts=c.restarts,
        early_stop=c.early_stop,
        window=c.window,
        patience=c.patience,
        average=average,
        tv=c.tv,
        blend="auto" if c.blend is None else c.blend,
        options=options,
        reference=reference,
        y_scale=s.y_scale,
        time_limit=c.time_limit,
        device=c.device,
        seed=c.seed,
        callbacks=callbacks,
        instance=name,
    )
    result = res.result
    if not bool(torch.isfinite(res.image).all()) or not result.feasible:
        raise NumericalError(
            "the reconstruction is not finite (NaN / inf): lower --lr or change the method"
        )

    write_image(c.out, res.image, bits=c.bits)
    written: dict[str, float] = {}
    if reference is not None:
        # the metrics of the file as written (8- or 16-bit), which is what a reader will measure
        written = image_metrics(read_image(c.out), reference.cpu(), s.y_scale)

    result.extra["image"] = {
        "task": task,
        "input": s.source,
        "simulated": s.simulated,
        "crop": c.crop,
        "shape": list(s.shape),
        "operator": s.operator_info,
        "reference": (
            "the clean input (simulated measurement)"
            if s.simulated and reference is not None
            else (str(c.reference) if c.reference is not None else None)
        ),
        "out": str(c.out),
        "bits": c.bits,
        "notes": s.notes,
    }
    if written:
        result.extra["metrics_written"] = written
    result.extra["returned_text"] = f"{_returned_text(result)}: {_why_text(result)}"
    to_stdout = c.output is not None and str(c.output) == "-"
    if to_stdout:
        import sys

        sys.stdout.write(result.to_json() + "\n")
    elif c.output is not None:
        result.save(c.output)
    if c.report is not None:
        from ..imaging.report import write_report

        label, shown = s.display
        panels = {label: shown, "output": res.image}
        if reference is not None and not (task == "fit" and c.reference is None):
            panels["reference"] = reference
        title = f"{task} · {method} · {result.steps} it. · returned: {_returned_text(result)}"
        write_report(
            c.report,
            panels,
            res.trace,
            title,
            reference=None if reference is None else reference.cpu(),
            returned_step=(result.extra.get("returned") or {}).get("step"),
        )
    if not c.quiet:
        if not to_stdout:
            out.print(_summary(task, result, res.metrics, written, c.out))
        wrote = [str(p) for p in (c.out, c.output, c.report) if p is not None and str(p) != "-"]
        err.print(f"wrote {', '.join(wrote)}", highlight=False)
    if result.stop_reason == "interrupted":
        err.print(
            f"interrupted at step {result.steps}: {c.out} holds the iterate returned at that point"
        )
        raise typer.Exit(EXIT_INTERRUPTED)


# --------------------------------------------------------------------------- command plumbing

P = inspect.Parameter


def _opt(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return P(name, P.KEYWORD_ONLY, default=default, annotation=annotation)


_METHODS_HELP = ", ".join(IMAGE_METHODS)

_COMMON: list[inspect.Parameter] = [
    _opt(
        "example",
        None,
        Annotated[
            str | None,
            typer.Option(
                help=f"Use a bundled example image ({', '.join(EXAMPLES)}) as the clean image: "
                "the measurement is simulated and the example is the reference."
            ),
        ],
    ),
    _opt(
        "simulate",
        False,
        Annotated[
            bool,
            typer.Option(
                "--simulate",
                help="INPUT is the clean image: simulate the measurement from it (--seed) and "
                "use it as the reference.",
            ),
        ],
    ),
    _opt(
        "crop",
        None,
        Annotated[
            int | None,
            typer.Option(help="Centre-crop INPUT to N x N first (quick CPU runs).", metavar="N"),
        ],
    ),
    _opt(
        "method",
        None,
        Annotated[str | None, typer.Option(help=f"Method: {_METHODS_HELP}.")],
    ),
    _opt(
        "iterations",
        None,
        Annotated[
            int | None,
            typer.Option(help="Iterations (default: the method's); with --early-stop auto a cap."),
        ],
    ),
    _opt(
        "lr",
        None,
        Annotated[
            str | None,
            typer.Option(
                help="Learning rate (default: the method's); a comma list gives one per restart."
            ),
        ],
    ),
    _opt(
        "restarts",
        1,
        Annotated[
            int,
            typer.Option(
                help="Independent restarts, run as one batch; their averages are averaged."
            ),
        ],
    ),
    _opt(
        "early_stop",
        "auto",
        Annotated[
            str,
            typer.Option(
                "--early-stop",
                help="auto (default: stop by the task's rule, no ground truth needed: the noise "
                "level estimated from the input for denoise, withheld pixels for inpaint, a "
                "settled output for superres; --iterations is then a cap), none (run all "
                "iterations), wmv (ES-WMV: stop at the windowed-variance minimum), discrepancy "
                "(the denoise rule) or holdout (the inpaint rule, also for denoise).",
            ),
        ],
    ),
    _opt("window", 100, Annotated[int, typer.Option(help="ES-WMV variance window.")]),
    _opt("patience", 1000, Annotated[int, typer.Option(help="ES-WMV patience in iterations.")]),
    _opt(
        "average",
        None,
        Annotated[
            str | None,
            typer.Option(
                help="Output averaging: an EMA decay such as 0.99, or none "
                "(default: the method's; DIP averages).",
                metavar="DECAY|none",
            ),
        ],
    ),
    _opt("tv", None, Annotated[float | None, typer.Option(help="Total-variation weight.")]),
    _opt(
        "blend",
        None,
        Annotated[
            float | None,
            typer.Option(
                help="superres: the network's share of the output, the rest from the TV "
                "reconstruction (default: 0.6 with --early-stop auto, else 1 = network only).",
                metavar="SHARE",
            ),
        ],
    ),
    _opt(
        "net_option",
        None,
        Annotated[
            list[str] | None,
            typer.Option(
                "--net-option",
                help="Network keyword argument key=value (repeatable; a comma makes a list), "
                "e.g. channels=16 or channels_down=16,32.",
            ),
        ],
    ),
    _opt("device", "auto", Annotated[str, typer.Option(help=DEVICE_HELP)]),
    _opt("seed", 0, Annotated[int, typer.Option(help="Random seed (network, input, simulation).")]),
    _opt(
        "time_limit",
        None,
        Annotated[float | None, typer.Option("--time-limit", help="Wall-clock budget in seconds.")],
    ),
    _opt(
        "threads",
        None,
        Annotated[
            int | None, typer.Option(help="CPU threads for torch (default: torch's choice).")
        ],
    ),
    _opt(
        "reference",
        None,
        Annotated[
            Path | None,
            typer.Option(
                help="Ground-truth image: adds PSNR / SSIM (same size as the output).",
                metavar="GT.png",
            ),
        ],
    ),
    _opt(
        "out",
        ...,
        Annotated[
            Path,
            typer.Option(
                "--out",
                help="Reconstructed image (.png, .jpg, .tif).",
                metavar="OUT.png",
                show_default=False,
            ),
        ],
    ),
    _opt("bits", 8, Annotated[int, typer.Option(help="Bits per channel of --out: 8 or 16.")]),
    _opt(
        "output",
        None,
        Annotated[
            Path | None,
            typer.Option(
                "--output",
                "-o",
                help="Result JSON (metrics, stop reason, returned iterate, trace); - for stdout.",
                metavar="RESULT.json",
            ),
        ],
    ),
    _opt(
        "report",
        None,
        Annotated[
            Path | None,
            typer.Option(
                help="Figure: input, output, reference, loss and PSNR curves (.png, .pdf, .svg).",
                metavar="REPORT.png",
            ),
        ],
    ),
    _opt(
        "quiet",
        False,
        Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, notes or table.")],
    ),
]
_COMMON_NAMES = [p.name for p in _COMMON]

_INPUT_HELP = {
    "default": "Measurement image (PNG / JPEG / TIFF); with --simulate, the clean image.",
    "superres": "Low-resolution image (PNG / JPEG / TIFF); with --simulate, the high-resolution "
    "clean image.",
    "mri": "Ground-truth image to simulate k-space from, or measured centred complex k-space "
    "(.npy).",
    "ct": "Ground-truth image to simulate a sinogram from, or a measured sinogram (.npy).",
    "fit": "Image to fit (PNG / JPEG / TIFF).",
}


def _command(name: str, default_method: str = "dip"):
    """Register ``fn(common, **task_options) -> Setup`` as ``dnnsolve image NAME``."""

    def deco(fn: Callable[..., Setup]):
        hints = typing.get_type_hints(fn, include_extras=True)
        own = [
            P(p.name, P.KEYWORD_ONLY, default=p.default, annotation=hints[p.name])
            for p in inspect.signature(fn).parameters.values()
            if p.name != "c"
        ]
        input_param = P(
            "input",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None,
                typer.Argument(
                    help=_INPUT_HELP.get(name, _INPUT_HELP["default"]),
                    show_default=False,
                    metavar="INPUT",
                ),
            ],
        )
        params = [input_param, *own, *_COMMON]

        def command(**kw: Any) -> None:
            common = Common(input=kw.pop("input"), **{k: kw.pop(k) for k in _COMMON_NAMES})
            _run(name, common, lambda c: fn(c, **kw), default_method)

        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__doc__ = fn.__doc__
        command.__name__ = name
        image_app.command(name)(command)
        return fn

    return deco


# --------------------------------------------------------------------------- the seven tasks


@_command("denoise")
def denoise(
    c: Common,
    sigma: Annotated[
        float,
        typer.Option(
            help="Noise std on the 0-255 scale (used to simulate: --example, --simulate)."
        ),
    ] = 25.0,
) -> Setup:
    """Remove Gaussian noise."""
    from ..imaging.operators import Denoising, GaussianNoise

    sd = _noise_sigma(sigma)
    return _simple_task(
        c,
        Denoising(GaussianNoise(sd)),
        "noisy input",
        {"name": "denoising", "sigma": sigma},
    )


@_command("inpaint")
def inpaint(
    c: Common,
    mask: Annotated[
        Path | None,
        typer.Option(help="Mask image, white = observed (same size as INPUT).", metavar="MASK.png"),
    ] = None,
    missing: Annotated[
        float | None,
        typer.Option(
            help="Simulate: drop this fraction of INPUT's pixels at random (seeded); INPUT is "
            "then the reference.",
            metavar="F",
        ),
    ] = None,
) -> Setup:
    """Fill in missing pixels.

    The observed pixels come from --mask (white = observed), or --missing F hides a random
    fraction of a clean INPUT.  Without either, pixels that are exactly 0 in every channel are
    taken as missing (the convention of the DIP inpainting images).
    """
    from ..imaging.io import read_image
    from ..imaging.operators import Inpainting

    if mask is not None and missing is not None:
        raise InputError("give --mask or --missing, not both")
    simulate = True if missing is not None else None
    path, source, simulated = _source(c, simulate=simulate)
    x, box, full = _load(c, path)
    _, ch, h, w = x.shape
    notes: list[str] = []
    if mask is not None:
        m = read_image(mask)
        if tuple(m.shape[2:]) != tuple(full[1:]):
            fh, fw = full[1:]
            mh, mw = m.shape[2:]
            where = " (before --crop)" if box is not None else ""
            raise InputError(f"mask is {mh}x{mw} but the image is {fh}x{fw}{where}", path=str(mask))
        m = _crop(m, box)
        if m.shape[1] == 3 and bool((m == m[:, :1]).all()):
            m = m[:, :1]
        if m.shape[1] not in (1, ch):
            raise InputError(
                f"mask has {m.shape[1]} channels but the image has {ch}", path=str(mask)
            )
        op = Inpainting(m)
        info = {"name": "inpainting", "mask": str(mask)}
    elif simulated:
        frac = 0.5 if missing is None else missing
        op = Inpainting.random((h, w), frac, seed=c.seed)
        info = {"name": "inpainting", "missing": frac, "mask_seed": c.seed}
        if missing is not None and c.input is not None and not c.simulate:
            notes.append(f"--missing hides {frac:.0%} of INPUT's pixels: INPUT is the reference")
    else:
        observed = (x != 0).any(dim=1, keepdim=True).float()
        lost = int((observed == 0).sum())
        if lost == 0:
            raise InputError(
                "no missing pixels found (none is exactly 0 in every channel); "
                "give --mask MASK.png, or --missing F to simulate",
                path=str(path),
            )
        op = Inpainting(observed[0])
        info = {"name": "inpainting", "mask": "inferred: pixels exactly 0 in every channel"}
        notes.append(
            f"no --mask: the {lost} pixels ({lost / (h * w):.1%}) that are exactly 0 in every "
            "channel are taken as missing (DIP inpainting convention)"
        )
    if simulated:
        ref = x
        y = op.measure(x, _generator(c.seed)).float()
    else:
        ref = None
        y = op(x).float()  # unobserved pixels carry no information: zero them
    op.check(y, (1, *x.shape[1:]))
    info["observed_fraction"] = float(op.mask.mean())
    return Setup(
        operator=op,
        measurement=y,
        shape=tuple(x.shape[1:]),
        reference=ref,
        display=("masked input", y),
        operator_info=info,
        simulated=simulated,
        source=source,
        full_shape=full,
        crop=box,
        notes=notes,
    )


@_command("superres")
def superres(
    c: Common,
    scale: Annotated[
        int,
        typer.Option(help="Upscaling factor, an integer >= 2 (DIP's settings exist for 4 and 8)."),
    ] = 4,
    kernel: Annotated[
        str,
        typer.Option(help="Downsampling kernel: lanczos2 (DIP's), bicubic, lanczos3 or box."),
    ] = "lanczos2",
) -> Setup:
    """Super-resolution: the output is SCALE times larger than the low-resolution INPUT.

    PSNR-Y (luma, SCALE-pixel border removed, the DIP protocol) is reported for colour images.
    """
    import torch.nn.functional as F

    from ..imaging.operators import Downsampling

    if scale < 2:
        raise InputError(f"--scale must be at least 2, got {scale}")
    op = Downsampling(scale, kernel=kernel)
    path, source, simulated = _source(c)
    x, box, full = _load(c, path)
    if simulated:
        op.output_shape(tuple(x.shape))  # one-line error if not divisible by the scale
        y = op.measure(x, _generator(c.seed)).clamp(0.0, 1.0).float()
        ref, shape, img_box = x, tuple(x.shape[1:]), None
    else:
        y = x
        ref = None
        shape = (x.shape[1], x.shape[2] * scale, x.shape[3] * scale)
        full = (full[0], full[1] * scale, full[2] * scale)
        img_box = None if box is None else tuple(v * scale for v in box)
    shown = F.interpolate(y, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)
    return Setup(
        operator=op,
        measurement=y,
        shape=shape,
        reference=ref,
        display=(f"input (bicubic x{scale})", shown),
        operator_info={"name": "downsampling", "scale": scale, "kernel": kernel},
        simulated=simulated,
        source=source,
        full_shape=full,
        crop=img_box,
        y_scale=scale,
    )


@_command("deblur")
def deblur(
    c: Common,
    kernel: Annotated[
        str,
        typer.Option(
            help="Blur kernel: gaussian:SIGMA, motion:LENGTH[,ANGLE] or a kernel file "
            "(.npy or image), normalised to sum 1.",
            metavar="SPEC",
        ),
    ] = "gaussian:2",
    sigma: Annotated[
        float,
        typer.Option(help="Noise std on the 0-255 scale (used to simulate)."),
    ] = 0.0,
) -> Setup:
    """Deblur (circular convolution with a known kernel)."""
    from ..imaging.operators import Blur, GaussianNoise

    k = parse_kernel(kernel)
    sd = _noise_sigma(sigma)
    return _simple_task(
        c,
        Blur(k, noise=GaussianNoise(sd)),
        "blurred input",
        {"name": "blur", "kernel": kernel, "kernel_size": list(k.shape), "sigma": sigma},
    )


def _image_truth(c: Common, source_path: Path, notes: list[str]):
    """mri / ct from an image: the (gray) ground truth to simulate from."""
    x = _load(c, source_path)[0]
    if x.shape[1] != 1:
        x = _gray(x)
        notes.append("the colour image was converted to gray (BT.601 luma)")
    return x


@_command("mri")
def mri(
    c: Common,
    mask: Annotated[
        str | None,
        typer.Option(
            help="k-space sampling: cartesian:ACCEL (random phase-encoding columns, seeded) or "
            "radial:SPOKES. Default cartesian:4 when simulating; for .npy data the sampled "
            "(non-zero) entries.",
            metavar="SPEC",
        ),
    ] = None,
    sigma: Annotated[
        float,
        typer.Option(
            help="k-space noise std on the 0-255 image scale (orthonormal FFT; simulation)."
        ),
    ] = 0.0,
) -> Setup:
    """Compressed-sensing MRI (single coil, masked orthonormal FFT).

    An image INPUT is the ground truth: k-space is simulated from it (MRI data are complex, so
    an image cannot be the measurement).  Measured data: a centred complex k-space .npy file.
    """
    import numpy as np
    import torch

    from ..imaging.operators import MRI, GaussianNoise

    sd = _noise_sigma(sigma)
    notes: list[str] = []
    path, source, _ = _source(c)
    if path.suffix.lower() == ".npy":
        if c.simulate:
            raise InputError("--simulate needs a ground-truth image, not k-space data")
        if c.crop is not None:
            raise InputError("--crop does not apply to k-space data")
        k = _load_npy(path, "k-space")
        if not np.iscomplexobj(k):
            raise InputError("MRI k-space must be a complex array", path=str(path))
        if k.ndim == 2:
            k = k[None]
        if k.ndim != 3:
            raise InputError(f"k-space must be (H, W) or (C, H, W), got {k.shape}", path=str(path))
        if not np.isfinite(k).all():
            raise InputError("k-space contains NaN or infinite values", path=str(path))
        kt = torch.from_numpy(np.ascontiguousarray(k)).to(torch.complex64)[None]
        h, w = kt.shape[-2:]
        if mask is None:
            m = (kt[0] != 0).any(dim=0).float()
            notes.append(f"sampling mask read off the non-zero k-space entries ({m.mean():.1%})")
            spec = "from data"
        else:
            m = _mask_spec(mask, (h, w), c.seed)
            spec = mask
        op = MRI(m, noise=GaussianNoise(sd))
        y = torch.fft.ifftshift(kt, dim=(-2, -1)) * op.mask.to(torch.complex64)
        ref, simulated, shape = None, False, (kt.shape[1], h, w)
    else:
        x = _image_truth(c, path, notes)
        if not c.simulate and c.example is None:
            notes.append("INPUT is the ground truth: k-space is simulated from it")
        h, w = x.shape[-2:]
        spec = mask or "cartesian:4"
        op = MRI(_mask_spec(spec, (h, w), c.seed), noise=GaussianNoise(sd))
        y = op.measure(x.double(), _generator(c.seed)).to(torch.complex64)
        ref, simulated, shape = x, True, tuple(x.shape[1:])
    zero_filled = op.adjoint(y).float()
    if not simulated and float(zero_filled.abs().max()) > 1.5:
        notes.append(
            "the zero-filled image exceeds 1.5: k-space is expected for intensities in [0, 1]"
        )
    return Setup(
        operator=op,
        measurement=y,
        shape=shape,
        reference=ref,
        display=("zero-filled", zero_filled.clamp(0, 1)),
        operator_info={
            "name": "mri",
            "mask": spec,
            "acceleration": op.acceleration,
            "sigma": sigma,
        },
        simulated=simulated,
        source=source,
        full_shape=None,
        crop=None,
        gray_reference=True,
        notes=notes,
    )


def _fbp(sino: torch.Tensor, angles, n: int, circle: bool) -> torch.Tensor:
    """Filtered back-projection (skimage ``iradon``, ramp filter), the classical baseline."""
    import numpy as np
    import torch
    from skimage.transform import iradon

    out = []
    for ch in sino[0].double().numpy():
        out.append(iradon(ch, theta=np.asarray(angles), output_size=n, circle=circle))
    return torch.from_numpy(np.stack(out)).float()[None].clamp(0, 1)


@_command("ct")
def ct(
    c: Common,
    angles: Annotated[
        int | None,
        typer.Option(
            help="Projection angles, equally spaced over [0, 180) degrees "
            "(default 60 when simulating; a .npy sinogram has its own)."
        ),
    ] = None,
    circle: Annotated[
        bool,
        typer.Option(
            "--circle",
            help="Assume the object lies inside the inscribed circle (skimage's radon "
            "circle=True: D = N detector bins); default: the whole square image is scanned.",
        ),
    ] = False,
) -> Setup:
    """Parallel-beam CT from few angles (Radon transform, as skimage.transform.radon).

    An image INPUT is the ground truth: the sinogram is simulated from it.  Measured data: a
    sinogram .npy file, (D, A) or (C, D, A), one column per angle.
    """
    import numpy as np
    import torch

    from ..imaging.operators import CTRadon

    if angles is not None and angles < 1:
        raise InputError("--angles must be at least 1")
    notes: list[str] = []
    path, source, _ = _source(c)
    if path.suffix.lower() == ".npy":
        if c.simulate:
            raise InputError("--simulate needs a ground-truth image, not a sinogram")
        if c.crop is not None:
            raise InputError("--crop does not apply to a sinogram")
        s = _load_npy(path, "sinogram")
        if np.iscomplexobj(s) or s.ndim not in (2, 3) or not np.isfinite(s).all():
            raise InputError(
                f"a sinogram must be a real finite (D, A) or (C, D, A) array, got {s.shape}",
                path=str(path),
            )
        if s.ndim == 2:
            s = s[None]
        n_angles = s.shape[-1]
        if angles is not None and angles != n_angles:
            raise InputError(f"--angles {angles} but the sinogram has {n_angles} columns")
        op = CTRadon(n_angles, circle=circle)
        y = torch.from_numpy(np.ascontiguousarray(s, dtype=np.float32))[None]
        n = op.input_shape(tuple(y.shape))[-1]
        shape = (y.shape[1], n, n)
        op.check(y, (1, *shape))
        ref, simulated = None, False
    else:
        x = _image_truth(c, path, notes)
        if not c.simulate and c.example is None:
            notes.append("INPUT is the ground truth: the sinogram is simulated from it")
        if x.shape[-1] != x.shape[-2]:
            raise InputError(
                f"CT needs a square image, got {x.shape[-2]}x{x.shape[-1]} (use --crop)"
            )
        n_angles = angles or 60
        op = CTRadon(n_angles, circle=circle)
        y = op.measure(x).float()
        ref, simulated, shape = x, True, tuple(x.shape[1:])
        n = x.shape[-1]
    theta = op.angles.numpy()
    try:
        shown, label = _fbp(y, theta, n, circle), "filtered back-projection"
    except Exception:  # the display is a courtesy; fall back to the normalised adjoint
        bp = op.adjoint(y)
        shown, label = (bp / bp.abs().max().clamp_min(1e-12)).clamp(0, 1), "back-projection"
    return Setup(
        operator=op,
        measurement=y,
        shape=shape,
        reference=ref,
        display=(label, shown),
        operator_info={"name": "ct", "angles": n_angles, "circle": circle},
        simulated=simulated,
        source=source,
        gray_reference=True,
        notes=notes,
    )


@_command("fit", default_method="siren")
def fit(c: Common) -> Setup:
    """Fit INPUT with a network (identity operator, no noise): how well does it represent it?

    INPUT is its own reference, so PSNR / SSIM measure the fit.
    """
    from ..imaging.operators import Denoising, Noise

    path, source, _ = _source(c)
    x, box, full = _load(c, path)
    return Setup(
        operator=Denoising(Noise()),
        measurement=x,
        shape=tuple(x.shape[1:]),
        reference=x if c.reference is None else None,
        display=("input", x),
        operator_info={"name": "identity"},
        simulated=False,
        source=source,
        full_shape=full,
        crop=box,
    )
