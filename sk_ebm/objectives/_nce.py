r"""Noise-contrastive estimation: classify data against noise."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["NCELoss"]


class NCELoss(nn.Module):
    r"""Logistic loss of noise-contrastive estimation (NCE).

    With the model's normalised log-density :math:`\log p_\theta(x) = -E(x) - c`
    (the constant :math:`c` learned as a parameter), the noise log-density
    :math:`\log q(x)` and :math:`\nu` noise draws per data point, the log-odds
    that a point is data rather than noise is
    :math:`G(x) = \log p_\theta(x) - \log q(x) - \log\nu` and the loss is

    .. math:: \mathcal{L} = -\frac1n \Big[ \sum_{i=1}^n \log\sigma(G(x_i))
        + \sum_{j=1}^{\nu n} \log\sigma(-G(y_j)) \Big],
        \qquad x_i \sim p_{\text{data}},\ y_j \sim q

    computed with ``logsigmoid`` so that it stays finite for any log-odds. Its
    minimiser over :math:`(\theta, c)` is the data density with the correct
    normaliser (Gutmann & Hyvärinen, 2012).

    Parameters
    ----------
    noise_ratio : float, default=1.0
        :math:`\nu`, the number of noise draws per data point.

    Examples
    --------
    >>> import math, torch
    >>> from sk_ebm.objectives import NCELoss
    >>> loss = NCELoss(noise_ratio=1.0)
    >>> # model equal to the noise: both log-odds are 0, the loss is 2 log 2
    >>> value = loss(torch.zeros(4), torch.zeros(4))
    >>> round(float(value), 4) == round(2 * math.log(2), 4)
    True
    """

    def __init__(self, noise_ratio: float = 1.0) -> None:
        super().__init__()
        self.noise_ratio = float(noise_ratio)

    def log_odds(self, log_ratio: Tensor) -> Tensor:
        r"""Log-odds that points are data rather than noise.

        Parameters
        ----------
        log_ratio : Tensor
            :math:`\log p_\theta(x) - \log q(x)` at the points, any shape.

        Returns
        -------
        Tensor
            :math:`G(x) = \log p_\theta(x) - \log q(x) - \log\nu`, of the
            shape of ``log_ratio``.
        """
        return log_ratio - math.log(self.noise_ratio)

    def forward(self, log_ratio_data: Tensor, log_ratio_noise: Tensor) -> Tensor:
        """Loss from :math:`\\log p_\\theta - \\log q` at the data and noise points."""
        n = log_ratio_data.shape[0]
        data = F.logsigmoid(self.log_odds(log_ratio_data)).sum()
        noise = F.logsigmoid(-self.log_odds(log_ratio_noise)).sum()
        return -(data + noise) / n
