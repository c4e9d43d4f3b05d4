"""Degree-weighted edge dropping, the two augmented views of LTDD (spec §3, GCA-style)."""

from __future__ import annotations

import copy

import torch
from torch_geometric.data import Batch
from torch_geometric.utils import degree

__all__ = ["drop_edges", "edge_drop_probabilities"]

MAX_DROP = 0.7


def edge_drop_probabilities(edge_index: torch.Tensor, n_nodes: int, p: float) -> torch.Tensor:
    """Drop probability of each directed edge i→j: edges into low-degree nodes go more often.

    s_e = log deg(j); w_e = (max s − s_e) / (max s − mean s); p_e = min(w_e / mean(w) · p, 0.7).
    When every s_e is equal the weighting is undefined and every edge gets p.
    """
    if edge_index.shape[1] == 0:
        return torch.zeros(0, device=edge_index.device)
    deg = degree(edge_index[1], n_nodes)  # both directions are stored: in-degree = degree
    s = torch.log(deg[edge_index[1]])
    spread = s.max() - s.mean()
    if spread <= 1e-12:
        return torch.full_like(s, min(p, MAX_DROP))
    w = (s.max() - s) / spread
    if w.mean() <= 0:
        return torch.full_like(s, min(p, MAX_DROP))
    return torch.clamp(w / w.mean() * p, max=MAX_DROP)


def drop_edges(graphs: Batch | tuple, p: float) -> Batch | tuple:
    """A view of the batch (or pair of batches) with edges dropped independently; nodes are kept."""
    if isinstance(graphs, tuple | list):
        return tuple(drop_edges(g, p) for g in graphs)
    keep = torch.rand(graphs.edge_index.shape[1], device=graphs.edge_index.device) >= edge_drop_probabilities(
        graphs.edge_index, graphs.num_nodes, p
    )
    view = copy.copy(graphs)  # shares the node tensors; only the edge fields are replaced
    view.edge_index = graphs.edge_index[:, keep]
    if getattr(graphs, "edge_attr", None) is not None:
        view.edge_attr = graphs.edge_attr[keep]
    return view
