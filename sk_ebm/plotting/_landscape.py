"""EnergyLandscapeDisplay: a density or energy over two features."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import inspect

import numpy as np
from sklearn.utils.validation import check_array

from ._base import check_method, feature_grid, get_axes, scatter_points, style

__all__ = ["EnergyLandscapeDisplay"]

_RESPONSES = ("density", "log_density", "energy")
_PLOT_METHODS = ("pcolormesh", "contourf", "contour")
_LABELS = {
    "density": "density exp(score_samples)",
    "log_density": "log-density score_samples",
    "energy": "energy E(x)",
}


class EnergyLandscapeDisplay:
    """Density, log-density or energy of a model over two features.

    Like :class:`sklearn.inspection.DecisionBoundaryDisplay`, the model is
    evaluated on a grid spanning two features of ``X`` (all of them for 2-D
    data; with more features the others are fixed at a reference row), and
    drawn as a colour map, with optional contour lines, data points and
    samples of the model.

    Build it with :meth:`from_estimator`.

    Parameters
    ----------
    xx0 : ndarray of shape (grid_resolution,)
        Values of the first feature on the grid.
    xx1 : ndarray of shape (grid_resolution,)
        Values of the second feature on the grid.
    response : ndarray of shape (grid_resolution, grid_resolution)
        The model's response at ``(xx0[j], xx1[i])`` in ``response[i, j]``.
    response_method : {"density", "log_density", "energy"}, default="density"
        What ``response`` is, for the colour bar's label.
    xlabel : str, default=None
        Name of the first feature.
    ylabel : str, default=None
        Name of the second feature.
    data : ndarray of shape (n_samples, 2), default=None
        Data points to draw over the map (the two features).
    samples : ndarray of shape (n_draws, 2), default=None
        Samples of the model to draw over the map (the two features).

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the map.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    surface_ : matplotlib QuadMesh or QuadContourSet
        The colour map (or the contour lines, ``plot_method="contour"``).
    contour_ : matplotlib QuadContourSet or None
        Contour lines drawn over the map (``levels``).
    data_scatter_ : matplotlib PathCollection or None
        The data points.
    samples_scatter_ : matplotlib PathCollection or None
        The samples.
    colorbar_ : matplotlib Colorbar or None
        The colour bar.

    See Also
    --------
    sklearn.inspection.DecisionBoundaryDisplay : The same for classifiers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KernelDensity
    >>> from sk_ebm.plotting import EnergyLandscapeDisplay
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> kde = KernelDensity(bandwidth=0.5).fit(X)
    >>> display = EnergyLandscapeDisplay.from_estimator(
    ...     kde, X, grid_resolution=30, show_data=True
    ... )
    >>> display.response.shape
    (30, 30)
    >>> display.colorbar_.ax.get_ylabel()
    'density exp(score_samples)'
    """

    def __init__(
        self,
        xx0,
        xx1,
        response,
        *,
        response_method="density",
        xlabel=None,
        ylabel=None,
        data=None,
        samples=None,
    ):
        self.xx0 = xx0
        self.xx1 = xx1
        self.response = response
        self.response_method = response_method
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.data = data
        self.samples = samples

    def plot(
        self,
        ax=None,
        *,
        plot_method="pcolormesh",
        levels=None,
        colorbar=True,
        show_data=True,
        show_samples=True,
        **kwargs,
    ):
        """Draw the map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        plot_method : {"pcolormesh", "contourf", "contour"}, default="pcolormesh"
            Matplotlib function drawing the response.
        levels : int or array-like, default=None
            Contour lines to draw over the map (a number of levels or their
            values); None draws none.
        colorbar : bool, default=True
            Add a colour bar.
        show_data : bool, default=True
            Draw ``data`` (when given) as small white points.
        show_samples : bool, default=True
            Draw ``samples`` (when given) as small cyan points.
        **kwargs : dict
            Keywords of the matplotlib function ``plot_method``.

        Returns
        -------
        display : EnergyLandscapeDisplay
            This display, with its artists set.
        """
        if plot_method not in _PLOT_METHODS:
            raise ValueError(
                f"plot_method must be one of {_PLOT_METHODS}, got {plot_method!r}."
            )
        self.ax_, self.figure_ = get_axes(ax, "EnergyLandscapeDisplay.plot")
        ax = self.ax_
        defaults = {"cmap": "magma"}
        if plot_method == "pcolormesh":
            defaults["shading"] = "auto"
        self.surface_ = getattr(ax, plot_method)(
            self.xx0, self.xx1, self.response, **style(defaults, kwargs)
        )
        self.contour_ = None
        if levels is not None:
            self.contour_ = ax.contour(
                self.xx0,
                self.xx1,
                self.response,
                levels=levels,
                colors="white",
                linewidths=0.6,
                alpha=0.7,
            )
        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = self.figure_.colorbar(self.surface_, ax=ax)
            self.colorbar_.set_label(_LABELS.get(self.response_method, ""))
        self.data_scatter_ = self.samples_scatter_ = None
        if show_data and self.data is not None:
            self.data_scatter_ = scatter_points(
                ax, self.data, color="white", label="data"
            )
        if show_samples and self.samples is not None:
            self.samples_scatter_ = scatter_points(
                ax, self.samples, color="cyan", label="samples", alpha=0.7
            )
        ax.set(
            xlim=(self.xx0[0], self.xx0[-1]),
            ylim=(self.xx1[0], self.xx1[-1]),
            xlabel=self.xlabel,
            ylabel=self.ylabel,
        )
        if self.data_scatter_ is not None or self.samples_scatter_ is not None:
            ax.legend(loc="upper right", fontsize="small", markerscale=4)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        features=(0, 1),
        reference=None,
        response_method="density",
        grid_resolution=100,
        eps=0.5,
        n_samples=0,
        random_state=None,
        feature_names=None,
        ax=None,
        plot_method="pcolormesh",
        levels=None,
        colorbar=True,
        show_data=False,
        **kwargs,
    ):
        """Map a fitted density model over two features of ``X``.

        Parameters
        ----------
        estimator : estimator
            Fitted model with ``score_samples`` (any sk_ebm estimator but the
            regressor, or a scikit-learn density such as
            :class:`~sklearn.neighbors.KernelDensity`); ``response_method=
            "energy"`` needs an ``energy`` method, ``n_samples`` a ``sample``
            method.
        X : array-like of shape (n_samples, n_features)
            Data whose range (plus ``eps``) the grid spans.
        features : tuple of int, default=(0, 1)
            The two features on the axes.
        reference : array-like of shape (n_features,), default=None
            Values of the other features; None uses the median row of ``X``.
        response_method : {"density", "log_density", "energy"}, \
default="density"
            ``"log_density"``: ``score_samples``; ``"density"``: its exponential
            (for models whose ``score_samples`` is a normalised log-density);
            ``"energy"``: the model's ``energy``, lower where data is likely.
        grid_resolution : int, default=100
            Grid points along each feature.
        eps : float, default=0.5
            Margin added on both sides of the data's range.
        n_samples : int, default=0
            Number of samples of the model (``sample``) to draw over the map.
        random_state : int, RandomState instance or None, default=None
            Seeds ``sample``.
        feature_names : list of str, default=None
            Axis labels; None uses ``X``'s column names when it has them,
            else ``"x0"``, ``"x1"``, ...
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        plot_method : {"pcolormesh", "contourf", "contour"}, \
default="pcolormesh"
            See :meth:`plot`.
        levels : int or array-like, default=None
            See :meth:`plot`.
        colorbar : bool, default=True
            See :meth:`plot`.
        show_data : bool, default=False
            Draw the rows of ``X`` over the map (they are stored as ``data``
            either way, for a later ``plot(show_data=True)``).
        **kwargs : dict
            Keywords of the matplotlib function ``plot_method``.

        Returns
        -------
        display : EnergyLandscapeDisplay
            The display, drawn.
        """
        caller = "EnergyLandscapeDisplay.from_estimator"
        if response_method not in _RESPONSES:
            raise ValueError(
                f"response_method must be one of {_RESPONSES}, got {response_method!r}."
            )
        features = tuple(features)
        if len(features) != 2:
            raise ValueError(f"features must name two columns, got {features}.")
        names = feature_names
        if names is None:
            names = getattr(X, "columns", None)
        X = check_array(X, dtype=np.float64, input_name="X")
        if names is None:
            names = [f"x{i}" for i in range(X.shape[1])]
        method = "energy" if response_method == "energy" else "score_samples"
        check_method(estimator, method, caller)
        if n_samples:
            check_method(estimator, "sample", caller)
        (xx0, xx1), rows = feature_grid(
            X, features, reference=reference, grid_resolution=grid_resolution, eps=eps
        )
        response = np.asarray(getattr(estimator, method)(rows), dtype=np.float64)
        if response_method == "density":
            response = np.exp(response)
        samples = None
        if n_samples:
            seed = (
                {"random_state": random_state}
                if "random_state" in inspect.signature(estimator.sample).parameters
                else {}
            )
            samples = estimator.sample(n_samples, **seed)
            # scikit-learn's GaussianMixture.sample returns (X, labels).
            samples = samples[0] if isinstance(samples, tuple) else samples
            samples = np.asarray(samples)[:, list(features)]
        display = cls(
            xx0,
            xx1,
            response.reshape(len(xx1), len(xx0)),
            response_method=response_method,
            xlabel=str(names[features[0]]),
            ylabel=str(names[features[1]]),
            data=X[:, list(features)],
            samples=samples,
        )
        return display.plot(
            ax,
            plot_method=plot_method,
            levels=levels,
            colorbar=colorbar,
            show_data=show_data,
            **kwargs,
        )
