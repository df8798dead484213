"""ConditionalDensityDisplay: p(y | x) of a regressor over one feature."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_array

from ._base import (
    check_1d,
    check_method,
    estimator_name,
    feature_grid,
    get_axes,
    scatter_points,
)

__all__ = ["ConditionalDensityDisplay"]


def _log_density(estimator, rows, y_grid):
    r"""``log p(y_grid[j] | rows[i])`` in ``[i, j]``.

    ``log_likelihood`` integrates :math:`Z(x)` over a quadrature grid for
    every pair; with the unnormalised ``energy(X, y)`` it is needed once per
    row: :math:`\log p(y \mid x) = -E(x, y) + c(x)`, with :math:`c(x)` read
    off one target.
    """
    pairs_x = np.repeat(rows, len(y_grid), axis=0)
    pairs_y = np.tile(y_grid, len(rows))
    if not callable(getattr(estimator, "energy", None)):
        return estimator.log_likelihood(pairs_x, pairs_y).reshape(len(rows), -1)
    anchor = np.full(len(rows), y_grid[0])
    offset = estimator.log_likelihood(rows, anchor) + estimator.energy(rows, anchor)
    energies = estimator.energy(pairs_x, pairs_y).reshape(len(rows), -1)
    return offset[:, None] - energies


class ConditionalDensityDisplay:
    r"""Heat map of a conditional density :math:`p(y \mid x)` over one feature.

    Columns of the map are the densities of the target at inputs along one
    feature (the only one of a 1-D input; with more, the others are fixed at
    a reference row), drawn with a power colour scale so that faint branches
    show next to sharp ones. Over it: the data points, the modes of each
    column (marker size: their probability mass) and an equal-tailed
    prediction interval.

    Build it with :meth:`from_estimator`.

    Parameters
    ----------
    x_grid : ndarray of shape (n_x,)
        Values of the feature.
    y_grid : ndarray of shape (n_y,)
        Values of the target.
    density : ndarray of shape (n_y, n_x)
        :math:`p(y_i \mid x_j)` in ``density[i, j]``.
    modes : ndarray of shape (n_x, max_modes), default=None
        Modes of each column, NaN-padded (as
        :meth:`~sk_ebm.EnergyRegressor.predict_modes` returns them).
    masses : ndarray of shape (n_x, max_modes), default=None
        Probability mass of each mode.
    interval : ndarray of shape (n_x, 2), default=None
        Lower and upper bound of each column's prediction interval.
    coverage : float, default=None
        The interval's probability, for the legend.
    data : ndarray of shape (n_samples, 2), default=None
        Data points ``(x, y)`` to draw.
    xlabel : str, default="x"
        Name of the feature.
    ylabel : str, default="y"
        Name of the target.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the map.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    mesh_ : matplotlib QuadMesh
        The heat map.
    data_scatter_ : matplotlib PathCollection or None
        The data points.
    modes_scatter_ : matplotlib PathCollection or None
        The modes.
    interval_lines_ : list of matplotlib Line2D
        Lower and upper interval bounds (empty without an interval).

    See Also
    --------
    sk_ebm.EnergyRegressor : The conditional density model.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.plotting import ConditionalDensityDisplay
    >>> x, y = np.linspace(0, 1, 20), np.linspace(-3, 4, 50)
    >>> density = norm.pdf(y[:, None], loc=x[None, :])
    >>> interval = np.column_stack([x - 1.645, x + 1.645])
    >>> display = ConditionalDensityDisplay(
    ...     x, y, density, modes=x[:, None], masses=np.ones((20, 1)),
    ...     interval=interval, coverage=0.9,
    ... ).plot()
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['modes (size: mass)', '90 % interval']
    """

    def __init__(
        self,
        x_grid,
        y_grid,
        density,
        *,
        modes=None,
        masses=None,
        interval=None,
        coverage=None,
        data=None,
        xlabel="x",
        ylabel="y",
    ):
        self.x_grid = x_grid
        self.y_grid = y_grid
        self.density = density
        self.modes = modes
        self.masses = masses
        self.interval = interval
        self.coverage = coverage
        self.data = data
        self.xlabel = xlabel
        self.ylabel = ylabel

    def plot(self, ax=None, *, gamma=0.4, cmap="magma", colorbar=False, title=None):
        """Draw the map, the data, the modes and the interval.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        gamma : float, default=0.4
            Exponent of the colour scale
            (:class:`matplotlib.colors.PowerNorm`); 1 is linear.
        cmap : str, default="magma"
            Colour map.
        colorbar : bool, default=False
            Add a colour bar.
        title : str, default=None
            Title of the axes.

        Returns
        -------
        display : ConditionalDensityDisplay
            This display, with its artists set.
        """
        from matplotlib.colors import PowerNorm

        self.ax_, self.figure_ = get_axes(ax, "ConditionalDensityDisplay.plot")
        ax = self.ax_
        self.mesh_ = ax.pcolormesh(
            self.x_grid,
            self.y_grid,
            self.density,
            cmap=cmap,
            shading="auto",
            norm=PowerNorm(gamma),
        )
        if colorbar:
            self.figure_.colorbar(self.mesh_, ax=ax, label="p(y | x)")
        self.data_scatter_ = self.modes_scatter_ = None
        self.interval_lines_ = []
        if self.data is not None:
            self.data_scatter_ = scatter_points(
                ax, self.data, color="lightgray", label="data", alpha=0.4
            )
        if self.modes is not None:
            modes = np.asarray(self.modes, dtype=np.float64)
            masses = (
                np.ones_like(modes)
                if self.masses is None
                else np.nan_to_num(np.asarray(self.masses, dtype=np.float64))
            )
            xs = np.repeat(np.asarray(self.x_grid)[:, None], modes.shape[1], axis=1)
            shown = np.isfinite(modes)
            self.modes_scatter_ = ax.scatter(
                xs[shown],
                modes[shown],
                s=1 + 8 * masses[shown],
                c="cyan",
                label="modes (size: mass)",
            )
        if self.interval is not None:
            coverage = "" if self.coverage is None else f"{100 * self.coverage:.0f} % "
            lower, upper = np.asarray(self.interval, dtype=np.float64).T
            self.interval_lines_ = [
                ax.plot(self.x_grid, lower, "w--", lw=1, label=f"{coverage}interval")[
                    0
                ],
                ax.plot(self.x_grid, upper, "w--", lw=1)[0],
            ]
        ax.set(
            xlabel=self.xlabel,
            ylabel=self.ylabel,
            xlim=(self.x_grid[0], self.x_grid[-1]),
            ylim=(self.y_grid[0], self.y_grid[-1]),
        )
        if title is not None:
            ax.set_title(title)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(loc="upper left", fontsize="small", markerscale=3)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        feature=0,
        reference=None,
        grid_resolution=200,
        y_resolution=200,
        max_modes=3,
        coverage=0.9,
        feature_name=None,
        ax=None,
        gamma=0.4,
        cmap="magma",
        colorbar=False,
        title=None,
    ):
        r"""Map a fitted :class:`~sk_ebm.EnergyRegressor`'s :math:`p(y \mid x)`.

        Parameters
        ----------
        estimator : EnergyRegressor
            A fitted regressor with ``log_likelihood`` (and
            ``predict_modes``, ``predict_interval`` for ``max_modes`` and
            ``coverage``) and ``y_range_``.
        X : array-like of shape (n_samples, n_features)
            Inputs whose range the feature's grid spans.
        y : array-like of shape (n_samples,), default=None
            Targets of ``X``: with them, the points ``(X[:, feature], y)``
            are drawn (meaningful when the other features are near the
            reference row, or absent).
        feature : int, default=0
            The feature on the x axis.
        reference : array-like of shape (n_features,), default=None
            Values of the other features; None uses the median row of ``X``.
        grid_resolution : int, default=200
            Points along the feature.
        y_resolution : int, default=200
            Points along the target, over the estimator's ``y_range_``.
        max_modes : int, default=3
            Most modes drawn per column; 0 draws none.
        coverage : float or None, default=0.9
            Probability of the interval drawn; None draws none.
        feature_name : str, default=None
            Label of the x axis; None uses ``X``'s column name when it has
            one, else ``"x{feature}"`` (``"x"`` for a 1-D input).
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        gamma : float, default=0.4
            See :meth:`plot`.
        cmap : str, default="magma"
            See :meth:`plot`.
        colorbar : bool, default=False
            See :meth:`plot`.
        title : str, default=None
            Title of the axes; None names the estimator.

        Returns
        -------
        display : ConditionalDensityDisplay
            The display, drawn.
        """
        caller = "ConditionalDensityDisplay.from_estimator"
        check_method(estimator, "log_likelihood", caller)
        if not isinstance(max_modes, Integral) or max_modes < 0:
            raise ValueError(
                f"max_modes must be a non-negative int, got {max_modes!r}."
            )
        if coverage is not None and not (
            isinstance(coverage, Real) and 0 < coverage < 1
        ):
            raise ValueError(f"coverage must be in (0, 1) or None, got {coverage!r}.")
        columns = getattr(X, "columns", None)
        X = check_array(X, dtype=np.float64, input_name="X")
        if feature_name is None:
            if columns is not None:
                feature_name = str(columns[feature])
            else:
                feature_name = "x" if X.shape[1] == 1 else f"x{feature}"
        data = None
        if y is not None:
            y = check_1d(y, "y")
            if len(y) != len(X):
                raise ValueError(f"X has {len(X)} rows but y has {len(y)} entries.")
        (x_grid,), rows = feature_grid(
            X, [feature], reference=reference, grid_resolution=grid_resolution
        )
        if y is not None:
            data = np.column_stack([X[:, feature], y])
        y_grid = np.linspace(*estimator.y_range_, int(y_resolution))
        density = np.exp(_log_density(estimator, rows, y_grid)).T
        modes = masses = interval = None
        if max_modes:
            check_method(estimator, "predict_modes", caller)
            modes, masses = estimator.predict_modes(rows, max_modes=max_modes)
        if coverage is not None:
            check_method(estimator, "predict_interval", caller)
            interval = estimator.predict_interval(rows, coverage=coverage)
        display = cls(
            x_grid,
            y_grid,
            density,
            modes=modes,
            masses=masses,
            interval=interval,
            coverage=coverage,
            data=data,
            xlabel=feature_name,
        )
        if title is None:
            title = f"{estimator_name(estimator)}: p(y | {feature_name})"
        return display.plot(ax, gamma=gamma, cmap=cmap, colorbar=colorbar, title=title)
