"""A pinwheel (its density has no closed form)."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import finalize, labels, split_evenly

__all__ = ["make_pinwheel"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_arms": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_pinwheel(
    n_samples=100, *, n_arms=5, shuffle=True, noise=0.3, random_state=None
):
    """Make a pinwheel.

    The pinwheel of Johnson et al. (2016), as used in FFJORD: each arm ``k``
    starts from Gaussian features ``f ~ N((1, 0), diag(noise^2, 0.1^2))``,
    which are rotated by the angle ``2 pi k / n_arms + 0.25 * exp(f_0)`` and
    scaled by 2, so the arms curl outwards and the data lie roughly within
    ``[-4, 4]^2`` for the default ``noise``.

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated, split as evenly as possible
        across the arms (the first ``n_samples % n_arms`` arms receive one
        extra point).

    n_arms : int, default=5
        The number of arms of the pinwheel.

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        arm.

    noise : float, default=0.3
        Radial standard deviation of the features (before scaling by 2). The
        tangential standard deviation is fixed to 0.1.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation, shuffling
        and noise. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The arm (0 to ``n_arms - 1``) of each sample.

    See Also
    --------
    make_two_spirals : Two interleaved spirals.
    make_eight_gaussians : Gaussian mixture on a circle.

    References
    ----------
    .. [1] M. J. Johnson, D. Duvenaud, A. B. Wiltschko, S. R. Datta and
       R. P. Adams, "Composing graphical models with neural networks for
       structured representations and fast inference", NeurIPS 2016.

    Examples
    --------
    >>> from sk_ebm.datasets import make_pinwheel
    >>> X, y = make_pinwheel(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> y.shape
    (200,)
    >>> sorted(set(y.tolist()))
    [0, 1, 2, 3, 4]
    """
    radial_std, tangential_std, rate = noise, 0.1, 0.25

    generator = check_random_state(random_state)
    counts = split_evenly(n_samples, n_arms)
    y = labels(counts)

    features = generator.normal(size=(n_samples, 2)) * [radial_std, tangential_std]
    features[:, 0] += 1.0
    angles = 2 * np.pi * y / n_arms + rate * np.exp(features[:, 0])
    cos, sin = np.cos(angles), np.sin(angles)
    # Same convention as the reference implementation: X = f @ [[c, -s], [s, c]].
    X = 2 * np.column_stack(
        [
            features[:, 0] * cos + features[:, 1] * sin,
            -features[:, 0] * sin + features[:, 1] * cos,
        ]
    )

    return finalize(X, y, shuffle, generator)
