"""Lines printed for a person, on a standard output of any encoding."""

import os
import sys

__all__ = ["say"]


def say(text: str) -> None:
    """Print ``text``, the characters that standard output's encoding lacks replaced (τ and ± under
    Windows' cp1252, or a locale's Latin-1, with output redirected): a report must not fail the
    work it reports on. Nothing where there is no standard output (pythonw's None); flushed where
    it can be (a logger's writer may have no flush). Where standard output cannot be written (its
    pipe's reader has ended: ``| head``), the rest of the reports go nowhere and the work goes on
    (a benchmark stopped after its first run, "error: Broken pipe")."""
    out = sys.stdout
    if out is None:
        return
    encoding = getattr(out, "encoding", None)
    encoding = encoding if isinstance(encoding, str) else "utf-8"
    try:
        print(text.encode(encoding, "replace").decode(encoding), file=out)
        if callable(flush := getattr(out, "flush", None)):
            flush()
    except OSError:
        _write_nowhere(out)


def _write_nowhere(out: object) -> None:
    """``out``'s file made the null device, so that neither later reports nor the flush at exit
    fail ("Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # a stdout that is no file
        pass
