"""What the internal hold-out costs a many-class task, and what refitting on all data gives back.

Run: ``.venv/bin/python benchmarks/holdout_refit.py --seeds 0 1``.

The task: USPTO-50k products labelled by reaction template, 200 templates drawn at random (seed 0)
from those with 10 to 59 reactions, split 80/20 stratified per seed. ``LTDDClassifier()`` keeps a
stratified 10 % of its training set to choose the epochs kept and τ, which takes one or two
members from a class of ten. Side by side on the same split:

- ``fp_lr``: Morgan fingerprint + balanced logistic regression on the whole training set;
- ``defaults``: ``LTDDClassifier(random_state=seed)``, hold-out inside;
- ``refit``: the same, then a second ``LTDDClassifier`` with the same parameters trained on the
  whole training set up to the best epoch of the first one, without a hold-out (so keeping its
  last epoch), deciding with the first one's τ. Since the defaults keep the mean of the weights
  from their best epoch on, the first fit is that mean; the figures in ``results/`` were taken
  when it kept the best epoch.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import data_dir, write
from sklearn.model_selection import train_test_split

from sklearn_ltdd import LTDDClassifier
from sklearn_ltdd.benchmark import make_fingerprint_model
from sklearn_ltdd.metrics import balanced_accuracy_score

N_TEMPLATES, SIZES = 200, (10, 59)


def task() -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(data_dir() / "uspto50k" / "USPTO_50k_MHN_prepro.csv.gz")
    counts = frame["reaction_smarts"].value_counts()
    eligible = counts.index[(counts >= SIZES[0]) & (counts <= SIZES[1])]
    chosen = np.random.default_rng(0).choice(np.sort(eligible.to_numpy()), N_TEMPLATES, replace=False)
    keep = frame["reaction_smarts"].isin(chosen).to_numpy()
    return frame["prod_smiles"].to_numpy(dtype=object)[keep], frame["reaction_smarts"].to_numpy()[keep]


def best_epoch(clf: LTDDClassifier) -> int:
    return int(np.flatnonzero(clf.history_[:, "valid_ba_best"])[-1]) + 1


def run(seed: int, X: np.ndarray, y: np.ndarray) -> dict:
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    out = {}

    def timed(name, fit):
        start = time.perf_counter()
        model = fit()
        seconds = time.perf_counter() - start
        out[name] = {"BA": balanced_accuracy_score(y_test, model.predict(X_test)), "fit_s": seconds}
        print(seed, name, out[name], flush=True)
        return model

    timed("fp_lr", lambda: make_fingerprint_model("lr").fit(X_train, y_train))
    first = timed("defaults", lambda: LTDDClassifier(random_state=seed).fit(X_train, y_train))
    epochs = best_epoch(first)

    def refit():
        clf = LTDDClassifier(random_state=seed, max_epochs=epochs, validation_fraction=0, early_stopping=None)
        clf.fit(X_train, y_train)
        clf.logit_adjustment_ = first.logit_adjustment_  # τ as chosen on the hold-out
        return clf

    timed("refit", refit)
    out["refit"]["fit_s"] += out["defaults"]["fit_s"]  # the refit needs the first fit's choice
    out["epochs"] = epochs
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    X, y = task()
    print(f"{len(y):,} products, {len(np.unique(y))} templates", flush=True)
    results = {str(seed): run(seed, X, y) for seed in args.seeds}
    names = ("fp_lr", "defaults", "refit")
    lines = [f"Hold-out and refit, {len(y):,} products of {N_TEMPLATES} templates, test BA %:\n",
             "| seed | " + " | ".join(names) + " | epochs chosen | fit s (defaults / with refit) |",
             "|---" * (len(names) + 3) + "|"]  # fmt: skip
    for seed, row in results.items():
        scores = " | ".join(f"{100 * row[n]['BA']:.2f}" for n in names)
        lines.append(f"| {seed} | {scores} | {row['epochs']} | "
                     f"{row['defaults']['fit_s']:.0f} / {row['refit']['fit_s']:.0f} |")  # fmt: skip
    write("holdout_refit", results, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
