"""torch_geometric, imported here before any module of this package uses it: its import warns that
``torch.jit.script`` is deprecated, and a caller's ``warnings.simplefilter("error")`` (or a test
suite's ``filterwarnings = error``) made that warning a failed import, which left PyG half
initialised until the interpreter restarted. The warning is PyG's to act on, not its users'.
So is tqdm's, in a notebook without ipywidgets, that PyG's ``tqdm.auto`` import falls back to a
text progress bar (:mod:`._progress` imports it the same way)."""

import warnings

from ._progress import NO_WIDGETS_WARNING

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
    warnings.filterwarnings("ignore", NO_WIDGETS_WARNING)
    import torch_geometric  # noqa: F401
