"""Checking SMILES input and parsing it with RDKit, reporting every bad row at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Mapping, MappingView, Sequence, Set
from contextlib import contextmanager

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from rdkit import Chem, rdBase

from .._compat import from_arrow
from .._labels import few_of, labelled_index

__all__ = [
    "PARSE_VERSION",
    "InvalidSmilesError",
    "UnmappedReactionError",
    "bad_rows_of",
    "check_column_name",
    "check_smiles",
    "check_smiles_for",
    "deduplicate",
    "has_inner_space",
    "has_non_ascii",
    "mols_from_smiles",
    "parse_mapped",
    "rdkit_refusal",
    "reaction_parts",
    "rows_named_by_index",
]

_SHOW_AT_MOST = 10
#: how a row's reason begins when it is of the other kind than the featuriser reads
A_REACTION = "a reaction SMILES;"
NOT_A_REACTION = "not a reaction SMILES"


def _shortened(text: str, at_most: int) -> str:
    """``text`` for a message, cut to its start and its length where it is longer than ``at_most``
    characters (a 10 MB field would otherwise be the message)."""
    return text if len(text) <= at_most else f"{text[: at_most - 30]}... ({len(text):,} characters)"


class InvalidSmilesError(ValueError):
    """Some input rows are not valid SMILES.

    ``bad_rows`` maps each offending row to ``(value, reason)``; ``advice`` ends the message (by
    default, what to do in ``fit``). Rows are named by X's index labels where X is a pandas object
    whose labels are unique and are not its positions (the message then says so), else by position, so
    that ``X.drop(index=list(error.bad_rows))`` or ``np.delete(X, list(error.bad_rows))`` drops them.

    Parameters
    ----------
    bad_rows : mapping of row to (value, reason)
        Each offending row (a position, or an index label), its value and why it is refused.
    advice : str, default=None
        What to do, ending the message; None: fix or remove the rows.
    """

    _what = "are not valid SMILES"  # what the rows are, and what one row is
    _what_one = "is not valid SMILES"
    _advice = "Fix or remove these rows (and, in a fit, their labels)."  # a transformer is both
    _rows_named = False  # by name_rows_by, once
    _naming = ""  # how the message names the rows, where a pandas index could leave it in doubt
    _input = "the input"  # whose rows they are: fit's validation_data names itself (of_input)

    def __init__(self, bad_rows: Mapping[Hashable, tuple[object, str]], advice: str | None = None):
        bad_rows = dict(bad_rows)
        self.bad_rows = bad_rows
        if advice is not None:
            self._advice = advice
        super().__init__(self._message())

    def _message(self) -> str:
        shown = list(self.bad_rows.items())[:_SHOW_AT_MOST]
        # (a reason may quote the value's parts: a reaction's side, the atom mapper's answer)
        lines = [
            f"  row {i}: {_shortened(repr(value), 100)} ({_shortened(reason, 300)})"
            for i, (value, reason) in shown
        ]
        if len(self.bad_rows) > _SHOW_AT_MOST:
            lines.append(f"  ... and {len(self.bad_rows) - _SHOW_AT_MOST} more")
        what = self._headline(len(self.bad_rows) == 1)
        headline = f"{len(self.bad_rows)} of {self._input} rows{self._naming} {what}:"
        return "\n".join([headline, *lines, self._advice])

    def name_rows_by(self, index: pd.Index, note: bool = True) -> None:
        """Name the rows, given by position, by ``index``'s labels, in ``bad_rows`` and the message
        (whose first line says so, where ``note``); by position where labels repeat, which would
        merge rows (the first line says that too).

        Parameters
        ----------
        index : pandas.Index
            The labels of X's rows, by position.
        note : bool, default=True
            Say in the message that the rows are named by their labels.
        """
        if self._rows_named:  # an inner call named them already (by its X, which may be another)
            return
        self._rows_named = True
        if not index.is_unique:
            self._naming = " (by position: the index repeats labels)"
        else:
            labels = index[list(self.bad_rows)].tolist()  # Python values, not np.int64(3)
            self.bad_rows = dict(zip(labels, self.bad_rows.values(), strict=True))
            if note:
                self._naming = " (by their index labels, not by position)"
        self.args = (self._message(),)

    def of_input(self, name: str) -> None:
        """Say whose rows they are (e.g. ``"validation_data's X"``), where it is not the X given to
        the call that raised; ``bad_rows`` stays as it is.

        Parameters
        ----------
        name : str
            The input, as the message's first line names it ("3 of <name> rows ...").
        """
        self._input = name
        self.args = (self._message(),)

    def _headline(self, one: bool) -> str:
        """What the rows are (``one``: the one row is): where all are of the other kind (molecules
        given to a reaction featuriser, or reactions to a molecule one), that, not that they are
        invalid."""
        reasons = [reason for _, reason in self.bad_rows.values()]
        verb = "is" if one else "are"
        if reasons and all(reason.startswith(NOT_A_REACTION) for reason in reasons):
            return (
                f"{verb} not the reaction SMILES ('reactants>reagents>products') that the reaction_mode reads"
            )
        if reasons and all(reason.startswith(A_REACTION) for reason in reasons):
            return f"{verb} reaction SMILES, where reaction_mode=None reads molecules"
        return self._what_one if one else self._what

    def __reduce__(self):
        # rebuilt from its message and attributes, not its constructor's arguments: a worker
        # process (joblib, Dask) sends it back pickled, and the parent must see the bad rows
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(kind: type, args: tuple, state: dict) -> InvalidSmilesError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(state)
    return error


@contextmanager
def rows_named_by_index(X: object) -> Iterator[None]:
    """Name the rows of an :class:`InvalidSmilesError` raised inside by X's index labels, where X is
    a pandas object whose labels are not its positions (``train_test_split`` shuffles them)."""
    try:
        yield
    except InvalidSmilesError as error:
        if (index := labelled_index(X)) is not None:
            error.name_rows_by(index)
        raise


class UnmappedReactionError(InvalidSmilesError):
    """Some input reactions lack the atom maps that the condensed graph of reaction needs.

    A reaction counts as mapped when its reactants carry map numbers and every heavy atom of its
    products does, some product number pairing with a reactant's. ``atom_mapper`` is the mapper that
    was set, if any, and ``fitted`` whether a fitted model met them (its mapper changes only with a
    refit), so that the advice fits; ``advice`` says what else the call can do with them.

    Parameters
    ----------
    bad_rows : mapping of row to (value, reason)
        Each unmapped reaction's row, its value and what its maps lack.
    atom_mapper : str or None, default=None
        The featuriser's ``atom_mapper``.
    advice : str, default=None
        What else the call can do with the rows, ending the message.
    fitted : bool, default=False
        Whether a fitted model met the rows.
    """

    _what = (
        "are reactions without complete atom maps, which the condensed graph of reaction "
        "(reaction_mode 'cgr' or 'cgr_product') needs to pair atoms"
    )
    _what_one = _what.replace("are reactions", "is a reaction")

    def __init__(
        self,
        bad_rows: Mapping[Hashable, tuple[object, str]],
        atom_mapper: object = None,
        advice: str | None = None,
        fitted: bool = False,
    ):
        if atom_mapper is None and fitted:  # setting atom_mapper on it changes nothing until a refit
            advice = (
                "Map them first: this model was fitted with atom_mapper=None, and maps nothing (a model "
                "fitted with atom_mapper='rxnmapper' maps them itself). " + (advice or "")
            ).strip()
        elif atom_mapper is None:
            advice = (
                "Map them first, or let the package map them: atom_mapper='rxnmapper' "
                "(pip install 'sklearn-ltdd[reactions]')."
            )
        else:  # ``advice``: what else the call can do with them
            advice = f"atom_mapper={atom_mapper!r} returned them so; map them another way. " + (
                advice or "Or pass errors='ignore' to make them empty graphs marked in valid_mask_."
            )
        super().__init__(bad_rows, advice)


def check_smiles(X: ArrayLike, *, allow_empty: bool = False) -> np.ndarray:
    """Check the shape of SMILES input and return it as a 1-D object array.

    Accepts a list, tuple, 1-D array, one-column 2-D array, pandas Series or
    one-column DataFrame. The content of each row is checked when it is parsed
    (:func:`mols_from_smiles`).

    Parameters
    ----------
    X : array-like of str
        SMILES strings, one per sample.
    allow_empty : bool, default=False
        Whether zero rows are acceptable.

    Returns
    -------
    smiles : ndarray of object, shape (n_samples,)

    Examples
    --------
    >>> check_smiles(["CCO", "c1ccccc1"]).tolist()
    ['CCO', 'c1ccccc1']
    """
    if isinstance(X, str):
        raise TypeError(f"X must be a sequence of SMILES strings, not one string ({X!r}); wrap it in a list.")
    if X is None or isinstance(X, bytes) or np.isscalar(X):  # numpy would make a 0-d array of it
        raise TypeError(f"X must be a sequence of SMILES strings, not one {type(X).__name__} ({X!r}).")
    if isinstance(X, Iterator):  # numpy would make it a 0-d array; it can be read only once anyway
        raise TypeError(
            f"X must be a sequence of SMILES strings, not an iterator ({type(X).__name__}); "
            "pass a list, e.g. list(X)."
        )
    if isinstance(X, Set | Mapping | MappingView):
        raise TypeError(
            f"X must be a sequence of SMILES strings in sample order, not a {type(X).__name__}; pass a list."
        )
    _refuse_graphs(X)
    X = from_arrow(X)
    if isinstance(X, pd.DataFrame) and X.shape[1] != 1:  # its columns named, one of them to choose
        names = list(X.columns)
        smiles = [name for name in names if "smiles" in str(name).lower()]
        raise ValueError(
            f"X must be one column of SMILES, got a DataFrame of {len(names)} columns ({few_of(names)}); "
            f"pass the column of SMILES{f', e.g. X[[{smiles[0]!r}]]' if smiles else ''}."
        )
    if hasattr(X, "to_numpy"):  # pandas Series / DataFrame
        X = X.to_numpy()
    array = np.array(X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"X must be one column of SMILES, got an array of shape {array.shape}; "
            "pass a list, a 1-D array or a one-column DataFrame."
        )
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError("X is empty: at least one SMILES string is required.")
    return array


def check_column_name(estimator: object, X: object, *, reset: bool, against: str | None = None) -> None:
    """Record (``reset``, in fit) or check the name of X's column where X is a one-column table of
    SMILES: sklearn's ``feature_names_in_``. A model fitted on one column and given another
    (reactants for products) is refused, as sklearn refuses other feature names, and so is a
    Series of another name. Where either has no name (a list, an array; a Series in fit) nothing
    is said: one column of SMILES cannot come in the wrong order, so sklearn's warnings for a
    table given to a model fitted without names, and the reverse, would only be noise. Call it
    after :func:`check_smiles` has checked X's shape (outside a fit, :func:`check_smiles_for`
    does both). ``against`` words the column X is checked against (default: the fitted one's)."""
    if type(X).__module__.startswith("polars") and type(X).__name__ == "Series" and X.name:
        X = pd.Series(X.to_list(), name=X.name, dtype=object)  # from_arrow's list has no name
    X = from_arrow(X)
    names = None
    if isinstance(X, pd.DataFrame) and all(isinstance(name, str) for name in X.columns):
        names = np.asarray(X.columns, dtype=object)
    elif not reset and isinstance(X, pd.Series) and isinstance(X.name, str):  # df["reactant"]
        names = np.asarray([X.name], dtype=object)
    if reset:
        if names is None:
            estimator.__dict__.pop("feature_names_in_", None)
        else:
            estimator.feature_names_in_ = names
        return
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None and names.tolist() != fitted.tolist():
        against = against or f"this {type(estimator).__name__} was fitted on the column"
        raise ValueError(
            f"X's column is {names[0]!r}, but {against} {fitted[0]!r}; give it that column (or rename "
            "yours, if it holds the same kind of SMILES)."
        )


def _refuse_graphs(X: object) -> None:
    """Graphs are no SMILES: a GraphStore given to a SmilesGraphizer (e.g. the first step of a
    Pipeline), and PyG's Data and Batch (``graphs[0]``, ``to_data_list()``, ``graphs.batch()``),
    which numpy would make an array of their attributes."""
    if type(X).__name__ in ("GraphStore", "GraphStorePair") and type(X).__module__.startswith("sklearn_ltdd"):
        raise TypeError(
            f"X is a {type(X).__name__}, graphs already, where SMILES are featurised (a SmilesGraphizer "
            "or a MorganFingerprint, or a Pipeline that starts with one); give the graphs to the classifier."
        )
    first = X[0] if isinstance(X, list | tuple) and len(X) else X
    if any(cls.__module__.startswith("torch_geometric") for cls in type(first).__mro__):  # DataBatch too
        raise TypeError(
            f"X holds PyG graphs ({type(first).__name__}); pass SMILES, or a GraphStore: "
            "graphs[[i]] selects graph i as a store, where graphs[i] gives a PyG Data."
        )


def check_smiles_for(estimator: object, X: ArrayLike, *, allow_empty: bool = False) -> np.ndarray:
    """:func:`check_smiles` of X given to a fitted ``estimator``, and X's column name against its
    fit's (:func:`check_column_name`, which reads a polars Series' name before its conversion)."""
    values = check_smiles(from_arrow(X), allow_empty=allow_empty)
    check_column_name(estimator, X, reset=False)
    return values


_INNER_SPACE = re.compile(r"\S\s+\S")
#: ChemAxon's extended SMILES, "CC[C@H](C)O |&1:2|"; its whitespace is matched from where a run of
#: it begins only: tried at every space of a long run, the search took seconds (30,000 spaces: 2 s)
CX_EXTENSION = re.compile(r"(?<!\s)\s+\|[^|\s]*\|\s*$")


def _without_extension(value: str) -> str:
    """A SMILES stripped of surrounding whitespace and of a trailing CXSMILES extension (``|...|``,
    which RDKit reads as part of the molecule, and whose atom labels may be any text)."""
    return CX_EXTENSION.sub("", value.strip())


def has_inner_space(value: str) -> bool:
    """Whether a SMILES has whitespace between its first and last character, other than before a
    trailing CXSMILES extension.

    RDKit reads what follows a space as the molecule's name, so ``"CC O"`` would silently be ethane.
    """
    return _INNER_SPACE.search(_without_extension(value)) is not None


def has_non_ascii(value: str) -> bool:
    """Whether a SMILES holds a character outside ASCII, other than in a trailing CXSMILES extension."""
    return not _without_extension(value).isascii()


def non_ascii_reason(value: str) -> str:
    """Why a SMILES holding a character outside ASCII is bad (:func:`has_non_ascii`): RDKit drops one
    at either end and reads the rest (``"CCO†"`` is ethanol, ``"CCİ"`` typed for ``"CCI"`` is
    ethane), and refuses one inside. The character is named by its code point (an invisible one
    too) and its position in the row as given."""
    position, character = next((i, c) for i, c in enumerate(value) if not c.isascii())
    if character == "\ufeff" and not value[:position].strip():
        return (
            "a byte-order mark (U+FEFF) before it, which a file read as 'utf-8' keeps in its first "
            "line; read the file with encoding='utf-8-sig'"
        )
    return (
        f"the non-ASCII character U+{ord(character):04X} at position {position}; a SMILES is ASCII, "
        "and RDKit drops such a character at either end and reads the rest"
    )


def deduplicate(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct inputs (first-seen order) and, per row, its position among them.

    Strings are shared by value; anything else (None, NaN, numbers) keeps its own slot so it
    is reported at its own row.
    """
    slots: dict[object, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        key = value if isinstance(value, str) else ("<not a string>", row)
        codes[row] = slots.setdefault(key, len(slots))
    unique = np.empty(len(slots), dtype=object)
    for key, slot in slots.items():
        unique[slot] = key if isinstance(key, str) else values[key[1]]
    return unique, codes


def bad_rows_of(bad: dict[int, tuple[object, str]], codes: np.ndarray) -> dict[int, tuple[object, str]]:
    """The bad distinct inputs of :func:`deduplicate` as the rows that hold them, in row order."""
    return {int(row): bad[codes[row]] for row in np.flatnonzero(np.isin(codes, list(bad)))}


def parse_rows(
    values: Sequence[object], parse: Callable[[str], tuple[object | None, str]], bad: dict
) -> Iterator[tuple[int, object | None]]:
    """Parse rows one at a time, yielding ``(row, result)``; bad rows go into ``bad`` with a reason.

    A row that is not a non-empty string, that has whitespace inside it or a character outside
    ASCII, is bad without being parsed; leading and trailing whitespace is stripped. ``parse``
    takes a string and returns ``(result, reason)``; a None result marks the row bad for that
    reason. Results are yielded rather than collected, so a caller that consumes each molecule
    keeps only one alive at a time.
    """
    with rdBase.BlockLogs():  # RDKit's own messages would name no row; we report all rows
        for i, value in enumerate(values):
            if isinstance(value, bytes):
                result, reason = None, "bytes, not a string; decode it first (e.g. value.decode())"
            elif isinstance(value, Chem.Mol):
                result, reason = None, "an RDKit Mol, not a SMILES string; pass Chem.MolToSmiles(mol)"
            elif not isinstance(value, str) or not value.strip():
                result, reason = None, "not a non-empty string"
            elif has_inner_space(value):
                result, reason = None, "whitespace inside it; RDKit would read only the part before"
            elif has_non_ascii(value):
                result, reason = None, non_ascii_reason(value)
            else:
                result, reason = parse(value.strip())
            if result is None:
                bad[i] = (value, reason)
            yield i, result


#: the version of how a SMILES becomes RDKit's molecule, part of a ``memory`` cache's key with the
#: features' (2: a hydrogen atom that only defines a double bond's geometry is no node; 3: a
#: character outside ASCII makes a row bad; 4: a reaction's parts that its mode does not parse on
#: their own, the reagents among them, must be SMILES)
PARSE_VERSION = 4
_KEEP_NO_PLAIN_HYDROGEN = Chem.RemoveHsParameters()
_KEEP_NO_PLAIN_HYDROGEN.removeDefiningBondStereo = True


def mol_from_smiles(smiles: str) -> Chem.Mol | None:
    """RDKit's molecule of one SMILES, or None, with every hydrogen that RDKit would keep only for
    the double-bond geometry it defines (``[H]/N=C(/N)N``) folded into its atom like any other:
    otherwise such a hydrogen stays a graph node, and one molecule gets two graphs. Isotopic
    hydrogens stay nodes, as RDKit keeps them."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is not None and "[H" in smiles:  # how every hydrogen RDKit keeps as an atom is written
        with rdBase.BlockLogs():  # RDKit would note each lone hydrogen ([H+]) it leaves
            mol = Chem.RemoveHs(mol, _KEEP_NO_PLAIN_HYDROGEN)
    return mol


def parse_mapped(smiles: str) -> tuple[Chem.Mol, np.ndarray] | None:
    """Parse one SMILES as if it were written without atom maps; also each atom's map number (0: none).

    RDKit's CIP ranks, from which it reads E/Z, take map numbers into account, so a mapped double
    bond can read STEREOZ where the same bond unmapped reads STEREOE; writing the molecule out
    without maps and reading it back gives exactly the graph of the unmapped SMILES.
    Writing can reorder the atoms, so the map numbers are returned in the new order. None: RDKit
    cannot parse the SMILES.
    """
    mol = mol_from_smiles(smiles)
    if mol is None:
        return None
    if ":" not in smiles:  # no map numbers (":n]"); reading each atom's would cost a third of the parse
        return mol, np.zeros(mol.GetNumAtoms(), dtype=np.int64)
    maps = np.array([atom.GetAtomMapNum() for atom in mol.GetAtoms()], dtype=np.int64)
    if not maps.any():
        return mol, maps
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(0)
    written = Chem.MolToSmiles(mol, canonical=False)
    order = list(mol.GetPropsAsDict(includePrivate=True, includeComputed=True)["_smilesAtomOutputOrder"])
    unmapped = Chem.MolFromSmiles(written)
    return None if unmapped is None else (unmapped, maps[order])


_SYNTAX = "its syntax, e.g. a typo, an unclosed ring or branch, an unknown atom"


def rdkit_refusal(smiles: str) -> str:
    """Why RDKit refuses a SMILES it cannot parse: its syntax, the chemistry RDKit's sanitising
    finds wrong (a valence, an aromatic ring it cannot kekulize), in RDKit's words, or a CXSMILES
    extension it cannot apply."""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is not None:
            try:
                Chem.SanitizeMol(mol)
            except Chem.MolSanitizeException as error:
                return f"RDKit cannot parse it: {' '.join(str(error).split())}"
        bare = CX_EXTENSION.sub("", smiles)
        if bare != smiles and Chem.MolFromSmiles(bare) is not None:
            return "RDKit cannot read its CXSMILES extension (the |...| after the SMILES)"
    return f"RDKit cannot parse it: {_SYNTAX}" if mol is None else "RDKit cannot parse it"


# the ">" between the parts of a reaction SMILES; not the ">" of a dative bond ("N->[Fe]"), which
# RDKit writes in molecule SMILES (a part of a reaction never ends with a bond symbol)
_REACTION_ARROW = re.compile(r"(?<!-)>")


def reaction_parts(value: str) -> list[str]:
    """The ``>``-separated parts of a reaction SMILES (one part: a molecule SMILES); a ``>`` in a
    CXSMILES extension (an atom label, ``CC* |$;;R>1$|``) separates nothing, and the extension
    stays with the last part."""
    if "|" in value and (extension := CX_EXTENSION.search(value)):
        *parts, last = _REACTION_ARROW.split(value[: extension.start()])
        return [*parts, last + extension.group()]
    return _REACTION_ARROW.split(value)


def parse_smiles(smiles: str) -> tuple[Chem.Mol | None, str]:
    """RDKit's molecule of one SMILES and, where there is none, why (:func:`parse_rows`' ``parse``)."""
    mol = mol_from_smiles(smiles)
    if mol is not None:
        return mol, ""
    if len(reaction_parts(smiles)) > 1:
        return None, "a reaction SMILES ('reactants>reagents>products'), where a molecule's is read"
    return None, rdkit_refusal(smiles)


def mols_from_smiles(X: ArrayLike) -> list[Chem.Mol]:
    """Parse SMILES with RDKit; one :class:`InvalidSmilesError` lists every bad row.

    A row is bad when it is not a non-empty string (``None``, NaN, a number,
    ``""``), when it has whitespace inside it (RDKit would read only the part before) or a
    character outside ASCII (RDKit drops one at either end), or when RDKit cannot parse it.
    Leading and trailing whitespace is ignored.

    Parameters
    ----------
    X : array-like of str of shape (n_samples,) or (n_samples, 1)
        SMILES: a list, array, pandas or polars Series, or a one-column table.

    Returns
    -------
    mols : list of rdkit.Chem.Mol
        One molecule per row, in order.

    Examples
    --------
    >>> [m.GetNumAtoms() for m in mols_from_smiles(["CCO", "c1ccccc1"])]
    [3, 6]
    """
    bad: dict[int, tuple[object, str]] = {}
    mols = [mol for _, mol in parse_rows(check_smiles(X), parse_smiles, bad)]
    if bad:
        with rows_named_by_index(X):
            raise InvalidSmilesError(bad)
    return mols
