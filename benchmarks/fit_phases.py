"""Where a fit on a large set spends its time and memory, as the molecules grow.

Run: ``.venv/bin/python benchmarks/fit_phases.py``. The molecules: HIV's and USPTO-50k's products,
distinct by canonical SMILES, shuffled (seed 0), the first n of them. Labels: 300 long-tailed
classes (ten molecules each, and the rest shared out geometrically, the first class's share a
hundred times the last's), and, at the
largest n, one class of half the molecules beside 299 such classes, the shape where a class's
sub-clustering grows with its square. For each: featurising (one process), then a fit from the
graphs of two epochs, a warm-up and one with a re-clustering before it (``warmup_epochs=1,
update_every=1``), timed per phase; each in a fresh process on one thread, with its peak RSS
growth.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from _common import ROOT, arguments, data_dir, in_fresh_process, peak_rss_mb, write

SIZES = (5_000, 20_000, 80_000)
N_CLASSES = 300


def molecules() -> list[str]:
    """The pool, in its shuffled order (a minute of RDKit: made once, for every row's process)."""
    import pandas as pd
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    hiv = pd.read_csv(data_dir() / "hiv" / "HIV.csv")["smiles"]
    products = pd.read_csv(data_dir() / "uspto50k" / "USPTO_50k_MHN_prepro.csv.gz")["prod_smiles"]
    seen, kept = set(), []
    for smiles in [*hiv, *products]:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None or mol.GetNumAtoms() == 0 or (canonical := Chem.MolToSmiles(mol)) in seen:
            continue
        seen.add(canonical)
        kept.append(smiles)
    return np.random.default_rng(0).permutation(np.asarray(kept, dtype=object)).tolist()


def long_tailed(n: int, n_classes: int) -> np.ndarray:
    """Ten molecules a class, and the rest shared out geometrically, the first class's share a
    hundred times the last's."""
    share = 0.01 ** (np.arange(n_classes) / (n_classes - 1))
    sizes = 10 + np.round(share / share.sum() * (n - 10 * n_classes)).astype(int)
    sizes[0] += n - sizes.sum()  # (what rounding left over)
    return np.repeat(np.arange(n_classes), sizes)


def labels(n: int, shape: str) -> np.ndarray:
    if shape == "long tail":
        y = long_tailed(n, N_CLASSES)
    else:  # one class of half the molecules
        y = np.concatenate([np.full(n // 2, N_CLASSES - 1), long_tailed(n - n // 2, N_CLASSES - 1)])
    return np.random.default_rng(1).permutation(y)


@contextmanager
def timed(times: dict, name: str, owner: object, method: str):
    """Add the seconds of every call of ``owner.method`` to ``times[name]``."""
    original = getattr(owner, method)

    def clocked(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

    setattr(owner, method, clocked)
    try:
        yield
    finally:
        setattr(owner, method, original)


def measure(pool: str, n: int, shape: str) -> dict:
    """One row, in this process, on the first ``n`` molecules of the file ``pool``."""
    import torch

    from sklearn_ltdd import LTDDClassifier, SmilesGraphizer, SubclusterSchedule
    from sklearn_ltdd.classifier import _ltdd_schedule
    from sklearn_ltdd.classifier._net import LTDDNet
    from sklearn_ltdd.cluster import BalancedSubcluster

    torch.set_num_threads(1)
    smiles = np.asarray(Path(pool).read_text().splitlines()[:n], dtype=object)
    y = labels(n, shape)
    start = time.perf_counter()
    graphs = SmilesGraphizer(fingerprint="morgan").fit_transform(smiles)
    featurise_s = time.perf_counter() - start
    store_mb = sum(t.numel() * t.element_size() for t in vars(graphs).values() if torch.is_tensor(t)) / 2**20
    clf = LTDDClassifier(
        max_epochs=2, early_stopping=None, random_state=0, device="cpu",
        schedule=SubclusterSchedule(warmup_epochs=1, update_every=1),
    )  # fmt: skip
    times: dict = {}
    before = peak_rss_mb()
    with (
        timed(times, "re-clustering", _ltdd_schedule.Recluster, "update"),
        timed(times, "embedding", LTDDNet, "embed_dataset"),
        timed(times, "sub-clustering", BalancedSubcluster, "fit"),
        timed(times, "weights", _ltdd_schedule, "subcluster_separability"),
    ):
        start = time.perf_counter()
        clf.fit(graphs, y)
        fit_s, grown = time.perf_counter() - start, peak_rss_mb() - before
    epochs = clf.history_[:, "dur"]
    return {
        "n": n, "shape": shape, "featurise_s": featurise_s, "graphs_mb": store_mb, "fit_s": fit_s,
        "warmup_epoch_s": epochs[0], "epoch_s": epochs[1] - times["re-clustering"],
        "subclusters": clf.history_[-1, "n_subclusters"], "fit_peak_growth_mb": grown, **times,
    }  # fmt: skip


def main() -> None:
    runs = [(n, "long tail") for n in SIZES] + [(SIZES[-1], "one class of half")]
    results, rows = [], []
    pool = tempfile.NamedTemporaryFile("w", suffix=".smi", delete=False)
    with pool:
        pool.write("\n".join(molecules()[: SIZES[-1]]))
    for n, shape in runs:
        r = in_fresh_process(__file__, ["--measure", pool.name, str(n), shape], str(ROOT))
        results.append(r)
        rows.append(
            f"| {n:,} | {shape} | {r['featurise_s']:.1f} | {r['graphs_mb']:,.0f} | {r['warmup_epoch_s']:.1f} "
            f"| {r['epoch_s']:.1f} | {r['re-clustering']:.1f} ({r['embedding']:.1f} / "
            f"{r['sub-clustering']:.1f} / {r['weights']:.2f}) | {r['subclusters']:,} "
            f"| {r['fit_peak_growth_mb']:,.0f} |"
        )
        print(rows[-1], flush=True)
    md = [
        f"A fit from graphs, two epochs (a warm-up, then one with a re-clustering), {N_CLASSES} classes, one "
        "thread, each row in a fresh process:\n",
        "| molecules | classes | featurising s | graphs MB | warm-up epoch s | epoch s | re-clustering s "
        "(embedding / sub-clustering / weights) | sub-clusters | fit's peak growth MB |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    Path(pool.name).unlink()
    write("fit_phases", {"runs": results}, "\n".join(md))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    else:
        arguments(__doc__)
        main()
