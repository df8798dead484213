"""PGD evaluation of sk_ebm classifiers: sanity checks of the attack.

A claim of robustness is only worth the attack behind it: on a softmax model
the attack must drive accuracy to chance at a large radius, never get weaker
with more steps or restarts, beat a single FGSM step, stay in its ball and
box, and on a linear model match the closed-form minimal perturbation.
"""

import numpy as np
import pytest
import torch
from conftest import fast
from sklearn.datasets import load_digits, make_blobs
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC

from sk_ebm import EnergyClassifier, EnergyDensityEstimator
from sk_ebm.adversarial import pgd_attack, robust_accuracy, robustness_curve

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    softmax = fast(
        EnergyClassifier, generative_weight=0, max_epochs=10, hidden_layer_sizes=(32,)
    ).fit(X[:600], y[:600])
    return softmax, X[600:750], y[600:750]


def test_export_matches_predict_proba(digits):
    clf, X, _ = digits
    model = clf.to_torch()
    proba = torch.softmax(model(torch.as_tensor(X, dtype=torch.float32)), 1)
    np.testing.assert_allclose(proba.numpy(), clf.predict_proba(X), atol=1e-6)
    assert not any(p.requires_grad for p in model.parameters())
    assert not model.training


def test_zero_radius_is_the_clean_accuracy(digits):
    clf, X, y = digits
    assert robust_accuracy(clf, X, y, eps=0.0) == clf.score(X, y)


def test_large_radius_fools_a_softmax_model(digits):
    clf, X, y = digits
    assert clf.score(X, y) > 0.85
    accuracy = robust_accuracy(
        clf, X, y, eps=6.0, steps=20, clip=(0, 16), random_state=0
    )
    assert accuracy <= 0.05


def test_more_steps_and_restarts_are_never_weaker(digits):
    clf, X, y = digits
    kwargs = dict(eps=1.0, clip=(0, 16), random_state=0)
    weak = robust_accuracy(clf, X, y, steps=2, **kwargs)
    strong = robust_accuracy(clf, X, y, steps=20, restarts=2, **kwargs)
    assert strong <= weak + 0.02


def test_at_least_as_strong_as_fgsm(digits):
    clf, X, y = digits
    eps = 1.0
    x = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
    model = clf.to_torch()
    loss = torch.nn.functional.cross_entropy(
        model(x), torch.as_tensor(np.searchsorted(clf.classes_, y))
    )
    (grad,) = torch.autograd.grad(loss, x)
    X_fgsm = (x + eps * grad.sign()).detach().clamp(0, 16).numpy()
    fgsm = clf.score(X_fgsm, y)
    pgd = robust_accuracy(clf, X, y, eps=eps, steps=10, clip=(0, 16), random_state=0)
    assert pgd <= fgsm


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_perturbations_stay_in_the_ball_and_the_box(digits, norm):
    clf, X, y = digits
    X_adv = pgd_attack(clf, X, y, eps=2.0, norm=norm, steps=5, clip=(0, 16))
    delta = X_adv - X
    size = np.abs(delta).max(1) if norm == "linf" else np.linalg.norm(delta, axis=1)
    assert (size <= 2.0 + 1e-9).all()
    assert X_adv.min() >= 0 and X_adv.max() <= 16


def test_l2_attack_on_a_linear_model_matches_the_closed_form():
    """Two classes of LDA (the base alone) have a linear logit difference
    f(x) = w.x + b: a row is fooled by an L2 perturbation of size eps exactly
    when its distance |f(x)| / |w| to the boundary is below eps."""
    X, y = make_blobs(300, centers=2, cluster_std=2.5, random_state=0)
    clf = EnergyClassifier(residual=False, random_state=0).fit(X, y)
    model = clf.to_torch()
    x = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
    logits = model(x)
    margin = logits[:, 1] - logits[:, 0]
    (grad,) = torch.autograd.grad(margin.sum(), x)
    sign = np.where(y == 1, 1.0, -1.0)
    distance = sign * margin.detach().numpy() / grad.norm(dim=1).numpy()
    eps = 1.0
    X_adv = pgd_attack(clf, X, y, eps=eps, norm="l2", steps=30, random_state=0)
    still_right = clf.predict(X_adv) == y
    clear = np.abs(distance - eps) > 0.02  # rows not on the edge of the ball
    np.testing.assert_array_equal(still_right[clear], (distance > eps)[clear])


def test_pipeline_of_linear_steps():
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), PCA(20, whiten=True), fast(EnergyClassifier, max_epochs=5)
    ).fit(X[:500], y[:500])
    X_test, y_test = X[500:600], y[500:600]
    curve = robustness_curve(
        pipe, X_test, y_test, [0.0, 2.0], steps=10, clip=(0, 16), random_state=0
    )
    assert curve["accuracy"][0] == pipe.score(X_test, y_test)
    assert curve["accuracy"][1] < curve["accuracy"][0]
    np.testing.assert_allclose(
        curve["std_error"],
        np.sqrt(curve["accuracy"] * (1 - curve["accuracy"]) / 100),
    )


def test_bad_input(digits):
    clf, X, y = digits
    for kwargs, message in [
        (dict(eps=-1.0), "eps"),
        (dict(eps=float("nan")), "eps"),
        (dict(eps=1.0, norm="l1"), "norm"),
        (dict(eps=1.0, steps=0), "steps"),
        (dict(eps=1.0, restarts=0), "restarts"),
    ]:
        with pytest.raises(ValueError, match=message):
            pgd_attack(clf, X, y, **kwargs)
    with pytest.raises(ValueError, match="must match"):
        pgd_attack(clf, X, y[:-1], eps=1.0)
    with pytest.raises(ValueError, match="labels"):
        pgd_attack(clf, X, y + 100, eps=1.0)
    with pytest.raises(NotFittedError):
        pgd_attack(EnergyClassifier(), X, y, eps=1.0)
    blobs, labels = make_blobs(50, random_state=0)
    density = fast(EnergyDensityEstimator).fit(blobs)
    with pytest.raises(TypeError, match="differentiable"):
        pgd_attack(density, blobs, labels, eps=1.0)
    with pytest.raises(TypeError, match="differentiable"):
        pgd_attack(SVC().fit(blobs, labels), blobs, labels, eps=1.0)
    pipe = make_pipeline(PolynomialFeatures(2), fast(EnergyClassifier)).fit(
        blobs, labels
    )
    with pytest.raises(TypeError, match="polynomialfeatures"):
        pgd_attack(pipe, blobs, labels, eps=1.0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_regression_reference(n_classes):
    """A LogisticRegression is attacked through its own logits (behind a
    scaler): their softmax is its predict_proba, and a large L2 ball fools
    most rows."""
    X, y = make_blobs(300, centers=n_classes, cluster_std=2.5, random_state=0)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    from sk_ebm.adversarial import _differentiable

    model, _, _ = _differentiable(pipe)
    proba = torch.softmax(model(torch.as_tensor(X)), 1).numpy()
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-10)
    assert robust_accuracy(pipe, X, y, eps=3.0, norm="l2", random_state=0) < 0.5
