"""A Gaussian inside every energy: the fitted base, the whitened space, and the
residual that starts at zero (DESIGN.md, issue 11).

Known answers: with ``residual=False`` each estimator is exactly its base (a
Gaussian, a mixture, linear discriminant analysis), whose log-density is
computed here independently; with many rows the base's shrinkage vanishes and
it is the maximum-likelihood Gaussian; the class Gaussians' mixture is
normalised.
"""

import numpy as np
import pytest
import torch
from conftest import fast
from scipy.stats import multivariate_normal
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    NCEDensityEstimator,
    OODDetector,
)
from sk_ebm._gaussian import fit_whitening
from sk_ebm.sampling import Gaussian, GaussianMixture

pytestmark = pytest.mark.usefixtures("single_thread")


def correlated(n, seed=0, d=3):
    """Rows of one correlated Gaussian; ``seed`` draws other rows of it."""
    rng = np.random.RandomState(0)
    A, b = rng.randn(d, d) + 2 * np.eye(d), rng.randn(d) * 5
    return np.random.RandomState(seed).randn(n, d) @ A + b


def base_covariance(estimator):
    """The base's covariance in the data's units, from its whitening."""
    w = estimator.whitening_
    axes = torch.cat([w.components, w.outside_components], 1).numpy()
    variances = torch.cat([w.std, w.outside_std]).numpy() ** 2
    return (axes * variances) @ axes.T * np.outer(estimator.scale_, estimator.scale_)


@pytest.mark.parametrize("cls", [EnergyDensityEstimator, NCEDensityEstimator])
def test_without_residual_the_estimator_is_its_gaussian(cls):
    X = correlated(400)
    X_test = correlated(200, seed=1)
    est = cls(residual=False, base="gaussian", random_state=0).fit(X)
    assert isinstance(est.base_, Gaussian)
    expected = multivariate_normal(est.mean_, base_covariance(est)).logpdf(X_test)
    np.testing.assert_allclose(est.score_samples(X_test), expected, rtol=1e-9)
    assert not any(p.requires_grad for p in est.base_.parameters())


def test_with_many_rows_the_base_is_the_maximum_likelihood_gaussian():
    X = correlated(20_000)
    est = EnergyDensityEstimator(residual=False, random_state=0).fit(X)
    mle = multivariate_normal(X.mean(0), np.cov(X.T, bias=True))
    X_test = correlated(2000, seed=1)
    assert est.score(X_test) == pytest.approx(mle.logpdf(X_test).mean(), abs=2e-3)


def test_shrinkage_selected_by_held_out_likelihood_beats_ledoit_wolf():
    """Ledoit-Wolf over-shrinks the small variances of anisotropic data; the
    cross-validated shrinkage does not, and gains held-out likelihood."""
    from sklearn.covariance import LedoitWolf

    rng = np.random.RandomState(0)
    scales = np.array([10.0, 3.0, 1.0, 0.1, 0.01])
    X = rng.randn(300, 5) * scales
    X_test = rng.randn(2000, 5) * scales
    est = EnergyDensityEstimator(residual=False, random_state=0).fit(X)
    lw = LedoitWolf().fit(X)
    lw_score = multivariate_normal(lw.location_, lw.covariance_).logpdf(X_test).mean()
    assert est.score(X_test) > lw_score + 0.5


def test_gmm_base_is_the_bic_mixture_at_low_dimension():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.randn(300, 2) - 4, rng.randn(300, 2) + 4])
    est = EnergyDensityEstimator(residual=False, base="auto", random_state=0).fit(X)
    assert est.n_components_ >= 2 and isinstance(est.base_, GaussianMixture)
    # A normalised density: it integrates to one on a grid.
    grid = np.linspace(-12, 12, 241)
    xx, yy = np.meshgrid(grid, grid)
    density = np.exp(est.score_samples(np.c_[xx.ravel(), yy.ravel()]))
    assert density.sum() * (grid[1] - grid[0]) ** 2 == pytest.approx(1.0, abs=1e-3)
    gaussian = EnergyDensityEstimator(residual=False, base="gaussian").fit(X)
    assert est.score(X) > gaussian.score(X) + 0.5


def blobs(n_per_blob, seed):
    """Three small, well separated blobs: a mixture base fits them, one
    Gaussian does not."""
    rng = np.random.RandomState(seed)
    centres = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 6.0]])
    return np.concatenate([rng.randn(n_per_blob, 2) * 0.5 + c for c in centres])


def test_auto_base_keeps_the_fit_of_higher_validation_likelihood():
    X, X_test = blobs(100, seed=0), blobs(100, seed=1)
    settings = dict(n_components="auto", max_epochs=3, random_state=0)
    auto = fast(EnergyDensityEstimator, **settings).fit(X)
    assert auto.base_kind_ == "gmm" and isinstance(auto.base_, GaussianMixture)
    # The kept fit is the explicit mixture-base fit, attribute for attribute.
    mixture = fast(EnergyDensityEstimator, base="gmm", **settings).fit(X)
    np.testing.assert_array_equal(
        auto.score_samples(X_test), mixture.score_samples(X_test)
    )
    assert auto.log_partition_ == mixture.log_partition_
    gaussian = fast(EnergyDensityEstimator, base="gaussian", **settings).fit(X)
    assert auto.score(X_test) > gaussian.score(X_test) + 0.5
    assert auto.get_params()["base"] == "auto"


def test_auto_base_tries_no_mixture_on_one_gaussian():
    est = fast(EnergyDensityEstimator, n_components="auto").fit(correlated(300))
    assert est.n_components_ == 1
    assert est.base_kind_ == "gaussian" and isinstance(est.base_, Gaussian)


def test_residual_starts_at_zero():
    """Before its first step the estimator is exactly its base."""
    X = correlated(300)
    est = fast(EnergyDensityEstimator, n_components=1)
    est.fit(X)
    tree = est._build_modules(3, None)  # a fresh, untrained tree
    z = torch.randn(7, est.rank_)
    assert torch.equal(tree["module"].energy(z), torch.zeros(7))


def test_constant_and_duplicated_columns_are_set_aside():
    """The network sees the axes of non-zero variance; along the others the
    model is a narrow Gaussian, so leaving the data's subspace is unlikely."""
    X = correlated(300)
    X = np.c_[X, np.full(300, 7.0), 2 * X[:, 0]]
    est = fast(EnergyDensityEstimator).fit(X)
    assert est.rank_ == 3 and est.n_features_in_ == 5
    inside = est.score_samples(X[:20])
    assert np.isfinite(inside).all()
    moved = X[:20].copy()
    moved[:, 3] += 1.0  # the constant column changes
    assert (est.score_samples(moved) < inside - 10).all()
    samples = est.sample(200, random_state=0)
    assert np.abs(samples[:, 3] - 7.0).max() < 0.2 * X[:, 0].std()
    assert np.corrcoef(samples[:, 4], samples[:, 0])[0, 1] > 0.99


@pytest.mark.parametrize("value", [38836.39989369, -3e15, 0.1])
def test_constant_data_whose_mean_rounds_fits(value):
    """Bug: the mean of a constant column differs from its value by rounding
    (here 7e-12); the whitening took that for variation, of zero spread
    within the classes, and the classifier's rows became -inf (a torch
    LinAlgError from fit)."""
    X = np.full((27, 2), value)
    y = np.r_[0, 1, np.zeros(25, int)]
    for est in (fast(EnergyClassifier), fast(EnergyDensityEstimator)):
        est.fit(X, y)
        assert est.rank_ == 1
        assert np.isfinite(est.score_samples(X)).all()
        # All-constant data are modelled by a unit Gaussian around the rows
        # (in units of the scale, 1 unless the value is huge): a row 10
        # units off is far less likely.
        off = est.score_samples(X[:1] + np.array([10.0 * est.scale_[0], 0.0]))
        assert off < est.score_samples(X[:1]) - 10


def test_classes_constant_within_themselves_fit():
    """No within-class spread at all: the total spread is whitened instead."""
    y = np.arange(60) % 3
    X = np.c_[y, 2.0 * y + 1.0]
    clf = fast(EnergyClassifier).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.score(X, y) == 1.0


def test_whitening_is_stable_under_rounding():
    """Axis signs are fixed, so data that differ by rounding give the same
    coordinates."""
    X = correlated(200)
    S = (X - X.mean(0)) / X.std(0)
    a = fit_whitening(S, 0)
    b = fit_whitening(S * (1 + 1e-12), 0)
    torch.testing.assert_close(a.components, b.components, rtol=0, atol=1e-8)


@pytest.mark.parametrize("n_rows, n_features", [(30, 200), (5, 40)])
def test_more_features_than_rows(n_rows, n_features):
    X = np.random.RandomState(0).randn(n_rows, n_features)
    est = fast(EnergyDensityEstimator).fit(X)
    assert est.rank_ <= n_rows - 1
    assert np.isfinite(est.score_samples(X)).all()


def test_classifier_without_residual_is_linear_discriminant_analysis():
    rng = np.random.RandomState(0)
    X = np.concatenate(
        [rng.randn(3000, 2) @ [[2, 1], [0, 1]] + m for m in ([0, 0], [3, 1], [0, 4])]
    )
    y = np.repeat([0, 1, 2], 3000)
    clf = EnergyClassifier(residual=False, random_state=0).fit(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    X_test = rng.uniform(-4, 8, size=(500, 2))
    np.testing.assert_allclose(
        clf.predict_proba(X_test), lda.predict_proba(X_test), atol=2e-3
    )
    # p(x) is the mixture of the class Gaussians: normalised once the
    # Jacobian of the map to the network's space is accounted for (the
    # classifier's score_samples is -E(x), defined up to a constant).
    grid = np.linspace(-12, 16, 281)
    xx, yy = np.meshgrid(grid, grid)
    log_p = clf.score_samples(np.c_[xx.ravel(), yy.ravel()]) - clf._log_jacobian()
    density = np.exp(log_p)
    assert density.sum() * (grid[1] - grid[0]) ** 2 == pytest.approx(1.0, abs=1e-3)


def test_classifier_base_is_exposed_and_the_residual_learns_on_top():
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(600, 2))
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 < 3).astype(int)  # not linearly separable
    lda = EnergyClassifier(residual=False, random_state=0).fit(X, y)
    clf = fast(EnergyClassifier, hidden_layer_sizes=(32,), max_epochs=30).fit(X, y)
    assert clf.base_ is not None and lda.base_.network is None
    assert clf.score(X, y) > lda.score(X, y) + 0.2


def test_residual_false_needs_a_base():
    X = correlated(50)
    with pytest.raises(ValueError, match="residual=False"):
        EnergyDensityEstimator(residual=False, base=None).fit(X)
    with pytest.raises(ValueError, match="residual=False"):
        EnergyClassifier(residual=False, base=None).fit(X, np.arange(50) % 2)


def test_relu_features_with_dead_units_fit_with_defaults():
    """Penultimate ReLU features (dead units, low rank) in 256 dimensions: the
    default OODDetector used to raise DivergenceError in its first epoch."""
    rng = np.random.RandomState(0)
    W = rng.randn(16, 256)
    b = rng.randn(256) - 1.5
    b[:40] = -100.0  # dead units
    F = np.maximum(rng.randn(400, 16) @ W + b, 0)
    F_out = np.maximum(rng.randn(100, 16) @ W * 3 + b, 0)
    assert (F.std(0) == 0).any()
    detector = OODDetector(
        EnergyDensityEstimator(max_epochs=5, random_state=0), random_state=0
    ).fit(F)
    scores = detector.score_samples(np.r_[F[:100], F_out])
    assert np.isfinite(scores).all()
    assert scores[:100].mean() > scores[100:].mean()
