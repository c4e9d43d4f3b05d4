"""Featurisation and batch-assembly speed of SmilesGraphizer against PyG's own tools.

Run: ``.venv/bin/python benchmarks/featurize.py`` (needs the HIV data, see benchmarks/_common.py).
All figures in one run, on the same SMILES, so their ratios are meaningful on a noisy machine.
``benchmarks/featurize.py reactions`` measures the reaction modes instead, on USPTO-50k: the
condensed graph of reaction (CGR) beside ``pair`` mode, and the atom mapper.
"""

from __future__ import annotations

import warnings

import numpy as np
from _common import arguments, best_of, data_dir, hiv_smiles, write
from rdkit import Chem, RDLogger
from torch_geometric.data import Batch
from torch_geometric.utils import from_smiles

from sklearn_ltdd import SmilesGraphizer
from sklearn_ltdd.datasets import load_uspto50k
from sklearn_ltdd.featurize import _atom_mapping, _graphizer

N_MOLECULES = 20_000
BATCH_SIZE = 128
N_REACTIONS = 10_000
N_MAPPED_HERE = 64


def main() -> None:
    RDLogger.DisableLog("rdApp.*")  # from_smiles would print every RDKit complaint
    smiles = [s for s in hiv_smiles(N_MOLECULES + 100) if parses(s)][:N_MOLECULES]
    n = len(smiles)

    # graphs alone throughout, as from_smiles makes them (the default also stores fingerprints)
    ours = best_of(2, lambda: SmilesGraphizer(fingerprint=None).fit_transform(smiles))
    pyg = best_of(1, lambda: [from_smiles(s) for s in smiles])

    graphs = SmilesGraphizer(fingerprint=None).fit_transform(smiles)
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
        one = best_of(1, lambda s=subset: SmilesGraphizer(fingerprint=None, errors="ignore").fit_transform(s))
        _graphizer._MIN_ROWS_PER_JOB, saved = 1, _graphizer._MIN_ROWS_PER_JOB
        two = best_of(
            1, lambda s=subset: SmilesGraphizer(fingerprint=None, errors="ignore", n_jobs=2).fit_transform(s)
        )
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


def reactions() -> None:
    """Reactions/s of each reaction mode on the same USPTO-50k reactions, one process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = load_uspto50k(data_home=data_dir()).data[:N_REACTIONS]
        mapped = load_uspto50k(data_home=data_dir(), mapping="rxnmapper").data[:N_REACTIONS]
    modes = [
        ("products", plain, False),
        ("pair", plain, False),
        ("pair", plain, True),
        ("cgr", mapped, False),
        ("cgr", mapped, True),
    ]
    rows = []
    for mode, data, bonds in modes:
        graphizer = SmilesGraphizer(reaction_mode=mode, bond_features=bonds, fingerprint=None)
        seconds = best_of(2, lambda g=graphizer, d=data: g.fit_transform(d))
        rows.append({"mode": mode, "bond_features": bonds, "reactions_per_s": len(data) / seconds})
    pair = next(r["reactions_per_s"] for r in rows if r["mode"] == "pair" and not r["bond_features"])
    results = {"n_reactions": N_REACTIONS, "modes": rows}
    md = [
        f"Featurisation of the first {N_REACTIONS:,} USPTO-50k reactions, one process (`cgr` reads the "
        "rxnmapper-mapped copy):\n",
        "| reaction_mode | bond features | reactions/s | ÷ pair |",
        "|---|---|---|---|",
        *[
            f"| `{r['mode']}` | {'yes' if r['bond_features'] else 'no'} | {r['reactions_per_s']:,.0f} | "
            f"{r['reactions_per_s'] / pair:.2f}× |"
            for r in rows
        ],
        "",
    ]
    try:
        import rxnmapper  # noqa: F401
    except ImportError:
        md.append("rxnmapper is not installed (the `reactions` extra): the mapper was not measured.")
    else:
        graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper="rxnmapper", fingerprint=None)
        graphizer.fit_transform(plain[:2])  # loads the model, outside the timing
        subset = plain[2 : 2 + N_MAPPED_HERE]
        first = best_of(1, lambda: graphizer.fit_transform(subset))
        again = best_of(1, lambda: graphizer.fit_transform(subset))
        results["mapper"] = {"n": N_MAPPED_HERE, "first_s": first, "cached_s": again}
        md += [
            f"`atom_mapper='rxnmapper'` on {N_MAPPED_HERE} unmapped reactions (mapping and CGR): "
            f"{N_MAPPED_HERE / first:.1f} reactions/s the first time, {N_MAPPED_HERE / again:,.0f} "
            f"reactions/s the second (cached: {len(_atom_mapping._IN_PROCESS)} maps in this process).",
        ]
    write("featurize_reactions", results, "\n".join(md) + "\n")


def parses(s: str) -> bool:
    """Both tools get only SMILES that RDKit parses (from_smiles would not say when it fails)."""
    return Chem.MolFromSmiles(s) is not None


if __name__ == "__main__":
    what = arguments(__doc__, what={"choices": ["reactions"], "help": "the reaction modes instead"}).what
    reactions() if what == "reactions" else main()
