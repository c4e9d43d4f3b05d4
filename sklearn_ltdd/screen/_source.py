"""Reading a library to screen: a CSV file (compressed too) or a Parquet file, a chunk of rows at a
time, its cells as text, its rows numbered as ``screen_file`` numbers them; and the table of the
rows a screen found bad, with the columns that identify them."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

import numpy as np
import pandas as pd
from rdkit import Chem

from .._csv import (
    COMPRESSED,
    NOT_TEXT,
    PANDAS_NUMBERING,
    READ_ERRORS,
    check_fields_match_header,
    check_no_merged_lines,
    check_no_nul,
    check_one_member,
    damaged,
    not_utf8,
    repeated_names,
    written_header,
)
from .._labels import few_of
from .._optional import import_optional
from ..featurize._smiles import rdkit_reading

__all__ = [
    "bad_rows_table",
    "columns_of",
    "is_parquet",
    "parquet_file",
    "pyarrow_parquet",
    "read_chunks",
    "smiles_in_header",
]


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def pyarrow_parquet(path: Path) -> ModuleType:
    """pyarrow.parquet, to read or write the Parquet file ``path``; an error names the extra."""
    return import_optional("pyarrow.parquet", "parquet", f"the Parquet file {path.name}")


def parquet_file(source: Path):
    pq = pyarrow_parquet(source)
    try:
        return pq.ParquetFile(source)
    except ValueError as error:  # pyarrow's ArrowInvalid, which does not name the file
        raise ValueError(f"{source} cannot be read as Parquet: {error}") from None


def columns_of(source: Path) -> list[str]:
    if is_parquet(source):
        schema = parquet_file(source).schema_arrow
        # a pandas (or Dask) index saved with the frame: named, it is a column like the others;
        # unnamed (``__index_level_0__``, ``__null_dask_index__``), it is bookkeeping, not data
        saved = (schema.pandas_metadata or {}).get("index_columns", [])
        unnamed = {c for c in saved if isinstance(c, str) and c.startswith("__") and c.endswith("__")}
        return [name for name in schema.names if name not in unnamed]
    suffix = source.suffix.lower()
    if suffix in NOT_TEXT and suffix != ".pq":  # (a .pq file is said below, by its Parquet bytes)
        raise ValueError(
            f"{source} is {NOT_TEXT[suffix]}; a screen reads CSV or Parquet: save it as one of these."
        )
    with open(source, "rb") as handle:
        start = handle.read(4)
        handle.seek(-min(4, source.stat().st_size), os.SEEK_END)
        if start == b"PAR1" == handle.read(4):  # Parquet's magic number, which begins and ends it
            raise ValueError(f"{source} is a Parquet file; name it .parquet (a name tells it from CSV).")
    check_one_member(source)
    try:
        columns = list(pd.read_csv(source, nrows=0).columns)
        check_no_nul(columns, source)
        repeated = repeated_names([name for name in written_header(source) if name])  # ("": unnamed)
        if repeated:
            raise ValueError(f"{source} has the column(s) {repeated} more than once; rename them.")
        return columns
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source} is empty: a CSV source needs a header row naming its columns.") from None
    except UnicodeDecodeError:
        raise ValueError(not_utf8(source)) from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{source}'s header cannot be read as UTF-8 CSV ({error}).") from None
    except READ_ERRORS as error:  # a compressed file cut short, or not of its compression
        if (message := damaged(source, error)) is None:
            raise
        raise ValueError(message) from None


def smiles_in_header(columns: list[str]) -> str | None:
    """The first column name that RDKit reads as a molecule of three atoms or more (a file without
    a header row gives pandas its first row as names; "S" or "CO" may well be names), or None."""
    with rdkit_reading():
        molecules = ((name, Chem.MolFromSmiles(name)) for name in columns if name.strip())
        return next((name for name, mol in molecules if mol is not None and mol.GetNumAtoms() >= 3), None)


def _pandas_type(arrow_type) -> pd.ArrowDtype | None:
    """Arrow types kept as they are, but a dictionary column as pandas' categorical (None: pyarrow's
    default), which pandas writes back to Parquet and reads again (its Arrow dictionary it cannot)."""
    import pyarrow as pa

    return None if pa.types.is_dictionary(arrow_type) else pd.ArrowDtype(arrow_type)


def _as_text(batch, column: str, source: Path, start: int):
    """``batch`` (an Arrow record batch of the file's rows from row ``start`` on) as a table whose
    ``column`` is text: some writers store strings as plain binary, without Parquet's UTF-8
    annotation, and pyarrow reads those as bytes. Bytes that are not UTF-8 are an error naming their
    rows, as a CSV file's line is (no text column of the scores could hold them as they are)."""
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
        cells = table.column(at).to_pylist()
        rows = [f"row {start + i}: {cell!r}" for i, cell in enumerate(cells) if cell and not _utf8(cell)]
        raise ValueError(
            f"{source}'s column {column!r} holds bytes that are not UTF-8 text, so they cannot be read "
            f"as SMILES ({few_of(rows, joined_by='; ')}; rows counted from 0, the first row of data); "
            "write that column as text (UTF-8)."
        ) from None


def _parquet_frames(batches: Iterator, column: str, source: Path) -> Iterator[pd.DataFrame]:
    """The record batches as frames, ``column`` as text; a saved index stays a column."""
    start = 0
    for batch in batches:
        yield _as_text(batch, column, source, start).to_pandas(
            types_mapper=_pandas_type, ignore_metadata=True
        )
        start += batch.num_rows


def _utf8(cell: bytes) -> bool:
    try:
        cell.decode()
    except UnicodeDecodeError:
        return False
    return True


def read_chunks(
    source: Path, smiles_column: str, columns: list[str], chunk_rows: int, skip: int
) -> Iterator[pd.DataFrame]:
    """The file's rows from row ``skip`` on, ``chunk_rows`` at a time, indexed by row number (0: the
    first row after the header). CSV cells are read as text, verbatim: identifiers keep leading
    zeros and an empty SMILES cell is an empty string. Parquet columns keep their Arrow types (an
    integer column with nulls stays integer in every chunk; a categorical column stays categorical),
    but a SMILES column stored as binary is decoded as UTF-8."""
    csv = not is_parquet(source)
    if not csv:
        reader, hold = parquet_file(source), False
        batches = _parquet_frames(
            reader.iter_batches(batch_size=chunk_rows, columns=columns), smiles_column, source
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
        start, held = 0, []
        try:
            for frame in batches:
                if csv:  # (a Parquet cell may hold a line break: it has no quotes to go astray)
                    check_fields_match_header(frame, source)
                    check_no_merged_lines(frame, source, start)
                frame.index = pd.RangeIndex(start, start + len(frame))
                start += len(frame)
                if hold:
                    frame, held = _empty_end(frame, held)
                if len(kept := frame[frame.index >= skip][columns]):
                    yield kept
            if held and len(empty := pd.concat(held)):  # the file's last rows are empty cells or blank lines
                rows = empty.iloc[: len(empty) - _blank_lines_at_end(source, len(empty))]
                if len(kept := rows[rows.index >= skip][columns]):
                    yield kept
        except pd.errors.ParserError as error:
            raise ValueError(
                f"{source} is not a well-formed CSV file: {str(error).strip()} ({PANDAS_NUMBERING}); "
                "fix that line."
            ) from None
        except UnicodeDecodeError:
            raise ValueError(not_utf8(source)) from None
        except READ_ERRORS as error:  # cut short past its header
            if (message := damaged(source, error)) is None:
                raise
            raise ValueError(message) from None


def _empty_end(frame: pd.DataFrame, held: list[pd.DataFrame]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """A one-column frame, after the chunks of empty cells ``held`` before it, cut before the
    empty cells that end it, and those. A chunk of empty cells alone joins them unread (joined
    and read again at every chunk, a run of 800,000 blank lines took 6 s)."""
    filled = np.flatnonzero(frame.iloc[:, 0].to_numpy(dtype=object) != "")
    if not filled.size:
        return frame.iloc[:0], [*held, frame]
    cut = filled[-1] + 1
    filled_end = pd.concat([*held, frame.iloc[:cut]]) if held else frame.iloc[:cut]  # (no copy of a chunk)
    return filled_end, [frame.iloc[cut:]]


@contextmanager
def _zip_member(path: Path, mode: str = "rb") -> Iterator[BinaryIO]:
    """The one file of a zip archive, which is what pandas reads of it."""
    with zipfile.ZipFile(path) as archive:
        if len(names := archive.namelist()) != 1:
            raise ValueError(f"{path} holds {len(names)} files; a zipped CSV source holds one.")
        with archive.open(names[0], mode[0]) as member:
            yield member


@contextmanager
def _tar_member(path: Path, mode: str = "rb") -> Iterator[BinaryIO]:
    """The one file of a tar archive, compressed or not, which is what pandas reads of it."""
    with tarfile.open(path) as archive:
        if len(files := [member for member in archive.getmembers() if member.isfile()]) != 1:
            raise ValueError(f"{path} holds {len(files)} files; a tar CSV source holds one.")
        with archive.extractfile(files[0]) as member:
            yield member


#: the compressions whose end is read through the standard library's decompressors
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".zip": _zip_member, ".tar": _tar_member}
#: the endings pandas reads as a tar archive, whatever compresses it
_TAR = (".tar", ".tar.gz", ".tar.bz2", ".tar.xz")


def _blank_lines_at_end(source: Path, at_most: int) -> int:
    """How many blank lines end ``source`` after its last line's break (at most ``at_most``, the
    empty cells read at its end; an empty cell written ``""`` is no blank line). A compression
    the standard library cannot read counts none: those rows are kept, and named as empty."""
    suffix = ".tar" if source.name.lower().endswith(_TAR) else source.suffix.lower()
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
    source: str | os.PathLike[str], smiles_column: str, keep: Sequence[str] | None, bad_rows: dict
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
    columns = columns_of(source) if keep is None else list(keep)
    others = [c for c in dict.fromkeys(columns) if c != smiles_column]
    if not others:
        return table
    wanted = table["row"].to_numpy()
    with closing(read_chunks(source, smiles_column, [smiles_column, *others], 100_000, 0)) as chunks:
        found = pd.concat([frame.loc[frame.index.isin(wanted), others] for frame in chunks])
    found = found.rename(columns=lambda c: f"{c} (source)" if c in table.columns else c)
    return pd.concat([table.set_index("row", drop=False), found], axis=1).reset_index(drop=True)
