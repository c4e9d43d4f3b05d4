"""Sphinx configuration: MyST markdown pages, numpydoc API reference from the docstrings."""

import sklearn_ltdd

project = "sklearn-ltdd"
author = "sklearn-ltdd developers"
release = version = sklearn_ltdd.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "results/**.md"]

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # the estimators' methods live in the package's base classes: document them on each estimator's
    # page, but not what sklearn's, torch's and Python's classes give (documented there)
    "inherited-members": "BaseEstimator, TransformerMixin, ClassifierMixin, ClusterMixin, _SetOutputMixin, "
    "ClassNamePrefixFeaturesOutMixin, _MetadataRequester, ReprHTMLMixin, _HTMLDocumentationLinkMixin, "
    "Module, BaseException",
    # sklearn's generated metadata-routing setters cite sklearn's own glossary; leave them out
    "exclude-members": "set_fit_request, set_score_request, set_predict_request, set_transform_request, "
    "set_predict_proba_request, set_partial_fit_request",
}
# the numpydoc sections give each parameter's type: signatures stay readable (ArrayLike expanded
# to numpy's protocol classes took five lines of fit's)
autodoc_typehints = "none"
numpydoc_show_class_members = False  # autosummary lists members; numpydoc would list them again
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# no network at build time: intersphinx inventories are optional extras
intersphinx_mapping: dict = {}

html_theme = "alabaster"
html_static_path = ["_static"]
html_theme_options = {
    "description": "Long-tailed drug classification for scikit-learn",
    "page_width": "1100px",
}
