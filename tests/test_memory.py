"""Inference memory: no temporary as large as ``X``, rows scored in batches.

``benchmarks/bench_memory.py`` measures the peak resident memory on
2 000 000 x 32 rows; these tests check the same property cheaply. numpy
reports its allocations to :mod:`tracemalloc` (torch does not), so the numpy
peak of one call, less the returned array, must stay a small share of
``X.nbytes`` once the batches are small; and every tensor made from ``X`` must
hold one batch of rows at most.
"""

import tracemalloc

import numpy as np
import pytest
from conftest import fast

import sk_ebm._inference
from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    NCEDensityEstimator,
    OODDetector,
)
from sk_ebm._base import BaseEnergyEstimator

pytestmark = pytest.mark.usefixtures("single_thread")

N_ROWS, N_FEATURES, N_CLASSES = 100_000, 32, 10
BATCH = 4096
# numpy memory beyond the output, as a share of X.nbytes: two batches of scaled
# rows take 8 %; a copy of X (such as np.abs(X)) 100 %.
MAX_EXTRA = 0.15
CASES = [
    ("classifier", "predict_proba"),
    ("classifier", "predict_log_proba"),
    ("classifier", "decision_function"),
    ("classifier", "predict"),
    ("classifier", "score_samples"),
    ("density", "score_samples"),
    ("nce", "score_samples"),
    ("ood", "decision_function"),
    ("ood_grad_norm", "score_samples"),
]


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, N_FEATURES))
    y = rng.randint(0, N_CLASSES, size=300)
    # One epoch: only inference is measured.
    density = fast(EnergyDensityEstimator, max_epochs=1)
    classifier = fast(EnergyClassifier, max_epochs=1)
    return {
        "classifier": classifier.fit(X, y),
        "density": density.fit(X),
        "nce": fast(NCEDensityEstimator, max_epochs=1, noise="gaussian").fit(X),
        "ood": OODDetector(density).fit(X),
        "ood_grad_norm": OODDetector(classifier, method="grad_norm").fit(X, y),
    }


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(1).standard_normal((N_ROWS, N_FEATURES))


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(sk_ebm._inference, "INFERENCE_BATCH_SIZE", BATCH)


@pytest.mark.parametrize("name, method", CASES)
def test_no_temporary_as_large_as_X(fitted, X, small_batches, name, method):
    """Bug: _validate_X checked float32's range with np.abs(X).max(), a full
    copy of X; the batches' results were concatenated (twice the output), and
    predict_(log_)proba made two more arrays of the output's size."""
    call = getattr(fitted[name], method)
    call(X[:10])  # warm-up
    tracemalloc.start()
    try:
        out = call(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape[0] == N_ROWS
    assert (peak - out.nbytes) / X.nbytes < MAX_EXTRA


@pytest.mark.parametrize("name, method", CASES)
def test_tensors_hold_one_batch(fitted, X, small_batches, monkeypatch, name, method):
    rows = []
    to_tensor = BaseEnergyEstimator._standardised

    def recording(self, Z, *args, **kwargs):
        rows.append(len(Z))
        return to_tensor(self, Z, *args, **kwargs)

    monkeypatch.setattr(BaseEnergyEstimator, "_standardised", recording)
    out = getattr(fitted[name], method)(X[: 3 * BATCH + 5])
    assert rows == [BATCH, BATCH, BATCH, 5]
    assert out.shape[0] == 3 * BATCH + 5
