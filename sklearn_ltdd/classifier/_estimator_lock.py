"""One lock per estimator: its fit holds it from start to end, its restoring after a failure
included, and a call that reads the fitted model whole (``Inference._snapshot``) takes it, so
that a prediction in one thread never reads another thread's fit half done, and waits only for a
fit of the same estimator. Kept beside the estimator, not in it: a copy or a pickle has its own."""

from __future__ import annotations

import threading
import weakref

from .._fork import renew_after_fork

__all__ = ["estimator_lock"]

_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()
renew_after_fork(globals(), _LOCKS=weakref.WeakKeyDictionary, _GUARD=threading.Lock)


def estimator_lock(estimator: object) -> threading.RLock:
    """The lock of ``estimator`` (made on first use, gone with the estimator)."""
    with _GUARD:
        lock = _LOCKS.get(estimator)
        if lock is None:
            lock = _LOCKS[estimator] = threading.RLock()
        return lock
