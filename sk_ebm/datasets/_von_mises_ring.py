"""A ring with a von Mises mixture of angles, with its density."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from scipy.special import i0e
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import (
    finalize,
    labels,
    logsumexp,
    normal_log_pdf,
    polar_log_density,
    split_proportionally,
)

__all__ = ["make_von_mises_ring", "von_mises_ring_log_density"]

_WEIGHTS = np.array([0.5, 0.3, 0.2])
_LOCATIONS = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])
_CONCENTRATIONS = np.array([1.0, 4.0, 2.0])


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "radius": [Interval(Real, 0, None, closed="neither")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_von_mises_ring(
    n_samples=100, *, radius=3.0, shuffle=True, noise=0.3, random_state=None
):
    """Make a ring whose angle follows a mixture of von Mises distributions.

    The point is :math:`\\rho (\\cos \\theta, \\sin \\theta)` with the radius
    :math:`\\rho \\sim \\mathcal{N}(r, \\sigma^2)` independent of the angle
    :math:`\\theta`, which follows a mixture of three von Mises
    distributions with weights 0.5, 0.3 and 0.2, locations 0,
    :math:`2 \\pi / 3` and :math:`4 \\pi / 3`, and concentrations 1, 4 and 2:
    a smooth density, periodic in the angle, of unequal modes. Its
    log-density is :func:`von_mises_ring_log_density`. With the defaults the
    data lie roughly within ``[-4, 4]^2``.

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated. Component ``k`` receives
        ``n_samples * w_k`` points, rounded by the largest remainder method
        so that the counts sum to ``n_samples``.

    radius : float, default=3.0
        The mean radius :math:`r` of the ring.

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        component.

    noise : float, default=0.3
        Standard deviation :math:`\\sigma` of the radius.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation, shuffling
        and noise. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The von Mises component (0, 1 or 2, by decreasing weight) of the
        angle of each sample.

    See Also
    --------
    von_mises_ring_log_density : The log-density of this distribution.
    make_rings : Concentric circles with uniform angles.

    Examples
    --------
    >>> from sk_ebm.datasets import make_von_mises_ring
    >>> import numpy as np
    >>> X, y = make_von_mises_ring(n_samples=200, noise=0.0, random_state=0)
    >>> X.shape
    (200, 2)
    >>> bool(np.allclose(np.hypot(X[:, 0], X[:, 1]), 3.0))
    True
    >>> np.bincount(y)
    array([100,  60,  40])
    """
    generator = check_random_state(random_state)
    counts = split_proportionally(n_samples, _WEIGHTS)
    y = labels(counts)
    theta = generator.vonmises(_LOCATIONS[y], _CONCENTRATIONS[y])
    rho = radius + generator.normal(scale=noise, size=n_samples)
    X = rho[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    return finalize(X, y, shuffle, generator)


def _angle_log_pdf(theta):
    """Log-density on the circle of the von Mises mixture of the angle."""
    # log I0(k) = log(i0e(k)) + k, stable for large concentrations.
    log_norm = np.log(2 * np.pi * i0e(_CONCENTRATIONS)) + _CONCENTRATIONS
    log_components = _CONCENTRATIONS * np.cos(theta[:, None] - _LOCATIONS) - log_norm
    return logsumexp(np.log(_WEIGHTS) + log_components, axis=1)


@validate_params(
    {
        "X": ["array-like"],
        "radius": [Interval(Real, 0, None, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def von_mises_ring_log_density(X, *, radius=3.0, noise=0.3):
    """Log-density of the distribution of :func:`make_von_mises_ring`.

    With :math:`p_\\theta` the von Mises mixture of the angle and the radius
    :math:`\\rho \\sim \\mathcal{N}(r, \\sigma^2)`, the change to polar
    coordinates :math:`x = |x| (\\cos \\varphi, \\sin \\varphi)` (Jacobian
    :math:`|x|`) gives

    .. math:: p(x) = \\frac{1}{|x|} \\left[ p_\\theta(\\varphi)
        \\mathcal{N}(|x|; r, \\sigma^2) + p_\\theta(\\varphi + \\pi)
        \\mathcal{N}(-|x|; r, \\sigma^2) \\right],

    the second term for the (rare) negative radii, which put the point at
    the opposite angle.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points at which to evaluate the log-density.

    radius : float, default=3.0
        The ``radius`` of :func:`make_von_mises_ring`, :math:`r`.

    noise : float, default=0.3
        The ``noise`` of :func:`make_von_mises_ring`, :math:`\\sigma`; it must
        be positive (without noise the ring is a curve, without a density).

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        The log-density of each row of ``X``.

    See Also
    --------
    make_von_mises_ring : Samples of this distribution.

    Notes
    -----
    :func:`make_von_mises_ring` draws the component sizes by a deterministic
    proportional split instead of a multinomial draw, a stratified sample of
    this density.

    Examples
    --------
    >>> from sk_ebm.datasets import make_von_mises_ring, von_mises_ring_log_density
    >>> X, _ = make_von_mises_ring(n_samples=2000, random_state=0)
    >>> round(float(von_mises_ring_log_density(X).mean()), 1)
    -3.1
    """
    return polar_log_density(
        X, _angle_log_pdf, lambda r: normal_log_pdf(r, radius, noise)
    )
