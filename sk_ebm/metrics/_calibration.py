"""Top-label calibration metrics: reliability bins, ECE and MCE."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
)

__all__ = [
    "expected_calibration_error",
    "maximum_calibration_error",
    "reliability_diagram_bins",
]

# Absolute tolerance on the row sums of a 2-D ``y_prob``.
_ROW_SUM_ATOL = 1e-4

_PARAMETER_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"uniform", "quantile"})],
    "labels": ["array-like", None],
}


def _is_integral(y):
    """Whether the 1-D array ``y`` holds only integer values."""
    if y.dtype.kind in "iu":
        return True
    if y.dtype.kind == "f":
        return bool(np.all(np.mod(y, 1) == 0))
    return False


def _check_labels(labels, n_columns):
    """Validate user-given ``labels`` against the number of columns."""
    labels = column_or_1d(labels, input_name="labels")
    if labels.shape[0] != n_columns:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but y_prob has {n_columns} "
            "columns; labels[j] must be the class of column j of y_prob."
        )
    if np.unique(labels).shape[0] != labels.shape[0]:
        raise ValueError(f"labels must be unique, got {labels.tolist()!r}.")
    return labels


def _check_y_true_in(y_true, classes):
    """Raise if ``y_true`` holds a value that is not in ``classes``."""
    unknown = np.setdiff1d(np.unique(y_true), classes)
    if unknown.shape[0]:
        raise ValueError(
            f"y_true contains labels {unknown.tolist()!r} that are not in labels "
            f"{classes.tolist()!r}."
        )


def _binary_classes(y_true, labels):
    """Classes ``[negative, positive]`` of a binary problem with 1-D y_prob."""
    if labels is not None:
        return _check_labels(labels, 2)
    present = np.unique(y_true)
    if present.shape[0] == 2:
        return present
    if present.shape[0] > 2:
        raise ValueError(
            "y_prob is 1-D, which means the positive-class probability of a "
            f"binary problem, but y_true has {present.shape[0]} distinct labels. "
            "Pass y_prob of shape (n_samples, n_classes) for a multiclass problem."
        )
    # A single label present: only {0, 1} (or {-1, 1}) problems are unambiguous.
    if _is_integral(present) and present[0] in (0, 1):
        return np.array([0, 1])
    if _is_integral(present) and present[0] == -1:
        return np.array([-1, 1])
    raise ValueError(
        f"y_true contains the single label {present[0]!r}, so the positive class "
        "of the 1-D y_prob is ambiguous; pass labels=[negative, positive]."
    )


def _multiclass_classes(y_true, labels, n_columns):
    """Class of each column of a 2-D ``y_prob``."""
    if labels is not None:
        return _check_labels(labels, n_columns)
    present = np.unique(y_true)
    if present.shape[0] == n_columns:
        return present
    if (
        present.shape[0] < n_columns
        and _is_integral(present)
        and present[0] >= 0
        and present[-1] < n_columns
    ):
        return np.arange(n_columns)
    raise ValueError(
        f"y_true has {present.shape[0]} distinct labels but y_prob has "
        f"{n_columns} columns, so the class of each column is ambiguous; pass "
        "labels (for a fitted classifier, labels=clf.classes_)."
    )


def _check_calibration_inputs(y_true, y_prob, labels):
    """Validate the inputs and return the top-label confidence and correctness.

    Returns
    -------
    confidence : ndarray of shape (n_samples,), dtype=float64
        The largest class probability of each sample.

    correct : ndarray of shape (n_samples,), dtype=float64
        1.0 where the class of the largest probability equals ``y_true``.
    """
    y_prob = check_array(
        y_prob,
        dtype=np.float64,
        ensure_2d=False,
        ensure_all_finite=True,
        ensure_min_samples=1,
        input_name="y_prob",
    )
    y_true = column_or_1d(y_true, input_name="y_true")
    check_consistent_length(y_true, y_prob)
    if y_prob.min() < 0 or y_prob.max() > 1:
        raise ValueError(
            "y_prob contains values outside [0, 1]: min="
            f"{y_prob.min()!r}, max={y_prob.max()!r}."
        )

    if y_prob.ndim == 1:
        classes = _binary_classes(y_true, labels)
        y_prob = np.column_stack([1.0 - y_prob, y_prob])
    else:
        if y_prob.shape[1] < 2:
            raise ValueError(
                "y_prob has a single column; pass the positive-class "
                "probability of a binary problem as a 1-D array, or one column "
                "per class."
            )
        row_sums = y_prob.sum(axis=1)
        if not np.allclose(row_sums, 1.0, rtol=0.0, atol=_ROW_SUM_ATOL):
            worst = int(np.argmax(np.abs(row_sums - 1.0)))
            raise ValueError(
                "The rows of y_prob must sum to 1 (class probabilities); row "
                f"{worst} sums to {row_sums[worst]!r}."
            )
        classes = _multiclass_classes(y_true, labels, y_prob.shape[1])
    _check_y_true_in(y_true, classes)

    # Ties go to the first column of the tie, as with np.argmax.
    predicted = classes[np.argmax(y_prob, axis=1)]
    confidence = np.max(y_prob, axis=1)
    correct = (predicted == y_true).astype(np.float64)
    return confidence, correct


def _bin_edges(confidence, n_bins, strategy):
    """Edges of the confidence bins; increasing, first 0 and last 1."""
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    # Same quantiles as sklearn.calibration.calibration_curve; the outer edges
    # are set to 0 and 1 so that the bins cover [0, 1], and repeated edges
    # (from repeated confidences) are merged.
    interior = np.percentile(confidence, np.linspace(0, 100, n_bins + 1)[1:-1])
    return np.unique(np.concatenate([[0.0], interior, [1.0]]))


def _bin_indices(confidence, bin_edges):
    """Bin of each confidence: ``i`` such that it lies in bin ``i``.

    Bin ``i`` is ``(bin_edges[i], bin_edges[i + 1]]``, except that bin 0 is
    closed on both sides, ``[bin_edges[0], bin_edges[1]]``. This is the
    convention of :func:`sklearn.calibration.calibration_curve`.
    """
    return np.searchsorted(bin_edges[1:-1], confidence, side="left")


@validate_params(_PARAMETER_CONSTRAINTS, prefer_skip_nested_validation=True)
def reliability_diagram_bins(
    y_true, y_prob, *, n_bins=15, strategy="uniform", labels=None
):
    """Bin the top-label confidences of a classifier for a reliability diagram.

    Each sample is predicted the class with the largest probability; its
    confidence is that probability, and it is correct if that class is
    ``y_true``. The confidences are binned, and for each bin the accuracy
    (fraction of correct predictions), mean confidence and number of samples
    are returned. A calibrated classifier has accuracy equal to confidence in
    every bin.

    Bin ``i`` is the interval ``(bin_edges[i], bin_edges[i + 1]]``, open on
    the left and closed on the right, except the first bin, which is closed on
    both sides: a confidence exactly on an interior edge belongs to the bin
    below the edge, a confidence of 1 to the last bin and a confidence of 0 to
    the first bin. This is the convention of
    :func:`sklearn.calibration.calibration_curve`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as returned by a classifier's
        ``predict_proba``: each row must sum to 1, column ``j`` being the
        probability of the class ``labels[j]``. A 1-D array is the probability
        of the positive class of a binary problem (what scikit-learn scorers
        pass for binary classifiers) and is treated as the two columns
        ``[1 - y_prob, y_prob]``; the positive class is the greater of the two
        labels in ``y_true`` (1 if ``y_true`` holds the single label 0 or 1).

    n_bins : int, default=15
        Number of bins. With ``strategy="quantile"`` fewer bins may be
        returned, as repeated quantiles are merged.

    strategy : {"uniform", "quantile"}, default="uniform"
        Strategy used to define the bin edges.

        - ``"uniform"``: ``n_bins`` bins of equal width on ``[0, 1]``.
        - ``"quantile"``: bins with (approximately) the same number of samples,
          whose interior edges are the quantiles of the confidences, as in
          :func:`sklearn.calibration.calibration_curve`; the outer edges are 0
          and 1 and repeated edges are merged.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_prob``, in column order (for a fitted
        classifier, ``clf.classes_``); for a 1-D ``y_prob``,
        ``[negative, positive]``. If None, the columns correspond to the
        sorted distinct labels of ``y_true``, or to ``0, ..., n_classes - 1``
        when ``y_true`` holds fewer distinct labels, all integers in that
        range.

    Returns
    -------
    bins : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes, where
        ``n_edges = n_bins + 1`` (or fewer, see ``n_bins``).

        bin_edges : ndarray of shape (n_edges,)
            Increasing bin edges, from 0 to 1.
        accuracy : ndarray of shape (n_edges - 1,)
            Fraction of correct predictions in each bin, NaN for an empty bin.
        confidence : ndarray of shape (n_edges - 1,)
            Mean confidence in each bin, NaN for an empty bin.
        count : ndarray of shape (n_edges - 1,), dtype=int64
            Number of samples in each bin.

    See Also
    --------
    expected_calibration_error : Count-weighted mean calibration gap.
    maximum_calibration_error : Largest calibration gap over the bins.
    sklearn.calibration.calibration_curve : Binned positive-class frequencies.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.metrics import reliability_diagram_bins
    >>> y_true = [0, 1, 1, 0]
    >>> y_prob = np.array([[0.95, 0.05], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    >>> bins = reliability_diagram_bins(y_true, y_prob, n_bins=4)
    >>> bins.bin_edges
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> bins.count
    array([0, 0, 2, 2])
    >>> bins.accuracy
    array([nan, nan, 1. , 0.5])
    >>> bins.confidence
    array([  nan,   nan, 0.65 , 0.875])
    """
    confidence, correct = _check_calibration_inputs(y_true, y_prob, labels)
    bin_edges = _bin_edges(confidence, n_bins, strategy)
    n_edges_bins = bin_edges.shape[0] - 1
    bin_ids = _bin_indices(confidence, bin_edges)

    count = np.bincount(bin_ids, minlength=n_edges_bins).astype(np.int64)
    sum_correct = np.bincount(bin_ids, weights=correct, minlength=n_edges_bins)
    sum_confidence = np.bincount(bin_ids, weights=confidence, minlength=n_edges_bins)
    accuracy = np.full(n_edges_bins, np.nan)
    mean_confidence = np.full(n_edges_bins, np.nan)
    nonempty = count > 0
    accuracy[nonempty] = sum_correct[nonempty] / count[nonempty]
    mean_confidence[nonempty] = sum_confidence[nonempty] / count[nonempty]
    return Bunch(
        bin_edges=bin_edges,
        accuracy=accuracy,
        confidence=mean_confidence,
        count=count,
    )


def _calibration_gaps(bins):
    """Per-bin ``|accuracy - confidence|`` and weight of the non-empty bins."""
    nonempty = bins.count > 0
    gaps = np.abs(bins.accuracy[nonempty] - bins.confidence[nonempty])
    weights = bins.count[nonempty] / bins.count.sum()
    return gaps, weights


@validate_params(_PARAMETER_CONSTRAINTS, prefer_skip_nested_validation=True)
def expected_calibration_error(
    y_true, y_prob, *, n_bins=15, strategy="uniform", labels=None
):
    """Expected calibration error (ECE) of the top-label confidence.

    The confidences (largest class probabilities) are binned as in
    :func:`reliability_diagram_bins`, and the ECE is the mean absolute gap
    between accuracy and confidence over the bins, weighted by the fraction of
    samples in each bin (Naeini et al., 2015; Guo et al., 2017)::

        ECE = sum_b (n_b / n) * |accuracy_b - confidence_b|

    Empty bins contribute 0. The ECE lies in ``[0, 1]``; lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as returned by a classifier's
        ``predict_proba``: each row must sum to 1, column ``j`` being the
        probability of the class ``labels[j]``. A 1-D array is the probability
        of the positive class of a binary problem (what scikit-learn scorers
        pass for binary classifiers) and is treated as the two columns
        ``[1 - y_prob, y_prob]``; the positive class is the greater of the two
        labels in ``y_true`` (1 if ``y_true`` holds the single label 0 or 1).

    n_bins : int, default=15
        Number of bins. With ``strategy="quantile"`` fewer bins may be used,
        as repeated quantiles are merged.

    strategy : {"uniform", "quantile"}, default="uniform"
        Strategy used to define the bin edges: ``n_bins`` bins of equal width
        on ``[0, 1]`` (``"uniform"``) or at the quantiles of the confidences
        (``"quantile"``). See :func:`reliability_diagram_bins`.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_prob``, in column order (for a fitted
        classifier, ``clf.classes_``). If None, the columns correspond to the
        sorted distinct labels of ``y_true``, or to ``0, ..., n_classes - 1``
        when ``y_true`` holds fewer distinct labels, all integers in that
        range.

    Returns
    -------
    ece : float
        The expected calibration error.

    See Also
    --------
    maximum_calibration_error : Largest calibration gap over the bins.
    reliability_diagram_bins : Per-bin accuracy, confidence and count.
    sklearn.metrics.brier_score_loss : A proper scoring rule for probabilities.

    References
    ----------
    .. [1] M. P. Naeini, G. F. Cooper and M. Hauskrecht, "Obtaining Well
       Calibrated Probabilities Using Bayesian Binning", AAAI, 2015.
    .. [2] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
       Modern Neural Networks", ICML, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.metrics import expected_calibration_error
    >>> y_true = [0, 1, 1, 0]
    >>> y_prob = np.array([[0.95, 0.05], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    >>> expected_calibration_error(y_true, y_prob, n_bins=4)
    0.3625

    A 1-D ``y_prob`` is the probability of the positive class:

    >>> expected_calibration_error(y_true, y_prob[:, 1], n_bins=4)
    0.3625
    """
    gaps, weights = _calibration_gaps(
        reliability_diagram_bins(
            y_true, y_prob, n_bins=n_bins, strategy=strategy, labels=labels
        )
    )
    return float(np.sum(weights * gaps))


@validate_params(_PARAMETER_CONSTRAINTS, prefer_skip_nested_validation=True)
def maximum_calibration_error(
    y_true, y_prob, *, n_bins=15, strategy="uniform", labels=None
):
    """Maximum calibration error (MCE) of the top-label confidence.

    The confidences (largest class probabilities) are binned as in
    :func:`reliability_diagram_bins`, and the MCE is the largest absolute gap
    between accuracy and confidence over the non-empty bins (Naeini et al.,
    2015)::

        MCE = max_{b : n_b > 0} |accuracy_b - confidence_b|

    The MCE lies in ``[0, 1]``, is at least the expected calibration error,
    and lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as returned by a classifier's
        ``predict_proba``: each row must sum to 1, column ``j`` being the
        probability of the class ``labels[j]``. A 1-D array is the probability
        of the positive class of a binary problem and is treated as the two
        columns ``[1 - y_prob, y_prob]``; the positive class is the greater of
        the two labels in ``y_true`` (1 if ``y_true`` holds the single label 0
        or 1).

    n_bins : int, default=15
        Number of bins. With ``strategy="quantile"`` fewer bins may be used,
        as repeated quantiles are merged.

    strategy : {"uniform", "quantile"}, default="uniform"
        Strategy used to define the bin edges: ``n_bins`` bins of equal width
        on ``[0, 1]`` (``"uniform"``) or at the quantiles of the confidences
        (``"quantile"``). See :func:`reliability_diagram_bins`.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_prob``, in column order (for a fitted
        classifier, ``clf.classes_``). If None, the columns correspond to the
        sorted distinct labels of ``y_true``, or to ``0, ..., n_classes - 1``
        when ``y_true`` holds fewer distinct labels, all integers in that
        range.

    Returns
    -------
    mce : float
        The maximum calibration error.

    See Also
    --------
    expected_calibration_error : Count-weighted mean calibration gap.
    reliability_diagram_bins : Per-bin accuracy, confidence and count.

    References
    ----------
    .. [1] M. P. Naeini, G. F. Cooper and M. Hauskrecht, "Obtaining Well
       Calibrated Probabilities Using Bayesian Binning", AAAI, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.metrics import maximum_calibration_error
    >>> y_true = [0, 1, 1, 0]
    >>> y_prob = np.array([[0.95, 0.05], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    >>> maximum_calibration_error(y_true, y_prob, n_bins=4)
    0.375
    """
    gaps, _ = _calibration_gaps(
        reliability_diagram_bins(
            y_true, y_prob, n_bins=n_bins, strategy=strategy, labels=labels
        )
    )
    return float(np.max(gaps))
