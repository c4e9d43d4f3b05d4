"""The check that tables read with pandas share: a line longer than the header shifts nothing."""

import pandas as pd


def check_fields_match_header(frame: pd.DataFrame, source: object) -> None:
    """Refuse what pandas makes of data lines one field longer than the header: their first cells
    become an index, and every cell moves one column left, silently."""
    if not isinstance(frame.index, pd.RangeIndex):
        raise ValueError(
            f"{source} is malformed: its first data line (line 2) has more fields than the header "
            "(a trailing delimiter on every line does this too); fix it."
        )
