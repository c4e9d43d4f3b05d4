"""The floor under the separability weights' distances: what it does to a task where two classes
coincide, and that it leaves fitted models on ordinary tasks as the paper's formula has them.

Run: ``.venv/bin/python benchmarks/distance_floor.py`` (about five minutes on one core).

The paper weighs a class by 1/d, d the distance from its centroid to the nearest other class's,
normalised over the classes; d = 0 (one molecule labelled with two classes of one sample each)
gave those two classes nearly all of the weight. ``DISTANCE_FLOOR`` floors d at a fraction of the
typical distance, the median distance between two classes. Measured here, each on one thread:

- the task: 40 templates of the embedded reaction-template data (one of 40 products, one of 30,
  the rest of 1 to 3; drawn with seed 0), ``fingerprint=None``, ``hidden=32``, ``batch_size=32``,
  25 epochs, re-clustering every 2 after a warm-up of 2, no hold-out; "dup" adds one row that gives
  a singleton template's molecule a second label. Per floor and seed: the two largest class
  weights' share of the sum at the last epoch and the training set's balanced accuracy, and with
  ``weighting="none"`` for reference;
- fitted models' nearest distances against the typical one, where the floor would bind: the
  clean task above (seeds 0, 1) and the demo's 60 templates (``LTDDClassifier`` defaults,
  30 epochs, 3 warm-up, seed 0);
- with the real data (``../shared/data`` or $SKLEARN_LTDD_DATA), how many USPTO-50k products (by
  canonical SMILES) are labelled with more than one template.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from _common import arguments, data_dir, write

import sklearn_ltdd.nn._weights as weights_module
from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.classifier._data import GraphDataset
from sklearn_ltdd.datasets import load_reaction_templates
from sklearn_ltdd.demo import load_demo_data
from sklearn_ltdd.metrics import balanced_accuracy_score
from sklearn_ltdd.nn._weights import DISTANCE_FLOOR as FLOOR
from sklearn_ltdd.nn._weights import centroids, nearest_other_groups, typical_distance

FLOORS = (1e-9, 0.1, 0.2, 0.5, 1.0)
SEEDS = (0, 1)
SIZES = [40, 30] + [1] * 13 + [2] * 13 + [3] * 12


def tasks() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    X, y = load_reaction_templates(return_X_y=True)
    classes, rng = np.unique(y), np.random.RandomState(0)
    rows = np.concatenate(
        [rng.permutation(np.flatnonzero(y == c))[:n] for c, n in zip(classes, SIZES, strict=False)]
    )
    X, y = X[rows], y[rows]
    twin = X[y == classes[2]][0]  # a template of one product: its molecule labelled again
    return {"clean": (X, y), "dup": (np.append(X, twin), np.append(y, "NEW"))}


def fit(X: np.ndarray, y: np.ndarray, seed: int, weighting: str = "both") -> LTDDClassifier:
    schedule = SubclusterSchedule(warmup_epochs=2, update_every=2, weighting=weighting)
    return LTDDClassifier(
        fingerprint=None, hidden=32, batch_size=32, max_epochs=25, validation_fraction=0,
        early_stopping=None, random_state=seed, device="cpu", schedule=schedule,
    ).fit(X, y)  # fmt: skip


def top2_share(clf: LTDDClassifier) -> float:
    w = np.asarray(clf.history_[-1, "class_weights"])
    return float(np.sort(w)[-2:].sum() / w.sum())


def nearest_over_typical(clf: LTDDClassifier, X: np.ndarray, y: np.ndarray) -> float:
    """The smallest class's nearest distance over the typical distance, on the training set."""
    graphs = clf._graphs(X)
    dataset = GraphDataset(graphs, np.zeros(len(graphs), dtype=np.int64), np.ones(len(graphs), np.float32))
    with torch.no_grad():
        z = clf.net_.embed_dataset(dataset)
    centres = centroids(z, torch.as_tensor(clf._encoder.transform(y)), len(clf.classes_))
    nearest, between = nearest_other_groups(centres, torch.arange(len(clf.classes_)))
    return float(nearest.min() / typical_distance(between))


def multi_template_products() -> int | None:
    import pandas as pd
    from rdkit import Chem, RDLogger

    path = data_dir() / "uspto50k" / "USPTO_50k_MHN_prepro.csv.gz"
    RDLogger.DisableLog("rdApp.*")
    frame = pd.read_csv(path, usecols=["prod_smiles", "reaction_smarts"])
    canonical = frame["prod_smiles"].map(lambda s: Chem.MolToSmiles(Chem.MolFromSmiles(s)))
    return int((frame.assign(product=canonical).groupby("product")["reaction_smarts"].nunique() > 1).sum())


def floors_table(rows: list[dict], unweighted: list[float]) -> list[str]:
    def cell(floor: float, task: str, key: str) -> str:
        return ", ".join(f"{r[key]:.3f}" for r in rows if r["floor"] == floor and r["task"] == task)

    lines = [
        "| floor (× typical distance) | dup: top-2 weight share | dup: training BA | clean: training BA |",
        "|---|---|---|---|",
    ]
    for floor in FLOORS:
        shares, dup, clean = (
            cell(floor, "dup", "top2_share"),
            cell(floor, "dup", "ba"),
            cell(floor, "clean", "ba"),
        )
        lines.append(f"| {floor:g} | {shares} | {dup} | {clean} |")
    return [
        *lines,
        "",
        f'`weighting="none"` on dup, training BA: {", ".join(f"{v:.3f}" for v in unweighted)}',
    ]


def main() -> None:
    arguments(__doc__)
    warnings.simplefilter("ignore")  # the tasks' classes of one sample are warned of at every fit
    torch.set_num_threads(1)
    data, rows = tasks(), []
    for floor in FLOORS:
        weights_module.DISTANCE_FLOOR = floor
        for name, (X, y) in data.items():
            for seed in SEEDS:
                clf = fit(X, y, seed)
                ba = balanced_accuracy_score(y, clf.predict(X))
                rows.append(
                    {"floor": floor, "task": name, "seed": seed, "top2_share": top2_share(clf), "ba": ba}
                )
                print(rows[-1], flush=True)
    weights_module.DISTANCE_FLOOR = FLOOR
    X_dup, y_dup = data["dup"]
    unweighted = [balanced_accuracy_score(y_dup, fit(X_dup, y_dup, s, "none").predict(X_dup)) for s in SEEDS]
    X_clean, y_clean = data["clean"]
    ratios = {
        f"clean, seed {s}": nearest_over_typical(fit(X_clean, y_clean, s), X_clean, y_clean) for s in SEEDS
    }
    X, y, *_ = load_demo_data("templates", random_state=0)
    demo = LTDDClassifier(max_epochs=30, random_state=0, schedule=SubclusterSchedule(warmup_epochs=3))
    ratios["the demo's 60 templates, seed 0"] = nearest_over_typical(demo.fit(X, y), X, y)
    try:
        products = multi_template_products()
    except SystemExit:  # (data_dir's way of saying there is no real data here)
        products = None
    fitted = "; ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
    lines = [
        *floors_table(rows, unweighted),
        "",
        f"Smallest nearest distance over the typical distance in fitted models (floor {FLOOR}): {fitted}",
    ]
    if products is not None:
        lines += ["", f"USPTO-50k products (canonical SMILES) with more than one template: {products}"]
    results = {"rows": rows, "unweighted_dup_ba": unweighted, "nearest_over_typical": ratios,
               "multi_template_products": products}  # fmt: skip
    write("distance_floor", results, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
