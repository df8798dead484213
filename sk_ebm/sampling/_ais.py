r"""Annealed importance sampling (Neal, 2001) of a log-partition function."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from sk_ebm.sampling._langevin import langevin

__all__ = ["annealed_importance_sampling"]


def _sigmoid_schedule(n_temperatures: int, sharpness: float = 4.0) -> Tensor:
    """Inverse temperatures from 0 to 1, denser at both ends (Grosse et al., 2015)."""
    t = torch.linspace(-sharpness, sharpness, n_temperatures + 1, dtype=torch.float64)
    s = torch.sigmoid(t)
    return (s - s[0]) / (s[-1] - s[0])


def annealed_importance_sampling(
    energy: Callable[[Tensor], Tensor],
    base: nn.Module,
    *,
    n_chains: int = 1000,
    n_temperatures: int = 200,
    n_steps: int = 1,
    step_size: float = 0.05,
    target_acceptance: float = 0.6,
    generator: torch.Generator | None = None,
    return_samples: bool = False,
    return_log_weights: bool = False,
) -> tuple:
    r"""Estimate a log-partition function by annealed importance sampling.

    The estimated quantity is :math:`\log Z = \log \int e^{-E(x)} dx`. Chains
    start from a normalised base density :math:`q_0` and follow the
    geometric path :math:`\pi_\beta(x) \propto q_0(x)^{1-\beta} e^{-\beta E(x)}`
    over a sigmoidal schedule :math:`0 = \beta_0 < \dots < \beta_T = 1`, with
    ``n_steps`` MALA transitions (which leave each :math:`\pi_\beta` invariant)
    per temperature. The log-weights accumulate

    .. math:: \log w = \sum_{t=1}^{T} (\beta_t - \beta_{t-1})
        \left(-E(x_{t-1}) - \log q_0(x_{t-1})\right)

    and :math:`\hat Z = \frac1N \sum_i w_i` is unbiased for :math:`Z`. The
    returned :math:`\log \hat Z` is slightly biased low; its standard error is
    the delta-method estimate :math:`\mathrm{sd}(w) / (\bar w \sqrt{N})`. The
    MALA step size adapts towards ``target_acceptance`` between temperatures.

    Parameters
    ----------
    energy : callable
        Maps ``(n, d)`` to energies ``(n,)``.
    base : torch.nn.Module
        Normalised base distribution with ``sample(n, generator)`` and
        ``log_prob(x)``, e.g. a :class:`~sk_ebm.sampling.Gaussian` fitted to the
        data.
    n_chains : int, default=1000
        Number :math:`N` of independent chains, each giving one importance
        weight :math:`w_i`.
    n_temperatures : int, default=200
        Number :math:`T` of annealing steps from :math:`q_0` to
        :math:`e^{-E}`; the cost is ``n_temperatures * n_steps`` MALA steps of
        every chain.
    n_steps : int, default=1
        MALA steps per intermediate distribution.
    step_size : float, default=0.05
        Initial MALA step size.
    target_acceptance : float, default=0.6
        Fraction of accepted MALA moves the step size is steered towards: after
        each temperature the step size is multiplied by
        ``exp(rate - target_acceptance)``, ``rate`` being the fraction of moves
        accepted at that temperature.
    generator : torch.Generator, optional
        Source of randomness for the initial draws from ``base`` and for the
        MALA steps; None uses torch's global generator.
    return_samples : bool, default=False
        Also return the final chain states (approximate samples of
        :math:`e^{-E}/Z`, to be weighted by :math:`w`).
    return_log_weights : bool, default=False
        Also return every chain's :math:`\log w` (after the samples, when
        both are asked for): resampling the final states by these weights
        gives draws of :math:`e^{-E}/Z`.

    Returns
    -------
    log_z : float
        The estimate :math:`\log \hat Z`.
    std_err : float
        Its delta-method standard error,
        :math:`\mathrm{sd}(w) / (\bar w \sqrt{N})`.
    samples : Tensor of shape (n_chains, d)
        Only with ``return_samples=True``.
    log_weights : Tensor of shape (n_chains,)
        Only with ``return_log_weights=True``, in float64.

    Examples
    --------
    >>> import math, torch
    >>> from sk_ebm.sampling import Gaussian, annealed_importance_sampling
    >>> energy = lambda x: 0.5 * (x**2).sum(1) / 4.0  # N(0, 4 I) in 2-D
    >>> base = Gaussian(torch.zeros(2), torch.eye(2))
    >>> log_z, se = annealed_importance_sampling(
    ...     energy, base, n_chains=500, n_temperatures=50,
    ...     generator=torch.Generator().manual_seed(0))
    >>> abs(log_z - math.log(2 * math.pi * 4)) < 0.05
    True
    """
    betas = _sigmoid_schedule(n_temperatures).tolist()
    with torch.no_grad():
        x = base.sample(n_chains, generator=generator)
        log_w = torch.zeros(n_chains, dtype=torch.float64, device=x.device)
        step = float(step_size)
        for beta_prev, beta in itertools.pairwise(betas):
            gap = -energy(x) - base.log_prob(x)
            log_w += (beta - beta_prev) * gap.double()

            def tempered(z: Tensor, beta: float = beta) -> Tensor:
                return beta * energy(z) - (1.0 - beta) * base.log_prob(z)

            x, acceptance = langevin(
                tempered,
                x,
                n_steps=n_steps,
                step_size=step,
                noise_std="exact",
                metropolis=True,
                generator=generator,
                return_acceptance=True,
            )
            rate = float(acceptance.mean())
            step *= math.exp(rate - target_acceptance)
    n = log_w.shape[0]
    log_z = torch.logsumexp(log_w, 0) - math.log(n)
    w = torch.exp(log_w - log_w.max())
    std_err = float(w.std() / (w.mean() * math.sqrt(n)))
    if not math.isfinite(float(log_z)):
        raise ValueError("AIS produced a non-finite estimate of log Z.")
    out = (float(log_z), std_err)
    if return_samples:
        out += (x,)
    if return_log_weights:
        out += (log_w,)
    return out
