"""Train every method on the same ImDrug split, evaluate on test, write JSON lines and a markdown table."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
import warnings
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_consistent_length, column_or_1d

from .. import __version__
from .._compat import Interval, check_n_jobs
from .._csv import repeated_names
from .._torch_device import parse_device
from .._warnings import warn
from ..classifier import (
    BASELINE_LOSSES,
    PAPER_PROTOCOL,
    BaselineClassifier,
    LTDDClassifier,
    SubclusterSchedule,
)
from ..classifier._decision import adjust
from ..classifier._device import resolve_device
from ..datasets import load_hiv, load_sbap, load_solubility, load_uspto50k
from ..featurize import MorganFingerprint, SmilesGraphizer
from ..featurize._cgr import CGR_MODES, GRAPH_REACTION_MODES
from ..metrics import balanced_accuracy_score, balanced_f1_score, long_tail_report
from ..metrics._long_tail import GROUPS
from ..model_selection import imdrug_split
from ..model_selection._imdrug import SPLITS, seed_list
from ._fingerprint_models import FINGERPRINT_MODELS, make_fingerprint_model

__all__ = ["METHODS", "run_benchmark", "summarise", "tune_threshold"]

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
METHODS = (*VARIANTS, *BASELINE_LOSSES, *(f"fp_{m}" for m in FINGERPRINT_MODELS))
#: what a run without ``methods`` trains: the paper's Table 2 (its baselines, LTDD) and two
#: fingerprint models; its seeds, epochs (the paper's) and results folder
PAPER_TABLE = ("ce", "cs", "bs", "ltdd", "fp_lr", "fp_hgb")
DEFAULT_SEEDS = (0, 1, 2)
PAPER_EPOCHS = 300
DEFAULT_OUT = "results/benchmark"
#: the data sets :func:`run_benchmark` knows (the paper's, the tasks built from them, the demo's)
DATASETS = (
    "hiv",
    "hiv_lt50",
    "uspto50k",
    "uspto50k_template",
    "uspto50k_template_tail",
    "sbap",
    "solubility",
)
REACTION_DATASETS = {"uspto50k"}
#: what the benchmark makes of SBAP's (ligand, protein) pairs, said when it loads them
SBAP_LIGANDS_ONLY = (
    "sbap: each (ligand, protein) pair is classified by its ligand's SMILES alone: the package has no "
    "protein encoder and the proteins are not used, so a ligand with other labels against other "
    "proteins cannot be told apart (the paper's network, Figure 2, reads the drug graph alone)."
)
#: built tasks: USPTO-50k products labelled by reaction template, templates with at least this many
#: reactions (335 classes from 20 up; 676 from 10 up, median 19 members: the longest tail), and HIV
#: cut to imbalance 50 (10,000 inactive, 200 active, drawn with seed 0)
MIN_TEMPLATE_COUNT = {"uspto50k_template": 20, "uspto50k_template_tail": 10}
HIV_LT50 = (10_000, 200)


def _load(
    dataset: str, data_home: str | None, mapped: bool = False, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and labels; ``mapped``: reactions atom-mapped by rxnmapper, for the CGR modes."""
    try:
        return _loaded(dataset, data_home, mapped, download)
    except ValueError as error:  # the loaders' word on a file that is not the data set
        raise DataError(str(error)) from error


def _loaded(
    dataset: str, data_home: str | None, mapped: bool, download: bool
) -> tuple[np.ndarray, np.ndarray]:
    where = {"data_home": data_home, "download": download}
    with warnings.catch_warnings():
        # invalid rows are reported below instead, and duplicates are the data set's; the rest is
        # said (a download's sha256, where none is published, or a file of another row count)
        warnings.filterwarnings("ignore", r".*rows (cannot be parsed|repeat an earlier row)", UserWarning)
        if dataset == "hiv":
            bunch = load_hiv(**where)
        elif dataset == "uspto50k":
            bunch = load_uspto50k(**where, mapping="rxnmapper" if mapped else None)
        elif dataset in MIN_TEMPLATE_COUNT:
            frame = load_uspto50k(**where, as_frame=True).frame
            return _template_task(frame, MIN_TEMPLATE_COUNT[dataset])
        elif dataset == "hiv_lt50":
            return _hiv_lt50(*_loaded("hiv", data_home, False, download))
        elif dataset == "sbap":
            bunch = load_sbap(**where)
            print(SBAP_LIGANDS_ONLY)
        elif dataset == "solubility":
            data = load_solubility()
            return data.data, data.target
        else:  # (run_benchmark checks first; the benchmarks/ scripts call this directly)
            raise ValueError(f"unknown dataset {dataset!r}; choose from {list(DATASETS)}.")
    if bunch.invalid:
        print(f"{dataset}: leaving out {len(bunch.invalid)} rows RDKit cannot parse: {sorted(bunch.invalid)}")
    keep = np.setdiff1d(np.arange(len(bunch.data)), list(bunch.invalid))
    return bunch.data[keep], bunch.target[keep]


def _template_task(frame: pd.DataFrame, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """USPTO-50k products labelled by reaction template, for templates of at least ``min_count`` reactions."""
    counts = frame["reaction_smarts"].value_counts()
    keep = frame["reaction_smarts"].isin(counts.index[counts >= min_count]).to_numpy()
    return frame["prod_smiles"].to_numpy(dtype=object)[keep], frame["reaction_smarts"].to_numpy(dtype=object)[
        keep
    ]


def _hiv_lt50(smiles: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HIV at imbalance 50: a fixed random draw of inactive and active molecules."""
    have = np.bincount(y.astype(int), minlength=len(HIV_LT50))
    if np.any(have < HIV_LT50):
        raise ValueError(
            f"hiv_lt50 draws {HIV_LT50[0]:,} inactive and {HIV_LT50[1]:,} active molecules from HIV, but "
            f"this HIV file has {have[0]:,} and {have[1]:,}; use the whole data set (load_hiv)."
        )
    rng = np.random.default_rng(0)
    rows = [rng.choice(np.flatnonzero(y == label), n, replace=False) for label, n in enumerate(HIV_LT50)]
    keep = np.sort(np.concatenate(rows))
    return smiles[keep], y[keep]


def tune_threshold(y_valid: np.ndarray, p_valid: np.ndarray) -> float:
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
        Where ``y_valid`` is empty or holds other labels than 0 and 1, or ``p_valid`` is not finite.

    Examples
    --------
    >>> round(tune_threshold([0, 0, 1, 1], [0.1, 0.3, 0.35, 0.9]), 3)
    0.325
    """
    y_valid, p_valid = column_or_1d(y_valid, warn=False), column_or_1d(p_valid, warn=False)
    check_consistent_length(y_valid, p_valid)
    labels = np.unique(y_valid).tolist()
    if not labels or not set(labels) <= {0, 1}:  # 1 and 2 would be scored against predictions 0 and 1
        raise ValueError(
            f"y_valid must hold the classes 0 and 1 (the threshold is on P(class 1)), got the labels "
            f"{labels[:5]}; encode them first, e.g. (y_valid == positive_label)."
        )
    if not np.issubdtype(p_valid.dtype, np.number) or not np.isfinite(p_valid).all():
        raise ValueError("p_valid must hold finite probabilities of class 1 (it has NaN, infinity or text).")
    if len(labels) == 1:
        warn(f"y_valid holds only the class {labels[0]}: no threshold balances two classes; 0.5 is kept.")
        return 0.5
    points = np.unique(p_valid)
    candidates = np.concatenate([[points[0] - 1e-9], (points[:-1] + points[1:]) / 2, [points[-1] + 1e-9]])
    scores = [balanced_accuracy_score(y_valid, (p_valid > t).astype(int)) for t in candidates]
    return float(candidates[int(np.argmax(scores))])


def _scores(y_true, y_pred, y_train, prefix: str) -> dict:
    report = long_tail_report(y_true, y_pred, y_train)
    out = {
        f"{prefix}BA": balanced_accuracy_score(y_true, y_pred),
        f"{prefix}BF1": balanced_f1_score(y_true, y_pred),
    }
    out.update({f"{prefix}BA_{group}": float(report.loc[group, "BA"]) for group in GROUPS})
    return out


class ResultsFileError(ValueError):
    """A results file cannot be resumed or summarised as it is (the command says so in one line)."""


class MixedSettingsError(ResultsFileError):
    """A results file holds a method's runs of other settings than those asked for."""


class DataError(ValueError):
    """The data set's file cannot be read as the data set (the command says so in one line)."""


class SplitError(ValueError):
    """The data set cannot be cut by the split asked for (the command says so in one line)."""


class _Features:
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
            print(
                f"featurised {len(self.smiles):,} graphs in {time.perf_counter() - start:.0f} s", flush=True
            )
        return self._graphs

    def fingerprints(self):
        if self._fingerprints is None:
            mode = "difference" if self.reaction_mode else None
            self._fingerprints = MorganFingerprint(reaction_mode=mode).fit_transform(self.smiles)
        return self._fingerprints


def _fit_predict(method, features, y, train, valid, test, seed, args):
    """Fit one method; return validation and test probabilities (those the model decides by:
    logit-adjusted for the graph models), classes, seconds and run facts."""
    if _on_fingerprints(method):
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


def check_arguments(
    dataset: str,
    seeds: int | Sequence[int],
    methods: Sequence[str],
    epochs: int,
    warmup: int | None,
    update_every: int | None,
    reaction_mode: str | None,
    n_jobs: int,
    split: str = "standard",
    device: str = "auto",
) -> list[int]:
    """Check :func:`run_benchmark`'s arguments before any work; return the seeds as a list.

    A ValueError or TypeError names the argument.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {list(DATASETS)}.")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}.")
    seeds = seed_list(seeds)
    if isinstance(methods, str):  # its letters would be the methods
        raise TypeError(f"methods must be a list of method names, e.g. [{methods!r}], not a string.")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {list(METHODS)}.")
    for name, values in (("seeds", seeds), ("methods", list(methods))):
        if twice := repeated_names(values):  # a run asked for twice would be run and averaged twice
            raise ValueError(f"{name} {twice} given more than once.")
    counts = {"epochs": (epochs, 1), "warmup": (warmup, 0), "update_every": (update_every, 1)}
    for name, (value, least) in counts.items():  # (None: the paper's interval, except for epochs)
        given = value is not None or name == "epochs"
        if given and not Interval(Integral, least, None, closed="left").is_satisfied_by(value):
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}.")
    check_n_jobs(n_jobs)
    if any(not _on_fingerprints(method) for method in methods):  # the graph models' device
        resolve_device(device)
    elif device != "auto":  # unused, but a typo is said now, not when a graph method is added
        parse_device(device)
    if reaction_mode is not None and reaction_mode not in GRAPH_REACTION_MODES:  # it names the results
        raise ValueError(
            f"reaction_mode must be one of {list(GRAPH_REACTION_MODES)} or None, got {reaction_mode!r}."
        )
    if reaction_mode is not None and dataset not in REACTION_DATASETS:
        raise ValueError(
            f"reaction_mode={reaction_mode!r} applies to the reaction data sets {sorted(REACTION_DATASETS)} "
            f"only; {dataset!r} holds molecules."
        )
    ltdd_rows = [m for m in methods if m in VARIANTS and VARIANTS[m][0] == "ltdd"]
    for keeps_package_schedule in (True, False):
        rows = [m for m in ltdd_rows if VARIANTS[m][2] == keeps_package_schedule]
        warm = SubclusterSchedule().warmup_epochs if keeps_package_schedule else warmup
        warm = _paper_interval(epochs) if warm is None else warm
        if rows and epochs <= warm:
            whose = "the package's schedule" if keeps_package_schedule else "the paper's protocol"
            raise ValueError(
                f"{rows} follow {whose}, whose warm-up is {warm} epochs: give more epochs than that "
                f"(--epochs {warm + 1} or more)."
            )
    return seeds


def run_benchmark(
    dataset: str,
    *,
    split: str = "standard",
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    methods: Sequence[str] = PAPER_TABLE,
    epochs: int = PAPER_EPOCHS,
    warmup: int | None = None,
    update_every: int | None = None,
    reaction_mode: str | None = None,
    data_home: str | None = None,
    download: bool = False,
    out_dir: str | os.PathLike = DEFAULT_OUT,
    device: str = "auto",
    n_jobs: int = 1,
    verbose: int = 0,
) -> pd.DataFrame:
    """Run ``methods`` × ``seeds`` on one data set and split; returns every run as a row.

    Each finished run is appended at once to ``<out_dir>/<dataset>-<split>.jsonl`` (with
    ``-<reaction_mode>`` before the suffix for reaction modes other than ``pair``); runs already
    there (same method, seed, epochs, warm-up and re-clustering interval) are skipped, and said
    to be, so an interrupted benchmark resumes; a file holding a method's runs of other
    settings, or any run on other data (each row records a hash of the inputs and labels), is
    refused, so that one table never averages two protocols or two data sets. Each row also
    names the code that made it (:func:`code_version`). The summary table goes to ``.md`` and
    ``.csv`` beside it. ``download`` fetches a missing data file (checked against its sha256)
    into ``data_home``. The CGR modes read USPTO-50k's reactions as mapped by rxnmapper.
    Warm-up and re-clustering interval default to the paper's 10/300 of the epochs, at least 1.
    ``seeds`` is a list of seeds or, as in ``ImDrugSplit``, a count n standing for seeds 0, ...,
    n - 1. A line is printed per run finished or skipped, whatever ``verbose``, which is the
    estimators' (a line per epoch).

    Parameters
    ----------
    dataset : str
        One of :data:`DATASETS`: the paper's ``"hiv"``, ``"sbap"``, ``"uspto50k"``, the tasks built
        from them, or the embedded ``"solubility"``. SBAP's pairs are classified by their ligand's
        SMILES alone (the proteins are not used).
    split : {"standard", "random"}, default="standard"
        ImDrug's split kind (:func:`~sklearn_ltdd.model_selection.imdrug_split`).
    seeds : int or sequence of int, default=(0, 1, 2)
        The seeds of the splits and of the models.
    methods : sequence of str, default=("ce", "cs", "bs", "ltdd", "fp_lr", "fp_hgb")
        From :data:`METHODS`: the paper's losses and LTDD with its protocol, the package's
        ``defaults``, and the fingerprint models ``fp_lr``, ``fp_rf``, ``fp_hgb``.
    epochs : int, default=300
        Epochs of every graph model (the paper's 300).
    warmup : int, default=None
        Warm-up epochs; None takes the paper's 10/300 of ``epochs``.
    update_every : int, default=None
        Epochs between re-clusterings; None takes the paper's 10/300 of ``epochs``.
    reaction_mode : str, default=None
        How reactions become graphs, as :class:`~sklearn_ltdd.SmilesGraphizer`'s; None: ``"pair"``
        on reaction data.
    data_home : str, default=None
        Where the data files are (:func:`~sklearn_ltdd.datasets.get_data_home`).
    download : bool, default=False
        Fetch a missing data file.
    out_dir : str or path, default="results/benchmark"
        The folder of the results files.
    device : str, default="auto"
        The graph models' device.
    n_jobs : int, default=1
        Processes for featurising (and for the fingerprint models that can use them).
    verbose : int, default=0
        The estimators' verbosity.

    Returns
    -------
    runs : pandas.DataFrame
        One row per run of this call and before it in the results file: the data set, split,
        method, seed and settings, sizes, seconds, the test BA and BF1 (fractions) and the BA of
        the head, middle and tail classes (with the binary tasks' tuned threshold's scores).

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> runs = run_benchmark("solubility", seeds=1, methods=["fp_lr"], out_dir=out)  # doctest: +ELLIPSIS
    solubility standard seed 0 fp_lr: BA ... BF1 ... in ... s
    >>> runs[["method", "seed", "n_test"]].values.tolist()
    [['fp_lr', 0, 153]]
    """
    seeds = check_arguments(
        dataset, seeds, methods, epochs, warmup, update_every, reaction_mode, n_jobs, split, device
    )
    if reaction_mode is None and dataset in REACTION_DATASETS:
        reaction_mode = "pair"
    args = {"epochs": epochs, "device": device, "verbose": verbose, "n_jobs": n_jobs,
            "warmup": _paper_interval(epochs) if warmup is None else warmup,
            "update_every": _paper_interval(epochs) if update_every is None else update_every}  # fmt: skip
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out_dir {str(out)!r} is a file; results go into a folder.")
    stem = result_stem(dataset, split, reaction_mode)
    log = out / f"{stem}.jsonl"
    done = _done(log, methods, seeds, epochs, args)
    smiles, y = _load(dataset, data_home, mapped=reaction_mode in CGR_MODES, download=download)
    splits = {}
    for seed in seeds:  # every seed's split before any work: a data set one cannot cut is said first
        try:
            splits[seed] = imdrug_split(y, split, random_state=seed)
        except ValueError as error:
            raise SplitError(f"{dataset}, {split!r} split, seed {seed}: {error}") from error
    data = data_id(smiles, y)
    _check_data(log, data)
    if done:
        print(f"{log}: {len(done)} of these runs are there already; they are not run again.", flush=True)
    out.mkdir(parents=True, exist_ok=True)  # now that there is something to write (no empty folder)
    features = _Features(smiles, reaction_mode, n_jobs)
    code = code_version()
    binary = len(np.unique(y)) == 2
    for seed, (train, valid, test) in splits.items():
        for method in methods:
            run_epochs = None if _on_fingerprints(method) else epochs
            if (method, seed) in done:
                continue
            p_valid, p_test, classes, seconds, facts = _fit_predict(
                method, features, y, train, valid, test, seed, args
            )
            fingerprint_mode = "difference-fp" if reaction_mode else None
            row = {"dataset": dataset, "split": split, "method": method, "seed": seed, "epochs": run_epochs,
                   **_schedule(method, args), "kept": _kept(method),
                   "reaction_mode": reaction_mode if not _on_fingerprints(method) else fingerprint_mode,
                   "data": data, "n_train": len(train), "n_valid": len(valid), "n_test": len(test),
                   "seconds": seconds, "graphs_per_s": None, **facts, "machine": _machine(),
                   "code": code}  # fmt: skip
            row.update(_scores(y[test], classes[p_test.argmax(axis=1)], y[train], ""))
            if binary:
                threshold = tune_threshold(y[valid] == classes[1], p_valid[:, 1])
                row["threshold"] = threshold
                row.update(
                    _scores(
                        y[test], np.where(p_test[:, 1] > threshold, classes[1], classes[0]), y[train], "thr_"
                    )
                )
            _append_line(log, json.dumps(_json_row(row)))
            tuned = f" (val-thr BA {row['thr_BA']:.4f})" if binary else ""
            print(f"{dataset} {split} seed {seed} {method}: BA {row['BA']:.4f} BF1 {row['BF1']:.4f}{tuned} "
                  f"in {seconds:.0f} s", flush=True)  # fmt: skip
    runs = pd.DataFrame(_read(log))
    table = summarise(runs)
    table.to_csv(out / f"{stem}.csv")
    (out / f"{stem}.md").write_text(_markdown(table, dataset, split, reaction_mode), encoding="utf-8")
    return runs


def _paper_interval(epochs: int | None) -> int:
    """The paper's warm-up and re-clustering interval: 10 of its 300 epochs, at least 1."""
    return max(1, round((epochs or 0) / 30))


def _on_fingerprints(method: str) -> bool:
    """Whether ``method`` is a fingerprint model (``fp_lr``, ...), trained without graphs or epochs."""
    return method.startswith("fp_")


def _variant(method: str) -> tuple[str, dict, bool]:
    """(kind, parameters, keeps the package's schedule) of a graph row; a baseline loss trains as
    the paper does (its parameters and schedule)."""
    return VARIANTS.get(method, (method, PAPER, False))


def _schedule(method: str, args: dict) -> dict:
    """The warm-up and re-clustering interval of a run: ``args``' for the paper-protocol LTDD rows,
    None where the row's schedule is the package's or it has none."""
    kind, _, package_schedule = _variant(method)
    if kind != "ltdd" or package_schedule:
        return {"warmup": None, "update_every": None}
    return {"warmup": args["warmup"], "update_every": args["update_every"]}


def _kept(method: str) -> str | None:
    """What a run's network keeps: "mean_from_best" or "best" (its ``average_from_best``); None
    for a fingerprint model."""
    if _on_fingerprints(method):
        return None
    params = _variant(method)[1]
    return "mean_from_best" if params.get("average_from_best", True) else "best"


def data_id(smiles: np.ndarray, y: np.ndarray) -> str:
    """A short hash of the inputs and labels, in order: runs on other data (a subset of the file,
    another release of it) are not resumed or averaged with these."""
    text = json.dumps([[str(s) for s in smiles], [str(label) for label in y]])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_data(log: Path, data: str) -> None:
    """Refuse a results file holding any run on other data than ``data`` (its id)."""
    for row in _read(log):
        if row.get("data", data) != data:  # (rows written before the data was recorded: unknown)
            raise MixedSettingsError(
                f"{log} holds runs on other data ({row['method']}, seed {row['seed']}: data {row['data']}, "
                f"{row.get('n_train')} training samples; these are {data}); write runs on this data to "
                "another folder (--out), so that one table does not mix them."
            )


def _done(
    log: Path, methods: Sequence[str], seeds: Sequence[int], epochs: int, args: dict
) -> set[tuple[str, int]]:
    """(method, seed) of the runs asked for that ``log`` holds with these settings; refuses a
    method's runs of other settings."""
    done = set()
    paper = {"warmup": _paper_interval(epochs), "update_every": _paper_interval(epochs)}
    for row in _read(log):
        method = row["method"]
        if method not in methods or row["epochs"] != (None if _on_fingerprints(method) else epochs):
            continue  # runs of other epochs are rows of their own in the table
        asked = _schedule(method, args)
        # rows written before the schedule was recorded used the paper's interval
        recorded = {k: row.get(k, v) for k, v in _schedule(method, paper).items()}
        # rows written before the model kept was recorded kept the best epoch
        kept, expected = row.get("kept", None if _on_fingerprints(method) else "best"), _kept(method)
        if recorded != asked or kept != expected:
            settings, wanted = str(recorded), str(asked)
            if kept != expected:
                settings, wanted = f"{settings}, keeping {kept}", f"{wanted}, keeping {expected}"
            raise MixedSettingsError(
                f"{log} holds {method} runs of {epochs} epochs with {settings}, not {wanted}; write runs "
                "of other settings to another folder (--out), so that one table does not mix them."
            )
        if row["seed"] in seeds:
            done.add((method, row["seed"]))
    return done


def result_stem(dataset: str, split: str, reaction_mode: str | None) -> str:
    """File name of a benchmark's results, without suffix; reaction modes but ``pair`` are named."""
    mode = "" if reaction_mode in (None, "pair") else f"-{reaction_mode}"
    return f"{dataset}-{split}{mode}"


def _json_row(row: dict) -> dict:
    """The row with Python numbers for NumPy's, and null where a score is NaN (a binary task has
    no tail group): strict JSON, which every reader takes."""
    plain = {key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}
    return {
        key: None if isinstance(value, float) and not np.isfinite(value) else value
        for key, value in plain.items()
    }


_RUN_KEYS = {"method", "seed", "epochs"}  # what resuming reads of a run


def _append_line(log: Path, line: str) -> None:
    """Append ``line`` to the results file on a line of its own: a file saved by an editor may have
    lost its last line break, and the row appended after it would have joined that run's row."""
    with open(log, "a+b") as handle:  # (appends at the end wherever it reads)
        ends_open = False
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            ends_open = handle.read(1) != b"\n"
        handle.write((b"\n" if ends_open else b"") + line.encode("utf-8") + b"\n")


def _read(log: Path) -> list[dict]:
    rows = []
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a run killed while it wrote its line, say
            row = None
        if not isinstance(row, dict) or not _RUN_KEYS <= row.keys():  # cut short, or edited by hand
            raise ResultsFileError(
                f"{log}, line {number}, is not a run's JSON row (an object with "
                f"{', '.join(sorted(_RUN_KEYS))}): {line[:60]!r}; remove it (that run is run again)."
            )
        rows.append(row)
    return rows


def code_version() -> str:
    """The package's version and, where it runs from a git checkout, the commit (``+ changes`` where
    the package differs from it): which code made a benchmark's row, recorded in the row."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():  # installed: the version says it (a venv inside a clone is not it)
        return __version__
    git = ["git", "-C", str(root)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True, timeout=30).stdout.strip()  # fmt: skip
        changes = subprocess.run([*git, "status", "--porcelain", "--", "sklearn_ltdd"], capture_output=True,
                                 text=True, check=True, timeout=30).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):  # no git, or not a repository after all
        return __version__
    return f"{__version__} ({commit}{' + changes' if changes else ''})"


def _machine() -> str:
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return gpu or f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of every score, per method (percent), plus time.

    The standard deviation is the seeds' spread itself (``ddof=0``; with n seeds, the sample
    estimate is √(n/(n−1)) times larger). A seed's run written twice (two processes into one
    folder) counts once, its first row, and is said to; written twice with other settings, it
    is refused.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs as :func:`run_benchmark` returns them (or as its ``.jsonl`` file holds them).

    Returns
    -------
    table : pandas.DataFrame
        One row per method and epochs, sorted by mean BA: each score's ``_mean`` and ``_std`` in
        percent, ``n_seeds``, and the mean ``seconds`` and ``graphs_per_s``.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"method": ["fp_lr", "fp_lr"], "seed": [0, 1], "epochs": [None, None],
    ...                      "BA": [0.70, 0.74], "BF1": [0.69, 0.71], "seconds": [1.0, 3.0],
    ...                      "graphs_per_s": [None, None]})
    >>> summarise(runs)[["BA_mean", "BA_std", "n_seeds"]].values.tolist()
    [[72.0, 2.0, 2.0]]
    """
    if "seed" in runs.columns:
        runs = _first_of_each_run(runs)
    _check_one_protocol(runs)
    metrics = [c for c in runs.columns if c.split("_")[0] in ("BA", "BF1", "thr") and c != "threshold"]
    # a column of None (graphs/s of fingerprint runs) is of objects, whose mean pandas 2.0 cannot round
    runs = runs.astype(dict.fromkeys([*metrics, "seconds", "graphs_per_s"], float))
    grouped = runs.groupby(["method", "epochs"], dropna=False)
    table = (grouped[metrics].mean() * 100).round(2).add_suffix("_mean")
    table = table.join((grouped[metrics].std(ddof=0) * 100).round(2).add_suffix("_std"))
    table["n_seeds"] = grouped.size()
    table["seconds"] = grouped["seconds"].mean().round(1)
    table["graphs_per_s"] = grouped["graphs_per_s"].mean().round(0)
    return table.sort_values("BA_mean")


#: what a run records of how it was trained, beside its method and epochs: one row of the table
#: averages runs that agree on all of it
_PROTOCOL = ("warmup", "update_every", "kept", "reaction_mode")


def _check_one_protocol(runs: pd.DataFrame) -> None:
    """Refuse a row of the table (method, epochs) whose runs differ in a setting or in their data
    (two processes writing one folder with other settings): its mean would mix them; and a table whose
    rows are of other data sets."""
    # (a setting missing from rows written before it was recorded agrees with any: _done reads
    # those rows as of the settings of their day)
    settings = [c for c in (*_PROTOCOL, "data") if c in runs]
    differ = runs.groupby(["method", "epochs"], dropna=False)[settings].nunique().gt(1)
    mixed = differ[differ.any(axis=1)]
    if not mixed.empty:
        rows = [
            f"{method}{'' if pd.isna(epochs) else f' at {int(epochs)} epochs'} ({', '.join(columns)})"
            for (method, epochs), columns in mixed.apply(lambda f: list(f.index[f]), axis=1).items()
        ]
        raise MixedSettingsError(
            f"the runs of {'; '.join(rows)} differ; keep the runs of one setting and one data set per "
            "method in a folder (write others with another --out), so that one table does not mix them."
        )
    # two processes on other data may each write the runs of its own methods: each row is of one data
    # set, but the table would compare methods across two
    if "data" in runs and runs["data"].nunique() > 1:
        by_data = runs.groupby("data")["method"].unique()
        raise MixedSettingsError(
            "the runs in this folder are of "
            + " and ".join(f"data {data} ({', '.join(sorted(methods))})" for data, methods in by_data.items())
            + "; keep the runs of one data set in a folder (write others with another --out), so that one "
            "table compares methods on the same data."
        )


def _first_of_each_run(runs: pd.DataFrame) -> pd.DataFrame:
    key = ["method", "epochs", "seed"]
    again = runs[runs.duplicated(key, keep=False)]
    if again.empty:
        return runs
    settings = [c for c in (*_PROTOCOL, "n_train", "n_test") if c in runs]
    mixed = again.groupby(key, dropna=False)[settings].nunique(dropna=False).gt(1).any(axis=1)
    if "data" in runs:  # (rows written before the data was recorded agree with any)
        mixed |= again.groupby(key, dropna=False)["data"].nunique().gt(1)
    if mixed.any():
        raise MixedSettingsError(
            f"runs {mixed[mixed].index.tolist()} (method, epochs, seed) are there twice with other settings; "
            "keep one of each, so that one table does not mix them."
        )
    repeated = again.drop_duplicates(key)[key].to_numpy().tolist()
    warn(f"runs {repeated} (method, epochs, seed) are there more than once; each counts once, its first row.")
    return runs.drop_duplicates(key)


def _markdown(table: pd.DataFrame, dataset: str, split: str, reaction_mode: str | None = None) -> str:
    has_thr = "thr_BA_mean" in table.columns
    header = "| method | epochs | seeds | BA | BF1 | head BA | middle BA | tail BA |"
    header += " val-thr BA | val-thr BF1 |" if has_thr else ""
    header += " fit s | graphs/s |"
    graphs = "" if reaction_mode in (None, "pair") else f", {reaction_mode} graphs"
    title = f"### {dataset}, {split} split{graphs} (test set, percent, mean ± std over seeds, ddof=0)"
    lines = [title, "", header, "|" + "---|" * (header.count("|") - 1)]

    def cell(row, key):
        mean = row.get(f"{key}_mean")
        return "–" if mean is None or pd.isna(mean) else f"{mean:.2f} ± {row[f'{key}_std']:.2f}"

    for (method, epochs), row in table.iterrows():
        cells = [method, "–" if pd.isna(epochs) else int(epochs), int(row["n_seeds"])]
        cells += [cell(row, k) for k in ("BA", "BF1", "BA_head", "BA_middle", "BA_tail")]
        if has_thr:
            cells += [cell(row, "thr_BA"), cell(row, "thr_BF1")]
        speed = row["graphs_per_s"]
        cells += [f"{row['seconds']:.0f}", "–" if pd.isna(speed) else f"{speed:,.0f}"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
