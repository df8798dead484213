"""The estimator skeleton's contracts: reproducible fits in threads, skorch's
hooks for every objective, thread caps in one place, exact parameter tables,
the public energy methods, and OODDetector's random_state."""

import copy

import numpy as np
import pytest
import torch
from conftest import fast
from joblib import Parallel, delayed
from sklearn.datasets import make_blobs
from skorch.callbacks import Callback, GradientNormClipping

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    NCEDensityEstimator,
    OODDetector,
)
from sk_ebm._base import THREAD_CAPPED

pytestmark = pytest.mark.usefixtures("single_thread")

X, Y = make_blobs(240, n_features=3, centers=3, random_state=0)
FLOW = dict(noise="flow", noise_kwargs={"transforms": 1, "hidden_features": (8,)})

CASES = {
    "jem": lambda **kw: fast(EnergyClassifier, **kw),
    "jem-conditional": lambda **kw: fast(
        EnergyClassifier, conditional_weight=0.5, **kw
    ),
    "hdge": lambda **kw: fast(EnergyClassifier, objective="hdge", **kw),
    "importance": lambda **kw: fast(EnergyDensityEstimator, **kw),
    "pcd": lambda **kw: fast(
        EnergyDensityEstimator, objective="pcd", buffer_size=100, sgld_steps=3, **kw
    ),
    "nce-gmm": lambda **kw: fast(NCEDensityEstimator, **kw),
    "nce-flow": lambda **kw: fast(NCEDensityEstimator, **FLOW, **kw),
}


def fit(estimator):
    if isinstance(estimator, EnergyClassifier):
        return estimator.fit(X, Y)
    return estimator.fit(X)


def outputs(estimator):
    """What a user sees of a fit: scores, samples and the training history."""
    scores = estimator.energy(X)
    sample = estimator.sample(5, random_state=0)
    losses = estimator.net_.history[:, "train_loss"]
    return scores, sample, losses


@pytest.mark.parametrize("name", ["jem", "pcd", "importance", "nce-flow"])
def test_fits_in_threads_are_reproducible(name):
    """Two fits at once in a thread pool and two fits in a row give the same
    outputs: no fit draws from torch's global generator."""
    make = CASES[name]
    pool = Parallel(n_jobs=2, backend="threading")
    at_once = pool(delayed(lambda: outputs(fit(make())))() for _ in range(2))
    in_a_row = [pool([delayed(lambda: outputs(fit(make())))()])[0] for _ in range(2)]
    reference = at_once[0]
    for result in [at_once[1], *in_a_row]:
        for got, expected in zip(result, reference, strict=True):
            np.testing.assert_array_equal(got, expected)


class GradientCounter(Callback):
    """Counts ``on_grad_computed`` calls and keeps the learnable parameters'
    values at the start of training."""

    def on_train_begin(self, net, **kwargs):
        self.calls_ = 0
        self.start_ = {
            name: p.detach().clone() for name, p in net.get_all_learnable_params()
        }
        noise = getattr(net.module_, "noise", None)
        self.noise_start_ = None if noise is None else copy.deepcopy(noise.state_dict())

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.calls_ += 1
        assert sum(1 for _ in named_parameters) == len(self.start_)


@pytest.mark.parametrize("name", list(CASES))
def test_on_grad_computed_fires_and_gradient_clipping_applies(name):
    """skorch's on_grad_computed fires on every step of every objective, so a
    GradientNormClipping to norm 0 freezes the learnable parameters (Adam's
    step of a zero gradient is zero)."""
    counter = GradientCounter()
    estimator = fit(
        CASES[name](
            max_epochs=2,
            callbacks=[
                ("count", counter),
                ("clip", GradientNormClipping(gradient_clip_value=0.0)),
            ],
        )
    )
    history = estimator.net_.history
    n_steps = sum(len(epoch["batches"]) for epoch in history)
    assert counter.calls_ == n_steps > 0
    for param_name, param in estimator.net_.get_all_learnable_params():
        torch.testing.assert_close(param.detach(), counter.start_[param_name])


def test_flow_noise_still_learns_under_energy_clipping():
    """The clipping acts on the energy's gradients; the flow has its own
    optimizer and still moves."""
    counter = GradientCounter()
    estimator = fit(
        CASES["nce-flow"](
            max_epochs=4,  # the first is the flow's maximum-likelihood warm-up
            callbacks=[
                ("count", counter),
                ("clip", GradientNormClipping(gradient_clip_value=0.0)),
            ],
        )
    )
    start, moved = counter.noise_start_, estimator.noise_.state_dict()
    assert any(not torch.equal(start[k], moved[k]) for k in start)
    for param_name, param in estimator.net_.get_all_learnable_params():
        torch.testing.assert_close(param.detach(), counter.start_[param_name])


@pytest.mark.parametrize(
    "cls", [EnergyClassifier, EnergyDensityEstimator, NCEDensityEstimator]
)
def test_public_torch_methods_run_under_the_thread_cap(cls):
    """The cap is applied once, by the base class, to every public method
    that runs torch."""
    for name in THREAD_CAPPED:
        method = getattr(cls, name, None)
        if method is not None and callable(method):
            assert getattr(method, "_thread_capped", False), f"{cls.__name__}.{name}"


@pytest.mark.parametrize(
    "estimator",
    [
        EnergyClassifier(),
        EnergyDensityEstimator(),
        NCEDensityEstimator(),
        OODDetector(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_parameter_constraints_are_exactly_the_parameters(estimator):
    assert set(estimator._parameter_constraints) == set(
        estimator.get_params(deep=False)
    )


@pytest.mark.parametrize("name", ["jem", "importance", "nce-gmm"])
def test_energy_and_its_gradient_norm(name):
    estimator = fit(CASES[name]())
    energy = estimator.energy(X)
    assert energy.shape == (len(X),) and np.isfinite(energy).all()
    if isinstance(estimator, EnergyClassifier):
        np.testing.assert_allclose(-energy, estimator.score_samples(X), rtol=1e-12)
    else:
        np.testing.assert_allclose(
            -energy - estimator.log_partition_, estimator.score_samples(X), rtol=1e-12
        )
    # The gradient norm against finite differences along each axis of the
    # network's space: the whitened axes (outside ones included), each a
    # direction V_j sqrt(lambda_j) of the standardised space.
    grad_norm = estimator.energy_grad_norm(X[:5])
    whitening = estimator.whitening_
    axes = torch.cat([whitening.components, whitening.outside_components], 1)
    stds = torch.cat([whitening.std, whitening.outside_std])
    steps = (axes * stds).T.numpy() * estimator.scale_  # one row per axis
    eps = 1e-5
    grads = np.stack(
        [
            (
                estimator.energy(X[:5] + eps * step)
                - estimator.energy(X[:5] - eps * step)
            )
            / (2 * eps)
            for step in steps
        ],
        axis=1,
    )
    np.testing.assert_allclose(grad_norm, np.linalg.norm(grads, axis=1), rtol=1e-4)


def test_ood_detector_random_state_seeds_the_default_estimator():
    X_small = X[:120]
    a = OODDetector(random_state=0).fit(X_small)
    b = OODDetector(random_state=0).fit(X_small)
    np.testing.assert_array_equal(a.score_samples(X_small), b.score_samples(X_small))
    assert a.estimator_.random_state == 0


def test_ood_detector_keeps_a_given_estimators_seed():
    inner = fast(NCEDensityEstimator, random_state=7)
    detector = OODDetector(inner, random_state=0).fit(X)
    assert detector.estimator_.random_state == 7
    assert inner.random_state == 7 and not hasattr(inner, "net_")


class BatchListener(Callback):
    """A callback that reads every batch: skorch's per-batch history is kept."""

    def on_batch_end(self, net, **kwargs):
        pass


@pytest.mark.parametrize("name", ["jem", "hdge", "importance"])
def test_batch_history_is_summarised_only_when_nobody_reads_it(name):
    """Without a callback on the batches the history keeps one row per epoch
    (the rows and mean loss that skorch's scoring reads), with the same
    train_loss as skorch's per-batch bookkeeping."""
    make = CASES[name]
    kwargs = {"early_stopping": False} if name == "importance" else {}
    summary = fit(make(**kwargs)).net_.history
    detailed = fit(make(callbacks=[("listen", BatchListener())], **kwargs)).net_.history
    np.testing.assert_allclose(
        summary[:, "train_loss"], detailed[:, "train_loss"], rtol=1e-6
    )
    assert summary[:, "train_loss_best"] == detailed[:, "train_loss_best"]
    n_batches = int(np.ceil(len(X) / make().batch_size))
    assert [len(epoch["batches"]) for epoch in summary] == [1] * len(summary)
    assert [len(epoch["batches"]) for epoch in detailed] == [n_batches] * len(detailed)
    assert summary[:, "batches", 0, "train_batch_size"] == [len(X)] * len(summary)
