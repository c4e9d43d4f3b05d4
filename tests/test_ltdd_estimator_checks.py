"""sklearn's full estimator-check suite on the real training path of both estimators, through
numeric input.

sklearn's checks feed numeric 2-D arrays, and skip string-input estimators. ``NumericLTDD`` (and
``NumericBaseline``) turns each numeric row into a two-node graph whose nodes carry the row, then
hands the graphs to the unchanged LTDDClassifier (BaselineClassifier): fit, the training step,
clustering, the model kept and prediction are all the real ones, so the checks exercise shapes,
errors, label handling, pickling and determinism.
"""

import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_ltdd import BaselineClassifier, GraphStore, LTDDClassifier, SubclusterSchedule


def rows_to_graphs(X: np.ndarray) -> GraphStore:
    """Each row becomes two nodes joined by an edge in both directions, both carrying the row; the
    edges carry one bond feature and the row is also the graph's fingerprint, so that the GINE
    encoder and the fingerprint branch can run too."""
    n = X.shape[0]
    x = torch.as_tensor(np.repeat(X, 2, axis=0), dtype=torch.float32)
    edge_index = torch.tensor([[0, 1], [1, 0]]).repeat(1, n)
    ptr = torch.arange(0, 2 * n + 1, 2)
    edge_attr, fingerprint = torch.ones(2 * n, 1), torch.tensor(X, dtype=torch.float32)
    return GraphStore(x, edge_index, ptr, ptr, edge_attr, fingerprint=fingerprint)


class Numeric:
    """A graph classifier reading numeric rows (test mode for sklearn's checks)."""

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float64)
        super().fit(rows_to_graphs(X), y, sample_weight=sample_weight)
        self.n_features_in_ = X.shape[1]  # the numeric columns, where LTDDClassifier reads one SMILES column
        return self

    def _numeric(self, X) -> GraphStore:
        check_is_fitted(self, "net_")
        return rows_to_graphs(validate_data(self, X, dtype=np.float64, reset=False))

    def predict_proba(self, X):
        return super().predict_proba(self._numeric(X))

    def predict_log_proba(self, X):  # what decision_function reads
        return super().predict_log_proba(self._numeric(X))

    def predict(self, X):  # (which decides a chunk at a time, reading no whole predict_log_proba)
        return super().predict(self._numeric(X))

    def transform(self, X):
        return super().transform(self._numeric(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = False  # rows of numbers, not a column of SMILES
        tags.input_tags.two_d_array = True
        tags.input_tags.string = False
        return tags


class NumericLTDD(Numeric, LTDDClassifier):
    pass


class NumericBaseline(Numeric, BaselineClassifier):
    pass


# on the CPU: the checks compare two fits, and a pickled model's predictions, to rtol 1e-7
# (check_fit_idempotent, check_estimators_pickle), which CUDA's non-deterministic sums do not repeat
RUN = {"max_epochs": 6, "hidden": 16, "batch_size": 16, "lr": 0.01, "random_state": 0, "device": "cpu"}
FAST = {**RUN, "schedule": SubclusterSchedule(warmup_epochs=1, update_every=2)}


EXPECTED_FAILURES = {
    # Mini-batch SGD sees a sample twice as often when it is repeated, but once with a doubled
    # weight; the fitted networks differ (as for any stochastic-gradient estimator), although the
    # weighted loss itself equals the repeated one (test_losses_and_weights).
    "check_sample_weight_equivalence_on_dense_data": "SGD on repeated rows differs from weighted rows",
    # The network computes in float32; which batch rows a graph shares can move the last bit
    # (seen: 1 of 60 probabilities off by 3e-8), while this check demands rtol 1e-7 of float64
    # output. test_predictions_do_not_depend_on_sample_order checks it at float32 tolerance.
    "check_methods_sample_order_invariance": "float32 network: 1-ulp changes with the batch composition",
    # The same on a subset of the rows (seen: 1 of 60 decision values off by 2e-7), since the wide
    # expert's faster rate gave larger weights; test_predictions_do_not_depend_on_sample_order
    # checks subsets too, at float32 tolerance.
    "check_methods_subset_invariance": "float32 network: 1-ulp changes with the batch composition",
}


@parametrize_with_checks(
    [
        NumericLTDD(**FAST),
        NumericBaseline(**RUN),
        NumericLTDD(encoder="gine", fingerprint="morgan", **FAST),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "make", [lambda: NumericLTDD(**FAST), lambda: NumericBaseline(**RUN)], ids=["ltdd", "ce"]
)
def test_predictions_do_not_depend_on_sample_order(make):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 3))
    y = (X[:, 0] > 0.5).astype(int)
    estimator = make().fit(X, y)
    order = rng.permutation(len(X))
    shuffled, plain = estimator.predict_proba(X[order]), estimator.predict_proba(X)[order]
    np.testing.assert_allclose(shuffled, plain, rtol=1e-5)
    np.testing.assert_allclose(estimator.transform(X[order]), estimator.transform(X)[order], atol=1e-6)
    for rows in (order[:7], order[7:]):  # and in subsets of the rows
        for method in ("predict_proba", "decision_function"):
            whole = getattr(estimator, method)(X)[rows]
            np.testing.assert_allclose(getattr(estimator, method)(X[rows]), whole, rtol=1e-5, atol=1e-6)
