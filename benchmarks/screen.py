"""Screening speed and memory: predict_proba on 10,000 / 100,000 / 1,000,000 SMILES, one CPU.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/screen.py [max_n]`` (needs the HIV data, see
benchmarks/_common.py). The library is HIV's molecules written as RDKit randomised SMILES
(distinct strings of the same molecules, seeded), cached under ~/.cache/sklearn-ltdd. A small
model is fitted once (its quality does not matter here) and saved; each measurement then runs in
a fresh process that loads the model, reads the first N SMILES into a list (the input a user
holds) and calls ``predict_proba``, so that its peak RSS is that size's alone. On a machine with
CUDA the model loads onto the GPU (``device="auto"``) and the records say so. Beside them, in
the same run: featurisation alone (the model's SmilesGraphizer, 10,000 rows at a time, nothing
kept), ``screen(errors="nan")`` (no checking pass), and featurisation in two processes
(``joblib.parallel_config(n_jobs=2)``). Every finished measurement is appended to
``results/screen.jsonl`` at once; the table is written at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import RESULTS, arguments, hiv_smiles, peak_rss_mb, write

SIZES = (10_000, 100_000, 1_000_000)
CACHE = Path.home() / ".cache" / "sklearn-ltdd"
LIBRARY = CACHE / "hiv_randomised_1000000.smi"
MODEL = CACHE / "screen_benchmark_model.joblib"
LOG = RESULTS / "screen.jsonl"


def make_library() -> None:
    """A million distinct randomised SMILES of HIV's molecules that RDKit reads back, shuffled (seed 0)."""
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        mols = [m for m in (Chem.MolFromSmiles(s) for s in hiv_smiles()) if m is not None]
    seen: set[str] = set()
    for seed in range(100):  # ~27 per molecule, a few more for those that do not read back
        for mol in mols:
            seen.update(Chem.MolToRandomSmilesVect(mol, 1, randomSeed=seed))
        if len(seen) >= 1.01 * SIZES[-1]:
            break
    with rdBase.BlockLogs():  # a randomised SMILES of a few ring systems does not read back
        rows = sorted(s for s in seen if Chem.MolFromSmiles(s) is not None)
    order = np.random.default_rng(0).permutation(len(rows))[: SIZES[-1]]
    CACHE.mkdir(parents=True, exist_ok=True)
    LIBRARY.write_text("\n".join(rows[i] for i in order) + "\n")


def make_model() -> None:
    import joblib
    import pandas as pd
    from _common import data_dir

    from sklearn_ltdd import LTDDClassifier, SubclusterSchedule

    frame = pd.read_csv(data_dir() / "hiv" / "HIV.csv").sample(2_000, random_state=0)
    clf = LTDDClassifier(max_epochs=3, schedule=SubclusterSchedule(warmup_epochs=1), random_state=0)
    joblib.dump(clf.fit(frame["smiles"].to_numpy(), frame["HIV_active"].to_numpy()), MODEL)


def measure(kind: str, n: int) -> dict:
    """One measurement, in this (fresh) process."""
    import time

    import joblib
    import torch

    from sklearn_ltdd.classifier._inference import CHUNK_ROWS
    from sklearn_ltdd.screen import screen

    torch.set_num_threads(1)
    model = joblib.load(MODEL)
    with open(LIBRARY) as lines:
        smiles = [next(lines).rstrip("\n") for _ in range(n)]
    before = peak_rss_mb()
    start = time.perf_counter()
    if kind == "predict_proba":
        out = model.predict_proba(smiles)
    elif kind == "screen_nan":
        out = screen(model, smiles, errors="nan")
    elif kind == "predict_proba_2_processes":
        with joblib.parallel_config(n_jobs=2):
            out = model.predict_proba(smiles)
    elif kind == "featurise_only":
        graphizer = model._graphizer()
        for i in range(0, n, CHUNK_ROWS):
            graphizer.transform(smiles[i : i + CHUNK_ROWS])
        out = None
    seconds = time.perf_counter() - start
    assert out is None or len(out) == n
    peak = peak_rss_mb()
    return {"kind": kind, "n": n, "seconds": seconds, "per_s": n / seconds, "device": model.device_,
            "rss_before_mb": before, "peak_rss_mb": peak}  # fmt: skip


def table(runs: list[dict]) -> str:
    by = {(r["kind"], r["n"]): r for r in runs}
    lines = [
        "predict_proba on randomised HIV SMILES, one process, torch on one thread "
        "(peak RSS of a fresh process: model, input list and screening):\n",
        "| molecules | molecules/s | peak RSS MB | peak before the call MB | growth in the call MB "
        "| peak / peak(10k) |",
        "|---|---|---|---|---|---|",
    ]
    base = by.get(("predict_proba", SIZES[0]), {}).get("peak_rss_mb")
    for n in SIZES:
        r = by.get(("predict_proba", n))
        if r:
            ratio = f"{r['peak_rss_mb'] / base:.2f}" if base else "-"
            growth = r["peak_rss_mb"] - r["rss_before_mb"]
            mb = f"{r['peak_rss_mb']:,.0f} | {r['rss_before_mb']:,.0f} | {growth:,.0f}"
            lines.append(f"| {n:,} | {r['per_s']:,.0f} | {mb} | {ratio} |")
    lines += ["", f"Beside them, on {SIZES[1]:,} molecules:\n",
              "| what | molecules/s | ratio to predict_proba |", "|---|---|---|"]  # fmt: skip
    reference = by.get(("predict_proba", SIZES[1]))
    names = {
        "featurise_only": "featurisation alone (no check, no inference)",
        "predict_proba": "predict_proba (check pass, featurisation, inference)",
        "screen_nan": 'screen(errors="nan") (no check pass)',
        "predict_proba_2_processes": "predict_proba, featurising in 2 processes",
    }
    for kind, name in names.items():
        r = by.get((kind, SIZES[1]))
        if r and reference:
            lines.append(f"| {name} | {r['per_s']:,.0f} | {r['per_s'] / reference['per_s']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    given = arguments(__doc__, max_n={"type": int, "help": "the largest library size to screen"}).max_n
    max_n = SIZES[-1] if given is None else given
    if not LIBRARY.exists():
        make_library()
    if not MODEL.exists():
        make_model()
    plan = [("predict_proba", n) for n in SIZES if n <= max_n]
    plan += [(kind, SIZES[1]) for kind in ("featurise_only", "screen_nan", "predict_proba_2_processes")]
    LOG.unlink(missing_ok=True)
    runs = []
    for kind, n in plan:
        if n > max_n:
            continue
        result = subprocess.run(
            [sys.executable, __file__, "--measure", kind, str(n)],
            capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
        )  # fmt: skip
        run = json.loads(result.stdout.strip().splitlines()[-1])
        runs.append(run)
        with open(LOG, "a") as log:
            log.write(json.dumps(run) + "\n")
        print(run, flush=True)
    write("screen", {"runs": runs}, table(runs))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
