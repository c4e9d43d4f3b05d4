"""Where a fit runs: the device a user asked for, checked, and torch's random state, seeded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from .. import _torch_state
from .._torch_device import check_device

__all__ = ["TRAINING_DEVICES", "resolve_device", "seeded_torch"]

#: the kinds of device the classifiers train on
TRAINING_DEVICES = ("cpu", "cuda")


def resolve_device(device: str | torch.device) -> str:
    """The device to train on, in torch's canonical spelling ('cpu', 'cuda', 'cuda:1')."""
    parsed = check_device(device, kinds=TRAINING_DEVICES)
    # 'cpu:0' is the same device; skorch's device handling only knows 'cpu'
    return "cpu" if parsed.type == "cpu" else str(parsed)


@contextmanager
def seeded_torch(seed: int | None, device: str = "cpu") -> Iterator[None]:
    """Seed torch's generators for a fit on ``device`` and give the caller its own state back after it.

    Initialisation, shuffling and edge drops draw from the global generators (skorch and PyG
    use them); a seeded fit must not reset the random stream of the code around it. Only the
    CPU's generator and the training GPU's are touched: forking every GPU's would start CUDA on
    each of them, even for a fit on the CPU.
    """
    if seed is None:
        yield
        return
    gpu = None
    if torch.device(device).type == "cuda":
        gpu = torch.device(device).index
        gpu = torch.cuda.current_device() if gpu is None else gpu
    with _torch_state.TORCH_STATE_LOCK, torch.random.fork_rng(devices=[] if gpu is None else [gpu]):
        torch.random.default_generator.manual_seed(seed)
        if gpu is not None:
            torch.cuda.default_generators[gpu].manual_seed(seed)
        yield
