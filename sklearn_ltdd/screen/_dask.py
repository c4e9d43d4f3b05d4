"""Screening on a Dask cluster: a Dask DataFrame of molecules in, a Dask DataFrame of scores out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..classifier._base import GraphClassifier
from ..featurize._graphizer import find_invalid, invalid_input_error
from ._frame import check_errors, check_model, score_frame

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["screen_dask"]


def _invalid(smiles: pd.Series, reaction_mode: str | None, atom_mapper: object) -> pd.DataFrame:
    """One partition's bad rows: their index labels, values and reasons."""
    bad = find_invalid(smiles.to_numpy(dtype=object), reaction_mode, atom_mapper)
    rows = list(bad)
    return pd.DataFrame(
        {"value": [bad[r][0] for r in rows], "reason": [bad[r][1] for r in rows]},
        index=smiles.index[rows],
        dtype=object,
    )


def screen_dask(
    model: GraphClassifier,
    frame: dd.DataFrame,
    *,
    smiles_column: str = "smiles",
    keep: list[str] | None = None,
    errors: str = "raise",
) -> dd.DataFrame:
    """Score a Dask DataFrame of molecules partition by partition on a Dask cluster.

    The model enters the task graph once (``dask.delayed``), so each worker receives it once
    however many partitions it scores; each partition is scored by :func:`score_frame` (10,000
    rows at a time inside it). A model with ``device="auto"`` (the default) runs on the GPU of a
    worker that has one, whatever it was trained on. Partitions keep their order and index.

    Parameters
    ----------
    model : LTDDClassifier or BaselineClassifier
        A fitted model.
    frame : dask.dataframe.DataFrame
        Holds ``smiles_column``; e.g. ``dd.read_parquet(...)`` or ``dd.read_csv(..., dtype=str)``.
    smiles_column : str, default="smiles"
    keep : list of str, default=None
        Input columns kept beside the scores; None keeps all.
    errors : {"raise", "nan"}, default="raise"
        ``"raise"``: first checks every row on the cluster (RDKit's parse, no featurisation) and
        raises one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` naming every bad row by its
        index label, before anything is scored; give the frame a unique index (``dd.read_csv``
        numbers each partition's rows from 0) so that the labels say which rows. ``"nan"``: bad rows
        get NaN probabilities, no prediction, ``valid`` False and their reason in ``error``.

    Returns
    -------
    scores : dask.dataframe.DataFrame
        Lazy: ``keep``'s columns and :func:`screen`'s, one row per input row.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> from sklearn_ltdd import LTDDClassifier
    >>> from sklearn_ltdd.datasets import load_solubility
    >>> from sklearn_ltdd.screen import screen_dask
    >>> data = load_solubility()
    >>> clf = LTDDClassifier(max_epochs=12, hidden=16, random_state=0).fit(data.data[:200], data.target[:200])
    >>> library = dd.from_pandas(pd.DataFrame({"smiles": ["CCO", "C1CC", "c1ccccc1O"]}), npartitions=2)
    >>> screen_dask(clf, library, errors="nan")["valid"].compute().tolist()  # on a Client's cluster if any
    [True, False, True]
    """
    import dask

    check_model(model)
    check_errors(errors)
    if smiles_column not in frame.columns:
        raise ValueError(f"the frame has no column {smiles_column!r}; its columns are {list(frame.columns)}.")
    if errors == "raise":
        checks = frame[smiles_column].map_partitions(
            _invalid, model.reaction_mode, model.atom_mapper, meta={"value": object, "reason": object}
        )
        bad = checks.compute()
        if len(bad):
            rows = dict(zip(bad.index, zip(bad["value"], bad["reason"], strict=True), strict=True))
            raise invalid_input_error(rows, model.atom_mapper)
    empty = pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in frame.dtypes.items()})
    meta = score_frame(empty, model, smiles_column=smiles_column, keep=keep)
    shared = dask.delayed(model, pure=True)
    return frame.map_partitions(
        score_frame, shared, smiles_column=smiles_column, keep=keep, errors=errors, meta=meta
    )
