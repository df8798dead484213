r"""The module trained by noise-contrastive estimation, and its noises."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["DefensiveNoise", "FlowNoise", "NCEModule"]


class NCEModule(nn.Module):
    r"""An energy, its learned log-partition :math:`c` and the noise of NCE.

    ``forward`` returns the unnormalised energy :math:`E(x)`;
    :math:`\log p(x) = -E(x) - c`. The noise's parameters (a flow's) are
    trained with their own optimizer, the energy's and :math:`c` with the
    net's.

    Parameters
    ----------
    energy : torch.nn.Module
        Energy network, ``(n, d) -> (n,)``.
    noise : torch.nn.Module
        Noise distribution with ``sample(n, generator)`` and ``log_prob(x)``.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import MLPEnergy, NCEModule
    >>> from sk_ebm.sampling import Gaussian
    >>> module = NCEModule(MLPEnergy(2, (8,)), Gaussian(torch.zeros(2), torch.eye(2)))
    >>> module(torch.randn(4, 2)).shape, float(module.log_partition.detach())
    (torch.Size([4]), 0.0)
    """

    def __init__(self, energy: nn.Module, noise: nn.Module) -> None:
        super().__init__()
        self.energy = energy
        self.noise = noise
        self.log_partition = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return self.energy(x)


class DefensiveNoise(nn.Module):
    """A noise mixed with a broad Gaussian holding ``weight`` of the mass.

    The broad component keeps noise in the tails and gaps of the data, where
    NCE would otherwise leave the model unconstrained.
    """

    def __init__(self, inner: nn.Module, broad: nn.Module, weight=0.1) -> None:
        super().__init__()
        self.inner = inner
        self.broad = broad
        self.weight = weight

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        x = self.inner.sample(n, generator)
        pick = torch.rand(n, 1, generator=generator, device=self.broad.mean.device)
        return torch.where(pick < self.weight, self.broad.sample(n, generator), x)

    def log_prob(self, x: Tensor) -> Tensor:
        return torch.logaddexp(
            self.inner.log_prob(x) + math.log1p(-self.weight),
            self.broad.log_prob(x) + math.log(self.weight),
        )


class FlowNoise(nn.Module):
    """A zuko neural spline flow whose ``sample`` is driven by a
    ``torch.Generator`` and differentiable in the flow's parameters."""

    def __init__(self, n_features: int, **flow_kwargs) -> None:
        super().__init__()
        import zuko

        kwargs = {"transforms": 3, "hidden_features": (64, 64), **flow_kwargs}
        self.n_features = n_features
        self.flow = zuko.flows.NSF(features=n_features, **kwargs)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        device = next(self.flow.parameters()).device
        # The flow's base is a standard normal: draw it with the generator and
        # push it through the inverse transform (a reparameterised sample).
        eps = torch.randn(n, self.n_features, generator=generator, device=device)
        return self.flow().transform.inv(eps)

    def log_prob(self, x: Tensor) -> Tensor:
        return self.flow().log_prob(x)
