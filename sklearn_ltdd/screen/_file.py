"""Screening a file: a CSV or Parquet library in, its rows with their scores out, a chunk at a
time, resumable after an interruption."""

from __future__ import annotations

import bz2
import errno
import gzip
import json
import lzma
import numbers
import os
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from .._compat import check_n_jobs
from .._csv import (
    COMPRESSED,
    check_fields_match_header,
    check_no_merged_lines,
    repeated_names,
    written_header,
)
from .._optional import import_optional
from .._progress import progress_bar
from .._warnings import warn
from ..classifier._base import GraphClassifier
from ._frame import SCREEN_ADVICE, check_columns, check_errors, check_model, score_columns, scores_of

if os.name == "nt":
    import msvcrt
else:
    import fcntl

__all__ = ["screen_file"]


def model_hash(model: GraphClassifier) -> str:
    """A hash of what a fitted model computes, the same for the model and every load of it.

    (``joblib.hash(model)`` is not: skorch pickles its modules with ``torch.save``, which writes a
    unique id into every archive.) Each attribute is hashed on its own: a fitted model's
    ``classes_`` is its label encoder's array, a loaded one's a copy, and a pickle of the whole
    would record the difference. Where and how verbosely it runs is left out, so that a screen
    started on a laptop resumes on a GPU machine, with a progress bar or without.
    """
    ignored = ("net_", "device_", "device", "verbose")
    attributes = {k: joblib.hash(v) for k, v in vars(model).items() if k not in ignored}
    tensors = {
        f"{part}.{name}": (
            str(t.dtype),
            tuple(t.shape),
            t.detach().cpu().reshape(-1).view(torch.uint8).numpy(),
        )
        for part in ("module_", "criterion_")
        for name, t in getattr(model.net_, part).state_dict().items()
    }
    return joblib.hash((type(model).__qualname__, attributes, tensors))


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def _pyarrow_parquet(path: Path) -> ModuleType:
    """pyarrow.parquet, to read or write the Parquet file ``path``; an error names the extra."""
    return import_optional("pyarrow.parquet", "parquet", f"the Parquet file {path.name}")


def _parquet_file(source: Path):
    pq = _pyarrow_parquet(source)
    try:
        return pq.ParquetFile(source)
    except ValueError as error:  # pyarrow's ArrowInvalid, which does not name the file
        raise ValueError(f"{source} cannot be read as Parquet: {error}") from None


def _columns(source: Path) -> list[str]:
    if _is_parquet(source):
        schema = _parquet_file(source).schema_arrow
        # a pandas (or Dask) index saved with the frame: named, it is a column like the others;
        # unnamed (``__index_level_0__``, ``__null_dask_index__``), it is bookkeeping, not data
        saved = (schema.pandas_metadata or {}).get("index_columns", [])
        unnamed = {c for c in saved if isinstance(c, str) and c.startswith("__") and c.endswith("__")}
        return [name for name in schema.names if name not in unnamed]
    try:
        columns = list(pd.read_csv(source, nrows=0).columns)
        repeated = repeated_names([name for name in written_header(source) if name])  # ("": unnamed)
        if repeated:
            raise ValueError(f"{source} has the column(s) {repeated} more than once; rename them.")
        return columns
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source} is empty: a CSV source needs a header row naming its columns.") from None
    except UnicodeDecodeError:
        raise ValueError(_not_utf8(source)) from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{source}'s header cannot be read as UTF-8 CSV ({error}).") from None


def _not_utf8(source: Path) -> str:
    """Why ``source`` cannot be read as UTF-8, naming the first line that is not (plain files: one
    more pass, on the way to an error), and how to convert it."""
    with open(source, "rb") as handle:
        start = handle.read(2)
    if start in (b"\xff\xfe", b"\xfe\xff"):  # a byte-order mark: Excel's "Unicode text", say
        return f"{source} is UTF-16 text, not UTF-8; convert it, e.g. iconv -f utf-16 -t utf-8."
    where = ""
    if source.suffix.lower() not in COMPRESSED:
        # latin-1 reads any byte, so lines end where pandas ends them (\n, \r\n or a lone \r)
        with open(source, encoding="latin-1", newline=None) as handle:
            for number, text in enumerate(handle, start=1):
                line = text.encode("latin-1")
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as error:
                    where = f": line {number} (the header is line 1) holds {line[error.start : error.end]!r}"
                    break
    return f"{source} is not UTF-8 text{where}; save it as UTF-8, e.g. iconv -f latin1 -t utf-8."


def _pandas_type(arrow_type) -> pd.ArrowDtype | None:
    """Arrow types kept as they are, but a dictionary column as pandas' categorical (None: pyarrow's
    default), which pandas writes back to Parquet and reads again (its Arrow dictionary it cannot)."""
    import pyarrow as pa

    return None if pa.types.is_dictionary(arrow_type) else pd.ArrowDtype(arrow_type)


def _as_text(batch, column: str, source: Path):
    """``batch`` (an Arrow record batch) as a table whose ``column`` is text: some writers store
    strings as plain binary, without Parquet's UTF-8 annotation, and pyarrow reads those as bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.Table.from_batches([batch])
    at = table.schema.get_field_index(column)
    kind = table.schema.field(at).type
    if not (pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
        return table
    try:
        text = pa.large_string() if pa.types.is_large_binary(kind) else pa.string()
        return table.set_column(at, column, pc.cast(table.column(at), text))
    except pa.ArrowInvalid:
        raise ValueError(
            f"{source}'s column {column!r} holds bytes that are not UTF-8 text, so they cannot be read "
            "as SMILES; write that column as text (UTF-8)."
        ) from None


def _chunks(
    source: Path, smiles_column: str, columns: list[str], chunk_rows: int, skip: int
) -> Iterator[pd.DataFrame]:
    """The file's rows from row ``skip`` on, ``chunk_rows`` at a time, indexed by row number (0: the
    first row after the header). CSV cells are read as text, verbatim: identifiers keep leading
    zeros and an empty SMILES cell is an empty string. Parquet columns keep their Arrow types (an
    integer column with nulls stays integer in every chunk; a categorical column stays categorical),
    but a SMILES column stored as binary is decoded as UTF-8."""
    if _is_parquet(source):
        reader, hold = _parquet_file(source), False
        batches = (
            _as_text(batch, smiles_column, source).to_pandas(  # a saved index stays a column
                types_mapper=_pandas_type, ignore_metadata=True
            )
            for batch in reader.iter_batches(batch_size=chunk_rows, columns=columns)
        )
    else:
        # every column read, not usecols=columns: with usecols pandas no longer checks that a line
        # has the header's number of fields, and one extra field would shift that row's cells.
        # In a file of one column a blank line is a row whose cell is empty (how a spreadsheet
        # writes a missing SMILES there), not a line to skip: skipped, the row and its place were
        # lost. The blank lines that end a file (an editor's, or echo's, last line break) are not
        # rows: a chunk's empty cells at its end wait for a filled one, or the end of the file
        hold = len(written_header(source)) == 1
        reader = pd.read_csv(
            source, dtype=str, keep_default_na=False, skip_blank_lines=not hold, chunksize=chunk_rows
        )
        batches = iter(reader)
    with reader:  # closed also when the caller stops early (closing() around this generator)
        start, held = 0, None
        try:
            for frame in batches:
                check_fields_match_header(frame, source)
                check_no_merged_lines(frame, source, start)
                frame.index = pd.RangeIndex(start, start + len(frame))
                start += len(frame)
                if hold:
                    frame, held = _empty_end(frame if held is None else pd.concat([held, frame]))
                if len(kept := frame[frame.index >= skip][columns]):
                    yield kept
            if held is not None and len(held):  # the file's last rows are empty: cells, or blank lines
                rows = held.iloc[: len(held) - _blank_lines_at_end(source, len(held))]
                if len(kept := rows[rows.index >= skip][columns]):
                    yield kept
        except pd.errors.ParserError as error:
            raise ValueError(
                f"{source} is not a well-formed CSV file: {str(error).strip()}; fix that line."
            ) from None
        except UnicodeDecodeError:
            raise ValueError(_not_utf8(source)) from None


def _empty_end(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A one-column frame cut before the empty cells that end it, and those."""
    filled = np.flatnonzero(frame.iloc[:, 0].to_numpy(dtype=object) != "")
    cut = filled[-1] + 1 if filled.size else 0
    return frame.iloc[:cut], frame.iloc[cut:]


#: the compressions whose end is read through the standard library's decompressors
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _blank_lines_at_end(source: Path, at_most: int) -> int:
    """How many blank lines end ``source`` after its last line's break (at most ``at_most``, the
    empty cells read at its end; an empty cell written ``""`` is no blank line). A compression
    the standard library cannot read counts none: those rows are kept, and named as empty."""
    suffix = source.suffix.lower()
    if suffix in COMPRESSED and suffix not in _OPENERS:
        return 0
    tail = b""
    with (_OPENERS[suffix] if suffix in _OPENERS else open)(source, "rb") as handle:
        if suffix in _OPENERS:  # a stream: read through to its end, keeping its last bytes
            while block := handle.read(1 << 20):
                tail = (tail + block)[-(4 * at_most + 8) :]
        else:
            handle.seek(max(0, source.stat().st_size - (4 * at_most + 8)))
            tail = handle.read()
    ends = tail.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    breaks = len(ends) - len(ends.rstrip(b"\n"))
    return min(max(breaks - 1, 0), at_most)


def bad_rows_table(
    source: str | os.PathLike, smiles_column: str, keep: list[str] | None, bad_rows: dict
) -> pd.DataFrame:
    """The rows an :class:`~sklearn_ltdd.featurize.InvalidSmilesError` of a file screen names
    (``bad_rows``: row number to value and reason) as a table: ``row``, ``value`` (the SMILES cell),
    ``reason``, then the source's ``keep`` columns of each row (None: all), the identifiers that
    find it, read in one more pass over the file. A kept column named as one of the first three
    gets `` (source)`` after its name."""
    source = Path(source)
    table = pd.DataFrame(
        [(row, value, reason) for row, (value, reason) in sorted(bad_rows.items())],
        columns=["row", "value", "reason"],
    )
    columns = _columns(source) if keep is None else list(keep)
    others = [c for c in dict.fromkeys(columns) if c != smiles_column]
    if not others:
        return table
    wanted = table["row"].to_numpy()
    with closing(_chunks(source, smiles_column, [smiles_column, *others], 100_000, 0)) as chunks:
        found = pd.concat([frame.loc[frame.index.isin(wanted), others] for frame in chunks])
    found = found.rename(columns=lambda c: f"{c} (source)" if c in table.columns else c)
    return pd.concat([table.set_index("row", drop=False), found], axis=1).reset_index(drop=True)


# what a non-blocking lock raises where another process holds it (Windows: EACCES)
_HELD = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES}


@contextmanager
def _only_screen_into(destination: Path) -> Iterator[None]:
    """Hold an operating-system lock on ``<destination>.lock`` while a screen reads its progress
    and writes: a second process screening into the same destination at the same time would
    append its chunks to the first's. The lock dies with its process, so a killed screen still
    resumes. The file is removed while still locked (on Windows, which cannot remove an open
    file, it stays)."""
    if not destination.parent.is_dir():
        raise FileNotFoundError(
            f"{destination.parent} is not a folder; create it, or choose another destination."
        )
    path = destination.with_name(destination.name + ".lock")
    with _take_lock(path, destination) as lock:
        try:
            yield
        finally:
            _release(lock, path)


def _take_lock(path: Path, destination: Path) -> BinaryIO:
    while True:
        lock = open(path, "a+b")  # held open beyond this function, until the screen ends
        try:
            _lock(lock)
        except OSError as error:
            lock.close()
            if error.errno not in _HELD:
                raise
            raise BlockingIOError(
                f"another process is screening into {destination} now (it holds {path.name}); wait for "
                "it to finish, or choose another destination."
            ) from None
        if _is_at(lock, path):
            return lock
        lock.close()  # its holder removed it after it was opened here: lock the file now at the path


if os.name == "nt":

    def _lock(file: BinaryIO) -> None:
        os.lseek(file.fileno(), 0, os.SEEK_SET)  # locking() starts at the position; "a+" opens at the end
        msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)

    def _release(file: BinaryIO, path: Path) -> None:
        os.lseek(file.fileno(), 0, os.SEEK_SET)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)  # Windows frees it at close only eventually

else:

    def _lock(file: BinaryIO) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _release(file: BinaryIO, path: Path) -> None:
        if _is_at(file, path):  # removed while locked: whoever opened it meanwhile sees that, retries
            path.unlink()


def _is_at(file: BinaryIO, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(file.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


#: what each field of a screen's record is, for a refusal to resume to name what changed
_WHAT = {
    "source": "source",
    "size": "source's size in bytes",
    "modified_ns": "source's modification time (ns)",
    "model": "model (a hash of its weights and fitted attributes)",
    "smiles_column": "SMILES column",
    "columns": "columns written",
}


def _changed(was: dict, now: dict) -> str:
    """What differs between two records of a screen, each field with its value then and now."""
    differ = [f"its {_WHAT.get(key, key)} ({was.get(key)!r}, now {now.get(key)!r})"
              for key in dict.fromkeys([*now, *was]) if was.get(key) != now.get(key)]  # fmt: skip
    return "; ".join(differ) or f"its record {was!r}"


def partial_path(destination: Path) -> Path:
    """Where a screen into ``destination`` writes until it is complete: a file (or a directory of
    Parquet parts) that is renamed to ``destination`` at the end, so that ``destination`` exists
    only when it holds every row."""
    return destination.with_name(destination.name + ".partial")


class _Progress:
    """What a screen has written so far into its :func:`partial_path`, kept beside the destination
    (``<destination>.progress.json``) and updated after each chunk is safely on disk; removed when
    the screen is complete. It names the source (path, size, modification time), the model
    (:func:`model_hash`) and the columns, so that only the same screen resumes."""

    def __init__(self, destination: Path, screen: dict):
        self.destination = destination
        self.partial = partial_path(destination)
        self.path = destination.with_name(destination.name + ".progress.json")
        self.state = {"screen": screen, "rows": 0, "bytes": 0, "parts": 0, "invalid": 0}
        if not self.path.exists():
            for path in (destination, self.partial):  # (a .partial without it: what was written, unknown)
                if path.exists():
                    raise FileExistsError(
                        f"{path} exists and is not an unfinished screen (no {self.path.name} beside it); "
                        "remove it or choose another destination."
                    )
            return
        saved = json.loads(self.path.read_text(encoding="utf-8"))
        if saved.get("screen") == screen:
            # (a record of a release that did not count the invalid rows: counted from here on)
            self.state = (
                saved if "invalid" in saved else {**saved, "invalid": 0, "invalid_from": saved["rows"]}
            )
        # another screen that failed before writing a row (e.g. a source that was not UTF-8,
        # fixed since) has nothing to resume: this one starts afresh
        elif saved.get("rows"):
            unfinished = self.partial if self.partial.exists() else destination
            raise ValueError(
                f"{unfinished} is an unfinished screen of another source, model or columns: "
                f"{_changed(saved.get('screen') or {}, screen)}. Remove it and {self.path.name}, or "
                "choose another destination."
            )
        if not destination.exists():
            return
        if self.partial.exists():
            raise FileExistsError(
                f"{destination} exists beside the unfinished screen {self.partial.name} "
                f"({self.state['rows']} rows recorded in {self.path.name}); move {destination.name} away "
                "to let the screen finish, or choose another destination."
            )
        if not (self.written or self._is_ours(destination)):
            raise FileExistsError(
                f"{destination} exists, but {self.path.name} records nothing written to it; remove one "
                "of the two, or choose another destination."
            )
        # a screen of the release before, which wrote into the destination itself, or one stopped
        # between its last rename and removing this record: it goes on from its partial output
        os.replace(destination, self.partial)

    @property
    def written(self) -> bool:
        """Whether any output is recorded as written (a header counts, a chunk of rows too)."""
        return bool(self.state["bytes"] or self.state["parts"])

    def save(self, **state: int) -> None:
        self.state.update(state)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(temporary, self.path)  # atomic: an interruption leaves the old state or the new

    def wrote(self, frame: pd.DataFrame, **state: int) -> None:
        """Save that ``frame``'s scores are on disk: its rows and its invalid ones counted."""
        invalid = self.state["invalid"] + int((~frame["valid"]).sum())
        self.save(rows=self.state["rows"] + len(frame), invalid=invalid, **state)

    def resume(self) -> None:
        """Record the start (before the partial output exists, so an interruption in the first
        chunk resumes too), then drop whatever an interruption left after the last chunk recorded."""
        self.save()
        partial = self.partial
        if partial.exists() and not self.written:
            self._check_it_is_ours()  # (its first chunk, written and not yet recorded, is)
        if _is_parquet(self.destination):
            partial.mkdir(exist_ok=True)
            parts = sorted(partial.glob("part-*"))
            kept = [partial / f"part-{i:06d}.parquet" for i in range(self.state["parts"])]
            if not set(kept) <= set(parts):
                self._lost(f"parts {[p.name for p in kept if p not in parts]} are missing")
            for part in set(parts) - set(kept):
                part.unlink()
        else:
            size = partial.stat().st_size if partial.exists() else 0
            if size < self.state["bytes"]:
                self._lost(f"it holds {size} bytes of the {self.state['bytes']} written")
            if partial.exists():  # also before the first chunk was recorded: its header and rows
                with open(partial, "r+b") as out:
                    out.truncate(self.state["bytes"])

    def finish(self) -> None:
        """Give the complete output its name, then remove the record (stopped in between, the
        same screen run again finds the destination with its record, and finishes again)."""
        if self.destination.exists() or self.destination.is_symlink():  # written by another meanwhile
            raise FileExistsError(
                f"{self.destination} appeared while the screen ran, and is not overwritten: the whole "
                f"screen ({self.state['rows']} rows) is in {self.partial}. Move {self.destination.name} "
                f"away and run the same screen again, which only renames {self.partial.name}, or rename "
                "it yourself."
            )
        os.rename(self.partial, self.destination)  # (Windows also refuses an existing destination)
        self.path.unlink()

    def _is_ours(self, path: Path) -> bool:
        """Whether ``path`` can be this screen's output as far as it goes: a CSV that begins as its
        header does, a directory of nothing but parts."""
        if _is_parquet(self.destination):
            return path.is_dir() and all(entry.name.startswith("part-") for entry in path.iterdir())
        header = pd.DataFrame(columns=self.state["screen"]["columns"]).to_csv(index=False).encode()
        with open(path, "rb") as out:
            return header.startswith(out.read(len(header)))

    def _check_it_is_ours(self) -> None:
        """Before anything was recorded as written, a partial output is this screen's only if it
        :meth:`_is_ours`; anything else was written by someone else after a failed start, and is
        not emptied."""
        if not self._is_ours(self.partial):
            raise FileExistsError(
                f"{self.partial} was not written by this screen ({self.path.name} records nothing "
                f"written to it); remove one of the two, or choose another destination."
            )

    def _lost(self, what: str) -> None:
        raise ValueError(
            f"{self.path.name} records {self.state['rows']} rows written to {self.partial}, but {what}; "
            f"remove {self.path.name} (and what is left of {self.partial.name}) to start again."
        )


def _write_csv(partial: Path, frame: pd.DataFrame, progress: _Progress) -> None:
    with open(partial, "a", encoding="utf-8", newline="") as out:
        out.write(frame.to_csv(index=False, header=progress.state["bytes"] == 0))  # once, resumed too
        out.flush()
        os.fsync(out.fileno())
        progress.wrote(frame, bytes=out.tell())


def _write_parquet(partial: Path, frame: pd.DataFrame, progress: _Progress) -> None:
    part = partial / f"part-{progress.state['parts']:06d}.parquet"
    temporary = part.with_suffix(".tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, part)
    progress.wrote(frame, parts=progress.state["parts"] + 1)


def screen_file(
    model: BaseEstimator,
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
        SMILES column stored as binary is read as UTF-8 text.
    destination : path
        ``.csv``, or ``.parquet``: a directory of parts (``part-000000.parquet``, one per chunk),
        which pandas, pyarrow and Dask read as one table. It must not exist, and a
        ``<destination>.partial`` beside it must be an unfinished screen of this source, model
        and columns (so must the destination itself, where a screen of the release before left
        it unfinished: it goes on from there).
    smiles_column : str, default="smiles"
        The column of SMILES (or reaction SMILES) to score.
    keep : list of str, default=None
        The input columns written beside the scores (identifiers, names); None keeps all, the
        SMILES included.
    errors : {"raise", "nan"}, default="raise"
        ``"raise"``: a first pass parses every row (no featurisation, about a quarter of its cost)
        and raises one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` naming every bad row
        before anything is scored or written. ``"nan"``: bad rows are written with NaN
        probabilities, no prediction, ``valid`` False and their reason in ``error``, and a
        warning at the end says how many there were. Rows are numbered from 0, the header not
        counted; in a CSV file of one column a blank line is a row (an empty SMILES), but for the
        blank lines that end the file.
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
    model = check_model(model, smiles_column)
    check_errors(errors)
    if not isinstance(chunk_rows, numbers.Integral) or isinstance(chunk_rows, bool) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}.")
    check_n_jobs(n_jobs)  # before the progress file is written
    source, destination = Path(source), Path(destination)
    if destination.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"the destination must end in .csv or .parquet, got {destination.name!r}.")
    for path in (source, destination):  # pyarrow missing: said before anything is scored or written
        if _is_parquet(path):
            _pyarrow_parquet(path)
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
    columns = _columns(source)
    # one column whose name holds a separator: most likely not a comma-separated file
    other_separator = not _is_parquet(source) and len(columns) == 1 and any(c in columns[0] for c in "\t ;|")
    note = " (read as comma-separated; if it is separated otherwise, convert it to CSV or Parquet)"
    keep = check_columns(columns, smiles_column, keep, model, str(source), note if other_separator else "")
    read = list(dict.fromkeys([smiles_column, *keep]))
    stat = source.stat()
    screen = {"source": str(source.resolve()), "size": stat.st_size, "modified_ns": stat.st_mtime_ns,
              "model": model_hash(model), "smiles_column": smiles_column,
              "columns": keep + score_columns(model)}  # fmt: skip
    if not _is_parquet(source) and len(columns) == 1:  # numbered so since this release: not resumed
        screen["blank_lines"] = "rows"  # from a record that skipped them, whose row numbers differ
    with _only_screen_into(destination):
        record = _Progress(destination, screen)
        skip = record.state["rows"]
        if errors == "raise":  # every bad row named before anything is featurised or written
            bad = {}
            with closing(_chunks(source, smiles_column, [smiles_column], chunk_rows, skip)) as chunks:
                for frame in chunks:
                    smiles = frame[smiles_column].to_numpy(dtype=object)
                    bad |= {int(frame.index[row]): item for row, item in model._find_invalid(smiles).items()}
            if bad:
                raise model._invalid_input_error(bad, SCREEN_ADVICE)
        record.resume()
        write = _write_parquet if _is_parquet(destination) else _write_csv
        total = _parquet_file(source).metadata.num_rows if _is_parquet(source) else None
        with (
            progress_bar(progress, total=total, initial=skip, unit="rows") as bar,
            nullcontext() if n_jobs is None else joblib.parallel_config(n_jobs=n_jobs),  # else the caller's
            closing(_chunks(source, smiles_column, read, chunk_rows, skip)) as chunks,
        ):
            try:
                for frame in chunks:
                    write(record.partial, scores_of(frame, model, smiles_column, keep, errors), record)
                    bar.update(len(frame))
            except OSError as error:  # a disk that filled, say
                error.add_note(
                    f"The chunks scored so far are kept in {record.partial}; the same screen, run again "
                    "once that is mended, resumes from them."
                )
                raise
        # an empty source still gets its header, once (a resumed one may have it already)
        if not record.written:
            empty = scores_of(pd.DataFrame(columns=read), model, smiles_column, keep, errors)
            write(record.partial, empty, record)
        record.finish()
        if invalid := record.state["invalid"]:  # a wrong smiles_column makes them all so
            n_rows, start = record.state["rows"], record.state.get("invalid_from", 0)
            rows = f"rows {start} to {n_rows - 1} of the {n_rows}" if start else f"the {n_rows} rows"
            warn(
                f"{invalid} of {rows} written to {destination} are invalid (NaN scores; the reasons are in "
                "the error column)."
            )
        return record.state["rows"]
