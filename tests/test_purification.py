"""Langevin purification: the classifier's built-in defence, its torch
export with full and straight-through gradients, the attack through it
(EOT, the three gradients) and the LangevinPurifier transformer."""

import copy

import numpy as np
import pytest
import torch
from conftest import fast
from sklearn.datasets import load_digits, make_blobs
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    EnergyRegressor,
    LangevinPurifier,
)
from sk_ebm.adversarial import pgd_attack, robust_accuracy
from sk_ebm.nn import PurifiedLogits, langevin_purify

pytestmark = pytest.mark.usefixtures("single_thread")

X_BLOBS, Y_BLOBS = make_blobs(300, n_features=3, centers=3, random_state=0)
DETERMINISTIC = dict(purify_noise=0.0, purify_init_noise=0.0, purify_chains=1)


def purifying(clf, **params):
    """A copy of the fitted ``clf`` with other parameters: purification acts
    only when predicting, so no refit is needed."""
    return copy.deepcopy(clf).set_params(**params)


@pytest.fixture(scope="module")
def lda():
    """The discriminant base alone: its energy is a Gaussian mixture."""
    return EnergyClassifier(residual=False).fit(X_BLOBS, Y_BLOBS)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    clf = fast(EnergyClassifier, max_epochs=5, hidden_layer_sizes=(32,))
    return clf.fit(X[:600], y[:600]), X[600:700], y[600:700]


def test_one_full_step_lands_on_the_posterior_mean_of_the_class_means(lda):
    """With a unit covariance in the whitened space, z - grad E(z) is the
    posterior-weighted mean of the class means: checked by hand."""
    clf = purifying(lda, purify_steps=1, purify_step_size=1.0, **DETERMINISTIC)
    base = copy.deepcopy(clf.base_).double()
    Z = clf._to_tensor(X_BLOBS[:20], torch.float64)
    means = base.whitened_means.double()
    posterior = torch.softmax(base.class_logits(Z), 1)
    expected = torch.softmax(base.class_logits(posterior @ means), 1)
    np.testing.assert_allclose(clf.predict_proba(X_BLOBS[:20]), expected, atol=1e-10)


def test_purified_predictions_are_repeatable_and_per_row(digits):
    clf, X, _ = digits
    clf = purifying(clf, purify_steps=3)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(proba, clf.predict_proba(X))
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(clf.predict_proba(X[order]), proba[order], atol=1e-15)
    np.testing.assert_allclose(clf.predict_proba(X[:7]), proba[:7], atol=1e-15)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    other = purifying(clf, random_state=1)
    assert not np.array_equal(other.predict_proba(X), proba)
    # Scores of the density are those of the raw rows, not purified.
    np.testing.assert_array_equal(
        clf.score_samples(X),
        purifying(clf, purify_steps=0).score_samples(X),
    )


def test_purification_keeps_the_clean_accuracy(digits):
    clf, X, y = digits
    purified = purifying(clf, purify_steps=5)
    assert purified.score(X, y) >= clf.score(X, y) - 0.03


def test_export_without_noise_matches_the_purified_predictions(lda):
    clf = purifying(lda, purify_steps=3, purify_step_size=0.3, **DETERMINISTIC)
    model = clf.to_torch()
    assert isinstance(model.logits, PurifiedLogits)
    proba = torch.softmax(model(torch.as_tensor(X_BLOBS)), 1).numpy()
    np.testing.assert_allclose(proba, clf.predict_proba(X_BLOBS), atol=1e-12)


def test_full_gradients_through_the_purifier_match_finite_differences(lda):
    clf = purifying(lda, purify_steps=3, purify_step_size=0.3, **DETERMINISTIC)
    model = clf.to_torch()
    x = torch.as_tensor(X_BLOBS[:4]).requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x)[:, 0].sum(), x)
    eps = 1e-6
    for j in range(3):
        step = torch.zeros_like(x)
        step[:, j] = eps
        with torch.no_grad():
            numeric = (model(x + step)[:, 0] - model(x - step)[:, 0]) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-4, atol=1e-8)
    # Straight through (BPDA): the gradient of the logits at the purified rows.
    model.logits.straight_through = True
    (bpda,) = torch.autograd.grad(model(x)[:, 0].sum(), x)
    assert not torch.allclose(bpda, grad)


def test_langevin_purify_keeps_the_graph_only_when_asked():
    quadratic = lambda z: 0.5 * (z**2).sum(1)  # noqa: E731
    z = torch.ones(2, 2, requires_grad=True)
    out = langevin_purify(
        quadratic, z, steps=2, step_size=0.5, noise=0.0, create_graph=True
    )
    (grad,) = torch.autograd.grad(out.sum(), z)
    np.testing.assert_allclose(grad, 0.25)  # (1 - a)^2 per step
    assert not langevin_purify(
        quadratic, z, steps=2, step_size=0.5, noise=0.0
    ).requires_grad


def test_attack_options_are_validated(digits):
    clf, X, y = digits
    with pytest.raises(ValueError, match="eot_samples"):
        pgd_attack(clf, X, y, eps=1.0, eot_samples=0)
    with pytest.raises(ValueError, match="purifier_gradient"):
        pgd_attack(clf, X, y, eps=1.0, purifier_gradient="straight")


def test_every_gradient_is_at_least_as_strong_as_one(lda):
    """With a deterministic purifier, 'all' starts with the run of its first
    gradient (the transfer attack) and only adds fooled rows to it."""
    clf = purifying(lda, purify_steps=3, purify_step_size=0.5, **DETERMINISTIC)
    attack = dict(eps=2.0, steps=10, random_state=0)
    accuracies = {
        gradient: robust_accuracy(
            clf, X_BLOBS, Y_BLOBS, purifier_gradient=gradient, **attack
        )
        for gradient in ("full", "bpda", "ignore", "all")
    }
    assert accuracies["all"] <= accuracies["ignore"] < clf.score(X_BLOBS, Y_BLOBS)
    assert accuracies["full"] < clf.score(X_BLOBS, Y_BLOBS)
    assert accuracies["bpda"] < clf.score(X_BLOBS, Y_BLOBS)


def test_eot_attack_runs_through_a_random_purifier(digits):
    clf, X, y = digits
    clf = purifying(clf, purify_steps=2)
    X_adv = pgd_attack(
        clf,
        X[:30],
        y[:30],
        eps=1.0,
        steps=3,
        eot_samples=2,
        clip=(0, 16),
        random_state=0,
    )
    assert np.abs(X_adv - X[:30]).max() <= 1.0 + 1e-12
    assert X_adv.min() >= 0 and X_adv.max() <= 16


def test_purifier_transformer_shrinks_toward_a_gaussian_base():
    """The standard normal energy of the whitened space: one step of size a
    maps x to mean + (1 - a) (x - mean)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) @ np.array([[2.0, 0, 0], [0.5, 1.0, 0], [0, 0, 3.0]])
    purifier = LangevinPurifier(
        EnergyDensityEstimator(residual=False), steps=1, step_size=0.25, noise=0.0
    ).fit(X)
    mean = purifier.estimator_.mean_
    np.testing.assert_allclose(
        purifier.transform(X), mean + 0.75 * (X - mean), atol=1e-10
    )
    assert purifier.get_feature_names_out().tolist() == ["x0", "x1", "x2"]


def test_purifier_transformer_is_repeatable_and_per_row():
    X, y = X_BLOBS, Y_BLOBS
    purifier = LangevinPurifier(
        fast(EnergyClassifier), steps=3, init_noise=0.1, random_state=0
    ).fit(X, y)
    out = purifier.transform(X)
    np.testing.assert_array_equal(out, purifier.transform(X))
    np.testing.assert_allclose(purifier.transform(X[::-1]), out[::-1], atol=1e-15)
    assert np.isfinite(out).all() and not np.allclose(out, X)


def test_purifier_transformer_in_a_pipeline_and_frozen(lda):
    pipe = make_pipeline(
        LangevinPurifier(
            EnergyDensityEstimator(residual=False), steps=2, step_size=0.1
        ),
        LogisticRegression(),
    ).fit(X_BLOBS, Y_BLOBS)
    assert pipe.score(X_BLOBS, Y_BLOBS) > 0.9
    frozen = LangevinPurifier(FrozenEstimator(lda), steps=1, step_size=0.1).fit(X_BLOBS)
    assert frozen.estimator_.estimator is lda
    assert frozen.transform(X_BLOBS).shape == X_BLOBS.shape


def test_purifier_transformer_rejects_what_has_no_energy_of_x():
    with pytest.raises(TypeError, match="no energy of x"):
        LangevinPurifier(EnergyRegressor()).fit(X_BLOBS, Y_BLOBS)
    with pytest.raises(TypeError, match="no energy of x"):
        LangevinPurifier(LogisticRegression()).fit(X_BLOBS, Y_BLOBS)
    with pytest.raises(ValueError, match="needs y"):
        LangevinPurifier(EnergyClassifier()).fit(X_BLOBS)


def test_scale_floor_bounds_the_amplification_of_quiet_columns():
    """A column that barely varies no longer magnifies a small change."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(200, 3)) * [1.0, 2.0, 4.0], 0.01 * rng.normal(size=200)]
    y = (X[:, 0] > 0).astype(int)
    plain = EnergyClassifier(residual=False).fit(X, y)
    floored = EnergyClassifier(residual=False, scale_floor=0.5).fit(X, y)
    np.testing.assert_allclose(plain.scale_, X.std(0))
    median = np.median(X.std(0))
    np.testing.assert_allclose(floored.scale_, np.maximum(X.std(0), 0.5 * median))
    assert floored.scale_[3] == 0.5 * median
