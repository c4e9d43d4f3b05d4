"""The summary of a results file: mean and spread over seeds per method, as a table and as
markdown, refusing runs of mixed protocols."""

from __future__ import annotations

import pandas as pd

from .._warnings import warn
from ._results_file import MixedSettingsError

__all__ = ["markdown_table", "summarise"]


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of every score, per method (percent), plus time.

    The standard deviation is the seeds' spread itself (``ddof=0``; with n seeds, the sample
    estimate is √(n/(n−1)) times larger). A seed's run written twice (two processes into one
    folder) counts once, its first row, and is said to; written twice with other settings, it
    is refused.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs as :func:`run_benchmark` returns them (or as its ``.jsonl`` file holds them): the
        columns ``method``, ``epochs``, ``seconds``, ``graphs_per_s`` and the scores.

    Returns
    -------
    table : pandas.DataFrame
        One row per method and epochs, the best mean BA first: each score's ``_mean`` and ``_std`` in
        percent, ``n_seeds``, the mean ``seconds`` and ``graphs_per_s``, and, where the runs record
        them, the ``code`` versions and the ``machine`` that made them (each distinct one, joined by
        ``"; "``).

    Examples
    --------
    >>> from sklearn_ltdd.benchmark import summarise
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"method": ["fp_lr", "fp_lr"], "seed": [0, 1], "epochs": [None, None],
    ...                      "BA": [0.70, 0.74], "BF1": [0.69, 0.71], "seconds": [1.0, 3.0],
    ...                      "graphs_per_s": [None, None]})
    >>> summarise(runs)[["BA_mean", "BA_std", "n_seeds"]].values.tolist()
    [[72.0, 2.0, 2.0]]
    """
    if not isinstance(runs, pd.DataFrame):  # (a list of run_benchmark's dicts: no attribute 'columns')
        raise TypeError(
            f"runs must be a DataFrame of runs, e.g. pd.DataFrame(rows), got a {type(runs).__name__}."
        )
    if not len(runs):
        raise ValueError("runs holds no runs.")
    missing = [c for c in ("method", "epochs", "seconds", "graphs_per_s") if c not in runs.columns]
    if missing:  # (pandas' KeyError named an Index)
        raise ValueError(
            f"runs has no column(s) {missing}, which run_benchmark's runs have; its columns are "
            f"{list(runs.columns)}."
        )
    if "seed" in runs.columns:
        runs = _first_of_each_run(runs)
    _check_one_protocol(runs)
    metrics = [c for c in runs.columns if c.split("_")[0] in ("BA", "BF1", "thr") and c != "threshold"]
    # a column of None (graphs/s of fingerprint runs) is of objects, whose mean pandas 2.0 cannot round
    runs = runs.astype(dict.fromkeys([*metrics, "seconds", "graphs_per_s"], float))
    grouped = runs.groupby(["method", "epochs"], dropna=False)
    table = (grouped[metrics].mean() * 100).round(2).add_suffix("_mean")
    table = table.join((grouped[metrics].std(ddof=0) * 100).round(2).add_suffix("_std"))
    table["n_seeds"] = grouped.size()
    table["seconds"] = grouped["seconds"].mean().round(1)
    table["graphs_per_s"] = grouped["graphs_per_s"].mean().round(0)
    for made_by in ("code", "machine"):  # (rows written before a run recorded them have none)
        if made_by in runs:
            table[made_by] = grouped[made_by].agg(
                lambda values: "; ".join(sorted(set(values.fillna("not recorded"))))
            )
    return table.sort_values("BA_mean", ascending=False, kind="stable")


#: what a run records of how it was trained, beside its method and epochs: one row of the table
#: averages runs that agree on all of it
_PROTOCOL = ("warmup", "update_every", "kept", "reaction_mode")


def _check_one_protocol(runs: pd.DataFrame) -> None:
    """Refuse a row of the table (method, epochs) whose runs differ in a setting or in their data
    (two processes writing one folder with other settings): its mean would mix them; and a table whose
    rows are of other data sets."""
    # (a setting missing from rows written before it was recorded agrees with any: done_runs reads
    # those rows as of the settings of their day)
    settings = [c for c in (*_PROTOCOL, "data") if c in runs]
    differ = runs.groupby(["method", "epochs"], dropna=False)[settings].nunique().gt(1)
    mixed = differ[differ.any(axis=1)]
    if not mixed.empty:
        rows = [
            f"{_row_name(method, epochs)} ({', '.join(columns)})"
            for (method, epochs), columns in mixed.apply(lambda f: list(f.index[f]), axis=1).items()
        ]
        raise MixedSettingsError(
            f"the runs of {'; '.join(rows)} differ; keep the runs of one setting and one data set per "
            "method in a folder (write others with another --out), so that one table does not mix them."
        )
    # two processes on other data may each write the runs of its own methods: each row is of one data
    # set, but the table would compare methods across two
    if "data" in runs and runs["data"].nunique() > 1:
        by_data = runs.groupby("data")["method"].unique()
        raise MixedSettingsError(
            "the runs in this folder are of "
            + " and ".join(f"data {data} ({', '.join(sorted(methods))})" for data, methods in by_data.items())
            + "; keep the runs of one data set in a folder (write others with another --out), so that one "
            "table compares methods on the same data."
        )


def _first_of_each_run(runs: pd.DataFrame) -> pd.DataFrame:
    key = ["method", "epochs", "seed"]
    again = runs[runs.duplicated(key, keep=False)]
    if again.empty:
        return runs
    # (as in _check_one_protocol, a setting or the data missing from rows written before it was
    # recorded agrees with any)
    settings = [c for c in (*_PROTOCOL, "n_train", "n_test", "data") if c in runs]
    mixed = again.groupby(key, dropna=False)[settings].nunique().gt(1).any(axis=1)
    if mixed.any():
        raise MixedSettingsError(
            f"runs {mixed[mixed].index.tolist()} (method, epochs, seed) are there twice with other settings; "
            "keep one of each, so that one table does not mix them."
        )
    repeated = again.drop_duplicates(key)[key].to_numpy().tolist()
    warn(f"runs {repeated} (method, epochs, seed) are there more than once; each counts once, its first row.")
    return runs.drop_duplicates(key)


def markdown_table(table: pd.DataFrame, dataset: str, split: str, reaction_mode: str | None = None) -> str:
    has_thr = "thr_BA_mean" in table.columns
    header = "| method | epochs | seeds | BA | BF1 | head BA | middle BA | tail BA |"
    header += " val-thr BA | val-thr BF1 |" if has_thr else ""
    header += " fit s | graphs/s |"
    graphs = "" if reaction_mode in (None, "pair") else f", {reaction_mode} graphs"
    spread = "one seed" if (table["n_seeds"] == 1).all() else "mean ± std over seeds, ddof=0"
    title = f"### {dataset}, {split} split{graphs} (test set, percent, {spread})"
    lines = [title, "", header, "|" + "---|" * (header.count("|") - 1)]

    def cell(row, key):
        mean = row.get(f"{key}_mean")
        if mean is None or pd.isna(mean):
            return "–"
        return f"{mean:.2f}" if row["n_seeds"] == 1 else f"{mean:.2f} ± {row[f'{key}_std']:.2f}"

    for (method, epochs), row in table.iterrows():
        cells = [method, "–" if pd.isna(epochs) else int(epochs), int(row["n_seeds"])]
        cells += [cell(row, k) for k in ("BA", "BF1", "BA_head", "BA_middle", "BA_tail")]
        if has_thr:
            cells += [cell(row, "thr_BA"), cell(row, "thr_BF1")]
        speed = row["graphs_per_s"]
        cells += [f"{row['seconds']:.0f}", "–" if pd.isna(speed) else f"{speed:,.0f}"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join([*lines, *_made_by(table)]) + "\n"


def _made_by(table: pd.DataFrame) -> list[str]:
    """The code and machine of the runs, under the table: one line where every run shares them, a
    line per row where they differ (a mean over runs of two code versions is not one version's)."""
    columns = [c for c in ("code", "machine") if c in table]
    if not columns:
        return []
    by_row = table[columns]
    if len(by_row.drop_duplicates()) == 1 and not by_row.iloc[0].str.contains("; ").any():
        return ["", "Every run: " + ", ".join(f"{c} {by_row.iloc[0][c]}" for c in columns) + "."]
    return [
        "",
        "The runs are of more than one code version or machine (a row naming two averages both):",
        "",
        *(
            f"- {_row_name(method, epochs)}: " + ", ".join(f"{c} {row[c]}" for c in columns)
            for (method, epochs), row in by_row.iterrows()
        ),
    ]


def _row_name(method: str, epochs: float) -> str:
    """A table row (method, epochs) as messages and notes name it: "ce at 30 epochs", "fp_lr"."""
    return method if pd.isna(epochs) else f"{method} at {int(epochs)} epochs"
