"""The wide expert at its own learning rate.

Run: ``.venv/bin/python benchmarks/wide_expert_lr.py --seed 0 --rates 0.001 0.01 0.03
[--dataset solubility]``.

On a demo's data (by default the embedded reaction templates, split 80/20 stratified, seeded), fits
``LTDDClassifier(random_state=seed, max_epochs=100)`` with the fingerprint's linear expert in an
Adam parameter group of its own (skorch's ``optimizer__param_groups``), and reports the test BA of
the defaults' decision, of the wide expert alone (argmax of its logits: it is trained on a
class-balanced loss), the fit time and the epochs; the fingerprint logistic regression of the
demo as the reference. The package trains the wide expert at ``WIDE_LR_FACTOR`` (10) times the
network's rate, 10⁻² beside ``lr=1e-3``; until this was measured, at the network's rate.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from _common import write

from sklearn_ltdd import LTDDClassifier
from sklearn_ltdd.classifier import _base
from sklearn_ltdd.demo import DATASETS, demo_models, load_demo_data
from sklearn_ltdd.featurize import SmilesGraphizer
from sklearn_ltdd.metrics import balanced_accuracy_score


class _WideRate:
    """Patch the estimator's network builder so that the wide expert learns at ``rate``."""

    def __init__(self, rate: float):
        self.rate, self.original = rate, _base.GraphClassifier._build_net

    def __enter__(self):
        original, rate = self.original, self.rate

        def build(estimator, *args, **kwargs):
            net = original(estimator, *args, **kwargs)
            return net.set_params(optimizer__param_groups=[("wide.*", {"lr": rate})])

        _base.GraphClassifier._build_net = build

    def __exit__(self, *exc):
        _base.GraphClassifier._build_net = self.original


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rates", type=float, nargs="+", default=[1e-3, 1e-2, 3e-2])
    parser.add_argument("--dataset", choices=DATASETS, default="templates")
    args = parser.parse_args()
    if bad := [rate for rate in args.rates if not 0 < rate < math.inf]:  # (an optimiser takes any number)
        parser.error(f"--rates are learning rates, positive and finite; got {bad}")
    X_train, y_train, X_test, y_test, description = load_demo_data(args.dataset, random_state=args.seed)
    print(description, flush=True)
    fingerprints = torch.as_tensor(
        np.asarray(SmilesGraphizer(fingerprint="morgan").fit_transform(X_test).fingerprint),
        dtype=torch.float32,
    )
    reference = demo_models(100, args.seed)["Morgan + logistic regression (balanced weights)"]
    reference_ba = balanced_accuracy_score(y_test, reference.fit(X_train, y_train).predict(X_test))
    results = []
    for rate in args.rates:
        with _WideRate(rate):
            start = time.perf_counter()
            clf = LTDDClassifier(random_state=args.seed, max_epochs=100).fit(X_train, y_train)
            seconds = time.perf_counter() - start
        with torch.no_grad():
            wide = clf.net_.module_.wide(fingerprints.to(clf.device_)).argmax(1).cpu().numpy()
        result = {
            "rate": rate,
            "BA": balanced_accuracy_score(y_test, clf.predict(X_test)),
            "wide_alone_BA": balanced_accuracy_score(y_test, clf.classes_[wide]),
            "fit_s": seconds,
            "epochs": len(clf.history_),
        }
        print(result, flush=True)
        results.append(result)
    lines = [
        f"Seed {args.seed}, {description.rstrip('.')}; fingerprint LR {reference_ba:.3f}.\n",
        "| wide expert's rate | defaults' BA | the wide expert alone | fit s | epochs |",
        "|---|---|---|---|---|",
        *(
            f"| {r['rate']:g} | {r['BA']:.3f} | {r['wide_alone_BA']:.3f} | {r['fit_s']:.0f} | {r['epochs']} |"
            for r in results
        ),
    ]
    write(
        f"wide_expert_lr_seed{args.seed}" + ("" if args.dataset == "templates" else f"_{args.dataset}"),
        {"reference": {"fingerprint LR": reference_ba}, "results": results},
        "\n".join(lines) + "\n",
    )


if __name__ == "__main__":
    main()
