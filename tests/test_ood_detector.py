"""Tests of OODDetector."""

import functools
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import fast
from sklearn.base import clone, is_outlier_detector
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_outlier_contamination,
    check_outliers_fit_predict,
    check_outliers_train,
)

import sk_ebm
import sk_ebm._ood
from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    NCEDensityEstimator,
    OODDetector,
)

pytestmark = pytest.mark.usefixtures("single_thread")

CASES = [
    ("density", "energy"),
    ("density", "grad_norm"),
    ("nce", "energy"),
    ("nce", "grad_norm"),
    ("classifier", "energy"),
    ("classifier", "max_softmax"),
    ("classifier", "grad_norm"),
]


def mean_score(estimator, X, y=None):
    return float(np.mean(estimator.score_samples(X)))


def auroc(inlier_scores, outlier_scores):
    """AUROC with the in-distribution rows as the positive class."""
    labels = np.r_[np.ones(len(inlier_scores)), np.zeros(len(outlier_scores))]
    return roc_auc_score(labels, np.r_[inlier_scores, outlier_scores])


class NaNDensity(KernelDensity):
    def score_samples(self, X):
        return np.full(len(X), np.nan)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, random_state=0)


@pytest.fixture(scope="module", params=CASES, ids="-".join)
def detector(request, blobs):
    """A fitted detector per (inner estimator, method)."""
    kind, method = request.param
    X, y = blobs
    if kind == "density":
        return OODDetector(fast(EnergyDensityEstimator), method=method).fit(X)
    if kind == "nce":
        return OODDetector(fast(NCEDensityEstimator), method=method).fit(X)
    return OODDetector(fast(EnergyClassifier), method=method).fit(X, y)


@pytest.fixture(scope="module")
def density_detector(blobs):
    return OODDetector(fast(EnergyDensityEstimator)).fit(blobs[0])


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600], X[600:900]


# -- scikit-learn contract ------------------------------------------------------
def test_registered_and_tagged_as_outlier_detector():
    assert "OODDetector" in sk_ebm.__all__
    assert "OODDetector" in dir(sk_ebm)
    assert is_outlier_detector(OODDetector())
    assert not get_tags(OODDetector(fast(EnergyDensityEstimator))).target_tags.required
    assert get_tags(OODDetector(fast(EnergyClassifier))).target_tags.required


@pytest.mark.parametrize(
    "check",
    [check_outliers_train, check_outliers_fit_predict, check_outlier_contamination],
)
@pytest.mark.parametrize("method", ["energy", "grad_norm"])
def test_sklearn_outlier_checks(check, method):
    check("OODDetector", OODDetector(fast(EnergyDensityEstimator), method=method))


def test_default_estimator_is_an_energy_density_estimator(blobs, monkeypatch):
    # The default EnergyDensityEstimator() trains for seconds; a fast one stands
    # in for it here.
    fast_density = functools.partial(fast, EnergyDensityEstimator)
    monkeypatch.setattr(sk_ebm._ood, "EnergyDensityEstimator", fast_density)
    detector = OODDetector().fit(blobs[0])
    assert isinstance(detector.estimator_, EnergyDensityEstimator)
    assert detector.estimator is None
    assert detector.method_ == "energy"


# -- scores and threshold -------------------------------------------------------
def test_scores_follow_the_method(blobs, detector):
    X = blobs[0]
    inner = detector.estimator_
    expected = {
        "energy": lambda: inner.score_samples(X),
        "max_softmax": lambda: inner.predict_proba(X).max(axis=1),
        "grad_norm": lambda: -inner.energy_grad_norm(X),
    }[detector.method_]()
    scores = detector.score_samples(X)
    assert scores.shape == (300,)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, expected)
    if detector.method_ == "max_softmax":
        assert np.all((scores >= 1 / 3 - 1e-12) & (scores <= 1 + 1e-12))
    if detector.method_ == "grad_norm":
        assert np.all(scores <= 0)


def test_auto_threshold_keeps_95_percent_of_training_rows(blobs, detector):
    X = blobs[0]
    scores = detector.score_samples(X)
    assert detector.offset_ == pytest.approx(np.percentile(scores, 5))
    np.testing.assert_allclose(detector.decision_function(X), scores - detector.offset_)
    labels = detector.predict(X)
    np.testing.assert_array_equal(labels, np.where(scores >= detector.offset_, 1, -1))
    assert np.mean(labels == -1) == pytest.approx(0.05, abs=1 / len(X))


@pytest.mark.parametrize("contamination", [0.01, 0.2, 0.5])
def test_float_contamination_sets_the_share_of_training_outliers(
    blobs, density_detector, contamination
):
    X = blobs[0]
    detector = clone(density_detector).set_params(contamination=contamination)
    detector.fit(X)
    # Same seed, same model: only the threshold moves.
    np.testing.assert_array_equal(
        detector.score_samples(X), density_detector.score_samples(X)
    )
    assert detector.offset_ == pytest.approx(
        np.percentile(detector.score_samples(X), 100 * contamination)
    )
    assert np.mean(detector.predict(X) == -1) == pytest.approx(
        contamination, abs=1 / len(X)
    )


@pytest.mark.parametrize("method", ["energy", "grad_norm"])
@pytest.mark.parametrize("shift", [10.0, -10.0])
def test_density_scores_rank_far_points_below(blobs, method, shift):
    X = blobs[0]
    detector = OODDetector(fast(EnergyDensityEstimator), method=method).fit(X)
    assert auroc(detector.score_samples(X), detector.score_samples(X + shift)) > 0.9
    assert np.all(detector.predict(X + shift) == -1)


def test_classifier_energy_ranks_far_points_below(digits):
    # On 2-D blobs the few-epoch classifier's energy, a network's logsumexp,
    # grows along some directions away from the data; digits is the setting
    # where its generative term is known to shape p(x). Chains started from a
    # Gaussian reach beyond the data's range (uniform ones stay inside the box
    # of the data and leave X - 10 unconstrained; see the README's limits).
    X_train, y_train, X_test = digits
    classifier = EnergyClassifier(
        hidden_layer_sizes=(32,),
        max_epochs=15,
        lr=3e-3,
        sgld_steps=3,
        buffer_init="gaussian",
        random_state=0,
    )
    detector = OODDetector(classifier).fit(X_train, y_train)
    inliers = detector.score_samples(X_test)
    for shift in (10.0, -10.0):
        assert auroc(inliers, detector.score_samples(X_test + shift)) > 0.9


@pytest.mark.parametrize("kind", ["density", "classifier"])
def test_fit_predict_equals_fit_then_predict(blobs, kind):
    X, y = blobs
    if kind == "density":
        detector, y = OODDetector(fast(EnergyDensityEstimator)), None
    else:
        detector = OODDetector(fast(EnergyClassifier), method="max_softmax")
    labels = detector.fit_predict(X, y)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, clone(detector).fit(X, y).predict(X))


# -- meta-estimator -------------------------------------------------------------
def test_nested_parameters_and_clone(blobs, density_detector):
    params = density_detector.get_params()
    assert params["estimator__max_epochs"] == 3
    assert params["method"] == params["contamination"] == "auto"
    # The detector fits a clone and leaves its parameter untouched.
    assert density_detector.estimator_ is not density_detector.estimator
    assert not hasattr(density_detector.estimator, "net_")

    other = clone(density_detector).set_params(
        estimator__max_epochs=5, method="grad_norm"
    )
    assert not hasattr(other, "estimator_")
    assert other.estimator.max_epochs == 5
    assert density_detector.estimator.max_epochs == 3
    other.fit(blobs[0])
    assert len(other.estimator_.net_.history) == 5
    assert other.method_ == "grad_norm"


@pytest.mark.parametrize("kind", ["density", "classifier"])
def test_grid_search_over_inner_parameters(blobs, kind):
    X, y = blobs
    if kind == "density":
        inner, y = fast(EnergyDensityEstimator), None
    else:
        inner = fast(EnergyClassifier)
    grid = {"estimator__hidden_layer_sizes": [(8,), (16,)]}
    search = GridSearchCV(OODDetector(inner), grid, scoring=mean_score, cv=2)
    search.fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_params_["estimator__hidden_layer_sizes"]
    assert search.best_estimator_.estimator_.hidden_layer_sizes == best
    assert search.predict(X).shape == (300,)


def test_pipeline_with_scaler(blobs):
    X = blobs[0]
    pipeline = make_pipeline(
        StandardScaler(), OODDetector(fast(EnergyDensityEstimator))
    ).fit(X)
    Z = pipeline[0].transform(X)
    detector = pipeline[-1]
    np.testing.assert_allclose(pipeline.score_samples(X), detector.score_samples(Z))
    np.testing.assert_allclose(
        pipeline.decision_function(X), detector.decision_function(Z)
    )
    np.testing.assert_array_equal(pipeline.predict(X), detector.predict(Z))
    np.testing.assert_array_equal(pipeline.fit_predict(X), pipeline.predict(X))


def test_pickle_round_trip(blobs, detector):
    X = blobs[0]
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))
    assert restored.offset_ == detector.offset_
    assert restored.method_ == detector.method_


def test_any_scikit_learn_estimator_with_the_needed_methods(blobs):
    X, y = blobs
    kde = OODDetector(KernelDensity(bandwidth=0.5)).fit(X)
    np.testing.assert_allclose(kde.score_samples(X), kde.estimator_.score_samples(X))
    assert auroc(kde.score_samples(X), kde.score_samples(X + 10)) > 0.9
    logistic = OODDetector(LogisticRegression(), method="max_softmax").fit(X, y)
    np.testing.assert_allclose(
        logistic.score_samples(X), logistic.estimator_.predict_proba(X).max(axis=1)
    )


def test_attributes_delegated_to_the_inner_estimator(detector):
    assert detector.n_features_in_ == 2
    assert not hasattr(detector, "feature_names_in_")


def test_feature_names_delegated(blobs):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(blobs[0], columns=["a", "b"])
    detector = OODDetector(fast(EnergyDensityEstimator)).fit(X)
    np.testing.assert_array_equal(detector.feature_names_in_, ["a", "b"])


# -- errors ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(method="foo"), "'method' parameter of OODDetector"),
        (dict(contamination=0.7), r"'contamination' parameter .* \(0.0, 0.5\]"),
        (dict(contamination=0.0), "'contamination' parameter"),
        (dict(contamination="high"), "'contamination' parameter"),
        (dict(estimator="an estimator"), "'estimator' parameter .* implementing 'fit'"),
    ],
)
def test_invalid_parameters(blobs, params, match):
    detector = OODDetector(**{"estimator": fast(EnergyDensityEstimator), **params})
    with pytest.raises(ValueError, match=match):
        detector.fit(blobs[0])


@pytest.mark.parametrize(
    "estimator, method, match",
    [
        (
            fast(EnergyDensityEstimator),
            "max_softmax",
            "max_softmax' needs a classifier with predict_proba, got "
            "EnergyDensityEstimator",
        ),
        (KernelDensity(), "max_softmax", "needs a classifier"),
        (KernelDensity(), "grad_norm", "grad_norm' needs an sk_ebm estimator"),
        (LogisticRegression(), "auto", "score_samples method; LogisticRegression"),
        (LogisticRegression(), "grad_norm", "needs an sk_ebm estimator"),
    ],
)
def test_method_needs_a_capable_estimator(blobs, estimator, method, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        OODDetector(estimator, method=method).fit(X, y)


def test_classifier_needs_y(blobs):
    X, y = blobs
    detector = OODDetector(fast(EnergyClassifier)).fit(X, y)
    offset, inner = detector.offset_, detector.estimator_
    with pytest.raises(ValueError, match=r"EnergyClassifier.*call fit\(X, y\)"):
        detector.fit(X)
    # The failed refit left the previous fit in place.
    assert detector.offset_ == offset
    assert detector.estimator_ is inner


def test_nan_training_scores_are_an_error(blobs):
    with pytest.raises(ValueError, match="NaN energy scores"):
        OODDetector(NaNDensity()).fit(blobs[0])


@pytest.mark.parametrize("method", ["score_samples", "decision_function", "predict"])
def test_unfitted(blobs, method):
    detector = OODDetector(fast(EnergyDensityEstimator))
    with pytest.raises(NotFittedError):
        getattr(detector, method)(blobs[0])
    assert not hasattr(detector, "n_features_in_")
    assert not hasattr(detector, "feature_names_in_")


@pytest.mark.parametrize(
    "make_bad, match",
    [
        (lambda X: np.where(np.arange(len(X))[:, None] == 0, np.nan, X), "NaN"),
        (lambda X: X[:, :1], "features"),
        (lambda X: sp.csr_matrix(X), "sparse"),
    ],
    ids=["nan", "n_features", "sparse"],
)
def test_rejects_bad_input(blobs, detector, make_bad, match):
    X_bad = make_bad(blobs[0])
    for method in ("score_samples", "decision_function", "predict"):
        with pytest.raises(ValueError, match=match):
            getattr(detector, method)(X_bad)
