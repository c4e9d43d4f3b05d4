"""The checks that tables read with pandas share: a line longer than the header shifts nothing,
a stray quote merges no lines, and a column name is not given twice."""

import numpy as np
import pandas as pd

COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".tar")  # what pandas decompresses by the name
#: tables that are not text, by their file name's ending
NOT_TEXT = {".xlsx": "an Excel workbook", ".xls": "an Excel workbook", ".parquet": "a Parquet file",
            ".pq": "a Parquet file", ".feather": "a Feather file"}  # fmt: skip


def check_fields_match_header(frame: pd.DataFrame, source: object) -> None:
    """Refuse what pandas makes of data lines one field longer than the header: their first cells
    become an index, and every cell moves one column left, silently."""
    if not isinstance(frame.index, pd.RangeIndex):
        raise ValueError(
            f"{source} is malformed: its first data line (line 2) has more fields than the header "
            "(a trailing delimiter on every line does this too); fix it."
        )


def check_no_merged_lines(frame: pd.DataFrame, source: object, first_row: int = 0) -> None:
    """Refuse a text field holding a line break: a quote opened in a field (a ditto mark, ``5" vial``)
    and closed lines later reads those lines into the field, and their rows are gone, silently. A
    field quoted across lines on purpose cannot be told from that, and is refused too."""
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values.dtype):  # (Parquet's numbers, say)
            continue
        broken = np.flatnonzero(values.str.contains("[\r\n]", regex=True, na=False).to_numpy())
        if broken.size:
            row = first_row + int(broken[0])
            raise ValueError(
                f"{source}: the {column!r} field of data row {row} spans several lines. Either a quote "
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


def repeated_names(names: list) -> list:
    """The names given more than once, sorted."""
    return sorted({name for name in names if names.count(name) > 1}, key=str)
