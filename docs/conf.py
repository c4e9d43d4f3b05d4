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
templates_path = ["_templates"]  # a class's page: its documentation and a table of its methods
autodoc_default_options = {
    "members": True,
    # the estimators' methods live in the package's base classes: each estimator's page documents
    # them (what sklearn's, torch's and Python's classes give is left out, below)
    "inherited-members": True,
    # sklearn's generated metadata-routing setters cite sklearn's own glossary; leave them out
    "exclude-members": "set_fit_request, set_score_request, set_predict_request, set_transform_request, "
    "set_predict_proba_request, set_partial_fit_request",
}


def _given_by_another_library(app, what, name, obj, skip, options) -> bool | None:
    """Leave out of a class's page (its documented methods and its table of them) what sklearn's,
    torch's and Python's classes give it: documented there (LTDDModule's table listed some sixty
    of torch.nn.Module's methods, linked to nothing)."""
    function = obj.fget if isinstance(obj, property) else obj
    if not callable(function):
        return None
    module = getattr(function, "__module__", None) or getattr(
        getattr(function, "__objclass__", None), "__module__", ""
    )
    return True if module and not module.startswith("sklearn_ltdd") else None


def setup(app) -> None:
    app.connect("autodoc-skip-member", _given_by_another_library)


# the numpydoc sections give each parameter's type: signatures stay readable (ArrayLike expanded
# to numpy's protocol classes took five lines of fit's)
autodoc_typehints = "none"
numpydoc_show_class_members = False  # autosummary lists members; numpydoc would list them again
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

smartquotes = False  # numpydoc's default="gcn" copies as Python, not as curly quotes

# no network at build time: intersphinx inventories are optional extras
intersphinx_mapping: dict = {}
# every reference into the package must resolve (the build's -W makes one that does not an error);
# without intersphinx, those into other libraries cannot
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(sklearn|torch|torch_geometric|numpy|pandas|scipy|matplotlib)\..*")]

html_theme = "alabaster"
html_static_path = ["_static"]
html_theme_options = {
    "description": "Long-tailed drug classification for scikit-learn",
    "page_width": "1100px",
}
