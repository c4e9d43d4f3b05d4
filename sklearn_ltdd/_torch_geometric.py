"""torch_geometric, imported here before any module of this package uses it: its import warns that
``torch.jit.script`` is deprecated, and a caller's ``warnings.simplefilter("error")`` (or a test
suite's ``filterwarnings = error``) made that warning a failed import, which left PyG half
initialised until the interpreter restarted. The warning is PyG's to act on, not its users'.
So is tqdm's, in a notebook without ipywidgets, when PyG imports ``tqdm.auto``: :mod:`._progress`
imports it first, quietly."""

import warnings

from . import _progress  # noqa: F401

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
    import torch_geometric  # noqa: F401
