r"""NCE+ for conditional energies (Gustafsson et al., 2020)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["NCEPlusLoss"]


class NCEPlusLoss(nn.Module):
    r"""NCE+ loss of a conditional energy :math:`E(x, y)` of a scalar target.

    Each row's target :math:`y_i` is perturbed to :math:`y_{i,0} = y_i +
    \nu_i`, :math:`\nu_i \sim q_\beta`, and contrasted with :math:`M` noise
    targets :math:`y_{i,m} \sim q(\cdot \mid y_i)`, a mixture of Gaussians
    centred on :math:`y_i` with standard deviations ``noise_scales``
    (:math:`q_\beta` is the same mixture with variances times :math:`\beta`):

    .. math:: \mathcal{L} = -\frac{1}{n} \sum_i \log
        \frac{e^{-E(x_i, y_{i,0}) - \log q(y_{i,0} \mid y_i)}}
        {\sum_{m=0}^{M} e^{-E(x_i, y_{i,m}) - \log q(y_{i,m} \mid y_i)}}

    Everything is computed in log space (``logsumexp``): the reference code's
    exponentials of log-probabilities underflow to NaN.

    Parameters
    ----------
    noise_scales : sequence of float, default=(0.05, 0.2, 0.8)
        Standard deviations of the noise mixture's components, in units of
        the standardised target.
    beta : float, default=0.1
        Variance factor of the perturbation of the true targets.

    References
    ----------
    .. [1] F. K. Gustafsson, M. Danelljan, R. Timofte and T. B. Schön, "How to
       train your energy-based model for regression", BMVC 2020.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.objectives import NCEPlusLoss
    >>> loss = NCEPlusLoss()
    >>> y = torch.zeros(4)
    >>> candidates = loss.candidates(y, 16, torch.Generator().manual_seed(0))
    >>> candidates.shape
    torch.Size([4, 17])
    >>> energies = 0.5 * candidates**2
    >>> loss(energies, loss.log_noise(candidates, y)).shape
    torch.Size([])
    """

    def __init__(
        self, noise_scales: Sequence[float] = (0.05, 0.2, 0.8), beta: float = 0.1
    ) -> None:
        super().__init__()
        self.noise_scales = tuple(float(s) for s in noise_scales)
        self.beta = float(beta)

    def candidates(self, y: Tensor, n_noise: int, generator=None) -> Tensor:
        """The perturbed targets (first column) and ``n_noise`` noise targets.

        Parameters
        ----------
        y : Tensor of shape (n,)
            The true standardised targets.
        n_noise : int
            Noise targets :math:`M` per row.
        generator : torch.Generator, default=None
            Source of the draws.

        Returns
        -------
        Tensor of shape (n, n_noise + 1)
            :math:`y_{i,0}, y_{i,1}, \\dots, y_{i,M}`.
        """
        scales = torch.tensor(self.noise_scales, dtype=y.dtype, device=y.device)
        shape = (y.shape[0], n_noise + 1)
        component = torch.randint(
            len(scales), shape, generator=generator, device=y.device
        )
        std = scales[component]
        std[:, 0] = std[:, 0] * math.sqrt(self.beta)
        noise = torch.randn(shape, generator=generator, device=y.device, dtype=y.dtype)
        return y[:, None] + std * noise

    def log_noise(self, candidates: Tensor, y: Tensor) -> Tensor:
        """Log-density :math:`\\log q(y_{i,m} \\mid y_i)` of the noise mixture.

        Parameters
        ----------
        candidates : Tensor of shape (n, M + 1)
            Targets of each row.
        y : Tensor of shape (n,)
            The true targets the mixture is centred on.

        Returns
        -------
        Tensor of shape (n, M + 1)
            The log-densities.
        """
        scales = torch.tensor(
            self.noise_scales, dtype=candidates.dtype, device=candidates.device
        )
        z = (candidates - y[:, None]).unsqueeze(-1) / scales
        log_components = -0.5 * z**2 - torch.log(scales) - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(log_components, -1) - math.log(len(scales))

    def forward(
        self, energies: Tensor, log_noise: Tensor, sample_weight: Tensor | None = None
    ) -> Tensor:
        logits = -energies - log_noise
        nll = torch.logsumexp(logits, 1) - logits[:, 0]
        if sample_weight is None:
            return nll.mean()
        return (sample_weight * nll).sum() / sample_weight.sum()
