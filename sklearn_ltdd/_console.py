"""Lines printed for a person, on a standard output of any encoding."""

import sys

__all__ = ["say"]


def say(text: str) -> None:
    """Print ``text``, the characters that standard output's encoding lacks replaced (τ and ± under
    Windows' cp1252, or a locale's Latin-1, with output redirected): a report must not fail the
    work it reports on once that work is done. Nothing where there is no standard output
    (pythonw's None); flushed where it can be (a logger's writer may have no flush)."""
    out = sys.stdout
    if out is None:
        return
    encoding = getattr(out, "encoding", None)
    encoding = encoding if isinstance(encoding, str) else "utf-8"
    print(text.encode(encoding, "replace").decode(encoding), file=out)
    if callable(flush := getattr(out, "flush", None)):
        flush()
