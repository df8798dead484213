"""EnergyMixture: disjunctions of fitted energy models."""

from __future__ import annotations

import numpy as np

from sk_ebm._state import register
from sk_ebm.compose._base import BaseComposition
from sk_ebm.compose._docs import shared_docs

__all__ = ["EnergyMixture"]


@shared_docs
class EnergyMixture(BaseComposition):
    r"""Mixture of fitted energy models: a disjunction.

    The composed energy is a tempered soft minimum of the members'
    normalised energies :math:`E_i + \log Z_i`,

    .. math:: E(x) = -T \log \sum_i \pi_i
        \exp\Big(-\frac{E_i(x) + \log Z_i}{T}\Big),
        \qquad \pi_i = \frac{w_i}{\sum_j w_j},

    high where any member is ("in A or in B"; Du, Li & Mordatch, 2020).
    With :math:`T = 1` it is exactly the mixture :math:`\sum_i \pi_i p_i(x)`
    of the members' densities, whose log-partition is zero (given the
    members' own ``log_partition_``); :math:`T \ne 1` sharpens
    (:math:`T < 1`, towards the minimum of the energies) or broadens it, and
    :meth:`fit` estimates its log-partition by annealed importance sampling
    (AIS) from the mixture of the members' Gaussians.

    Members are sk_ebm density estimators, :class:`~sk_ebm.EnergyClassifier`
    instances (their marginal energy) or ``(classifier, label)`` concepts
    (:math:`E(x, y) = -f(x)[y]`); a classifier's log-partition is
    estimated by AIS at :meth:`fit`, so that it enters normalised too.

    Parameters
    ----------
    %(estimators)s
    weights : array-like of shape (n_estimators,), default=None
        Positive mixture weights :math:`w_i`, normalised to sum to one; None
        gives every member the same.
    temperature : float, default=1.0
        The temperature :math:`T > 0` of the soft minimum.
    ais_chains : int, default=2000
        AIS chains that estimate ``log_partition_`` (when :math:`T \ne 1`)
        and the log-partition of a classifier's energy.
    %(sampling)s

    Attributes
    ----------
    %(members_attributes)s
    log_partition_ : float
        Log-partition of the composed energy: 0 for :math:`T = 1`, else an
        AIS estimate, so that ``score_samples(X) == -energy(X) -
        log_partition_``.
    log_partition_std_ : float
        Its standard error (0 for :math:`T = 1`).
    %(features_attributes)s

    See Also
    --------
    EnergyProduct : The conjunction (and negation) of fitted energy models.

    Notes
    -----
    AIS and the samplers start from the mixture of the members' Gaussians
    (the classical density inside each energy), tempered as the energies
    are, :math:`\sum_i \pi_i \mathcal N(\mu_i, T \Sigma_i)`, and work in
    the coordinates in which its mean and covariance are those of a standard
    normal.

    References
    ----------
    Du, Li & Mordatch (2020), *Compositional visual generation and inference
    with energy based models*.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm import EnergyDensityEstimator
    >>> from sk_ebm.compose import EnergyMixture
    >>> rng = np.random.RandomState(0)
    >>> a = EnergyDensityEstimator(residual=False, base="gaussian", n_components=1)
    >>> b = EnergyDensityEstimator(residual=False, base="gaussian", n_components=1)
    >>> a = a.fit(rng.normal(-3.0, 1.0, size=(500, 1)))
    >>> b = b.fit(rng.normal(3.0, 1.0, size=(500, 1)))
    >>> either = EnergyMixture([a, b], weights=[0.25, 0.75]).fit()
    >>> log_p = either.score_samples([[-3.0], [3.0]])
    >>> expected = np.logaddexp(np.log(0.25) + a.score_samples([[-3.0], [3.0]]),
    ...                         np.log(0.75) + b.score_samples([[-3.0], [3.0]]))
    >>> bool(np.allclose(log_p, expected))
    True
    >>> share = (either.sample(1000, random_state=0) > 0).mean()  # about 0.75
    >>> bool(abs(share - 0.75) < 0.05)
    True
    """

    _kind = "mixture"

    def _check_weights(self, n_members: int) -> np.ndarray:
        weights = super()._check_weights(n_members)
        if not (weights > 0).all():
            raise ValueError(
                f"EnergyMixture weights must be positive, got {weights.tolist()}; "
                "a negation is a negative weight of an EnergyProduct."
            )
        return weights

    def _log_partition(self, energy, frame, generator) -> tuple[float, float]:
        if self.temperature == 1:  # a mixture of normalised densities
            return 0.0, 0.0
        return super()._log_partition(energy, frame, generator)


register(EnergyMixture)
