"""LangevinPurifier: rows refined toward higher density by a fitted energy."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Integral, Real

from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from sk_ebm._params import draw_seed

__all__ = ["LangevinPurifier"]


def _unfrozen(estimator):
    """The model inside a ``FrozenEstimator``, else ``estimator``."""
    if isinstance(estimator, FrozenEstimator):
        return estimator.estimator
    return estimator


class LangevinPurifier(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    r"""Refine rows by a few Langevin steps toward higher density of an EBM.

    :meth:`transform` perturbs each row by Gaussian noise of standard deviation
    ``init_noise``, then runs ``steps`` steps

    .. math:: z \leftarrow z - a \nabla E(z) + \sigma \xi, \quad
        \xi \sim \mathcal{N}(0, I)

    on the energy of the fitted ``estimator`` (its :math:`-\log p(x)` up to a
    constant; a classifier's :math:`-\log\sum_y e^{f(x)[y]}`), in the
    estimator's own space: standardised and whitened, where the base has unit
    variance, so a step of 1 moves a row most of the way to the nearest mode
    of a Gaussian base. The axes outside the whitened space (constant or
    duplicated directions) keep their values. This is JEM's purification
    (Grathwohl et al., 2020; its step 1 and noise 0.01) as a transformer, for
    use before any classifier; :class:`EnergyClassifier` has it built in
    (``purify_steps``) with chains whose probabilities it averages.

    What it does and does not protect against is measured in
    ``benchmarks/bench_robustness.py``: it undoes small random perturbations,
    but a row pushed across the decision boundary is moved further into the
    wrong class.

    Parameters
    ----------
    estimator : estimator
        An sk_ebm density estimator or :class:`EnergyClassifier`, fitted on
        :meth:`fit` (a clone). Wrap a fitted one in
        :class:`sklearn.frozen.FrozenEstimator` to use it as it is.
    steps : int, default=10
        Langevin steps; 0 leaves the rows as they are, up to ``init_noise``.
    step_size : float, default=1.0
        Gradient step :math:`a`, in the estimator's space.
    noise : float, default=0.01
        Noise :math:`\sigma` of every step.
    init_noise : float, default=0.0
        Standard deviation of the noise added before the steps.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise; an int gives the same rows at every call. A row's
        noise depends on its values and the seed alone, not on the other rows.

    Attributes
    ----------
    estimator_ : estimator
        The fitted energy model.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    EnergyClassifier : ``purify_steps`` purifies before classifying.
    sk_ebm.adversarial.pgd_attack : Attacks through the purification.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sk_ebm import EnergyDensityEstimator, LangevinPurifier
    >>> X, _ = make_blobs(200, centers=[[0, 0]], random_state=0)
    >>> purifier = LangevinPurifier(EnergyDensityEstimator(residual=False),
    ...                             steps=5, step_size=0.5, noise=0.0)
    >>> X_pure = purifier.fit(X).transform(X + 3.0)  # pulled back to the data
    >>> bool(abs(X_pure.mean(0)).max() < 0.2)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "steps": [Interval(Integral, 0, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "init_noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        steps=10,
        step_size=1.0,
        noise=0.01,
        init_noise=0.0,
        random_state=None,
    ):
        self.estimator = estimator
        self.steps = steps
        self.step_size = step_size
        self.noise = noise
        self.init_noise = init_noise
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit a clone of ``estimator`` on ``X`` (and ``y`` for a classifier).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,), default=None
            Labels, passed on to a classifier (ignored otherwise).

        Returns
        -------
        self : LangevinPurifier
            The fitted transformer.
        """
        energy_model = _unfrozen(self.estimator)
        if is_regressor(energy_model) or not hasattr(energy_model, "_purified"):
            raise TypeError(
                f"{type(energy_model).__name__} has no energy of x to purify "
                "with: LangevinPurifier takes an sk_ebm density estimator or an "
                "EnergyClassifier."
            )
        frozen = isinstance(self.estimator, FrozenEstimator)
        if is_classifier(energy_model) and y is None and not frozen:
            raise ValueError(
                "LangevinPurifier needs y to fit a classifier; pass "
                "fit(X, y), or wrap a fitted one in FrozenEstimator."
            )
        estimator = clone(self.estimator)
        if is_classifier(energy_model):
            estimator.fit(X, y)
        else:
            estimator.fit(X)
        self.estimator_ = estimator
        self.n_features_in_ = estimator.n_features_in_
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_
        return self

    def transform(self, X):
        """The purified rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to purify, in the units of the training data.

        Returns
        -------
        X_purified : ndarray of shape (n_samples, n_features)
            The rows after the Langevin steps, in the same units.
        """
        check_is_fitted(self, "estimator_")
        model = _unfrozen(self.estimator_)
        return model._purified(
            X,
            draw_seed(self.random_state),
            steps=self.steps,
            step_size=self.step_size,
            noise=self.noise,
            init_noise=self.init_noise,
        )
