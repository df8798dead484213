"""What the density estimators share: a normalised ``score_samples``, the mean
log-likelihood as ``score``, sampling by importance resampling and MALA."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import DensityMixin
from sklearn.utils.validation import check_is_fitted

from sk_ebm._base import BaseEnergyEstimator
from sk_ebm._params import check_n_samples
from sk_ebm.nn import ResidualEnergy
from sk_ebm.sampling import Gaussian, importance_resampling

__all__ = ["BaseDensityEstimator"]


class BaseDensityEstimator(DensityMixin, BaseEnergyEstimator):
    """Mixin of the density estimators.

    Subclasses set ``log_partition_`` (in the data's units) at fit, and
    implement ``_sampler()``, the energy and the proposal that :meth:`sample`
    resamples from.
    """

    def _default_mlp_kwargs(self, n_features: int) -> dict:
        # Random Fourier features let a small MLP fit the thin or sharp structure
        # of low-dimensional densities; in higher dimension the plain MLP is the
        # better prior.
        if n_features <= 4:
            return {"n_fourier_features": 64, "fourier_scale": 5.0}
        return {}

    def _with_base(self, network, Z, n_features: int, base=None):
        """``network`` tilting the base density (``base`` parameter): a Gaussian
        fitted to ``Z`` (a placeholder without ``Z``) or the mixture ``base``."""
        if self.base is None:
            return network
        if base is None:
            base = (
                Gaussian(torch.zeros(n_features), torch.eye(n_features))
                if Z is None
                else Gaussian.from_data(Z.cpu())
            )
        return ResidualEnergy(network, base)

    @staticmethod
    def _monitored_rows(fit):
        """At most 2000 training rows whose log-likelihood is recorded per epoch."""
        Z = fit.Z_train
        return Z[np.sort(fit.rng.permutation(len(Z))[:2000])]

    def _log_jacobian(self) -> float:
        """:math:`\\sum_j \\log s_j`: log-densities of standardised rows minus
        those in the data's units."""
        return float(np.log(self.scale_).sum())

    def score_samples(self, X):
        """Log-density of each row of ``X``, normalised, in the data's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``-energy(X) - log_partition_``.
        """
        check_is_fitted(self, "log_partition_")
        return -self.energy(X) - self.log_partition_

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.
        y : None
            Ignored.

        Returns
        -------
        log_likelihood : float
            Mean of :meth:`score_samples`, comparable across models.
        """
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the fitted density, in the data's units.

        Candidates from the proposal (or noise) are importance-resampled by
        their weights :math:`e^{-E}/q`, then moved by ``sample_steps``
        Metropolis-adjusted Langevin steps, which leave the model's density
        invariant (:func:`~sk_ebm.sampling.importance_resampling`).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; an int gives the same samples at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples, in the units of the training data.
        """
        check_is_fitted(self, "log_partition_")
        check_n_samples(n_samples)
        energy, proposal = self._sampler()
        Z = importance_resampling(
            energy,
            proposal,
            n_samples,
            n_steps=self.sample_steps,
            generator=self._sample_generator(random_state),
        )
        return self._to_data_units(Z)
