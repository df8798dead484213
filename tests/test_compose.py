"""Tests of sk_ebm.compose: products, negations and mixtures of fitted models.

The known answers come from members whose energies are exact quadratics
(``residual=False``: the estimator is its Gaussian base): a product or a
tempered power of Gaussians is a Gaussian whose mean, covariance and
log-partition follow in closed form from the members' quadratic energies.
"""

import copy
import os
import pickle
import warnings

import numpy as np
import pytest
from conftest import fast
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV

from sk_ebm import EnergyClassifier, EnergyDensityEstimator
from sk_ebm.compose import EnergyMixture, EnergyProduct
from sk_ebm.datasets import make_banana
from sk_ebm.io import dump, load

pytestmark = pytest.mark.usefixtures("single_thread")

AIS = dict(ais_chains=500, ais_temperatures=100, random_state=0)
COV_A = np.array([[1.0, 0.5], [0.5, 1.0]])
COV_B = np.array([[2.0, 0.0], [0.0, 0.5]])


def gaussian_model(X):
    """An estimator that is exactly the (shrunk) Gaussian fitted to ``X``."""
    return EnergyDensityEstimator(
        residual=False, base="gaussian", n_components=1, random_state=0
    ).fit(X)


def quadratic(energy, d, seed=0):
    """``(A, mean, log_z)`` of an energy that is an exact quadratic
    ``0.5 (x - mean)' A (x - mean) + const``, recovered by least squares from
    its values; ``log_z`` is ``log int exp(-energy)``."""
    P = np.random.RandomState(seed).normal(scale=3.0, size=(20 * d * d + 20, d))
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    design = np.column_stack(
        [np.ones(len(P)), P, *[P[:, i] * P[:, j] for i, j in pairs]]
    )
    coef = np.linalg.lstsq(design, energy(P), rcond=None)[0]
    A = np.zeros((d, d))
    for (i, j), c in zip(pairs, coef[1 + d :], strict=True):
        A[i, j] = A[j, i] = 2 * c if i == j else c
    mean = -np.linalg.solve(A, coef[1 : 1 + d])
    minimum = coef[0] - 0.5 * mean @ A @ mean
    log_z = -minimum + 0.5 * d * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(A)[1]
    return A, mean, log_z


def grid(low, high, n):
    axis = np.linspace(low, high, n)
    points = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    return points, 2 * np.log(axis[1] - axis[0])


@pytest.fixture(scope="module")
def a():
    rng = np.random.RandomState(0)
    return gaussian_model(rng.multivariate_normal([-1.0, 0.0], COV_A, 400))


@pytest.fixture(scope="module")
def b():
    rng = np.random.RandomState(1)
    return gaussian_model(rng.multivariate_normal([1.0, 1.0], COV_B, 400))


@pytest.fixture(scope="module")
def product(a, b):
    return EnergyProduct([a, b], **AIS).fit()


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, centers=3, n_features=2, random_state=0)


@pytest.fixture(scope="module")
def lda(blobs):
    """A classifier whose logits are exactly those of LDA (class Gaussians)."""
    X, y = blobs
    return EnergyClassifier(residual=False, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def banana():
    X, _ = make_banana(400, random_state=0)
    return fast(EnergyDensityEstimator, max_epochs=5).fit(X)


# -- known answers -------------------------------------------------------------
def test_product_of_gaussians_is_their_gaussian_product(a, b, product):
    X = np.random.RandomState(2).normal(size=(50, 2))
    np.testing.assert_allclose(product.energy(X), a.energy(X) + b.energy(X))
    A_a, mean_a, _ = quadratic(a.energy, 2)
    A_b, mean_b, _ = quadratic(b.energy, 2)
    precision = A_a + A_b
    mean = np.linalg.solve(precision, A_a @ mean_a + A_b @ mean_b)
    _, _, log_z = quadratic(product.energy, 2)
    assert abs(product.log_partition_ - log_z) < 0.05
    exact = multivariate_normal(mean, np.linalg.inv(precision)).logpdf(X)
    np.testing.assert_allclose(product.score_samples(X), exact, atol=0.05)
    assert product.score(X) == pytest.approx(exact.mean(), abs=0.05)


@pytest.mark.parametrize("sample_init", ["anneal", "base", "members"])
def test_samples_of_a_1d_product_match_its_closed_form(sample_init):
    rng = np.random.RandomState(0)
    a = gaussian_model(rng.normal(-1.0, 1.0, size=(2000, 1)))
    b = gaussian_model(rng.normal(2.0, 0.5, size=(2000, 1)))
    (A_a,), (mean_a,), _ = quadratic(a.energy, 1)
    (A_b,), (mean_b,), _ = quadratic(b.energy, 1)
    variance = 1 / (A_a[0] + A_b[0])
    mean = variance * (A_a[0] * mean_a + A_b[0] * mean_b)
    n = 4000
    composed = EnergyProduct([a, b], sample_init=sample_init, **AIS).fit()
    x = composed.sample(n, random_state=0)[:, 0]
    # Five standard errors (the MALA moves leave some correlation).
    assert abs(x.mean() - mean) < 5 * np.sqrt(variance / n)
    assert abs(x.var() / variance - 1) < 5 * np.sqrt(2 / n)


def test_weights_and_temperature_scale_the_energy(a, b):
    composed = EnergyProduct([a, b], weights=[2.0, 0.5], temperature=2.0, **AIS)
    composed.fit()
    X = np.random.RandomState(3).normal(size=(20, 2))
    expected = (2.0 * a.energy(X) + 0.5 * b.energy(X)) / 2.0
    np.testing.assert_allclose(composed.energy(X), expected)
    assert abs(composed.log_partition_ - quadratic(composed.energy, 2)[2]) < 0.05


def test_a_tempered_single_model_is_a_wider_or_narrower_gaussian(a):
    A, _, _ = quadratic(a.energy, 2)
    for temperature in (0.5, 3.0):
        tempered = EnergyProduct([a], temperature=temperature, **AIS).fit()
        A_t, _, log_z = quadratic(tempered.energy, 2)
        np.testing.assert_allclose(A_t, A / temperature, rtol=1e-6)
        assert abs(tempered.log_partition_ - log_z) < 0.05
        samples = tempered.sample(2000, random_state=0)
        np.testing.assert_allclose(
            np.cov(samples.T), temperature * np.linalg.inv(A), rtol=0.15
        )


def test_mixture_of_normalised_models_integrates_to_one(a, b):
    mixture = EnergyMixture([a, b], weights=[1.0, 3.0]).fit()
    points, log_cell = grid(-9, 9, 301)
    expected = np.logaddexp(
        np.log(0.25) + a.score_samples(points), np.log(0.75) + b.score_samples(points)
    )
    np.testing.assert_allclose(mixture.score_samples(points), expected, atol=1e-9)
    mass = np.exp(logsumexp(mixture.score_samples(points)) + log_cell)
    assert mass == pytest.approx(1.0, abs=1e-3)
    assert mixture.log_partition_ == 0.0


def test_tempered_mixture_log_partition_matches_the_grid(a, b):
    mixture = EnergyMixture([a, b], temperature=0.5, **AIS).fit()
    points, log_cell = grid(-9, 9, 301)
    on_grid = logsumexp(-mixture.energy(points)) + log_cell
    assert abs(mixture.log_partition_ - on_grid) < 0.05
    mass = np.exp(logsumexp(mixture.score_samples(points)) + log_cell)
    assert mass == pytest.approx(1.0, abs=0.05)


def test_product_with_a_learned_residual_matches_the_grid(a, banana):
    composed = EnergyProduct([banana, a], **AIS).fit()
    points, log_cell = grid(-8, 8, 321)
    on_grid = logsumexp(-composed.energy(points)) + log_cell
    assert abs(composed.log_partition_ - on_grid) < 0.05


# -- negation ------------------------------------------------------------------
def test_negating_an_identical_model_is_refused(a):
    with pytest.warns(UserWarning, match="negative weights"):
        with pytest.raises(ValueError, match="not normalisable"):
            EnergyProduct([a, a], weights=[1.0, -1.0], **AIS).fit()
    with pytest.warns(UserWarning, match="negative weights"):
        with pytest.raises(ValueError, match="not normalisable"):
            EnergyProduct([a, a], weights=[1.0, -1.5], **AIS).fit()


def test_a_partial_negation_is_normalised(a, b):
    with pytest.warns(UserWarning, match="negative weights"):
        half = EnergyProduct([a, a], weights=[1.0, -0.5], **AIS).fit()
    A_a, _, _ = quadratic(a.energy, 2)
    A, _, log_z = quadratic(half.energy, 2)
    np.testing.assert_allclose(A, 0.5 * A_a, rtol=1e-6)
    assert abs(half.log_partition_ - log_z) < 0.05
    # "in A but not in B": the mass moves away from B's mean.
    with pytest.warns(UserWarning, match="negative weights"):
        away = EnergyProduct([a, b], weights=[1.0, -0.2], **AIS).fit()
    _, mean_a, _ = quadratic(a.energy, 2)
    _, mean_b, _ = quadratic(b.energy, 2)
    _, mean, log_z = quadratic(away.energy, 2)
    assert np.linalg.norm(mean - mean_b) > np.linalg.norm(mean_a - mean_b)
    assert abs(away.log_partition_ - log_z) < 0.05


def test_only_negations_are_refused(a):
    with pytest.raises(ValueError, match="at least one positive weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            EnergyProduct([a], weights=[-1.0]).fit()


# -- classifier concepts -------------------------------------------------------
def test_class_conditional_energy_of_a_concept(lda, a, blobs):
    X, _ = blobs
    concept = EnergyProduct([(lda, 1)], **AIS).fit()
    # -f(x)[y] = -(log p(y|x) + log sum_y' exp f(x)[y'])
    expected = -(lda.predict_log_proba(X)[:, 1] + lda.score_samples(X))
    np.testing.assert_allclose(concept.energy(X), expected, atol=1e-9)
    # The concept's own normaliser, by AIS, against the quadratic's.
    _, _, log_z = quadratic(concept.energy, 2)
    assert abs(concept.member_log_partitions_[0] - log_z) < 0.05
    assert abs(concept.log_partition_ - log_z) < 0.05
    both = EnergyProduct([(lda, 1), a], **AIS).fit()
    assert abs(both.log_partition_ - quadratic(both.energy, 2)[2]) < 0.05
    samples = both.sample(200, random_state=0)
    assert (lda.predict(samples) == 1).mean() > 0.9


def test_marginal_energy_of_a_classifier(lda, blobs):
    X, _ = blobs
    marginal = EnergyMixture([lda], **AIS).fit()
    log_z = marginal.member_log_partitions_[0]
    np.testing.assert_allclose(marginal.energy(X), log_z - lda.score_samples(X))
    # A single normalised member: its normalised log-density.
    np.testing.assert_allclose(marginal.score_samples(X), lda.score_samples(X) - log_z)
    points, log_cell = grid(-15, 15, 301)
    mass = np.exp(logsumexp(marginal.score_samples(points)) + log_cell)
    assert mass == pytest.approx(1.0, abs=0.05)
    np.testing.assert_allclose(
        EnergyProduct([lda], **AIS).fit().energy(X), -lda.score_samples(X)
    )


def test_mixture_of_concepts_covers_both_classes(lda):
    either = EnergyMixture([(lda, 0), (lda, 2)], **AIS).fit()
    labels = lda.predict(either.sample(400, random_state=0))
    # The blobs overlap a little: a few draws of 0 or 2 fall in class 1.
    assert (labels == 1).mean() < 0.05
    assert 0.4 < (labels == 0).mean() < 0.6
    points, log_cell = grid(-15, 15, 301)
    mass = np.exp(logsumexp(either.score_samples(points)) + log_cell)
    assert mass == pytest.approx(1.0, abs=0.05)


# -- members -------------------------------------------------------------------
def test_unfitted_members_are_fitted_on_X_and_fitted_ones_kept(a):
    X = np.random.RandomState(4).normal(size=(300, 2))
    unfitted = EnergyDensityEstimator(
        residual=False, base="gaussian", n_components=1, random_state=0
    )
    composed = EnergyProduct([unfitted, a], **AIS).fit(X)
    assert composed.estimators_[1] is a
    assert composed.estimators_[0] is not unfitted
    assert not hasattr(unfitted, "net_")
    np.testing.assert_allclose(
        composed.estimators_[0].energy(X), gaussian_model(X).energy(X)
    )
    with pytest.raises(ValueError, match=r"estimators\[0\].*not fitted"):
        EnergyProduct([unfitted, a]).fit()
    clf = EnergyClassifier(residual=False)
    with pytest.raises(ValueError, match="needs the labels"):
        EnergyProduct([(clf, 0)]).fit(X)


def test_frozen_members_are_unwrapped(a, b, product):
    frozen = EnergyProduct([FrozenEstimator(a), b], **AIS).fit()
    assert frozen.estimators_[0] is a
    assert frozen.log_partition_ == product.log_partition_


def test_clone_keeps_fitted_members_and_clones_the_others(a):
    unfitted = EnergyDensityEstimator(max_epochs=3)
    composed = EnergyProduct([a, unfitted], weights=[1.0, 2.0])
    copy_ = clone(composed)
    assert copy_.estimators[0] is a
    assert copy_.estimators[1] is not unfitted
    assert copy_.estimators[1].get_params() == unfitted.get_params()
    assert copy_.weights == [1.0, 2.0]


def test_grid_search_over_temperature(a, b):
    X = np.random.RandomState(5).multivariate_normal([0.0, 0.5], 0.5 * COV_A, 200)
    search = GridSearchCV(
        EnergyProduct([a, b], ais_chains=100, ais_temperatures=20, random_state=0),
        {"temperature": [0.25, 1.0, 4.0]},
        cv=2,
    ).fit(X)
    assert search.best_params_ == {"temperature": 1.0}
    assert search.best_estimator_.estimators_[0] is a


def test_nested_params(lda, a, b):
    composed = EnergyProduct([(lda, 2), a])
    params = composed.get_params()
    assert params["estimators__0"] is lda
    assert params["estimators__1__residual"] is False
    assert "estimators__0__sgld_steps" in params
    assert "estimators__0" not in composed.get_params(deep=False)
    other = clone(a)
    composed.set_params(estimators__1=other, estimators__1__sample_steps=7)
    assert composed.estimators[1] is other and other.sample_steps == 7
    assert a.sample_steps != 7
    replacement = copy.deepcopy(lda)
    composed.set_params(estimators__0=replacement, temperature=2.0)
    assert composed.estimators[0] == (replacement, 2)
    assert composed.temperature == 2.0
    with pytest.raises(ValueError, match="Invalid parameter 'estimators__5__lr'"):
        composed.set_params(estimators__5__lr=0.1)
    with pytest.raises(ValueError, match="Invalid parameter"):
        composed.set_params(nonsense=1)


# -- errors --------------------------------------------------------------------
def test_members_that_disagree_or_are_not_energy_models(a, lda, blobs):
    X3 = np.random.RandomState(6).normal(size=(100, 3))
    wide = gaussian_model(X3)
    with pytest.raises(ValueError, match="different numbers of features"):
        EnergyProduct([a, wide]).fit()
    elsewhere = copy.copy(a)
    elsewhere.device = "cuda:0"
    with pytest.raises(ValueError, match="different devices"):
        EnergyProduct([a, elsewhere]).fit()
    gmm = GaussianMixture().fit(blobs[0])
    with pytest.raises(TypeError, match="not an sk_ebm energy model"):
        EnergyProduct([a, gmm]).fit()
    with pytest.raises(TypeError, match="needs an EnergyClassifier"):
        EnergyProduct([(a, 0)]).fit()
    with pytest.raises(TypeError, match="a pair"):
        EnergyProduct([(lda, 0, 1)]).fit()
    with pytest.raises(ValueError, match="class 7"):
        EnergyProduct([(lda, 7)]).fit()
    with pytest.raises(ValueError, match="non-empty list"):
        EnergyProduct([]).fit()
    with pytest.raises(ValueError, match="non-empty list"):
        EnergyProduct().fit()
    with pytest.raises(ValueError, match="2 finite numbers"):
        EnergyProduct([a, lda], weights=[1.0]).fit()
    with pytest.raises(ValueError, match="must be positive"):
        EnergyMixture([a, lda], weights=[1.0, -1.0]).fit()
    with pytest.raises(ValueError, match="temperature"):
        EnergyProduct([a], temperature=0.0).fit()


def test_not_fitted_and_wrong_width(a, product):
    with pytest.raises(NotFittedError):
        EnergyProduct([a]).score_samples([[0.0, 0.0]])
    with pytest.raises(NotFittedError):
        EnergyMixture([a]).sample(2)
    with pytest.raises(ValueError, match="features"):
        product.score_samples(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X has 3 features"):
        EnergyProduct([a]).fit(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="n_samples"):
        product.sample(0)


# -- reproducibility and persistence ---------------------------------------------
def test_same_random_state_same_results(a, b, product):
    again = EnergyProduct([a, b], **AIS).fit()
    assert again.log_partition_ == product.log_partition_
    np.testing.assert_array_equal(
        product.sample(5, random_state=3), product.sample(5, random_state=3)
    )


@pytest.mark.parametrize("cls", [EnergyProduct, EnergyMixture])
def test_pickle_and_io_round_trips(cls, banana, lda, tmp_path):
    composed = cls(
        [banana, (lda, 1)], weights=[1.0, 0.5], sample_init="base", **AIS
    ).fit()
    X = np.random.RandomState(7).normal(size=(20, 2))
    expected = composed.score_samples(X)
    samples = composed.sample(3, random_state=0)
    unpickled = pickle.loads(pickle.dumps(composed))
    path = os.path.join(tmp_path, "composed.safetensors")
    dump(composed, path)
    loaded = load(path)
    for other in (unpickled, loaded):
        assert type(other) is cls
        np.testing.assert_allclose(other.score_samples(X), expected, rtol=1e-12)
        np.testing.assert_array_equal(other.sample(3, random_state=0), samples)
        assert other.get_params()["estimators"][1][1] == 1
