"""Scorers wrapping the calibration metrics for model selection."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

from sklearn.metrics import make_scorer
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._calibration import expected_calibration_error

__all__ = ["ece_scorer", "make_ece_scorer"]


@validate_params(
    {
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"uniform", "quantile"})],
    },
    prefer_skip_nested_validation=True,
)
def make_ece_scorer(*, n_bins=15, strategy="uniform"):
    """Make a scorer from :func:`expected_calibration_error`.

    The scorer calls the estimator's ``predict_proba`` and returns the
    *negated* expected calibration error, so that greater is better as
    scikit-learn's model selection tools expect. For a binary classifier the
    scorer passes the probability of ``estimator.classes_[1]``, which the
    metric takes to be the positive class when both labels are present.

    Parameters
    ----------
    n_bins : int, default=15
        Number of bins of the confidences.

    strategy : {"uniform", "quantile"}, default="uniform"
        Strategy used to define the bin edges; see
        :func:`reliability_diagram_bins`.

    Returns
    -------
    scorer : callable
        Callable ``scorer(estimator, X, y)`` returning
        ``-expected_calibration_error(y, estimator.predict_proba(X), ...)``.

    See Also
    --------
    expected_calibration_error : The metric behind the scorer.
    sklearn.metrics.make_scorer : Make a scorer from any metric.

    Notes
    -----
    ``sk_ebm.metrics.ece_scorer`` is ``make_ece_scorer()``, the scorer with
    the default parameters. The labels of ``y`` must be those of the columns
    of ``predict_proba``: a multiclass validation fold missing a class is
    handled when the classes are the integers ``0, ..., n_classes - 1``
    (otherwise a ``ValueError`` asks for ``labels``), so prefer stratified
    splits.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sk_ebm.metrics import ece_scorer, make_ece_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000)
    >>> scores = cross_val_score(clf, X, y, cv=3, scoring=ece_scorer)
    >>> bool(all(-1 <= s <= 0 for s in scores))
    True
    >>> scorer = make_ece_scorer(n_bins=5, strategy="quantile")
    >>> score = scorer(clf.fit(X, y), X, y)
    >>> bool(-1 <= score <= 0)
    True
    """
    return make_scorer(
        expected_calibration_error,
        greater_is_better=False,
        response_method="predict_proba",
        n_bins=n_bins,
        strategy=strategy,
    )


ece_scorer = make_scorer(
    expected_calibration_error,
    greater_is_better=False,
    response_method="predict_proba",
)
