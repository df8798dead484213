r"""Replay buffer of persistent Langevin chains (Du & Mordatch, 2019)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ReplayBuffer"]


class ReplayBuffer(nn.Module):
    r"""A fixed-size store of persistent chain states.

    Each call to :meth:`sample` draws ``batch_size`` stored states uniformly at
    random and restarts a share ``reinit_freq`` of them from the initial
    distribution; after the caller has moved the states with a few Langevin
    steps, :meth:`update` writes them back. Long chains then come from many
    short runs (persistent contrastive divergence), while the restarts keep the
    buffer from losing modes.

    Parameters
    ----------
    init : torch.nn.Module
        Initial distribution with ``sample(n, generator)``, e.g.
        :class:`~sk_ebm.sampling.Uniform` over the data's range or a
        :class:`~sk_ebm.sampling.Gaussian` fitted to the data (JEM++).
    capacity : int, default=10000
        Number of stored chains.
    reinit_freq : float, default=0.05
        Probability that a drawn chain is restarted from ``init``.
    generator : torch.Generator, optional
        Used to fill the buffer at construction.

    Attributes
    ----------
    states : Tensor of shape (capacity, d)
        Current chain states, on the device of ``init``. A buffer of the
        module, so that ``state_dict`` holds the chains and ``.to()`` moves
        them with ``init``.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.sampling import ReplayBuffer, Uniform
    >>> g = torch.Generator().manual_seed(0)
    >>> buffer = ReplayBuffer(Uniform(-torch.ones(2), torch.ones(2)), capacity=100,
    ...                       generator=g)
    >>> x, index = buffer.sample(8, generator=g)
    >>> buffer.update(index, x + 0.1)
    >>> x.shape, len(buffer)
    (torch.Size([8, 2]), 100)
    """

    def __init__(
        self,
        init: nn.Module,
        capacity: int = 10000,
        reinit_freq: float = 0.05,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}.")
        if not 0.0 <= reinit_freq <= 1.0:
            raise ValueError(f"reinit_freq must be in [0, 1], got {reinit_freq}.")
        super().__init__()
        self.init = init
        self.reinit_freq = float(reinit_freq)
        self.register_buffer("states", init.sample(int(capacity), generator=generator))

    def __len__(self) -> int:
        return self.states.shape[0]

    def sample(
        self, batch_size: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Draw ``batch_size`` chains; return their states and buffer indices.

        The chains are drawn uniformly with replacement; each is replaced, with
        probability ``reinit_freq``, by a fresh draw from ``init``. The buffer
        itself is not changed until :meth:`update`.

        Parameters
        ----------
        batch_size : int
            Number of chains to draw.
        generator : torch.Generator, optional
            Source of randomness, on the buffer's device; None uses torch's
            global generator.

        Returns
        -------
        x : Tensor of shape (batch_size, d)
            The chains' states, restarted ones included.
        index : Tensor of shape (batch_size,)
            Their slots in the buffer (int64), to pass to :meth:`update`.
        """
        device = self.states.device
        index = torch.randint(
            len(self), (batch_size,), generator=generator, device=device
        )
        x = self.states[index]
        restart = (
            torch.rand(batch_size, generator=generator, device=device)
            < self.reinit_freq
        )
        fresh = self.init.sample(batch_size, generator=generator).to(x.dtype)
        x = torch.where(restart.view(-1, *([1] * (x.dim() - 1))), fresh, x)
        return x, index

    def update(self, index: Tensor, x: Tensor) -> None:
        """Write the states ``x`` back at ``index``.

        Parameters
        ----------
        index : Tensor of shape (n,)
            Slots in the buffer, as returned by :meth:`sample`.
        x : Tensor of shape (n, d)
            New states of those chains; stored detached, in the buffer's dtype.
        """
        self.states[index] = x.detach().to(self.states.dtype)
