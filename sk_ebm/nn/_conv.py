r"""Small convolutional energy for image inputs given as flat rows."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

__all__ = ["ConvEnergy"]


def _maybe_sn(layer: nn.Module, spectral_norm: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer


class ConvEnergy(nn.Module):
    r"""Convolutional energy :math:`E_\theta(x)` of images stored as flat rows.

    Rows of length :math:`H W C` are reshaped to ``image_shape`` (channels last, as
    numpy images usually are), then pass through blocks of
    ``3x3 conv -> SiLU -> 2x2 average pool`` (pooling while the map is at least
    4 pixels wide), a global average pool and a two-layer head:

    .. math:: E_\theta(x) = w^\top \mathrm{SiLU}(W\, \mathrm{GAP}(\mathrm{conv}(x)))

    Global average pooling makes the same network valid for 8x8 digits, 28x28
    or 32x32x3 images.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)``.
    channels : sequence of int, default=(32, 64)
        Output channels of the convolution blocks.
    hidden_size : int, default=128
        Width of the dense head.
    n_outputs : int, default=1
        1 gives energies of shape ``(n,)``; more gives logits ``(n, n_outputs)``.
    spectral_norm : bool, default=False
        Spectral normalisation on every convolution and linear layer.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import ConvEnergy
    >>> energy = ConvEnergy((8, 8), channels=(4, 8), hidden_size=16)
    >>> energy(torch.randn(3, 64)).shape
    torch.Size([3])
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        channels: Sequence[int] = (32, 64),
        hidden_size: int = 128,
        *,
        n_outputs: int = 1,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        shape = tuple(int(s) for s in image_shape)
        if len(shape) == 2:
            shape = (*shape, 1)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(
                f"image_shape must be (height, width) or (height, width, channels) "
                f"with positive sizes, got {tuple(image_shape)}."
            )
        self.image_shape = shape
        self.n_outputs = int(n_outputs)
        blocks: list[nn.Module] = []
        in_channels, size = shape[2], min(shape[:2])
        for out_channels in channels:
            conv = nn.Conv2d(in_channels, int(out_channels), 3, padding=1)
            blocks += [_maybe_sn(conv, spectral_norm), nn.SiLU()]
            if size >= 4:
                blocks.append(nn.AvgPool2d(2))
                size //= 2
            in_channels = int(out_channels)
        blocks += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            _maybe_sn(nn.Linear(in_channels, hidden_size), spectral_norm),
            nn.SiLU(),
            _maybe_sn(nn.Linear(hidden_size, self.n_outputs), spectral_norm),
        )

    def forward(self, x: Tensor) -> Tensor:
        height, width, n_channels = self.image_shape
        n_values = math.prod(x.shape[1:])
        if x.dim() < 2 or n_values != height * width * n_channels:
            raise ValueError(
                f"ConvEnergy with image_shape={self.image_shape} expects rows of "
                f"{height * width * n_channels} values, got input of shape "
                f"{tuple(x.shape)}."
            )
        images = x.reshape(x.shape[0], height, width, n_channels)
        images = images.permute(0, 3, 1, 2)
        out = self.head(self.features(images))
        return out.squeeze(-1) if self.n_outputs == 1 else out
