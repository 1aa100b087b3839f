"""Device selection shared by the API and the CLI."""

from __future__ import annotations

import torch

from .errors import DeviceError, InputError


class DeviceRequestError(DeviceError, InputError):
    """An unknown or unavailable ``device`` argument: bad input (an :class:`InputError`, so
    the CLI reports it on one line with the exit code of bad input) and a
    :class:`DeviceError`, which is what callers caught before."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:1" | "mps"`` into a :class:`torch.device`.

    ``"auto"`` picks CUDA when available, else CPU. An unknown device, or one this
    machine does not have (CUDA without a GPU, a missing ``cuda:N``, MPS off Apple
    silicon), raises :class:`DeviceRequestError` here instead of failing later.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        dev = device
    else:
        if device is not None and not isinstance(device, str):
            raise DeviceRequestError(
                f"device must be a string or torch.device, got {type(device).__name__}"
            )
        name = (device or "auto").strip().lower()
        if name == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(name)
        except RuntimeError:
            raise DeviceRequestError(
                f"unknown device {device!r} (use cpu, cuda, cuda:N, mps or auto)"
            ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceRequestError(
                "CUDA was requested but no CUDA device is available; use --device cpu"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceRequestError(
                f"device {dev} does not exist ({torch.cuda.device_count()} CUDA device(s) visible)"
            )
    elif dev.type == "mps":
        if not _mps_available():
            raise DeviceRequestError(
                "MPS (Apple GPU) was requested but is not available on this machine; "
                "use --device cpu"
            )
        if dev.index not in (None, 0):
            raise DeviceRequestError(f"device {dev} does not exist (MPS has one device, mps:0)")
    elif dev.type != "cpu":
        raise DeviceRequestError(
            f"unsupported device type {dev.type!r} (use cpu, cuda, cuda:N, mps or auto)"
        )
    return dev


def device_name(device: torch.device) -> str:
    """Human-readable device description for results and benchmark tables."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return str(device)
