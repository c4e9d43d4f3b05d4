"""What the package's commands (``python -m sklearn_ltdd.screen``, ``.benchmark``) share."""

from __future__ import annotations

import argparse
import re
from collections.abc import Collection

__all__ = ["as_flag_error", "n_jobs_flag"]


def as_flag_error(message: str, parameters: Collection[str]) -> str:
    """A function's error about one of its ``parameters`` as the command that passed it a flag
    says it, naming the flag first as argparse does: "argument --chunk-rows: chunk_rows must be
    a positive integer, got 0." Other messages as they are."""
    name = re.match(r"\w+", message)
    if name is None or name.group() not in parameters:
        return message
    return f"argument --{name.group().replace('_', '-')}: {message}"


def with_notes(message: str, error: BaseException) -> str:
    """An error's ``message`` (as a command words it) with the error's notes after it, as
    sentences: OSError's message ends without a full stop ("... directory: '/x' A screen keeps")."""
    notes = getattr(error, "__notes__", [])
    if not notes:
        return message
    end = "" if message.endswith((".", "?", "!")) else "."  # ("... should be?", "... (3 more)...")
    return " ".join([f"{message}{end}", *notes])


def n_jobs_flag(text: str) -> int:
    """``--n-jobs`` as joblib reads it: a positive count, or -1, -2, ... (all CPUs, all but one,
    ...); the function's own message also offers None, which no flag can give."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"give a positive number of processes or -1, -2, ... (all CPUs, all but one, ...), got {text!r}"
        )
    return value
