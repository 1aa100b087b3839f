"""Image files in and out: ``(1, C, H, W)`` float32 tensors in ``[0, 1]``.

PNG, JPEG and TIFF through imageio (Pillow / tifffile).  Gray images give ``C = 1``, colour
images ``C = 3``; an alpha channel is dropped with a warning.  8- and 16-bit integer images are
scaled by their dtype's maximum.  Pillow reads 16-bit colour PNGs as 8-bit, so 16-bit PNGs are
read and written with pypng.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.core.result import atomic_write_bytes

__all__ = ["from_numpy", "read_image", "to_numpy", "write_image"]

_READ_EXT = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- 16-bit colour PNG
def _read_png16(data: bytes) -> np.ndarray | None:
    """A 16-bit PNG decoded with pypng (Pillow reads 16-bit colour as 8-bit); None otherwise."""
    if not data.startswith(_PNG_SIG):
        return None
    import png

    width, height, rows, info = png.Reader(bytes=data).read()
    if info["bitdepth"] != 16:
        return None  # rows are decoded lazily: nothing was read beyond the header
    planes = info["planes"]
    a = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows])
    a = a.reshape(height, width, planes)
    return a[..., 0] if planes == 1 else a


def _encode_png16(q: np.ndarray) -> bytes:
    """A 16-bit gray or RGB PNG written with pypng."""
    import io

    import png

    height, width = q.shape[:2]
    planes = 1 if q.ndim == 2 else q.shape[2]
    buf = io.BytesIO()
    writer = png.Writer(width, height, greyscale=planes == 1, bitdepth=16)
    writer.write(buf, q.reshape(height, width * planes))
    return buf.getvalue()


def to_numpy(image: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` / ``(C, H, W)`` tensor → ``(H, W)`` (C = 1) or ``(H, W, C)`` float array.

    >>> to_numpy(torch.zeros(1, 3, 4, 5)).shape
    (4, 5, 3)
    >>> to_numpy(torch.zeros(1, 1, 4, 5)).shape
    (4, 5)
    """
    x = image.detach()
    if x.dim() == 4:
        if x.shape[0] != 1:
            raise InputError(f"expected one image (batch size 1), got batch size {x.shape[0]}")
        x = x[0]
    if x.dim() != 3:
        raise InputError(f"expected an image tensor (1, C, H, W), got shape {tuple(image.shape)}")
    arr = x.to("cpu", torch.float32).numpy()
    return arr[0] if arr.shape[0] == 1 else np.ascontiguousarray(arr.transpose(1, 2, 0))


def from_numpy(array: np.ndarray, device: torch.device | str | None = None) -> torch.Tensor:
    """``(H, W)`` or ``(H, W, C)`` array → ``(1, C, H, W)`` float32 tensor (values unchanged).

    >>> from_numpy(np.zeros((4, 5, 3))).shape
    torch.Size([1, 3, 4, 5])
    >>> from_numpy(np.zeros((4, 5))).shape
    torch.Size([1, 1, 4, 5])
    """
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise InputError(f"expected an (H, W) or (H, W, C) array, got shape {a.shape}")
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32))
    return t.unsqueeze(0).to(device) if device is not None else t.unsqueeze(0)


def _to_unit(a: np.ndarray, path: str) -> np.ndarray:
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype in (np.uint8, np.uint16):
        return a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    if np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0:
            raise InputError("floating-point image values must lie in [0, 1]", path=path)
        return a.astype(np.float32)
    raise InputError(f"unsupported pixel type {a.dtype} (use 8- or 16-bit integers)", path=path)


def read_image(path: str | os.PathLike) -> torch.Tensor:
    """Read a PNG / JPEG / TIFF image as a ``(1, C, H, W)`` float32 tensor in ``[0, 1]``.

    Gray → ``C = 1``; RGB → ``C = 3``; an alpha channel is dropped (with a warning).  Raises
    :class:`~dnnsolve.core.errors.InputError` (one line) for a missing, unreadable or
    unsupported file.

    >>> from dnnsolve.imaging.data import example_image
    >>> x = read_image(example_image("astronaut"))
    >>> x.shape, x.dtype, bool(0 <= x.min() and x.max() <= 1)
    (torch.Size([1, 3, 256, 256]), torch.float32, True)
    """
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise InputError("no such image file", path=name)
    if p.suffix.lower() not in _READ_EXT:
        raise InputError(
            f"unsupported image format {p.suffix or '(none)'!r} (use PNG, JPEG or TIFF)", path=name
        )
    try:
        data = p.read_bytes()
        a = _read_png16(data)
        if a is None:
            import imageio.v3 as iio

            with warnings.catch_warnings():  # imageio's legacy plugins warn while probing
                warnings.simplefilter("ignore", DeprecationWarning)
                a = iio.imread(data, extension=p.suffix.lower(), index=0)
    except InputError:
        raise
    except Exception as exc:  # any decoder failure is a bad input file
        raise InputError(f"cannot read image: {_one_line(exc)}", path=name) from None
    a = np.asarray(a)
    if a.ndim == 3 and a.shape[-1] in (2, 4):
        warnings.warn(f"{name}: dropping the alpha channel", stacklevel=2)
        a = a[..., :-1]
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3)) or min(a.shape[:2]) == 0:
        raise InputError(
            f"unsupported image layout {a.shape} (expected gray or RGB, one page)", path=name
        )
    return from_numpy(_to_unit(a, name))


def write_image(path: str | os.PathLike, image: torch.Tensor, bits: int = 8) -> None:
    """Write a ``(1, C, H, W)`` tensor (values clipped to ``[0, 1]``) as gray (C = 1) or RGB (C = 3).

    The format follows the extension (PNG, JPEG, TIFF); ``bits=16`` writes 16-bit PNG / TIFF.
    The file is replaced atomically (temporary file in the same folder, then ``os.replace``).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> x = torch.rand(1, 3, 8, 8)
    >>> write_image(os.path.join(d, "x.png"), x, bits=16)
    >>> float((read_image(os.path.join(d, "x.png")) - x).abs().max()) < 1e-4
    True
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in _READ_EXT:
        raise InputError(
            f"unsupported image format {ext or '(none)'!r} (use PNG, JPEG or TIFF)", path=str(p)
        )
    if bits not in (8, 16):
        raise InputError(f"bits must be 8 or 16, got {bits}")
    if bits == 16 and ext in (".jpg", ".jpeg"):
        raise InputError("JPEG cannot store 16-bit images; use PNG or TIFF", path=str(p))
    arr = to_numpy(image)
    if arr.ndim == 3 and arr.shape[-1] != 3:
        raise InputError(f"can write 1 (gray) or 3 (RGB) channels, got {arr.shape[-1]}")
    arr = np.nan_to_num(arr, nan=0.0).clip(0.0, 1.0)
    dtype = np.uint8 if bits == 8 else np.uint16
    q = np.rint(arr * float(np.iinfo(dtype).max)).astype(dtype)
    if bits == 16 and ext == ".png":
        payload = _encode_png16(q)
    else:
        import imageio.v3 as iio

        kwargs = {"quality": 95} if ext in (".jpg", ".jpeg") else {}
        payload = iio.imwrite("<bytes>", q, extension=ext, **kwargs)
    atomic_write_bytes(p, payload)
