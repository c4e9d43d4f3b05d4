"""Locks a forked child gets anew: a fork copies a lock as it is, held perhaps by a thread that the
child does not have, and the child's first use of it would then wait forever."""

from __future__ import annotations

import os
from collections.abc import Callable


def renew_after_fork(namespace: dict[str, object], **factories: Callable[[], object]) -> None:
    """After a fork, set each named global of ``namespace`` (a module's ``globals()``) in the child
    to a new object from its factory. Code reads such a global at the time of use, by name."""

    def renew() -> None:
        namespace.update({name: make() for name, make in factories.items()})

    if hasattr(os, "register_at_fork"):  # (not on Windows, which does not fork)
        os.register_at_fork(after_in_child=renew)
