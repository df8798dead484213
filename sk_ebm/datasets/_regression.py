"""One-dimensional regression toys with a known conditional density p(y | x).

Four data sets, from the hardest to the simplest conditional density:

- ``bimodal_skewed``: two sine branches of unequal weight for x < 0, a
  right-skewed log-normal for x >= 0;
- ``inverse_sine``: Bishop's multivalued inverse problem (up to three modes);
- ``heteroscedastic_sine``: a Gaussian around a growing sine whose spread
  grows with x;
- ``linear_gaussian``: the unimodal, homoscedastic control.

Every ``make_<name>(n_samples=500, *, noise=..., random_state=None)`` returns
``X`` of shape (n_samples, 1) and ``y`` of shape (n_samples,), and
``<name>_log_density(X, y, *, noise=...)`` is the exact log p(y | x) of each
row, with the same ``noise`` parameter and default.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_array, check_consistent_length, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from sk_ebm.datasets._utils import logsumexp, normal_log_pdf

__all__ = [
    "bimodal_skewed_log_density",
    "heteroscedastic_sine_log_density",
    "inverse_sine_log_density",
    "linear_gaussian_log_density",
    "make_bimodal_skewed",
    "make_heteroscedastic_sine",
    "make_inverse_sine",
    "make_linear_gaussian",
]

# bimodal_skewed: for x < 0, y ~ w N(m(x), s^2) + (1 - w) N(-m(x), s^2) with
# m(x) = OFFSET + sin(FREQUENCY x) (in [0.5, 1.5] on [-1, 0), so the branches
# are at least 1 apart); for x >= 0, log(1 + y) ~ N(SLOPE x, SPREAD^2).
_BRANCH_WEIGHT = 0.7
_BRANCH_OFFSET = 1.5
_BRANCH_FREQUENCY = 3.0
_LOG_NORMAL_SLOPE = 0.5
_LOG_NORMAL_SPREAD = 0.4

# inverse_sine: x = t + AMPLITUDE sin(2 pi t) + noise, t ~ U(0, 1).
_INVERSE_SINE_AMPLITUDE = 0.3

# heteroscedastic_sine: x ~ U(0, X_MAX), y = x sin(x) / 2 + noise (1 + |x|) eps.
_HETERO_X_MAX = 10.0

# linear_gaussian: y = SLOPE x + INTERCEPT + noise eps, x ~ U(-1, 1).
_LINEAR_SLOPE, _LINEAR_INTERCEPT = 2.0, 1.0

_MAKE_PARAMS = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "noise": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
}
_LOG_DENSITY_PARAMS = {
    "X": ["array-like"],
    "y": ["array-like"],
    "noise": [Interval(Real, 0, None, closed="neither")],
}


def _check_conditional(X, y):
    """``X`` as float64 of shape (n, 1) and ``y`` as float64 of shape (n,)."""
    X = check_array(X, dtype=np.float64)
    if X.shape[1] != 1:
        raise ValueError(
            "The regression toys have one feature: X must have shape "
            f"(n_samples, 1), got {X.shape}."
        )
    y = check_array(y, dtype=np.float64, ensure_2d=False, input_name="y")
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n_samples,), got {y.shape}.")
    check_consistent_length(X, y)
    return X[:, 0], y


def _finalize(x, y):
    """``X`` of shape (n, 1) and ``y`` of shape (n,), both float64."""
    X = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, 1)
    return X, np.ascontiguousarray(y, dtype=np.float64)


# -- bimodal_skewed ------------------------------------------------------------


@validate_params(_MAKE_PARAMS, prefer_skip_nested_validation=True)
def make_bimodal_skewed(n_samples=500, *, noise=0.1, random_state=None):
    """Make a regression toy with two unequal branches, then a skewed tail.

    The input is :math:`x \\sim U(-1, 1)`. For :math:`x < 0` the target is
    on one of two sine branches, the upper one with probability 0.7:

    .. math:: y \\mid x \\sim 0.7\\, \\mathcal{N}(m(x), \\sigma^2)
        + 0.3\\, \\mathcal{N}(-m(x), \\sigma^2), \\quad
        m(x) = 1.5 + \\sin(3 x),

    so the branches are :math:`2 m(x) \\geq 1` apart (:math:`m` lies in
    ``[0.5, 1.5]`` on ``[-1, 0)``). For :math:`x \\geq 0` it is a
    right-skewed, shifted log-normal:

    .. math:: \\log(1 + y) \\mid x \\sim \\mathcal{N}(0.5 x, 0.4^2),

    of mode :math:`e^{0.5 x - 0.16} - 1` and support :math:`y > -1`. The
    conditional density jumps at :math:`x = 0`. A single Gaussian per input
    misses both the second branch and the skew; its log-density is
    :func:`bimodal_skewed_log_density`.

    Parameters
    ----------
    n_samples : int, default=500
        The number of rows generated.

    noise : float, default=0.1
        Standard deviation :math:`\\sigma` of both branches (``x < 0``); the
        log-normal part (``x >= 0``) does not depend on it.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an
        int for reproducible output across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 1), dtype=float64
        The inputs.

    y : ndarray of shape (n_samples,), dtype=float64
        The targets.

    See Also
    --------
    bimodal_skewed_log_density : The conditional log-density of ``y``.
    make_inverse_sine : A multivalued inverse problem.

    Examples
    --------
    >>> from sk_ebm.datasets import make_bimodal_skewed
    >>> X, y = make_bimodal_skewed(n_samples=1000, random_state=0)
    >>> X.shape, y.shape
    ((1000, 1), (1000,))
    >>> left = X[:, 0] < 0
    >>> round(float((y[left] > 0).mean()), 1)  # the upper branch weighs 0.7
    0.7
    """
    generator = check_random_state(random_state)
    x = generator.uniform(-1.0, 1.0, size=n_samples)
    upper = generator.uniform(size=n_samples) < _BRANCH_WEIGHT
    eps = generator.normal(size=n_samples)
    branch = _BRANCH_OFFSET + np.sin(_BRANCH_FREQUENCY * x)
    branches = np.where(upper, branch, -branch) + noise * eps
    skewed = np.expm1(_LOG_NORMAL_SLOPE * x + _LOG_NORMAL_SPREAD * eps)
    return _finalize(x, np.where(x < 0, branches, skewed))


@validate_params(_LOG_DENSITY_PARAMS, prefer_skip_nested_validation=True)
def bimodal_skewed_log_density(X, y, *, noise=0.1):
    """Conditional log-density of the targets of :func:`make_bimodal_skewed`.

    For :math:`x < 0`,

    .. math:: \\log p(y \\mid x) = \\log\\big(0.7\\, \\mathcal{N}(y; m(x),
        \\sigma^2) + 0.3\\, \\mathcal{N}(y; -m(x), \\sigma^2)\\big)

    with :math:`m(x) = 1.5 + \\sin(3 x)`; for :math:`x \\geq 0` the
    log-normal :math:`\\log \\mathcal{N}(\\log(1 + y); 0.5 x, 0.4^2) -
    \\log(1 + y)` where :math:`y > -1`, and ``-inf`` (density 0) where
    :math:`y \\leq -1`. The formulas hold for every :math:`x`, also outside
    the sampled ``[-1, 1)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
        The inputs.

    y : array-like of shape (n_samples,)
        The targets at which to evaluate the density, one per row of ``X``.

    noise : float, default=0.1
        The ``noise`` of :func:`make_bimodal_skewed`, :math:`\\sigma`; it must
        be positive.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        :math:`\\log p(y_i \\mid x_i)` for each row.

    See Also
    --------
    make_bimodal_skewed : Samples of this distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.datasets import bimodal_skewed_log_density
    >>> # On the upper branch at x = -0.5 the lower one adds nothing.
    >>> x = -0.5
    >>> upper = 1.5 + np.sin(3 * x)
    >>> expected = np.log(0.7) + norm.logpdf(0.0, scale=0.1)
    >>> bool(np.isclose(bimodal_skewed_log_density([[x]], [upper]), expected))
    True
    >>> bimodal_skewed_log_density([[0.5]], [-1.0])  # below the log-normal
    array([-inf])
    """
    x, y = _check_conditional(X, y)
    branch = _BRANCH_OFFSET + np.sin(_BRANCH_FREQUENCY * x)
    branches = np.logaddexp(
        np.log(_BRANCH_WEIGHT) + normal_log_pdf(y, branch, noise),
        np.log1p(-_BRANCH_WEIGHT) + normal_log_pdf(y, -branch, noise),
    )
    inside = y > -1
    shifted = np.log1p(np.where(inside, y, 0.0))
    skewed = np.where(
        inside,
        normal_log_pdf(shifted, _LOG_NORMAL_SLOPE * x, _LOG_NORMAL_SPREAD) - shifted,
        -np.inf,
    )
    return np.where(x < 0, branches, skewed)


# -- inverse_sine --------------------------------------------------------------


def _inverse_sine_mean(t):
    """The noise-free input ``t + 0.3 sin(2 pi t)`` of the target ``t``."""
    return t + _INVERSE_SINE_AMPLITUDE * np.sin(2 * np.pi * t)


@validate_params(_MAKE_PARAMS, prefer_skip_nested_validation=True)
def make_inverse_sine(n_samples=500, *, noise=0.05, random_state=None):
    """Make Bishop's multivalued inverse problem: t given a noisy sine of t.

    The forward problem is simple: :math:`t \\sim U(0, 1)` and

    .. math:: x = t + 0.3 \\sin(2 \\pi t) + \\sigma \\varepsilon, \\quad
        \\varepsilon \\sim \\mathcal{N}(0, 1).

    The data set is the inverse problem, to predict :math:`y = t` from
    :math:`x`. As :math:`t + 0.3 \\sin(2 \\pi t)` is not monotonic, for
    :math:`x` between about 0.41 and 0.59 three values of :math:`t` give the
    same :math:`x`: the conditional density has three modes there, and its mean
    (what least squares learn) lies between them, where the data are
    scarce. Its log-density is :func:`inverse_sine_log_density`; the
    targets lie in ``[0, 1]``, the inputs roughly in ``[-0.15, 1.15]``.

    Parameters
    ----------
    n_samples : int, default=500
        The number of rows generated.

    noise : float, default=0.05
        Standard deviation :math:`\\sigma` of the noise of the input.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an
        int for reproducible output across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 1), dtype=float64
        The inputs :math:`x`.

    y : ndarray of shape (n_samples,), dtype=float64
        The targets :math:`t`.

    See Also
    --------
    inverse_sine_log_density : The conditional log-density of ``y``.

    References
    ----------
    .. [1] C. M. Bishop, "Mixture density networks", Technical Report
       NCRG/94/004, Aston University, 1994.

    Examples
    --------
    >>> from sk_ebm.datasets import make_inverse_sine
    >>> X, y = make_inverse_sine(n_samples=300, random_state=0)
    >>> X.shape, y.shape
    ((300, 1), (300,))
    >>> bool(y.min() >= 0 and y.max() <= 1)
    True
    """
    generator = check_random_state(random_state)
    t = generator.uniform(0.0, 1.0, size=n_samples)
    x = _inverse_sine_mean(t) + noise * generator.normal(size=n_samples)
    return _finalize(x, t)


@lru_cache(maxsize=8)
def _inverse_sine_nodes(noise, nodes_per_panel=8, n_graded=40):
    """Nodes of ``t`` on ``[0, 1]``, their means ``t + 0.3 sin(2 pi t)`` and
    the log of their Gauss-Legendre weights.

    As a function of ``t`` the integrand ``N(x; t + 0.3 sin(2 pi t), noise^2)``
    is at least ``noise / (1 + 0.6 pi) > noise / 3`` wide; panels no longer
    than ``noise / 8`` (and at most 1/128), 8 nodes each, resolve it. For an
    ``x`` outside ``[0, 1]`` (the range of ``t + 0.3 sin(2 pi t)``) the
    integrand decays exponentially from an end of ``[0, 1]``, the faster the
    farther ``x``: the first and last panels are split geometrically
    (``n_graded`` halvings) so that the far tails stay accurate too.
    """
    n_panels = int(np.ceil(max(128.0, 8.0 / noise)))
    graded = 0.5 ** np.arange(1, n_graded + 1) / n_panels
    edges = np.unique(
        np.concatenate([np.linspace(0.0, 1.0, n_panels + 1), graded, 1 - graded])
    )
    nodes, weights = np.polynomial.legendre.leggauss(nodes_per_panel)
    half = np.diff(edges)[:, None] / 2
    t = ((edges[:-1, None] + edges[1:, None]) / 2 + half * nodes).ravel()
    log_w = np.log((half * weights).ravel())
    return _inverse_sine_mean(t), log_w


def _inverse_sine_log_marginal(x, noise, chunk=256):
    """``log p(x) = log int_0^1 N(x; t + 0.3 sin(2 pi t), noise^2) dt``, the
    quadrature done once per distinct value of ``x``."""
    means, log_w = _inverse_sine_nodes(float(noise))
    unique, inverse = np.unique(x, return_inverse=True)
    out = np.empty(len(unique))
    for start in range(0, len(unique), chunk):  # bounded memory
        rows = unique[start : start + chunk, None]
        out[start : start + chunk] = logsumexp(
            log_w + normal_log_pdf(rows, means, noise), axis=1
        )
    return out[inverse.ravel()]


@validate_params(_LOG_DENSITY_PARAMS, prefer_skip_nested_validation=True)
def inverse_sine_log_density(X, y, *, noise=0.05):
    """Conditional log-density of the targets of :func:`make_inverse_sine`.

    By Bayes' rule, with :math:`t \\sim U(0, 1)` and
    :math:`g(t) = t + 0.3 \\sin(2 \\pi t)`,

    .. math:: p(y \\mid x) = \\frac{\\mathcal{N}(x; g(y), \\sigma^2)}{p(x)}
        \\text{ for } 0 \\leq y \\leq 1, \\quad
        p(x) = \\int_0^1 \\mathcal{N}(x; g(t), \\sigma^2) \\, dt.

    The targets lie in ``[0, 1]``: outside, the density is 0 and the
    log-density ``-inf``. The marginal :math:`p(x)` is computed in log space
    by Gauss-Legendre quadrature (8 nodes on each of at least 128 panels no
    longer than ``noise / 8``, the panels at the ends of ``[0, 1]`` split
    geometrically for the far tails), once per distinct value of :math:`x`
    (so repeated inputs, as on a grid of targets, cost one quadrature): its
    error in the log-density is below ``1e-8``, also far outside the data,
    and 10 000 rows take a fraction of a second.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
        The inputs.

    y : array-like of shape (n_samples,)
        The targets at which to evaluate the density, one per row of ``X``.

    noise : float, default=0.05
        The ``noise`` of :func:`make_inverse_sine`, :math:`\\sigma`; it must be
        positive.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        :math:`\\log p(y_i \\mid x_i)` for each row, ``-inf`` where
        :math:`y_i` is outside ``[0, 1]``.

    See Also
    --------
    make_inverse_sine : Samples of this distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.datasets import inverse_sine_log_density
    >>> # Three modes of the same height at x = 0.5: y = 0.21, 0.5 and 0.79.
    >>> y = np.array([0.0, 0.21, 0.35, 0.5, 0.65, 0.79, 1.0])
    >>> log_density = inverse_sine_log_density(np.full((7, 1), 0.5), y)
    >>> np.round(np.exp(log_density), 1)
    array([0. , 2.8, 0.5, 2.8, 0.5, 2.8, 0. ])
    >>> inverse_sine_log_density([[0.5]], [1.5])  # outside [0, 1]
    array([-inf])
    """
    x, y = _check_conditional(X, y)
    inside = (y >= 0) & (y <= 1)
    log_joint = normal_log_pdf(x, _inverse_sine_mean(y), noise)
    return np.where(inside, log_joint - _inverse_sine_log_marginal(x, noise), -np.inf)


# -- heteroscedastic_sine ------------------------------------------------------


def _hetero_mean_std(x, noise):
    """Mean ``x sin(x) / 2`` and standard deviation ``noise (1 + |x|)``."""
    return x * np.sin(x) / 2, noise * (1 + np.abs(x))


@validate_params(_MAKE_PARAMS, prefer_skip_nested_validation=True)
def make_heteroscedastic_sine(n_samples=500, *, noise=0.1, random_state=None):
    """Make a growing sine with a spread that grows with the input.

    The input is :math:`x \\sim U(0, 10)` and the target a Gaussian,

    .. math:: y \\mid x \\sim \\mathcal{N}\\big(x \\sin(x) / 2,\\;
        \\sigma^2 (1 + x)^2\\big),

    unimodal but heteroscedastic: the standard deviation grows from
    :math:`\\sigma` at :math:`x = 0` to :math:`11 \\sigma` at :math:`x = 10`
    (0.1 to 1.1 with the default). Its log-density is
    :func:`heteroscedastic_sine_log_density`.

    Parameters
    ----------
    n_samples : int, default=500
        The number of rows generated.

    noise : float, default=0.1
        The standard deviation :math:`\\sigma` of the target at :math:`x = 0`.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an
        int for reproducible output across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 1), dtype=float64
        The inputs.

    y : ndarray of shape (n_samples,), dtype=float64
        The targets.

    See Also
    --------
    heteroscedastic_sine_log_density : The conditional log-density of ``y``.

    Examples
    --------
    >>> from sk_ebm.datasets import make_heteroscedastic_sine
    >>> X, y = make_heteroscedastic_sine(n_samples=200, random_state=0)
    >>> X.shape, y.shape
    ((200, 1), (200,))
    >>> bool(X.min() >= 0 and X.max() <= 10)
    True
    """
    generator = check_random_state(random_state)
    x = generator.uniform(0.0, _HETERO_X_MAX, size=n_samples)
    mean, std = _hetero_mean_std(x, noise)
    return _finalize(x, mean + std * generator.normal(size=n_samples))


@validate_params(_LOG_DENSITY_PARAMS, prefer_skip_nested_validation=True)
def heteroscedastic_sine_log_density(X, y, *, noise=0.1):
    """Conditional log-density of the targets of the heteroscedastic sine.

    The targets of :func:`make_heteroscedastic_sine` have the log-density

    .. math:: \\log p(y \\mid x) = \\log \\mathcal{N}\\big(y; x \\sin(x) / 2,
        \\sigma^2 (1 + |x|)^2\\big),

    the absolute value extending the sampled ``[0, 10]`` to every :math:`x`.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
        The inputs.

    y : array-like of shape (n_samples,)
        The targets at which to evaluate the density, one per row of ``X``.

    noise : float, default=0.1
        The ``noise`` of :func:`make_heteroscedastic_sine`, :math:`\\sigma`;
        it must be positive.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        :math:`\\log p(y_i \\mid x_i)` for each row.

    See Also
    --------
    make_heteroscedastic_sine : Samples of this distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.datasets import heteroscedastic_sine_log_density
    >>> expected = norm.logpdf(0.0, scale=0.1)  # at x = 0: N(0, 0.1^2)
    >>> bool(np.isclose(heteroscedastic_sine_log_density([[0.0]], [0.0]), expected))
    True
    """
    x, y = _check_conditional(X, y)
    mean, std = _hetero_mean_std(x, noise)
    return normal_log_pdf(y, mean, std)


# -- linear_gaussian -----------------------------------------------------------


@validate_params(_MAKE_PARAMS, prefer_skip_nested_validation=True)
def make_linear_gaussian(n_samples=500, *, noise=0.3, random_state=None):
    """Make a linear regression with Gaussian noise, the unimodal control.

    The input is :math:`x \\sim U(-1, 1)` and the target

    .. math:: y = 2 x + 1 + \\sigma \\varepsilon, \\quad
        \\varepsilon \\sim \\mathcal{N}(0, 1):

    unimodal and homoscedastic, where a single Gaussian per input (Gaussian
    process, NGBoost) is exactly right. Its log-density is
    :func:`linear_gaussian_log_density`.

    Parameters
    ----------
    n_samples : int, default=500
        The number of rows generated.

    noise : float, default=0.3
        Standard deviation :math:`\\sigma` of the noise of the target.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an
        int for reproducible output across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 1), dtype=float64
        The inputs.

    y : ndarray of shape (n_samples,), dtype=float64
        The targets.

    See Also
    --------
    linear_gaussian_log_density : The conditional log-density of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.datasets import make_linear_gaussian
    >>> X, y = make_linear_gaussian(n_samples=5000, random_state=0)
    >>> slope, intercept = np.polyfit(X[:, 0], y, 1)
    >>> round(float(slope), 1), round(float(intercept), 1)
    (2.0, 1.0)
    """
    generator = check_random_state(random_state)
    x = generator.uniform(-1.0, 1.0, size=n_samples)
    y = _LINEAR_SLOPE * x + _LINEAR_INTERCEPT + noise * generator.normal(size=n_samples)
    return _finalize(x, y)


@validate_params(_LOG_DENSITY_PARAMS, prefer_skip_nested_validation=True)
def linear_gaussian_log_density(X, y, *, noise=0.3):
    """Conditional log-density of the targets of :func:`make_linear_gaussian`.

    .. math:: \\log p(y \\mid x) = \\log \\mathcal{N}(y; 2 x + 1, \\sigma^2).

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
        The inputs.

    y : array-like of shape (n_samples,)
        The targets at which to evaluate the density, one per row of ``X``.

    noise : float, default=0.3
        The ``noise`` of :func:`make_linear_gaussian`, :math:`\\sigma`; it must
        be positive.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        :math:`\\log p(y_i \\mid x_i)` for each row.

    See Also
    --------
    make_linear_gaussian : Samples of this distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.datasets import linear_gaussian_log_density
    >>> expected = norm.logpdf(0.1, scale=0.3)
    >>> bool(np.isclose(linear_gaussian_log_density([[0.5]], [2.1]), expected))
    True
    """
    x, y = _check_conditional(X, y)
    return normal_log_pdf(y, _LINEAR_SLOPE * x + _LINEAR_INTERCEPT, noise)
