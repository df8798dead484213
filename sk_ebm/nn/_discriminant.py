r"""Class-conditional Gaussians with a shared covariance, plus residual logits."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["GaussianDiscriminant"]


class GaussianDiscriminant(nn.Module):
    r"""Logits of Gaussian discriminant analysis plus a learned residual.

    .. math:: f(x)[k] = \log \pi_k + \log \mathcal{N}(x; \mu_k, \Sigma)
        + g_\theta(x)[k]

    With :math:`g_\theta = 0`, :math:`\mathrm{softmax}\, f(x)` is the posterior
    of linear discriminant analysis and :math:`\log \sum_k e^{f(x)[k]}` the
    normalised log-density of the Gaussian mixture, so that
    :class:`~sk_ebm.nn.LogitsEnergy` around this module starts as that
    mixture. The Gaussians have no trainable parameters (buffers).

    Parameters
    ----------
    network : torch.nn.Module or None
        Residual logits :math:`g_\theta`, ``(n, d) -> (n, K)``; None for none.
    means : Tensor of shape (K, d)
        Class means :math:`\mu_k`.
    covariance : Tensor of shape (d, d)
        Shared covariance :math:`\Sigma`, symmetric positive definite.
    log_priors : Tensor of shape (K,)
        :math:`\log \pi_k`.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import GaussianDiscriminant
    >>> means, priors = torch.tensor([[-1.0], [1.0]]), torch.tensor([0.5, 0.5])
    >>> lda = GaussianDiscriminant(None, means, torch.eye(1), priors.log())
    >>> lda(torch.zeros(3, 1)).softmax(1)[0]
    tensor([0.5000, 0.5000])
    """

    def __init__(
        self,
        network: nn.Module | None,
        means: Tensor,
        covariance: Tensor,
        log_priors: Tensor,
    ) -> None:
        super().__init__()
        self.network = network
        d = means.shape[1]
        tril = torch.linalg.cholesky(covariance.detach().double())
        inverse = torch.linalg.solve_triangular(
            tril, torch.eye(d, dtype=torch.float64), upper=False
        )
        whitened = means.detach().double() @ inverse.T
        constant = (
            log_priors.detach().double()
            - 0.5 * (whitened * whitened).sum(1)
            - tril.diagonal().log().sum()
            - 0.5 * d * math.log(2 * math.pi)
        )
        dtype = means.dtype
        self.register_buffer("inverse_tril", inverse.to(dtype))
        self.register_buffer("whitened_means", whitened.to(dtype))
        self.register_buffer("constant", constant.to(dtype))

    def class_logits(self, x: Tensor) -> Tensor:
        r"""The logits less their term common to all classes.

        That term, :math:`-\tfrac12 x^\top \Sigma^{-1} x`, leaves the softmax
        unchanged but dwarfs the differences of the logits far from the data;
        without it they are LDA's decision function plus the residual.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Inputs.

        Returns
        -------
        Tensor of shape (n, K)
            :math:`f(x) + \tfrac12 x^\top \Sigma^{-1} x`.
        """
        logits = (x @ self.inverse_tril.T) @ self.whitened_means.T + self.constant
        if self.network is not None:
            logits = logits + self.network(x)
        return logits

    def base_logits(self, x: Tensor) -> Tensor:
        r"""The Gaussian part of the logits.

        That is :math:`\log \pi_k + \log \mathcal{N}(x; \mu_k, \Sigma)`.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Inputs.

        Returns
        -------
        Tensor of shape (n, K)
            The logits without the residual.
        """
        u = x @ self.inverse_tril.T
        return (
            u @ self.whitened_means.T
            - 0.5 * (u * u).sum(1, keepdim=True)
            + self.constant
        )

    def forward(self, x: Tensor) -> Tensor:
        logits = self.base_logits(x)
        if self.network is not None:
            logits = logits + self.network(x)
        return logits

    def sample(
        self, y: Tensor | None, n: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Draw from the class Gaussians (the base without the residual).

        Parameters
        ----------
        y : Tensor of shape (n,) or None
            Class index of each draw; None draws the classes from the priors.
        n : int
            Number of draws.
        generator : torch.Generator, optional
            Source of randomness, on the module's device.

        Returns
        -------
        x : Tensor of shape (n, d)
            The draws.
        y : Tensor of shape (n,)
            Their classes.
        """
        means = self.whitened_means
        if y is None:
            log_priors = self.constant + 0.5 * (means * means).sum(1)
            y = torch.multinomial(
                log_priors.softmax(0), n, replacement=True, generator=generator
            )
        noise = torch.randn(
            n,
            means.shape[1],
            generator=generator,
            device=means.device,
            dtype=means.dtype,
        )
        # x = L (L^{-1} mu_y + noise), with L^{-1} the stored inverse factor.
        u = (means[y] + noise).T
        x = torch.linalg.solve_triangular(self.inverse_tril, u, upper=False).T
        return x, y
