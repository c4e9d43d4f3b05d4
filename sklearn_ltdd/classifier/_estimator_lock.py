"""One lock per estimator: its fit holds it from start to end, its restoring after a failure
included, and a call that reads the fitted model whole (``Inference._snapshot``) takes it, so
that a prediction in one thread never reads another thread's fit half done, and waits only for a
fit of the same estimator. Kept beside the estimator, not in it: a copy or a pickle has its own."""

from __future__ import annotations

import os
import threading
import weakref

__all__ = ["estimator_lock"]

_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def estimator_lock(estimator: object) -> threading.RLock:
    """The lock of ``estimator`` (made on first use, gone with the estimator)."""
    with _GUARD:
        lock = _LOCKS.get(estimator)
        if lock is None:
            lock = _LOCKS[estimator] = threading.RLock()
        return lock


def _new_locks_in_a_forked_child() -> None:
    # a fork copies the locks as they are, held by threads that do not exist in the child
    global _LOCKS, _GUARD
    _LOCKS, _GUARD = weakref.WeakKeyDictionary(), threading.Lock()


if hasattr(os, "register_at_fork"):  # (not on Windows, which does not fork)
    os.register_at_fork(after_in_child=_new_locks_in_a_forked_child)
