"""Progress bars that cost nothing when they are not shown."""

from __future__ import annotations

import multiprocessing
import sys
import warnings
from contextlib import nullcontext

#: what tqdm.auto warns when it is imported in a notebook without ipywidgets: it then draws text bars,
#: which serve as well, and the package's first import printed the warning in every such notebook
NO_WIDGETS_WARNING = "IProgress not found"

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", NO_WIDGETS_WARNING)
    from tqdm.auto import tqdm

__all__ = ["can_draw_bars", "make_tqdm_lock", "progress_bar", "widget_bars"]


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass


def progress_bar(show: bool, **kwargs: object) -> tqdm | _NoBar:
    """tqdm's bar (``kwargs`` are tqdm's) when ``show`` and there is a standard error to draw it on
    (pythonw has none), else a stand-in whose ``update`` does nothing: not a disabled bar, for
    which tqdm starts a monitor thread that outlives the call."""
    if not (show and can_draw_bars()):
        return _NoBar()
    make_tqdm_lock()
    return tqdm(**kwargs)


def make_tqdm_lock() -> None:
    """Make tqdm's write lock before its first bar does, from the context of the start method in
    force (or the platform's default) without fixing it: tqdm makes it by ``multiprocessing.RLock()``,
    which fixed the start method for the rest of the process, and a user's later
    ``set_start_method("spawn")`` raised. A tqdm that keeps its lock otherwise makes its own."""
    from tqdm.std import TqdmDefaultWriteLock

    if not hasattr(TqdmDefaultWriteLock, "create_mp_lock"):  # (tqdm's way since 4.26, not a promise)
        return
    with TqdmDefaultWriteLock.th_lock or nullcontext():  # (None where threads have no locks)
        if hasattr(TqdmDefaultWriteLock, "mp_lock"):
            return
        # (of all start methods, the first is the platform's default)
        method = (
            multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
        )
        try:
            TqdmDefaultWriteLock.mp_lock = multiprocessing.get_context(method).RLock()
        except (ImportError, OSError):  # no semaphores here (as tqdm: its bars then take no such lock)
            TqdmDefaultWriteLock.mp_lock = None


def can_draw_bars() -> bool:
    """Whether there is a standard error to draw bars on (pythonw has none)."""
    return sys.stderr is not None


def widget_bars() -> bool:
    """Whether bars here are notebook widgets: tqdm.auto draws them in a notebook with ipywidgets,
    and text bars elsewhere. skorch's ProgressBar draws widgets in any notebook, and without
    ipywidgets failed the fit ("IProgress not found")."""
    # (tqdm.auto's class is its own, made of the notebook's or the terminal's)
    return any(base.__module__ == "tqdm.notebook" for base in tqdm.__mro__)
