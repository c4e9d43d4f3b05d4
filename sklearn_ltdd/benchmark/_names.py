"""The benchmark's method names and defaults, apart from the modules that train, so that the
command's ``--help`` and the usage errors argparse finds (a method's name) load no torch
(seconds). ``_methods`` fits each name; a test keeps the two in step."""

from __future__ import annotations

__all__ = ["DEFAULT_METHODS", "DEFAULT_OUT", "DEFAULT_SEEDS", "FINGERPRINT_MODELS", "METHODS", "PAPER_EPOCHS"]

#: the fingerprint baselines: logistic regression, random forest, histogram gradient boosting
FINGERPRINT_MODELS = ("lr", "rf", "hgb")

#: every method the benchmark fits: ``_methods.VARIANTS`` (LTDD with the paper's protocol and its
#: changes, the package's defaults and their ablations), the paper's baseline losses
#: (``BaselineClassifier``'s), the fingerprint models
METHODS = (
    "ltdd",
    "ltdd_subcluster",
    "ltdd_resample",
    "ce_resample",
    "ltdd_gine",
    "ltdd_fp",
    "ltdd_la",
    "defaults",
    "defaults_best1",
    "defaults_resample",
    "defaults_gine",
    "defaults_nofp",
    "defaults_gine_nofp",
    "defaults_argmax_nofp",
    "defaults_resample_nofp",
    "ce_defaults",
    "ce_defaults_nofp",
    "ce",
    "cs",
    "bs",
    "cb_focal",
    "ib",
    "cdt",
    "mixup",
    "decoupling",
    *(f"fp_{model}" for model in FINGERPRINT_MODELS),
)

#: what a run without ``methods`` trains: the methods of the paper's Table 2 (its baselines and
#: LTDD) and two fingerprint models; its seeds, epochs (the paper's) and results folder
DEFAULT_METHODS = ("ce", "cs", "bs", "ltdd", "fp_lr", "fp_hgb")
DEFAULT_SEEDS = (0, 1, 2)
PAPER_EPOCHS = 300
DEFAULT_OUT = "results/benchmark"
