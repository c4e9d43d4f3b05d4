"""Time of the separability weights before and after the distances that set the typical one were
computed exactly, not by torch.cdist's matrix product.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/exact_distances.py [BEFORE]`` (default: the
commit before the change). The matrix product left coincident centroids some 3e-4 apart in
float32 (not 0), which set the typical distance where many classes coincide; the exact distances
cost more on a CPU. Up to 2,048 sub-clusters the whole matrix is exact; beyond, the sample of
2,048 that sets the typical distance is, and the nearest distances stay matrix products. Each
measurement is ``benchmarks/separability_weights.py``'s (128-dimensional unit embeddings, five
molecules per sub-cluster, 300 classes, one thread, the best of two calls), in a fresh process,
the two trees side by side.
"""

from __future__ import annotations

from _common import arguments, write_table
from separability_weights import side_by_side

SIZES = (500, 2_048, 2_049, 5_000)
MATRIX_PRODUCT = "c0acfec"


def main(before: str) -> None:
    rows, results = [], []
    for n_sub, was, now, gap in side_by_side(before, SIZES):
        results.append({"subclusters": n_sub, "matrix_product": was, "exact": now, "max_weight_gap": gap})
        rows.append(
            f"| {n_sub:,} | {was['seconds']:.3f} | {now['seconds']:.3f} "
            f"| {now['seconds'] / was['seconds']:.1f}× | {was['typical']:.5f} | {now['typical']:.5f} "
            f"| {gap:.1e} |"
        )
        print(rows[-1], flush=True)
    title = f"Separability weights, one thread; the matrix product at {before}, exact distances now:"
    columns = ["sub-clusters", "s, matrix product", "s, exact", "cost", "typical distance, before",
               "typical distance, now", "largest weight change"]  # fmt: skip
    write_table("exact_distances", {"before": before, "runs": results}, title, columns, rows)


if __name__ == "__main__":
    main(arguments(__doc__, before={"default": MATRIX_PRODUCT}).before)
