"""An unequally weighted mixture of three Gaussians, with its density."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import (
    finalize,
    gaussian_mixture_log_density,
    labels,
    split_proportionally,
)

__all__ = ["make_three_gaussians", "three_gaussians_log_density"]

_WEIGHTS = np.array([0.6, 0.3, 0.1])
_MEANS = np.array([[-1.0, -1.0], [2.0, 1.5], [-1.5, 2.5]])
_COVARIANCES = np.array(
    [
        [[1.5, 0.8], [0.8, 1.0]],
        [[0.3, -0.15], [-0.15, 0.4]],
        [[0.08, 0.0], [0.0, 0.08]],
    ]
)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_three_gaussians(n_samples=100, *, shuffle=True, random_state=None):
    """Make an unequally weighted mixture of three Gaussians.

    The components have weights 0.6, 0.3 and 0.1, means
    ``(-1, -1)``, ``(2, 1.5)`` and ``(-1.5, 2.5)``, and covariances from
    broad and correlated to narrow and isotropic:

    - ``[[1.5, 0.8], [0.8, 1.0]]``,
    - ``[[0.3, -0.15], [-0.15, 0.4]]``,
    - ``[[0.08, 0], [0, 0.08]]``.

    Its log-density is :func:`three_gaussians_log_density`. The data lie
    roughly within ``[-4, 4]^2``.

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated. Component ``k`` receives
        ``n_samples * w_k`` points, rounded by the largest remainder method
        so that the counts sum to ``n_samples``.

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        component.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation and
        shuffling. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The component (0, 1 or 2, by decreasing weight) of each sample.

    See Also
    --------
    three_gaussians_log_density : The log-density of this distribution.
    make_eight_gaussians : Equally weighted Gaussians on a circle.

    Examples
    --------
    >>> from sk_ebm.datasets import make_three_gaussians
    >>> import numpy as np
    >>> X, y = make_three_gaussians(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> np.bincount(y)
    array([120,  60,  20])
    """
    generator = check_random_state(random_state)
    counts = split_proportionally(n_samples, _WEIGHTS)
    y = labels(counts)
    cholesky = np.linalg.cholesky(_COVARIANCES)
    noise = generator.normal(size=(n_samples, 2))
    X = _MEANS[y] + np.einsum("nij,nj->ni", cholesky[y], noise)
    return finalize(X, y, shuffle, generator)


@validate_params({"X": ["array-like"]}, prefer_skip_nested_validation=True)
def three_gaussians_log_density(X):
    """Log-density of the distribution of :func:`make_three_gaussians`.

    .. math:: p(x) = \\sum_{k=1}^{3} w_k \\mathcal{N}(x; \\mu_k, \\Sigma_k)

    with the weights, means and covariances given in
    :func:`make_three_gaussians`.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points at which to evaluate the log-density.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        The log-density of each row of ``X``.

    See Also
    --------
    make_three_gaussians : Samples of this distribution.

    Notes
    -----
    :func:`make_three_gaussians` draws the component sizes by a deterministic
    proportional split instead of a multinomial draw, a stratified sample of
    this density.

    Examples
    --------
    >>> from sk_ebm.datasets import three_gaussians_log_density
    >>> from scipy.stats import multivariate_normal
    >>> import numpy as np
    >>> x = np.array([[-1.5, 2.5]])  # the mean of the narrow component
    >>> narrow = 0.1 * multivariate_normal.pdf(x, [-1.5, 2.5], 0.08 * np.eye(2))
    >>> bool(np.exp(three_gaussians_log_density(x))[0] > narrow)
    True
    """
    return gaussian_mixture_log_density(X, _WEIGHTS, _MEANS, _COVARIANCES)
