"""What the classifiers accept: labels, sample weights, and graphs checked against the featuriser
and the network that read them. Each check names the problem and what to do."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import DataConversionWarning

from .._compat import from_arrow
from .._labels import check_class_labels, class_labels, few_of, naming_labels, row_names
from .._sample_weight import check_sample_weight
from .._warnings import warn
from ..featurize import GraphStore, GraphStorePair, InvalidSmilesError, SmilesGraphizer, check_smiles
from ..featurize._graph_store import check_finite_features

__all__ = [
    "FIT_ADVICE",
    "PREDICT_ADVICE",
    "check_graphs_readable",
    "check_known",
    "check_labels",
    "check_widths",
    "count_rows",
    "described",
    "mean_1",
    "training_weights",
    "weighted_samples",
    "widths",
]


def count_rows(X: object) -> int:
    """X's rows, counted before X is featurised, which can take minutes, so that labels and weights
    are checked first: graphs, or a column of SMILES (its shape and container checked)."""
    if not isinstance(X, GraphStore | GraphStorePair):
        return len(check_smiles(from_arrow(X)))
    if not len(X):  # (as check_smiles says of SMILES)
        raise ValueError("X is empty: at least one graph is required.")
    return len(X)


FIT_ADVICE = "Or remove these rows (and the matching labels)."
PREDICT_ADVICE = (
    "Fix or remove these rows; sklearn_ltdd.screen.screen(model, X, errors='nan') scores the others "
    "and marks these."
)


def mean_1(weights: np.ndarray) -> np.ndarray:
    """Sample weights with their ratios and mean 1. The losses and scores are weighted means, so
    only ratios matter, and mean 1 keeps float32 from overflowing (1e39) or vanishing (1e-30)
    with weights of any common scale (divided by the largest first: a sum of 1e307s overflows
    float64); :func:`training_weights` refuses ratios that float32 cannot hold."""
    weights = weights / weights.max()
    return weights / weights.mean()


def training_weights(sample_weight: ArrayLike | None, n: int) -> np.ndarray | None:
    """``sample_weight`` checked as every estimator checks it (:func:`check_sample_weight`), and
    for what training's float32 holds (:func:`_check_weight_ratios`): of fit, or of its
    validation_data, whose samples weigh in the same float32 scores."""
    weights = check_sample_weight(sample_weight, n)
    if weights is not None:
        _check_weight_ratios(weights, sample_weight)
    return weights


def _check_weight_ratios(weights: np.ndarray, sample_weight: ArrayLike) -> None:
    """Refuse positive weights that training's float32 holds as 0 beside the others (a ratio of
    1e-50 to the mean, say), or as a subnormal number of few digits (below 1.2e-38): their
    samples, counted as there (a class trained on, a class scored in validation), would weigh
    nothing, with no word. ``sample_weight`` as given names the row."""
    positive = weights > 0
    scaled = np.zeros_like(weights)
    scaled[positive] = mean_1(weights[positive])
    lost = np.flatnonzero(positive & (scaled < np.finfo(np.float32).tiny))
    if lost.size:
        word, (name,) = row_names(sample_weight, lost[:1])
        raise ValueError(
            f"sample_weight's ratios exceed what training's float32 holds: {word} {name}'s weight, "
            f"{weights[lost[0]]:g}, is {scaled[lost[0]]:.3g} times the mean positive weight, below "
            f"float32's smallest normal number ({lost.size} such rows), which it holds as 0 or with "
            "few digits; give those samples weight 0 (left out), or weights within 1e30 of each other."
        )


def widths(graphs: GraphStore | GraphStorePair, fingerprint: bool = True) -> dict[str, int | None]:
    """The widths a network reads of ``graphs``: node features per atom, and fingerprint bits
    (None where it reads none: ``fingerprint`` False, or the graphs have none)."""
    bits = graphs.fingerprint.shape[1] if fingerprint and graphs.fingerprint is not None else None
    return {"node features": graphs.num_node_features, "fingerprint bits": bits}


def described(read: dict[str, int | None]) -> str:
    """Widths (as :func:`widths` gives them) in words, for an error message."""
    bits = read["fingerprint bits"]
    return f"{read['node features']} node features and {'no' if bits is None else bits} fingerprint bits"


def check_widths(graphs: GraphStore | GraphStorePair, expected: dict[str, int | None], advice: str) -> None:
    """Refuse graphs whose widths are not those the network reads (a store built by hand reached
    the network as a matrix product of mismatched shapes)."""
    given = widths(graphs)
    if any(n is not None and given[what] != n for what, n in expected.items()):
        raise ValueError(f"the graphs have {described(given)}, but the model reads {described(expected)}; "
                         f"{advice}.")  # fmt: skip


def check_graphs_readable(graphs: GraphStore | GraphStorePair, featurizer: SmilesGraphizer) -> None:
    """Refuse graphs that the network of ``featurizer``'s settings cannot read: empty graphs of
    invalid rows, one side of a pair, a pair where single graphs are read (or the reverse), and
    graphs without the bond features or the fingerprint it reads (both named at once), and
    NaN or infinity among their features."""
    check_finite_features(graphs)
    if not graphs.valid_mask.all():
        bad = np.flatnonzero(~graphs.valid_mask)
        error = InvalidSmilesError(
            {int(i): ("<empty graph>", "made from an invalid input row") for i in bad},
            "SmilesGraphizer(errors='ignore') made these from rows it could not read (its invalid_rows_, "
            "after that transform, names them and why; so does an error of SmilesGraphizer() given them). "
            "Leave them out with graphs[graphs.valid_mask] (in fit, the labels too).",
        )
        # by the labels of the rows the graphs were made from (a pandas X's index), as for SMILES
        labels = naming_labels(graphs.row_labels)
        if labels is not None:
            error.name_rows_by(labels)
        raise error
    if isinstance(graphs, GraphStorePair) != (featurizer.reaction_mode == "pair"):
        if getattr(graphs.recipe, "reaction_mode", None) == "pair":  # graphs.reactants, say
            raise ValueError(
                "the graphs given are one side of reactant / product pairs (a GraphStorePair's "
                ".reactants or .products); give the GraphStorePair itself."
            )
        raise ValueError(
            f"reaction_mode={featurizer.reaction_mode!r} does not match the graphs given "
            f"({type(graphs).__name__}); use the same reaction_mode as the SmilesGraphizer."
        )
    first = graphs.reactants if isinstance(graphs, GraphStorePair) else graphs
    missing, settings, instead = [], [], []
    if featurizer.bond_features and first.edge_attr is None:
        missing.append("the bond features that the model's encoder reads")
        settings.append("bond_features=True")
    if featurizer.fingerprint is not None and graphs.fingerprint is None:
        missing.append(f"the fingerprint that fingerprint={featurizer.fingerprint!r} reads")
        settings.append(f"fingerprint={featurizer.fingerprint!r}")
        instead.append("; fit with fingerprint=None to do without the fingerprint")
    if missing:
        raise ValueError(
            f"the graphs given lack {' and '.join(missing)}; make them with "
            f"SmilesGraphizer({', '.join(settings)}), or pass SMILES{''.join(instead)}."
        )


def check_labels(y: ArrayLike, n: int | None, scored: bool = False) -> np.ndarray:
    """``y`` checked as class labels, ``n`` of them (None: any number). Labels ``scored`` against
    a fitted model's classes (validation, ``score``) may hold many classes of a sample or two
    each: sklearn's hint that such labels look like a regression target is then noise; nor are
    they warned of as a column, as sklearn's ``score`` does not. A fit's hint points at the
    caller's line (sklearn's own pointed into this module)."""
    given = from_arrow(y)
    # checked as given: numpy would turn a NaN among strings into 'nan', [1, "a"] into strings
    y = class_labels(given, "y", "remove these samples or give them a label.")
    if np.ndim(given) == 2 and not scored:  # as sklearn's estimators say of a column given as y
        warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of "
            "y to (n_samples, ), for example using ravel().",
            DataConversionWarning,
        )
    if n is not None and y.shape[0] != n:
        raise ValueError(f"X has {n} samples but y has {y.shape[0]} labels.")
    check_class_labels(y)
    if not scored and len(y) > 20 and np.unique(y).size > round(0.5 * len(y)):
        # sklearn's hint, as its check_classification_targets gives it, but at the caller's line
        warn(
            "The number of unique classes is greater than 50% of the number of samples. `y` could "
            "represent a regression problem, not a classification problem.",
            UserWarning,
        )
    return y


def warn_of_one_sample_classes(codes: np.ndarray) -> None:
    """Warn where nearly every sample of a fit (class codes ``codes``) is the single sample of its
    class: y is then most likely an identifier, a name or the SMILES column itself (or X and y
    swapped), and the model a lookup of its training molecules. A long tail, however many classes
    of one sample it has, or a split of one, keeps most samples in classes of several."""
    sizes = np.bincount(codes)
    single = int(np.count_nonzero(sizes == 1))
    if len(sizes) >= 10 and single >= 0.9 * len(codes):
        warn(
            f"{single:,} of the {len(codes):,} samples are each the single sample of its class "
            f"({len(sizes):,} classes): a class of one sample can be neither learned beyond it nor "
            "validated. Is y an identifier, a name or the SMILES column (or are X and y swapped)? "
            "Give each molecule's class as y."
        )


def check_known(y: np.ndarray, classes: np.ndarray, weighted_out: np.ndarray) -> None:
    """Refuse labels that are not among the ``classes`` a model trains on; those of ``weighted_out``,
    classes of fit's y whose samples all weigh 0, are named as such."""
    unknown = sorted(set(np.unique(y).tolist()) - set(classes.tolist()), key=str)
    weighed_nothing = set(np.asarray(weighted_out).tolist())
    left_out = [label for label in unknown if label in weighed_nothing]
    if left_out:
        raise ValueError(
            f"y contains labels {few_of(left_out)} of classes that fit does not train on (their "
            f"samples all weigh 0 in fit's sample_weight; classes trained on: {few_of(classes)}); leave "
            "out those rows too, or give the classes' samples a positive weight in fit."
        )
    if unknown:
        raise ValueError(f"y contains labels {few_of(unknown)} not seen in fit (classes: {few_of(classes)}).")


def weighted_samples(
    y: np.ndarray, sample_weight: ArrayLike | None
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The positions of the samples with a positive weight (None: all), their labels, and their
    weights scaled to mean 1; at least two classes among them."""
    weights = training_weights(sample_weight, len(y))
    # weight 0 means the sample is not there, as in scikit-learn: not in the hold-out, the
    # class sizes, the sub-clusters or the contrastive terms, which no weight reaches; a class
    # of such samples only is not trained on (a bootstrap that draws none of it), though its
    # label stays among classes_ (the fit's end)
    kept = slice(None) if weights is None else np.flatnonzero(weights)
    classes = np.unique(y[kept])
    if len(classes) < 2:
        weighted = "" if weights is None else " with a positive sample_weight"
        unweighted = np.setdiff1d(y, classes)
        why = (  # refused as SVC refuses it: a model of one class has nothing to learn
            f" The samples of {few_of(unweighted)} all weigh 0 (a BaggingClassifier member's bootstrap "
            "that drew none of them, say): draws of two classes or more need a larger max_samples, or "
            "a bagging that balances its draws."
            if len(unweighted)
            else ""
        )
        raise ValueError(
            f"y has only one class{weighted} ({classes.tolist()[0]!r}); a classifier needs at least two.{why}"
        )
    if weights is not None and not weights.all():
        unweighted = np.setdiff1d(y, classes)
        if len(unweighted):
            warn(
                f"classes {few_of(unweighted)} have no sample with a positive sample_weight: the "
                "model is trained without them, as if their samples were not given, and never "
                "predicts them (classes_ holds them, as scikit-learn's classifiers do, with "
                "probability 0).",
                UserWarning,
            )
        return kept, y[kept], mean_1(weights[kept])
    return None, y, np.ones(len(y)) if weights is None else mean_1(weights)
