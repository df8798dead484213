"""ReliabilityDisplay: the top-label reliability diagram of a classifier."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np

from sk_ebm.metrics import reliability_diagram_bins
from sk_ebm.metrics._calibration import _calibration_gaps

from ._base import check_method, estimator_name, get_axes, style

__all__ = ["ReliabilityDisplay"]

_KINDS = ("bar", "line")


class ReliabilityDisplay:
    """Reliability diagram of the top-label confidence of a classifier.

    Each prediction's confidence is its largest class probability; the
    confidences are binned by :func:`sk_ebm.metrics.reliability_diagram_bins`
    and each bin's accuracy is drawn against its confidence. A calibrated
    classifier lies on the diagonal. The expected and maximum calibration
    errors (ECE, MCE) of the same bins are shown in the legend.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`; the
    constructor only stores the bins.

    Parameters
    ----------
    bin_edges : ndarray of shape (n_bins + 1,)
        Increasing bin edges, from 0 to 1.
    accuracy : ndarray of shape (n_bins,)
        Fraction of correct predictions in each bin, NaN for an empty bin.
    confidence : ndarray of shape (n_bins,)
        Mean confidence in each bin, NaN for an empty bin.
    count : ndarray of shape (n_bins,)
        Number of predictions in each bin.
    ece : float
        Expected calibration error of these bins.
    mce : float
        Maximum calibration error of these bins.
    name : str, default=None
        Name of the classifier, shown in the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the diagram.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    bars_ : matplotlib BarContainer or None
        Accuracy bars of the non-empty bins (``kind="bar"``).
    gap_bars_ : matplotlib BarContainer or None
        Bars from each bin's accuracy to its mean confidence (``kind="bar"``
        with ``gaps=True``).
    line_ : matplotlib Line2D or None
        Accuracy against mean confidence of the non-empty bins
        (``kind="line"``).
    ref_line_ : matplotlib Line2D or None
        The diagonal of perfect calibration.
    ax_hist_ : matplotlib Axes or None
        Twin axes with the share of predictions per bin
        (``histogram=True``).
    hist_bars_ : matplotlib BarContainer or None
        The bars of ``ax_hist_``.

    See Also
    --------
    sk_ebm.metrics.reliability_diagram_bins : The bins drawn here.
    sklearn.calibration.CalibrationDisplay : Binary calibration curve.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.plotting import ReliabilityDisplay
    >>> y_true = [0, 1, 1, 0]
    >>> y_proba = np.array([[0.95, 0.05], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    >>> display = ReliabilityDisplay.from_predictions(y_true, y_proba, n_bins=4)
    >>> display.count
    array([0, 0, 2, 2])
    >>> round(display.ece, 4)
    0.3625
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['perfect calibration', 'ECE 0.363, MCE 0.375', 'gap to the mean confidence']
    """

    def __init__(self, bin_edges, accuracy, confidence, count, *, ece, mce, name=None):
        self.bin_edges = bin_edges
        self.accuracy = accuracy
        self.confidence = confidence
        self.count = count
        self.ece = ece
        self.mce = mce
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        kind="bar",
        gaps=True,
        histogram=False,
        ref_line=True,
        **kwargs,
    ):
        """Draw the diagram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Legend name; None uses the ``name`` given at construction.
        kind : {"bar", "line"}, default="bar"
            ``"bar"``: one bar per non-empty bin, as wide as the bin, up to
            its accuracy. ``"line"``: accuracy against the bin's mean
            confidence, markers joined by a line, which several classifiers
            can share one axes with.
        gaps : bool, default=True
            With ``kind="bar"``, also draw hatched bars from each bin's
            accuracy to its mean confidence (Guo et al., 2017).
        histogram : bool, default=False
            Also draw the share of predictions in each bin, on a twin axes
            to the right.
        ref_line : bool, default=True
            Draw the diagonal of perfect calibration (once per axes).
        **kwargs : dict
            Keywords of :meth:`matplotlib.axes.Axes.bar` (``kind="bar"``) or
            :meth:`matplotlib.axes.Axes.plot` (``kind="line"``).

        Returns
        -------
        display : ReliabilityDisplay
            This display, with its artists set.
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")
        self.ax_, self.figure_ = get_axes(ax, "ReliabilityDisplay.plot")
        ax = self.ax_
        name = self.name if name is None else name
        label = f"ECE {self.ece:.3f}, MCE {self.mce:.3f}"
        label = label if name is None else f"{name} ({label})"
        edges = np.asarray(self.bin_edges)
        full = np.asarray(self.count) > 0
        accuracy = np.asarray(self.accuracy)[full]
        confidence = np.asarray(self.confidence)[full]
        self.bars_ = self.gap_bars_ = self.line_ = self.ref_line_ = None
        self.ax_hist_ = self.hist_bars_ = None

        labels = ax.get_legend_handles_labels()[1]
        if ref_line and "perfect calibration" not in labels:
            (self.ref_line_,) = ax.plot(
                [0, 1], [0, 1], "k:", lw=1, label="perfect calibration"
            )
        if kind == "bar":
            left, width = edges[:-1][full], np.diff(edges)[full]
            self.bars_ = ax.bar(
                left,
                accuracy,
                width=width,
                align="edge",
                **style({"edgecolor": "black", "label": label}, kwargs),
            )
            if gaps:
                self.gap_bars_ = ax.bar(
                    left,
                    confidence - accuracy,
                    bottom=accuracy,
                    width=width,
                    align="edge",
                    color="tab:red",
                    alpha=0.3,
                    hatch="//",
                    edgecolor="tab:red",
                    label="gap to the mean confidence",
                )
        else:
            (self.line_,) = ax.plot(
                confidence, accuracy, **style({"marker": "o", "label": label}, kwargs)
            )
        if histogram:
            self.ax_hist_ = ax.twinx()
            share = np.asarray(self.count) / max(int(np.sum(self.count)), 1)
            self.hist_bars_ = self.ax_hist_.bar(
                edges[:-1],
                share,
                width=np.diff(edges),
                align="edge",
                color="gray",
                alpha=0.25,
            )
            self.ax_hist_.set_ylim(0, 1)
            self.ax_hist_.set_ylabel("share of predictions (gray)")
            # The diagram over the histogram: the twin axes is drawn behind.
            ax.set_zorder(self.ax_hist_.get_zorder() + 1)
            ax.patch.set_visible(False)
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="confidence (largest class probability)",
            ylabel="accuracy",
        )
        ax.legend(loc="upper left")
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_proba,
        *,
        n_bins=15,
        strategy="uniform",
        labels=None,
        name=None,
        ax=None,
        kind="bar",
        gaps=True,
        histogram=False,
        ref_line=True,
        **kwargs,
    ):
        """Reliability diagram of given labels and class probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
            Class probabilities (``predict_proba``), or the positive-class
            probability of a binary problem; see
            :func:`sk_ebm.metrics.reliability_diagram_bins`.
        n_bins : int, default=15
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or at the quantiles of the confidences.
        labels : array-like of shape (n_classes,), default=None
            Class of each column of ``y_proba``, as in
            :func:`sk_ebm.metrics.reliability_diagram_bins`.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        kind : {"bar", "line"}, default="bar"
            See :meth:`plot`.
        gaps : bool, default=True
            See :meth:`plot`.
        histogram : bool, default=False
            See :meth:`plot`.
        ref_line : bool, default=True
            See :meth:`plot`.
        **kwargs : dict
            Matplotlib keywords, see :meth:`plot`.

        Returns
        -------
        display : ReliabilityDisplay
            The display, drawn.
        """
        bins = reliability_diagram_bins(
            y_true, y_proba, n_bins=n_bins, strategy=strategy, labels=labels
        )
        # ECE and MCE from these very bins: the numbers shown are those drawn.
        gaps_, weights = _calibration_gaps(bins)
        display = cls(
            bins.bin_edges,
            bins.accuracy,
            bins.confidence,
            bins.count,
            ece=float(np.sum(weights * gaps_)),
            mce=float(np.max(gaps_)),
            name=name,
        )
        return display.plot(
            ax,
            kind=kind,
            gaps=gaps,
            histogram=histogram,
            ref_line=ref_line,
            **kwargs,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        n_bins=15,
        strategy="uniform",
        name=None,
        ax=None,
        kind="bar",
        gaps=True,
        histogram=False,
        ref_line=True,
        **kwargs,
    ):
        """Reliability diagram of a fitted classifier on labelled rows.

        Parameters
        ----------
        estimator : classifier
            Fitted classifier with ``predict_proba`` and ``classes_`` (any
            scikit-learn classifier or pipeline, not only sk_ebm's).
        X : array-like of shape (n_samples, n_features)
            Rows to predict.
        y : array-like of shape (n_samples,)
            Their true labels.
        n_bins : int, default=15
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or at the quantiles of the confidences.
        name : str, default=None
            Legend name; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        kind : {"bar", "line"}, default="bar"
            See :meth:`plot`.
        gaps : bool, default=True
            See :meth:`plot`.
        histogram : bool, default=False
            See :meth:`plot`.
        ref_line : bool, default=True
            See :meth:`plot`.
        **kwargs : dict
            Matplotlib keywords, see :meth:`plot`.

        Returns
        -------
        display : ReliabilityDisplay
            The display, drawn.
        """
        check_method(estimator, "predict_proba", "ReliabilityDisplay.from_estimator")
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            n_bins=n_bins,
            strategy=strategy,
            labels=estimator.classes_,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            kind=kind,
            gaps=gaps,
            histogram=histogram,
            ref_line=ref_line,
            **kwargs,
        )
