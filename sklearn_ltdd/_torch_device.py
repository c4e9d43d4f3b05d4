"""A device named by the user, checked where torch's own errors would not say what is wrong; and
host arrays copied to a device without waiting for it."""

from __future__ import annotations

import numpy as np
import torch

#: what the classifiers train on
DEVICES = "'auto', 'cpu', 'cuda' or 'cuda:<index>'"


def parse_device(device: str | torch.device, kinds: tuple[str, ...] | None = None) -> torch.device:
    """``device`` as torch's, or a ValueError naming it where torch knows no such device or it is
    not one of ``kinds`` (None: any); whether this machine has it is :func:`check_device`'s question."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a device torch knows; use {DEVICES}.") from None
    if kinds is not None and parsed.type not in kinds:
        raise ValueError(f"device={device!r} is not supported; use {DEVICES}.")
    return parsed


def check_device(device: str | torch.device, kinds: tuple[str, ...] | None = None) -> torch.device:
    """``device`` as torch's ('auto': CUDA where available, else the CPU), or a ValueError that
    names it: not a device torch knows, not one of ``kinds`` (None: any), or one this machine or
    this build of torch lacks."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    parsed = parse_device(device, kinds)  # before availability: no machine would do
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available (torch {torch.__version__}, "
            "torch.cuda.is_available() is False); use device='auto' or 'cpu', "
            "or install a CUDA build of torch."
        )
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but this machine has {torch.cuda.device_count()} CUDA "
            f"device(s), numbered from 0."
        )
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available here; use {DEVICES}.")
    return parsed


#: devices that do not compute in float64 (Apple's GPU refuses even to hold a float64 tensor)
NO_FLOAT64 = ("mps",)


def widest_float(device: torch.device) -> torch.dtype:
    """float64 where ``device`` computes in it, else float32."""
    return torch.float32 if device.type in NO_FLOAT64 else torch.float64


def copy_to_device(device: torch.device, *host: np.ndarray) -> list[torch.Tensor]:
    """Host int64 index arrays as tensors on ``device``, in one copy that does not wait for the
    device (from pinned memory on CUDA)."""
    if device.type == "cpu":
        return [torch.from_numpy(np.asarray(a, dtype=np.int64)) for a in host]
    packed = torch.from_numpy(np.concatenate(host).astype(np.int64, copy=False))
    cuda = device.type == "cuda"  # (elsewhere, from memory that is not pinned, a copy that waits)
    packed = (packed.pin_memory() if cuda else packed).to(device, non_blocking=cuda)
    return list(packed.split([len(a) for a in host]))
