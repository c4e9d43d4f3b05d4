"""Scores of in-memory SMILES as a table: one probability column per class, the predicted class,
and which rows were valid input."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext

import joblib
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._arguments import check_flags, check_n_jobs, is_integer, is_one_of
from .._csv import repeated_names
from .._labels import labelled_index
from ..classifier._base import GraphClassifier
from ..classifier._decision import probabilities
from ..classifier._wrapped import wrapped_classifier
from ..featurize import GraphStore, GraphStorePair, InvalidSmilesError, SmilesGraphizer
from ..featurize._input import check_column_name, check_smiles_for
from . import ERRORS

__all__ = [
    "SCREEN_ADVICE",
    "TOP_K_NONE",
    "check_columns",
    "check_errors",
    "check_model",
    "check_top_k",
    "featurising_jobs",
    "score_columns",
    "score_frame",
    "scores_of",
    "screen",
]

#: how a screen treats bad rows: name them all and stop, or score the rest and mark them
SCREEN_ADVICE = "Fix or remove these rows, or pass errors='nan' to score the others and mark these."


def check_errors(errors: object) -> str:
    if not is_one_of(errors, ERRORS):
        raise ValueError(f"errors must be one of {ERRORS}, got {errors!r}.")
    return errors


def check_model(model: object, smiles_column: str | None = None) -> GraphClassifier:
    """The fitted graph classifier to screen with: the model itself, or the classifier a Pipeline
    or fitted search ends in, when the Pipeline's other steps are SmilesGraphizers that featurise
    as the classifier's own featuriser does (any other step would be skipped). A table's
    ``smiles_column`` must be the column the model was fitted on, where it was fitted on a named
    one, as ``predict`` requires of a one-column table."""
    wrapper = model
    model, before = wrapped_classifier(model, "screen with")
    if not isinstance(model, GraphClassifier):
        raise TypeError(
            f"screening needs a fitted LTDDClassifier or BaselineClassifier (or a Pipeline, fitted search or "
            f"FrozenEstimator ending in one), got {type(model).__name__}; for other models, call their "
            "predict_proba on chunks of the library."
        )
    model = model._snapshot()  # read whole, should another thread refit it meanwhile
    check_is_fitted(model, "net_")
    model._check_reads_smiles()  # before a pass over the library, not after it
    mapper = model.graphizer_.atom_mapper
    for step in before:
        if step is None or step == "passthrough":
            continue
        if not isinstance(step, SmilesGraphizer) or step.atom_mapper not in (None, mapper):
            raise TypeError(
                "screening featurises SMILES with the classifier's own featuriser (atom_mapper="
                f"{mapper!r}), so a Pipeline may hold only SmilesGraphizers that map atoms as it does "
                f"before it; this one holds {step!r}. Call the pipeline's predict_proba on chunks of "
                "the library instead."
            )
    # a Pipeline's first step's, a search's best's; else the classifier's (after a passthrough)
    fitted = getattr(wrapper, "feature_names_in_", None)
    fitted = getattr(model, "feature_names_in_", None) if fitted is None else fitted
    if smiles_column is not None and fitted is not None and list(fitted) != [smiles_column]:
        raise ValueError(
            f"smiles_column is {smiles_column!r}, but this {type(wrapper).__name__} was fitted on the "
            f"column {fitted[0]!r}; score that column (or rename yours, if it holds the same kind of SMILES)."
        )
    return model


def featurising_jobs(model: object, n_jobs: int | None) -> int | None:
    """The processes a screen of ``model`` featurises in: ``n_jobs`` where given, else the
    ``n_jobs`` of a SmilesGraphizer in the Pipeline it ends in (as the Pipeline's own predict
    would), else None (joblib's context, one process unless the caller sets another)."""
    if n_jobs is not None:
        return n_jobs
    _, before = wrapped_classifier(model, "screen with")
    graphizers = [step for step in before if isinstance(step, SmilesGraphizer) and step.n_jobs is not None]
    return graphizers[0].n_jobs if graphizers else None


#: how ``top_k``'s refusal ends, but for the command, whose --top-k cannot be None
TOP_K_NONE = " (or None, the default: a probability per class)."


def check_top_k(top_k: object, model: GraphClassifier) -> int | None:
    """``top_k`` as a count of the model's classes to rank (None: a probability for each)."""
    if top_k is None:
        return None
    if not is_integer(top_k) or not 1 <= top_k <= len(model.classes_):
        raise ValueError(
            f"top_k must be a whole number from 1 to the model's {len(model.classes_)} classes, got "
            f"{top_k!r}{TOP_K_NONE}"
        )
    return int(top_k)


def score_columns(model: GraphClassifier, top_k: int | None = None) -> list[str]:
    """The columns a screen adds: the predicted class, one probability per class (or the ``top_k``
    classes ranked and their probabilities), validity, reason."""
    if top_k is None:
        ranked = [f"proba_{label}" for label in model.classes_]
    else:
        ranked = [column for rank in range(1, top_k + 1) for column in (f"class_{rank}", f"proba_{rank}")]
    return ["prediction", *ranked, "valid", "error"]


def _scores(
    model: GraphClassifier,
    log_proba: np.ndarray,
    bad: dict[int, tuple[object, str]],
    index: pd.Index,
    top_k: int | None = None,
) -> pd.DataFrame:
    valid = np.ones(len(log_proba), dtype=bool)
    valid[list(bad)] = False
    k = 1 if top_k is None else top_k
    ranked = np.full((len(log_proba), k), -1)  # -1: no category, so no class for a bad row
    if valid.any():
        scores = model._decision_scores(log_proba[valid])
        # the classes in the order of the decision (ties in classes_ order): the first is predict's
        ranked[valid] = (
            np.argsort(-scores, axis=1, kind="stable")[:, :k] if k > 1 else scores.argmax(axis=1)[:, None]
        )
    error = np.full(len(log_proba), None, dtype=object)
    for row, (_, reason) in bad.items():
        error[row] = reason
    columns = {"prediction": pd.Categorical.from_codes(ranked[:, 0], categories=model.classes_)}
    if top_k is None:
        proba = probabilities(log_proba)
        columns |= {f"proba_{label}": proba[:, c] for c, label in enumerate(model.classes_)}
    else:  # each ranked class's probability (NaN for a bad row, as its log-probabilities are)
        proba = probabilities(np.take_along_axis(log_proba, np.maximum(ranked, 0), axis=1))
        proba[~valid] = np.nan
        for rank in range(top_k):
            columns[f"class_{rank + 1}"] = pd.Categorical.from_codes(
                ranked[:, rank], categories=model.classes_
            )
            columns[f"proba_{rank + 1}"] = proba[:, rank]
    # a string dtype of its own, so that every chunk and partition agrees whether or not it has a bad row
    error = pd.array(error, dtype="string")
    return pd.DataFrame({**columns, "valid": valid, "error": error}, index=index)


def screen(
    model: BaseEstimator,
    X: ArrayLike,
    *,
    errors: str = "raise",
    n_jobs: int | None = None,
    progress: bool = False,
    top_k: int | None = None,
) -> pd.DataFrame:
    """Score SMILES with a fitted classifier, 10,000 at a time, and report every bad row.

    Parameters
    ----------
    model : LTDDClassifier or BaselineClassifier, or a Pipeline, search or FrozenEstimator ending in one
        A fitted model. A Pipeline's steps before the classifier may be SmilesGraphizers only:
        the classifier featurises the SMILES as they did.
    X : array-like of str
        SMILES (or reaction SMILES, as the model was fitted on), one per row.
    errors : {"raise", "nan"}, default="raise"
        ``"raise"``: every row that is not valid input is named (by X's index labels where X is
        a pandas object whose labels are unique, else by position), with its reason, in one
        :class:`~sklearn_ltdd.featurize.InvalidSmilesError` before anything is scored.
        ``"nan"``: such rows get NaN probabilities, no prediction, ``valid`` False and their
        reason in ``error``; no row is dropped or moved.
    n_jobs : int, default=None
        Processes that featurise each 10,000-row chunk (``joblib.parallel_config``), as in
        :func:`screen_file`; on two cores two processes featurise 1.6-1.75x faster. None: the
        ``n_jobs`` of the model's Pipeline's SmilesGraphizer where it sets one, else joblib's
        context (one process unless set otherwise).
    progress : bool, default=False
        Show a progress bar (for inputs longer than one chunk).
    top_k : int, default=None
        Instead of a probability per class, the ``top_k`` classes of each row in the order of the
        decision (``class_1`` is ``prediction``) with their ``predict_proba`` probabilities: for
        hundreds of classes (reaction templates, say), whose columns would be most of the output.

    Returns
    -------
    scores : DataFrame
        One row per row of X, in order (with X's index when X is a pandas object; an empty X
        gives an empty table of the same columns): ``prediction``
        (what ``model.predict`` gives, a categorical of ``model.classes_``), ``proba_<class>``
        (``model.predict_proba``'s columns; with ``top_k``, ``class_1``, ``proba_1``, ...,
        ``class_<top_k>``, ``proba_<top_k>``), ``valid`` and ``error``. With the default
        ``decision="logit_adjusted"`` the prediction takes the training set's class prior out of
        the probabilities, which keep it: it need not be the class of the largest ``proba_<class>``.

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier
    >>> from sklearn_ltdd.datasets import load_solubility
    >>> from sklearn_ltdd.screen import screen
    >>> data = load_solubility()
    >>> clf = LTDDClassifier(max_epochs=12, hidden=16, random_state=0).fit(data.data[:200], data.target[:200])
    >>> scores = screen(clf, ["CCO", "C1CC", "c1ccccc1O"], errors="nan")
    >>> scores["valid"].tolist()
    [True, False, True]
    >>> scores.loc[1, "error"]
    'RDKit cannot parse it: its syntax, e.g. a typo, an unclosed ring or branch, an unknown atom'
    """
    wrapper, model = model, check_model(model)
    check_errors(errors)
    check_n_jobs(n_jobs)
    n_jobs = featurising_jobs(wrapper, n_jobs)
    check_flags(progress=progress)
    top_k = check_top_k(top_k, model)
    if isinstance(X, GraphStore | GraphStorePair):
        raise TypeError(
            "screen reads SMILES (bad rows are named by their text); for graphs already made, call "
            "model.predict_proba(graphs) and model.predict(graphs)."
        )
    # no rows, an empty table: as score_frame and screen_file
    values = check_smiles_for(model, X, allow_empty=True)
    check_column_name(wrapper, X, reset=False)  # the column a Pipeline or a search was fitted on
    index = X.index if isinstance(X, pd.Series | pd.DataFrame) else pd.RangeIndex(len(values))
    if not len(values):
        return _scores(model, np.zeros((0, len(model.classes_))), {}, index, top_k)
    try:
        with nullcontext() if n_jobs is None else joblib.parallel_config(n_jobs=n_jobs):  # else the caller's
            log_proba, bad = model._log_probabilities(values, errors, progress)
    except InvalidSmilesError as error:
        failure = error
    else:
        return _scores(model, log_proba, bad, index, top_k)
    # the rows named as the scores' rows are, by X's index labels (outside the except clause, so
    # that the traceback shows one error)
    _raise_if_bad(failure.bad_rows, index, model, note_labels=labelled_index(X) is not None)
    raise failure


def check_columns(
    available: list[str],
    smiles_column: str,
    keep: Sequence[str] | None,
    model,
    where: str,
    note: str = "",
    top_k: int | None = None,
):
    """The kept columns (None: all), after checking that every named column exists and that none
    would be overwritten by the scores; ``note`` follows the message naming missing columns."""
    if isinstance(keep, str):
        raise TypeError(f"keep must be a list of column names, e.g. keep=[{keep!r}], not a string.")
    if keep is not None and (isinstance(keep, bytes) or not isinstance(keep, Iterable)):
        raise TypeError(f"keep must be a list of column names, got a {type(keep).__name__}.")
    try:  # (a list given, say: "unhashable type")
        hash(smiles_column)
    except TypeError:
        raise TypeError(
            f"smiles_column must be one column's name, got a {type(smiles_column).__name__}."
        ) from None
    repeated = repeated_names(available)
    if repeated:  # which of them a name means, or where each goes, nothing says
        raise ValueError(f"{where} has the column(s) {repeated} more than once; rename them.")
    keep = list(available) if keep is None else list(keep)
    if twice := repeated_names(keep):
        raise ValueError(f"keep names the column(s) {twice} more than once.")
    missing = [c for c in dict.fromkeys([smiles_column, *keep]) if c not in available]
    if missing:
        raise ValueError(f"{where} has no column(s) {missing}; its columns are {list(available)}{note}.")
    clash = [c for c in keep if c in score_columns(model, top_k)]
    if clash:
        raise ValueError(
            f"the input's columns {clash} would be overwritten by the scores; rename them first."
        )
    return keep


def score_frame(
    frame: pd.DataFrame,
    model: BaseEstimator,
    *,
    smiles_column: str = "smiles",
    keep: Sequence[str] | None = None,
    errors: str = "raise",
    top_k: int | None = None,
) -> pd.DataFrame:
    """Scores of one table of molecules beside its ``keep`` columns (default: all of them).

    The unit of work of :func:`screen_file` (one chunk) and :func:`screen_dask` (one partition).
    Bad rows are named by the frame's index labels (in a file screen, row numbers). An empty frame
    gives an empty table of the same columns and types.

    Parameters
    ----------
    frame : DataFrame
        Holds ``smiles_column``.
    model : LTDDClassifier or BaselineClassifier, or a Pipeline, search or FrozenEstimator ending in one
        A fitted model. A Pipeline's steps before the classifier may be SmilesGraphizers only:
        the classifier featurises the SMILES as they did.
    smiles_column : str, default="smiles"
        The column of SMILES (or reaction SMILES) to score.
    keep : list-like of str, default=None
        Input columns to copy beside the scores (identifiers, names); None keeps all.
    errors : {"raise", "nan"}, default="raise"
        As in :func:`screen`: ``"raise"`` names every bad row before anything is featurised.
    top_k : int, default=None
        As in :func:`screen`: the ``top_k`` classes ranked instead of a probability per class.

    Returns
    -------
    scores : DataFrame
        ``keep``'s columns, then :func:`screen`'s, with the frame's index.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ltdd import BaselineClassifier
    >>> from sklearn_ltdd.datasets import load_solubility
    >>> from sklearn_ltdd.screen import score_frame
    >>> data = load_solubility()
    >>> clf = BaselineClassifier(max_epochs=2, hidden=16, random_state=0)
    >>> clf = clf.fit(data.data[:100], data.target[:100])
    >>> frame = pd.DataFrame({"id": ["a", "b"], "smiles": ["CCO", "c1ccccc1O"]}, index=[10, 11])
    >>> scores = score_frame(frame, clf, keep=["id"])
    >>> scores.index.tolist(), scores["id"].tolist(), scores["valid"].tolist()
    ([10, 11], ['a', 'b'], [True, True])
    """
    if not isinstance(frame, pd.DataFrame):
        arrow = type(frame).__module__.partition(".")[0]  # polars' and pyarrow's tables convert
        if arrow in ("polars", "pyarrow"):
            raise TypeError(
                f"frame must be a pandas DataFrame holding the column {smiles_column!r}, got a {arrow} "
                f"{type(frame).__name__}; call .to_pandas() on it."
            )
        raise TypeError(
            f"frame must be a pandas DataFrame holding the column {smiles_column!r}, got a "
            f"{type(frame).__name__} (score_frame takes the frame first, then the model)."
        )
    model = check_model(model, smiles_column)
    check_errors(errors)
    top_k = check_top_k(top_k, model)
    keep = check_columns(list(frame.columns), smiles_column, keep, model, "the frame", top_k=top_k)
    if errors == "raise":
        smiles = frame[smiles_column].to_numpy(dtype=object)
        _raise_if_bad(
            model._find_invalid(smiles), frame.index, model, note_labels=labelled_index(frame) is not None
        )
    return scores_of(frame, model, smiles_column, keep, errors, top_k)


def _raise_if_bad(bad: dict, index: pd.Index, model: GraphClassifier, note_labels: bool = False) -> None:
    """Raise the error naming the ``bad`` rows (positions) by ``index``'s labels, if there are any."""
    if bad:
        error = model._invalid_input_error(bad, SCREEN_ADVICE)
        error.name_rows_by(index, note=note_labels)  # (a file's chunks are indexed by row number: no note)
        raise error


def scores_of(
    frame: pd.DataFrame,
    model: GraphClassifier,
    smiles_column: str,
    keep: list[str],
    errors: str,
    top_k: int | None = None,
) -> pd.DataFrame:
    """:func:`score_frame` of checked arguments and, with ``errors="raise"``, rows already checked
    (only the atom mapper's failures are left to raise)."""
    if len(frame) == 0:
        log_proba, bad = np.zeros((0, len(model.classes_))), {}
    else:
        log_proba, bad = model._log_probabilities(frame[smiles_column].to_numpy(dtype=object), "nan", False)
        if errors == "raise":
            _raise_if_bad(bad, frame.index, model)
    return pd.concat([frame[keep], _scores(model, log_proba, bad, frame.index, top_k)], axis=1)
