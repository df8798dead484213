r"""A quadratic energy: a Gaussian with a learnable mean and precision."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["QuadraticEnergy"]


class QuadraticEnergy(nn.Module):
    r"""Quadratic energy :math:`E(x) = \tfrac12 \lVert L^\top (x - \mu) \rVert^2`.

    :math:`L` is lower triangular with a positive diagonal (stored as its
    logarithm), so the precision :math:`P = L L^\top` is positive definite and
    :math:`e^{-E}` is a Gaussian density up to its normaliser, known exactly:

    .. math:: \log Z = \tfrac d2 \log 2\pi - \sum_j \log L_{jj}.

    Useful as a known-answer model (estimators that learn :math:`\log Z` can be
    checked against :meth:`log_partition`) and as the simplest density model.

    Parameters
    ----------
    n_features : int
        Input dimension :math:`d`.

    Attributes
    ----------
    mean : Parameter of shape (d,)
        :math:`\mu`, initialised at 0.
    raw_tril : Parameter of shape (d, d)
        Strict lower triangle of :math:`L` below the diagonal and
        :math:`\log L_{jj}` on it; initialised at 0 (:math:`P = I`).

    Examples
    --------
    >>> import math, torch
    >>> from sk_ebm.nn import QuadraticEnergy
    >>> energy = QuadraticEnergy(2)
    >>> energy(torch.zeros(1, 2))
    tensor([0.], grad_fn=<MulBackward0>)
    >>> round(energy.log_partition().item(), 4) == round(math.log(2 * math.pi), 4)
    True
    """

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.n_features = int(n_features)
        self.mean = nn.Parameter(torch.zeros(self.n_features))
        self.raw_tril = nn.Parameter(torch.zeros(self.n_features, self.n_features))

    def cholesky(self) -> Tensor:
        """Compute the factor :math:`L` of the precision :math:`P = L L^\\top`.

        Returns
        -------
        Tensor of shape (d, d)
            Lower triangular, with the exponential of the diagonal of
            ``raw_tril`` on its diagonal; differentiable in ``raw_tril``.
        """
        return self.raw_tril.tril(-1) + torch.diag_embed(self.raw_tril.diagonal().exp())

    def forward(self, x: Tensor) -> Tensor:
        z = (x - self.mean) @ self.cholesky()
        return 0.5 * (z * z).sum(1)

    def log_partition(self) -> Tensor:
        r"""Compute the exact log-normaliser of :math:`e^{-E}`.

        Returns
        -------
        Tensor of shape ()
            :math:`\log Z = \log \int e^{-E(x)} dx
            = \tfrac d2 \log 2\pi - \sum_j \log L_{jj}`, differentiable in
            ``raw_tril``.
        """
        log_diag = self.raw_tril.diagonal().sum()
        return 0.5 * self.n_features * math.log(2 * math.pi) - log_diag
