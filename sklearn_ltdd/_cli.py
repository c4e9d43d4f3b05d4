"""What the package's commands (``python -m sklearn_ltdd.screen``, ``.benchmark``) share."""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["as_flag_error"]


def as_flag_error(message: str, parameters: Collection[str]) -> str:
    """A function's error about one of its ``parameters`` as the command that passed it a flag
    says it, naming the flag first as argparse does: "argument --chunk-rows: chunk_rows must be
    a positive integer, got 0." Other messages as they are."""
    name = re.match(r"\w+", message)
    if name is None or name.group() not in parameters:
        return message
    return f"argument --{name.group().replace('_', '-')}: {message}"
