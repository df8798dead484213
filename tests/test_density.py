"""Tests of EnergyDensityEstimator."""

import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import fast
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_ebm import EnergyDensityEstimator
from sk_ebm.datasets import make_eight_gaussians
from sk_ebm.exceptions import DivergenceError

MEAN = np.array([1.0, -2.0])
COV = np.array([[2.0, 1.2], [1.2, 1.5]])
# The known answers (a log-likelihood within 0.05 of the truth, a mass within
# 0.05 of 1) need a converged model and an accurate log Z: these overrides of
# the fast settings train a wider network for longer, with the default mixture
# proposal and importance samples, and run a finer AIS.
ACCURATE = dict(
    hidden_layer_sizes=(32, 32),
    max_epochs=40,
    n_components="auto",
    n_importance_samples=2048,
    ais_chains=1000,
    ais_temperatures=100,
    sample_steps=20,
)


def accurate(**params):
    return fast(EnergyDensityEstimator, **{**ACCURATE, **params})


def gaussian_data(n, seed):
    return np.random.RandomState(seed).multivariate_normal(MEAN, COV, size=n)


def grid_log_mass(estimator, low, high, resolution):
    axes = [np.arange(lo, hi, resolution) for lo, hi in zip(low, high, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(low))
    return logsumexp(estimator.score_samples(grid)) + len(low) * np.log(resolution)


@pytest.fixture(scope="module")
def X():
    return gaussian_data(1500, seed=0)


@pytest.fixture(scope="module")
def fitted(X):
    return accurate().fit(X)


# -- known answers -------------------------------------------------------------
def test_density_integrates_to_one(fitted):
    """score_samples is normalised: exp(score) integrates to 1 over the plane."""
    log_mass = grid_log_mass(fitted, MEAN - 8, MEAN + 8, 0.02)
    assert abs(log_mass) < 0.05


def test_gaussian_log_likelihood_close_to_truth(fitted):
    X_test = gaussian_data(5000, seed=1)
    truth = multivariate_normal(MEAN, COV).logpdf(X_test).mean()
    assert fitted.score(X_test) == pytest.approx(truth, abs=0.05)
    assert fitted.score(X_test) == pytest.approx(np.mean(fitted.score_samples(X_test)))


def test_beats_single_gaussian_on_multimodal_data():
    X, _ = make_eight_gaussians(1500, random_state=0)
    X_test, _ = make_eight_gaussians(3000, random_state=1)
    ebm = accurate().fit(X)
    gaussian = GaussianMixture(1).fit(X)
    assert ebm.score(X_test) > gaussian.score(X_test) + 1.0
    assert abs(grid_log_mass(ebm, [-7, -7], [7, 7], 0.02)) < 0.05


def test_affine_invariance_and_jacobian(X, fitted):
    """Fitting on c * X + b gives the same model up to the Jacobian -d log c."""
    c, b = 10.0, np.array([5.0, -3.0])
    scaled = accurate().fit(c * X + b)
    expected = fitted.score_samples(X[:50]) - 2 * np.log(c)
    np.testing.assert_allclose(
        scaled.score_samples(c * X[:50] + b), expected, atol=1e-3
    )


def test_sample_matches_data_moments(fitted):
    samples = fitted.sample(4000, random_state=0)
    assert samples.shape == (4000, 2)
    np.testing.assert_allclose(samples.mean(0), MEAN, atol=0.15)
    np.testing.assert_allclose(np.cov(samples.T), COV, atol=0.3)


def test_sample_reproducible(fitted):
    np.testing.assert_array_equal(
        fitted.sample(10, random_state=3), fitted.sample(10, random_state=3)
    )
    assert not np.array_equal(
        fitted.sample(10, random_state=3), fitted.sample(10, random_state=4)
    )
    assert fitted.sample().shape == (1, 2)


@pytest.mark.parametrize("n_samples", [0, -1, 2.5])
def test_sample_rejects_bad_n_samples(fitted, n_samples):
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(n_samples)


def test_pcd_objective_fits_a_gaussian(X):
    ebm = accurate(objective="pcd", energy_reg=0.1, lr=1e-3).fit(X)
    X_test = gaussian_data(3000, seed=1)
    truth = multivariate_normal(MEAN, COV).logpdf(X_test).mean()
    assert ebm.score(X_test) == pytest.approx(truth, abs=0.15)
    assert ebm.net_.buffer is not None


def test_history_has_curves_and_early_stopping_keeps_best(fitted):
    history = fitted.net_.history
    train = history[:, "train_log_likelihood"]
    valid = history[:, "valid_log_likelihood"]
    assert len(train) == len(valid) == len(history) <= ACCURATE["max_epochs"]
    assert np.all(np.isfinite(train)) and np.all(np.isfinite(valid))


def test_early_stopping_stops_before_max_epochs():
    X, _ = make_eight_gaussians(600, random_state=0)
    ebm = fast(EnergyDensityEstimator, n_iter_no_change=3, max_epochs=500).fit(X)
    assert len(ebm.net_.history) < 500


def test_without_early_stopping_runs_all_epochs(X):
    ebm = fast(EnergyDensityEstimator, early_stopping=False, max_epochs=3).fit(X)
    assert len(ebm.net_.history) == 3
    assert "valid_log_likelihood" not in ebm.net_.history[-1]


# -- reproducibility and scikit-learn integration --------------------------------
def test_same_random_state_same_result(X, fitted):
    again = accurate().fit(X)
    np.testing.assert_array_equal(again.score_samples(X), fitted.score_samples(X))
    assert again.log_partition_ == fitted.log_partition_
    other = accurate(random_state=1).fit(X)
    assert not np.array_equal(other.score_samples(X), fitted.score_samples(X))


def test_fit_leaves_global_torch_rng_untouched(X):
    state = torch.random.get_rng_state()
    fast(EnergyDensityEstimator, max_epochs=1).fit(X)
    assert torch.equal(state, torch.random.get_rng_state())


def test_pickle_round_trip(X, fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(
        restored.sample(5, random_state=0), fitted.sample(5, random_state=0)
    )


def test_clone_is_unfitted_with_same_params(fitted):
    cloned = clone(fitted)
    assert cloned.get_params() == fitted.get_params()
    assert not hasattr(cloned, "net_")


def test_pipeline_and_grid_search(X):
    search = GridSearchCV(
        fast(EnergyDensityEstimator, max_epochs=5),
        {
            "hidden_layer_sizes": [(8,), (32, 32)],
            "sgld_steps": [5],
            "energy_reg": [0.0, 0.1],
        },
        cv=2,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert search.best_score_ == pytest.approx(scores.max())
    pipe = make_pipeline(StandardScaler(), clone(search.best_estimator_)).fit(X)
    assert np.isfinite(pipe.score(X))
    assert pipe.score_samples(X[:4]).shape == (4,)


def test_custom_module_class_and_instance(X):
    class Quadratic(torch.nn.Module):
        def __init__(self, n_features):
            super().__init__()
            self.precision = torch.nn.Parameter(torch.eye(n_features))

        def forward(self, x):
            return 0.5 * ((x @ self.precision) * x).sum(1)

    for module in (Quadratic, Quadratic(2)):
        ebm = accurate(module=module, base=None).fit(X)
        X_test = gaussian_data(3000, seed=1)
        truth = multivariate_normal(MEAN, COV).logpdf(X_test).mean()
        assert ebm.score(X_test) == pytest.approx(truth, abs=0.05)


def test_fixed_components_and_gmm_base(X):
    # The mass test needs the accurate AIS.
    ebm = accurate(base="gmm", n_components=3, max_epochs=3).fit(X)
    assert ebm.net_.module_.base.means.shape == (3, 2)
    assert abs(grid_log_mass(ebm, MEAN - 8, MEAN + 8, 0.04)) < 0.05


def test_image_shape_builds_conv_energy():
    X = np.random.RandomState(0).rand(64, 16)
    ebm = EnergyDensityEstimator(
        image_shape=(4, 4),
        module_kwargs={"channels": (4,), "hidden_size": 8},
        max_epochs=2,
        ais_chains=50,
        ais_temperatures=10,
        random_state=0,
    ).fit(X)
    assert type(ebm.net_.module_.energy).__name__ == "ConvEnergy"
    assert np.all(np.isfinite(ebm.score_samples(X)))
    with pytest.raises(ValueError, match="image_shape"):
        EnergyDensityEstimator(image_shape=(3, 3), max_epochs=1).fit(X)


# -- divergence guard ------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"lr": 1e8},
        {"objective": "pcd", "sgld_step_size": 1e8, "sgld_noise": 0.0, "lr": 1e3},
    ],
)
def test_divergence_restores_finite_weights_and_names_knobs(X, params):
    ebm = fast(EnergyDensityEstimator, max_epochs=50, **params)
    with pytest.raises(DivergenceError, match=r"lr.*energy_reg.*sgld_step"):
        ebm.fit(X)
    for parameter in ebm.net_.module_.parameters():
        assert torch.isfinite(parameter).all()
    with pytest.raises(NotFittedError):
        ebm.score_samples(X)


# -- bad input -------------------------------------------------------------------
BAD_INPUTS = [
    (np.array([[0.0, np.nan]] * 5), "NaN"),
    (np.array([[0.0, np.inf]] * 5), "infinity"),
    (np.empty((0, 2)), "0 sample"),
    (np.arange(5.0), "Expected 2D array"),
    (np.array([["a", "b"]] * 5), "could not convert"),
    (np.full((5, 2), 1e300), "too large"),
    (sp.csr_matrix(np.ones((5, 2))), "sparse"),
]


@pytest.mark.parametrize("X_bad, match", BAD_INPUTS)
def test_fit_rejects_bad_input(X_bad, match):
    with pytest.raises(ValueError, match=match):
        EnergyDensityEstimator(max_epochs=1).fit(X_bad)


@pytest.mark.parametrize("X_bad, match", BAD_INPUTS)
def test_score_samples_rejects_bad_input(fitted, X_bad, match):
    with pytest.raises(ValueError, match=match):
        fitted.score_samples(X_bad)


def test_wrong_width_at_score_time(fitted):
    with pytest.raises(ValueError, match=re.escape("X has 3 features")):
        fitted.score_samples(np.ones((4, 3)))


def test_single_sample_rejected():
    with pytest.raises(ValueError, match="at least 2 samples"):
        EnergyDensityEstimator().fit(np.ones((1, 2)))


@pytest.mark.parametrize("method", ["score_samples", "score", "sample"])
def test_unfitted_use_raises(method):
    args = () if method == "sample" else (np.ones((3, 2)),)
    with pytest.raises(NotFittedError):
        getattr(EnergyDensityEstimator(), method)(*args)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"lr": -1.0}, "lr"),
        ({"objective": "magic"}, "objective"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"sgld_noise": "loud"}, "sgld_noise"),
    ],
)
def test_invalid_parameters(X, params, name):
    with pytest.raises(ValueError, match=name):
        EnergyDensityEstimator(**params).fit(X)


def test_constant_feature_is_finite():
    X = np.c_[gaussian_data(300, seed=0)[:, :1], np.full(300, 3.0)]
    ebm = fast(EnergyDensityEstimator, max_epochs=2).fit(X)
    assert np.all(np.isfinite(ebm.score_samples(X)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_and_cpu_unpickle(X):
    ebm = fast(EnergyDensityEstimator, device="cuda").fit(X)
    scores = ebm.score_samples(X)
    assert np.all(np.isfinite(scores))
    assert ebm.sample(3, random_state=0).shape == (3, 2)


def test_default_objective_fits_correlated_tabular_data():
    # Regression: with 13 strongly correlated features "auto" chose PCD, whose
    # Langevin steps on the near-singular Gaussian base diverged in epoch 1.
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    X = X[y != 1][::2]  # 64 rows in 13 dimensions: a near-singular covariance
    ebm = EnergyDensityEstimator(
        max_epochs=5, ais_chains=200, ais_temperatures=50, random_state=0
    ).fit(X)
    assert np.isfinite(ebm.score_samples(X)).all()
    for parameter in ebm.net_.module_.parameters():
        assert torch.isfinite(parameter).all()
