"""sklearn-ltdd: long-tailed drug classification (LTDD) as scikit-learn estimators.

Subpackages, one concept each:

- :mod:`sklearn_ltdd.metrics` -- ImDrug's balanced accuracy / precision / F1 and the
  head / middle / tail report (imports no torch).
- :mod:`sklearn_ltdd.datasets` -- the embedded solubility demo set and ``make_long_tailed``.
- :mod:`sklearn_ltdd.featurize` -- SMILES checks and featurisers.
"""

__version__ = "0.1.0.dev0"
