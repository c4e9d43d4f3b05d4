"""SmilesGraphizer: SMILES or reaction SMILES in, a packed graph collection out."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, Self

import numpy as np
import pandas as pd
import torch
from joblib import Memory, Parallel, delayed, effective_n_jobs
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_memory

from .._arguments import N_JOBS, is_one_of
from .._compat import HasMethods, StrOptions
from ._atom_mapping import ATOM_MAPPERS, map_reactions
from ._base import SmilesTransformer
from ._cgr import (
    CGR_MODES,
    NOT_MAPPED,
    cgr_feature_names,
    featurize_cgr_chunk,
    parse_cgr,
)
from ._errors import InvalidSmilesError, UnmappedReactionError, rows_named_by_index
from ._fingerprint import MorganFingerprint
from ._graph_features import (
    ATOM_FEATURE_NAMES,
    FEATURE_DTYPE,
    FEATURE_SCHEMA,
    NODE_ORDER,
    featurize_chunk,
    parse_row,
)
from ._graph_store import RECIPE_CONSTRAINTS, GraphRecipe, GraphStore, GraphStorePair
from ._input import check_smiles_for
from ._smiles import bad_rows_of, deduplicate, parse_rows, reading_version

__all__ = ["SmilesGraphizer", "find_invalid", "invalid_input_error"]

# Below this many distinct inputs per worker, process start-up and result transfer cost more
# than parallel featurisation saves: on 2 cores two processes took 0.38x the speed at 2,000
# SMILES and 1.6-1.75x from 5,000 up (benchmarks/featurize.py, docs/benchmarks.md).
_MIN_ROWS_PER_JOB = 2_500

# the modes whose fingerprint is read from the graphs' own parse; the others parse for it apart
_GRAPH_FINGERPRINTED = (None, "pair")
# of those, the modes whose graphs do not parse each side of a reaction as the fingerprint does
# (the CGR modes do, with the same parse: the fingerprint refuses nothing their graphs do not)
_PARSED_APART_FOR_THE_FINGERPRINT = ("products", "reaction")
# what the last transform met, which a saved graphizer leaves behind
_ONE_CALLS = ("valid_mask_", "invalid_rows_")


def _concat_packed(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {
        key: np.concatenate([p[key] for p in parts], axis=-1 if key == "edge_index" else 0)
        for key in parts[0]
    }


def _emptied(packed: dict[str, np.ndarray], rows: list[int]) -> dict[str, np.ndarray]:
    """The packed graphs with those at ``rows`` made empty, as every invalid row's graph is."""
    dropped = np.zeros(len(packed["n_nodes"]), dtype=bool)
    dropped[rows] = True
    nodes, edges = np.repeat(~dropped, packed["n_nodes"]), np.repeat(~dropped, packed["n_edges"])
    out = {**packed, "x": packed["x"][nodes], "edge_index": packed["edge_index"][:, edges]}
    if "edge_attr" in packed:
        out["edge_attr"] = packed["edge_attr"][edges]
    out["n_nodes"], out["n_edges"] = (
        np.where(dropped, 0, packed["n_nodes"]),
        np.where(dropped, 0, packed["n_edges"]),
    )
    return out


def featurize_all(
    values: np.ndarray,
    reaction_mode: str | None,
    bond_features: bool,
    n_jobs: int | None,
    version: tuple[int, int, str, int, str],
    fingerprinter: MorganFingerprint | None = None,
) -> tuple[list[dict[str, np.ndarray]], dict[int, tuple[object, str]]]:
    """Featurise rows, in parallel chunks when large enough to pay; results as packed arrays.

    ``version`` is that of the features, of the graphs' layout and storage, of the parse
    (``FEATURE_SCHEMA``, ``NODE_ORDER``, ``FEATURE_DTYPE``, ``PARSE_VERSION``) and of RDKit (whose
    canonical ranks and Morgan bits may change between releases): it takes no part in the work
    but is part of a ``memory`` cache's key, so that graphs cached by another release, or in
    another environment, are not served.
    ``fingerprinter``: see :func:`featurize_chunk` (molecule and ``pair`` modes).
    """
    if reaction_mode in CGR_MODES:
        chunk_featurizer = featurize_cgr_chunk
    else:
        chunk_featurizer = partial(featurize_chunk, fingerprinter=fingerprinter)
    n_chunks = min(effective_n_jobs(n_jobs), len(values) // _MIN_ROWS_PER_JOB)
    if n_chunks <= 1:
        return chunk_featurizer(values, reaction_mode, bond_features)
    chunks = np.array_split(values, n_chunks)
    results = Parallel(n_jobs=n_jobs)(
        delayed(chunk_featurizer)(chunk, reaction_mode, bond_features) for chunk in chunks
    )
    starts = np.cumsum([0] + [len(c) for c in chunks])
    bad = {
        start + row: item for start, (_, b) in zip(starts, results, strict=False) for row, item in b.items()
    }
    n_slots = len(results[0][0])
    return [_concat_packed([r[0][s] for r in results]) for s in range(n_slots)], bad


def find_invalid(values: np.ndarray, graphizer: SmilesGraphizer) -> dict[int, tuple[object, str]]:
    """The rows ``graphizer.transform`` would reject, found by parsing alone: ``{row: (value, reason)}``.

    About a quarter of featurisation's cost (RDKit's parse, no features), so that a long job can name
    every bad row before it computes anything; each distinct SMILES is parsed once, as
    ``transform`` featurises it once. With an atom mapper, reactions that only lack their maps are
    not bad here: the mapper maps them in ``transform``, which names the rows it fails on.
    """
    unique, codes = deduplicate(values)
    mode, bad = graphizer.reaction_mode, {}
    parse = partial(parse_cgr, reaction_mode=mode) if mode in CGR_MODES else partial(parse_row, mode)
    deque(parse_rows(unique, parse, bad), maxlen=0)  # only the verdicts are kept
    if graphizer.atom_mapper is not None:
        bad = {slot: item for slot, item in bad.items() if not item[1].startswith(NOT_MAPPED)}
    if graphizer.fingerprint is not None and mode in _PARSED_APART_FOR_THE_FINGERPRINT:
        unreadable: dict[int, tuple[object, str]] = {}
        parse_difference = MorganFingerprint(reaction_mode="difference")._row_parser()
        deque(parse_rows(unique, parse_difference, unreadable), maxlen=0)
        bad = _fingerprint_refusals(unreadable) | bad  # the graph's reason, where it has one
    return bad_rows_of(bad, codes)


def invalid_input_error(
    bad_rows: dict[int, tuple[object, str]],
    atom_mapper: object,
    advice: str | None = None,
    fitted: bool = False,
) -> InvalidSmilesError:
    """The error that names bad rows: :class:`UnmappedReactionError` when all of them only lack atom
    maps (its advice is about mapping first; ``fitted``: a fitted model met them), else
    :class:`InvalidSmilesError`; either ends with ``advice`` (by default, what to do in ``fit``)."""
    if all(reason.startswith(NOT_MAPPED) for _, reason in bad_rows.values()):
        return UnmappedReactionError(bad_rows, atom_mapper, advice, fitted)
    return InvalidSmilesError(bad_rows, advice)


def difference_fingerprints(
    values: np.ndarray, version: tuple[int, str]
) -> tuple[np.ndarray, dict[int, tuple[object, str]]]:
    """Difference fingerprints of reactions, for the modes whose graphs are not the molecules the
    fingerprint reads (``products``: it reads the reactants too); zeros, and the row with its reason,
    where it cannot read them. ``version``, of the parse and of RDKit, only keys a ``memory`` cache."""
    out, bad = MorganFingerprint(reaction_mode="difference")._fingerprints(values)
    return out, _fingerprint_refusals(bad)


def _fingerprint_refusals(bad: dict[int, tuple[object, str]]) -> dict[int, tuple[object, str]]:
    return {row: (value, f"its fingerprint cannot read it: {why}") for row, (value, why) in bad.items()}


def _rows_as_given(
    bad: dict[int, tuple[object, str]], codes: np.ndarray, given: np.ndarray, mapped: np.ndarray
) -> dict[int, tuple[object, str]]:
    """The bad distinct rows as rows of X (``codes``), each named by what the user gave and, where the
    atom mapper changed it, by what the mapper made of it."""
    out = {}
    for row in np.flatnonzero(np.isin(codes, list(bad))):
        before, after, reason = given[codes[row]], mapped[codes[row]], bad[codes[row]][1]
        if before is not after and before != after:
            reason = f"{reason}; as the atom mapper mapped it: {after!r}"
        out[int(row)] = (before, reason)
    return out


class SmilesGraphizer(SmilesTransformer, auto_wrap_output_keys=None):  # graphs are no table
    """Turn SMILES (or reaction SMILES) into molecular graphs for a graph neural network.

    Atoms become nodes with the 74 "canonical" atom features of dgllife (the
    featurisation ImDrug and LTDD use: element, degree, implicit valence, formal
    charge, radical electrons, hybridisation, aromaticity, hydrogen count), computed so
    that they depend on the molecule, not on how its SMILES is written: the implicit
    valence counts hydrogens written in brackets (``[C@H]``, ``[nH]``) too; bonds
    become two directed edges, optionally with 12 bond features. The result is a
    :class:`GraphStore`, a packed collection that slices into a PyG ``Batch``.

    Parameters
    ----------
    reaction_mode : {None, "products", "reaction", "pair", "cgr", "cgr_product"}, default=None
        None: every row is a molecule SMILES. Otherwise every row is a reaction
        SMILES ``reactants>reagents>products`` and the graph is built from the
        products only (``"products"``), from reactants and products as one
        disconnected graph (``"reaction"``), from reactants and products as two
        graphs for a shared encoder (``"pair"``, giving a :class:`GraphStorePair`), or
        as the condensed graph of reaction of an atom-mapped reaction (``"cgr"``): one
        node per reactant atom, then per product atom without a reactant partner, with
        148 features, the reactant side's 74 then (product − reactant); an atom on one
        side only has its element alone on the other side. ``"cgr_product"`` holds the
        product side itself instead of the difference. CGR edges stand wherever either
        side has a bond. Reagents are not used (in the CGR modes, a reagent whose map numbers
        the products carry is refused: it is a reactant), but every part of a reaction, read
        or not, must be SMILES that RDKit parses (its syntax: a part that is not read is not
        sanitised), so that a row is refused or read whatever the mode. Atom-map numbers
        never enter the features or the node order: they only pair atoms. ``"reaction"``
        does not mark which side an atom is on, so a reaction and its reverse give the same
        graph; and with the default ``fingerprint``, a ``"products"`` model still reads the
        reactants, through the difference fingerprint (``fingerprint=None`` for the products
        alone).
    bond_features : bool, default=False
        Add 12 bond features (type, conjugation, ring, stereo) as ``edge_attr``; in the
        CGR modes, 26: those 12 and a "no bond" flag for the reactant side, then the same
        for the product side.
    atom_mapper : {None, "rxnmapper"} or callable, default=None
        For the CGR modes: how reactions without complete atom maps get them. A reaction
        counts as mapped when its reactants carry map numbers and every heavy atom of its
        products does, some product number pairing with a reactant's (unmapped reactant atoms
        are leaving groups); a partly mapped one is
        mapped afresh. None: such rows are an error (:class:`~sklearn_ltdd.featurize.UnmappedReactionError`).
        ``"rxnmapper"``: Schwaller et al.'s mapper, offline (``pip install
        'sklearn-ltdd[reactions]'``). A callable takes a list of ``reactants>>products`` SMILES and
        returns them mapped. Maps are cached per reaction in this process (the last 100,000 used,
        of all mappers together), and on disk beside ``memory``'s cache when given. A function is
        known by its code, defaults and closure and by the globals it reads: helper functions of
        its own module by their code, helper classes by their methods and class attributes,
        constants and compiled regular expressions by value, modules and other libraries'
        functions by name and installed version (modules no distribution installs, such as
        helpers beside a notebook, by what they hold as loaded: an edit counts once reloaded), so
        an edited function, helper or constant maps afresh; a mutable global (a dict, a list, an
        object) by its type alone, so after changing what one holds, or its class, start a new
        process (a notebook: restart its kernel) and use another ``memory`` folder. What a
        default or the closure holds is hashed at each call that maps (a table of 50,000 maps:
        0.1 s), and a memo kept there gives the function a new key as it fills, so no map is
        read back: keep such state in a global. Another callable (an object, a method) is known
        by its identity (a method by its object's and its function's, or by itself where the
        object cannot be weakly referenced), in this process only; a clone's is its own.
        Rows the mapper fails on raise, named with the mapper's error (``errors="raise"``).
    fingerprint : {"morgan", None}, default="morgan"
        Also store a 2048-bit radius-2 Morgan fingerprint per row (the store's and its batches'
        ``fingerprint``), which :class:`LTDDClassifier`'s default fusion reads; None stores
        graphs alone. For reaction SMILES it is the products' count fingerprint minus the
        reactants' (:class:`~sklearn_ltdd.MorganFingerprint` with ``reaction_mode="difference"``), whatever
        the graph's ``reaction_mode``. Invalid rows get zeros.
    errors : {"raise", "ignore"}, default="raise"
        ``"raise"``: rows that are not valid SMILES (unparsable, not a string, NaN,
        empty) raise one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` listing them all.
        ``"ignore"``: such rows become empty graphs at their own position and
        ``valid_mask_`` (and the store's ``valid_mask``) marks them False; no row
        is ever dropped, so X and y stay aligned.
    memory : str, joblib.Memory or None, default=None
        Cache featurisations on disk across fits, as sklearn's ``Pipeline`` does. A
        ``joblib.Memory`` with ``mmap_mode="r+"`` or ``"w+"`` is refused: the graphs would be the
        cache's files, and a write to them would change every later featurisation.
    n_jobs : int or None, default=None
        Processes for featurising large inputs, in chunks that return packed
        arrays. Inputs are split only with at least 2,500 distinct SMILES per
        process; on 2 cores, 2 processes pay from about 5,000 SMILES (1.6-1.75x)
        and lose below (see docs/benchmarks.md).

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one column of SMILES.
    feature_names_in_ : ndarray of str of shape (1,)
        The name of X's column, where ``fit`` was given a one-column table of SMILES;
        ``transform`` then refuses a table whose column has another name.
    versions_ : dict of str to str
        The versions of sklearn-ltdd, of its reading of SMILES (``smiles-parse``) and of RDKit
        that fitted it. Loading it (pickle, joblib; a fitted Pipeline, say) where any differs
        warns with :class:`~sklearn_ltdd.InconsistentVersionWarning`: a model fitted on its
        features learned them as these versions computed them.
    valid_mask_ : ndarray of bool
        For the most recent ``transform``: True where the row became a graph. Threads sharing
        one graphizer should read the returned store's ``valid_mask`` instead: this attribute
        is another thread's if its call ended last. Neither it nor ``invalid_rows_`` is kept by a
        copy of the graphizer (a pickle, joblib's, ``copy.copy``, a Pipeline's ``memory`` cache, a
        graphizer a joblib worker fitted): they describe one call's input, and a saved model
        carries none of its rows.
    invalid_rows_ : dict
        For the most recent ``transform``: ``{position: (value, reason)}`` for every row that did
        not (with ``errors="raise"``, those of the transform that raised naming them), by position
        as ``valid_mask_``, whatever X's index. Not kept by a copy, as ``valid_mask_``.

    Notes
    -----
    The store's ``recipe`` (:class:`~sklearn_ltdd.featurize.GraphRecipe`) records
    ``reaction_mode``, ``bond_features``, ``fingerprint``, the version of the features'
    meaning and that of the SMILES' reading (with RDKit's, warned of when a pickled store is
    loaded under others); :func:`~sklearn_ltdd.featurize.check_graphs_match` compares the
    settings with what a model expects. Graphs cannot be a DataFrame: ``set_output(transform="pandas")``, as
    ``sklearn.set_config(transform_output="pandas")``, leaves them as they are, so that a
    Pipeline or ColumnTransformer holding a graphizer gives its later steps' outputs as
    DataFrames.

    Examples
    --------
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> graphs = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1"])
    >>> graphs
    GraphStore(2 graphs, 9 nodes, 16 edges, 74 node features, device=cpu)
    >>> pair = SmilesGraphizer(reaction_mode="pair").fit_transform(["CC(=O)O.OCC>>CC(=O)OCC"])
    >>> [b.num_nodes for b in pair.batch()]
    [7, 6]
    """

    _parameter_constraints: dict = {
        **RECIPE_CONSTRAINTS,
        "atom_mapper": [None, StrOptions(set(ATOM_MAPPERS)), callable],
        "errors": [StrOptions({"raise", "ignore"})],
        "memory": [None, str, HasMethods(["cache"])],
        "n_jobs": N_JOBS,
    }

    def __init__(
        self,
        *,
        reaction_mode: str | None = None,
        bond_features: bool = False,
        atom_mapper: str | Callable[..., Any] | None = None,
        fingerprint: str | None = "morgan",
        errors: str = "raise",
        memory: object = None,
        n_jobs: int | None = None,
    ):
        self.reaction_mode = reaction_mode
        self.bond_features = bond_features
        self.atom_mapper = atom_mapper
        self.fingerprint = fingerprint
        self.errors = errors
        self.memory = memory
        self.n_jobs = n_jobs

    def transform(self, X: ArrayLike) -> GraphStore | GraphStorePair:
        """Featurise each row of X into a graph; identical SMILES are featurised once.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            SMILES or reaction SMILES: a list, array, pandas or polars Series, or a one-column table.

        Returns
        -------
        graphs : GraphStore or GraphStorePair
            One graph (or reactant/product pair) per row of X, in order; a pandas X's index is
            their ``row_labels``.

        Raises
        ------
        InvalidSmilesError
            With ``errors="raise"``, naming every row of X that cannot be featurised, and why (by X's
            index labels where X is a pandas object whose labels are not its positions).
        """
        with rows_named_by_index(X):
            return self._featurize(X)

    def _featurize(self, X: ArrayLike) -> GraphStore | GraphStorePair:
        self._validate_params()
        memory = self._checked_memory()
        values = check_smiles_for(self, X)
        unique, codes = deduplicate(values)
        failed, given = {}, unique
        if self.atom_mapper is not None:
            unique, failed = map_reactions(unique, self.atom_mapper, memory.location)
        packed, fingerprints, bad = self._pack(unique, failed, memory)
        valid = np.ones(len(unique), dtype=bool)
        valid[list(bad)] = False
        bad_rows = _rows_as_given(bad, codes, given, unique)
        if bad_rows and self.errors == "raise":  # after a note of this call: the last one's would mislead
            self.valid_mask_, self.invalid_rows_ = valid[codes], bad_rows
            raise invalid_input_error(bad_rows, self.atom_mapper)
        recipe = GraphRecipe(self.reaction_mode, bool(self.bond_features), self.fingerprint)
        stores = [GraphStore.from_arrays(p, valid, recipe) for p in packed]
        if fingerprints is not None:
            if not fingerprints.flags.writeable:  # a cache opened with mmap_mode="r"
                fingerprints = fingerprints.copy()
            fingerprints[~valid] = 0  # invalid rows get zeros, whichever part made them invalid
            stores[0].fingerprint = torch.from_numpy(fingerprints)
        if len(unique) < len(values):
            stores = [store[codes] for store in stores]
        if isinstance(X, pd.Series | pd.DataFrame):  # so that later steps' DataFrames carry X's labels
            for store in stores:
                store.row_labels = X.index
        self.valid_mask_ = stores[0].valid_mask.copy()  # (not the store's own, which a caller may write)
        self.invalid_rows_ = bad_rows
        return stores[0] if len(stores) == 1 else GraphStorePair(*stores)

    def __getstate__(self) -> dict:
        # a saved Pipeline would otherwise hold its last input's mask, and the text of the
        # rows a failed fit or transform named (a training set's, say)
        state = super().__getstate__()
        return {name: value for name, value in state.items() if name not in _ONE_CALLS}

    def _check_settings(self) -> None:
        """Refuse settings that make no sense together (a classifier's fit asks before it reads y)."""
        if self.atom_mapper is not None and self.reaction_mode not in CGR_MODES:
            raise ValueError(
                f"atom_mapper={self.atom_mapper!r} maps atoms for the condensed graph of reaction, which "
                f"reaction_mode={self.reaction_mode!r} does not build; use reaction_mode='cgr' or "
                "atom_mapper=None."
            )

    def _checked_memory(self) -> Memory:
        """The ``memory`` to cache in, once the settings are known to make sense together."""
        if isinstance(self.memory, str) and not self.memory:  # an unset variable, say
            raise ValueError(
                "memory='' names no folder (joblib would cache in ./joblib, unasked); give a folder, "
                "or None for no cache."
            )
        self._check_settings()
        try:
            memory = check_memory(self.memory)
        except OSError as error:  # (it names joblib's folder inside, '/a/file/joblib', not the parameter)
            error.add_note(f"memory={self.memory!r} cannot be made a cache folder; give a folder, or None.")
            raise
        if getattr(memory, "mmap_mode", None) in ("r+", "w+"):
            raise ValueError(
                f"memory's mmap_mode={memory.mmap_mode!r} maps the cached arrays writable: the graphs "
                "would be the cache's files, and a write to them (the zeros of an invalid row's "
                "fingerprint, say) would change every later featurisation; use mmap_mode=None, 'r' or 'c'."
            )
        return memory

    def _pack(
        self, unique: np.ndarray, failed: dict[int, tuple[object, str]], memory: Memory
    ) -> tuple[list[dict[str, np.ndarray]], np.ndarray | None, dict[int, tuple[object, str]]]:
        """The packed graphs of the distinct rows, their fingerprints (None without), and the bad
        rows as ``{row: (value, reason)}``, the atom mapper's ``failed`` among them."""
        # molecules, and reactant / product pairs, are fingerprinted from the graphs' own parse
        fingerprinter = None
        if self.fingerprint is not None and self.reaction_mode in _GRAPH_FINGERPRINTED:
            difference = self.reaction_mode == "pair"
            fingerprinter = MorganFingerprint(reaction_mode="difference" if difference else None)
        featurize = memory.cache(featurize_all, ignore=["n_jobs"])
        packed, bad = featurize(
            unique,
            self.reaction_mode,
            self.bond_features,
            self.n_jobs,
            (FEATURE_SCHEMA, NODE_ORDER, np.dtype(FEATURE_DTYPE).name, *reading_version()),
            fingerprinter,
        )
        bad = bad | failed  # the mapper's failure says more than "not atom-mapped"
        if self.fingerprint is None:
            return packed, None, bad
        if fingerprinter is not None:
            return packed, packed[0]["fingerprint"], bad
        fingerprints, unreadable = memory.cache(difference_fingerprints)(unique, reading_version())
        # a row only its fingerprint cannot read is invalid too, and its graph empty
        if only_fingerprint := sorted(set(unreadable) - set(bad)):
            packed = [_emptied(p, only_fingerprint) for p in packed]
        return packed, fingerprints, unreadable | bad  # the graph's reason, where it has one

    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None) -> GraphStore | GraphStorePair:
        """Check X (:meth:`fit`), then featurise it (:meth:`transform`).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            SMILES or reaction SMILES, as in :meth:`transform`.
        y : None
            Ignored; accepted for the Pipeline API.

        Returns
        -------
        graphs : GraphStore or GraphStorePair
            As :meth:`transform` gives them (scikit-learn's own ``fit_transform`` says an array).
        """
        return self.fit(X, y).transform(X)

    def set_output(self, *, transform: str | None = None) -> Self:
        """Accept an output container, and keep the graphs: no DataFrame can hold them.

        A Pipeline's or ColumnTransformer's ``set_output`` sets every step's; the steps after the
        graphizer (a classifier's embeddings, say) give DataFrames, as under
        ``sklearn.set_config(transform_output=...)``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Each leaves the output a :class:`~sklearn_ltdd.GraphStore` (or pair).

        Returns
        -------
        self : SmilesGraphizer
        """
        if not is_one_of(transform, (None, "default", "pandas", "polars")):
            raise ValueError(
                f"transform must be 'default', 'pandas', 'polars' or None, got {transform!r}; "
                "SmilesGraphizer's output is graphs (a GraphStore) with each."
            )
        return self

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names of the node features, in column order (74; 148 in the CGR modes).

        Parameters
        ----------
        input_features : array-like of str, default=None
            The name of X's one column, checked against the fit's where it had one; not otherwise read.

        Returns
        -------
        feature_names_out : ndarray of str of shape (n_node_features,)
            The names of the columns of the graphs' node features ``x``.
        """
        self._validate_params()  # the names depend on them
        self._check_input_features(input_features)
        if self.reaction_mode in CGR_MODES:
            return np.array(cgr_feature_names(self.reaction_mode), dtype=object)
        return np.array(ATOM_FEATURE_NAMES, dtype=object)
