"""What grows with the number of classes (and one malformed row), before and after it stopped growing
faster than its input.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/many_classes.py [BEFORE]`` (default: the
commit before the changes). Long tails of hundreds to thousands of classes of a few members each
are what the package is for; a helper's scaling probe found these costs growing with the square
of the classes (or of a row's length). Each measurement runs in a fresh process (its own peak
RSS), the tree before and this one side by side; synthetic data, seeded:

- ``weights``: the separability weights of one re-clustering, 5 molecules per class, one
  sub-cluster each, 256-dimensional unit embeddings (the default network's width);
- ``subcluster``: ``BalancedSubcluster`` of classes of ten (one sub-cluster each), 128 dimensions;
- ``tau``: the τ search of one epoch, n validation rows of C classes (log-probabilities of a
  model that puts its true class 8 nats up, a Zipf prior);
- ``holdout``: the stratified hold-out of a fit, one molecule per row;
- ``malformed``: the check of one malformed SMILES (``"C" + "[CH" * k``) before RDKit reads it.

Memory is each process's peak resident size: the inputs are the same in both trees.

The outputs are compared: identical but for the weights beyond 2,048 classes, whose typical
distance is read from a sample (the largest change of a weight is given).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

import numpy as np
from _common import arguments, both_trees, peak_rss_mb, write_table

BEFORE = "2c11c81"
CASES = [
    ("weights", 2_048), ("weights", 4_096), ("weights", 11_856),
    ("subcluster", 1_000), ("subcluster", 4_000),
    ("tau", 676), ("tau", 4_204),
    ("holdout", 20_000),
    ("malformed", 20_000),
]  # fmt: skip
SIZE_NAMES = {
    "weights": "{:,} classes",
    "subcluster": "{:,} classes of 10",
    "tau": "{:,} classes",
    "holdout": "200,000 rows of {:,} classes",
    "malformed": "a row of {:,} brackets",
}
TAU_ROWS = {676: 3_000, 4_204: 6_000}


def _compute(kind: str, size: int):
    """The case's work (its inputs made before the clock starts); returns its outputs."""
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    if kind == "weights":
        from sklearn_ltdd.nn import separability_weights

        y = torch.arange(size).repeat_interleave(5)
        z = torch.from_numpy(rng.normal(size=(len(y), 256)).astype(np.float32))
        z = torch.nn.functional.normalize(z, dim=1)
        return lambda: separability_weights(z, y, y, torch.arange(size), size)[0].numpy()
    if kind == "subcluster":
        from sklearn_ltdd import BalancedSubcluster

        y = np.repeat(np.arange(size), 10)
        X = rng.normal(size=(len(y), 128)).astype(np.float32)
        return lambda: BalancedSubcluster(min_cluster_size=10, random_state=0).fit(X, y).cluster_centers_
    if kind == "tau":
        from sklearn_ltdd.classifier._decision import tau_search

        n = TAU_ROWS[size]
        counts = np.maximum(1, 2000 / np.arange(1, size + 1) ** 1.1).astype(int)
        y = rng.integers(0, size, n)
        logits = rng.normal(size=(n, size)) * 2
        logits[np.arange(n), y] += 8.0
        log_p = torch.from_numpy(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))
        prior = torch.from_numpy(np.log(counts / counts.sum()))
        return lambda: np.array([v.item() for v in tau_search(torch.from_numpy(y), log_p, prior)])
    if kind == "holdout":
        from sklearn_ltdd.classifier._validation import stratified_holdout

        y = rng.integers(0, size, 200_000)
        return lambda: np.concatenate(stratified_holdout(y, 0.1, np.random.RandomState(0), np.arange(len(y))))
    if kind == "malformed":
        from sklearn_ltdd.featurize._smiles import written_reason

        row = "C" + "[CH" * size
        return lambda: np.frombuffer(str(written_reason(row)).encode(), dtype=np.uint8)
    raise ValueError(kind)


def measure(kind: str, size: int) -> dict:
    """One case, in this process: the package on ``sys.path`` decides which code runs."""
    work = _compute(kind, size)
    start = time.perf_counter()
    out = work()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": peak_rss_mb(),  # the process's (the same inputs in both trees)
        "digest": hashlib.sha256(np.ascontiguousarray(out).tobytes()).hexdigest()[:16],
        "values": out.tolist() if kind == "weights" else None,
    }


def main(before: str) -> None:
    rows, results = [], []
    for (kind, size), was, now in both_trees(__file__, before, [[kind, str(size)] for kind, size in CASES]):
        gap = 0.0
        if kind == "weights":
            gap = float(np.max(np.abs(np.array(was.pop("values")) - np.array(now.pop("values")))))
        same = "identical" if was["digest"] == now["digest"] else f"largest weight change {gap:.1e}"
        results.append({"case": kind, "size": int(size), "before": was, "after": now, "outputs": same})
        rows.append(
            f"| {kind} | {SIZE_NAMES[kind].format(int(size))} | {was['seconds']:.2f} | {now['seconds']:.2f} "
            f"| {was['seconds'] / now['seconds']:.1f}× | {was['peak_mb']:,.0f} | {now['peak_mb']:,.0f} "
            f"| {same} |"
        )
        print(rows[-1], flush=True)
    title = (
        f"What grows with the classes, one thread, each case in a fresh process; the tree at {before} "
        "and this one side by side:"
    )
    columns = ["case", "size", "s, before", "s, after", "speed-up", "process peak MB, before", "after",
               "outputs"]  # fmt: skip
    write_table("many_classes", {"before": before, "runs": results}, title, columns, rows)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        main(arguments(__doc__, before={"default": BEFORE}).before)
