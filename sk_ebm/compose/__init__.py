r"""Compositions of fitted energy models: products, negations and mixtures.

Energies add: the sum of two models' energies is the energy of their product
(a conjunction, "in A and in B"), a negative weight pushes mass away from a
model (a negation), and a soft minimum of the energies is their mixture (a
disjunction). :class:`EnergyProduct` and :class:`EnergyMixture` compose
fitted sk_ebm models this way without retraining them, estimate the
composition's normalising constant by annealed importance sampling, and
sample it by Metropolis-adjusted Langevin dynamics.
"""

from sk_ebm.compose._mixture import EnergyMixture
from sk_ebm.compose._product import EnergyProduct

__all__ = ["EnergyMixture", "EnergyProduct"]
