"""The checks that tables read with pandas share: a line longer than the header shifts nothing,
a stray quote merges no lines, and a column name is not given twice; and where in the file a data
row, or a byte that is not UTF-8, is."""

import csv
import lzma
import os
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ._labels import few_of, shortened_repr

COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".tar")  # what pandas decompresses by the name
#: tables that are not text, by their file name's ending
NOT_TEXT = {".xlsx": "an Excel workbook", ".xls": "an Excel workbook", ".parquet": "a Parquet file",
            ".pq": "a Parquet file", ".feather": "a Feather file"}  # fmt: skip
#: what a file's first bytes say it is, where its name says text, and whether other bytes agree
#: (text may begin so too): the name's ending that tells pandas the compression, or None
_BINARY_STARTS = (
    (b"\x1f\x8b", "gzip-compressed", ".gz", lambda start, end: True),
    # a block size, then a block's magic or the end of the stream's (a header "BZh1" is text)
    (b"BZh", "bzip2-compressed", ".bz2", lambda start, end: _is_bzip2_stream(start[3:10])),
    (b"\xfd7zXZ\x00", "xz-compressed", ".xz", lambda start, end: True),
    (b"(\xb5/\xfd", "Zstandard-compressed", ".zst", lambda start, end: True),
    (b"PK\x03\x04", "a zip archive", ".zip", lambda start, end: True),
    (b"PAR1", "a Parquet file", None, lambda start, end: end == b"PAR1"),  # which ends so too
    (b"\xd0\xcf\x11\xe0", "an Excel (.xls) workbook", None, lambda start, end: True),
)


def _is_bzip2_stream(start: bytes) -> bool:
    """Whether bytes after bzip2's "BZh" are a block size and a block's magic or the stream's end."""
    return start[:1] in b"123456789" and start[1:7] in (b"1AY&SY", b"\x17rE8P\x90")


def _not_text(source: Path) -> str | None:
    """What ``source``, named as text, is by its bytes where it is no text at all (a compressed
    file, a workbook), and what to do: converting its "encoding" would garble it. None for text."""
    with open(source, "rb") as handle:
        start = handle.read(10)
        handle.seek(-min(4, Path(source).stat().st_size), os.SEEK_END)
        end = handle.read(4)
    for magic, kind, ending, agrees in _BINARY_STARTS:
        if not (start.startswith(magic) and agrees(start, end)):
            continue
        advice = f"decompress it, or add {ending} to its name (pandas tells compressions by it)"
        if ending is None:
            advice = "save it as CSV text"
        elif ending == ".zst":
            advice += "; pandas reads .zst with the zstandard package"
        elif ending == ".zip":
            try:
                with zipfile.ZipFile(source) as archive:
                    names = archive.namelist()
            except (zipfile.BadZipFile, OSError):
                names = []
            if "[Content_Types].xml" in names:  # an Office file: Excel's .xlsx
                kind, advice = "an Excel (.xlsx) workbook", "save it as CSV text"
            elif len(names) > 1:
                kind, advice = f"a zip archive of {len(names)} files", "extract the table from it"
        return f"{source} is {kind} by its first bytes, not text; {advice}."
    return None


#: what reading a compressed file raises where it is cut short, or not of the compression its
#: name says (gzip's and bzip2's are OSErrors without an errno; the file system's have one)
READ_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, tarfile.TarError)


def damaged(source: object, error: Exception) -> str | None:
    """The message for ``error`` (one of :data:`READ_ERRORS`, or pandas' EmptyDataError) of reading
    ``source`` where it says the file is damaged: cut short, empty, or not of the compression its
    name says; None for an error of the file system (no such file, no permission), as it is."""
    if isinstance(error, OSError) and error.errno is not None:
        return None
    return (
        f"{source} cannot be read as a table ({type(error).__name__}: {error}); is it complete, and "
        "the file it should be?"
    )


def check_one_member(source: Path) -> None:
    """Refuse a zip archive of other than one file: pandas reads the one file of an archive, and
    refuses others without naming the archive."""
    if Path(source).suffix.lower() != ".zip":
        return
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as error:
        raise ValueError(damaged(source, error)) from None
    if len(names) != 1:
        raise ValueError(
            f"{source} holds {len(names)} entries ({few_of(names)}); a zipped table is one file alone."
        )


def check_fields_match_header(frame: pd.DataFrame, source: object) -> None:
    """Refuse what pandas makes of data lines one field longer than the header: their first cells
    become an index, and every cell moves one column left, silently."""
    if not isinstance(frame.index, pd.RangeIndex):
        semicolons = any(";" in str(name) for name in frame.columns)  # Excel's "CSV" with decimal commas
        raise ValueError(
            f"{source} is malformed: its first data line (line 2) has more fields than the header "
            + (
                "(semicolon-separated, with decimal commas? save it with commas between fields)."
                if semicolons
                else "(a trailing delimiter on every line does this too); fix it."
            )
        )


def check_no_merged_lines(
    frame: pd.DataFrame, source: object, first_row: int = 0, whole_file_sep: str | None = None
) -> None:
    """Refuse a text field holding a line break: a quote opened in a field (a ditto mark, ``5" vial``)
    and closed lines later reads those lines into the field, and their rows are gone, silently. A
    field quoted across lines on purpose cannot be told from that, and is refused too. Where
    ``frame`` is the whole of the file ``source`` (read with the separator ``whole_file_sep``),
    the line the field starts on is named too."""
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values.dtype):  # (Parquet's numbers, say)
            continue
        broken = np.flatnonzero(values.str.contains("[\r\n]", regex=True, na=False).to_numpy())
        if broken.size:
            row = first_row + int(broken[0])
            # the line the field starts on, where the quote opened
            lines = None if whole_file_sep is None else data_lines(source, len(frame), whole_file_sep)
            where = f"data row {row}" + ("" if lines is None else f" (line {lines[row]})")
            raise ValueError(
                f"{source}: the {column!r} field of {where} spans several lines. Either a quote "
                '(") opened in it read the lines up to the quote that closes it into that field, not as '
                'rows: remove the stray quote, or double it inside a quoted field ("5"" vial"). Or the '
                "cell holds a line break on purpose (Excel's Alt+Enter), which cannot be told from "
                "that: replace the line breaks in that column."
            )


def written_header(source: object, sep: str = ",") -> list[str]:
    """The header's names as written: pandas renames a repeated one ("smiles", "smiles.1")."""
    return (
        pd.read_csv(source, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
    )


def starts_as(path: Path, head: tuple[str, ...]) -> bool:
    """Whether the text file ``path`` begins with lines that start as ``head``'s do (a file of the
    package's own, which it may overwrite or remove); False for one that cannot be read as text."""
    try:
        with open(path, encoding="utf-8-sig") as text:  # (as Excel saves a table of ours again)
            return all(text.readline().startswith(line) for line in head)
    except (OSError, UnicodeDecodeError):
        return False


def holds_header(text: object, column: str) -> bool:
    """Whether a cell holds its column's name: the header again, where files were joined end to end
    (one saved by Excel begins with a byte-order mark, which joining moves inside)."""
    return isinstance(text, str) and text.lstrip("\ufeff").strip() == column


def repeated_names(names: list) -> list:
    """The names given more than once, sorted."""
    return sorted({name for name in names if names.count(name) > 1}, key=str)


#: what follows pandas' own account of a malformed line, which counts its own way
PANDAS_NUMBERING = (
    "pandas' numbering: after blank lines or a field quoted over several lines an editor's line can differ"
)


def not_utf8(source: Path, error: UnicodeDecodeError | None = None) -> str:
    """Why ``source`` cannot be read as UTF-8, and how to convert it: not text (a compressed file,
    say, whose name does not tell pandas so), UTF-16 text, or the first line
    that is not UTF-8 (plain files: one more pass, on the way to an error; in a compressed file the
    cell pandas' ``error`` was decoding, whose offset is no place in the file)."""
    plain = Path(source).suffix.lower() not in COMPRESSED
    if plain:
        if (not_text := _not_text(source)) is not None:
            return not_text
        with open(source, "rb") as handle:
            start = handle.read(64)
    else:
        start = b"" if error is None else error.object[:64]
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):  # a byte-order mark: Excel's "Unicode text", say
        return f"{source} is UTF-16 text, not UTF-8; convert it, e.g. iconv -f utf-16 -t utf-8."
    if _utf16(start):  # no mark, but the NUL of every ASCII character's two bytes
        # (the bytes of a compressed file's cell pandas failed on, somewhere: no order told)
        return f"{source} is {_utf16_without_mark(_byte_order(start) if plain else None)}"
    where = ""
    if plain:
        # latin-1 reads any byte, so lines end where pandas ends them (\n, \r\n or a lone \r)
        with open(source, encoding="latin-1", newline=None) as handle:
            for number, text in enumerate(handle, start=1):
                line = text.encode("latin-1")
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    where = f": line {number} (the header is line 1) holds {line[bad.start : bad.end]!r}"
                    break
    elif error is not None:
        cell = error.object.decode("utf-8", "replace")
        where = f" (byte(s) {error.object[error.start : error.end]!r} in the cell {cell[:80]!r})"
    return f"{source} is not UTF-8 text{where}; save it as UTF-8, e.g. iconv -f latin1 -t utf-8."


def _utf16(start: bytes) -> bool:
    """Whether bytes are UTF-16 text without a byte-order mark by their NULs: one byte in four at
    least (ASCII text has one in two; a stray NUL is no UTF-16)."""
    return start.count(0) >= max(len(start) // 4, 1)


def _byte_order(start: bytes) -> str | None:
    """UTF-16's byte order by where the NULs of text's first bytes fall: little-endian after each
    ASCII character, big-endian before; None where that is not clear."""
    even, odd = start[0::2].count(0), start[1::2].count(0)
    return None if even == odd else "utf-16le" if odd > even else "utf-16be"


def _utf16_without_mark(order: str | None) -> str:
    """What text whose NULs say it is UTF-16 without a byte-order mark is, and how to convert it."""
    return (
        "UTF-16 text without a byte-order mark (NUL bytes), not UTF-8? Convert it, e.g. "
        f"iconv -f {order or 'utf-16le (or utf-16be)'} -t utf-8."
    )


def check_no_nul(columns: list, source: object) -> None:
    """Refuse a header holding NUL characters: UTF-16 text without a byte-order mark reads as UTF-8
    (its NULs are valid UTF-8), each name and cell interleaved with them, silently."""
    names = [str(name) for name in columns if "\x00" in str(name)]
    if not names:
        return
    # the file's first bytes; a compressed file's header, whose first name alone begins the text
    first = str(columns[0]).encode("latin-1", "replace")
    start = ",".join(map(str, columns)).encode("latin-1", "replace")
    if isinstance(source, str | os.PathLike) and Path(source).suffix.lower() not in COMPRESSED:
        with open(source, "rb") as handle:
            start = first = handle.read(64)
    shown = f"{source} holds NUL characters in its header ({shortened_repr(names[0], 40)})"
    if not _utf16(start):
        raise ValueError(f"{shown}, which text does not hold: remove them.")
    raise ValueError(f"{shown}: " + _utf16_without_mark(_byte_order(first) if _utf16(first) else None))


def data_lines(source: Path, n_rows: int, sep: str = ",") -> np.ndarray | None:
    """The line of ``source`` on which each of the ``n_rows`` data rows pandas read from it starts
    (the header is line 1, the blank lines pandas skips are counted), for messages a text editor
    or a spreadsheet can follow; None where that cannot be told: a compressed file, or one that
    the csv module splits otherwise than pandas (another number of rows)."""
    if Path(source).suffix.lower() in COMPRESSED:
        return None
    starts, limit = [], csv.field_size_limit(2**31 - 1)  # a stray quote's field can hold many lines
    try:
        with open(source, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=sep)
            while True:
                first = reader.line_num + 1
                record = next(reader, None)
                if record is None:
                    break
                if not _blank(record):
                    starts.append(first)
    except (csv.Error, UnicodeDecodeError):
        return None
    finally:
        csv.field_size_limit(limit)
    return np.array(starts[1:]) if len(starts) == n_rows + 1 else None


def _blank(record: list[str]) -> bool:
    """Whether pandas skips the line the csv module read as ``record``: an empty one, or one of
    spaces and tabs; a line of an empty quoted field, ``""``, is a row."""
    return not record or (len(record) == 1 and record[0] != "" and not record[0].strip(" \t"))
