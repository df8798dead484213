"""Scorers wrapping the calibration and OOD metrics for model selection."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from ._calibration import expected_calibration_error
from ._ood import fpr_at_tpr, ood_aupr_in, ood_aupr_out, ood_auroc

__all__ = ["ece_scorer", "make_ece_scorer", "make_ood_scorer"]


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


def _ordinal_scores(scores_in, scores_out):
    """Replace scores holding +-inf by their dense ranks among all scores.

    Infinite scores are legitimate (``KernelDensity`` with a compact kernel
    returns ``-inf`` outside its support) but rejected by the metrics. The OOD
    metrics depend only on the order of the scores, which the ranks keep,
    ties included.
    """
    scores_in = np.asarray(scores_in, dtype=np.float64)
    scores_out = np.asarray(scores_out, dtype=np.float64)
    for name, scores in (("X", scores_in), ("X_out", scores_out)):
        if scores.ndim != 1:
            raise ValueError(
                f"estimator.score_samples({name}) must return a 1-D array, got "
                f"shape {scores.shape}."
            )
        if np.isnan(scores).any():
            raise ValueError(f"estimator.score_samples({name}) returned NaN.")
    scores = np.concatenate([scores_in, scores_out])
    if np.isfinite(scores).all():
        return scores_in, scores_out
    ranks = np.unique(scores, return_inverse=True)[1].astype(np.float64)
    return ranks[: scores_in.size], ranks[scores_in.size :]


class _OODScorer:
    """Scorer of an OOD detector against a fixed outlier set.

    Made by :func:`make_ood_scorer`; a class rather than a closure so that it
    pickles, as parallel model selection requires.
    """

    _METRICS = {
        "auroc": ood_auroc,
        "aupr_in": ood_aupr_in,
        "aupr_out": ood_aupr_out,
        "fpr": fpr_at_tpr,
    }

    def __init__(self, X_out, metric, tpr):
        self.X_out = X_out
        self.metric = metric
        self.tpr = tpr

    def __call__(self, estimator, X, y=None):
        """Score ``estimator`` with ``X`` as inliers; ``y`` is ignored."""
        if not hasattr(estimator, "score_samples"):
            raise AttributeError(
                f"{type(estimator).__name__} has no score_samples method, which "
                "the OOD scorer needs (higher scores for more normal data)."
            )
        scores_in, scores_out = _ordinal_scores(
            estimator.score_samples(X), estimator.score_samples(self.X_out)
        )
        if self.metric == "fpr":
            # 0.0 - x rather than -x: a perfect detector scores 0.0, not -0.0.
            return 0.0 - fpr_at_tpr(scores_in, scores_out, tpr=self.tpr)
        return self._METRICS[self.metric](scores_in, scores_out)

    def __repr__(self):
        n_samples, n_features = self.X_out.shape
        tpr = f", tpr={self.tpr!r}" if self.metric == "fpr" else ""
        return (
            f"make_ood_scorer(<X_out of shape ({n_samples}, {n_features})>, "
            f"metric={self.metric!r}{tpr})"
        )


@validate_params(
    {
        "X_out": ["array-like"],
        "metric": [StrOptions(set(_OODScorer._METRICS))],
        "tpr": [Interval(Real, 0, 1, closed="right")],
    },
    prefer_skip_nested_validation=True,
)
def make_ood_scorer(X_out, *, metric="auroc", tpr=0.95):
    """Make a scorer that rates an OOD detector against a fixed outlier set.

    Model selection for out-of-distribution detection without labels: the
    validation fold ``X`` is taken as in-distribution and ``X_out``, a fixed
    set of outliers, as out-of-distribution. The scorer calls the estimator's
    ``score_samples`` on both and returns an OOD metric with the
    **in-distribution class as the positive class** (higher scores mean more
    in-distribution, the convention of scikit-learn's outlier detectors and
    density estimators; the OOD literature uses both). Greater is always
    better, as scikit-learn's model selection tools expect: for
    ``metric="fpr"`` the scorer returns the *negated* false-positive rate.

    Parameters
    ----------
    X_out : array-like of shape (n_samples_out, n_features)
        Out-of-distribution rows, with the features of the data the estimator
        is fitted on. Validated once here (2-D, numeric, finite) and scored
        at every call.

    metric : {"auroc", "aupr_in", "aupr_out", "fpr"}, default="auroc"
        The metric returned:

        - ``"auroc"``: :func:`ood_auroc`;
        - ``"aupr_in"``: :func:`ood_aupr_in`;
        - ``"aupr_out"``: :func:`ood_aupr_out`;
        - ``"fpr"``: ``-fpr_at_tpr(..., tpr=tpr)``, see :func:`fpr_at_tpr`.

    tpr : float, default=0.95
        Fraction of the in-distribution rows to keep, in ``(0, 1]``; used by
        ``metric="fpr"`` only.

    Returns
    -------
    scorer : callable
        Picklable callable ``scorer(estimator, X, y=None)`` returning the
        metric of ``estimator.score_samples(X)`` (in-distribution) against
        ``estimator.score_samples(X_out)``. ``y`` is ignored.

    See Also
    --------
    ood_report : All the OOD metrics of two arrays of scores.
    sklearn.model_selection.GridSearchCV : Takes the scorer as ``scoring``.

    Notes
    -----
    The scorer works with any estimator that has ``score_samples``, e.g.
    ``IsolationForest``, ``KernelDensity``, ``GaussianMixture``, or a
    ``Pipeline`` ending in one; use one scorer per metric in a multi-metric
    ``scoring`` dictionary. ``score_samples`` may return infinite scores
    (``KernelDensity`` with a compact kernel returns ``-inf`` outside its
    support): the scores are then replaced by their ranks, which leaves the
    metric unchanged since it depends only on the order of the scores. NaN
    scores raise a ``ValueError``.

    The score measures how well the estimator separates the data from this
    particular outlier set; another outlier set may rank the candidates
    differently.

    Examples
    --------
    Inliers on two blobs and outliers in the gap between them, where a too
    wide kernel puts its mode:

    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.neighbors import KernelDensity
    >>> from sk_ebm.metrics import make_ood_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)) + rng.choice([-2, 2], size=(200, 1))
    >>> X_out = rng.normal(scale=0.5, size=(100, 2))
    >>> scorer = make_ood_scorer(X_out)
    >>> scorer
    make_ood_scorer(<X_out of shape (100, 2)>, metric='auroc')
    >>> search = GridSearchCV(
    ...     KernelDensity(), {"bandwidth": [0.1, 1.0, 10.0]}, scoring=scorer
    ... ).fit(X)
    >>> search.best_params_
    {'bandwidth': 1.0}

    Several metrics at once, refitting on the lowest FPR at 95 % TPR:

    >>> scoring = {
    ...     "auroc": make_ood_scorer(X_out),
    ...     "fpr95": make_ood_scorer(X_out, metric="fpr", tpr=0.95),
    ... }
    >>> search = GridSearchCV(
    ...     KernelDensity(), {"bandwidth": [0.1, 1.0, 10.0]}, scoring=scoring,
    ...     refit="fpr95",
    ... ).fit(X)
    >>> bool(np.all(search.cv_results_["mean_test_fpr95"] <= 0))
    True
    """
    X_out = check_array(
        X_out,
        dtype="numeric",
        ensure_all_finite=True,
        ensure_min_samples=1,
        input_name="X_out",
    )
    return _OODScorer(X_out, metric, tpr)
