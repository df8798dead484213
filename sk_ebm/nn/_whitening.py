r"""A fixed whitening map that keeps the directions of zero variance aside."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["FixedLinear", "Whitening"]


class Whitening(nn.Module):
    r"""Rotation and scaling onto the principal axes of a Gaussian, split in two.

    With the eigendecomposition :math:`\Sigma = V \Lambda V^\top` of a
    covariance, the whitened coordinates of a centred row :math:`s` are
    :math:`u = \Lambda^{-1/2} V^\top s`, standard normal when :math:`s \sim
    \mathcal{N}(0, \Sigma)`. The axes are split into the ``rank`` *retained*
    ones, :math:`z = u_{1..r}`, which :meth:`forward` returns (the space the
    energy network sees), and the *outside* ones, :math:`u_{r+1..d}`, along
    which the data did not vary: a model of :math:`z` is extended to all of
    :math:`\mathbb{R}^d` by a standard normal along them,

    .. math:: \log p(s) = \log p(z) - \tfrac12 \lVert u_{r+1..d} \rVert^2
        - \tfrac{d-r}2 \log 2\pi - \tfrac12 \log\det\Sigma

    (:meth:`outside_energy` and :meth:`log_normaliser`), so that a standard
    normal :math:`p(z)` gives back :math:`\mathcal{N}(0, \Sigma)` exactly.

    Parameters
    ----------
    components : Tensor of shape (d, d)
        Orthonormal axes :math:`V` as columns, the ``rank`` retained ones first;
        float64 keeps a row's coordinates exact to double precision.
    variances : Tensor of shape (d,)
        Variance :math:`\Lambda` along each axis, positive.
    rank : int
        Number of retained axes, ``1 <= rank <= d``.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import Whitening
    >>> w = Whitening(torch.eye(3), torch.tensor([4.0, 1.0, 0.01]), rank=2)
    >>> w(torch.tensor([[2.0, 1.0, 0.1]]))
    tensor([[1., 1.]])
    >>> w.outside_energy(torch.tensor([[2.0, 1.0, 0.1]]))
    tensor([0.5000])
    """

    def __init__(self, components: Tensor, variances: Tensor, rank: int) -> None:
        super().__init__()
        rank = int(rank)
        std = variances.detach().sqrt()
        axes = components.detach()
        self.register_buffer("components", axes[:, :rank].clone())
        self.register_buffer("std", std[:rank].clone())
        self.register_buffer("outside_components", axes[:, rank:].clone())
        self.register_buffer("outside_std", std[rank:].clone())

    @classmethod
    def identity(cls, n_features: int, rank: int | None = None) -> Whitening:
        """The identity map (a placeholder that a ``load_state_dict`` fills).

        Parameters
        ----------
        n_features : int
            Input width :math:`d`.
        rank : int, default=None
            Retained axes; None keeps all ``n_features``.

        Returns
        -------
        Whitening
            Unit variances along the canonical axes, in float64.
        """
        rank = n_features if rank is None else rank
        eye = torch.eye(n_features, dtype=torch.float64)
        return cls(eye, torch.ones(n_features, dtype=torch.float64), rank)

    @property
    def rank(self) -> int:
        """Number of retained axes :math:`r`, the width of :meth:`forward`."""
        return self.components.shape[1]

    def unwhitening(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """The matrix that maps retained coordinates back to centred rows.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float32
            Its precision.

        Returns
        -------
        Tensor of shape (rank, d)
            :math:`\\Lambda_r^{1/2} V_r^\\top`, so that :math:`s = z M` on the
            data's subspace.
        """
        return (self.std[:, None] * self.components.T).to(dtype)

    def _cast(self, name: str, like: Tensor) -> Tensor:
        return getattr(self, name).to(dtype=like.dtype)

    def forward(self, s: Tensor) -> Tensor:
        return (s @ self._cast("components", s)) / self._cast("std", s)

    def outside_energy(self, s: Tensor) -> Tensor:
        r"""Energy of the standard normal along the outside axes.

        Parameters
        ----------
        s : Tensor of shape (n, d)
            Centred rows.

        Returns
        -------
        Tensor of shape (n,)
            :math:`\tfrac12 \lVert u_{r+1..d} \rVert^2` per row; zeros when no
            axis is outside.
        """
        u = (s @ self._cast("outside_components", s)) / self._cast("outside_std", s)
        return 0.5 * (u * u).sum(1)

    def log_normaliser(self) -> float:
        r"""Log-density of :math:`z` minus that of :math:`s`, less the outside energy.

        That is :math:`\tfrac{d-r}2 \log 2\pi + \tfrac12 \log\det\Sigma`.

        Returns
        -------
        float
            The constant, in float64.
        """
        log_std = self.std.double().log().sum() + self.outside_std.double().log().sum()
        n_outside = self.outside_std.shape[0]
        return float(log_std) + 0.5 * n_outside * math.log(2 * math.pi)

    def inverse(self, z: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Rows of the centred space whose retained coordinates are ``z``.

        Parameters
        ----------
        z : Tensor of shape (n, rank)
            Retained whitened coordinates.
        generator : torch.Generator, optional
            Draws the outside coordinates from their standard normal; None sets
            them to zero (the projection onto the retained axes).

        Returns
        -------
        Tensor of shape (n, d)
            :math:`V \\Lambda^{1/2} u` with :math:`u = (z, u_{r+1..d})`.
        """
        s = (z * self._cast("std", z)) @ self._cast("components", z).T
        n_outside = self.outside_std.shape[0]
        if generator is not None and n_outside:
            u = torch.randn(
                z.shape[0],
                n_outside,
                generator=generator,
                device=z.device,
                dtype=z.dtype,
            )
            s = (
                s
                + (u * self._cast("outside_std", z))
                @ self._cast("outside_components", z).T
            )
        return s


class FixedLinear(nn.Module):
    r"""A fixed linear map :math:`x \mapsto x W` (a buffer, not trained).

    Placed before a network, it lets the network see other coordinates than
    the space it is evaluated in: an :class:`~sk_ebm.EnergyClassifier` samples
    in the whitened space while its residual network sees the standardised
    features, :math:`s = z \Lambda^{1/2} V^\top`, which suit an MLP's
    initialisation better than unit-variance noise directions.

    Parameters
    ----------
    weight : Tensor of shape (d_in, d_out)
        The matrix :math:`W`.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import FixedLinear
    >>> FixedLinear(2 * torch.eye(2))(torch.ones(1, 2))
    tensor([[2., 2.]])
    """

    def __init__(self, weight: Tensor) -> None:
        super().__init__()
        self.register_buffer("weight", weight.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.to(x.dtype)
