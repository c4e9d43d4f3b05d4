"""The embedded many-class data set: USPTO-50k products labelled by their reaction template."""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._arguments import check_flags

__all__ = ["load_reaction_templates"]

_DESCR = """\
Reaction templates (a USPTO-50k miniature)
------------------------------------------
{n_samples:,} products (SMILES) of patented reactions, each labelled by the retrosynthetic
template of the reaction that made it: {n_classes} templates of {smallest} to {largest} products
(median {median:g}), a natural long tail. Predicting the template from the product is the
classification step of template-based single-step retrosynthesis. The templates were drawn at
random from the 335 of USPTO-50k with at least 20 reactions, with all their products. Source:
retrosim's USPTO-50k (MIT; Lowe's USPTO extraction, CC0, curated by Schneider et al., J. Chem.
Inf. Model. 2016, 56, 2336-2346), grouped by the templates MHN-react extracted. No split is
given: use ``imdrug_split(y, "random")`` or ``train_test_split(stratify=y)`` (ImDrug's
"standard" split needs every template in its validation part, which its smallest classes miss).
"""


@overload
def load_reaction_templates(*, return_X_y: Literal[False] = ..., as_frame: bool = ...) -> Bunch: ...
@overload
def load_reaction_templates(*, return_X_y: Literal[True], as_frame: bool = ...) -> tuple[Any, Any]: ...
@overload
def load_reaction_templates(*, return_X_y: bool = ..., as_frame: bool = ...) -> Bunch | tuple[Any, Any]: ...


def load_reaction_templates(*, return_X_y: bool = False, as_frame: bool = False) -> Bunch | tuple:
    """Load products labelled by their reaction template (offline, embedded; 60 classes).

    A miniature of the benchmark task ``uspto50k_template``: many classes of a few dozen
    members each, with a natural long tail, which is where a long-tail method must earn its
    place (see ``sklearn_ltdd/datasets/data/README.md`` for how it was drawn).

    =================  ======================================================
    Samples            5,598 products
    Classes            60 templates, ``"T01"`` (the largest) to ``"T60"``
    Features           one SMILES string per sample
    =================  ======================================================

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(smiles, y)`` instead of a Bunch.
    as_frame : bool, default=False
        The data and target as pandas Series, as scikit-learn's loaders give them, in the Bunch
        or from ``return_X_y``, and the whole table in the Bunch's ``frame``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (product SMILES, object array; a Series with ``as_frame``), ``target``
        (template names, likewise),
        ``reaction_class`` (USPTO-50k's reaction class, 1-10), ``patent`` (the source patent),
        ``target_names`` (template names, largest first), ``duplicates`` (the rows whose product
        repeats an earlier row's: 54 repeats of 51 products, 48 of them twice and 3 three times,
        all but one with the same template; kept, as published), ``frame`` (DataFrame or None) and
        ``DESCR``.
    (smiles, y) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import load_reaction_templates
    >>> smiles, y = load_reaction_templates(return_X_y=True)
    >>> len(smiles), len(set(y))
    (5598, 60)
    """
    check_flags(return_X_y=return_X_y, as_frame=as_frame)
    with resources.files(__package__).joinpath("data/reaction_templates.csv.gz").open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip")
    data, target = frame["product"], frame["template"]
    if not as_frame:
        data, target = data.to_numpy(dtype=object), target.to_numpy(dtype=object)
    if return_X_y:
        return data, target
    sizes = frame["template"].value_counts()
    return Bunch(
        data=data,
        target=target,
        reaction_class=frame["reaction_class"].to_numpy(dtype=np.int64),
        patent=frame["id"].to_numpy(dtype=object),
        target_names=np.array(sorted(sizes.index), dtype=object),
        duplicates=np.flatnonzero(frame["product"].duplicated().to_numpy()),
        frame=frame if as_frame else None,
        DESCR=_DESCR.format(
            n_samples=len(frame),
            n_classes=len(sizes),
            smallest=sizes.min(),
            largest=sizes.max(),
            median=sizes.median(),
        ),
    )
