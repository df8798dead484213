r"""Multi-layer perceptron energy."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["MLPEnergy"]


def _linear(n_in: int, n_out: int, spectral_norm: bool) -> nn.Module:
    layer = nn.Linear(n_in, n_out)
    return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer


class MLPEnergy(nn.Module):
    r"""Fully connected energy network :math:`E_\theta : \mathbb{R}^d \to \mathbb{R}`.

    .. math:: E_\theta(x) = w^\top h_L, \quad
        h_{l} = \mathrm{SiLU}(W_l h_{l-1} + b_l), \quad h_0 = \phi(x)

    where :math:`\phi` is the identity or, with ``n_fourier_features > 0``, the
    input concatenated with random Fourier features
    :math:`[\sin(Bx), \cos(Bx)]`, :math:`B_{ij} \sim \mathcal{N}(0, s^2)` fixed at
    construction (Tancik et al., 2020). Fourier features let a small network
    represent the sharp, thin structures of low-dimensional densities. Smooth
    activations and no batch normalisation keep :math:`\nabla_x E` well defined for
    Langevin sampling and the network identical in train and eval mode.

    Parameters
    ----------
    n_features : int
        Input width :math:`d`.
    hidden_layer_sizes : sequence of int, default=(256, 256)
        Widths of the hidden layers.
    n_outputs : int, default=1
        Output width. With 1 the output is squeezed to shape ``(n,)`` (an energy);
        larger values give logits of shape ``(n, n_outputs)``.
    spectral_norm : bool, default=False
        Apply spectral normalisation to every linear layer (bounds the Lipschitz
        constant of the energy, a stabiliser for contrastive divergence).
    n_fourier_features : int, default=0
        Number of random frequencies; 0 disables the Fourier features.
    fourier_scale : float, default=1.0
        Standard deviation :math:`s` of the random frequencies.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import MLPEnergy
    >>> _ = torch.manual_seed(0)
    >>> energy = MLPEnergy(2, hidden_layer_sizes=(16, 16))
    >>> energy(torch.randn(5, 2)).shape
    torch.Size([5])
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (256, 256),
        *,
        n_outputs: int = 1,
        spectral_norm: bool = False,
        n_fourier_features: int = 0,
        fourier_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.n_outputs = int(n_outputs)
        if n_fourier_features > 0:
            frequencies = torch.randn(n_features, n_fourier_features) * fourier_scale
        else:
            frequencies = torch.empty(n_features, 0)
        self.register_buffer("frequencies", frequencies)
        width = n_features + 2 * frequencies.shape[1]
        layers: list[nn.Module] = []
        for size in hidden_layer_sizes:
            layers += [_linear(width, int(size), spectral_norm), nn.SiLU()]
            width = int(size)
        layers.append(_linear(width, self.n_outputs, spectral_norm))
        self.layers = nn.Sequential(*layers)

    def features(self, x: Tensor) -> Tensor:
        """Input features :math:`\\phi(x)` fed to the first layer.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Inputs.

        Returns
        -------
        Tensor of shape (n, n_features + 2 * n_fourier_features)
            ``x`` itself without Fourier features, otherwise ``x`` followed by
            the sines and then the cosines of its projections on the random
            frequencies, both scaled by ``1 / sqrt(n_fourier_features)``.
        """
        if self.frequencies.shape[1] == 0:
            return x
        projected = x @ self.frequencies
        # 1/sqrt(m) keeps the feature norm independent of the number of frequencies.
        scale = 1.0 / math.sqrt(self.frequencies.shape[1])
        return torch.cat(
            [x, scale * torch.sin(projected), scale * torch.cos(projected)], dim=1
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.layers(self.features(x))
        return out.squeeze(-1) if self.n_outputs == 1 else out
