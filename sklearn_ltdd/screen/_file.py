"""Screening a file: a CSV or Parquet library in, its rows with their scores out, a chunk at a
time, resumable after an interruption."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import joblib
import pandas as pd
from tqdm.auto import tqdm

from ..classifier._base import GraphClassifier
from ..featurize._graphizer import find_invalid, invalid_input_error
from ._frame import check_errors, check_model, score_columns, score_frame

__all__ = ["screen_file"]


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def _columns(source: Path) -> list[str]:
    if _is_parquet(source):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(source).schema_arrow.names)
    return list(pd.read_csv(source, nrows=0).columns)


def _rows(source: Path) -> int | None:
    """The number of rows, where the file says so without being read (Parquet)."""
    if _is_parquet(source):
        import pyarrow.parquet as pq

        return pq.ParquetFile(source).metadata.num_rows
    return None


def _chunks(source: Path, columns: list[str], chunk_rows: int, skip: int) -> Iterator[pd.DataFrame]:
    """The file's rows from row ``skip`` on, ``chunk_rows`` at a time, indexed by row number (0: the
    first row after the header). CSV cells are read as text, verbatim: identifiers keep leading
    zeros and an empty SMILES cell is an empty string."""
    if _is_parquet(source):
        import pyarrow.parquet as pq

        reader = pq.ParquetFile(source)
        batches = (batch.to_pandas() for batch in reader.iter_batches(batch_size=chunk_rows, columns=columns))
    else:
        reader = pd.read_csv(source, usecols=columns, dtype=str, keep_default_na=False, chunksize=chunk_rows)
        batches = iter(reader)
    with reader:  # closed also when the caller stops early (closing() around this generator)
        start = 0
        for frame in batches:
            frame.index = pd.RangeIndex(start, start + len(frame))
            start += len(frame)
            if start > skip:
                yield frame[frame.index >= skip][columns]


class _Progress:
    """What a screen has written so far, kept beside the destination (``<destination>.progress.json``)
    and updated after each chunk is safely on disk; removed when the screen is complete."""

    def __init__(self, destination: Path, source: Path, columns: list[str]):
        self.path = destination.with_name(destination.name + ".progress.json")
        self.state = {"source": str(source.resolve()), "columns": columns, "rows": 0, "bytes": 0, "parts": 0}
        if self.path.exists():
            saved = json.loads(self.path.read_text())
            if [saved.get("source"), saved.get("columns")] != [self.state["source"], columns]:
                raise ValueError(
                    f"{destination} is an unfinished screen of {saved.get('source')} with columns "
                    f"{saved.get('columns')}, not of this source and model; remove it and {self.path.name}, "
                    "or choose another destination."
                )
            self.state = saved
        elif destination.exists():
            raise FileExistsError(
                f"{destination} exists and is not an unfinished screen (no {self.path.name} beside it); "
                "remove it or choose another destination."
            )

    def save(self, **state: int) -> None:
        self.state.update(state)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(self.state))
        os.replace(temporary, self.path)  # atomic: an interruption leaves the old state or the new


def _write_csv(destination: Path, frame: pd.DataFrame, progress: _Progress) -> None:
    with open(destination, "a", encoding="utf-8", newline="") as out:
        out.write(frame.to_csv(index=False, header=progress.state["rows"] == 0))
        out.flush()
        os.fsync(out.fileno())
        progress.save(rows=progress.state["rows"] + len(frame), bytes=out.tell())


def _write_parquet(destination: Path, frame: pd.DataFrame, progress: _Progress) -> None:
    part = destination / f"part-{progress.state['parts']:06d}.parquet"
    temporary = part.with_suffix(".tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, part)
    progress.save(rows=progress.state["rows"] + len(frame), parts=progress.state["parts"] + 1)


def _resume(destination: Path, progress: _Progress) -> None:
    """Drop whatever an interruption left after the last chunk the progress file records."""
    if _is_parquet(destination):
        destination.mkdir(parents=True, exist_ok=True)
        for part in destination.glob("part-*"):
            if part.suffix != ".parquet" or int(part.stem.split("-")[1]) >= progress.state["parts"]:
                part.unlink()
    elif destination.exists():
        with open(destination, "r+b") as out:
            out.truncate(progress.state["bytes"])


def screen_file(
    model: GraphClassifier,
    source: str | os.PathLike,
    destination: str | os.PathLike,
    *,
    smiles_column: str = "smiles",
    keep: list[str] | None = None,
    errors: str = "raise",
    chunk_rows: int = 100_000,
    n_jobs: int | None = None,
    progress: bool = False,
) -> int:
    """Score every row of a CSV or Parquet file and write the scores beside the rows' own columns.

    Reads ``chunk_rows`` rows at a time and writes each chunk's scores as soon as they are
    computed, so memory does not grow with the file. An interrupted screen resumes where it
    stopped when called again with the same arguments: ``<destination>.progress.json`` records the
    rows safely written, and is removed when the screen is complete.

    Parameters
    ----------
    model : LTDDClassifier or BaselineClassifier
        A fitted model.
    source : path
        ``.parquet``, or CSV (any other name; ``.csv.gz`` and other compressions pandas reads).
        CSV cells are read as text, verbatim (identifiers keep their leading zeros).
    destination : path
        ``.csv``, or ``.parquet``: a directory of parts (``part-000000.parquet``, one per chunk),
        which pandas, pyarrow and Dask read as one table. It must not exist, unless it is an
        unfinished screen of this source and model.
    smiles_column : str, default="smiles"
    keep : list of str, default=None
        The input columns written beside the scores (identifiers, names); None keeps all.
    errors : {"raise", "nan"}, default="raise"
        ``"raise"``: a first pass parses every row (no featurisation, about a quarter of its cost)
        and raises one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` naming every bad row
        before anything is scored or written. ``"nan"``: bad rows are written with NaN
        probabilities, no prediction, ``valid`` False and their reason in ``error``. Rows are
        numbered from 0, the header not counted (as pandas numbers them).
    chunk_rows : int, default=100_000
        Rows read and written at a time (the model itself featurises 10,000 at a time).
    n_jobs : int, default=None
        Processes that featurise each chunk of the model (``joblib.parallel_config``); on two
        cores two processes featurise 1.6-1.75x faster.
    progress : bool, default=False
        Show a progress bar.

    Returns
    -------
    n_rows : int
        Rows in the destination.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from sklearn_ltdd import LTDDClassifier
    >>> from sklearn_ltdd.datasets import load_solubility
    >>> from sklearn_ltdd.screen import screen_file
    >>> data = load_solubility()
    >>> clf = LTDDClassifier(max_epochs=12, hidden=16, random_state=0).fit(data.data[:200], data.target[:200])
    >>> library = pd.DataFrame({"id": ["M001", "M002", "M003"], "smiles": ["CCO", "C1CC", "c1ccccc1O"]})
    >>> folder = Path(tempfile.mkdtemp())
    >>> library.to_csv(folder / "library.csv", index=False)
    >>> screen_file(clf, folder / "library.csv", folder / "scores.csv", keep=["id"], errors="nan")
    3
    >>> pd.read_csv(folder / "scores.csv")[["id", "valid", "error"]]
         id  valid                  error
    0  M001   True                    NaN
    1  M002  False  RDKit cannot parse it
    2  M003   True                    NaN
    """
    check_model(model)
    check_errors(errors)
    source, destination = Path(source), Path(destination)
    available = _columns(source)
    keep = [c for c in available if c != smiles_column] if keep is None else list(keep)
    missing = sorted({smiles_column, *keep} - set(available))
    if missing:
        raise ValueError(f"{source} has no column(s) {missing}; its columns are {available}.")
    read = [smiles_column, *(c for c in keep if c != smiles_column)]
    written = keep + score_columns(model)
    state = _Progress(destination, source, written)
    skip = state.state["rows"]
    if errors == "raise":  # every bad row named before anything is featurised or written
        bad = {}
        with closing(_chunks(source, [smiles_column], chunk_rows, skip)) as chunks:
            for frame in chunks:
                smiles = frame[smiles_column].to_numpy(dtype=object)
                found = find_invalid(smiles, model.reaction_mode, model.atom_mapper)
                bad |= {int(frame.index[row]): item for row, item in found.items()}
        if bad:
            raise invalid_input_error(bad, model.atom_mapper)
    _resume(destination, state)
    write = _write_parquet if _is_parquet(destination) else _write_csv
    with (
        tqdm(total=_rows(source), initial=skip, unit="rows", disable=not progress) as bar,
        joblib.parallel_config(n_jobs=n_jobs),
        closing(_chunks(source, read, chunk_rows, skip)) as chunks,
    ):
        for frame in chunks:
            scores = score_frame(frame, model, smiles_column=smiles_column, keep=keep, errors=errors)
            write(destination, scores, state)
            bar.update(len(frame))
    if state.state["rows"] == 0:  # an empty source still gets its header
        write(destination, score_frame(pd.DataFrame(columns=read), model, keep=keep), state)
    state.path.unlink()
    return state.state["rows"]
