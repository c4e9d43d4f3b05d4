"""ImDrug's two split protocols: ``random`` (stratified) and ``standard`` (balanced val/test)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import BaseCrossValidator

from .._arguments import check_seed, is_integer, is_one_of
from .._compat import InvalidParameterError, _num_samples
from .._csv import repeated_names
from .._labels import check_class_labels, class_labels, class_members, few_of
from .._warnings import warn

__all__ = ["ImDrugSplit", "imdrug_split"]

SPLITS = ("random", "standard")


#: advice of the split's errors that a caller without ``fractions`` (the benchmark) leaves out
FRACTION_ADVICE = ", or give the part a larger fraction"


def _check_fractions(fractions: Sequence[float] | np.ndarray) -> np.ndarray:
    wanted = "fractions must be three positive numbers summing to 1"
    try:
        numbers = np.asarray(fractions, dtype=float)
    except (TypeError, ValueError):  # (None read as nan, and a word as numpy's own refusal)
        raise ValueError(f"{wanted}, got {fractions!r}.") from None
    if numbers.shape != (3,) or not (numbers > 0).all() or not np.isclose(numbers.sum(), 1.0):
        raise ValueError(f"{wanted}, got {fractions!r}.")
    return numbers


def _sizes(n: int, fractions: np.ndarray) -> tuple[int, int, int]:
    """The three parts' sizes for ``n`` samples; train gets at least one (round(f·n) can be 0 for
    a small class, which would then have no training sample)."""
    n_train = max(round(fractions[0] * n), min(n, 1))
    n_valid = min(round(fractions[1] * n), n - n_train)  # what is left after train, at most
    return n_train, n_valid, n - n_train - n_valid


def _cut(indices: np.ndarray, fractions: np.ndarray) -> list[np.ndarray]:
    """Cut a shuffled index array into three consecutive parts of the given fractions."""
    n_train, n_valid, _ = _sizes(len(indices), fractions)
    return np.split(indices, [n_train, n_train + n_valid])


def _balance(part: np.ndarray, y: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """Subsample ``part`` so that every class has the count of its rarest class (no replacement)."""
    if len(part) == 0:
        return part
    members = [part[of_class] for of_class in class_members(y[part])[1]]
    size = min(len(m) for m in members)
    return np.sort(np.concatenate([rng.choice(m, size, replace=False) for m in members]))


def _check_every_class_in(
    part: np.ndarray,
    y: np.ndarray,
    name: str,
    fractions: np.ndarray,
    needed: np.ndarray,
    seed: str = "random_state",
) -> None:
    """A class missing from train could never be predicted; from validation or test, it would
    leave the part empty once balanced to its rarest class. ``needed``: the fractions of the parts
    that must hold every class (all three, but where the validation part is left out); ``seed``:
    what the caller calls the seed, in the message."""
    classes, counts = np.unique(y, return_counts=True)
    missing = np.isin(classes, y[part], invert=True)
    if not missing.any():
        return
    parts = "every part" if len(needed) == len(_PARTS) else "the train and test parts"
    start = (
        f"classes {few_of(classes[missing])} have no sample in the {name} part of the 'standard' split, "
        f"which needs every class in {parts}. Their sizes: {few_of(counts[missing])}"
    )
    random_split = (
        "the 'random' split, which cuts each class on its own and keeps one of each in train (it too "
        "can leave a class of a few samples out of validation or test)"
        if all(len(cut) for cut in _cut(np.arange(counts.max()), fractions))
        else "larger classes: the 'random' split, which cuts each class on its own, cannot fill every "
        f"part either (its largest class here has {counts.max()})"
    )
    if counts.min() < len(needed):
        raise ValueError(
            f"{start}, and a class of {counts.min()} cannot be in all {len(needed)} parts: no "
            f"{seed} can cut this data set so. Use {random_split}, or leave such classes out."
        )
    if len(part) < len(classes):
        raise ValueError(
            f"{start}, and the {name} part holds {len(part)} rows for {len(classes)} classes: no "
            f"{seed} can cut this data set so. Use {random_split}{FRACTION_ADVICE}."
        )
    chance = _chance_of_every_class_in_every_part(counts, needed)
    odds = (
        f"about {chance:.0%} of {seed}s give every class to {parts}. Try another {seed}, or "
        if chance >= 0.005
        else f"almost no {seed} (under 0.5%) gives every class to {parts}. Use "
    )
    raise ValueError(
        f"{start}, and the split cuts all rows at random: with these class sizes {odds}{random_split}."
    )


def _chance_of_every_class_in_every_part(counts: np.ndarray, fractions: np.ndarray) -> float:
    """For rows cut at random into parts of the given fractions, classes taken as independent: per
    class of n, by inclusion-exclusion over the parts S it misses, Σ_S (-1)^|S| (1 - Σ_S f)^n."""
    chance = np.zeros(len(counts))
    for missed in itertools.product((0, 1), repeat=len(fractions)):
        left = max(1 - float(np.dot(missed, fractions)), 0.0)
        chance += (-1) ** sum(missed) * left ** counts.astype(float)
    return float(np.prod(np.clip(chance, 0, 1)))


def imdrug_split(
    y: ArrayLike,
    kind: str = "standard",
    *,
    fractions: Sequence[float] | np.ndarray = (0.7, 0.1, 0.2),
    random_state: int | np.random.RandomState | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train / validation / test indices as ImDrug makes them.

    ``random``: each class is shuffled and cut 70/10/20, so every part keeps the imbalance
    (the cuts are rounded per class, and train gets at least one sample of each class: with the
    default fractions, a class of five samples or fewer has none in validation, and a class of
    one none in test).
    ``standard``: all rows are shuffled and cut 70/10/20 regardless of class; validation and
    test are then each subsampled without replacement to the count of their own rarest class,
    so both are balanced while train stays long-tailed. Rows dropped by the balancing are not
    returned to train (as in ImDrug). A ``standard`` split in which a part lacks a class is
    refused, naming the class (a class of a few samples can fall entirely outside one part).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    kind : {"standard", "random"}, default="standard"
        How rows are cut, as above.
    fractions : three floats, default=(0.7, 0.1, 0.2)
        Train, validation and test fractions.
    random_state : int, RandomState instance or None, default=0
        Seed of a local random generator (ImDrug reports seeds 0, 1, 2), or a
        ``numpy.random.RandomState``, which the split draws from.

    Returns
    -------
    train, valid, test : ndarray of int
        Sorted row positions; the three never overlap. Positions, not labels: index a pandas
        object with ``.iloc`` (``series[valid]`` takes the rows labelled so, other rows where its
        index is not 0, ..., n - 1).

    Examples
    --------
    >>> from sklearn_ltdd.model_selection import imdrug_split
    >>> import numpy as np
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> train, valid, test = imdrug_split(y, "standard", random_state=0)
    >>> np.bincount(y[valid]).tolist() == [np.bincount(y[valid]).min()] * 2
    True
    >>> train, valid, test = imdrug_split(y, "random", random_state=0)
    >>> np.bincount(y[test]).tolist()
    [18, 2]
    """
    return _split(y, kind, fractions, random_state, _PARTS)


#: the names of the three parts, in order
_PARTS = ("train", "validation", "test")


def _split(
    y: ArrayLike,
    kind: str,
    fractions: Sequence[float] | np.ndarray,
    random_state: int | np.random.RandomState | None,
    needed: Sequence[str],
    seed: str = "random_state",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`imdrug_split`, refusing only a ``needed`` part that it cannot make (a part not needed
    may come back empty, or lacking classes); the parts are the same wherever it makes all three.
    ``seed`` names the seed in an error."""
    _check_kind(kind)
    y = class_labels(y, "y", "give every sample a class before splitting.")
    if len(y) == 0:
        raise ValueError("y is empty; a split needs at least one sample per part.")
    check_class_labels(y)
    fractions = _check_fractions(fractions)
    rng = check_seed(random_state, seed)
    if kind == "random":
        parts: list[list[np.ndarray]] = [[], [], []]
        for of_class in class_members(y)[1]:
            for part, cut in zip(parts, _cut(rng.permutation(of_class), fractions), strict=True):
                part.append(cut)
        train, valid, test = (np.sort(np.concatenate(part)) for part in parts)
        for i, (name, part) in enumerate(zip(_PARTS, (train, valid, test), strict=True)):
            if name in needed and len(part) == 0:  # every class too small to give the part a sample
                _refuse_an_empty_random_part(y, name, i, fractions)
    else:  # (each part needed holds every class, or is refused)
        train, valid, test = _cut(rng.permutation(len(y)), fractions)
        kept = fractions[[name in needed for name in _PARTS]]
        for name, part in zip(_PARTS, (train, valid, test), strict=True):
            if name in needed:
                _check_every_class_in(part, y, name, fractions, kept, seed)
        train, valid, test = np.sort(train), _balance(valid, y, rng), _balance(test, y, rng)
    return train, valid, test


def _refuse_an_empty_random_part(y: np.ndarray, name: str, i: int, fractions: np.ndarray) -> None:
    """Say how many samples a class needs to give part ``i`` (``name``) of the 'random' split one."""
    # (from where round(f·n) can first be 1: a fraction of 1e-6 would count up from 1)
    start = max(1, int(0.5 / fractions[i])) if i == 1 else 1
    need = next(n for n in itertools.count(start) if _sizes(n, fractions)[i])
    sizes = np.unique(y, return_counts=True)[1]
    raise ValueError(
        f"the {name} part of the 'random' split is empty: it cuts each class on its own, and with "
        f"fractions {fractions.tolist()} a class needs {need} samples to give the {name} part one "
        f"(the largest here has {sizes.max()}). Use larger classes{FRACTION_ADVICE} (the 'standard' "
        "split cannot cut them either: its part would hold fewer rows than there are classes)."
    )


def _check_kind(kind: object) -> None:
    if is_one_of(kind, SPLITS):
        return
    if hasattr(kind, "__len__") and np.ndim(kind) > 0:  # (`in` would compare it element-wise)
        raise ValueError(
            f"kind must be one of {SPLITS}, got {type(kind).__name__} of length {len(kind)} (given X "
            "and y? The split needs the labels alone: imdrug_split(y, kind))."
        )
    raise ValueError(f"kind must be one of {SPLITS}, got {kind!r}.")


class ImDrugSplit(BaseCrossValidator):
    """ImDrug's split repeated over seeds, as a scikit-learn CV splitter.

    Each seed gives one (train, test) pair from :func:`imdrug_split`; the validation part is
    left out of both (get it from :func:`imdrug_split` with the same seed for model selection).
    Only train and test must be possible: classes too small for a validation sample, which
    :func:`imdrug_split` refuses, are split all the same.

    Like scikit-learn's ``StratifiedKFold`` it splits rows: copies of one molecule can fall
    on both sides (``groups`` is not read, and a warning says so). Drop duplicates first, or use
    ``StratifiedGroupKFold`` with a group per molecule.

    Parameters
    ----------
    kind : {"standard", "random"}, default="standard"
        ``"random"``: each class cut 70/10/20; ``"standard"``: all rows cut 70/10/20, then the
        validation and test parts balanced (see :func:`imdrug_split`).
    seeds : int or sequence of int, default=(0, 1, 2)
        The seeds of the splits; an int n stands for seeds 0, ..., n - 1.
    fractions : three floats, default=(0.7, 0.1, 0.2)
        Train, validation and test fractions (the validation part is left out).

    Examples
    --------
    >>> from sklearn_ltdd.model_selection import ImDrugSplit
    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.random.RandomState(0).rand(200, 3), np.array([0] * 170 + [1] * 30)
    >>> cv = ImDrugSplit("random", seeds=[0, 1])
    >>> cross_val_score(LogisticRegression(), X, y, cv=cv).shape
    (2,)
    """

    def __init__(
        self,
        kind: str = "standard",
        *,
        seeds: int | Sequence[int] | np.ndarray = (0, 1, 2),
        fractions: Sequence[float] | np.ndarray = (0.7, 0.1, 0.2),
    ):
        self.kind = kind
        self.seeds = seeds
        self.fractions = fractions

    def split(
        self, X: ArrayLike, y: ArrayLike | None = None, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:  # type: ignore[override]
        """Yield (train, test) indices, one pair per seed.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, n_features)
            The samples; only their number is read.
        y : array-like of shape (n_samples,)
            The class labels (required: the split is per class). None is accepted in the
            signature, as scikit-learn's splitters have it, and refused.
        groups : None
            Not read: the split is of rows (a warning says so where groups are given).

        Yields
        ------
        train, test : ndarray of int
            The positions of one seed's training and test parts.
        """
        if y is None:
            raise ValueError("ImDrugSplit needs the class labels y.")
        if groups is not None:  # as scikit-learn's splitters that do not group say
            warn(
                "The groups parameter is ignored by ImDrugSplit: it splits rows, so copies of one "
                "molecule can fall on both sides; use StratifiedGroupKFold to split by group."
            )
        if _num_samples(X) != _num_samples(y):
            raise ValueError(f"X has {_num_samples(X)} samples but y has {_num_samples(y)} labels.")
        # the arguments first: the note below is about seeds whose split the data cannot make
        _check_kind(self.kind)
        _check_fractions(self.fractions)
        for seed in seed_list(self.seeds):
            try:
                train, _, test = _split(y, self.kind, self.fractions, seed, ("train", "test"), "seed")
            except ValueError as error:
                error.add_note(f"(ImDrugSplit's seed {seed}: the parts of imdrug_split(y, {self.kind!r}, "
                               f"random_state={seed}).)")  # fmt: skip
                raise
            yield train, test

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        """Number of seeds.

        Parameters
        ----------
        X, y, groups : object, default=None
            Not read; accepted for the scikit-learn API.

        Returns
        -------
        n_splits : int
            One split per seed.
        """
        return len(seed_list(self.seeds))


def seed_list(seeds: int | Sequence[int]) -> list[int]:
    """The seeds; an int n stands for 0, ..., n - 1 (as ``n_splits`` does in sklearn)."""
    if is_integer(seeds):
        listed = list(range(seeds))
    elif (
        isinstance(seeds, Sequence | np.ndarray)
        and not isinstance(seeds, str | bytes)
        and np.ndim(seeds) == 1
    ):
        listed = list(seeds)
    else:  # (an iterator, say, would be used up by get_n_splits before split reads it)
        listed = None
    if listed is None or not all(is_integer(s) for s in listed):
        raise InvalidParameterError(
            f"seeds must be a number of seeds or a list of integer seeds, got {seeds!r}."
        )
    if not listed:
        raise ValueError(f"seeds={seeds!r} gives no split; give a positive number or a list of seeds.")
    if twice := repeated_names([int(seed) for seed in listed]):  # the same split twice, counted twice
        raise ValueError(f"seeds {twice} given more than once.")
    outside = [int(seed) for seed in listed if not 0 <= seed < 2**32]
    if outside:
        raise ValueError(f"seeds are numpy seeds, from 0 to 2**32 - 1; got {outside[0]}.")
    return [int(seed) for seed in listed]
