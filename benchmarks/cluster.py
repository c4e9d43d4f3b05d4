"""Speed of BalancedSubcluster against scikit-learn's KMeans on HIV-head-shaped embeddings.

Run: ``.venv/bin/python benchmarks/cluster.py``. Unit vectors of 128 dimensions from a mixture of
directions (learned embeddings are clustered), in two shapes: classes of 29,000 and 1,000 samples,
for which the paper's rule gives 29 + 1 sub-clusters, and a longer tail, 19,990 and 10 samples,
for 1,999 + 1 (many sub-clusters: the greedy assignment's rounds and the seeding grow with
them). Every method clusters each class with the same k, in the same run; best of three.
"""

from __future__ import annotations

import numpy as np
from _common import arguments, best_of, write
from sklearn.cluster import KMeans

from sklearn_ltdd import BalancedSubcluster
from sklearn_ltdd.cluster import subclusters_per_class

SHAPES = ((29_000, 1_000), (19_990, 10))  # (head, tail)
DIM, N_MODES = 128, 60
REPEATS = 3


def embedding(n_head: int, n_tail: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    modes = rng.normal(size=(N_MODES, DIM))
    X = modes[rng.integers(N_MODES, size=n_head + n_tail)] + 0.8 * rng.normal(size=(n_head + n_tail, DIM))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), np.repeat([0, 1], [n_head, n_tail])


def sklearn_per_class(X: np.ndarray, y: np.ndarray, ks: np.ndarray) -> None:
    for c, k in enumerate(ks):
        KMeans(n_clusters=int(k), n_init=1, random_state=0).fit(X[y == c])


def one_shape(n_head: int, n_tail: int) -> tuple[dict, list[str]]:
    X, y = embedding(n_head, n_tail)
    ks = subclusters_per_class(np.bincount(y), min_cluster_size=10)
    timings, iterations = {}, {}
    for method in ("balanced", "kmeans"):
        model = BalancedSubcluster(method=method, random_state=0)
        timings[method] = best_of(REPEATS, lambda m=model: m.fit(X, y))
        iterations[method] = model.n_iter_per_class_.tolist()
    timings["sklearn"] = best_of(REPEATS, lambda: sklearn_per_class(X, y, ks))
    ratio = timings["balanced"] / timings["sklearn"]
    ours = "`BalancedSubcluster(method={!r})`"
    md = [
        f"Clustering {X.shape[0]:,} × {X.shape[1]} unit vectors, classes of {n_head:,} / {n_tail:,} → "
        f"{ks.tolist()} sub-clusters, best of {REPEATS}:\n",
        "| method | seconds | iterations per class |",
        "|---|---|---|",
        *[f"| {ours.format(m)} | {timings[m]:.2f} | {iterations[m]} |" for m in ("balanced", "kmeans")],
        f"| `sklearn.cluster.KMeans(n_init=1)` per class | {timings['sklearn']:.2f} | – |",
        f"| balanced / sklearn | **{ratio:.2f}×** (target ≤ 2×) | |",
        "",
    ]
    results = {
        "shape": list(X.shape),
        "subclusters": ks.tolist(),
        "seconds": timings,
        "iterations": iterations,
        "balanced_over_sklearn": ratio,
    }
    return results, md


def main() -> None:
    results, md = [], []
    for n_head, n_tail in SHAPES:
        shape_results, shape_md = one_shape(n_head, n_tail)
        results.append(shape_results)
        md += shape_md
        print("\n".join(shape_md), flush=True)
    write("cluster", {"shapes": results}, "\n".join(md))


if __name__ == "__main__":
    arguments(__doc__)
    main()
