"""The models chemists try first: Morgan fingerprints with balanced classical classifiers."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from .._arguments import check_flags, check_n_jobs, check_seed
from ..featurize import MorganFingerprint
from ._names import FINGERPRINT_MODELS

__all__ = ["FINGERPRINT_MODELS", "make_fingerprint_model"]


def _classifier(model: str, random_state: int | None, n_jobs: int | None):
    if model == "lr":
        return LogisticRegression(class_weight="balanced", max_iter=2000)
    if model == "rf":
        return RandomForestClassifier(
            n_estimators=200, class_weight="balanced_subsample", n_jobs=n_jobs, random_state=random_state
        )
    if model == "hgb":
        return HistGradientBoostingClassifier(class_weight="balanced", random_state=random_state)
    raise ValueError(f"model must be one of {FINGERPRINT_MODELS}, got {model!r}.")


def make_fingerprint_model(
    model: str = "hgb",
    *,
    reaction: bool = False,
    random_state: int | np.random.RandomState | None = None,
    n_jobs: int | None = None,
    fingerprint: bool = True,
) -> Pipeline:
    """A Morgan-fingerprint pipeline with class-balanced weights.

    Parameters
    ----------
    model : {"lr", "rf", "hgb"}, default="hgb"
        Logistic regression, random forest (200 trees) or histogram gradient boosting.
    reaction : bool, default=False
        Reaction SMILES in: use the product-minus-reactants count difference fingerprint.
    random_state : int, RandomState instance or None, default=None
        Seeds the models that draw (the random forest, gradient boosting's validation split).
    n_jobs : int, default=None
        Random-forest parallelism.
    fingerprint : bool, default=True
        False leaves the fingerprint step out (for features computed once and reused).

    Returns
    -------
    pipeline : Pipeline
        Radius-2, 2048-bit Morgan fingerprint, then the classifier (the classifier alone with
        ``fingerprint=False``).

    Examples
    --------
    >>> from sklearn_ltdd.benchmark import make_fingerprint_model
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"]
    >>> model = make_fingerprint_model("lr").fit(smiles, [0, 0, 0, 1, 1, 1])
    >>> model.predict(["CCCCCO", "c1ccccc1CCC"]).tolist()
    [0, 1]
    """
    check_flags(reaction=reaction, fingerprint=fingerprint)  # reaction="no" would fingerprint reactions
    check_seed(random_state)  # (the logistic regression has no use for either: they went unread)
    check_n_jobs(n_jobs)
    steps = [_classifier(model, random_state, n_jobs)]
    if fingerprint:
        steps.insert(0, MorganFingerprint(reaction_mode="difference" if reaction else None))
    return make_pipeline(*steps)
