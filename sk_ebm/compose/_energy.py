r"""Composed energies and the Gaussian frame that AIS and the samplers work in
(pure torch and numpy)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from sk_ebm.sampling import (
    Gaussian,
    GaussianMixture,
    annealed_importance_sampling,
)

__all__ = ["ComposedEnergy", "Frame", "grows_everywhere"]


class ComposedEnergy(nn.Module):
    r"""Product or mixture of member energies :math:`E_i` (data's units).

    .. math::
        E_\times(x) = \frac1T \sum_i w_i E_i(x), \qquad
        E_+(x) = -T \log \sum_i w_i \exp\big(-(E_i(x) + \log Z_i)/T\big)

    The mixture's members enter normalised (:math:`\log Z_i`), so that with
    :math:`T = 1` and weights summing to one :math:`e^{-E_+}` is the mixture
    of their densities.
    """

    def __init__(self, members, weights, temperature, kind, log_partitions):
        super().__init__()
        self.members = nn.ModuleList(members)
        dtype = members[0].mean.dtype
        device = members[0].mean.device
        as_tensor = lambda a: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
        self.register_buffer("weights", as_tensor(weights))
        self.register_buffer("log_partitions", as_tensor(log_partitions))
        self.temperature = float(temperature)
        self.kind = kind

    def member_energies(self, x: Tensor) -> Tensor:
        """Energies ``(n, n_members)`` of the members."""
        return torch.stack([member(x) for member in self.members], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        energies = self.member_energies(x)
        t = self.temperature
        if self.kind == "product":
            return energies @ self.weights / t
        logits = -(energies + self.log_partitions) / t + self.weights.log()
        return -t * torch.logsumexp(logits, dim=1)


class _InFrame(nn.Module):
    """``energy(c + u L^T)``: an energy of the frame's coordinates ``u``."""

    def __init__(self, energy: nn.Module, frame: Frame) -> None:
        super().__init__()
        self.energy = energy
        self.frame = frame

    def forward(self, u: Tensor) -> Tensor:
        return self.energy(self.frame.to_data(u))


class Frame(nn.Module):
    r"""Coordinates in which a Gaussian (mixture) approximation is standard.

    :math:`x = c + L u`, with :math:`c` and :math:`LL^\top` the mean and
    covariance of the mixture :math:`\sum_k \pi_k \mathcal{N}(\mu_k,
    \Sigma_k)`; ``base`` is that mixture in the coordinates :math:`u` (a
    standard normal for one component), the AIS base and the proposal. A
    density of :math:`u` is that of :math:`x` times :math:`|\det L|`.
    """

    def __init__(self, weights, means, covariances, dtype, device) -> None:
        super().__init__()
        weights = np.asarray(weights, dtype=np.float64)
        weights = weights / weights.sum()
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        centre = weights @ means
        second = np.einsum("k,kij->ij", weights, covariances)
        deviations = means - centre
        second += np.einsum("k,ki,kj->ij", weights, deviations, deviations)
        tril = np.linalg.cholesky(_symmetric(second))
        inverse = np.linalg.inv(tril)
        means_u = deviations @ inverse.T
        covariances_u = inverse @ covariances @ inverse.T
        as_tensor = lambda a: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
        self.register_buffer("centre", as_tensor(centre))
        self.register_buffer("tril", as_tensor(tril))
        self.register_buffer("inverse", as_tensor(inverse))
        self.log_det = float(np.log(np.diag(tril)).sum())
        self.components = (weights, means_u, covariances_u)
        if len(weights) == 1:
            self.base = Gaussian(as_tensor(means_u[0]), as_tensor(covariances_u[0]))
        else:
            self.base = self.mixture()

    def mixture(self, widen: float | None = None) -> GaussianMixture:
        """The base as a mixture; with ``widen``, half its weight on copies
        of its components ``widen`` times wider (a defensive proposal)."""
        weights, means, covariances = self.components
        if widen is not None:
            weights = np.concatenate([weights, weights]) / 2
            means = np.concatenate([means, means])
            covariances = np.concatenate([covariances, widen**2 * covariances])
        dtype, device = self.centre.dtype, self.centre.device
        return GaussianMixture(
            *(torch.as_tensor(a, dtype=dtype, device=device) for a in (weights, means)),
            torch.as_tensor(covariances, dtype=dtype, device=device),
        )

    def to_data(self, u: Tensor) -> Tensor:
        """Rows of the data's units."""
        return self.centre + u @ self.tril.T

    def from_data(self, x: Tensor) -> Tensor:
        """Rows of the frame's coordinates."""
        return (x - self.centre) @ self.inverse.T

    def energy(self, energy: nn.Module) -> nn.Module:
        """``energy`` as a function of the frame's coordinates."""
        return _InFrame(energy, self)

    def log_partition(self, energy, n_chains, n_temperatures, generator, **kwargs):
        """AIS from the base: ``(log Z, std_err, ...)`` in the data's units;
        ``kwargs`` go to :func:`~sk_ebm.sampling.annealed_importance_sampling`."""
        log_z, *rest = annealed_importance_sampling(
            self.energy(energy),
            self.base,
            n_chains=n_chains,
            n_temperatures=n_temperatures,
            generator=generator,
            **kwargs,
        )
        return (log_z + self.log_det, *rest)


def _symmetric(a: np.ndarray) -> np.ndarray:
    a = (a + a.T) / 2
    return a + 1e-10 * np.trace(a) / len(a) * np.eye(len(a))


def product_gaussian(gaussians, weights, temperature):
    r"""Mean and covariance of :math:`\prod_i \mathcal{N}(\mu_i,
    \Sigma_i)^{w_i/T}`, or None when its precision is not positive definite."""
    precision = np.zeros_like(gaussians[0][1])
    shift = np.zeros_like(gaussians[0][0])
    for (mean, covariance), weight in zip(gaussians, weights, strict=True):
        member_precision = np.linalg.inv(_symmetric(covariance))
        precision += weight / temperature * member_precision
        shift += weight / temperature * member_precision @ mean
    precision = (precision + precision.T) / 2
    if np.linalg.eigvalsh(precision).min() <= 1e-10 * np.abs(precision).max():
        return None
    covariance = np.linalg.inv(precision)
    return covariance @ shift, covariance


def grows_everywhere(energy, frame: Frame, generator: torch.Generator) -> bool:
    r"""Whether the energy increases from radius 10 to 100 (in the frame's
    coordinates) along the axes and 64 random directions: the tails that
    make :math:`e^{-E}` integrable."""
    d = frame.tril.shape[0]
    dtype, device = frame.tril.dtype, frame.tril.device
    eye = torch.eye(d, dtype=dtype, device=device)
    random = torch.randn(64, d, generator=generator, dtype=dtype, device=device)
    directions = torch.cat([eye, -eye, random / random.norm(dim=1, keepdim=True)])
    energy = frame.energy(energy)
    with torch.inference_mode():
        near = energy(10.0 * directions)
        far = energy(100.0 * directions)
    return bool((torch.isfinite(far) & (far > near)).all())


def escaped(u: Tensor) -> bool:
    """Whether AIS chains ended far outside the frame (root mean square
    coordinate above 100): the target had no mass to hold them."""
    if not torch.isfinite(u).all():
        return True
    return math.sqrt(float((u.double() ** 2).mean())) > 100.0
