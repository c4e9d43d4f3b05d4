"""What LTDDClassifier and BaselineClassifier share: SMILES in, labels out, one network, one
training loop (skorch), one model selection and one decision. Each estimator adds its method: the
loss it trains with, its phases, and the callbacks that only it needs."""

from __future__ import annotations

import inspect
import sys
import traceback
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from skorch.helper import predefined_split
from skorch.history import History

from .._compat import RANDOM_STATE, Interval, StrOptions, _fit_context, from_arrow, numpy_only
from .._console import say
from .._labels import warn_of_look_alike_classes
from .._progress import can_draw_bars, make_tqdm_lock, widget_bars
from .._torch_state import torch_defaults
from .._warnings import warn
from ..featurize import (
    GraphStore,
    GraphStorePair,
    InvalidSmilesError,
    SmilesGraphizer,
    UnmappedReactionError,
    check_graphs_match,
)
from ..featurize._atom_mapping import ATOM_MAPPERS
from ..featurize._cgr import GRAPH_REACTION_MODES
from ..featurize._errors import rows_named_by_index
from ..featurize._graph_features import FEATURE_SCHEMA
from ..featurize._input import check_column_name, check_smiles
from ..featurize._versions import check_versions, fitted_versions
from ..nn import ENCODERS, LOSSES, LTDDModule
from ._data import GraphDataset, TrainingSampler, collate_graphs, oversample
from ._decision import best_tau, log_prior, tau_search
from ._device import resolve_device, seeded_torch
from ._estimator_lock import estimator_lock
from ._inference import Inference
from ._inputs import (
    FIT_ADVICE,
    check_graphs_readable,
    check_known,
    check_labels,
    check_widths,
    count_rows,
    mean_1,
    training_weights,
    warn_of_one_sample_classes,
    weighted_samples,
    widths,
)
from ._net import (
    EpochLRScheduler,
    EpochProgressBar,
    InferenceOutOfMemoryError,
    LTDDNet,
    inference_batch,
    softmax,
)
from ._phases import Phases
from ._selection import EarlyStoppingAfter, MeanFromBestEpoch, ValidationScores
from ._validation import (
    holdout,
    unpack_validation_data,
    warn_if_diverged,
    warn_of_classes_missing,
    warn_of_training_molecules,
)

__all__ = ["GraphClassifier"]

#: the fingerprint's wide expert learns at this multiple of ``lr``: at the network's own rate the
#: logistic regression of 2,048 bits ends the fit under-trained (docs/results.md, the wide expert).
#: Its own Adam parameter group: skorch's ``set_params(lr=...)`` on a built net would set every
#: group to one rate, which is why a new ``lr`` waits for the next fit, which builds a new net.
WIDE_LR_FACTOR = 10

#: the fitted attributes that prediction and transform read and that a saved model must hold (the
#: featuriser and the device are made again where they are missing, the versions only compared)
_PREDICTS_WITH = ("classes_", "class_log_prior_", "logit_adjustment_", "feature_schema_",
                  "n_node_features_", "_n_features_out")  # fmt: skip


#: what a skorch user may pass, and what sets it here (also for ``module__hidden`` and the like)
_SKORCH_EQUIVALENTS = {
    "module": "the network is set by encoder, hidden, n_layers and fingerprint",
    "criterion": "the loss is the method's (LTDDClassifier: contrast, schedule; BaselineClassifier: loss)",
    "optimizer": "the optimiser is Adam, set by lr, weight_decay and lr_gamma",
    "iterator_train": "batch_size sets the batches, cut in this process from graphs held in memory",
    "iterator_valid": "batch_size sets the batches, cut in this process from graphs held in memory",
    "classes": "the classes are those of fit's y",
    "dataset": "X is SMILES, or graphs from SmilesGraphizer",
    "train_split": "validation_fraction, or fit's validation_data, sets the validation set",
    "callbacks": "early_stopping and verbose set the training's own callbacks",
    "predict_nonlinearity": "predict_proba gives probabilities",
    "warm_start": "each fit starts afresh",
    "compile": "the network is not compiled",
    "use_caching": "there is nothing to cache",
    "torch_load_kwargs": "joblib or pickle loads a fitted classifier",
}


class GraphClassifier(
    Inference, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator, metaclass=ABCMeta
):
    """The parts every graph classifier of this package shares (abstract: one subclass per method).

    A subclass is one training method. It stores its own parameters next to the shared ones and
    says what its method is: :meth:`_loss` (a name in ``LOSSES`` and the criterion's own
    parameters), :meth:`_phases`, :meth:`_method_callbacks`, :meth:`_edge_drop` (LTDD's views,
    or None for clean graphs), :meth:`_resample` and :meth:`_check_method`; and
    :meth:`_moved_parameter` where it has parameters that have moved into option objects.
    """

    if TYPE_CHECKING:  # the fitted attributes' types, which checkers cannot infer from untyped sklearn
        classes_: np.ndarray
        class_log_prior_: np.ndarray
        logit_adjustment_: float
        validation_score_: float | None
        history_: History
        device_: str
        net_: LTDDNet
        graphizer_: SmilesGraphizer
        n_node_features_: int
        feature_schema_: int
        versions_: dict[str, str]

    _parameter_constraints: dict = {
        "reaction_mode": [None, StrOptions(set(GRAPH_REACTION_MODES))],
        "atom_mapper": [None, StrOptions(set(ATOM_MAPPERS)), callable],
        "encoder": [StrOptions(set(ENCODERS))],
        "fingerprint": [None, StrOptions({"morgan"})],
        "hidden": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        # torch's sampler counts batches in a C integer
        "batch_size": [Interval(Integral, 2, sys.maxsize, closed="both")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, 1, closed="right")],
        "decision": [StrOptions({"logit_adjusted", "argmax"})],
        "average_from_best": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": [None, Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "verbose": ["verbose"],
        "random_state": RANDOM_STATE,
    }

    def __init__(
        self,
        *,
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
        self.reaction_mode = reaction_mode
        self.atom_mapper = atom_mapper
        self.encoder = encoder
        self.fingerprint = fingerprint
        self.hidden = hidden
        self.n_layers = n_layers
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_gamma = lr_gamma
        self.decision = decision
        self.average_from_best = average_from_best
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def __new__(cls, *args, **kwargs):
        # here, not in __init__, which sklearn wants free of checks
        cls._refuse_moved(kwargs)
        return super().__new__(cls)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # with __new__ defined, Python would report (*args, **kwargs), and sklearn reads the
        # parameters from the class's signature
        signature = inspect.signature(cls.__init__)
        cls.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])

    @classmethod
    def _moved_parameter(cls, name: str, value: object) -> str | None:
        """Where a parameter of an earlier release, or one of skorch's nets, went (None for other
        names)."""
        if name == "ema_epochs":
            return (
                "the moving average of the weights gave way to the mean of the weights from the best "
                "epoch on; use average_from_best (default True; False keeps the best epoch)"
            )
        if name in _SKORCH_EQUIVALENTS and name not in cls._get_param_names():
            return (
                f"it is a parameter of skorch's NeuralNet, which this classifier builds itself for each "
                f"fit (the fitted one is net_); {_SKORCH_EQUIVALENTS[name]}"
            )
        return None

    @classmethod
    def _refuse_moved(cls, params: dict) -> None:
        """A parameter of an earlier release gets an error that says where it went, not Python's
        plain "unexpected keyword argument"."""
        for name, value in params.items():
            top, nested, _ = name.partition("__")  # (schedule__weighting: a parameter of schedule)
            if advice := cls._moved_parameter(top, None if nested else value):
                raise TypeError(f"{cls.__name__} has no parameter {name!r}: {advice}.")

    def set_params(self, **params: object) -> Self:
        """Set parameters, as sklearn's ``set_params``, but every name checked before anything
        changes; one of an earlier release is refused with where it went. ``option__name`` (e.g.
        LTDDClassifier's ``schedule__weighting``) also works while the option is None, on a
        default option object.

        Parameters
        ----------
        **params : dict
            Parameter names and their new values; ``option__name`` sets one field of an option object.

        Returns
        -------
        self : estimator
            The estimator, with the new parameters.
        """
        self._refuse_moved(params)
        self._check_names(params)
        return super().set_params(**self._with_default_options(params))

    #: the option objects whose fields ``option__name`` sets while the option is None, on a default
    _DEFAULT_OPTIONS: dict[str, type] = {}

    def _with_default_options(self, params: dict) -> dict:
        """``params`` with a default option object wherever a field of an option is set while the
        option is None: in ``params`` (set to None in the same call), or on the estimator, where
        the default is set now (the names are checked: nothing else changes before sklearn sets)."""
        for option, default in self._DEFAULT_OPTIONS.items():
            if not any(name.startswith(f"{option}__") for name in params):
                continue
            if option in params:
                if params[option] is None:
                    params = {**params, option: default()}
            elif getattr(self, option) is None:
                setattr(self, option, default())
        return params

    def _check_names(self, params: dict) -> None:
        """Every name checked before anything changes: sklearn's ``set_params`` sets the names it
        meets until it meets an unknown one, which would leave half a call's changes behind."""
        valid = self._get_param_names()
        for name in params:
            top, nests, nested = name.partition("__")
            if top not in valid:
                raise ValueError(
                    f"Invalid parameter {top!r} for estimator {self}. Valid parameters are: {valid!r}."
                )
            if not nests:
                continue
            target = params[top] if top in params else getattr(self, top)
            if target is None and top in self._DEFAULT_OPTIONS:
                target = self._DEFAULT_OPTIONS[top]()
            if not hasattr(target, "get_params"):
                raise ValueError(f"{top!r} is {target!r}, not an estimator: {name!r} sets nothing.")
            known = target.get_params(deep=True)
            if nested not in known:
                raise ValueError(
                    f"Invalid parameter {nested!r} for estimator {target}. "
                    f"Valid parameters are: {sorted(known)!r}."
                )

    # ---- what a method says about itself ----------------------------------------------------
    @abstractmethod
    def _loss(self) -> tuple[str, dict]:
        """The name of the training loss in ``LOSSES`` and its criterion's own parameters."""

    @abstractmethod
    def _phases(self, patience: int | None) -> Phases:
        """The method's phases; ``patience`` ends a phase early where the method allows it."""

    def _method_callbacks(self, phases: Phases, seed: int | None) -> list[tuple[str, object]]:
        """Callbacks only this method needs, run after the phases and before the scheduler."""
        return []

    def _edge_drop(self) -> tuple[float, float] | None:
        """Edge-drop probabilities of the training views, or None to train on clean graphs."""
        return None

    @abstractmethod
    def _resample(self) -> bool:
        """Whether an epoch visits a class-balanced resampling of the training set."""

    def _check_method(self) -> None:
        """Checks of the method's parameters beyond their types, run first in ``fit``."""

    # ---- input handling -------------------------------------------------------------------
    def _featurizer_of_params(self) -> SmilesGraphizer:
        """The featuriser the parameters ask for; ``fit`` keeps it as ``graphizer_``."""
        return SmilesGraphizer(
            reaction_mode=self.reaction_mode,
            atom_mapper=self.atom_mapper,
            bond_features=ENCODERS[self.encoder].reads_bonds,
            fingerprint=self.fingerprint,
        )

    def _graphizer(self, errors: str = "raise") -> SmilesGraphizer:
        """A fresh copy of the fit's featuriser: predict makes the graphs the network was trained on,
        whatever parameters were set after fit."""
        # not clone(): its deep copy would make a mapper object a new one, unknown to the map cache
        return SmilesGraphizer(**{**self.graphizer_.get_params(deep=False), "errors": errors})

    def _graphs(self, X: object, fitting: bool = False) -> GraphStore | GraphStorePair:
        """SMILES → graphs, or graphs passed through (e.g. from a SmilesGraphizer in a Pipeline),
        checked against the fit's featuriser; ``fitting``: X is the training set of a fit."""
        featurizer = self.graphizer_
        if isinstance(X, GraphStore | GraphStorePair):
            graphs = X
            # the recipe tells graphs of one shape apart ("products" from "reaction", old features);
            # the bond features and fingerprint the model reads are checked on the data below
            try:
                check_graphs_match(graphs, reaction_mode=featurizer.reaction_mode)
            except ValueError as error:
                given = getattr(graphs.recipe, "reaction_mode", featurizer.reaction_mode)
                if given == featurizer.reaction_mode:
                    raise
                # in a Pipeline, the graphizer's setting is most often the one meant; a fitted
                # model (and a fit's validation set) reads the graphs of the fit's setting only
                remedy = (
                    f"give this {type(self).__name__} reaction_mode={given!r} (its featuriser's must "
                    "match the graphs')"
                    if fitting
                    else f"fit a model with reaction_mode={given!r} on such graphs (this one reads "
                    f"graphs made with reaction_mode={featurizer.reaction_mode!r}, as its training set was)"
                )
                raise ValueError(f"{error}\nOr, to read these graphs, {remedy}.") from None
        else:
            try:  # the rows by position here: the caller names them by X's index
                rows = check_smiles(from_arrow(X))
                if fitting and self.verbose:  # a large set's first minute, before any epoch's line
                    say(f"{type(self).__name__}: featurising {len(rows):,} SMILES")
                graphs = self._graphizer().fit_transform(rows)
            except UnmappedReactionError as error:  # its advice is the graphizer's errors='ignore'
                raise self._invalid_input_error(error.bad_rows, FIT_ADVICE, fitted=False) from None
        check_graphs_readable(graphs, featurizer)
        return graphs

    # ---- fit -------------------------------------------------------------------------------
    @numpy_only  # labels and weights as numpy's under sklearn's array_api_dispatch: classes_ are numpy's
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike | GraphStore | GraphStorePair,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        validation_data: tuple[Any, ...] | list[Any] | None = None,
    ) -> Self:
        """Train on SMILES (or graphs) X with labels y.

        A fit that raises (bad input, a training that fails) leaves the estimator as it was: a
        fitted model keeps predicting as before, an unfitted one stays unfitted. An interrupted
        training (Ctrl-C) raises KeyboardInterrupt too, so that a loop of fits (cross-validation,
        a search) stops, but the estimator keeps what it had trained (the model kept so far, the
        mean from the best epoch, where one was scored, and τ), complete and usable, unless no
        epoch of the method's final phase had trained (in LTDD's warm-up, in ``loss="ib"``'s
        cross-entropy start, or before ``loss="decoupling"``'s re-initialised head had trained an
        epoch): then it stays as it was. Ctrl-C outside the training (featurising, the closing
        pass that chooses τ) leaves the estimator as it was.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            SMILES (or reaction SMILES, with ``reaction_mode``), or graphs made by a
            :class:`~sklearn_ltdd.SmilesGraphizer` of the same settings.
        y : array-like of shape (n_samples,)
            Class labels, of any type sklearn takes (strings, integers, booleans); required
            (a missing y is refused naming this estimator, not Python's base class of it).
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplies each sample's cross-entropy term (the contrastive terms are not
            weighted). A sample of weight 0 is left out of the fit, as in scikit-learn: the
            hold-out, the class sizes and the sub-clusters never see it. A class whose samples
            all weigh 0 is not trained on (with a warning) but stays in ``classes_``, as in
            scikit-learn: its probability is 0, it is never predicted, and its prior in
            ``class_log_prior_`` is −inf. The hold-out's
            samples count with their weights in the validation scores that choose the epochs
            kept and τ. The class prior that ``decision="logit_adjusted"`` takes out is the
            weighted class mass, so weights that favour a class raise its prior as well and
            move ``predict`` little; to favour a class in the decision, use
            ``decision="argmax"`` with the weights. (Not so, without a validation set, for the
            baselines whose τ is then 0, ``decoupling``, and ``cs``, ``bs``, ``cb_focal``, ``cdt``
            and ``ib`` without ``resample``: they balance class sizes, not weights, so weights
            that favour a class move ``predict`` towards it.)
        validation_data : (X_valid, y_valid) or (X_valid, y_valid, sample_weight_valid), default=None
            A validation set to choose the epochs kept (and τ) instead of the internal hold-out;
            its samples weigh 1 unless weights are given. Rows that are training molecules with
            their training labels are counted in a warning. In a Pipeline, give its X as SMILES
            (the classifier featurises them as X) and leave it out of the Pipeline's
            ``transform_input``, which would send its labels through the steps before.

        Returns
        -------
        self : object
            The fitted classifier.

        Raises
        ------
        InvalidSmilesError
            Naming every row of X (or of ``validation_data``'s X) that cannot be featurised,
            and why; a :class:`~sklearn_ltdd.featurize.UnmappedReactionError` where reactions
            only lack the atom maps ``reaction_mode="cgr"`` needs.
        ValueError
            For other bad input (labels, weights, graphs made with other settings), parameters
            that cannot work together, or a training that diverged before an epoch was kept.
        KeyboardInterrupt
            On Ctrl-C; the estimator keeps the model trained so far where an epoch of the
            method's final phase had trained (see above).
        """
        # a fit that fails, at any step, leaves the model as it was: a fitted model stays usable
        # and consistent (its classes_ those of its network), an unfitted one stays unfitted. All
        # under the estimator's lock, the restoring too: a prediction in another thread takes its
        # snapshot (_snapshot) before or after, never of a fit half done
        with estimator_lock(self):
            state = dict(self.__dict__)
            try:
                # trains as it would at torch's defaults, also inside a caller's inference mode
                with torch_defaults(), torch.inference_mode(False):
                    self._fit(X, y, sample_weight, validation_data)
            except BaseException:
                self.__dict__.clear()
                self.__dict__.update(state)
                raise
        if self.verbose:  # once the model is kept: a report that fails to print must not lose it
            self._report()
        if self.history_[-1].get("stop") == "interrupted":  # the model stays: the user stopped it
            raise KeyboardInterrupt(
                f"the fit was interrupted (Ctrl-C) in epoch {len(self.history_)} of max_epochs="
                f"{self.max_epochs}; the estimator keeps the model trained until then, complete and "
                "usable (its history_[-1, 'stop'] is 'interrupted'). A fit starts afresh: fit again to train "
                "all epochs."
            )
        return self

    def fit_transform(
        self, X: ArrayLike | GraphStore | GraphStorePair, y: ArrayLike | None = None, **fit_params: object
    ) -> np.ndarray | pd.DataFrame:
        """Fit on X and y, then :meth:`transform` X: the embedding learned from the labels.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), GraphStore or GraphStorePair
            As in :meth:`fit`.
        y : array-like of shape (n_samples,)
            Class labels; required (None is refused, naming this estimator).
        **fit_params : dict
            ``sample_weight`` and ``validation_data``, as in :meth:`fit`.

        Returns
        -------
        embeddings : ndarray or DataFrame of shape (n_samples, n_features_out)
            As :meth:`transform` gives them (a DataFrame under ``set_output(transform="pandas")``).
        """
        return self.fit(X, y, **fit_params).transform(X)  # (fit refuses y=None, naming this estimator)

    def _fit(self, X, y, sample_weight, validation_data) -> GraphClassifier:
        if y is None:  # (scikit-learn's words, which meta-estimators and its checks know)
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        self._check_method()
        self.graphizer_ = self._featurizer_of_params()
        self.graphizer_._check_settings()
        if self.early_stopping is not None and validation_data is None and self.validation_fraction == 0:
            raise ValueError(
                f"early_stopping={self.early_stopping} needs a validation set, but validation_fraction=0 "
                "and no validation_data were given; set early_stopping=None to train all max_epochs, "
                "or keep a hold-out (validation_fraction > 0, or fit(..., validation_data=(X, y)))."
            )
        # the device, the shapes, graphs given (reading them costs nothing), the labels and the
        # weights before SMILES are featurised, which can take minutes
        self.device_ = resolve_device(self.device)
        n_rows = count_rows(X)
        check_column_name(self, X, reset=True)
        graphs = self._graphs(X, fitting=True) if isinstance(X, GraphStore | GraphStorePair) else None
        y = check_labels(y, n_rows)
        given = LabelEncoder().fit(y).classes_
        kept, y, weights = weighted_samples(y, sample_weight)
        # the classes trained on: those of samples of positive weight (classes_ is set at the end)
        self._encoder = LabelEncoder().fit(y)
        trained = self._encoder.classes_
        weighted_out = np.setdiff1d(given, trained)  # classes whose samples all weigh 0
        if validation_data is not None:
            validation_data = self._validation_labels(validation_data, weighted_out)
        if graphs is None:
            with rows_named_by_index(X):
                graphs = self._graphs(X, fitting=True)
        # graphs without a recipe were built by hand: nothing says SMILES featurise to their features
        made_by_hand = graphs.recipe is None
        if kept is not None:  # (samples of weight 0 are not there)
            graphs = graphs[kept]
        warn_of_look_alike_classes(given)
        codes = self._encoder.transform(y)
        warn_of_one_sample_classes(codes)
        rng = check_random_state(self.random_state)
        seed = None if self.random_state is None else int(rng.randint(2**31 - 1))

        train_idx, valid = self._validation_split(graphs, codes, weights, validation_data, rng)
        if self.verbose:
            held = "no validation set" if valid is None else f"{len(valid):,} to validate on"
            say(f"{type(self).__name__}: {len(train_idx):,} graphs to train on, {held}")
        # the positions one epoch visits; the reference code's resampling tops every class up to the
        # largest with draws with replacement, while clustering still sees each molecule once
        visits = np.arange(len(train_idx))
        if self._resample():
            visits = oversample(visits, codes[train_idx], rng)
        # the class prior the network learns: the class mass of its epochs, sample weights included
        self.class_log_prior_ = log_prior(codes[train_idx][visits], len(trained), weights[train_idx][visits])
        # on the device once per fit: every batch is then a gather there, not a host copy
        train = GraphDataset(graphs[train_idx], codes[train_idx], weights[train_idx]).to(self.device_)
        valid = None if valid is None else valid.to(self.device_)
        del graphs  # training and validation hold copies: the whole set a third time only held memory

        with seeded_torch(seed, self.device_):
            self.net_ = self._build_net(train, visits, valid, seed)
            try:
                self.net_.fit(train, None)
            except InferenceOutOfMemoryError:
                raise  # (its own message: not a training step's)
            except torch.cuda.OutOfMemoryError as error:
                # a notebook keeps the error, and the frames it came through with their locals: the
                # failed network, its optimiser and batches on the device, which the refit needs
                traceback.clear_frames(error.__traceback__)
                del train, valid
                raise torch.cuda.OutOfMemoryError(
                    f"the {self.device_} device ran out of memory in training, whose steps take "
                    f"batch_size={self.batch_size} samples (LTDD: two views of each; a reaction in pair "
                    f"mode: two graphs): lower batch_size or hidden={self.hidden}, or train on the CPU "
                    f"(device='cpu'), which has more memory. torch: {error}"
                ) from error
            self._check_a_model_to_keep()
            # (a DataLoader draws its seed from torch's global generator, so inside the fork)
            self._decide_and_check(valid, train)
        self._keep_only_what_predicts()
        # every class of y, as scikit-learn's classifiers keep them: one whose samples all weigh 0
        # has the prior 0 (log -inf), which the decision and the probabilities read as untrained
        prior, self.class_log_prior_ = self.class_log_prior_, np.full(len(given), -np.inf)
        self.class_log_prior_[np.isin(given, trained)] = prior
        self.classes_ = given
        self.history_ = self.net_.history
        self.n_node_features_ = train.graphs.num_node_features
        self._fitted_on_graphs_made_by_hand = made_by_hand
        self.feature_schema_ = FEATURE_SCHEMA
        self.versions_ = fitted_versions()
        self.n_features_in_ = 1  # one column of SMILES (or one graph per sample)
        sides = 2 if isinstance(train.graphs, GraphStorePair) else 1
        width = int(self.hidden)  # (an int8's product would wrap round)
        self._n_features_out = width * (sides + (self.fingerprint is not None))
        return self

    def _decide_and_check(self, valid: GraphDataset | None, train: GraphDataset) -> None:
        """τ and the validation score of the model kept, from one pass over the validation set, and
        the warning of a collapsed model, read there or, without one, on rows of ``train``; a
        ValueError where the model's outputs there are NaN."""
        checked, which = valid, "validation samples"
        if valid is None:  # rows of the training set show a collapsed model as well
            rows = np.linspace(0, len(train) - 1, min(len(train), 2000)).astype(int)
            checked = GraphDataset(train.graphs[rows], train.y[rows], train.sample_weight[rows])
            which = "training samples checked"
        log_proba = self._log_proba_of(checked)
        if np.isnan(log_proba).any():  # the last steps' doing, which no loss computed before them saw
            raise ValueError(
                f"training diverged: the model's outputs for the {which} are NaN; "
                f"{self.net_.what_to_change()}."
            )
        validated = None if valid is None else log_proba
        self.logit_adjustment_ = self._choose_tau(valid, validated)
        self.validation_score_ = self._validation_score(valid, validated)
        prior, tau = self.class_log_prior_, self.logit_adjustment_
        warn_if_diverged(self._encoder.classes_, checked, log_proba, prior, tau, self.lr, which)

    def _check_a_model_to_keep(self) -> None:
        """skorch ends a fit interrupted by Ctrl-C as if it had finished; one stopped before an
        epoch of the method's final phase has trained (in LTDD's warm-up, in ``ib``'s cross-entropy
        start, or before ``decoupling``'s re-initialised head has trained) has no model of the
        method to keep."""
        phases = dict(self.net_.callbacks_)["phases"].phases
        final, rows = phases[-1], list(self.net_.history)
        # the training pass's batch count is recorded once the pass has ended (NaN in the row of an
        # epoch interrupted before that, so that every row has the same columns)
        if any(row.get("phase") == final.name and row.get("train_batch_count", 0) > 0 for row in rows):
            return
        if final.retrain_head:
            which = f"{final.name!r}, which re-initialises the classifier head"
        elif earlier := [repr(phase.name) for phase in phases[:-1] if phase.epochs]:  # (warm-up 0: none)
            which = f"{final.name!r}, after the {' and '.join(earlier)} phase"
        else:
            which = repr(final.name)
        raise KeyboardInterrupt(
            f"the fit was interrupted in epoch {len(rows)} of max_epochs={self.max_epochs}, before an "
            f"epoch of the method's final phase ({which}) had trained: there is no model of the method "
            "to keep, and the estimator is left as it was."
        )

    def _validation_split(
        self,
        graphs: GraphStore | GraphStorePair,
        codes: np.ndarray,
        weights: np.ndarray,
        validation_data: tuple | None,
        rng: np.random.RandomState,
    ) -> tuple[np.ndarray, GraphDataset | None]:
        """The training positions, and the validation set: given (``validation_data`` as
        :meth:`_validation_labels` checked it), held out of X (its samples scored with their
        weights, as scikit-learn's estimators score theirs), or none."""
        # copies are what the network cannot tell apart: a GCN reads no bond (E and Z are one)
        read = {"bonds": ENCODERS[self.encoder].reads_bonds, "fingerprint": self.fingerprint is not None}
        if validation_data is not None:
            valid = GraphDataset(*self._validation_set(*validation_data))
            check_widths(
                valid.graphs, widths(graphs, read["fingerprint"]), "make validation_data's X as X was made"
            )
            warn_of_training_molecules(graphs, codes, valid, read)
            return np.arange(len(codes)), valid
        if self.validation_fraction == 0:
            return np.arange(len(codes)), None
        train_idx, valid_idx = holdout(
            graphs, codes, float(self.validation_fraction), rng, self.early_stopping, read
        )
        if not len(valid_idx):
            return train_idx, None
        warn_of_classes_missing(self._encoder.classes_, codes[valid_idx], self.decision)
        return train_idx, GraphDataset(graphs[valid_idx], codes[valid_idx], weights[valid_idx])

    def _choose_tau(self, valid: GraphDataset | None, log_proba: np.ndarray | None) -> float:
        """τ of the decision rule: the best for the model kept on validation, whose log-probabilities
        are ``log_proba``; without validation, 1 (the Bayes rule for balanced error), or 0 for losses
        whose training already takes the prior out (taking it out twice would favour the tail)."""
        if self.decision == "argmax":
            return 0.0
        if valid is None:
            loss = LOSSES[self._loss()[0]]
            # a loss that takes out the class counts it trains on takes nothing out of a resampled
            # set, whose counts are equal: it decides as "ce" (the prior that sample weights add
            # taken out; with τ 0 they moved predict, "ce"'s did not)
            corrected = loss.prior_correcting and (loss.balances_batches or not self._resample())
            return 0.0 if corrected else 1.0
        kept = np.flatnonzero(self.net_.history[:, "kept"])
        if kept.size == 1:  # one epoch's weights: its τ, found on the device during training
            return float(self.net_.history[int(kept[0]), "valid_tau"])
        return best_tau(  # a mean of epochs (or none kept): τ of its own
            valid.y.cpu().numpy(), log_proba, self.class_log_prior_, valid.sample_weight.cpu().numpy()
        )[0]

    def _validation_score(self, valid: GraphDataset | None, log_proba: np.ndarray | None) -> float | None:
        """Balanced accuracy of the model kept, deciding as ``predict`` does, on the validation set
        (whose per-epoch scores in the history are those of single epochs, not of their mean)."""
        if valid is None:
            return None
        tau = torch.tensor([self.logit_adjustment_], dtype=torch.float64)
        prior = torch.as_tensor(self.class_log_prior_)
        log_proba = torch.as_tensor(log_proba)
        _, ba, _ = tau_search(valid.y.cpu(), log_proba, prior, tau, valid.sample_weight.cpu())
        return float(ba)

    def _keep_only_what_predicts(self) -> None:
        """Drop what only training needs, so that a saved model holds no training or validation
        data: the hold-out (skorch keeps it as its train split), the sampler's labels, the
        criterion's per-sample state and the optimiser's moments (two thirds of a model's size)."""
        net = self.net_
        net.train_split = None
        net.iterator_train__sampler = None
        net.optimizer_ = None
        dict(net.callbacks_)["lr"].lr_scheduler_ = None  # it holds the optimiser too
        net.criterion_.forget_training_state()

    def _report(self) -> None:
        history = self.history_
        line = f"{type(self).__name__}: {len(history)} epoch{'s' if len(history) != 1 else ''}"
        if (stop := history[-1].get("stop")) == "interrupted":  # in the last epoch, which did not end
            line = f"{type(self).__name__}: interrupted in epoch {len(history)}"
        elif stop:  # early stopping, diverged
            line += f" ({stop})"
        if "valid_ba" in history[-1]:
            scores = np.array(history[:, "valid_ba"], dtype=float)
            kept = np.flatnonzero(history[:, "kept"])
            if kept.size:
                best = int(kept[0])  # the model kept starts at the best epoch
                line += (
                    f", best epoch {best + 1}: valid BA {scores[best]:.4f}, "
                    f"valid BF1 {history[best, 'valid_bf1']:.4f}"
                )
                if kept.size > 1:
                    line += (
                        f"; kept the mean of {kept.size} epochs, {kept[0] + 1} to {kept[-1] + 1}: "
                        f"valid BA {self.validation_score_:.4f}"
                    )
        say(f"{line}; decision τ = {self.logit_adjustment_:.2f}")

    def _build_net(
        self, train: GraphDataset, visits: np.ndarray, valid: GraphDataset | None, seed: int | None
    ) -> LTDDNet:
        """The skorch net of a fit: the module for the widths of ``train``'s graphs, the method's
        loss with the class counts of the epochs (``visits``, positions into ``train``), the
        sampler, the callbacks, and ``valid`` as skorch's validation split."""
        graphs = train.graphs
        first = graphs.reactants if isinstance(graphs, GraphStorePair) else graphs
        read = widths(graphs, fingerprint=self.fingerprint is not None)
        # a phase may end early when validation stalls, so that early stopping cannot skip the next
        phases = self._phases(self.early_stopping if valid is not None else None)
        train_y = train.y.cpu().numpy()
        # skorch's own shuffling on the default path; a sampler where epochs resample or balance
        balances = any(phase.retrain_head for phase in phases.phases)
        sampler = TrainingSampler(train_y, visits, phases) if self._resample() or balances else None
        batch_size = int(self.batch_size)  # torch takes no NumPy integer (a grid of np.arange)
        # a NumPy float32 rate would decay in float32 and reach the history, its table and its JSON
        lr = float(self.lr)
        loss, criterion_params = self._loss()
        # the class counts of the epochs the loss sees (a resampled set is balanced)
        visited = torch.as_tensor(train_y[visits])
        criterion_params["class_counts"] = torch.bincount(visited, minlength=len(self._encoder.classes_))
        criterion_params["phases"] = phases
        return LTDDNet(
            LTDDModule,
            module__encoder=self.encoder,
            module__edge_features=0 if first.edge_attr is None else first.edge_attr.shape[1],
            module__fingerprint_bits=read["fingerprint bits"] or 0,
            module__in_features=read["node features"],
            module__n_classes=len(self._encoder.classes_),
            module__hidden=self.hidden,
            module__n_layers=self.n_layers,
            module__pair=isinstance(graphs, GraphStorePair),
            module__edge_drop=self._edge_drop(),
            module__wide=self.fingerprint is not None,
            criterion=LOSSES[loss],
            **{f"criterion__{name}": value for name, value in criterion_params.items()},
            predict_nonlinearity=softmax,
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=float(self.weight_decay),
            optimizer__fused=True,  # one kernel for all parameters instead of ~10 per tensor
            optimizer__param_groups=[("wide.*", {"lr": lr * WIDE_LR_FACTOR})],
            lr=lr,
            max_epochs=self.max_epochs,
            batch_size=batch_size,
            iterator_valid__batch_size=inference_batch(self.device_),
            iterator_train__shuffle=sampler is None,
            iterator_train__sampler=sampler,
            # BatchNorm cannot train on a last batch of one graph
            iterator_train__drop_last=len(visits) % batch_size == 1,
            iterator_train__collate_fn=collate_graphs,
            iterator_valid__collate_fn=collate_graphs,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=self._callbacks(phases, validated=valid is not None, seed=seed),
            callbacks__print_log__keys_ignored=["class_weights"],  # a list per epoch: in history_ only
            device=self.device_,
            verbose=int(self.verbose > 0),
        )

    def _callbacks(self, phases: Phases, validated: bool, seed: int | None) -> list[tuple[str, object]]:
        """skorch's callbacks of a fit: the phases, the method's own and the learning-rate decay;
        where there is a validation set, its scores, the model kept and early stopping; a progress
        bar at ``verbose >= 2``."""
        decay = EpochLRScheduler(policy=torch.optim.lr_scheduler.ExponentialLR, gamma=float(self.lr_gamma))
        callbacks = [("phases", phases), *self._method_callbacks(phases, seed), ("lr", decay)]
        if validated:
            # scored from the first epoch that trains the head, from skorch's validation pass; the
            # model kept and early stopping look only at the method's final phase
            prior = self.class_log_prior_ if self.decision == "logit_adjusted" else None
            callbacks += [
                ("valid_scores", ValidationScores(phases, prior)),
                ("kept", MeanFromBestEpoch(phases, self.average_from_best)),
            ]
            if self.early_stopping:
                callbacks.append(("stop", EarlyStoppingAfter("valid_ba", self.early_stopping, phases)))
        if self.verbose >= 2 and can_draw_bars():
            make_tqdm_lock()
            callbacks.append(("progress", EpochProgressBar(detect_notebook=widget_bars())))
        return callbacks

    def _validation_labels(
        self, validation_data: object, weighted_out: np.ndarray
    ) -> tuple[object, np.ndarray, np.ndarray | None]:
        """``fit``'s ``validation_data`` as (X_valid, labels, sample weights or None: all 1), its
        shape, column, graphs given, labels and weights checked against X_valid's rows and the
        fit's classes (``weighted_out``: those left out, their samples all weighing 0) before
        SMILES are featurised."""
        valid_X, valid_y, valid_weight = unpack_validation_data(validation_data)
        try:
            n_rows = count_rows(valid_X)
        except (ValueError, TypeError) as error:
            error.add_note("(in fit's validation_data: the X meant is X_valid)")
            raise
        try:  # reactants to validate a model of products
            check_column_name(self, valid_X, reset=False, against="fit's X is the column")
        except ValueError as error:
            raise ValueError(f"validation_data: {error}") from error
        if isinstance(valid_X, GraphStore | GraphStorePair):
            valid_X = self._validation_graphs(valid_X)
        try:
            valid_y = check_labels(valid_y, n_rows, scored=True)
            check_known(valid_y, self._encoder.classes_, weighted_out)
            weights = training_weights(valid_weight, len(valid_y))
        except (TypeError, ValueError) as error:  # (not fit's own y that is wrong)
            kind = (
                TypeError
                if isinstance(error, TypeError) and not isinstance(error, ValueError)
                else ValueError
            )
            raise kind(f"validation_data: {error}") from error
        return valid_X, valid_y, None if weights is None else mean_1(weights)

    def _validation_graphs(self, valid_X: object) -> GraphStore | GraphStorePair:
        """``validation_data``'s X as graphs, checked as a fit's X is; its errors say whose they are."""
        try:
            with rows_named_by_index(valid_X):
                return self._graphs(valid_X)
        except InvalidSmilesError as error:
            error.of_input("validation_data's X")  # not fit's X, whose rows have the same numbers
            raise
        except (ValueError, TypeError) as error:
            error.add_note("(in fit's validation_data: the X meant is X_valid)")
            raise

    def _validation_set(
        self, valid_X: object, valid_y: np.ndarray, weights: np.ndarray | None
    ) -> tuple[GraphStore | GraphStorePair, np.ndarray, np.ndarray | None]:
        """The graphs, class codes and sample weights (None: all 1) of ``fit``'s ``validation_data``,
        which :meth:`_validation_labels` checked (and whose graphs, where given, it read)."""
        graphs = (
            valid_X if isinstance(valid_X, GraphStore | GraphStorePair) else self._validation_graphs(valid_X)
        )
        valid_codes = self._encoder.transform(valid_y)
        scored = slice(None) if weights is None else weights > 0  # a sample of weight 0 has no say
        present = np.unique(valid_y[scored])
        if len(present) < 2:  # one class's recall would choose the epochs kept and τ
            weighted = "" if weights is None else " among its samples of positive weight"
            warn(
                f"validation_data holds only the class {present.tolist()[0]!r}{weighted}: its balanced "
                "accuracy is that class's recall alone, which then chooses the epochs kept (and the "
                "decision's τ); give a validation set with samples of several classes.",
            )
        else:
            warn_of_classes_missing(
                self._encoder.classes_,
                valid_codes[scored],
                self.decision,
                given=True,
                weighted=weights is not None,
            )
        return graphs, valid_codes, weights

    def __getstate__(self) -> dict:
        # a pickle or a deep copy waits for a fit of this estimator in another thread, as a
        # prediction's snapshot does: the fit sets its attributes one by one, and a pickle taken
        # in between held a model half old, half new, with the optimiser and validation graphs.
        # A copy of the attributes, as the snapshot is: pickle reads the state after the lock is let go
        with estimator_lock(self):
            return dict(super().__getstate__())

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "net_" not in state:
            return
        if "graphizer_" not in state:  # saved before the fit kept its featuriser: its parameters say it
            self.graphizer_ = self._featurizer_of_params()
        missing = [name for name in _PREDICTS_WITH if name not in state]
        if missing:  # an AttributeError in predict, or in a screen after its pass over the library
            params = {name: state[name] for name in self._get_param_names() if name in state}
            refit = " ".join(repr(type(self)(**params)).split())  # (on one line)
            raise ValueError(
                f"this {type(self).__name__} was saved by an earlier release of sklearn-ltdd, whose fitted "
                f"models lack {missing}, which this release needs to predict; refit it with this release "
                f"({refit}), or load it with the release that saved it."
            )
        check_versions(
            self,
            state.get("versions_"),
            "its featurisation or predictions may differ from the fitted model's; check them on "
            "molecules of known class, or refit it here.",
        )
        # skorch moves a CUDA-trained net to the CPU where CUDA is missing; "auto" also takes a
        # GPU where the model is loaded (e.g. a screening worker), whatever it was trained on
        device = resolve_device("auto") if self.device == "auto" else str(self.net_.device)
        if device != str(self.net_.device):
            self.net_.module_.to(device)
            if self.net_.criterion_ is not None:  # (skorch's net_.trim_for_prediction() drops it)
                self.net_.criterion_.to(device)
            self.net_.device = device
        self.net_.iterator_valid__batch_size = inference_batch(device)  # as if fitted here
        self.device_ = device

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True  # a column of SMILES (a one-column table is also read)
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []  # embeddings are float32 whatever the input
        # a seeded fit repeats on the CPU, not on CUDA, whose scatter-adds sum in no fixed order
        device = self.device if isinstance(self.device, str) else str(self.device)
        on_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
        tags.non_deterministic = self.random_state is None or on_cuda
        return tags
