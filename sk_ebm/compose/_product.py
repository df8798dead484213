"""EnergyProduct: conjunctions and negations of fitted energy models."""

from __future__ import annotations

import warnings

from sk_ebm._state import register
from sk_ebm.compose._base import BaseComposition
from sk_ebm.compose._docs import shared_docs

__all__ = ["EnergyProduct"]


@shared_docs
class EnergyProduct(BaseComposition):
    r"""Product of fitted energy models: a conjunction, or a negation.

    The composed energy is the weighted, tempered sum of the members'

    .. math:: E(x) = \frac1T \sum_i w_i E_i(x), \qquad
        p(x) = \frac{e^{-E(x)}}{Z} \propto \prod_i p_i(x)^{w_i / T}

    so that the product is high where every member with a positive weight is
    ("in A and in B"), and a negative weight pushes mass away from that
    member ("in A but not in B"; Du, Li & Mordatch, 2020). Nothing is
    retrained: a concept fitted later joins the product as it is.

    Members are sk_ebm density estimators (their energy
    :math:`E_i(x)`, as returned by their ``energy``), an
    :class:`~sk_ebm.EnergyClassifier` (its marginal energy
    :math:`-\log\sum_y e^{f(x)[y]}`) or a pair ``(classifier, label)``: the
    class-conditional energy :math:`E(x, y) = -f(x)[y]`, so that "a 3 that is
    also likely under this other model" is expressible.

    :meth:`fit` estimates :math:`\log Z` by annealed importance sampling
    (AIS) from the product of the members' Gaussians (the classical density
    inside each energy: its base, the class Gaussian of a concept), tempered
    and weighted as the energies are; :meth:`score_samples` is then a
    normalised log-density and :meth:`score` a mean log-likelihood. A
    negative weight makes :math:`e^{-E}` integrable only if the other
    members outweigh it in every direction: :meth:`fit` warns whenever a
    weight is negative, and raises a ValueError when the energy does not
    grow along some direction or the AIS chains escape.

    **Temperature.** ``temperature`` :math:`T` divides the energy:
    :math:`T < 1` sharpens the density onto its modes, :math:`T > 1` broadens
    it. ``EnergyProduct([model], temperature=T)`` is a tempered single model,
    normalised and sampled like any product.

    Parameters
    ----------
    %(estimators)s
    weights : array-like of shape (n_estimators,), default=None
        The weights :math:`w_i`, one per member, of any sign; None gives 1
        to every member.
    temperature : float, default=1.0
        The temperature :math:`T > 0` dividing the energy.
    ais_chains : int, default=2000
        AIS chains that estimate ``log_partition_`` (and the log-partition of
        a classifier's energy).
    %(sampling)s

    Attributes
    ----------
    %(members_attributes)s
    log_partition_ : float
        AIS estimate of :math:`\log Z = \log \int e^{-E(x)} dx`, in the data's
        units, so that ``score_samples(X) == -energy(X) - log_partition_``.
    log_partition_std_ : float
        Its standard error.
    %(features_attributes)s

    See Also
    --------
    EnergyMixture : The disjunction of fitted energy models.
    sk_ebm.EnergyDensityEstimator : A member with a normalised density.

    Notes
    -----
    The members' energies are evaluated on their own standardised (and
    whitened) rows, in float64 on the CPU. AIS and the samplers work in the
    coordinates :math:`u = L^{-1}(x - \mu)` of the Gaussian :math:`\mathcal
    N(\mu, LL^\top)` above, where Langevin steps are isotropic; the
    log-partition is converted back with :math:`\log|\det L|`. The product of
    the members' Gaussians is :math:`\mathcal N(\Lambda^{-1} h, \Lambda^{-1})`
    with :math:`\Lambda = \sum_i (w_i/T) \Sigma_i^{-1}` and :math:`h = \sum_i
    (w_i/T) \Sigma_i^{-1} \mu_i`; when negations leave :math:`\Lambda`
    indefinite, the members of positive weight alone define it.

    References
    ----------
    Du, Li & Mordatch (2020), *Compositional visual generation and inference
    with energy based models*. Neal (2001), *Annealed importance sampling*.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm import EnergyDensityEstimator
    >>> from sk_ebm.compose import EnergyProduct
    >>> rng = np.random.RandomState(0)
    >>> a = EnergyDensityEstimator(residual=False, base="gaussian", n_components=1)
    >>> b = EnergyDensityEstimator(residual=False, base="gaussian", n_components=1)
    >>> a = a.fit(rng.normal(-1.0, 1.0, size=(500, 1)))
    >>> b = b.fit(rng.normal(1.0, 1.0, size=(500, 1)))
    >>> both = EnergyProduct([a, b], ais_chains=200, ais_temperatures=50,
    ...                      random_state=0).fit()
    >>> samples = both.sample(500, random_state=0)
    >>> bool(abs(samples.mean()) < 0.2)
    True
    >>> round(float(both.score_samples([[0.0]])[0]), 1)  # N(0, 1/2) at 0
    -0.6
    """

    _kind = "product"

    def _check_signs(self, weights) -> None:
        if (weights < 0).any():
            warnings.warn(
                f"EnergyProduct with negative weights {weights.tolist()}: the "
                "negated members must be outweighed by the others in every "
                "direction, or exp(-E) is not normalisable; fit checks it.",
                UserWarning,
                stacklevel=5,
            )
        if not (weights > 0).any():
            raise ValueError(
                f"EnergyProduct needs at least one positive weight, got "
                f"{weights.tolist()}: a product of negations is not normalisable."
            )


register(EnergyProduct)
