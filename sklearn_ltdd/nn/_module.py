"""LTDD's network: a graph encoder, an optional fingerprint branch, and the MLP classifier head."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.nn import MLP

from .._arguments import is_integer, is_number
from ._augment import edge_drop_views, stack_views
from ._gcn import GCNEncoder, checked_features, checked_sizes
from ._gine import GINEEncoder

__all__ = ["ENCODERS", "LTDDModule"]

#: ``encoder`` → its class
ENCODERS: dict[str, type[nn.Module]] = {"gcn": GCNEncoder, "gine": GINEEncoder}
#: dropout on the 2,048 fingerprint bits, a regulariser for a projection that fits the training
#: set within a few epochs (on an HIV subsample it did not change test BA; docs/results.md)
FINGERPRINT_DROPOUT = 0.5


def _drop_probabilities(edge_drop: object) -> tuple[float, ...] | None:
    """``edge_drop`` as a tuple of floats where it is a non-empty sequence (or a 1-D array or
    tensor) of numbers in [0, 1] (NaN is not); else None."""
    if isinstance(edge_drop, np.ndarray | torch.Tensor) and edge_drop.ndim == 1:
        edge_drop = edge_drop.tolist()
    if isinstance(edge_drop, str | bytes) or not isinstance(edge_drop, Sequence) or not edge_drop:
        return None
    if all(is_number(p) and 0 <= p <= 1 for p in edge_drop):
        return tuple(float(p) for p in edge_drop)
    return None


class LTDDModule(nn.Module):
    """Encoder plus classifier; ``forward`` returns ``(logits, embeddings)`` in eval mode and
    ``(embeddings,)`` in training (``(embeddings, wide_logits)`` with a wide expert), where the
    loss applies the head itself, to what it needs.

    A pair of batches (reactants, products) shares the encoder and concatenates the two
    embeddings. With ``fingerprint_bits`` set, the batch's ``fingerprint`` passes through a
    learned projection (Dropout → Linear → BatchNorm → ReLU, ``hidden`` wide) that is joined to
    the graph embedding, so the contrastive losses and the head both see it. With ``wide`` also set, a
    second expert, a linear map of the whole fingerprint (a logistic regression, which no
    2048 → ``hidden`` projection loses), trains beside the deep one on its own loss: in
    training ``forward`` returns its logits second; in eval mode the logits are the sum of the
    two experts' log-probabilities (their product of probabilities). With ``edge_drop`` set,
    training mode augments like dropout does: the batch of B graphs becomes one batch of its
    views (one per drop probability, stacked, so the encoder runs once), and the embeddings have
    a row per view and graph (view 0's first). In eval mode the graphs are used as they are.
    The two views share one fingerprint dropout mask: as in the paper, the views differ in their
    edges only, and the fingerprint dropout regularises the projection rather than augmenting.

    Parameters
    ----------
    in_features : int
        The width of the node features.
    n_classes : int
        The number of classes (the head's outputs).
    hidden : int, default=128
        The width of the encoder, the fingerprint projection and the head's hidden layers.
    n_layers : int, default=3
        The encoder's layers.
    pair : bool, default=False
        Whether the input is a pair of batches (reactants, products).
    edge_drop : sequence of float, default=None
        The base drop probability of each augmented view in training (a list, tuple, or 1-D
        array or tensor); None trains on the graphs.
    encoder : {"gcn", "gine"}, default="gcn"
        The graph encoder (``sklearn_ltdd.nn.ENCODERS``).
    edge_features : int, default=12
        The width of the bond features, for ``encoder="gine"``.
    fingerprint_bits : int, default=0
        The width of the batch's ``fingerprint``; 0 (or None): no fingerprint branch.
    wide : bool, default=False
        Add the wide expert (needs ``fingerprint_bits``).

    Examples
    --------
    >>> from sklearn_ltdd.nn import LTDDModule
    >>> from sklearn_ltdd import SmilesGraphizer
    >>> batch = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1"]).batch()
    >>> logits, embeddings = LTDDModule(74, n_classes=3, hidden=16).eval()(batch)
    >>> logits.shape, embeddings.shape
    (torch.Size([2, 3]), torch.Size([2, 16]))
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        hidden: int = 128,
        n_layers: int = 3,
        pair: bool = False,
        edge_drop: Sequence[float] | np.ndarray | torch.Tensor | None = None,
        encoder: str = "gcn",
        edge_features: int = 12,
        fingerprint_bits: int | None = 0,
        wide: bool = False,
    ):
        super().__init__()
        in_features, n_classes, hidden, n_layers = checked_sizes(
            in_features=in_features, n_classes=n_classes, hidden=hidden, n_layers=n_layers
        )
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {sorted(ENCODERS)}, got {encoder!r}.")
        if wide and not fingerprint_bits:  # (it was built without a word)
            raise ValueError(
                "wide=True adds a wide expert on the fingerprint, which needs fingerprint_bits > 0."
            )
        fingerprint_bits = 0 if fingerprint_bits is None else fingerprint_bits  # (None: no branch)
        if not is_integer(fingerprint_bits) or fingerprint_bits < 0:
            raise ValueError(f"fingerprint_bits must be a non-negative integer, got {fingerprint_bits!r}.")
        fingerprint_bits = int(fingerprint_bits)
        probabilities = None if edge_drop is None else _drop_probabilities(edge_drop)
        if edge_drop is not None and probabilities is None:  # (the first training forward failed)
            raise ValueError(
                "edge_drop must give one drop probability in [0, 1] per view, e.g. (0.15, 0.1), or be "
                f"None; got {edge_drop!r}."
            )
        encoder_class = ENCODERS[encoder]
        bonds = {"edge_features": edge_features} if encoder_class.reads_bonds else {}
        self.encoder = encoder_class(in_features, hidden, n_layers, **bonds)
        self.fingerprint = (
            nn.Sequential(
                nn.Dropout(FINGERPRINT_DROPOUT),
                nn.Linear(fingerprint_bits, hidden),
                nn.BatchNorm1d(hidden),
                nn.ReLU(),
            )
            if fingerprint_bits
            else None
        )
        # three hidden blocks of Linear → BatchNorm → ReLU, then a linear layer to the classes
        width = hidden * (2 if pair else 1) + (hidden if fingerprint_bits else 0)
        self.head = MLP([width, hidden, hidden, hidden, n_classes], norm="batch_norm", act="relu")
        # the wide expert: a logistic regression of the whole fingerprint beside the deep model
        self.wide = nn.Linear(fingerprint_bits, n_classes) if wide else None
        if self.wide is not None:  # from zero, as a logistic regression starts: uniform, neutral
            nn.init.zeros_(self.wide.weight)
            nn.init.zeros_(self.wide.bias)
        self.edge_drop = probabilities
        self.encoder_frozen = False

    def freeze_encoder(self) -> None:
        """Stop training the encoder (and fingerprint branch): no gradients, fixed BatchNorm statistics.

        The wide expert stops too: it is balanced by its loss, and class-balanced batches after
        the freeze (decoupling) would balance it a second time.
        """
        for part in self._embedding_parts():
            part.requires_grad_(False)
            part.eval()
        if self.wide is not None:
            self.wide.requires_grad_(False)
        self.encoder_frozen = True

    def _embedding_parts(self) -> list[nn.Module]:
        return [self.encoder] + ([self.fingerprint] if self.fingerprint is not None else [])

    def train(self, mode: bool = True) -> LTDDModule:
        """Set training mode, as torch's ``train``; a frozen encoder stays in eval mode.

        Parameters
        ----------
        mode : bool, default=True
            Training mode (True) or eval mode (False).

        Returns
        -------
        self : LTDDModule
            The module.
        """
        super().train(mode)
        if self.encoder_frozen:
            for part in self._embedding_parts():
                part.eval()
        return self

    def _fingerprint(self, graphs: Batch | Sequence[Batch]) -> torch.Tensor:
        first = graphs[0] if isinstance(graphs, tuple | list) else graphs
        fingerprint = getattr(first, "fingerprint", None)
        if fingerprint is None:
            raise ValueError(
                "the network has a fingerprint branch but the graphs carry no fingerprint; "
                "featurise them with SmilesGraphizer(fingerprint='morgan')."
            )
        return checked_features(fingerprint, self._fingerprint_width(), "fingerprint", "the network")

    def _fingerprint_width(self) -> int:
        expert = self.fingerprint[1] if self.fingerprint is not None else self.wide
        return expert.in_features

    def embed(self, graphs: Batch | Sequence[Batch]) -> torch.Tensor:
        """The embedding h (not normalised): graph embedding(s), then the fingerprint's.

        Parameters
        ----------
        graphs : Batch or sequence of Batch
            A batch, a pair of batches, or the stacked views of one.

        Returns
        -------
        h : Tensor of shape (n_graphs, width)
            ``hidden`` columns per graph side, and ``hidden`` more for the fingerprint.
        """
        sides = tuple(graphs) if isinstance(graphs, tuple | list) else (graphs,)
        parts = [self.encoder(g) for g in sides]
        if self.fingerprint is not None:
            projected = self.fingerprint(self._fingerprint(sides[0]))
            # stacked views carry one fingerprint copy: every view sees the same molecule
            parts.append(projected.repeat(len(parts[0]) // len(projected), 1))
        return torch.cat(parts, dim=1)

    def forward(self, graphs: Batch | Sequence[Batch]) -> tuple[torch.Tensor, ...]:
        """In eval mode class logits and embeddings; in training the embeddings (of every view
        when augmenting) and the wide expert's logits, each expert's for its own loss.

        Parameters
        ----------
        graphs : Batch or tuple of two Batch
            A batch of B graphs, or a pair of batches.

        Returns
        -------
        outputs : tuple of Tensor
            Eval mode: ``(logits, h)``, the logits of shape (B, n_classes) being the two experts'
            summed log-probabilities where there is a wide expert. Training: ``(h,)``, or
            ``(h, wide_logits)``; with ``edge_drop``, h has a row per view and graph.
        """
        if self.training:
            views = graphs if self.edge_drop is None else stack_views(edge_drop_views(graphs, self.edge_drop))
            h = self.embed(views)
            return (h,) if self.wide is None else (h, self.wide(self._fingerprint(graphs)))
        h = self.embed(graphs)
        logits = self.head(h)
        if self.wide is None:
            return logits, h
        wide = self.wide(self._fingerprint(graphs))
        # the product of the two experts' probabilities (a sum of log-probabilities)
        return F.log_softmax(logits, dim=1) + F.log_softmax(wide, dim=1), h
