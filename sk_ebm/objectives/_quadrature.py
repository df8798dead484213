r"""Conditional maximum likelihood with the log-partition by quadrature."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["QuadratureNLL"]


class QuadratureNLL(nn.Module):
    r"""Conditional negative log-likelihood, :math:`\log Z(x)` by quadrature.

    The model is :math:`p(y \mid x) = e^{-E(x, y)} / Z(x)`, and the loss

    .. math:: \mathcal{L} = \frac{\sum_i w_i \left[E(x_i, y_i)
        + \log \sum_k \Delta\, e^{-E(x_i, g_k)}\right]}{\sum_i w_i}

    for a grid :math:`g_k` of spacing :math:`\Delta` (the midpoint rule; in
    one dimension it is exact to :math:`O(\Delta^2)` for smooth energies).
    Drawing the grid's offset at random at every step makes the quadrature an
    unbiased estimate of :math:`Z(x)`, which a network cannot exploit by
    placing mass between fixed nodes. Everything is computed in log space
    (``logsumexp``), so no probability underflows.

    Examples
    --------
    >>> import math, torch
    >>> from sk_ebm.objectives import QuadratureNLL
    >>> grid = torch.linspace(-8, 8, 1601)
    >>> energy_grid = 0.5 * grid.expand(2, -1) ** 2  # a standard normal
    >>> energy_data = torch.zeros(2)
    >>> loss = QuadratureNLL()(energy_data, energy_grid, 0.01)
    >>> round(float(loss), 4) == round(0.5 * math.log(2 * math.pi), 4)
    True
    """

    def __init__(self) -> None:
        super().__init__()

    @staticmethod
    def log_partition(energy_grid: Tensor, delta: float) -> Tensor:
        """Quadrature of :math:`\\log \\int e^{-E(x, y)} dy` per row.

        Parameters
        ----------
        energy_grid : Tensor of shape (n, K)
            Energies of each row at the grid's targets.
        delta : float
            The grid's spacing.

        Returns
        -------
        Tensor of shape (n,)
            :math:`\\log Z(x)` of each row.
        """
        return torch.logsumexp(-energy_grid, dim=1) + math.log(delta)

    def forward(
        self,
        energy_data: Tensor,
        energy_grid: Tensor,
        delta: float,
        sample_weight: Tensor | None = None,
    ) -> Tensor:
        nll = energy_data + self.log_partition(energy_grid, delta)
        if sample_weight is None:
            return nll.mean()
        return (sample_weight * nll).sum() / sample_weight.sum()
