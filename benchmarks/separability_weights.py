"""Time and memory of the separability weights as the sub-clusters grow, before and after their
distance matrix was taken a block of rows at a time.

Run: ``.venv/bin/python benchmarks/separability_weights.py [BEFORE]`` (default: a commit that
computed the whole matrix). Every re-clustering computes the weights; the sub-clusters are
about n / 10 where the smallest class has ten molecules, so 100,000 molecules make 10,000. Each
measurement runs in a fresh process (peak RSS is per process): 128-dimensional unit embeddings,
five molecules per sub-cluster, 300 classes; the seconds are the best of two calls.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence

from _common import arguments, both_trees, peak_rss_mb, write_table

SUBCLUSTERS = (2_049, 5_000, 10_000, 20_000)  # (up to 2,048 the matrix is whole, as before)
N_CLASSES, PER_SUBCLUSTER, DIM = 300, 5, 128
WHOLE_MATRIX = "9a7c25b"


def measure(n_sub: int) -> dict:
    """One measurement, in this process: the package on ``sys.path`` decides which code runs."""
    import torch

    from sklearn_ltdd.nn import _weights, separability_weights

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    n = n_sub * PER_SUBCLUSTER
    z = torch.nn.functional.normalize(torch.randn(n, DIM, generator=g), dim=1)
    sub_class = torch.sort(
        torch.cat([torch.arange(N_CLASSES), torch.randint(0, N_CLASSES, (n_sub - N_CLASSES,), generator=g)])
    ).values
    sub = torch.arange(n) % n_sub
    y = sub_class[sub]
    before = peak_rss_mb()
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        weights, _ = separability_weights(z, y, sub, sub_class, N_CLASSES)
        seconds.append(time.perf_counter() - start)
    grown = peak_rss_mb() - before
    # the floor's scale, from the matrix this tree reads it from (the whole one, or the sample's)
    centres = _weights.centroids(z, sub, n_sub)
    named = ("nearest_other_groups", "nearest_other_subclusters")  # (the name before classes were blocked)
    chosen = next((getattr(_weights, name) for name in named if hasattr(_weights, name)), None)
    matrix = chosen(centres, sub_class)[1] if chosen else _weights.subcluster_distances(centres, sub_class)
    typical = float(_weights.typical_distance(matrix))
    return {"seconds": min(seconds), "peak_growth_mb": grown, "typical": typical, "weights": weights.tolist()}


def side_by_side(before: str, sizes: Sequence[int]) -> Iterator[tuple[int, dict, dict, float]]:
    """Each number of sub-clusters measured by the tree at ``before`` and by this one, each in a
    fresh process, with the largest change of a weight between the two."""
    for (n_sub,), was, now in both_trees(__file__, before, [[str(n_sub)] for n_sub in sizes]):
        gap = max(abs(a - b) for a, b in zip(was.pop("weights"), now.pop("weights"), strict=True))
        yield int(n_sub), was, now, gap


def main(before: str) -> None:
    rows, results = [], []
    # (the weights differ only where the sampled typical distance moves a floor)
    for n_sub, was, now, gap in side_by_side(before, SUBCLUSTERS):
        results.append({"subclusters": n_sub, "whole_matrix": was, "blocks": now, "max_weight_gap": gap})
        rows.append(
            f"| {n_sub:,} | {was['seconds']:.2f} | {now['seconds']:.2f} "
            f"| {was['seconds'] / now['seconds']:.1f}× "
            f"| {was['peak_growth_mb']:,.0f} | {now['peak_growth_mb']:,.0f} "
            f"| {was['typical']:.5f} | {now['typical']:.5f} | {gap:.1e} |"
        )
        print(rows[-1], flush=True)
    title = (
        f"Separability weights, {N_CLASSES} classes, {PER_SUBCLUSTER} molecules per sub-cluster, one thread; "
        f"the whole matrix at {before}, blocks of rows now:"
    )
    columns = ["sub-clusters", "s, whole matrix", "s, blocks", "speed-up", "peak MB, whole",
               "peak MB, blocks", "typical distance, whole", "typical distance, sample",
               "largest weight change"]  # fmt: skip
    write_table("separability_weights", {"before": before, "runs": results}, title, columns, rows)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main(arguments(__doc__, before={"default": WHOLE_MATRIX}).before)
