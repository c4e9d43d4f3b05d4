"""Progress bars that cost nothing when they are not shown."""

from __future__ import annotations

import multiprocessing
import sys
import warnings

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
    """Make tqdm's write lock before its first bar does: tqdm makes it by ``multiprocessing.RLock()``,
    which fixes the start method for the rest of the process, so that a user's later
    ``set_start_method("spawn")`` (which pitfalls.md advises) raised. Made here, the start method is
    left unset if it was."""
    from tqdm.std import TqdmDefaultWriteLock

    with TqdmDefaultWriteLock.th_lock:  # the lock tqdm itself takes around making it
        if hasattr(TqdmDefaultWriteLock, "mp_lock"):
            return
        unset = multiprocessing.get_start_method(allow_none=True) is None
        TqdmDefaultWriteLock.create_mp_lock()
        if unset:
            multiprocessing.set_start_method(None, force=True)


def can_draw_bars() -> bool:
    """Whether there is a standard error to draw bars on (pythonw has none)."""
    return sys.stderr is not None


def widget_bars() -> bool:
    """Whether bars here are notebook widgets: tqdm.auto draws them in a notebook with ipywidgets,
    and text bars elsewhere. skorch's ProgressBar draws widgets in any notebook, and without
    ipywidgets failed the fit ("IProgress not found")."""
    # (tqdm.auto's class is its own, made of the notebook's or the terminal's)
    return any(base.__module__ == "tqdm.notebook" for base in tqdm.__mro__)
