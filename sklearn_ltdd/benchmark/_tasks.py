"""The data sets the benchmark runs on: the paper's, the tasks built from them (USPTO-50k's
reaction templates, HIV at imbalance 50) and the demo's, loaded as inputs and labels."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .._arguments import expanded
from .._console import say
from .._csv import COMPRESSED
from ..datasets import load_hiv, load_sbap, load_solubility, load_uspto50k, load_uspto50k_templates

__all__ = [
    "DATASETS",
    "MIN_TEMPLATE_COUNT",
    "REACTION_DATASETS",
    "SBAP_LIGANDS_ONLY",
    "DataError",
    "load_task",
]


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


def is_table(dataset: str) -> bool:
    """Whether ``dataset`` is a table of one's own (the path of a file), not one of ``DATASETS``."""
    # (read by load_hiv, as ~ too; "" is no path, and no data set)
    # (os.path.isfile: pathlib's, before Python 3.12, raises on a name too long for the filesystem)
    return dataset not in DATASETS and dataset != "" and os.path.isfile(expanded(dataset, "dataset"))


#: the endings of a table's file name that its results leave out ("assay.csv.gz": "assay")
_TABLE_ENDINGS = {".csv", ".tsv", ".tab", ".txt", *COMPRESSED}


def task_name(dataset: str) -> str:
    """What the results call ``dataset``: its name, or a table's file name without its endings."""
    if not is_table(dataset):
        return dataset
    name = Path(dataset).name
    while Path(name).suffix.lower() in _TABLE_ENDINGS and Path(name).stem:
        name = Path(name).stem
    return name


def as_text(name: str) -> str:
    """A task's name as the results' JSON rows and tables write it, in UTF-8: the bytes of a file name
    that the locale could not decode (a surrogate each, under LC_ALL=C without UTF-8 mode) read as
    UTF-8, the encoding file names are written in; a surrogate would make the results file unreadable
    to the tables written from it."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no decoding made: a Windows file name may hold any
        raw = name.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def default_split(dataset: str) -> str:
    """ImDrug's standard split, but the random one for the template tasks: the standard split's
    balanced test set cannot be drawn from their hundreds of classes of 10 to 20 members."""
    return "random" if dataset in MIN_TEMPLATE_COUNT else "standard"


def load_task(
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
        if is_table(dataset):  # one's own: a SMILES column and a label column, as load_hiv reads them
            bunch = load_hiv(path=dataset)
        elif dataset == "hiv":
            bunch = load_hiv(**where)
        elif dataset == "uspto50k":
            bunch = load_uspto50k(**where, mapping="rxnmapper" if mapped else None)
        elif dataset in MIN_TEMPLATE_COUNT:
            bunch = load_uspto50k_templates(min_count=MIN_TEMPLATE_COUNT[dataset], **where)
        elif dataset == "hiv_lt50":
            return _hiv_lt50(*_loaded("hiv", data_home, False, download))
        elif dataset == "sbap":
            bunch = load_sbap(**where)
            say(SBAP_LIGANDS_ONLY)
        elif dataset == "solubility":
            data = load_solubility()
            return data.data, data.target
        else:  # (run_benchmark checks first; the benchmarks/ scripts call this directly)
            raise ValueError(f"unknown dataset {dataset!r}; choose from {list(DATASETS)}.")
    if bunch.invalid:
        say(f"{dataset}: leaving out {len(bunch.invalid)} rows RDKit cannot parse: {sorted(bunch.invalid)}")
    if is_table(dataset) and len(bunch.duplicates):  # the named sets' are theirs; one's own table's, said
        say(
            f"{dataset}: {len(bunch.duplicates)} rows repeat an earlier row's molecule (data rows "
            f"{bunch.duplicates[:10].tolist()}{' ...' if len(bunch.duplicates) > 10 else ''}); they are "
            "kept, and a split may put a molecule in training and test both"
        )
    keep = np.setdiff1d(np.arange(len(bunch.data)), list(bunch.invalid))
    return bunch.data[keep], bunch.target[keep]


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


class DataError(ValueError):
    """The data set's file cannot be read as the data set (the command says so in one line)."""
