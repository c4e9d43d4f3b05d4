"""Rebuild sklearn_ltdd/datasets/data/reaction_templates.csv.gz from USPTO-50k.

The source is ``USPTO_50k_MHN_prepro.csv.gz`` (ml-jku/mhn-react): retrosim's USPTO-50k table
(MIT, Connor Coley; reactions from Lowe's USPTO extraction, CC0, as curated by Schneider et al.
2016) with a ``reaction_smarts`` column added by MHN-react, each reaction's retrosynthetic
template. The embedded file keeps retrosim's columns and names each template by its rank
(``T01`` the largest); the template text itself is not copied (see the data README for why).
The embedded set is a miniature of the
benchmark task ``uspto50k_template``: 60 templates drawn at random (seed 0) from the 335 that
have at least 20 reactions, each with all its products, so the class sizes keep USPTO-50k's own
long tail. Usage::

    python scripts/make_reaction_templates_csv.py path/to/USPTO_50k_MHN_prepro.csv.gz
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

N_TEMPLATES, MIN_REACTIONS, SEED = 60, 20, 0
OUT = Path(__file__).resolve().parents[1] / "sklearn_ltdd/datasets/data/reaction_templates.csv.gz"


def build(source: str | Path) -> pd.DataFrame:
    """The embedded table, from the MHN-react file at ``source``."""
    frame = pd.read_csv(source)
    counts = frame["reaction_smarts"].value_counts()
    eligible = np.sort(counts.index[counts >= MIN_REACTIONS].to_numpy())
    chosen = np.random.default_rng(SEED).choice(eligible, N_TEMPLATES, replace=False)
    subset = frame[frame["reaction_smarts"].isin(chosen)]
    # short names, largest template first: T01 ... T60
    sizes = subset["reaction_smarts"].value_counts()
    order = sorted(sizes.index, key=lambda t: (-sizes[t], t))
    names = {t: f"T{i + 1:02d}" for i, t in enumerate(order)}
    return pd.DataFrame(
        {
            "id": subset["id"].to_numpy(),
            "product": subset["prod_smiles"].to_numpy(),
            "template": subset["reaction_smarts"].map(names).to_numpy(),
            "reaction_class": subset["class"].to_numpy(),
        }
    )


def main(source: str) -> None:
    out = build(source)
    out.to_csv(OUT, index=False, compression={"method": "gzip", "mtime": 0})
    print(f"wrote {len(out)} rows, {out['template'].nunique()} templates to {OUT}")
    print(out["template"].value_counts().describe())


if __name__ == "__main__":
    main(sys.argv[1])
