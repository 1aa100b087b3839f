"""The set-up of each imaging task: from an input (and its options) to the inverse problem.

:func:`set_up` turns what the user gives (a measurement image, a clean image to simulate
from, a bundled example, a k-space or sinogram ``.npy`` file, or an image tensor) into an
:class:`ImageTask`: the operator, the measurement, the image shape, the reference image (the
clean image when the measurement is simulated, or ``--reference-image`` checked and cropped), what
the report shows as the input, and notes for the user.  The families of
:mod:`dnnsolve.imaging.family` read with it; :func:`~dnnsolve.imaging.reconstruct.reconstruct`
solves the result.

>>> parse_kernel("gaussian:1").shape, parse_kernel("motion:5,90").shape
((7, 7), (5, 5))
>>> parse_mask_spec("cartesian:4"), parse_mask_spec("radial:30")
(('cartesian', 4.0), ('radial', 30))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..core.errors import InputError

if TYPE_CHECKING:
    from .operators import Operator

__all__ = [
    "IMAGE_EXT",
    "TASKS",
    "ImageTask",
    "parse_kernel",
    "parse_mask_spec",
    "returned_text",
    "set_up",
    "why_text",
]

#: image file extensions read and written (``--image``, masks, kernels, references)
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class ImageTask:
    """A task's inverse problem, as its family reads it, and how to show it."""

    task: str  # denoise, inpaint, superres, deblur, mri, ct or fit
    operator: Operator
    measurement: torch.Tensor  # (1, ...) as the operator expects
    shape: tuple[int, int, int]  # image (C, H, W)
    reference: torch.Tensor | None  # the image PSNR / SSIM are measured against
    display: tuple[str, torch.Tensor]  # report panel of the input, image-shaped when possible
    operator_info: dict[str, Any]
    simulated: bool
    source: str  # the INPUT path, "example:NAME" or "array"
    full_shape: tuple[int, int, int] | None = None  # image shape before --crop
    crop: tuple[int, int, int] | None = None  # crop box in image coordinates
    gray_reference: bool = False  # mri / ct: a colour reference is converted to gray
    y_scale: int | None = None  # superres: PSNR-Y with this border
    notes: list[str] = field(default_factory=list)
    reference_text: str | None = None  # where the reference came from (result JSON)

    @property
    def instance(self) -> str:
        """The instance name of the result: the file name, the example's name or "image"."""
        if self.source.startswith("example:"):
            return self.source[len("example:") :]
        if self.source == "array":
            return "image"
        return Path(self.source).name


# --------------------------------------------------------------------------- option parsing


def parse_kernel(spec: str) -> np.ndarray:
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
    from .operators import gaussian_kernel, motion_kernel

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
        k = load_npy(path, "blur kernel")
    elif suffix in IMAGE_EXT:
        from .io import read_image

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


def load_npy(path: Path, what: str) -> np.ndarray:
    """A ``.npy`` file (no pickles); a missing or unreadable file is a one-line InputError."""
    if not path.is_file():
        raise InputError(f"no such {what} file", path=str(path))
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # any decoder failure is a bad input file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot read {what}: {first}", path=str(path)) from None


def parse_mask_spec(spec: str) -> tuple[str, float | int]:
    """``cartesian:ACCEL`` → ("cartesian", ACCEL), ``radial:SPOKES`` → ("radial", SPOKES)."""
    kind, sep, arg = spec.partition(":")
    kind = kind.strip().lower()
    try:
        if sep and kind == "cartesian":
            return kind, float(arg)
        if sep and kind == "radial":
            return kind, int(arg)
    except ValueError:
        pass
    raise InputError(f"unknown k-space mask {spec!r} (use cartesian:ACCEL or radial:SPOKES)")


def kspace_mask(spec: str, size: tuple[int, int], seed: int) -> torch.Tensor:
    """``cartesian:ACCEL`` / ``radial:SPOKES`` → a centred k-space mask ``(H, W)``."""
    from .operators import cartesian_mask, radial_mask

    kind, value = parse_mask_spec(spec)
    if kind == "cartesian":
        return cartesian_mask(size, float(value), seed=seed)
    return radial_mask(size, int(value))


# --------------------------------------------------------------------------- image helpers


def _crop_box(h: int, w: int, n: int | None) -> tuple[int, int, int] | None:
    if n is None:
        return None
    if n < 1:
        raise InputError("--crop must be at least 1")
    if n > h or n > w:
        raise InputError(f"--crop {n} is larger than the image ({h}x{w})")
    return ((h - n) // 2, (w - n) // 2, n)


def _crop(x: torch.Tensor, box: tuple[int, int, int] | None) -> torch.Tensor:
    """Centre crop ``box = (top, left, size)``."""
    if box is None:
        return x
    t, left, n = box
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


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def _noise_sigma(sigma: float) -> float:
    """A noise level on the 0-255 scale → the [0, 1] scale of the images."""
    if not (math.isfinite(sigma) and sigma >= 0):
        raise InputError(f"--sigma must be a non-negative number, got {sigma}")
    return sigma / 255.0


def _as_image(data: Any) -> torch.Tensor:
    """An in-memory image (tensor ``(H, W)``, ``(C, H, W)``, ``(1, C, H, W)`` or array
    ``(H, W)``, ``(H, W, C)``) as a ``(1, C, H, W)`` float32 tensor."""
    if isinstance(data, np.ndarray):
        from .io import from_numpy

        x = from_numpy(data)
    else:
        x = data.detach().to("cpu", torch.float32)
        while x.dim() < 4:
            x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1:
        raise InputError(f"an image must be a (1, C, H, W) tensor, got {tuple(data.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise InputError("the image contains NaN or infinite values")
    return x


# --------------------------------------------------------------------------- the source


@dataclass
class _Source:
    data: Path | torch.Tensor | np.ndarray
    text: str
    simulated: bool

    @property
    def path(self) -> Path | None:
        return self.data if isinstance(self.data, Path) else None


def _source(input: Any, opts: Any, *, simulate: bool | None = None) -> _Source:
    """Where the image comes from: INPUT (a path or an in-memory image) or ``--example``."""
    if opts.example is not None and input is not None:
        raise InputError("give either INPUT or --example, not both")
    if opts.example is not None:
        from .data import example_image

        return _Source(example_image(opts.example), f"example:{opts.example}", True)
    if input is None:
        raise InputError("give an INPUT image or --example NAME")
    simulated = opts.simulate if simulate is None else simulate
    if isinstance(input, (torch.Tensor, np.ndarray)):
        return _Source(input, "array", simulated)
    return _Source(Path(input), str(input), simulated)


def _load(src: _Source, crop: int | None):
    """The image read and cropped: (image, crop box or None, full (C, H, W) before the crop)."""
    if src.path is not None:
        from .io import read_image

        x = read_image(src.path)
    else:
        x = _as_image(src.data)
    box = _crop_box(x.shape[2], x.shape[3], crop)
    return _crop(x, box), box, tuple(x.shape[1:])


def _is_npy(src: _Source) -> bool:
    return src.path is not None and src.path.suffix.lower() == ".npy"


# --------------------------------------------------------------------------- the seven tasks


def _simple(input: Any, opts: Any, task: str, op: Operator, label: str, info: dict) -> ImageTask:
    """Tasks whose measurement is an image of the image's size (denoise, deblur)."""
    src = _source(input, opts)
    x, box, full = _load(src, opts.crop)
    if src.simulated:
        y = op.measure(x, _generator(opts.seed)).clamp(0.0, 1.0).float()
        ref = x
    else:
        y, ref = x, None
    return ImageTask(
        task=task,
        operator=op,
        measurement=y,
        shape=tuple(x.shape[1:]),
        reference=ref,
        display=(label, y),
        operator_info=info,
        simulated=src.simulated,
        source=src.text,
        full_shape=full,
        crop=box,
    )


def _denoise(input: Any, opts: Any) -> ImageTask:
    from .operators import Denoising, GaussianNoise

    op = Denoising(GaussianNoise(_noise_sigma(opts.sigma)))
    info = {"name": "denoising", "sigma": opts.sigma}
    return _simple(input, opts, "denoise", op, "noisy input", info)


def _deblur(input: Any, opts: Any) -> ImageTask:
    from .operators import Blur, GaussianNoise

    k = parse_kernel(opts.kernel)
    op = Blur(k, noise=GaussianNoise(_noise_sigma(opts.sigma)))
    info = {"name": "blur", "kernel": opts.kernel, "kernel_size": list(k.shape),
            "sigma": opts.sigma}  # fmt: skip
    return _simple(input, opts, "deblur", op, "blurred input", info)


def _inpaint(input: Any, opts: Any) -> ImageTask:
    from .io import read_image
    from .operators import Inpainting

    mask, missing = opts.mask, opts.missing
    src = _source(input, opts, simulate=True if missing is not None else None)
    x, box, full = _load(src, opts.crop)
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
        info: dict[str, Any] = {"name": "inpainting", "mask": str(mask)}
    elif src.simulated:
        frac = 0.5 if missing is None else missing
        op = Inpainting.random((h, w), frac, seed=opts.seed)
        info = {"name": "inpainting", "missing": frac, "mask_seed": opts.seed}
        if missing is not None and opts.example is None and not opts.simulate:
            notes.append(f"--missing hides {frac:.0%} of INPUT's pixels: INPUT is the reference")
    else:
        observed = (x != 0).any(dim=1, keepdim=True).float()
        lost = int((observed == 0).sum())
        if lost == 0:
            raise InputError(
                "no missing pixels found (none is exactly 0 in every channel); "
                "give --mask MASK.png, or --missing F to simulate",
                path=src.text,
            )
        op = Inpainting(observed[0])
        info = {"name": "inpainting", "mask": "inferred: pixels exactly 0 in every channel"}
        notes.append(
            f"no --mask: the {lost} pixels ({lost / (h * w):.1%}) that are exactly 0 in every "
            "channel are taken as missing (DIP inpainting convention)"
        )
    if src.simulated:
        ref = x
        y = op.measure(x, _generator(opts.seed)).float()
    else:
        ref = None
        y = op(x).float()  # unobserved pixels carry no information: zero them
    op.check(y, (1, *x.shape[1:]))
    info["observed_fraction"] = float(op.mask.mean())
    return ImageTask(
        task="inpaint",
        operator=op,
        measurement=y,
        shape=tuple(x.shape[1:]),
        reference=ref,
        display=("masked input", y),
        operator_info=info,
        simulated=src.simulated,
        source=src.text,
        full_shape=full,
        crop=box,
        notes=notes,
    )


def _superres(input: Any, opts: Any) -> ImageTask:
    import torch.nn.functional as F

    from .operators import Downsampling

    scale = opts.scale
    op = Downsampling(scale, kernel=opts.kernel)
    src = _source(input, opts)
    x, box, full = _load(src, opts.crop)
    if src.simulated:
        op.output_shape(tuple(x.shape))  # one-line error if not divisible by the scale
        y = op.measure(x, _generator(opts.seed)).clamp(0.0, 1.0).float()
        ref, shape, img_box = x, tuple(x.shape[1:]), None
    else:
        y, ref = x, None
        shape = (x.shape[1], x.shape[2] * scale, x.shape[3] * scale)
        full = (full[0], full[1] * scale, full[2] * scale)
        img_box = None if box is None else tuple(v * scale for v in box)
    shown = F.interpolate(y, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)
    return ImageTask(
        task="superres",
        operator=op,
        measurement=y,
        shape=shape,
        reference=ref,
        display=(f"input (bicubic x{scale})", shown),
        operator_info={"name": "downsampling", "scale": scale, "kernel": opts.kernel},
        simulated=src.simulated,
        source=src.text,
        full_shape=full,
        crop=img_box,
        y_scale=scale,
    )


def _image_truth(src: _Source, opts: Any, notes: list[str]) -> torch.Tensor:
    """mri / ct from an image: the (gray) ground truth to simulate from."""
    x = _load(src, opts.crop)[0]
    if x.shape[1] != 1:
        x = _gray(x)
        notes.append("the colour image was converted to gray (BT.601 luma)")
    return x


def _mri(input: Any, opts: Any) -> ImageTask:
    from .operators import MRI, GaussianNoise

    sd = _noise_sigma(opts.sigma)
    notes: list[str] = []
    src = _source(input, opts)
    if _is_npy(src):
        path = src.path
        assert path is not None
        if opts.simulate:
            raise InputError("--simulate needs a ground-truth image, not k-space data")
        if opts.crop is not None:
            raise InputError("--crop does not apply to k-space data")
        k = load_npy(path, "k-space")
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
        if opts.mask is None:
            m = (kt[0] != 0).any(dim=0).float()
            notes.append(f"sampling mask read off the non-zero k-space entries ({m.mean():.1%})")
            spec = "from data"
        else:
            m = kspace_mask(opts.mask, (h, w), opts.seed)
            spec = opts.mask
        op = MRI(m, noise=GaussianNoise(sd))
        y = torch.fft.ifftshift(kt, dim=(-2, -1)) * op.mask.to(torch.complex64)
        ref, simulated, shape = None, False, (kt.shape[1], h, w)
    else:
        x = _image_truth(src, opts, notes)
        if not opts.simulate and opts.example is None:
            notes.append("INPUT is the ground truth: k-space is simulated from it")
        h, w = x.shape[-2:]
        spec = opts.mask or "cartesian:4"
        op = MRI(kspace_mask(spec, (h, w), opts.seed), noise=GaussianNoise(sd))
        y = op.measure(x.double(), _generator(opts.seed)).to(torch.complex64)
        ref, simulated, shape = x, True, tuple(x.shape[1:])
    zero_filled = op.adjoint(y).float()
    if not simulated and float(zero_filled.abs().max()) > 1.5:
        notes.append(
            "the zero-filled image exceeds 1.5: k-space is expected for intensities in [0, 1]"
        )
    return ImageTask(
        task="mri",
        operator=op,
        measurement=y,
        shape=shape,
        reference=ref,
        display=("zero-filled", zero_filled.clamp(0, 1)),
        operator_info={
            "name": "mri",
            "mask": spec,
            "acceleration": op.acceleration,
            "sigma": opts.sigma,
        },
        simulated=simulated,
        source=src.text,
        gray_reference=True,
        notes=notes,
    )


def _fbp(sino: torch.Tensor, angles, n: int, circle: bool) -> torch.Tensor:
    """Filtered back-projection (skimage ``iradon``, ramp filter), the classical baseline."""
    from skimage.transform import iradon

    out = []
    for ch in sino[0].double().numpy():
        out.append(iradon(ch, theta=np.asarray(angles), output_size=n, circle=circle))
    return torch.from_numpy(np.stack(out)).float()[None].clamp(0, 1)


def _ct(input: Any, opts: Any) -> ImageTask:
    from .operators import CTRadon

    angles, circle = opts.angles, opts.circle
    notes: list[str] = []
    src = _source(input, opts)
    if _is_npy(src):
        path = src.path
        assert path is not None
        if opts.simulate:
            raise InputError("--simulate needs a ground-truth image, not a sinogram")
        if opts.crop is not None:
            raise InputError("--crop does not apply to a sinogram")
        s = load_npy(path, "sinogram")
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
        x = _image_truth(src, opts, notes)
        if not opts.simulate and opts.example is None:
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
    return ImageTask(
        task="ct",
        operator=op,
        measurement=y,
        shape=shape,
        reference=ref,
        display=(label, shown),
        operator_info={"name": "ct", "angles": n_angles, "circle": circle},
        simulated=simulated,
        source=src.text,
        gray_reference=True,
        notes=notes,
    )


def _fit(input: Any, opts: Any) -> ImageTask:
    from .operators import Denoising, Noise

    src = _source(input, opts)
    x, box, full = _load(src, opts.crop)
    return ImageTask(
        task="fit",
        operator=Denoising(Noise()),
        measurement=x,
        shape=tuple(x.shape[1:]),
        reference=x if opts.reference_image is None else None,
        display=("input", x),
        operator_info={"name": "identity"},
        simulated=False,
        source=src.text,
        full_shape=full,
        crop=box,
    )


#: each task's set-up: (input, options) → ImageTask (the reference not yet loaded)
TASKS: dict[str, Callable[[Any, Any], ImageTask]] = {
    "denoise": _denoise,
    "inpaint": _inpaint,
    "superres": _superres,
    "deblur": _deblur,
    "mri": _mri,
    "ct": _ct,
    "fit": _fit,
}


def _load_reference(task: ImageTask, path: Path | None) -> None:
    """The reference image: the simulated clean image, or ``path`` checked and cropped."""
    if path is None:
        if task.reference is not None and task.simulated:
            task.reference_text = "the clean input (simulated measurement)"
        return
    if task.simulated:
        raise InputError(
            "--reference cannot be combined with --example / --simulate: "
            "the clean image is the reference"
        )
    from .io import read_image

    ref = read_image(path)
    if task.gray_reference:
        ref = _gray(ref)
    want = task.full_shape or task.shape
    if tuple(ref.shape[1:]) != tuple(want):
        raise InputError(
            f"reference image is {_size(ref.shape)}, expected {_size(want)}"
            + (" (before --crop)" if task.crop is not None else ""),
            path=str(path),
        )
    task.reference = _crop(ref, task.crop)
    task.reference_text = str(path)


def set_up(task: str, input: Any, opts: Any) -> ImageTask:
    """The inverse problem of ``task`` from ``input`` and the family's options ``opts``:
    operator, measurement, reference (``opts.reference_image`` loaded and checked) and notes."""
    t = TASKS[task](input, opts)
    _load_reference(t, opts.reference_image)
    if not bool(torch.isfinite(t.measurement).all()):
        raise InputError("the measurement contains NaN or infinite values")
    return t


# --------------------------------------------------------------------------- what was returned

#: the automatic stopping rules (dnnsolve.imaging.stopping), as the summary names them
_RULE_TEXT = {"discrepancy": "noise-level discrepancy", "holdout": "withheld-pixel",
              "plateau": "settled-output"}  # fmt: skip


def returned_text(result) -> str:
    """Which image a reconstruction returned (the ``returned`` entry of its result), in words."""
    r = result.extra.get("returned") or {}
    by, step = r.get("by"), r.get("step")
    at = f" at step {step}" if step is not None else ""
    if r.get("classical"):
        text = f"the {by} image"
    elif by == "average":
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


def why_text(result) -> str:
    """Why the reconstruction stopped, in words."""
    r = result.extra.get("returned") or {}
    if r.get("why"):
        return r["why"]
    return {
        "steps": "the iteration budget was used up",
        "time_limit": "the time limit was reached",
        "interrupted": "interrupted (Ctrl-C)",
        "early_stop": "early stopping",
    }.get(result.stop_reason, result.stop_reason)
