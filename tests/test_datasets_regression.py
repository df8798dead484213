"""Tests for the 1-D regression toys of :mod:`sk_ebm.datasets`: shapes,
reproducibility, validation, and that the samples follow the conditional
log-densities, which integrate to 1."""

import inspect
import itertools
import time
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.integrate import quad
from scipy.stats import kstest, lognorm, norm
from sklearn.utils._param_validation import InvalidParameterError

from sk_ebm.datasets import (
    CONDITIONAL_LOG_DENSITIES,
    REGRESSION_TOYS,
    __all__,
    bimodal_skewed_log_density,
    heteroscedastic_sine_log_density,
    inverse_sine_log_density,
    linear_gaussian_log_density,
    make_bimodal_skewed,
    make_heteroscedastic_sine,
    make_inverse_sine,
    make_linear_gaussian,
)

MAKE_FUNCTIONS = [
    make_bimodal_skewed,
    make_inverse_sine,
    make_heteroscedastic_sine,
    make_linear_gaussian,
]
LOG_DENSITY_FUNCTIONS = [
    bimodal_skewed_log_density,
    inverse_sine_log_density,
    heteroscedastic_sine_log_density,
    linear_gaussian_log_density,
]
NAMES = list(REGRESSION_TOYS)

# Per toy: the sampled range of x, and a range of y holding all but a
# negligible mass of p(y | x) for x in (or a little outside) that range, with
# the default noise or the larger one of ``OTHER_NOISE``.
X_RANGE = {
    "bimodal_skewed": (-1.0, 1.0),
    "inverse_sine": (-0.15, 1.15),
    "heteroscedastic_sine": (0.0, 10.0),
    "linear_gaussian": (-1.0, 1.0),
}
Y_RANGE = {
    "bimodal_skewed": (-5.0, 15.0),
    "inverse_sine": (0.0, 1.0),  # the support: the density is 0 outside
    "heteroscedastic_sine": (-30.0, 30.0),
    "linear_gaussian": (-8.0, 10.0),
}
OTHER_NOISE = {
    "bimodal_skewed": 0.25,
    "inverse_sine": 0.02,
    "heteroscedastic_sine": 0.2,
    "linear_gaussian": 1.0,
}


def _ids(param):
    return getattr(param, "__name__", None)


def _conditional_cdf(name, X, y, n_grid=4001, **params):
    """F(y_i | x_i) of every row, by the trapezoidal rule on a grid of
    ``n_grid`` points from the bottom of ``Y_RANGE[name]`` to ``y_i``."""
    low = Y_RANGE[name][0]
    fractions = np.linspace(0.0, 1.0, n_grid)
    grid = low + (y[:, None] - low) * fractions  # (n, n_grid)
    rows = np.repeat(X, n_grid, axis=0)
    log_density = CONDITIONAL_LOG_DENSITIES[name](rows, grid.ravel(), **params)
    density = np.exp(log_density).reshape(grid.shape)
    return np.trapezoid(density, grid, axis=1)


# -- tables, signatures, shapes ------------------------------------------------


def test_tables_and_all_list_the_regression_toys():
    assert NAMES == [
        "bimodal_skewed",
        "inverse_sine",
        "heteroscedastic_sine",
        "linear_gaussian",
    ]
    assert list(REGRESSION_TOYS.values()) == MAKE_FUNCTIONS
    assert list(CONDITIONAL_LOG_DENSITIES) == NAMES
    assert list(CONDITIONAL_LOG_DENSITIES.values()) == LOG_DENSITY_FUNCTIONS
    for name in NAMES:
        assert REGRESSION_TOYS[name].__name__ == f"make_{name}"
        assert CONDITIONAL_LOG_DENSITIES[name].__name__ == f"{name}_log_density"
    expected = {"REGRESSION_TOYS", "CONDITIONAL_LOG_DENSITIES"} | {
        func.__name__ for func in MAKE_FUNCTIONS + LOG_DENSITY_FUNCTIONS
    }
    assert expected <= set(__all__)


@pytest.mark.parametrize("name", NAMES)
def test_signatures(name):
    make = inspect.signature(REGRESSION_TOYS[name]).parameters
    log_density = inspect.signature(CONDITIONAL_LOG_DENSITIES[name]).parameters
    assert list(make) == ["n_samples", "noise", "random_state"]
    assert make["n_samples"].default == 500
    assert make["n_samples"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert make["noise"].kind is inspect.Parameter.KEYWORD_ONLY
    assert make["random_state"].default is None
    # The log-density takes the distribution parameters, with the same defaults.
    assert list(log_density) == ["X", "y", "noise"]
    assert log_density["noise"].kind is inspect.Parameter.KEYWORD_ONLY
    assert log_density["noise"].default == make["noise"].default


@pytest.mark.parametrize("func", MAKE_FUNCTIONS, ids=_ids)
@pytest.mark.parametrize("n_samples", [1, 2, 7, 100])
def test_shapes_and_dtypes(func, n_samples):
    X, y = func(n_samples, random_state=0)
    assert X.shape == (n_samples, 1)
    assert y.shape == (n_samples,)
    assert X.dtype == np.float64
    assert y.dtype == np.float64
    assert X.flags.c_contiguous
    assert np.isfinite(X).all()
    assert np.isfinite(y).all()


@pytest.mark.parametrize("func", MAKE_FUNCTIONS, ids=_ids)
def test_default_call_and_numpy_integer(func):
    X, y = func()
    assert X.shape == (500, 1)
    assert y.shape == (500,)
    X, y = func(np.int64(12), random_state=0)
    assert X.shape == (12, 1)


@pytest.mark.parametrize("func", MAKE_FUNCTIONS, ids=_ids)
def test_reproducible_with_random_state(func):
    X1, y1 = func(150, random_state=42)
    X2, y2 = func(150, random_state=42)
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)
    X3, y3 = func(150, random_state=43)
    assert not np.array_equal(X1, X3)
    assert not np.array_equal(y1, y3)


@pytest.mark.parametrize("func", MAKE_FUNCTIONS, ids=_ids)
def test_random_state_instance_is_used(func):
    rng = np.random.RandomState(0)
    X1, _ = func(50, random_state=rng)
    X2, _ = func(50, random_state=rng)
    assert not np.array_equal(X1, X2)
    X3, _ = func(50, random_state=np.random.RandomState(0))
    assert_array_equal(X1, X3)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_in_their_range(name):
    X, y = REGRESSION_TOYS[name](5000, random_state=0)
    low, high = X_RANGE[name]
    assert low <= X.min() and X.max() <= high
    if name == "inverse_sine":
        assert 0 <= y.min() and y.max() <= 1


@pytest.mark.parametrize("name", ["linear_gaussian", "heteroscedastic_sine"])
def test_noise_zero_gives_the_mean_curve(name):
    X, y = REGRESSION_TOYS[name](200, noise=0.0, random_state=0)
    x = X[:, 0]
    mean = 2 * x + 1 if name == "linear_gaussian" else x * np.sin(x) / 2
    assert_allclose(y, mean, atol=1e-12)


# -- validation ----------------------------------------------------------------

INVALID_MAKE_PARAMS = [
    ({"n_samples": 0}, "n_samples"),
    ({"n_samples": -3}, "n_samples"),
    ({"n_samples": 2.5}, "n_samples"),
    ({"noise": -1.0}, "noise"),
    ({"noise": "low"}, "noise"),
    ({"random_state": "seed"}, "random_state"),
]


@pytest.mark.parametrize("func", MAKE_FUNCTIONS, ids=_ids)
@pytest.mark.parametrize("params, name", INVALID_MAKE_PARAMS)
def test_invalid_make_params(func, params, name):
    with pytest.raises(InvalidParameterError, match=name):
        func(**params)


@pytest.mark.parametrize("func", MAKE_FUNCTIONS, ids=_ids)
def test_noise_is_keyword_only(func):
    with pytest.raises(TypeError):
        func(10, 0.1)


@pytest.mark.parametrize("func", LOG_DENSITY_FUNCTIONS, ids=_ids)
@pytest.mark.parametrize("noise", [0.0, -0.5, "low", None])
def test_log_density_invalid_noise(func, noise):
    with pytest.raises(InvalidParameterError, match="noise"):
        func([[0.5]], [0.5], noise=noise)


@pytest.mark.parametrize("func", LOG_DENSITY_FUNCTIONS, ids=_ids)
def test_log_density_input_checks(func):
    with pytest.raises(ValueError, match="2D array"):
        func([0.1, 0.2], [0.1, 0.2])  # X must be a column
    with pytest.raises(ValueError, match="one feature"):
        func([[0.1, 0.2]], [0.1])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        func([[0.1], [0.2]], [0.1])
    with pytest.raises(ValueError, match="y must have shape"):
        func([[0.1], [0.2]], [[0.1], [0.2]])
    with pytest.raises(ValueError, match="NaN"):
        func([[np.nan]], [0.1])
    with pytest.raises(ValueError, match="NaN"):
        func([[0.1]], [np.nan])
    with pytest.raises(InvalidParameterError, match="X"):
        func("not an array", [0.1])


@pytest.mark.parametrize("name", NAMES)
def test_log_density_output(name):
    X, y = REGRESSION_TOYS[name](300, random_state=0)
    log_density = CONDITIONAL_LOG_DENSITIES[name](X.tolist(), y.tolist())
    assert log_density.shape == (300,)
    assert log_density.dtype == np.float64
    assert np.isfinite(log_density).all()
    # Integer inputs are cast.
    assert CONDITIONAL_LOG_DENSITIES[name]([[0]], [0]).dtype == np.float64


# -- the densities -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("other_noise", [False, True], ids=["default", "other"])
def test_log_density_integrates_to_one(name, other_noise):
    params = {"noise": OTHER_NOISE[name]} if other_noise else {}
    low, high = X_RANGE[name]
    margin = 0.1 * (high - low)
    grid = np.linspace(*Y_RANGE[name], 60_001)
    # Inputs across the sampled range, on the jump of bimodal_skewed at 0 and
    # a little outside the range.
    for x in [low - margin, low, 0.0, 0.37, 0.5, 0.9, high, high + margin]:
        X = np.full((len(grid), 1), x)
        density = np.exp(CONDITIONAL_LOG_DENSITIES[name](X, grid, **params))
        assert_allclose(np.trapezoid(density, grid), 1.0, atol=1e-3, err_msg=x)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("other_noise", [False, True], ids=["default", "other"])
def test_samples_follow_the_density(name, other_noise):
    # Probability integral transform: if y_i ~ p(y | x_i), F(y_i | x_i) is
    # uniform on [0, 1], whatever the distribution of x.
    params = {"noise": OTHER_NOISE[name]} if other_noise else {}
    X, y = REGRESSION_TOYS[name](2000, random_state=0, **params)
    u = _conditional_cdf(name, X, y, **params)
    assert kstest(u, "uniform").pvalue > 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_transform_detects_a_wrong_noise(name):
    # The test above has power: the density of another noise is rejected.
    X, y = REGRESSION_TOYS[name](2000, random_state=0)
    u = _conditional_cdf(name, X, y, noise=OTHER_NOISE[name])
    assert kstest(u, "uniform").pvalue < 1e-3


@pytest.mark.parametrize("name", ["bimodal_skewed", "inverse_sine"])
def test_samples_follow_the_density_in_narrow_bins(name):
    # Within a narrow bin of x, y follows p(y | x) at the bin's centre.
    X, y = REGRESSION_TOYS[name](100_000, random_state=1)
    for centre in [-0.6, -0.3, 0.3, 0.5] if name == "bimodal_skewed" else [0.2, 0.5]:
        in_bin = np.abs(X[:, 0] - centre) < 0.005
        assert in_bin.sum() > 200
        grid = np.linspace(*Y_RANGE[name], 20_001)
        density = np.exp(
            CONDITIONAL_LOG_DENSITIES[name](np.full((len(grid), 1), centre), grid)
        )
        cdf = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2)])
        cdf *= grid[1] - grid[0]
        model_cdf = partial(np.interp, xp=grid, fp=cdf)
        assert kstest(y[in_bin], model_cdf).pvalue > 1e-3


def _expected_log_density(name, x):
    """E[log p(y | x)] over y ~ p(y | x) (minus the conditional entropy), by
    the trapezoidal rule on a fine grid of y."""
    grid = np.linspace(*Y_RANGE[name], 20_001)
    log_p = CONDITIONAL_LOG_DENSITIES[name](np.full((len(grid), 1), x), grid)
    p = np.exp(log_p)
    return np.trapezoid(p * np.where(p > 0, log_p, 0.0), grid)


@pytest.mark.parametrize(
    "name", ["bimodal_skewed", "heteroscedastic_sine", "linear_gaussian"]
)
def test_mean_log_density_of_samples_is_the_expected_one(name):
    # The sample mean of log p(y | x) against its expectation: over y by
    # quadrature, over the uniform x by the midpoint rule.
    X, y = REGRESSION_TOYS[name](20_000, random_state=2)
    log_density = CONDITIONAL_LOG_DENSITIES[name](X, y)
    edges = np.linspace(*X_RANGE[name], 81)
    expected = np.mean(
        [_expected_log_density(name, x) for x in (edges[1:] + edges[:-1]) / 2]
    )
    standard_error = log_density.std() / np.sqrt(len(y))
    assert abs(log_density.mean() - expected) < 4 * standard_error + 0.005


def test_inverse_sine_mean_log_density_of_samples_is_the_expected_one():
    # E over t ~ U(0, 1) (midpoint rule) and x | t ~ N(g(t), noise^2)
    # (Gauss-Hermite) of log p(t | x), against the mean over samples.
    noise = 0.05
    X, y = make_inverse_sine(20_000, random_state=2)
    log_density = inverse_sine_log_density(X, y)
    t = (np.arange(400) + 0.5) / 400
    nodes, weights = np.polynomial.hermite.hermgauss(40)
    x = t[:, None] + 0.3 * np.sin(2 * np.pi * t[:, None]) + noise * np.sqrt(2) * nodes
    log_p = inverse_sine_log_density(
        x.reshape(-1, 1), np.repeat(t, len(nodes))
    ).reshape(x.shape)
    expected = np.mean(log_p @ weights / np.sqrt(np.pi))
    standard_error = log_density.std() / np.sqrt(len(y))
    assert abs(log_density.mean() - expected) < 4 * standard_error + 0.005


def test_closed_forms():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.5, 1.5, 200)
    y = rng.normal(0, 2, 200)
    X = x[:, None]
    assert_allclose(
        linear_gaussian_log_density(X, y, noise=0.4),
        norm.logpdf(y, 2 * x + 1, 0.4),
    )
    assert_allclose(
        heteroscedastic_sine_log_density(X, y, noise=0.2),
        norm.logpdf(y, x * np.sin(x) / 2, 0.2 * (1 + np.abs(x))),
    )
    branch = 1.5 + np.sin(3 * x)
    mixture = np.logaddexp(
        np.log(0.7) + norm.logpdf(y, branch, 0.15),
        np.log(0.3) + norm.logpdf(y, -branch, 0.15),
    )
    with np.errstate(divide="ignore"):
        skewed = lognorm.logpdf(1 + y, s=0.4, scale=np.exp(0.5 * x))
    expected = np.where(x < 0, mixture, skewed)
    assert_allclose(bimodal_skewed_log_density(X, y, noise=0.15), expected)
    assert np.isneginf(bimodal_skewed_log_density([[0.2], [0.0]], [-1.0, -3.0])).all()


def test_bimodal_skewed_branch_weights():
    X, y = make_bimodal_skewed(20_000, random_state=0)
    left = X[:, 0] < 0
    upper = (y[left] > 0).mean()
    assert abs(upper - 0.7) < 4 * np.sqrt(0.7 * 0.3 / left.sum())
    # The log-normal half is right-skewed: the mean is above the median.
    right = y[~left]
    assert right.min() > -1
    assert right.mean() > np.median(right)


def test_uniform_marginals():
    for name, (low, high) in [
        ("bimodal_skewed", (-1, 1)),
        ("heteroscedastic_sine", (0, 10)),
        ("linear_gaussian", (-1, 1)),
    ]:
        X, _ = REGRESSION_TOYS[name](3000, random_state=0)
        assert kstest(X[:, 0], "uniform", args=(low, high - low)).pvalue > 1e-3
    _, t = make_inverse_sine(3000, random_state=0)
    assert kstest(t, "uniform").pvalue > 1e-3


def _inverse_sine_reference(x, y, noise):
    """log p(y | x) of the inverse sine with scipy's adaptive quadrature."""
    pts = np.linspace(0, 1, 401)

    def log_joint(t):
        return norm.logpdf(x, t + 0.3 * np.sin(2 * np.pi * t), noise)

    peak = log_joint(np.linspace(0, 1, 4001)).max()
    mass = sum(
        quad(lambda t: np.exp(log_joint(t) - peak), a, b, epsabs=0, epsrel=1e-12)[0]
        for a, b in itertools.pairwise(pts)
    )
    return log_joint(y) - peak - np.log(mass)


@pytest.mark.parametrize("noise", [0.05, 0.01])
def test_inverse_sine_quadrature_is_accurate(noise):
    # Inputs in the data, between the branches and far in the tails.
    xs = [-0.4, -0.1, 0.0, 0.2, 0.41, 0.5, 0.6, 0.9, 1.0, 1.2, 1.6]
    ys = [0.0, 0.05, 0.3, 0.21, 0.66, 0.5, 0.34, 0.8, 1.0, 0.99, 1.0]
    expected = [
        _inverse_sine_reference(x, y, noise) for x, y in zip(xs, ys, strict=True)
    ]
    actual = inverse_sine_log_density(np.array(xs)[:, None], ys, noise=noise)
    assert_allclose(actual, expected, rtol=0, atol=1e-6)


def test_inverse_sine_support():
    y = np.array([-1e-9, 0.0, 0.5, 1.0, 1 + 1e-9, -3.0, 7.0])
    log_density = inverse_sine_log_density(np.full((7, 1), 0.5), y)
    assert_array_equal(np.isfinite(log_density), [0, 1, 1, 1, 0, 0, 0])
    assert np.isneginf(log_density[[0, 4, 5, 6]]).all()


def test_inverse_sine_repeated_and_permuted_inputs():
    # The quadrature is shared by the rows of equal x: the result does not
    # depend on which rows repeat or on their order.
    X, y = make_inverse_sine(300, random_state=0)
    X = np.concatenate([X, X[:50]])
    y = np.concatenate([y, y[50:100]])
    log_density = inverse_sine_log_density(X, y)
    order = np.random.default_rng(0).permutation(len(y))
    assert_allclose(inverse_sine_log_density(X[order], y[order]), log_density[order])
    one_by_one = [
        inverse_sine_log_density(X[i : i + 1], y[i : i + 1])[0] for i in [0, 7, 320]
    ]
    assert_allclose(log_density[[0, 7, 320]], one_by_one)


def test_inverse_sine_is_fast():
    X, y = make_inverse_sine(10_000, random_state=0)
    start = time.perf_counter()
    inverse_sine_log_density(X, y)
    # About 0.3 s on one core; generous for a loaded machine.
    assert time.perf_counter() - start < 10


def test_inverse_sine_three_modes_between_the_branches():
    # At x = 0.5 the modes t = 0.21, 0.5, 0.79 have the same height, as
    # N(x; g(t), noise^2) peaks where g(t) = x.
    y = np.linspace(0, 1, 100_001)
    density = np.exp(inverse_sine_log_density(np.full((len(y), 1), 0.5), y))
    interior = density[1:-1]
    peaks = np.flatnonzero((interior > density[:-2]) & (interior > density[2:])) + 1
    assert_allclose(y[peaks], [0.2096, 0.5, 0.7904], atol=1e-3)
    assert_allclose(density[peaks], density[peaks[1]], rtol=1e-6)
