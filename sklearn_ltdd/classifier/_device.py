"""Where a fit runs: the device a user asked for, checked, and torch's random state, seeded."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from .._torch_device import check_device

__all__ = ["float32_default", "resolve_device", "seeded_torch"]

#: held while a call changes torch's process-wide state (the default dtype, the seeded global
#: generators) and computes under it, by a fit and by each network pass of a prediction: in
#: several threads they then run one at a time, each as it would alone, instead of restoring
#: each other's state in the middle of a pass (re-entrant: a fit's own passes take it again)
TORCH_STATE_LOCK = threading.RLock()


def _new_lock_in_a_forked_child() -> None:
    # a fork copies the lock as it is, held by a thread that does not exist in the child
    global TORCH_STATE_LOCK
    TORCH_STATE_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):  # (not on Windows, which does not fork)
    os.register_at_fork(after_in_child=_new_lock_in_a_forked_child)


def resolve_device(device: str) -> str:
    """The device to train on, in torch's canonical spelling ('cpu', 'cuda', 'cuda:1')."""
    parsed = check_device(device, kinds=("cpu", "cuda"))
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
    with TORCH_STATE_LOCK, torch.random.fork_rng(devices=[] if gpu is None else [gpu]):
        torch.random.default_generator.manual_seed(seed)
        if gpu is not None:
            torch.cuda.default_generators[gpu].manual_seed(seed)
        yield


@contextmanager
def float32_default() -> Iterator[None]:
    """torch's default float type float32 for the call, whatever the caller's: the graphs' features
    are float32, and a network built (or a tensor made) under float64 would not multiply them."""
    with TORCH_STATE_LOCK:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        try:
            yield
        finally:
            torch.set_default_dtype(previous)
