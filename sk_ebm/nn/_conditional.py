r"""Conditional energies :math:`E(x, y)` of a scalar target, for regression."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from sk_ebm.nn._mlp import _frequencies

__all__ = ["ConditionalMLPEnergy", "ConditionalResidualEnergy", "LinearGaussianEnergy"]


class ConditionalMLPEnergy(nn.Module):
    r"""Energy network :math:`E_\theta(x, y)` of inputs and a scalar target.

    .. math:: h_1 = \mathrm{SiLU}(W_x x + W_y \phi(y) + b_1), \quad
        h_{l} = \mathrm{SiLU}(W_l h_{l-1} + b_l), \quad E = w^\top h_L + c

    with the target embedded as :math:`\phi(y) = [y, \sin(B y), \cos(B y)] /
    \sqrt{m}` by :math:`m` random frequencies :math:`B` fixed at construction
    (several scales share them, as in :class:`~sk_ebm.nn.MLPEnergy`), so that
    a small network resolves narrow or several modes of :math:`p(y \mid x)`.
    The first layer's input part is computed once per row and its target part
    once per candidate target, so that scoring a grid of ``K`` targets for
    each row costs one small network pass per (row, target) pair after the
    first layer.

    Parameters
    ----------
    n_features : int
        Width :math:`d` of the inputs :math:`x`.
    hidden_layer_sizes : sequence of int, default=(64, 64)
        Widths of the hidden layers (at least one).
    n_fourier_features : int, default=32
        Number of random frequencies :math:`m` of the target embedding; 0 uses
        :math:`y` alone.
    fourier_scale : float or sequence of float, default=(1.0, 3.0, 10.0)
        Standard deviation(s) of the frequencies, in units of the
        standardised target.
    zero_init_output : bool, default=False
        Start with an output of exactly zero (a residual on a fitted base).
    n_input_fourier_features : int, default=0
        Random Fourier features of the inputs added to them (as in
        :class:`~sk_ebm.nn.MLPEnergy`): they let the density change quickly
        with low-dimensional inputs. 0 feeds the inputs alone.
    input_fourier_scale : float or sequence of float, default=(0.5, 1.0, 2.0)
        Standard deviation(s) of the input frequencies.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import ConditionalMLPEnergy
    >>> energy = ConditionalMLPEnergy(3, (16,))
    >>> x, grid = torch.randn(5, 3), torch.linspace(-2, 2, 7)
    >>> energy(x, grid.expand(5, 7)).shape
    torch.Size([5, 7])
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (64, 64),
        n_fourier_features: int = 32,
        fourier_scale: float | Sequence[float] = (1.0, 3.0, 10.0),
        zero_init_output: bool = False,
        n_input_fourier_features: int = 0,
        input_fourier_scale: float | Sequence[float] = (0.5, 1.0, 2.0),
    ) -> None:
        super().__init__()
        sizes = [int(h) for h in hidden_layer_sizes]
        if not sizes:
            raise ValueError("hidden_layer_sizes needs at least one layer.")
        self.register_buffer(
            "frequencies", _frequencies(1, int(n_fourier_features), fourier_scale)[0]
        )
        self.register_buffer(
            "input_frequencies",
            _frequencies(
                n_features, int(n_input_fourier_features), input_fourier_scale
            ),
        )
        width_y = 1 + 2 * self.frequencies.shape[0]
        width_x = n_features + 2 * self.input_frequencies.shape[1]
        self.input_layer = nn.Linear(width_x, sizes[0])
        self.target_layer = nn.Linear(width_y, sizes[0], bias=False)
        layers: list[nn.Module] = [nn.SiLU()]
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Linear(n_in, n_out), nn.SiLU()]
        last = nn.Linear(sizes[-1], 1)
        layers.append(last)
        self.layers = nn.Sequential(*layers)
        if zero_init_output:
            with torch.no_grad():
                last.weight.zero_()
                last.bias.zero_()

    def embed(self, y: Tensor) -> Tensor:
        """Embedding :math:`\\phi(y)` of targets of any shape ``s``.

        Parameters
        ----------
        y : Tensor of shape s
            Standardised targets.

        Returns
        -------
        Tensor of shape (*s, 1 + 2 * n_fourier_features)
            ``y``, then the sines and the cosines of its random projections,
            these scaled by ``1 / sqrt(n_fourier_features)``.
        """
        y = y.unsqueeze(-1)
        if self.frequencies.shape[0] == 0:
            return y
        projected = y * self.frequencies
        scale = 1.0 / math.sqrt(self.frequencies.shape[0])
        return torch.cat(
            [y, scale * torch.sin(projected), scale * torch.cos(projected)], -1
        )

    def _input_features(self, x: Tensor) -> Tensor:
        m = self.input_frequencies.shape[1]
        if m == 0:
            return x
        projected = x @ self.input_frequencies.to(x.dtype)
        scale = 1.0 / math.sqrt(m)
        return torch.cat(
            [x, scale * torch.sin(projected), scale * torch.cos(projected)], 1
        )

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        # x: (n, d); y: (n, K) candidate targets per row -> (n, K) energies.
        hidden = self.input_layer(self._input_features(x)).unsqueeze(
            1
        ) + self.target_layer(self.embed(y))
        return self.layers(hidden).squeeze(-1)


class LinearGaussianEnergy(nn.Module):
    r"""Fixed energy of a linear-Gaussian conditional density.

    .. math:: E_0(x, y) = \frac{(y - a^\top x - b)^2}{2 \sigma^2}

    the negative log-density of :math:`\mathcal{N}(y; a^\top x + b,
    \sigma^2)` up to its constant :math:`\log \sqrt{2 \pi} \sigma`. Its
    tensors are buffers: it moves with ``.to()``, is saved in the
    ``state_dict`` and is never trained.

    Parameters
    ----------
    coef : Tensor of shape (n_features,)
        The slope :math:`a`.
    intercept : float
        The intercept :math:`b`.
    std : float
        The standard deviation :math:`\sigma > 0`.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import LinearGaussianEnergy
    >>> base = LinearGaussianEnergy(torch.tensor([2.0]), 1.0, 0.5)
    >>> base(torch.tensor([[1.0]]), torch.tensor([[3.0, 3.5]]))
    tensor([[0.0000, 0.5000]])
    """

    def __init__(self, coef: Tensor, intercept: float, std: float) -> None:
        super().__init__()
        self.register_buffer("coef", torch.as_tensor(coef, dtype=torch.float32))
        self.register_buffer("intercept", torch.tensor(float(intercept)))
        self.register_buffer("std", torch.tensor(float(std)))

    def mean(self, x: Tensor) -> Tensor:
        """The conditional mean :math:`a^\\top x + b` of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Inputs.

        Returns
        -------
        Tensor of shape (n,)
            The means.
        """
        return x @ self.coef.to(x.dtype) + self.intercept.to(x.dtype)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        residual = (y - self.mean(x).unsqueeze(1)) / self.std.to(x.dtype)
        return 0.5 * residual**2


class ConditionalResidualEnergy(nn.Module):
    r"""Learned conditional energy plus a fixed base energy.

    .. math:: E(x, y) = E_0(x, y) + r_\theta(x, y)

    Either part may be None (the base alone, or the network alone).

    Parameters
    ----------
    energy : torch.nn.Module or None
        Trainable network, ``(x (n, d), y (n, K)) -> (n, K)``.
    base : torch.nn.Module or None
        Fixed energy of the same signature; its parameters are frozen.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import (
    ...     ConditionalMLPEnergy, ConditionalResidualEnergy, LinearGaussianEnergy
    ... )
    >>> base = LinearGaussianEnergy(torch.zeros(2), 0.0, 1.0)
    >>> energy = ConditionalResidualEnergy(
    ...     ConditionalMLPEnergy(2, (8,), zero_init_output=True), base
    ... )
    >>> y = torch.tensor([[0.0, 2.0]])
    >>> energy(torch.zeros(1, 2), y)
    tensor([[0., 2.]], grad_fn=<AddBackward0>)
    """

    def __init__(self, energy: nn.Module | None, base: nn.Module | None) -> None:
        super().__init__()
        if energy is None and base is None:
            raise ValueError("A conditional energy needs a network or a base.")
        self.energy = energy
        self.base = base
        if base is not None:
            for parameter in base.parameters():
                parameter.requires_grad_(False)

    def residual(self, x: Tensor, y: Tensor) -> Tensor:
        """The learned part :math:`r_\\theta(x, y)` (zeros without a network).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Inputs.
        y : Tensor of shape (n, K)
            Candidate targets of each row.

        Returns
        -------
        Tensor of shape (n, K)
            The residual energies.
        """
        if self.energy is None:
            return torch.zeros_like(y)
        return self.energy(x, y)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if self.base is None:
            return self.energy(x, y)
        if self.energy is None:
            return self.base(x, y)
        return self.energy(x, y) + self.base(x, y)
