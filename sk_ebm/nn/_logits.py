r"""Energy of a classifier's logits (JEM)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["LogitsEnergy"]


class LogitsEnergy(nn.Module):
    r"""Joint energy of the classes and inputs defined by a logits network.

    The logits network :math:`f_\theta : \mathbb{R}^d \to \mathbb{R}^K` defines
    the energies (Grathwohl et al., 2020)

    .. math::
        E(x, y) = -f_\theta(x)[y], \qquad
        E(x) = -\log \sum_y \exp f_\theta(x)[y]

    so that :math:`p(y \mid x)` is the softmax of the logits and
    :math:`p(x) \propto \exp(-E(x))`.

    Parameters
    ----------
    logits : torch.nn.Module
        Network returning logits of shape ``(n, K)``.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import LogitsEnergy, MLPEnergy
    >>> energy = LogitsEnergy(MLPEnergy(4, (8,), n_outputs=3))
    >>> x = torch.randn(5, 4)
    >>> energy(x).shape, energy.energy_xy(x, torch.tensor([0, 1, 2, 0, 1])).shape
    (torch.Size([5]), torch.Size([5]))
    """

    def __init__(self, logits: nn.Module) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, x: Tensor) -> Tensor:
        return -torch.logsumexp(self.logits(x), dim=1)

    def energy_xy(self, x: Tensor, y: Tensor) -> Tensor:
        """Class-conditional energy :math:`E(x, y) = -f(x)[y]`.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Inputs, as taken by the logits network.
        y : Tensor of shape (n,)
            Class index of each row, in ``0, ..., K - 1``; cast to ``long``.

        Returns
        -------
        Tensor of shape (n,)
            Minus the logit of class ``y[i]`` for row ``x[i]``.
        """
        return -self.logits(x).gather(1, y.long().view(-1, 1)).squeeze(1)
