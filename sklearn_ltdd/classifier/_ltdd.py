"""LTDDClassifier: the LTDD method behind the scikit-learn classifier API, trained by skorch.

Read top to bottom, this file is the method: two edge-dropped views of each batch; a SupCon
warm-up of the encoder; then, re-clustered every K epochs, the sub-cluster contrastive loss plus
a cross-entropy re-weighted by how close each class (and sub-cluster) comes to another. The
network, training loop, model selection and decision are shared with the baselines
(:mod:`~sklearn_ltdd.classifier._base`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ._base import GraphClassifier
from ._docstrings import shared_parameters
from ._ltdd_options import SubclusterContrast, SubclusterSchedule
from ._ltdd_schedule import ADAPTIVE_TAU2_BASE, Recluster, RecordLossTerms
from ._phases import Phase, Phases

__all__ = ["PAPER_PROTOCOL", "LTDDClassifier"]

#: the parameters that reproduce the paper's protocol exactly: ``LTDDClassifier(**PAPER_PROTOCOL)``
PAPER_PROTOCOL: dict[str, Any] = {
    "encoder": "gcn",
    "fingerprint": None,
    "average_from_best": False,
    "decision": "argmax",
    "early_stopping": None,
    "max_epochs": 300,
}

#: the option objects, by parameter name: what None stands for
_OPTIONS = {"contrast": SubclusterContrast, "schedule": SubclusterSchedule}
#: where the parameters of earlier releases went, for the error that names their new place
_MOVED = {
    name: f"{option}={kind.__name__}({name}=...)"
    for option, kind in _OPTIONS.items()
    for name in kind().get_params()
}


def _moved(name: str, value: object) -> str | None:
    """Where a parameter of an earlier LTDDClassifier went (None for other names)."""
    if name == "method" and value == "ltdd":
        return "it is LTDD, always; drop the argument"
    if name == "method":
        return f"LTDDClassifier is LTDD only; use BaselineClassifier(loss={value!r}) for the baselines"
    if name in _MOVED:
        return f"use {_MOVED[name]}"
    return None


@shared_parameters("ltdd")
class LTDDClassifier(GraphClassifier):
    """Long-tailed drug classification: sub-cluster contrastive learning plus separability re-weighting.

    SMILES (or reaction SMILES) in, class labels of any type out. A residual graph encoder
    (the paper's GCN, or a bond-aware GINE), joined with a learned projection of the Morgan
    fingerprint, is trained on two degree-weighted edge-dropped views of each batch: first with
    supervised contrastive loss (warm-up), then with the sub-cluster contrastive loss (term A
    within a sample's balanced sub-cluster, term B across the other sub-clusters of its class)
    plus a cross-entropy whose class weights grow as a class's centroid (and sub-cluster
    centroids) come closer to another class. Beside it a logistic regression of the whole
    fingerprint trains on its own class-balanced loss, and the two experts' probabilities are
    multiplied. Sub-clusters, weights and τ2 are recomputed every K epochs. Training stops when
    the validation balanced accuracy has not improved for ``early_stopping`` epochs, the model
    kept is the mean of the weights from the best epoch to the last (``average_from_best``), and the
    decision is logit-adjusted for balanced accuracy (its strength chosen on the validation set).

    The defaults are those that did best across the benchmarks (docs/results.md). The paper's
    exact protocol is ``LTDDClassifier(**PAPER_PROTOCOL)`` (``from sklearn_ltdd.classifier import
    PAPER_PROTOCOL``): ``encoder="gcn", fingerprint=None, average_from_best=False,
    decision="argmax", early_stopping=None, max_epochs=300``; the reference
    code's choices are one parameter away (see the method documentation, which maps every
    symbol of the paper to its parameter). The paper's Table-2 baselines train the same network
    with :class:`BaselineClassifier`.

    ``score`` is accuracy, as for every scikit-learn classifier, which a model that ignores the
    tail can maximise: give searches and cross-validation a balanced scoring,
    ``scoring="balanced_accuracy"`` or :data:`~sklearn_ltdd.metrics.balanced_f1_scorer`.

    Parameters
    ----------
    contrast : SubclusterContrast or None, default=None
        The views and the contrastive losses' temperatures and weights (τ, τ1, τ2, β, p);
        None is ``SubclusterContrast()``. Reachable as ``contrast__beta`` and so on in
        ``set_params`` and ``GridSearchCV`` (while it is None, on a default instance);
        ``get_params(deep=True)``, and the tools that read it (``HalvingGridSearchCV``'s
        ``resource``), list those names only where an instance is given,
        ``contrast=SubclusterContrast()``, as for scikit-learn's nested estimators.
        ``set_params`` changes the instance in place, as for scikit-learn's nested estimators:
        two classifiers given one instance share its changes (``clone`` copies it).
    schedule : SubclusterSchedule or None, default=None
        The warm-up, the re-clustering and re-weighting (T0, K, δ, the weighting of Table 4)
        and the reference code's resampling; None is ``SubclusterSchedule()``. Reachable as
        ``schedule__warmup_epochs`` and so on, as ``contrast``.
    {shared parameters}

    Attributes
    ----------
    {shared attributes}
    history_ : skorch.History
        Per epoch: train/valid loss, the training loss's terms (``contrastive_loss``,
        ``ce_loss`` and, with the fingerprint, the wide expert's ``wide_loss``, which add up to
        ``train_loss``), the phase (``"warmup"`` or ``"ltdd"``), ``class_weights`` (one per
        class trained on, ``classes_[np.isfinite(class_log_prior_)]``) and ``n_subclusters`` (an
        empty list and 0 during warm-up); with a validation set, the
        epoch's ``valid_ba``, ``valid_bf1`` and ``valid_tau`` (its decision's τ; all NaN during
        warm-up), ``valid_ba_best`` and ``valid_bf1_best`` (a new best), and ``kept``: whether
        the epoch's weights are part of the model kept (set when training ends; all False where
        training ended before an epoch of the final phase was scored: the model is then the
        weights as training left them).
        The last epoch's ``stop`` says why training ended before ``max_epochs``, where it
        did: ``"early stopping"``, ``"diverged"`` or ``"interrupted"`` (Ctrl-C).

    See Also
    --------
    BaselineClassifier : the paper's Table-2 baselines on the same network.

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> schedule = SubclusterSchedule(warmup_epochs=1, update_every=2)
    >>> clf = LTDDClassifier(schedule=schedule, max_epochs=4, random_state=0)
    >>> clf.fit(smiles, y).predict(["CCCCCCO", "c1ccccc1CCC"]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "contrast": [None, SubclusterContrast],
        "schedule": [None, SubclusterSchedule],
        **GraphClassifier._parameter_constraints,
    }

    def __init__(
        self,
        *,
        contrast: SubclusterContrast | None = None,
        schedule: SubclusterSchedule | None = None,
        reaction_mode: str | None = None,
        atom_mapper: str | Callable[..., Any] | None = None,
        encoder: str = "gcn",
        fingerprint: str | None = "morgan",
        hidden: int = 128,
        n_layers: int = 3,
        max_epochs: int = 300,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 3e-4,
        lr_gamma: float = 0.99,
        decision: str = "logit_adjusted",
        average_from_best: bool = True,
        validation_fraction: float = 0.1,
        early_stopping: int | None = 20,
        device: str | torch.device = "auto",
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
    ):
        super().__init__(
            reaction_mode=reaction_mode, atom_mapper=atom_mapper, encoder=encoder, fingerprint=fingerprint,
            hidden=hidden, n_layers=n_layers, max_epochs=max_epochs, batch_size=batch_size, lr=lr,
            weight_decay=weight_decay, lr_gamma=lr_gamma, decision=decision,
            average_from_best=average_from_best, validation_fraction=validation_fraction,
            early_stopping=early_stopping, device=device, verbose=verbose, random_state=random_state,
        )  # fmt: skip
        self.contrast = contrast
        self.schedule = schedule

    @classmethod
    def _moved_parameter(cls, name: str, value: object) -> str | None:
        return _moved(name, value) or super()._moved_parameter(name, value)

    _DEFAULT_OPTIONS = _OPTIONS

    def _contrast_options(self) -> SubclusterContrast:
        return SubclusterContrast() if self.contrast is None else self.contrast

    def _schedule_options(self) -> SubclusterSchedule:
        return SubclusterSchedule() if self.schedule is None else self.schedule

    def _check_method(self) -> None:
        self._contrast_options().check()
        warmup = self._schedule_options().check().warmup_epochs
        if self.max_epochs <= warmup:
            raise ValueError(
                f"max_epochs={self.max_epochs} leaves no epoch after the warm-up "
                f"(warmup_epochs={warmup}); the classifier head trains only after the warm-up and "
                "would keep its initial weights. Raise max_epochs or lower the schedule's "
                "warmup_epochs (0 switches the warm-up off), e.g. "
                f"set_params(schedule__warmup_epochs={self.max_epochs // 3})."
            )

    # 1. Two views of each batch, edges dropped with degree-weighted probabilities.
    def _edge_drop(self) -> tuple[float, float]:
        return tuple(self._contrast_options().edge_drop)

    # 2. A warm-up of T0 epochs with SupCon alone (the head does not train), then LTDD: the
    #    warm-up boundary is written here only.
    def _phases(self, patience: int | None) -> Phases:
        warmup = Phase("warmup", epochs=self._schedule_options().warmup_epochs, trains_head=False)
        return Phases([warmup, Phase("ltdd")])

    # 3. The loss: SupCon in warm-up, then the sub-cluster contrastive loss (τ1, τ2, β) plus the
    #    separability-weighted cross-entropy.
    def _loss(self) -> tuple[str, dict]:
        contrast = self._contrast_options()
        tau2 = ADAPTIVE_TAU2_BASE if contrast.tau2 == "adaptive" else contrast.tau2
        params = {"tau": contrast.tau, "tau1": contrast.tau1, "tau2": tau2, "beta": contrast.beta,
                  "term_a_scale": contrast.term_a_scale}  # fmt: skip
        return "ltdd", params

    # 4. Every K epochs of the LTDD phase: embed, sub-cluster per class, re-weight.
    def _method_callbacks(self, phases: Phases, seed: int | None) -> list[tuple[str, object]]:
        schedule = self._schedule_options()
        recluster = Recluster(
            phases, update_every=schedule.update_every, dynamic=schedule.dynamic,
            min_cluster_size=schedule.min_cluster_size, cluster_method=schedule.cluster_method,
            weighting=schedule.weighting, weight_formula=schedule.weight_formula,
            adaptive_tau2=self._contrast_options().tau2 == "adaptive", random_state=seed,
        )  # fmt: skip
        return [("recluster", recluster), ("loss_terms", RecordLossTerms())]

    def _resample(self) -> bool:
        return self._schedule_options().resample
