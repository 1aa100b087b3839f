"""The imaging families: ``denoise``, ``inpaint``, ``superres``, ``deblur``, ``mri``, ``ct``
and ``fit``, each an image reconstructed by an untrained network.

Each is a :class:`~dnnsolve.family.Family` (``dnnsolve.solve("denoise", ...)``,
``dnnsolve solve denoise`` and its alias ``dnnsolve image denoise``): the options are
:class:`ImageOptions` plus the task's own, :func:`~dnnsolve.imaging.tasks.set_up` reads the
input into the inverse problem, :func:`~dnnsolve.imaging.reconstruct.reconstruct` solves it.
The result keeps the image: ``result.solution_array`` is the reconstruction ``(1, C, H, W)``
(float32 in [0, 1], :func:`output_image` gives it as a tensor), ``result.extra["image"]``
describes the task and ``result.metrics`` has PSNR / SSIM against the reference, and the PSNR of
the input itself (``input_psnr``: the noisy or blurred image, the zero-filled or bicubic or
back-projected one) so that a run worse than its input shows.
Besides the networks (:data:`~dnnsolve.imaging.methods.IMAGE_METHODS`), ``method`` may name
the task's classical methods (:data:`CLASSICAL`, from :mod:`dnnsolve.baselines.imaging`:
``bm3d`` and ``tv`` for denoise, ``bicubic`` and ``tv`` for superres, ``tv`` for the others);
the first is the family's ``baseline``.

Where the measurement comes from:

- ``INPUT`` is the measurement as an image file (PNG / JPEG / TIFF): the noisy image, the
  image with missing pixels, the low-resolution image, the blurred image.  Through the API
  it may also be an image tensor ``(1, C, H, W)`` (or an array ``(H, W[, C])``).
- ``--simulate`` treats ``INPUT`` as the *clean* image instead: the measurement is simulated
  from it (operator and noise, ``--seed``) and ``INPUT`` is the reference, so PSNR and SSIM
  come for free.  ``--example NAME`` does the same with a bundled example image (camera,
  astronaut, coffee, chelsea).  ``inpaint --missing F`` always simulates.
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

The family's ``write`` hook writes ``--image`` (the image, 8 or 16 bits; its PSNR / SSIM as
written go to ``result.metrics`` as ``written_psnr`` / ``written_ssim``) and ``--report`` (a figure).  On the
command line Ctrl-C ends the run with exit code 130; the image and the result JSON are still
written, from the iterate the run would have returned at that point.

>>> import dnnsolve
>>> r = dnnsolve.solve("denoise", None, example="camera", crop=32, steps=20,
...                    method="deep-decoder", net_options={"channels": 8, "depth": 2},
...                    device="cpu", seed=0)
>>> r.status, r.steps, r.extra["image"]["shape"], output_image(r).shape
('feasible', 20, [1, 32, 32], torch.Size([1, 1, 32, 32]))
>>> dnnsolve.solve("denoise", None, example="camera", bits=12)
Traceback (most recent call last):
...
dnnsolve.core.errors.InputError: --bits must be one of 8, 16, got 12
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from ..core.callbacks import Callback
from ..core.errors import InputError, NumericalError
from ..core.result import Result
from ..core.seeding import fresh_seed
from ..family import (
    Family,
    Options,
    at_least,
    fraction,
    non_negative,
    one_of,
    option,
    parse_numbers,
    parse_pairs,
    register_family,
)
from .data import EXAMPLES
from .methods import IMAGE_METHODS
from .reconstruct import EARLY_STOP
from .tasks import IMAGE_EXT, ImageTask, parse_kernel, parse_mask_spec, returned_text, why_text

__all__ = [
    "CtOptions",
    "DeblurOptions",
    "DenoiseOptions",
    "FitOptions",
    "ImageOptions",
    "InpaintOptions",
    "MriOptions",
    "SuperresOptions",
    "output_image",
]


# --------------------------------------------------------------------------- options

#: the classical methods (:mod:`dnnsolve.baselines.imaging`) each task can run besides the
#: networks; the first is the family's ``baseline``
CLASSICAL: dict[str, dict[str, str]] = {
    "denoise": {
        "bm3d": "BM3D / CBM3D with the noise level (classical baseline, bm3d package)",
        "tv": "Chambolle's TV denoising (skimage), its weight from the noise level",
    },
    "inpaint": {"tv": "TV-regularized reconstruction of the observed pixels (classical)"},
    "superres": {
        "bicubic": "bicubic upsampling of the low-resolution image (classical baseline)",
        "tv": "TV-regularized super-resolution from the bicubic image (classical)",
    },
    "deblur": {"tv": "TV-regularized deconvolution (classical)"},
    "mri": {"tv": "TV-regularized reconstruction from the sampled k-space (classical)"},
    "ct": {"tv": "TV-regularized reconstruction from the sinogram (classical)"},
    "fit": {},
}


def _positive_lr(v: Any) -> str | None:
    vals = v if isinstance(v, (list, tuple)) else [v]
    ok = all(isinstance(x, (int, float)) and math.isfinite(x) and x > 0 for x in vals)
    return None if ok and vals else "must be positive"


def _as_path(v: Any) -> Path | None:
    return None if v is None else Path(v)


@dataclass(kw_only=True)
class ImageOptions(Options):
    """The options every imaging family takes (``dnnsolve image TASK --help`` lists them).

    ``average`` is an EMA decay in (0, 1), ``"none"`` (no averaging) or None (the method's
    default); ``blend`` None is the default (the TV blend for ``superres`` under
    ``early_stop="auto"``, else the network alone).  ``out`` and ``report`` are written by the
    family's ``write`` hook (required on the command line, optional through the API).
    """

    TASK: ClassVar[str] = ""

    seed: int | None = option(
        None, "Random seed (network, input, simulation).", cli_default=0, metavar="INT"
    )
    example: str | None = option(
        None,
        f"Use a bundled example image ({', '.join(EXAMPLES)}) as the clean image: the "
        "measurement is simulated and the example is the reference.",
    )
    simulate: bool = option(
        False,
        "INPUT is the clean image: simulate the measurement from it (--seed) and use it as the "
        "reference.",
    )
    crop: int | None = option(
        None, "Centre-crop INPUT to N x N first (quick CPU runs).", check=at_least(1), metavar="N"
    )
    steps: int | None = option(
        None,
        "Iterations (default: the method's); with --early-stop auto a cap.",
        check=non_negative,
        aliases=("iterations",),
    )
    lr: float | list[float] | None = option(
        None,
        "Learning rate (default: the method's); a comma list gives one per restart.",
        check=_positive_lr,
        parse=lambda text: parse_numbers(text, "--lr"),
        cli_type=str,
    )
    restarts: int = option(
        1,
        "Independent restarts, run as one batch; their averages are averaged.",
        check=at_least(1),
    )
    early_stop: str = option(
        "auto",
        "auto (default: stop by the task's rule, no ground truth needed: the noise level "
        "estimated from the input for denoise, withheld pixels for inpaint, a settled output "
        "for superres; --steps is then a cap), none (run all iterations), wmv (ES-WMV: "
        "stop at the windowed-variance minimum), discrepancy (the denoise rule) or holdout "
        "(the inpaint rule, also for denoise).",
        check=one_of(*EARLY_STOP),
    )
    window: int = option(100, "ES-WMV variance window.", check=at_least(1))
    patience: int = option(1000, "ES-WMV patience in iterations.", check=at_least(1))
    average: float | str | None = option(
        None,
        "Output averaging: an EMA decay such as 0.99, or none (default: the method's; DIP "
        "averages).",
        cli_type=str,
        metavar="DECAY|none",
    )
    tv: float | None = option(None, "Total-variation weight.", check=non_negative)
    blend: float | None = option(
        None,
        "superres: the network's share of the output, the rest from the TV reconstruction "
        "(default: 0.6 with --early-stop auto, else 1 = network only).",
        check=fraction,
        metavar="SHARE",
    )
    net_options: dict[str, Any] = option(
        help="Network keyword argument key=value (repeatable; a comma makes a list), e.g. "
        "channels=16 or channels_down=16,32.",
        flag="--net-option",
        parse=lambda items: parse_pairs(items, "--net-option"),
        cli_type=list[str],
        factory=dict,
    )
    reference_image: Path | None = option(
        None,
        "Ground-truth image: adds PSNR / SSIM (same size as the output).",
        metavar="GT.png",
        aliases=("reference",),
    )
    image: Path | None = option(
        None,
        "Write the reconstructed image here (.png, .jpg, .tif).",
        cli_type=Path,
        metavar="OUT.png",
        aliases=("out",),
    )
    bits: int = option(8, "Bits per channel of --image: 8 or 16.", check=one_of(8, 16))
    report: Path | None = option(
        None,
        "Figure: input, output, reference, loss and PSNR curves (.png, .pdf, .svg).",
        metavar="REPORT.png",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        classical = CLASSICAL.get(self.TASK, {})
        if self.method is not None and self.method not in {**IMAGE_METHODS, **classical}:
            names = ", ".join([*IMAGE_METHODS, *classical])
            raise InputError(f"unknown image method {self.method!r}; choose from {names}")
        if self.example is not None and self.example not in EXAMPLES:
            raise InputError(
                f"unknown example image {self.example!r}; choose one of {', '.join(EXAMPLES)}"
            )
        self.average = self._average(self.average)
        self.reference_image, self.image, self.report = map(
            _as_path, (self.reference_image, self.image, self.report)
        )
        if self.image is not None:
            suffix = self.image.suffix.lower()
            if suffix not in IMAGE_EXT:
                raise InputError(
                    f"--image must end in .png, .jpg, .tif (got {suffix or 'no extension'!r})",
                    path=str(self.image),
                )
            if self.bits == 16 and suffix in (".jpg", ".jpeg"):
                raise InputError(
                    "JPEG cannot store 16-bit images; use PNG or TIFF", path=str(self.image)
                )
        if self.report is not None:
            from .report import REPORT_FORMATS

            if self.report.suffix.lower() not in REPORT_FORMATS:
                raise InputError(
                    f"--report must end in {', '.join(REPORT_FORMATS)}", path=str(self.report)
                )
        if self.seed is None:
            self.seed = fresh_seed()

    @staticmethod
    def _average(value: Any) -> float | str | None:
        """None (the method's default), "none" (no averaging) or a decay in (0, 1)."""
        if value is None:
            return None
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("none", "off", "0"):
                return "none"
            if text == "default":
                return None
            try:
                value = float(text)
            except ValueError:
                raise InputError(
                    f"--average must be a decay in (0, 1) or none, got {value!r}"
                ) from None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
            return "none"
        if not (isinstance(value, (int, float)) and 0.0 < value < 1.0):
            raise InputError(f"--average must be a decay in (0, 1) or none, got {value!r}")
        return float(value)

    def reconstruct_average(self) -> float | str | None:
        """``average`` as :func:`~dnnsolve.imaging.reconstruct.reconstruct` takes it."""
        if self.average is None:
            return "default"
        return None if self.average == "none" else self.average


@dataclass(kw_only=True)
class DenoiseOptions(ImageOptions):
    TASK: ClassVar[str] = "denoise"
    sigma: float = option(
        25.0,
        "Noise std on the 0-255 scale (used to simulate: --example, --simulate).",
        check=non_negative,
    )


@dataclass(kw_only=True)
class InpaintOptions(ImageOptions):
    TASK: ClassVar[str] = "inpaint"
    mask: Path | None = option(
        None, "Mask image, white = observed (same size as INPUT).", metavar="MASK.png"
    )
    missing: float | None = option(
        None,
        "Simulate: drop this fraction of INPUT's pixels at random (seeded); INPUT is then the "
        "reference.",
        check=fraction,
        metavar="F",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mask is not None and self.missing is not None:
            raise InputError("give --mask or --missing, not both")
        self.mask = _as_path(self.mask)


@dataclass(kw_only=True)
class SuperresOptions(ImageOptions):
    TASK: ClassVar[str] = "superres"
    scale: int = option(
        4,
        "Upscaling factor, an integer >= 2 (DIP's settings exist for 4 and 8).",
        check=at_least(2),
    )
    kernel: str = option(
        "lanczos2",
        "Downsampling kernel: lanczos2 (DIP's), bicubic, lanczos3 or box.",
        check=one_of("lanczos2", "bicubic", "lanczos3", "box"),
    )


@dataclass(kw_only=True)
class DeblurOptions(ImageOptions):
    TASK: ClassVar[str] = "deblur"
    kernel: str = option(
        "gaussian:2",
        "Blur kernel: gaussian:SIGMA, motion:LENGTH[,ANGLE] or a kernel file (.npy or image), "
        "normalised to sum 1.",
        metavar="SPEC",
    )
    sigma: float = option(
        0.0, "Noise std on the 0-255 scale (used to simulate).", check=non_negative
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        parse_kernel(self.kernel)  # a bad spec or kernel file fails here, before any work


@dataclass(kw_only=True)
class MriOptions(ImageOptions):
    TASK: ClassVar[str] = "mri"
    mask: str | None = option(
        None,
        "k-space sampling: cartesian:ACCEL (random phase-encoding columns, seeded) or "
        "radial:SPOKES. Default cartesian:4 when simulating; for .npy data the sampled "
        "(non-zero) entries.",
        metavar="SPEC",
    )
    sigma: float = option(
        0.0,
        "k-space noise std on the 0-255 image scale (orthonormal FFT; simulation).",
        check=non_negative,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mask is not None:
            parse_mask_spec(self.mask)


@dataclass(kw_only=True)
class CtOptions(ImageOptions):
    TASK: ClassVar[str] = "ct"
    angles: int | None = option(
        None,
        "Projection angles, equally spaced over [0, 180) degrees (default 60 when simulating; "
        "a .npy sinogram has its own).",
        check=at_least(1),
    )
    circle: bool = option(
        False,
        "Assume the object lies inside the inscribed circle (skimage's radon circle=True: D = "
        "N detector bins); default: the whole square image is scanned.",
    )


@dataclass(kw_only=True)
class FitOptions(ImageOptions):
    TASK: ClassVar[str] = "fit"


# --------------------------------------------------------------------------- read, run, write


def _read(input: Any, opts: Options) -> ImageTask:
    from .tasks import set_up

    assert isinstance(opts, ImageOptions)
    return set_up(opts.TASK, input, opts)


def _run(task: ImageTask, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    """Reconstruct ``task``; the result keeps the image (``solution_array``) and the task
    (``instance_data``) for the ``write`` hook."""
    from .reconstruct import reconstruct

    assert isinstance(opts, ImageOptions)
    method = opts.method or FAMILY_DEFAULTS[task.task]
    if method in CLASSICAL[task.task]:
        result, image = _run_classical(task, opts, method)
        return _finish(result, image, task, opts)
    res = reconstruct(
        task.measurement,
        task.operator,
        method=method,
        shape=task.shape,
        iterations=opts.steps,
        lr=opts.lr,
        restarts=opts.restarts,
        early_stop=opts.early_stop,
        window=opts.window,
        patience=opts.patience,
        average=opts.reconstruct_average(),
        tv=opts.tv,
        blend="auto" if opts.blend is None else opts.blend,
        options=opts.net_options,
        reference=task.reference,
        y_scale=task.y_scale,
        time_limit=opts.time_limit,
        device=opts.device,
        seed=opts.seed,
        callbacks=callbacks,
        instance=task.instance,
    )
    return _finish(res.result, res.image, task, opts)


def _input_psnr(task: ImageTask) -> float | None:
    """PSNR of what the user could look at without us (the task's input display: noisy,
    zero-filled, bicubic, back-projected) against the reference; None where not comparable."""
    from .reconstruct import image_metrics

    shown = task.display[1]
    if task.reference is None or task.task == "fit" or shown.shape[-2:] != task.shape[-2:]:
        return None
    shown = shown.detach().float().cpu().clamp(0.0, 1.0).reshape(task.reference.shape)
    return image_metrics(shown, task.reference.cpu(), task.y_scale)["psnr"]


def _finish(result: Result, image: torch.Tensor, task: ImageTask, opts: ImageOptions) -> Result:
    """The result of a run on ``task``: checked finite, described, holding its image."""
    if not bool(torch.isfinite(image).all()) or not result.feasible:
        raise NumericalError(
            "the reconstruction is not finite (NaN / inf): lower --lr or change the method"
        )
    if (input_psnr := _input_psnr(task)) is not None:
        result.metrics["input_psnr"] = input_psnr
    result.extra["image"] = {
        "task": task.task,
        "input": task.source,
        "simulated": task.simulated,
        "crop": opts.crop,
        "shape": list(task.shape),
        "operator": task.operator_info,
        "reference": task.reference_text,
        "out": None if opts.image is None else str(opts.image),
        "input_label": task.display[0],
        "bits": opts.bits,
        "notes": task.notes,
    }
    if task.notes:
        result.extra["notes"] = list(task.notes)  # shown by the command line
    result.extra["returned_text"] = f"{returned_text(result)}: {why_text(result)}"
    result.solution_array = image.numpy()
    result.instance_data = task
    return result


def _noise_level(task: ImageTask, opts: ImageOptions) -> tuple[float, bool]:
    """The noise level of a denoising task on the [0, 1] scale: the simulated one (the
    benchmarks' oracle protocol), else estimated from the measurement; and if estimated."""
    from .stopping import estimate_noise_sigma

    sigma = getattr(opts, "sigma", 0.0)
    if task.simulated and sigma > 0:
        return sigma / 255.0, False
    return max(estimate_noise_sigma(task.measurement.float()), 1e-4), True


def _run_classical(task: ImageTask, opts: ImageOptions, method: str) -> tuple[Result, torch.Tensor]:
    """One of the task's classical methods (:data:`CLASSICAL`), verified as the networks'
    answers are (data fidelity of the clipped image)."""
    from ..baselines import imaging as base
    from ..core.device import device_name, resolve_device
    from .problem import ImageReconstruction
    from .reconstruct import image_metrics

    dev = resolve_device(str(opts.device))
    y = task.measurement
    iterations = 300 if opts.steps is None else int(opts.steps)
    extra: dict[str, Any] = {}
    if task.task == "denoise":
        sigma, estimated = _noise_level(task, opts)
        extra["noise_sigma"] = {"sigma": sigma, "estimated": estimated}
        if method == "bm3d" and not base.bm3d_available():
            raise InputError("the bm3d package is not installed (pip install bm3d)")
        b = base.bm3d_denoise(y, sigma) if method == "bm3d" else base.tv_denoise(y, sigma)
    elif method == "bicubic":
        b = base.bicubic_upsample(y, size=task.shape[1:])
    elif task.task == "superres":
        b = base.tv_super_resolve(y, task.operator, task.shape, iterations=iterations, device=dev)
    else:
        lam = base.TV_LAMBDA["inpainting"] if task.task == "inpaint" else 1e-3
        b = base.tv_reconstruct(
            y, task.operator, shape=task.shape, lam=lam, iterations=iterations, device=dev
        )
    image = b.image.detach().float().cpu().clamp(0.0, 1.0)
    problem = ImageReconstruction(task.operator, y, task.shape, instance=task.instance)
    solution = image.reshape(-1).double().numpy()
    objective, feasible = problem.verify(solution)
    steps = int(b.params.get("iterations", 0))
    done = f"the classical {b.name} method ran to completion"
    extra.update(
        baseline={"name": b.name, **b.params},
        returned={"by": method, "step": None, "why": done, "classical": True},
        image_shape=list(task.shape),
    )
    metrics = {}
    if task.reference is not None:
        metrics = image_metrics(image, task.reference.cpu(), task.y_scale)
    result = Result(
        problem=problem.name,
        instance=task.instance,
        method=method,
        objective=objective,
        feasible=feasible,
        solution=problem.solution_output(solution),
        time_s=b.time_s,
        device=device_name(dev),
        seed=opts.seed,
        sense=problem.sense,
        found_by="baseline",
        stop_reason="steps" if steps else "done",
        steps=steps,
        restarts=1,
        extra=extra,
        metrics=metrics,
    )
    return result, image


def output_image(result: Result) -> torch.Tensor:
    """The reconstructed image of an imaging family's result, ``(1, C, H, W)`` in [0, 1]."""
    if result.solution_array is None or result.extra.get("image") is None:
        raise InputError("not the result of an imaging family run (no image kept)")
    return torch.as_tensor(result.solution_array)


def _trace(result: Result) -> list[dict]:
    for m in result.extra.get("monitors", []):
        if m.get("name") == "trace":
            return m.get("rows", [])
    return []


def _write(result: Result, opts: Options) -> list[str]:
    """Write ``--image`` (and measure the file as written) and ``--report``; their paths."""
    from .io import read_image, write_image
    from .reconstruct import image_metrics

    assert isinstance(opts, ImageOptions)
    task = result.instance_data
    if not isinstance(task, ImageTask):
        raise InputError("not the result of an imaging family run (no image kept)")
    image = output_image(result)
    reference = None if task.reference is None else task.reference.cpu()
    written: list[str] = []
    if opts.image is not None:
        write_image(opts.image, image, bits=opts.bits)
        written.append(str(opts.image))
        if reference is not None:
            # the metrics of the file as written (8- or 16-bit), which is what a reader measures
            metrics = image_metrics(read_image(opts.image), reference, task.y_scale)
            result.metrics.update({f"written_{k}": v for k, v in metrics.items()})
    if opts.report is not None:
        from .report import write_report

        label, shown = task.display
        panels = {label: shown, "output": image}
        if reference is not None and not (task.task == "fit" and opts.reference_image is None):
            panels["reference"] = reference
        text = returned_text(result)
        title = f"{task.task} · {result.method} · {result.steps} it. · returned: {text}"
        write_report(
            opts.report,
            panels,
            _trace(result),
            title,
            reference=reference,
            returned_step=(result.extra.get("returned") or {}).get("step"),
            kspace_mask=task.operator.mask if task.task == "mri" else None,
        )
        written.append(str(opts.report))
    return written


def _rows(result: Result) -> list[tuple[str, str]]:
    """The command line's summary: what was returned and why, the metrics, the image file."""
    rows = [
        ("method", result.method),
        ("steps", str(result.steps)),
        ("stop reason", result.stop_reason),
        ("returned", returned_text(result)),
        ("why", why_text(result)),
    ]
    mix = result.extra.get("blend")
    if mix:
        share = mix["network_share"]
        rows.append(("blend", f"{share:g} x network + {1 - share:g} x {mix['baseline'].upper()}"))
    metrics = result.metrics
    if "psnr" in metrics:
        rows.append(("PSNR", f"{metrics['psnr']:.2f} dB"))
        if "psnr_y" in metrics:
            rows.append(("PSNR-Y", f"{metrics['psnr_y']:.2f} dB"))
        rows.append(("SSIM", f"{metrics['ssim']:.4f}"))
        if "written_psnr" in metrics:
            rows.append(("PSNR (written file)", f"{metrics['written_psnr']:.2f} dB"))
    if metrics.get("input_psnr") is not None:
        label = (result.extra.get("image") or {}).get("input_label", "input")
        rows.append((f"PSNR of the {label}", f"{metrics['input_psnr']:.2f} dB"))
    rows.append(("time", f"{result.time_s:.1f} s"))
    out = (result.extra.get("image") or {}).get("out")
    if out is not None:
        rows.append(("image", out))
    return rows


# --------------------------------------------------------------------------- the seven families


def _methods(task: str) -> Callable[[], dict[str, str]]:
    def table() -> dict[str, str]:
        return {**{n: m.summary for n, m in IMAGE_METHODS.items()}, **CLASSICAL[task]}

    return table


_IMAGE_INPUT = "Measurement image (PNG / JPEG / TIFF); with --simulate, the clean image."

#: task → (options, summary, input help, formats, default method, example options)
_SPECS: dict[str, tuple[type[ImageOptions], str, str, str, str, dict[str, Any]]] = {
    "denoise": (
        DenoiseOptions,
        "Remove Gaussian noise.",
        _IMAGE_INPUT,
        "PNG, JPEG, TIFF",
        "dip",
        {"steps": 30},
    ),
    "inpaint": (
        InpaintOptions,
        "Fill in missing pixels.\n\n"
        "The observed pixels come from --mask (white = observed), or --missing F hides a random "
        "fraction of a clean INPUT.  Without either, pixels that are exactly 0 in every channel "
        "are taken as missing (the convention of the DIP inpainting images).",
        _IMAGE_INPUT,
        "PNG, JPEG, TIFF",
        "dip",
        {"steps": 30},
    ),
    "superres": (
        SuperresOptions,
        "Super-resolution: the output is SCALE times larger than the low-resolution INPUT.\n\n"
        "PSNR-Y (luma, SCALE-pixel border removed, the DIP protocol) is reported for colour "
        "images.",
        "Low-resolution image (PNG / JPEG / TIFF); with --simulate, the high-resolution clean "
        "image.",
        "PNG, JPEG, TIFF",
        "dip",
        {"steps": 30},
    ),
    "deblur": (
        DeblurOptions,
        "Deblur (circular convolution with a known kernel).",
        _IMAGE_INPUT,
        "PNG, JPEG, TIFF",
        "dip",
        {"steps": 30},
    ),
    "mri": (
        MriOptions,
        "Compressed-sensing MRI (single coil, masked orthonormal FFT).\n\n"
        "An image INPUT is the ground truth: k-space is simulated from it (MRI data are "
        "complex, so an image cannot be the measurement).  Measured data: a centred complex "
        "k-space .npy file.",
        "Ground-truth image to simulate k-space from, or measured centred complex k-space (.npy).",
        "PNG, JPEG, TIFF (ground truth); .npy (k-space)",
        "dip",
        {"steps": 30},
    ),
    "ct": (
        CtOptions,
        "Parallel-beam CT from few angles (Radon transform, as skimage.transform.radon).\n\n"
        "An image INPUT is the ground truth: the sinogram is simulated from it.  Measured data: "
        "a sinogram .npy file, (D, A) or (C, D, A), one column per angle.",
        "Ground-truth image to simulate a sinogram from, or a measured sinogram (.npy).",
        "PNG, JPEG, TIFF (ground truth); .npy (sinogram)",
        "dip",
        {"steps": 30, "angles": 20},
    ),
    "fit": (
        FitOptions,
        "Fit INPUT with a network (identity operator, no noise): how well does it represent "
        "it?\n\nINPUT is its own reference, so PSNR / SSIM measure the fit.",
        "Image to fit (PNG / JPEG / TIFF).",
        "PNG, JPEG, TIFF",
        "siren",
        {"steps": 100},
    ),
}

#: each task's default method
FAMILY_DEFAULTS = {task: spec[4] for task, spec in _SPECS.items()}


def _register(task: str) -> Family:
    options, summary, input_help, formats, default, small = _SPECS[task]
    # the example: a 32 x 32 crop of a bundled image, simulated (a few seconds on a CPU)
    example = (None, {"example": "camera", "crop": 32, **small})
    return register_family(
        Family(
            name=task,
            summary=summary,
            options=options,
            read=_read,
            run=_run,
            methods=_methods(task),
            default_method=lambda: default,
            baseline=next(iter(CLASSICAL[task]), None),
            formats=formats,
            input_help=input_help,
            input_kind="optional",
            group="image",
            alias=task,
            example=example,
            write=_write,
            rows=_rows,
        )
    )


for _task in _SPECS:
    _register(_task)
