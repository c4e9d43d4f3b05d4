"""LTDDClassifier is LTDD and only LTDD: every parameter (and every knob of its two option objects)
changes what a tiny fit learns; the Table-2 baselines live in BaselineClassifier; the parameters of
earlier releases say where they went."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SubclusterContrast, SubclusterSchedule
from sklearn_ltdd.classifier import BASELINE_LOSSES
from sklearn_ltdd.datasets import load_solubility, make_long_tailed
from sklearn_ltdd.featurize import UnmappedReactionError
from sklearn_ltdd.metrics import balanced_f1_scorer
from sklearn_ltdd.nn import LOSSES
from sklearn_ltdd.nn.losses import LTDDLoss

DATA = load_solubility(subset="train")
KEEP = make_long_tailed(DATA.target, imbalance_ratio=8, random_state=0)[::2]
X, Y = DATA.data[KEEP], DATA.target[KEEP]
SCHEDULE = {"warmup_epochs": 2, "update_every": 2, "min_cluster_size": 3}
# on the CPU: a change is seen as a difference from the reference fit, and two CUDA fits differ anyway
BASE = {"max_epochs": 8, "hidden": 16, "batch_size": 32, "random_state": 0, "device": "cpu"}
AMIDE = "[CH3:1][C:2](=[O:3])Cl.[NH2:4][CH3:5]>>[CH3:1][C:2](=[O:3])[NH:4][CH3:5]"
PLAIN_AMIDE = "CC(=O)Cl.NC>>CC(=O)NC"

#: a value other than the default for each parameter; "contrast__beta" and the like change a knob
#: of the option objects. Parameters that act on inputs the solubility set does not have (reaction
#: modes, atom maps) and the device are tested on their own below.
CHANGES = {
    "encoder": "gine",
    "fingerprint": None,
    "hidden": 8,
    "n_layers": 2,
    "max_epochs": 6,
    "batch_size": 16,
    "lr": 1e-2,
    "weight_decay": 1e-2,
    "lr_gamma": 0.5,
    "decision": "argmax",
    "average_from_best": False,
    "validation_fraction": 0.3,
    "early_stopping": 1,
    "verbose": 1,
    "random_state": 1,
    "contrast__tau": 0.5,
    "contrast__tau1": 0.5,
    "contrast__tau2": 0.5,
    "contrast__beta": 1.0,
    "contrast__term_a_scale": 0.2,
    "contrast__edge_drop": (0.4, 0.3),
    "schedule__warmup_epochs": 1,
    "schedule__update_every": 3,
    "schedule__dynamic": False,
    "schedule__cluster_method": "kmeans",
    "schedule__min_cluster_size": 40,  # above the rarest class: a larger size unit
    "schedule__weighting": "none",
    "schedule__weight_formula": "code",
    "schedule__resample": True,
}
OWN_TESTS = {"reaction_mode", "atom_mapper", "device"}


def make(**changes) -> LTDDClassifier:
    clf = LTDDClassifier(**BASE, contrast=SubclusterContrast(), schedule=SubclusterSchedule(**SCHEDULE))
    return clf.set_params(**changes)


def learned(clf: LTDDClassifier) -> dict:
    """What a fit learned and showed: its history, decision and probabilities, and its printout."""
    with redirect_stdout(io.StringIO()) as printout:
        clf.fit(X, Y)
    history = clf.history_
    return {
        "losses": [round(v, 6) for v in history[:, "train_loss"]],
        "class_weights": [w for epoch in history for w in epoch["class_weights"]],
        "n_subclusters": list(history[:, "n_subclusters"]),
        "tau": clf.logit_adjustment_,
        "prior": clf.class_log_prior_.round(6).tolist(),
        "proba": clf.predict_proba(X[:20]).round(6).tolist(),
        "printed": printout.getvalue() != "",
    }


@pytest.fixture(scope="module")
def reference():
    return learned(make())


def test_ltdd_has_at_most_twenty_parameters_and_every_one_is_tested():
    params = set(LTDDClassifier().get_params(deep=False))
    assert len(params) <= 20
    covered = {name.split("__")[0] for name in CHANGES} | OWN_TESTS
    assert covered == params
    knobs = set(make().get_params(deep=True)) - params
    assert knobs == {name for name in CHANGES if "__" in name}  # every knob of the option objects


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_no_parameter_is_inert(name, reference):
    changed = learned(make(**{name: CHANGES[name]}))
    differs = [key for key in reference if changed[key] != reference[key]]
    assert differs, f"{name}={CHANGES[name]!r} changed nothing the fit learned or showed"


def graphs_of(clf, X):
    """The graphs a fit of ``clf`` would make of X (with the featuriser its parameters ask for)."""
    clf.graphizer_ = clf._featurizer_of_params()  # as fit sets it first
    return clf._graphs(X)


def test_the_reaction_parameters_change_the_graphs():
    reactions = ["CC(=O)O.OCC>>CC(=O)OCC", "CCO>>CC=O", "c1ccccc1.BrBr>>Brc1ccccc1", "CC=C.[H][H]>>CCC"]
    products = graphs_of(LTDDClassifier(reaction_mode="products"), reactions)
    whole = graphs_of(LTDDClassifier(reaction_mode="reaction"), reactions)
    assert products.x.shape[0] < whole.x.shape[0]  # the reactants' atoms too
    with pytest.raises(UnmappedReactionError):
        graphs_of(LTDDClassifier(reaction_mode="cgr"), [PLAIN_AMIDE])
    mapped = graphs_of(
        LTDDClassifier(reaction_mode="cgr", atom_mapper=lambda rows: [AMIDE] * len(rows)), [PLAIN_AMIDE]
    )
    assert torch.equal(mapped.x, graphs_of(LTDDClassifier(reaction_mode="cgr"), [AMIDE]).x)


def test_the_device_is_where_the_model_is_or_a_clear_error():
    if torch.cuda.is_available():
        assert make(device="cuda").fit(X, Y).device_.startswith("cuda")
        assert make(device="cpu").fit(X, Y).device_ == "cpu"
    else:
        with pytest.raises(ValueError, match="CUDA is not available"):
            make(device="cuda").fit(X, Y)


@pytest.mark.parametrize("name", ["method", "warmup_epochs", "beta", "resample"])
def test_parameters_of_earlier_releases_say_where_they_went(name):
    value = "ce" if name == "method" else 1
    where = {"method": "BaselineClassifier(loss='ce')", "warmup_epochs": "SubclusterSchedule(warmup_epochs",
             "beta": "SubclusterContrast(beta", "resample": "SubclusterSchedule(resample"}  # fmt: skip
    with pytest.raises(TypeError, match=rf"has no parameter '{name}'") as error:
        LTDDClassifier(**{name: value})
    assert where[name] in str(error.value)
    with pytest.raises(TypeError, match=rf"has no parameter '{name}'") as error:
        LTDDClassifier().set_params(**{name: value})  # an old grid, say
    assert where[name] in str(error.value)
    with pytest.raises(TypeError, match="it is LTDD, always"):
        LTDDClassifier(method="ltdd")


@pytest.mark.parametrize("name", ["warmup_epochs", "tau", "contrast", "schedule"])
def test_ltdds_parameters_given_to_a_baseline_say_whose_they_are(name):
    """Python's "unexpected keyword argument" said nothing of where the parameter belongs."""
    for make_with in (
        lambda: BaselineClassifier(**{name: 1}),
        lambda: BaselineClassifier().set_params(**{name: 1}),
    ):
        with pytest.raises(TypeError, match=rf"BaselineClassifier has no parameter '{name}': it is LTDD's"):
            make_with()
    if name in ("contrast", "schedule"):  # one of their fields, as in a grid of LTDD's
        with pytest.raises(TypeError, match=rf"no parameter '{name}__tau': it is LTDD's"):
            BaselineClassifier().set_params(**{f"{name}__tau": 1})
    assert BaselineClassifier(resample=True).resample  # a baseline's own, though LTDD's schedule has one too


def test_fit_transform_without_labels_names_the_estimator():
    """It said "GraphClassifier.fit() missing 1 required positional argument", a class users never meet."""
    for estimator in (BaselineClassifier, LTDDClassifier):
        with pytest.raises(ValueError, match=rf"^{estimator.__name__} requires y to be passed"):
            estimator(max_epochs=2).fit_transform(X)
    clf = BaselineClassifier(max_epochs=2, hidden=8, random_state=0, device="cpu")
    embedded = clf.fit_transform(X, Y)
    np.testing.assert_allclose(embedded, clf.transform(X), rtol=1e-6, atol=1e-6)
    assert embedded.shape == (len(X), clf.get_feature_names_out().size)


def test_loss_ltdd_given_to_a_baseline_names_ltddclassifier():
    with pytest.raises(ValueError, match=r"loss='ltdd' is LTDD, .* use LTDDClassifier"):
        BaselineClassifier(loss="ltdd", max_epochs=2).fit(X, Y)


def test_the_constructor_signature_is_what_sklearn_and_the_docstring_see():
    import inspect
    import re

    for estimator in (LTDDClassifier, BaselineClassifier):
        params = list(inspect.signature(estimator).parameters)
        assert sorted(params) == sorted(estimator().get_params())
        section = estimator.__doc__.split("Parameters\n    ----------\n")[1].split("\n    Attributes")[0]
        assert re.findall(r"^    (\w+) :", section, flags=re.MULTILINE) == params

    class WithAnExtra(LTDDClassifier):  # a subclass's own parameters are in its signature
        def __init__(self, extra=1, **params):
            super().__init__(**params)
            self.extra = extra

    assert "extra" in inspect.signature(WithAnExtra).parameters


def test_the_baselines_are_every_loss_but_ltdds_and_keep_only_their_parameters():
    assert set(BASELINE_LOSSES) == set(LOSSES) - {"ltdd"}
    params = set(BaselineClassifier().get_params())
    assert {"loss", "resample"} <= params and len(params) <= 20
    assert not params & {"contrast", "schedule"}
    shared = params - {"loss", "resample"}
    assert shared <= set(LTDDClassifier().get_params())
    with pytest.raises(ValueError, match="'loss' parameter"):
        BaselineClassifier(loss="focal").fit(X, Y)


def test_nested_knobs_reach_the_default_options():
    clf = LTDDClassifier().set_params(schedule__weighting="none", contrast__beta=0.5)
    assert clf.schedule.weighting == "none" and clf.schedule.warmup_epochs == 10
    assert clf.contrast.beta == 0.5 and clf.contrast.tau == 0.1
    # set to None and tuned in one call (a grid of whole options and knobs): the knob on a default
    clf = LTDDClassifier(schedule=SubclusterSchedule(warmup_epochs=1))
    assert clf.set_params(schedule=None, schedule__weighting="none").schedule.warmup_epochs == 10
    assert clf.schedule.weighting == "none"
    search = GridSearchCV(LTDDClassifier(**BASE), {"schedule__warmup_epochs": [1, 2]}, cv=2)
    assert search.fit(X, Y).best_params_["schedule__warmup_epochs"] in (1, 2)
    assert search.estimator.schedule is None  # the search's own copies got the option objects
    # a call refused for an unknown name leaves no default option object behind
    for bad in (
        {"schedule__foo": 1},
        {"schedule__warmup_epochs": 2, "foo": 3},
        {"contrast__tau": 1, "bar": 0},
    ):
        clf = LTDDClassifier()
        with pytest.raises(ValueError, match="Invalid parameter"):
            clf.set_params(**bad)
        assert clf.schedule is None and clf.contrast is None and repr(clf) == "LTDDClassifier()"
    # nor half of its changes: every name is checked before any is set
    schedule = SubclusterSchedule(warmup_epochs=5)
    clf = LTDDClassifier(hidden=64, schedule=schedule)
    for bad in (
        {"hidden": 32, "schedule__warmup_epochs": 3, "foo": 1},
        {"schedule__warmup_epochs": 3, "schedule__foo": 1},
        {"schedule": None, "schedule__warmup_epochs": 3, "foo": 1},
        {"hidden": 32, "schedule__weighting__foo": 1},
        {"hidden": 32, "schedule__": 1},
        {"hidden__foo": 1},
    ):
        with pytest.raises(ValueError, match=r"Invalid parameter '(weighting__)?(foo)?'|not an estimator"):
            clf.set_params(**bad)
        assert clf.hidden == 64 and clf.schedule is schedule and schedule.warmup_epochs == 5
    # a baseline too (it set lr=0.5, then refused lr_typo)
    baseline = BaselineClassifier()
    for bad in ({"lr": 0.5, "lr_typo": 1}, {"lr": 0.5, "lr__foo": 1}):
        with pytest.raises(ValueError, match=r"Invalid parameter 'lr_typo'|'lr' is 0.5, not an estimator"):
            baseline.set_params(**bad)
        assert baseline.lr == 1e-3


def test_grid_search_over_an_ablation_knob_and_clone_copy_the_options():
    search = GridSearchCV(make(), {"schedule__weighting": ["both", "none"]}, cv=2, scoring=balanced_f1_scorer)
    search.fit(X, Y)
    assert search.best_params_["schedule__weighting"] in ("both", "none")
    assert search.best_estimator_.schedule is not search.estimator.schedule
    copy = clone(make(schedule__weighting="none"))
    assert copy.schedule.weighting == "none" and copy.schedule.min_cluster_size == 3


def test_option_objects_are_checked_in_fit():
    with pytest.raises(ValueError, match="'weighting' parameter of SubclusterSchedule"):
        make(schedule__weighting="sometimes").fit(X, Y)
    with pytest.raises(ValueError, match="'beta' parameter of SubclusterContrast"):
        make(contrast__beta=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="'schedule' parameter of LTDDClassifier"):
        LTDDClassifier(schedule={"warmup_epochs": 1}).fit(X, Y)


@pytest.mark.parametrize("number", [np.float16, np.float32, np.float64])
def test_numpy_numbers_are_checked_as_the_numbers_they_hold(number):
    """A float16 temperature warned "overflow encountered in cast" (float32's largest, the
    bound, cast to float16): an error under filterwarnings=error."""
    assert SubclusterContrast(tau=number(0.2), tau2=number(0.5), beta=number(1)).check().tau == number(0.2)
    for bad in (number(-0.5), number("inf"), number("nan")):
        with pytest.raises(ValueError, match="'tau' parameter of SubclusterContrast"):
            SubclusterContrast(tau=bad).check()
    with pytest.raises(ValueError, match="'hidden' parameter of LTDDClassifier must be an int"):
        LTDDClassifier(hidden=number(16)).fit(X, Y)  # a float, however whole


def test_a_phase_that_is_not_the_last_needs_its_length_and_each_its_own_name():
    from sklearn_ltdd.classifier._phases import Phase, Phases

    with pytest.raises(ValueError, match="every phase but the last needs its number of epochs"):
        Phases([Phase("ce"), Phase("ib")])
    # entering "ce" went to the first of two, and the history's column could not tell them apart
    with pytest.raises(ValueError, match=r"every phase needs a name of its own, got \['ce', 'ce'\]"):
        Phases([Phase("ce", epochs=2), Phase("ce")])


def test_a_phase_with_patience_ends_after_that_many_epochs_without_a_gain():
    """The phase's own epochs, its first one included, are the window: the best BA 0.9 came in its
    first epoch, so after two epochs without a gain (patience=2) the fourth epoch is the next
    phase's. Mutations that waited one epoch more, or left the first epoch out, passed every test."""
    from types import SimpleNamespace

    from skorch.history import History

    from sklearn_ltdd.classifier._phases import Phase, Phases

    net = SimpleNamespace(history=History())
    phases = Phases([Phase("ce", epochs=100), Phase("ib")], patience=2)
    for score in [0.9, 0.5, 0.6, 0.7, 0.8]:
        net.history.new_epoch()
        phases.on_epoch_begin(net)
        net.history.record("valid_ba", score)
    assert net.history[:, "phase"] == ["ce", "ce", "ce", "ib", "ib"]
    assert phases.began_ == 3 and phases.final


def test_the_phases_are_written_once_and_read_by_everyone():
    clf = make(max_epochs=5).fit(X, Y)
    assert clf.history_[:, "phase"] == ["warmup"] * 2 + ["ltdd"] * 3
    phases = dict(clf.net_.callbacks_)["phases"]
    assert clf.net_.criterion_.phases is phases and dict(clf.net_.callbacks_)["recluster"].phases is phases
    assert dict(clf.net_.callbacks_)["valid_scores"].phases is phases
    scores = np.array(clf.history_[:, "valid_ba"], dtype=float)
    assert np.isnan(scores[:2]).all() and np.isfinite(scores[2:]).all()


def test_each_contrast_knob_reaches_the_loss_under_its_own_name():
    # "no parameter is inert" sees a knob ignored, not one wired to another's place (τ1 for τ2)
    knobs = {"tau": 0.7, "tau1": 0.2, "tau2": 0.3, "beta": 0.4, "term_a_scale": 0.6}
    clf = make(max_epochs=3, **{f"contrast__{name}": value for name, value in knobs.items()}).fit(X, Y)
    assert {name: getattr(clf.net_.criterion_, name) for name in knobs} == knobs


def test_an_adaptive_tau2_gives_the_loss_a_temperature_per_class(monkeypatch):
    """tau2="adaptive" (the reference code's) hands the criterion a τ2 per class at each
    re-clustering; a number keeps that number for every class."""
    given = []
    set_state = LTDDLoss.set_state

    def recording(self, subclusters, *args, **kwargs):
        set_state(self, subclusters, *args, **kwargs)
        if subclusters.numel():  # a re-clustering's (not the state a fitted model forgets)
            given.append(self.class_tau2.clone())

    monkeypatch.setattr(LTDDLoss, "set_state", recording)
    make(max_epochs=3).fit(X, Y)
    assert given and all(tau2.numel() == 0 for tau2 in given)  # (the loss's tau2 for every class)
    given.clear()
    make(max_epochs=3, contrast__tau2="adaptive").fit(X, Y)
    assert given and all(tau2.shape == (3,) and (tau2 > 0).all() for tau2 in given)
    assert len(set(given[0].tolist())) == 3  # (one per class, of their spreads)


@pytest.mark.parametrize("options", [SubclusterContrast, SubclusterSchedule])
def test_the_option_objects_take_keywords_only(options):
    """``SubclusterContrast(0.2)`` set τ in silence, where the estimators refuse positional
    parameters, as scikit-learn's do."""
    with pytest.raises(TypeError, match="positional argument"):
        options(0.2)
