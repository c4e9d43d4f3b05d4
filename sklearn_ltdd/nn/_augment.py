"""Degree-weighted edge dropping, the two augmented views of LTDD (spec §3, GCA-style)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch_geometric.data import Batch
from torch_geometric.utils import degree

__all__ = ["drop_edges", "edge_drop_probabilities", "edge_drop_views", "edge_drop_weights"]

MAX_DROP = 0.7


def edge_drop_weights(edge_index: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """Relative drop weight of each directed edge i→j: edges into low-degree nodes go more often.

    s_e = log deg(j); w_e = (max s − s_e) / (max s − mean s), whose mean is 1 by construction,
    so w_e · p has mean p. When every s_e is equal the weighting is undefined and all weights are 1.
    """
    if edge_index.shape[1] == 0:
        return torch.zeros(0, device=edge_index.device)
    deg = degree(edge_index[1], n_nodes)  # both directions are stored: in-degree = degree
    s = torch.log(deg[edge_index[1]])
    spread = s.max() - s.mean()
    if spread <= 1e-12:
        return torch.ones_like(s)
    return (s.max() - s) / spread


def edge_drop_probabilities(edge_index: torch.Tensor, n_nodes: int, p: float) -> torch.Tensor:
    """Drop probability of each directed edge: p_e = min(w_e · p, 0.7) (see :func:`edge_drop_weights`)."""
    return torch.clamp(edge_drop_weights(edge_index, n_nodes) * p, max=MAX_DROP)


def _drop(graphs: Batch, probability: torch.Tensor) -> Batch:
    keep = torch.rand(probability.shape[0], device=probability.device) >= probability
    view = copy.copy(graphs)  # shares the node tensors; only the edge fields are replaced
    view.edge_index = graphs.edge_index[:, keep]
    if getattr(graphs, "edge_attr", None) is not None:
        view.edge_attr = graphs.edge_attr[keep]
    return view


def edge_drop_views(graphs: Batch | tuple, ps: Sequence[float]) -> list:
    """One view per base probability in ``ps``; the degree weights are computed once for all views.

    ``graphs`` is a batch or a pair of batches (then each view is a pair). Edges are dropped
    independently; nodes are kept.
    """
    sides = tuple(graphs) if isinstance(graphs, tuple | list) else (graphs,)
    weights = [edge_drop_weights(g.edge_index, g.num_nodes) for g in sides]
    views = [
        tuple(_drop(g, torch.clamp(w * p, max=MAX_DROP)) for g, w in zip(sides, weights, strict=True))
        for p in ps
    ]
    return views if isinstance(graphs, tuple | list) else [view[0] for view in views]


def drop_edges(graphs: Batch | tuple, p: float) -> Batch | tuple:
    """A single edge-dropped view of the batch (or pair of batches)."""
    return edge_drop_views(graphs, (p,))[0]
