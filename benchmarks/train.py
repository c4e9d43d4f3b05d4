"""Training throughput and peak memory: LTDDClassifier against the same GCN with plain cross-entropy.

Run: ``.venv/bin/python benchmarks/train.py``. 20,000 real HIV molecules (featurised once, outside
the timing), each method in its own subprocess so that peak memory is its own; same run, same
machine. LTDD's epoch does two edge-dropped views, the contrastive loss and the weighted CE; the
re-clustering that runs every K = 10 epochs is timed separately and amortised over K.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from _common import hiv_smiles, write

N_MOLECULES = 20_000
EPOCHS = 2
UPDATE_EVERY = 10


def measure(method: str) -> dict:
    from rdkit import Chem

    from sklearn_ltdd import LTDDClassifier, SmilesGraphizer
    from sklearn_ltdd.classifier import _schedule

    smiles = [s for s in hiv_smiles(N_MOLECULES + 100) if Chem.MolFromSmiles(s) is not None][:N_MOLECULES]
    y = np.random.default_rng(0).choice(["inactive", "active"], size=len(smiles), p=[0.9, 0.1])
    graphs = SmilesGraphizer().fit_transform(smiles)
    cluster_seconds = []
    original = _schedule.Recluster.update

    def timed_update(self, net, dataset, epoch):
        start = time.perf_counter()
        original(self, net, dataset, epoch)
        cluster_seconds.append(time.perf_counter() - start)

    _schedule.Recluster.update = timed_update
    # warm-up off and update every epoch, so that every timed epoch is a full LTDD epoch
    clf = LTDDClassifier(method=method, max_epochs=EPOCHS, warmup_epochs=0, update_every=1,
                         validation_fraction=0.0, random_state=0)  # fmt: skip
    clf.fit(graphs, y)
    epoch_seconds = [
        row["dur"] - (cluster_seconds[i] if cluster_seconds else 0) for i, row in enumerate(clf.history_)
    ]
    train_epoch = float(np.median(epoch_seconds))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "epoch_s": train_epoch,
        "graphs_per_s": len(smiles) / train_epoch,
        "cluster_s": float(np.median(cluster_seconds)) if cluster_seconds else 0.0,
        "peak_rss_mb": peak,
        "peak_cuda_mb": torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None,
    }


def main() -> None:
    results = {}
    for method in ("ce", "ltdd"):
        out = subprocess.run([sys.executable, __file__, method], check=True, capture_output=True, text=True)
        results[method] = json.loads(out.stdout.strip().splitlines()[-1])
    ce, ltdd = results["ce"], results["ltdd"]
    amortised = ltdd["epoch_s"] + ltdd["cluster_s"] / UPDATE_EVERY
    ratio = amortised / ce["epoch_s"]
    results.update({"n_molecules": N_MOLECULES, "epochs": EPOCHS, "amortised_ratio": ratio})
    md = "\n".join([
        f"Training on {N_MOLECULES:,} HIV molecules, batch 128, GCN 3×128, median of {EPOCHS} epochs:\n",
        "| model | s/epoch | graphs/s | re-clustering s | peak RSS MB |",
        "|---|---|---|---|---|",
        f"| GCN + cross-entropy | {ce['epoch_s']:.1f} | {ce['graphs_per_s']:,.0f} | – | "
        f"{ce['peak_rss_mb']:,.0f} |",
        f"| LTDD (two views + losses) | {ltdd['epoch_s']:.1f} | {ltdd['graphs_per_s']:,.0f} | "
        f"{ltdd['cluster_s']:.1f} | {ltdd['peak_rss_mb']:,.0f} |",
        f"| LTDD epoch incl. re-clustering/{UPDATE_EVERY} ÷ CE epoch | **{ratio:.2f}×** "
        "(target ≤ 2.5×) | | | |",
        "",
    ])  # fmt: skip
    write("train", results, md)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
    else:
        main()
