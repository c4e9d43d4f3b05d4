"""The methods the benchmark names (the paper's Table 2, the package's defaults and their
ablations, the fingerprint models), each fitted on one split; the binary threshold tuned on
validation; the scores of a prediction."""

from __future__ import annotations

import time
import warnings

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import column_or_1d

from .._console import say
from .._warnings import warn
from ..classifier import (
    PAPER_PROTOCOL,
    BaselineClassifier,
    LTDDClassifier,
    SubclusterSchedule,
)
from ..classifier._decision import adjust
from ..featurize import MorganFingerprint, SmilesGraphizer
from ..metrics import balanced_accuracy_score, balanced_f1_score, long_tail_report
from ..metrics._long_tail import GROUPS
from ._fingerprint_models import make_fingerprint_model
from ._names import METHODS

__all__ = [
    "METHODS",
    "PAPER",
    "VARIANTS",
    "Features",
    "fit_predict",
    "kept_of",
    "on_fingerprints",
    "paper_interval",
    "schedule_of",
    "scores_of",
    "tune_threshold",
]


#: the paper's network and protocol: GCN without bond features, no fingerprint, argmax, a fixed
#: number of epochs. Every row not named ``defaults*`` or ``ce_defaults`` starts from it.
PAPER = {k: v for k, v in PAPER_PROTOCOL.items() if k != "max_epochs"}


#: benchmark name → (LTDDClassifier's "ltdd" or BaselineClassifier's loss, parameters, whether the
#: schedule is the package's; a "schedule" entry holds SubclusterSchedule's parameters).
#: Paper-protocol rows: LTDD as published, two changes that act on binary tasks where the
#: paper's class weights are uniform (per-sub-cluster weights; the reference code's resampling),
#: and each optional component alone (bond-aware encoder, fingerprint fusion, logit-adjusted
#: decision). Defaults rows: the package's defaults (only ``max_epochs`` set), and each named
#: change from them: ``_nofp`` without the fingerprint (the earlier defaults), ``_best1`` keeping
#: the best epoch instead of the mean from it, ``_gine`` / ``_resample`` / ``_argmax`` for those
#: options, ``ce_`` plain CE on the same network.
VARIANTS = {
    "ltdd": ("ltdd", PAPER, False),
    "ltdd_subcluster": ("ltdd", {**PAPER, "schedule": {"weighting": "subcluster"}}, False),
    "ltdd_resample": ("ltdd", {**PAPER, "schedule": {"resample": True}}, False),
    "ce_resample": ("ce", {**PAPER, "resample": True}, False),
    "ltdd_gine": ("ltdd", {**PAPER, "encoder": "gine"}, False),
    "ltdd_fp": ("ltdd", {**PAPER, "fingerprint": "morgan"}, False),
    "ltdd_la": ("ltdd", {**PAPER, "decision": "logit_adjusted"}, False),
    "defaults": ("ltdd", {}, True),
    "defaults_best1": ("ltdd", {"average_from_best": False}, True),
    "defaults_resample": ("ltdd", {"schedule": {"resample": True}}, True),
    "defaults_gine": ("ltdd", {"encoder": "gine"}, True),
    "defaults_nofp": ("ltdd", {"fingerprint": None}, True),
    "defaults_gine_nofp": ("ltdd", {"fingerprint": None, "encoder": "gine"}, True),
    "defaults_argmax_nofp": ("ltdd", {"fingerprint": None, "decision": "argmax"}, True),
    "defaults_resample_nofp": ("ltdd", {"fingerprint": None, "schedule": {"resample": True}}, True),
    "ce_defaults": ("ce", {}, True),
    "ce_defaults_nofp": ("ce", {"fingerprint": None}, True),
}


def tune_threshold(y_valid: ArrayLike, p_valid: ArrayLike) -> float:
    """The decision threshold on P(class 1) that maximises balanced accuracy on validation data.

    Parameters
    ----------
    y_valid : array-like of shape (n_samples,)
        The validation labels as 0 and 1 (or False and True).
    p_valid : array-like of shape (n_samples,)
        The predicted probabilities of class 1, finite.

    Returns
    -------
    threshold : float
        Predict class 1 above it. With one class in ``y_valid`` no threshold balances two: 0.5,
        with a warning.

    Raises
    ------
    ValueError
        Where ``y_valid`` is empty or holds other labels than 0 and 1, or ``p_valid`` is not one
        probability in [0, 1] per label.

    Examples
    --------
    >>> from sklearn_ltdd.benchmark import tune_threshold
    >>> round(tune_threshold([0, 0, 1, 1], [0.1, 0.3, 0.35, 0.9]), 3)
    0.325
    """
    p_shape = np.shape(p_valid)
    if len(p_shape) == 2 and p_shape[1] == 2:  # predict_proba's two columns (column_or_1d blamed y)
        raise ValueError(
            f"p_valid must be P(class 1), one per sample, got an array of shape {p_shape}: of "
            "predict_proba's output give its second column, proba[:, 1]."
        )
    y_valid, p_valid = column_or_1d(y_valid, warn=False), column_or_1d(p_valid, warn=False)
    if len(y_valid) != len(p_valid):  # (sklearn's check names neither)
        raise ValueError(f"y_valid has {len(y_valid)} labels but p_valid has {len(p_valid)} probabilities.")
    if not len(y_valid):
        raise ValueError("y_valid and p_valid are empty; a threshold needs validation samples.")
    labels = np.unique(y_valid).tolist()
    if not set(labels) <= {0, 1}:  # 1 and 2 would be scored against predictions 0 and 1
        raise ValueError(
            f"y_valid must hold the classes 0 and 1 (the threshold is on P(class 1)), got the labels "
            f"{labels[:5]}; encode them first, e.g. (y_valid == positive_label)."
        )
    if not np.issubdtype(p_valid.dtype, np.number) or not np.isfinite(p_valid).all():
        raise ValueError("p_valid must hold finite probabilities of class 1 (it has NaN, infinity or text).")
    # scores of another scale gave a threshold of 3.55; arithmetic's last bits (an ensemble's
    # weighted mean of ones: 1.0000000000000002) are probabilities all the same
    slack = 16 * np.finfo(p_valid.dtype if np.issubdtype(p_valid.dtype, np.floating) else np.float64).eps
    if p_valid.min() < -slack or p_valid.max() > 1 + slack:
        raise ValueError(
            f"p_valid must hold probabilities of class 1, in [0, 1]; got values from {p_valid.min()!r} "
            f"to {p_valid.max()!r}."
        )
    if len(labels) == 1:
        warn(f"y_valid holds only the class {labels[0]}: no threshold balances two classes; 0.5 is kept.")
        return 0.5
    dtype = p_valid.dtype if np.issubdtype(p_valid.dtype, np.floating) else np.dtype(np.float64)
    points, at = np.unique(p_valid.astype(dtype), return_inverse=True)
    # candidate k predicts class 1 from points[k] up: "p > t" makes that cut for points[k-1] <= t <
    # points[k], in p's own precision (a float32 p is compared in float32), where a midpoint or a
    # step of 1e-9 may round onto a point: then the nearest value inside
    wide = points.astype(np.float64)
    wanted = np.concatenate([[wide[0] - 1e-9], (wide[:-1] + wide[1:]) / 2, [wide[-1] + 1e-9]]).astype(dtype)
    lower, upper = np.concatenate([[-np.inf], points]), np.concatenate([points, [np.inf]])
    candidates = np.where(
        wanted >= upper, np.nextafter(upper, -np.inf, dtype=dtype), np.maximum(wanted, lower)
    )
    # candidate k lies just below points[k]: class 1 is predicted from points[k] up, so each class's
    # recall at every candidate is a running count (one pass, not a scoring per candidate)
    positives = np.bincount(at, weights=(y_valid == 1).astype(float), minlength=len(points))
    negatives = np.bincount(at, minlength=len(points)) - positives
    true_negatives = np.concatenate([[0], np.cumsum(negatives)])
    true_positives = positives.sum() - np.concatenate([[0], np.cumsum(positives)])
    scores = (true_negatives / negatives.sum() + true_positives / positives.sum()) / 2
    return float(candidates[int(np.argmax(scores))])


def scores_of(y_true, y_pred, y_train, prefix: str) -> dict:
    report = long_tail_report(y_true, y_pred, y_train)
    out = {
        f"{prefix}BA": balanced_accuracy_score(y_true, y_pred),
        f"{prefix}BF1": balanced_f1_score(y_true, y_pred),
    }
    out.update({f"{prefix}BA_{group}": float(report.loc[group, "BA"]) for group in GROUPS})
    return out


class Features:
    """Graphs and fingerprints of the whole data set, computed once and sliced per split."""

    def __init__(self, smiles: np.ndarray, reaction_mode: str | None, n_jobs: int):
        self.smiles, self.reaction_mode, self.n_jobs = smiles, reaction_mode, n_jobs
        self._graphs = self._fingerprints = None

    def graphs(self):
        if self._graphs is None:
            start = time.perf_counter()
            # bond features and fingerprints for every row: each GNN row uses what it needs
            self._graphs = SmilesGraphizer(
                reaction_mode=self.reaction_mode, bond_features=True, fingerprint="morgan", n_jobs=self.n_jobs
            ).fit_transform(self.smiles)
            say(f"featurised {len(self.smiles):,} graphs in {time.perf_counter() - start:.0f} s")
        return self._graphs

    def fingerprints(self):
        if self._fingerprints is None:
            mode = "difference" if self.reaction_mode else None
            # an array whatever sklearn's transform_output (a DataFrame's [train] selects columns)
            fingerprint = MorganFingerprint(reaction_mode=mode).set_output(transform="default")
            self._fingerprints = fingerprint.fit_transform(self.smiles)
        return self._fingerprints


def fit_predict(method, features, y, train, valid, test, seed, args):
    """Fit one method; return validation and test probabilities (those the model decides by:
    logit-adjusted for the graph models), classes, seconds and run facts."""
    if on_fingerprints(method):
        X = features.fingerprints()
        start = time.perf_counter()
        model = make_fingerprint_model(
            method[3:], fingerprint=False, random_state=seed, n_jobs=args["n_jobs"]
        )
        model.fit(X[train], y[train])
        seconds = time.perf_counter() - start
        return model.predict_proba(X[valid]), model.predict_proba(X[test]), model.classes_, seconds, {}
    graphs = features.graphs()
    kind, variant, package_schedule = _variant(method)
    params = {**variant, "reaction_mode": features.reaction_mode, "max_epochs": args["epochs"],
              "device": args["device"], "verbose": args["verbose"], "random_state": seed}  # fmt: skip
    start = time.perf_counter()
    if kind == "ltdd":
        schedule = params.pop("schedule", {})
        if not package_schedule:
            schedule = {"warmup_epochs": args["warmup"], "update_every": args["update_every"], **schedule}
        clf = LTDDClassifier(schedule=SubclusterSchedule(**schedule) if schedule else None, **params)
    else:
        clf = BaselineClassifier(loss=kind, **params)
    with warnings.catch_warnings():
        # ImDrug's split is of rows, as the paper's protocol has it: a repeated molecule may sit in
        # training and validation alike (docs/results.md counts them), for every method the same
        warnings.filterwarnings("ignore", message=r".* rows of validation_data are training molecules")
        clf.fit(graphs[train], y[train], validation_data=(graphs[valid], y[valid]))
    seconds = time.perf_counter() - start
    # graphs actually trained on: resampling changes the epoch size, early stopping the epochs
    trained = sum(map(sum, clf.history_[:, "batches", :, "train_batch_size"]))
    facts = {"graphs_per_s": trained / seconds, "epochs_run": len(clf.history_), "tau": clf.logit_adjustment_}

    # the classifier's decision (logit-adjusted), whose argmax is its prediction
    def decided(rows):
        return adjust(clf.predict_log_proba(graphs[rows]), clf.class_log_prior_, clf.logit_adjustment_)

    return decided(valid), decided(test), clf.classes_, seconds, facts


def paper_interval(epochs: int | None) -> int:
    """The paper's warm-up and re-clustering interval: 10 of its 300 epochs, at least 1."""
    return max(1, round((epochs or 0) / 30))


def on_fingerprints(method: str) -> bool:
    """Whether ``method`` is a fingerprint model (``fp_lr``, ...), trained without graphs or epochs."""
    return method.startswith("fp_")


def _variant(method: str) -> tuple[str, dict, bool]:
    """(kind, parameters, keeps the package's schedule) of a graph row; a baseline loss trains as
    the paper does (its parameters and schedule)."""
    return VARIANTS.get(method, (method, PAPER, False))


def schedule_of(method: str, args: dict) -> dict:
    """The warm-up and re-clustering interval of a run: ``args``' for the paper-protocol LTDD rows,
    None where the row's schedule is the package's or it has none."""
    if not follows_paper_schedule(method):
        return {"warmup": None, "update_every": None}
    return {"warmup": args["warmup"], "update_every": args["update_every"]}


def follows_paper_schedule(method: str) -> bool:
    """Whether ``method`` is a paper-protocol LTDD row, whose warm-up and re-clustering interval
    are the benchmark's ``warmup`` and ``update_every``."""
    kind, _, package_schedule = _variant(method)
    return kind == "ltdd" and not package_schedule


def kept_of(method: str) -> str | None:
    """What a run's network keeps: "mean_from_best" or "best" (its ``average_from_best``); None
    for a fingerprint model."""
    if on_fingerprints(method):
        return None
    params = _variant(method)[1]
    return "mean_from_best" if params.get("average_from_best", True) else "best"
