"""Tests of EnergyClassifier."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import fast
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs, make_moons
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_ebm import EnergyClassifier
from sk_ebm.exceptions import DivergenceError
from sk_ebm.metrics import ece_scorer
from sk_ebm.nn import MLPEnergy


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, train_size=600, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def jem(digits):
    X_train, _, y_train, _ = digits
    return EnergyClassifier(
        hidden_layer_sizes=(64,), max_epochs=30, lr=3e-3, sgld_steps=3, random_state=0
    ).fit(X_train, y_train)


@pytest.fixture(scope="module")
def moons():
    return make_moons(300, noise=0.15, random_state=0)


def test_digits_accuracy_close_to_logistic_regression(digits, jem):
    X_train, X_test, y_train, y_test = digits
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    baseline.fit(X_train, y_train)
    assert jem.score(X_test, y_test) >= baseline.score(X_test, y_test) - 0.03
    assert jem.score(X_test, y_test) > 0.9


def test_probabilities_logits_and_energy_agree(digits, jem):
    X_test = digits[1][:50]
    proba = jem.predict_proba(X_test)
    logits = jem.decision_function(X_test)
    assert proba.shape == logits.shape == (50, 10)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-10)
    np.testing.assert_allclose(np.log(proba), jem.predict_log_proba(X_test))
    np.testing.assert_allclose(
        proba, np.exp(logits) / np.exp(logits).sum(1, keepdims=True), rtol=1e-6
    )
    np.testing.assert_array_equal(jem.predict(X_test), jem.classes_[logits.argmax(1)])
    # score_samples = -E(x): the logsumexp of the full logits (decision_function
    # leaves out their term common to the classes) less the energy of the
    # axes outside the network's space.
    S = torch.as_tensor((X_test - jem.mean_) / jem.scale_)
    module = jem.net_.module_.double()
    with torch.no_grad():
        full = module.logits(jem.whitening_(S))
        expected = torch.logsumexp(full, 1) - jem.whitening_.outside_energy(S)
    module.float()
    np.testing.assert_allclose(jem.score_samples(X_test), expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        np.log(proba), torch.log_softmax(full, 1).numpy(), rtol=1e-6, atol=1e-9
    )


def test_log_px_separates_noise_from_digits(digits, jem):
    X_test = digits[1]
    noise = np.random.RandomState(0).uniform(0, 16, size=X_test.shape)
    assert np.median(jem.score_samples(X_test)) > np.percentile(
        jem.score_samples(noise), 95
    )


def test_binary_decision_function_shape_and_string_labels(moons):
    X, y = moons
    labels = np.array(["left", "right"])[y]
    # A wider network trained longer than the fast settings, for the accuracy.
    clf = fast(
        EnergyClassifier, hidden_layer_sizes=(32,), max_epochs=10, buffer_size=500
    ).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["left", "right"])
    scores = clf.decision_function(X)
    assert scores.shape == (300,)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(scores, np.log(proba[:, 1] / proba[:, 0]), atol=1e-5)
    assert set(clf.predict(X)) <= {"left", "right"}
    assert clf.score(X, labels) > 0.8


def test_generative_weight_zero_is_a_softmax_classifier(moons):
    """With no generative term (and no base) the estimator runs exactly a
    cross-entropy loop on the standardised rows (mapped back from the
    whitened space the estimator works in)."""
    X, y = moons
    params = dict(hidden_layer_sizes=(16,), max_epochs=3, batch_size=50, lr=1e-2)
    clf = EnergyClassifier(
        generative_weight=0.0, base=None, random_state=0, **params
    ).fit(X, y)

    # The fit's first seed drives the initial weights and the batch order.
    torch_seed = int(np.random.RandomState(0).randint(0, 2**31 - 1, size=2)[0])
    Z = clf._to_tensor(X) @ clf.whitening_.unwhitening()
    target = torch.as_tensor(y)
    batches = torch.Generator().manual_seed(torch_seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        # the default MLP of 2-D inputs, Fourier features included
        net = MLPEnergy(2, (16,), n_outputs=2, n_fourier_features=64, fourier_scale=3.0)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(3):
            order = torch.randperm(len(Z), generator=batches)
            for start in range(0, len(Z), 50):
                batch = order[start : start + 50]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(Z[batch]), target[batch])
                loss.backward()
                optimizer.step()
    with torch.no_grad():
        expected = torch.log_softmax(net(Z), dim=1).numpy()
    np.testing.assert_allclose(clf.predict_log_proba(X), expected, rtol=1e-5, atol=1e-5)


def test_unlabeled_rows_are_excluded_from_classes_and_used(moons):
    X, y = moons
    y_semi = y.copy()
    y_semi[20:] = -1
    clf = fast(EnergyClassifier).fit(X, y_semi)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.predict_proba(X).shape == (300, 2)


def test_hdge_objective(digits):
    X_train, X_test, y_train, y_test = digits
    clf = EnergyClassifier(
        objective="hdge", hidden_layer_sizes=(64,), max_epochs=15, random_state=0
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.9
    assert clf.net_.queue_.shape[1] == 10
    np.testing.assert_allclose(clf.net_.queue_.norm(dim=1).numpy(), 1.0, rtol=1e-5)


def test_conditional_samples_are_classified_as_their_class():
    X, y = make_blobs(400, centers=[[-4, 0], [4, 0], [0, 5]], random_state=0)
    clf = fast(
        EnergyClassifier,
        conditional_weight=1.0,
        module_kwargs={"n_fourier_features": 0},  # a smooth energy to sample
        hidden_layer_sizes=(32,),
        max_epochs=20,
        buffer_size=500,
        sample_steps=100,  # samples close enough to p(x|y) to be classified
    ).fit(X, y)
    for k in range(3):
        samples = clf.sample(40, y=k, random_state=0)
        assert samples.shape == (40, 2)
        assert np.mean(clf.predict(samples) == k) > 0.8
    assert clf.sample(5, random_state=0).shape == (5, 2)
    np.testing.assert_array_equal(
        clf.sample(3, y=[0, 1, 2], random_state=1),
        clf.sample(3, y=[0, 1, 2], random_state=1),
    )
    with pytest.raises(ValueError, match="not in classes_"):
        clf.sample(2, y=7)


def test_image_shape_uses_conv_energy(digits):
    X_train, _, y_train, _ = digits
    clf = EnergyClassifier(
        image_shape=(8, 8),
        module_kwargs={"channels": (8,), "hidden_size": 16},
        max_epochs=1,
        sgld_steps=1,
        random_state=0,
    ).fit(X_train[:100], y_train[:100])
    assert type(clf.net_.module_.logits).__name__ == "ConvEnergy"
    assert clf.predict_proba(X_train[:5]).shape == (5, 10)


def test_reproducible_and_pickle(moons):
    X, y = moons
    a = fast(EnergyClassifier).fit(X, y)
    b = fast(EnergyClassifier).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))
    assert clone(a).get_params() == a.get_params()


def test_grid_search_with_ece_scorer_and_pipeline(moons):
    X, y = moons
    search = GridSearchCV(
        fast(EnergyClassifier, hidden_layer_sizes=(32,), buffer_size=500),
        {"generative_weight": [0.0, 1.0], "sgld_steps": [1, 2]},
        scoring={"ece": ece_scorer, "accuracy": "accuracy"},
        refit="accuracy",
        cv=2,
    ).fit(X, y)
    assert np.all(search.cv_results_["mean_test_ece"] <= 0)
    pipe = make_pipeline(StandardScaler(), clone(search.best_estimator_)).fit(X, y)
    assert pipe.score(X, y) > 0.7


def test_divergence_guard(moons):
    X, y = moons
    clf = fast(EnergyClassifier, sgld_step_size=1e10, lr=1e6)
    with pytest.raises(DivergenceError, match="lr"):
        clf.fit(X, y)
    for parameter in clf.net_.module_.parameters():
        assert torch.isfinite(parameter).all()


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.ones((5, 2)), np.zeros(5), "1 class"),
        (np.ones((5, 2)), np.full(5, -1), "only unlabelled"),
        (np.ones((5, 2)), np.array([0, 1, 0, 1]), "inconsistent"),
        (np.array([[np.nan, 0.0]] * 4), np.array([0, 1, 0, 1]), "NaN"),
        (np.ones((4, 2)), np.array([0.0, 1.0, np.nan, 1.0]), "NaN|infinity"),
        (sp.csr_matrix(np.ones((4, 2))), np.array([0, 1, 0, 1]), "sparse"),
        (np.ones((4, 2)), np.array([0.5, 1.5, 0.2, 0.1]), "continuous"),
    ],
)
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        EnergyClassifier(max_epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "decision_function", "score_samples"]
)
def test_unfitted(method):
    with pytest.raises(NotFittedError):
        getattr(EnergyClassifier(), method)(np.ones((2, 2)))


def test_wrong_width(jem):
    with pytest.raises(ValueError, match="features"):
        jem.predict(np.ones((2, 3)))


def test_temperature_scaling_of_a_frozen_classifier(digits, jem):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from sk_ebm.metrics import expected_calibration_error

    _, X_test, _, y_test = digits
    X_cal, y_cal, X_eval, y_eval = (
        X_test[:500],
        y_test[:500],
        X_test[500:],
        y_test[500:],
    )
    calibrated = CalibratedClassifierCV(FrozenEstimator(jem), method="temperature")
    calibrated.fit(X_cal, y_cal)
    proba = calibrated.predict_proba(X_eval)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-10)
    # a monotone rescaling of the logits keeps the predictions
    np.testing.assert_array_equal(calibrated.predict(X_eval), jem.predict(X_eval))
    before = expected_calibration_error(y_eval, jem.predict_proba(X_eval))
    after = expected_calibration_error(y_eval, proba)
    assert after <= before + 0.02
    assert ece_scorer(calibrated, X_eval, y_eval) == pytest.approx(-after)
