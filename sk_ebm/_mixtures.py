"""Gaussian mixtures fitted by scikit-learn, as torch distributions.

They serve as bases, importance-sampling proposals and NCE noise; their
number of components is chosen by BIC.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from sk_ebm.sampling import Gaussian, GaussianMixture

__all__ = [
    "base_proposal",
    "defensive_mixture",
    "fit_mixture",
    "placeholder_mixture",
    "torch_mixture",
]


def torch_mixture(weights, means, covariances) -> GaussianMixture:
    """A :class:`~sk_ebm.sampling.GaussianMixture` from numpy parameters."""
    return GaussianMixture(
        *(
            torch.as_tensor(a, dtype=torch.float32)
            for a in (weights, means, covariances)
        )
    )


def placeholder_mixture(n_components: int, n_features: int) -> GaussianMixture:
    """A mixture of the given size whose tensors a ``load_state_dict`` fills."""
    eye = np.tile(np.eye(n_features), (n_components, 1, 1))
    return torch_mixture(
        np.ones(n_components), np.zeros((n_components, n_features)), eye
    )


def fit_mixture(Z: np.ndarray, n_components, seed: int) -> SkGaussianMixture:
    """Full-covariance Gaussian mixture on ``Z``; ``"auto"`` selects the size by BIC.

    The mixture serves as proposal, noise or base, not as the model: 10 000 rows
    are plenty and keep the BIC search cheap on large data. The ``"auto"`` grid
    keeps at least 3 rows per free parameter; BIC does the rest.
    """
    if len(Z) > 10_000:
        Z = Z[np.random.RandomState(seed).choice(len(Z), 10_000, replace=False)]

    def fit(k):
        return SkGaussianMixture(k, reg_covar=1e-4, random_state=seed).fit(Z)

    if n_components != "auto":
        return fit(min(n_components, Z.shape[0]))
    d = Z.shape[1]
    max_k = len(Z) // (3 * (1 + d + d * (d + 1) // 2))
    sizes = [k for k in (1, 2, 4, 8, 12, 16, 24, 32) if k <= max(max_k, 1)]
    best = None
    for k in sizes:
        gmm = fit(k)
        if best is None or gmm.bic(Z) < best.bic(Z):
            best = gmm
    return best


def defensive_mixture(
    gmm: SkGaussianMixture, Z: torch.Tensor, *, inflate: float, wide: float
) -> GaussianMixture:
    """The fitted mixture with widened components, plus one broad Gaussian (10 %)
    so that the proposal's tails are heavier than the model's."""
    broad = Gaussian.from_data(Z.cpu(), inflate=wide)
    scale_tril = broad.scale_tril.numpy()
    return torch_mixture(
        np.concatenate([0.9 * gmm.weights_, [0.1]]),
        np.concatenate([gmm.means_, broad.mean.numpy()[None]]),
        np.concatenate(
            [gmm.covariances_ * inflate**2, (scale_tril @ scale_tril.T)[None]]
        ),
    )


def base_proposal(gmm: SkGaussianMixture, width: int) -> GaussianMixture:
    """The standard normal of a whitened space (90 %) and a slightly wider one
    (10 %), with as many components as the defensive mixture of ``gmm`` (so
    that a saved model's placeholder has the same shapes): the proposal in
    high dimension, where the model starts as that standard normal."""
    k = gmm.n_components + 1
    weights = np.full(k, 0.9 / (k - 1))
    weights[-1] = 0.1
    scales = np.ones(k)
    scales[-1] = 1.2
    covariances = np.eye(width)[None] * (scales**2)[:, None, None]
    return torch_mixture(weights, np.zeros((k, width)), covariances)
