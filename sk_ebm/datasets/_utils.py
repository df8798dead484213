"""What the toy distributions share: splits of the samples across components,
output dtypes, and the checks and log-densities of the known-density toys."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import log_ndtr
from sklearn.utils import check_array
from sklearn.utils import shuffle as util_shuffle

# Half-width of the box [-4, 4]^2 that (roughly) contains every toy data set.
BOX = 4.0

# log(2 pi), for Gaussian log-densities.
LOG_2PI = float(np.log(2 * np.pi))


def split_evenly(n_samples, n_components):
    """Split ``n_samples`` into ``n_components`` counts differing by at most one.

    The first ``n_samples % n_components`` components receive one extra
    sample, so the split is deterministic.
    """
    counts = np.full(n_components, n_samples // n_components, dtype=np.int64)
    counts[: n_samples % n_components] += 1
    return counts


def split_proportionally(n_samples, weights):
    """Split ``n_samples`` proportionally to ``weights`` (largest remainder).

    Every count differs from its exact share ``n_samples * w / sum(w)`` by
    less than one, and the counts sum to ``n_samples``. Ties in the remainders
    are broken in favour of the lower index, so the split is deterministic.
    """
    weights = np.asarray(weights, dtype=np.float64)
    shares = n_samples * weights / weights.sum()
    counts = np.floor(shares).astype(np.int64)
    remainder = n_samples - counts.sum()
    order = np.argsort(-(shares - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def labels(counts):
    """Component labels ``0, ..., len(counts) - 1`` repeated ``counts`` times."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def finalize(X, y, shuffle, generator):
    """Cast to the output dtypes and optionally shuffle the samples."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.int64)
    if shuffle:
        X, y = util_shuffle(X, y, random_state=generator)
    return X, y


def logsumexp(a, axis):
    """``log(sum(exp(a), axis))``, stable; scipy's is far slower on large
    arrays."""
    peak = np.max(a, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(a - peak), axis=axis, keepdims=True))
    return np.squeeze(total + peak, axis=axis)


def check_points(X):
    """``X`` as a float64 array of shape (n, 2), or a ValueError."""
    X = check_array(X, dtype=np.float64)
    if X.shape[1] != 2:
        raise ValueError(
            f"The toy densities are 2-D: X must have 2 columns, got {X.shape[1]}."
        )
    return X


def normal_log_pdf(x, mean, std):
    """Log-density of :math:`\\mathcal{N}(mean, std^2)` at ``x`` (broadcast)."""
    z = (x - mean) / std
    return -0.5 * (z**2 + LOG_2PI) - np.log(std)


def log_interval_probability(low, high):
    """:math:`\\log(\\Phi(high) - \\Phi(low))` for ``low < high``, accurate in
    both tails (the upper tail is read from the mirrored interval)."""
    upper = low > 0
    a = np.where(upper, -high, low)
    b = np.where(upper, -low, high)
    log_b = log_ndtr(b)
    return log_b + np.log1p(-np.exp(log_ndtr(a) - log_b))


def gaussian_mixture_log_density(X, weights, means, covariances):
    """Log-density at the rows of ``X`` of a Gaussian mixture in 2-D."""
    X = check_points(X)
    terms = []
    for weight, mean, covariance in zip(weights, means, covariances, strict=True):
        cholesky = np.linalg.cholesky(np.asarray(covariance, dtype=np.float64))
        z = np.linalg.solve(cholesky, (X - mean).T)
        log_det = 2 * np.log(np.diag(cholesky)).sum()
        terms.append(np.log(weight) - 0.5 * ((z**2).sum(0) + log_det) - LOG_2PI)
    return logsumexp(np.stack(terms), axis=0)


def polar_log_density(X, angle_log_pdf, radius_log_pdf):
    """Log-density of ``x = rho (cos theta, sin theta)``.

    With ``theta`` and ``rho`` independent, of log-densities ``angle_log_pdf``
    (on the circle) and ``radius_log_pdf`` (on the real line: a negative
    radius puts the point at the opposite angle), the change of variables
    gives :math:`p(x) = [p_\\theta(\\varphi) p_\\rho(r) + p_\\theta(\\varphi +
    \\pi) p_\\rho(-r)] / r` at :math:`x = r (\\cos \\varphi, \\sin \\varphi)`.
    """
    X = check_points(X)
    r = np.hypot(X[:, 0], X[:, 1])
    phi = np.arctan2(X[:, 1], X[:, 0])
    with np.errstate(divide="ignore"):
        return np.logaddexp(
            angle_log_pdf(phi) + radius_log_pdf(r),
            angle_log_pdf(phi + np.pi) + radius_log_pdf(-r),
        ) - np.log(r)
