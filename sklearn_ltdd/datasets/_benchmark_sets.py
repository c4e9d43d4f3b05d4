"""The paper's benchmark data sets (HIV, USPTO-50k, SBAP), read from a local file or downloaded once."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal, overload

import joblib
import numpy as np
import pandas as pd
from rdkit import Chem
from sklearn.utils import Bunch

from .._arguments import check_flags, check_path, expanded, is_integer, is_one_of
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
    data_lines,
    holds_header,
    not_utf8,
    repeated_names,
    written_header,
)
from .._labels import few_of, look_alike_groups
from .._warnings import warn
from ..featurize._graph_features import parse_row
from ..featurize._smiles import parse_mapped, parse_rows, parse_smiles, reading_version
from ._fetch import RemoteFile, fetch_file

__all__ = ["REMOTE_FILES", "load_hiv", "load_sbap", "load_uspto50k", "load_uspto50k_templates", "read_table"]

#: the files the loaders know, by name: where each is downloaded from (None: from no public address)
#: and its sha256 (None where none is published)
REMOTE_FILES = {
    # the exact bytes documented in ../shared/data/hiv/PROVENANCE.md (MoleculeNet HIV, 41,127 rows)
    "hiv": RemoteFile(
        "hiv",
        "HIV.csv",
        "https://raw.githubusercontent.com/DentonJC/virtual_screening/"
        "b492ae306f7ac5da0b89281e6978602deb9fe0dc/data/HIV.csv",
        "b72f0cf00cd1f45ae5c415f21aef10e69187e30dd24029ddb345fbca35b0d798",
    ),
    # retrosim's USPTO-50k with its 80/10/10 split, as shipped by ml-jku/mhn-react
    "uspto50k": RemoteFile(
        "uspto50k",
        "USPTO_50k_MHN_prepro.csv.gz",
        "https://raw.githubusercontent.com/ml-jku/mhn-react/"
        "a3e0cc6fe3b8715f2e9b91352a0b66893b4aa560/data/USPTO_50k_MHN_prepro.csv.gz",
        "be7a15e61a8c22cd2bf48be8ce710bbe98843a60a8cf7b3d2d1b667768253c23",
    ),
    # every reaction of the file above atom-mapped by rxnmapper 0.4.3, keyed by its row number
    "uspto50k_rxnmapper": RemoteFile(
        "uspto50k",
        "USPTO_50k_rxnmapper.csv.gz",
        None,
        "907d1081d967796d2b88bd84135e2d2337e3ecd9af12c1de9011435ac64c1ada",
        "It holds the reactions of USPTO_50k_MHN_prepro.csv.gz mapped with rxnmapper 0.4.3 (columns "
        "mhn_index, rxn_smiles_mapped); without it, load the unmapped reactions and let the classifier "
        "map them: reaction_mode='cgr', atom_mapper='rxnmapper'.",
    ),
    # ImDrug's SBAP on Harvard Dataverse (doi:10.7910/DVN/TEXUKR, CC0); no checksum is published
    "sbap": RemoteFile("sbap", "sbap.tab", "https://dataverse.harvard.edu/api/access/datafile/6573959", None),
}

# column names used by the common distributions of each data set (CSV forms and ImDrug/TDC .tab)
_SMILES = ("smiles", "SMILES", "Drug", "drug")
_HIV_LABEL = ("HIV_active", "Y", "y", "label")
_USPTO_LABEL = ("class", "Y", "y")  # MHN-react's "label" is a reaction template id, not the class
_SBAP_LABEL = ("Y", "y", "label")
_SBAP_ROWS = 32_140  # the paper's count of SBAP's pairs (its Table 1)
_REACTANTS = ("reactants_can", "Reactant", "reactants")
_PRODUCT = ("prod_smiles", "Product", "product")
_REACTION = ("rxn_smiles", "reaction", "Reaction")
_PROTEIN = ("Target", "target", "protein", "sequence")


_SEPARATORS = {".tab": "\t", ".tsv": "\t"}  # else ","


def _kind(path: Path) -> str:
    """The file's kind: the last ending of its name that is not a compression's (".csv")."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in COMPRESSED]
    return suffixes[-1] if suffixes else ""


def _separator(path: Path) -> str:
    """The separator of the table ``path``: a tab for .tab and .tsv files, else a comma."""
    return _SEPARATORS.get(_kind(path), ",")


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV, or a tab-separated .tab/.tsv file (optionally compressed), as text; malformed
    lines are named, and a file that is cut short, not text, or without data rows is refused.

    Cells and column names are stripped of surrounding whitespace (``" active"`` is the label
    ``"active"``, ``" CCO"`` repeats ``"CCO"``, and a header ``smiles, HIV_active`` names the
    column ``HIV_active``), and a cell that is empty or blank is missing (NaN).

    Parameters
    ----------
    path : str or path
        A ``.csv``, ``.tsv`` or ``.tab`` file, optionally compressed (``.gz``, ``.bz2``, ``.xz``,
        ``.zip``, ``.zst`` or ``.tar``, as pandas reads them).

    Returns
    -------
    frame : pandas.DataFrame
        Every column as text.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import read_table
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "assay.csv"
    >>> _ = path.write_text("smiles,activity\\nCCO, active\\nc1ccccc1,\\n")
    >>> read_table(path).to_dict("list")
    {'smiles': ['CCO', 'c1ccccc1'], 'activity': ['active', nan]}
    """
    path = Path(path)
    kind = _kind(path)
    if kind in NOT_TEXT:
        raise ValueError(
            f"{path} is {NOT_TEXT[kind]}; the loaders read CSV or tab-separated text (.csv, .tsv, "
            ".tab, optionally compressed): save it as CSV (UTF-8)."
        )
    sep = _separator(path)
    check_one_member(path)
    try:
        frame = pd.read_csv(path, sep=sep, keep_default_na=False, na_values=[""], dtype=str)
    except pd.errors.ParserError as error:
        raise ValueError(f"{path} is malformed: {str(error).strip()} ({PANDAS_NUMBERING}).") from error
    except UnicodeDecodeError as error:
        raise ValueError(not_utf8(path, error)) from error
    # a file cut short, not text, or empty: say which file, and that it is the file
    except (pd.errors.EmptyDataError, *READ_ERRORS) as error:
        if (message := damaged(path, error)) is None:
            raise
        raise ValueError(message) from error
    check_no_nul(list(frame.columns), path)
    check_fields_match_header(frame, path)
    check_no_merged_lines(frame, path, whole_file_sep=sep)
    # pandas renames a repeated column name ("y", "y.1"), and the loaders would take the first
    # (a blank name is a column pandas names itself, "Unnamed: 0")
    twice = repeated_names([name.strip() for name in written_header(path, sep) if name.strip()])
    if twice:
        raise ValueError(f"{path}'s header names the column(s) {twice} more than once; rename them.")
    if frame.empty:
        raise ValueError(f"{path} holds no data rows (columns: {list(frame.columns)}).")
    # text labels with a stray space would be classes of their own, a blank label a class ' '
    stripped = frame.apply(lambda column: column.str.strip())
    # (a blank name, as an empty one, is pandas' "Unnamed: i": two would be one name "" twice)
    stripped.columns = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(frame.columns)]
    return stripped.mask(stripped == "")


def _column(frame: pd.DataFrame, names: tuple[str, ...], what: str, path: Path) -> str:
    found = [name for name in names if name in frame.columns]
    if len(found) > 1:  # e.g. "SMILES" and "smiles": which one is meant, the file does not say
        raise ValueError(f"{path} has {len(found)} {what} columns, {found}; keep one (or rename the others).")
    if found:
        return found[0]
    # a file separated otherwise reads as one column whose name holds the separators: tabs, where
    # it is not named .tsv/.tab; semicolons, as Excel saves "CSV" where the decimal mark is a comma;
    # spaces, as a .smi file's
    hint = ""
    if any("\t" in name for name in frame.columns):
        hint = " (tab-separated? name the file .tsv or .tab)"
    elif any(";" in name for name in frame.columns):
        hint = " (semicolon-separated? save it with commas, or with tabs as .tsv)"
    elif len(frame.columns) == 1 and " " in frame.columns[0]:  # a .smi file's "smiles label"
        hint = " (space-separated, as a .smi file? save it with commas, or with tabs as .tsv)"
    raise ValueError(
        f"{path} has no {what} column (looked for {list(names)}; it has {list(frame.columns)}){hint}."
    )


def _lines(path: Path, n_rows: int) -> np.ndarray | None:
    """The line of ``path`` each of its ``n_rows`` data rows starts on, where that can be told."""
    return data_lines(path, n_rows, _separator(path))


def _named(values: pd.Series, rows: np.ndarray, path: Path) -> str:
    """The first five of ``rows`` (data rows, counted from 0) with their value and, where it can
    be told, the line of the file they are on: what an editor or a spreadsheet shows."""
    lines = _lines(path, len(values))
    return ", ".join(
        f"{values.iloc[r]!r} (data row {r}{'' if lines is None else f', line {lines[r]}'})" for r in rows[:5]
    )


def _complete(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    missing = frame[columns].isna().any(axis=1).to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        lines = _lines(path, len(frame))
        raise ValueError(
            f"{path}: {len(rows)} rows have an empty {' or '.join(columns)} field, "
            f"e.g. data rows {rows[:10].tolist()}"
            + ("." if lines is None else f" (lines {lines[rows[:10]].tolist()}).")
        )


def _canonical_reaction(reaction: str) -> tuple[str | None, str]:
    """The reaction's canonical SMILES (reactants>>products), or None and why it is invalid as the
    featurisers read it (reagents between the arrows are allowed, and left out of the key)."""
    mols, reason = parse_row("pair", reaction)
    return (None, reason) if mols is None else (">>".join(map(Chem.MolToSmiles, mols)), "")


def _canonical_molecule(smiles: str) -> tuple[str | None, str]:
    """The molecule's canonical SMILES without its atom maps (which the featurisers do not read,
    nor the reactions' keys), or None and why RDKit cannot read it."""
    parsed = parse_mapped(smiles)
    if parsed is None:
        return None, parse_smiles(smiles)[1] or "RDKit cannot read it without its atom maps"
    return Chem.MolToSmiles(parsed[0]), ""


def _report(
    smiles: np.ndarray, path: Path, reaction: bool, partners: np.ndarray | None = None, rows_of: str = ""
) -> tuple[dict[int, tuple[object, str]], np.ndarray]:
    """Invalid rows and repeated rows: returned and warned about, never dropped. A row repeats an
    earlier one where both are the same molecule (or reaction), however written: their canonical
    SMILES are equal (stereochemistry included), and so are their ``partners`` where rows are pairs
    (a drug and its protein target)."""
    invalid, duplicated = _read_rows(smiles, reaction, partners)
    if invalid:
        warn(
            f"{path.name}{rows_of}: {len(invalid)} of {len(smiles)} rows cannot be parsed "
            f"(rows {sorted(invalid)[:10]}); they are kept and listed in the Bunch's `invalid`.",
        )
    if len(duplicated):
        what = "reaction" if reaction else "molecule" if partners is None else "molecule and protein"
        warn(
            f"{path.name}{rows_of}: {len(duplicated)} rows repeat an earlier row's {what} "
            f"(rows {duplicated[:10].tolist()}); they are kept and listed in the Bunch's `duplicates`.",
        )
    return invalid, duplicated


#: the invalid and repeated rows of the last few sets read, by their rows' content and what read
#: them: a notebook cell run again (or one benchmark run per method) parsed every row each time
#: (HIV's 41,127: some 8 s; USPTO-50k's reactions: 27 s)
_ROWS_READ: OrderedDict[str, tuple[dict[int, tuple[object, str]], np.ndarray]] = OrderedDict()
_ROWS_READ_KEPT = 4
_ROWS_READ_LOCK = threading.Lock()


def _read_rows(
    smiles: np.ndarray, reaction: bool, partners: np.ndarray | None
) -> tuple[dict[int, tuple[object, str]], np.ndarray]:
    """The rows that cannot be parsed ({row: (value, reason)}) and those that repeat an earlier
    row, of :func:`_report`; copies of what an earlier read of the same rows found."""
    key = joblib.hash((smiles, reaction, partners, reading_version()))
    with _ROWS_READ_LOCK:
        if key in _ROWS_READ:
            _ROWS_READ.move_to_end(key)
            invalid, duplicated = _ROWS_READ[key]
            return dict(invalid), duplicated.copy()
    invalid: dict[int, tuple[object, str]] = {}
    keys = np.array(smiles, dtype=object)  # a row that cannot be read repeats only its own text
    for i, canonical in parse_rows(smiles, _canonical_reaction if reaction else _canonical_molecule, invalid):
        if canonical is not None:
            keys[i] = canonical
    rows = pd.DataFrame({"molecule": keys, "partner": partners})
    duplicated = np.flatnonzero(rows.duplicated().to_numpy())
    with _ROWS_READ_LOCK:
        _ROWS_READ[key] = (dict(invalid), duplicated.copy())
        while len(_ROWS_READ) > _ROWS_READ_KEPT:
            _ROWS_READ.popitem(last=False)
    return invalid, duplicated


#: what tables write for a missing value: such a label is refused, but among words "none" and "-"
#: (classes as often as missing values: "no effect", or "+" and "-" for active and inactive)
_MISSING = frozenset({"na", "n/a", "nan", "null", "none", "?", "-"})
_WORD_CLASSES = frozenset({"none", "-"})
#: what a spreadsheet writes for a formula that failed: never a label
_SPREADSHEET_ERRORS = frozenset({"#n/a", "#value!", "#ref!", "#div/0!", "#name?", "#num!", "#null!"})


def _labels(values: pd.Series, path: Path) -> np.ndarray:
    """Integer labels when every label is a whole number (as in all three sets; "7" and "007"
    read as one number are said); other numbers as
    floats (0.7 is not the class 0, nor the class "0.7": a classifier refuses such a regression
    target), and words as written; a missing-value marker ("NA", "null", "?", ...; among
    numbers "none" and "-" too), a word among numbers, and a spreadsheet's error value are
    refused."""
    lowered = values.str.strip().str.lower()
    errors = np.flatnonzero(lowered.isin(_SPREADSHEET_ERRORS).to_numpy())
    if errors.size:  # never a class, among words or numbers
        raise ValueError(
            f"{path}: {errors.size} rows have a spreadsheet's error value as label, e.g. "
            + _named(values, errors, path)
            + "; remove these rows or give them labels."
        )
    marked = lowered.isin(_MISSING).to_numpy()
    parsed = pd.to_numeric(values, errors="coerce")
    numeric = parsed.notna().to_numpy()
    if not numeric[~marked].all():
        words = np.flatnonzero(~numeric & ~marked)
        if numeric.any():  # "n.d." or a repeated header among 0/1 would be a class of its own
            stray = np.flatnonzero(numeric)
            if stray.size < words.size:  # a stray number among words: name it, not the words
                raise ValueError(
                    f"{path}: the labels are words but for {stray.size} rows, e.g. "
                    + _named(values, stray, path)
                    + "; remove these rows or give them word labels (or number every class)."
                )
            joined = any(holds_header(text, values.name) for text in values.iloc[words])
            header = " (the header repeated inside the file: were files joined?)" if joined else ""
            raise ValueError(
                f"{path}: the labels are numbers but for {words.size} rows, e.g. "
                + _named(values, words, path)
                + f"{header}; remove these rows or give them numeric labels (or name every class with words)."
            )
        _refuse_missing(values, marked & ~lowered.isin(_WORD_CLASSES).to_numpy(), path)  # "NA" is no class
        # "Active" beside "active" (of each label once: a file may hold millions of rows)
        if twice := look_alike_groups(values.unique()):
            warn(
                f"{path.name}: labels {twice[:5]} differ only in case, and are classes of their own; "
                "spell each class one way if they are one."
            )
        return values.to_numpy(dtype=object)
    numbers = parsed[~marked].to_numpy(dtype=float)
    _refuse_missing(values, marked, path)  # "NA" among 0/1 is a missing label, not a class of its own
    if not (np.isfinite(numbers).all() and np.array_equal(numbers, np.round(numbers))):
        return numbers  # 0.7 or inf: a regression target's values, which a classifier refuses
    if np.abs(numbers).max(initial=0) >= 2**53:  # whole, but beyond a float's exact integers
        return values.to_numpy(dtype=object)  # as written: two ids would become one number
    # "007" and "7" are one number: said, where "7.0", "+7" and "7" are not (a ".0" or a sign)
    written = pd.DataFrame({"number": numbers, "text": values[~marked].to_numpy()}).drop_duplicates()
    digits = written["text"].str.replace(r"^\+|\.0*$", "", regex=True).replace("-0", "0")
    apart = written[digits.groupby(written["number"]).transform("nunique") > 1]
    merged = [f"{few_of(list(group['text']))} as {number:.0f}" for number, group in apart.groupby("number")]
    if merged:
        warn(
            f"{path.name}: labels written differently are read as one number, "
            f"{few_of(merged, joined_by='; ')}; if they are classes of their own, name them as words."
        )
    return numbers.astype(np.int64)


def _refuse_missing(values: pd.Series, marked: np.ndarray, path: Path) -> None:
    if marked.any():
        rows = np.flatnonzero(marked)
        raise ValueError(
            f"{path}: {len(rows)} rows have no label but a missing-value marker, e.g. "
            + _named(values, rows, path)
            + "; remove these rows or give them labels (a class so named: spell it out)."
        )


def _as_series(arrays: dict[str, np.ndarray], frame: pd.DataFrame, as_frame: bool) -> tuple:
    """``return_X_y``'s arrays, or with ``as_frame`` pandas Series named as given, on the frame's index."""
    return tuple(pd.Series(a, index=frame.index, name=n) if as_frame else a for n, a in arrays.items())


def _bunch(name, data, target, path, frame, return_X_y, as_frame, reaction=False, rows_of="", **extra):
    invalid, duplicates = _report(data, path, reaction, extra.get("proteins"), rows_of)
    target_names = np.unique(target)
    data, target = _as_series({"reaction" if reaction else "smiles": data, "target": target}, frame, as_frame)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=target_names,
        invalid=invalid,
        duplicates=duplicates,
        frame=frame if as_frame else None,
        filename=str(path),
        DESCR=f"{name}: {len(data):,} rows, {len(np.unique(target))} classes, read from {path}.",
        **extra,
    )


def _file(name: str, path: object, data_home: object, download: object, return_X_y: object,
          as_frame: object) -> Path:  # fmt: skip
    """The file a loader reads: ``path``, else the data set's under the data home (downloaded when
    asked), its arguments checked first (``download="no"`` would download)."""
    check_path(path, "path")
    check_path(data_home, "data_home")  # (read only where path is not given: a slip all the same)
    check_flags(download=download, return_X_y=return_X_y, as_frame=as_frame)
    if path is None:
        return fetch_file(REMOTE_FILES[name], data_home, download=download)
    if not os.fspath(path):  # (os.environ.get("MY_TABLE", "") read the data set's own file)
        raise ValueError("path is empty; give the path of a file, or leave path out to read the data set's.")
    return expanded(path, "path")  # (pandas reads "~/x.csv", and the package's messages that file)


@overload
def load_hiv(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: Literal[False] = ...,
    as_frame: bool = ...,
) -> Bunch: ...
@overload
def load_hiv(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: Literal[True],
    as_frame: bool = ...,
) -> tuple[Any, Any]: ...
@overload
def load_hiv(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: bool = ...,
    as_frame: bool = ...,
) -> Bunch | tuple[Any, Any]: ...


def load_hiv(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
    path: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Bunch | tuple:
    """MoleculeNet HIV (41,127 molecules, active 1,443 vs inactive 39,684; imbalance 27.5).

    Parameters
    ----------
    data_home : path, default=None
        Folder of the data sets (see :func:`get_data_home`); the file is ``hiv/HIV.csv``.
    download : bool, default=False
        Download the file (checked by sha256) when it is not in ``data_home``.
    path : path, default=None
        Read this file instead: the MoleculeNet CSV (``smiles``, ``HIV_active``), ImDrug's
        ``.tab`` (``Drug``, ``Y``), or any table read by :func:`read_table` with one SMILES
        column (named ``smiles``, ``SMILES``, ``Drug`` or ``drug``) and one label column
        (``HIV_active``, ``Y``, ``y`` or ``label``); rename yours to one of these.
    return_X_y : bool, default=False
        Return ``(smiles, y)``.
    as_frame : bool, default=False
        The data and target as pandas Series (named, on the table's index), as scikit-learn's
        loaders give them, in the Bunch or from ``return_X_y``, and the whole table in the
        Bunch's ``frame``.

    Returns
    -------
    data : Bunch
        ``data`` (SMILES), ``target`` (0/1 for HIV; a file's own labels, whole numbers as
        integers, with a warning where two spellings are one number, "7" and "007", and words
        as written), ``target_names``, ``invalid`` ({row: (smiles,
        reason)} for SMILES RDKit cannot parse: 7 in this file), ``duplicates`` (rows repeating
        an earlier row's molecule, however written: the same canonical SMILES as read), ``frame``,
        ``filename``, ``DESCR``. Invalid and duplicated rows are reported with a warning and
        kept, so row numbers stay those of the file. Empty label fields, and labels written as
        a missing value (``NA``, ``null``, ...), are errors naming the rows; so is a file
        without data rows.
    (smiles, y) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import load_hiv
    >>> smiles, y = load_hiv(data_home="~/data", return_X_y=True)  # doctest: +SKIP
    """
    path = _file("hiv", path, data_home, download, return_X_y, as_frame)
    frame = read_table(path)
    smiles_col, label_col = _column(frame, _SMILES, "SMILES", path), _column(frame, _HIV_LABEL, "label", path)
    _complete(frame, [smiles_col, label_col], path)
    return _bunch("HIV", frame[smiles_col].to_numpy(dtype=object), _labels(frame[label_col], path), path,
                  frame, return_X_y, as_frame)  # fmt: skip


@overload
def load_uspto50k(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    mapping: str | None = ...,
    return_X_y: Literal[False] = ...,
    as_frame: bool = ...,
) -> Bunch: ...
@overload
def load_uspto50k(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    mapping: str | None = ...,
    return_X_y: Literal[True],
    as_frame: bool = ...,
) -> tuple[Any, Any]: ...
@overload
def load_uspto50k(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    mapping: str | None = ...,
    return_X_y: bool = ...,
    as_frame: bool = ...,
) -> Bunch | tuple[Any, Any]: ...


def load_uspto50k(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
    path: str | os.PathLike[str] | None = None,
    mapping: str | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Bunch | tuple:
    """USPTO-50k: 50,016 reactions in Schneider's 10 classes (imbalance 65.9), as reaction SMILES.

    Each sample is ``reactants>>product``: a model that sees only the product cannot tell most
    reaction classes apart. Use ``reaction_mode="pair"`` or ``"reaction"`` in the graph models
    and :class:`~sklearn_ltdd.MorganFingerprint` ``(reaction_mode="difference")`` for fingerprints.

    Parameters
    ----------
    data_home : path, default=None
        Folder of the data sets (see :func:`get_data_home`); the file is
        ``uspto50k/USPTO_50k_MHN_prepro.csv.gz`` (columns ``reactants_can``, ``prod_smiles``,
        ``class``).
    download : bool, default=False
        Download the file (checked by sha256) when it is not in ``data_home``.
    path : path, default=None
        Read this file instead; ImDrug/TDC tables with ``Reactant``, ``Product``, ``Y`` or one
        reaction column are read too.
    mapping : {None, "rxnmapper"}, default=None
        ``"rxnmapper"``: return the reactions atom-mapped, for ``reaction_mode="cgr"``, read
        from ``uspto50k/USPTO_50k_rxnmapper.csv.gz`` in ``data_home`` (every reaction of the
        file mapped with rxnmapper 0.4.3, keyed by the file's row number; it has no public copy).
        Its map numbers follow the product's atom order, so they do not mark the reaction centre.
    return_X_y : bool, default=False
        Return ``(reactions, y)``.
    as_frame : bool, default=False
        As in :func:`load_hiv`.

    Returns
    -------
    data : Bunch
        As in :func:`load_hiv`, ``target`` the class 1–10, plus ``split`` (the file's own
        retrosim train/valid/test split, or None when the file has none).
    (reactions, y) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import load_uspto50k
    >>> reactions, y = load_uspto50k(data_home="~/data", return_X_y=True)  # doctest: +SKIP
    """
    if not is_one_of(mapping, (None, "rxnmapper")):
        raise ValueError(f"mapping must be None or 'rxnmapper', got {mapping!r}.")
    path = _file("uspto50k", path, data_home, download, return_X_y, as_frame)
    frame = read_table(path)
    label_col = _column(frame, _USPTO_LABEL, "class", path)
    reaction_col = next((c for c in _REACTION if c in frame.columns), None)
    if reaction_col is not None:
        _complete(frame, [reaction_col, label_col], path)
        reactions = frame[reaction_col].to_numpy(dtype=object)
    else:
        reactants = _column(frame, _REACTANTS, "reactants", path)
        product = _column(frame, _PRODUCT, "product", path)
        _complete(frame, [reactants, product, label_col], path)
        reactions = (frame[reactants] + ">>" + frame[product]).to_numpy(dtype=object)
    if mapping is not None:
        reactions = _mapped_reactions(
            reactions, frame, fetch_file(REMOTE_FILES[f"uspto50k_{mapping}"], data_home)
        )
    split = frame["split"].to_numpy(dtype=object) if "split" in frame.columns else None
    return _bunch("USPTO-50k", reactions, _labels(frame[label_col], path), path, frame, return_X_y, as_frame,
                  reaction=True, split=split)  # fmt: skip


@overload
def load_uspto50k_templates(
    *,
    min_count: int = ...,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: Literal[False] = ...,
    as_frame: bool = ...,
) -> Bunch: ...
@overload
def load_uspto50k_templates(
    *,
    min_count: int = ...,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: Literal[True],
    as_frame: bool = ...,
) -> tuple[Any, Any]: ...
@overload
def load_uspto50k_templates(
    *,
    min_count: int = ...,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: bool = ...,
    as_frame: bool = ...,
) -> Bunch | tuple[Any, Any]: ...


def load_uspto50k_templates(
    *,
    min_count: int = 20,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
    path: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Bunch | tuple:
    """USPTO-50k products labelled by their reaction's retrosynthetic template: the many-class task.

    Predicting the template from the product is the classification step of template-based
    single-step retrosynthesis. ``min_count=20`` gives the benchmark's ``uspto50k_template`` (335
    templates, 20 to 1,608 products: imbalance 80.4), ``min_count=10`` its
    ``uspto50k_template_tail`` (676 templates, median 19 products), the longest tail;
    :func:`load_reaction_templates` is an embedded miniature (60 of the 335). Use the random
    split (``imdrug_split(y, "random")``): the standard split's balanced test set cannot be drawn
    from classes this small.

    Parameters
    ----------
    min_count : int, default=20
        Keep the templates of at least this many reactions (and every reaction of each).
    data_home, download : default=None, False
        As in :func:`load_uspto50k`, whose file this reads: the templates are its column
        ``reaction_smarts`` (extracted by MHN-react with rdchiral).
    path : path, default=None
        Read this file instead: a table with a product column (``prod_smiles``, ``Product`` or
        ``product``) and ``reaction_smarts``.
    return_X_y : bool, default=False
        Return ``(products, y)``.
    as_frame : bool, default=False
        As in :func:`load_hiv` (the frame holds the kept rows, numbered from 0).

    Returns
    -------
    data : Bunch
        As in :func:`load_hiv`: ``data`` the products' SMILES, ``target`` their templates as
        reaction SMARTS (product side first: the template a retrosynthesis applies to the
        product; of about 40 to 300 characters, a median of about 112: map them to short names
        with ``pd.factorize`` for plots and screens). A product that more than one reaction
        made is a row for each (under one template or two), listed in ``duplicates``.
    (products, y) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import load_uspto50k_templates
    >>> products, y = load_uspto50k_templates(data_home="~/data", return_X_y=True)  # doctest: +SKIP
    """
    if not is_integer(min_count) or min_count < 1:
        raise ValueError(f"min_count must be a whole number of at least 1, got {min_count!r}.")
    path = _file("uspto50k", path, data_home, download, return_X_y, as_frame)
    frame = read_table(path)
    product = _column(frame, _PRODUCT, "product", path)
    template = _column(frame, ("reaction_smarts",), "template (reaction_smarts, MHN-react's)", path)
    _complete(frame, [product, template], path)
    counts = frame[template].value_counts()
    if counts.max() < min_count:
        raise ValueError(
            f"{path}: no template has min_count={min_count} reactions (the largest has {counts.max()})."
        )
    kept = frame[template].isin(counts.index[counts >= min_count])
    frame = frame[kept.to_numpy()].reset_index(drop=True)
    split = frame["split"].to_numpy(dtype=object) if "split" in frame.columns else None
    return _bunch("USPTO-50k templates", frame[product].to_numpy(dtype=object),
                  frame[template].to_numpy(dtype=object), path, frame, return_X_y, as_frame,
                  rows_of=f" (its rows of templates of {min_count} reactions or more, numbered from 0)",
                  split=split)  # fmt: skip


def _mapped_reactions(reactions: np.ndarray, frame: pd.DataFrame, path: Path) -> np.ndarray:
    """The mapped copy of each reaction, matched by row number and checked by patent id and class."""
    mapped = read_table(path)
    # (a file made by hand: pandas' KeyError named no file, a traceback from the benchmark command)
    columns = [_column(mapped, (name,), f"{name!r}", path) for name in ("mhn_index", "rxn_smiles_mapped")]
    _complete(mapped, columns, path)
    for table, name in ((frame, "the data set"), (mapped, str(path))):
        if missing := [c for c in ("id", "class") if c not in table.columns]:
            raise ValueError(
                f"mapping='rxnmapper' pairs each reaction with its mapped copy by row, checked by patent id "
                f"and class, but {name} has no {' or '.join(missing)} column; it pairs the MHN-react file "
                "USPTO_50k_MHN_prepro.csv.gz with its mapped copy (see the data set's provenance)."
            )
    number = pd.to_numeric(mapped["mhn_index"], errors="coerce")  # ("5.0" too: a column pandas made float)
    if (wrong := np.flatnonzero(~(number % 1 == 0).to_numpy())).size:
        examples = _named(mapped["mhn_index"], wrong, path)
        raise ValueError(
            f"{path}: mhn_index must be the row's number in the USPTO-50k file, a whole number; "
            f"{len(wrong)} rows hold another value, e.g. {examples}."
        )
    index = number.to_numpy(dtype=np.int64)
    if len(mapped) != len(frame) or (index != np.arange(len(frame))).any():
        raise ValueError(f"{path} does not hold one mapped reaction per row of the USPTO-50k file, in order.")
    differ = np.flatnonzero(
        (mapped[["id", "class"]].to_numpy() != frame[["id", "class"]].to_numpy()).any(axis=1)
    )
    if len(differ):
        raise ValueError(
            f"{path}: rows {differ[:10].tolist()} name another patent or class than the data set."
        )
    out = mapped["rxn_smiles_mapped"].to_numpy(dtype=object)
    failed = mapped["error"].notna().to_numpy() if "error" in mapped.columns else np.zeros(len(out), bool)
    out[failed] = reactions[failed]  # kept unmapped, so reaction_mode="cgr" names them
    return out


@overload
def load_sbap(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: Literal[False] = ...,
    as_frame: bool = ...,
) -> Bunch: ...
@overload
def load_sbap(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: Literal[True],
    as_frame: bool = ...,
) -> tuple[Any, Any, Any]: ...
@overload
def load_sbap(
    *,
    data_home: str | os.PathLike[str] | None = ...,
    download: bool = ...,
    path: str | os.PathLike[str] | None = ...,
    return_X_y: bool = ...,
    as_frame: bool = ...,
) -> Bunch | tuple[Any, Any, Any]: ...


def load_sbap(
    *,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
    path: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Bunch | tuple:
    """ImDrug's SBAP (DrugOOD-derived binding affinity; 32,140 drug–protein pairs, imbalance 36.8).

    Parameters
    ----------
    data_home : path, default=None
        Folder of the data sets (see :func:`get_data_home`); the file is ``sbap/sbap.tab``
        (``Drug``, ``Target``, ``Y``).
    download : bool, default=False
        Download the file when it is not in ``data_home``. Dataverse publishes no checksum: the
        first download warns with the file's sha256, and a file in ``data_home`` that does not
        hold the paper's 32,140 rows is warned of (cut short at a line's end, or another version).
    path : path, default=None
        Read this file instead (its rows are not counted).
    return_X_y : bool, default=False
        Return ``(smiles, proteins, y)``.
    as_frame : bool, default=False
        As in :func:`load_hiv`.

    Returns
    -------
    data : Bunch
        As in :func:`load_hiv`, plus ``proteins`` (amino-acid sequences, one per row); a row of
        ``duplicates`` repeats an earlier row's molecule against the same protein.
        ``return_X_y`` gives ``(smiles, proteins, y)``.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import load_sbap
    >>> smiles, proteins, y = load_sbap(data_home="~/data", return_X_y=True)  # doctest: +SKIP
    """
    given = path is not None
    path = _file("sbap", path, data_home, download, return_X_y, as_frame)
    try:
        frame = read_table(path)
        wanted = ((_SMILES, "SMILES"), (_PROTEIN, "protein"), (_SBAP_LABEL, "label"))
        columns = [_column(frame, names, what, path) for names, what in wanted]
        _complete(frame, columns, path)
        target = _labels(frame[columns[2]], path)
    except ValueError as error:
        if given:
            raise
        # no checksum tells a download cut short from the data set: its rows do
        raise ValueError(
            f"{error} If it is a download that went wrong, delete {path} and load with download=True."
        ) from error
    if not given and len(frame) != _SBAP_ROWS:  # no checksum tells a download cut at a line's end
        warn(
            f"{path} holds {len(frame):,} rows, not the {_SBAP_ROWS:,} of the paper's SBAP (its Table 1): "
            "it may be a download cut short (delete it and load with download=True; the benchmark "
            "command: --download) or another version (load_sbap(path=...) reads it without this check)."
        )
    smiles, proteins = (frame[c].to_numpy(dtype=object) for c in columns[:2])
    if return_X_y:
        _report(smiles, path, reaction=False, partners=proteins)
        return _as_series({"smiles": smiles, "protein": proteins, "target": target}, frame, as_frame)
    bunch = _bunch("SBAP", smiles, target, path, frame, False, as_frame, proteins=proteins)
    if as_frame:  # the other half of X, as return_X_y gives it
        bunch.proteins = _as_series({"protein": proteins}, frame, as_frame)[0]
    return bunch
