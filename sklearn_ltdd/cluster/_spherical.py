"""Clustering on the unit sphere in torch: seeding, spherical k-means and the balanced greedy assignment.

Every function works on the device of its input tensors and loops only over clusters or
iterations, never over samples, but for the last few thousand (sample, centre) pairs of a greedy
assignment, which the host takes one by one (``HOST_PAIRS``).
"""

from __future__ import annotations

import numpy as np
import torch

from .._torch_device import copy_to_device, widest_float

__all__ = ["balanced_assign", "balanced_cluster", "kmeans_cluster", "seed_centres"]


def seed_centres(X: torch.Tensor, k: int, rng: np.random.RandomState) -> torch.Tensor:
    """k-means++ seeding with cosine distance; X holds unit rows. Returns centre row indices.

    Each centre after the first draws one uniform number from ``rng`` and is picked on X's
    device without reading anything back (a GPU would wait twice per centre otherwise). Where
    every point lies on a chosen centre (duplicates) that number picks a row uniformly, so the
    draws after it (the next class's, in a clusterer) differ from those of a ``randint``.
    Distances of half-precision rows add up in float32 (a float16 sum overflows at 65,504).
    """
    n = X.shape[0]
    work = torch.promote_types(X.dtype, torch.float32)
    wide = widest_float(X.device)  # (the product with u rounded once)
    first = int(rng.randint(n))
    picks = [torch.full((1,), first, device=X.device)]  # (a fill: no copy from the host)
    closest = (1.0 - X @ X[first]).to(work)  # cosine distance to the nearest chosen centre
    for _ in range(1, k):
        weights = closest.clamp_min(0) ** 2
        cumulative = torch.cumsum(weights, 0)
        u = rng.random_sample()  # as rng.uniform(0, total) draws it, which is total * u
        total = weights.sum().view(1)
        weighted = torch.searchsorted(cumulative, (total.to(wide) * u).to(work)).clamp_max(n - 1)
        picks.append(torch.where(total > 0, weighted, min(int(u * n), n - 1)))
        closest = torch.minimum(closest, (1.0 - X @ X.index_select(0, picks[-1]).squeeze(0)).to(work))
    return torch.cat(picks)


def _normalised_means(X: torch.Tensor, labels: torch.Tensor, k: int, previous: torch.Tensor) -> torch.Tensor:
    """Unit mean direction of each cluster; an empty cluster keeps its previous centre."""
    # (PyG's scatter sum, written out: the cluster module imports no PyG, 4 s of a first import)
    sums = X.new_zeros((k, X.shape[1])).scatter_add_(0, labels.unsqueeze(1).expand_as(X), X)
    norms = sums.norm(dim=1, keepdim=True)
    return torch.where(norms > 0, sums / norms.clamp_min(1e-12), previous)


#: below this many (sample, centre) pairs the greedy runs pair by pair on the host: a round on a
#: GPU costs dozens of launches and two reads, and the last rounds of an assignment, and the
#: assignment of the n mod k samples left over, hold a few hundred samples (docs/benchmarks.md)
HOST_PAIRS = 4096


def balanced_assign(similarity: torch.Tensor, capacity: torch.Tensor) -> torch.Tensor:
    """Greedy assignment: the most similar (sample, open centre) pair first; a full centre closes.

    ``similarity`` is (n, k), finite, and ``capacity`` (k,) the most each centre takes; samples
    beyond the total capacity keep the label -1. The result is exactly
    the sequential greedy of the paper, computed in rounds: unassigned samples are sorted by
    the similarity to their best open centre and assigned in that order up to the first sample
    whose centre is already full; that centre closes and the samples that wanted a closed centre
    re-choose (the others' best open centre is still their best: centres only close). Re-choosing
    for every sample re-read the whole (n, k) matrix each round: at k = 2,000 it took seconds.
    A round reads the device twice (where it ends, and who re-chooses): on a GPU each read waits
    for all the work before it, and a fit runs hundreds of rounds. Once at most ``HOST_PAIRS``
    (sample, centre) pairs are left, the rest is done pair by pair on the host.
    """
    n, k = similarity.shape
    device = similarity.device
    similarity = similarity + 0.0  # -0.0 becomes 0.0: a GPU's sort puts it after 0.0, the greedy ties them
    labels = torch.full((n,), -1, dtype=torch.long, device=device)
    if capacity.is_floating_point():  # a centre takes ceil(c) samples
        capacity = capacity.nan_to_num(0.0).clamp(max=n).ceil()
    # counted down in int64, a copy on the similarity's device: half precision cannot count past
    # 2,048 (bfloat16 256) and a bool or uint8 capacity cannot count down at all
    remaining = capacity.to(device, torch.long, copy=True)
    best_sim, best = similarity.masked_fill(remaining <= 0, -torch.inf).max(dim=1)
    pending = torch.arange(n, device=device)
    taken_one = torch.full((n,), -1, dtype=torch.long, device=device)  # -1 per sample taken
    while pending.numel():
        if pending.numel() * k <= HOST_PAIRS:
            labels[pending] = _greedy_on_host(similarity[pending], remaining)
            break
        order = torch.argsort(best_sim[pending], descending=True, stable=True)
        wanted = best[pending][order]
        # rank of each sample among those (in this order) that want the same centre: its place
        # once they are sorted by centre, less where its centre's run starts
        by_centre_wanted, by_centre = torch.sort(wanted, stable=True)
        rank = torch.empty_like(wanted)
        rank[by_centre] = torch.arange(wanted.numel(), device=device) - torch.searchsorted(
            by_centre_wanted, by_centre_wanted
        )
        full = rank >= remaining[wanted]  # its centre has no room left: the round ends before it
        cut = torch.where(full.any(), full.int().argmax(), wanted.numel())
        cut, any_open = torch.stack([cut, (remaining > 0).any().long()]).tolist()  # the round's one read
        if not any_open:
            break
        labels[pending[order[:cut]]] = wanted[:cut]
        remaining.index_add_(0, wanted[:cut], taken_one[:cut])
        # the rest of pending, still in sample order (ties go to the first sample), without a read:
        # each kept sample's place is the number kept before it; the taken all go to a spare last place
        keep = torch.ones(pending.numel(), dtype=torch.bool, device=device)
        keep.index_fill_(0, order[:cut], False)
        place = torch.where(keep, keep.cumsum(0) - 1, pending.numel() - cut)
        pending = pending.new_empty(pending.numel() - cut + 1).scatter_(0, place, pending)[:-1]
        closed = remaining <= 0
        stale = pending[closed[best[pending]]]
        if stale.numel():
            best_sim[stale], best[stale] = similarity[stale].masked_fill(closed, -torch.inf).max(dim=1)
    return labels


def _greedy_on_host(similarity: torch.Tensor, capacity: torch.Tensor) -> torch.Tensor:
    """The sequential greedy itself, pair by pair in numpy: the pairs sorted by similarity (ties:
    the first sample, then the first centre), each taken if its sample is free and its centre open.
    The similarities and capacities come in one read of the device, as the same values in float64
    (numpy has no bfloat16; an Apple GPU's float32, exact for capacities up to n), and the labels go
    back without waiting for it."""
    n, k = similarity.shape
    exact = torch.promote_types(similarity.dtype, widest_float(similarity.device))
    both = torch.cat([similarity.detach().flatten().to(exact), capacity.clamp(max=n).to(exact)])
    both = both.cpu().numpy().astype(np.float64, copy=False)
    values, left = both[:-k].reshape(n, k), both[-k:]
    labels = np.full(n, -1, dtype=np.int64)
    free, n_open = n, int((left > 0).sum())
    for flat in np.argsort(-values, axis=None, kind="stable").tolist():
        if not (free and n_open):
            break
        sample, centre = divmod(flat, k)
        if labels[sample] < 0 and left[centre] > 0:
            labels[sample] = centre
            left[centre] -= 1
            free -= 1
            n_open -= int(left[centre] <= 0)
    return copy_to_device(similarity.device, labels)[0]


def balanced_cluster(
    X: torch.Tensor, k: int, max_iter: int, rng: np.random.RandomState
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Size-balanced clustering of unit rows (paper Algorithm 1, with sound capacities).

    Cluster sizes are floor(n/k) or ceil(n/k): first every centre takes floor(n/k) samples by
    the greedy above, then the n mod k samples left over go, by the same greedy, one to each of
    as many centres. Centres move to their members' mean direction; iterate until the
    assignment stops changing. Returns labels, centres and the number of iterations run.
    """
    n = X.shape[0]
    base, extra = divmod(n, k)
    centres = X[seed_centres(X, k, rng)]
    if k == 1:  # what the loop gives, without its passes: all in one, the mean direction, converged
        labels = torch.zeros(n, dtype=torch.long, device=X.device)
        return labels, _normalised_means(X, labels, 1, centres), min(2, max_iter)
    labels = torch.full((n,), -1, dtype=torch.long, device=X.device)
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        similarity = X @ centres.T
        new = balanced_assign(similarity, torch.full((k,), base, device=X.device))
        if extra:
            left = torch.nonzero(new < 0).flatten()
            new[left] = balanced_assign(similarity[left], torch.ones(k, dtype=torch.long, device=X.device))
        if torch.equal(new, labels):
            break
        labels = new
        centres = _normalised_means(X, labels, k, centres)
    return labels, centres, iteration


def kmeans_cluster(
    X: torch.Tensor, k: int, max_iter: int, tol: float, rng: np.random.RandomState
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Spherical k-means (what the reference code runs): nearest centre by cosine, unit means."""
    centres = X[seed_centres(X, k, rng)]
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        labels = (X @ centres.T).argmax(dim=1)
        new_centres = _normalised_means(X, labels, k, centres)
        shift = float((new_centres - centres).norm(dim=1).max())
        centres = new_centres
        if shift <= tol:
            break
    return (X @ centres.T).argmax(dim=1), centres, iteration
