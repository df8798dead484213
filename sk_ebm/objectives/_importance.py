r"""Maximum likelihood with an importance-sampled log-partition function."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["ImportanceSamplingNLL"]


class ImportanceSamplingNLL(nn.Module):
    r"""Negative log-likelihood with :math:`\log Z` estimated from a proposal.

    .. math:: \mathcal{L} = \overline{E(x^+)} + \log \frac1K \sum_{k=1}^K
        \frac{e^{-E(\tilde x_k)}}{q(\tilde x_k)}, \qquad \tilde x_k \sim q

    The second term is a consistent estimate of :math:`\log Z_\theta`; its
    gradient is the self-normalised importance-sampling estimate of
    :math:`-\mathbb{E}_{p_\theta}[\nabla_\theta E]`, so no Markov chain is needed.
    It is accurate while the proposal covers the model's mass (low dimensions,
    or a proposal fitted to the data and widened). Optional L2 energy penalty of
    weight ``energy_reg`` on the data energies.

    Parameters
    ----------
    energy_reg : float, default=0.0
        Weight of the L2 penalty on :math:`E(x^+)`.

    Examples
    --------
    >>> import math, torch
    >>> from sk_ebm.objectives import ImportanceSamplingNLL
    >>> loss = ImportanceSamplingNLL()
    >>> # energy 0 against a uniform proposal on an area of 4: log Z = log 4
    >>> value = loss(torch.zeros(3), torch.zeros(5), torch.full((5,), -math.log(4)))
    >>> round(float(value), 4) == round(math.log(4), 4)
    True
    """

    def __init__(self, energy_reg: float = 0.0) -> None:
        super().__init__()
        self.energy_reg = float(energy_reg)

    @staticmethod
    def log_partition(energy_proposal: Tensor, log_q_proposal: Tensor) -> Tensor:
        """Importance-sampling estimate of :math:`\\log Z`.

        Parameters
        ----------
        energy_proposal : Tensor of shape (K,)
            Energies :math:`E(\\tilde x_k)` of the draws from the proposal.
        log_q_proposal : Tensor of shape (K,)
            Log-densities :math:`\\log q(\\tilde x_k)` of the proposal at
            the same draws.

        Returns
        -------
        Tensor of shape ()
            :math:`\\log \\frac1K \\sum_k e^{-E(\\tilde x_k)} / q(\\tilde x_k)`,
            computed with ``logsumexp``.
        """
        log_w = -energy_proposal - log_q_proposal
        return torch.logsumexp(log_w, 0) - math.log(log_w.shape[0])

    def forward(
        self, energy_pos: Tensor, energy_proposal: Tensor, log_q_proposal: Tensor
    ) -> Tensor:
        loss = energy_pos.mean() + self.log_partition(energy_proposal, log_q_proposal)
        if self.energy_reg:
            loss = loss + self.energy_reg * (energy_pos**2).mean()
        return loss
