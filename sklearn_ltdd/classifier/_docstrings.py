"""The documentation of what every graph classifier shares, written once and put into each
estimator's docstring."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

_Class = TypeVar("_Class", bound=type)

__all__ = ["shared_parameters"]

#: the documentation of the parameters every graph classifier has, put in place of the line
#: ``{shared parameters}`` of its docstring by :func:`shared_parameters`
_SHARED_PARAMETERS_DOC = """\
    reaction_mode : {None, "products", "reaction", "pair", "cgr", "cgr_product"}, default=None
        How reaction SMILES become graphs (see :class:`~sklearn_ltdd.SmilesGraphizer`). ``"cgr"``, the
        condensed graph of reaction, needs atom-mapped reactions, or ``atom_mapper``.
    atom_mapper : {None, "rxnmapper"} or callable, default=None
        Maps reactions that arrive without atom maps, for the CGR modes (see
        :class:`~sklearn_ltdd.SmilesGraphizer`); ``"rxnmapper"`` needs
        ``pip install 'sklearn-ltdd[reactions]'``.
    encoder : {"gcn", "gine"}, default="gcn"
        ``"gcn"``: the paper's residual GCN, which sees atoms only; ``"gine"``: residual GINE
        layers whose messages read the bond features (12, or 26 in the CGR modes;
        :class:`~sklearn_ltdd.nn.GINEEncoder`),
        about 1.8× the epoch time. Graphs passed in place of SMILES need ``bond_features=True``
        for ``"gine"``.
    fingerprint : {"morgan", None}, default="morgan"
        ``"morgan"`` joins a learned ``hidden``-wide projection of a 2048-bit radius-2 Morgan
        fingerprint (for reactions: products minus reactants, counts) to the graph embedding,
        so the losses and the head both see it, and trains a second expert beside the network,
        a linear model of the whole fingerprint (a logistic regression, from zero, on its own
        class-balanced cross-entropy, from the first epoch, at ten times ``lr``), whose
        probabilities multiply the network's; None uses the graph alone, as the paper does.
        Graphs passed in place of SMILES need ``SmilesGraphizer(fingerprint="morgan")``.
    hidden : int, default=128
        Width of the encoder layers, the fingerprint projection and the classifier's hidden layers.
    n_layers : int, default=3
        Number of encoder layers.
    max_epochs : int, default=300
        An upper bound: early stopping usually ends training well before it.
    batch_size : int, default=128
        Molecules (or reactions) per training step, at least 2 (BatchNorm normalises over a
        batch){ltdd: ; the two views make each step 2 × ``batch_size`` graphs}. Validation and
        inference run in larger batches of their own.
    lr : float, default=1e-3
        Adam learning rate, multiplied by ``lr_gamma`` after each epoch; the fingerprint's
        wide expert learns at ten times it.
    weight_decay : float, default=3e-4
        Adam's L2 penalty on every parameter (the wide expert's too).
    lr_gamma : float, default=0.99
        Factor of the learning rate's exponential decay, once per epoch (1 keeps it constant).
    decision : {"logit_adjusted", "argmax"}, default="logit_adjusted"
        ``"argmax"``: the most probable class, which keeps the training set's class prior (on
        a binary task with imbalance 27 it rarely predicts the minority). ``"logit_adjusted"``:
        the argmax of ``log p_c(x) − τ · log π_c`` (π the class frequencies the network was
        trained on, with sample weights and resampling; Menon et al. 2021), τ in [0, 3] chosen
        for the best validation balanced accuracy. Without a validation set τ is 1{baselines: , or 0
        for the losses whose weights or sampling already balance the classes (``cs``, ``bs``,
        ``cb_focal``, ``ib``, ``cdt``, ``decoupling``; with ``resample``, ``decoupling`` only:
        the others balance the class counts, equal then, and take nothing out)}.
        ``decision_function`` returns these scores; ``predict_proba`` the network's own
        probabilities. The model kept and early
        stopping use the same decision.
    average_from_best : bool, default=True
        Keep the mean of the weights (batch-norm statistics included) after the epoch with the
        best validation balanced accuracy and after every epoch trained since: with early
        stopping, the ``early_stopping`` epochs that found no better one. False keeps the best
        epoch, as the paper does. Epochs of the method's final phase only. On a small validation
        set the best epoch is partly chance; the mean did better on every many-class run
        measured (docs/results.md, "The model kept"), at no epoch more. τ of the logit-adjusted
        decision is chosen for the mean. Without a validation set the last epoch is kept.
    validation_fraction : float, default=0.1
        Stratified hold-out that chooses the epochs kept, by balanced accuracy; 0 keeps the last
        epoch (and needs ``early_stopping=None``). Ignored when ``validation_data`` is passed
        to ``fit``. Scoring and selection start with the first epoch that has trained the
        head{ltdd:  (after the warm-up; earlier epochs record NaN scores)}. The hold-out is not kept in
        the fitted model. Each class gives ``validation_fraction`` of its samples, rounded, but
        at least one when it has two or more, so rare classes give more than the fraction (one of
        a class of three) and the hold-out can exceed it on many small classes (a warning says so
        where it takes more than twice the fraction, and ten samples or more beyond the
        fraction's share). A class of a single
        sample stays in training, out of the hold-out (and out of the choice; a warning names it).
        Copies of one molecule with one label (graphs identical in what the network reads:
        however their SMILES are written, mirror images, which no feature tells apart, and E/Z
        isomers for an encoder that reads no bond) go to the same side, and are
        counted as one sample of their class (where every class is one molecule given several
        times, the hold-out is of copies, with a warning).
    early_stopping : int or None, default=20
        Stop after this many epochs without a better validation balanced accuracy, counted in
        the method's final phase ({ltdd: after the warm-up}{baselines: the second phase of ``ib`` and
        ``decoupling``, whose first phase ends when validation has not improved for this many
        epochs, or at its latest epoch; the only phase of the others}); None trains
        ``max_epochs``. Needs a validation set: ``fit`` raises a ValueError with
        ``validation_fraction=0`` and no ``validation_data``.
    device : str or torch.device, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``; checked
        and resolved in ``fit``. The graphs are moved to it once per fit.
    verbose : int, default=0
        0 silent, 1 a line as it starts featurising SMILES, one with the number of graphs trained
        and validated on, one line per epoch (the same columns every epoch; a dash where the
        phase computes no value, NaN in ``history_``) and a closing line (epochs run, best
        epoch, its validation scores, that of the model kept where it is a mean of epochs, τ), 2
        also a progress bar per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds splits, initialisation, shuffling, edge drops and clustering (CPU runs repeat
        exactly at one number of torch threads: another divides the sums otherwise, and the
        fit drifts; docs/pitfalls.md). A seeded fit hands torch's global random state back as
        it found it. None draws from both global generators, numpy's (the hold-out, resampling,
        sub-clustering) and torch's (initialisation, shuffling, edge drops): seeding numpy's
        alone does not repeat such a fit, ``torch.manual_seed`` too does.
"""

#: the documentation of the fitted attributes every graph classifier has (``{shared attributes}``)
_SHARED_ATTRIBUTES_DOC = """\
    classes_ : ndarray
        Class labels, in the order of ``predict_proba``'s columns.
    graphizer_ : SmilesGraphizer
        The featuriser of the fit (from ``reaction_mode``, ``atom_mapper``, ``encoder`` and
        ``fingerprint``): ``predict`` makes its graphs, and checks graphs given, with it, so
        setting those parameters after ``fit`` changes nothing until the next ``fit``.
    n_node_features_ : int
        Node features per atom: 74, or 148 in the CGR reaction modes.
    feature_schema_ : int
        The version of the atom features' meaning the model was fitted on; ``predict`` refuses
        a model whose version this release does not compute.
    versions_ : dict of str to str
        The versions of sklearn-ltdd, of its reading of SMILES (``smiles-parse``, raised with each
        change of what a SMILES gives, where the package's own version may not be), RDKit, torch,
        torch-geometric, scikit-learn and skorch the fit ran with. Loading the model (pickle, joblib) where
        sklearn-ltdd's, the parse's or RDKit's differ warns, as each can change what the model
        computes from a SMILES; so does loading a model saved before versions were recorded
        (:class:`~sklearn_ltdd.InconsistentVersionWarning`).
    logit_adjustment_ : float
        τ of the decision rule (0 for ``decision="argmax"``).
    validation_score_ : float or None
        Balanced accuracy of the model kept, deciding as ``predict`` does (τ included), on the
        validation set (the hold-out or ``validation_data``, samples with their weights); None
        without one. The history's ``valid_ba`` is each epoch's own, not that of a mean of epochs.
    class_log_prior_ : ndarray of shape (n_classes,)
        log π_c of the class mass the network trained on (sample weights and resampling
        included; each class counted at least as one sample of the mean weight), which the
        decision rule subtracts τ times; −inf for a class whose samples all weighed 0, which
        the network did not train on and which is never predicted.
    n_features_in_ : int
        Always 1: one column of SMILES (or of graphs).
    feature_names_in_ : ndarray of str of shape (1,)
        The name of X's column, where ``fit`` was given a one-column table of SMILES;
        ``predict`` and ``transform`` refuse a table whose column has another name.
    net_ : skorch.NeuralNet
        The trained skorch net (module, criterion, history). What only training needs is
        dropped after ``fit``: the validation set, the optimiser's state and per-sample
        training state, so a saved model holds no molecules. It reads graphs:
        ``net_.predict_proba(graphs)`` gives the network's own probabilities, before the
        decision's adjustment (also for the empty graph of a row that could not be read, where
        the classifier gives NaN), one column per class trained on: those of ``classes_``
        whose prior is finite (``classes_[np.isfinite(class_log_prior_)]``; a class whose
        samples all weigh 0 has none). Re-initialising it, or loading other weights into it, leaves
        the classifier's ``classes_``, ``class_log_prior_`` and ``logit_adjustment_`` as they
        were (and clears ``history_``, which is its history): refit the classifier instead.
        ``net_.set_params`` refuses what would rebuild the trained network, its criterion or
        optimiser (``module__*``, ``compile``, ``criterion__*``, ``lr``, ``optimizer__*``). skorch's
        ``net_.trim_for_prediction()`` keeps predictions, screens and loading on another device
        working, and clears ``history_`` as well.
    device_ : str
        The device the model is on: where it was trained, or, once loaded from a file, where it
        was loaded (skorch moves a CUDA-trained model to the CPU there when CUDA is missing, and
        ``device="auto"`` takes that machine's GPU when it has one).
"""


#: a part of the shared text that is one method's: ``{ltdd: ...}`` or ``{baselines: ...}``
_ONE_METHODS = re.compile(r"\{(ltdd|baselines): (.*?)\}", re.DOTALL)


def shared_parameters(method: str) -> Callable[[_Class], _Class]:
    """A class decorator that puts the shared parameters' and attributes' documentation into the
    class's docstring, in place of its lines ``{shared parameters}`` and ``{shared attributes}``,
    with the parts of ``method`` ("ltdd" or "baselines") and without the other's (a part holds
    no "}", which would end it)."""
    if method not in ("ltdd", "baselines"):
        raise ValueError(f"method must be 'ltdd' or 'baselines', got {method!r}.")

    def decorate(cls: _Class) -> _Class:
        if cls.__doc__ is None:  # python -OO
            return cls
        for marker, text in (("{shared parameters}", _SHARED_PARAMETERS_DOC),
                             ("{shared attributes}", _SHARED_ATTRIBUTES_DOC)):  # fmt: skip
            line = f"    {marker}\n"
            if line not in cls.__doc__:
                raise ValueError(f"the docstring of {cls.__name__} has no line {marker!r} (indented 4).")
            own = _ONE_METHODS.sub(lambda part: part[2] if part[1] == method else "", text)
            cls.__doc__ = cls.__doc__.replace(line, own)
        return cls

    return decorate
