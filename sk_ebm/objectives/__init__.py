r"""Training objectives for energy-based models (pure torch)."""

from sk_ebm.objectives._contrastive import ContrastiveDivergenceLoss
from sk_ebm.objectives._importance import ImportanceSamplingNLL
from sk_ebm.objectives._jem import HDGELoss, JEMLoss
from sk_ebm.objectives._nce import NCELoss
from sk_ebm.objectives._nce_plus import NCEPlusLoss
from sk_ebm.objectives._quadrature import QuadratureNLL

__all__ = [
    "ContrastiveDivergenceLoss",
    "HDGELoss",
    "ImportanceSamplingNLL",
    "JEMLoss",
    "NCELoss",
    "NCEPlusLoss",
    "QuadratureNLL",
]
