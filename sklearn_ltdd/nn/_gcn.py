"""The graph network of LTDD: a residual GCN encoder with sum readout and an MLP classifier (spec §2)."""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.nn import GCNConv, global_add_pool

__all__ = ["GCNEncoder", "LTDDModule", "MLPHead"]


class GCNEncoder(nn.Module):
    """GCN layers, each ``BatchNorm(ReLU(GCNConv(x)) + ReLU(Linear(x)))``, then sum pooling."""

    def __init__(self, in_features: int, hidden: int = 128, n_layers: int = 3):
        super().__init__()
        sizes = [in_features] + [hidden] * n_layers
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in itertools.pairwise(sizes))
        self.residuals = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in sizes[1:])

    def forward(self, batch: Batch) -> torch.Tensor:
        x = batch.x
        for conv, residual, norm in zip(self.convs, self.residuals, self.norms, strict=True):
            x = norm(torch.relu(conv(x, batch.edge_index)) + torch.relu(residual(x)))
        return global_add_pool(x, batch.batch, size=batch.num_graphs)


class MLPHead(nn.Module):
    """``n_hidden`` blocks of Linear → BatchNorm → ReLU, then a linear layer to the classes."""

    def __init__(self, in_features: int, n_classes: int, hidden: int = 128, n_hidden: int = 3):
        super().__init__()
        layers, size = [], in_features
        for _ in range(n_hidden):
            layers += [nn.Linear(size, hidden), nn.BatchNorm1d(hidden), nn.ReLU()]
            size = hidden
        layers.append(nn.Linear(size, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.layers(h)


class LTDDModule(nn.Module):
    """Encoder plus classifier. A pair of batches (reactants, products) shares the encoder and
    concatenates the two embeddings."""

    def __init__(
        self, in_features: int, n_classes: int, hidden: int = 128, n_layers: int = 3, pair: bool = False
    ):
        super().__init__()
        self.encoder = GCNEncoder(in_features, hidden, n_layers)
        self.head = MLPHead(hidden * (2 if pair else 1), n_classes, hidden)

    def embed(self, graphs: Batch | tuple[Batch, Batch]) -> torch.Tensor:
        """The graph embedding h (not normalised)."""
        if isinstance(graphs, tuple | list):
            return torch.cat([self.encoder(g) for g in graphs], dim=1)
        return self.encoder(graphs)

    def forward(self, graphs: Batch | tuple[Batch, Batch]) -> torch.Tensor:
        """Class logits."""
        return self.head(self.embed(graphs))
