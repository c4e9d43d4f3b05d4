"""Screening: score a library of molecules with a fitted classifier, whatever its size.

- :func:`screen` -- SMILES in memory in, a table of scores out (``_frame``).
- :func:`screen_file` -- a CSV or Parquet file in, scores beside its own columns out, read and
  written in chunks and resumable after an interruption (``_file``); also a command,
  ``python -m sklearn_ltdd.screen`` (``__main__``).
- :func:`screen_dask` -- a Dask DataFrame in, a Dask DataFrame of scores out, the model sent to each
  worker once (``_dask``).

All of them featurise and infer a chunk at a time, so memory does not grow with the library, and
treat bad rows the same way: ``errors="raise"`` names every one before anything is scored;
``errors="nan"`` scores the others and marks them (``valid`` False, ``error`` the reason).
"""

from ._dask import screen_dask
from ._file import screen_file
from ._frame import score_frame, screen

__all__ = ["score_frame", "screen", "screen_dask", "screen_file"]
