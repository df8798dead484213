"""OODDetector: out-of-distribution detection with an energy-based model."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    OutlierMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sk_ebm._density import EnergyDensityEstimator
from sk_ebm._state import Fitted, register

__all__ = ["OODDetector"]

AUTO_CONTAMINATION = 0.05


def _check_supports(estimator, method: str) -> None:
    """Raise a ValueError naming what ``estimator`` lacks for ``method``."""
    name = type(estimator).__name__
    if method == "energy" and not hasattr(estimator, "score_samples"):
        raise ValueError(
            f"method='energy' needs an estimator with a score_samples method; "
            f"{name} has none."
        )
    if method == "max_softmax" and not (
        is_classifier(estimator) and hasattr(estimator, "predict_proba")
    ):
        raise ValueError(
            f"method='max_softmax' needs a classifier with predict_proba, got "
            f"{name}; use method='energy' or 'grad_norm' with a density estimator."
        )
    if method == "grad_norm" and not hasattr(estimator, "energy_grad_norm"):
        raise ValueError(
            f"method='grad_norm' needs an sk_ebm estimator, which exposes the "
            f"gradient of its energy; {name} does not."
        )


def _scores(estimator, method: str, X) -> np.ndarray:
    if method == "energy":
        scores = estimator.score_samples(X)
    elif method == "max_softmax":
        scores = np.max(estimator.predict_proba(X), axis=1)
    else:
        scores = -estimator.energy_grad_norm(X)
    return np.asarray(scores, dtype=np.float64)


class OODDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    r"""Out-of-distribution detector built on an energy-based model.

    Fits a clone of ``estimator`` on the in-distribution data, then scores rows
    so that higher means more typical of that data (scikit-learn's convention
    for :meth:`score_samples`), with one of three scores (``method``):

    - ``"energy"``: :math:`-E(x)`, the estimator's own ``score_samples``; the
      normalised log-density :math:`\log p(x)` of a density estimator, or
      :math:`\log \sum_y e^{f(x)[y]}` of an :class:`EnergyClassifier` (Liu et
      al., 2020);
    - ``"max_softmax"``: :math:`\max_y p(y \mid x)`, the confidence of a
      classifier (Hendrycks & Gimpel, 2017);
    - ``"grad_norm"``: :math:`-\lVert \nabla_z E(z) \rVert_2`, with :math:`z`
      the internally standardised input; small near the modes of :math:`p(x)`
      (the "approximate mass" score of Grathwohl et al., 2020).

    Rows whose score falls below ``offset_`` are outliers; ``offset_`` is the
    ``contamination`` quantile of the training scores.

    Parameters
    ----------
    estimator : estimator instance, default=None
        Unfitted model of the in-distribution data: an
        :class:`EnergyDensityEstimator`, an :class:`EnergyClassifier` (then
        :meth:`fit` needs ``y``), any scikit-learn estimator with
        ``score_samples`` (``method="energy"``) or any scikit-learn classifier
        with ``predict_proba`` (``method="max_softmax"``). It is cloned at fit.
        None uses ``EnergyDensityEstimator(random_state=random_state)``.
    method : {"auto", "energy", "max_softmax", "grad_norm"}, default="auto"
        Score of :meth:`score_samples` (see above); ``"auto"`` is ``"energy"``.
        ``"max_softmax"`` needs a classifier; ``"grad_norm"`` an sk_ebm
        estimator.
    contamination : "auto" or float, default="auto"
        Share of the training rows labelled outliers by :meth:`predict`, in
        (0, 0.5]. ``"auto"`` is 0.05: 95 % of the in-distribution data are
        inliers, the operating point of the FPR at 95 % TPR of the
        out-of-distribution literature.
    random_state : int, RandomState instance or None, default=None
        Seeds the default ``EnergyDensityEstimator()`` when ``estimator`` is
        None, so that two fits with the same int give the same scores; a given
        ``estimator`` keeps its own ``random_state`` (as in scikit-learn's
        meta-estimators).

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    method_ : str
        The score in use, ``method`` with ``"auto"`` resolved.
    offset_ : float
        Threshold on :meth:`score_samples`:
        ``decision_function(X) == score_samples(X) - offset_``.
    n_features_in_ : int
        Number of features seen by ``estimator_`` during fit.
    feature_names_in_ : ndarray of str
        Defined when ``estimator_`` defines it (``X`` with string feature
        names).

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outlier detection with random trees.
    sklearn.covariance.EllipticEnvelope : Outlier detection with a Gaussian.
    EnergyDensityEstimator : The default model of the in-distribution data.
    EnergyClassifier : A classifier whose logits define an energy.

    Notes
    -----
    As in :class:`~sklearn.ensemble.IsolationForest`,
    ``offset_ = np.percentile(score_samples(X_train), 100 * contamination)``
    and :meth:`predict` gives +1 where :meth:`decision_function` is
    non-negative, -1 elsewhere. The scores are in the units of the method (a
    log-density, a probability or a gradient norm); only their order matters
    for threshold-free metrics such as the AUROC.

    References
    ----------
    Liu, Wang, Owens & Li (2020), *Energy-based out-of-distribution detection*.
    Hendrycks & Gimpel (2017), *A baseline for detecting misclassified and
    out-of-distribution examples in neural networks*. Grathwohl et al. (2020),
    *Your classifier is secretly an energy based model and you should treat it
    like one*.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm import EnergyDensityEstimator, OODDetector
    >>> X = np.random.RandomState(0).normal(size=(300, 2))
    >>> ebm = EnergyDensityEstimator(hidden_layer_sizes=(16,), max_epochs=5,
    ...                              ais_chains=200, ais_temperatures=50,
    ...                              random_state=0)
    >>> detector = OODDetector(ebm).fit(X)
    >>> detector.predict([[0.0, 0.0], [6.0, 6.0]])
    array([ 1, -1])
    >>> float(np.mean(detector.predict(X) == -1))
    0.05
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "method": [StrOptions({"auto", "energy", "max_softmax", "grad_norm"})],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "random_state": ["random_state"],
    }

    _fitted_attributes: dict = {
        "estimator_": Fitted("estimator"),
        "method_": Fitted("choice", options=("energy", "max_softmax", "grad_norm")),
        "offset_": Fitted("float"),
    }

    def __init__(
        self, estimator=None, *, method="auto", contamination="auto", random_state=None
    ):
        self.estimator = estimator
        self.method = method
        self.contamination = contamination
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            inner = get_tags(self.estimator)
            tags.input_tags.sparse = inner.input_tags.sparse
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
            tags.target_tags.required = inner.estimator_type == "classifier"
        return tags

    @_fit_context(
        # The inner estimator validates its own parameters when it is fitted.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None):
        """Fit ``estimator`` on ``X`` (and ``y``), then set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            In-distribution data.
        y : array-like of shape (n_samples,), default=None
            Class labels, required when ``estimator`` is a classifier; ignored
            otherwise.

        Returns
        -------
        self : OODDetector
            The fitted detector.
        """
        if self.estimator is None:
            estimator = EnergyDensityEstimator(random_state=self.random_state)
        else:
            estimator = clone(self.estimator)
        method = "energy" if self.method == "auto" else self.method
        _check_supports(estimator, method)
        if is_classifier(estimator):
            if y is None:
                raise ValueError(
                    "OODDetector requires y to be passed, but the target y is None: "
                    f"it wraps a classifier ({type(estimator).__name__}), which "
                    "needs the labels; call fit(X, y)."
                )
            estimator.fit(X, y)
        else:
            estimator.fit(X)
        scores = _scores(estimator, method, X)
        if np.isnan(scores).any():
            raise ValueError(
                f"{type(estimator).__name__} gave NaN {method} scores to training "
                "rows; its fit has likely diverged."
            )
        contamination = (
            AUTO_CONTAMINATION if self.contamination == "auto" else self.contamination
        )
        # Set together, so that a failed refit leaves the previous fit intact.
        self.estimator_ = estimator
        self.method_ = method
        self.offset_ = float(np.percentile(scores, 100 * contamination))
        return self

    @property
    def n_features_in_(self):
        """Number of features seen during fit (those of ``estimator_``)."""
        try:
            check_is_fitted(self, "offset_")
        except NotFittedError as err:
            raise AttributeError(
                f"{type(self).__name__} has no n_features_in_ until it is fitted."
            ) from err
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """Feature names seen during fit (those of ``estimator_``), if any."""
        try:
            check_is_fitted(self, "offset_")
        except NotFittedError as err:
            raise AttributeError(
                f"{type(self).__name__} has no feature_names_in_ until it is fitted."
            ) from err
        return self.estimator_.feature_names_in_

    def score_samples(self, X):
        """Normality score of each row: higher is more in-distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The ``method_`` score (see the class description).
        """
        check_is_fitted(self, "offset_")
        return _scores(self.estimator_, self.method_, X)

    def decision_function(self, X):
        """Score shifted by the threshold: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each row: +1 inlier, -1 outlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to label, in the units of the training data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 where :meth:`decision_function` is non-negative, -1 elsewhere.
        """
        decision = self.decision_function(X)
        labels = np.ones(decision.shape[0], dtype=int)
        labels[decision < 0] = -1
        return labels

    def fit_predict(self, X, y=None):
        """Fit on ``X`` (and ``y``), then label its rows: +1 inlier, -1 outlier.

        Equal to ``fit(X, y).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            In-distribution data, to fit on and then label.
        y : array-like of shape (n_samples,), default=None
            Class labels, required when ``estimator`` is a classifier; ignored
            otherwise.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 for inliers, -1 for the rows scored below ``offset_`` (about a
            share ``contamination`` of them).
        """
        # OutlierMixin.fit_predict does not pass y on to fit.
        return self.fit(X, y).predict(X)


register(OODDetector)
