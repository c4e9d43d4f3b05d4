"""Inference as every graph classifier of this package does it: SMILES (or graphs) in, featurised
and passed through the network a chunk of rows at a time, so that memory does not grow with the
input; the network's probabilities, the decision, the embedding, and sklearn's accuracy.

The screening helpers (:mod:`sklearn_ltdd.screen`) read a model through six of its methods:
:meth:`Inference._snapshot`, :meth:`~Inference._check_reads_smiles`,
:meth:`~Inference._log_probabilities`, :meth:`~Inference._decision_scores` (a screen decides
as ``predict`` does), :meth:`~Inference._find_invalid` and
:meth:`~Inference._invalid_input_error`, and its ``classes_``, ``feature_names_in_`` and
``graphizer_.atom_mapper``; a resumed screen knows its model by
:func:`~sklearn_ltdd.screen._resume.model_hash` (its fitted attributes and network weights); and
:func:`~sklearn_ltdd.screen.screen_dask` sends only the model's ``graphizer_`` to the workers
that look for bad rows, the featuriser being all that
:meth:`~Inference._find_invalid` reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Self

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import numpy_only, transform_output
from .._labels import few_of, warn_of_labels_written_otherwise
from .._progress import progress_bar
from .._sample_weight import check_sample_weight
from .._torch_state import torch_defaults
from ..featurize import GraphStore, GraphStorePair, InvalidSmilesError, MorganFingerprint
from ..featurize._errors import rows_named_by_index
from ..featurize._graph_features import FEATURE_SCHEMA
from ..featurize._graphizer import find_invalid, invalid_input_error
from ..featurize._input import check_smiles_for
from ._data import GraphDataset
from ._decision import (
    adjusted_scores,
    log_probabilities,
    probabilities,
    untrained_below_the_rest,
    with_untrained_classes,
)
from ._estimator_lock import estimator_lock
from ._inputs import PREDICT_ADVICE, check_labels, check_widths, described

__all__ = ["CHUNK_ROWS", "Inference"]

#: rows featurised and inferred at a time by predict, predict_proba and transform, so that memory
#: holds one chunk's graphs (about 100 MB) however many rows come in
CHUNK_ROWS = 10_000


def _rows_of(X: object) -> int | None:
    """How many rows X has, where it is a column of SMILES (a sequence, or a table or array of one
    column); None for anything else (one SMILES, a mapping, a row, many columns), which predict
    names as it reads X."""
    if isinstance(X, str | bytes | Mapping) or not hasattr(X, "__len__"):
        return None
    shape = getattr(X, "shape", None)
    if shape is not None and not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        return None
    return len(X)


class Inference(TransformerMixin):
    """The prediction side of :class:`~sklearn_ltdd.classifier._base.GraphClassifier` (a mixin,
    placed before sklearn's mixins, whose ``score`` and ``get_feature_names_out`` it extends). A
    TransformerMixin itself: sklearn's ``set_output`` wraps the ``transform`` of the class that
    defines it, this one.

    It reads what ``fit`` leaves (``_PREDICTS_WITH`` in ``_base``, which a saved model must hold,
    and ``net_`` and ``graphizer_``), ``verbose`` (a progress bar), and the estimator's
    ``_graphs`` and ``_graphizer``.
    """

    def _chunks(
        self, rows: np.ndarray | GraphStore | GraphStorePair, errors: str
    ) -> Iterator[tuple[int, GraphStore | GraphStorePair, dict]]:
        """Checked input, CHUNK_ROWS rows at a time: (first row, graphs, bad rows as ``{row: (value,
        reason)}``); a bad row is an empty graph marked in ``valid_mask``. With ``errors="raise"``
        every bad row is named before anything is inferred: for input longer than one chunk, by a
        parsing pass before anything is featurised, except rows the atom mapper fails on, which
        are named when their chunk is reached."""
        if isinstance(rows, GraphStore | GraphStorePair):
            for start in range(0, len(rows), CHUNK_ROWS):
                yield start, rows[start : start + CHUNK_ROWS], {}
            return
        if errors == "raise" and len(rows) > CHUNK_ROWS:
            if bad := self._find_invalid(rows):
                raise self._invalid_input_error(bad)
        graphizer = self._graphizer(errors="ignore")
        for start in range(0, len(rows), CHUNK_ROWS):
            graphs = graphizer.transform(rows[start : start + CHUNK_ROWS])
            bad = {start + row: item for row, item in graphizer.invalid_rows_.items()}
            if bad and errors == "raise":  # one chunk, or the atom mapper's failures
                raise self._invalid_input_error(bad)
            yield start, graphs, bad
            del graphs  # before the next chunk is made: memory holds one chunk, not two

    def _find_invalid(self, rows: np.ndarray) -> dict[int, tuple[object, str]]:
        """The rows the fit's featuriser would reject, found by parsing alone (:func:`find_invalid`)."""
        return find_invalid(rows, self.graphizer_)

    def _invalid_input_error(
        self, bad: dict[int, tuple[object, str]], advice: str = PREDICT_ADVICE, fitted: bool = True
    ) -> InvalidSmilesError:
        """The error naming rows that inference (or, not ``fitted``, a fit) cannot read, with advice
        for the call that met them."""
        return invalid_input_error(bad, self.graphizer_.atom_mapper, advice, fitted)

    def _infer(
        self,
        X: object,
        output: Callable[[GraphDataset], np.ndarray],
        width: int,
        errors: str = "raise",
        progress: bool | None = None,
        dtype: type = np.float32,
    ) -> tuple[np.ndarray, dict[int, tuple[object, str]]]:
        """``output`` (``width`` numbers of ``dtype`` per graph) of every row of X, featurised and
        computed chunk by chunk, so that memory holds one chunk's graphs and the outputs whatever
        the length of X.

        ``errors="raise"`` names every bad row before computing; ``"nan"`` gives bad rows NaN
        outputs and returns them as ``{row: (value, reason)}`` too. ``progress`` (default: when
        ``verbose``) shows a progress bar for inputs longer than one chunk.
        """
        if isinstance(X, GraphStore | GraphStorePair):
            self._check_schema()
            rows = self._graphs(X)
            check_widths(
                rows,
                self._widths_read(),
                "make them with the SmilesGraphizer settings of the fit, or pass SMILES",
            )
        else:
            self._check_reads_smiles()
            rows = check_smiles_for(self, X)
        out = np.full((len(rows), width), np.nan, dtype=dtype)
        bad: dict[int, tuple[object, str]] = {}
        show = (bool(self.verbose) if progress is None else progress) and len(rows) > CHUNK_ROWS
        with progress_bar(show, total=len(rows), unit="rows") as bar, rows_named_by_index(X):
            for start, graphs, chunk_bad in self._chunks(rows, errors):
                bad |= chunk_bad
                n_rows, valid = len(graphs), np.flatnonzero(graphs.valid_mask)
                if len(valid) < n_rows:
                    graphs = graphs[valid]
                if len(valid):
                    # the network's pass at torch's defaults, under its lock (threads
                    # featurise at once, pass one at a time), with the caller's random stream kept
                    # (a DataLoader draws a seed), forked only once the lock is held
                    with torch_defaults(), torch.random.fork_rng(devices=[]):
                        out[start + valid] = output(GraphDataset(graphs).to(self.net_.device))
                del graphs  # before the next chunk is made
                bar.update(n_rows)
        return out, bad

    def _check_schema(self) -> None:
        """Refuse a model fitted on the atom features of another release (callers check it is fitted)."""
        if self.feature_schema_ != FEATURE_SCHEMA:
            raise ValueError(
                f"this model was fitted on atom features of schema {self.feature_schema_}, but this release "
                f"computes schema {FEATURE_SCHEMA} (see the pitfalls page of the documentation); refit it."
            )

    def _widths_read(self) -> dict[str, int | None]:
        """The node features and fingerprint bits the fitted network reads."""
        return {
            "node features": self.n_node_features_,
            "fingerprint bits": self.net_.module__fingerprint_bits or None,
        }

    def _check_reads_smiles(self) -> None:
        """Refuse, before any row is read, a model that cannot score SMILES here: fitted on another
        schema of atom features, or on graphs built by hand (whose features SMILES need not give,
        even where their widths agree)."""
        self._check_schema()
        made_bits = None if self.graphizer_.fingerprint is None else MorganFingerprint().n_bits
        from_smiles = {
            "node features": len(self.graphizer_.get_feature_names_out()),
            "fingerprint bits": made_bits,
        }
        if from_smiles != (read := self._widths_read()):  # graphs built by hand: not the features of SMILES
            raise ValueError(
                f"this model was fitted on graphs of {described(read)}, but SMILES featurise to "
                f"{described(from_smiles)}; give it graphs like those of its fit."
            )
        # (a model saved before this check existed: nothing says how its graphs were made)
        if getattr(self, "_fitted_on_graphs_made_by_hand", False):
            raise ValueError(
                "this model was fitted on graphs without a recipe (a GraphStore built by hand, or "
                "pickled by a release before recipes), whose features SMILES need not give; give it "
                "graphs made as those of its fit, or fit it on SMILES or on SmilesGraphizer's graphs."
            )

    def _snapshot(self) -> Self:
        """The model as it stands, for one call to read whole: a shallow copy, taken under the lock
        this estimator's fit holds from start to end. A prediction that read this estimator chunk by
        chunk while another thread refitted it mixed the old network's outputs with the new
        ``classes_``, or met a first fit half done (an AttributeError); a fit replaces the fitted
        objects, and does not change those the snapshot holds."""
        with estimator_lock(self):
            model = object.__new__(type(self))
            model.__dict__.update(self.__dict__)
        return model

    def _decision_scores(self, log_proba: np.ndarray) -> np.ndarray:
        """The scores whose argmax is the prediction (``predict``'s, ``decision_function``'s and
        the screens'): ``log_proba`` with the training prior taken out ``logit_adjustment_`` times."""
        return adjusted_scores(log_proba, self.class_log_prior_, self.logit_adjustment_)

    def _log_proba_of(self, dataset: GraphDataset) -> np.ndarray:
        """The log-softmax of the network's outputs for ``dataset`` (float64, as validation
        reads them)."""
        return log_probabilities(self.net_.infer_dataset(dataset, 0)).cpu().numpy()

    def _log_proba_of_every_class(self, dataset: GraphDataset) -> np.ndarray:
        """:meth:`_log_proba_of` in the columns of ``classes_``: ``UNTRAINED`` (-1e300) in those
        of the classes fit did not train on (their samples all weighed 0: a prior of -inf)."""
        return with_untrained_classes(self._log_proba_of(dataset), np.isfinite(self.class_log_prior_))

    def _log_probabilities(self, X: object, errors: str = "raise", progress: bool | None = None):
        """:meth:`predict_log_proba` with the error modes of :meth:`_infer` (the screening helpers'
        way in)."""
        check_is_fitted(self, "net_")
        return self._infer(
            X, self._log_proba_of_every_class, len(self.classes_), errors, progress, np.float64
        )

    def predict_proba(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The network's class probabilities, columns in ``classes_`` order.

        With ``fingerprint="morgan"`` they are the normalised product of the two experts' (the
        deep model's and the fingerprint's class-balanced logistic regression's). They are not
        adjusted for the class prior, as with sklearn's decision-changing wrappers: log-loss
        reads them as they are (``CalibratedClassifierCV`` and the binary ROC-AUC scorer read
        :meth:`decision_function` where there is one; see ``docs/pitfalls.md``). ``predict`` takes
        the argmax of :meth:`decision_function`, which with ``decision="logit_adjusted"``
        subtracts τ · log π (τ = ``logit_adjustment_``) from their logarithm.

        Like ``predict``, ``decision_function`` and ``transform``, it featurises and infers
        10,000 rows at a time, so that memory does not grow with X beyond the outputs; one error
        names every invalid row before anything is inferred (for NaN scores instead, see
        :func:`sklearn_ltdd.screen.screen`). ``verbose`` shows a progress bar for longer inputs;
        ``joblib.parallel_config(n_jobs=2)`` featurises each chunk in two processes.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES), or graphs made with the fit's featuriser settings.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidSmilesError
            Naming every row of X that cannot be featurised, and why.
        """
        return probabilities(self._snapshot()._log_probabilities(X)[0])

    def predict_log_proba(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`, computed from the network's outputs: finite
        where a probability rounds to 0. A class whose samples all weighed 0 in fit (probability
        0) has −1e300, finite as the columns ``cross_val_predict`` fills for a class a fold's
        model lacks.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES), or graphs made with the fit's featuriser settings.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return self._snapshot()._log_probabilities(X)[0]

    def decision_function(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The scores of the decision: ``log p_c(x) − τ · log π_c`` per class.

        ``predict`` is their argmax. Of shape (n_samples,) for two classes (the score of
        ``classes_[1]`` minus that of ``classes_[0]``, positive for ``classes_[1]``, as in
        sklearn), else (n_samples, n_classes). A class whose samples all weighed 0 in fit scores
        30 below the row's lowest other score (its log-probability is −1e300), and is never
        predicted: finite, and in the scale of the others, for the models that are fitted on
        these scores (a stacking's final estimator, temperature scaling).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES), or graphs made with the fit's featuriser settings.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        model = self._snapshot()
        log_proba = model.predict_log_proba(X)  # checks fitted first
        scores = untrained_below_the_rest(
            model._decision_scores(log_proba), np.isneginf(model.class_log_prior_)
        )
        return scores[:, 1] - scores[:, 0] if len(model.classes_) == 2 else scores

    def predict(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The class of each sample: the argmax of :meth:`decision_function`'s scores.

        Decided a chunk of 10,000 rows at a time, from the network's outputs (as
        :meth:`predict_log_proba` computes them, without calling it), so that memory holds one
        chunk's scores, not every row's and class's.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES), or graphs made with the fit's featuriser settings.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels of ``classes_``, of the type ``y`` had in ``fit``.
        """
        model = self._snapshot()
        check_is_fitted(model, "net_")

        def decided(dataset: GraphDataset) -> np.ndarray:
            # a chunk's scores, decided there: the scores of all rows at once grew with X (40,000
            # molecules of 1,000 classes: 741 MB for the call, 410 MB now; benchmarks/large_fit.py)
            log_proba = model._log_proba_of_every_class(dataset)
            return model._decision_scores(log_proba).argmax(axis=1)[:, None]

        # (float64 holds every class position exactly; errors="raise" leaves no NaN row)
        positions, _ = model._infer(X, decided, 1, dtype=np.float64)
        return model.classes_[positions[:, 0].astype(np.intp)]

    def transform(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray | pd.DataFrame:
        """Unit-length learned embeddings (encoder in eval mode, clean graphs).

        Their columns are named by :meth:`get_feature_names_out` (the class name in lower case
        and a number: ``ltddclassifier0``, ..., ``baselineclassifier0``, ...).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES), or graphs made with the fit's featuriser settings.

        Returns
        -------
        embeddings : ndarray or DataFrame of shape (n_samples, n_features_out)
            float32; ``hidden`` columns per graph side, and ``hidden`` more for the fingerprint.
            Under ``set_output(transform="pandas")`` a DataFrame whose index is X's: a pandas X's,
            or the ``row_labels`` of graphs made from one.
        """
        model = self._snapshot()
        check_is_fitted(model, "net_")
        embed = model.net_.embed_dataset
        out = model._infer(X, lambda dataset: embed(dataset).cpu().numpy(), model._n_features_out)[0]
        labels = X.row_labels if isinstance(X, GraphStore | GraphStorePair) else None
        if labels is not None and transform_output(model) == "pandas":
            # sklearn's wrapper would number the rows 0, 1, ...: graphs are no pandas object
            return pd.DataFrame(out, index=labels, columns=model.get_feature_names_out(), copy=False)
        return out

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names of :meth:`transform`'s columns: the class name in lower case and a number.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Checked against ``feature_names_in_`` where the model was fitted on a named column of
            SMILES, as scikit-learn's transformers check them, unless they are the names of the
            graphizer's node features, which a Pipeline passes (the embedding's columns do not
            derive from them); else accepted and not read.

        Returns
        -------
        feature_names_out : ndarray of str of shape (n_features_out,)
            ``ltddclassifier0``, ``ltddclassifier1``, ... (``baselineclassifier0``, ... for the baselines).
        """
        graphizer = getattr(self, "graphizer_", None)  # (unfitted: NotFittedError, below)
        node_features = (
            graphizer is not None
            and input_features is not None
            and list(input_features) == list(graphizer.get_feature_names_out())
        )  # (a graphizer's before it in a Pipeline: the model may have been fitted on a table before)
        if getattr(self, "feature_names_in_", None) is not None and not node_features:
            return super().get_feature_names_out(input_features)
        return super().get_feature_names_out()

    @numpy_only
    def score(
        self, X: ArrayLike | GraphStore | GraphStorePair, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Accuracy (sklearn's convention); use ``balanced_f1_scorer`` for long-tailed data.

        A label not seen in ``fit`` counts as a wrong prediction, as with sklearn's classifiers
        (e.g. a rare class missing from a cross-validation training fold).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES), or graphs made with the fit's featuriser settings.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Checked as in ``fit`` (finite, non-negative, not all zero); only their ratios count.

        Returns
        -------
        score : float
            The fraction of samples predicted right (weighted, with ``sample_weight``).
        """
        check_is_fitted(self, "net_")
        # X's rows counted before they are predicted, and named as fit names them
        n = len(X) if isinstance(X, GraphStore | GraphStorePair) else _rows_of(X)
        y = check_labels(y, n, scored=True)
        text = [isinstance(v, str) for v in (y[0], self.classes_[0])] if len(y) else [True, True]
        if text[0] != text[1]:  # (sklearn's "Mix of label input types", after every row was predicted)
            raise ValueError(
                f"y holds {'text' if text[0] else 'numbers'} ({few_of(np.unique(y))}), but the model's "
                f"classes_ are {'text' if text[1] else 'numbers'} ({few_of(self.classes_)}): give y "
                "as fit was given its labels."
            )
        warn_of_labels_written_otherwise(y, self.classes_, "y", "the model's classes_")
        weights = check_sample_weight(sample_weight, len(y))  # named as fit and the metrics name them
        if weights is not None:  # only their ratios count: 1e308 each would overflow their sum
            weights = weights / weights.max()
        # a label unseen in fit is simply never predicted, as with sklearn's classifiers
        return super().score(X, y, sample_weight=weights)
