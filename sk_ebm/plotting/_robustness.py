"""RobustnessCurveDisplay: accuracy under attack against the radius."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import inspect

import numpy as np

from ._base import check_1d, estimator_name, get_axes, style

__all__ = ["RobustnessCurveDisplay"]

_NORM_NAMES = {"linf": "L-inf", "l2": "L2"}


class RobustnessCurveDisplay:
    """Robust accuracy against the attack's radius, with error bars.

    Draws a curve record of :func:`sk_ebm.adversarial.robustness_curve`: the
    accuracy on rows attacked within a ball of radius ``eps``, with error bars
    of ``n_std`` binomial standard errors. Several models share one axes:
    pass the first display's ``ax_`` to the next one.

    Build it with :meth:`from_estimator` (which runs the attack) or
    :meth:`from_curve` (a record computed before).

    Parameters
    ----------
    eps : ndarray of shape (n_radii,)
        The radii.
    accuracy : ndarray of shape (n_radii,)
        Accuracy at each radius.
    std_error : ndarray of shape (n_radii,), default=None
        Standard error of each accuracy; None draws no error bars.
    norm : {"linf", "l2"}, default=None
        The attack's norm, for the x label.
    name : str, default=None
        Name of the model, in the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    line_ : matplotlib Line2D
        The curve.
    errorbar_ : matplotlib ErrorbarContainer
        The curve with its error bars.
    chance_line_ : matplotlib Line2D or None
        Horizontal line at the chance level.

    See Also
    --------
    sk_ebm.adversarial.robustness_curve : Computes the curve record.

    Examples
    --------
    >>> from sk_ebm.plotting import RobustnessCurveDisplay
    >>> curve = {"eps": [0.0, 0.1, 0.2], "accuracy": [0.9, 0.6, 0.2],
    ...          "std_error": [0.03, 0.05, 0.04]}
    >>> display = RobustnessCurveDisplay.from_curve(curve, name="softmax")
    >>> display.line_.get_ydata()
    array([0.9, 0.6, 0.2])
    >>> other = RobustnessCurveDisplay.from_curve(
    ...     {"eps": [0.0, 0.1, 0.2], "accuracy": [0.9, 0.8, 0.6]},
    ...     name="JEM", ax=display.ax_,
    ... )
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['softmax', 'JEM']
    """

    def __init__(self, eps, accuracy, std_error=None, *, norm=None, name=None):
        self.eps = eps
        self.accuracy = accuracy
        self.std_error = std_error
        self.norm = norm
        self.name = name

    def plot(self, ax=None, *, name=None, n_std=1.0, chance_level=None, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on (one with other curves: their legend is kept);
            None makes a new figure.
        name : str, default=None
            Legend name; None uses the ``name`` given at construction.
        n_std : float, default=1.0
            Half-height of the error bars, in standard errors (1.96 for 95 %
            normal intervals).
        chance_level : float, default=None
            Accuracy of guessing (``1 / n_classes`` on balanced classes),
            drawn as a dotted horizontal line.
        **kwargs : dict
            Keywords of :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : RobustnessCurveDisplay
            This display, with its artists set.
        """
        self.ax_, self.figure_ = get_axes(ax, "RobustnessCurveDisplay.plot")
        ax = self.ax_
        name = self.name if name is None else name
        yerr = None
        if self.std_error is not None:
            yerr = n_std * np.asarray(self.std_error)
        defaults = {"marker": "o", "capsize": 3}
        if name is not None:
            defaults["label"] = name
        self.errorbar_ = ax.errorbar(
            self.eps, self.accuracy, yerr=yerr, **style(defaults, kwargs)
        )
        self.line_ = self.errorbar_.lines[0]
        self.chance_line_ = None
        if (
            chance_level is not None
            and "chance" not in ax.get_legend_handles_labels()[1]
        ):
            self.chance_line_ = ax.axhline(
                chance_level, color="gray", ls=":", lw=1, label="chance"
            )
        norm = _NORM_NAMES.get(self.norm, self.norm)
        ax.set(
            xlabel="attack radius eps" + (f" ({norm} ball)" if norm else ""),
            ylabel="robust accuracy",
            ylim=(-0.02, 1.02),
        )
        if ax.get_legend_handles_labels()[1]:
            ax.legend()
        return self

    @classmethod
    def from_curve(
        cls,
        curve,
        *,
        norm=None,
        name=None,
        ax=None,
        n_std=1.0,
        chance_level=None,
        **kwargs,
    ):
        """Draw a robustness curve record.

        Parameters
        ----------
        curve : dict
            The record of :func:`sk_ebm.adversarial.robustness_curve`:
            ``"eps"`` and ``"accuracy"``, optionally ``"std_error"`` (and
            ``"norm"``), arrays of one length.
        norm : {"linf", "l2"}, default=None
            The attack's norm, for the x label; None takes ``curve["norm"]``
            when the record has it.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        n_std : float, default=1.0
            See :meth:`plot`.
        chance_level : float, default=None
            See :meth:`plot`.
        **kwargs : dict
            Keywords of :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : RobustnessCurveDisplay
            The display, drawn.
        """
        missing = {"eps", "accuracy"} - set(curve)
        if missing:
            raise ValueError(
                f"curve lacks {sorted(missing)}; pass the record of "
                "sk_ebm.adversarial.robustness_curve."
            )
        eps = check_1d(curve["eps"], "curve['eps']")
        accuracy = check_1d(curve["accuracy"], "curve['accuracy']")
        std_error = curve.get("std_error")
        if std_error is not None:
            std_error = check_1d(std_error, "curve['std_error']")
        lengths = {
            len(eps),
            len(accuracy),
            len(eps if std_error is None else std_error),
        }
        if len(lengths) != 1:
            raise ValueError(
                "curve's arrays must have one length; got eps "
                f"{len(eps)}, accuracy {len(accuracy)}"
                + ("" if std_error is None else f", std_error {len(std_error)}")
                + "."
            )
        display = cls(
            eps,
            accuracy,
            std_error,
            norm=curve.get("norm") if norm is None else norm,
            name=name,
        )
        return display.plot(ax, n_std=n_std, chance_level=chance_level, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        eps_grid,
        *,
        name=None,
        ax=None,
        n_std=1.0,
        chance_level=None,
        plot_kwargs=None,
        **attack,
    ):
        """Attack a fitted classifier over a grid of radii and draw the curve.

        Runs :func:`sk_ebm.adversarial.robustness_curve` (PGD at every radius
        of ``eps_grid``) and draws its record.

        Parameters
        ----------
        estimator : EnergyClassifier or Pipeline
            A fitted classifier that :func:`sk_ebm.adversarial.pgd_attack`
            takes.
        X : array-like of shape (n_samples, n_features)
            Test rows.
        y : array-like of shape (n_samples,)
            Their labels.
        eps_grid : array-like of float
            The radii.
        name : str, default=None
            Legend name; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        n_std : float, default=1.0
            See :meth:`plot`.
        chance_level : float, default=None
            See :meth:`plot`.
        plot_kwargs : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.errorbar`.
        **attack : dict
            Arguments of :func:`sk_ebm.adversarial.pgd_attack` (``norm``,
            ``steps``, ``restarts``, ``clip``, ``random_state``, ...).

        Returns
        -------
        display : RobustnessCurveDisplay
            The display, drawn; its ``curve_`` attribute holds the record.
        """
        from sk_ebm.adversarial import pgd_attack, robustness_curve

        curve = robustness_curve(estimator, X, y, eps_grid, **attack)
        norm = attack.get(
            "norm", inspect.signature(pgd_attack).parameters["norm"].default
        )
        display = cls.from_curve(
            curve,
            norm=norm,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            n_std=n_std,
            chance_level=chance_level,
            **(plot_kwargs or {}),
        )
        display.curve_ = curve
        return display
