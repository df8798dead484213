"""Two-dimensional toy distributions for density estimation benchmarks."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils import shuffle as util_shuffle
from sklearn.utils._param_validation import Interval, validate_params

__all__ = [
    "TOYS",
    "make_checkerboard",
    "make_eight_gaussians",
    "make_pinwheel",
    "make_rings",
    "make_two_spirals",
]

# Half-width of the box [-4, 4]^2 that (roughly) contains every toy data set.
_BOX = 4.0


def _split_evenly(n_samples, n_components):
    """Split ``n_samples`` into ``n_components`` counts differing by at most one.

    The first ``n_samples % n_components`` components receive one extra
    sample, so the split is deterministic.
    """
    counts = np.full(n_components, n_samples // n_components, dtype=np.int64)
    counts[: n_samples % n_components] += 1
    return counts


def _split_proportionally(n_samples, weights):
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


def _labels(counts):
    """Component labels ``0, ..., len(counts) - 1`` repeated ``counts`` times."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _finalize(X, y, shuffle, generator):
    """Cast to the output dtypes and optionally shuffle the samples."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.int64)
    if shuffle:
        X, y = util_shuffle(X, y, random_state=generator)
    return X, y


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_two_spirals(n_samples=100, *, shuffle=True, noise=0.1, random_state=None):
    """Make two interleaved spirals.

    Arm 0 is the curve ``t -> (-t cos(t), t sin(t)) / 3`` for
    ``t = sqrt(u) * 3 * pi`` with ``u ~ U(0, 1)`` (one and a half turns), and
    arm 1 is its point reflection through the origin. This is the "2spirals"
    toy distribution of FFJORD (Grathwohl et al., 2019); the data lie roughly
    within ``[-4, 4]^2``.

    Parameters
    ----------
    n_samples : int, default=100
        The total number of points generated. The two arms receive
        ``n_samples // 2`` points each, arm 0 getting the extra point when
        ``n_samples`` is odd.

    shuffle : bool, default=True
        Whether to shuffle the samples. If False, the samples are sorted by
        arm.

    noise : float, default=0.1
        Standard deviation of the isotropic Gaussian noise added to the data,
        in the units of the returned coordinates.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation, shuffling
        and noise. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype=float64
        The generated samples.

    y : ndarray of shape (n_samples,), dtype=int64
        The arm (0 or 1) of each sample.

    See Also
    --------
    make_pinwheel : Spiral-shaped arms of a pinwheel.
    make_rings : Concentric circles.
    sklearn.datasets.make_moons : Two interleaving half circles.

    Examples
    --------
    >>> from sk_ebm.datasets import make_two_spirals
    >>> X, y = make_two_spirals(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> y.shape
    (200,)
    >>> sorted(set(y.tolist()))
    [0, 1]
    """
    generator = check_random_state(random_state)
    counts = _split_evenly(n_samples, 2)

    arms = []
    for arm, count in enumerate(counts):
        t = np.sqrt(generator.uniform(size=count)) * 540 * (2 * np.pi) / 360
        points = np.column_stack([-np.cos(t) * t, np.sin(t) * t]) / 3
        arms.append(points if arm == 0 else -points)
    X = np.concatenate(arms)
    X += generator.normal(scale=noise, size=X.shape)

    return _finalize(X, _labels(counts), shuffle, generator)


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
    radii = _BOX * np.arange(1, n_rings + 1) / n_rings
    counts = _split_proportionally(n_samples, radii)
    y = _labels(counts)

    theta = generator.uniform(0, 2 * np.pi, size=n_samples)
    r = radii[y] + generator.normal(scale=noise, size=n_samples)
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])

    return _finalize(X, y, shuffle, generator)


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
    # Lower-left corners (in units of squares) of the black squares.
    corners = np.array(
        [(i, j) for i in range(-2, 2) for j in range(-2, 2) if (i + j) % 2 == 0],
        dtype=np.float64,
    )
    counts = _split_evenly(n_samples, len(corners))
    y = _labels(counts)

    X = 2 * (corners[y] + generator.uniform(size=(n_samples, 2)))
    X += generator.normal(scale=noise, size=X.shape)

    return _finalize(X, y, shuffle, generator)


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
    counts = _split_evenly(n_samples, len(centers))
    y = _labels(counts)

    X = centers[y] + generator.normal(scale=noise, size=(n_samples, 2))

    return _finalize(X, y, shuffle, generator)


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
    counts = _split_evenly(n_samples, n_arms)
    y = _labels(counts)

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

    return _finalize(X, y, shuffle, generator)


#: The 2-D toy distributions by name, each a ``make_*(n_samples, *, ...,
#: random_state=None)`` of this module returning ``(X, y)``: the table that the
#: benchmarks and the examples iterate over.
TOYS = {
    "two_spirals": make_two_spirals,
    "rings": make_rings,
    "checkerboard": make_checkerboard,
    "eight_gaussians": make_eight_gaussians,
    "pinwheel": make_pinwheel,
}
