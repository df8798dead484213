"""Tests of NCEDensityEstimator."""

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
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_ebm import NCEDensityEstimator
from sk_ebm.datasets import make_eight_gaussians
from sk_ebm.exceptions import DivergenceError
from sk_ebm.nn import QuadraticEnergy

pytestmark = pytest.mark.usefixtures("single_thread")

MEAN = np.array([1.0, -2.0])
COV = np.array([[2.0, 1.2], [1.2, 1.5]])
# A quadratic energy is the exact model of Gaussian data. These settings
# converge in about a second: the learned constant is within 0.006 of the exact
# log Z (0.013 at worst over 5 seeds). With early stopping and the default lr
# the constant, started at 0 below the initial log Z = log 2 pi, still trails
# by 0.01 to 0.08 when training stops.
QUADRATIC = dict(
    module=QuadraticEnergy,
    base=None,
    max_epochs=40,
    lr=3e-2,
    batch_size=512,
    early_stopping=False,
)


def gaussian_data(n, seed):
    return np.random.RandomState(seed).multivariate_normal(MEAN, COV, size=n)


def grid_log_mass(estimator, low, high, resolution):
    axes = [np.arange(lo, hi, resolution) for lo, hi in zip(low, high, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(low))
    return logsumexp(estimator.score_samples(grid)) + len(low) * np.log(resolution)


def exact_log_partition(estimator):
    """log Z of a fitted QuadraticEnergy, in the data's units.

    The energy sees standardised rows z = (x - mean_) / scale_; the change of
    variables adds sum(log scale_) to log Z.
    """
    log_z = estimator.net_.module_.energy.log_partition().item()
    return log_z + np.log(estimator.scale_).sum()


@pytest.fixture(scope="module")
def X():
    return gaussian_data(4000, seed=0)


@pytest.fixture(scope="module")
def X_test():
    return gaussian_data(5000, seed=1)


@pytest.fixture(scope="module", params=["gaussian", "gmm"])
def quadratic(request, X):
    """A QuadraticEnergy fitted by NCE on Gaussian data, per noise."""
    return NCEDensityEstimator(noise=request.param, random_state=0, **QUADRATIC).fit(X)


@pytest.fixture(scope="module")
def eight():
    return make_eight_gaussians(2000, random_state=0)[0]


@pytest.fixture(scope="module")
def eight_test():
    return make_eight_gaussians(3000, random_state=1)[0]


@pytest.fixture(scope="module")
def mlp(eight):
    """The default energy (Gaussian base tilted by an MLP), GMM noise, with early
    stopping on the validation NCE loss: about 4 s."""
    return NCEDensityEstimator(max_epochs=40, random_state=0).fit(eight)


@pytest.fixture(scope="module")
def small():
    return make_eight_gaussians(400, random_state=0)[0]


@pytest.fixture(scope="module")
def fitted(small):
    """The fast settings on a few hundred rows: a fraction of a second."""
    return fast(NCEDensityEstimator).fit(small)


# -- known answers -------------------------------------------------------------
def test_learned_constant_is_the_exact_log_partition(quadratic, X):
    """NCE learns log Z with the energy: c matches the quadratic's exact log Z."""
    assert quadratic.log_partition_ == pytest.approx(
        exact_log_partition(quadratic), abs=0.05
    )
    # log_partition_ is the learned constant plus the log-Jacobian of the
    # internal standardisation, and score_samples = -E - log_partition_.
    module = quadratic.net_.module_
    assert quadratic.log_partition_ == pytest.approx(
        module.log_partition.item() + np.log(quadratic.scale_).sum(), rel=1e-6
    )
    Z = torch.as_tensor((X[:20] - quadratic.mean_) / quadratic.scale_).float()
    with torch.no_grad():
        energy = module.energy(Z).double().numpy()
    np.testing.assert_allclose(
        quadratic.score_samples(X[:20]),
        -energy - quadratic.log_partition_,
        rtol=1e-6,
    )


def test_quadratic_fit_matches_the_true_gaussian(quadratic, X_test):
    truth = multivariate_normal(MEAN, COV).logpdf(X_test).mean()
    assert quadratic.score(X_test) == pytest.approx(truth, abs=0.05)
    assert quadratic.score(X_test) == pytest.approx(
        np.mean(quadratic.score_samples(X_test))
    )


def test_mlp_density_integrates_to_one(mlp, eight):
    low, high = eight.min(0) - 4, eight.max(0) + 4
    # Measured 0.031 (the same at resolution 0.02).
    assert abs(grid_log_mass(mlp, low, high, 0.04)) < 0.1


def test_mlp_matches_a_gaussian_mixture_on_multimodal_data(mlp, eight, eight_test):
    # Measured -1.739 against -1.716 (8 components) and -4.92 (1 component).
    baseline = GaussianMixture(8, random_state=0).fit(eight)
    single = GaussianMixture(1).fit(eight)
    assert mlp.score(eight_test) > baseline.score(eight_test) - 0.1
    assert mlp.score(eight_test) > single.score(eight_test) + 2.0


# -- noise -------------------------------------------------------------------
@pytest.fixture(scope="module")
def gm_noise():
    return GaussianMixture(n_components=3)


@pytest.fixture(scope="module")
def gm_noise_fit(gm_noise, eight):
    """A user estimator as noise: about 4 s."""
    return NCEDensityEstimator(noise=gm_noise, max_epochs=40, random_state=0).fit(eight)


def estimator_noise(nce):
    """The torch wrapper of a user estimator inside ``noise_``."""
    return next(m for m in nce.noise_.modules() if hasattr(m, "estimator"))


def test_estimator_noise_is_cloned_and_fitted(gm_noise, gm_noise_fit, eight):
    assert not hasattr(gm_noise, "weights_")
    assert gm_noise.random_state is None
    wrapper = estimator_noise(gm_noise_fit)
    fitted = wrapper.estimator
    assert fitted is not gm_noise
    assert fitted.n_components == 3
    assert fitted.random_state is not None  # seeded from random_state
    # Fitted on the standardised training rows.
    np.testing.assert_allclose(fitted.weights_ @ fitted.means_, np.zeros(2), atol=0.1)
    # The pool of noise draws: 4 per training row and noise ratio, plus 4096.
    n_train = len(eight) - round(0.1 * len(eight))
    assert wrapper.pool.shape == (4 * 4 * n_train + 4096, 2)


def test_estimator_noise_log_likelihood_near_a_gaussian_mixture(
    gm_noise_fit, eight, eight_test
):
    # Measured -1.721 against -1.716; the density's mass is off (see below).
    baseline = GaussianMixture(8, random_state=0).fit(eight).score(eight_test)
    score = gm_noise_fit.score(eight_test)
    assert np.isfinite(score)
    assert abs(score - baseline) < 0.3


def test_estimator_noise_density_integrates_to_one(gm_noise_fit, eight):
    """As with the built-in noises, score_samples is normalised.

    A scikit-learn mixture fitted to the data has almost no mass in the
    hole of the ring and beyond it, where NCE then leaves the energy free;
    "gmm" and "flow" add a broad Gaussian component for that reason.
    Measured log mass: 0.39 (0.057 with the broad component added).
    """
    low, high = eight.min(0) - 4, eight.max(0) + 4
    assert abs(grid_log_mass(gm_noise_fit, low, high, 0.04)) < 0.15


def test_kernel_density_noise_sampled_with_its_random_state(small):
    # KernelDensity.sample takes random_state; GaussianMixture.sample does not.
    noise = KernelDensity(bandwidth=0.3)
    nce = fast(NCEDensityEstimator, noise=noise, max_epochs=1).fit(small)
    assert not hasattr(noise, "tree_")
    assert estimator_noise(nce).estimator.bandwidth == 0.3
    assert np.all(np.isfinite(nce.score_samples(small)))
    again = fast(
        NCEDensityEstimator, noise=KernelDensity(bandwidth=0.3), max_epochs=1
    ).fit(small)
    assert torch.equal(estimator_noise(again).pool, estimator_noise(nce).pool)
    other = fast(
        NCEDensityEstimator,
        noise=KernelDensity(bandwidth=0.3),
        max_epochs=1,
        random_state=1,
    )
    other.fit(small)
    assert not torch.equal(estimator_noise(other).pool, estimator_noise(nce).pool)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"noise": StandardScaler()}, "'noise' parameter"),
        ({"noise": "foo"}, "'noise' parameter"),
        ({"noise_ratio": 0}, "'noise_ratio' parameter"),
        ({"noise_ratio": -1.0}, "'noise_ratio' parameter"),
        ({"noise_components": 0}, "'noise_components' parameter"),
        ({"base": "gmm"}, "'base' parameter"),
        ({"lr": -1.0}, "'lr' parameter"),
        ({"validation_fraction": 1.5}, "'validation_fraction' parameter"),
    ],
)
def test_invalid_parameters(small, params, match):
    with pytest.raises(ValueError, match=match):
        fast(NCEDensityEstimator, **params).fit(small)


# -- invariances and reproducibility -----------------------------------------------
def test_affine_invariance_and_jacobian(small):
    """Fitting on a * X + b (a > 0 per feature) gives the same model, the
    density divided by the Jacobian prod(a)."""
    a, b = np.array([10.0, 0.5]), np.array([5.0, -3.0])
    nce = fast(NCEDensityEstimator).fit(small)
    moved = fast(NCEDensityEstimator).fit(a * small + b)
    np.testing.assert_allclose(
        moved.score_samples(a * small + b),
        nce.score_samples(small) - np.log(a).sum(),
        atol=1e-4,
    )
    assert moved.log_partition_ == pytest.approx(
        nce.log_partition_ + np.log(a).sum(), abs=1e-4
    )


def test_same_random_state_same_result(small, fitted):
    again = fast(NCEDensityEstimator).fit(small)
    np.testing.assert_array_equal(
        again.score_samples(small), fitted.score_samples(small)
    )
    assert again.log_partition_ == fitted.log_partition_
    np.testing.assert_array_equal(
        again.sample(20, random_state=0), fitted.sample(20, random_state=0)
    )
    other = fast(NCEDensityEstimator, random_state=1).fit(small)
    assert not np.array_equal(other.score_samples(small), fitted.score_samples(small))


def test_fit_leaves_global_torch_rng_untouched(small):
    state = torch.random.get_rng_state()
    fast(NCEDensityEstimator, max_epochs=1).fit(small)
    assert torch.equal(state, torch.random.get_rng_state())


# -- sampling --------------------------------------------------------------------
def test_sample_matches_data_moments(quadratic, X):
    samples = quadratic.sample(2000, random_state=0)
    assert samples.shape == (2000, 2)
    # Standard errors of 2000 independent draws: about 0.03 for the mean and
    # 0.06 for the covariance (measured errors: 0.02 and 0.06).
    np.testing.assert_allclose(samples.mean(0), X.mean(0), atol=0.15)
    np.testing.assert_allclose(np.cov(samples.T), np.cov(X.T), atol=0.3)


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


# -- scikit-learn integration ------------------------------------------------------
def test_clone_get_and_set_params(fitted):
    cloned = clone(fitted)
    assert cloned.get_params() == fitted.get_params()
    assert not hasattr(cloned, "net_")
    assert not hasattr(cloned, "log_partition_")
    params = fitted.get_params()
    assert params["noise"] == "gmm"
    assert params["noise_ratio"] == 4.0
    assert params["hidden_layer_sizes"] == (16,)
    cloned.set_params(noise="gaussian", noise_ratio=2.0)
    assert (cloned.noise, cloned.noise_ratio) == ("gaussian", 2.0)
    assert fitted.noise == "gmm"


def test_pipeline_with_scaler_is_the_same_model_up_to_the_jacobian(small, fitted):
    """StandardScaler in front changes the units only (affine invariance)."""
    pipe = make_pipeline(StandardScaler(), fast(NCEDensityEstimator)).fit(small)
    scale = pipe[0].scale_
    np.testing.assert_allclose(
        pipe.score_samples(small),
        fitted.score_samples(small) + np.log(scale).sum(),
        atol=1e-4,
    )
    assert pipe.score(small) == pytest.approx(np.mean(pipe.score_samples(small)))


def test_grid_search_scores_by_held_out_log_likelihood(small):
    grid = {"hidden_layer_sizes": [(8,), (16,)]}
    search = GridSearchCV(fast(NCEDensityEstimator), grid, cv=2).fit(small)
    results = search.cv_results_
    scores = results["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert search.best_score_ == pytest.approx(scores.max())
    assert (
        search.best_estimator_.hidden_layer_sizes
        == search.best_params_["hidden_layer_sizes"]
    )
    # The default score is the mean log-likelihood of the held-out fold
    # (cv=2 on unlabelled rows: unshuffled halves).
    half = len(small) // 2
    for i, params in enumerate(results["params"]):
        model = fast(NCEDensityEstimator, **params).fit(small[half:])
        assert results["split0_test_score"][i] == pytest.approx(
            np.mean(model.score_samples(small[:half])), rel=1e-6
        )


def test_pickle_round_trip(mlp, eight):
    restored = pickle.loads(pickle.dumps(mlp))
    np.testing.assert_array_equal(
        restored.score_samples(eight), mlp.score_samples(eight)
    )
    np.testing.assert_array_equal(
        restored.sample(5, random_state=0), mlp.sample(5, random_state=0)
    )
    assert restored.log_partition_ == mlp.log_partition_


def test_history_has_nce_curves(mlp):
    history = mlp.net_.history
    assert 1 <= len(history) <= 40
    for key in ("valid_nce_loss", "train_log_likelihood", "valid_log_likelihood"):
        values = np.array(history[:, key])
        assert values.shape == (len(history),)
        assert np.all(np.isfinite(values)), key
    accuracy = np.concatenate(
        [history[i, "batches", :, "nce_accuracy"] for i in range(len(history))]
    )
    assert len(accuracy) == sum(len(row["batches"]) for row in history)
    assert np.all((accuracy >= 0) & (accuracy <= 1))
    # The NCE loss of the validation rows falls from its first epoch.
    assert min(history[:, "valid_nce_loss"]) < history[0, "valid_nce_loss"]


def test_without_early_stopping_runs_all_epochs(small):
    nce = fast(NCEDensityEstimator, early_stopping=False, max_epochs=3).fit(small)
    assert len(nce.net_.history) == 3
    assert "valid_nce_loss" not in nce.net_.history[-1]


# -- flow noise --------------------------------------------------------------
@pytest.fixture(scope="module")
def flow(eight):
    """Flow contrastive estimation: 8 epochs, two of maximum-likelihood warm-up
    of the flow; about 2 s."""
    return NCEDensityEstimator(
        noise="flow",
        noise_kwargs={"transforms": 2, "hidden_features": (32, 32)},
        hidden_layer_sizes=(32, 32),
        max_epochs=8,
        early_stopping=False,
        random_state=0,
    ).fit(eight)


@pytest.mark.slow
def test_flow_noise_density_is_finite_and_roughly_normalised(flow, eight):
    assert np.all(np.isfinite(flow.score_samples(eight)))
    # Measured |log mass| 0.03 to 0.25 over seeds after 8 epochs.
    assert abs(grid_log_mass(flow, [-8, -8], [8, 8], 0.04)) < 0.4
    assert sum(1 for _ in flow.noise_.parameters()) > 0


@pytest.mark.slow
def test_flow_noise_energy_keeps_learning_after_warm_up(flow):
    """After the flow's warm-up the steps alternate between the flow and the
    energy (by the classifier's accuracy), so the energy, and with it the
    train log-likelihood, keeps changing."""
    warmup = flow.max_epochs // 4
    history = flow.net_.history
    after = np.array(history[warmup - 1 :, "train_log_likelihood"])
    assert np.ptp(after) > 0, (
        "energy frozen after the flow warm-up; per-batch nce_accuracy: "
        f"{sorted(set(np.round(history[-1, 'batches', :, 'nce_accuracy'], 3)))}"
    )


# -- divergence guard ------------------------------------------------------------
def test_absurd_learning_rate_never_leaves_nan_weights(small):
    nce = fast(NCEDensityEstimator, lr=1e6, max_epochs=5)
    try:
        nce.fit(small)
    except DivergenceError as err:
        assert "`lr`" in str(err)
        with pytest.raises(NotFittedError):
            nce.score_samples(small)
    else:
        assert np.all(np.isfinite(nce.score_samples(small)))
    for parameter in nce.net_.module_.parameters():
        assert torch.isfinite(parameter).all()


def test_divergence_message_names_only_own_parameters(small):
    nce = fast(NCEDensityEstimator, lr=1e6, max_epochs=5)
    with pytest.raises(DivergenceError) as info:
        nce.fit(small)
    named = re.findall(r"`(\w+)`", str(info.value))
    assert "lr" in named
    assert set(named) <= set(nce.get_params()), str(info.value)


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
        fast(NCEDensityEstimator).fit(X_bad)


@pytest.mark.parametrize("X_bad, match", BAD_INPUTS)
def test_score_samples_rejects_bad_input(fitted, X_bad, match):
    with pytest.raises(ValueError, match=match):
        fitted.score_samples(X_bad)


def test_wrong_width_at_score_time(fitted):
    with pytest.raises(ValueError, match=re.escape("X has 3 features")):
        fitted.score_samples(np.ones((4, 3)))


def test_single_sample_rejected():
    with pytest.raises(ValueError, match="at least 2 samples"):
        fast(NCEDensityEstimator).fit(np.ones((1, 2)))


@pytest.mark.parametrize("method", ["score_samples", "score", "sample"])
def test_unfitted_use_raises(method):
    args = () if method == "sample" else (np.ones((3, 2)),)
    with pytest.raises(NotFittedError):
        getattr(NCEDensityEstimator(), method)(*args)


def test_weight_decay_spares_the_log_partition(eight):
    """Bug: weight decay applied to the learned log-partition c too, pulling
    the normaliser towards 0; it regularises the energy's weights only."""
    nce = fast(NCEDensityEstimator, weight_decay=0.1, max_epochs=1).fit(eight)
    c = nce.net_.module_.log_partition
    for group in nce.net_.optimizer_.param_groups:
        is_c = any(param is c for param in group["params"])
        assert group["weight_decay"] == (0.0 if is_c else 0.1)
    assert sum(len(g["params"]) for g in nce.net_.optimizer_.param_groups) == sum(
        1 for _ in nce.net_.get_all_learnable_params()
    )
