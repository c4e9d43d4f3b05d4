"""torch_geometric, imported here before any module of this package uses it: its import warns that
``torch.jit.script`` is deprecated, and a caller's ``warnings.simplefilter("error")`` (or a test
suite's ``filterwarnings = error``) made that warning a failed import, which left PyG half
initialised until the interpreter restarted. The warning is PyG's to act on, not its users'.
So is tqdm's, in a notebook without ipywidgets, when PyG imports ``tqdm.auto``: :mod:`._progress`
imports it first, quietly.

PyG also leaves behind a source file it generates for each message-passing layer class:
:func:`remove_generated_source` deletes it."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings

from . import _progress  # noqa: F401

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
    import torch_geometric  # noqa: F401


def remove_generated_source(conv: type) -> None:
    """Delete the file PyG generated for ``conv.propagate`` once it is imported.

    PyG writes each layer class's ``propagate`` to a new ``*_propagate_*.py`` in the temporary
    directory of every process and never removes it; the imported module no longer needs it.
    """
    path = getattr(sys.modules.get(conv.propagate.__module__), "__file__", None)
    if path and os.path.dirname(os.path.abspath(path)) == os.path.abspath(tempfile.gettempdir()):
        with contextlib.suppress(OSError):  # gone already; on Windows, open in a virus scanner
            os.remove(path)
