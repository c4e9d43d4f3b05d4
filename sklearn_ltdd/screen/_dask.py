"""Screening on a Dask cluster: a Dask DataFrame of molecules in, a Dask DataFrame of scores out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._optional import import_optional
from ..classifier._base import GraphClassifier
from ..featurize._graphizer import SmilesGraphizer, find_invalid
from ._frame import SCREEN_ADVICE, check_columns, check_errors, check_model, check_top_k, scores_of
from ._resume import model_hash

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["screen_dask"]


_BAD_ROW_COLUMNS = {"partition": "int64", "position": "int64", "value": object, "reason": object}


def _invalid(
    smiles: pd.Series, graphizer: SmilesGraphizer, partition_info: dict | None = None
) -> pd.DataFrame:
    """One partition's bad rows: partition number, position in it, value and reason."""
    bad = find_invalid(smiles.to_numpy(dtype=object), graphizer)
    return pd.DataFrame(
        {
            "partition": [partition_info["number"]] * len(bad),
            "position": list(bad),
            "value": [value for value, _ in bad.values()],
            "reason": [reason for _, reason in bad.values()],
        },
    ).astype(_BAD_ROW_COLUMNS)


def _check(frame: dd.DataFrame, smiles_column: str, model: GraphClassifier) -> None:
    """Name every bad row of the frame, by its row number in the whole frame, or return."""
    bad = frame[smiles_column].map_partitions(_invalid, model.graphizer_, meta=_BAD_ROW_COLUMNS)
    bad = bad.compute()
    if len(bad):
        starts = np.concatenate([[0], np.cumsum(frame.map_partitions(len).compute())])
        rows = starts[bad["partition"].to_numpy()] + bad["position"].to_numpy()
        items = zip(bad["value"], bad["reason"], strict=True)
        raise model._invalid_input_error(dict(zip(rows.tolist(), items, strict=True)), SCREEN_ADVICE)


def screen_dask(
    model: BaseEstimator,
    frame: dd.DataFrame,
    *,
    smiles_column: str = "smiles",
    keep: Sequence[str] | None = None,
    errors: str = "raise",
    top_k: int | None = None,
) -> dd.DataFrame:
    """Score a Dask DataFrame of molecules partition by partition on a Dask cluster.

    The model enters the task graph once (``dask.delayed``), so each worker receives it once
    however many partitions it scores; each partition is scored like :func:`score_frame` (10,000
    rows at a time inside it). A model with ``device="auto"`` (the default) runs on the GPU of a
    worker that has one, whatever it was trained on. Partitions keep their order and index.

    Parameters
    ----------
    model : LTDDClassifier or BaselineClassifier, or a Pipeline, search or FrozenEstimator ending in one
        A fitted model. A Pipeline's steps before the classifier may be SmilesGraphizers only:
        the classifier featurises the SMILES as they did.
    frame : dask.dataframe.DataFrame
        Holds ``smiles_column``; e.g. ``dd.read_parquet(...)`` or ``dd.read_csv(..., dtype=str)``.
    smiles_column : str, default="smiles"
        The column of SMILES (or reaction SMILES) to score.
    keep : list-like of str, default=None
        Input columns kept beside the scores; None keeps all.
    errors : {"raise", "nan"}, default="raise"
        ``"raise"``: first checks every row on the cluster (RDKit's parse, no featurisation) and
        raises one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` naming every bad row by its
        row number in the whole frame (from 0, partitions in order), before anything is scored.
        ``"nan"``: bad rows get NaN probabilities, no prediction, ``valid`` False and their reason
        in ``error``, and keep their index.
    top_k : int, default=None
        As in :func:`~sklearn_ltdd.screen.screen`: the ``top_k`` classes of each row ranked, with
        their probabilities, instead of a probability per class.

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
    >>> clf = LTDDClassifier(max_epochs=12, hidden=16, random_state=0)
    >>> clf = clf.fit(data.data[:200], data.target[:200])
    >>> library = dd.from_pandas(pd.DataFrame({"smiles": ["CCO", "C1CC", "c1ccccc1O"]}), npartitions=2)
    >>> scores = screen_dask(clf, library, errors="nan")  # lazy; computed on a Client's cluster if any
    >>> scores["valid"].compute().tolist()
    [True, False, True]
    """
    dask = import_optional("dask", "dask", "screen_dask")
    dd = import_optional("dask.dataframe", "dask", "screen_dask")

    model = check_model(model, smiles_column)
    if not isinstance(frame, dd.DataFrame):  # a dask Series has no columns; pandas no partitions
        raise TypeError(
            f"frame must be a dask DataFrame holding the column {smiles_column!r}, got a "
            f"{_library(frame)} {type(frame).__name__}; score_frame() scores a pandas "
            "table in this process, dd.from_pandas(...) or series.to_frame() makes one."
        )
    check_errors(errors)
    top_k = check_top_k(top_k, model)
    keep = check_columns(list(frame.columns), smiles_column, keep, model, "the frame", top_k=top_k)
    if errors == "raise":
        _check(frame, smiles_column, model)
    empty = pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in frame.dtypes.items()})
    meta = scores_of(empty, model, smiles_column, keep, errors, top_k)
    # one task: each worker fetches the model once. Named by the model's hash: dask's own token
    # of a model (pure=True) pickles it two or three times over, 35-90 ms a call
    shared = dask.delayed(model, name=f"sklearn-ltdd-model-{model_hash(model)}")
    return frame.map_partitions(scores_of, shared, smiles_column, keep, errors, top_k, meta=meta)


def _library(value: object) -> str:
    """The library a table is of, as its users call it (dask's expressions lived in dask_expr)."""
    module = type(value).__module__.split(".")[0]
    return "dask" if module.startswith("dask") else module
