r"""Multi-layer perceptron energy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import torch
from torch import Tensor, nn

__all__ = ["MLPEnergy"]


def _linear(n_in: int, n_out: int, spectral_norm: bool) -> nn.Module:
    layer = nn.Linear(n_in, n_out)
    return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer


def _frequencies(
    n_features: int, n_frequencies: int, scale: float | Sequence[float]
) -> Tensor:
    """Random frequencies of shape ``(n_features, n_frequencies)``, with
    standard deviation ``scale``, or split into one contiguous block per
    scale of a sequence."""
    if isinstance(scale, Real):
        if not scale > 0:
            raise ValueError(f"fourier_scale must be positive, got {scale!r}.")
        if n_frequencies == 0:
            return torch.empty(n_features, 0)
        return torch.randn(n_features, n_frequencies) * scale
    scales = [float(s) for s in scale]
    if not scales or not all(s > 0 for s in scales):
        raise ValueError(
            f"fourier_scale must be a positive float or a non-empty sequence of "
            f"positive floats, got {scale!r}."
        )
    if n_frequencies == 0:
        return torch.empty(n_features, 0)
    if n_frequencies < len(scales):
        raise ValueError(
            f"n_fourier_features={n_frequencies} is smaller than the number of "
            f"scales in fourier_scale={scale!r}: every scale needs a frequency."
        )
    # The first n_frequencies % k scales get one frequency more.
    counts = [n_frequencies // len(scales)] * len(scales)
    for k in range(n_frequencies % len(scales)):
        counts[k] += 1
    column_scales = torch.repeat_interleave(torch.tensor(scales), torch.tensor(counts))
    return torch.randn(n_features, n_frequencies) * column_scales


class MLPEnergy(nn.Module):
    r"""Fully connected energy network :math:`E_\theta : \mathbb{R}^d \to \mathbb{R}`.

    .. math:: E_\theta(x) = g \, (w^\top h_L + c), \quad
        h_{l} = \mathrm{SiLU}(W_l h_{l-1} + b_l), \quad h_0 = \phi(x)

    where :math:`\phi` is the identity or, with ``n_fourier_features > 0``, the
    input concatenated with random Fourier features
    :math:`[\sin(Bx), \cos(Bx)] / \sqrt{m}` of :math:`m` frequencies, the
    columns of :math:`B` fixed at construction (Tancik et al., 2020). Each
    column is drawn from :math:`\mathcal{N}(0, s^2 I)`; with several scales
    :math:`s_1, \dots, s_k` the :math:`m` columns are split into :math:`k`
    contiguous blocks of (nearly) equal size, block :math:`j` with scale
    :math:`s_j`, so the network sees smooth and sharp features at once and
    learns which to use. Fourier features let a small network represent the
    sharp, thin structures of low-dimensional densities; large scales alone
    make it wiggly on smooth ones. Smooth activations and no batch
    normalisation keep :math:`\nabla_x E` well defined for Langevin sampling and
    the network identical in train and eval mode. The gain :math:`g` is 1,
    except with both ``zero_init_output`` and ``spectral_norm``.

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
        Number of random frequencies :math:`m`; 0 disables the Fourier features.
    fourier_scale : float or sequence of float, default=1.0
        Standard deviation :math:`s` of the random frequencies, or several
        standard deviations that share the :math:`m` frequencies evenly (the
        first ``m % k`` scales get one more). A float ``s`` and the sequence
        ``[s]`` give the same frequencies.
    zero_init_output : bool, default=False
        Start with an output of exactly zero, as a residual added to a fitted
        base should: the last layer's weight and bias are set to zero. A
        spectrally normalised weight cannot be zero (it is divided by its
        norm), so with ``spectral_norm`` the bias is zeroed and the output is
        multiplied by a learnable scalar gain :math:`g` (``output_gain``),
        initialised to zero; the Lipschitz bound then scales with
        :math:`|g|`.

    Attributes
    ----------
    frequencies : Tensor of shape (n_features, n_fourier_features)
        The fixed random frequencies :math:`B` (a buffer, saved in the
        ``state_dict``).
    output_gain : Parameter of shape () or None
        The learnable gain :math:`g` with ``zero_init_output`` and
        ``spectral_norm``; None otherwise (:math:`g = 1`).

    References
    ----------
    .. [1] M. Tancik, P. P. Srinivasan, B. Mildenhall et al., "Fourier features
       let networks learn high frequency functions in low dimensional
       domains", NeurIPS 2020.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import MLPEnergy
    >>> _ = torch.manual_seed(0)
    >>> energy = MLPEnergy(2, hidden_layer_sizes=(16, 16))
    >>> energy(torch.randn(5, 2)).shape
    torch.Size([5])

    Fourier features at three scales, 8 frequencies each, and a network that
    starts at exactly zero:

    >>> energy = MLPEnergy(
    ...     2, (16,), n_fourier_features=24, fourier_scale=[1.0, 3.0, 9.0],
    ...     zero_init_output=True,
    ... )
    >>> energy.frequencies.shape
    torch.Size([2, 24])
    >>> energy(torch.randn(5, 2))
    tensor([0., 0., 0., 0., 0.], grad_fn=<SqueezeBackward1>)
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (256, 256),
        *,
        n_outputs: int = 1,
        spectral_norm: bool = False,
        n_fourier_features: int = 0,
        fourier_scale: float | Sequence[float] = 1.0,
        zero_init_output: bool = False,
    ) -> None:
        super().__init__()
        self.n_outputs = int(n_outputs)
        frequencies = _frequencies(n_features, int(n_fourier_features), fourier_scale)
        self.register_buffer("frequencies", frequencies)
        width = n_features + 2 * frequencies.shape[1]
        layers: list[nn.Module] = []
        for size in hidden_layer_sizes:
            layers += [_linear(width, int(size), spectral_norm), nn.SiLU()]
            width = int(size)
        last = _linear(width, self.n_outputs, spectral_norm)
        layers.append(last)
        self.layers = nn.Sequential(*layers)
        gain = zero_init_output and spectral_norm
        self.register_parameter(
            "output_gain", nn.Parameter(torch.zeros(())) if gain else None
        )
        if zero_init_output:
            with torch.no_grad():
                last.bias.zero_()
                if not spectral_norm:
                    last.weight.zero_()

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
        if self.output_gain is not None:
            out = self.output_gain * out
        return out.squeeze(-1) if self.n_outputs == 1 else out
