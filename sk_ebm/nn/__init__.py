r"""Torch energy networks: modules mapping inputs ``(n, d)`` to energies ``(n,)``,
and conditional energies of a target, ``(x, y) -> (n, K)``, for regression."""

from sk_ebm.nn._conditional import (
    ConditionalMLPEnergy,
    ConditionalResidualEnergy,
    LinearGaussianEnergy,
)
from sk_ebm.nn._conv import ConvEnergy
from sk_ebm.nn._discriminant import GaussianDiscriminant
from sk_ebm.nn._export import ExportedClassifier
from sk_ebm.nn._logits import LogitsEnergy
from sk_ebm.nn._mlp import MLPEnergy
from sk_ebm.nn._nce import NCEModule
from sk_ebm.nn._purify import PurifiedLogits, langevin_purify
from sk_ebm.nn._quadratic import QuadraticEnergy
from sk_ebm.nn._residual import ResidualEnergy
from sk_ebm.nn._whitening import FixedLinear, Whitening

__all__ = [
    "ConditionalMLPEnergy",
    "ConditionalResidualEnergy",
    "ConvEnergy",
    "ExportedClassifier",
    "FixedLinear",
    "GaussianDiscriminant",
    "LinearGaussianEnergy",
    "LogitsEnergy",
    "MLPEnergy",
    "NCEModule",
    "PurifiedLogits",
    "QuadraticEnergy",
    "ResidualEnergy",
    "Whitening",
    "langevin_purify",
]
