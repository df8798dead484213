"""What every Display shares: the lazy matplotlib import, axes, names, grids."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_array

__all__: list[str] = []

#: The install command named by the ImportError of a Display without matplotlib.
INSTALL_HINT = 'pip install "sk_ebm[plot]"'


def check_matplotlib(caller: str):
    """Import and return :mod:`matplotlib.pyplot`, or say how to install it.

    The Displays import matplotlib here, on first use, so that
    ``import sk_ebm.plotting`` works without it.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            f"{caller} needs matplotlib, an optional dependency of sk_ebm; "
            f"install the 'plot' extra: {INSTALL_HINT}"
        ) from err
    return plt


def get_axes(ax, caller: str):
    """``(ax, figure)``: the given axes, or new ones on a new figure."""
    plt = check_matplotlib(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def style(defaults: dict, user: dict | None) -> dict:
    """``defaults`` overridden by the user's matplotlib keywords (aliases
    such as ``lw`` and ``linewidth`` resolved, as in scikit-learn)."""
    return _validate_style_kwargs(defaults, user or {})


def scatter_points(ax, points, *, color, label, alpha=0.5):
    """Small points ``(x, y)`` over a map (data or samples)."""
    points = np.asarray(points)
    return ax.scatter(
        points[:, 0], points[:, 1], s=2, c=color, alpha=alpha, label=label
    )


def estimator_name(estimator) -> str:
    """The class name of ``estimator`` (of its last step for a pipeline)."""
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return type(estimator).__name__


def check_method(estimator, method: str, caller: str) -> None:
    """Raise a TypeError naming ``method`` when ``estimator`` lacks it."""
    if not callable(getattr(estimator, method, None)):
        raise TypeError(
            f"{caller} needs an estimator with a {method} method; "
            f"{type(estimator).__name__} has none."
        )


def check_1d(values, name: str) -> np.ndarray:
    """A finite 1-D float array, or a ValueError naming ``name``."""
    if np.ndim(values) != 1:
        raise ValueError(
            f"{name} must be 1-D, got an array of shape {np.shape(values)}."
        )
    return check_array(
        values, ensure_2d=False, dtype=np.float64, input_name=name
    ).astype(np.float64, copy=False)


def feature_grid(X, features, *, reference=None, grid_resolution=100, eps=0.0):
    """Rows spanning ``features`` of ``X``, the other features fixed.

    Each chosen feature takes ``grid_resolution`` evenly spaced values from
    its minimum in ``X`` less ``eps`` to its maximum plus ``eps``; every
    other column is set to ``reference`` (by default the median row of
    ``X``).

    Returns
    -------
    axes : list of ndarray
        The values of each chosen feature.
    rows : ndarray of shape (grid_resolution ** len(features), n_features)
        The grid's rows, the first chosen feature varying fastest.
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    n_features = X.shape[1]
    features = [int(f) for f in features]
    for f in features:
        if not -n_features <= f < n_features:
            raise ValueError(
                f"features must index the {n_features} columns of X, got {f}."
            )
    if len({f % n_features for f in features}) != len(features):
        raise ValueError(f"features must be distinct, got {features}.")
    if reference is None:
        reference = np.median(X, axis=0)
    reference = np.asarray(reference, dtype=np.float64).ravel()
    if reference.shape != (n_features,):
        raise ValueError(
            f"reference must be one row of {n_features} features, got shape "
            f"{reference.shape}."
        )
    if int(grid_resolution) < 2:
        raise ValueError(f"grid_resolution must be at least 2, got {grid_resolution}.")
    axes = [
        np.linspace(X[:, f].min() - eps, X[:, f].max() + eps, int(grid_resolution))
        for f in features
    ]
    mesh = np.meshgrid(*axes)
    rows = np.tile(reference, (mesh[0].size, 1))
    for f, values in zip(features, mesh, strict=True):
        rows[:, f] = values.ravel()
    return axes, rows
