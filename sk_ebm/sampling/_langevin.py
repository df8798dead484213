r"""Batched (stochastic gradient) Langevin dynamics over any energy function."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["langevin"]

EnergyFn = Callable[[Tensor], Tensor]


def _energy_and_grad(energy: EnergyFn, x: Tensor) -> tuple[Tensor, Tensor]:
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        e = energy(x)
        (grad,) = torch.autograd.grad(e.sum(), x)
    return e.detach(), grad


def _clip_rows(grad: Tensor, max_norm: float) -> Tensor:
    norms = grad.flatten(1).norm(dim=1).clamp_min(1e-12)
    factor = (max_norm / norms).clamp(max=1.0)
    return grad * factor.view(-1, *([1] * (grad.dim() - 1)))


def _noise_scale(step_size: float, noise_std: float | str) -> float:
    if noise_std == "exact":
        return math.sqrt(2.0 * step_size)
    if isinstance(noise_std, str):
        raise ValueError(f"noise_std must be a float or 'exact', got {noise_std!r}.")
    return float(noise_std)


def langevin(
    energy: EnergyFn,
    x: Tensor,
    *,
    n_steps: int = 20,
    step_size: float = 1.0,
    noise_std: float | str = 0.01,
    grad_clip: float | None = None,
    clamp: tuple[float, float] | None = None,
    metropolis: bool = False,
    generator: torch.Generator | None = None,
    return_acceptance: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    r"""Run batched Langevin dynamics from ``x`` on the energy ``E``.

    Each step moves every row at once:

    .. math:: x' = x - a \nabla_x E(x) + \sigma \xi, \qquad \xi \sim \mathcal{N}(0, I)

    With ``noise_std="exact"``, :math:`\sigma = \sqrt{2a}` and the chain is a
    discretised Langevin diffusion whose stationary law tends to
    :math:`p(x) \propto e^{-E(x)}` as :math:`a \to 0`; ``metropolis=True`` then
    adds the Metropolis-Hastings correction (MALA), which makes :math:`p`
    exactly invariant for any step size. The JEM convention (``step_size=1``,
    ``noise_std=0.01``) is a biased, low-noise SGLD used for short-run
    persistent chains. The gradient is with respect to :math:`x`; the energy's
    parameters receive no gradient.

    Parameters
    ----------
    energy : callable
        Maps a tensor ``(n, ...)`` to energies ``(n,)``.
    x : Tensor
        Initial states, shape ``(n, ...)``; not modified.
    n_steps : int, default=20
        Number of steps.
    step_size : float, default=1.0
        Gradient step :math:`a`.
    noise_std : float or "exact", default=0.01
        Noise standard deviation :math:`\sigma`, or ``"exact"`` for
        :math:`\sqrt{2a}`.
    grad_clip : float, optional
        Clip each row's gradient to this Euclidean norm.
    clamp : (float, float), optional
        Clamp states to this range after every step.
    metropolis : bool, default=False
        Accept or reject each move with the Metropolis-Hastings ratio of the
        Gaussian proposal above (MALA when the noise is exact).
    generator : torch.Generator, optional
        Source of the noise (and of the acceptance draws), for reproducibility.
    return_acceptance : bool, default=False
        Also return the mean acceptance rate per row (ones without
        ``metropolis``).

    Returns
    -------
    x : Tensor
        Final states, detached, same shape as the input.
    acceptance : Tensor of shape (n,)
        Only with ``return_acceptance=True``.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.sampling import langevin
    >>> g = torch.Generator().manual_seed(0)
    >>> quadratic = lambda x: 0.5 * (x**2).sum(1)
    >>> x = langevin(quadratic, torch.full((2000, 1), 3.0), n_steps=200,
    ...              step_size=0.1, noise_std="exact", metropolis=True, generator=g)
    >>> round(float(x.mean()), 1), round(float(x.std()), 1)
    (0.0, 1.0)
    """
    sigma = _noise_scale(step_size, noise_std)
    x = x.detach().clone()
    view = (-1,) + (1,) * (x.dim() - 1)
    dims = tuple(range(1, x.dim()))
    accepted = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
    e, grad = _energy_and_grad(energy, x)
    for step in range(n_steps):
        if step > 0 and not metropolis:
            e, grad = _energy_and_grad(energy, x)
        if grad_clip is not None:
            grad = _clip_rows(grad, grad_clip)
        mean_forward = x - step_size * grad
        noise = torch.randn(
            x.shape, generator=generator, device=x.device, dtype=x.dtype
        )
        proposal = mean_forward + sigma * noise
        if clamp is not None:
            proposal = proposal.clamp(*clamp)
        if not metropolis:
            x = proposal
            accepted += 1
            continue
        e_new, grad_new = _energy_and_grad(energy, proposal)
        if grad_clip is not None:
            grad_new = _clip_rows(grad_new, grad_clip)
        mean_backward = proposal - step_size * grad_new
        log_forward = -((proposal - mean_forward) ** 2).sum(dims) / (2 * sigma**2)
        log_backward = -((x - mean_backward) ** 2).sum(dims) / (2 * sigma**2)
        log_ratio = e - e_new + log_backward - log_forward
        u = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=x.dtype)
        accept = (u.log() < log_ratio) & torch.isfinite(e_new)
        x = torch.where(accept.view(view), proposal, x)
        e = torch.where(accept, e_new, e)
        grad = torch.where(accept.view(view), grad_new, grad)
        accepted += accept.to(x.dtype)
    if return_acceptance:
        return x, accepted / max(n_steps, 1)
    return x
