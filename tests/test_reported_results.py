"""The README's benchmark figures are those of the raw runs ``docs/results/reported.csv`` names."""

import re
from pathlib import Path

import pandas as pd
import pytest

from sklearn_ltdd.benchmark import summarise

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
REPORTED = pd.read_csv(RESULTS / "reported.csv", dtype={"readme": str})


def _comparison_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## How it compares") : readme.index("## Data sets")]


def _figure_of(row) -> str:
    runs = pd.read_json(RESULTS / row.file, lines=True)
    same_epochs = runs["epochs"].isna() if pd.isna(row.epochs) else runs["epochs"] == row.epochs
    summary = summarise(runs[(runs["method"] == row.method) & same_epochs])
    assert len(summary) == 1, f"{row.file}: no runs of {row.method} at {row.epochs} epochs"
    mean, std = summary[["BA_mean", "BA_std"]].iloc[0]
    return f"{mean:.2f} ± {std:.2f}" if "±" in row.readme else f"{mean:.2f}"


def _table_cell(row) -> str:
    """The README table's cell of ``row``: its line's second column (the defaults) or third."""
    lines = [line for line in _comparison_section().splitlines() if line.startswith(f"| {row.readme_row} |")]
    assert len(lines) == 1, f"the README table has {len(lines)} lines for {row.readme_row!r}"
    return lines[0].split(" | ")[1 if row.readme_column == "defaults" else 2]


@pytest.mark.parametrize("row", list(REPORTED.itertuples()), ids=lambda row: f"{row.task[:30]}-{row.model}")
def test_each_reported_figure_is_its_runs_and_stands_where_the_readme_says(row):
    assert _figure_of(row) == row.readme
    if pd.isna(row.readme_row):  # a figure of the prose below the table
        assert re.search(rf"(?<![\d.]){re.escape(row.readme)}(?![\d])", _comparison_section())
    else:
        assert re.match(rf"\**{re.escape(row.readme)}\b", _table_cell(row))


def test_every_figure_of_the_readme_table_is_reported():
    table = [line for line in _comparison_section().splitlines() if line.startswith("| ")]
    shown = {figure for line in table for figure in re.findall(r"\d+\.\d+ ± \d+\.\d+", line)}
    assert len(shown) >= 10  # the table was found
    assert shown <= set(REPORTED["readme"]), shown - set(REPORTED["readme"])
