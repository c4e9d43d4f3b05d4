"""Inference throughput by batch size: what ``INFERENCE_BATCH`` is chosen from.

Run: ``python benchmarks/inference_batch.py``. A model trained briefly on 1,000 HIV molecules
predicts probabilities for, and embeds, 5,000 featurised ones (featurisation outside the timing)
with each batch size in turn, round by round, on the device torch picks; medians over rounds.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from _common import arguments, hiv_smiles, write

from sklearn_ltdd import LTDDClassifier, SmilesGraphizer, SubclusterSchedule
from sklearn_ltdd.classifier._data import GraphDataset

SIZES = (128, 512, 1024, 2048, 4096)
ROUNDS = 5


def main() -> None:
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    graphs = SmilesGraphizer(errors="ignore").fit_transform(hiv_smiles(6500))
    graphs = graphs[np.flatnonzero(graphs.valid_mask)[:6000]]
    y = np.random.default_rng(0).choice(["inactive", "active"], size=len(graphs), p=[0.9, 0.1])
    schedule = SubclusterSchedule(warmup_epochs=1)
    clf = LTDDClassifier(max_epochs=2, schedule=schedule, early_stopping=None, random_state=0)
    clf.fit(graphs[:1000], y[:1000])
    new = graphs[1000:]
    dataset = GraphDataset(new).to(clf.net_.device)
    times: dict[int, dict[str, list[float]]] = {b: {"predict": [], "embed": []} for b in SIZES}
    for _ in range(ROUNDS):
        for size in SIZES:
            clf.net_.iterator_valid__batch_size = size
            for name, call in (("predict", lambda: clf.predict_proba(new)),
                               ("embed", lambda: clf.net_.embed_dataset(dataset))):  # fmt: skip
                start = time.perf_counter()
                call()
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                times[size][name].append(time.perf_counter() - start)
    rates = {b: {k: len(new) / float(np.median(v)) for k, v in t.items()} for b, t in times.items()}
    best = max(SIZES, key=lambda b: rates[b]["predict"])
    lines = [
        f"{len(new):,} HIV molecules (featurised), model of the package's defaults, on the "
        f"{clf.device_.upper()}, medians of {ROUNDS} alternating rounds:\n",
        "| batch | predict_proba graphs/s | embedding graphs/s |",
        "|---|---|---|",
        *(f"| {b} | {rates[b]['predict']:,.0f} | {rates[b]['embed']:,.0f} |" for b in SIZES),
        "",
        f"Fastest predict_proba: batch {best}.",
    ]
    device = clf.device_.split(":")[0]
    write(f"inference_batch_{device}", {"rates": rates, "best": best}, "\n".join(lines) + "\n")


if __name__ == "__main__":
    arguments(__doc__)
    main()
