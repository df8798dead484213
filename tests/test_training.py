"""skorch's training features through the estimators: progress bar, early
stopping, checkpoints, history, ``warm_start``, and recovery from divergence."""

import numpy as np
import pytest
import torch
from conftest import fast
from sklearn.datasets import make_blobs
from skorch.callbacks import Checkpoint, EarlyStopping

from sk_ebm import EnergyClassifier, EnergyDensityEstimator, NCEDensityEstimator
from sk_ebm._labels import stratified_split
from sk_ebm.exceptions import DivergenceError

pytestmark = pytest.mark.usefixtures("single_thread")

ESTIMATORS = [EnergyClassifier, EnergyDensityEstimator, NCEDensityEstimator]


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, centers=3, n_features=2, random_state=0)


def fit(estimator, X, y):
    return (
        estimator.fit(X, y)
        if isinstance(estimator, EnergyClassifier)
        else (estimator.fit(X))
    )


def parameters(estimator):
    return [p.detach().clone() for p in estimator.net_.module_.parameters()]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_verbose_shows_skorch_progress_bar_and_epoch_table(cls, blobs, capsys):
    fit(fast(cls, max_epochs=2, verbose=1), *blobs)
    out, err = capsys.readouterr()
    assert "epoch" in out and "train_loss" in out  # skorch's PrintLog
    assert "it/s" in err or "%|" in err  # skorch's ProgressBar (tqdm)
    fit(fast(cls, max_epochs=2), *blobs)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_warm_start_continues_from_the_fitted_network(cls, blobs):
    estimator = fit(fast(cls), *blobs)
    before = parameters(estimator)
    history = len(estimator.net_.history)
    estimator.set_params(warm_start=True, max_epochs=2)
    fit(estimator, *blobs)
    assert len(estimator.net_.history) == history + 2
    # The second fit started from the first one's weights: a cold fit of 2
    # epochs from the same seed lands elsewhere.
    cold = fit(fast(cls, max_epochs=2), *blobs)
    warm_after = parameters(estimator)
    assert not all(torch.equal(a, b) for a, b in zip(before, warm_after, strict=True))
    assert not all(
        torch.allclose(a, b) for a, b in zip(warm_after, parameters(cold), strict=True)
    )
    assert np.all(np.isfinite(estimator.score_samples(blobs[0])))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_warm_start_without_a_previous_fit_is_a_cold_fit(cls, blobs):
    warm = fit(fast(cls, warm_start=True), *blobs)
    cold = fit(fast(cls), *blobs)
    np.testing.assert_array_equal(
        warm.score_samples(blobs[0]), cold.score_samples(blobs[0])
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_warm_start_rejects_a_different_width(cls, blobs):
    X, y = blobs
    estimator = fit(fast(cls, warm_start=True), X, y)
    with pytest.raises(ValueError, match="features"):
        fit(estimator, np.c_[X, X], y)


def test_warm_start_rejects_new_classes(blobs):
    X, y = blobs
    clf = fast(EnergyClassifier, warm_start=True).fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="not seen by the previous fit"):
        clf.fit(X, y)
    # A subset of the classes is fine, and keeps classes_.
    clf.fit(X[y == 0][:20].tolist() + X[y == 1][:20].tolist(), [0] * 20 + [1] * 20)
    np.testing.assert_array_equal(clf.classes_, [0, 1])


DIVERGING = {
    EnergyClassifier: {"sgld_step_size": 1e10, "lr": 1e6},
    EnergyDensityEstimator: {"lr": 1e8},
    NCEDensityEstimator: {"lr": 1e8, "base": None},
}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_divergence_restores_weights_and_a_warm_refit_recovers(cls, blobs):
    estimator = fast(cls, max_epochs=30, **DIVERGING[cls])
    with pytest.raises(DivergenceError, match="lr"):
        fit(estimator, *blobs)
    for parameter in estimator.net_.module_.parameters():
        assert torch.isfinite(parameter).all()
    restored = len(estimator.net_.history)
    # The same estimator, with sane settings, resumes from the restored weights.
    sane = {k: getattr(fast(cls), k) for k in DIVERGING[cls]}
    estimator.set_params(warm_start=True, max_epochs=3, **sane)
    fit(estimator, *blobs)
    assert len(estimator.net_.history) == restored + 3
    for parameter in estimator.net_.module_.parameters():
        assert torch.isfinite(parameter).all()
    assert np.all(np.isfinite(estimator.score_samples(blobs[0])))


def test_classifier_early_stopping_on_a_validation_split(blobs):
    X, y = blobs
    clf = fast(
        EnergyClassifier,
        max_epochs=200,
        lr=3e-2,
        early_stopping=True,
        n_iter_no_change=3,
    ).fit(X, y)
    history = clf.net_.history
    assert len(history) < 200
    valid_loss = np.array(history[:, "valid_loss"])
    assert np.all(np.isfinite(valid_loss))
    # The best epoch's weights are restored.
    best = int(np.argmin(valid_loss))
    assert history[best, "valid_loss_best"]
    assert clf.score(X, y) > 0.9


def test_classifier_validation_split_is_stratified_and_labelled(blobs):
    X, y = blobs
    y = y.copy()
    y[::3] = -1  # a third unlabelled
    clf = fast(EnergyClassifier, early_stopping=True, validation_fraction=0.2)
    train, valid = stratified_split(
        len(y), np.where(y >= 0, y, -1), 0.2, np.random.RandomState(0)
    )
    assert np.all(y[valid] >= 0)
    assert len(valid) == round(0.2 * np.sum(y >= 0))
    expected = 0.2 * np.bincount(y[y >= 0])
    assert np.all(np.abs(np.bincount(y[valid]) - expected) <= 1)
    assert np.intersect1d(train, valid).size == 0
    assert len(train) + len(valid) == len(y)
    clf.fit(X, y)
    assert np.isfinite(clf.net_.history[-1, "valid_loss"])


def test_user_early_stopping_and_checkpoint_callbacks(blobs, tmp_path):
    X, y = blobs
    clf = fast(
        EnergyClassifier,
        max_epochs=6,
        early_stopping=True,
        callbacks=[
            Checkpoint(dirname=str(tmp_path)),
            EarlyStopping(monitor="train_loss", patience=100),
        ],
    ).fit(X, y)
    assert (tmp_path / "params.pt").exists()
    assert (tmp_path / "history.json").exists()
    # The checkpointed weights are those of the best validation epoch.
    best = int(np.argmin(clf.net_.history[:, "valid_loss"]))
    assert clf.net_.history[best, "event_cp"]
    state = torch.load(tmp_path / "params.pt", weights_only=True)
    assert set(state) == set(clf.net_.module_.state_dict())
    assert all(torch.isfinite(value).all() for value in state.values())


def test_density_history_through_net(blobs):
    X, _ = blobs
    ebm = fast(EnergyDensityEstimator, max_epochs=5).fit(X)
    history = ebm.net_.history
    assert len(history) <= 5
    assert all(np.isfinite(history[:, "train_loss"]))
    assert all(np.isfinite(history[:, "valid_log_likelihood"]))
