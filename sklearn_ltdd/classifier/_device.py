"""Where a fit runs: the device a user asked for, checked, and torch's random state, seeded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["resolve_device", "seeded_torch"]

_DEVICES = "'auto', 'cpu', 'cuda' or 'cuda:<index>'"


def resolve_device(device: str) -> str:
    """The device to train on, in torch's canonical spelling ('cpu', 'cuda', 'cuda:1')."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a device torch knows; use {_DEVICES}.") from None
    if parsed.type == "cpu":
        return "cpu"  # 'cpu:0' is the same device; skorch's device handling only knows 'cpu'
    if parsed.type != "cuda":
        raise ValueError(f"device={device!r} is not supported; use {_DEVICES}.")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available (torch {torch.__version__}, "
            "torch.cuda.is_available() is False); use device='auto' or 'cpu', "
            "or install a CUDA build of torch."
        )
    if parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but this machine has {torch.cuda.device_count()} CUDA "
            f"device(s), numbered from 0."
        )
    return str(parsed)


@contextmanager
def seeded_torch(seed: int | None) -> Iterator[None]:
    """Seed torch's global generators for a fit and give the caller its own state back after it.

    Initialisation, shuffling and edge drops draw from the global generators (skorch and PyG
    use them); a seeded fit must not reset the random stream of the code around it.
    """
    if seed is None:
        yield
        return
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield
