"""The shape of SMILES input (a column of them, in any container sklearn users pass) and its
column's name against a fit's, checked before any row is parsed."""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping, MappingView, Set

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._arguments import check_flags
from .._compat import from_arrow
from .._labels import few_of, one_value

__all__ = ["check_column_name", "check_smiles", "check_smiles_for"]


def check_smiles(X: ArrayLike, *, allow_empty: bool = False) -> np.ndarray:
    """Check the shape of SMILES input and return it as a 1-D object array.

    Accepts a list, tuple, 1-D array, one-column 2-D array, pandas Series or
    one-column DataFrame. The content of each row is checked when it is parsed
    (:func:`mols_from_smiles`).

    Parameters
    ----------
    X : array-like of str
        SMILES strings, one per sample.
    allow_empty : bool, default=False
        Whether zero rows are acceptable.

    Returns
    -------
    smiles : ndarray of object, shape (n_samples,)

    Examples
    --------
    >>> from sklearn_ltdd.featurize import check_smiles
    >>> check_smiles(["CCO", "c1ccccc1"]).tolist()
    ['CCO', 'c1ccccc1']
    """
    check_flags(allow_empty=allow_empty)
    if X is None or isinstance(X, str | bytes) or np.isscalar(X):  # numpy would make a 0-d array of it
        raise TypeError(f"X must be a sequence of SMILES strings, {one_value(X, 'SMILES')}.")
    if isinstance(X, Iterator):  # numpy would make it a 0-d array; it can be read only once anyway
        raise TypeError(
            f"X must be a sequence of SMILES strings, not an iterator ({type(X).__name__}); "
            "pass a list, e.g. list(X)."
        )
    if isinstance(X, Set | Mapping | MappingView):
        raise TypeError(
            f"X must be a sequence of SMILES strings in sample order, not a {type(X).__name__}; pass a list."
        )
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy's sparse matrices and arrays (0-d to numpy)
        kind = type(X).__name__
        raise TypeError(f"X must be SMILES strings, not a sparse matrix ({kind}, shape {X.shape}).")
    _refuse_graphs(X)
    X = from_arrow(X)
    if isinstance(X, pd.DataFrame) and X.shape[1] != 1:  # its columns named, one of them to choose
        names = list(X.columns)
        smiles = next((name for name in names if "smiles" in str(name).lower()), None)
        example = (
            f", e.g. X[[{smiles!r}]] (of a pyarrow or polars table: X.select([{smiles!r}]))"
            if smiles is not None
            else ""
        )
        raise ValueError(
            f"X must be one column of SMILES, got a table of {len(names)} columns ({few_of(names)}); "
            f"pass the column of SMILES{example}."
        )
    if hasattr(X, "to_numpy"):  # pandas Series / DataFrame
        X = X.to_numpy()
    array = np.array(X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        numeric = array.size and all(isinstance(value, numbers.Number) for value in array.flat[:100])
        hint = (  # a fingerprint's array, before a classifier, say
            " It holds numbers: the classifiers read SMILES or graphs, and fingerprint='morgan' adds a "
            "Morgan fingerprint itself."
            if numeric
            else ""
        )
        raise ValueError(
            f"X must be one column of SMILES, got an array of shape {array.shape}; "
            f"pass a list, a 1-D array or a one-column DataFrame.{hint}"
        )
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError("X is empty: at least one SMILES string is required.")
    return array


def check_column_name(estimator: object, X: object, *, reset: bool, against: str | None = None) -> None:
    """Record (``reset``, in fit) or check the name of X's column where X is a one-column table of
    SMILES: sklearn's ``feature_names_in_``. A model fitted on one column and given another
    (reactants for products) is refused, as sklearn refuses other feature names, and so is a
    Series of another name. Where either has no name (a list, an array; a Series in fit) nothing
    is said: one column of SMILES cannot come in the wrong order, so sklearn's warnings for a
    table given to a model fitted without names, and the reverse, would only be noise. Call it
    after :func:`check_smiles` has checked X's shape (outside a fit, :func:`check_smiles_for`
    does both). ``against`` words the column X is checked against (default: the fitted one's)."""
    names = _column_names(X, series=not reset)
    if reset:
        if names is None:
            estimator.__dict__.pop("feature_names_in_", None)
        else:
            estimator.feature_names_in_ = names
        return
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None and names.tolist() != fitted.tolist():
        against = against or f"this {type(estimator).__name__} was fitted on the column"
        raise ValueError(
            f"X's column is {names[0]!r}, but {against} {fitted[0]!r}; give it that column (or rename "
            "yours, if it holds the same kind of SMILES)."
        )


def _column_names(X: object, series: bool) -> np.ndarray | None:
    """The names of X's columns where X is a table whose columns are all named, or (``series``) the
    name of a named Series (``df["reactant"]``); else None. Read off X as it is: a polars or pyarrow
    X converted first would be copied whole for its names (and a polars Series lost its name)."""
    module = type(X).__module__
    if module.startswith(("polars", "pyarrow")):
        if hasattr(X, "column_names"):  # a pyarrow Table (whose columns are its arrays)
            columns = list(X.column_names)
        elif hasattr(X, "columns"):  # a polars DataFrame
            columns = list(X.columns)
        else:  # a polars Series is named "" unless named; pyarrow's arrays have no name
            name = getattr(X, "name", None)
            return np.asarray([name], dtype=object) if series and isinstance(name, str) and name else None
    elif isinstance(X, pd.DataFrame):
        columns = list(X.columns)
    elif isinstance(X, pd.Series):
        return np.asarray([X.name], dtype=object) if series and isinstance(X.name, str) else None
    else:
        return None
    return np.asarray(columns, dtype=object) if all(isinstance(name, str) for name in columns) else None


def _is_store(X: object) -> bool:
    """Whether X is a GraphStore or a GraphStorePair (known by name: this module imports no torch)."""
    kind = type(X)
    return kind.__name__ in ("GraphStore", "GraphStorePair") and kind.__module__.startswith("sklearn_ltdd")


def _refuse_graphs(X: object) -> None:
    """Graphs are no SMILES: a GraphStore given to a SmilesGraphizer (e.g. the first step of a
    Pipeline), and PyG's Data and Batch (``graphs[0]``, ``to_data_list()``, ``graphs.batch()``),
    which numpy would make an array of their attributes; and a list of stores."""
    if _is_store(X):
        raise TypeError(
            f"X is a {type(X).__name__}, graphs already, where SMILES are featurised (a SmilesGraphizer "
            "or a MorganFingerprint, or a Pipeline that starts with one); give the graphs to the classifier."
        )
    first = X[0] if isinstance(X, list | tuple) and len(X) else X
    if first is not X and _is_store(first):
        raise TypeError(
            f"X is a {type(X).__name__} of {type(first).__name__}s; a classifier takes one "
            f"{type(first).__name__} itself (it holds any number of graphs: featurise the SMILES "
            "together, or select graphs with store[[i, j]]), a featuriser SMILES."
        )
    if any(cls.__module__.startswith("torch_geometric") for cls in type(first).__mro__):  # DataBatch too
        raise TypeError(
            f"X holds PyG graphs ({type(first).__name__}); pass SMILES, or a GraphStore: "
            "graphs[[i]] selects graph i as a store, where graphs[i] gives a PyG Data."
        )


def check_smiles_for(estimator: object, X: ArrayLike, *, allow_empty: bool = False) -> np.ndarray:
    """:func:`check_smiles` of X given to a fitted ``estimator``, and X's column name against its
    fit's (:func:`check_column_name`)."""
    values = check_smiles(X, allow_empty=allow_empty)  # (which converts an Arrow-backed X itself)
    check_column_name(estimator, X, reset=False)
    return values
