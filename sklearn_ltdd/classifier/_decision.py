"""The balanced decision: post-hoc logit adjustment with its strength chosen on validation data.

argmax over ``log p_y(x) − τ · log π_y`` (Menon et al. 2021, "Long-tail learning via logit
adjustment"): τ = 0 is the plain argmax, which keeps the training prior; τ = 1 is the
Bayes-optimal rule for balanced error when p is calibrated. τ is picked from a grid for the
best balanced accuracy on the validation set, so a model that has already learnt a balanced
decision keeps τ near 0.

Everything here reads log-probabilities, the network's log-softmax: the log of a float32
probability loses every score below log(1.2e-38) ≈ −87 to one value, and with it the ranking of
confident predictions.

The search runs in torch where the outputs are (on the GPU during training) and is read back
once (on a CPU, where reading costs nothing, each row's search is cut to the classes that can win
it): every τ of the grid at once, per-class recall and balanced precision from scatter-adds of
the predictions (the marginals of the row-normalised confusion matrix; ``bincount`` would wait
for the device on CUDA).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import softmax

__all__ = [
    "TAUS",
    "UNTRAINED",
    "adjust",
    "adjusted_argmax",
    "adjusted_scores",
    "balanced_scores",
    "best_tau",
    "log_prior",
    "log_probabilities",
    "probabilities",
    "tau_search",
    "untrained_below_the_rest",
    "with_untrained_classes",
]

#: the τ candidates: 0 (argmax) to 3 in steps of 0.05
TAUS = np.round(np.arange(0, 3.0 + 1e-9, 0.05), 2)
#: the log-probability, and the decision's score, of a class that fit did not train on (its samples
#: all weighed 0): probability 0, never decided. Far below any log-probability of the float32
#: network (above −1e39) and finite, as scikit-learn's cross_val_predict fills the columns of a
#: class a fold's model lacks, but not its float minimum: −inf, or that minimum added to another
#: member's by Bagging's decision_function, made -inf and NaN of ensembles' and calibrators' sums
UNTRAINED = -1e300
#: how far below its row's least likely trained class ``decision_function`` scores a class fit
#: did not train on: as far as e^-30 (1e-13) of that class's odds, and in the scale of the other
#: scores, which the models fitted on scores (a stacking's final estimator, temperature scaling)
#: read as numbers: at −1e300 their solvers stopped at the start, every probability uniform
UNTRAINED_MARGIN = 30.0
#: scores held at once by the τ search (τ values × samples × classes), about 256 MB of float64
_SEARCH_ELEMENTS = 2**25
#: rows searched at once on a CPU (:func:`adjusted_argmax`), those of like numbers of contenders
_SEARCH_ROWS = 256
#: balanced accuracies closer than this are ties (rounding, not a better decision)
_TIE = 1e-12


def log_prior(y: np.ndarray, n_classes: int, weights: np.ndarray | None = None) -> np.ndarray:
    """log π_c of the training labels, each counted with its weight (the class mass the loss sees).

    A class counts at least as one sample of the mean weight (one sample, unweighted): the network
    cannot learn a prior far below that, and removing, say, the 1e-12 of a class weighted 1e-12
    would make it the prediction for every molecule.
    """
    mass = np.bincount(y, weights=weights, minlength=n_classes).astype(np.float64)
    one_sample = 1.0 if weights is None else float(np.mean(weights))
    mass = np.maximum(mass, one_sample)
    return np.log(mass / mass.sum())


def probabilities(log_proba: np.ndarray) -> np.ndarray:
    """``exp(log_proba)``, where an :data:`UNTRAINED` class's is 0 also under
    ``np.seterr(all="raise")`` (its exponent underflows)."""
    with np.errstate(under="ignore"):
        return np.exp(log_proba)


def log_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """The network's log-softmax in float64, as ``predict_log_proba`` gives it and validation
    chooses τ on: exact where a probability underflows float32 (a confident model's
    log-probabilities go far below −87)."""
    return torch.log_softmax(logits.double(), dim=1)


def adjusted_scores(log_proba: np.ndarray, log_prior: np.ndarray, tau: float) -> np.ndarray:
    """The decision's scores log p − τ log π, whose argmax is the logit-adjusted class.

    A class of prior 0 (log π = −inf: fit's samples of it all weighed 0) is not adjusted: it keeps
    its log-probability, :data:`UNTRAINED`, and is never decided.
    """
    untrained = np.isneginf(log_prior)
    if not untrained.any():
        return log_proba - tau * log_prior
    scores = log_proba - tau * np.where(untrained, 0.0, log_prior)
    scores[:, untrained] = log_proba[:, untrained]
    return scores


def untrained_below_the_rest(scores: np.ndarray, untrained: np.ndarray) -> np.ndarray:
    """``scores`` with the columns of the classes fit did not train on (``untrained``, a mask of
    them) put :data:`UNTRAINED_MARGIN` below the row's lowest other score (NaN in a NaN row)."""
    if not untrained.any():
        return scores
    scores = scores.copy()
    scores[:, untrained] = scores[:, ~untrained].min(axis=1, keepdims=True) - UNTRAINED_MARGIN
    return scores


def with_untrained_classes(log_proba: np.ndarray, trained: np.ndarray) -> np.ndarray:
    """The network's log-probabilities of the classes it trained on, spread over all the
    classes (``trained``, a mask of them), those it did not train on given :data:`UNTRAINED`;
    a row of NaN (a row that could not be read) stays NaN."""
    if trained.all():
        return log_proba
    spread = np.full((len(log_proba), len(trained)), UNTRAINED)
    spread[:, trained] = log_proba
    spread[np.isnan(log_proba).any(axis=1)] = np.nan
    return spread


def adjust(log_proba: np.ndarray, log_prior: np.ndarray, tau: float) -> np.ndarray:
    """Probabilities re-normalised after dividing by π^τ: softmax(log p − τ log π)."""
    return softmax(adjusted_scores(np.asarray(log_proba, dtype=np.float64), log_prior, tau), axis=1)


def balanced_scores(
    y: torch.Tensor, pred: torch.Tensor, n_classes: int, weight: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Balanced accuracy and balanced F1 (:mod:`sklearn_ltdd.metrics`) of each row of ``pred``
    (shape (k, n), class codes) against ``y`` (n,), each sample counted with its ``weight``
    (default 1), as two float64 tensors of shape (k,).

    Both average over the classes with mass in ``y``. Recall is ``TP_c / n_c`` and balanced
    precision ``recall_c / Σ_{i: pred_i = c} 1 / n_{y_i}``, the column sums of the row-normalised
    confusion matrix (with weights, n_c is the class's mass and each sample counts its weight).
    """
    weight = torch.ones_like(y, dtype=torch.float64) if weight is None else weight.double()
    n_c = torch.zeros(n_classes, dtype=torch.float64, device=y.device).scatter_add_(0, y, weight)
    present = n_c > 0
    n_c = torch.where(present, n_c, 1.0)  # (absent classes have no hits and no mass to divide)
    rows = torch.zeros(len(pred), n_classes, dtype=torch.float64, device=y.device)
    hits = rows.scatter_add(1, y.expand_as(pred), (pred == y).double() * weight)
    recall = hits / n_c
    column_mass = rows.scatter_add(1, pred, (weight / n_c[y]).expand(pred.shape))
    precision = torch.where(column_mass > 0, recall / column_mass.clamp_min(1e-300), 0.0)
    total = precision + recall
    f1 = torch.where(total > 0, 2 * precision * recall / total.clamp_min(1e-300), 0.0)
    n_present = present.sum().clamp_min(1)
    return (recall * present).sum(dim=1) / n_present, (f1 * present).sum(dim=1) / n_present


def tau_search(
    y: torch.Tensor,
    log_proba: torch.Tensor,
    log_prior: torch.Tensor,
    taus: torch.Tensor | None = None,
    weight: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The best τ of ``taus`` (default :data:`TAUS`) for balanced accuracy on (y, log_proba),
    samples counted with their ``weight``, and the balanced accuracy and balanced F1 of its
    decision: three 0-d float64 tensors where ``log_proba`` is, nothing read back from a GPU (on a
    CPU, :func:`adjusted_argmax` reads its scores). Ties go to the smallest τ: the least adjustment
    that does as well."""
    n_classes = log_proba.shape[1]
    log_p = log_proba.double()
    taus = torch.as_tensor(TAUS, device=log_proba.device) if taus is None else taus
    ba, bf1 = balanced_scores(y, adjusted_argmax(log_p, log_prior, taus), n_classes, weight)
    # the first τ within rounding of the best: equal rates summed in another order differ in the last bit
    best = (ba >= ba.max() - _TIE).int().argmax().unsqueeze(0)  # a 1-d index is not read back
    return taus[best][0], ba[best][0], bf1[best][0]


def adjusted_argmax(log_p: torch.Tensor, log_prior: torch.Tensor, taus: torch.Tensor) -> torch.Tensor:
    """The class of each row of ``log_p`` (n, C) at each τ of ``taus`` (k,): the argmax of
    ``log_p − τ · log_prior``, ties to the first class, shape (k, n).

    On a CPU each row is searched among the classes that can win it for some τ of the grid's range
    (:func:`_argmax_of_contenders`): a trained model's rows have a few, not C, and 61 passes over
    (n, C) took seconds an epoch at thousands of classes. On a GPU, where finding them would wait
    for the device, every class is scored.
    """
    if log_p.device.type != "cpu":
        return _argmax_of_every_class(log_p, log_prior, taus)
    return _argmax_of_contenders(log_p, log_prior, taus)


def _argmax_of_contenders(log_p: torch.Tensor, log_prior: torch.Tensor, taus: torch.Tensor) -> torch.Tensor:
    """:func:`adjusted_argmax` on a CPU, each row among its contenders: the class that wins it at
    the smallest τ, and those that score at least as much at the largest (a score is linear in τ,
    so a class below the first winner at both ends is below it throughout; a margin covers the
    rounding). Reads its tensors (free on a CPU); every class where a score is not finite."""
    if not (log_p.numel() and log_p.isfinite().all() and log_prior.isfinite().all()):
        return _argmax_of_every_class(log_p, log_prior, taus)
    # one-element tensors, not 0-d ones: a product with log_prior takes the dtype the grid's does
    bounds = taus.min().reshape(1), taus.max().reshape(1)
    # the rows a block at a time, twice (counted, then searched): no (n, C) copy is held beside log_p
    block = max(1, _SEARCH_ELEMENTS // 32 // max(1, log_p.shape[1]))  # 8 MB of float64 scores a block
    counts = torch.cat([_contenders(part, log_prior, *bounds)[0].sum(dim=1) for part in log_p.split(block)])
    winners = torch.empty((len(taus), len(log_p)), dtype=torch.long)
    for rows in torch.argsort(counts).split(_SEARCH_ROWS):  # rows with as many contenders side by side
        contender, at_highest = _contenders(log_p[rows], log_prior, *bounds)
        # each row's contenders (and, where it has fewer, other classes, which cannot win), in class order
        width = int(counts[rows[-1]])
        columns = torch.where(contender, at_highest, -torch.inf).topk(width, dim=1).indices.sort(dim=1).values
        chosen = _argmax_of_every_class(log_p[rows].gather(1, columns), log_prior[columns], taus, 8)
        winners[:, rows] = columns.gather(1, chosen.T).T
    return winners


def _contenders(
    log_p: torch.Tensor, log_prior: torch.Tensor, lowest: torch.Tensor, highest: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which classes can win each row for some τ in [lowest, highest] (:func:`_argmax_of_contenders`),
    and their scores at the highest. Every class of a row whose winner's score overflows there."""
    at_lowest = log_p - lowest * log_prior
    first = at_lowest.argmax(dim=1, keepdim=True)
    at_highest = log_p - highest * log_prior
    bar = at_highest.gather(1, first)
    # a margin far above the rounding of two scores of these magnitudes at any τ of the range; at
    # both ends (one level with the first winner at the smallest τ can tie it just above, as rounded)
    size = log_p.abs() + torch.maximum(lowest.abs(), highest.abs()) * log_prior.abs()
    margin = 1e-9 * (1 + size + size.gather(1, first))
    level = at_lowest >= at_lowest.gather(1, first) - margin
    return (at_highest >= bar - margin) | level | ~bar.isfinite(), at_highest


def _argmax_of_every_class(
    log_p: torch.Tensor, log_prior: torch.Tensor, taus: torch.Tensor, fraction: int = 1
) -> torch.Tensor:
    """:func:`adjusted_argmax` over every column, a few τ at a time in one buffer: memory stays
    bounded (by this ``fraction`` of :data:`_SEARCH_ELEMENTS`; a new block each time, under the
    allocator's threshold for returning it, grew the heap block by block). ``log_prior`` is (C,),
    or (n, C) where each row has its own classes."""
    n, n_classes = log_p.shape
    step = max(1, min(len(taus), _SEARCH_ELEMENTS // fraction // max(1, n * n_classes)))
    dtype = torch.promote_types(log_p.dtype, torch.promote_types(taus.dtype, log_prior.dtype))
    buffer = torch.empty((step, n, n_classes), dtype=dtype, device=log_p.device)
    winners = []
    for start in range(0, len(taus), step):
        tau = taus[start : start + step, None, None]
        scores = buffer[: len(tau)]
        # log p − τ log π, as written: the product (k, 1, C) small, or (k, n, C) in the buffer
        product = tau * log_prior if log_prior.ndim == 1 else torch.mul(tau, log_prior, out=scores)
        winners.append(torch.sub(log_p, product, out=scores).argmax(dim=2))
    return torch.cat(winners)


def best_tau(
    y: np.ndarray, log_proba: np.ndarray, log_prior: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, float]:
    """The τ of :data:`TAUS` with the best balanced accuracy on (y, log_proba), samples counted
    with their ``weight``, and that accuracy.

    Ties go to the smallest τ: the least adjustment that does as well.
    """
    tau, ba, _ = tau_search(
        torch.as_tensor(np.asarray(y), dtype=torch.long),
        torch.as_tensor(np.asarray(log_proba)),
        torch.as_tensor(np.asarray(log_prior), dtype=torch.float64),
        weight=None if weight is None else torch.as_tensor(np.asarray(weight), dtype=torch.float64),
    )
    return float(tau), float(ba)
