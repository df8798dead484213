r"""Samplers and partition-function estimators for energy functions (pure torch)."""

from sk_ebm.sampling._ais import annealed_importance_sampling
from sk_ebm.sampling._buffer import ReplayBuffer
from sk_ebm.sampling._distributions import Gaussian, GaussianMixture, Uniform
from sk_ebm.sampling._langevin import langevin
from sk_ebm.sampling._resample import importance_resampling

__all__ = [
    "Gaussian",
    "GaussianMixture",
    "ReplayBuffer",
    "Uniform",
    "annealed_importance_sampling",
    "importance_resampling",
    "langevin",
]
