"""Degree-weighted edge dropping, the two augmented views of LTDD (GCA-style; the probabilities are
in docs/method.md, "The method in equations").

A view keeps every edge and carries a 0/1 ``edge_weight`` instead of a shorter ``edge_index``:
a dropped edge then contributes neither a message nor a degree to the GCN, exactly as if it were
removed, and no step depends on how many edges survive, so nothing waits for the device.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TypeVar

import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import degree

__all__ = ["drop_edges", "edge_drop_probabilities", "edge_drop_views", "edge_drop_weights", "stack_views"]

#: a batch, or a reaction's pair of batches (reactants, products): a view is of the same kind
Graphs = TypeVar("Graphs", bound=Batch | tuple[Batch, Batch])

MAX_DROP = 0.7


def edge_drop_weights(edge_index: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """Relative drop weight of each directed edge i→j: edges into low-degree nodes go more often.

    s_e = log deg(j); w_e = (max s − s_e) / (max s − mean s), whose mean is 1 by construction,
    so w_e · p has mean p. When every s_e is equal the weighting is undefined and all weights are 1.

    Parameters
    ----------
    edge_index : Tensor of shape (2, n_edges)
        Directed edges, both directions of each bond stored.
    n_nodes : int
        The number of nodes the edges number.

    Returns
    -------
    weights : Tensor of shape (n_edges,)
        The relative drop weight w_e of each edge.

    Examples
    --------
    >>> from sklearn_ltdd.nn import edge_drop_weights
    >>> import torch
    >>> path = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])  # 0 - 1 - 2
    >>> edge_drop_weights(path, 3)  # the edges into the ends go, those into the middle stay
    tensor([0., 2., 2., 0.])
    """
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:  # (E, 2) would be read as two edges
        raise ValueError(f"edge_index must have shape (2, n_edges), got {tuple(edge_index.shape)}.")
    if edge_index.shape[1] == 0:
        return torch.zeros(0, device=edge_index.device)
    deg = degree(edge_index[1], n_nodes)[edge_index[1]]  # both directions are stored: in-degree = degree
    s = torch.log(deg)
    spread = s.max() - s.mean()
    # equal degrees are asked of the integer counts: in float32 the mean of equal logs can fall
    # below their max (24 × log 2: by 6e-8), and a spread of rounding would give every weight 0;
    # a select, not an ``if``: branching on a device value would wait for the device
    equal = (deg == deg.max()).all()
    return torch.where(equal, torch.ones_like(s), (s.max() - s) / spread.clamp_min(1e-12))


def edge_drop_probabilities(edge_index: torch.Tensor, n_nodes: int, p: float) -> torch.Tensor:
    """Drop probability of each directed edge: p_e = min(w_e · p, 0.7) (see :func:`edge_drop_weights`).

    Parameters
    ----------
    edge_index : Tensor of shape (2, n_edges)
        Directed edges, both directions of each bond stored.
    n_nodes : int
        The number of nodes the edges number.
    p : float
        The base drop probability, in [0, 1]: the mean drop probability before the cap.

    Returns
    -------
    probabilities : Tensor of shape (n_edges,)
        The probability that each edge is dropped.

    Examples
    --------
    >>> from sklearn_ltdd.nn import edge_drop_probabilities
    >>> import torch
    >>> edge_drop_probabilities(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3, p=0.2)
    tensor([0.0000, 0.4000, 0.4000, 0.0000])
    """
    return _probabilities(edge_drop_weights(edge_index, n_nodes), p)


def _probabilities(weights: torch.Tensor, p: float) -> torch.Tensor:
    if not 0 <= p <= 1:  # NaN too: it dropped no edge, and -1 every one kept, in silence
        raise ValueError(f"an edge-drop probability must be in [0, 1], got {p!r}.")
    return torch.clamp(weights * p, max=MAX_DROP)


def _with_kept_edges(graphs: Batch, keep: torch.Tensor) -> Batch:
    view = copy.copy(graphs)  # shares node and edge tensors; only the edge weights are new
    previous = getattr(graphs, "edge_weight", None)
    view.edge_weight = keep.to(graphs.x.dtype) if previous is None else previous * keep
    return view


def edge_drop_views(graphs: Graphs, ps: Sequence[float]) -> list[Graphs]:
    """One view per base probability in ``ps``, as edge weights (1 kept, 0 dropped).

    ``graphs`` is a batch or a pair of batches (then each view is a pair). Edges are dropped
    independently; nodes are kept. The degree weights are computed once for all views.

    Parameters
    ----------
    graphs : torch_geometric.data.Batch or tuple of two Batch
        The batch (or reactants' and products' batches) to augment.
    ps : sequence of float
        One base drop probability per view (:func:`edge_drop_probabilities`).

    Returns
    -------
    views : list of Batch, or of tuples of two Batch
        Shallow copies sharing the graphs' tensors, each with an ``edge_weight`` of 1 (kept) or 0
        (dropped) per edge, times any ``edge_weight`` the graphs had.

    Examples
    --------
    >>> from sklearn_ltdd.nn import edge_drop_views
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> batch = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1"]).batch()
    >>> views = edge_drop_views(batch, (0.2, 0.4))
    >>> len(views), views[0].edge_index.shape == batch.edge_index.shape, views[0].edge_weight.shape
    (2, True, torch.Size([16]))
    """
    sides = _sides(graphs)
    weights = [edge_drop_weights(g.edge_index, g.num_nodes) for g in sides]
    views = [
        tuple(
            _with_kept_edges(g, torch.rand_like(w) >= _probabilities(w, p))
            for g, w in zip(sides, weights, strict=True)
        )
        for p in ps
    ]
    return views if isinstance(graphs, tuple | list) else [view[0] for view in views]


def _sides(graphs: Graphs) -> tuple[Data, ...]:
    """The batch, or the pair of batches, as a tuple: anything else is named (a GraphStore failed
    on a missing attribute, and a list of three graphs made views of three "sides")."""
    pair = isinstance(graphs, tuple | list)
    sides = tuple(graphs) if pair else (graphs,)
    if (pair and len(sides) != 2) or not all(isinstance(side, Data) for side in sides):
        kinds = ", ".join(type(side).__name__ for side in sides[:3]) + (", ..." if len(sides) > 3 else "")
        got = f"a {type(graphs).__name__} of {len(sides)}: {kinds}" if pair else f"a {type(graphs).__name__}"
        raise TypeError(
            "the graphs to augment are a batch (a GraphStore's .batch(), or PyG's Batch), or a "
            f"reaction's pair of batches (reactants, products); got {got}."
        )
    return sides


def drop_edges(graphs: Graphs, p: float) -> Graphs:
    """A single edge-dropped view of the batch (or pair of batches).

    Parameters
    ----------
    graphs : torch_geometric.data.Batch or tuple of two Batch
        The batch (or pair of batches) to augment.
    p : float
        The base drop probability (:func:`edge_drop_probabilities`).

    Returns
    -------
    view : Batch or tuple of two Batch
        As one of :func:`edge_drop_views`' views.

    Examples
    --------
    >>> from sklearn_ltdd.nn import drop_edges
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> batch = SmilesGraphizer().fit_transform(["CCO"]).batch()
    >>> set(drop_edges(batch, 0.0).edge_weight.tolist())  # p = 0 keeps every edge
    {1.0}
    """
    return edge_drop_views(graphs, (p,))[0]


def _stack(views: Sequence[Batch]) -> Batch:
    # the encoders read one copy of the node features (n_views says they repeat): views with
    # features of their own (a feature-masking augmentation) would lose all but view 0's. Views
    # copied (moved to a device one by one) are compared, which reads the device: off the fit's path
    first = views[0].x
    if any(v.x is not first and (v.x.shape != first.shape or not torch.equal(v.x, first)) for v in views):
        raise ValueError(
            "stack_views stacks views of one batch that share its node features (edge_drop_views' "
            "views, which differ in their edge weights only); these views have other node features, "
            "of which the encoders would read view 0's only: run the encoder on each view."
        )
    n_nodes, n_graphs = views[0].num_nodes, views[0].num_graphs
    stacked = Batch(
        x=torch.cat([v.x for v in views]),
        edge_index=torch.cat([v.edge_index + k * n_nodes for k, v in enumerate(views)], dim=1),
        edge_weight=torch.cat([v.edge_weight for v in views]),
        batch=torch.cat([v.batch + k * n_graphs for k, v in enumerate(views)]),
        n_views=len(views),
    )
    if getattr(views[0], "ptr", None) is not None:  # (a Batch built by hand may have none)
        stacked.ptr = torch.cat([views[0].ptr[:1]] + [v.ptr[1:] + k * n_nodes for k, v in enumerate(views)])
    if getattr(views[0], "edge_attr", None) is not None:
        stacked.edge_attr = torch.cat([v.edge_attr for v in views])
    if getattr(views[0], "fingerprint", None) is not None:
        stacked.fingerprint = views[0].fingerprint  # one copy: views differ in edges only
    return stacked


def stack_views(views: Sequence[Graphs]) -> Graphs:
    """The views of one batch as a single batch (view 0's graphs first), so that the encoder runs once.

    Views of the same batch share their nodes and edges, so graph k of view v is graph
    ``v · B + k`` of the result, and ``n_views`` on the result says that its node features are
    ``n_views`` copies of the same rows. Its ``fingerprint``, when the batch has one, is a single
    copy (one row per graph of a view). Pairs are stacked side by side.

    Parameters
    ----------
    views : sequence of Batch, or of tuples of two Batch
        Views of one batch, as :func:`edge_drop_views` makes them.

    Returns
    -------
    stacked : Batch or tuple of two Batch
        One batch of ``len(views)`` × B graphs.

    Examples
    --------
    >>> from sklearn_ltdd.nn import edge_drop_views, stack_views
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> batch = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1"]).batch()
    >>> stacked = stack_views(edge_drop_views(batch, (0.2, 0.4)))
    >>> stacked.num_graphs, stacked.n_views
    (4, 2)
    """
    if isinstance(views[0], tuple | list):
        return tuple(_stack(side) for side in zip(*views, strict=True))
    return _stack(views)
