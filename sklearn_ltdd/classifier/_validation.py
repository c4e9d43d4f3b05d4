"""The validation set of a fit, which chooses the epochs kept and τ: held out of X by molecule, or
given; and the warnings where it cannot choose well (classes it lacks, training molecules in it,
a collapsed model)."""

from __future__ import annotations

import math

import numpy as np

from .._labels import class_members, few_of
from .._warnings import warn
from ..featurize import GraphStore, GraphStorePair
from ..featurize._graph_keys import graph_keys, identical_graphs
from ._data import GraphDataset
from ._decision import adjusted_scores

__all__ = [
    "COLLAPSED_LOSS",
    "DIVERGED_LOSS",
    "holdout",
    "stratified_holdout",
    "unpack_validation_data",
    "warn_if_diverged",
    "warn_of_classes_missing",
    "warn_of_training_molecules",
]

#: how far above log(n_classes) (nats) only a collapsed network's mean cross-entropy (on the
#: validation set, or on training rows) goes: the right class at e^-10 of a uniform guess's
#: probability, on average
COLLAPSED_LOSS = 10.0
#: how far above it no trained network's goes, whatever it predicts: the right class at e^-30 of
#: a uniform guess's probability, on average (lr=1 took a small fit's to 178 nats, lr=1e5 to 1e12;
#: lr=0.1 to 17, lr=0.01 to 1.2)
DIVERGED_LOSS = 30.0
#: how many samples beyond ``validation_fraction``'s share the hold-out takes before a warning
LARGE_HOLDOUT_EXCESS = 10


def stratified_holdout(
    y: np.ndarray, fraction: float, rng: np.random.RandomState, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation positions, stratified per class.

    Each class puts round(fraction · n_c) samples into validation, at least one when it has two
    or more, and always keeps at least one for training; a class with a single sample stays in
    training. (sklearn's stratified splitters refuse classes this small.)

    With ``groups`` (e.g. one id per molecule), a class's rows of one group go to one side
    together, and the rule counts the class's groups instead of its rows: copies of a molecule
    held out beside a copy in training would be scored as what the model learned. The draw is the
    same (a permutation of the class's rows, groups taken in the order they first appear), so a
    class without repeated groups splits exactly as without ``groups``, and one with a few
    repeats almost so.
    """
    train, valid = [], []
    for positions in class_members(y)[1]:
        members = rng.permutation(positions)
        # the class's groups in the order of the permutation (each row its own group without groups)
        member_groups = members if groups is None else groups[members]
        _, first = np.unique(member_groups, return_index=True)
        order = member_groups[np.sort(first)]
        n = len(order)
        n_valid = 0 if n < 2 else min(max(1, round(fraction * n)), n - 1)
        held_out = np.isin(member_groups, order[:n_valid])
        valid.append(members[held_out])
        train.append(members[~held_out])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))


def holdout(
    graphs: GraphStore | GraphStorePair,
    codes: np.ndarray,
    fraction: float,
    rng: np.random.RandomState,
    early_stopping: int | None,
    read: dict[str, bool],
) -> tuple[np.ndarray, np.ndarray]:
    """The training and hold-out positions of a fit's X (class codes ``codes``), stratified per
    class, with the copies of a molecule (graphs identical in what the network reads, ``read``:
    ``bonds`` and ``fingerprint`` or not, however written) on one side with their label. An
    empty hold-out is refused where ``early_stopping`` needs one, and warned of otherwise."""
    molecules = identical_graphs(graphs, **read)
    train_idx, valid_idx = stratified_holdout(codes, fraction, rng, molecules)
    pairs = np.column_stack([molecules, codes])
    if len(valid_idx):
        _warn_of_a_large_holdout(pairs, len(valid_idx), fraction)
    elif len(np.unique(pairs, axis=0)) < len(codes):
        # every class one molecule, written several times (a toy set): copies or nothing (a class
        # of two rows or more, which some class is here, holds one out)
        train_idx, valid_idx = stratified_holdout(codes, fraction, rng)
        warn(
            "every class is a single molecule (or reaction, or inputs the network cannot tell "
            "apart, as a GCN cannot tell E from Z), given several times: the "
            "validation hold-out holds copies of training molecules, so the epochs kept "
            "and τ are chosen on molecules the network trained on; pass validation_data "
            "of other molecules, or set validation_fraction=0 and early_stopping=None."
        )
    if not len(valid_idx):
        if early_stopping is not None:
            raise ValueError(
                "the validation hold-out is empty (every class has a single sample, which stays in "
                f"training), so early_stopping={early_stopping} has nothing to watch; set "
                "early_stopping=None or pass validation_data."
            )
        warn(
            "the validation hold-out is empty (every class has a single sample, which stays in "
            "training): nothing chooses the epochs kept or τ, as with validation_fraction=0 "
            "(the last epoch is kept); pass validation_data to choose them."
        )
    return train_idx, valid_idx


def _warn_of_a_large_holdout(pairs: np.ndarray, n_valid: int, fraction: float) -> None:
    """Say where the hold-out takes more than twice ``fraction`` of the samples (rows of
    ``pairs``: molecule, class): each class of two or more molecules gives one at least (with
    its copies), and on many small classes that is a third or half of the data, which the
    network then never trains on. A few samples more than the fraction's (a toy set, sklearn's
    estimator checks) are not worth a word."""
    expected = fraction * len(pairs)
    if n_valid <= 2 * expected or n_valid - expected < LARGE_HOLDOUT_EXCESS:
        return
    sizes = np.bincount(np.unique(pairs, axis=0)[:, 1])  # molecules per class, copies once
    small = np.count_nonzero((sizes >= 2) & (sizes * fraction < 1))
    warn(
        f"the validation hold-out takes {n_valid} of the {len(pairs)} samples "
        f"({n_valid / len(pairs):.0%}; validation_fraction={fraction:g}): each class of two or "
        f"more molecules gives at least one, with its copies, and {small} of the {len(sizes)} "
        f"classes have 2 to {math.ceil(1 / fraction) - 1}; training sees only the rest. Pass "
        "validation_data of other molecules, or set validation_fraction=0 and early_stopping=None "
        "to train on all of them (the last epoch is then kept, and τ is not chosen)."
    )


def unpack_validation_data(validation_data: object) -> tuple[object, object, object]:
    """``fit``'s ``validation_data`` as (X_valid, y_valid, sample_weight_valid or None)."""
    sequence = isinstance(validation_data, tuple | list)
    if not sequence or len(validation_data) not in (2, 3):
        n = len(validation_data) if sequence else 0
        got = f"{n} item{'s' * (n != 1)}" if sequence else f"a {type(validation_data).__name__}"
        raise ValueError(
            f"validation_data must be (X_valid, y_valid) or (X_valid, y_valid, sample_weight_valid), "
            f"got {got}."
        )
    valid_X, valid_y, *valid_weight = validation_data
    if valid_y is None:
        raise ValueError("validation_data is (X_valid, None); it needs the labels y_valid.")
    return valid_X, valid_y, valid_weight[0] if valid_weight else None


def warn_of_training_molecules(
    graphs: GraphStore | GraphStorePair, codes: np.ndarray, valid: GraphDataset, read: dict[str, bool]
) -> None:
    """Say where ``validation_data`` holds training molecules (graphs identical in what the
    network reads, ``read``) with their training labels: they are scored as what the network
    learned, not as new molecules."""
    learned = set(zip(graph_keys(graphs, **read), codes.tolist(), strict=True))
    given = zip(graph_keys(valid.graphs, **read), valid.y.tolist(), strict=True)
    seen = [i for i, pair in enumerate(given) if pair in learned]
    if seen:
        warn(
            f"{len(seen)} of the {len(valid)} rows of validation_data are training molecules with "
            f"their training labels (rows {seen[:10]}{' ...' if len(seen) > 10 else ''}): the epochs "
            "kept and τ are chosen partly on what the network trained on; validate on other molecules."
        )


def warn_of_classes_missing(
    classes: np.ndarray, valid_codes: np.ndarray, decision: str, given: bool = False, weighted: bool = False
) -> None:
    """Classes without a validation sample (of positive weight, where ``weighted``) have no say
    in the epochs kept and τ: those of ``validation_data`` (``given``), or of the internal
    hold-out, which keeps a class of one in training."""
    absent = np.setdiff1d(np.arange(len(classes)), valid_codes)
    if not len(absent):
        return
    listed = few_of(classes[absent])
    chosen = "the epochs kept are" if decision == "argmax" else "the epochs kept and τ are"
    if given:
        where, why, remedy = "validation_data has", "", "give validation_data a sample of every class"
    else:
        where = "the validation hold-out has"
        why = (
            "each has a single sample (of positive weight) or a single molecule (copies count as one), "
            "which stays in training, so "
        )
        remedy = "pass validation_data holding every class, or give these classes more samples"
    sample = "sample of positive weight" if weighted else "sample"
    others = "the other classes alone"
    if len(absent) == len(classes) - 1:  # as validation_data of one class is warned of
        (kept,) = np.setdiff1d(np.arange(len(classes)), absent)
        label = classes[[kept]].tolist()[0]  # a Python value, from any array of labels
        others = (
            f"the recall of {label!r} alone (a balanced accuracy over one class, "
            "which no decision in favour of the others can raise)"
        )
    warn(
        f"{where} no {sample} of {len(absent)} of the {len(classes)} classes ({listed}): "
        f"{why}{chosen} chosen on {others}; {remedy}."
    )


def warn_if_diverged(
    classes: np.ndarray,
    samples: GraphDataset,
    log_proba: np.ndarray,
    class_log_prior: np.ndarray,
    tau: float,
    lr: float,
    which: str = "validation samples",
) -> None:
    """Warn where a learning rate far too large has left outputs huge but finite, which no
    check of overflow sees: the model kept gives the ``samples`` (of positive weight; the
    validation set, or training rows in a fit without one, as ``which`` says) a mean
    cross-entropy ``DIVERGED_LOSS`` nats above log(n_classes), or it gives all of them, of
    several classes, one class, ``COLLAPSED_LOSS`` nats above. A model merely trained too little
    is spared: its outputs are near uniform, its cross-entropy near log(n_classes)."""
    weights = samples.sample_weight.cpu().numpy()
    scored = weights > 0
    y = samples.y.cpu().numpy()[scored]
    if not y.size:
        return
    log_proba = log_proba[scored]
    predicted = np.unique(adjusted_scores(log_proba, class_log_prior, tau).argmax(1))
    loss = np.average(-log_proba[np.arange(len(y)), y], weights=weights[scored])
    uniform = np.log(len(classes))
    entropy = f"a mean cross-entropy of {loss:.3g} (a uniform guess: {uniform:.2g})"
    # (one class predicted for samples of one class is no collapse; a loss of 30 nats is, whatever y)
    if predicted.size == 1 and np.unique(y).size > 1 and loss > uniform + COLLAPSED_LOSS:
        label, n_classes = classes[predicted].tolist()[0], np.unique(y).size
        what = f"predicts {label!r} for all {len(y)} {which}, of {n_classes} classes, with {entropy}"
    elif loss > uniform + DIVERGED_LOSS:
        what = f"gives the {len(y)} {which} {entropy}, far beyond a trained model's"
    else:
        return
    warn(
        f"the model {what}: training has diverged (see train_loss in history_); lower lr (lr={lr:g}).",
        RuntimeWarning,
    )
