"""How many test molecules of the built many-class tasks, and test reactions of USPTO-50k, are
also training ones.

Run: ``.venv/bin/python benchmarks/duplicates.py``. The template tasks label USPTO-50k products by
reaction template, and a product made by several reactions is several rows; the benchmark's
ImDrug ``random`` split (seeds 0 and 1, as docs/results.md ran it) and the demo's 80/20 split
(seed 0) split rows, so such a product can sit on both sides. USPTO-50k itself repeats some of
its reactions (the loader counts them), which its ``standard`` split (seeds 0–2, as the
benchmark runs it) puts on both sides too; a reaction is keyed by each side's canonical SMILES
without atom maps or stereochemistry. A test row counts as seen where its
molecule, by canonical SMILES without stereochemistry (the default GCN and the Morgan
fingerprint read no chirality), is a training row: with the same label, or with another (which
no model can get right for both). Also given per class, averaged over classes, which is how a
copy moves balanced accuracy.
"""

from __future__ import annotations

import numpy as np
from _common import arguments, data_dir, write
from rdkit import Chem, rdBase
from sklearn.model_selection import train_test_split

from sklearn_ltdd.benchmark._tasks import load_task
from sklearn_ltdd.datasets import load_reaction_templates
from sklearn_ltdd.model_selection import imdrug_split

SEEDS = (0, 1)


def molecule_keys(smiles: np.ndarray) -> np.ndarray:
    """Canonical SMILES without stereochemistry, one per row."""
    with rdBase.BlockLogs():
        return np.array([Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) for s in smiles])


def reaction_keys(reactions: np.ndarray) -> np.ndarray:
    """Each reaction's sides (reactants, reagents, products) as canonical SMILES without atom maps
    or stereochemistry, joined by ``>``."""

    def canonical(side: str) -> str:
        mol = Chem.MolFromSmiles(side)
        for atom in mol.GetAtoms():
            atom.SetAtomMapNum(0)
        return Chem.MolToSmiles(mol, isomericSmiles=False)

    with rdBase.BlockLogs():
        return np.array([">".join(map(canonical, reaction.split(">"))) for reaction in reactions])


def seen(keys: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict:
    """Test rows whose molecule is a training molecule, with the same label and with another."""
    train_labels: dict[str, set] = {}
    for key, label in zip(keys[train], y[train], strict=True):
        train_labels.setdefault(key, set()).add(label)
    labels = [train_labels.get(key, set()) for key in keys[test]]
    same = np.array([label in known for known, label in zip(labels, y[test], strict=True)])
    other = np.array([bool(known - {label}) for known, label in zip(labels, y[test], strict=True)]) & ~same
    either = same | other
    classes = np.unique(y[test])
    per_class = np.array([either[y[test] == c].mean() for c in classes])
    return {
        "test_rows": len(test),
        "seen_same_label": int(same.sum()),
        "seen_other_label_only": int(other.sum()),
        "class_mean_share_pct": round(100 * float(per_class.mean()), 2),
        "classes_with_a_seen_row": int((per_class > 0).sum()),
        "classes": len(classes),
        "largest_class_share_pct": round(100 * float(per_class.max()), 1),
    }


def main() -> None:
    arguments(__doc__)
    results, lines = {}, ["| task, split | test rows | seen, same label | seen, other label only | "
                          "mean over classes | classes with one (of) | largest share in a class |",
                          "|---|---|---|---|---|---|---|"]  # fmt: skip
    tasks = {}
    for task in ("uspto50k_template", "uspto50k_template_tail"):
        X, y = load_task(task, str(data_dir()))
        keys = molecule_keys(X)
        for seed in SEEDS:
            train, _, test = imdrug_split(y, "random", random_state=seed)
            tasks[f"{task}, random, seed {seed}"] = seen(keys, y, train, test)
    X, y = load_task("uspto50k", str(data_dir()))
    keys = reaction_keys(X)
    for seed in (0, 1, 2):
        train, _, test = imdrug_split(y, "standard", random_state=seed)
        tasks[f"uspto50k (reactions), standard, seed {seed}"] = seen(keys, y, train, test)
    X, y = load_reaction_templates(return_X_y=True)
    rows = np.arange(len(y))
    train, test = train_test_split(rows, test_size=0.2, stratify=y, random_state=0)
    tasks["the demo's templates, 80/20, seed 0"] = seen(molecule_keys(X), y, train, test)
    for name, r in tasks.items():
        results[name] = r
        cells = (f"{r['test_rows']:,}", r["seen_same_label"], r["seen_other_label_only"],
                 f"{r['class_mean_share_pct']} %", f"{r['classes_with_a_seen_row']} ({r['classes']})",
                 f"{r['largest_class_share_pct']} %")  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(map(str, cells)) + " |")
    write("duplicates", {"tasks": results}, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
