r"""An energy network tilting a fixed base density."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["ResidualEnergy"]


class ResidualEnergy(nn.Module):
    r"""Learned energy plus a fixed base energy.

    .. math:: E(x) = E_\theta(x) + E_0(x), \qquad
        p(x) \propto q_0(x)\, e^{-E_\theta(x)} \text{ when } E_0 = -\log q_0

    A base energy that grows quadratically (the negative log-density of a
    Gaussian or a Gaussian mixture) keeps :math:`\exp(-E)` integrable whatever
    the network learns, since an MLP energy grows at most linearly; a base fitted
    to the data also starts training from a sensible density. The base has no
    trainable parameters: its tensors are buffers, so it moves with ``.to()`` and
    is saved in the ``state_dict``.

    Parameters
    ----------
    energy : torch.nn.Module
        Trainable energy network, ``(n, d) -> (n,)``.
    base : torch.nn.Module
        Fixed energy ``(n, d) -> (n,)``; its parameters are frozen.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import MLPEnergy, ResidualEnergy
    >>> from sk_ebm.sampling import Gaussian
    >>> base = Gaussian(torch.zeros(2), torch.eye(2))
    >>> energy = ResidualEnergy(MLPEnergy(2, (8,)), base)
    >>> energy(torch.randn(4, 2)).shape
    torch.Size([4])
    """

    def __init__(self, energy: nn.Module, base: nn.Module) -> None:
        super().__init__()
        self.energy = energy
        self.base = base
        for parameter in self.base.parameters():
            parameter.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        return self.energy(x) + self.base(x)
