"""torch's process-wide state (the default float type, the seeded global generators), changed by
one call at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ._fork import renew_after_fork

__all__ = ["TORCH_STATE_LOCK", "thread_defaults", "torch_defaults"]

#: held while a call changes torch's process-wide state and computes under it, by a fit, by each
#: network pass of a prediction and by the atom mapper: in several threads they then run one at a
#: time, each as it would alone, instead of restoring each other's state in the middle of a pass
#: (re-entrant: a fit's own passes take it again). Read it as ``_torch_state.TORCH_STATE_LOCK``,
#: at the time of use: a forked child gets a new one.
TORCH_STATE_LOCK = threading.RLock()
renew_after_fork(globals(), TORCH_STATE_LOCK=threading.RLock)


@contextmanager
def thread_defaults() -> Iterator[None]:
    """torch's defaults, for the call, of the settings a thread has of its own (no lock is needed):
    no autocast (a caller's ``torch.autocast``, on the CPU or CUDA: computed in bfloat16, a fit would
    train another model for the same seed, or fail in a sparse product that has no bfloat16
    kernel), and the CPU as the default device of new tensors (a caller's
    ``torch.set_default_device("meta")`` failed every fit and prediction; the package moves its
    tensors to the device it computes on itself)."""
    with torch.autocast("cpu", enabled=False), torch.autocast("cuda", enabled=False):
        # a device mode costs every torch call: none unless the caller's default is elsewhere (a
        # new tensor tells, for torch.set_default_device and a `with torch.device(...)` block alike:
        # torch.get_default_device read only the former before torch 2.8)
        if torch.empty(()).device.type == "cpu":
            yield
        else:
            with torch.device("cpu"):
                yield


@contextmanager
def torch_defaults() -> Iterator[None]:
    """torch's defaults for the call, whatever the caller has set, under the lock: float32 as the
    default float type (batches carry the graphs' features as float32, and a network built or a tensor made
    under float64 would not multiply them), and a thread's own settings (:func:`thread_defaults`)."""
    with TORCH_STATE_LOCK, thread_defaults():
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        try:
            yield
        finally:
            torch.set_default_dtype(previous)
