"""A user's first fit: LTDDClassifier() with its defaults on 1,000 HIV molecules, start to end.

Run: ``.venv/bin/python benchmarks/first_fit.py``. 1,000 molecules drawn at random (seed 0) from
HIV, 900 fitted and 100 scored. Times the whole ``fit`` (featurisation included) with the
package defaults, and, side by side in the same run, the paper's protocol (``PAPER_PROTOCOL``: GCN,
no fingerprint, no weight average, argmax, 300 epochs without early stopping).
"""

from __future__ import annotations

import time

import pandas as pd
from _common import arguments, data_dir, write

N = 1_000


def main() -> None:
    from sklearn_ltdd import LTDDClassifier
    from sklearn_ltdd.classifier import PAPER_PROTOCOL
    from sklearn_ltdd.metrics import balanced_accuracy_score

    frame = pd.read_csv(data_dir() / "hiv" / "HIV.csv").sample(N, random_state=0)
    smiles, y = frame["smiles"].to_numpy(), frame["HIV_active"].to_numpy()
    train, test = slice(0, 900), slice(900, None)
    results = {}
    for name, params in (("defaults", {}), ("paper protocol", PAPER_PROTOCOL)):
        start = time.perf_counter()
        clf = LTDDClassifier(random_state=0, **params).fit(smiles[train], y[train])
        seconds = time.perf_counter() - start
        results[name] = {
            "fit_s": seconds,
            "epochs": len(clf.history_),
            "test_ba": balanced_accuracy_score(y[test], clf.predict(smiles[test])),
        }
        print(name, results[name], flush=True)
    lines = [
        f"A first fit on {N:,} HIV molecules (900 fitted, {int(y[train].sum())} active), whole `fit`:\n",
        "| parameters | fit s | epochs | BA on the other 100 (noisy) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {k} | {v['fit_s']:.0f} | {v['epochs']} | {v['test_ba']:.3f} |" for k, v in results.items()]
    results["n_molecules"] = N
    write("first_fit", results, "\n".join(lines) + "\n")


if __name__ == "__main__":
    arguments(__doc__)
    main()
