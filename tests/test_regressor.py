"""EnergyRegressor: the conditional density p(y | x), its integrals, modes and
samples, against known answers.

Known answers: without its residual the regressor is a ridge regression with
Gaussian noise, whose log-density is computed here independently; the
quadrature normalises p(y | x) (it integrates to one); a bimodal target has
two modes of the right mass; quantiles invert the CDF.
"""

import pickle
import warnings

import numpy as np
import pytest
from conftest import fast
from scipy.stats import kstest, norm
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sk_ebm._regressor
from sk_ebm import EnergyRegressor
from sk_ebm.io import dump, load

pytestmark = pytest.mark.usefixtures("single_thread")


def linear(n, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    return X, 3.0 * X[:, 0] - X[:, 1] + 5.0 + 0.5 * rng.randn(n)


def branches(n, seed=0, weight=0.5):
    """Two branches y = +x and y = -x (+- 0.05 noise), the first of
    probability ``weight``."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.5, 1.5, size=(n, 1))
    sign = np.where(rng.rand(n) < weight, 1.0, -1.0)
    return X, sign * X[:, 0] + 0.05 * rng.randn(n)


@pytest.fixture(scope="module")
def gaussian():
    X, y = linear(400)
    return EnergyRegressor(residual=False, n_quadrature=2048).fit(X, y), X, y


@pytest.fixture(scope="module")
def bimodal():
    X, y = branches(1500, weight=0.7)
    reg = EnergyRegressor(hidden_layer_sizes=(32, 32), max_epochs=60, random_state=0)
    return reg.fit(X, y), X, y


def test_without_residual_it_is_a_gaussian_ridge_regression(gaussian):
    reg, X, y = gaussian
    X_test, y_test = linear(200, seed=1)
    # The same model computed here: a ridge on standardised data, its
    # residuals' standard deviation, in the units of y.
    S = (X - X.mean(0)) / X.std(0)
    t = (y - y.mean()) / y.std()
    ridge = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(S, t)
    std = np.sqrt(np.sum((t - ridge.predict(S)) ** 2) / (len(t) - 1)) * y.std()
    mean = ridge.predict((X_test - X.mean(0)) / X.std(0)) * y.std() + y.mean()
    expected = norm.logpdf(y_test, mean, std)
    np.testing.assert_allclose(reg.log_likelihood(X_test, y_test), expected, atol=1e-4)
    np.testing.assert_allclose(reg.predict(X_test), mean, atol=1e-3)
    quantiles = reg.predict_quantiles(X_test[:5], quantiles=(0.1, 0.5, 0.9))
    np.testing.assert_allclose(
        quantiles, norm.ppf([0.1, 0.5, 0.9], mean[:5, None], std), atol=0.01 * std
    )


def test_density_integrates_to_one(bimodal):
    reg, *_ = bimodal
    grid = np.linspace(*reg.y_range_, 2001)
    for x in (0.5, 1.0, 1.4):
        density = np.exp(reg.log_likelihood(np.full((len(grid), 1), x), grid))
        assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=0.01)


def test_residual_learns_the_two_branches(bimodal):
    reg, *_ = bimodal
    X_test, y_test = branches(1000, seed=1, weight=0.7)
    true = np.log(
        0.7 * norm.pdf(y_test, X_test[:, 0], 0.05)
        + 0.3 * norm.pdf(y_test, -X_test[:, 0], 0.05)
    )
    learned = reg.log_likelihood(X_test, y_test).mean()
    base = clone(reg).set_params(residual=False).fit(*branches(1500, weight=0.7))
    assert learned > base.log_likelihood(X_test, y_test).mean() + 1.0
    assert learned > true.mean() - 0.3

    xs = np.linspace(0.6, 1.4, 9)[:, None]
    modes, masses = reg.predict_modes(xs, max_modes=3)
    np.testing.assert_allclose(modes[:, :2], np.c_[xs, -xs], atol=0.05)
    # The branches' probabilities, estimated locally from 1 500 rows.
    assert masses[:, 0].mean() == pytest.approx(0.7, abs=0.05)
    assert ((masses[:, 0] > 0.5) & (masses[:, 0] < 0.9)).all()
    np.testing.assert_allclose(masses[:, :2].sum(1), 1.0, atol=0.01)
    assert np.isnan(modes[:, 2]).all() and np.isnan(masses[:, 2]).all()
    # predict is the most likely target: on the heavier branch.
    np.testing.assert_allclose(reg.predict([[1.0], [1.3]]), [1.0, 1.3], atol=0.05)


def test_quantiles_invert_the_cdf(bimodal):
    reg, *_ = bimodal
    X = np.array([[0.7], [1.2]])
    levels = np.array([0.05, 0.3, 0.5, 0.9])
    quantiles = reg.predict_quantiles(X, quantiles=levels)
    assert (np.diff(quantiles, axis=1) > 0).all()
    for row, q in zip(X, quantiles, strict=True):
        cdf = reg.predict_cdf(row[None], q)[0]
        np.testing.assert_allclose(cdf, levels, atol=1e-6)
    cdf = reg.predict_cdf(X, np.linspace(reg.y_range_[0] - 1, reg.y_range_[1] + 1, 50))
    assert (np.diff(cdf, axis=1) >= 0).all()
    assert (cdf[:, 0] == 0).all() and (cdf[:, -1] == 1).all()
    interval = reg.predict_interval(X, coverage=0.8)
    np.testing.assert_allclose(
        interval, reg.predict_quantiles(X, quantiles=(0.1, 0.9)), atol=1e-12
    )


def test_intervals_cover_held_out_targets(gaussian):
    reg, *_ = gaussian
    X_test, y_test = linear(4000, seed=2)
    interval = reg.predict_interval(X_test, coverage=0.9)
    inside = (interval[:, 0] <= y_test) & (y_test <= interval[:, 1])
    assert inside.mean() == pytest.approx(0.9, abs=0.02)


def test_samples_follow_the_conditional_cdf(bimodal):
    reg, *_ = bimodal
    samples = reg.sample_y([[1.0], [0.6]], n_samples=3000, random_state=0)
    assert samples.shape == (2, 3000)
    for x, row in zip((1.0, 0.6), samples, strict=True):

        def cdf(values, x=x):
            return reg.predict_cdf([[x]], values)[0]

        assert kstest(row, cdf).pvalue > 0.01
    np.testing.assert_array_equal(
        samples, reg.sample_y([[1.0], [0.6]], n_samples=3000, random_state=0)
    )
    assert (samples >= reg.y_range_[0]).all() and (samples <= reg.y_range_[1]).all()


def test_energy_ranks_targets(bimodal):
    reg, *_ = bimodal
    X = np.array([[1.0], [1.0], [1.0]])
    energy = reg.energy(X, [1.0, -1.0, 0.0])
    assert energy[0] < energy[1] < energy[2]
    log_likelihood = reg.log_likelihood(X, [1.0, -1.0, 0.0])
    np.testing.assert_allclose(np.diff(log_likelihood), -np.diff(energy), atol=1e-9)


def test_same_random_state_same_model():
    X, y = branches(200)
    a = fast(EnergyRegressor).fit(X, y).log_likelihood(X, y)
    b = fast(EnergyRegressor).fit(X, y).log_likelihood(X, y)
    np.testing.assert_array_equal(a, b)


def test_round_trips(bimodal, tmp_path):
    reg, X, y = bimodal
    expected = reg.log_likelihood(X[:50], y[:50])
    dump(reg, tmp_path / "reg.safetensors")
    loaded = load(tmp_path / "reg.safetensors")
    np.testing.assert_array_equal(loaded.log_likelihood(X[:50], y[:50]), expected)
    np.testing.assert_array_equal(loaded.y_range_, reg.y_range_)
    unpickled = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(unpickled.predict(X[:50]), reg.predict(X[:50]))


def test_sample_weight_enters_the_base():
    X, y = linear(300)
    weight = np.r_[np.ones(200), np.zeros(100)]
    y_bad = y.copy()
    y_bad[200:] += 10  # rows of weight 0 do not move the ridge
    weighted = fast(EnergyRegressor, residual=False).fit(X, y_bad, weight)
    kept = fast(EnergyRegressor, residual=False).fit(X[:200], y[:200])
    X_test = linear(50, seed=3)[0]
    assert np.abs(weighted.predict(X_test) - kept.predict(X_test)).max() < 0.1


def test_warm_start_continues():
    X, y = branches(200)
    reg = fast(EnergyRegressor, warm_start=True, early_stopping=False).fit(X, y)
    range_before = reg.y_range_.copy()
    reg.fit(X, y + 100)  # warm: the scaling and range of the first fit stay
    assert len(reg.net_.history) == 6
    np.testing.assert_array_equal(reg.y_range_, range_before)


def test_in_a_pipeline_and_a_search():
    X, y = branches(300)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), fast(EnergyRegressor)),
        {"energyregressor__hidden_layer_sizes": [(8,), (16,)]},
        cv=2,
        scoring=lambda est, X, y: est.score(X, y),
    ).fit(X, y)
    assert search.best_estimator_.predict(X).shape == (300,)


def test_column_target_is_accepted_with_a_warning():
    X, y = branches(100)
    with pytest.warns(DataConversionWarning):
        fast(EnergyRegressor).fit(X, y[:, None])


@pytest.mark.parametrize(
    "y, message",
    [
        (np.r_[np.nan, np.ones(19)], "NaN"),
        (np.r_[np.inf, np.arange(19.0)], "infinity"),
        (np.ones(20), "constant"),
        (np.arange(19.0), "rows"),
        (np.ones((20, 2)), "single continuous target"),
        (np.array(["a", "b"] * 10), "numeric"),
    ],
)
def test_bad_targets(y, message):
    X = np.random.RandomState(0).randn(20, 2)
    with pytest.raises(ValueError, match=message):
        fast(EnergyRegressor).fit(X, y)


def test_bad_arguments(bimodal):
    reg, X, _ = bimodal
    for quantiles in ([0.0, 0.5], [1.0], [], [np.nan]):
        with pytest.raises(ValueError, match="quantiles"):
            reg.predict_quantiles(X[:2], quantiles=quantiles)
    for coverage in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="coverage"):
            reg.predict_interval(X[:2], coverage=coverage)
    for max_modes in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_modes"):
            reg.predict_modes(X[:2], max_modes=max_modes)
    for n in (0, 2.5):
        with pytest.raises(ValueError, match="n_samples"):
            reg.sample_y(X[:2], n_samples=n)
    with pytest.raises(ValueError, match="rows"):
        reg.log_likelihood(X[:3], [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        reg.log_likelihood(X[:2], [np.nan, 1.0])
    with pytest.raises(ValueError, match="residual=False"):
        EnergyRegressor(base=None, residual=False).fit(X, X[:, 0])
    with pytest.raises(AttributeError, match="energy"):
        reg.energy_grad_norm(X)


@pytest.mark.parametrize(
    "method",
    ["predict", "predict_modes", "predict_interval", "predict_quantiles", "sample_y"],
)
def test_unfitted(method):
    with pytest.raises(NotFittedError):
        getattr(EnergyRegressor(), method)(np.zeros((2, 1)))


def test_unfitted_with_targets():
    for method in ("log_likelihood", "energy", "predict_cdf"):
        with pytest.raises(NotFittedError):
            getattr(EnergyRegressor(), method)(np.zeros((2, 1)), np.zeros(2))


def test_no_warning_on_ordinary_data():
    X, y = branches(200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast(EnergyRegressor).fit(X, y).predict_modes(X[:5])


@pytest.mark.parametrize(
    "method", ["predict", "log_likelihood", "predict_quantiles", "sample_y"]
)
def test_memory_does_not_grow_with_the_rows(method, monkeypatch):
    """Each row's integrals take n_quadrature network evaluations; they run in
    chunks of rows, so the memory beyond the output is the same for 1 000 and
    6 000 rows (a full (rows, n_quadrature) array would add 5 MB)."""
    import tracemalloc

    X, y = branches(200)
    reg = fast(EnergyRegressor).fit(X, y)
    rng = np.random.RandomState(0)
    # Chunks of 128 rows: both sizes below hold many.
    monkeypatch.setattr(sk_ebm._regressor, "PAIRS_PER_CHUNK", 128 * reg.n_quadrature)

    def extra(n):
        X_big = rng.uniform(0.5, 1.5, size=(n, 1))
        args = (X_big, X_big[:, 0]) if method == "log_likelihood" else (X_big,)
        getattr(reg, method)(*args[:1], *args[1:])  # warm-up of the same size
        tracemalloc.start()
        try:
            out = getattr(reg, method)(*args)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return peak - np.asarray(out).nbytes

    small, large = extra(1_000), extra(6_000)
    assert large < small + 6_000 * 8 * 3  # at most a few row vectors more


def test_nce_plus_prefers_the_true_energy():
    """NCE+ on targets of N(0, 1): the loss of the true energy y^2 / 2 is below
    that of energies half or twice as wide."""
    import torch

    from sk_ebm.objectives import NCEPlusLoss

    loss = NCEPlusLoss()
    generator = torch.Generator().manual_seed(0)
    y = torch.randn(20_000, generator=generator)
    candidates = loss.candidates(y, 64, generator)
    log_noise = loss.log_noise(candidates, y)
    values = {
        s: float(loss(0.5 * (candidates / s) ** 2, log_noise)) for s in (0.5, 1.0, 2.0)
    }
    assert values[1.0] < values[0.5] and values[1.0] < values[2.0]


def test_nce_plus_objective_learns_the_branches():
    X, y = branches(600)
    X_test, y_test = branches(500, seed=1)
    nce = fast(
        EnergyRegressor, objective="nce+", max_epochs=30, hidden_layer_sizes=(32,)
    )
    base = fast(EnergyRegressor, residual=False)
    gain = (
        nce.fit(X, y).log_likelihood(X_test, y_test).mean()
        - base.fit(X, y).log_likelihood(X_test, y_test).mean()
    )
    assert gain > 0.5
