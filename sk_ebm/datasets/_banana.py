"""A banana: a Gaussian bent along a parabola, with its density."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import check_points, finalize, normal_log_pdf

__all__ = ["banana_log_density", "make_banana"]

# Standard deviation of the first coordinate.
_SPREAD = 1.5


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "curvature": [Interval(Real, None, None, closed="neither")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_banana(
    n_samples=100, *, curvature=0.5, shuffle=True, noise=0.5, random_state=None
):
    """Make a banana: a Gaussian bent along a parabola.

    The first coordinate is :math:`x_1 \\sim \\mathcal{N}(0, 1.5^2)` and the
    second follows the parabola :math:`b (x_1^2 - 1.5^2)` (centred: its mean
    is 0) up to Gaussian noise, :math:`x_2 = b (x_1^2 - 1.5^2) + \\sigma
    \\varepsilon`. A smooth, curved density (a Rosenbrock-type "banana",
    Haario et al., 1999) that a few Gaussians fit poorly; its log-density
    is :func:`banana_log_density`. With the defaults the data lie roughly
    within ``[-4, 4]^2``.

    Parameters
    ----------
    n_samples : int, default=100
        The number of points generated.

    curvature : float, default=0.5
        The coefficient :math:`b` of the parabola; 0 gives a Gaussian.

    shuffle : bool, default=True
        Whether to shuffle the samples. They are independent and identically
        distributed either way; the flag is kept for a signature like the
        other toys'.

    noise : float, default=0.5
        Standard deviation :math:`\\sigma` of the noise of the second
        coordinate around the parabola.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation and
        shuffling. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        Zeros: the banana has a single component.

    See Also
    --------
    banana_log_density : The log-density of this distribution.
    make_von_mises_ring : A smooth, periodic density on a ring.

    References
    ----------
    .. [1] H. Haario, E. Saksman and J. Tamminen, "Adaptive proposal
       distribution for random walk Metropolis algorithm", Computational
       Statistics 14, 1999.

    Examples
    --------
    >>> from sk_ebm.datasets import make_banana
    >>> X, y = make_banana(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> sorted(set(y.tolist()))
    [0]
    """
    generator = check_random_state(random_state)
    x1 = generator.normal(scale=_SPREAD, size=n_samples)
    x2 = curvature * (x1**2 - _SPREAD**2) + generator.normal(
        scale=noise, size=n_samples
    )
    X = np.column_stack([x1, x2])
    return finalize(X, np.zeros(n_samples), shuffle, generator)


@validate_params(
    {
        "X": ["array-like"],
        "curvature": [Interval(Real, None, None, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def banana_log_density(X, *, curvature=0.5, noise=0.5):
    """Log-density of the distribution of :func:`make_banana`.

    The map :math:`(x_1, x_2) \\mapsto (x_1, x_2 - b (x_1^2 - 1.5^2))` has
    Jacobian determinant 1 and makes the coordinates independent Gaussians,
    so

    .. math:: \\log p(x) = \\log \\mathcal{N}(x_1; 0, 1.5^2)
        + \\log \\mathcal{N}(x_2 - b (x_1^2 - 1.5^2); 0, \\sigma^2).

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points at which to evaluate the log-density.

    curvature : float, default=0.5
        The ``curvature`` of :func:`make_banana`, :math:`b`.

    noise : float, default=0.5
        The ``noise`` of :func:`make_banana`, :math:`\\sigma`; it must be
        positive (without noise the banana is a curve, without a density).

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        The log-density of each row of ``X``.

    See Also
    --------
    make_banana : Samples of this distribution.

    Examples
    --------
    >>> from sk_ebm.datasets import banana_log_density
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> expected = norm.logpdf(0, scale=1.5) + norm.logpdf(0, scale=0.5)
    >>> bool(np.isclose(banana_log_density([[0.0, -0.5 * 1.5**2]]), expected))
    True
    """
    X = check_points(X)
    x1, x2 = X[:, 0], X[:, 1]
    residual = x2 - curvature * (x1**2 - _SPREAD**2)
    return normal_log_pdf(x1, 0.0, _SPREAD) + normal_log_pdf(residual, 0.0, noise)
