r"""Tractable distributions used as chain initialisations, proposals and AIS bases.

Each is a :class:`torch.nn.Module` whose parameters are buffers (they move with
``.to(device)`` and live in the ``state_dict``), with a ``sample(n, generator)``
that honours a :class:`torch.Generator`, a normalised ``log_prob(x)``, and
``forward(x) = -log_prob(x)`` so that it can serve as a fixed energy.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["Gaussian", "GaussianMixture", "Uniform"]


def _cholesky(covariance: Tensor, jitter: float) -> Tensor:
    eye = torch.eye(
        covariance.shape[-1], dtype=covariance.dtype, device=covariance.device
    )
    return torch.linalg.cholesky(covariance + jitter * eye)


def _fitted_moments(x: Tensor, inflate: float, jitter: float) -> tuple[Tensor, Tensor]:
    mean = x.mean(0)
    centred = x - mean
    covariance = centred.T @ centred / max(x.shape[0] - 1, 1)
    eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    return mean, inflate**2 * covariance + jitter * eye


class Gaussian(nn.Module):
    r"""Multivariate normal :math:`\mathcal{N}(\mu, \Sigma)`.

    .. math:: \log q(x) = -\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)
        - \tfrac12 \log\det(2\pi\Sigma)

    Parameters
    ----------
    mean : Tensor of shape (d,)
        The mean :math:`\mu`.
    covariance : Tensor of shape (d, d)
        The covariance :math:`\Sigma`, symmetric positive definite; only its
        Cholesky factor is kept.
    jitter : float, default=1e-6
        Added to the diagonal of ``covariance`` before the Cholesky
        factorisation.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.sampling import Gaussian
    >>> q = Gaussian(torch.zeros(2), torch.eye(2))
    >>> q.sample(3, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([3, 2])
    >>> round(float(q.log_prob(torch.zeros(1, 2))), 4)  # -log(2 pi)
    -1.8379
    """

    def __init__(self, mean: Tensor, covariance: Tensor, *, jitter: float = 1e-6):
        super().__init__()
        self.register_buffer("mean", mean.detach().clone())
        self.register_buffer("scale_tril", _cholesky(covariance.detach(), jitter))

    @classmethod
    def from_data(
        cls, x: Tensor, *, inflate: float = 1.0, jitter: float = 1e-4
    ) -> Gaussian:
        """Gaussian with the sample mean and ``inflate**2`` times the covariance.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Rows to fit.
        inflate : float, default=1.0
            Factor on the standard deviations: the covariance is ``inflate**2``
            times the sample covariance (of denominator ``n - 1``).
        jitter : float, default=1e-4
            Added to the diagonal of the fitted covariance, which keeps it
            positive definite for constant or collinear features.

        Returns
        -------
        Gaussian
            The fitted distribution, of the dtype and device of ``x``.
        """
        mean, covariance = _fitted_moments(x, inflate, jitter)
        return cls(mean, covariance)

    @property
    def n_features(self) -> int:
        """Dimension :math:`d` of the distribution."""
        return self.mean.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` independent rows.

        Parameters
        ----------
        n : int
            Number of rows to draw.
        generator : torch.Generator, optional
            Source of randomness, on the distribution's device; None uses
            torch's global generator.

        Returns
        -------
        Tensor of shape (n, d)
            The draws, of the dtype and device of ``mean``.
        """
        noise = torch.randn(
            n,
            self.n_features,
            generator=generator,
            device=self.mean.device,
            dtype=self.mean.dtype,
        )
        return self.mean + noise @ self.scale_tril.T

    def log_prob(self, x: Tensor) -> Tensor:
        """Normalised log-density :math:`\\log q(x)` of each row.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Rows to evaluate.

        Returns
        -------
        Tensor of shape (n,)
            :math:`\\log q(x)` per row.
        """
        # The (d, d) inverse costs d^3, less than the n d^2 of solving for n
        # rows, and the product with it is a fast matrix multiplication.
        eye = torch.eye(self.n_features, dtype=x.dtype, device=x.device)
        inverse = torch.linalg.solve_triangular(
            self.scale_tril.to(x.dtype), eye, upper=False
        )
        z = (x - self.mean) @ inverse.T
        half_log_det = self.scale_tril.diagonal().log().sum()
        return (
            -0.5 * (z * z).sum(1)
            - half_log_det
            - 0.5 * self.n_features * math.log(2 * math.pi)
        )

    def forward(self, x: Tensor) -> Tensor:
        return -self.log_prob(x)


class GaussianMixture(nn.Module):
    r"""Mixture of multivariate normals.

    .. math:: q(x) = \sum_{k=1}^K w_k \mathcal{N}(x; \mu_k, \Sigma_k)

    Parameters
    ----------
    weights : Tensor of shape (K,)
        Weights :math:`w_k`, non-negative; normalised internally.
    means : Tensor of shape (K, d)
        Component means :math:`\mu_k`.
    covariances : Tensor of shape (K, d, d)
        Component covariances :math:`\Sigma_k`, symmetric positive definite.
    jitter : float, default=1e-6
        Added to the diagonal of each covariance before the Cholesky
        factorisation.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.sampling import GaussianMixture
    >>> q = GaussianMixture(
    ...     torch.tensor([0.5, 0.5]),
    ...     torch.tensor([[-2.0, 0.0], [2.0, 0.0]]),
    ...     torch.eye(2).repeat(2, 1, 1),
    ... )
    >>> q.sample(4, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        weights: Tensor,
        means: Tensor,
        covariances: Tensor,
        *,
        jitter: float = 1e-6,
    ):
        super().__init__()
        weights = weights.detach().clamp_min(0)
        self.register_buffer("log_weights", (weights / weights.sum()).log())
        self.register_buffer("means", means.detach().clone())
        scale_trils = _cholesky(covariances.detach(), jitter)
        self.register_buffer("scale_trils", scale_trils)
        eye = torch.eye(scale_trils.shape[-1], dtype=scale_trils.dtype).expand_as(
            scale_trils
        )
        inverse = torch.linalg.solve_triangular(scale_trils, eye, upper=False)
        self.register_buffer("inverse_trils", inverse)

    @property
    def n_features(self) -> int:
        """Dimension :math:`d` of the distribution."""
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` independent rows: a component by its weight, then a normal.

        Parameters
        ----------
        n : int
            Number of rows to draw.
        generator : torch.Generator, optional
            Source of randomness, on the distribution's device; None uses
            torch's global generator.

        Returns
        -------
        Tensor of shape (n, d)
            The draws, of the dtype and device of ``means``.
        """
        components = torch.multinomial(
            self.log_weights.exp(), n, replacement=True, generator=generator
        )
        noise = torch.randn(
            n,
            self.n_features,
            generator=generator,
            device=self.means.device,
            dtype=self.means.dtype,
        )
        # One product per component: gathering a (d, d) factor per row would
        # take n d^2 memory.
        draws = self.means[components]
        for k in range(self.means.shape[0]):
            rows = components == k
            draws[rows] += noise[rows] @ self.scale_trils[k].T
        return draws

    def log_prob(self, x: Tensor) -> Tensor:
        """Normalised log-density :math:`\\log q(x)` of each row.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Rows to evaluate.

        Returns
        -------
        Tensor of shape (n,)
            :math:`\\log \\sum_k w_k \\mathcal{N}(x; \\mu_k, \\Sigma_k)` per row.
        """
        # z_k = L_k^{-1} (x - mu_k) for all K components as a single (d, K d) matmul.
        n_components, d = self.means.shape
        inverse = self.inverse_trils
        weights = inverse.transpose(1, 2).permute(1, 0, 2).reshape(d, -1)
        offsets = torch.matmul(self.means.unsqueeze(1), inverse.transpose(1, 2))
        z = (x @ weights).view(-1, n_components, d) - offsets.view(1, n_components, d)
        half_log_det = self.scale_trils.diagonal(dim1=1, dim2=2).log().sum(1)
        log_components = (
            -0.5 * (z * z).sum(2) - half_log_det - 0.5 * d * math.log(2 * math.pi)
        )
        return torch.logsumexp(log_components + self.log_weights, dim=1)

    def forward(self, x: Tensor) -> Tensor:
        return -self.log_prob(x)


class Uniform(nn.Module):
    r"""Uniform distribution on the box :math:`[a, b] \subset \mathbb{R}^d`.

    Parameters
    ----------
    low, high : Tensor of shape (d,)
        Lower and upper corners :math:`a` and :math:`b` of the box,
        ``low <= high``; a coordinate with ``low == high`` gives constant draws
        and makes :meth:`log_prob` infinite on the box.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.sampling import Uniform
    >>> q = Uniform(-torch.ones(2), torch.ones(2))
    >>> float(q.log_prob(torch.zeros(1, 2)))  # -log(area 4)
    -1.386...
    """

    def __init__(self, low: Tensor, high: Tensor):
        super().__init__()
        self.register_buffer("low", low.detach().clone())
        self.register_buffer("high", high.detach().clone())

    @classmethod
    def from_data(cls, x: Tensor, *, margin: float = 0.0) -> Uniform:
        """Box spanning the data's range, widened by ``margin`` times its width.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Rows to span.
        margin : float, default=0.0
            Share of each coordinate's width added on both sides. The width
            counts as at least 1e-3 there, so that with ``margin > 0`` a constant
            feature still gets a box of positive width.

        Returns
        -------
        Uniform
            The box, of the dtype and device of ``x``.
        """
        low, high = x.min(0).values, x.max(0).values
        width = (high - low).clamp_min(1e-3)
        return cls(low - margin * width, high + margin * width)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` independent rows.

        Parameters
        ----------
        n : int
            Number of rows to draw.
        generator : torch.Generator, optional
            Source of randomness, on the distribution's device; None uses
            torch's global generator.

        Returns
        -------
        Tensor of shape (n, d)
            The draws, of the dtype and device of ``low``.
        """
        u = torch.rand(
            n,
            self.low.shape[0],
            generator=generator,
            device=self.low.device,
            dtype=self.low.dtype,
        )
        return self.low + u * (self.high - self.low)

    def log_prob(self, x: Tensor) -> Tensor:
        """Normalised log-density of each row.

        Parameters
        ----------
        x : Tensor of shape (n, d)
            Rows to evaluate.

        Returns
        -------
        Tensor of shape (n,)
            Minus the log-volume of the box for rows inside it (boundary
            included), ``-inf`` outside.
        """
        inside = ((x >= self.low) & (x <= self.high)).all(1)
        log_volume = (self.high - self.low).log().sum()
        return torch.where(inside, -log_volume, torch.full_like(x[:, 0], -math.inf))

    def forward(self, x: Tensor) -> Tensor:
        return -self.log_prob(x)
