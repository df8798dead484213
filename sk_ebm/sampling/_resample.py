r"""Sampling an energy by importance resampling followed by MALA steps."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from sk_ebm.sampling._langevin import langevin

__all__ = ["importance_resampling", "resample_and_move"]


def importance_resampling(
    energy: Callable[[Tensor], Tensor],
    proposal: nn.Module,
    n_samples: int,
    *,
    n_steps: int = 50,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw from :math:`p(x) \propto e^{-E(x)}` by resampling, then MALA.

    ``max(4 n_samples, 4096)`` candidates from ``proposal`` are resampled with
    replacement by their weights :math:`e^{-E(x)}/q(x)`; then ``n_steps``
    Metropolis-adjusted Langevin steps, which leave :math:`e^{-E}` invariant,
    move them apart (duplicates of a heavy candidate separate). The step size
    starts at :math:`0.05/\sqrt{d}` and adapts towards a 60 % acceptance rate
    every 10 steps.

    Parameters
    ----------
    energy : callable
        Energy function ``(n, d) -> (n,)``.
    proposal : torch.nn.Module
        Distribution with ``sample(n, generator)`` and ``log_prob(x)`` whose
        tails are heavier than the model's.
    n_samples : int
        Number of draws.
    n_steps : int, default=50
        MALA steps after the resampling (rounded up to a multiple of 10).
    generator : torch.Generator, optional
        Source of all randomness, on the proposal's device.

    Returns
    -------
    x : Tensor of shape (n_samples, d)
        The draws.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.sampling import Gaussian, importance_resampling
    >>> target = Gaussian(torch.ones(2), torch.eye(2))
    >>> proposal = Gaussian(torch.zeros(2), 9 * torch.eye(2))
    >>> g = torch.Generator().manual_seed(0)
    >>> x = importance_resampling(target, proposal, 2000, n_steps=10, generator=g)
    >>> bool((x.mean(0) - 1).abs().max() < 0.15)
    True
    """
    n_candidates = max(4 * n_samples, 4096)
    with torch.no_grad():
        candidates = proposal.sample(n_candidates, generator)
        log_w = -energy(candidates) - proposal.log_prob(candidates)
    return resample_and_move(
        energy, candidates, log_w, n_samples, n_steps=n_steps, generator=generator
    )


def resample_and_move(
    energy: Callable[[Tensor], Tensor],
    candidates: Tensor,
    log_weights: Tensor,
    n_samples: int,
    *,
    n_steps: int = 50,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Resample weighted candidates with replacement, then move them by MALA.

    The second half of :func:`importance_resampling`, for candidates drawn
    otherwise (the final states of AIS chains with their weights, draws of
    several models): ``n_samples`` rows drawn by ``softmax(log_weights)``,
    then ``n_steps`` MALA steps on ``energy`` whose step size starts at
    :math:`0.05/\sqrt{d}` and adapts towards a 60 % acceptance rate every 10
    steps.
    """
    with torch.no_grad():
        index = torch.multinomial(
            torch.softmax(log_weights, 0),
            n_samples,
            replacement=True,
            generator=generator,
        )
    x = candidates[index].detach()
    step = 0.05 / math.sqrt(x.shape[1])
    for _ in range(math.ceil(n_steps / 10)):
        x, acceptance = langevin(
            energy,
            x,
            n_steps=10,
            step_size=step,
            noise_std="exact",
            metropolis=True,
            generator=generator,
            return_acceptance=True,
        )
        step *= math.exp(float(acceptance.mean()) - 0.6)
    return x
