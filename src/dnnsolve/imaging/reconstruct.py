"""Reconstruct an image from measurements with an untrained network, on the core solver.

>>> import torch
>>> from dnnsolve.imaging import Denoising, GaussianNoise, example_image, read_image, reconstruct
>>> clean = read_image(example_image("camera"))[..., 96:128, 224:256]
>>> noisy = Denoising(GaussianNoise(0.1)).measure(clean, torch.Generator().manual_seed(0))
>>> out = reconstruct(noisy, Denoising(), method="deep-decoder", iterations=50,
...                   options={"channels": 16, "depth": 3}, reference=clean, early_stop="none")
>>> out.image.shape, out.result.stop_reason, out.metrics["psnr"] > 15
(torch.Size([1, 1, 32, 32]), 'steps', True)

The default (``early_stop="auto"``) stops by itself, from the measurement alone; the
iteration budget is only a cap (see :func:`auto_rule`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..core.callbacks import Callback
from ..core.device import resolve_device
from ..core.errors import InputError
from ..core.monitors import Monitor, OutputAverage, Trace, VarianceStop
from ..core.parameterization import Parameterization
from ..core.result import Result
from ..core.solver import Solver, SolverConfig
from .methods import build, dip_task, get_method
from .metrics import psnr, psnr_y, ssim
from .operators import Inpainting, Operator
from .parameterization import NetworkImage
from .problem import ImageReconstruction
from .stopping import (
    DiscrepancyStop,
    HoldoutStop,
    PlateauStop,
    estimate_noise_sigma,
    holdout_mask,
)

__all__ = [
    "AUTO_SETTINGS",
    "EARLY_STOP",
    "ImageResult",
    "auto_rule",
    "image_metrics",
    "reconstruct",
]

#: early-stopping rules: ``auto`` (the default: a rule chosen by the task, see :func:`auto_rule`),
#: ``none`` (run the whole iteration budget), ``wmv`` (ES-WMV), ``holdout`` (withheld pixels:
#: denoising and inpainting) or ``discrepancy`` (the noise level: denoising); none of them sees
#: ground truth
EARLY_STOP = ("auto", "none", "wmv", "holdout", "discrepancy")

#: settings of the ``auto`` rules, tuned on Set14 / Set12 crops only (seeds < 100); the report
#: crops (Kodak24, CBSD68, seeds >= 1000) were never used to choose them
AUTO_SETTINGS: dict[str, float] = {
    "tau": 0.95,  # denoising: stop when the output average's misfit reaches tau * sigma^2
    "holdout": 0.05,  # inpainting: share of the observed pixels withheld for validation
    "holdout_denoise": 0.1,  # early_stop="holdout" on denoising: share of the pixels withheld
    "holdout_patience": 300,  # steps without a better withheld-pixel error
    "plateau_window": 200,  # super-resolution: steps over which the output must settle
    "plateau_tol": 0.005,  # super-resolution: relative RMS change counted as settled
    "sr_blend": 0.6,  # super-resolution: the network's share of the image, the rest TV's
    "sr_tv_iterations": 300,  # super-resolution: iterations of the blended TV reconstruction
    "every": 10,  # steps between two checks
}

#: the operators each named rule applies to (``auto`` and ``none`` apply to all)
_RULE_OPERATORS = {"holdout": ("denoising", "inpainting"), "discrepancy": ("denoising",)}


def auto_rule(operator: Operator) -> str:
    """The stopping rule ``early_stop="auto"`` uses for ``operator``.

    ``discrepancy`` for denoising (stop once the output is within the noise level of the
    input, the level estimated from the input's patches), ``holdout`` for inpainting (a share
    of the observed pixels is withheld from the fit; the run returns the image that predicted
    them best), ``plateau`` for super-resolution (no noise to over-fit: stop when the output
    has settled); ``none`` for the other operators (deblurring, MRI, CT), whose rules are not
    tuned yet: they run the budget.  ``holdout`` also works for denoising (no noise level
    needed) but stops too early on textured images, whose withheld pixels no fit predicts.

    >>> from dnnsolve.imaging import Denoising, Downsampling, Blur, gaussian_kernel
    >>> auto_rule(Denoising()), auto_rule(Downsampling(4)), auto_rule(Blur(gaussian_kernel(1.0)))
    ('discrepancy', 'plateau', 'none')
    """
    kind = type(operator).__name__.lower()
    return {"denoising": "discrepancy", "inpainting": "holdout", "downsampling": "plateau"}.get(
        kind, "none"
    )


def _withheld(operator: Operator, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """The validation pixels of the ``holdout`` rule, shaped like the mask: a share of the
    observed pixels (inpainting) or of all pixels, ``(1, 1, H, W)``, every channel of a pixel
    together (denoising)."""
    if isinstance(operator, Inpainting):
        return holdout_mask(operator.mask, AUTO_SETTINGS["holdout"], seed=seed)
    return holdout_mask(torch.ones(1, 1, *shape[1:]), AUTO_SETTINGS["holdout_denoise"], seed)


@dataclass
class ImageResult:
    """The reconstructed image, the core :class:`Result`, metrics against a reference and the
    loss / PSNR curves (``trace`` rows: step, loss, and psnr / psnr_avg with a reference)."""

    image: torch.Tensor  # (1, C, H, W) in [0, 1], on the CPU
    result: Result
    metrics: dict[str, float] = field(default_factory=dict)
    trace: list[dict] = field(default_factory=list)


def image_metrics(
    image: torch.Tensor, reference: torch.Tensor, y_scale: int | None = None
) -> dict[str, float]:
    """PSNR and SSIM of ``image`` against ``reference`` (both ``(1, C, H, W)`` in [0, 1]);
    with ``y_scale`` also the super-resolution protocol's PSNR on Y after a border crop."""
    out = {
        "psnr": float(psnr(image, reference)),
        "ssim": float(ssim(image, reference)),
    }
    if y_scale is not None and image.shape[1] in (1, 3):
        out["psnr_y"] = float(psnr_y(image, reference, scale=y_scale))
    return out


def reconstruct(
    measurement: torch.Tensor,
    operator: Operator,
    *,
    method: str = "dip",
    shape: Sequence[int] | None = None,
    task: str | None = None,
    iterations: int | None = None,
    lr: float | Sequence[float] | None = None,
    restarts: int = 1,
    early_stop: str = "auto",
    noise_sigma: float | None = None,
    window: int = 100,
    patience: int = 1000,
    average: float | str | None = "default",
    ensemble: bool = True,
    blend: float | str | None = "auto",
    input_noise: float | None = None,
    tv: float | None = None,
    guide: float | None = None,
    backtrack: float | None = 10**0.5,
    options: dict[str, Any] | None = None,
    reference: torch.Tensor | None = None,
    y_scale: int | None = None,
    time_limit: float | None = None,
    device: str | torch.device = "auto",
    seed: int | None = 0,
    batching: str = "auto",
    amp: bool = False,
    channels_last: bool = False,
    trace_every: int = 10,
    callbacks: Sequence[Callback] = (),
    instance: str = "image",
) -> ImageResult:
    """Fit an untrained network to ``measurement`` through ``operator`` and return its image.

    ``method`` is a key of :data:`~dnnsolve.imaging.methods.IMAGE_METHODS`; ``task`` picks the DIP
    notebook settings (``denoising``, ``sr4``, ``inpainting`` …; default from the operator);
    ``shape`` is the image shape ``(C, H, W)`` (default: from the operator and measurement).
    ``early_stop="auto"`` (default) stops by the task's ground-truth-free rule
    (:func:`auto_rule`: for denoising the discrepancy principle, with the noise level estimated
    from the measurement, or ``noise_sigma`` where that is lower (clipping lowers the level the
    misfit sees); withheld observed pixels for inpainting; a settled output for
    super-resolution) and returns the output average the rule chose; ``iterations`` is then
    only a cap.  ``early_stop="holdout"`` on denoising withholds 10 % of the pixels instead.
    ``early_stop="wmv"`` stops by ES-WMV (``window``, ``patience``) and returns the iterate at
    the variance minimum (its output average when averaging is on); ``"none"`` runs for
    ``iterations`` and returns the output average (``average`` decay; ``None`` for the raw
    iterate).  With several ``restarts`` (one batched run) and ``ensemble`` the average is
    taken over restarts too.  ``backtrack`` restores a restart whose loss jumps by that factor
    (DIP's 5 dB rule).  ``blend`` is the network's share of the returned image, the rest being the
    classical TV reconstruction of the same measurement (``result.extra["blend"]`` says so):
    ``"auto"`` blends ``AUTO_SETTINGS["sr_blend"]`` for super-resolution under
    ``early_stop="auto"`` and nothing otherwise; ``None`` or 1 returns the network's image alone.
    The two err differently (TV keeps edges straight, DIP restores texture), so their mean is
    closer to the truth than either on most crops: on the tune crops DIP alone lost to TV on
    2 / 5 and the 0.6 blend on none (DIP runs; ``tools/sr_blend.py``).  The TV run's time
    counts in ``time_limit``.  ``reference`` adds PSNR / SSIM to the result and PSNR curves to
    the trace; it never influences the run.  ``device`` is ``"auto"`` (CUDA when available,
    else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    A 2× super-resolution of a 16×16 crop, stopped by the task's rule (``plateau``) or at
    the 20-iteration cap, blended with the TV reconstruction:

    >>> from dnnsolve.imaging import Downsampling, example_image, read_image
    >>> hr = read_image(example_image("camera"))[..., :16, :16]
    >>> op = Downsampling(2)
    >>> out = reconstruct(op(hr), op, method="deep-decoder", iterations=20,
    ...                   options={"channels": 8, "depth": 2})
    >>> out.image.shape, out.result.extra["auto_stop"]["rule"], "blend" in out.result.extra
    (torch.Size([1, 1, 16, 16]), 'plateau', True)
    """
    spec = get_method(method)
    if early_stop not in EARLY_STOP:
        raise InputError(f"early_stop must be one of {', '.join(EARLY_STOP)}, got {early_stop!r}")
    dev = resolve_device(str(device))
    if measurement.dim() != 4 or measurement.shape[0] != 1:
        raise InputError(
            f"measurement must be a (1, C, H, W) tensor, got {tuple(measurement.shape)}"
        )
    if shape is None:
        shape = tuple(operator.input_shape(tuple(measurement.shape)))[1:]
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3:
        raise InputError(f"image shape must be (C, H, W), got {shape}")
    kind = type(operator).__name__.lower()
    task = task or dip_task(kind, getattr(operator, "factor", 4))
    rule = auto_rule(operator) if early_stop == "auto" else early_stop
    share = _blend_share(blend, kind, early_stop)
    if noise_sigma is not None and not (math.isfinite(noise_sigma) and noise_sigma >= 0):
        raise InputError(f"noise_sigma must be a non-negative number, got {noise_sigma}")
    auto_info: dict[str, Any] = {"rule": rule} if early_stop == "auto" else {}
    if rule in _RULE_OPERATORS and kind not in _RULE_OPERATORS[rule]:
        raise InputError(
            f"early_stop={rule!r} applies to {' and '.join(_RULE_OPERATORS[rule])}, not {kind}"
        )
    held = None
    if rule == "holdout":
        held = _withheld(operator, shape, 0 if seed is None else int(seed))
        if int(held.sum()) == 0:
            rule = auto_info["rule"] = "none"  # too few observed pixels to withhold any
        else:
            # the fit sees the other pixels only; the withheld ones judge it
            observed = operator.mask if isinstance(operator, Inpainting) else torch.ones_like(held)
            operator = Inpainting(observed - held, noise=operator.noise)
            auto_info["holdout_pixels"] = int(held.sum())
    operator = operator.to(dev)
    y = measurement.to(dev)
    classical = None
    if share < 1.0:
        # imported here: dnnsolve.baselines loads every baseline (OR-Tools, pandas) on import
        from ..baselines.imaging import tv_super_resolve

        iters = int(AUTO_SETTINGS["sr_tv_iterations"])
        classical = tv_super_resolve(y, operator, shape, iterations=iters, device=dev)
        if time_limit is not None:  # the TV run spends part of the budget
            time_limit = max(float(time_limit) - classical.time_s, 0.1 * float(time_limit))
    ref = None if reference is None else reference.to(dev).float()
    weights = {**spec.defaults}
    if tv is not None:
        weights["tv"] = tv
    if guide is not None:
        weights["guide"] = guide
    problem = ImageReconstruction(
        operator,
        y,
        shape,
        instance=instance,
        reference=ref,
        tv=weights.get("tv", 0.0),
        guide=weights.get("guide", 0.0),
        guided=spec.guided,
    )

    gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
    make_net, make_input = build(spec, shape, task, options or {}, operator, y.detach().cpu())
    try:
        param = NetworkImage(
            make_net,
            make_input,
            shape,
            restarts=restarts,
            input_noise=spec.jitter(task) if input_noise is None else input_noise,
            optimize_input=spec.guided,
            batching=batching,
            amp=amp,
            channels_last=channels_last,
            device=dev,
            generator=gen,
        )
    except TypeError as exc:  # a network option the network does not take
        raise InputError(f"bad network option for {method}: {exc}") from None
    if spec.guided:
        param = _Guided(param)

    decay = spec.average if average == "default" else average
    monitors: list[Monitor] = []
    avg = None
    if decay is not None:
        avg = OutputAverage(float(decay), ensemble=ensemble and restarts > 1, warmup=True)
    every = int(AUTO_SETTINGS["every"])
    if rule == "wmv":
        monitors.append(VarianceStop(window, patience, average=avg))
    elif rule == "discrepancy":
        estimate = estimate_noise_sigma(y.float())
        # clipped noise: the misfit sees less than a given level, and the estimate measures that
        sigma = estimate if noise_sigma is None else min(estimate, float(noise_sigma))
        auto_info.update(sigma=sigma, sigma_estimated=sigma == estimate, tau=AUTO_SETTINGS["tau"])

        def misfit(v: torch.Tensor) -> torch.Tensor:
            return problem._fidelity(problem.images(v).clamp(0.0, 1.0))

        monitors.append(DiscrepancyStop(misfit, sigma, AUTO_SETTINGS["tau"], avg, every))
    elif rule == "holdout":
        hold = held.to(dev)
        count = float(hold.expand(1, *shape).sum())

        def heldout_error(v: torch.Tensor) -> torch.Tensor:
            d = (problem.images(v).clamp(0.0, 1.0) - y) * hold
            return d.square().flatten(1).sum(1) / count

        patience_steps = int(AUTO_SETTINGS["holdout_patience"])
        monitors.append(HoldoutStop(heldout_error, patience_steps, avg, every))
    elif rule == "plateau":
        monitors.append(
            PlateauStop(
                int(AUTO_SETTINGS["plateau_window"]), AUTO_SETTINGS["plateau_tol"], avg, every
            )
        )
    if avg is not None:
        monitors.append(avg)
    trace = Trace(every=trace_every, metrics=_trace_metrics(problem, ref, avg))
    monitors.append(trace)

    config = SolverConfig(
        restarts=restarts,
        steps=spec.steps(task) if iterations is None else int(iterations),
        lr=spec.lr if lr is None else lr,
        eval_every=max(trace_every, 50),
        polish=False,
        backtrack=backtrack,
        time_limit=time_limit,
        seed=seed,
    )
    result = Solver(config, callbacks).solve(
        problem, param, method=method, monitors=monitors, extra={"task": task}
    )
    image = problem.image_of(result.solution_array).cpu()
    if classical is not None:
        image = (share * image + (1.0 - share) * classical.image.to(image)).clamp(0.0, 1.0)
        result.extra["blend"] = {
            "network_share": share,
            "baseline": classical.name,
            "baseline_time_s": classical.time_s,
            **classical.params,
        }
    metrics = {}
    if ref is not None:
        metrics = image_metrics(image, ref.cpu(), y_scale)
        result.metrics.update(metrics)
    result.extra["image_shape"] = list(shape)
    if auto_info:
        result.extra["auto_stop"] = auto_info
    return ImageResult(image=image, result=result, metrics=metrics, trace=trace.rows)


def _blend_share(blend: float | str | None, kind: str, early_stop: str) -> float:
    """The network's share of the returned image (1: no blend), validated."""
    if blend == "auto":
        tuned = kind == "downsampling" and early_stop == "auto"
        return float(AUTO_SETTINGS["sr_blend"]) if tuned else 1.0
    if blend is None:
        return 1.0
    if isinstance(blend, str) or not (math.isfinite(float(blend)) and 0.0 <= blend <= 1.0):
        raise InputError(f"blend must be 'auto', None or a share in [0, 1], got {blend!r}")
    if blend < 1.0 and kind != "downsampling":
        raise InputError(f"blend applies to super-resolution (downsampling), not {kind}")
    return float(blend)


class _Guided(Parameterization):
    """Self-guided DIP: the relaxed solution is ``[f_θ(z), z]`` so the loss can tie them."""

    def __init__(self, inner: NetworkImage):
        super().__init__()
        self.inner = inner
        self.restarts, self.n = inner.restarts, 2 * inner.n

    def forward(self) -> torch.Tensor:
        z = self.inner.inputs().reshape(self.restarts, -1)
        return torch.cat([self.inner(), z], dim=1)

    def reset_(self, mask, generator=None) -> None:
        self.inner.reset_(mask, generator)

    def project_(self) -> None:
        pass

    def perturb_(self, mask, scale, generator=None) -> None:
        self.inner.perturb_(mask, scale, generator)

    def copy_restarts_(self, src, dst) -> None:
        self.inner.copy_restarts_(src, dst)


def _trace_metrics(problem: ImageReconstruction, ref: torch.Tensor | None, avg) -> dict:
    """Trace columns: the output average's data misfit (what the discrepancy rule watches)
    and, with a reference, the PSNR of the iterate and of the average."""
    metrics: dict = {}
    if avg is not None:

        def misfit(x):
            v = avg.value
            return math.nan if v is None else problem._fidelity(problem.images(v).clamp(0, 1)).min()

        metrics["misfit_avg"] = misfit
    if ref is None:
        return metrics

    def raw(x):
        return psnr(problem.images(x).clamp(0, 1), ref.expand(x.shape[0], *ref.shape[1:]))

    metrics["psnr"] = raw
    if avg is not None:

        def averaged(x):
            v = avg.value
            return math.nan if v is None else raw(v)

        metrics["psnr_avg"] = averaged
    return metrics
