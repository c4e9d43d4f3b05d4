"""A packed collection of graphs that slices into a PyG ``Batch`` without per-graph Python objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from .. import _torch_geometric  # noqa: F401  (PyG imported first there: see why)

# isort: split
from torch_geometric.data import Batch, Data

from .._arguments import is_integer
from .._compat import StrOptions, validate_parameter_constraints
from .._labels import naming_labels
from .._torch_device import check_device, copy_to_device
from .._warnings import InconsistentVersionWarning, warn
from ._cgr import GRAPH_REACTION_MODES
from ._graph_features import FEATURE_SCHEMA
from ._smiles import reading_version

__all__ = ["GraphRecipe", "GraphStore", "GraphStorePair", "check_finite_features", "check_graphs_match"]


@dataclass(frozen=True)
class GraphRecipe:
    """How a graph store was made: the :class:`~sklearn_ltdd.SmilesGraphizer` settings that shape its graphs.

    The atom mapper is not part of it: it only pairs atoms, and the graph of a reaction does
    not depend on who mapped it.

    Parameters
    ----------
    reaction_mode : str or None
        As in :class:`~sklearn_ltdd.SmilesGraphizer`.
    bond_features : bool
        As in :class:`~sklearn_ltdd.SmilesGraphizer`.
    fingerprint : str or None
        As in :class:`~sklearn_ltdd.SmilesGraphizer`.
    feature_schema : int, default=FEATURE_SCHEMA
        The version of what the features mean, raised whenever a release changes it, so that
        graphs kept from an older release are not read as if they meant the same.
    parse_version : tuple of (int, str) or None, default=(PARSE_VERSION, RDKit's version)
        How the SMILES were read: the version of this package's reading and RDKit's, either of
        which can change a molecule's graph. A store loaded where they differ warns (graphs
        pickled before it was recorded have None); :func:`~sklearn_ltdd.featurize.check_graphs_match`
        does not check it.

    Examples
    --------
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> recipe = SmilesGraphizer(bond_features=True).fit_transform(["CCO"]).recipe
    >>> recipe.reaction_mode, recipe.bond_features, recipe.fingerprint
    (None, True, 'morgan')
    """

    reaction_mode: str | None
    bond_features: bool
    fingerprint: str | None
    feature_schema: int = FEATURE_SCHEMA
    parse_version: tuple[int, str] | None = field(default_factory=reading_version)

    def __post_init__(self) -> None:
        # a recipe of values no graphizer takes was advised back to the user ("give this classifier
        # reaction_mode='foo'")
        settings = {name: getattr(self, name) for name in RECIPE_CONSTRAINTS}
        validate_parameter_constraints(RECIPE_CONSTRAINTS, settings, caller_name="GraphRecipe")

    def __setstate__(self, state: dict) -> None:
        # pickled before the parse was recorded: unknown (not this release's, the class default)
        object.__setattr__(self, "__dict__", {"parse_version": None, **state})


#: what a store's recipe is checked against (how the graphs were shaped, not how SMILES were read)
_SETTINGS = tuple(f.name for f in fields(GraphRecipe) if f.name != "parse_version")
# the values SmilesGraphizer takes for the settings a recipe records
RECIPE_CONSTRAINTS: dict = {
    "reaction_mode": [None, StrOptions(set(GRAPH_REACTION_MODES))],
    "bond_features": ["boolean"],
    "fingerprint": [None, StrOptions({"morgan"})],
}


def check_graphs_match(graphs: GraphStore | GraphStorePair, **expected: object) -> None:
    """Raise a ValueError when graphs were made with other settings than those expected.

    Parameters
    ----------
    graphs : GraphStore or GraphStorePair
        Graphs from :class:`~sklearn_ltdd.SmilesGraphizer`, whose ``recipe`` says how they were made.
    **expected
        The settings to check, among ``reaction_mode``, ``bond_features`` and ``fingerprint``
        (those of :class:`~sklearn_ltdd.SmilesGraphizer`) and ``feature_schema``; only those given are
        checked, except ``feature_schema``, which is always checked (default: this release's).
        Graphs without a recipe (a store built by hand, or pickled by an older release) are not
        checked: nothing says how they were made.

    Raises
    ------
    ValueError
        Naming each setting that differs, and how to make matching graphs.
    TypeError
        For a setting that is not one of the above.

    Examples
    --------
    >>> from sklearn_ltdd.featurize import check_graphs_match
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> graphs = SmilesGraphizer(reaction_mode="products").fit_transform(["CCO>>CC=O"])
    >>> check_graphs_match(graphs, reaction_mode="products")
    >>> check_graphs_match(graphs, reaction_mode="reaction")
    Traceback (most recent call last):
    ...
    ValueError: The graphs were made with other settings than expected:
      reaction_mode='products', expected 'reaction'
    Make them with SmilesGraphizer(reaction_mode='reaction'), or pass the SMILES themselves.
    """
    unknown = sorted(set(expected) - set(_SETTINGS))
    if unknown:
        raise TypeError(f"check_graphs_match() got unknown settings {unknown}; it checks {list(_SETTINGS)}.")
    if not isinstance(graphs, GraphStore | GraphStorePair):
        raise TypeError(
            f"check_graphs_match() checks a GraphStore or GraphStorePair, not a {type(graphs).__name__}."
        )
    # a setting SmilesGraphizer does not take would be advised, or pass as an equal (0 for False)
    constraints = {name: RECIPE_CONSTRAINTS[name] for name in expected if name in RECIPE_CONSTRAINTS}
    validate_parameter_constraints(constraints, expected, caller_name="check_graphs_match")
    recipe = graphs.recipe
    if recipe is None:
        return
    expected = {"feature_schema": FEATURE_SCHEMA, **expected}
    wrong = [
        f"  {name}={getattr(recipe, name)!r}, expected {value!r}"
        for name, value in expected.items()
        if getattr(recipe, name) != value
    ]
    if not wrong:
        return
    if recipe.feature_schema != expected["feature_schema"]:
        wrong.append("  (made by a release of sklearn-ltdd whose features mean something else)")
    settings = ", ".join(f"{name}={value!r}" for name, value in expected.items() if name != "feature_schema")
    raise ValueError(
        "The graphs were made with other settings than expected:\n"
        + "\n".join(wrong)
        + f"\nMake them with SmilesGraphizer({settings}), or pass the SMILES themselves."
    )


def _check_parse_version(recipe: GraphRecipe | None) -> None:
    """Warn where a loaded store's SMILES were read otherwise than this release reads them."""
    here = reading_version()
    if recipe is None or recipe.parse_version == here:  # (a store built by hand was read by no one)
        return
    made = (
        "were pickled by a release of sklearn-ltdd that did not record how it read their SMILES"
        if recipe.parse_version is None
        else "were made from SMILES read by sklearn-ltdd's parse {} under RDKit {}".format(
            *recipe.parse_version
        )
    )
    message = (
        f"these graphs {made} (here parse {here[0]}, RDKit {here[1]}): a molecule may give another "
        "graph here; make them again from their SMILES with SmilesGraphizer, or pass the SMILES."
    )
    versions = {"smiles-parse": str(here[0]), "rdkit": here[1]}
    saved = (
        None
        if recipe.parse_version is None
        else dict(zip(versions, map(str, recipe.parse_version), strict=True))
    )
    warn(InconsistentVersionWarning(message, "GraphStore", saved, versions))


def positions(index: object, n: int) -> np.ndarray:
    """Positions among ``n`` items as an int64 array, from integer arrays or tensors (negative
    counting from the end), boolean masks and slices.

    Index arithmetic is numpy on the host: many small operations, none of them launched on a
    device or dispatched through torch.
    """
    index = _sample_index(index)  # (batch() and to_data_list() take what indexing takes)
    _refuse_one_boolean(index)
    if isinstance(index, slice):
        # a copy: a reversed slice is a view with a negative stride, which torch cannot take (and
        # numpy's ascontiguousarray keeps for a single element)
        return np.arange(n)[index].copy()
    index = index.cpu().numpy() if isinstance(index, torch.Tensor) else np.asarray(index)
    if index.dtype == bool:
        if index.shape != (n,):
            raise IndexError(f"boolean mask of shape {tuple(index.shape)} for {n} graphs")
        return np.flatnonzero(index)
    if index.ndim > 1:
        raise IndexError(f"graph indices must be one-dimensional, got an array of shape {index.shape}")
    if index.dtype == object and index.size and all(is_integer(v) for v in index.ravel()):
        index = np.array([int(v) for v in index.ravel()], dtype=object)  # beyond int64, as numpy keeps them
    elif index.size and not np.issubdtype(index.dtype, np.integer):  # ([] is float to numpy)
        raise IndexError(f"graph indices must be integers or a boolean mask, got {index.dtype} values")
    # out of range in their own type: a uint64 of 2**64 - 1 cast to int64 was -1, the last graph
    outside = index[(index >= n) | (index < -n if index.dtype.kind != "u" else False)].ravel()
    if outside.size:
        raise IndexError(f"graph index {outside[0]} out of range for a store of {n} graphs")
    index = index.astype(np.int64, copy=False).ravel()
    return np.where(index < 0, index + n, index)


def _refuse_one_boolean(index: object) -> None:
    """A single boolean is no graph position, and numpy would read it as a mask of one."""
    if isinstance(index, bool | np.bool_) or (
        isinstance(index, np.ndarray | torch.Tensor) and index.ndim == 0 and index.dtype in (bool, torch.bool)
    ):
        raise IndexError(
            f"a single boolean ({index}) is not a graph position; index with integers or a boolean "
            "mask of one value per graph."
        )


def _sample_index(index: object) -> object:
    """The sample index of ``store[index, ...]``, the form scikit-learn indexes arrays with."""
    if isinstance(index, tuple) and (len(index) == 1 or (len(index) == 2 and index[1] is Ellipsis)):
        return index[0]  # (np.nonzero(mask) is a tuple of one array)
    if isinstance(index, tuple):  # numpy's (row, column): a store has one dimension
        raise IndexError(
            f"a store of graphs has one dimension, so store{list(index)} names {len(index)} of them; "
            "for several graphs give a list or an array, e.g. store[[0, 1]]."
        )
    return index


def single_position(index: object) -> int | None:
    """``index`` as one graph's position when it names one (an int, a numpy integer, a 0-d
    integer array or tensor), else None; a single boolean is refused, numpy would read it as a
    mask of one."""
    if isinstance(index, np.ndarray | torch.Tensor) and index.ndim == 0:
        index = index.item()
    _refuse_one_boolean(index)
    return int(index) if is_integer(index) else None


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each start s and length n, without a Python loop."""
    offsets = np.cumsum(lengths) - lengths  # where each range begins in the output
    # element k of range r is starts[r] + (k - offsets[r])
    return np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths)


def tensor_of(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing ``array``'s memory, or a copy's where it is read-only (a cache opened with
    mmap_mode="r"): torch has no read-only tensors, and a write would reach the cache file."""
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def _offsets(counts: np.ndarray) -> torch.Tensor:
    """Start of each group and the total, from group sizes: [0, c0, c0 + c1, ...]."""
    return torch.from_numpy(np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]))


def _check_layout(
    x: torch.Tensor,
    edge_index: torch.Tensor,
    node_ptr: torch.Tensor,
    edge_ptr: torch.Tensor,
    edge_attr: torch.Tensor | None,
    every_edge: bool,
) -> None:
    """Refuse arrays that do not fit together, naming what does not: offsets that are not one per
    graph and one more, from 0 on, growing, to the number of nodes and edges; edge features not
    one row per edge; and, ``every_edge`` (a store built by hand, without a recipe), an edge
    whose node number is not one of its graph's, which would join it to another graph."""
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, n_edges), got {tuple(edge_index.shape)}.")
    totals = {"node_ptr": (x.shape[0], "rows of x"), "edge_ptr": (edge_index.shape[1], "edges")}
    for name, ptr in (("node_ptr", node_ptr), ("edge_ptr", edge_ptr)):
        if ptr.dim() != 1 or ptr.numel() < 1 or ptr.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"{name} must be one int64 offset per graph and one more, got {ptr!r}.")
        total, what = totals[name]
        if ptr[0] != 0 or (ptr[1:] < ptr[:-1]).any() or ptr[-1] != total:
            raise ValueError(
                f"{name} must grow from 0 to the {total} {what}, one offset per graph and one more; "
                f"it runs {ptr[:3].tolist()} ... {ptr[-3:].tolist()}."
            )
    if node_ptr.numel() != edge_ptr.numel():
        raise ValueError(
            f"node_ptr has {_counted(node_ptr.numel() - 1, 'graph')} but edge_ptr {edge_ptr.numel() - 1}: "
            "one offset per graph and one more in each."
        )
    if edge_attr is not None and edge_attr.shape[0] != edge_index.shape[1]:
        raise ValueError(f"{edge_attr.shape[0]} rows of edge_attr for {edge_index.shape[1]} edges.")
    if not every_edge or not edge_index.numel():
        return
    # each edge's graph's node count, beside the edge
    n_nodes = torch.repeat_interleave(node_ptr.cpu().diff(), edge_ptr.cpu().diff()).to(edge_index.device)
    outside = torch.nonzero(((edge_index < 0) | (edge_index >= n_nodes)).any(dim=0)).flatten().tolist()
    if outside:
        edge = outside[0]
        graph = int(torch.searchsorted(edge_ptr.cpu(), torch.tensor(edge), right=True)) - 1
        raise ValueError(
            f"edge {edge} (of graph {graph}) joins nodes {edge_index[:, edge].tolist()}, but graph "
            f"{graph} has {_counted(int(n_nodes[edge]), 'node')}: edge_index numbers each graph's nodes "
            f"from 0 ({len(outside)} edge(s) outside their graph)."
        )


def check_finite_features(graphs: GraphStore | GraphStorePair) -> None:
    """Refuse NaN or infinity among float features (a store built or changed by hand; the
    graphizer's are small integers), naming the first row and its graph: such a graph had NaN
    probabilities, and the first class for its prediction, without a word. Read once where a
    classifier is handed the store (a scan of float32 features, a read back from a device)."""
    sides = {"": graphs} if isinstance(graphs, GraphStore) else {"reactants.": graphs.reactants,
                                                                   "products.": graphs.products}  # fmt: skip
    for side, store in sides.items():
        parts = (("x", store.x, store.node_ptr), ("edge_attr", store.edge_attr, store.edge_ptr),
                 ("fingerprint", store.fingerprint, None))  # fmt: skip
        for name, values, ptr in parts:
            if values is None or not values.is_floating_point() or bool(torch.isfinite(values).all()):
                continue
            bad = (~torch.isfinite(values)).any(dim=-1)
            row = int(torch.nonzero(bad)[0])
            graph = row if ptr is None else int(torch.searchsorted(ptr, torch.tensor(row), right=True)) - 1
            where = f"graph {graph}" if ptr is None else f"row {row}, of graph {graph}"
            # by a pandas X's labels, as the neighbouring errors name rows
            if (labels := naming_labels(graphs.row_labels)) is not None:
                where += f", the row labelled {labels[graph]!r}"
            raise ValueError(
                f"{side}{name} holds NaN or infinity ({where}; {int(bad.sum())} row(s) in all): a "
                "network reads finite features only."
            )


#: what a store's features may be: float32, or small integers that batches make float32
_FEATURE_DTYPES = (torch.float32, torch.int8, torch.int16)


def _no_array(self, dtype: object = None, copy: object = None) -> np.ndarray:
    """Graphs have no array form: a tool that converts ``X`` to one gets a reason, not NumPy's
    "inhomogeneous shape" from the graphs it would read one by one."""
    raise TypeError(
        f"a {type(self).__name__} cannot become a NumPy array, which is what this estimator or tool "
        "makes of X: only this package's classifiers read graphs. Give a tool that converts X "
        "(permutation_importance and BaggingClassifier do, for instance) the SMILES instead, as one "
        "column, and the classifier featurises them; give other estimators numbers, e.g. a "
        "MorganFingerprint's."
    )


class GraphStore:
    """Graphs stored as concatenated arrays plus per-graph offsets.

    ``x`` holds the node features of all graphs one after the other, ``edge_index`` the
    edges with node numbers local to their graph, ``node_ptr``/``edge_ptr`` where each
    graph starts. Indexing with an integer array gives another store; :meth:`batch`
    gives a PyG :class:`~torch_geometric.data.Batch` for any index array with a few
    vectorised gathers (the training loop calls its device-side form, ``_batch``, every step).
    Features that are small integers (:class:`~sklearn_ltdd.SmilesGraphizer`'s are all one-hot flags, charges
    and counts) are kept as int8 or int16, a quarter or half of float32's memory, and become
    float32 in the batches, where the networks compute.

    Why not a list of PyG ``Data`` and ``Batch.from_data_list``: PyG collates graph by graph in
    Python, about 6× slower than these gathers, and a list of ``Data`` costs a Python object per
    molecule in memory and in pickles.

    Parameters
    ----------
    x : Tensor of float32, int8 or int16, shape (n_nodes, n_node_features)
        The node features of all graphs, one graph after the other.
    edge_index : Tensor of shape (2, n_edges)
        Node numbers local to each graph (0 to its number of nodes - 1; a store built without a
        ``recipe`` refuses an edge outside its graph, which would join two graphs).
    node_ptr, edge_ptr : Tensor of int of shape (n_graphs + 1,)
        Offsets of each graph's nodes and edges: from 0, growing, to the rows of ``x`` and the
        columns of ``edge_index``.
    edge_attr : Tensor of float32, int8 or int16, shape (n_edges, n_edge_features), optional
        The edge features, in the order of ``edge_index``'s columns.
    valid_mask : ndarray of bool, shape (n_graphs,), optional
        False for rows whose input could not be parsed (empty graphs); all True by default.
    fingerprint : Tensor of shape (n_graphs, n_bits), optional
        A fingerprint per graph (uint8 bits or int16 counts, kept compact); batches carry it
        as a float ``fingerprint`` attribute, one row per graph.
    recipe : GraphRecipe, optional
        How the graphs were made; :class:`~sklearn_ltdd.SmilesGraphizer` sets it, and indexing,
        ``to`` and pickling keep it. None for a store built by hand:
        :func:`~sklearn_ltdd.featurize.check_graphs_match` then has nothing to check.
    row_labels : array-like of shape (n_graphs,), optional
        The labels of the rows the graphs were made from: :class:`~sklearn_ltdd.SmilesGraphizer`
        keeps a pandas X's index here, and indexing, ``to`` and pickling keep it, so that a classifier's
        DataFrame output (``set_output(transform="pandas")``) carries X's labels, not 0, 1, ...,
        and joins by label as X's other columns do. None where X had no index.

    Examples
    --------
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> graphs = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1", "N"])
    >>> len(graphs), graphs.num_node_features
    (3, 74)
    >>> batch = graphs.batch([2, 0])
    >>> batch.num_graphs, batch.x.shape[0], batch.edge_index.shape[1]
    (2, 4, 4)
    """

    def __init__(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        node_ptr: torch.Tensor,
        edge_ptr: torch.Tensor,
        edge_attr: torch.Tensor | None = None,
        valid_mask: np.ndarray | None = None,
        fingerprint: torch.Tensor | None = None,
        recipe: GraphRecipe | None = None,
        row_labels: ArrayLike | None = None,
    ):
        parts = {"x": x, "edge_index": edge_index, "node_ptr": node_ptr, "edge_ptr": edge_ptr}
        parts |= {"edge_attr": edge_attr, "fingerprint": fingerprint}
        for name, part in parts.items():  # (an array or a list failed later, in predict, on an attribute)
            if not isinstance(part, torch.Tensor) and (
                part is not None or name not in ("edge_attr", "fingerprint")
            ):
                raise TypeError(
                    f"{name} must be a torch tensor, got a {type(part).__name__}; torch.as_tensor({name})."
                )
        if edge_index.is_floating_point():  # (torch's scatter refused it in predict)
            raise ValueError(f"edge_index must hold integer node numbers, got {edge_index.dtype}.")
        if fingerprint is not None and fingerprint.dim() != 2:
            raise ValueError(
                "fingerprint must be one row per graph, of shape (n_graphs, bits), got "
                f"{tuple(fingerprint.shape)}."
            )
        if recipe is not None and not isinstance(recipe, GraphRecipe):
            raise TypeError(
                f"recipe must be a GraphRecipe (a store's .recipe) or None, got a {type(recipe).__name__}."
            )
        for name, features in (("x", x), ("edge_attr", edge_attr)):
            # the networks compute in float32: any other float would reach them as it is
            if features is not None and features.dtype not in _FEATURE_DTYPES:
                raise ValueError(
                    f"{name} must be float32 (or int8 / int16 small integers), got {features.dtype}; "
                    f"pass {name}.float()."
                )
            if features is not None and features.dim() != 2:  # (an IndexError far away, in fit)
                rows = "n_nodes" if name == "x" else "n_edges"
                raise ValueError(
                    f"{name} must be one row of features per {rows[2:-1]}, of shape ({rows}, n_features), "
                    f"got {tuple(features.shape)}."
                )
        _check_layout(x, edge_index, node_ptr, edge_ptr, edge_attr, every_edge=recipe is None)
        self.x = x
        self.edge_index = edge_index
        # the offsets on the host, where batching reads them (given on a GPU, numpy() refused them)
        self.node_ptr = node_ptr.cpu()
        self.edge_ptr = edge_ptr.cpu()
        self.edge_attr = edge_attr
        n_graphs = node_ptr.numel() - 1
        if fingerprint is not None and fingerprint.shape[0] != n_graphs:
            raise ValueError(f"{fingerprint.shape[0]} fingerprints for {n_graphs} graphs.")
        self.fingerprint = fingerprint
        # a copy: a mask given to two stores (a pair's sides) or kept by its caller is not shared
        self.valid_mask = np.ones(n_graphs, dtype=bool) if valid_mask is None else np.array(valid_mask)
        if self.valid_mask.dtype != bool or self.valid_mask.shape != (n_graphs,):
            raise ValueError(
                f"valid_mask must be one boolean per graph ({n_graphs}), got {self.valid_mask.dtype} "
                f"values of shape {self.valid_mask.shape}."
            )
        self.recipe = recipe
        self.row_labels = row_labels

    @classmethod
    def from_arrays(
        cls,
        packed: dict[str, np.ndarray],
        valid_mask: np.ndarray | None = None,
        recipe: GraphRecipe | None = None,
    ) -> GraphStore:
        """Build a store from packed numpy arrays.

        Parameters
        ----------
        packed : dict of str to ndarray
            ``x``, ``edge_index`` (local node numbers), ``n_nodes`` and ``n_edges`` (per graph), and
            optionally ``edge_attr``: the arrays the featuriser packs.
        valid_mask : ndarray of bool of shape (n_graphs,), default=None
            As the class's ``valid_mask``.
        recipe : GraphRecipe, default=None
            As the class's ``recipe``.

        Returns
        -------
        graphs : GraphStore
            The store, its tensors sharing memory with writable arrays (read-only ones are copied).
        """
        edge_attr = packed.get("edge_attr")
        return cls(
            tensor_of(packed["x"]),
            tensor_of(packed["edge_index"]),
            _offsets(packed["n_nodes"]),
            _offsets(packed["n_edges"]),
            None if edge_attr is None else tensor_of(edge_attr),
            valid_mask,
            recipe=recipe,
        )

    def __len__(self) -> int:
        return self.node_ptr.numel() - 1

    if not TYPE_CHECKING:  # else a checker takes graphs for an array-like, SMILES and numbers alike
        __array__ = _no_array

    @property
    def row_labels(self) -> pd.Index | None:
        """The labels of the rows the graphs were made from (a pandas X's index), or None."""
        return self._row_labels

    @row_labels.setter
    def row_labels(self, labels: ArrayLike | None) -> None:
        labels = None if labels is None else pd.Index(labels)
        if labels is not None and len(labels) != len(self):
            raise ValueError(f"{len(labels)} row labels for {len(self)} graphs.")
        self._row_labels = labels

    @property
    def num_node_features(self) -> int:
        """The number of columns of the node features ``x``."""
        return self.x.shape[1]

    @property
    def device(self) -> torch.device:
        """Where the features live (the offsets stay on the host)."""
        return self.x.device

    def _index(self, index: object) -> np.ndarray:
        return positions(index, len(self))

    def _positions_of(self, index: np.ndarray) -> tuple[np.ndarray, ...]:
        """Sizes and node and edge positions of the graphs at ``index``, computed on the host."""
        node_ptr, edge_ptr = self.node_ptr.numpy(), self.edge_ptr.numpy()
        n_nodes = node_ptr[index + 1] - node_ptr[index]
        n_edges = edge_ptr[index + 1] - edge_ptr[index]
        return n_nodes, n_edges, _ranges(node_ptr[index], n_nodes), _ranges(edge_ptr[index], n_edges)

    @property
    def shape(self) -> tuple[int]:
        """``(n_graphs,)``: with it, scikit-learn's splitters and cross-validation index a store as
        they index an array of samples."""
        return (len(self),)

    @overload  # an array of positions or a mask first: to type checkers a numpy array is an index too
    def __getitem__(self, index: slice | np.ndarray | torch.Tensor | Sequence[Any]) -> GraphStore: ...
    @overload
    def __getitem__(self, index: SupportsIndex) -> Data: ...
    @overload
    def __getitem__(self, index: object) -> GraphStore: ...
    def __getitem__(self, index: object) -> GraphStore | Data:
        """An integer gives one PyG ``Data`` (as :meth:`to_data_list` gives them); an array, slice
        or mask gives a new store (a copy)."""
        index = _sample_index(index)
        if (position := single_position(index)) is not None:
            return self.to_data_list([position])[0]
        index = self._index(index)
        n_nodes, n_edges, nodes, edges = self._positions_of(index)
        nodes_d, edges_d, index_d = copy_to_device(self.device, nodes, edges, index)
        return GraphStore(
            self.x[nodes_d],
            self.edge_index[:, edges_d],
            _offsets(n_nodes),
            _offsets(n_edges),
            None if self.edge_attr is None else self.edge_attr[edges_d],
            self.valid_mask[index],
            None if self.fingerprint is None else self.fingerprint[index_d],
            self.recipe,
            None if self.row_labels is None else self.row_labels[index],
        )

    def batch(self, index: object = None) -> Batch:
        """A PyG ``Batch`` of the graphs at ``index`` (all graphs when None), in that order.

        Positions are computed on the host from the offsets (which stay there), so assembling a
        batch never waits for the device; the features are gathered where the store lives. The
        batch is built directly, not by ``Batch.from_data_list``, so PyG cannot split it back into
        graphs (``to_data_list`` and indexing of the batch raise): use the store's own.

        Parameters
        ----------
        index : array-like of int or bool, or slice, default=None
            Positions (or a mask) of the graphs to batch; None batches all.

        Returns
        -------
        batch : torch_geometric.data.Batch
            Node features ``x`` (float32), ``edge_index`` numbered within the batch, ``batch`` and
            ``ptr``, and ``edge_attr`` (float32) and a float ``fingerprint`` where the store has them.
        """
        return self._batch(self._index(slice(None) if index is None else index))[0]

    def _batch(self, index: np.ndarray) -> tuple[Batch, torch.Tensor]:
        """The batch of the graphs at host positions ``index``, and ``index`` on the store's device
        (copied with the batch's other indices, so that callers need not copy it again)."""
        n_nodes, n_edges, nodes, edges = self._positions_of(index)
        node_ptr = _offsets(n_nodes).numpy()
        # shift each graph's local node numbers by where its nodes start in the batch
        shift = np.repeat(node_ptr[:-1], n_edges)
        graph_ids = np.repeat(np.arange(len(index)), n_nodes)
        nodes, edges, shift, graph_ids, node_ptr, index = copy_to_device(
            self.device, nodes, edges, shift, graph_ids, node_ptr, index
        )
        batch = Batch(
            x=self.x.index_select(0, nodes).float(),
            edge_index=self.edge_index.index_select(1, edges) + shift,
            batch=graph_ids,
            ptr=node_ptr,
        )
        if self.edge_attr is not None:
            batch.edge_attr = self.edge_attr.index_select(0, edges).float()
        if self.fingerprint is not None:
            batch.fingerprint = self.fingerprint.index_select(0, index).float()
        return batch, index

    def to_data_list(self, index: Sequence[int] | np.ndarray | None = None) -> list[Data]:
        """Plain PyG ``Data`` objects, one per graph (for users; training uses ``_batch``).

        Their features are float32, as in :meth:`batch`: copies where the store keeps them as
        small integers (as :class:`~sklearn_ltdd.SmilesGraphizer` makes them), views of a float32
        store's. Their ``edge_index`` is a view: writing into it changes the store (``.clone()``
        it to change one graph alone).

        Parameters
        ----------
        index : sequence of int, default=None
            Positions of the graphs; None gives all.

        Returns
        -------
        graphs : list of torch_geometric.data.Data
            One per position, in order.
        """
        rows = slice(None) if index is None else index
        out = []
        for i in self._index(rows).tolist():
            n0, n1 = int(self.node_ptr[i]), int(self.node_ptr[i + 1])
            e0, e1 = int(self.edge_ptr[i]), int(self.edge_ptr[i + 1])
            data = Data(x=self.x[n0:n1].float(), edge_index=self.edge_index[:, e0:e1])
            if self.edge_attr is not None:
                data.edge_attr = self.edge_attr[e0:e1].float()
            if self.fingerprint is not None:
                data.fingerprint = self.fingerprint[i : i + 1].float()
            out.append(data)
        return out

    def to(self, device: str | torch.device) -> GraphStore:
        """A copy of the store on ``device`` (the store itself when already there).

        Parameters
        ----------
        device : str or torch.device
            ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"``: CUDA where available, as for the
            classifiers.

        Returns
        -------
        graphs : GraphStore
            The graphs on ``device``.
        """
        device = check_device(device)
        # "cuda" is the current GPU, whose tensors say which (cuda:0): compared as such
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        if device == self.device:
            return self
        return GraphStore(
            self.x.to(device),
            self.edge_index.to(device),
            self.node_ptr,  # offsets stay on the host: batch sizes are known without a device sync
            self.edge_ptr,
            None if self.edge_attr is None else self.edge_attr.to(device),
            self.valid_mask,
            None if self.fingerprint is None else self.fingerprint.to(device),
            self.recipe,
            self.row_labels,
        )

    def __getstate__(self) -> dict:
        # numpy, not tensors: a store pickled on a GPU machine must load where there is none
        return {k: v.cpu().numpy() if isinstance(v, torch.Tensor) else v for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict) -> None:
        state.setdefault("fingerprint", None)  # stores pickled before fingerprints existed
        state.setdefault("recipe", None)  # ... and before recipes: how they were made is unknown
        state.setdefault("_row_labels", None)  # ... and before row labels
        # its own: a pair's two sides pickled before they had one each would share it again
        state["valid_mask"] = np.array(state["valid_mask"])
        self.__dict__.update(
            {
                # joblib.load(mmap_mode="r") and loky's workers hand out read-only memory maps
                k: tensor_of(v) if k != "valid_mask" and isinstance(v, np.ndarray) else v
                for k, v in state.items()
            }
        )
        _check_parse_version(self.recipe)

    def __repr__(self) -> str:
        sizes = (len(self), "graph"), (self.x.shape[0], "node"), (self.edge_index.shape[1], "edge")
        counts = ", ".join(_counted(n, what) for n, what in sizes)
        return (
            f"GraphStore({counts}, {_counted(self.num_node_features, 'node feature')}, device={self.device})"
        )


class GraphStorePair:
    """Two aligned stores (reactants, products) for the ``pair`` reaction mode.

    Indexing and :meth:`batch` act on both and return a pair; a shared encoder embeds
    each side and the embeddings are concatenated. A reaction fingerprint, when there is one,
    belongs to the reaction and travels in the reactant store (and its batches).

    Parameters
    ----------
    reactants : GraphStore
        One graph of each reaction's reactants (all of them, as one graph of several fragments).
    products : GraphStore
        The products' graph of each reaction, aligned with ``reactants``.

    Examples
    --------
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> pairs = SmilesGraphizer(reaction_mode="pair").fit_transform(["CC(=O)O.OCC>>CC(=O)OCC"])
    >>> pairs
    GraphStorePair(1 reaction)
    >>> len(pairs.reactants.batch().x), len(pairs.products.batch().x)
    (7, 6)
    """

    def __init__(self, reactants: GraphStore, products: GraphStore):
        for side, store in (("reactants", reactants), ("products", products)):
            if not isinstance(store, GraphStore):
                raise TypeError(f"{side} must be a GraphStore, got a {type(store).__name__}.")
        if len(reactants) != len(products):
            raise ValueError(f"{len(reactants)} reactant graphs but {len(products)} product graphs.")
        for side, store in (("reactant", reactants), ("product", products)):
            # (a model reading pairs takes the reactant side's fingerprint for the reaction's)
            if (made := getattr(store.recipe, "reaction_mode", "pair")) != "pair":
                raise ValueError(
                    f"the {side} graphs were made with reaction_mode={made!r}; a GraphStorePair holds the "
                    "two sides of reactions as SmilesGraphizer(reaction_mode='pair') makes them from "
                    "reaction SMILES ('reactants>>products'), with the reaction's difference fingerprint: "
                    "featurise the reactions so."
                )
        widths = [(side.num_node_features, None if side.edge_attr is None else side.edge_attr.shape[1])
                  for side in (reactants, products)]  # fmt: skip
        if widths[0] != widths[1]:
            raise ValueError(
                f"the reactant graphs have {widths[0][0]} node features and {widths[0][1]} bond features, "
                f"the product graphs {widths[1][0]} and {widths[1][1]}: both sides pass through one encoder."
            )
        ours, theirs = reactants.row_labels, products.row_labels
        if ours is not None and theirs is not None and not ours.equals(theirs):
            raise ValueError(
                "the reactant and product graphs have other row_labels: one table's rows, or none."
            )
        self.reactants = reactants
        self.products = products

    @property
    def valid_mask(self) -> np.ndarray:
        """False for pairs whose input could not be parsed: read from the two sides' masks, each
        time (set those to change it)."""
        return self.reactants.valid_mask & self.products.valid_mask

    def __len__(self) -> int:
        return len(self.reactants)

    if not TYPE_CHECKING:  # else a checker takes graphs for an array-like, SMILES and numbers alike
        __array__ = _no_array

    @property
    def num_node_features(self) -> int:
        """The number of node features of each side."""
        return self.reactants.num_node_features

    @property
    def device(self) -> torch.device:
        """Where both sides' features live."""
        return self.reactants.device

    @property
    def fingerprint(self) -> torch.Tensor | None:
        """The reaction fingerprint of each pair (kept in the reactant store), or None."""
        return self.reactants.fingerprint

    @property
    def recipe(self) -> GraphRecipe | None:
        """How the graphs were made (both sides are made together)."""
        return self.reactants.recipe

    @property
    def row_labels(self) -> pd.Index | None:
        """The labels of the rows the pairs were made from, as :attr:`GraphStore.row_labels` (either
        side's: they are one table's)."""
        return self.products.row_labels if self.reactants.row_labels is None else self.reactants.row_labels

    @property
    def shape(self) -> tuple[int]:
        """``(n_pairs,)``, as :attr:`GraphStore.shape`."""
        return (len(self),)

    @overload
    def __getitem__(self, index: slice | np.ndarray | torch.Tensor | Sequence[Any]) -> GraphStorePair: ...
    @overload
    def __getitem__(self, index: SupportsIndex) -> tuple[Data, Data]: ...
    @overload
    def __getitem__(self, index: object) -> GraphStorePair: ...
    def __getitem__(self, index: object) -> GraphStorePair | tuple[Data, Data]:
        index = _sample_index(index)
        if (position := single_position(index)) is not None:
            return self.reactants[position], self.products[position]
        return GraphStorePair(self.reactants[index], self.products[index])

    def batch(self, index: object = None) -> tuple[Batch, Batch]:
        """The reactants' and the products' batches of the pairs at ``index``, as :meth:`GraphStore.batch`.

        Parameters
        ----------
        index : array-like of int or bool, or slice, default=None
            Positions (or a mask) of the pairs to batch; None batches all.

        Returns
        -------
        reactants, products : torch_geometric.data.Batch
            The two sides' batches, graph i of one beside graph i of the other.
        """
        return self._batch(positions(slice(None) if index is None else index, len(self)))[0]

    def _batch(self, index: np.ndarray) -> tuple[tuple[Batch, Batch], torch.Tensor]:
        reactants, on_device = self.reactants._batch(index)
        return (reactants, self.products._batch(index)[0]), on_device

    def to(self, device: str | torch.device) -> GraphStorePair:
        """A copy of the pair on ``device``, as :meth:`GraphStore.to`.

        Parameters
        ----------
        device : str or torch.device
            As in :meth:`GraphStore.to`.

        Returns
        -------
        pairs : GraphStorePair
            Both sides on ``device``.
        """
        return GraphStorePair(self.reactants.to(device), self.products.to(device))

    def __repr__(self) -> str:
        return f"GraphStorePair({_counted(len(self), 'reaction')})"


def _counted(n: int, what: str) -> str:
    """``n`` and ``what``, plural unless ``n`` is 1: "1 graph", "2 graphs"."""
    return f"{n} {what}{'s' * (n != 1)}"
