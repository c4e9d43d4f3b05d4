"""What a notebook pays per call where the work is small: costs that did not depend on the input.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/small_calls.py [BEFORE]`` (default: the
commit before the changes). A helper's probe of fixed costs found these out of proportion to
their work; each case runs in a fresh process, the tree before and this one side by side:

- ``load_hiv`` / ``load_templates``: a benchmark set loaded again in the same process (a notebook
  cell run again), the second call's time; needs the real data (``SKLEARN_LTDD_DATA``);
- ``screen_dask``: ``screen_dask(...).compute()`` of 5 rows, synchronous scheduler (median of 7);
- ``import_clusterer``: ``from sklearn_ltdd import BalancedSubcluster`` in a new interpreter
  (median of 3), for the clusterer used on another model's embeddings.

The outputs (the loaded rows and labels, the scores) are compared between the trees.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from _common import arguments, both_trees, data_dir, write_table

BEFORE = "a6e2e4d"
CASES = ["load_hiv", "load_templates", "screen_dask", "import_clusterer"]


def _median_seconds(work, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def measure(case: str) -> dict:
    """One case, in this process: the package on ``sys.path`` decides which code runs."""
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    if case in ("load_hiv", "load_templates"):
        from sklearn_ltdd.datasets import load_hiv, load_uspto50k_templates

        load = load_hiv if case == "load_hiv" else load_uspto50k_templates
        load(data_home=data_dir(), return_X_y=True)  # the first call
        seconds, (X, y) = _median_seconds(lambda: load(data_home=data_dir(), return_X_y=True), 1)
        out = np.frombuffer("".join(map(str, [*X, *y])).encode(), dtype=np.uint8)
    elif case == "screen_dask":
        import dask
        import dask.dataframe as dd
        import pandas as pd

        from sklearn_ltdd import LTDDClassifier
        from sklearn_ltdd.datasets import load_reaction_templates
        from sklearn_ltdd.screen import screen_dask

        X, y = load_reaction_templates(return_X_y=True)
        model = LTDDClassifier(max_epochs=3, random_state=0).set_params(schedule__warmup_epochs=1)
        model.fit(X[:600], y[:600])
        frame = dd.from_pandas(pd.DataFrame({"smiles": list(X[1000:1005])}), npartitions=1)
        with dask.config.set(scheduler="synchronous"):
            seconds, scores = _median_seconds(lambda: screen_dask(model, frame).compute(), 7)
        out = scores.select_dtypes("number").to_numpy(dtype=float)
    elif case == "import_clusterer":  # in a new interpreter: this one imported torch already
        # (-P: not the working directory first on sys.path, which may hold another tree's package)
        code = (
            "import time; start = time.perf_counter(); from sklearn_ltdd import BalancedSubcluster; "
            "print(time.perf_counter() - start)"
        )
        times = [float(subprocess.run([sys.executable, "-P", "-c", code], check=True, capture_output=True,
                                      text=True).stdout) for _ in range(3)]  # fmt: skip
        seconds, out = statistics.median(times), np.zeros(1)
    else:
        raise ValueError(case)
    return {
        "seconds": seconds,
        "digest": hashlib.sha256(np.ascontiguousarray(out).tobytes()).hexdigest()[:16],
    }


def main(before: str) -> None:
    rows, results = [], []
    for (case,), was, now in both_trees(__file__, before, [[case] for case in CASES]):
        same = "identical" if was["digest"] == now["digest"] else "DIFFER"
        results.append({"case": case, "before": was, "after": now, "outputs": same})
        rows.append(
            f"| {case} | {was['seconds'] * 1e3:,.1f} | {now['seconds'] * 1e3:,.1f} "
            f"| {was['seconds'] / now['seconds']:.1f}× | {same} |"
        )
        print(rows[-1], flush=True)
    title = (
        f"Fixed costs of small calls, one thread, each case in a fresh process; the tree at {before} "
        "and this one side by side:"
    )
    columns = ["case", "ms, before", "ms, after", "speed-up", "outputs"]
    write_table("small_calls", {"before": before, "runs": results}, title, columns, rows)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main(arguments(__doc__, before={"default": BEFORE}).before)
