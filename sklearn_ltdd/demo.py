"""The package's main job on its embedded data: ``python -m sklearn_ltdd.demo``.

Trains LTDD with the package defaults, LTDD as the paper runs it, the plain cross-entropy GNN
(the paper's encoder and classifier) and a fingerprint baseline on one embedded data set, and
prints balanced accuracy, balanced F1 and the head / middle / tail table on its test set:

- ``templates`` (the default): 5,598 USPTO-50k products labelled by their reaction template, 60
  classes with a natural long tail (:func:`~sklearn_ltdd.datasets.load_reaction_templates`),
  split 80/20, stratified by class and seeded by ``random_state``;
- ``solubility``: the Huuskonen set's three solubility classes, its training part made
  long-tailed with :func:`~sklearn_ltdd.datasets.make_long_tailed`, scored on the published
  test set.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from ._console import say
from .datasets import load_reaction_templates, load_solubility, make_long_tailed
from .metrics import balanced_accuracy_score, balanced_f1_score, long_tail_report
from .metrics._long_tail import GROUPS

__all__ = ["DATASETS", "demo_models", "load_demo_data", "main", "run"]


def demo_models(epochs: int, random_state: int) -> dict[str, ClassifierMixin]:
    """The models the demo compares, by display name."""
    # imported here, so that the command's --help loads no torch (seconds)
    from .classifier import PAPER_PROTOCOL, BaselineClassifier, LTDDClassifier, SubclusterSchedule
    from .featurize import MorganFingerprint

    run = {"max_epochs": epochs, "random_state": random_state}
    paper = {**PAPER_PROTOCOL, **run}
    # the paper's 10 warm-up epochs, fewer in a short run (the head trains only after them)
    ltdd = {"schedule": SubclusterSchedule(warmup_epochs=min(10, epochs // 3))}
    return {
        "Morgan + logistic regression (balanced weights)": make_pipeline(
            MorganFingerprint(), LogisticRegression(C=0.1, max_iter=2000, class_weight="balanced")
        ),
        "GCN + cross-entropy": BaselineClassifier(loss="ce", **paper),
        "LTDD, the paper's protocol (GCN)": LTDDClassifier(**paper, **ltdd),
        "LTDD, package defaults": LTDDClassifier(**run, **ltdd),
    }


DATASETS = ("templates", "solubility")


def load_demo_data(
    dataset: str = "templates", imbalance_ratio: float = 10.0, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """The training and test sets of a demo, and a line that describes them.

    Parameters
    ----------
    dataset : {"templates", "solubility"}, default="templates"
        ``"templates"``: the embedded reaction templates, split 80/20 stratified by class;
        ``"solubility"``: the solubility set's published split, its training part made
        long-tailed.
    imbalance_ratio : float, default=10.0
        Head / tail size ratio of the solubility training set; the templates keep their own tail.
    random_state : int, default=0
        Seed of the split (templates) or of the subsample (solubility).

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        SMILES and labels.
    description : str

    Examples
    --------
    >>> from sklearn_ltdd.demo import load_demo_data
    >>> X_train, y_train, X_test, y_test, description = load_demo_data("templates")
    >>> len(X_train), len(X_test), len(set(y_test))
    (4478, 1120, 60)
    """
    if dataset == "templates":
        X, y = load_reaction_templates(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, stratify=y, random_state=random_state
        )
        sizes = np.unique(y_train, return_counts=True)[1]
        description = (
            f"Reaction-template demo: {len(y_train)} training products in {len(sizes)} templates "
            f"({sizes.max()} down to {sizes.min()} per template, median {np.median(sizes):g}), "
            f"{len(y_test)} test products."
        )
    elif dataset == "solubility":
        data = load_solubility()
        train, test = data.split == "train", data.split == "test"
        keep = make_long_tailed(data.target[train], imbalance_ratio, random_state=random_state)
        X_train, y_train = data.data[train][keep], data.target[train][keep]
        X_test, y_test = data.data[test], data.target[test]
        labels, sizes = np.unique(y_train, return_counts=True)
        counts = ", ".join(f"{label} {size}" for label, size in zip(labels, sizes, strict=True))
        description = (
            f"Solubility demo: {len(y_train)} long-tailed training molecules "
            f"(imbalance ratio {imbalance_ratio:g}: {counts}), {len(y_test)} test molecules."
        )
    else:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}.")
    return X_train, y_train, X_test, y_test, description


def run(
    dataset: str = "templates", imbalance_ratio: float = 10.0, random_state: int = 0, epochs: int = 100
) -> pd.DataFrame:
    """Fit each demo model on the training set and print its test scores.

    Parameters
    ----------
    dataset : {"templates", "solubility"}, default="templates"
        The embedded data set (see :func:`load_demo_data`).
    imbalance_ratio : float, default=10.0
        Head / tail size ratio of the solubility training set; the templates keep their own tail.
    random_state : int, default=0
        Seed of the split (templates) or the subsample (solubility), and of the models.
    epochs : int, default=100
        Training epochs of the GNNs (at most, for the defaults, which stop early).

    Returns
    -------
    summary : pandas.DataFrame
        One row per model: BA, BF1, head/middle/tail BA and fit time in seconds.
    """
    X_train, y_train, X_test, y_test, description = load_demo_data(dataset, imbalance_ratio, random_state)
    say(description + "\n")
    rows = {}
    for name, model in demo_models(epochs, random_state).items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        y_pred = model.predict(X_test)
        report = long_tail_report(y_test, y_pred, y_train)
        say(f"== {name}  (fit {seconds:.1f} s)")
        say(report.round(3).to_string() + " \n")
        rows[name] = {
            "BA": balanced_accuracy_score(y_test, y_pred),
            "BF1": balanced_f1_score(y_test, y_pred),
            **{f"{group} BA": report.loc[group, "BA"] for group in GROUPS},
            "fit s": seconds,
        }
    summary = pd.DataFrame.from_dict(rows, orient="index")
    say("Summary (test set, balanced metrics):")
    say(summary.round(3).to_string())
    return summary


def _number(kind: type, low: float, high: float = math.inf, *, what: str) -> Callable[[str], object]:
    """An argparse type: a number of ``kind`` in [low, high], or a usage error that says so."""

    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sklearn_ltdd.demo``: :func:`run` with the command line's arguments (``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_ltdd.demo",
        description="Train LTDD (the package's defaults and the paper's protocol), a plain cross-entropy "
        "GNN and a Morgan-fingerprint logistic regression on an embedded long-tailed data set, and print "
        "their balanced scores on its test set, overall and for the head, middle and tail classes.",
    )
    parser.add_argument(
        "--dataset", choices=DATASETS, default="templates", help="embedded data set (default templates)"
    )
    parser.add_argument(
        "--imbalance-ratio", type=_number(float, 1, what="a finite ratio of 1 or more"), default=None,
        help="solubility only: head/tail size ratio of its training part (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--random-state", type=_number(int, 0, 2**32 - 1, what="a seed from 0 to 2**32 - 1"), default=0,
        help="seed of the split and the models",
    )  # fmt: skip
    parser.add_argument(
        "--epochs", type=_number(int, 1, what="a positive number of epochs"), default=100,
        help="training epochs of the GNNs (default 100)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.imbalance_ratio is not None and args.dataset != "solubility":  # the templates' tail is natural
        parser.error(f"--imbalance-ratio applies to --dataset solubility only, not {args.dataset}")
    if args.imbalance_ratio is None:
        args.imbalance_ratio = 10.0
    try:
        try:  # a ratio larger than the solubility set's head class can give is a usage error too
            load_demo_data(args.dataset, args.imbalance_ratio, args.random_state)
        except ValueError as error:
            parser.error(str(error))
        run(args.dataset, args.imbalance_ratio, args.random_state, args.epochs)
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog}: interrupted\n")


if __name__ == "__main__":
    main()
