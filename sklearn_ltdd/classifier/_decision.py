"""The balanced decision: post-hoc logit adjustment with its strength chosen on validation data.

argmax over ``log p_y(x) − τ · log π_y`` (Menon et al. 2021, "Long-tail learning via logit
adjustment"): τ = 0 is the plain argmax, which keeps the training prior; τ = 1 is the
Bayes-optimal rule for balanced error when p is calibrated. τ is picked from a grid for the
best balanced accuracy on the validation set, so a model that has already learnt a balanced
decision keeps τ near 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ..metrics import balanced_accuracy_score

__all__ = ["TAUS", "adjust", "adjusted_scores", "best_tau", "log_prior", "small_holdout_warnings_ignored"]

#: the τ candidates: 0 (argmax) to 3 in steps of 0.05
TAUS = np.round(np.arange(0, 3.0 + 1e-9, 0.05), 2)
_TINY = np.finfo(np.float32).tiny  # softmax outputs are float32; log of an underflowed 0


@contextmanager
def small_holdout_warnings_ignored() -> Iterator[None]:
    """A small hold-out can lack a tail class; its scores average over the classes it has."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true", UserWarning)
        warnings.filterwarnings("ignore", "A single label was found", UserWarning)
        yield


def log_prior(y: np.ndarray, n_classes: int, weights: np.ndarray | None = None) -> np.ndarray:
    """log π_c of the training labels, each counted with its weight (the class mass the loss sees).

    A class without mass counts as the smallest class that has some (as one sample unweighted).
    """
    mass = np.bincount(y, weights=weights, minlength=n_classes).astype(np.float64)
    mass[mass <= 0] = mass[mass > 0].min() if weights is not None else 1.0
    return np.log(mass / mass.sum())


def adjusted_scores(proba: np.ndarray, log_prior: np.ndarray, tau: float) -> np.ndarray:
    """The decision's scores log p − τ log π, whose argmax is the logit-adjusted class."""
    return np.log(np.maximum(proba, _TINY)) - tau * log_prior


def adjust(proba: np.ndarray, log_prior: np.ndarray, tau: float) -> np.ndarray:
    """Probabilities re-normalised after dividing by π^τ: softmax(log p − τ log π)."""
    if tau == 0:
        return proba.astype(np.float64)
    scores = adjusted_scores(proba, log_prior, tau)
    scores -= scores.max(axis=1, keepdims=True)
    out = np.exp(scores)
    return out / out.sum(axis=1, keepdims=True)


def best_tau(y: np.ndarray, proba: np.ndarray, log_prior: np.ndarray) -> tuple[float, float]:
    """The τ of :data:`TAUS` with the best balanced accuracy on (y, proba), and that accuracy.

    Ties go to the smallest τ: the least adjustment that does as well.
    """
    log_p = np.log(np.maximum(proba, _TINY))
    with small_holdout_warnings_ignored():
        scores = [balanced_accuracy_score(y, (log_p - tau * log_prior).argmax(axis=1)) for tau in TAUS]
    best = int(np.argmax(scores))
    return float(TAUS[best]), float(scores[best])
