"""The four plots: per-class accuracy vs class size, embeddings, weights over epochs, training curves."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.utils.validation import check_is_fitted

from .._arguments import check_flags, is_one_of
from .._labels import class_labels, few_of
from .._optional import import_optional
from ..classifier._wrapped import wrapped_classifier
from ..metrics import per_class_balanced_scores
from ..metrics._long_tail import class_counts_of, warn_if_the_classes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_class_accuracy", "plot_embedding", "plot_training", "plot_weights"]


def _pyplot() -> ModuleType:
    """matplotlib's pyplot, or an ImportError that says how to install it: asked before a plot's
    work, whose figure is made only once its inputs are known good (a failed call left an empty
    figure open, drawn under a notebook's traceback)."""
    return import_optional("matplotlib.pyplot", "plot", "sklearn_ltdd.plotting")


def _axes(ax: Axes | None, legend_rows: int = 0) -> Axes:
    """``ax`` (without the twin an earlier plot drew on it), or the axes of a new figure, taller by
    the rows of a legend drawn below them."""
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(6, 4 + 0.17 * legend_rows), layout="constrained")
    _drop_twin(ax)
    return ax


def _check_axes(ax: object) -> None:
    """Refuse an ``ax`` that is no matplotlib Axes before any work (a Figure failed on its missing
    ``plot`` once the model had run)."""
    if ax is None:  # (matplotlib is imported where a plot is drawn: a missing one is said there)
        return
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be matplotlib Axes (fig.add_subplot(), plt.gca()) or None, got {type(ax).__name__}."
        )


def _class_colours(n: int) -> list:
    import matplotlib as mpl

    if n > 20:  # a qualitative map would repeat its colours: n evenly spaced ones of a continuous map
        cmap = mpl.colormaps["turbo"]
        return [cmap(i / (n - 1)) for i in range(n)]
    cmap = mpl.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i) for i in range(n)]


MAX_NAMED_CLASSES = 15  # plot_class_accuracy names the classes along the x axis up to this many
MAX_NAME_LENGTH = 16  # ... each name shortened to this many characters (in every plot's legend too)
MAX_LEGEND_CLASSES = 36  # a legend names the classes up to this many: two columns of short names
SHORT_NAME = 8  # ... names up to this long; of longer ones (shortened to 16), one column's worth


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def plot_class_accuracy(
    models: Mapping[str, object] | object,
    X: ArrayLike,
    y: ArrayLike,
    y_train: ArrayLike | Mapping[Any, int],
    *,
    ax: Axes | None = None,
) -> Axes:
    """Per-class test accuracy (recall) against the class's training size, one line per model.

    The paper's Figure 1: a plain model's accuracy falls with class size; LTDD's should not.
    Each class is a marker; each model's line joins the mean accuracy of the classes of each
    size (through every marker where no two classes share a size).

    Parameters
    ----------
    models : fitted classifier or dict of name → fitted classifier
        The models to compare, one line each, named in the legend by their keys (a single
        classifier by its class name).
    X : array-like of str of shape (n_samples,)
        Test SMILES (or whatever the models predict from).
    y : array-like of shape (n_samples,)
        Their true labels.
    y_train : array-like or mapping
        Training labels, or ``{label: training count}`` (also as ``y_train.value_counts()``),
        for the class sizes on the x axis (log scale), as :func:`~sklearn_ltdd.metrics.long_tail_report`.
        Up to 15 classes are named above the axes, at their sizes (those of one size together),
        each shortened to 16 characters. A class with no sample in ``y`` has no accuracy and no
        marker (its name stays above the axes).
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SubclusterSchedule
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> schedule = SubclusterSchedule(warmup_epochs=1, update_every=1)
    >>> ltdd = LTDDClassifier(schedule=schedule, max_epochs=3, random_state=0).fit(smiles, y)
    >>> ce = BaselineClassifier(max_epochs=3, random_state=0).fit(smiles, y)
    >>> from sklearn_ltdd.plotting import plot_class_accuracy
    >>> X_test, y_test = ["CCCCCO", "OCCO", "c1ccccc1CCC", "Cc1ccccc1C"], ["alcohol"] * 2 + ["aromatic"] * 2
    >>> ax = plot_class_accuracy({"CE": ce, "LTDD": ltdd}, X_test, y_test, y)
    """
    _pyplot()
    _check_axes(ax)
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    counts_of = class_counts_of(y_train, "y_train")
    classes = np.array(sorted(counts_of))
    models = _models_by_name(models, classes)
    y = _labels(y, X)
    # a test class without a training count has no place on the x axis: not drawn, and not said
    unseen = sorted(set(np.unique(y).tolist()) - set(counts_of), key=str)
    if unseen:
        raise ValueError(
            f"y holds labels {few_of(unseen)} that are not among y_train's classes: a class of no "
            "training sample has no place on the log axis of class sizes. Leave its rows out of X "
            "and y (keep the rows whose label y_train has), or give the training labels of the models."
        )
    warn_if_the_classes(y_train, counts_of, len(y), "y_train")
    counts = np.array([counts_of[label] for label in classes])
    scored = [per_class_balanced_scores(y, model.predict(X), labels=classes) for model in models.values()]
    ax = _axes(ax)
    markers, handles = "os^Dv<>", []
    for i, scores in enumerate(scored):
        # a class with no test sample has no accuracy to draw (its recall would read 0)
        shown, recall = scores["present"], scores["recall"]
        # a line through the classes of one size in turn would zig-zag in an arbitrary order
        sizes = np.unique(counts[shown])
        (line,) = ax.plot(sizes, [recall[shown & (counts == size)].mean() for size in sizes])
        points = ax.scatter(counts[shown], recall[shown], marker=markers[i % len(markers)],
                            color=line.get_color(), zorder=3)  # fmt: skip
        handles.append((line, points))
    ax.set(xscale="log", ylim=(0, 1.05), xlabel="training samples in the class (log scale)",
           ylabel="test accuracy of the class (recall)",
           title="Accuracy per class against class size")  # fmt: skip
    # plain 50, 100, 200 rather than 4×10¹-style labels on every minor tick
    ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(alpha=0.3)
    ax.legend(handles, list(models))
    if len(classes) <= MAX_NAMED_CLASSES:  # more names would print over each other
        _name_classes_above(ax, classes, counts)
    return ax


def _models_by_name(models: Mapping[str, object] | object, classes: np.ndarray) -> Mapping[str, object]:
    """``plot_class_accuracy``'s models as a dict of name → classifier (one classifier named by its
    class), each checked to predict and to know some of ``classes``, the training set's."""
    if not isinstance(models, Mapping):
        if not hasattr(models, "predict"):
            raise TypeError(
                f"models must be a fitted classifier or a dict of name → fitted classifier, not a "
                f"{type(models).__name__}."
            )
        models = {type(models).__name__: models}
    if not models:
        raise ValueError("models is empty; give a fitted classifier, or a dict of name → fitted classifier.")
    for name, model in models.items():
        if not hasattr(model, "predict"):
            raise TypeError(f"models[{name!r}] is a {type(model).__name__}, not a fitted classifier.")
    for name, model in models.items():
        if not set(classes.tolist()) & set(np.asarray(getattr(model, "classes_", classes)).tolist()):
            raise ValueError(
                f"y_train's classes {few_of(classes)} are none of the classes of model {name!r}, "
                f"{few_of(np.asarray(model.classes_))}; give the training labels of the models."
            )
    return models


def _name_classes_above(ax: Axes, classes: np.ndarray, counts: np.ndarray) -> None:
    """The classes' names on a top axis at their sizes, where no marker covers them and the title
    makes room; one size's together, each shortened (a long name took the plot's height)."""
    from matplotlib.ticker import NullLocator

    sizes = np.unique(counts)
    top = _twin(ax, "twiny", follow_xlim=True)
    top.set(xscale="log")
    names = [", ".join(_shortened(str(c), MAX_NAME_LENGTH) for c in classes[counts == n]) for n in sizes]
    top.set_xticks(sizes, labels=names, rotation=90, fontsize=7, color="0.3")
    top.xaxis.set_minor_locator(NullLocator())


def plot_embedding(
    classifier: object,
    X: ArrayLike,
    y: ArrayLike,
    *,
    method: str = "pca",
    subclusters: bool = True,
    random_state: int | np.random.RandomState | None = 0,
    ax: Axes | None = None,
) -> Axes:
    """The learned embedding in 2-D, coloured by class, with the balanced sub-cluster centres marked.

    Parameters
    ----------
    classifier : fitted LTDDClassifier or BaselineClassifier, or a Pipeline, search or FrozenEstimator of one
        The model whose embeddings (:meth:`~sklearn_ltdd.LTDDClassifier.transform`) are drawn.
    X : array-like of str of shape (n_samples,)
        The samples to embed (``classifier.transform``).
    y : array-like of shape (n_samples,)
        Their labels, which colour the points. The legend names up to 36 classes (17 of
        names longer than 8 characters, shortened to 16); above that the classes keep a colour
        each, unnamed.
    method : {"pca", "tsne"}, default="pca"
        How the embedding is drawn in 2-D: PCA, or t-SNE (slower; perplexity at most 30).
    subclusters : bool, default=True
        Split each class of these samples into sub-clusters as LTDD does in training (the size
        unit and clustering method of the classifier's schedule; the default schedule's for a
        baseline) and mark their centres with crosses. These are the sub-clusters of the
        samples given, not those the model last trained with, which it does not keep.
    random_state : int, RandomState instance or None, default=0
        Seeds the sub-clustering and the projection, so that a plot can be drawn again.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> schedule = SubclusterSchedule(warmup_epochs=1, update_every=1)
    >>> ltdd = LTDDClassifier(schedule=schedule, max_epochs=3, random_state=0).fit(smiles, y)
    >>> from sklearn_ltdd.plotting import plot_embedding
    >>> ax = plot_embedding(ltdd, smiles, y, method="pca")
    """
    from ..cluster import BalancedSubcluster

    if not is_one_of(method, ("pca", "tsne")):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}.")
    check_flags(subclusters=subclusters)
    _pyplot()
    _check_axes(ax)
    if not hasattr(classifier, "transform"):  # (a None, a fingerprint Pipeline: an AttributeError)
        raise TypeError(
            "plot_embedding takes a fitted classifier whose transform embeds X (an LTDDClassifier or "
            f"BaselineClassifier, or a Pipeline ending in one), got {type(classifier).__name__}."
        )
    y = _labels(y, X)  # before the embedding, which can take minutes
    if len(y) < 2:  # (sklearn's PCA or t-SNE error about n_components or perplexity, after the model ran)
        raise ValueError(f"plot_embedding projects the embeddings of two samples or more; X has {len(y)}.")
    z = np.asarray(classifier.transform(X))  # (a DataFrame under transform_output="pandas")
    # one point up to rounding: sklearn's t-SNE then ends the process, its PCA divides by 0 (and the
    # sub-clusters' centres differ from it by rounding alone)
    eps = np.finfo(z.dtype if np.issubdtype(z.dtype, np.floating) else float).eps
    if np.ptp(z, axis=0).max() <= 1e3 * eps * max(1.0, float(np.abs(z).max())):
        raise ValueError(
            f"the model embeds all {len(z)} samples as one point: there is nothing to project (one "
            "molecule written several ways, or a model that maps every molecule alike?)."
        )
    classes = np.unique(y)
    points = z
    centres = np.empty((0, z.shape[1]))
    if subclusters:
        from ..classifier import SubclusterSchedule

        schedule = getattr(_classifier(classifier), "schedule", None) or SubclusterSchedule()
        clusterer = BalancedSubcluster(
            min_cluster_size=schedule.min_cluster_size,
            method=schedule.cluster_method,
            random_state=random_state,
        )
        centres = clusterer.fit(z, y).cluster_centers_
        points = np.vstack([z, centres])
    if method == "pca":
        projection = PCA(n_components=2, random_state=random_state)
    else:
        perplexity = min(30.0, (len(points) - 1) / 3)
        projection = TSNE(n_components=2, perplexity=perplexity, random_state=random_state)
    # an array whatever sklearn's transform_output (a DataFrame is not indexed as one)
    flat = projection.set_output(transform="default").fit_transform(points)
    named = _names_fit(classes)  # hundreds of names fill no legend that can be read
    ax = _axes(ax)
    colours = _class_colours(len(classes))
    if named:
        for colour, label in zip(colours, classes, strict=True):
            members = flat[: len(z)][y == label]
            name = f"{_shortened(str(label), MAX_NAME_LENGTH)} ({len(members)})"
            ax.scatter(members[:, 0], members[:, 1], s=10, alpha=0.6, color=colour, label=name)
    else:  # one scatter of every point in its class's colour (one per class: 14 s at 6,000 classes)
        ax.scatter(flat[: len(z), 0], flat[: len(z), 1], s=10, alpha=0.6,
                   color=np.asarray(colours)[np.searchsorted(classes, y)])  # fmt: skip
        ax.scatter([], [], s=10, color="0.5", label=f"{len(classes)} classes, a colour each (too many to "
                   "name)")  # fmt: skip
    if subclusters:
        ax.scatter(flat[len(z) :, 0], flat[len(z) :, 1], marker="X", s=60, color="black", edgecolor="white",
                   linewidth=0.8, label="centres of these samples' sub-clusters")  # fmt: skip
    ax.set(title=f"Learned embedding ({method.upper()})", xticks=[], yticks=[])
    ax.legend(markerscale=1.5, **_legend_place((len(classes) if named else 1) + bool(subclusters)))
    return ax


def _twin(ax: Axes, kind: str, follow_xlim: bool = False) -> Axes:
    """``ax.twinx()`` or ``ax.twiny()`` (``kind``), recorded on ``ax`` for :func:`_drop_twin`; with
    ``follow_xlim``, its x limits kept to those of ``ax`` (a scale of its own, a log one, say)."""
    twin = getattr(ax, kind)()
    registry, follows = None, None
    if follow_xlim:
        twin.set_xlim(ax.get_xlim())
        registry = ax.callbacks
        follows = registry.connect("xlim_changed", lambda changed: twin.set_xlim(changed.get_xlim()))
    ax._sklearn_ltdd_twin = (twin, registry, follows)
    return twin


def _drop_twin(ax: Axes) -> None:
    """Remove the twin axes an earlier plot drew on ``ax``, and the callback that kept it aligned:
    ``ax.clear()`` keeps a twin, and a redrawn cell showed the earlier model's curves over the new
    plot. Only that one: twins of other subplots, and the user's own, stay."""
    twin, registry, cid = getattr(ax, "_sklearn_ltdd_twin", (None, None, None))
    if registry is not None and ax.callbacks is registry:  # (ax.clear() makes a new registry)
        ax.callbacks.disconnect(cid)
    if twin is not None and twin.figure is not None and twin in twin.figure.axes:
        twin.remove()
    ax._sklearn_ltdd_twin = (None, None, None)


def _labels(y: ArrayLike, X: ArrayLike) -> np.ndarray:
    """``y`` checked as one label per row of X (none missing), as a 1-D array."""
    y = class_labels(y, "y", "give every sample a class.")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels.")
    return y


LEGEND_ROWS = 18  # the rows of a legend beside a new figure's axes (6 x 4 inches, 7-point type)


def _names_fit(classes: ArrayLike) -> bool:
    """Whether a legend can name each class: up to 36 of short names, or as many long ones as one
    column beside the axes holds (with the sub-clusters' entry); three columns of 16 characters
    squeezed the axes to a strip."""
    long = max((len(str(label)) for label in classes), default=0) > SHORT_NAME
    return len(classes) <= (LEGEND_ROWS - 1 if long else MAX_LEGEND_CLASSES)


def _columns_below(labels: list[str]) -> int:
    """The columns of a legend below the axes: six of short names, three of long ones (six of 16
    characters were wider than the figure)."""
    return 6 if max((len(label) for label in labels), default=0) <= SHORT_NAME + len("class ") else 3


def _legend_place(n_entries: int, beside: bool = True, columns_below: int = 6) -> dict:
    """Legend settings: inside the axes for up to ten entries, else out of them, so that it does not
    cover what is drawn: beside them in columns of ``LEGEND_ROWS`` (more ran off a new figure's
    foot), or (where a right axis stands beside them) below them in ``columns_below`` columns."""
    if n_entries <= 10:
        return {"fontsize": 8}
    if beside:
        return {"fontsize": 7, "loc": "upper left", "bbox_to_anchor": (1.01, 1),
                "ncol": -(-n_entries // LEGEND_ROWS), "borderaxespad": 0}  # fmt: skip
    return {"fontsize": 7, "loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncol": columns_below}


def _legend_of_both(ax: Axes, right: Axes, **kwargs) -> None:
    """One legend for the lines of an Axes and of its twin."""
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = right.get_legend_handles_labels()
    entries = len(labels) + len(more_labels)  # (the right axis is beside: the legend goes below)
    place = _legend_place(entries, beside=False, columns_below=_columns_below(labels + more_labels))
    ax.legend(handles + more_handles, labels + more_labels, **{**place, **kwargs})


def _classifier(model: object) -> object:
    """The classifier inside a Pipeline, a search or a FrozenEstimator: it holds the history, the
    classes and the schedule."""
    return wrapped_classifier(model, "plot")[0]


def _history(classifier: object):
    if not hasattr(classifier, "predict"):  # e.g. the history itself: its repr made a page-long message
        raise TypeError(
            "this plot takes the fitted classifier whose history_ it reads, not a "
            f"{type(classifier).__name__}."
        )
    if not hasattr(classifier, "history_"):
        check_is_fitted(classifier)  # an unfitted model is told so; a fitted one of another kind:
        raise TypeError(
            f"this plot reads the training history of an LTDDClassifier or BaselineClassifier; a "
            f"{type(classifier).__name__} has none (no history_)."
        )
    check_is_fitted(classifier, "history_")
    if not len(classifier.history_):  # a fit records a row as each epoch begins
        raise ValueError(
            "history_ is empty: it was cleared after the fit (skorch's net_.trim_for_prediction() and "
            "net_.initialize() clear the net's history, which history_ is), so there is nothing to draw."
        )
    return classifier.history_


def plot_weights(classifier: object, *, ax: Axes | None = None) -> Axes:
    """Class weights (steps, one per class) and number of sub-clusters (steps, right axis) per epoch.

    Weights change only when the classes are re-clustered, hence steps. Two classes that are each
    other's nearest share one weight: their steps coincide, told apart by their line styles.
    Above 36 classes (17 of names longer than 8 characters), whose lines and names would fill the
    figure, the plot shows how the weights spread instead: the band of the middle 90 % of classes,
    their median and their largest. Class names are shortened to 16 characters.

    Parameters
    ----------
    classifier : fitted LTDDClassifier, or a Pipeline, search or FrozenEstimator of one
        The model whose separability weights are drawn, from its ``history_``.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure (taller by the legend's rows for many classes).

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> schedule = SubclusterSchedule(warmup_epochs=1, update_every=1)
    >>> ltdd = LTDDClassifier(schedule=schedule, max_epochs=3, random_state=0).fit(smiles, y)
    >>> from sklearn_ltdd.plotting import plot_weights
    >>> ax = plot_weights(ltdd)
    """
    _check_axes(ax)
    classifier = _classifier(classifier)
    history = _history(classifier)
    # warm-up epochs record no weights (an empty list)
    rows = [(r["epoch"], r["class_weights"], r["n_subclusters"]) for r in history if r.get("class_weights")]
    if not rows:
        if not hasattr(classifier, "schedule"):  # a baseline: no sub-clusters, no separability weights
            raise ValueError(
                f"a {type(classifier).__name__} trains without separability weights; plot_weights draws "
                "those of an LTDDClassifier."
            )
        raise ValueError("the history has no class weights: fit an LTDDClassifier past its warm-up epochs.")
    epochs = [r[0] for r in rows]
    weights = np.array([r[1] for r in rows])
    n_classes = weights.shape[1]
    # (the classes trained on: not those whose samples all weighed 0)
    classes = classifier.classes_[np.isfinite(classifier.class_log_prior_)]
    named = _names_fit(classes)
    entries = n_classes + 1 if named else 4  # the legend's, the sub-clusters' too
    names = [f"class {_shortened(str(label), MAX_NAME_LENGTH)}" for label in classes]
    columns = _columns_below(names) if named else 6
    ax = _axes(ax, legend_rows=-(-entries // columns) if entries > 10 else 0)
    if named:
        _weight_per_class(ax, epochs, weights, classes)
    else:  # hundreds of lines are one solid block: how the classes' weights spread instead
        low, median, high = np.percentile(weights, [5, 50, 95], axis=1)
        ax.fill_between(epochs, low, high, step="post", alpha=0.3, color="C0",
                        label=f"5-95 % of the {n_classes} classes")  # fmt: skip
        ax.step(epochs, median, where="post", color="C0", marker=".", label="their median")
        ax.step(epochs, weights.max(axis=1), where="post", color="C0", linestyle=":", linewidth=0.8,
                label="their largest")  # fmt: skip
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set(xlabel="epoch", ylabel="class weight in the cross-entropy",
           title="Separability weights over training")  # fmt: skip
    right = _twin(ax, "twinx")
    n_sub = [r[2] for r in rows]
    right.step(epochs, n_sub, where="post", color="0.3", linestyle="--", marker=".", label="sub-clusters")
    right.set(ylabel="number of sub-clusters", ylim=(0, max(n_sub) * 1.15))
    right.yaxis.get_major_locator().set_params(integer=True)
    _legend_of_both(ax, right)
    return ax


def _weight_per_class(ax: Axes, epochs: list, weights: np.ndarray, classes: np.ndarray) -> None:
    styles = ("-", "--", "-.", ":")
    colours = _class_colours(len(classes))
    for i, (colour, label, series) in enumerate(zip(colours, classes, weights.T, strict=True)):
        # a marker per epoch: the weights of a single weighted epoch, or the last, are no step's run
        ax.step(epochs, series, where="post", color=colour, linestyle=styles[i % 4], marker=".",
                label=f"class {_shortened(str(label), MAX_NAME_LENGTH)}")  # fmt: skip


def plot_training(classifier: object, *, ax: Axes | None = None) -> Axes:
    """Training curves: losses (left axis) and validation BA / BF1 (right axis) per epoch.

    The two losses are not the same measure: the training loss is the method's whole objective
    (for LTDD the contrastive terms too, and with ``fingerprint="morgan"`` the fingerprint
    expert's loss), the validation loss a plain cross-entropy on the clean validation graphs. Compare
    their trends, not their values.

    Parameters
    ----------
    classifier : fitted LTDDClassifier or BaselineClassifier, or a Pipeline, search or FrozenEstimator of one
        The model whose training history (``history_``) is drawn.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
    >>> smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC"] * 4
    >>> y = ["alcohol"] * 3 * 4 + ["aromatic"] * 3 * 4
    >>> schedule = SubclusterSchedule(warmup_epochs=1, update_every=1)
    >>> ltdd = LTDDClassifier(schedule=schedule, max_epochs=3, random_state=0).fit(smiles, y)
    >>> from sklearn_ltdd.plotting import plot_training
    >>> ax = plot_training(ltdd)
    """
    _check_axes(ax)
    history = _history(_classifier(classifier))
    if not any(np.isfinite(row.get("train_loss", np.nan)) for row in history):  # (an epoch cut short)
        raise ValueError(
            "the fit was interrupted in its first epoch: no epoch ended, so there is no curve to draw."
        )
    ax = _axes(ax)
    ax.xaxis.get_major_locator().set_params(integer=True)
    for key, label in (("train_loss", "training loss"), ("contrastive_loss", "contrastive term"),
                       ("ce_loss", "cross-entropy term"), ("wide_loss", "fingerprint expert's term"),
                       ("valid_loss", "validation loss")):  # fmt: skip
        points = [(row["epoch"], row[key]) for row in history if key in row]
        if points:
            ax.plot(*zip(*points, strict=True), label=label)
    ax.set(xlabel="epoch", ylabel="loss", title="Training curves")
    place = {"ncol": 3, "loc": "upper center", "bbox_to_anchor": (0.5, -0.2)}  # the curves fill the plot
    if "valid_ba" not in history[-1]:  # no validation set: no scores, and no empty axis for them
        ax.legend(**place)
        return ax
    right = _twin(ax, "twinx")
    for key, label, style in (("valid_ba", "validation BA", "-"), ("valid_bf1", "validation BF1", ":")):
        points = [(row["epoch"], row[key]) for row in history if key in row]
        right.plot(*zip(*points, strict=True), color="black", linestyle=style, label=label)
    right.set(ylabel="balanced score", ylim=(0, 1))
    _legend_of_both(ax, right, **place)
    return ax
