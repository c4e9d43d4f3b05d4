"""Speed of BalancedSubcluster against scikit-learn's KMeans on an HIV-head-shaped embedding.

Run: ``.venv/bin/python benchmarks/cluster.py``. 30,000 x 128 unit vectors from a mixture of
directions (learned embeddings are clustered), two classes of 29,000 and 1,000 samples, so the
paper's rule gives 29 + 1 sub-clusters. Every method clusters each class with the same k, in
the same run; best of three.
"""

from __future__ import annotations

import numpy as np
from _common import arguments, best_of, write
from sklearn.cluster import KMeans

from sklearn_ltdd import BalancedSubcluster
from sklearn_ltdd.cluster import subclusters_per_class

N_HEAD, N_TAIL, DIM, N_MODES = 29_000, 1_000, 128, 60
REPEATS = 3


def embedding(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    modes = rng.normal(size=(N_MODES, DIM))
    X = modes[rng.integers(N_MODES, size=N_HEAD + N_TAIL)] + 0.8 * rng.normal(size=(N_HEAD + N_TAIL, DIM))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), np.repeat([0, 1], [N_HEAD, N_TAIL])


def sklearn_per_class(X: np.ndarray, y: np.ndarray, ks: np.ndarray) -> None:
    for c, k in enumerate(ks):
        KMeans(n_clusters=int(k), n_init=1, random_state=0).fit(X[y == c])


def main() -> None:
    X, y = embedding()
    ks = subclusters_per_class(np.bincount(y), min_cluster_size=10)
    timings, iterations = {}, {}
    for method in ("balanced", "kmeans"):
        model = BalancedSubcluster(method=method, random_state=0)
        timings[method] = best_of(REPEATS, lambda m=model: m.fit(X, y))
        iterations[method] = model.n_iter_per_class_.tolist()
    timings["sklearn"] = best_of(REPEATS, lambda: sklearn_per_class(X, y, ks))
    ratio = timings["balanced"] / timings["sklearn"]
    results = {
        "shape": list(X.shape),
        "subclusters": ks.tolist(),
        "seconds": timings,
        "iterations": iterations,
        "balanced_over_sklearn": ratio,
    }
    ours = "`BalancedSubcluster(method={!r})`"
    md = "\n".join(
        [
            f"Clustering {X.shape[0]:,} × {X.shape[1]} unit vectors, classes of {N_HEAD:,} / {N_TAIL:,} → "
            f"{ks.tolist()} sub-clusters, best of {REPEATS}:\n",
            "| method | seconds | iterations per class |",
            "|---|---|---|",
            *[f"| {ours.format(m)} | {timings[m]:.2f} | {iterations[m]} |" for m in ("balanced", "kmeans")],
            f"| `sklearn.cluster.KMeans(n_init=1)` per class | {timings['sklearn']:.2f} | – |",
            f"| balanced / sklearn | **{ratio:.2f}×** (target ≤ 2×) | |",
            "",
        ]
    )
    write("cluster", results, md)


if __name__ == "__main__":
    arguments(__doc__)
    main()
