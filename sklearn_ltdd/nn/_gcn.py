"""The paper's encoder: a residual GCN with sum readout, propagating with a shared sparse matrix."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import torch
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.index import index2ptr
from torch_geometric.nn import GCNConv, global_add_pool
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import add_self_loops

from .._arguments import is_integer
from .._torch_geometric import remove_generated_source

__all__ = ["GCNEncoder", "NormalizedAdjacency", "checked_batch", "checked_features", "checked_sizes", "tile"]


class GCNEncoder(nn.Module):
    """GCN layers, each ``BatchNorm(ReLU(GCNConv(x)) + ReLU(Linear(x)))``, then sum pooling.

    An ``edge_weight`` on the batch (0 for the edges an augmented view dropped) weighs messages
    and degrees. Equal to PyG's default ``GCNConv`` normalisation, computed once per batch, on
    graphs without self-loops (molecular graphs have none; an edge i→i given would count twice).
    A batch of stacked views (``n_views`` > 1, see :func:`~sklearn_ltdd.nn.stack_views`) shares
    its node features, so the first layer's linear maps run on one copy of them.

    Parameters
    ----------
    in_features : int
        The width of the node features (74 for :class:`~sklearn_ltdd.SmilesGraphizer`'s).
    hidden : int, default=128
        The width of every layer and of the embedding.
    n_layers : int, default=3
        The number of layers.

    Examples
    --------
    >>> from sklearn_ltdd.nn import GCNEncoder
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> batch = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1"]).batch()
    >>> GCNEncoder(74).eval()(batch).shape
    torch.Size([2, 128])
    """

    reads_bonds = False  # it sees atoms only

    def __init__(self, in_features: int, hidden: int = 128, n_layers: int = 3):
        super().__init__()
        in_features, hidden, n_layers = checked_sizes(
            in_features=in_features, hidden=hidden, n_layers=n_layers
        )
        sizes = [in_features] + [hidden] * n_layers
        # GCNConv holds each layer's weights; forward multiplies by the shared NormalizedAdjacency
        self.convs = nn.ModuleList(GCNConv(a, b, normalize=False) for a, b in itertools.pairwise(sizes))
        remove_generated_source(GCNConv)
        self.residuals = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in sizes[1:])

    def __setstate__(self, state: dict) -> None:
        # a loaded model's layers, unpickled in a process that built none, have PyG generate it again
        super().__setstate__(state)
        remove_generated_source(GCNConv)

    def forward(self, batch: Batch) -> torch.Tensor:
        """The embedding of each graph of the batch: the sum of its nodes' last-layer features.

        Parameters
        ----------
        batch : torch_geometric.data.Batch
            Node features ``x``, ``edge_index`` and ``batch``; an ``edge_weight`` and ``n_views``
            where it holds augmented views.

        Returns
        -------
        embeddings : Tensor of shape (n_graphs, hidden)
            One row per graph.
        """
        x = checked_features(checked_batch(batch).x, self.residuals[0].in_features, "node")
        weight = getattr(batch, "edge_weight", None)
        if weight is not None:  # the product needs the features' dtype (not float64 or 0/1 bool weights)
            weight = weight.to(x.dtype)
        adjacency = NormalizedAdjacency(batch.edge_index, weight, len(x), x.dtype)
        n_views = getattr(batch, "n_views", 1)
        layers = zip(self.convs, self.residuals, self.norms, strict=True)
        for depth, (conv, residual, norm) in enumerate(layers):
            # stacked views share their node features: the first linear maps run on one copy
            rows, copies = (x[: len(x) // n_views], n_views) if depth == 0 else (x, 1)
            messages, skip = tile(conv.lin(rows), copies), tile(residual(rows), copies)
            h = adjacency.propagate(messages, conv.bias)
            x = norm(torch.relu_(h) + torch.relu_(skip))  # in place: fresh tensors nothing else reads
        return global_add_pool(x, batch.batch, size=batch.num_graphs)


def checked_batch(batch: Batch) -> Batch:
    """``batch`` itself, where it is a PyG ``Batch``: a single ``Data`` has no graphs to pool into."""
    if not isinstance(batch, Batch):
        raise TypeError(
            f"the encoders take a torch_geometric Batch of graphs, got a {type(batch).__name__}: give "
            "Batch.from_data_list([...]) or a GraphStore's batch()."
        )
    return batch


def checked_features(
    features: torch.Tensor, width: int, what: str, reader: str = "the encoder"
) -> torch.Tensor:
    """``features`` as they are, where an encoder can read them: floating point (a GraphStore keeps
    its own as int8, which its batches make float32) and ``width`` columns. (Their type and shape
    are known on the host: no wait for the device.)"""
    if not features.is_floating_point():
        raise TypeError(
            f"the {what} features are {features.dtype}, and the encoders compute in float: give them "
            "a GraphStore's batch() or to_data_list() (float32), or the features' .float()."
        )
    if features.dim() != 2 or features.shape[1] != width:
        raise ValueError(
            f"the {what} features have shape {tuple(features.shape)}, but {reader} reads {width} "
            f"per {what}: build it for the graphs' widths."
        )
    return features


def checked_sizes(**sizes: int) -> tuple[int, ...]:
    """The sizes of a network's layers, each a positive integer, as Python integers: 0 built a
    network that failed, or learnt nothing, later, and widths added in an int8 (pandas'
    ``downcast``) wrapped round to negatives."""
    for name, size in sizes.items():
        if not is_integer(size) or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}.")
    return tuple(int(size) for size in sizes.values())


def tile(rows: torch.Tensor, copies: int) -> torch.Tensor:
    """``rows`` stacked ``copies`` times, for the stacked views that share their node features."""
    return rows if copies == 1 else rows.repeat(copies, 1)


class NormalizedAdjacency:
    """GCN's D^-1/2 (A + I) D^-1/2 of a batch, indexed [target, source].

    Built once per batch and shared by all layers: a sparse-dense product costs less than a
    message per edge. The transpose that each layer's backward pass multiplies by is built here
    too, once, instead of being converted from the forward matrix in every layer's backward.
    (PyG's ``EdgeIndex`` caches it as well, but its products raise torch's sparse warnings in
    the user's backward pass, where they cannot be silenced.) Molecules carry no self-loops, so
    adding them needs no mask (which would make the edge count data-dependent and wait for the
    device).
    """

    def __init__(
        self,
        edge_index: torch.Tensor,
        edge_weight: torch.Tensor | None,
        n: int,
        dtype: torch.dtype = torch.float32,
    ):
        if edge_weight is not None and edge_weight.requires_grad and torch.is_grad_enabled():
            raise ValueError(
                "GCNEncoder does not differentiate its edge weights (its sparse product is built for "
                "fixed weights, such as the edge drops' 0 and 1); learn them with encoder 'gine' or "
                "PyG's GCNConv, or pass edge_weight.detach()."
            )
        edge_index, weight = add_self_loops(edge_index, edge_weight, fill_value=1.0, num_nodes=n)
        # (without weights, those of the features: a float64 model's products need float64 ones)
        edge_index, weight = gcn_norm(edge_index, weight, n, add_self_loops=False, dtype=dtype)
        source, target = edge_index
        self.matrix = _csr(target, source, weight, n)
        self.transposed = _csr(source, target, weight, n)

    def propagate(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``bias + adjacency @ x``, differentiable in ``x`` and ``bias``."""
        return _SparseProduct.apply(self.matrix, self.transposed, x, bias)


@contextmanager
def _beta_warning_caught() -> Iterator[None]:
    """torch's warning that sparse CSR tensors are in beta, ignored: said once in a process, but at
    every call under ``torch.set_warn_always(True)``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta state", UserWarning)
        yield


def _csr(rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, n: int) -> torch.Tensor:
    # rows sorted, columns sorted within a row; the keys are unique, and the stable sort is the
    # faster one on edges that already come graph by graph
    order = torch.argsort(rows * n + cols, stable=True)
    with _beta_warning_caught() if torch.is_warn_always_enabled() else nullcontext():
        return torch.sparse_csr_tensor(
            index2ptr(rows[order], n),
            cols[order],
            values[order],
            (n, n),
            check_invariants=False,  # (said, so torch does not warn that they are off)
            device=values.device,  # not the default device: a caller's, or the CPU the package sets
        )


# torch warns once in a process that sparse CSR tensors are in beta: said here, as the module loads,
# where catching it sets the process's warning filters aside once, not at every forward pass (in
# which threads predicting at once lost the warnings other threads recorded, and kept its filter;
# only under torch.set_warn_always(True), where torch says it at every call, is it caught there)
with _beta_warning_caught():  # (on the CPU, whatever a caller's default device)
    _csr(*torch.zeros((2, 1), dtype=torch.long, device="cpu"), torch.ones(1, device="cpu"), 1)


class _SparseProduct(torch.autograd.Function):
    """``bias + matrix @ x`` whose backward multiplies by the given ``transposed``.

    One ``addmm``: the sparse product starts from the bias instead of zeros, saving two passes
    over the output.
    """

    @staticmethod
    def forward(ctx, matrix, transposed, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        ctx.transposed = transposed
        return torch.addmm(bias, matrix, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[None, None, torch.Tensor, torch.Tensor]:
        return None, None, ctx.transposed @ grad, grad.sum(dim=0)
