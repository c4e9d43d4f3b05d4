"""Training throughput and peak memory: LTDDClassifier against the same GCN with plain cross-entropy.

Run: ``.venv/bin/python benchmarks/train.py [--against REV] [--rounds N]``. 20,000 real HIV molecules
(featurised once, outside the timing), each method in its own subprocess so that peak memory is its
own; same run, same machine. LTDD's epoch does two edge-dropped views, the contrastive loss and the
weighted CE; the re-clustering that runs every K = 10 epochs is timed separately and amortised over K.

``--against REV`` also measures the package as it was at git revision REV (checked out into a
temporary worktree), alternating the two trees round by round so that both see the same machine,
and reports the new/old ratios from the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from _common import ROOT, hiv_smiles, write

N_MOLECULES = 20_000
EPOCHS = 3
UPDATE_EVERY = 10
METHODS = ("ce", "ltdd")


def measure(method: str) -> dict:
    from rdkit import Chem, RDLogger

    from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SmilesGraphizer, SubclusterSchedule
    from sklearn_ltdd.classifier import _ltdd_schedule

    RDLogger.DisableLog("rdApp.*")
    smiles = [s for s in hiv_smiles(N_MOLECULES + 100) if Chem.MolFromSmiles(s) is not None][:N_MOLECULES]
    y = np.random.default_rng(0).choice(["inactive", "active"], size=len(smiles), p=[0.9, 0.1])
    # the paper's network (this benchmark's subject since it began), graphs alone; older trees
    # have no such parameters
    paper = {"encoder": "gcn", "fingerprint": None, "ema_epochs": None, "decision": "argmax",
             "early_stopping": None}  # fmt: skip
    network = {k: v for k, v in paper.items() if k in LTDDClassifier().get_params()}
    graphizer = SmilesGraphizer()
    if "fingerprint" in graphizer.get_params():
        graphizer.set_params(fingerprint=None)
    graphs = graphizer.fit_transform(smiles)
    cluster_seconds = []
    original = _ltdd_schedule.Recluster.update

    def timed_update(self, net, dataset, epoch):
        start = time.perf_counter()
        original(self, net, dataset, epoch)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        cluster_seconds.append(time.perf_counter() - start)

    _ltdd_schedule.Recluster.update = timed_update
    # warm-up off and update every epoch, so that every timed epoch is a full LTDD epoch
    run = {"max_epochs": EPOCHS, "validation_fraction": 0.0, "early_stopping": None, "random_state": 0,
           **network}  # fmt: skip
    if method == "ltdd":
        clf = LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=0, update_every=1), **run)
    else:
        clf = BaselineClassifier(loss=method, **run)
    clf.fit(graphs, y)
    epoch_seconds = [
        row["dur"] - (cluster_seconds[i] if cluster_seconds else 0) for i, row in enumerate(clf.history_)
    ]
    train_epoch = float(np.median(epoch_seconds))
    return {
        "epoch_s": train_epoch,
        "graphs_per_s": len(smiles) / train_epoch,
        "cluster_s": float(np.median(cluster_seconds)) if cluster_seconds else 0.0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_cuda_mb": torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None,
    }


def run(method: str, tree: str | None = None) -> dict:
    """``measure(method)`` in a fresh process, importing the package from ``tree`` when given."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [tree, env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, __file__, "--measure", method], check=True, capture_output=True,
                         text=True, env=env)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(rounds: list[dict]) -> dict:
    """Medians over rounds of each method's figures, and LTDD's amortised epoch."""
    result = {m: {k: float(np.median([r[m][k] for r in rounds])) for k in ("epoch_s", "graphs_per_s",
              "cluster_s", "peak_rss_mb")} for m in METHODS}  # fmt: skip
    result["ltdd_amortised_s"] = result["ltdd"]["epoch_s"] + result["ltdd"]["cluster_s"] / UPDATE_EVERY
    result["ltdd_over_ce"] = result["ltdd_amortised_s"] / result["ce"]["epoch_s"]
    return result


def table(name: str, s: dict) -> list[str]:
    ce, ltdd = s["ce"], s["ltdd"]
    return [
        f"| {name}: GCN + cross-entropy | {ce['epoch_s']:.2f} | {ce['graphs_per_s']:,.0f} | – | "
        f"{ce['peak_rss_mb']:,.0f} |",
        f"| {name}: LTDD (two views + losses) | {ltdd['epoch_s']:.2f} | {ltdd['graphs_per_s']:,.0f} | "
        f"{ltdd['cluster_s']:.2f} | {ltdd['peak_rss_mb']:,.0f} |",
        f"| {name}: LTDD epoch incl. re-clustering/{UPDATE_EVERY} | {s['ltdd_amortised_s']:.2f} | | | |",
        f"| {name}: LTDD ÷ CE epoch | **{s['ltdd_over_ce']:.2f}×** (target ≤ 2.3×) | | | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision to compare with, measured in the same run")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    trees = {"this tree": None}
    with tempfile.TemporaryDirectory(prefix="ltdd-bench-") as tmp:
        if args.against:
            old = os.path.join(tmp, "old")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", old, args.against],
                           check=True, capture_output=True)  # fmt: skip
            trees = {args.against: old, "this tree": None}
        try:
            rounds = {name: [] for name in trees}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    rounds[name].append({m: run(m, tree) for m in METHODS})
                    print(name, json.dumps(rounds[name][-1]), flush=True)
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", old], check=False)
    results = {name: summary(r) for name, r in rounds.items()}
    results.update({"n_molecules": N_MOLECULES, "epochs": EPOCHS, "rounds": args.rounds, "raw": rounds})
    lines = [
        f"Training on {N_MOLECULES:,} HIV molecules, batch 128, GCN 3×128, median of {EPOCHS} epochs"
        f"{f' and {args.rounds} alternating rounds' if args.rounds > 1 else ''}:\n",
        "| tree: model | s/epoch | graphs/s | re-clustering s | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for name in trees:
        lines += table(name, results[name])
    if args.against:
        new, old = results["this tree"], results[args.against]
        results["new_over_old"] = {
            "ltdd_amortised": new["ltdd_amortised_s"] / old["ltdd_amortised_s"],
            "ce_epoch": new["ce"]["epoch_s"] / old["ce"]["epoch_s"],
            "ltdd_peak_rss": new["ltdd"]["peak_rss_mb"] / old["ltdd"]["peak_rss_mb"],
        }
        ratio = results["new_over_old"]
        lines += [
            "",
            f"This tree ÷ {args.against}: LTDD epoch (re-clustering/{UPDATE_EVERY} included) "
            f"**{ratio['ltdd_amortised']:.2f}×** (target ≤ 0.6×), CE epoch {ratio['ce_epoch']:.2f}×, "
            f"LTDD peak RSS {ratio['ltdd_peak_rss']:.2f}×.",
        ]
    write("train", results, "\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
