"""The documentation: every public name in the API reference, and a Sphinx
build with warnings as errors (examples not executed), so that a broken
reference or docstring fails the test suite.

The full build, with the gallery's examples executed, is described in
``doc/conf.py`` and the README; it takes minutes, this one seconds.
"""

import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sk_ebm

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "doc" / "api.rst"


def _documented_objects():
    """The objects that ``doc/api.rst`` lists in its autosummary tables."""
    found, module = [], None
    for line in API.read_text().splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
        elif module and (match := re.match(r"   ([A-Za-z_][\w.]*)$", line)):
            target = importlib.import_module(module)
            for part in match.group(1).split("."):
                target = getattr(target, part)
            found.append(target)
    return found


def _public_objects():
    """``(qualified name, object)`` of every name in a public ``__all__``."""
    names = ["sk_ebm"] + [
        info.name
        for info in pkgutil.walk_packages(sk_ebm.__path__, prefix="sk_ebm.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    for name in names:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            if attr != "__version__":
                yield f"{name}.{attr}", getattr(module, attr)


def test_api_reference_lists_every_public_name():
    documented = {id(obj) for obj in _documented_objects()}
    missing = [name for name, obj in _public_objects() if id(obj) not in documented]
    assert not missing, f"doc/api.rst does not list: {missing}"


def test_docs_build_without_warnings(tmp_path):
    """``sphinx-build -W --keep-going -D plot_gallery=0`` on a copy of doc/
    and examples/, offline (no intersphinx fetch)."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module)
    ignore = shutil.ignore_patterns("_build", "generated", "auto_examples", "*.png")
    for folder in ("doc", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    env = {
        **os.environ,
        "SK_EBM_DOCS_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        "-D", "plot_gallery=0", str(tmp_path / "doc"), str(tmp_path / "html"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    index = (tmp_path / "html" / "index.html").read_text()
    assert "User guide" in index
    for page in ("api", "installation", "changelog", "user_guide/ebm"):
        assert (tmp_path / "html" / f"{page}.html").is_file()
    plotting = (
        tmp_path / "html" / "generated" / "sk_ebm.plotting.ReliabilityDisplay.html"
    )
    assert "from_estimator" in plotting.read_text()
