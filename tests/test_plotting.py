import sys

import numpy as np
import pytest
from sklearn import config_context

matplotlib = pytest.importorskip("matplotlib", reason="the plotting extra (matplotlib) is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SubclusterSchedule  # noqa: E402
from sklearn_ltdd.datasets import load_solubility, make_long_tailed  # noqa: E402
from sklearn_ltdd.plotting import plot_class_accuracy, plot_embedding, plot_training, plot_weights  # noqa: E402

DATA = load_solubility(subset="train")
KEEP = make_long_tailed(DATA.target, imbalance_ratio=8, random_state=0)[::3]
X, Y = DATA.data[KEEP], DATA.target[KEEP]
RUN = {"max_epochs": 5, "hidden": 16, "batch_size": 32, "random_state": 0}


@pytest.fixture(scope="module")
def models():
    schedule = SubclusterSchedule(warmup_epochs=1, update_every=2)
    return LTDDClassifier(schedule=schedule, **RUN).fit(X, Y), BaselineClassifier(**RUN).fit(X, Y)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _class_names(ax) -> dict[float, str]:
    """The class names above the accuracy plot (a top axis of their own), by class size."""
    (top,) = [other for other in ax.figure.axes if other is not ax]
    return dict(zip(top.get_xticks(), [label.get_text() for label in top.get_xticklabels()], strict=True))


def test_class_accuracy_has_one_line_per_model(models):
    ltdd, ce = models
    ax = plot_class_accuracy({"CE": ce, "LTDD": ltdd}, X, Y, Y)
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2  # a line and the classes' markers
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CE", "LTDD"]
    counts = {c: (Y == c).sum() for c in np.unique(Y)}
    assert _class_names(ax) == {n: c for c, n in counts.items()}  # one name per class, at its size
    sizes = ax.get_lines()[0].get_xdata()
    assert list(sizes) == sorted(counts.values())
    assert ax.get_xlim() == ax.figure.axes[1].get_xlim()


def test_classes_of_one_size_are_points_and_the_line_joins_their_mean(models):
    """A line through each class in turn ran up and down at a shared size, in an arbitrary order."""
    ltdd, _ = models
    sizes = {"high": 50, "low": 50, "medium": 10}
    ax = plot_class_accuracy(ltdd, X, Y, sizes)
    recall = {c: np.mean(ltdd.predict(X[Y == c]) == c) for c in sizes}
    means = [[10, recall["medium"]], [50, (recall["high"] + recall["low"]) / 2]]
    np.testing.assert_allclose(ax.get_lines()[0].get_xydata(), means)
    points = sorted(map(tuple, ax.collections[0].get_offsets()))
    assert points == sorted((sizes[c], recall[c]) for c in sizes)
    assert _class_names(ax) == {10: "medium", 50: "high, low"}


def test_a_class_without_test_samples_is_not_drawn_at_zero_accuracy(models):
    ltdd, _ = models
    absent = np.unique(Y)[0]
    ax = plot_class_accuracy(ltdd, X[Y != absent], Y[Y != absent], Y)
    counts = {c: (Y == c).sum() for c in np.unique(Y)}
    assert sorted(ax.get_lines()[0].get_xdata()) == sorted(n for c, n in counts.items() if c != absent)
    assert len(ax.collections[0].get_offsets()) == 2
    assert absent in _class_names(ax).values()  # its name is still on the axis


def test_embedding_one_scatter_per_class_plus_centres(models):
    ltdd, _ = models
    ax = plot_embedding(ltdd, X, Y)
    assert len(ax.collections) == 3 + 1
    n_points = sum(len(c.get_offsets()) for c in ax.collections[:3])
    assert n_points == len(X)
    classes, counts = np.unique(Y, return_counts=True)
    named = [t.get_text() for t in ax.get_legend().get_texts()][:3]  # each class with its samples
    assert named == [f"{c} ({n})" for c, n in zip(classes, counts, strict=True)]
    assert [len(c.get_offsets()) for c in ax.collections[:3]] == counts.tolist()
    ax = plot_embedding(ltdd, X, Y, method="tsne", subclusters=False)
    assert len(ax.collections) == 3
    for output in ("pandas", "polars"):  # the projection's output is an array whatever the setting
        with config_context(transform_output=output):
            ax = plot_embedding(ltdd, X, Y)
        assert sum(len(c.get_offsets()) for c in ax.collections[:3]) == len(X)
    with pytest.raises(ValueError, match="pca"):
        plot_embedding(ltdd, X, Y, method="umap")


def test_the_training_curves_are_the_history_columns_they_name(models):
    ltdd, _ = models
    ax = plot_training(ltdd)
    (right,) = [other for other in ax.figure.axes if other is not ax]
    columns = {"training loss": "train_loss", "contrastive term": "contrastive_loss",
               "cross-entropy term": "ce_loss", "fingerprint expert's term": "wide_loss",
               "validation loss": "valid_loss", "validation BA": "valid_ba",
               "validation BF1": "valid_bf1"}  # fmt: skip
    drawn = {line.get_label(): line for line in [*ax.get_lines(), *right.get_lines()]}
    assert {"training loss", "validation BA", "validation BF1"} <= drawn.keys() <= columns.keys()
    for label, line in drawn.items():
        rows = [row for row in ltdd.history_ if columns[label] in row]
        assert line.get_xdata().tolist() == [row["epoch"] for row in rows]
        np.testing.assert_allclose(line.get_ydata(), [row[columns[label]] for row in rows])


def test_embedding_clusters_as_the_classifiers_schedule_does(models, monkeypatch):
    from sklearn_ltdd.cluster import BalancedSubcluster

    methods, fit = [], BalancedSubcluster.fit
    monkeypatch.setattr(
        BalancedSubcluster, "fit", lambda self, *a: methods.append(self.method) or fit(self, *a)
    )
    ltdd = models[0]
    monkeypatch.setattr(ltdd, "schedule", SubclusterSchedule(cluster_method="kmeans"))
    plot_embedding(ltdd, X, Y)
    assert methods == ["kmeans"]


def test_many_classes_get_distinct_colours_and_a_legend_beside_the_plot(models):
    ltdd, _ = models
    labels = np.array([f"T{i:02d}" for i in range(30)])[np.arange(len(X)) % 30]
    ax = plot_embedding(ltdd, X, labels, subclusters=False)
    assert len({tuple(c.get_facecolor()[0][:3]) for c in ax.collections}) == 30  # tab20 repeated
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    # 25 classes and the centres: the legend stays on the figure (in columns of 25 it ran off its foot)
    labels = np.array([f"T{i:02d}" for i in range(25)])[np.arange(len(X)) % 25]
    ax = plot_embedding(ltdd, X, labels)
    ax.figure.canvas.draw()
    assert len(ax.get_legend().get_texts()) == 26
    assert ax.get_legend().get_window_extent().y0 >= ax.figure.bbox.y0


def test_long_class_names_are_shortened_above_the_accuracy_plot(models):
    named = {label: f"{label}: the class of {label} with a name of many words" for label in np.unique(Y)}
    renamed = np.array([named[label] for label in Y])
    model = LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=1), **RUN).fit(X, renamed)
    ax = plot_class_accuracy(model, X, renamed, renamed)
    assert all(len(name) <= 16 and name.endswith("…") for name in _class_names(ax).values())
    # each name shortened, not the names of one size together (the third and later were lost)
    sizes = {name: 10 for name in named.values()}
    (together,) = _class_names(plot_class_accuracy(model, X, renamed, sizes)).values()
    assert [name[:4] for name in together.split(", ")] == ["high", "low:", "medi"]
    short = plot_class_accuracy(models[0], X, Y, Y)  # names of 3 to 6 characters
    for axes in (ax, short):
        axes.figure.canvas.draw()
    # the names leave the plot its height (a name of 46 characters had left it a third)
    assert ax.get_window_extent().height >= 0.8 * short.get_window_extent().height


def test_many_classes_keep_the_weights_and_accuracy_plots_readable():
    labels = np.array([f"T{i:02d}" for i in range(30)])[np.arange(len(X)) % 30]
    ltdd = LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=1, update_every=2), **RUN).fit(X, labels)
    ax = plot_weights(ltdd)  # 30 classes and the sub-clusters: a legend below the plot
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert len(ax.get_legend().get_texts()) == 31
    assert legend.y1 <= ax.get_window_extent().y0  # covering neither the lines nor the right axis
    # the figure grows by the legend's rows: the axes keep the height of a few classes' plot
    few = plot_weights(LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=1), **RUN).fit(X, Y))
    few.figure.canvas.draw()
    assert ax.get_window_extent().height >= 0.9 * few.get_window_extent().height
    assert len(plot_class_accuracy(ltdd, X, labels, labels).figure.axes) == 1  # 30 names would overprint


def test_hundreds_of_classes_are_drawn_unnamed_and_the_weights_as_their_spread():
    """With 311 classes the embedding's legend had 18 columns, of which one fitted the figure, and
    the weights plot 311 lines (a solid block) and a legend that ran off the figure's foot; names
    of 150 characters (reaction templates) were written whole."""
    names = np.array([f"[C:{i}]>>template {i} " + "x" * 120 for i in range(40)])
    labels = names[np.arange(len(X)) % 40]
    ltdd = LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=1, update_every=2), **RUN).fit(X, labels)
    ax = plot_embedding(ltdd, X, labels)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "40 classes, a colour each (too many to name)",
        "centres of these samples' sub-clusters",
    ]
    colours = ax.collections[0].get_facecolor()  # one scatter (one per class took 14 s at 6,000)
    assert len(colours) == len(X) and len({tuple(c[:3]) for c in colours}) == 40
    assert len({(label, tuple(c)) for label, c in zip(labels, colours, strict=True)}) == 40  # one each
    ax = plot_weights(ltdd)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "5-95 % of the 40 classes",
        "their median",
        "their largest",
        "sub-clusters",
    ]
    weights = np.array([row["class_weights"] for row in ltdd.history_ if row.get("class_weights")])
    median = ax.get_lines()[0].get_ydata()
    assert np.allclose(median, np.median(weights, axis=1))
    assert ax.figure.get_size_inches()[1] == 4  # no rows of legend below
    # long names: up to 17 classes are named (one column beside the plot, the centres' entry too),
    # each shortened to 16 characters; three columns of them squeezed the plot to a strip
    kept = np.isin(labels, names[:17])
    ax = plot_embedding(ltdd, X[kept], labels[kept])
    ax.figure.canvas.draw()
    texts = [t.get_text() for t in ax.get_legend().get_texts()][:-1]
    assert len(texts) == 17 and all(text.startswith("[C:") and "… (" in text for text in texts)
    assert all(len(text.split(" (")[0]) == 16 for text in texts)
    assert ax.get_window_extent().width >= 0.5 * ax.figure.bbox.width
    kept = np.isin(labels, names[:18])
    assert len(plot_embedding(ltdd, X[kept], labels[kept]).get_legend().get_texts()) == 2  # unnamed
    # short names: up to 36 (two columns)
    short = np.array([f"T{i:02d}" for i in range(40)])[np.arange(len(X)) % 40]
    kept = np.isin(short, [f"T{i:02d}" for i in range(36)])
    ax = plot_embedding(ltdd, X[kept], short[kept], subclusters=False)
    assert len(ax.get_legend().get_texts()) == 36
    # the weights' legend below: three columns of long names stay within the figure
    few = LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=1, update_every=2), **RUN)
    kept = np.isin(labels, names[:12])
    ax = plot_weights(few.fit(X[kept], labels[kept]))
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert (
        legend.x0 >= ax.figure.bbox.x0 and legend.x1 <= ax.figure.bbox.x1 and legend.y0 >= ax.figure.bbox.y0
    )


def test_class_sizes_may_come_as_counts_as_for_the_long_tail_report(models):
    ltdd, ce = models
    import pandas as pd

    # the classes for the training labels drew every class at size 1, without a word
    with pytest.warns(
        UserWarning, match=r"training classes counts 1 in y_train, fewer than the .*clf.classes_"
    ):
        plot_class_accuracy(ltdd, X, Y, ltdd.classes_)

    by_labels = plot_class_accuracy(ltdd, X, Y, Y)
    for counts in (pd.Series(Y).value_counts(), dict(pd.Series(Y).value_counts())):
        # the counts were read as labels: one point, at the class named by the largest count
        ax = plot_class_accuracy(ltdd, X, Y, counts)
        np.testing.assert_array_equal(ax.get_lines()[0].get_xydata(), by_labels.get_lines()[0].get_xydata())
    with pytest.raises(ValueError, match=r"\['a', 'b'\] are none of the classes of model 'CE', \['high'"):
        plot_class_accuracy({"CE": ce}, X, Y, ["a", "b"])


def test_no_model_to_plot_is_an_error(models):
    with pytest.raises(ValueError, match="models is empty"):
        plot_class_accuracy({}, X, Y, Y)
    with pytest.raises(TypeError, match="a dict of name → fitted classifier, not a list"):
        plot_class_accuracy(list(models), X, Y, Y)
    with pytest.raises(TypeError, match=r"models\['b'\] is a str, not a fitted classifier"):
        plot_class_accuracy({"a": models[0], "b": "notamodel"}, X, Y, Y)
    with pytest.raises(ValueError, match=f"X has {len(X)} rows but y has 10 labels"):
        plot_embedding(models[0], X, Y[:10], subclusters=False)
    # labels checked before the embedding: numpy's sort, or len() of a generator, failed after it
    with pytest.raises(ValueError, match=r"y has 1 missing labels \(None, NaN or NA\) at rows \[1\]"):
        plot_embedding(models[0], X[:3], [Y[0], None, Y[2]], subclusters=False)
    with pytest.raises(TypeError, match="not an iterator"):
        plot_embedding(models[0], X[:3], iter(Y[:3]), subclusters=False)
    for n in (0, 1):  # (sklearn's PCA error about n_components, after the model ran)
        with pytest.raises(ValueError, match=f"of two samples or more; X has {n}"):
            plot_embedding(models[0], X[:n], Y[:n], subclusters=False)
    # one molecule written several ways is one point: sklearn's t-SNE ended the process (a segfault;
    # not called here, where a regression would end pytest), and the sub-clusters' centres, which
    # differ from it by rounding, hid it
    for subclusters in (False, True):
        with pytest.raises(
            ValueError, match="embeds all 3 samples as one point: there is nothing to project"
        ):
            plot_embedding(models[0], ["CCO", "OCC", "C(O)C"], Y[:3], subclusters=subclusters)
    # a test class y_train lacks was left off the plot without a word
    with pytest.raises(ValueError, match=r"\['zz'\] that are not among y_train's classes: .* \(keep the "):
        plot_class_accuracy(models[0], X[:3], [Y[0], "zz", Y[2]], Y)
    # y_train's problems are named as y_train (they were named as long_tail_report's train_counts)
    with pytest.raises(ValueError, match=r"^y_train has 1 missing labels \(None, NaN or NA\) at rows \[1\]"):
        plot_class_accuracy(models[0], X[:3], Y[:3], [Y[0], None, Y[2]])
    with pytest.raises(ValueError, match=r"^y_train's class counts must be positive integers"):
        plot_class_accuracy(models[0], X[:3], Y[:3], dict.fromkeys(np.unique(Y), 0.5))
    # an ax that is no Axes, a model without transform: named before any work (they were a Figure's
    # missing "plot" after the model had run, and "'NoneType' object has no attribute 'transform'")
    figure = plt.figure()
    for plot in (
        lambda: plot_class_accuracy(models[0], X[:3], Y[:3], Y, ax=figure),
        lambda: plot_embedding(models[0], X[:3], Y[:3], ax=figure),
        lambda: plot_weights(models[0], ax=figure),
        lambda: plot_training(models[0], ax=figure),
    ):
        with pytest.raises(TypeError, match=r"^ax must be matplotlib Axes .* got Figure"):
            plot()
    with pytest.raises(
        TypeError, match=r"^plot_embedding takes a fitted classifier whose transform .* got NoneType"
    ):
        plot_embedding(None, X[:3], Y[:3])


def test_weights_lines_per_class_and_subcluster_steps(models):
    ltdd, ce = models
    ax = plot_weights(ltdd)
    assert len(ax.get_lines()) == 3
    n_weighted_epochs = sum(bool(row["class_weights"]) for row in ltdd.history_)  # after warm-up
    assert all(len(line.get_xdata()) == n_weighted_epochs for line in ax.get_lines())
    # weights change at re-clustering only: steps; two classes of one weight are told apart by style
    assert {line.get_drawstyle() for line in ax.get_lines()} == {"steps-post"}
    assert len({line.get_linestyle() for line in ax.get_lines()}) == 3
    right = ax.figure.axes[1]
    assert len(right.get_lines()) == 1
    # a marker per epoch: the weights of the last epoch (or of the only one) are no step's run
    assert {line.get_marker() for line in ax.get_lines() + right.get_lines()} == {"."}
    with pytest.raises(ValueError, match="a BaselineClassifier trains without separability weights"):
        plot_weights(ce)
    for history in (ltdd.history_, list(ltdd.history_)):  # a history was dumped into a page-long message
        for plot in (plot_weights, plot_training):
            with pytest.raises(TypeError, match=r"classifier whose history_ it reads, not a \w+\.$"):
                plot(history)


@pytest.mark.filterwarnings("ignore:classes .* have no sample with a positive sample_weight")
def test_weights_are_drawn_for_the_classes_trained_on():
    # a class whose samples all weigh 0 is among classes_ but has no separability weight
    schedule = SubclusterSchedule(warmup_epochs=1, update_every=2)
    weights = np.where(Y == "medium", 0.0, 1.0)
    ltdd = LTDDClassifier(schedule=schedule, **RUN).fit(X, Y, sample_weight=weights)
    assert ltdd.classes_.tolist() == ["high", "low", "medium"]
    ax = plot_weights(ltdd)
    assert [line.get_label() for line in ax.get_lines()] == ["class high", "class low"]


def test_training_curves(models):
    ltdd, ce = models
    ax = plot_training(ltdd)
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "training loss", "contrastive term", "cross-entropy term", "fingerprint expert's term",
        "validation loss", "validation BA", "validation BF1"}  # fmt: skip
    assert len(plot_training(ce).get_lines()) == 2  # CE has no contrastive / CE terms of its own
    # without a validation set: no scores, and no empty axis for them
    alone = BaselineClassifier(**{**RUN, "max_epochs": 2}, validation_fraction=0, early_stopping=None).fit(
        X, Y
    )
    ax = plot_training(alone)
    assert len(ax.figure.axes) == 1 and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training loss"
    ]
    ax.figure.canvas.draw()
    assert all(float(tick).is_integer() for tick in ax.get_xticks())  # epochs, not 1.5


def test_a_plot_redrawn_into_its_axes_replaces_its_twin(models):
    """ax.clear() keeps a twin axes: each redraw into one axes (a notebook cell run again) added a
    twin, and the earlier model's scores stayed drawn over the new plot."""
    ltdd, ce = models
    _, ax = plt.subplots()
    for plot in (
        lambda model: plot_training(model, ax=ax),
        lambda model: plot_weights(model, ax=ax) if model is ltdd else plot_weights(ltdd, ax=ax),
        lambda model: plot_class_accuracy(model, X, Y, Y, ax=ax),
    ):
        for model in (ltdd, ce, ltdd):
            ax.clear()
            plot(model)
        assert len(ax.figure.axes) == 2, plot
    ax.clear()
    plot_training(ce, ax=ax)
    (right,) = [other for other in ax.figure.axes if other is not ax]
    epochs = len(ce.history_)
    assert [len(line.get_xdata()) for line in right.get_lines()] == [epochs, epochs]  # ce's alone
    ax.clear()  # a plot that draws no twin takes the earlier one away too
    alone = BaselineClassifier(**{**RUN, "max_epochs": 2}, validation_fraction=0, early_stopping=None)
    plot_training(alone.fit(X, Y), ax=ax)
    assert ax.figure.axes == [ax]
    # subplots sharing an axis share it with each other's twins: each keeps its own
    for shared in ({"sharex": True}, {"sharey": True}):
        figure, (left, right) = plt.subplots(1, 2, **shared)
        plot_training(ltdd, ax=left)
        plot_training(ce, ax=right)
        assert len(figure.axes) == 4, shared


def test_clear_error_without_matplotlib(monkeypatch, models):
    for blocked in ("matplotlib.pyplot", "matplotlib"):  # (the whole package: no matplotlib.axes either)
        with monkeypatch.context() as patch:
            for name in [m for m in sys.modules if m == blocked or m.startswith(f"{blocked}.")]:
                patch.setitem(sys.modules, name, None)
            for plot in (plot_training, plot_weights):
                with pytest.raises(ImportError, match=r"sklearn-ltdd\[plot\]"):
                    plot(models[0])


def test_a_refused_call_leaves_no_figure_open(models):
    """The accuracy and embedding plots made their figure before reading their inputs: each
    refused call left an empty one open (matplotlib warned after 20; a notebook drew it)."""
    from sklearn.exceptions import NotFittedError

    from sklearn_ltdd.featurize import InvalidSmilesError

    ltdd, _ = models
    calls = [
        (lambda: plot_class_accuracy(LTDDClassifier(), X, Y, Y), NotFittedError),
        (lambda: plot_class_accuracy(ltdd, ["CCO", "not a smiles"], Y[:2], Y), InvalidSmilesError),
        (lambda: plot_class_accuracy(ltdd, X, Y[:-1], Y), ValueError),
        (lambda: plot_embedding(LTDDClassifier(), X, Y), NotFittedError),
        (lambda: plot_embedding(ltdd, X, Y[:-1]), ValueError),
        (lambda: plot_embedding(ltdd, ["CCO", "not a smiles"], Y[:2]), InvalidSmilesError),
    ]
    for call, error in calls:
        with pytest.raises(error):
            call()
        assert plt.get_fignums() == []
    plot_embedding(ltdd, X, Y)  # (and the figure is made when they are good)
    assert len(plt.get_fignums()) == 1


def test_unfitted_model_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_training(LTDDClassifier())
    # a fitted model of another kind is not "not fitted": it has no training history
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="a LogisticRegression has none"):
        plot_training(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))


def test_a_pipeline_or_search_is_plotted_as_the_classifier_it_ends_in(models):
    import copy

    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from sklearn_ltdd import SmilesGraphizer

    schedule = SubclusterSchedule(warmup_epochs=1, min_cluster_size=40)
    ltdd = copy.deepcopy(models[0]).set_params(schedule=schedule)
    pipeline = make_pipeline(SmilesGraphizer().fit(X), ltdd)
    assert len(plot_weights(pipeline).get_lines()) == 3
    assert len(plot_training(pipeline).get_lines()) == len(plot_training(ltdd).get_lines())

    def centres(model):
        return len(plot_embedding(model, X, Y).collections[-1].get_offsets())

    # the classifier's own sub-cluster size, not the default schedule's
    assert centres(pipeline) == centres(ltdd) != centres(models[0])
    assert centres(FrozenEstimator(pipeline)) == centres(ltdd)
    search = GridSearchCV(pipeline, {"ltddclassifier__max_epochs": [2]}, cv=2).fit(X, Y)
    assert len(plot_weights(search).get_lines()) == 3
    kept_none = GridSearchCV(pipeline, {"ltddclassifier__max_epochs": [2]}, cv=2, refit=False).fit(X, Y)
    with pytest.raises(ValueError, match="fitted with refit=False and so holds no classifier"):
        plot_weights(kept_none)
    with pytest.raises(TypeError, match="the Pipeline ends in 'passthrough'"):
        plot_training(make_pipeline(SmilesGraphizer(), "passthrough"))
