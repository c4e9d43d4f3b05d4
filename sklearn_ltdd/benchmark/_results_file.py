"""The benchmark's results file: one JSON line per finished run, appended as it finishes, read to
resume (which runs are done, with which settings, on which data) and to summarise; the code
version and machine each run records."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ._methods import kept_of, on_fingerprints, paper_interval, schedule_of

__all__ = [
    "MixedSettingsError",
    "ResultsFileError",
    "append_line",
    "check_data",
    "code_version",
    "data_id",
    "done_runs",
    "json_row",
    "machine",
    "read_runs",
    "result_stem",
]


class ResultsFileError(ValueError):
    """A results file cannot be resumed or summarised as it is (the command says so in one line)."""


class MixedSettingsError(ResultsFileError):
    """A results file holds a method's runs of other settings than those asked for."""


def data_id(smiles: np.ndarray, y: np.ndarray) -> str:
    """A short hash of the inputs and labels, in order: runs on other data (a subset of the file,
    another release of it) are not resumed or averaged with these."""
    text = json.dumps([[str(s) for s in smiles], [str(label) for label in y]])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_data(log: Path, data: str, split: str | None = None, reaction_mode: str | None = None) -> None:
    """Refuse a results file holding any run on other data than ``data`` (its id), or, where given,
    of another ``split`` or (a graph model's) ``reaction_mode``: one data set's splits share its id,
    and so do its reaction modes but CGR's, and a row copied from another file would be averaged."""
    for row in read_runs(log):
        # (rows written before a field was recorded: unknown, taken)
        if row.get("data", data) != data:
            raise MixedSettingsError(
                f"{log} holds runs on other data ({row['method']}, seed {row['seed']}: data {row['data']}, "
                f"{row.get('n_train')} training samples; these are {data}); write runs on this data to "
                "another folder (--out), so that one table does not mix them."
            )
        graphs = not on_fingerprints(row["method"])
        for field, value in (("split", split), ("reaction_mode", reaction_mode if graphs else None)):
            if value is not None and row.get(field, value) != value:
                raise MixedSettingsError(
                    f"{log} holds a run of another {field.replace('_', ' ')} ({row['method']}, seed "
                    f"{row['seed']}: {row[field]!r}; these are {value!r}), copied from another results "
                    "file, say; remove it, so that one table does not mix them."
                )


def done_runs(
    log: Path, methods: Sequence[str], seeds: Sequence[int], epochs: int, args: dict
) -> set[tuple[str, int]]:
    """(method, seed) of the runs asked for that ``log`` holds with these settings; refuses a
    method's runs of other settings."""
    done = set()
    paper = {"warmup": paper_interval(epochs), "update_every": paper_interval(epochs)}
    for row in read_runs(log):
        method = row["method"]
        if method not in methods or row["epochs"] != (None if on_fingerprints(method) else epochs):
            continue  # runs of other epochs are rows of their own in the table
        asked = schedule_of(method, args)
        # rows written before the schedule was recorded used the paper's interval
        recorded = {k: row.get(k, v) for k, v in schedule_of(method, paper).items()}
        # rows written before the model kept was recorded kept the best epoch
        kept, expected = row.get("kept", None if on_fingerprints(method) else "best"), kept_of(method)
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


def json_row(row: dict) -> dict:
    """The row with Python numbers for NumPy's, and null where a score is NaN (a binary task has
    no tail group): strict JSON, which every reader takes."""
    plain = {key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}
    return {
        key: None if isinstance(value, float) and not np.isfinite(value) else value
        for key, value in plain.items()
    }


_RUN_KEYS = {"method", "seed", "epochs"}  # what resuming reads of a run


def append_line(log: Path, line: str) -> None:
    """Append ``line`` to the results file on a line of its own: a file saved by an editor may have
    lost its last line break, and the row appended after it would have joined that run's row."""
    with open(log, "a+b") as handle:  # (appends at the end wherever it reads)
        ends_open = False
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            ends_open = handle.read(1) != b"\n"
        handle.write((b"\n" if ends_open else b"") + line.encode("utf-8") + b"\n")


def read_runs(log: Path) -> list[dict]:
    rows = []
    # (a byte-order mark, which an editor may save, would make the first run's row no JSON)
    lines = log.read_text(encoding="utf-8-sig").splitlines() if log.exists() else []
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


def machine(device: str = "cpu") -> str:
    """What a run on ``device`` (as :func:`resolve_device` spells it) ran on: the GPU's name, or the
    CPU and its threads."""
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
