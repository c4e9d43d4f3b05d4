"""The skorch net of both graph classifiers: skorch's own training and validation steps, the
estimator's criterion.

In training the module augments (LTDD's views) and returns the embeddings; the estimator's
criterion applies the head and turns them into the loss, to which the fingerprint's wide expert,
when there is one (a second output in training), adds its own class-balanced cross-entropy.
Batches come from device-resident graph stores, and skorch's ``to_tensor`` moves anything that
is not there yet. Nothing in a step waits for the device: the batch losses are read back once per
pass (skorch reads each one as it comes), and a validation pass whose scores nothing would read
(before the head trains) is skipped.
"""

from __future__ import annotations

import math
import sys
from functools import partial

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import LRScheduler, PrintLog, ProgressBar
from skorch.dataset import get_len
from skorch.utils import Ansi, to_tensor
from tabulate import tabulate

from .._console import say
from .._warnings import warn
from ..featurize import GraphStore, GraphStorePair
from ..featurize._graph_store import check_finite_features
from ..nn.losses import balanced_cross_entropy, weighted_mean
from ._data import FEWEST_INFERRED, GraphDataset, padded

__all__ = [
    "INFERENCE_BATCH",
    "EpochLRScheduler",
    "EpochProgressBar",
    "InferenceOutOfMemoryError",
    "LTDDNet",
    "StopTraining",
    "inference_batch",
    "softmax",
]

#: graphs per batch of the passes that only infer (validation, re-clustering's embedding, predict,
#: transform), by device type: in eval mode BatchNorm does not depend on the batch, and on a GPU
#: larger batches cost fewer launches per graph; on the CPU 512 was fastest (128 to 2048 measured,
#: docs/benchmarks.md)
INFERENCE_BATCH = {"cpu": 512, "cuda": 4096}


def inference_batch(device: str | torch.device) -> int:
    """The batch of the inference passes on ``device``."""
    return INFERENCE_BATCH.get(torch.device(device).type, INFERENCE_BATCH["cuda"])


def softmax(logits: torch.Tensor) -> torch.Tensor:
    """``predict_proba``'s non-linearity (a module-level function, so that nets pickle)."""
    return torch.softmax(logits, dim=1)


class InferenceOutOfMemoryError(torch.cuda.OutOfMemoryError):
    """A pass that only infers ran out of the device's memory at one graph a batch."""


class StopTraining(KeyboardInterrupt):
    """How this package's callbacks end training early. skorch ends training on any
    KeyboardInterrupt, and a plain one is the user's Ctrl-C."""


class EpochProgressBar(ProgressBar):
    """skorch's bar of an epoch's batches (``verbose=2``), closed where Ctrl-C ends training in
    the middle of an epoch too: skorch closes it at an epoch's end only, and the model kept held
    an open bar, each later one drawn a line lower."""

    def on_train_end(self, net, **kwargs) -> None:
        if (bar := getattr(self, "pbar_", None)) is not None:
            bar.close()  # (closing one closed at its epoch's end does nothing)


_LR_FORMAT = ".3e"


def _column_rank(header: str) -> int:
    """Where a column of the epoch table goes (skorch orders them by name, with the phase among
    the losses): the epoch and its phase, the training loss and its terms, what else training
    logged, the validation's, then skorch's learning rate and duration."""
    if header in ("epoch", "phase", "train_loss"):
        return ("epoch", "phase", "train_loss").index(header)
    if header in ("lr", "dur"):
        return 6 + (header == "dur")
    if header.startswith("valid_"):
        return 5
    return 3 if header.endswith("_loss") else 4


class PlainPrintLog(PrintLog):
    """skorch's per-epoch table, coloured only on a terminal: logs and CI get plain text; the
    learning rate in scientific notation; the phase's column as wide as the fit's longest phase
    name (skorch sizes each row on its own: ``decoupling`` after ``ce`` went out of line); columns
    in the order of :func:`_column_rank`; a value the epoch did not compute (a loss term of a phase
    to come, the validation of a warm-up) a dash: skorch's ``nan`` read as a fit that diverged."""

    # say, not print: skorch flushes the standard output after print, at any verbose, and there may
    # be none (pythonw's None, a logger's writer without flush)
    def __init__(self, keys_ignored=None, sink=say, tablefmt="simple", floatfmt=".4f", stralign="right"):
        super().__init__(
            keys_ignored=keys_ignored, sink=sink, tablefmt=tablefmt, floatfmt=floatfmt, stralign=stralign
        )

    def on_epoch_end(self, net, **kwargs) -> None:
        if net.verbose:  # (skorch calls a sink other than print whatever verbose says)
            super().on_epoch_end(net, **kwargs)

    def on_train_begin(self, net, **kwargs) -> None:
        phases = dict(net.callbacks_).get("phases")
        self.phase_width_ = max(len(phase.name) for phase in phases.phases) if phases else 0

    def format_row(self, row, key, color):
        if key == "event_lr" and isinstance(row[key], float):  # (skorch's "lr" column)
            # three digits in a fixed width: with four decimals a decaying 1e-3 read 0.0010 in
            # every row, and 1e-5 read 0.0000
            return f"{row[key]:{_LR_FORMAT}}"
        if isinstance(row[key], float) and math.isnan(row[key]):  # (a diverged fit raises instead)
            return "-"
        text = super().format_row(row, key, color)
        terminal = getattr(sys.stdout, "isatty", lambda: False)()
        if isinstance(text, str) and not terminal:
            text = text.replace(color, "").replace(Ansi.ENDC.value, "")
        return text

    def table(self, row) -> str:
        # tabulate reads the formatted numbers again, with one format for every column unless told
        columns = sorted(self._yield_keys_formatted(row), key=lambda column: _column_rank(column[0]))
        headers, formatted = zip(*columns, strict=True)
        width = getattr(self, "phase_width_", 0)
        headers = [header.rjust(width) if header == "phase" else header for header in headers]
        formats = [_LR_FORMAT if header == "lr" else self.floatfmt for header in headers]
        return tabulate(
            [formatted], headers=headers, tablefmt=self.tablefmt, floatfmt=formats, stralign=self.stralign
        )


def _record_losses(entries: list[dict], losses: list[torch.Tensor], prefix: str) -> list[float]:
    """Each batch's loss into its history entry, read from the device at once; the losses."""
    values = torch.stack(losses).tolist() if losses else []
    for entry, loss in zip(entries, values, strict=True):
        entry[f"{prefix}_loss"] = loss
    return values


def _named(X: object) -> str:
    """What ``X`` is, in a few words: its type, and a list's or tuple's first item's."""
    if isinstance(X, list | tuple) and X:
        return f"a {type(X).__name__} of {type(X[0]).__name__}"
    return f"a {type(X).__name__}"


class LTDDNet(NeuralNet):
    """skorch ``NeuralNet`` whose criterion also sees the embeddings and the classifier head."""

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's parameter groups with the network's own first: skorch puts the groups that
        ``optimizer__param_groups`` names (the wide expert's) before it, and the learning rate
        skorch records in the history is the first group's."""
        (groups,), kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        return (groups[-1:] + groups[:-1],), kwargs

    def get_dataset(self, X, y=None):
        """skorch's dataset of ``X``: the classifier's own :class:`GraphDataset` as it is, and graphs
        (``net_.predict_proba(graphs)``, ``net_.forward(graphs)``) wrapped in one; anything else is
        refused, where skorch would fail inside a batch."""
        if isinstance(X, GraphDataset):
            return super().get_dataset(X, y)
        if not isinstance(X, GraphStore | GraphStorePair):
            raise TypeError(
                f"the skorch net reads graphs (a GraphStore from SmilesGraphizer), not {_named(X)}; "
                "for SMILES, call the classifier's predict_proba, predict or transform."
            )
        check_finite_features(X)  # (as the classifier checks what it is handed)
        return GraphDataset(X).to(self.device)

    def fit(self, X, y=None, **fit_params):
        """skorch's fit, for the classifier's own datasets only: its labels are the classifier's
        codes and its decision the classifier's (graphs alone would train on labels of zeros)."""
        self._refuse_to_train_on(X)
        return super().fit(X, y, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's partial_fit, for the classifier's own datasets only (as :meth:`fit`)."""
        self._refuse_to_train_on(X)
        return super().partial_fit(X, y, classes=classes, **fit_params)

    def set_params(self, **kwargs: object) -> LTDDNet:
        """skorch's, refusing by name on a fitted classifier's net what skorch would rebuild: the
        network (``module*``, ``compile*``: new random weights, even for the value it has) or the
        criterion with an optimiser (``criterion*``), while the history kept showing the training."""
        rebuilt = sorted(
            name for name in kwargs if name.split("__")[0] in (*self._modules, *self._criteria, "compile")
        )
        if rebuilt and self._fitted():
            raise TypeError(
                f"{rebuilt} would have skorch rebuild the trained net's parts (the network with new "
                "random weights, or the criterion and an optimiser); set the classifier's parameters "
                "(hidden, n_layers, ...) and fit it again."
            )
        return super().set_params(**kwargs)

    def _fitted(self) -> bool:
        """Whether this is a fitted classifier's net: initialised, its optimiser dropped."""
        return getattr(self, "initialized_", False) and getattr(self, "optimizer_", None) is None

    def _apply_virtual_params(self, virtual_kwargs):
        """skorch's setting of the optimiser's parameters (``lr``, ``optimizer__*``), refused by
        name on a fitted classifier's net, which keeps no optimiser (skorch would set the attribute,
        then fail on the optimiser it reaches for)."""
        if virtual_kwargs and self._fitted():
            raise TypeError(
                f"{sorted(virtual_kwargs)} set the optimiser, which a fitted classifier's net_ no longer "
                "has (it is dropped after training); set them on the classifier and fit it again."
            )
        super()._apply_virtual_params(virtual_kwargs)

    @staticmethod
    def _refuse_to_train_on(X: object) -> None:
        if not isinstance(X, GraphDataset):  # (before skorch re-initialises the trained network)
            raise TypeError("the skorch net is trained by the classifier's fit: call that instead.")

    @property
    def _default_callbacks(self):  # (which get_params reads too, not get_default_callbacks)
        return [(name, PlainPrintLog() if name == "print_log" else callback)
                for name, callback in super()._default_callbacks]  # fmt: skip

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, which records in the last epoch's ``stop`` an interrupt by the user
        (skorch ends training there as if it had finished)."""
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except StopTraining:
            raise
        except KeyboardInterrupt:
            if len(self.history):
                self.history.record("stop", "interrupted")
                self._complete_the_last_row()
            raise
        except Exception:  # skorch ends training (on_train_end) after Ctrl-C, not after an error
            if (bar := dict(self.callbacks_).get("progress")) is not None:
                bar.on_train_end(self)  # (its bar left open, every later one was drawn a line lower)
            raise

    def _complete_the_last_row(self) -> None:
        """Give an epoch that did not end the columns of the one before, or a first epoch the
        documented ones (NaN, False for flags, None for the rest), so that every row of the
        history has the same columns: skorch's ``history[:, key]`` leaves out the rows without
        ``key``, which would misalign two columns."""
        last = self.history[-1]
        before = self.history[-2] if len(self.history) > 1 else self._first_row_columns()
        for key, value in before.items():
            if key not in last:
                missing = (
                    False if isinstance(value, bool) else math.nan if isinstance(value, int | float) else None
                )
                self.history.record(key, missing)

    def _first_row_columns(self) -> dict:
        """The documented columns a first epoch that did not end lacks, with no row before it to
        show them: the losses (LTDD's terms too) and, with a validation set, its scores."""
        columns, callbacks = {"train_loss": math.nan}, dict(self.callbacks_)
        if "loss_terms" in callbacks:
            # the terms the pass recorded (wide_loss with the fingerprint) and those it would have
            columns |= dict.fromkeys((*self.criterion_.TERMS, *self.criterion_.totals), math.nan)
        if "valid_scores" in callbacks:
            columns |= dict.fromkeys(("valid_loss", "valid_ba", "valid_bf1", "valid_tau"), math.nan)
            columns |= dict.fromkeys(("valid_ba_best", "valid_bf1_best"), False)
        return columns

    def stop(self, reason: str) -> None:
        """End training here, recording why in the last epoch's ``stop`` (an epoch that did not
        end gets the others' columns, as after a Ctrl-C)."""
        self.history.record("stop", reason)
        self._complete_the_last_row()
        raise StopTraining(reason)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params) -> None:
        """skorch's pass over one epoch's batches, with the batch losses read back once at its end
        instead of once per batch, into the same history entries; the validation pass halves its
        batch where the device runs out of memory (:meth:`_halving`)."""
        if iterator is None:
            return
        if not training and not self._validation_read():
            for key, value in ((f"{prefix}_loss", float("nan")), (f"{prefix}_loss_best", False),
                               (f"{prefix}_batch_count", 0)):  # fmt: skip
                self.history.record(key, value)
            return
        entries, losses = [], []

        def one_pass(batches) -> None:
            for batch in batches:
                self.notify("on_batch_begin", batch=batch, training=training)  # a new history entry
                entries.append(self.history[-1]["batches"][-1])
                step = step_fn(batch, **fit_params)
                losses.append(step["loss"].detach())
                self.history.record_batch(f"{prefix}_batch_size", get_len(batch[0]))
                self.notify("on_batch_end", batch=batch, training=training, **step)

        try:
            if training:
                one_pass(iterator)
            else:  # (skorch builds its iterator once per fit: a batch halved since is taken here)
                size = min(self.iterator_valid__batch_size, iterator.batch_size, len(iterator.dataset) or 1)
                self._halving(partial(self._validation_pass, one_pass, iterator, entries, losses), size)
        except KeyboardInterrupt:  # the batches that ended keep their losses, as in skorch
            _record_losses(entries[: len(losses)], losses, prefix)
            raise
        values = _record_losses(entries, losses, prefix)
        bad = [i for i, loss in enumerate(values) if not math.isfinite(loss)]
        if training and bad:  # the outputs would be NaN, and every prediction the first class
            self.diverged(
                f"training diverged: the loss of {len(bad)} of {len(values)} batches of epoch "
                f"{self.history[-1, 'epoch']} is not finite (batch {bad[0]}: {values[bad[0]]})"
            )
        self.history.record(f"{prefix}_batch_count", len(losses))

    def _validation_pass(self, one_pass, iterator, entries: list, losses: list, size: int) -> None:
        """``one_pass`` over the validation batches of ``size`` graphs; one that runs out of the
        device's memory leaves nothing of itself (its history entries, its outputs in the scores)."""
        # skorch's own iterator where its batches are these (a set smaller than a batch: one)
        same = size == min(iterator.batch_size, len(iterator.dataset))
        try:
            one_pass(iterator if same else self._loader(iterator.dataset, size))
        except torch.cuda.OutOfMemoryError:
            batches = self.history[-1]["batches"]
            batches[:] = [batch for batch in batches if not any(batch is entry for entry in entries)]
            entries.clear()
            losses.clear()
            if (scores := dict(self.callbacks_).get("valid_scores")) is not None:
                scores.discard_pass()
            raise

    def diverged(self, message: str) -> None:
        """End a training that has diverged: where an epoch of the final phase has been scored,
        as early stopping does (the best epoch so far is kept, alone), with a warning;
        otherwise with an error."""
        advice = self.what_to_change()
        scores = dict(self.callbacks_).get("valid_scores")
        if scores is not None and scores.best_[0] > -math.inf:
            if (kept := dict(self.callbacks_).get("kept")) is not None:
                kept.keep_best_only()
            warn(
                f"{message}; training stops here and keeps the model from its best epoch so far "
                f"({advice} to train on).",
                RuntimeWarning,
            )
            self.stop("diverged")
        raise ValueError(f"{message}; {advice}.")

    def what_to_change(self) -> str:
        """The way out of a divergence: a lower learning rate (and weight decay, where it is large
        enough to be at fault), and what the loss advises of its own parameters (LTDD's: a
        temperature near zero, a huge weight)."""
        lower_lr = f"lower lr (lr={self.lr:g})"
        decay = getattr(self, "optimizer__weight_decay", 0.0)
        # Adam's step is bounded by lr, but its second moment holds (decay·w)², which overflows
        # float32 (3.4e38) once decay·|w| passes 1.8e19 (1e-4 to 1e-2 is the usual decay)
        if decay >= 1e18:
            lower_lr += f" or weight_decay (weight_decay={decay:g})"
        advice = self.criterion_.divergence_advice()
        return f"{lower_lr}, or {advice}" if advice else lower_lr

    def _validation_read(self) -> bool:
        """Whether this epoch's validation scores can be used: not before the head trains."""
        phases = dict(self.callbacks_).get("phases")
        return phases is None or phases.current.trains_head

    def get_loss(self, y_pred, y_true, X=None, training=False) -> torch.Tensor:
        y_true = to_tensor(y_true, device=self.device)
        if not training:  # validation loss: plain cross-entropy of the clean graphs
            return weighted_mean(F.cross_entropy(y_pred[0], y_true["y"], reduction="none"), y_true["weight"])
        loss = self.criterion_(y_pred[:1], y_true, head=self.module_.head)
        if len(y_pred) == 2:  # the wide expert: the fingerprint's class-balanced logistic regression
            wide = balanced_cross_entropy(y_pred[1], y_true["y"], self.criterion_.class_counts)
            wide = weighted_mean(wide, y_true["weight"])
            self.criterion_.record_term("wide_loss", wide, len(y_true["y"]))
            loss = loss + wide
        return loss

    def infer_dataset(self, dataset: GraphDataset, output: int) -> torch.Tensor:
        """One of the eval-mode network's outputs (0: the logits, 1: the embeddings) for every graph
        of ``dataset``, batch by batch, concatenated on the net's device; halved batches where the
        device runs out of memory (:meth:`_halving`). On the CPU no batch holds fewer than
        :data:`FEWEST_INFERRED` graphs (:func:`padded`); CUDA, whose sums are not bit for bit
        anyway, infers no copies, which would count against its memory."""
        fewest = FEWEST_INFERRED if torch.device(self.device).type == "cpu" else 1

        def one_pass(size: int) -> torch.Tensor:
            batches = self._loader(padded(dataset, size, fewest), size)
            outputs = [self.evaluation_step(batch, training=False)[output] for batch in batches]
            return torch.cat(outputs)[: len(dataset)]

        return self._halving(one_pass, min(self.iterator_valid__batch_size, max(len(dataset), fewest)))

    def _loader(self, dataset: GraphDataset, size: int):
        """skorch's validation iterator over ``dataset`` with batches of ``size`` graphs."""
        return self.iterator_valid(dataset, **{**self.get_params_for("iterator_valid"), "batch_size": size})

    def _halving(self, one_pass, size: int):
        """``one_pass(size)``, run again with half the batch where the device runs out of memory
        (large molecules on a small GPU), with a warning, down to one graph; the net keeps the
        smaller batch for its later inference passes once a pass has succeeded."""
        halved, generator = False, torch.random.get_rng_state()
        while True:
            try:
                result = one_pass(size)
                break
            except torch.cuda.OutOfMemoryError as error:
                if size <= 1:
                    raise InferenceOutOfMemoryError(
                        f"the {self.device} device ran out of memory inferring one graph at a time: a "
                        f"molecule too large for it, or its memory held by something else. Infer on "
                        f"the CPU: load the saved model where CUDA is hidden (CUDA_VISIBLE_DEVICES=''), "
                        f"or fit with device='cpu'. torch: {error}"
                    ) from error
            # out of the except block, whose traceback held the failed pass's tensors
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            warn(
                f"the {self.device} device ran out of memory inferring {size} graphs at a time; "
                f"this model now infers {size // 2} at a time",
                RuntimeWarning,
            )
            size, halved = size // 2, True
            # a DataLoader draws its seed from torch's generator: a failed pass must not move it
            torch.random.set_rng_state(generator)
        if halved:  # (the smaller, where another thread's prediction halved it meanwhile)
            self.iterator_valid__batch_size = min(self.iterator_valid__batch_size, size)
        return result

    def embed_dataset(self, dataset) -> torch.Tensor:
        """Unit embeddings of clean graphs, module in eval mode, on the net's device."""
        return F.normalize(self.infer_dataset(dataset, 1), dim=1)


class EpochLRScheduler(LRScheduler):
    """skorch's LRScheduler without its torch scheduler in pickles: that scheduler holds the
    optimizer, whose tensors would then be pickled outside skorch's device mapping (skorch issue
    #1096), and a model trained on CUDA would not load without it. It is rebuilt at the start of
    every fit."""

    def __getstate__(self) -> dict:
        return {**self.__dict__, "lr_scheduler_": None}
