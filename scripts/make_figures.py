"""Draw the documentation's figures (docs/_static/*.png) from a real run on the solubility set.

Fits LTDD and the plain-CE GNN exactly as notebooks/quickstart.ipynb does (100 epochs, seed 0).
Run: ``.venv/bin/python scripts/make_figures.py``
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sklearn_ltdd import BaselineClassifier, LTDDClassifier
from sklearn_ltdd.datasets import load_solubility, make_long_tailed
from sklearn_ltdd.plotting import plot_class_accuracy, plot_embedding, plot_training, plot_weights

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static"


def main() -> None:
    data = load_solubility()
    train, test = data.split == "train", data.split == "test"
    keep = make_long_tailed(data.target[train], imbalance_ratio=10, random_state=0)
    X, y = data.data[train][keep], data.target[train][keep]
    models = {"CE": BaselineClassifier(loss="ce", max_epochs=100, random_state=0).fit(X, y),
              "LTDD": LTDDClassifier(max_epochs=100, random_state=0).fit(X, y)}  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)

    plot_class_accuracy(models, data.data[test], data.target[test], y)
    plt.savefig(OUT / "class_accuracy.png", dpi=120)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    plot_embedding(models["CE"], X, y, ax=axes[0], subclusters=False).set_title("CE embedding (PCA)")
    plot_embedding(models["LTDD"], X, y, ax=axes[1]).set_title("LTDD embedding (PCA)")
    fig.savefig(OUT / "embedding.png", dpi=120)
    for name, plot, size in (("weights", plot_weights, (6, 4)), ("training", plot_training, (7, 5))):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        plot(models["LTDD"], ax=ax)
        fig.savefig(OUT / f"{name}.png", dpi=120)
    print(f"figures written to {OUT}")


if __name__ == "__main__":
    main()
