r"""Langevin purification: logits averaged over inputs refined toward high p(x)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from sk_ebm.nn._discriminant import GaussianDiscriminant

__all__ = ["PurifiedLogits", "langevin_purify"]


def langevin_purify(
    energy,
    z: Tensor,
    *,
    steps: int,
    step_size: float,
    noise: float,
    init_noise: float = 0.0,
    generator: torch.Generator | None = None,
    draws: Tensor | None = None,
    create_graph: bool = False,
) -> Tensor:
    r"""Refine ``z`` by a few Langevin steps down the energy, differentiably.

    .. math::
        z_0 = z + \sigma_0 \xi_0, \qquad
        z_{t+1} = z_t - a \nabla E(z_t) + \sigma \xi_{t+1}

    with ``init_noise`` :math:`\sigma_0`, ``step_size`` :math:`a` and
    ``noise`` :math:`\sigma` (JEM's purification, Grathwohl et al., 2020).
    Unlike :func:`sk_ebm.sampling.langevin`, with ``create_graph`` the result
    keeps its graph to ``z``: the gradient of a loss of the result is the full
    derivative through every step (second derivatives of the energy).
    Without it the result is detached.

    Parameters
    ----------
    energy : callable
        Maps ``(n, d)`` to energies ``(n,)``.
    z : Tensor of shape (n, d)
        The rows to purify.
    steps : int
        Langevin steps :math:`K \geq 0`.
    step_size, noise, init_noise : float
        :math:`a`, :math:`\sigma` and :math:`\sigma_0`.
    generator : torch.Generator, optional
        Source of the noise.
    draws : Tensor of shape (steps + 1, n, d), optional
        The standard normal draws of the noise, the initial one first, in
        place of ``generator``'s: a row's draws can then depend on the row
        alone, not on its position among the others.
    create_graph : bool, default=False
        Keep the graph through the steps (``z`` must require gradients).

    Returns
    -------
    Tensor of shape (n, d)
        The purified rows.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import langevin_purify
    >>> quadratic = lambda z: 0.5 * (z**2).sum(1)
    >>> z = torch.full((3, 2), 1.0)
    >>> langevin_purify(quadratic, z, steps=1, step_size=0.5, noise=0.0)
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000],
            [0.5000, 0.5000]])
    """

    def randn(index):
        if draws is not None:
            return draws[index].to(device=z.device, dtype=z.dtype)
        return torch.randn(z.shape, generator=generator, device=z.device, dtype=z.dtype)

    x = z + init_noise * randn(0) if init_noise > 0 else z
    with torch.enable_grad():
        for step in range(steps):
            if not create_graph:
                x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(energy(x).sum(), x, create_graph=create_graph)
            x = x - step_size * grad
            if noise > 0:
                x = x + noise * randn(step + 1)
    return x if create_graph else x.detach()


class PurifiedLogits(nn.Module):
    r"""Logits of a classifier averaged over Langevin-purified copies of its input.

    Each row is copied ``chains`` times, each copy is refined by
    :func:`langevin_purify` on the classifier's energy
    :math:`E(z) = -\log\sum_y e^{f(z)[y]}`, and the output is the log of the
    class probabilities averaged over the copies (JEM-K; Grathwohl et al.,
    2020), whose softmax is that average. Gradients flow through the
    purification: in full (``straight_through=False``, second derivatives of
    the energy) or straight through it (BPDA: the purified rows count as the
    noisy input plus a constant; Athalye et al., 2018).

    Parameters
    ----------
    logits : torch.nn.Module
        The logits network ``(n, d) -> (n, K)``, the energy's too.
    steps : int
        Langevin steps per chain.
    step_size, noise, init_noise : float
        As in :func:`langevin_purify`.
    chains : int
        Purified copies per row.
    straight_through : bool, default=False
        Differentiate straight through the purification (BPDA).
    seed : int, default=0
        Seeds the module's own generator, created on the input's device at the
        first call; successive calls draw fresh noise (:meth:`reseed` restarts it).

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import PurifiedLogits
    >>> model = PurifiedLogits(torch.nn.Linear(4, 3), steps=2, step_size=0.1,
    ...                        noise=0.01, init_noise=0.03, chains=5)
    >>> model(torch.randn(8, 4)).exp().sum(1).allclose(torch.ones(8))
    True
    """

    def __init__(
        self,
        logits: nn.Module,
        *,
        steps: int,
        step_size: float,
        noise: float,
        init_noise: float,
        chains: int,
        straight_through: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.logits = logits
        self.steps = int(steps)
        self.step_size = float(step_size)
        self.noise = float(noise)
        self.init_noise = float(init_noise)
        self.chains = int(chains)
        self.straight_through = straight_through
        self.seed = int(seed)
        self.generator: torch.Generator | None = None

    def reseed(self, seed: int | None = None) -> PurifiedLogits:
        """Restart the noise of the module's own generator.

        Parameters
        ----------
        seed : int, default=None
            The new seed; None keeps ``seed``.

        Returns
        -------
        self : PurifiedLogits
            The module, whose next call draws its noise from the start.
        """
        if seed is not None:
            self.seed = int(seed)
        self.generator = None
        return self

    def energy(self, z: Tensor) -> Tensor:
        """The classifier's energy, the one the purification descends.

        Parameters
        ----------
        z : Tensor of shape (n, d)
            Inputs.

        Returns
        -------
        Tensor of shape (n,)
            :math:`-\\log\\sum_y e^{f(z)[y]}`.
        """
        return -torch.logsumexp(self.logits(z), dim=1)

    def class_logits(self, z: Tensor) -> Tensor:
        """The logits of ``z`` without purification.

        Parameters
        ----------
        z : Tensor of shape (n, d)
            Inputs.

        Returns
        -------
        Tensor of shape (n, K)
            The logits; a discriminant base's less their term common to all
            classes.
        """
        if isinstance(self.logits, GaussianDiscriminant):
            return self.logits.class_logits(z)
        return self.logits(z)

    def purify(
        self,
        z: Tensor,
        generator: torch.Generator | None = None,
        draws: Tensor | None = None,
    ) -> Tensor:
        """The purified copies of the inputs.

        Parameters
        ----------
        z : Tensor of shape (n, d)
            Inputs.
        generator : torch.Generator, default=None
            Source of the noise; None: the module's own.
        draws : Tensor of shape (steps + 1, chains * n, d), default=None
            The noise's standard normal draws instead, as in
            :func:`langevin_purify`.

        Returns
        -------
        Tensor of shape (chains * n, d)
            The copies after purification, chain after chain.
        """
        if generator is None and draws is None:
            if self.generator is None or self.generator.device != z.device:
                self.generator = torch.Generator(z.device).manual_seed(self.seed)
            generator = self.generator
        copies = z.repeat(self.chains, *([1] * (z.dim() - 1)))
        straight = self.straight_through and z.requires_grad
        purified = langevin_purify(
            self.energy,
            copies.detach() if straight else copies,
            steps=self.steps,
            step_size=self.step_size,
            noise=self.noise,
            init_noise=self.init_noise,
            generator=generator,
            draws=draws,
            create_graph=z.requires_grad and not straight,
        )
        if straight:
            return copies + (purified - copies).detach()
        return purified

    def forward(
        self,
        z: Tensor,
        generator: torch.Generator | None = None,
        draws: Tensor | None = None,
    ) -> Tensor:
        logits = self.class_logits(self.purify(z, generator, draws))
        log_proba = torch.log_softmax(logits, dim=1).unflatten(0, (self.chains, -1))
        return torch.logsumexp(log_proba, dim=0) - math.log(self.chains)
