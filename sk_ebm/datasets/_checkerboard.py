"""A checkerboard, with its density."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import (
    check_points,
    finalize,
    labels,
    log_interval_probability,
    logsumexp,
    split_evenly,
)

__all__ = ["checkerboard_log_density", "make_checkerboard"]


def _black_corners():
    """Lower-left corners (in units of squares) of the black squares."""
    return np.array(
        [(i, j) for i in range(-2, 2) for j in range(-2, 2) if (i + j) % 2 == 0],
        dtype=np.float64,
    )


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_checkerboard(n_samples=100, *, shuffle=True, noise=0.0, random_state=None):
    """Make a checkerboard.

    The data are uniform on the 8 "black" squares of a 4 x 4 checkerboard
    covering ``[-4, 4]^2``, whose squares have side 2. The black squares are
    those whose lower-left corner ``(2 i, 2 j)`` satisfies ``i + j`` even,
    for ``i, j`` in ``{-2, -1, 0, 1}``. This is the "checkerboard" toy
    distribution of FFJORD (Grathwohl et al., 2019).

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated, split as evenly as possible
        across the 8 squares (the first ``n_samples % 8`` squares receive one
        extra point).

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        square.

    noise : float, default=0.0
        Standard deviation of the isotropic Gaussian noise added to the data.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation, shuffling
        and noise. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The index (0 to 7) of the square of each sample. Squares are numbered
        column by column from left to right, bottom to top within a column.

    See Also
    --------
    checkerboard_log_density : The log-density of this distribution.
    make_eight_gaussians : Gaussian mixture on a circle.
    make_rings : Concentric circles.

    Examples
    --------
    >>> from sk_ebm.datasets import make_checkerboard
    >>> X, y = make_checkerboard(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> y.shape
    (200,)
    >>> bool((abs(X) <= 4).all())
    True
    """
    generator = check_random_state(random_state)
    corners = _black_corners()
    counts = split_evenly(n_samples, len(corners))
    y = labels(counts)

    X = 2 * (corners[y] + generator.uniform(size=(n_samples, 2)))
    X += generator.normal(scale=noise, size=X.shape)

    return finalize(X, y, shuffle, generator)


@validate_params(
    {
        "X": ["array-like"],
        "noise": [Interval(Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def checkerboard_log_density(X, *, noise=0.0):
    """Log-density of the distribution of :func:`make_checkerboard`.

    Without noise the density is :math:`1 / 32` on the 8 black squares (of
    area 4) and 0 elsewhere (log-density ``-inf``). With noise
    :math:`\\sigma > 0` it is the convolution of that uniform density with
    :math:`\\mathcal{N}(0, \\sigma^2 I)`:

    .. math:: p(x) = \\frac{1}{8} \\sum_{k=1}^{8} \\prod_{d=1}^{2}
        \\frac{\\Phi((b_{kd} - x_d) / \\sigma) - \\Phi((a_{kd} - x_d) / \\sigma)}
        {b_{kd} - a_{kd}}

    for the squares :math:`[a_{k1}, b_{k1}] \\times [a_{k2}, b_{k2}]`.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points at which to evaluate the log-density.

    noise : float, default=0.0
        The ``noise`` of :func:`make_checkerboard`.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        The log-density of each row of ``X``.

    See Also
    --------
    make_checkerboard : Samples of this distribution.

    Examples
    --------
    >>> from sk_ebm.datasets import checkerboard_log_density
    >>> import numpy as np
    >>> checkerboard_log_density([[0.5, 0.5], [2.5, 0.5]])
    array([-3.4657359,       -inf])
    >>> bool(np.isclose(np.exp(checkerboard_log_density([[0.5, 0.5]])), 1 / 32))
    True
    """
    X = check_points(X)
    low = 2 * _black_corners()
    if noise == 0:
        inside = np.any(
            np.all((X[:, None, :] >= low) & (X[:, None, :] <= low + 2), axis=2),
            axis=1,
        )
        return np.where(inside, -np.log(32.0), -np.inf)
    a = (low - X[:, None, :]) / noise
    log_cells = log_interval_probability(a, a + 2 / noise).sum(2)
    return logsumexp(log_cells, axis=1) - np.log(8 * 4)
