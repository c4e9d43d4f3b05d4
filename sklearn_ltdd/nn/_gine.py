"""A bond-aware encoder: residual GINE layers (PyG's ``GINEConv``) that read the 12 bond features."""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.nn import MLP, GINEConv, global_add_pool

from ._gcn import remove_generated_source, tile

__all__ = ["GINEEncoder"]


class GINEEncoder(nn.Module):
    """GINE layers, each ``BatchNorm(ReLU(GINEConv(x, e)) + ReLU(Linear(x)))``, then sum pooling.

    A message is ``ReLU(x_j + W e_ji)``, so every layer sees the bond between two atoms (GINE,
    Hu et al. 2020); the update is a two-layer MLP of ``x_i`` plus the summed messages. The
    residual branch and the layout match :class:`GCNEncoder`, so the two differ only in how
    neighbours are read. Edges whose ``edge_weight`` is 0 (dropped by an augmented view) are
    left out; the first residual map of stacked views runs on one copy of their node features.
    """

    reads_bonds = True  # its messages read the bond features: built with ``edge_features``

    def __init__(self, in_features: int, hidden: int = 128, n_layers: int = 3, edge_features: int = 12):
        super().__init__()
        sizes = [in_features] + [hidden] * n_layers
        self.convs = nn.ModuleList(
            GINEConv(MLP([a, b, b], norm="batch_norm", act="relu"), edge_dim=edge_features)
            for a, b in itertools.pairwise(sizes)
        )
        remove_generated_source(GINEConv)
        self.residuals = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in sizes[1:])

    def forward(self, batch: Batch) -> torch.Tensor:
        x, edge_index, edge_attr = batch.x, batch.edge_index, getattr(batch, "edge_attr", None)
        if edge_attr is None:
            raise ValueError(
                "encoder='gine' reads bond features, but the graphs have none; featurise them with "
                "SmilesGraphizer(bond_features=True)."
            )
        weight = getattr(batch, "edge_weight", None)
        if weight is not None:  # a view: its dropped edges carry no message
            keep = weight > 0
            edge_index, edge_attr = edge_index[:, keep], edge_attr[keep]
        n_views = getattr(batch, "n_views", 1)
        layers = zip(self.convs, self.residuals, self.norms, strict=True)
        for depth, (conv, residual, norm) in enumerate(layers):
            rows, copies = (x[: len(x) // n_views], n_views) if depth == 0 else (x, 1)
            skip = tile(residual(rows), copies)
            x = norm(torch.relu_(conv(x, edge_index, edge_attr)) + torch.relu_(skip))
        return global_add_pool(x, batch.batch, size=batch.num_graphs)
