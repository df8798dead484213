"""Tests for sk_ebm.metrics: regression metrics (CRPS, pinball, intervals), scorers."""

import pickle
import tracemalloc

import numpy as np
import pytest
from scipy.special import ndtr
from scipy.stats import norm
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_pinball_loss
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

import sk_ebm.metrics
from sk_ebm.metrics import (
    _regression,
    crps,
    crps_scorer,
    gaussian_crps,
    interval_coverage,
    log_likelihood_scorer,
    make_crps_scorer,
    make_interval_scorer,
    make_pinball_scorer,
    mean_interval_width,
    pinball_loss,
)

# A grid fine and wide enough that the piecewise-linear normal CDF on it has
# the CRPS of the normal distribution within ~1e-5.
FINE_GRID = np.linspace(-30.0, 30.0, 12001)
FINE_STEP = FINE_GRID[1] - FINE_GRID[0]


def _normal_cdf(grid, mean, std):
    """CDF of N(mean, std**2) of each row on ``grid`` (shared or per row)."""
    mean = np.asarray(mean, dtype=float)[:, None]
    std = np.asarray(std, dtype=float)[:, None]
    return norm.cdf((np.asarray(grid) - mean) / std)


# --------------------------------------------------------------------------
# crps and gaussian_crps: known answers


def test_crps_uniform_hand_computed():
    # U(0, 1): F(z) = z on [0, 1], exactly linear on the grid [0, 1].
    # At y = 0.5: int_0^.5 z^2 + int_.5^1 (1 - z)^2 = 2 * (0.5^3 / 3) = 1/12.
    # At y = 0.25: 0.25^3 / 3 + 0.75^3 / 3 = 7/48.
    # At y = -1 (below the grid): 1 on [-1, 0], then int_0^1 (1 - z)^2 = 1/3.
    # At y = 3 (above the grid): int_0^1 z^2 = 1/3, then 1 on [1, 3].
    # At y = 0 or 1 (the ends of the grid): 1/3.
    y = np.array([0.5, 0.25, -1.0, 3.0, 0.0, 1.0])
    cdf = np.tile([0.0, 1.0], (6, 1))
    expected = [1 / 12, 7 / 48, 4 / 3, 7 / 3, 1 / 3, 1 / 3]
    np.testing.assert_allclose(crps(y, [0.0, 1.0], cdf), expected, rtol=1e-14)
    # The same distribution on a finer grid, with y on and between points.
    grid = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(
        crps(y, grid, np.tile(grid, (6, 1))), expected, rtol=1e-13
    )


def test_crps_jump_at_the_ends_of_the_grid():
    # Below grid[0] the CDF is 0 and above grid[-1] it is 1, whatever the
    # values given at the ends: F = 0.5 on [0, 1] is a half mass at 0 and a
    # half mass at 1, whose CRPS at y in [0, 1] is 0.25 * 1 = 0.25, and at
    # y = 2 is 1 * 0.25 (on [0, 1], F = 0.5) + 1 * 1 (on [1, 2], F = 1) = 1.25.
    y = np.array([0.0, 0.3, 1.0, 2.0])
    scores = crps(y, [0.0, 1.0], np.full((4, 2), 0.5))
    np.testing.assert_allclose(scores, [0.25, 0.25, 0.25, 1.25], rtol=1e-14)


@pytest.mark.parametrize(
    ("mean", "std"),
    [(0.0, 1.0), (2.0, 0.5), (-3.0, 3.0), (1.5, 0.1)],
)
def test_crps_matches_gaussian_crps(mean, std):
    y = np.array(
        [
            mean,
            mean + 0.37 * std,
            mean - 2.5 * std,
            mean + 6.0 * std,
            FINE_GRID[7000],  # exactly on a grid point
            FINE_GRID[0],  # exactly on the first grid point
            FINE_GRID[-1],  # exactly on the last grid point
            -45.0,  # below the grid
            41.0,  # above the grid
        ]
    )
    assert FINE_GRID[7000] in y
    n = y.shape[0]
    cdf = _normal_cdf(FINE_GRID, np.full(n, mean), np.full(n, std))
    expected = gaussian_crps(y, mean, std)
    np.testing.assert_allclose(crps(y, FINE_GRID, cdf), expected, rtol=0, atol=1e-4)


def test_crps_matches_gaussian_crps_per_row_parameters():
    rng = np.random.default_rng(0)
    mean = rng.uniform(-5, 5, size=50)
    std = rng.uniform(0.2, 3, size=50)
    y = mean + std * rng.standard_t(3, size=50)
    cdf = _normal_cdf(FINE_GRID, mean, std)
    np.testing.assert_allclose(
        crps(y, FINE_GRID, cdf), gaussian_crps(y, mean, std), rtol=0, atol=1e-4
    )


def test_gaussian_crps_known_values():
    # Standard normal at 0: 2 phi(0) - 1/sqrt(pi) = sqrt(2/pi) - 1/sqrt(pi).
    at_zero = np.sqrt(2 / np.pi) - 1 / np.sqrt(np.pi)
    assert gaussian_crps([0.0], 0.0, 1.0)[0] == pytest.approx(at_zero, rel=1e-14)
    # Location-scale: CRPS(N(m, s^2), y) = s * CRPS(N(0, 1), (y - m) / s).
    z = np.array([-3.0, -0.5, 0.0, 1.2, 4.0])
    base = gaussian_crps(z, 0.0, 1.0)
    np.testing.assert_allclose(gaussian_crps(2.5 * z + 7.0, 7.0, 2.5), 2.5 * base)
    # Symmetric in y - mean, and the absolute error far in the tails.
    np.testing.assert_allclose(base, gaussian_crps(-z, 0.0, 1.0))
    far = gaussian_crps([50.0], 0.0, 1.0)[0]
    assert far == pytest.approx(50.0 - 1 / np.sqrt(np.pi), rel=1e-12)
    # The integral definition, by quadrature on the fine grid.
    y = 0.7
    integrand = (norm.cdf(FINE_GRID) - (FINE_GRID >= y)) ** 2
    by_quadrature = np.trapezoid(integrand, FINE_GRID)
    # (The trapezoid rule smears the step over one grid interval.)
    assert gaussian_crps([y], 0.0, 1.0)[0] == pytest.approx(
        by_quadrature, abs=FINE_STEP
    )


def test_crps_point_mass_is_absolute_error():
    rng = np.random.default_rng(1)
    m = rng.uniform(-10, 10, size=40)
    y = rng.uniform(-35, 35, size=40)
    # A step CDF on the grid is smeared over one grid interval.
    cdf = (FINE_GRID[None, :] >= m[:, None]).astype(float)
    np.testing.assert_allclose(crps(y, FINE_GRID, cdf), np.abs(y - m), atol=FINE_STEP)
    # A point mass at grid[0] (the CDF jumps from 0 below the grid) is exact.
    for m_i, y_i in zip(m[:5], y[:5], strict=True):
        score = crps([y_i], [m_i, m_i + 1.0], [[1.0, 1.0]])[0]
        assert score == pytest.approx(abs(y_i - m_i), rel=1e-12)


def test_crps_single_grid_point():
    # One grid point: a point mass there, whatever the CDF value given.
    scores = crps([-1.0, 0.0, 2.5], [0.0], [[0.3], [1.0], [0.0]])
    np.testing.assert_allclose(scores, [1.0, 0.0, 2.5])


def test_crps_per_row_grid_equals_shared_grid():
    rng = np.random.default_rng(2)
    n = 30
    mean, std = rng.normal(size=n), rng.uniform(0.5, 2, size=n)
    y = mean + std * rng.normal(size=n)
    y[:3] = [-20.0, 20.0, 0.0]  # outside the grid, and on a grid point
    grid = np.linspace(-8, 8, 201)
    cdf = _normal_cdf(grid, mean, std)
    shared = crps(y, grid, cdf)
    per_row = crps(y, np.tile(grid, (n, 1)), cdf)
    np.testing.assert_allclose(per_row, shared, rtol=1e-13, atol=1e-15)

    # Different grids per row, each centred on its own distribution.
    grids = mean[:, None] + std[:, None] * np.linspace(-12, 12, 4001)[None, :]
    scores = crps(y, grids, _normal_cdf(grids, mean, std))
    np.testing.assert_allclose(scores, gaussian_crps(y, mean, std), atol=1e-4)


def test_crps_blocks_give_the_same_scores(monkeypatch):
    rng = np.random.default_rng(3)
    n = 23
    mean = rng.normal(size=n)
    y = mean + rng.normal(size=n)
    grid = np.linspace(-6, 6, 50)
    cdf = _normal_cdf(grid, mean, np.ones(n))
    whole = crps(y, grid, cdf)
    grids = np.tile(grid, (n, 1))
    # Blocks of 2 rows (100 // 50), the last one of a single row.
    monkeypatch.setattr(_regression, "_CHUNK_ELEMENTS", 100)
    np.testing.assert_array_equal(crps(y, grid, cdf), whole)
    np.testing.assert_array_equal(crps(y, grids, cdf), whole)
    # Errors found in a later block name the row of the whole array.
    bad = cdf.copy()
    bad[17, 30] = bad[17, 29] - 0.1
    with pytest.raises(ValueError, match=r"row 17 decreases by 0\.1 from column 29"):
        crps(y, grid, bad)
    bad_grids = grids.copy()
    bad_grids[21, 4] = bad_grids[21, 3]
    with pytest.raises(ValueError, match=r"strictly increasing; in row 21, grid\[4\]"):
        crps(y, bad_grids, cdf)


def test_crps_memory_is_bounded_by_blocks():
    n, n_grid = 20_000, 256
    rng = np.random.default_rng(4)
    grid = np.linspace(-6, 6, n_grid)
    mean = rng.normal(size=n)
    cdf = ndtr(grid[None, :] - mean[:, None])
    y = mean + rng.normal(size=n)
    tracemalloc.start()
    try:
        scores = crps(y, grid, cdf)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # cdf is 39 MiB; the temporaries of the blocks take ~9 MiB whatever its size.
    assert peak < 0.4 * cdf.nbytes
    assert scores.shape == (n,)
    assert np.all(scores >= 0)


def test_crps_float32_and_rounding_tolerance():
    grid = np.linspace(-8, 8, 801)
    mean = np.array([0.0, 1.0, -2.0])
    y = np.array([0.3, 3.0, -2.0])
    cdf = _normal_cdf(grid, mean, np.ones(3))
    expected = crps(y, grid, cdf)
    np.testing.assert_allclose(
        crps(y, grid, cdf.astype(np.float32)), expected, atol=1e-6
    )
    # Rounding errors beyond [0, 1] and tiny decreases are accepted.
    noisy = cdf.copy()
    noisy[:, -1] = 1.0 + 5e-7
    noisy[:, 0] = -5e-7
    noisy[0, 700] = noisy[0, 699] - 5e-7  # where F is ~1
    np.testing.assert_allclose(crps(y, grid, noisy), expected, atol=1e-6)


def test_crps_lists_and_return_type():
    scores = crps([0.5], [0, 1], [[0, 1]])
    assert isinstance(scores, np.ndarray)
    assert scores.dtype == np.float64
    assert scores.shape == (1,)
    scores = gaussian_crps([0.5, 1.0], [0, 1], 2)
    assert scores.dtype == np.float64
    assert scores.shape == (2,)


def test_crps_is_proper():
    # The expected CRPS is lowest for the distribution the data come from.
    rng = np.random.default_rng(5)
    n = 4000
    y = rng.normal(1.0, 2.0, size=n)
    grid = np.linspace(-15, 17, 801)

    def mean_crps(mean, std):
        cdf = norm.cdf((grid - mean) / std)
        return crps(y, grid, np.broadcast_to(cdf, (n, grid.shape[0]))).mean()

    true = mean_crps(1.0, 2.0)
    for mean, std in [(1.5, 2.0), (0.5, 2.0), (1.0, 1.5), (1.0, 2.5), (1.3, 1.7)]:
        assert true < mean_crps(mean, std)
    # And it is the closed form's mean: E|Y - Y'| / 2 = std / sqrt(pi) for a
    # well-specified normal, the expected CRPS.
    assert true == pytest.approx(2.0 / np.sqrt(np.pi), rel=0.02)
    assert true == pytest.approx(gaussian_crps(y, 1.0, 2.0).mean(), abs=1e-4)


def test_crps_against_properscoring():
    properscoring = pytest.importorskip(
        "properscoring", reason="properscoring is not installed (optional check)"
    )
    rng = np.random.default_rng(6)
    mean = rng.uniform(-2, 2, size=6)
    std = rng.uniform(0.5, 2, size=6)
    y = mean + std * rng.normal(size=6)
    np.testing.assert_allclose(
        gaussian_crps(y, mean, std),
        properscoring.crps_gaussian(y, mean, std),
        rtol=1e-8,
    )
    # An ensemble of many draws: its CRPS is close to the distribution's, up
    # to the Monte Carlo error (~0.02 * std with 1000 draws).
    samples = mean[:, None] + std[:, None] * rng.normal(size=(6, 1000))
    ensemble = properscoring.crps_ensemble(y, samples)
    cdf = _normal_cdf(FINE_GRID, mean, std)
    np.testing.assert_allclose(crps(y, FINE_GRID, cdf), ensemble, atol=0.1)
    # The ensemble's own empirical CDF gives its CRPS up to the grid step.
    ecdf = np.stack(
        [np.searchsorted(np.sort(s), FINE_GRID, side="right") / s.size for s in samples]
    )
    np.testing.assert_allclose(crps(y, FINE_GRID, ecdf), ensemble, atol=FINE_STEP)


# --------------------------------------------------------------------------
# Intervals and pinball loss


def test_interval_coverage_hand_computed():
    y = [0.0, 1.0, 2.0, 3.0, 4.0]
    intervals = [
        [-1.0, 1.0],  # inside
        [1.0, 1.0],  # on both (closed) bounds
        [2.5, 3.0],  # below
        [0.0, 3.0],  # on the upper bound
        [0.0, 3.9],  # above
    ]
    assert interval_coverage(y, intervals) == pytest.approx(3 / 5)
    assert interval_coverage([0.5], [[0.0, 1.0]]) == 1.0
    assert interval_coverage([2.0], [[0.0, 1.0]]) == 0.0
    assert isinstance(interval_coverage(y, intervals), float)


def test_mean_interval_width_hand_computed():
    intervals = np.array([[-1.0, 1.0], [1.0, 1.0], [2.5, 3.0], [0.0, 3.0]])
    assert mean_interval_width(intervals) == pytest.approx((2 + 0 + 0.5 + 3) / 4)
    assert isinstance(mean_interval_width(intervals), float)


def test_normal_intervals_cover_their_level():
    rng = np.random.default_rng(7)
    y = rng.normal(size=50_000)
    half = norm.ppf(0.95)
    intervals = np.tile([-half, half], (y.shape[0], 1))
    assert interval_coverage(y, intervals) == pytest.approx(0.9, abs=0.005)
    assert mean_interval_width(intervals) == pytest.approx(2 * 1.6448536, rel=1e-6)


def test_pinball_loss_is_mean_of_sklearn_losses():
    rng = np.random.default_rng(8)
    y = rng.normal(size=200)
    quantiles = np.array([0.05, 0.3, 0.5, 0.95])
    predictions = rng.normal(size=(200, 4))
    expected = np.mean(
        [
            mean_pinball_loss(y, predictions[:, j], alpha=q)
            for j, q in enumerate(quantiles)
        ]
    )
    assert pinball_loss(y, predictions, quantiles) == pytest.approx(expected)
    assert isinstance(pinball_loss(y, predictions, quantiles), float)


def test_pinball_loss_median_is_half_mae():
    rng = np.random.default_rng(9)
    y = rng.normal(size=100)
    prediction = rng.normal(size=100)
    loss = pinball_loss(y, prediction[:, None], [0.5])
    assert loss == pytest.approx(0.5 * mean_absolute_error(y, prediction))


def test_pinball_loss_hand_computed():
    # Level 0.1: y - q = 1 on every row, loss 0.1 * 1. Level 0.9: q - y = 1
    # on every row, loss (1 - 0.9) * 1 = 0.1 as well.
    y = [1.0, 2.0]
    predictions = [[0.0, 2.0], [1.0, 3.0]]
    assert pinball_loss(y, predictions, [0.1, 0.9]) == pytest.approx(0.1)


# --------------------------------------------------------------------------
# Scorers on a duck-typed probabilistic regressor


class GaussianLinearRegressor(RegressorMixin, BaseEstimator):
    """Linear mean with a Gaussian residual of fitted std times ``std_scale``."""

    def __init__(self, std_scale=1.0):
        self.std_scale = std_scale

    def fit(self, X, y):
        self.linear_ = LinearRegression().fit(X, y)
        residuals = y - self.linear_.predict(X)
        self.std_ = float(np.std(residuals)) * self.std_scale
        predictions = self.linear_.predict(X)
        self.y_range_ = (
            float(predictions.min() - 10 * self.std_),
            float(predictions.max() + 10 * self.std_),
        )
        return self

    def predict(self, X):
        return self.linear_.predict(X)

    def log_likelihood(self, X, y):
        return norm.logpdf(y, loc=self.predict(X), scale=self.std_)

    def predict_cdf(self, X, y_values):
        mean = self.predict(X)[:, None]
        return norm.cdf((np.asarray(y_values)[None, :] - mean) / self.std_)

    def predict_quantiles(self, X, quantiles=(0.05, 0.5, 0.95)):
        offsets = self.std_ * norm.ppf(np.asarray(quantiles))
        return self.predict(X)[:, None] + offsets[None, :]

    def predict_interval(self, X, coverage=0.9):
        half = self.std_ * norm.ppf(0.5 + coverage / 2)
        mean = self.predict(X)
        return np.column_stack([mean - half, mean + half])


def _make_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X @ np.array([1.0, -2.0]) + 0.5 + rng.normal(scale=0.7, size=n)
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _make_data(20_000, seed=10)
    model = GaussianLinearRegressor().fit(X, y)
    X_test, y_test = _make_data(20_000, seed=11)
    return model, X_test, y_test


def test_log_likelihood_scorer(fitted):
    model, X, y = fitted
    score = log_likelihood_scorer(model, X, y)
    expected = np.mean(norm.logpdf(y, model.predict(X), model.std_))
    assert isinstance(score, float)
    assert score == pytest.approx(expected, rel=1e-12)
    # Near the entropy of the true N(., 0.7^2) noise.
    assert score == pytest.approx(-0.5 * np.log(2 * np.pi * np.e * 0.49), abs=0.02)


def test_crps_scorer(fitted):
    model, X, y = fitted
    X, y = X[:1000], y[:1000]
    expected = -gaussian_crps(y, model.predict(X), model.std_).mean()
    assert crps_scorer(model, X, y) == pytest.approx(expected, abs=1e-4)
    assert make_crps_scorer(n_grid=4096)(model, X, y) == pytest.approx(
        expected, abs=1e-5
    )
    # Near the expected CRPS of a well-specified normal: std / sqrt(pi).
    assert crps_scorer(model, X, y) == pytest.approx(-0.7 / np.sqrt(np.pi), rel=0.06)


def test_crps_scorer_widens_the_grid_to_the_targets(fitted):
    model, X, y = fitted
    X, y = X[:2000], y[:2000]
    narrow = GaussianLinearRegressor().fit(X, y)
    narrow.y_range_ = (-0.5, 0.5)  # far narrower than the targets
    y_out = y.copy()
    y_out[:10] += 100.0
    score = crps_scorer(narrow, X, y_out)
    grid = np.linspace(y_out.min(), y_out.max(), 1024)
    expected = -crps(y_out, grid, narrow.predict_cdf(X, grid)).mean()
    assert score == pytest.approx(expected, rel=1e-12)
    # The CDFs are ~0 and ~1 at the ends of that grid: close to the closed form.
    closed_form = -gaussian_crps(y_out, model.predict(X), model.std_).mean()
    assert score == pytest.approx(closed_form, abs=1e-2)


def test_pinball_scorer(fitted):
    model, X, y = fitted
    quantiles = (0.05, 0.5, 0.95)
    mean = model.predict(X)
    expected = -np.mean(
        [
            mean_pinball_loss(y, mean + model.std_ * norm.ppf(q), alpha=q)
            for q in quantiles
        ]
    )
    assert make_pinball_scorer()(model, X, y) == pytest.approx(expected)
    scorer = make_pinball_scorer(quantiles=[0.5])
    assert scorer(model, X, y) == pytest.approx(-0.5 * mean_absolute_error(y, mean))


def test_interval_scorer(fitted):
    model, X, y = fitted
    for coverage in (0.5, 0.9):
        intervals = model.predict_interval(X, coverage=coverage)
        inside = np.mean((intervals[:, 0] <= y) & (y <= intervals[:, 1]))
        score = make_interval_scorer(coverage=coverage)(model, X, y)
        assert score == pytest.approx(-abs(inside - coverage))
        assert -0.01 < score <= 0
    # Too wide intervals cover everything: 1 - 0.9 off.
    wide = GaussianLinearRegressor(std_scale=10.0).fit(X, y)
    assert make_interval_scorer()(wide, X, y) == pytest.approx(-0.1, abs=1e-3)


SCORERS = {
    "log_likelihood": log_likelihood_scorer,
    "crps": crps_scorer,
    "pinball": make_pinball_scorer(),
    "interval": make_interval_scorer(coverage=0.8),
}


def test_scorers_in_cross_validate():
    X, y = _make_data(900, seed=12)
    results = cross_validate(GaussianLinearRegressor(), X, y, cv=3, scoring=SCORERS)
    # cv=3 for a regressor is KFold(3): recompute every split by hand.
    for i, (train, test) in enumerate(KFold(n_splits=3).split(X)):
        model = GaussianLinearRegressor().fit(X[train], y[train])
        for name, scorer in SCORERS.items():
            score = results[f"test_{name}"][i]
            assert np.isfinite(score)
            assert score == pytest.approx(scorer(model, X[test], y[test]))
    assert np.all(results["test_crps"] < 0)
    assert np.all(results["test_pinball"] < 0)
    assert np.all(results["test_interval"] <= 0)


@pytest.mark.parametrize("name", list(SCORERS))
def test_scorers_rank_the_right_std_first(name):
    X, y = _make_data(1500, seed=13)
    search = GridSearchCV(
        GaussianLinearRegressor(),
        {"std_scale": [0.3, 1.0, 3.0]},
        scoring=SCORERS[name],
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"std_scale": 1.0}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0]
    assert scores[1] > scores[2]


def test_scorers_multimetric_grid_search():
    X, y = _make_data(900, seed=14)
    search = GridSearchCV(
        GaussianLinearRegressor(),
        {"std_scale": [1.0, 3.0]},
        scoring=SCORERS,
        refit="crps",
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"std_scale": 1.0}
    for name in SCORERS:
        assert np.all(np.isfinite(search.cv_results_[f"mean_test_{name}"]))


def test_scorers_pickle_and_repr(fitted):
    model, X, y = fitted
    X, y = X[:500], y[:500]
    scorers = [
        (make_crps_scorer(n_grid=64), "make_crps_scorer(n_grid=64)"),
        (crps_scorer, "make_crps_scorer(n_grid=1024)"),
        (
            make_pinball_scorer(quantiles=np.array([0.1, 0.9])),
            "make_pinball_scorer(quantiles=(0.1, 0.9))",
        ),
        (make_interval_scorer(), "make_interval_scorer(coverage=0.9)"),
        (log_likelihood_scorer, None),
    ]
    for scorer, text in scorers:
        if text is not None:
            assert repr(scorer) == text
        clone = pickle.loads(pickle.dumps(scorer))
        assert clone(model, X, y) == scorer(model, X, y)


def test_scorers_need_the_estimator_interface():
    X, y = _make_data(50, seed=15)
    linear = LinearRegression().fit(X, y)
    for scorer, missing in [
        (log_likelihood_scorer, "log_likelihood method"),
        (crps_scorer, "predict_cdf method"),
        (make_pinball_scorer(), "predict_quantiles method"),
        (make_interval_scorer(), "predict_interval method"),
    ]:
        with pytest.raises(AttributeError, match=f"LinearRegression has no {missing}"):
            scorer(linear, X, y)

    class NoRange:
        def predict_cdf(self, X, y_values):
            return np.zeros((len(X), len(y_values)))

    with pytest.raises(AttributeError, match="NoRange has no y_range_ attribute"):
        crps_scorer(NoRange(), X, y)


def test_log_likelihood_scorer_checks_the_output():
    X, y = np.zeros((3, 1)), np.array([0.0, 1.0, 2.0])

    class Returns:
        def __init__(self, value):
            self.value = value

        def log_likelihood(self, X, y):
            return self.value

    with pytest.raises(ValueError, match="returned NaN"):
        log_likelihood_scorer(Returns(np.array([0.0, np.nan, 0.0])), X, y)
    with pytest.raises(ValueError, match=r"must return an array of shape \(3,\)"):
        log_likelihood_scorer(Returns(np.zeros((3, 1))), X, y)
    # A row outside the support scores -inf.
    minus_inf = log_likelihood_scorer(Returns(np.array([0.0, -np.inf, 0.0])), X, y)
    assert minus_inf == -np.inf


# --------------------------------------------------------------------------
# Input validation

Y3 = np.array([0.0, 1.0, 2.0])
GRID4 = np.array([-1.0, 0.0, 1.0, 2.0])
CDF34 = np.tile([0.1, 0.4, 0.8, 1.0], (3, 1))


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize(
    ("y_true", "grid", "cdf", "match"),
    [
        (_with(Y3, 1, np.nan), GRID4, CDF34, "y_true contains NaN"),
        (_with(Y3, 1, np.inf), GRID4, CDF34, "y_true contains infinity"),
        (Y3, _with(GRID4, 2, np.nan), CDF34, "grid contains NaN"),
        (Y3, _with(GRID4, 2, -np.inf), CDF34, "grid contains infinity"),
        (Y3, GRID4, _with(CDF34, (1, 2), np.nan), "cdf contains NaN"),
        (Y3[:, None], GRID4, CDF34, "y_true must be a 1-D array"),
        (Y3, GRID4, CDF34[0], r"cdf must be a 2-D array of shape \(n_samples, n_grid"),
        (Y3, GRID4, CDF34[:2], "cdf has 2 rows but y_true has 3"),
        (Y3, GRID4[:3], CDF34, "grid has 3 points but cdf has 4 columns"),
        (Y3, np.tile(GRID4[:3], (3, 1)), CDF34, "grid has 3 columns but cdf has 4"),
        (Y3, np.tile(GRID4, (2, 1)), CDF34, "grid has 2 rows but y_true has 3"),
        (Y3, GRID4[None, None], CDF34, r"grid must be a 1-D .* or a 2-D array"),
        ([], GRID4, CDF34[:0], "y_true is empty"),
        (Y3, [], CDF34[:, :0], "cdf is empty"),
        (Y3, _with(GRID4, 2, 0.0), CDF34, r"strictly increasing; grid\[2\] = 0.0"),
        (Y3, GRID4[::-1], CDF34, "grid must be strictly increasing"),
        (Y3, _with(np.tile(GRID4, (3, 1)), (2, 3), 0.5), CDF34, "in row 2"),
        (Y3, GRID4, _with(CDF34, (0, 3), 1.01), r"outside \[0, 1\]: .*max=1.01"),
        (Y3, GRID4, _with(CDF34, (2, 0), -0.2), r"outside \[0, 1\]: min=-0.2"),
        (Y3, GRID4, _with(CDF34, (1, 2), 0.3), "non-decreasing along each row.*row 1"),
    ],
)
def test_crps_invalid(y_true, grid, cdf, match):
    with pytest.raises(ValueError, match=match):
        crps(y_true, grid, cdf)


@pytest.mark.parametrize(
    ("y_true", "mean", "std", "match"),
    [
        (Y3, 0.0, 0.0, "std must be strictly positive"),
        (Y3, 0.0, [1.0, -1.0, 1.0], "std must be strictly positive"),
        (Y3, [0.0, 1.0], 1.0, "mean has 2 entries but y_true has 3"),
        (Y3, 0.0, [1.0] * 4, "std has 4 entries but y_true has 3"),
        (Y3, 0.0, [1.0, np.nan, 1.0], "std contains NaN"),
        (Y3, np.inf, 1.0, "mean contains infinity"),
        (_with(Y3, 0, np.nan), 0.0, 1.0, "y_true contains NaN"),
        ([], 0.0, 1.0, "y_true is empty"),
        (Y3, np.zeros((3, 1)), 1.0, "mean must be a 1-D array"),
    ],
)
def test_gaussian_crps_invalid(y_true, mean, std, match):
    with pytest.raises(ValueError, match=match):
        gaussian_crps(y_true, mean, std)


INTERVALS3 = np.array([[-1.0, 1.0], [0.0, 2.0], [1.0, 1.5]])


@pytest.mark.parametrize(
    ("y_true", "intervals", "match"),
    [
        (
            Y3,
            _with(INTERVALS3, (1, 0), 3.0),
            r"lower > upper, e.g. row 1: \[3.0, 2.0\]",
        ),
        (Y3, INTERVALS3[:, :1], r"intervals must be a 2-D array of shape \(n_sam"),
        (Y3, np.ones((3, 3)), r"of shape \(n_samples, 2\)"),
        (Y3, INTERVALS3[:, 0], r"got an array of shape \(3,\)"),
        (Y3, INTERVALS3[:2], "intervals has 2 rows but y_true has 3"),
        (Y3, _with(INTERVALS3, (2, 1), np.nan), "intervals contains NaN"),
        (Y3, _with(INTERVALS3, (2, 1), np.inf), "intervals contains infinity"),
        (_with(Y3, 2, np.nan), INTERVALS3, "y_true contains NaN"),
        ([], np.empty((0, 2)), "y_true is empty"),
    ],
)
def test_interval_coverage_invalid(y_true, intervals, match):
    with pytest.raises(ValueError, match=match):
        interval_coverage(y_true, intervals)


@pytest.mark.parametrize(
    ("intervals", "match"),
    [
        (_with(INTERVALS3, (0, 0), 1.5), "lower > upper"),
        (_with(INTERVALS3, (0, 0), np.nan), "intervals contains NaN"),
        (np.empty((0, 2)), "intervals is empty"),
        (np.ones(2), r"intervals must be a 2-D array of shape \(n_samples, 2\)"),
    ],
)
def test_mean_interval_width_invalid(intervals, match):
    with pytest.raises(ValueError, match=match):
        mean_interval_width(intervals)


PRED32 = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])


@pytest.mark.parametrize(
    ("y_true", "predictions", "quantiles", "match"),
    [
        (Y3, PRED32, [0.0, 0.5], r"quantiles must lie in the open interval \(0, 1\)"),
        (Y3, PRED32, [0.5, 1.0], r"open interval \(0, 1\), got \[1.0\]"),
        (Y3, PRED32, [-0.1, 1.5], r"got \[-0.1, 1.5\]"),
        (Y3, PRED32, [0.5, np.nan], "quantiles contains NaN"),
        (Y3, PRED32, [], "quantiles is empty"),
        (Y3, PRED32, 0.5, "'quantiles' parameter of pinball_loss must be an arr"),
        (Y3, PRED32, [[0.5, 0.9]], "quantiles must be a 1-D array"),
        (Y3, PRED32, [0.1, 0.5, 0.9], "has 2 columns but 3 quantiles were given"),
        (Y3, PRED32[:, 0], [0.5], "quantile_predictions must be a 2-D array"),
        (Y3, PRED32[:2], [0.1, 0.9], "quantile_predictions has 2 rows but y_true"),
        (Y3, _with(PRED32, (0, 1), np.inf), [0.1, 0.9], "contains infinity"),
        (_with(Y3, 0, np.nan), PRED32, [0.1, 0.9], "y_true contains NaN"),
        ([], PRED32[:0], [0.1, 0.9], "y_true is empty"),
    ],
)
def test_pinball_loss_invalid(y_true, predictions, quantiles, match):
    with pytest.raises(ValueError, match=match):
        pinball_loss(y_true, predictions, quantiles)


@pytest.mark.parametrize(
    ("factory", "kwargs", "match"),
    [
        (make_crps_scorer, {"n_grid": 1}, "n_grid"),
        (make_crps_scorer, {"n_grid": 10.5}, "n_grid"),
        (make_interval_scorer, {"coverage": 0.0}, r"coverage.*\(0.0, 1.0\)"),
        (make_interval_scorer, {"coverage": 1.0}, "coverage"),
        (make_interval_scorer, {"coverage": 1.5}, "coverage"),
        (make_pinball_scorer, {"quantiles": [0.5, 1.0]}, r"open interval \(0, 1\)"),
        (make_pinball_scorer, {"quantiles": []}, "quantiles is empty"),
    ],
)
def test_make_scorer_invalid(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)


def test_public_api():
    names = ["crps", "crps_scorer", "gaussian_crps", "interval_coverage"]
    names += ["log_likelihood_scorer", "make_crps_scorer", "make_interval_scorer"]
    names += ["make_pinball_scorer", "mean_interval_width", "pinball_loss"]
    for name in names:
        assert name in sk_ebm.metrics.__all__
        assert getattr(sk_ebm.metrics, name) is getattr(_regression, name)
    assert sk_ebm.metrics.__all__ == sorted(sk_ebm.metrics.__all__)
    assert "regression" in sk_ebm.metrics.__doc__.split("\n\n")[0]
