"""A bond-aware encoder: residual GINE layers (PyG's ``GINEConv``) reading bond features (12; 26 on a CGR)."""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.nn import MLP, GINEConv, MessagePassing, global_add_pool

from .._torch_geometric import remove_generated_source
from ._gcn import checked_batch, checked_features, checked_sizes, tile

__all__ = ["GINEEncoder"]


class GINEEncoder(nn.Module):
    """GINE layers, each ``BatchNorm(ReLU(GINEConv(x, e)) + ReLU(Linear(x)))``, then sum pooling.

    A message is ``ReLU(x_j + W e_ji)``, so every layer sees the bond between two atoms (GINE,
    Hu et al. 2020); the update is a two-layer MLP of ``x_i`` plus the summed messages. The
    residual branch and the layout match :class:`GCNEncoder`, so the two differ only in how
    neighbours are read. A message is scaled by its edge's ``edge_weight`` (0 for an edge an
    augmented view dropped, which then carries nothing), so that no step depends on how many edges
    survive; the first residual map of stacked views runs on one copy of their node features.

    Parameters
    ----------
    in_features : int
        The width of the node features (74 for :class:`~sklearn_ltdd.SmilesGraphizer`'s).
    hidden : int, default=128
        The width of every layer and of the embedding.
    n_layers : int, default=3
        The number of layers.
    edge_features : int, default=12
        The width of the bond features (``SmilesGraphizer(bond_features=True)``'s).

    Examples
    --------
    >>> from sklearn_ltdd.nn import GINEEncoder
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> batch = SmilesGraphizer(bond_features=True).fit_transform(["CCO", "c1ccccc1"]).batch()
    >>> GINEEncoder(74, edge_features=batch.edge_attr.shape[1]).eval()(batch).shape
    torch.Size([2, 128])
    """

    reads_bonds = True  # its messages read the bond features: built with ``edge_features``

    def __init__(self, in_features: int, hidden: int = 128, n_layers: int = 3, edge_features: int = 12):
        super().__init__()
        in_features, hidden, n_layers, edge_features = checked_sizes(
            in_features=in_features, hidden=hidden, n_layers=n_layers, edge_features=edge_features
        )
        sizes = [in_features] + [hidden] * n_layers
        self.convs = nn.ModuleList(
            WeightedGINEConv(MLP([a, b, b], norm="batch_norm", act="relu"), edge_dim=edge_features)
            for a, b in itertools.pairwise(sizes)
        )
        self.residuals = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in sizes[1:])

    def forward(self, batch: Batch) -> torch.Tensor:
        """The embedding of each graph of the batch: the sum of its nodes' last-layer features.

        Parameters
        ----------
        batch : torch_geometric.data.Batch
            Node features ``x``, ``edge_index`` and ``batch``, bond features ``edge_attr``; an
            ``edge_weight`` and ``n_views`` where it holds augmented views.

        Returns
        -------
        embeddings : Tensor of shape (n_graphs, hidden)
            One row per graph.
        """
        batch = checked_batch(batch)
        x, edge_index, edge_attr = batch.x, batch.edge_index, getattr(batch, "edge_attr", None)
        if edge_attr is None:
            raise ValueError(
                "encoder='gine' reads bond features, but the graphs have none; featurise them with "
                "SmilesGraphizer(bond_features=True)."
            )
        x = checked_features(x, self.residuals[0].in_features, "node")
        edge_attr = checked_features(edge_attr, self.convs[0].lin.in_channels, "edge")
        weight = getattr(batch, "edge_weight", None)  # a view: its dropped edges weigh 0
        n_views = getattr(batch, "n_views", 1)
        layers = zip(self.convs, self.residuals, self.norms, strict=True)
        for depth, (conv, residual, norm) in enumerate(layers):
            rows, copies = (x[: len(x) // n_views], n_views) if depth == 0 else (x, 1)
            skip = tile(residual(rows), copies)
            x = norm(torch.relu_(conv(x, edge_index, edge_attr, weight)) + torch.relu_(skip))
        return global_add_pool(x, batch.batch, size=batch.num_graphs)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        # models saved before WeightedGINEConv hold PyG's GINEConv: the same parameters (and the
        # source PyG generated for it on unpickling them, removed)
        self.convs = nn.ModuleList(WeightedGINEConv.of(conv) for conv in self.convs)
        remove_generated_source(GINEConv)


class WeightedGINEConv(GINEConv):
    """PyG's ``GINEConv`` whose messages are scaled by an optional per-edge weight."""

    # PyG's own propagate, which PyG compiles for this class's message; where it cannot, the
    # generic one still passes edge_weight (GINEConv's compiled one would not)
    propagate = MessagePassing.propagate

    def __init__(self, nn: nn.Module, edge_dim: int | None = None, **kwargs):
        super().__init__(nn, edge_dim=edge_dim, **kwargs)
        remove_generated_source(type(self))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)  # (in a process that built no layer, PyG generates it here)
        remove_generated_source(type(self))

    @classmethod
    def of(cls, conv: GINEConv) -> WeightedGINEConv:
        """``conv`` itself, or a WeightedGINEConv with its modules and parameters."""
        if isinstance(conv, cls):
            return conv
        state = {k: v.detach().clone() for k, v in conv.state_dict().items()}
        weighted = cls(conv.nn, train_eps=isinstance(conv.eps, nn.Parameter))  # resets conv.nn
        weighted.lin = conv.lin
        weighted.load_state_dict(state, assign=True)  # the saved tensors, on their device
        return weighted.train(conv.training)

    def forward(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_attr: torch.Tensor,
        edge_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        # propagate_type: (x: OptPairTensor, edge_attr: OptTensor, edge_weight: OptTensor)
        out = self.propagate(edge_index, x=(x, x), edge_attr=edge_attr, edge_weight=edge_weight, size=None)
        return self.nn(out + (1 + self.eps) * x)

    def message(
        self, x_j: torch.Tensor, edge_attr: torch.Tensor, edge_weight: torch.Tensor | None
    ) -> torch.Tensor:
        messages = super().message(x_j, edge_attr)
        # (in the messages' dtype: a float64 weight would promote them past the aggregation's)
        return messages if edge_weight is None else messages * edge_weight.to(messages.dtype).unsqueeze(-1)
