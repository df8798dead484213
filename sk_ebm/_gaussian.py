"""The Gaussian bases, fitted by scikit-learn's shrunk covariance estimators.

Every energy is a classical model plus a learned residual (DESIGN.md, "a
Gaussian inside every energy"). This module fits the classical part: the
whitening of the standardised rows on the axes of their Ledoit-Wolf covariance
(:func:`fit_whitening`), a Gaussian for estimators that keep the standardised
space (:func:`shrunk_gaussian`) and the class-conditional Gaussians with a
shared covariance of the classifier (:func:`fit_discriminant`).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.covariance import LedoitWolf

from sk_ebm.nn import GaussianDiscriminant, Whitening
from sk_ebm.sampling import Gaussian

__all__ = ["fit_discriminant", "fit_whitening", "shrunk_gaussian"]

# Rows used to estimate a covariance: plenty for the base, and the cost stays
# bounded (n d^2) on large data.
MAX_ROWS = 10_000
# Axes whose empirical variance is below this share of the largest are
# treated as of zero variance (constant or duplicated columns, n < d).
RANK_TOLERANCE = 1e-9
# Smallest variance kept, relative to the mean variance: keeps the whitening
# finite where Ledoit-Wolf hardly shrinks (many rows).
VARIANCE_FLOOR = 1e-6


def _subsample(S: np.ndarray, seed: int) -> np.ndarray:
    if len(S) <= MAX_ROWS:
        return S
    return S[np.random.RandomState(seed).choice(len(S), MAX_ROWS, replace=False)]


SHRINKAGES = np.concatenate([[0.0], np.logspace(-4, 0, 25)])


def _shrunk_covariance(R: np.ndarray, seed: int = 0):
    """Covariance of the centred rows ``R`` shrunk towards ``mu * I``, its
    shrinkage and the mean empirical variance ``mu``.

    The shrinkage maximises the Gaussian log-likelihood of held-out rows
    (3-fold cross-validation over ``SHRINKAGES``), as scikit-learn's
    covariance example selects it: Ledoit-Wolf minimises the error of the
    matrix, which over-shrinks the small variances of anisotropic data and
    costs likelihood. With fewer than 12 rows, Ledoit-Wolf's value is used.
    """
    n, d = R.shape
    mu = float(np.einsum("ij,ij->", R, R) / (n * d))
    if n < 12:
        lw = LedoitWolf(assume_centered=True).fit(R)
        return lw.covariance_, float(lw.shrinkage_), mu
    folds = np.random.RandomState(seed).permutation(n) % 3
    scores = np.zeros(len(SHRINKAGES))
    for k in range(3):
        train, valid = R[folds != k], R[folds == k]
        values, vectors = np.linalg.eigh(train.T @ train / len(train))
        values = np.maximum(values, 0.0)
        variances = (1 - SHRINKAGES[:, None]) * values + SHRINKAGES[:, None] * (
            values.mean()
        )
        variances = np.maximum(variances, 1e-12 * max(values.mean(), 1e-300))
        squares = ((valid @ vectors) ** 2).sum(0)
        scores -= (squares / variances).sum(1) + len(valid) * np.log(variances).sum(1)
    shrinkage = float(SHRINKAGES[np.argmax(scores)])
    covariance = (1 - shrinkage) * (R.T @ R / n) + shrinkage * mu * np.eye(d)
    return covariance, shrinkage, mu


def fit_whitening(S: np.ndarray, seed: int, groups=None) -> Whitening:
    """Whitening on the axes of the Ledoit-Wolf covariance of ``S``.

    The axes along which the rows do not vary (constant or duplicated columns,
    fewer rows than columns) are set aside first; the covariance is shrunk
    within the subspace of the others, and the axes set aside get the
    shrinkage's share of the mean variance.

    Parameters
    ----------
    S : ndarray of shape (n_samples, n_features)
        Standardised (centred) rows, float64.
    seed : int
        Seeds the cross-validation of the shrinkage.
    groups : ndarray of shape (n_samples,), default=None
        Class index of each row, -1 where unknown. Given, the retained axes are
        whitened with the covariance pooled within the classes (that of linear
        discriminant analysis), so that each class is a standard normal around
        its mean; with fewer than ``n_classes + 12`` known rows, the total
        covariance serves.

    Returns
    -------
    Whitening
        Retained axes sorted by decreasing shrunk variance, then those set
        aside; in float64.

    When every feature is constant, it is the identity with one axis
    retained.
    """
    R = S
    empirical, axes = np.linalg.eigh(R.T @ R / len(R))
    empirical, axes = empirical[::-1], axes[:, ::-1]
    if not empirical[0] > 0:
        # Every feature is constant (its scale is then 1): the Gaussian of unit
        # variance around the rows, seen by the network along one axis.
        return Whitening.identity(S.shape[1], rank=1)
    rank = int((empirical > RANK_TOLERANCE * empirical[0]).sum())
    inside, outside = axes[:, :rank], axes[:, rank:]
    P = R @ inside
    if groups is not None:
        known = groups >= 0
        labels = groups[known].astype(np.intp)
        if known.sum() >= labels.max() + 13:
            counts = np.bincount(labels)[:, None]
            means = np.zeros((len(counts), rank))
            np.add.at(means, labels, P[known])
            within = P[known] - (means / np.maximum(counts, 1))[labels]
            # Rows constant within each class have no within-class spread to
            # whiten by: the total spread then serves.
            if (within**2).sum() > RANK_TOLERANCE * (P[known] ** 2).sum():
                P = within
    covariance, shrinkage, mu = _shrunk_covariance(P, seed)
    variances, rotation = np.linalg.eigh(covariance)
    variances, rotation = variances[::-1], rotation[:, ::-1]
    floor = VARIANCE_FLOOR * mu
    outside_variance = max(shrinkage * mu, floor)
    variances = np.concatenate(
        [np.maximum(variances, floor), np.full(outside.shape[1], outside_variance)]
    )
    components = np.hstack([inside @ rotation, outside])
    # Eigenvectors have arbitrary signs: fix them so that the network's inputs
    # do not flip with rounding changes of the data. The first clearly
    # non-zero entry of each axis is made positive (the largest entry, as in
    # scikit-learn's svd_flip, is a tie on correlated standardised columns).
    magnitude = np.abs(components)
    first = (magnitude >= 0.1 * magnitude.max(0)).argmax(0)
    components *= np.sign(components[first, np.arange(components.shape[1])])
    return Whitening(
        torch.as_tensor(components, dtype=torch.float64),
        torch.as_tensor(variances, dtype=torch.float64),
        rank,
    )


def shrunk_gaussian(Z: torch.Tensor, seed: int = 0) -> Gaussian:
    """Gaussian with the mean and Ledoit-Wolf covariance of the rows ``Z``.

    Parameters
    ----------
    Z : Tensor of shape (n_samples, n_features)
        Rows to fit.
    seed : int, default=0
        Seeds the subsample of at most ``MAX_ROWS`` rows.

    Returns
    -------
    Gaussian
        On the CPU, in float32.
    """
    Z = Z.detach().double().cpu().numpy()
    mean = Z.mean(0)
    covariance, _, mu = _shrunk_covariance(_subsample(Z - mean, seed), seed)
    floor = VARIANCE_FLOOR * max(mu, 1e-12)
    return Gaussian(
        torch.as_tensor(mean, dtype=torch.float32),
        torch.as_tensor(covariance + floor * np.eye(len(mean)), dtype=torch.float32),
    )


def fit_discriminant(
    Z: torch.Tensor,
    y: torch.Tensor,
    n_classes: int,
    network: torch.nn.Module | None,
    *,
    whitened: bool,
) -> GaussianDiscriminant:
    """Class-conditional Gaussians with a shared covariance (LDA's model)
    around the residual logits ``network``.

    Parameters
    ----------
    Z : Tensor of shape (n_samples, n_features)
        Rows, labelled or not.
    y : Tensor of shape (n_samples,)
        Class indices; -1 marks unlabelled rows, which are not used.
    n_classes : int
        Number of classes; each has at least one labelled row.
    network : torch.nn.Module or None
        Residual logits network, ``(n, d) -> (n, n_classes)``.
    whitened : bool
        Whether ``Z`` is already whitened within the classes
        (:func:`fit_whitening` with ``groups``): the shared covariance is then
        the identity; otherwise it is estimated, shrunk, from the labelled rows.

    Returns
    -------
    GaussianDiscriminant
        Means and priors of the labelled rows.
    """
    labelled = y >= 0
    Zl = Z[labelled].detach().double().cpu().numpy()
    yl = y[labelled].cpu().numpy().astype(np.intp)
    counts = np.bincount(yl, minlength=n_classes).astype(np.float64)
    means = np.zeros((n_classes, Z.shape[1]))
    np.add.at(means, yl, Zl)
    means /= counts[:, None]
    d = Z.shape[1]
    covariance = np.eye(d)
    if not whitened and len(Zl) >= n_classes + 12:
        covariance, _, mu = _shrunk_covariance(Zl - means[yl])
        covariance = covariance + VARIANCE_FLOOR * max(mu, 1e-12) * np.eye(d)
    return GaussianDiscriminant(
        network,
        torch.as_tensor(means, dtype=torch.float32),
        torch.as_tensor(covariance, dtype=torch.float32),
        torch.as_tensor(np.log(counts / counts.sum()), dtype=torch.float32),
    )
