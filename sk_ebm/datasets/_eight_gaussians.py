"""A mixture of eight Gaussians on a circle, with its density."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import (
    finalize,
    gaussian_mixture_log_density,
    labels,
    split_evenly,
)

__all__ = ["eight_gaussians_log_density", "make_eight_gaussians"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "scale": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_eight_gaussians(
    n_samples=100, *, shuffle=True, noise=0.2, scale=4.0, random_state=None
):
    """Make a mixture of eight Gaussians on a circle.

    The mixture has 8 equally weighted isotropic Gaussian components whose
    means lie on the circle of radius ``scale`` at angles ``k * pi / 4``,
    ``k = 0, ..., 7``. This is the "8gaussians" toy distribution of FFJORD
    (Grathwohl et al., 2019).

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated, split as evenly as possible
        across the 8 components (the first ``n_samples % 8`` components
        receive one extra point).

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        component.

    noise : float, default=0.2
        Standard deviation of each Gaussian component.

    scale : float, default=4.0
        Radius of the circle on which the component means lie.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation, shuffling
        and noise. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The component (0 to 7) of each sample; component ``k`` is centered at
        angle ``k * pi / 4``.

    See Also
    --------
    eight_gaussians_log_density : The log-density of this distribution.
    make_rings : Concentric circles.
    make_checkerboard : Uniform distribution on a checkerboard.
    sklearn.datasets.make_blobs : Isotropic Gaussian blobs.

    Examples
    --------
    >>> from sk_ebm.datasets import make_eight_gaussians
    >>> X, y = make_eight_gaussians(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> y.shape
    (200,)
    >>> X, y = make_eight_gaussians(n_samples=8, shuffle=False, noise=0.0)
    >>> import numpy as np
    >>> np.round(X[2], 6)
    array([0., 4.])
    """
    generator = check_random_state(random_state)
    angles = np.arange(8) * np.pi / 4
    centers = scale * np.column_stack([np.cos(angles), np.sin(angles)])
    counts = split_evenly(n_samples, len(centers))
    y = labels(counts)

    X = centers[y] + generator.normal(scale=noise, size=(n_samples, 2))

    return finalize(X, y, shuffle, generator)


def _centers(scale):
    angles = np.arange(8) * np.pi / 4
    return scale * np.column_stack([np.cos(angles), np.sin(angles)])


@validate_params(
    {
        "X": ["array-like"],
        "noise": [Interval(Real, 0, None, closed="neither")],
        "scale": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def eight_gaussians_log_density(X, *, noise=0.2, scale=4.0):
    """Log-density of the distribution of :func:`make_eight_gaussians`.

    .. math:: p(x) = \\frac{1}{8} \\sum_{k=0}^{7}
        \\mathcal{N}(x; \\mu_k, \\sigma^2 I), \\quad
        \\mu_k = s (\\cos(k \\pi / 4), \\sin(k \\pi / 4)).

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points at which to evaluate the log-density.

    noise : float, default=0.2
        The ``noise`` of :func:`make_eight_gaussians`, :math:`\\sigma`; it
        must be positive (without noise the distribution has no density).

    scale : float, default=4.0
        The ``scale`` of :func:`make_eight_gaussians`, :math:`s`.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        The log-density of each row of ``X``.

    See Also
    --------
    make_eight_gaussians : Samples of this distribution.

    Examples
    --------
    >>> from sk_ebm.datasets import eight_gaussians_log_density
    >>> import numpy as np
    >>> expected = -np.log(8 * 2 * np.pi * 0.2**2)  # at a mean, far from the others
    >>> bool(np.isclose(eight_gaussians_log_density([[4.0, 0.0]]), expected))
    True
    """
    covariance = noise**2 * np.eye(2)
    return gaussian_mixture_log_density(
        X, np.full(8, 1 / 8), _centers(scale), [covariance] * 8
    )
