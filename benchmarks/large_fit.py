"""Memory of featurising, fitting and predicting a large set, in this tree and in another, side
by side. First written for three changes (its default BEFORE is the commit before them): fit lets
go of the whole featurised set once it has split it, the separability weights are computed a
block of sub-clusters at a time (here about 3,200 sub-clusters), and predict decides a chunk of
rows at a time; since run against the commits before the int8 features and the featuriser's
int16 blocks of codes.

Run: ``.venv/bin/python benchmarks/large_fit.py [BEFORE]``, on the first 40,000 HIV molecules
RDKit reads. Labels: 1,000 long-tailed classes, 11 to 149 molecules (seed 0), the many-class
shape where they show. Featurising makes the classifier's default graphs; the fit runs two
epochs from SMILES, with one re-clustering (warm-up of one epoch, re-clustering every epoch);
the model is saved, and a fresh process loads it and predicts all N molecules. Each step runs
in a fresh process, one thread, for each tree: its peak RSS growth during the call.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, arguments, hiv_sample, in_fresh_process, peak_rss_mb, tree_at, write

BEFORE = "9a7c25b"
STEPS = ("featurise", "fit", "predict")
N, N_CLASSES = 40_000, 1_000


def labels(n: int) -> np.ndarray:
    """Every class ten molecules, and the rest of the ``n`` shared out geometrically (the largest
    class taking a hundred times the smallest's share), shuffled over the molecules."""
    share = 100 ** (np.arange(N_CLASSES) / (N_CLASSES - 1))
    sizes = 10 + np.round(share / share.sum() * (n - 10 * N_CLASSES)).astype(int)
    sizes[-1] += n - sizes.sum()  # (what rounding left over)
    return np.random.default_rng(0).permutation(np.repeat([f"c{c}" for c in range(N_CLASSES)], sizes))


def step(what: str, n: int, model: str) -> dict:
    """One step, in this process: the package on ``sys.path`` decides which code runs."""
    import joblib
    import torch

    torch.set_num_threads(1)
    smiles, y = np.asarray(hiv_sample(n)[0], dtype=object), labels(n)
    if what == "featurise":  # the classifier's own graphs, made as its fit makes them
        from sklearn_ltdd import SmilesGraphizer

        before, start = peak_rss_mb(), time.perf_counter()
        SmilesGraphizer().fit_transform(smiles)
        seconds, grown = time.perf_counter() - start, peak_rss_mb() - before
    elif what == "fit":
        from sklearn_ltdd import LTDDClassifier, SubclusterSchedule

        clf = LTDDClassifier(
            max_epochs=2, early_stopping=None, random_state=0, device="cpu",
            schedule=SubclusterSchedule(warmup_epochs=1, update_every=1),
        )  # fmt: skip
        before, start = peak_rss_mb(), time.perf_counter()
        clf.fit(smiles, y)
        seconds, grown = time.perf_counter() - start, peak_rss_mb() - before
        joblib.dump(clf, model)
    else:
        clf = joblib.load(model)
        before, start = peak_rss_mb(), time.perf_counter()
        clf.predict(smiles)
        seconds, grown = time.perf_counter() - start, peak_rss_mb() - before
    return {"seconds": seconds, "peak_growth_mb": grown}


def main(before: str, n: int) -> None:
    results, rows = {}, []
    with tree_at(before) as old, tempfile.TemporaryDirectory() as tmp:
        for name, tree in (("before", old), ("now", str(ROOT))):
            model = str(Path(tmp) / f"{name}.joblib")
            results[name] = {
                what: in_fresh_process(__file__, ["--step", what, str(n), model], tree) for what in STEPS
            }
            print(name, results[name], flush=True)
    for what in STEPS:
        was, now = results["before"][what], results["now"][what]
        rows.append(
            f"| `{what}` | {was['peak_growth_mb']:,.0f} | {now['peak_growth_mb']:,.0f} "
            f"| {was['seconds']:.0f} | {now['seconds']:.0f} |"
        )
    md = [
        f"{n:,} HIV molecules in {N_CLASSES:,} long-tailed classes, one thread, peak RSS growth of the call "
        f"(before: {before}):\n",
        "| call | MB before | MB now | s before | s now |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    write("large_fit", {"baseline": before, "n": n, "classes": N_CLASSES, **results}, "\n".join(md))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--step":
        print(json.dumps(step(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    else:
        args = arguments(__doc__, before={"default": BEFORE})
        main(args.before, N)
