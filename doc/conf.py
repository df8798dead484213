"""Sphinx configuration of the sk_ebm documentation.

Build the full documentation, examples executed (a few minutes on 2 cores)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html doc doc/_build/html

and without running the examples (what ``tests/test_docs.py`` checks)::

    sphinx-build -W --keep-going -b html -D plot_gallery=0 doc doc/_build/html

The build needs no network: each intersphinx inventory is read from the copy
shipped in ``doc/_intersphinx/`` when there is one (refresh them with
``python doc/_intersphinx/update.py``), else fetched from its site when that
answers, else left out, its links then rendering as plain text.
``SK_EBM_DOCS_OFFLINE=1`` skips the attempt to reach the sites.
"""

import importlib.util
import os
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sk_ebm

project = "sk_ebm"
author = "The sk_ebm developers"
copyright = "The sk_ebm developers"
release = sk_ebm.__version__
version = release
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
# MathJax bundled with the docs (the "docs" extra), so that formulas render
# offline; without it the pages load MathJax from its CDN.
if importlib.util.find_spec("sphinx-mathjax-offline") is not None:
    extensions.append("sphinx-mathjax-offline")
autosummary_generate = True
templates_path = ["_templates"]
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
html_theme = "pydata_sphinx_theme"
html_theme_options = {
    "github_url": None,
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_title = f"sk_ebm {release}"
exclude_patterns = ["_build", "_intersphinx", "auto_examples/*.ipynb"]

# intersphinx: shipped inventories first, the network only if it answers.
_INVENTORIES = Path(__file__).parent / "_intersphinx"
_PROJECTS = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "sklearn": "https://scikit-learn.org/stable",
    "matplotlib": "https://matplotlib.org/stable",
    "torch": "https://pytorch.org/docs/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
}


def _reachable(url, timeout=3.0):
    try:
        with urllib.request.urlopen(f"{url}/objects.inv", timeout=timeout):
            return True
    except OSError:  # URLError and timeouts included
        return False


def _intersphinx_mapping():
    mapping, to_probe = {}, {}
    for name, url in _PROJECTS.items():
        cached = _INVENTORIES / f"{name}-objects.inv"
        if cached.is_file():
            mapping[name] = (url, str(cached))
        else:
            to_probe[name] = url
    if to_probe and os.environ.get("SK_EBM_DOCS_OFFLINE") != "1":
        with ThreadPoolExecutor(len(to_probe)) as pool:
            answers = dict(
                zip(to_probe, pool.map(_reachable, to_probe.values()), strict=True)
            )
        mapping.update(
            (name, (url, None)) for name, url in to_probe.items() if answers[name]
        )
    return mapping


intersphinx_mapping = _intersphinx_mapping()
intersphinx_timeout = 10

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"quickstart\.py",
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "download_all_examples": False,
    "show_memory": False,
    "write_computation_times": True,
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
    "doc_module": ("sk_ebm",),
    "backreferences_dir": "generated/backreferences",
}

# Ambiguous short references (``base_`` is an attribute of several
# estimators) resolve to the first match; broken ones still fail the build.
suppress_warnings = ["ref.python"]

# In the shapes of numpydoc types, "(n_features_in_,)" and "(*s, k)" mean the
# attribute and the unpacked shape, not a reference and emphasis.
_SHAPE = re.compile(r"(of shape \()([^)]*)\)")


def _escape(shape):
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", shape).replace("*", r"\*")


def _escape_shapes(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        lines[i] = _SHAPE.sub(lambda m: m.group(1) + _escape(m.group(2)) + ")", line)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document the members that sk_ebm defines, not those inherited from
    scikit-learn, torch or skorch (their own docs describe them)."""
    if what != "class":
        return None
    function = getattr(obj, "fget", obj)
    module = getattr(function, "__module__", None) or ""
    return True if not module.startswith("sk_ebm") else None


def setup(app):
    # Before numpydoc turns the sections into reStructuredText.
    app.connect("autodoc-process-docstring", _escape_shapes, priority=400)
    app.connect("autodoc-skip-member", _skip_foreign_members)
