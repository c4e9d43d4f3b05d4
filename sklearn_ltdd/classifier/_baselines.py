"""BaselineClassifier: the long-tail baselines of the paper's Table 2 on LTDD's network.

Each baseline is a loss of ``LOSSES`` on clean graphs; two of them have a second phase of their
own (``ib`` switches its loss on half-way, ``decoupling`` re-trains the head on class-balanced
batches for the last fifth). Network, training loop, model selection and decision are LTDD's
(:mod:`~sklearn_ltdd.classifier._base`), so a difference in scores is a difference of loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .._compat import Hidden, StrOptions
from ..nn import LOSSES
from ._base import GraphClassifier
from ._docstrings import shared_parameters
from ._ltdd_options import SubclusterContrast, SubclusterSchedule
from ._phases import Phase, Phases

__all__ = ["BASELINE_LOSSES", "BaselineClassifier"]

#: ``loss`` → what it is: every loss but LTDD's
BASELINE_LOSSES = {name: criterion.summary for name, criterion in LOSSES.items() if name != "ltdd"}
#: LTDD's own parameters (its option objects and their fields): given to a baseline, said to be LTDD's
LTDD_PARAMETERS = {
    "contrast",
    "schedule",
    *SubclusterContrast().get_params(),
    *SubclusterSchedule().get_params(),
}
#: the losses that train a cross-entropy phase first, so need two epochs at least
TWO_PHASE_LOSSES = ("ib", "decoupling")


@shared_parameters("baselines")
class BaselineClassifier(GraphClassifier):
    """A long-tail baseline of the paper's Table 2, on the network and protocol of LTDDClassifier.

    The same graph encoder, fingerprint branch and wide expert, head, training loop, model kept,
    early stopping and decision as :class:`LTDDClassifier`, trained on clean graphs with one
    loss instead of LTDD's contrastive views and re-weighting. ``BaselineClassifier(loss="ce")``
    is a plain graph neural network classifier. ``score`` is accuracy, as in scikit-learn: give
    searches ``scoring="balanced_accuracy"`` or :data:`~sklearn_ltdd.metrics.balanced_f1_scorer`.

    Parameters
    ----------
    loss : {"ce", "cs", "bs", "cb_focal", "ib", "cdt", "mixup", "decoupling"}, default="ce"
        ``"ce"`` plain cross-entropy (vanilla), ``"cs"`` cost-sensitive CE, ``"bs"`` balanced
        softmax, ``"cb_focal"`` class-balanced focal loss, ``"ib"`` influence-balanced loss,
        ``"cdt"`` class-dependent temperatures, ``"mixup"`` mixup of graph embeddings,
        ``"decoupling"`` classifier re-training on class-balanced batches (with a fresh
        optimiser at the initial learning rate). ``"ib"`` trains with plain cross-entropy until
        half of ``max_epochs``, ``"decoupling"`` until the last fifth, or until validation
        stalls (see ``early_stopping``); the model kept is always from the second phase.
    resample : bool, default=False
        Class-balance the training set as LTDD's reference code does: every sample is kept and
        each class is topped up with draws with replacement to the largest class's count.
        The losses then see classes of equal size, so those that correct for class sizes from
        the training counts have nothing to correct: ``"cs"``, ``"cdt"`` and ``"bs"`` train as
        ``"ce"`` does (the same model; for ``"bs"`` up to float32 rounding of its constant shift
        of the logits), and a grid over ``loss`` × ``resample`` repeats that row.
        An epoch visits n_classes × the largest class's count samples: with a head of 300 and
        200 classes of one, a hundred times the molecules of an epoch without.
    {shared parameters}

    Attributes
    ----------
    {shared attributes}
    history_ : skorch.History
        Per epoch: train/valid loss and the phase (the loss's name; ``"ce"`` in the first phase
        of ``ib`` and ``decoupling``); with a validation set, the epoch's ``valid_ba``,
        ``valid_bf1`` and ``valid_tau`` (its decision's τ), ``valid_ba_best`` and
        ``valid_bf1_best`` (a new best of the final phase), and ``kept``: whether the epoch's
        weights are part of the model kept (set when training ends; all False where
        training ended before an epoch of the final phase was scored: the model is then the
        weights as training left them).
        The last epoch's ``stop`` says why training ended before ``max_epochs``, where it
        did: ``"early stopping"``, ``"diverged"`` or ``"interrupted"`` (Ctrl-C).

    See Also
    --------
    LTDDClassifier : the LTDD method on the same network.

    Examples
    --------
    >>> from sklearn_ltdd import BaselineClassifier
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> clf = BaselineClassifier(loss="bs", max_epochs=3, random_state=0)
    >>> clf.fit(smiles, y).predict(["CCCCCCO", "c1ccccc1CCC"]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "loss": [StrOptions(set(BASELINE_LOSSES)), Hidden(StrOptions({"ltdd"}))],  # (refused in fit, told)
        "resample": ["boolean"],
        **GraphClassifier._parameter_constraints,
    }

    def __init__(
        self,
        *,
        loss: str = "ce",
        resample: bool = False,
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
        self.loss = loss
        self.resample = resample

    def _loss(self) -> tuple[str, dict]:
        return self.loss, {}

    @classmethod
    def _moved_parameter(cls, name: str, value: object) -> str | None:
        if name not in cls._get_param_names() and name in LTDD_PARAMETERS:
            return "it is LTDD's; BaselineClassifier trains the paper's baselines, LTDDClassifier LTDD"
        return super()._moved_parameter(name, value)

    def _check_method(self) -> None:
        if self.loss == "ltdd":
            raise ValueError(
                "loss='ltdd' is LTDD, which needs its own training (two views, sub-clusters, their "
                f"schedule): use LTDDClassifier. BaselineClassifier's losses are {sorted(BASELINE_LOSSES)}."
            )
        if self.loss in TWO_PHASE_LOSSES and self.max_epochs < 2:
            raise ValueError(
                f"loss={self.loss!r} trains in two phases, cross-entropy first; max_epochs="
                f"{self.max_epochs} leaves the first phase no epoch, so the second would start from an "
                "untrained network. Give max_epochs=2 or more."
            )

    def _phases(self, patience: int | None) -> Phases:
        """One phase, or for ``ib`` and ``decoupling`` a cross-entropy phase first, which ends at
        the latest at half-time (``ib``) or with a fifth left (``decoupling``), or when
        validation has not improved for ``patience`` epochs."""
        if self.loss == "ib":
            first = Phase("ce", epochs=self.max_epochs // 2)
            return Phases([first, Phase("ib")], patience)
        if self.loss == "decoupling":
            first = Phase("ce", epochs=self.max_epochs - max(1, self.max_epochs // 5))
            return Phases([first, Phase("decoupling", retrain_head=True)], patience)
        return Phases([Phase(self.loss)])

    def _resample(self) -> bool:
        return self.resample
