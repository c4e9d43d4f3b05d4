"""Featurisation and batch-assembly speed of SmilesGraphizer against PyG's own tools.

Run: ``.venv/bin/python benchmarks/featurize.py`` (needs the HIV data, see benchmarks/_common.py).
All figures in one run, on the same SMILES, so their ratios are meaningful on a noisy machine.
"""

from __future__ import annotations

import numpy as np
from _common import best_of, hiv_smiles, write
from rdkit import Chem, RDLogger
from torch_geometric.data import Batch
from torch_geometric.utils import from_smiles

from sklearn_ltdd import SmilesGraphizer
from sklearn_ltdd.featurize import _graphizer

N_MOLECULES = 20_000
BATCH_SIZE = 128


def main() -> None:
    RDLogger.DisableLog("rdApp.*")  # from_smiles would print every RDKit complaint
    smiles = [s for s in hiv_smiles(N_MOLECULES + 100) if parses(s)][:N_MOLECULES]
    n = len(smiles)

    ours = best_of(2, lambda: SmilesGraphizer().fit_transform(smiles))
    pyg = best_of(1, lambda: [from_smiles(s) for s in smiles])

    graphs = SmilesGraphizer().fit_transform(smiles)
    data_list = graphs.to_data_list()
    order = np.random.default_rng(0).permutation(n)
    batches = [order[i : i + BATCH_SIZE] for i in range(0, n, BATCH_SIZE)]
    store_time = best_of(5, lambda: [graphs.batch(b) for b in batches])
    collate_time = best_of(5, lambda: [Batch.from_data_list([data_list[i] for i in b]) for b in batches])

    # Does splitting into processes pay? Force the split at every size and compare.
    all_smiles = hiv_smiles()
    parallel_rows = []
    for size in (2_000, 5_000, 10_000, 20_000, len(all_smiles)):
        subset = all_smiles[:size]
        one = best_of(1, lambda s=subset: SmilesGraphizer(errors="ignore").fit_transform(s))
        _graphizer._MIN_ROWS_PER_JOB, saved = 1, _graphizer._MIN_ROWS_PER_JOB
        two = best_of(1, lambda s=subset: SmilesGraphizer(errors="ignore", n_jobs=2).fit_transform(s))
        _graphizer._MIN_ROWS_PER_JOB = saved
        parallel_rows.append({"n": size, "one_process_s": one, "two_processes_s": two, "speedup": one / two})

    results = {
        "n_molecules": n,
        "graphizer_mol_per_s": n / ours,
        "from_smiles_mol_per_s": n / pyg,
        "featurize_ratio": pyg / ours,
        "store_batch_graphs_per_s": n / store_time,
        "from_data_list_graphs_per_s": n / collate_time,
        "batch_ratio": collate_time / store_time,
        "batch_size": BATCH_SIZE,
        "parallel": parallel_rows,
    }
    md = [
        f"Featurisation of {n:,} HIV SMILES (74-dim atom features, one process):\n",
        "| tool | molecules/s |",
        "|---|---|",
        f"| `SmilesGraphizer` | {results['graphizer_mol_per_s']:,.0f} |",
        f"| `torch_geometric.utils.from_smiles` | {results['from_smiles_mol_per_s']:,.0f} |",
        f"| ratio | **{results['featurize_ratio']:.2f}×** (target ≥ 1.5×) |",
        "",
        f"Batch assembly, batches of {BATCH_SIZE} in random order, one pass over {n:,} graphs:\n",
        "| tool | graphs/s |",
        "|---|---|",
        f"| `GraphStore.batch` | {results['store_batch_graphs_per_s']:,.0f} |",
        f"| `Batch.from_data_list` | {results['from_data_list_graphs_per_s']:,.0f} |",
        f"| ratio | **{results['batch_ratio']:.1f}×** (target ≥ 5×) |",
        "",
        "`n_jobs=2` (two chunks in two processes, loky start-up included) against one process:\n",
        "| distinct SMILES | one process s | two processes s | speed-up |",
        "|---|---|---|---|",
        *[
            f"| {r['n']:,} | {r['one_process_s']:.2f} | {r['two_processes_s']:.2f} | {r['speedup']:.2f}× |"
            for r in parallel_rows
        ],
        "",
    ]
    write("featurize", results, "\n".join(md))


def parses(s: str) -> bool:
    """Both tools get only SMILES that RDKit parses (from_smiles would not say when it fails)."""
    return Chem.MolFromSmiles(s) is not None


if __name__ == "__main__":
    main()
