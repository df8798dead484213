r"""Training objectives for energy-based models (pure torch)."""

from sk_ebm.objectives._contrastive import ContrastiveDivergenceLoss
from sk_ebm.objectives._importance import ImportanceSamplingNLL

__all__ = ["ContrastiveDivergenceLoss", "ImportanceSamplingNLL"]
