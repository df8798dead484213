"""Concentric circles, with their density."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import (
    BOX,
    finalize,
    labels,
    logsumexp,
    normal_log_pdf,
    polar_log_density,
    split_proportionally,
)

__all__ = ["make_rings", "rings_log_density"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_rings": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_rings(
    n_samples=100, *, n_rings=4, shuffle=True, noise=0.08, random_state=None
):
    """Make concentric circles.

    The rings are centered on the origin with radii ``4 * k / n_rings`` for
    ``k = 1, ..., n_rings``, so the outer ring has radius 4. The points are
    split across the rings proportionally to their radius, so that the
    density is uniform in arc length over all rings, and the angles are
    uniform on ``[0, 2 pi)``.

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated. Ring ``k`` receives
        ``n_samples * r_k / sum(r)`` points, rounded by the largest remainder
        method so that the counts sum to ``n_samples``.

    n_rings : int, default=4
        The number of concentric rings.

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        ring, innermost first.

    noise : float, default=0.08
        Standard deviation of the Gaussian noise added to the radius of each
        point.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation, shuffling
        and noise. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The ring index (0 for the innermost ring) of each sample.

    See Also
    --------
    rings_log_density : The log-density of this distribution.
    make_eight_gaussians : Gaussian mixture on a circle.
    make_two_spirals : Two interleaved spirals.
    sklearn.datasets.make_circles : Two concentric circles.

    Examples
    --------
    >>> from sk_ebm.datasets import make_rings
    >>> X, y = make_rings(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> y.shape
    (200,)
    >>> import numpy as np
    >>> np.bincount(y)
    array([20, 40, 60, 80])
    """
    generator = check_random_state(random_state)
    radii = BOX * np.arange(1, n_rings + 1) / n_rings
    counts = split_proportionally(n_samples, radii)
    y = labels(counts)

    theta = generator.uniform(0, 2 * np.pi, size=n_samples)
    r = radii[y] + generator.normal(scale=noise, size=n_samples)
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])

    return finalize(X, y, shuffle, generator)


@validate_params(
    {
        "X": ["array-like"],
        "n_rings": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def rings_log_density(X, *, n_rings=4, noise=0.08):
    """Log-density of the distribution of :func:`make_rings`.

    The angle is uniform and independent of the radius :math:`\\rho`, which
    is :math:`r_k + \\sigma \\varepsilon` on ring :math:`k` (of weight
    :math:`w_k = r_k / \\sum_j r_j`), so at :math:`x` of norm :math:`r`

    .. math:: p(x) = \\frac{1}{2 \\pi r} \\sum_k w_k \\left[
        \\mathcal{N}(r; r_k, \\sigma^2) + \\mathcal{N}(-r; r_k, \\sigma^2)
        \\right],

    the second term for the (rare) negative radii, which put the point at
    the opposite angle.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points at which to evaluate the log-density.

    n_rings : int, default=4
        The ``n_rings`` of :func:`make_rings`.

    noise : float, default=0.08
        The ``noise`` of :func:`make_rings`; it must be positive (noise-free
        rings are curves, without a density).

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        The log-density of each row of ``X``.

    See Also
    --------
    make_rings : Samples of this distribution.

    Notes
    -----
    :func:`make_rings` draws the ring sizes by a deterministic proportional
    split instead of a multinomial draw, a stratified sample of this density.

    Examples
    --------
    >>> from sk_ebm.datasets import make_rings, rings_log_density
    >>> X, _ = make_rings(n_samples=2000, random_state=0)
    >>> round(float(rings_log_density(X).mean()), 1)
    -3.0
    """
    radii = BOX * np.arange(1, n_rings + 1) / n_rings
    log_weights = np.log(radii / radii.sum())

    def radius_log_pdf(r):
        return logsumexp(log_weights + normal_log_pdf(r[:, None], radii, noise), axis=1)

    return polar_log_density(X, lambda phi: -np.log(2 * np.pi), radius_log_pdf)
