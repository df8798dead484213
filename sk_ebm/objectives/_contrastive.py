r"""Contrastive divergence with an L2 penalty on energies."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["ContrastiveDivergenceLoss"]


class ContrastiveDivergenceLoss(nn.Module):
    r"""Surrogate loss whose gradient is the maximum-likelihood gradient of an EBM.

    .. math:: \mathcal{L} = \overline{E(x^+)} - \overline{E(x^-)}
        + \alpha \left(\overline{E(x^+)^2} + \overline{E(x^-)^2}\right)

    With negatives :math:`x^-` drawn (approximately) from the model, e.g. by
    persistent Langevin chains, :math:`\nabla_\theta` of the first two terms
    estimates :math:`\nabla_\theta[-\log p_\theta(x^+)]`. The penalty of weight
    :math:`\alpha` (``energy_reg``; Du & Mordatch, 2019) keeps energies near zero,
    which stabilises training. The negatives must be detached from the graph.

    Parameters
    ----------
    energy_reg : float, default=1.0
        Weight :math:`\alpha` of the L2 penalty.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.objectives import ContrastiveDivergenceLoss
    >>> loss = ContrastiveDivergenceLoss(energy_reg=0.0)
    >>> float(loss(torch.tensor([1.0, 3.0]), torch.tensor([4.0, 6.0])))
    -3.0
    """

    def __init__(self, energy_reg: float = 1.0) -> None:
        super().__init__()
        self.energy_reg = float(energy_reg)

    def forward(
        self,
        energy_pos: Tensor,
        energy_neg: Tensor,
        base_pos: Tensor | None = None,
        base_neg: Tensor | None = None,
    ) -> Tensor:
        """Loss of a batch; ``base_pos`` and ``base_neg``, the fixed part of the
        energies where the energy tilts a base, are left out of the penalty."""
        contrast = energy_pos.mean() - energy_neg.mean()
        if base_pos is not None:
            energy_pos, energy_neg = energy_pos - base_pos, energy_neg - base_neg
        penalty = (energy_pos**2).mean() + (energy_neg**2).mean()
        return contrast + self.energy_reg * penalty
