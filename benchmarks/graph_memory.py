"""The graphs' memory with their features kept as int8, against the same graphs in float32 (how
every release before kept them), side by side in one process: the store's bytes by array, its
pickle, assembling training batches, and a short fit of the defaults on each (two epochs, one
re-clustering between them: the same model either way, the features are small integers, exact in
both).

Run: ``.venv/bin/python benchmarks/graph_memory.py [N]`` (default 10,000 HIV molecules, random
labels as in benchmarks/train.py; one thread). The fits alternate, twice each, and the shorter
of each pair counts.
"""

from __future__ import annotations

import pickle
import time

import numpy as np
import torch
from _common import arguments, best_of, hiv_sample, write

from sklearn_ltdd import GraphStore, LTDDClassifier, SmilesGraphizer, SubclusterSchedule

N = 10_000
BATCH_SIZE = 128
EPOCHS = 2


def as_float32(graphs: GraphStore) -> GraphStore:
    """The same graphs with float32 features, as stores were before."""
    edge_attr = None if graphs.edge_attr is None else graphs.edge_attr.float()
    return GraphStore(
        graphs.x.float(), graphs.edge_index, graphs.node_ptr, graphs.edge_ptr, edge_attr,
        graphs.valid_mask, graphs.fingerprint, graphs.recipe,
    )  # fmt: skip


def megabytes(graphs: GraphStore) -> dict[str, float]:
    arrays = {k: v for k, v in vars(graphs).items() if torch.is_tensor(v)}
    out = {k: v.numel() * v.element_size() / 2**20 for k, v in arrays.items()}
    return {**out, "total": sum(out.values())}


def fit_seconds(graphs: GraphStore, y: np.ndarray) -> tuple[float, LTDDClassifier]:
    clf = LTDDClassifier(
        max_epochs=EPOCHS, early_stopping=None, random_state=0, device="cpu",
        schedule=SubclusterSchedule(warmup_epochs=1, update_every=1),
    )  # fmt: skip
    start = time.perf_counter()
    clf.fit(graphs, y)
    return time.perf_counter() - start, clf


def main() -> None:
    args = arguments(__doc__, n={"type": int, "default": N})
    torch.set_num_threads(1)
    smiles, y = hiv_sample(args.n)
    # the classifier's own graphs (its default SmilesGraphizer), so that it takes them as they are
    graphs = SmilesGraphizer().fit_transform(smiles)
    stores = {"int8": graphs, "float32": as_float32(graphs)}
    order = np.random.default_rng(0).permutation(len(graphs))
    batches = [order[i : i + BATCH_SIZE] for i in range(0, len(order), BATCH_SIZE)]

    rows, models = {}, {}
    for name, store in stores.items():
        rows[name] = {
            "mb": megabytes(store),
            "pickle_mb": len(pickle.dumps(store)) / 2**20,
            "batches_s": best_of(5, lambda s=store: [s.batch(b) for b in batches]),
            "fit_s": [],
        }
    for _ in range(2):
        for name, store in stores.items():
            seconds, models[name] = fit_seconds(store, y)
            rows[name]["fit_s"].append(seconds)
    same = np.array_equal(
        models["int8"].predict_proba(graphs), models["float32"].predict_proba(stores["float32"])
    )

    lines = [
        f"# Graph memory: int8 features against float32 ({len(graphs):,} HIV molecules, one thread)",
        "",
        "| features | x MB | fingerprint MB | edge_index MB | store MB | pickle MB | batches s | "
        f"fit s ({EPOCHS} epochs, best of 2) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        mb = r["mb"]
        sizes = " | ".join(f"{mb[k]:.1f}" for k in ("x", "fingerprint", "edge_index", "total"))
        lines.append(
            f"| {name} | {sizes} | {r['pickle_mb']:.1f} | {r['batches_s']:.3f} | {min(r['fit_s']):.1f} |"
        )
    ratio = rows["float32"]["mb"]["total"] / rows["int8"]["mb"]["total"]
    fit_ratio = min(rows["int8"]["fit_s"]) / min(rows["float32"]["fit_s"])
    lines += [
        "",
        f"The store is {ratio:.2f}x smaller; a fit takes {fit_ratio:.2f}x the time; "
        f"the two models' probabilities are {'identical' if same else 'NOT identical'}.",
    ]
    write(
        "graph_memory",
        {"n": len(graphs), "rows": rows, "identical_predictions": bool(same)},
        "\n".join(lines) + "\n",
    )


if __name__ == "__main__":
    main()
