"""Graph datasets for skorch, and the stratified hold-out that survives tiny tail classes."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..featurize import GraphStore, GraphStorePair

__all__ = ["GraphDataset", "collate_graphs", "oversample", "stratified_holdout"]


class GraphDataset(Dataset):
    """Positions into a graph store, with labels and sample weights. Items are (dataset, position)
    pairs so that one module-level collate function serves every dataset (and pickles)."""

    def __init__(
        self,
        graphs: GraphStore | GraphStorePair,
        y: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ):
        self.graphs = graphs
        n = len(graphs)
        self.y = torch.zeros(n, dtype=torch.long) if y is None else torch.as_tensor(y, dtype=torch.long)
        self.sample_weight = (
            torch.ones(n) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32)
        )

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, i: int) -> tuple[GraphDataset, int]:
        return self, i


def collate_graphs(items: list[tuple[GraphDataset, int]]) -> tuple[object, dict[str, torch.Tensor]]:
    """One batch: the graphs (a PyG Batch, or a pair) and a dict of targets."""
    dataset = items[0][0]
    index = torch.tensor([i for _, i in items], dtype=torch.long)
    targets = {"y": dataset.y[index], "weight": dataset.sample_weight[index], "index": index}
    return dataset.graphs.batch(index), targets


def stratified_holdout(
    y: np.ndarray, fraction: float, rng: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation positions, stratified per class.

    Each class puts round(fraction · n_c) samples into validation, at least one when it has two
    or more, and always keeps at least one for training; a class with a single sample stays in
    training. (sklearn's stratified splitters refuse classes this small.)
    """
    train, valid = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        n_valid = 0 if len(members) < 2 else min(max(1, round(fraction * len(members))), len(members) - 1)
        valid.append(members[:n_valid])
        train.append(members[n_valid:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))


def oversample(positions: np.ndarray, y: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """Class-balance ``positions`` (labels ``y``): every position once, then each class topped up
    with draws with replacement from its own members to the largest class's count.

    (Drawing whole classes with replacement would leave out about a third of each head class.)
    """
    classes, counts = np.unique(y, return_counts=True)
    extra = [rng.choice(positions[y == c], counts.max() - n) for c, n in zip(classes, counts, strict=True)]
    return np.concatenate([positions, *extra])
