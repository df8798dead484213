"""OODScoreDisplay: in- and out-of-distribution scores, threshold and ROC."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
from scipy.stats import gaussian_kde

from sk_ebm.metrics import ood_report

from ._base import (
    check_1d,
    check_matplotlib,
    check_method,
    estimator_name,
    get_axes,
)

__all__ = ["OODScoreDisplay"]

_KINDS = ("hist", "kde")
#: Name of the out-of-distribution set when a single array is given.
OUT_NAME = "out-of-distribution"


def _as_sets(values, name):
    """``{set name: value}`` from a dict, or from one value."""
    if isinstance(values, dict):
        if not values:
            raise ValueError(f"{name} is an empty dict; give at least one set.")
        return dict(values)
    return {OUT_NAME: values}


def _auto_range(scores_in, scores_out):
    """A score range that shows the in-distribution scores in detail.

    Far-away rows can score orders of magnitude below the in-distribution
    ones; the range starts at the in-distribution 5th percentile less as much
    again as the in-distribution scores spread above it, so the lower scores
    pile up at its left edge instead of squeezing the in-distribution
    histogram into one bin.
    """
    everything = np.concatenate([scores_in, *scores_out])
    low = np.percentile(scores_in, 5)
    low = max(everything.min(), low - (scores_in.max() - low))
    high = everything.max()
    if low == high:
        low, high = low - 0.5, high + 0.5
    return float(low), float(high)


class OODScoreDisplay:
    """Scores of in- and out-of-distribution rows, with the threshold.

    Histograms (or kernel density estimates) of an outlier detector's scores
    (``score_samples``: higher is more in-distribution) on in-distribution
    rows and on one or several out-of-distribution (OOD) sets, the detector's
    threshold ``offset_``, and for each OOD set the AUROC and the FPR at 95 %
    TPR of :func:`sk_ebm.metrics.ood_report` in the legend. An optional second
    axes shows the ROC curves, in-distribution rows being the positives.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`.

    Parameters
    ----------
    scores_in : ndarray of shape (n_samples_in,)
        Scores of the in-distribution rows.
    scores_out : dict of str to ndarray
        Scores of each out-of-distribution set, by name.
    reports : dict of str to Bunch
        :func:`sk_ebm.metrics.ood_report` of each out-of-distribution set
        against ``scores_in`` (``auroc``, ``aupr_in``, ``aupr_out``,
        ``fpr_at_tpr``).
    threshold : float, default=None
        Threshold of the detector (``offset_``), drawn as a vertical line.
    tpr : float, default=0.95
        The TPR of the reports' ``fpr_at_tpr``.
    name : str, default=None
        Name of the detector, shown in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the score distributions.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    bin_edges_ : ndarray
        Edges of the histograms (or the evaluation grid of the KDE curves).
    artist_in_ : matplotlib StepPatch or Line2D
        Distribution of the in-distribution scores.
    artists_out_ : dict of str to matplotlib StepPatch or Line2D
        Distribution of each OOD set's scores.
    threshold_line_ : matplotlib Line2D or None
        The threshold.
    ax_roc_ : matplotlib Axes or None
        Axes with the ROC curves (``roc=True``).
    roc_lines_ : dict of str to matplotlib Line2D
        ROC curve of each OOD set (empty without ``roc``).

    See Also
    --------
    sk_ebm.metrics.ood_report : The metrics of the legend.
    sklearn.metrics.RocCurveDisplay : The ROC curves of the second axes.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.plotting import OODScoreDisplay
    >>> rng = np.random.RandomState(0)
    >>> display = OODScoreDisplay.from_predictions(
    ...     rng.normal(size=200), rng.normal(-3, 1, size=100), threshold=-1.6
    ... )
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['in-distribution', 'out-of-distribution: AUROC 0.989, FPR@95 0.050',
     'threshold -1.6']
    """

    def __init__(
        self, scores_in, scores_out, reports, *, threshold=None, tpr=0.95, name=None
    ):
        self.scores_in = scores_in
        self.scores_out = scores_out
        self.reports = reports
        self.threshold = threshold
        self.tpr = tpr
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        kind="hist",
        bins=50,
        range="auto",
        in_name="in-distribution",
        roc=False,
        roc_ax=None,
        log_scale=False,
    ):
        """Draw the score distributions (and the ROC curves).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the distributions; None makes a new figure (with two
            axes when ``roc`` is true and ``roc_ax`` is None).
        kind : {"hist", "kde"}, default="hist"
            Histograms, or Gaussian kernel density estimates
            (:class:`scipy.stats.gaussian_kde`) evaluated on ``bins`` points.
            Both are densities, so sets of different sizes compare.
        bins : int, default=50
            Number of histogram bins (of KDE grid points).
        range : "auto", None or tuple of float, default="auto"
            Score range shown; scores outside are clipped to its edges (and
            the x label says so). None: from the lowest to the highest
            score. ``"auto"``: from the in-distribution 1st percentile less
            the spread above it, so that far-away rows pile up at the left
            edge.
        in_name : str, default="in-distribution"
            Legend name of the in-distribution rows.
        roc : bool, default=False
            Also draw the ROC curves (in-distribution rows as positives).
        roc_ax : matplotlib Axes, default=None
            Axes for the ROC curves; needed when ``roc`` and ``ax`` are given.
        log_scale : bool, default=False
            Logarithmic density axis.

        Returns
        -------
        display : OODScoreDisplay
            This display, with its artists set.
        """
        from sklearn.metrics import RocCurveDisplay

        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")
        if roc and ax is not None and roc_ax is None:
            raise ValueError("With roc=True and a given ax, pass roc_ax too.")
        if roc and ax is None and roc_ax is None:
            plt = check_matplotlib("OODScoreDisplay.plot")
            _, (ax, roc_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
        self.ax_, self.figure_ = get_axes(ax, "OODScoreDisplay.plot")
        ax = self.ax_
        scores_in = np.asarray(self.scores_in)
        scores_out = {k: np.asarray(v) for k, v in self.scores_out.items()}
        if isinstance(range, str) and range == "auto":
            low, high = _auto_range(scores_in, scores_out.values())
        elif range is None:
            everything = np.concatenate([scores_in, *scores_out.values()])
            low, high = float(everything.min()), float(everything.max())
        else:
            low, high = (float(v) for v in range)
            if not low < high:
                raise ValueError(
                    f"range must be (low, high) with low < high, got {range}."
                )
        clipped = any(
            s.min() < low or s.max() > high for s in (scores_in, *scores_out.values())
        )

        def draw(scores, label, **kw):
            scores = np.clip(scores, low, high)
            if kind == "hist":
                density, self.bin_edges_ = np.histogram(
                    scores, bins=bins, range=(low, high), density=True
                )
                return ax.stairs(density, self.bin_edges_, label=label, **kw)
            self.bin_edges_ = np.linspace(low, high, bins)
            if np.ptp(scores) == 0:
                curve = np.zeros_like(self.bin_edges_)
            else:
                curve = gaussian_kde(scores)(self.bin_edges_)
            fill = kw.pop("fill", False)
            (line,) = ax.plot(self.bin_edges_, curve, label=label, **kw)
            if fill:
                ax.fill_between(
                    self.bin_edges_, curve, alpha=0.3, color=line.get_color()
                )
            return line

        self.artist_in_ = draw(scores_in, in_name, fill=True, alpha=0.4, color="C0")
        self.artists_out_ = {}
        for i, (set_name, scores) in enumerate(scores_out.items(), start=1):
            report = self.reports[set_name]
            label = (
                f"{set_name}: AUROC {report.auroc:.3f}, "
                f"FPR@{100 * self.tpr:.0f} {report.fpr_at_tpr:.3f}"
            )
            self.artists_out_[set_name] = draw(scores, label, color=f"C{i}", lw=2)
        self.threshold_line_ = None
        if self.threshold is not None:
            self.threshold_line_ = ax.axvline(
                self.threshold,
                color="k",
                ls="--",
                lw=1,
                label=f"threshold {self.threshold:.3g}",
            )
        if log_scale:
            ax.set_yscale("log")
        xlabel = "score (higher: more in-distribution)"
        ax.set(
            xlabel=xlabel + ("; clipped to the range" if clipped else ""),
            ylabel="density",
        )
        if self.name is not None:
            ax.set_title(self.name)
        ax.legend(loc="upper left", fontsize="small")

        self.ax_roc_, self.roc_lines_ = roc_ax, {}
        if roc:
            for i, (set_name, scores) in enumerate(scores_out.items(), start=1):
                y_true = np.r_[np.ones(len(scores_in)), np.zeros(len(scores))]
                curve = RocCurveDisplay.from_predictions(
                    y_true,
                    np.r_[scores_in, scores],
                    pos_label=1,
                    name=set_name,
                    ax=roc_ax,
                    curve_kwargs={"color": f"C{i}"},
                    plot_chance_level=i == len(scores_out),
                )
                self.roc_lines_[set_name] = curve.line_
            roc_ax.set(
                xlabel="false-positive rate (OOD rows accepted)",
                ylabel="true-positive rate (in-distribution rows accepted)",
            )
            roc_ax.legend(loc="lower right", fontsize="small")
        return self

    @classmethod
    def from_predictions(
        cls,
        scores_in,
        scores_out,
        *,
        threshold=None,
        tpr=0.95,
        name=None,
        ax=None,
        kind="hist",
        bins=50,
        range="auto",
        roc=False,
        roc_ax=None,
        log_scale=False,
    ):
        """Score distributions of given in- and out-of-distribution scores.

        Parameters
        ----------
        scores_in : array-like of shape (n_samples_in,)
            Scores of the in-distribution rows; higher means more
            in-distribution.
        scores_out : array-like of shape (n_samples_out,) or dict
            Scores of the out-of-distribution rows, or a dict of such arrays
            by set name (a single array is named ``"out-of-distribution"``).
        threshold : float, default=None
            Threshold to draw (a detector's ``offset_``).
        tpr : float, default=0.95
            TPR at which the FPR of the legend is taken.
        name : str, default=None
            Title of the axes.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        kind : {"hist", "kde"}, default="hist"
            See :meth:`plot`.
        bins : int, default=50
            See :meth:`plot`.
        range : "auto", None or tuple of float, default="auto"
            See :meth:`plot`.
        roc : bool, default=False
            See :meth:`plot`.
        roc_ax : matplotlib Axes, default=None
            See :meth:`plot`.
        log_scale : bool, default=False
            See :meth:`plot`.

        Returns
        -------
        display : OODScoreDisplay
            The display, drawn.
        """
        scores_in = check_1d(scores_in, "scores_in")
        scores_out = {
            k: check_1d(v, f"scores_out[{k!r}]")
            for k, v in _as_sets(scores_out, "scores_out").items()
        }
        reports = {k: ood_report(scores_in, v, tpr=tpr) for k, v in scores_out.items()}
        display = cls(
            scores_in, scores_out, reports, threshold=threshold, tpr=tpr, name=name
        )
        return display.plot(
            ax,
            kind=kind,
            bins=bins,
            range=range,
            roc=roc,
            roc_ax=roc_ax,
            log_scale=log_scale,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X_in,
        X_out,
        *,
        tpr=0.95,
        name=None,
        ax=None,
        kind="hist",
        bins=50,
        range="auto",
        roc=False,
        roc_ax=None,
        log_scale=False,
    ):
        """Score distributions of a fitted detector on in- and OOD rows.

        Parameters
        ----------
        estimator : estimator
            Fitted detector or density estimator with ``score_samples``
            (higher is more in-distribution): an :class:`~sk_ebm.OODDetector`
            (its ``offset_`` is drawn as the threshold), any sk_ebm
            estimator, or a scikit-learn outlier detector.
        X_in : array-like of shape (n_samples_in, n_features)
            In-distribution rows (not those of the training).
        X_out : array-like of shape (n_samples_out, n_features) or dict
            Out-of-distribution rows, or a dict of such arrays by set name.
        tpr : float, default=0.95
            TPR at which the FPR of the legend is taken.
        name : str, default=None
            Title of the axes; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        kind : {"hist", "kde"}, default="hist"
            See :meth:`plot`.
        bins : int, default=50
            See :meth:`plot`.
        range : "auto", None or tuple of float, default="auto"
            See :meth:`plot`.
        roc : bool, default=False
            See :meth:`plot`.
        roc_ax : matplotlib Axes, default=None
            See :meth:`plot`.
        log_scale : bool, default=False
            See :meth:`plot`.

        Returns
        -------
        display : OODScoreDisplay
            The display, drawn.
        """
        check_method(estimator, "score_samples", "OODScoreDisplay.from_estimator")
        return cls.from_predictions(
            estimator.score_samples(X_in),
            {
                k: estimator.score_samples(X)
                for k, X in _as_sets(X_out, "X_out").items()
            },
            threshold=getattr(estimator, "offset_", None),
            tpr=tpr,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            kind=kind,
            bins=bins,
            range=range,
            roc=roc,
            roc_ax=roc_ax,
            log_scale=log_scale,
        )
