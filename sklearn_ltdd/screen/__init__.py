"""Screening: score a library of molecules with a fitted classifier, whatever its size.

- :func:`screen` -- SMILES in memory in, a table of scores out (``_frame``).
- :func:`screen_file` -- a CSV or Parquet file in, scores beside its own columns out, read and
  written in chunks and resumable after an interruption (``_file``; the reading in ``_source``, the
  lock, record and writing that make it resumable in ``_resume``); also a command,
  ``python -m sklearn_ltdd.screen`` (``__main__``).
- :func:`screen_dask` -- a Dask DataFrame in, a Dask DataFrame of scores out, the model sent to each
  worker once (``_dask``).
- :func:`score_frame` -- one pandas DataFrame in, its scores beside its columns out: the unit of
  work of the two above (``_frame``).

All of them featurise and infer a chunk at a time, so memory does not grow with the library, and
treat bad rows the same way: ``errors="raise"`` names every one before anything is scored;
``errors="nan"`` scores the others and marks them (``valid`` False, ``error`` the reason). They
load torch when first used, so that the command's ``--help`` is instant.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from ._dask import screen_dask
    from ._file import screen_file
    from ._frame import score_frame, screen

#: the values of ``errors``, here for the command's --help, which loads no model code
ERRORS = ("raise", "nan")

_LAZY = {"score_frame": "._frame", "screen": "._frame", "screen_dask": "._dask", "screen_file": "._file"}

__all__ = ["score_frame", "screen", "screen_dask", "screen_file"]

if not TYPE_CHECKING:  # checkers read the imports above, and flag a name that is not there
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, globals())
