"""Graph datasets for skorch, and the sampler that serves resampled and class-balanced epochs."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler, WeightedRandomSampler

from .._labels import class_members
from ..featurize import GraphStore, GraphStorePair
from ..featurize._graph_store import positions, tensor_of

__all__ = ["FEWEST_INFERRED", "GraphDataset", "TrainingSampler", "collate_graphs", "oversample", "padded"]


class GraphDataset(Dataset):
    """Positions into a graph store, with labels and sample weights. Items are (dataset, position)
    pairs so that one module-level collate function serves every dataset (and pickles).

    :meth:`to` moves the store, labels and weights to a device once; a batch is then a gather on
    that device.
    """

    def __init__(
        self,
        graphs: GraphStore | GraphStorePair,
        y: np.ndarray | torch.Tensor | None = None,
        sample_weight: np.ndarray | torch.Tensor | None = None,
    ):
        self.graphs = graphs
        n, device = len(graphs), graphs.device  # a batch indexes all three on the graphs' device
        self.y = torch.zeros(n, dtype=torch.long) if y is None else torch.as_tensor(y, dtype=torch.long)
        self.sample_weight = (
            torch.ones(n) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32)
        )
        self.y, self.sample_weight = self.y.to(device), self.sample_weight.to(device)

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, i: int) -> tuple[GraphDataset, int]:
        return self, i

    def to(self, device: str | torch.device) -> GraphDataset:
        """The same dataset with its graphs, labels and weights on ``device``."""
        return GraphDataset(self.graphs.to(device), self.y, self.sample_weight)  # they follow the graphs

    def batch(self, index: np.ndarray | torch.Tensor) -> tuple[object, dict[str, torch.Tensor]]:
        """The graphs at ``index`` (a PyG Batch, or a pair) and their targets, on the dataset's device."""
        graphs, index = self.graphs._batch(positions(index, len(self)))
        return graphs, {"y": self.y[index], "weight": self.sample_weight[index], "index": index}

    def __getstate__(self) -> dict:
        # numpy, not tensors: a pickled dataset must load where its device does not exist
        return {
            "graphs": self.graphs,
            "y": self.y.cpu().numpy(),
            "sample_weight": self.sample_weight.cpu().numpy(),
        }

    def __setstate__(self, state: dict) -> None:
        self.graphs = state["graphs"]
        self.y = tensor_of(state["y"])
        self.sample_weight = tensor_of(state["sample_weight"])


#: the fewest graphs an inference batch holds: the CPU's float32 matrix products take other kernels
#: for few rows, whose last bits differ, so that a molecule scored alone, or last in a batch of its
#: own, scored 1e-8 from the same molecule scored among others (fewer than 4 rows on the machines
#: first tested; fewer than 16 for the fingerprint's 2,048-wide product on an AVX-512 Xeon with AMX,
#: with one thread)
FEWEST_INFERRED = 16


class _Padded(Dataset):
    """``dataset`` with its last graph repeated ``extra`` times (items as ``dataset``'s own)."""

    def __init__(self, dataset: GraphDataset, extra: int):
        self.dataset, self.extra = dataset, extra

    def __len__(self) -> int:
        return len(self.dataset) + self.extra

    def __getitem__(self, i: int) -> tuple[GraphDataset, int]:
        return self.dataset, min(i, len(self.dataset) - 1)


def padded(dataset: GraphDataset, batch_size: int, fewest: int = FEWEST_INFERRED) -> Dataset:
    """``dataset`` for an inference pass in batches of ``batch_size``: the last batch topped up to
    ``fewest`` graphs with copies of its last (whose outputs the caller drops), so that each
    graph's outputs are those it has in any batch; as it is where batches are smaller anyway."""
    last = len(dataset) % batch_size
    if batch_size < fewest or not 0 < last < fewest:
        return dataset
    return _Padded(dataset, fewest - last)


def collate_graphs(items: list[tuple[GraphDataset, int]]) -> tuple[object, dict[str, torch.Tensor]]:
    """One batch: the graphs (a PyG Batch, or a pair) and a dict of targets."""
    return items[0][0].batch(np.fromiter((i for _, i in items), dtype=np.int64, count=len(items)))


def oversample(positions: np.ndarray, y: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """Class-balance ``positions`` (labels ``y``): every position once, then each class topped up
    with draws with replacement from its own members to the largest class's count.

    (Drawing whole classes with replacement would leave out about a third of each head class.)
    """
    members = class_members(y)[1]
    largest = max(map(len, members))
    return np.concatenate([positions, *(rng.choice(positions[own], largest - len(own)) for own in members)])


class TrainingSampler(Sampler):
    """The order in which an epoch visits the training set, class-balanced in a phase that asks.

    ``positions`` lists the dataset positions one epoch visits (each once by default; a resampled
    training set lists some several times), shuffled every epoch. skorch iterates its DataLoader,
    and so this sampler, afresh every epoch, so when ``phases`` enters a phase that re-trains the
    head that epoch's batches are drawn with replacement, every class equally likely. Draws use
    torch's global generator, which the classifier seeds. Labels are a numpy array: only skorch's
    own attributes are mapped between devices when unpickling.
    """

    def __init__(self, y: np.ndarray, positions: np.ndarray | None = None, phases=None):
        self.y = np.asarray(y)
        self.positions = np.arange(len(self.y)) if positions is None else np.asarray(positions)
        self.phases = phases

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self):
        if self.phases is None or not self.phases.current.retrain_head:
            return iter(self.positions[torch.randperm(len(self.positions)).numpy()].tolist())
        y = torch.from_numpy(self.y)
        weights = 1 / torch.bincount(y).double()[y]  # every class equally likely, samples uniform within
        return iter(WeightedRandomSampler(weights, len(self.positions), replacement=True))
