"""Tests for the 2-D toy distributions of :mod:`sk_ebm.datasets`."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import i0, i1, logsumexp
from scipy.stats import multivariate_normal, norm
from sklearn.utils._param_validation import InvalidParameterError

from sk_ebm.datasets import (
    LOG_DENSITIES,
    REGRESSION_TOYS,
    TOYS,
    __all__,
    banana_log_density,
    checkerboard_log_density,
    eight_gaussians_log_density,
    make_banana,
    make_checkerboard,
    make_eight_gaussians,
    make_pinwheel,
    make_rings,
    make_three_gaussians,
    make_two_spirals,
    make_von_mises_ring,
    rings_log_density,
    three_gaussians_log_density,
    two_spirals_log_density,
    von_mises_ring_log_density,
)

# The FFJORD toys: (function, number of components with default parameters)
GENERATORS = [
    (make_two_spirals, 2),
    (make_rings, 4),
    (make_checkerboard, 8),
    (make_eight_gaussians, 8),
    (make_pinwheel, 5),
]
# The smooth toys with a known density.
SMOOTH_GENERATORS = [
    (make_banana, 1),
    (make_three_gaussians, 3),
    (make_von_mises_ring, 3),
]
FFJORD_FUNCTIONS = [func for func, _ in GENERATORS]
ALL_FUNCTIONS = FFJORD_FUNCTIONS + [func for func, _ in SMOOTH_GENERATORS]
WITH_NOISE = [func for func in ALL_FUNCTIONS if func is not make_three_gaussians]
EVENLY_SPLIT = [(func, k) for func, k in GENERATORS if func is not make_rings]
LOG_DENSITY_FUNCTIONS = [
    two_spirals_log_density,
    rings_log_density,
    checkerboard_log_density,
    eight_gaussians_log_density,
    banana_log_density,
    three_gaussians_log_density,
    von_mises_ring_log_density,
]


def _ids(param):
    return getattr(param, "__name__", None)


def _ring_radii(n_rings):
    return 4.0 * np.arange(1, n_rings + 1) / n_rings


def test_all_lists_the_generators_the_log_densities_and_their_tables():
    functions = ALL_FUNCTIONS + LOG_DENSITY_FUNCTIONS
    # The regression toys have their own tables and tests
    # (test_datasets_regression.py).
    regression = {
        "REGRESSION_TOYS",
        "CONDITIONAL_LOG_DENSITIES",
        *(f"make_{name}" for name in REGRESSION_TOYS),
        *(f"{name}_log_density" for name in REGRESSION_TOYS),
    }
    assert sorted(set(__all__) - regression) == sorted(
        ["LOG_DENSITIES", "TOYS", *(func.__name__ for func in functions)]
    )
    assert sorted(TOYS.values(), key=id) == sorted(ALL_FUNCTIONS, key=id)
    assert all(name == TOYS[name].__name__.removeprefix("make_") for name in TOYS)
    # The benchmarks' order: the FFJORD toys first, as before.
    assert list(TOYS)[:5] == [f.__name__[5:] for f in FFJORD_FUNCTIONS]
    assert sorted(LOG_DENSITIES.values(), key=id) == sorted(
        LOG_DENSITY_FUNCTIONS, key=id
    )
    assert set(TOYS) - set(LOG_DENSITIES) == {"pinwheel"}
    for name, log_density in LOG_DENSITIES.items():
        assert log_density.__name__ == f"{name}_log_density"


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=_ids)
@pytest.mark.parametrize("n_samples", [1, 2, 7, 100, 101])
def test_shapes_and_dtypes(func, n_samples):
    X, y = func(n_samples=n_samples, random_state=0)
    assert isinstance(X, np.ndarray)
    assert isinstance(y, np.ndarray)
    assert X.shape == (n_samples, 2)
    assert y.shape == (n_samples,)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.isfinite(X).all()


@pytest.mark.parametrize("func, n_components", GENERATORS + SMOOTH_GENERATORS, ids=_ids)
def test_default_call(func, n_components):
    X, y = func()
    assert X.shape == (100, 2)
    assert set(y.tolist()) == set(range(n_components))


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=_ids)
@pytest.mark.parametrize("shuffle", [True, False])
def test_reproducible_with_same_random_state(func, shuffle):
    X1, y1 = func(n_samples=150, shuffle=shuffle, random_state=42)
    X2, y2 = func(n_samples=150, shuffle=shuffle, random_state=42)
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)

    X3, _ = func(n_samples=150, shuffle=shuffle, random_state=43)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=_ids)
def test_random_state_instance_is_used(func):
    rng = np.random.RandomState(0)
    X1, _ = func(n_samples=50, random_state=rng)
    X2, _ = func(n_samples=50, random_state=rng)
    # The generator advances, so two calls differ...
    assert not np.array_equal(X1, X2)
    # ...but the first call matches a fresh generator seeded identically.
    X3, _ = func(n_samples=50, random_state=np.random.RandomState(0))
    assert_array_equal(X1, X3)


@pytest.mark.parametrize("func, n_components", GENERATORS + SMOOTH_GENERATORS, ids=_ids)
def test_no_shuffle_sorts_labels_by_component(func, n_components):
    _, y = func(n_samples=203, shuffle=False, random_state=0)
    assert np.all(np.diff(y) >= 0)
    assert_array_equal(np.unique(y), np.arange(n_components))


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=_ids)
def test_shuffle_permutes_samples(func):
    X_sorted, y_sorted = func(n_samples=200, shuffle=False, random_state=0)
    X, y = func(n_samples=200, shuffle=True, random_state=0)
    assert not np.array_equal(X, X_sorted)
    if len(np.unique(y)) > 1:
        assert not np.all(np.diff(y) >= 0)
    # Same multiset of labels, in another order.
    assert_array_equal(np.sort(y), y_sorted)
    assert X.shape == X_sorted.shape


@pytest.mark.parametrize("func, n_components", EVENLY_SPLIT, ids=_ids)
@pytest.mark.parametrize("n_samples", [1, 3, 8, 10, 99, 100, 1001])
def test_class_balance(func, n_components, n_samples):
    _, y = func(n_samples=n_samples, random_state=0)
    counts = np.bincount(y, minlength=n_components)
    assert len(counts) == n_components
    assert counts.sum() == n_samples
    assert counts.max() - counts.min() <= 1
    # Deterministic split: the first n_samples % k components get the extra one.
    expected = np.full(n_components, n_samples // n_components)
    expected[: n_samples % n_components] += 1
    assert_array_equal(counts, expected)


@pytest.mark.parametrize("n_rings", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("n_samples", [1, 5, 10, 99, 100, 1001])
def test_rings_split_proportional_to_radius(n_rings, n_samples):
    _, y = make_rings(n_samples=n_samples, n_rings=n_rings, random_state=0)
    counts = np.bincount(y, minlength=n_rings)
    assert len(counts) == n_rings
    assert counts.sum() == n_samples
    radii = _ring_radii(n_rings)
    shares = n_samples * radii / radii.sum()
    assert np.all(np.abs(counts - shares) < 1)


def test_rings_exact_counts_when_divisible():
    _, y = make_rings(n_samples=1000, n_rings=4, random_state=0)
    assert_array_equal(np.bincount(y), [100, 200, 300, 400])


@pytest.mark.parametrize("func, n_components", EVENLY_SPLIT, ids=_ids)
@pytest.mark.parametrize("n_samples", [1, 3, 50])
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_split_independent_of_random_state(func, n_components, n_samples, seed):
    _, y_seed = func(n_samples=n_samples, shuffle=False, random_state=seed)
    _, y_zero = func(n_samples=n_samples, shuffle=False, random_state=0)
    assert_array_equal(y_seed, y_zero)


@pytest.mark.parametrize("n_rings", [1, 3, 4, 6])
def test_rings_noise_free_radii(n_rings):
    X, y = make_rings(n_samples=500, n_rings=n_rings, noise=0.0, random_state=0)
    radii = _ring_radii(n_rings)
    r = np.hypot(X[:, 0], X[:, 1])
    assert_allclose(r, radii[y], rtol=1e-12, atol=0)
    assert set(y.tolist()) == set(range(n_rings))
    # Angles cover the whole circle.
    theta = np.arctan2(X[:, 1], X[:, 0])
    assert np.histogram(theta, bins=8, range=(-np.pi, np.pi))[0].min() > 0


def test_rings_outer_radius_is_four():
    X, y = make_rings(n_samples=300, n_rings=3, noise=0.0, shuffle=False)
    r = np.hypot(X[:, 0], X[:, 1])
    assert_allclose(r[y == 2], 4.0)
    assert_allclose(r[y == 0], 4.0 / 3)


@pytest.mark.parametrize("scale", [0.5, 4.0, 10.0])
def test_eight_gaussians_noise_free_on_the_eight_points(scale):
    X, y = make_eight_gaussians(n_samples=400, noise=0.0, scale=scale, random_state=0)
    angles = np.arange(8) * np.pi / 4
    centers = scale * np.column_stack([np.cos(angles), np.sin(angles)])
    assert_allclose(X, centers[y], rtol=0, atol=1e-12 * scale)
    assert_allclose(np.hypot(X[:, 0], X[:, 1]), scale, rtol=1e-12)
    assert len(np.unique(np.round(X, 9), axis=0)) == 8


def test_eight_gaussians_component_statistics():
    X, y = make_eight_gaussians(n_samples=80_000, noise=0.5, random_state=0)
    angles = np.arange(8) * np.pi / 4
    centers = 4.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    for k in range(8):
        Xk = X[y == k]
        assert_allclose(Xk.mean(axis=0), centers[k], atol=0.03)
        assert_allclose(Xk.std(axis=0), 0.5, atol=0.02)


def test_checkerboard_noise_free_in_black_squares():
    X, y = make_checkerboard(n_samples=4000, noise=0.0, random_state=0)
    assert np.all(X >= -4) and np.all(X <= 4)
    cells = np.floor(X / 2).astype(int)
    # Black squares: the sum of the cell indices is even.
    assert np.all(cells.sum(axis=1) % 2 == 0)
    # All 8 black squares are covered, one label per square.
    squares = {tuple(c) for c in cells}
    assert len(squares) == 8
    for k in range(8):
        assert len({tuple(c) for c in cells[y == k]}) == 1
    assert len({tuple(cells[y == k][0]) for k in range(8)}) == 8


def test_checkerboard_uniform_within_squares():
    X, y = make_checkerboard(n_samples=80_000, noise=0.0, random_state=0)
    offsets = X / 2 - np.floor(X / 2)  # position inside the square, in [0, 1)
    for k in range(8):
        ok = offsets[y == k]
        assert_allclose(ok.mean(axis=0), 0.5, atol=0.01)
        assert_allclose(ok.var(axis=0), 1 / 12, atol=0.005)


def test_checkerboard_default_has_no_noise():
    X, _ = make_checkerboard(n_samples=1000, random_state=1)
    assert np.all(np.floor(X / 2).astype(int).sum(axis=1) % 2 == 0)


def test_two_spirals_noise_free_geometry():
    X, y = make_two_spirals(n_samples=2000, noise=0.0, random_state=0)
    # Arm 0 is t -> (-t cos t, t sin t) / 3 with t = |3 x|; arm 1 is reflected.
    sign = np.where(y == 0, 1.0, -1.0)[:, None]
    P = 3 * sign * X
    t = np.hypot(P[:, 0], P[:, 1])
    assert np.all(t <= 3 * np.pi + 1e-12)
    assert_allclose(P, np.column_stack([-np.cos(t) * t, np.sin(t) * t]), atol=1e-9)
    assert np.all(np.abs(X) <= 4)


@pytest.mark.parametrize("func", [make_two_spirals, make_pinwheel], ids=_ids)
def test_symmetric_distributions_are_centered(func):
    X, _ = func(n_samples=100_000, random_state=0)
    assert_allclose(X.mean(axis=0), 0.0, atol=0.05)


@pytest.mark.parametrize("func", FFJORD_FUNCTIONS, ids=_ids)
def test_data_roughly_in_box(func):
    X, _ = func(n_samples=10_000, random_state=0)
    # Eight Gaussians: the 4 on-axis components straddle the box edge.
    assert np.mean(np.all(np.abs(X) <= 4.0, axis=1)) > 0.7
    assert np.all(np.abs(X) <= 6.0)


@pytest.mark.parametrize("n_arms", [1, 2, 5, 7])
def test_pinwheel_arms_are_rotated_copies(n_arms):
    X, y = make_pinwheel(n_samples=7000, n_arms=n_arms, noise=0.0, random_state=0)
    # X = 2 * R(-(base + a)) f with R the rotation matrix, base = 2 pi k / n_arms
    # and a = 0.25 * exp(f_0). With noise=0, f_0 = 1 so a = 0.25 * e for all arms.
    base = 2 * np.pi * y / n_arms
    c, s = np.cos(base), np.sin(base)
    U = np.column_stack([c * X[:, 0] - s * X[:, 1], s * X[:, 0] + c * X[:, 1]])
    a = 0.25 * np.e
    assert_allclose(U[:, 0] * np.cos(a) - U[:, 1] * np.sin(a), 2.0, atol=1e-12)
    # After undoing the base rotation, all arms share the same distribution.
    means = np.array([U[y == k].mean(axis=0) for k in range(n_arms)])
    assert_allclose(means, np.broadcast_to(means[0], means.shape), atol=0.03)


def test_pinwheel_noise_free_radius():
    X, _ = make_pinwheel(n_samples=5000, noise=0.0, random_state=0)
    r2 = (X**2).sum(axis=1)
    # |X|^2 = 4 * (1 + f_1^2) with f_1 ~ N(0, 0.1^2).
    assert np.all(r2 >= 4.0 - 1e-12)
    assert_allclose(np.mean(r2), 4 * (1 + 0.01), rtol=0.02)


@pytest.mark.parametrize("func", WITH_NOISE, ids=_ids)
def test_noise_increases_spread(func):
    spreads = []
    for noise in [0.0, 0.3, 1.0]:
        X, _ = func(n_samples=5000, noise=noise, random_state=0)
        spreads.append(np.mean(np.sum(X**2, axis=1)))
    assert spreads[0] < spreads[1] < spreads[2]


@pytest.mark.parametrize(
    "func", [make_two_spirals, make_checkerboard, make_eight_gaussians], ids=_ids
)
def test_isotropic_noise_adds_variance(func):
    # For these generators, noise is additive isotropic Gaussian noise.
    X0, _ = func(n_samples=20_000, noise=0.0, random_state=0)
    X1, _ = func(n_samples=20_000, noise=0.5, random_state=0)
    increase = np.sum(X1**2, axis=1).mean() - np.sum(X0**2, axis=1).mean()
    assert_allclose(increase, 2 * 0.5**2, atol=0.15)


INVALID_COMMON_PARAMS = [
    ({"n_samples": 0}, "n_samples"),
    ({"n_samples": -3}, "n_samples"),
    ({"n_samples": 2.5}, "n_samples"),
    ({"noise": -1}, "noise"),
    ({"shuffle": "yes"}, "shuffle"),
    ({"random_state": "seed"}, "random_state"),
]


@pytest.mark.parametrize(
    "func, params, name",
    [
        (func, params, name)
        for func in ALL_FUNCTIONS
        for params, name in INVALID_COMMON_PARAMS
        if name != "noise" or func in WITH_NOISE
    ],
)
def test_invalid_common_params(func, params, name):
    with pytest.raises(ValueError, match=name):
        func(**params)
    with pytest.raises(InvalidParameterError):
        func(**params)


@pytest.mark.parametrize(
    "func, params, name",
    [
        (make_rings, {"n_rings": 0}, "n_rings"),
        (make_rings, {"n_rings": 1.5}, "n_rings"),
        (make_pinwheel, {"n_arms": 0}, "n_arms"),
        (make_eight_gaussians, {"scale": 0.0}, "scale"),
        (make_eight_gaussians, {"scale": -1.0}, "scale"),
        (make_von_mises_ring, {"radius": 0.0}, "radius"),
        (make_banana, {"curvature": "high"}, "curvature"),
    ],
    ids=[
        "rings-n_rings0",
        "rings-n_rings1.5",
        "pinwheel",
        "scale0",
        "scale-1",
        "radius0",
        "curvature",
    ],
)
def test_invalid_specific_params(func, params, name):
    with pytest.raises(ValueError, match=name):
        func(**params)


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=_ids)
def test_n_samples_is_keyword_or_positional_others_keyword_only(func):
    X, _ = func(10, random_state=0)
    assert X.shape == (10, 2)
    with pytest.raises(TypeError):
        func(10, True)


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=_ids)
def test_accepts_numpy_integer_n_samples(func):
    X, y = func(n_samples=np.int64(12), random_state=0)
    assert X.shape == (12, 2)
    assert y.shape == (12,)


# --------------------------------------------------------------------------
# Known densities
# --------------------------------------------------------------------------

# (name, distribution parameters, box (x_low, x_high, y_low, y_high) holding
# all but a negligible mass, grid step fine enough for the midpoint rule)
KNOWN = [
    ("two_spirals", {}, (-4.5, 4.5, -4.5, 4.5), 0.05),
    ("two_spirals", {"noise": 0.3}, (-5, 5, -5, 5), 0.1),
    ("rings", {}, (-5, 5, -5, 5), 0.04),
    # Noisy enough that 0.2 % of the mass has a negative radius.
    ("rings", {"n_rings": 4, "noise": 0.5}, (-7, 7, -7, 7), 0.05),
    ("checkerboard", {}, (-4, 4, -4, 4), 0.1),
    ("checkerboard", {"noise": 0.3}, (-6, 6, -6, 6), 0.05),
    ("eight_gaussians", {}, (-6, 6, -6, 6), 0.05),
    ("eight_gaussians", {"noise": 0.5, "scale": 1.0}, (-4, 4, -4, 4), 0.05),
    ("banana", {}, (-8, 8, -4, 30), 0.05),
    ("banana", {"curvature": -0.2, "noise": 0.2}, (-8, 8, -13, 3), 0.025),
    ("three_gaussians", {}, (-7, 7, -7, 7), 0.05),
    ("von_mises_ring", {}, (-5, 5, -5, 5), 0.05),
    # 0.2 % of the mass has a negative radius.
    ("von_mises_ring", {"radius": 1.0, "noise": 0.35}, (-3, 3, -3, 3), 0.02),
]
KNOWN_IDS = [
    f"{name}-{'-'.join(map(str, params.values()))}" for name, params, *_ in KNOWN
]


def _grid(box, step):
    """Cell midpoints of a grid of ``step`` over ``box``, shape (nx, ny, 2)."""
    x_low, x_high, y_low, y_high = box
    xs = np.arange(x_low, x_high - step / 2, step) + step / 2
    ys = np.arange(y_low, y_high - step / 2, step) + step / 2
    return np.stack(np.meshgrid(xs, ys, indexing="ij"), -1)


@pytest.mark.parametrize("name, params, box, step", KNOWN, ids=KNOWN_IDS)
def test_log_density_integrates_to_one(name, params, box, step):
    grid = _grid(box, step)
    log_density = LOG_DENSITIES[name](grid.reshape(-1, 2), **params)
    assert log_density.shape == (grid.shape[0] * grid.shape[1],)
    assert not np.any(np.isnan(log_density))
    assert_allclose(np.exp(log_density).sum() * step**2, 1.0, atol=1e-3)


@pytest.mark.parametrize("name, params, box, step", KNOWN, ids=KNOWN_IDS)
def test_samples_follow_the_log_density(name, params, box, step):
    # Bins of 0.5 (or a multiple of the step): the probability of each by the
    # midpoint rule on the fine grid, against the counts of 100 000 samples.
    n = 100_000
    X, _ = TOYS[name](n, random_state=0, **params)
    grid = _grid(box, step)
    per_bin = max(1, round(0.5 / step))
    nx, ny = grid.shape[0] // per_bin, grid.shape[1] // per_bin
    grid = grid[: nx * per_bin, : ny * per_bin]
    mass = np.exp(LOG_DENSITIES[name](grid.reshape(-1, 2), **params)) * step**2
    expected = n * mass.reshape(nx, per_bin, ny, per_bin).sum((1, 3))
    x_edges = box[0] + step * per_bin * np.arange(nx + 1)
    y_edges = box[2] + step * per_bin * np.arange(ny + 1)
    observed, _, _ = np.histogram2d(X[:, 0], X[:, 1], bins=[x_edges, y_edges])
    assert observed.sum() > n * (1 - 1e-3)  # the box holds (nearly) everything
    z = (observed - expected) / np.sqrt(expected + 1)
    assert np.abs(z).max() < 5
    # Pearson's chi-square over the bins expecting 5 samples or more, within
    # 6 standard deviations of its mean (its number of degrees of freedom).
    full = expected >= 5
    chi2 = ((observed[full] - expected[full]) ** 2 / expected[full]).sum()
    df = full.sum() - 1
    assert chi2 < df + 6 * np.sqrt(2 * df)
    # And the mean log-density of fresh samples is minus the entropy: the
    # integral of -p log p on the grid.
    X_test, _ = TOYS[name](20_000, random_state=1, **params)
    log_p = np.log(np.where(mass > 0, mass / step**2, 1.0))
    entropy = -(mass * log_p).sum() / mass.sum()
    mean = LOG_DENSITIES[name](X_test, **params).mean()
    assert abs(mean + entropy) < 0.05


@pytest.mark.parametrize("name", list(LOG_DENSITIES))
def test_log_density_takes_the_distribution_parameters_of_its_toy(name):
    make = inspect.signature(TOYS[name]).parameters
    log_density = inspect.signature(LOG_DENSITIES[name]).parameters
    assert next(iter(log_density)) == "X"
    for param in list(log_density)[1:]:
        assert log_density[param].kind is inspect.Parameter.KEYWORD_ONLY
        assert log_density[param].default == make[param].default
    distribution = set(make) - {"n_samples", "shuffle", "random_state"}
    assert set(list(log_density)[1:]) == distribution


@pytest.mark.parametrize("log_density", LOG_DENSITY_FUNCTIONS, ids=_ids)
def test_log_density_checks_its_input(log_density):
    with pytest.raises(ValueError, match="2 columns"):
        log_density(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        log_density(np.array([[0.0, np.nan]]))
    # Lists are accepted, and the result is float64.
    out = log_density([[0.5, 0.5], [1.0, -1.0]])
    assert out.shape == (2,) and out.dtype == np.float64


@pytest.mark.parametrize(
    "log_density",
    [
        two_spirals_log_density,
        rings_log_density,
        eight_gaussians_log_density,
        banana_log_density,
        von_mises_ring_log_density,
    ],
    ids=_ids,
)
def test_log_density_needs_positive_noise(log_density):
    # Without noise these distributions lie on curves or points: no density.
    with pytest.raises(InvalidParameterError, match="noise"):
        log_density([[0.0, 1.0]], noise=0.0)


def test_checkerboard_log_density_without_noise():
    X, _ = make_checkerboard(n_samples=1000, random_state=0)
    assert_allclose(checkerboard_log_density(X), -np.log(32))
    white = np.array([[1.0, -1.0], [-3.0, -1.0], [3.0, 1.0], [5.0, 0.0]])
    assert np.all(checkerboard_log_density(white) == -np.inf)
    # A little noise blurs only the edges, and keeps the far tails finite.
    inside = checkerboard_log_density([[1.0, 1.0]], noise=0.01)
    assert_allclose(inside, -np.log(32), atol=1e-12)
    far = checkerboard_log_density([[40.0, -40.0], [1.0, -1.0]], noise=0.1)
    assert np.all(np.isfinite(far))


def test_banana_is_a_bent_gaussian():
    X, y = make_banana(n_samples=100_000, random_state=0)
    assert_array_equal(y, 0)
    assert_allclose(X[:, 0].std(), 1.5, rtol=0.01)
    residual = X[:, 1] - 0.5 * (X[:, 0] ** 2 - 1.5**2)
    assert_allclose(residual.std(), 0.5, rtol=0.01)
    assert_allclose(np.corrcoef(X[:, 0], residual)[0, 1], 0.0, atol=0.01)
    assert_allclose(X.mean(0), 0.0, atol=0.02)
    # No curvature: two independent Gaussians.
    grid = np.random.RandomState(0).normal(size=(5, 2))
    expected = norm.logpdf(grid[:, 0], scale=1.5) + norm.logpdf(grid[:, 1], scale=0.3)
    assert_allclose(banana_log_density(grid, curvature=0, noise=0.3), expected)


def test_three_gaussians_components():
    X, y = make_three_gaussians(n_samples=100_000, random_state=0)
    assert_array_equal(np.bincount(y), [60_000, 30_000, 10_000])
    means = [[-1.0, -1.0], [2.0, 1.5], [-1.5, 2.5]]
    covariances = [
        [[1.5, 0.8], [0.8, 1.0]],
        [[0.3, -0.15], [-0.15, 0.4]],
        [[0.08, 0.0], [0.0, 0.08]],
    ]
    for k in range(3):
        assert_allclose(X[y == k].mean(0), means[k], atol=0.03)
        assert_allclose(np.cov(X[y == k].T), covariances[k], atol=0.03)
    x = np.array([[0.0, 0.0], [-1.5, 2.5]])
    expected = sum(
        w * multivariate_normal.pdf(x, m, c)
        for w, m, c in zip([0.6, 0.3, 0.1], means, covariances, strict=True)
    )
    assert_allclose(three_gaussians_log_density(x), np.log(expected))


@pytest.mark.parametrize("n_samples", [1, 7, 100, 1001])
def test_weighted_toys_split_proportional_to_weights(n_samples):
    for func, weights in [
        (make_three_gaussians, [0.6, 0.3, 0.1]),
        (make_von_mises_ring, [0.5, 0.3, 0.2]),
    ]:
        _, y = func(n_samples=n_samples, random_state=0)
        counts = np.bincount(y, minlength=3)
        assert counts.sum() == n_samples
        assert np.all(np.abs(counts - n_samples * np.array(weights)) < 1)


def test_von_mises_ring_angles_and_radii():
    X, y = make_von_mises_ring(n_samples=60_000, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert_allclose(r.mean(), 3.0, atol=0.01)
    assert_allclose(r.std(), 0.3, rtol=0.02)
    theta = np.arctan2(X[:, 1], X[:, 0])
    for k, (location, concentration) in enumerate(
        zip([0.0, 2 * np.pi / 3, 4 * np.pi / 3], [1.0, 4.0, 2.0], strict=True)
    ):
        # The mean resultant length of a von Mises is I1(k) / I0(k).
        resultant = np.mean(np.exp(1j * (theta[y == k] - location)))
        assert_allclose(
            resultant.real, i1(concentration) / i0(concentration), atol=0.01
        )
        assert_allclose(resultant.imag, 0.0, atol=0.01)
    # The density is periodic in the angle.
    phi = np.linspace(0, 2 * np.pi, 7)
    points = 3.0 * np.column_stack([np.cos(phi), np.sin(phi)])
    log_density = von_mises_ring_log_density(points)
    assert_allclose(log_density[0], log_density[-1])


def test_rings_log_density_matches_the_radial_mixture():
    # Away from the origin the negative-radius term vanishes: the density is
    # the mixture of the radii over the circumference.
    r = np.array([0.9, 2.0, 3.1, 4.05])
    phi = np.array([0.3, -2.0, 1.0, 3.0])
    X = r[:, None] * np.column_stack([np.cos(phi), np.sin(phi)])
    radii = np.array([1.0, 2.0, 3.0, 4.0])
    weights = radii / radii.sum()
    expected = (weights * norm.pdf(r[:, None], radii, 0.08)).sum(1) / (2 * np.pi * r)
    assert_allclose(rings_log_density(X), np.log(expected))


def test_two_spirals_log_density_is_symmetric_and_fine_enough():
    X, _ = make_two_spirals(n_samples=200, random_state=0)
    log_density = two_spirals_log_density(X)
    assert_allclose(two_spirals_log_density(-X), log_density)
    # A 8x finer quadrature changes nothing where the data are.
    from sk_ebm.datasets import _two_spirals

    centers, log_w = _two_spirals._arm_nodes(0.1 / 8, 16)
    assert_allclose(np.exp(log_w).sum(), 1.0)
    d2 = [((s * X[:, None, :] - centers) ** 2).sum(-1) for s in (1.0, -1.0)]
    fine = np.logaddexp(
        *(logsumexp(log_w - d / (2 * 0.1**2), axis=1) for d in d2)
    ) - np.log(2 * 2 * np.pi * 0.1**2)
    assert_allclose(log_density, fine, atol=1e-7)
