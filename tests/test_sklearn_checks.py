"""scikit-learn's own estimator checks, for the estimators that take numeric input."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ltdd import BalancedSubcluster

EXPECTED_FAILURES = {
    BalancedSubcluster: {
        # The check's random integer data contains an all-zero row, which has no direction on the
        # unit sphere; BalancedSubcluster rejects it on purpose with an error naming the row.
        "check_estimators_dtypes": "zero-norm rows are rejected by design",
    },
}


@parametrize_with_checks(
    [BalancedSubcluster(n_clusters=3, random_state=0)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES.get(type(estimator), {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
