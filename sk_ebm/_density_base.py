"""What the density estimators share: a normalised ``score_samples``, the mean
log-likelihood as ``score``, sampling by importance resampling and MALA."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import DensityMixin
from sklearn.utils.validation import check_is_fitted

from sk_ebm._base import BaseEnergyEstimator
from sk_ebm._gaussian import shrunk_gaussian
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

    #: Widths of the network's space up to which ``base="auto"`` also tries
    #: the Gaussian mixture selected by BIC as the base.
    _mixture_base_max_width = 16

    def _base_kind(self, width: int, n_components: int = 1):
        """``"gaussian"``, ``"gmm"`` or None: the ``base`` parameter, with
        ``"auto"`` resolved to the kind its fit selected (``base_kind_``)."""
        if self.base != "auto":
            return self.base
        kind = self.__dict__.get("base_kind_")
        if kind is not None:
            return kind
        # Files saved before base_kind_ existed: the rule of that time.
        if n_components > 1 and width <= self._mixture_base_max_width:
            return "gmm"
        return "gaussian"

    def _base_gaussian(self, width: int, Z=None):
        """The Gaussian base: standard normal in a whitened space (the whitening
        is the shrunk Gaussian), else fitted to ``Z`` with a Ledoit-Wolf
        covariance; a placeholder without ``Z``."""
        if Z is None or self._whitens():
            return Gaussian(torch.zeros(width), torch.eye(width), jitter=0.0)
        return shrunk_gaussian(Z)

    def _with_base(self, network, base):
        """The energy: ``network`` tilting ``base``, either of them alone when
        the other is None (``base=None``, ``residual=False``)."""
        if base is None or network is None:
            return base if network is None else network
        return ResidualEnergy(network, base)

    def _check_residual(self) -> None:
        if not self.residual and self.base is None:
            raise ValueError(
                "residual=False leaves the base as the whole model, and base=None "
                "has none; set base='auto' (or 'gaussian', 'gmm') or residual=True."
            )

    def _residual_network(self, width: int, fit):
        """The default network starts at zero, so that the estimator starts as
        its base; None with ``residual=False``."""
        if not self.residual:
            return None
        seed = fit.torch_seed if fit else 0
        return self._build_network(width, seed=seed, zero_output=True)

    @property
    def base_(self):
        """The fitted base in the network's space (None without one)."""
        check_is_fitted(self, "net_")
        energy = self._energy_module()
        if isinstance(energy, ResidualEnergy):
            return energy.base
        return energy if not self.residual else None

    @staticmethod
    def _monitored_rows(fit):
        """At most 2000 training rows whose log-likelihood is recorded per epoch."""
        Z = fit.Z_train
        return Z[np.sort(fit.rng.permutation(len(Z))[:2000])]

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
        generator = self._sample_generator(random_state)
        Z = importance_resampling(
            energy, proposal, n_samples, n_steps=self.sample_steps, generator=generator
        )
        return self._to_data_units(Z, generator)
