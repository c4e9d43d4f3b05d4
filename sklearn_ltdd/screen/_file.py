"""Screening a file: a CSV or Parquet library in, its rows with their scores out, a chunk at a
time, resumable after an interruption (reading the file: ``_source``; the lock, the record and
the writing that make it resumable: ``_resume``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import closing, nullcontext
from pathlib import Path

import joblib
import pandas as pd
from sklearn.base import BaseEstimator

from .._arguments import check_flags, check_n_jobs, expanded, is_integer
from .._csv import holds_header
from .._progress import progress_bar
from .._warnings import warn
from ..featurize import InvalidSmilesError
from ..featurize._versions import checked_versions
from ._frame import (
    SCREEN_ADVICE,
    check_columns,
    check_errors,
    check_model,
    check_top_k,
    featurising_jobs,
    score_columns,
    scores_of,
)
from ._resume import (
    PART_NAME,
    ScreenRecord,
    check_room_for_helpers,
    model_hash,
    only_screen_into,
    write_csv,
    write_parquet,
)
from ._source import columns_of, is_parquet, parquet_file, pyarrow_parquet, read_chunks, smiles_in_header

__all__ = ["check_destination", "screen_file"]


def _misread(source: Path, columns: list[str], smiles_column: str) -> str:
    """A note for a message naming missing columns: a column that is the SMILES column but for its
    case or spaces ("SMILES" for "smiles"); in a CSV file, how its header may have been misread:
    one column whose name holds a separator (not comma-separated, most likely), or a name that is
    a SMILES (a file without a header row)."""
    named = [c for c in columns if c.strip().casefold() == smiles_column.casefold()]
    if named and smiles_column not in columns:  # (where it is there, another column is missing)
        return f" (the column {named[0]!r} is {smiles_column!r} but for case or spaces: name it as written)"
    if is_parquet(source):
        return ""
    if len(columns) == 1 and any(c in columns[0] for c in "\t ;|"):
        return " (read as comma-separated; if it is separated otherwise, convert it to CSV or Parquet)"
    if not named and (smiles := smiles_in_header(columns)) is not None:
        return (
            f" (the header's {smiles!r} reads as a SMILES: a CSV file needs a first line naming its "
            "columns, e.g. smiles)"
        )
    return ""


def screen_file(
    model: BaseEstimator,
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    smiles_column: str = "smiles",
    keep: Sequence[str] | None = None,
    errors: str = "raise",
    chunk_rows: int = 100_000,
    n_jobs: int | None = None,
    progress: bool = False,
    top_k: int | None = None,
) -> int:
    """Score every row of a CSV or Parquet file and write the scores beside the rows' own columns.

    Reads ``chunk_rows`` rows at a time and writes each chunk's scores as soon as they are
    computed, so memory does not grow with the file. The chunks go into
    ``<destination>.partial``, which is renamed to ``destination`` when every row is in it: an
    interrupted screen leaves no ``destination`` to be mistaken for a whole one. It resumes where
    it stopped when called again with the same arguments: ``<destination>.progress.json`` records
    the rows safely written, and is removed when the screen is complete. While it runs, a lock
    on ``<destination>.lock`` keeps a second screen (another process, say) out of the destination.

    Parameters
    ----------
    model : LTDDClassifier or BaselineClassifier, or a Pipeline, search or FrozenEstimator ending in one
        A fitted model. A Pipeline's steps before the classifier may be SmilesGraphizers only:
        the classifier featurises the SMILES as they did.
    source : path
        ``.parquet``, or CSV (any other name; ``.csv.gz`` and other compressions pandas reads).
        CSV cells are read as text, verbatim (identifiers keep their leading zeros); a Parquet
        SMILES column stored as binary is read as UTF-8 text. A source written (or replaced) while
        it is screened stops the screen, its rows kept in ``<destination>.partial``: they may mix
        two versions of the file, and the same screen run again is refused (stopped before any row
        was written, it starts afresh).
    destination : path
        ``.csv``, or ``.parquet``: a directory of parts (``part-000000000.parquet``, one per chunk),
        which pandas, pyarrow and Dask read as one table. It must not exist, and a
        ``<destination>.partial`` beside it must be an unfinished screen of this source, model
        and columns, begun by this release (so must the destination itself, where a screen stopped
        between its last rename and removing its progress file: it goes on from there).
    smiles_column : str, default="smiles"
        The column of SMILES (or reaction SMILES) to score.
    keep : list-like of str, default=None
        The input columns written beside the scores (identifiers, names); None keeps all, the
        SMILES included.
    errors : {"raise", "nan"}, default="raise"
        ``"raise"``: a first pass parses every row (no featurisation, about a quarter of its cost)
        and raises one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` naming every bad row
        before anything is scored or written. ``"nan"``: bad rows are written with NaN
        probabilities, no prediction, ``valid`` False and their reason in ``error``, and a
        warning at the end says how many there were. Rows are numbered from 0, the header not
        counted; in a CSV file of one column a blank line is a row (an empty SMILES), but for the
        blank lines that end the file. A screen begun with ``"nan"`` that wrote invalid rows goes
        on with ``"nan"`` only. Rows the atom mapper fails on are met as their chunk is
        featurised: with ``"raise"`` the chunks before them stay written, and the error says so.
    chunk_rows : int, default=100_000
        Rows read and written at a time (the model itself featurises 10,000 at a time).
    n_jobs : int, default=None
        Processes that featurise each chunk of the model (``joblib.parallel_config``); on two
        cores two processes featurise 1.6-1.75x faster. None: the ``n_jobs`` of the model's
        Pipeline's SmilesGraphizer where it sets one, else joblib's context (one process unless
        set otherwise).
    progress : bool, default=False
        Show a progress bar.
    top_k : int, default=None
        As in :func:`~sklearn_ltdd.screen.screen`: the ``top_k`` classes of each row ranked, with
        their probabilities, instead of a probability per class (for hundreds of classes, whose
        columns would be most of the output: 7 kB a row as CSV at 330).

    Returns
    -------
    n_rows : int
        Rows in the destination.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import warnings
    >>> import pandas as pd
    >>> from sklearn_ltdd import LTDDClassifier
    >>> from sklearn_ltdd.datasets import load_solubility
    >>> from sklearn_ltdd.screen import screen_file
    >>> data = load_solubility()
    >>> clf = LTDDClassifier(max_epochs=12, hidden=16, random_state=0).fit(data.data[:200], data.target[:200])
    >>> library = pd.DataFrame({"id": ["M001", "M002", "M003"], "smiles": ["CCO", "C1CC", "c1ccccc1O"]})
    >>> folder = Path(tempfile.mkdtemp())
    >>> library.to_csv(folder / "library.csv", index=False)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     screen_file(clf, folder / "library.csv", folder / "scores.csv", keep=["id"], errors="nan")
    3
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    1 of the 3 rows written to .../scores.csv are invalid (NaN scores; the reasons are in the error column).
    >>> scores = pd.read_csv(folder / "scores.csv")
    >>> scores[["id", "valid"]]
         id  valid
    0  M001   True
    1  M002  False
    2  M003   True
    >>> scores.loc[1, "error"]
    'RDKit cannot parse it: its syntax, e.g. a typo, an unclosed ring or branch, an unknown atom'
    """
    if not isinstance(smiles_column, str):  # (a CSV header's names are text; Parquet's too here)
        raise TypeError(f"smiles_column must be a column's name (a str), got {smiles_column!r}.")
    wrapper, model = model, check_model(model, smiles_column)
    check_errors(errors)
    top_k = check_top_k(top_k, model)
    if not is_integer(chunk_rows) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}.")
    check_n_jobs(n_jobs)  # before the progress file is written
    n_jobs = featurising_jobs(wrapper, n_jobs)
    check_flags(progress=progress)
    source, destination = expanded(source, "source"), expanded(destination, "destination")
    check_destination(destination)
    for path in (source, destination):  # pyarrow missing: said before anything is scored or written
        if is_parquet(path):
            pyarrow_parquet(path)
    _check_source(source)
    columns = columns_of(source)
    keep = check_columns(
        columns, smiles_column, keep, model, str(source), _misread(source, columns, smiles_column), top_k
    )
    read = list(dict.fromkeys([smiles_column, *keep]))
    stat = source.stat()
    screen = {"source": str(source.resolve()), "size": stat.st_size, "modified_ns": stat.st_mtime_ns,
              **({"part_names": PART_NAME} if is_parquet(destination) else {}),
              "model": model_hash(model), "smiles_column": smiles_column,
              "columns": keep + score_columns(model, top_k),
              # the code that reads the SMILES, which the model's hash does not see: a screen is not
              # resumed by another release, whose graphs of the same rows may differ
              "versions": checked_versions()}  # fmt: skip
    with only_screen_into(destination):
        record = ScreenRecord(destination, screen)
        skip = record.state["rows"]
        if errors == "raise":  # every bad row named before anything is featurised or written
            record.check_all_valid()
            _raise_on_bad_rows(model, source, smiles_column, chunk_rows, skip)
        record.resume()
        write = write_parquet if is_parquet(destination) else write_csv
        total = parquet_file(source).metadata.num_rows if is_parquet(source) else None
        with (
            progress_bar(progress, total=total, initial=skip, unit="rows") as bar,
            nullcontext() if n_jobs is None else joblib.parallel_config(n_jobs=n_jobs),  # else the caller's
            closing(read_chunks(source, smiles_column, read, chunk_rows, skip)) as chunks,
        ):
            try:
                for frame in _noted(chunks, record):
                    scores = scores_of(frame, model, smiles_column, keep, errors, top_k)
                    _check_unchanged(source, stat, record)  # (a stat per chunk: a change is met early)
                    write(record.partial, scores, record)
                    bar.update(len(frame))
            except OSError as error:  # a disk that filled, say
                error.add_note(
                    f"The chunks scored so far are kept in {record.partial}; the same screen, run again "
                    "once that is mended, resumes from them."
                )
                raise
            except InvalidSmilesError as error:  # rows the atom mapper fails on, met chunk by chunk
                if record.state["rows"]:
                    resumes = ": the same screen with errors='nan' resumes from them"
                    error.add_note(_kept(record, "before theirs", resumes))
                raise
        # an empty source still gets its header, once (a resumed one may have it already)
        if not record.written:
            empty = scores_of(pd.DataFrame(columns=read), model, smiles_column, keep, errors, top_k)
            write(record.partial, empty, record)
        _check_unchanged(source, stat, record)
        try:
            record.finish()
        except FileExistsError:  # (which says so itself)
            raise
        except OSError as error:  # (Windows: the destination, or the record, open in another program)
            error.add_note(
                f"The whole screen is in {record.partial}; the same screen, run again once that is "
                "mended, only gives it its name."
            )
            raise
        _warn_of_invalid_rows(record, destination)
        return record.state["rows"]


def _noted(chunks: Iterator[pd.DataFrame], record: ScreenRecord) -> Iterator[pd.DataFrame]:
    """The source's chunks; where the source cannot be read on (damaged, or a malformed line, met
    with errors="nan", which reads it once), its error says where the rows scored before are kept."""
    try:
        yield from chunks
    except ValueError as error:
        if record.state["rows"]:
            error.add_note(_kept(record, "read before it"))
        raise


def _kept(record: ScreenRecord, chunks: str, resumes: str = "") -> str:
    """A note on the rows a screen stopped on the way scored and kept: those of the ``chunks``."""
    return (
        f"The first {record.state['rows']} rows (the chunks {chunks}) are scored and kept in "
        f"{record.partial}{resumes}; to screen the source once mended, remove {record.partial.name} "
        f"and {record.path.name} first."
    )


def check_destination(destination: Path) -> None:
    """Refuse a destination that names no CSV or Parquet output ("." or "/" name no file at all), or
    whose name leaves no room for the files kept beside it."""
    if destination.suffix.lower() not in (".csv", ".parquet"):
        name = destination.name
        hidden = f" ({name} alone names a hidden file; name it, e.g. scores{name})"
        raise ValueError(
            f"the destination must end in .csv or .parquet, got {str(destination)!r}"
            f"{hidden if name.lower() in ('.csv', '.parquet') else ''}."
        )
    check_room_for_helpers(destination)


def _check_unchanged(source: Path, start: os.stat_result, record: ScreenRecord) -> None:
    """Refuse to go on with a screen whose source was written, or replaced, since it started (a
    resumed screen refuses such a source from the start): its scores may be of rows of two versions."""

    def identity(stat: os.stat_result) -> tuple:  # (the file itself too: one renamed over it, same size)
        return stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev

    try:
        changed = identity(source.stat()) != identity(start)
    except FileNotFoundError:  # (removed, or replaced by a rename in progress)
        changed = True
    if not changed:
        return
    what = (
        f"{source} changed while it was screened (its size, modification time or file is not what it "
        "was at the start)"
    )
    if not record.state["rows"]:  # nothing of it kept (a header at most): run again, it starts afresh
        raise ValueError(f"{what}, before any row was written; screen it again once nothing writes to it.")
    record.spoil(f"{source} changed while it was screened")
    raise ValueError(
        f"{what}, so the scores may mix rows of two versions of it; they are kept in {record.partial}, "
        f"not named {record.destination.name}. Remove {record.partial.name} and {record.path.name}, and "
        "screen the source again once nothing writes to it."
    )


def _check_source(source: Path) -> None:
    """Refuse a source that is not one file a screen can read again (to check, then to resume)."""
    if source.is_dir():  # a Parquet screen's output, say
        raise ValueError(
            f"{source} is a directory; screen_file reads one file. For a directory of Parquet parts "
            "(another screen's output), write them into one file first (pyarrow.parquet.ParquetWriter, "
            "part by part, keeps memory to one part)."
        )
    if source.exists() and not source.is_file():
        raise ValueError(
            f"{source} is not a regular file (a pipe or a device, say): a screen reads its source more "
            "than once, to check every row before scoring and to resume; save it to a file first."
        )


def _raise_on_bad_rows(
    model: BaseEstimator, source: Path, smiles_column: str, chunk_rows: int, skip: int
) -> None:
    """Read the source's molecules after its first ``skip`` rows (scored already) and name every
    one the model cannot read in one error, or return."""
    bad = {}
    with closing(read_chunks(source, smiles_column, [smiles_column], chunk_rows, skip)) as chunks:
        for frame in chunks:
            smiles = frame[smiles_column].to_numpy(dtype=object)
            bad |= {int(frame.index[row]): item for row, item in model._find_invalid(smiles).items()}
    if not bad:
        return
    error = model._invalid_input_error(bad, SCREEN_ADVICE)
    if header := [row for row, (text, _) in bad.items() if holds_header(text, smiles_column)]:
        times = f" ({len(header)} times)" if len(header) > 1 else ""
        error.add_note(  # (where files were joined end to end)
            f"Row {header[0]} holds the column's name, {smiles_column!r}: the header repeated "
            f"inside the file{times}; were files joined?"
        )
    raise error


def _warn_of_invalid_rows(record: ScreenRecord, destination: Path) -> None:
    """Warn of the rows written with NaN scores, if any (a wrong smiles_column makes them all so)."""
    if invalid := record.state["invalid"]:
        warn(
            f"{invalid} of the {record.state['rows']} rows written to {destination} are invalid (NaN "
            "scores; the reasons are in the error column)."
        )
