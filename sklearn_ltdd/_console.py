"""Lines printed for a person, on a standard output of any encoding."""

import errno
import os
import sys

__all__ = ["say"]


def say(text: str) -> None:
    """Print ``text``, the characters that standard output's encoding lacks replaced (τ and ± under
    Windows' cp1252, or a locale's Latin-1, with output redirected): a report must not fail the
    work it reports on. Nothing where there is no standard output (pythonw's None); flushed where
    it can be (a logger's writer may have no flush). Where standard output's pipe has no reader
    left (``| head``), the report goes nowhere and the work goes on (a benchmark stopped after its
    first run, "error: Broken pipe"): the process's own standard output then writes to the null
    device, so that neither later reports nor the flush at exit fail; a stream put in its place
    (a notebook's, a log's) is left as it is."""
    out = sys.stdout
    if out is None:
        return
    encoding = getattr(out, "encoding", None)
    encoding = encoding if isinstance(encoding, str) else "utf-8"
    try:
        print(text.encode(encoding, "replace").decode(encoding), file=out)
        if callable(flush := getattr(out, "flush", None)):
            flush()
    except OSError as error:
        if not _closed_pipe(error):
            raise
        if out is sys.__stdout__:
            _write_nowhere()


def _closed_pipe(error: OSError) -> bool:
    """Whether ``error`` is a write to a pipe whose reader has ended (on Windows, EINVAL)."""
    return isinstance(error, BrokenPipeError) or (os.name == "nt" and error.errno == errno.EINVAL)


def _write_nowhere() -> None:
    """The process's standard output made the null device ("Exception ignored ... BrokenPipeError"
    at exit otherwise)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # a standard output that is no file
        pass
