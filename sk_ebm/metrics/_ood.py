"""Out-of-distribution detection metrics: AUROC, AUPR and FPR at a given TPR."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array

__all__ = [
    "fpr_at_tpr",
    "ood_aupr_in",
    "ood_aupr_out",
    "ood_auroc",
    "ood_report",
]

# Absolute tolerance on ``tpr``: a target such as ``1 - 0.05`` may differ by a
# rounding error from the ``k / n_in`` it means. Distinct TPRs of a ROC curve
# are at least ``1 / n_in`` apart, so the tolerance never skips a point.
_TPR_ATOL = 1e-12

_SCORES_CONSTRAINTS = {
    "scores_in": ["array-like"],
    "scores_out": ["array-like"],
}

_TPR_CONSTRAINTS = {
    **_SCORES_CONSTRAINTS,
    "tpr": [Interval(Real, 0, 1, closed="right")],
}


def _check_scores(scores, input_name):
    """Validate a 1-D, non-empty, finite, numeric array of scores."""
    if np.ndim(scores) != 1:
        raise ValueError(
            f"{input_name} must be a 1-D array of scores, got an array of shape "
            f"{np.shape(scores)}."
        )
    scores = check_array(
        scores,
        dtype="numeric",
        ensure_2d=False,
        ensure_all_finite=True,
        ensure_min_samples=1,
        input_name=input_name,
    )
    return scores.astype(np.float64, copy=False)


def _labels_and_scores(scores_in, scores_out):
    """Stack the scores; label 1 marks the in-distribution (positive) rows."""
    scores_in = _check_scores(scores_in, "scores_in")
    scores_out = _check_scores(scores_out, "scores_out")
    y_true = np.concatenate(
        [np.ones(scores_in.shape[0]), np.zeros(scores_out.shape[0])]
    )
    return y_true, np.concatenate([scores_in, scores_out])


def _fpr_at_tpr(y_true, y_score, tpr):
    # drop_intermediate=False: dropping collinear points would skip the first
    # point that reaches ``tpr`` when it lies inside a sloped segment.
    fpr_curve, tpr_curve, _ = roc_curve(y_true, y_score, drop_intermediate=False)
    # Both curves are non-decreasing, so the first point that keeps enough
    # in-distribution rows has the smallest FPR among them.
    first = np.flatnonzero(tpr_curve >= tpr - _TPR_ATOL)[0]
    return float(fpr_curve[first])


@validate_params(_SCORES_CONSTRAINTS, prefer_skip_nested_validation=True)
def ood_auroc(scores_in, scores_out):
    """Area under the ROC curve of an out-of-distribution detector.

    The **in-distribution class is the positive class**: a higher score means
    more in-distribution, as with the ``score_samples`` of scikit-learn's
    outlier detectors and density estimators. (The OOD literature uses both
    conventions; the AUROC is the same under both, but the AUPR and the FPR
    at a given TPR are not.) The AUROC is the probability that a random
    in-distribution row scores higher than a random out-of-distribution row,
    ties counting one half (the Mann-Whitney statistic)::

        AUROC = 1 / (n_in * n_out) * sum_i sum_j ([s_i > o_j] + [s_i = o_j] / 2)

    where ``s`` are ``scores_in`` and ``o`` are ``scores_out``. It lies in
    ``[0, 1]``: 1 for a perfect detector, 0.5 for a random one, 0 for one
    that ranks every out-of-distribution row first. Higher is better.

    Parameters
    ----------
    scores_in : array-like of shape (n_samples_in,)
        Scores of the in-distribution rows (the positive class); higher means
        more in-distribution.

    scores_out : array-like of shape (n_samples_out,)
        Scores of the out-of-distribution rows, on the same scale.

    Returns
    -------
    auroc : float
        The area under the ROC curve.

    See Also
    --------
    ood_aupr_in : Average precision with in-distribution as positive.
    ood_aupr_out : Average precision with out-of-distribution as positive.
    fpr_at_tpr : False-positive rate at a given true-positive rate.
    sklearn.metrics.roc_auc_score : The metric computed underneath.

    Notes
    -----
    This is ``roc_auc_score(y, np.concatenate([scores_in, scores_out]))``
    with ``y`` 1 for the in-distribution rows and 0 for the others. It
    depends only on the order of the scores, so any strictly increasing
    transformation of the scores leaves it unchanged.

    References
    ----------
    .. [1] D. Hendrycks and K. Gimpel, "A Baseline for Detecting Misclassified
       and Out-of-Distribution Examples in Neural Networks", ICLR, 2017.

    Examples
    --------
    >>> from sk_ebm.metrics import ood_auroc
    >>> scores_in = [3, 2, 1]
    >>> scores_out = [0, 2]

    Of the 6 pairs (in, out), 4 are ordered correctly and 1 is tied:

    >>> ood_auroc(scores_in, scores_out)
    0.75
    """
    y_true, y_score = _labels_and_scores(scores_in, scores_out)
    return float(roc_auc_score(y_true, y_score))


@validate_params(_SCORES_CONSTRAINTS, prefer_skip_nested_validation=True)
def ood_aupr_in(scores_in, scores_out):
    """Area under the precision-recall curve, in-distribution as positive.

    The **in-distribution class is the positive class**: a higher score means
    more in-distribution, as with the ``score_samples`` of scikit-learn's
    outlier detectors and density estimators (the OOD literature uses both
    conventions). The area is the average precision over the distinct
    thresholds ``t`` in decreasing order, a row being retrieved when its
    score is at least ``t``::

        AUPR-In = sum_k (R_k - R_{k-1}) * P_k

    with ``P_k`` and ``R_k`` the precision and recall of the in-distribution
    class at the ``k``-th threshold (:func:`sklearn.metrics.average_precision_score`).
    Tied scores form a single threshold. It lies in ``[0, 1]``: 1 for a
    perfect detector, about ``n_in / (n_in + n_out)`` for a random one.
    Higher is better.

    Parameters
    ----------
    scores_in : array-like of shape (n_samples_in,)
        Scores of the in-distribution rows (the positive class); higher means
        more in-distribution.

    scores_out : array-like of shape (n_samples_out,)
        Scores of the out-of-distribution rows, on the same scale.

    Returns
    -------
    aupr_in : float
        The average precision of the in-distribution class.

    See Also
    --------
    ood_aupr_out : Average precision with out-of-distribution as positive.
    ood_auroc : Area under the ROC curve.
    sklearn.metrics.average_precision_score : The metric computed underneath.

    Notes
    -----
    The step-wise sum above is not the trapezoidal area under the
    precision-recall curve, which interpolates linearly between points and
    is too optimistic. The value depends only on the order of the scores.

    References
    ----------
    .. [1] D. Hendrycks and K. Gimpel, "A Baseline for Detecting Misclassified
       and Out-of-Distribution Examples in Neural Networks", ICLR, 2017.

    Examples
    --------
    >>> from sk_ebm.metrics import ood_aupr_in
    >>> scores_in = [3, 2, 1]
    >>> scores_out = [0, 2]

    The thresholds 3, 2 and 1 have recall 1/3, 2/3 and 1 and precision 1,
    2/3 (the tie at 2 retrieves one row of each class) and 3/4, so the area
    is ``(1 + 2/3 + 3/4) / 3 = 29/36``:

    >>> ood_aupr_in(scores_in, scores_out)
    0.8055...
    """
    y_true, y_score = _labels_and_scores(scores_in, scores_out)
    return float(average_precision_score(y_true, y_score))


@validate_params(_SCORES_CONSTRAINTS, prefer_skip_nested_validation=True)
def ood_aupr_out(scores_in, scores_out):
    """Area under the precision-recall curve, out-of-distribution as positive.

    The scores keep the convention of the other OOD metrics, with the
    **in-distribution class as the positive class of the scores**: a higher
    score means more in-distribution, as with the ``score_samples`` of
    scikit-learn's outlier detectors and density estimators (the OOD
    literature uses both conventions). For this metric the roles are
    swapped: the out-of-distribution rows are the class to retrieve, ranked
    by the negated scores, so that ``ood_aupr_out(s_in, s_out)`` equals
    ``ood_aupr_in(-s_out, -s_in)``. The area is the average precision
    (:func:`sklearn.metrics.average_precision_score`)::

        AUPR-Out = sum_k (R_k - R_{k-1}) * P_k

    with ``P_k`` and ``R_k`` the precision and recall of the
    out-of-distribution class at the ``k``-th distinct threshold of the
    negated scores. Tied scores form a single threshold. It lies in
    ``[0, 1]``: 1 for a perfect detector, about ``n_out / (n_in + n_out)``
    for a random one. Higher is better.

    Parameters
    ----------
    scores_in : array-like of shape (n_samples_in,)
        Scores of the in-distribution rows; higher means more
        in-distribution.

    scores_out : array-like of shape (n_samples_out,)
        Scores of the out-of-distribution rows (the class retrieved by this
        metric), on the same scale.

    Returns
    -------
    aupr_out : float
        The average precision of the out-of-distribution class.

    See Also
    --------
    ood_aupr_in : Average precision with in-distribution as positive.
    ood_auroc : Area under the ROC curve.
    sklearn.metrics.average_precision_score : The metric computed underneath.

    References
    ----------
    .. [1] D. Hendrycks and K. Gimpel, "A Baseline for Detecting Misclassified
       and Out-of-Distribution Examples in Neural Networks", ICLR, 2017.

    Examples
    --------
    >>> from sk_ebm.metrics import ood_aupr_out
    >>> scores_in = [3, 2, 1]
    >>> scores_out = [0, 2]

    From the lowest score up: the threshold 0 retrieves the outlier at 0
    (recall 1/2, precision 1), the threshold 2 the tie at 2 as well (recall
    1, precision 2/4), so the area is ``(1 + 1/2) / 2``:

    >>> ood_aupr_out(scores_in, scores_out)
    0.75
    """
    y_true, y_score = _labels_and_scores(scores_in, scores_out)
    return float(average_precision_score(1.0 - y_true, -y_score))


@validate_params(_TPR_CONSTRAINTS, prefer_skip_nested_validation=True)
def fpr_at_tpr(scores_in, scores_out, *, tpr=0.95):
    """False-positive rate at a given true-positive rate (e.g. FPR@95%TPR).

    The **in-distribution class is the positive class**: a higher score means
    more in-distribution, as with the ``score_samples`` of scikit-learn's
    outlier detectors and density estimators (the OOD literature uses both
    conventions, and this metric differs between them). A row is accepted
    as in-distribution when its score is at least a threshold ``t``;
    ``TPR(t)`` is the fraction of in-distribution rows accepted and
    ``FPR(t)`` the fraction of out-of-distribution rows accepted. The metric
    is the smallest false-positive rate of a threshold that keeps at least
    ``tpr`` of the in-distribution rows::

        FPR@TPR = min {FPR(t) : TPR(t) >= tpr}

    The minimum is reached at ``t`` equal to the ``k``-th largest
    in-distribution score, ``k = ceil(tpr * n_in)``. Out-of-distribution
    rows whose score equals that threshold are accepted, i.e. counted as
    false positives: no threshold separates equal scores. It lies in
    ``[0, 1]``; lower is better.

    Parameters
    ----------
    scores_in : array-like of shape (n_samples_in,)
        Scores of the in-distribution rows (the positive class); higher means
        more in-distribution.

    scores_out : array-like of shape (n_samples_out,)
        Scores of the out-of-distribution rows, on the same scale.

    tpr : float, default=0.95
        Fraction of the in-distribution rows to keep, in ``(0, 1]``.

    Returns
    -------
    fpr : float
        Fraction of the out-of-distribution rows accepted at the threshold.

    See Also
    --------
    ood_auroc : Area under the ROC curve, over all thresholds.
    sklearn.metrics.roc_curve : The curve computed underneath.

    Notes
    -----
    The value is read off ``roc_curve(y, scores, drop_intermediate=False)``
    (``y`` 1 for the in-distribution rows): the smallest FPR among the
    points with TPR at least ``tpr``. A ``tpr`` within ``1e-12`` of a
    point's TPR counts as reached, so that a ``tpr`` which differs from
    ``k / n_in`` by a rounding error selects that point.

    References
    ----------
    .. [1] S. Liang, Y. Li and R. Srikant, "Enhancing the Reliability of
       Out-of-distribution Image Detection in Neural Networks", ICLR, 2018.
    .. [2] W. Liu, X. Wang, J. Owens and Y. Li, "Energy-based
       Out-of-distribution Detection", NeurIPS, 2020.

    Examples
    --------
    >>> from sk_ebm.metrics import fpr_at_tpr
    >>> scores_in = [3, 2, 1]
    >>> scores_out = [0, 2]

    Keeping 2 of the 3 in-distribution rows needs the threshold 2, which
    also accepts the outlier tied at 2:

    >>> fpr_at_tpr(scores_in, scores_out, tpr=0.6)
    0.5
    >>> fpr_at_tpr(scores_in, scores_out, tpr=1 / 3)
    0.0
    """
    y_true, y_score = _labels_and_scores(scores_in, scores_out)
    return _fpr_at_tpr(y_true, y_score, tpr)


@validate_params(_TPR_CONSTRAINTS, prefer_skip_nested_validation=True)
def ood_report(scores_in, scores_out, *, tpr=0.95):
    """All the out-of-distribution detection metrics at once.

    The **in-distribution class is the positive class**: a higher score means
    more in-distribution, as with the ``score_samples`` of scikit-learn's
    outlier detectors and density estimators (the OOD literature uses both
    conventions). The scores are validated once and each metric is computed
    as by its own function.

    Parameters
    ----------
    scores_in : array-like of shape (n_samples_in,)
        Scores of the in-distribution rows (the positive class); higher means
        more in-distribution.

    scores_out : array-like of shape (n_samples_out,)
        Scores of the out-of-distribution rows, on the same scale.

    tpr : float, default=0.95
        Fraction of the in-distribution rows to keep for ``fpr_at_tpr``, in
        ``(0, 1]``.

    Returns
    -------
    report : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes, all floats.

        auroc : float
            See :func:`ood_auroc` (higher is better).
        aupr_in : float
            See :func:`ood_aupr_in` (higher is better).
        aupr_out : float
            See :func:`ood_aupr_out` (higher is better).
        fpr_at_tpr : float
            See :func:`fpr_at_tpr` (lower is better).

    See Also
    --------
    make_ood_scorer : Any of these metrics as a scorer for model selection.

    Examples
    --------
    >>> from sk_ebm.metrics import ood_report
    >>> report = ood_report([3, 2, 1], [0, 2], tpr=0.6)
    >>> report.auroc, report.aupr_out, report.fpr_at_tpr
    (0.75, 0.75, 0.5)
    >>> round(report.aupr_in, 4)
    0.8056
    """
    y_true, y_score = _labels_and_scores(scores_in, scores_out)
    return Bunch(
        auroc=float(roc_auc_score(y_true, y_score)),
        aupr_in=float(average_precision_score(y_true, y_score)),
        aupr_out=float(average_precision_score(1.0 - y_true, -y_score)),
        fpr_at_tpr=_fpr_at_tpr(y_true, y_score, tpr),
    )
