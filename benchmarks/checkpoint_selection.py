"""Which epoch to keep: checkpoint-selection rules compared on the same training runs.

Run: ``.venv/bin/python benchmarks/checkpoint_selection.py --dataset hiv --seeds 0 1 2 --epochs 40``.

``LTDDClassifier()`` with its defaults (early stopping off, so every run has ``--epochs`` epochs)
is trained on ImDrug's split of each seed (``--dataset demo_templates``: the demo's split, with
a 10 % stratified hold-out of its training part for validation, as ``fit`` makes) while a
callback records the validation and test probabilities after every epoch, the product's and
the deep expert's alone. Besides the package's rule (the best validation BA, stopping after 20
epochs without a better one), a stopping rule that also waits for the deep expert's own
validation BA is replayed, with the epochs each rule would have trained. Each rule then picks
its epoch (or epochs) from the same trajectory, so the rules are compared on identical networks
and the seed noise of the test set cancels out of their differences. τ of the logit adjustment
is chosen on validation for the picked epoch, as ``fit`` does. The last row, the best test
epoch, is an oracle and not a rule: it is the ceiling that no selection rule can pass on that run.

The callback also keeps every epoch's weights, and after training the script scores the
networks whose weights are the mean of those of the 3, 5 or 10 best epochs, or of the best epoch
and every epoch after it (what the package keeps), among the epochs the package's early stopping
trains (the "until the package stops" rows, beside the same means of probabilities).

``--cache DIR`` keeps each run's probabilities (``<dataset>_s<seed>_e<epochs>.npz``) and reuses
them, so the rules can be re-scored without training again.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _common import data_dir, write
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.utils.class_weight import compute_sample_weight
from skorch.callbacks import Callback

from sklearn_ltdd.benchmark._methods import Features
from sklearn_ltdd.benchmark._tasks import load_task
from sklearn_ltdd.classifier import LTDDClassifier
from sklearn_ltdd.classifier._data import GraphDataset
from sklearn_ltdd.classifier._decision import adjust, best_tau
from sklearn_ltdd.classifier._validation import stratified_holdout
from sklearn_ltdd.demo import load_demo_data
from sklearn_ltdd.metrics import balanced_accuracy_score
from sklearn_ltdd.model_selection import imdrug_split

PATIENCE = 20  # the package's early_stopping default, replayed on the recorded scores
SPLITS = {"uspto50k_template": "random"}


class _RecordProbabilities(Callback):
    """Validation and test probabilities (before the logit adjustment) after every epoch, and
    with a wide expert also the deep expert's own (``<name>_deep``)."""

    def __init__(self, datasets: dict):
        self.datasets = datasets
        self.recorded = {}
        self.states = []  # the module's weights after every epoch, for the weight-averaging rules

    @torch.no_grad()
    def on_epoch_end(self, net, **kwargs) -> None:
        for name, dataset in self.datasets.items():
            outputs, h = net.forward(dataset, training=False)  # eval mode, as predict_proba
            recorded = {name: torch.softmax(outputs, dim=1)}
            if net.module_.wide is not None:
                recorded[f"{name}_deep"] = torch.softmax(net.module_.head(h), dim=1)
            for key, proba in recorded.items():
                self.recorded.setdefault(key, []).append(proba.cpu().numpy().astype(np.float32))
        self.states.append({k: v.detach().cpu().clone() for k, v in net.module_.state_dict().items()})

    @torch.no_grad()
    def averaged(self, net, epochs: list[int]) -> dict[str, np.ndarray]:
        """Validation and test probabilities of the network whose weights (and batch-norm
        statistics) are the mean of those after ``epochs``."""
        states = [self.states[e] for e in epochs]
        mean = {
            k: torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v
            for k, v in states[-1].items()
        }
        net.module_.load_state_dict(mean)
        return {
            name: torch.softmax(net.forward(dataset, training=False)[0], dim=1).cpu().numpy()[None]
            for name, dataset in self.datasets.items()
        }


class _RecordingClassifier(LTDDClassifier):
    """LTDDClassifier with a ``recorder`` callback added to its skorch net (benchmark only)."""

    recorder: _RecordProbabilities

    def _build_net(self, *args):
        net = super()._build_net(*args)
        net.callbacks.append(("record", self.recorder))
        return net


def _parts(dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SMILES, labels and the train, validation and test positions: ImDrug's split of a
    benchmark data set, or for ``demo_templates`` the demo's split, its training part holding
    out a validation set as ``fit`` does."""
    if dataset != "demo_templates":
        smiles, y = load_task(dataset, str(data_dir()))
        return smiles, y, *imdrug_split(y, SPLITS.get(dataset, "standard"), random_state=seed)
    X_train, y_train, X_test, y_test, _ = load_demo_data("templates", random_state=seed)
    train, valid = stratified_holdout(y_train, 0.1, np.random.RandomState(seed))
    test = np.arange(len(y_train), len(y_train) + len(y_test))
    return np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test]), train, valid, test


def record(dataset: str, seed: int, epochs: int) -> dict:
    """Train the defaults for ``epochs`` epochs and return the per-epoch probabilities."""
    smiles, y, train, valid, test = _parts(dataset, seed)
    graphs = Features(smiles, None, 1).graphs()
    classes = np.unique(y[train])
    recorder = _RecordProbabilities({"val": GraphDataset(graphs[valid]), "test": GraphDataset(graphs[test])})
    clf = _RecordingClassifier(max_epochs=epochs, early_stopping=None, random_state=seed)
    clf.recorder = recorder
    start = time.perf_counter()
    clf.fit(graphs[train], y[train], validation_data=(graphs[valid], y[valid]))
    assert np.array_equal(clf.classes_, classes)
    seconds = time.perf_counter() - start
    valid_ba = np.array(clf.history_[:, "valid_ba"], dtype=float)
    averages = {}
    for name, epochs in averaged_epochs(valid_ba).items():
        for part, proba in recorder.averaged(clf.net_, epochs).items():
            averages[f"{part}@weights {name}"] = proba
    return {
        **{key: np.stack(probas) for key, probas in recorder.recorded.items()},
        **averages,
        "y_val": np.searchsorted(classes, y[valid]),
        "y_test": np.searchsorted(classes, y[test]),
        "log_prior": clf.class_log_prior_,
        "valid_ba": valid_ba,
        "seconds": seconds,
    }


def _scored(valid_ba: np.ndarray) -> range:
    """The epochs the package scores (after the warm-up)."""
    return range(int(np.flatnonzero(np.isfinite(valid_ba))[0]), len(valid_ba))


def averaged_epochs(valid_ba: np.ndarray) -> dict[str, list[int]]:
    """The epochs whose weights or predictions the averaging rules take, all among the epochs
    the package's early stopping (patience 20) trains: the k best by validation BA, and the
    window from the best epoch to the stop."""
    ba = {e: valid_ba[e] for e in _scored(valid_ba)}
    best, stopped = _first_best_with_patience(ba)
    run = [e for e in ba if e <= stopped]
    sets = {f"the {k} best epochs": sorted(sorted(run, key=ba.get)[-k:]) for k in (3, 5, 10)}
    return {**sets, "the best epoch to the stop": list(range(best, stopped + 1))}


def _log(proba: np.ndarray) -> np.ndarray:
    """The log of recorded float32 probabilities (means of epochs' ones), a 0 read as float32's
    smallest, for the decision's functions: the decision as the package made it when this
    benchmark's figures were measured (it now reads the network's log-softmax, which differs only
    where a probability underflows)."""
    return np.log(np.maximum(proba, np.finfo(np.float32).tiny))


def balanced_log_loss(y: np.ndarray, proba: np.ndarray, log_prior: np.ndarray) -> float:
    """Log-loss of the prior-corrected probabilities (``p_c / π_c`` re-normalised: the logit
    adjustment with τ = 1), every class weighing the same: a smooth score, unlike BA."""
    weights = compute_sample_weight("balanced", y)
    adjusted = adjust(_log(proba), log_prior, 1.0)
    return log_loss(y, adjusted, sample_weight=weights, labels=np.arange(len(log_prior)))


def _test_ba(run: dict, epochs: list[int]) -> float:
    """Test BA of the mean probabilities of ``epochs``, τ chosen on validation as ``fit`` does."""
    val, test = run["val"][epochs].mean(axis=0), run["test"][epochs].mean(axis=0)
    tau = best_tau(run["y_val"], _log(val), run["log_prior"])[0]
    return 100 * balanced_accuracy_score(
        run["y_test"], adjust(_log(test), run["log_prior"], tau).argmax(axis=1)
    )


def _first_best_with_patience(scores: dict[int, float], *watched: dict[int, float]) -> tuple[int, int]:
    """The best epoch as the package keeps it, the first best, and the epoch training stops at:
    after PATIENCE epochs without a new best of ``scores`` nor of any ``watched`` score."""
    best, last_gain = None, {}
    for epoch, score in scores.items():
        if best is None or score > scores[best]:
            best = epoch
        for i, other in enumerate(watched):
            if i not in last_gain or other[epoch] > other[last_gain[i]]:
                last_gain[i] = epoch
        if epoch - max([best, *last_gain.values()]) >= PATIENCE:
            return best, epoch
    return best, epoch


def rules(run: dict) -> dict[str, float]:
    """Test BA of the epoch(s) each rule keeps (and, for the stopping rules, the epochs run)."""
    y_val, log_prior = run["y_val"], run["log_prior"]
    scored = _scored(run["valid_ba"])
    ba = {e: run["valid_ba"][e] for e in scored}  # what the package monitored: BA at the epoch's best τ
    neg_bll = {e: -balanced_log_loss(y_val, run["val"][e], log_prior) for e in scored}
    kept, stopped = _first_best_with_patience(ba)
    out = {
        "valid BA (the package)": _test_ba(run, [kept]),
        "valid BA (the package): epochs run": stopped + 1,
        "valid balanced log-loss": _test_ba(run, [_first_best_with_patience(neg_bll)[0]]),
    }
    if "val_deep" in run:  # early stopping that also waits for the deep expert's own valid BA
        deep = {e: best_tau(y_val, _log(run["val_deep"][e]), log_prior)[1] for e in scored}
        kept, stopped = _first_best_with_patience(ba, deep)
        out["valid BA, stopping when neither it nor the deep expert's improves"] = _test_ba(run, [kept])
        out["valid BA, stopping when neither ...: epochs run"] = stopped + 1
        deep_run = {**run, "val": run["val_deep"], "test": run["test_deep"]}
        deep_kept = _first_best_with_patience(deep)[0]
        out["the deep expert alone, its own valid BA"] = _test_ba(deep_run, [deep_kept])
    if run["val"].shape[2] == 2:
        auc = {e: roc_auc_score(y_val, run["val"][e][:, 1]) for e in scored}
        out["valid ROC-AUC"] = _test_ba(run, [_first_best_with_patience(auc)[0]])
    out["mean of the 5 best epochs by valid BA"] = _test_ba(run, sorted(scored, key=ba.get)[-5:])
    for name, epochs in averaged_epochs(run["valid_ba"]).items():
        out[f"until the package stops: mean probabilities of {name}"] = _test_ba(run, epochs)
        if f"val@weights {name}" in run:
            weights = {"val": run[f"val@weights {name}"], "test": run[f"test@weights {name}"]}
            out[f"until the package stops: mean weights of {name}"] = _test_ba({**run, **weights}, [0])
    out["last epoch"] = _test_ba(run, [len(run["val"]) - 1])
    out["best test epoch (oracle)"] = max(_test_ba(run, [e]) for e in scored)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="hiv")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    per_seed = {}
    for seed in args.seeds:
        path = None if args.cache is None else args.cache / f"{args.dataset}_s{seed}_e{args.epochs}.npz"
        if path is not None and path.exists():
            run = dict(np.load(path))
        else:
            run = record(args.dataset, seed, args.epochs)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(path, **run)
        per_seed[seed] = rules(run)
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in per_seed[seed].items()), flush=True)
    names = list(next(iter(per_seed.values())))
    header = " / ".join(f"seed {s}" for s in args.seeds)
    lines = [
        f"Checkpoint selection on {args.dataset}, package defaults, {args.epochs} epochs, test BA %:\n",
        f"| rule | mean | {header} |",
        "|---|---|---|",
    ]
    for name in names:
        values = [per_seed[s][name] for s in args.seeds]
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in values]
        lines.append(f"| {name} | {np.mean(values):.2f} | {' / '.join(cells)} |")
    results = {"epochs": args.epochs, "test_ba": per_seed}
    write(f"checkpoint_selection_{args.dataset}_e{args.epochs}", results, "\n".join(lines))


if __name__ == "__main__":
    main()
