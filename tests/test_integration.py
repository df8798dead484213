"""Every estimator in scikit-learn's tools: pipelines, searches, cross-validation,
copies, persistence, pandas input and the device path."""

import copy
import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from conftest import fast
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    EnergyRegressor,
    NCEDensityEstimator,
    OODDetector,
)
from sk_ebm.metrics import ece_scorer, make_ood_scorer

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.usefixtures("single_thread")

CLASSES = {
    "classifier": EnergyClassifier,
    "density": EnergyDensityEstimator,
    "nce": NCEDensityEstimator,
    "ood": OODDetector,
    "regressor": EnergyRegressor,
}
NAMES = list(CLASSES)
# What each estimator outputs, besides sample().
OUTPUTS = {
    "classifier": ["predict_proba", "decision_function", "predict", "score_samples"],
    "density": ["score_samples"],
    "nce": ["score_samples"],
    "ood": ["score_samples", "decision_function", "predict"],
    "regressor": ["predict", "predict_quantiles", "predict_interval"],
}


def make(name, **params):
    if name == "classifier":
        # An accuracy above 0.9 in every fold of cross_val_score: more epochs
        # at a higher learning rate than the fast settings.
        return fast(EnergyClassifier, **{"max_epochs": 5, "lr": 1e-2, **params})
    if name == "ood":
        return fast(OODDetector)  # over fast(EnergyDensityEstimator)
    return fast(CLASSES[name], **params)


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(240, centers=3, n_features=3, random_state=0)
    return X * [1.0, 10.0, 0.1] + [5.0, -3.0, 0.0], y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    with torch.random.fork_rng(devices=[]):
        torch.set_num_threads(1)
        return {name: make(name).fit(X, y) for name in NAMES}


def outputs(estimator, name, X):
    result = {method: getattr(estimator, method)(X) for method in OUTPUTS[name]}
    if name == "regressor":
        result["sample_y"] = estimator.sample_y(X[:4], 3, random_state=0)
        result["log_likelihood"] = estimator.log_likelihood(X, X[:, 0])
    elif name != "ood":
        result["sample"] = estimator.sample(4, random_state=0)
    return result


def assert_same_outputs(a, b, name, X):
    expected, actual = outputs(a, name, X), outputs(b, name, X)
    for method in expected:
        np.testing.assert_array_equal(actual[method], expected[method], method)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "round_trip",
    [
        pytest.param(lambda e: pickle.loads(pickle.dumps(e)), id="pickle"),
        pytest.param(copy.deepcopy, id="deepcopy"),
        pytest.param(
            lambda e: joblib.load(_joblib_bytes(e)),
            id="joblib",
        ),
    ],
)
def test_round_trips_keep_outputs_identical(fitted, data, name, round_trip):
    estimator = fitted[name]
    copied = round_trip(estimator)
    assert copied is not estimator
    assert_same_outputs(estimator, copied, name, data[0])


def _joblib_bytes(estimator):
    stream = io.BytesIO()
    joblib.dump(estimator, stream)
    stream.seek(0)
    return stream


@pytest.mark.parametrize("name", NAMES)
def test_clone_is_unfitted_with_the_same_params(fitted, name):
    estimator = fitted[name]
    cloned = clone(estimator)
    assert cloned.get_params().keys() == estimator.get_params().keys()
    assert not hasattr(cloned, "net_") and not hasattr(cloned, "estimator_")
    assert repr(cloned) == repr(estimator)


@pytest.mark.parametrize("name", NAMES)
def test_refit_with_the_same_seed_reproduces_outputs(fitted, data, name):
    X, y = data
    assert_same_outputs(fitted[name], clone(fitted[name]).fit(X, y), name, X)


@pytest.mark.parametrize("name", ["density", "nce"])
def test_pipeline_with_scaler_matches_internal_scaling(fitted, data, name):
    """The estimators standardise internally, so a StandardScaler in front
    changes the densities only by the scaler's log-Jacobian."""
    X, _ = data
    pipe = make_pipeline(StandardScaler(), make(name)).fit(X)
    log_jacobian = np.log(pipe[0].scale_).sum()
    np.testing.assert_allclose(
        pipe.score_samples(X) - log_jacobian,
        fitted[name].score_samples(X),
        rtol=1e-4,
        atol=1e-4,
    )


def test_pipeline_with_scaler_classifier(fitted, data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), make("classifier")).fit(X, y)
    np.testing.assert_allclose(
        pipe.predict_proba(X), fitted["classifier"].predict_proba(X), atol=1e-4
    )
    assert pipe.score(X, y) == fitted["classifier"].score(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_cross_val_score_with_the_default_score(data, name):
    X, y = data
    # An outlier detector has no score method; it is scored against outliers.
    X_out = np.random.RandomState(0).uniform(-30, 30, size=(100, 3))
    scoring = make_ood_scorer(X_out) if name == "ood" else None
    scores = cross_val_score(make(name), X, y, cv=3, scoring=scoring)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    if name == "classifier":
        assert scores.min() > 0.9  # accuracy on well separated blobs


def test_grid_search_over_architecture_and_sampler_with_ece_scorer(data):
    X, y = data
    search = GridSearchCV(
        make("classifier"),
        {"hidden_layer_sizes": [(8,), (16,)], "sgld_step_size": [0.5, 2.0]},
        scoring={"accuracy": "accuracy", "ece": ece_scorer},
        refit="ece",
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    ece = search.cv_results_["mean_test_ece"]
    assert np.all(ece <= 0) and np.all(np.isfinite(ece))
    assert search.best_index_ == int(np.argmax(ece))
    assert search.best_estimator_.predict_proba(X).shape == (len(X), 3)


@pytest.mark.parametrize("name", ["density", "nce", "ood"])
def test_grid_search_with_default_score_and_ood_scorer(data, name):
    X, _ = data
    X_out = np.random.RandomState(0).uniform(-30, 30, size=(100, 3))
    estimator = make(name)
    prefix = "estimator__" if name == "ood" else ""
    grid = {f"{prefix}hidden_layer_sizes": [(8,), (16,)]}
    if name == "density":
        grid["n_importance_samples"] = [128, 256]
    search = GridSearchCV(
        estimator,
        grid,
        scoring=None if name != "ood" else make_ood_scorer(X_out),
        cv=3,
        n_jobs=2,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    ood = GridSearchCV(
        estimator, grid, scoring=make_ood_scorer(X_out, metric="auroc"), cv=3
    ).fit(X)
    assert np.all(ood.cv_results_["mean_test_score"] > 0.9)  # far-away outliers


@pytest.mark.parametrize("name", NAMES)
def test_pandas_input_keeps_feature_names(fitted, data, name):
    X, y = data
    frame = pd.DataFrame(X, columns=["age", "dose", "weight"])
    estimator = make(name).fit(frame, pd.Series(y))
    inner = estimator.estimator_ if name == "ood" else estimator
    np.testing.assert_array_equal(inner.feature_names_in_, frame.columns)
    # The same numbers as a fit on the array, up to the summation order of the
    # column means (a DataFrame converts to a Fortran-ordered array).
    for method in OUTPUTS[name]:
        np.testing.assert_allclose(
            getattr(estimator, method)(frame),
            getattr(fitted[name], method)(X),
            rtol=1e-9,
        )
    with pytest.raises(ValueError, match="feature names"):
        getattr(estimator, OUTPUTS[name][0])(frame.rename(columns={"age": "x"}))
    with pytest.warns(UserWarning, match="feature names"):
        getattr(estimator, OUTPUTS[name][0])(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only host")
@pytest.mark.parametrize("name", NAMES)
def test_model_fitted_on_gpu_unpickles_on_cpu_only_host(fitted, data, name):
    """A model whose ``device`` is CUDA loads here with its tensors on the CPU,
    ``device="cpu"`` and a warning (the tensors themselves are mapped by
    torch.load's ``map_location``)."""
    estimator = copy.deepcopy(fitted[name])
    inner = estimator.estimator_ if name == "ood" else estimator
    inner.device = "cuda"
    with pytest.warns(UserWarning, match="not available here"):
        loaded = pickle.loads(pickle.dumps(estimator))
    loaded_inner = loaded.estimator_ if name == "ood" else loaded
    assert loaded_inner.device == "cpu"
    assert_same_outputs(fitted[name], loaded, name, data[0])


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")


@CUDA
@pytest.mark.parametrize("name", NAMES)
def test_cuda_fit_predict_and_pickle(data, name):
    X, y = data
    params = {"device": "cuda"}
    if name == "ood":
        estimator = OODDetector(make("density", **params))
    else:
        estimator = make(name, **params)
    estimator.fit(X, y)
    inner = estimator.estimator_ if name == "ood" else estimator
    assert next(inner.net_.module_.parameters()).is_cuda
    result = outputs(estimator, name, X)
    assert all(
        np.all(np.isfinite(np.asarray(v, dtype=float)))
        for v in result.values()
        if np.asarray(v).dtype.kind == "f"
    )
    loaded = pickle.loads(pickle.dumps(estimator))
    assert_same_outputs(estimator, loaded, name, X)


def test_no_hard_coded_cuda_calls():
    """Devices come from the ``device`` parameter only."""
    import pathlib

    import sk_ebm

    root = pathlib.Path(sk_ebm.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if ".cuda(" in path.read_text() or "device='cuda'" in path.read_text()
    ]
    assert offenders == []


def test_no_warnings_on_a_plain_fit_and_predict(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make("classifier").fit(X, y).predict_proba(X)


def test_cloudpickle_sends_locally_defined_modules_by_value(data):
    """joblib's and Dask's workers receive the (unfitted) estimators of a search
    through cloudpickle, which must still carry a module class defined in a
    script or notebook. (A fitted net stores its module with torch.save, by
    reference, as skorch does.)"""
    cloudpickle = pytest.importorskip("cloudpickle")

    class LocalEnergy(torch.nn.Module):
        def __init__(self, n_features, n_outputs=1):
            super().__init__()
            self.linear = torch.nn.Linear(n_features, n_outputs)

        def forward(self, x):
            return self.linear(x).squeeze(-1) + 0.5 * (x**2).sum(1)

    X, _ = data
    estimator = make("density", module=LocalEnergy, base=None)
    copied = cloudpickle.loads(cloudpickle.dumps(estimator))
    assert copied.module.__name__ == "LocalEnergy"
    np.testing.assert_array_equal(
        copied.fit(X).score_samples(X), estimator.fit(X).score_samples(X)
    )
