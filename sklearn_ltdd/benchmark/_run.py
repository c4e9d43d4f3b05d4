"""Train every method on the same ImDrug split, evaluate on test, write JSON lines and a markdown table."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .._arguments import check_flags, check_n_jobs, check_path, expanded, is_one_of
from .._compat import Interval
from .._console import say
from .._csv import repeated_names, starts_as
from .._torch_device import parse_device
from .._warnings import warn
from ..classifier import SubclusterSchedule
from ..classifier._baselines import TWO_PHASE_LOSSES
from ..classifier._device import TRAINING_DEVICES, resolve_device
from ..featurize._cgr import CGR_MODES, GRAPH_REACTION_MODES
from ..model_selection import imdrug_split
from ..model_selection._imdrug import FRACTION_ADVICE, SPLITS, seed_list
from ._methods import (
    METHODS,
    VARIANTS,
    Features,
    fit_predict,
    follows_paper_schedule,
    kept_of,
    on_fingerprints,
    paper_interval,
    schedule_of,
    scores_of,
    tune_threshold,
)
from ._names import DEFAULT_METHODS, DEFAULT_OUT, DEFAULT_SEEDS, PAPER_EPOCHS
from ._results_file import (
    append_line,
    check_data,
    code_version,
    data_id,
    done_runs,
    json_row,
    machine,
    read_runs,
    result_stem,
)
from ._summary import markdown_table, summarise
from ._tasks import (
    DATASETS,
    REACTION_DATASETS,
    DataError,
    as_text,
    default_split,
    is_table,
    load_task,
    task_name,
)

__all__ = [
    "DEFAULT_METHODS",  # (the defaults of run_benchmark's arguments, from _names)
    "DEFAULT_OUT",
    "DEFAULT_SEEDS",
    "PAPER_EPOCHS",
    "SplitError",
    "check_arguments",
    "run_benchmark",
]


class SplitError(ValueError):
    """The data set cannot be cut by the split asked for (the command says so in one line)."""


def check_arguments(
    dataset: str | os.PathLike[str],
    seeds: int | Sequence[int],
    methods: Sequence[str],
    epochs: int | None,
    warmup: int | None,
    update_every: int | None,
    reaction_mode: str | None,
    n_jobs: int,
    split: str | None = None,
    device: str = "auto",
) -> tuple[list[int], int]:
    """Check :func:`run_benchmark`'s arguments before any work; return the seeds as a list and
    the epochs (the paper's 300 where None is given).

    A ValueError or TypeError names the argument.
    """
    if not isinstance(dataset, str | os.PathLike):
        raise TypeError(f"dataset must be a data set's name or a table's path, got {type(dataset).__name__}.")
    path = os.fspath(dataset)
    if path not in DATASETS and not is_table(path):
        missing = " (no such file)" if Path(path).suffix else ""
        raise ValueError(
            f"unknown dataset {path!r}{missing}; choose from {list(DATASETS)}, or give the path "
            "of a table of your own (CSV, or tab-separated named .tsv, a SMILES column and a label column as "
            "load_hiv reads them)."
        )
    if path not in DATASETS and (name := task_name(path)) in DATASETS:  # ./hiv, tables/hiv.csv
        raise ValueError(
            f"the table {path!r} would be named {name!r}, as a data set of the benchmark's own, whose "
            "results its own would be taken for; rename the file."
        )
    if not is_one_of(split, (None, *SPLITS)):
        raise ValueError(f"split must be one of {list(SPLITS)} or None (the data set's own), got {split!r}.")
    seeds = seed_list(seeds)
    if isinstance(methods, str):  # its letters would be the methods
        raise TypeError(f"methods must be a list of method names, e.g. [{methods!r}], not a string.")
    # (bytes: its byte values; an iterator: read here, none left for the runs)
    if isinstance(methods, bytes | Iterator) or not isinstance(methods, Iterable):
        raise TypeError(f"methods must be a list of method names, got a {type(methods).__name__}.")
    methods = list(methods)
    if not all(isinstance(method, str) for method in methods):
        raise TypeError(f"methods must be a list of method names, got {methods!r}.")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {list(METHODS)}.")
    if not methods:  # (a table of nothing failed in pandas, "KeyError: 'method'")
        raise ValueError(f"methods is empty; choose some from {list(METHODS)}.")
    if twice := repeated_names(list(methods)):  # a run asked for twice would be run and averaged twice
        raise ValueError(f"methods {twice} given more than once.")  # (seed_list refuses seeds so)
    counts = {"epochs": (epochs, 1), "warmup": (warmup, 0), "update_every": (update_every, 1)}
    for name, (value, least) in counts.items():  # (None: the paper's, 300 epochs and 10/300 of them)
        if value is not None and not Interval(Integral, least, None, closed="left").is_satisfied_by(value):
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}.")
    _check_used(methods, epochs, warmup, update_every)
    epochs = PAPER_EPOCHS if epochs is None else epochs
    check_n_jobs(n_jobs)
    if any(not on_fingerprints(method) for method in methods):  # the graph models' device
        resolve_device(device)
    elif device != "auto":  # unused, but a typo is said now, not when a graph method is added
        parse_device(device, kinds=TRAINING_DEVICES)
    if not is_one_of(reaction_mode, (None, *GRAPH_REACTION_MODES)):  # it names the results
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
        warm = paper_interval(epochs) if warm is None else warm
        if rows and epochs <= warm:
            whose = "the package's schedule" if keeps_package_schedule else "the paper's protocol"
            raise ValueError(
                f"{rows} follow {whose}, whose warm-up is {warm} epochs: give more epochs than that "
                f"(epochs={warm + 1} or more; --epochs {warm + 1} on the command line)."
            )
    two_phase = [m for m in methods if m in TWO_PHASE_LOSSES]
    if two_phase and epochs < 2:
        raise ValueError(
            f"{two_phase} train in two phases, cross-entropy first, an epoch at least each: give 2 epochs "
            "or more (epochs=2; --epochs 2 on the command line)."
        )
    return seeds, epochs


def _check_used(
    methods: Sequence[str], epochs: int | None, warmup: int | None, update_every: int | None
) -> None:
    """Refuse a setting that none of ``methods`` reads: it would be ignored without a word."""
    if epochs is not None and all(map(on_fingerprints, methods)):
        train = "trains" if len(methods) == 1 else "train"
        raise ValueError(
            f"epochs={epochs} sets the graph models' epochs; {', '.join(methods)} {train} none (fingerprint "
            "models): leave it out, or add a graph method."
        )
    for name, value in (("warmup", warmup), ("update_every", update_every)):
        if value is not None and not any(map(follows_paper_schedule, methods)):
            paper_rows = [m for m in METHODS if follows_paper_schedule(m)]
            own = [m for m in methods if m in VARIANTS and VARIANTS[m][2]]
            keep = f" ({', '.join(own)} keep the package's schedule)" if own else ""
            raise ValueError(
                f"{name}={value} sets the paper-protocol LTDD rows ({', '.join(paper_rows)}) only; "
                f"none of {list(methods)} is one{keep}: leave it out."
            )


def run_benchmark(
    dataset: str | os.PathLike[str],
    *,
    split: str | None = None,
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    methods: Sequence[str] = DEFAULT_METHODS,
    epochs: int | None = None,
    warmup: int | None = None,
    update_every: int | None = None,
    reaction_mode: str | None = None,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
    out_dir: str | os.PathLike[str] = DEFAULT_OUT,
    device: str | torch.device = "auto",
    n_jobs: int | None = 1,
    verbose: int = 0,
) -> pd.DataFrame:
    """Run ``methods`` × ``seeds`` on one data set and split; returns every run as a row.

    Each finished run is appended at once to ``<out_dir>/<dataset>-<split>.jsonl`` (with
    ``-<reaction_mode>`` before the suffix for reaction modes other than ``pair``); runs already
    there (same method, seed, epochs, warm-up and re-clustering interval) are skipped, and said
    to be, so an interrupted benchmark resumes; a file holding a method's runs of other
    settings, or any run on other data (each row records a hash of the inputs and labels), is
    refused, so that one table never averages two protocols or two data sets. Each row also
    names the code that made it (the package's version and, run from a git checkout, the
    commit). The summary table goes to ``.md`` and ``.csv`` beside it. ``download`` fetches a
    missing data file (checked against its sha256) into ``data_home``. The CGR modes read
    USPTO-50k's reactions as mapped by rxnmapper. Warm-up and re-clustering interval default to
    the paper's 10/300 of the epochs, at least 1.
    ``seeds`` is a list of seeds or, as in ``ImDrugSplit``, a count n standing for seeds 0, ...,
    n - 1. A line is printed per run finished or skipped, whatever ``verbose``, which is the
    estimators' (a line per epoch).

    Parameters
    ----------
    dataset : str or path
        One of ``sklearn_ltdd.benchmark.DATASETS``: the paper's ``"hiv"``, ``"sbap"``,
        ``"uspto50k"``, the tasks built from them, or the embedded ``"solubility"``. SBAP's pairs
        are classified by their ligand's SMILES alone (the proteins are not used). Or the path of
        a table of your own: CSV, or tab-separated named ``.tsv`` or ``.tab``, one SMILES column
        and one label column as :func:`~sklearn_ltdd.datasets.load_hiv` reads them (``smiles`` and
        ``label``, say; rows RDKit cannot parse are left out, and said); its results are named by
        the file's name (``assay.csv``: ``assay-standard.jsonl``).
    split : {"standard", "random"} or None, default=None
        ImDrug's split kind (:func:`~sklearn_ltdd.model_selection.imdrug_split`); None: the
        data set's own, "random" for the template tasks (whose classes of 10 to 20 members the
        standard split cannot cut) and "standard" for the others.
    seeds : int or sequence of int, default=(0, 1, 2)
        The seeds of the splits and of the models: the seeds themselves, or a count n of seeds
        0, ..., n - 1 (``seeds=3`` is seeds 0, 1 and 2; ``seeds=[3]`` is seed 3 alone, which the
        command's ``--seeds 3`` is).
    methods : sequence of str, default=("ce", "cs", "bs", "ltdd", "fp_lr", "fp_hgb")
        From ``sklearn_ltdd.benchmark.METHODS``: the paper's losses and LTDD with its protocol, the package's
        ``defaults``, and the fingerprint models ``fp_lr``, ``fp_rf``, ``fp_hgb``.
    epochs : int, default=None
        Epochs of every graph model; None: the paper's 300. Refused where every method is a
        fingerprint model, which has none.
    warmup : int, default=None
        Warm-up epochs of the paper-protocol LTDD rows (``ltdd``, ``ltdd_*``); None takes the
        paper's 10/300 of ``epochs``. Refused where no method is such a row.
    update_every : int, default=None
        Epochs between re-clusterings of the paper-protocol LTDD rows; None takes the paper's
        10/300 of ``epochs``. Refused where no method is such a row.
    reaction_mode : str, default=None
        How reactions become graphs, as :class:`~sklearn_ltdd.SmilesGraphizer`'s; None: ``"pair"``
        on reaction data.
    data_home : str or path, default=None
        Where the data files are (:func:`~sklearn_ltdd.datasets.get_data_home`).
    download : bool, default=False
        Fetch a missing data file.
    out_dir : str or path, default="results/benchmark"
        The folder of the results files.
    device : str or torch.device, default="auto"
        The graph models' device.
    n_jobs : int or None, default=1
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
    >>> from sklearn_ltdd.benchmark import run_benchmark
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> runs = run_benchmark("solubility", seeds=1, methods=["fp_lr"], out_dir=out)  # doctest: +ELLIPSIS
    solubility standard seed 0 fp_lr: BA ... BF1 ... in ... s
    >>> runs[["method", "seed", "n_test"]].values.tolist()
    [['fp_lr', 0, 153]]
    """
    seeds, epochs = check_arguments(
        dataset, seeds, methods, epochs, warmup, update_every, reaction_mode, n_jobs, split, device
    )
    check_flags(download=download)
    check_path(data_home, "data_home")
    dataset, name = os.fspath(dataset), task_name(os.fspath(dataset))
    split = default_split(dataset) if split is None else split
    if reaction_mode is None and dataset in REACTION_DATASETS:
        reaction_mode = "pair"
    args = {"epochs": epochs, "device": device, "verbose": verbose, "n_jobs": n_jobs,
            "warmup": paper_interval(epochs) if warmup is None else warmup,
            "update_every": paper_interval(epochs) if update_every is None else update_every}  # fmt: skip
    out = expanded(out_dir, "out_dir")  # (as data_home; a shell leaves "--out=~/x" as it is)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out_dir (--out) {str(out)!r} is a file; results go into a folder.")
    if out.is_symlink() and not out.exists():
        raise NotADirectoryError(
            f"out_dir (--out) {str(out)!r} is a link to {os.readlink(out)!r}, which does not exist."
        )
    stem = result_stem(name, split, reaction_mode)
    log = out / f"{stem}.jsonl"
    name = as_text(name)  # (the files' names keep the file name's bytes; the rows and tables are text)
    done = done_runs(log, methods, seeds, epochs, args)
    smiles, y = load_task(dataset, data_home, mapped=reaction_mode in CGR_MODES, download=download)
    if len(classes := np.unique(y)) < 2:  # (a table of the user's) said before any work, not by a fit
        raise DataError(f"{name} holds one class ({classes.tolist()[0]!r}); a classifier needs at least two.")
    splits = {}
    for seed in seeds:  # every seed's split before any work: a data set one cannot cut is said first
        try:
            splits[seed] = imdrug_split(y, split, random_state=seed)
        except ValueError as error:  # (the benchmark's fractions are ImDrug's, none of the caller's)
            said = str(error).replace(FRACTION_ADVICE, "")
            raise SplitError(f"{name}, {split!r} split, seed {seed}: {said}") from error
    data = data_id(smiles, y)
    check_data(log, data, split, reaction_mode)
    check_tables(log)
    if done:
        say(f"{log}: {len(done)} of these runs are there already; they are not run again.")
    try:  # now that there is something to write (no empty folder)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # (its message names the path, not whose it is)
        error.add_note(f"out_dir (--out) {str(out)!r} cannot be made a folder.")
        raise
    features = Features(smiles, reaction_mode, n_jobs)
    code = code_version()
    # what the graph models train on (fingerprint models run on the CPU whatever it is)
    graph_device = resolve_device(device) if not all(map(on_fingerprints, methods)) else "cpu"
    binary = len(np.unique(y)) == 2
    for seed, (train, valid, test) in splits.items():
        for method in methods:
            run_epochs = None if on_fingerprints(method) else epochs
            if (method, seed) in done:
                continue
            p_valid, p_test, classes, seconds, facts = fit_predict(
                method, features, y, train, valid, test, seed, args
            )
            fingerprint_mode = "difference-fp" if reaction_mode else None
            ran_on = machine("cpu" if on_fingerprints(method) else graph_device)
            row = {"dataset": name, "split": split, "method": method, "seed": seed, "epochs": run_epochs,
                   **schedule_of(method, args), "kept": kept_of(method),
                   "reaction_mode": reaction_mode if not on_fingerprints(method) else fingerprint_mode,
                   "data": data, "n_train": len(train), "n_valid": len(valid), "n_test": len(test),
                   "seconds": seconds, "graphs_per_s": None, **facts, "machine": ran_on,
                   "code": code}  # fmt: skip
            row.update(scores_of(y[test], classes[p_test.argmax(axis=1)], y[train], ""))
            if binary:
                threshold = tune_threshold(y[valid] == classes[1], p_valid[:, 1])
                row["threshold"] = threshold
                row.update(
                    scores_of(
                        y[test], np.where(p_test[:, 1] > threshold, classes[1], classes[0]), y[train], "thr_"
                    )
                )
            append_line(log, json.dumps(json_row(row)))
            tuned = f" (val-thr BA {row['thr_BA']:.4f})" if binary else ""
            say(f"{name} {split} seed {seed} {method}: BA {row['BA']:.4f} BF1 {row['BF1']:.4f}{tuned} "
                f"in {seconds:.0f} s")  # fmt: skip
            try:  # (current when a later run is interrupted)
                write_tables(log, name, split, reaction_mode)
            except OSError as error:  # a table open in a spreadsheet, on Windows: the runs go on
                warn(
                    f"the tables beside {log.name} were not written ({error}); the runs go on, each "
                    f"recorded in {log.name}, and the tables are written again after each.",
                    RuntimeWarning,
                )
    try:
        return write_tables(log, name, split, reaction_mode)
    except OSError as error:
        error.add_note(
            f"Every run is recorded in {log}; the same call, once the tables can be written, writes "
            "them (and runs nothing again)."
        )
        raise


def check_tables(log: Path) -> None:
    """Refuse to start where a file beside ``log`` that the tables would overwrite (``.csv``,
    ``.md``) is not one (the user's own ``assay-standard.csv`` beside a table ``assay.csv``)."""
    heads = {".csv": ("method,",), ".md": ("### ", "", "| method | epochs |")}
    for suffix, head in heads.items():
        table = log.with_suffix(suffix)
        if not table.exists():
            continue
        # (an empty one: a write of an earlier release cut short)
        if not (table.is_file() and (table.stat().st_size == 0 or starts_as(table, head))):
            raise FileExistsError(
                f"{table} is not a table of this benchmark's, which it writes there beside {log.name}; "
                "move it away, or choose another out_dir."
            )


def write_tables(log: Path, dataset: str, split: str, reaction_mode: str | None) -> pd.DataFrame:
    """The summary of every run in ``log``, written beside it as ``.csv`` and ``.md``; returns the runs."""
    runs = pd.DataFrame(read_runs(log))
    table = summarise(runs)
    _write_whole(log.with_suffix(".csv"), table.to_csv)
    text = markdown_table(table, dataset, split, reaction_mode)
    _write_whole(log.with_suffix(".md"), lambda path: path.write_text(text, encoding="utf-8"))
    return runs


def _write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` ``path`` whole or not at all (one cut short would be taken for a table of this
    benchmark's): into a file of this writer's own beside it, then moved into place. Two
    processes summarising one results file wrote one temporary file, and one's move found it gone;
    the name is short, so that a table's longest legal name takes no longer one."""
    temporary = path.with_name(f".{uuid.uuid4().hex[:16]}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # (a write or move that failed leaves nothing behind)
