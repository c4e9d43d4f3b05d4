"""LTDDClassifier: the whole LTDD method behind the scikit-learn classifier API, trained by skorch."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from skorch.callbacks import Checkpoint, LRScheduler, ProgressBar
from skorch.helper import predefined_split

from .._compat import Interval, StrOptions, _fit_context
from ..featurize import GraphStore, GraphStorePair, InvalidSmilesError, SmilesGraphizer, check_graphs_match
from ..featurize._atom_mapping import ATOM_MAPPERS
from ..featurize._cgr import GRAPH_REACTION_MODES
from ..featurize._graph_features import FEATURE_SCHEMA
from ..metrics import balanced_accuracy_score, balanced_f1_score
from ..nn import CRITERIA, ENCODERS, LTDDModule
from ._averaging import WeightAverage
from ._baselines import PRIOR_CORRECTING, BaselinePhase, TrainingSampler, switch_epoch
from ._data import GraphDataset, collate_graphs, oversample, stratified_holdout
from ._decision import adjusted_scores, best_tau, log_prior
from ._net import LTDDNet, softmax
from ._schedule import Recluster, RecordLossTerms
from ._selection import EarlyStoppingAfter, ScoringAfter, ValidationScore

__all__ = ["PAPER_PROTOCOL", "LTDDClassifier"]

#: the parameters that reproduce the paper's protocol exactly: ``LTDDClassifier(**PAPER_PROTOCOL)``
PAPER_PROTOCOL = {"encoder": "gcn", "fingerprint": None, "ema_epochs": None, "decision": "argmax",
                  "early_stopping": None, "max_epochs": 300}  # fmt: skip


_DEVICES = "'auto', 'cpu', 'cuda' or 'cuda:<index>'"


def _resolve_device(device: str) -> str:
    """The device to train on, in torch's canonical spelling ('cpu', 'cuda', 'cuda:1')."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a device torch knows; use {_DEVICES}.") from None
    if parsed.type == "cpu":
        return "cpu"  # 'cpu:0' is the same device; skorch's checkpoints only know 'cpu'
    if parsed.type != "cuda":
        raise ValueError(f"device={device!r} is not supported; use {_DEVICES}.")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available (torch {torch.__version__}, "
            "torch.cuda.is_available() is False); use device='auto' or 'cpu', "
            "or install a CUDA build of torch."
        )
    if parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but this machine has {torch.cuda.device_count()} CUDA "
            f"device(s), numbered from 0."
        )
    return str(parsed)


@contextmanager
def _seeded_torch(seed: int | None) -> Iterator[None]:
    """Seed torch's global generators for a fit and give the caller its own state back after it.

    Initialisation, shuffling and edge drops draw from the global generators (skorch and PyG
    use them); a seeded fit must not reset the random stream of the code around it.
    """
    if seed is None:
        yield
        return
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


class _EpochLRScheduler(LRScheduler):
    """skorch's LRScheduler without its torch scheduler in pickles: that scheduler holds the
    optimizer, whose tensors would then be pickled outside skorch's device mapping (skorch issue
    #1096), and a model trained on CUDA would not load without it. It is rebuilt at the start of
    every fit."""

    def __getstate__(self) -> dict:
        return {**self.__dict__, "lr_scheduler_": None}


class LTDDClassifier(ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Long-tailed drug classification: sub-cluster contrastive learning plus separability re-weighting.

    SMILES (or reaction SMILES) in, class labels of any type out. A residual graph encoder
    (the paper's GCN, or a bond-aware GINE), joined with a learned projection of the Morgan
    fingerprint, is trained on two degree-weighted edge-dropped views of each batch: first with
    supervised contrastive loss (warm-up), then with the sub-cluster contrastive loss (term A
    within a sample's balanced sub-cluster, term B across the other sub-clusters of its class)
    plus a cross-entropy whose class weights grow as a class's centroid (and sub-cluster
    centroids) come closer to another class. Beside it a logistic regression of the whole
    fingerprint trains on its own class-balanced loss, and the two experts' probabilities are
    multiplied. Sub-clusters, weights and τ2 are recomputed every
    ``update_every`` epochs. The checkpoint with the best validation balanced accuracy is kept,
    training stops when it has not improved for ``early_stopping`` epochs, and the decision is
    logit-adjusted for balanced accuracy (its strength chosen on the validation set).

    The defaults are those that did best across the benchmarks (docs/results.md). The paper's
    exact protocol is ``LTDDClassifier(**PAPER_PROTOCOL)``: ``encoder="gcn", fingerprint=None,
    ema_epochs=None, decision="argmax", early_stopping=None, max_epochs=300``; the reference
    code's choices are one parameter away (see the method documentation).

    Parameters
    ----------
    method : {"ltdd", "ce", "cs", "bs", "cb_focal", "ib", "cdt", "mixup", "decoupling"}, default="ltdd"
        Anything but ``"ltdd"`` trains the same network on clean graphs with a long-tail baseline
        of the paper's Table 2: ``"ce"`` plain cross-entropy (vanilla), ``"cs"`` cost-sensitive
        CE, ``"bs"`` balanced softmax, ``"cb_focal"`` class-balanced focal loss, ``"ib"``
        influence-balanced loss, ``"cdt"`` class-dependent temperatures, ``"mixup"`` mixup of
        graph embeddings, ``"decoupling"`` classifier re-training on class-balanced batches
        (with a fresh optimiser at the initial learning rate). ``"ib"`` trains with plain
        cross-entropy until half of ``max_epochs``, ``"decoupling"`` until the last fifth, or
        until validation stalls (see ``early_stopping``); the model kept is always from the
        second phase. All honour ``sample_weight``; the contrastive and clustering parameters
        are unused.
    reaction_mode : {None, "products", "reaction", "pair", "cgr", "cgr_product"}, default=None
        How reaction SMILES become graphs (see :class:`SmilesGraphizer`). ``"cgr"``, the
        condensed graph of reaction, needs atom-mapped reactions, or ``atom_mapper``.
    atom_mapper : {None, "rxnmapper"} or callable, default=None
        Maps reactions that arrive without atom maps, for the CGR modes (see
        :class:`SmilesGraphizer`); ``"rxnmapper"`` needs ``pip install 'sklearn-ltdd[reactions]'``.
    encoder : {"gcn", "gine"}, default="gcn"
        ``"gcn"``: the paper's residual GCN, which sees atoms only; ``"gine"``: residual GINE
        layers whose messages read the 12 bond features (:class:`~sklearn_ltdd.nn.GINEEncoder`),
        about 1.8× the epoch time. Graphs passed in place of SMILES need ``bond_features=True``
        for ``"gine"``.
    fingerprint : {"morgan", None}, default="morgan"
        ``"morgan"`` joins a learned ``hidden``-wide projection of a 2048-bit radius-2 Morgan
        fingerprint (for reactions: products minus reactants, counts) to the graph embedding,
        so the contrastive losses and the head both see it, and trains a second expert beside
        the network, a linear model of the whole fingerprint (a logistic regression, from zero,
        on its own class-balanced cross-entropy, from the first epoch), whose probabilities
        multiply the network's; None uses the graph alone, as the paper does.
        Graphs passed in place of SMILES need ``SmilesGraphizer(fingerprint="morgan")``.
    hidden : int, default=128
        Width of the encoder layers, the fingerprint projection and the classifier's hidden layers.
    n_layers : int, default=3
        Number of encoder layers.
    max_epochs : int, default=300
        An upper bound: early stopping usually ends training well before it.
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam learning rate, multiplied by ``lr_gamma`` after each epoch.
    weight_decay : float, default=3e-4
    lr_gamma : float, default=0.99
    warmup_epochs : int, default=10
        Epochs of SupCon-only warm-up (T0), which train the encoder (and the fingerprint's
        wide expert) but not the classifier head; 0 switches warm-up off. With
        ``method="ltdd"``, ``max_epochs`` must be larger, or ``fit`` raises a ValueError: a
        model whose head never trained is not returned.
    update_every : int, default=10
        Re-cluster and re-weight every K epochs after warm-up.
    dynamic : bool, default=True
        False computes sub-clusters and weights once, at the end of warm-up (ablation).
    tau : float, default=0.1
        SupCon temperature during warm-up.
    tau1 : float, default=0.1
        Term-A temperature.
    tau2 : float or "adaptive", default=0.1
        Term-B temperature; ``"adaptive"`` is the reference code's per-class τ2.
    beta : float, default=0.25
        Weight of term B.
    term_a_scale : float, default=1.0
        Weight of term A (the reference code uses τ1/0.07).
    edge_drop : tuple of two floats, default=(0.15, 0.10)
        Base edge-drop probabilities of the two views.
    cluster_method : {"balanced", "kmeans"}, default="balanced"
        Paper's balanced greedy clustering or the reference code's spherical k-means.
    min_cluster_size : int, default=10
        δ, the floor of the sub-cluster size unit U.
    weighting : {"both", "class_distance", "subcluster_distance", "none", "subcluster"}, default="both"
        Which separability weights feed the cross-entropy (paper Table 4 ablations);
        ``"subcluster"`` weights each sample by its own sub-cluster's distance to the nearest
        other class, which also acts on binary tasks where class weights are uniform (it
        corrects separability, not the class prior).
    weight_formula : {"paper", "code"}, default="paper"
        Normalised inverse distances summed (paper) or averaged softmax(−d) (reference code).
    resample : bool, default=False
        Class-balance the training set as the reference code does: every sample is kept and
        each class is topped up with draws with replacement to the largest class's count.
        Sub-clusters and the size unit U are computed on the distinct training samples, so
        resampling changes what an epoch visits, not the sub-clusters.
        On binary tasks, where the separability weights are uniform, this is what balances the
        decision in the reference code (see the results page of the documentation).
    decision : {"logit_adjusted", "argmax"}, default="logit_adjusted"
        ``"argmax"``: the most probable class, which keeps the training set's class prior (on
        a binary task with imbalance 27 it rarely predicts the minority). ``"logit_adjusted"``:
        the argmax of ``log p_c(x) − τ · log π_c`` (π the class frequencies the network was
        trained on, with sample weights and resampling; Menon et al. 2021), τ in [0, 3] chosen
        for the best validation balanced accuracy. Without a validation set τ is 1, or 0 for the
        methods whose loss or sampling already balances the classes (``cs``, ``bs``,
        ``cb_focal``, ``ib``, ``cdt``, ``decoupling``). ``decision_function`` returns these
        scores; ``predict_proba`` the network's own probabilities. The checkpoint and early
        stopping use the same decision.
    ema_epochs : float or None, default=None
        Validate, checkpoint and predict with an exponential moving average of the weights whose
        time constant is this many epochs (the optimiser still steps the raw weights); None uses
        the raw weights. The average moves less from epoch to epoch, so the checkpoint is chosen
        on a trend rather than on the luckiest epoch; measured on five tasks, it helped on two and
        cost on three (docs/results.md), so it is off by default.
    validation_fraction : float, default=0.1
        Stratified hold-out for checkpoint selection by balanced accuracy; 0 keeps the last
        epoch (and needs ``early_stopping=None``). Ignored when ``validation_data`` is passed
        to ``fit``. Scoring and selection start with the first epoch after the warm-up
        (warm-up epochs record NaN scores). The hold-out is not kept in the fitted model.
    early_stopping : int or None, default=20
        Stop after this many epochs without a better validation balanced accuracy, counted
        from the end of the warm-up; None trains ``max_epochs``. Needs a validation set: ``fit``
        raises a ValueError with ``validation_fraction=0`` and no ``validation_data``. For the
        two-phase baselines (``ib``, ``decoupling``) the first phase ends when validation has
        not improved for this many epochs (or at its latest epoch), and the checkpoint and early
        stopping look only at the second phase.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``; checked
        and resolved in ``fit``. The graphs are moved to it once per fit.
    verbose : int, default=0
        0 silent, 1 one line per epoch (the same columns every epoch; NaN where the phase
        computes no value) and a closing line (epochs run, best epoch, its validation scores,
        τ), 2 also a progress bar per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds splits, initialisation, shuffling, edge drops and clustering (CPU runs repeat
        exactly). A seeded fit hands torch's global random state back as it found it.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, in the order of ``predict_proba``'s columns.
    n_node_features_ : int
        Node features per atom (74).
    feature_schema_ : int
        The version of the atom features' meaning the model was fitted on; ``predict`` refuses
        a model whose version this release does not compute.
    logit_adjustment_ : float
        τ of the decision rule (0 for ``decision="argmax"``).
    class_log_prior_ : ndarray of shape (n_classes,)
        log π_c of the class mass the network trained on (sample weights and resampling
        included), which the decision rule subtracts τ times.
    n_features_in_ : int
        Always 1: one column of SMILES (or of graphs).
    net_ : skorch.NeuralNet
        The trained skorch net (module, the criterion chosen by ``method``, history). What only
        training needs is dropped after ``fit``: the validation set, the optimiser's state and
        per-sample training state, so a saved model holds no molecules.
    history_ : skorch.History
        Per epoch: train/valid loss, contrastive and CE loss, ``valid_ba``, ``valid_bf1``, the
        phase, ``class_weights`` and ``n_subclusters`` (an empty list and 0 during warm-up).
    device_ : str
        The device the model was trained on.

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> clf = LTDDClassifier(max_epochs=4, warmup_epochs=1, update_every=2, random_state=0)
    >>> clf.fit(smiles, y).predict(["CCCCCCO", "c1ccccc1CCC"]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "method": [StrOptions(set(CRITERIA))],  # every method that has a loss
        "reaction_mode": [None, StrOptions(set(GRAPH_REACTION_MODES))],
        "atom_mapper": [None, StrOptions(set(ATOM_MAPPERS)), callable],
        "encoder": [StrOptions(set(ENCODERS))],
        "fingerprint": [None, StrOptions({"morgan"})],
        "hidden": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, 1, closed="right")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "update_every": [Interval(Integral, 1, None, closed="left")],
        "dynamic": ["boolean"],
        "tau": [Interval(Real, 0, None, closed="neither")],
        "tau1": [Interval(Real, 0, None, closed="neither")],
        "tau2": [Interval(Real, 0, None, closed="neither"), StrOptions({"adaptive"})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "term_a_scale": [Interval(Real, 0, None, closed="left")],
        "edge_drop": [tuple, list],
        "cluster_method": [StrOptions({"balanced", "kmeans"})],
        "min_cluster_size": [Interval(Integral, 1, None, closed="left")],
        "weighting": [StrOptions({"both", "class_distance", "subcluster_distance", "none", "subcluster"})],
        "weight_formula": [StrOptions({"paper", "code"})],
        "resample": ["boolean"],
        "decision": [StrOptions({"logit_adjusted", "argmax"})],
        "ema_epochs": [None, Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": [None, Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        method: str = "ltdd",
        reaction_mode: str | None = None,
        atom_mapper: str | Callable | None = None,
        encoder: str = "gcn",
        fingerprint: str | None = "morgan",
        hidden: int = 128,
        n_layers: int = 3,
        max_epochs: int = 300,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 3e-4,
        lr_gamma: float = 0.99,
        warmup_epochs: int = 10,
        update_every: int = 10,
        dynamic: bool = True,
        tau: float = 0.1,
        tau1: float = 0.1,
        tau2: float | str = 0.1,
        beta: float = 0.25,
        term_a_scale: float = 1.0,
        edge_drop: tuple[float, float] = (0.15, 0.10),
        cluster_method: str = "balanced",
        min_cluster_size: int = 10,
        weighting: str = "both",
        weight_formula: str = "paper",
        resample: bool = False,
        decision: str = "logit_adjusted",
        ema_epochs: float | None = None,
        validation_fraction: float = 0.1,
        early_stopping: int | None = 20,
        device: str = "auto",
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.method = method
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
        self.warmup_epochs = warmup_epochs
        self.update_every = update_every
        self.dynamic = dynamic
        self.tau = tau
        self.tau1 = tau1
        self.tau2 = tau2
        self.beta = beta
        self.term_a_scale = term_a_scale
        self.edge_drop = edge_drop
        self.cluster_method = cluster_method
        self.min_cluster_size = min_cluster_size
        self.weighting = weighting
        self.weight_formula = weight_formula
        self.resample = resample
        self.decision = decision
        self.ema_epochs = ema_epochs
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ---- input handling -------------------------------------------------------------------
    def _graphs(self, X: object) -> GraphStore | GraphStorePair:
        """SMILES → graphs, or graphs passed through (e.g. from a SmilesGraphizer in a Pipeline)."""
        if isinstance(X, GraphStore | GraphStorePair):
            graphs = X
            # the recipe tells graphs of one shape apart ("products" from "reaction", old features);
            # the bond features and fingerprint the model reads are checked on the data below
            check_graphs_match(graphs, reaction_mode=self.reaction_mode)
        else:
            graphs = SmilesGraphizer(
                reaction_mode=self.reaction_mode,
                atom_mapper=self.atom_mapper,
                bond_features=self.encoder == "gine",
                fingerprint=self.fingerprint,
            ).fit_transform(X)
        if not graphs.valid_mask.all():
            bad = np.flatnonzero(~graphs.valid_mask)
            raise InvalidSmilesError({int(i): ("<empty graph>", "invalid input row") for i in bad})
        if isinstance(graphs, GraphStorePair) != (self.reaction_mode == "pair"):
            raise ValueError(
                f"reaction_mode={self.reaction_mode!r} does not match the graphs given "
                f"({type(graphs).__name__}); use the same reaction_mode as the SmilesGraphizer."
            )
        first = graphs.reactants if isinstance(graphs, GraphStorePair) else graphs
        if self.encoder == "gine" and first.edge_attr is None:
            raise ValueError(
                "encoder='gine' reads bond features, but the graphs given have none; make them with "
                "SmilesGraphizer(bond_features=True), or pass SMILES."
            )
        if self.fingerprint is not None and graphs.fingerprint is None:
            raise ValueError(
                f"fingerprint={self.fingerprint!r}, but the graphs given carry no fingerprint; make "
                f"them with SmilesGraphizer(fingerprint={self.fingerprint!r}), pass SMILES, or set "
                "fingerprint=None."
            )
        return graphs

    @staticmethod
    def _check_labels(y: ArrayLike, n: int) -> np.ndarray:
        if isinstance(y, Iterator):
            raise TypeError(f"y must be a sequence of labels, not an iterator ({type(y).__name__}).")
        # missing values are found in the raw objects: numpy would turn a NaN among strings into 'nan'
        raw = np.asarray(y.to_numpy(dtype=object) if hasattr(y, "to_numpy") else y, dtype=object)
        if raw.ndim:
            missing = np.flatnonzero(pd.isna(raw).reshape(raw.shape[0], -1).any(axis=1))
            if missing.size:
                raise ValueError(
                    f"y has {missing.size} missing labels (None, NaN or NA) at rows {missing[:10].tolist()}"
                    f"{' ...' if missing.size > 10 else ''}; remove these samples or give them a label."
                )
            # numpy would silently turn [1, "a"] into ["1", "a"]: labels must be of one kind
            text = np.array([isinstance(v, str | bytes) for v in raw.reshape(raw.shape[0], -1)[:, 0]])
            if text.any() and not text.all():
                i, j = int(np.argmax(text)), int(np.argmin(text))
                raise ValueError(
                    f"y mixes strings and other labels (row {i}: {raw[i]!r}, row {j}: {raw[j]!r}); "
                    "give every label the same type, e.g. all strings."
                )
        y = column_or_1d(y, warn=False)
        if y.shape[0] != n:
            raise ValueError(f"X has {n} samples but y has {y.shape[0]} labels.")
        check_classification_targets(y)
        return y

    def _check_schedule(self) -> None:
        drop = self.edge_drop
        if len(drop) != 2 or not all(isinstance(p, Real) and 0 <= p < 1 for p in drop):
            raise ValueError(f"edge_drop must be two probabilities in [0, 1), got {drop!r}.")
        if self.method == "ltdd" and self.max_epochs <= self.warmup_epochs:
            raise ValueError(
                f"max_epochs={self.max_epochs} leaves no epoch after the warm-up "
                f"(warmup_epochs={self.warmup_epochs}); the classifier head trains only after the "
                "warm-up and would keep its initial weights. Raise max_epochs or lower warmup_epochs "
                "(0 switches the warm-up off)."
            )

    def _head_start(self) -> int:
        """The first epoch that trains the classifier head (LTDD's warm-up trains the encoder alone)."""
        return self.warmup_epochs if self.method == "ltdd" else 0

    # ---- fit -------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike | GraphStore | GraphStorePair,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        validation_data: tuple | None = None,
    ) -> LTDDClassifier:
        """Train on SMILES (or graphs) X with labels y.

        Parameters
        ----------
        X : array-like of str, GraphStore or GraphStorePair
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplies each sample's cross-entropy term.
        validation_data : (X_valid, y_valid), default=None
            A validation set for checkpoint selection instead of the internal hold-out.
        """
        self._check_schedule()
        if self.early_stopping is not None and validation_data is None and self.validation_fraction == 0:
            raise ValueError(
                f"early_stopping={self.early_stopping} needs a validation set, but validation_fraction=0 "
                "and no validation_data were given; set early_stopping=None to train all max_epochs, "
                "or keep a hold-out (validation_fraction > 0, or fit(..., validation_data=(X, y)))."
            )
        graphs = self._graphs(X)
        y = self._check_labels(y, len(graphs))
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y has only one class ({self.classes_[0]!r}); a classifier needs at least two.")
        codes = self._encoder.transform(y)
        weights = np.ones(len(y)) if sample_weight is None else column_or_1d(sample_weight).astype(float)
        if weights.shape[0] != len(y) or not np.all(np.isfinite(weights)) or (weights < 0).any():
            raise ValueError("sample_weight must hold one finite, non-negative weight per sample.")
        if not weights.any():
            raise ValueError("sample_weight is zero for every sample; at least one weight must be positive.")
        self.device_ = _resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = None if self.random_state is None else int(rng.randint(2**31 - 1))

        if validation_data is not None:
            valid_graphs = self._graphs(validation_data[0])
            valid_y = self._check_labels(validation_data[1], len(valid_graphs))
            self._check_known(valid_y)
            train_idx, valid = np.arange(len(y)), GraphDataset(valid_graphs, self._encoder.transform(valid_y))
        elif self.validation_fraction > 0:
            train_idx, valid_idx = stratified_holdout(codes, self.validation_fraction, rng)
            if not len(valid_idx) and self.early_stopping is not None:
                raise ValueError(
                    "the validation hold-out is empty (every class has a single sample, which stays in "
                    f"training), so early_stopping={self.early_stopping} has nothing to watch; set "
                    "early_stopping=None or pass validation_data."
                )
            valid = GraphDataset(graphs[valid_idx], codes[valid_idx]) if len(valid_idx) else None
        else:
            train_idx, valid = np.arange(len(y)), None
        if not weights[train_idx].any():
            raise ValueError(
                "sample_weight is zero for every sample outside the validation hold-out; at least one "
                "training sample must have a positive weight."
            )
        # the positions one epoch visits; the reference code's resampling tops every class up to the
        # largest with draws with replacement, while clustering still sees each molecule once
        visits = np.arange(len(train_idx))
        if self.resample:
            visits = oversample(visits, codes[train_idx], rng)
        # the class prior the network learns: the class mass of its epochs, sample weights included
        self.class_log_prior_ = log_prior(
            codes[train_idx][visits], len(self.classes_), weights[train_idx][visits]
        )
        # on the device once per fit: every batch is then a gather there, not a host copy
        train = GraphDataset(graphs[train_idx], codes[train_idx], weights[train_idx]).to(self.device_)
        valid = None if valid is None else valid.to(self.device_)

        with tempfile.TemporaryDirectory(prefix="sklearn-ltdd-") as checkpoint_dir, _seeded_torch(seed):
            self.net_ = self._build_net(graphs, train, visits, valid, seed, checkpoint_dir)
            self.net_.fit(train, None)
            # (a DataLoader draws its seed from torch's global generator, so inside the fork)
            self.logit_adjustment_ = self._choose_tau(valid)
        self._keep_only_what_predicts()
        self.history_ = self.net_.history
        self.n_node_features_ = graphs.num_node_features
        self.feature_schema_ = FEATURE_SCHEMA
        self.n_features_in_ = 1  # one column of SMILES (or one graph per sample)
        sides = 2 if isinstance(graphs, GraphStorePair) else 1
        self._n_features_out = self.hidden * (sides + (self.fingerprint is not None))
        if self.verbose:
            self._report()
        return self

    def _choose_tau(self, valid: GraphDataset | None) -> float:
        """τ of the decision rule: the best on validation for the kept checkpoint; without one, 1
        (the Bayes rule for balanced error), or 0 for methods whose training already takes the
        prior out (taking it out twice would favour the tail)."""
        if self.decision == "argmax":
            return 0.0
        if valid is None:
            return 0.0 if self.method in PRIOR_CORRECTING else 1.0
        proba = self.net_.predict_proba(valid)
        return best_tau(valid.y.cpu().numpy(), proba, self.class_log_prior_)[0]

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
        line = f"{type(self).__name__}: {len(history)} epochs"
        if "valid_ba" in history[-1]:
            scores = np.array(history[:, "valid_ba"], dtype=float)
            kept = np.flatnonzero(history[:, "valid_ba_best"])  # the last best epoch is the one kept
            if kept.size:
                best = int(kept[-1])
                line += (
                    f", best epoch {best + 1}: valid BA {scores[best]:.4f}, "
                    f"valid BF1 {history[best, 'valid_bf1']:.4f}"
                )
        print(f"{line}; decision τ = {self.logit_adjustment_:.2f}", flush=True)

    def _build_net(self, graphs, train, visits, valid, seed, checkpoint_dir) -> LTDDNet:
        first = graphs.reactants if isinstance(graphs, GraphStorePair) else graphs
        callbacks = [
            ("lr", _EpochLRScheduler(policy=torch.optim.lr_scheduler.ExponentialLR, gamma=self.lr_gamma))
        ]
        train_y = train.y.cpu().numpy()
        # skorch's own shuffling on the default path; a sampler where epochs resample or switch
        sampler = TrainingSampler(train_y, visits) if self.resample or self.method == "decoupling" else None
        final_phase = None
        if self.method == "ltdd":
            recluster = Recluster(
                warmup_epochs=self.warmup_epochs, update_every=self.update_every, dynamic=self.dynamic,
                min_cluster_size=self.min_cluster_size, cluster_method=self.cluster_method,
                weighting=self.weighting, weight_formula=self.weight_formula,
                adaptive_tau2=self.tau2 == "adaptive", random_state=seed,
            )  # fmt: skip
            callbacks = [("recluster", recluster), ("loss_terms", RecordLossTerms()), *callbacks]
        elif self.method in ("ib", "decoupling"):
            # the first phase ends early when validation stalls, so early stopping cannot skip the second
            patience = self.early_stopping if valid is not None else None
            phase = BaselinePhase(self.method, switch_epoch(self.method, self.max_epochs), patience=patience)
            final_phase = phase.final_phase
            callbacks.insert(0, ("phase", phase))
        if valid is not None:
            # scored from the first epoch that trains the head; both replay skorch's validation pass;
            # the checkpoint and early stopping look only at the method's final phase
            start = self._head_start()
            prior = self.class_log_prior_ if self.decision == "logit_adjusted" else None
            ba, bf1 = (ValidationScore(m, prior) for m in (balanced_accuracy_score, balanced_f1_score))
            callbacks += [
                ("valid_ba", ScoringAfter(ba, "valid_ba", start, final_phase)),
                ("valid_bf1", ScoringAfter(bf1, "valid_bf1", start, final_phase)),
                ("best", Checkpoint(monitor="valid_ba_best", load_best=True, dirname=checkpoint_dir,
                                    f_optimizer=None, f_criterion=None, f_history=None)),
            ]  # fmt: skip
            if self.early_stopping:
                callbacks.append(
                    ("stop", EarlyStoppingAfter("valid_ba", self.early_stopping, start, final_phase))
                )
        if self.ema_epochs is not None:  # first: the raw weights are back before re-clustering
            callbacks.insert(0, ("average", WeightAverage(self.ema_epochs)))
        if self.verbose >= 2:
            callbacks.append(("progress", ProgressBar()))
        # the class counts of the epochs the loss sees (a resampled set is balanced)
        visited = torch.as_tensor(train_y[visits])
        criterion_params = {"criterion__class_counts": torch.bincount(visited, minlength=len(self.classes_))}
        if self.method == "ltdd":
            criterion_params.update(
                criterion__tau=self.tau, criterion__tau1=self.tau1, criterion__beta=self.beta,
                criterion__tau2=0.1 if self.tau2 == "adaptive" else self.tau2,
                criterion__term_a_scale=self.term_a_scale,
            )  # fmt: skip
        return LTDDNet(
            LTDDModule,
            module__encoder=self.encoder,
            module__edge_features=0 if first.edge_attr is None else first.edge_attr.shape[1],
            module__fingerprint_bits=0 if self.fingerprint is None else graphs.fingerprint.shape[1],
            module__in_features=graphs.num_node_features,
            module__n_classes=len(self.classes_),
            module__hidden=self.hidden,
            module__n_layers=self.n_layers,
            module__pair=isinstance(graphs, GraphStorePair),
            module__edge_drop=tuple(self.edge_drop) if self.method == "ltdd" else None,
            module__skip_head=CRITERIA[self.method].runs_head,
            module__wide=self.fingerprint is not None,
            criterion=CRITERIA[self.method],
            **criterion_params,
            predict_nonlinearity=softmax,
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            optimizer__fused=True,  # one kernel for all parameters instead of ~10 per tensor
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=sampler is None,
            iterator_train__sampler=sampler,
            # BatchNorm cannot train on a last batch of one graph
            iterator_train__drop_last=len(visits) % self.batch_size == 1,
            iterator_train__collate_fn=collate_graphs,
            iterator_valid__collate_fn=collate_graphs,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=callbacks,
            callbacks__print_log__keys_ignored=["class_weights"],  # a list per epoch: in history_ only
            device=self.device_,
            verbose=int(self.verbose > 0),
        )

    # ---- predict ---------------------------------------------------------------------------
    def _dataset(self, X: object) -> GraphDataset:
        check_is_fitted(self, "net_")
        schema = getattr(self, "feature_schema_", 1)  # models saved before the attribute read schema 1
        if schema != FEATURE_SCHEMA:
            raise ValueError(
                f"this model was fitted on atom features of schema {schema}, but this release computes "
                f"schema {FEATURE_SCHEMA} (see the pitfalls page of the documentation); refit it."
            )
        graphs = self._graphs(X)
        if graphs.num_node_features != self.n_node_features_:
            raise ValueError(
                f"the graphs have {graphs.num_node_features} node features, but this model was fitted "
                f"on {self.n_node_features_}; make them with the SmilesGraphizer settings of the fit, "
                "or pass SMILES."
            )
        return GraphDataset(graphs).to(self.net_.device)

    def predict_proba(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The network's class probabilities, columns in ``classes_`` order.

        With ``fingerprint="morgan"`` they are the normalised product of the two experts' (the
        deep model's and the fingerprint's class-balanced logistic regression's). They are not
        adjusted for the class prior, as with sklearn's decision-changing wrappers:
        calibration, log-loss and ROC-AUC read them as they are. ``predict`` takes the argmax of
        :meth:`decision_function`, which with ``decision="logit_adjusted"`` subtracts
        τ · log π (τ = ``logit_adjustment_``) from their logarithm.
        """
        dataset = self._dataset(X)  # checks fitted first
        proba = self.net_.predict_proba(dataset).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)  # float32 rows sum to 1 only to 1e-7

    def _decision_scores(self, X: object) -> np.ndarray:
        return adjusted_scores(self.predict_proba(X), self.class_log_prior_, self.logit_adjustment_)

    def decision_function(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The scores of the decision: ``log p_c(x) − τ · log π_c`` per class.

        ``predict`` is their argmax. Of shape (n_samples,) for two classes (the score of
        ``classes_[1]`` minus that of ``classes_[0]``, positive for ``classes_[1]``, as in
        sklearn), else (n_samples, n_classes).
        """
        scores = self._decision_scores(X)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """The class of each sample: the argmax of :meth:`decision_function`'s scores."""
        scores = self._decision_scores(X)  # checks fitted first
        return self.classes_[scores.argmax(axis=1)]

    def transform(self, X: ArrayLike | GraphStore | GraphStorePair) -> np.ndarray:
        """Unit-length learned embeddings (encoder in eval mode, clean graphs).

        Their columns are named by :meth:`get_feature_names_out` (``ltddclassifier0``, ...).
        """
        dataset = self._dataset(X)
        return self.net_.embed_dataset(dataset).cpu().numpy()

    def _check_known(self, y: np.ndarray) -> None:
        unknown = sorted(set(np.unique(y).tolist()) - set(self.classes_.tolist()), key=str)
        if unknown:
            raise ValueError(
                f"y contains labels {unknown} not seen in fit (classes: {self.classes_.tolist()})."
            )

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy (sklearn's convention); use ``balanced_f1_scorer`` for long-tailed data.

        A label not seen in ``fit`` counts as a wrong prediction, as with sklearn's classifiers
        (e.g. a rare class missing from a cross-validation training fold).
        """
        check_is_fitted(self, "net_")
        y = self._check_labels(y, len(y))
        # a label unseen in fit is simply never predicted, as with sklearn's classifiers
        return super().score(X, y, sample_weight=sample_weight)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "net_" in state:  # skorch moves a CUDA-trained net to the CPU where CUDA is missing
            self.device_ = str(self.net_.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []  # embeddings are float32 whatever the input
        tags.non_deterministic = self.random_state is None
        return tags
