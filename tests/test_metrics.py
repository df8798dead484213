"""Tests for sk_ebm.metrics: calibration metrics and scorers."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler

from sk_ebm.metrics import (
    ece_scorer,
    expected_calibration_error,
    make_ece_scorer,
    maximum_calibration_error,
    reliability_diagram_bins,
)
from sk_ebm.metrics._calibration import _bin_indices

METRICS = [expected_calibration_error, maximum_calibration_error]
ALL_FUNCTIONS = [*METRICS, reliability_diagram_bins]


def _top_label(y_true, y_prob, classes):
    """Independent top-label confidence and correctness (for cross-checks)."""
    y_prob = np.asarray(y_prob)
    confidence = y_prob.max(axis=1)
    correct = np.asarray(classes)[y_prob.argmax(axis=1)] == np.asarray(y_true)
    return confidence, correct.astype(float)


# --------------------------------------------------------------------------
# Hand-computed values


def test_hand_computed_uniform_bins():
    # 4 classes, 3 uniform bins [0, 1/3], (1/3, 2/3], (2/3, 1].
    y_prob = np.array(
        [
            [0.30, 0.25, 0.25, 0.20],  # conf 0.3, predicts 0, true 1: wrong
            [0.20, 0.40, 0.20, 0.20],  # conf 0.4, predicts 1, true 1: right
            [0.10, 0.10, 0.60, 0.20],  # conf 0.6, predicts 2, true 2: right
            [0.10, 0.10, 0.10, 0.70],  # conf 0.7, predicts 3, true 3: right
            [0.80, 0.10, 0.05, 0.05],  # conf 0.8, predicts 0, true 2: wrong
            [0.05, 0.90, 0.05, 0.00],  # conf 0.9, predicts 1, true 1: right
        ]
    )
    y_true = np.array([1, 1, 2, 3, 2, 1])
    # bin 0: {0.3 wrong}             acc 0,   conf 0.3, gap 0.3
    # bin 1: {0.4 right, 0.6 right}  acc 1,   conf 0.5, gap 0.5
    # bin 2: {0.7 r, 0.8 w, 0.9 r}   acc 2/3, conf 0.8, gap 2/15
    # ECE = 1/6 * 0.3 + 2/6 * 0.5 + 3/6 * 2/15 = 0.05 + 1/6 + 1/15
    # MCE = 0.5
    expected_ece = 0.05 + 1 / 6 + 1 / 15
    bins = reliability_diagram_bins(y_true, y_prob, n_bins=3)
    np.testing.assert_allclose(bins.bin_edges, [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_array_equal(bins.count, [1, 2, 3])
    np.testing.assert_allclose(bins.accuracy, [0, 1, 2 / 3])
    np.testing.assert_allclose(bins.confidence, [0.3, 0.5, 0.8])
    # y_true has only 3 of the 4 classes: the columns are 0..3 by default.
    for labels in (None, [0, 1, 2, 3]):
        assert expected_calibration_error(
            y_true, y_prob, n_bins=3, labels=labels
        ) == pytest.approx(expected_ece)
        assert maximum_calibration_error(
            y_true, y_prob, n_bins=3, labels=labels
        ) == pytest.approx(0.5)


def test_empty_bins_are_nan_and_contribute_zero():
    y_prob = np.array([[0.9, 0.1], [0.2, 0.8]])
    y_true = [0, 0]
    bins = reliability_diagram_bins(y_true, y_prob, n_bins=5)
    assert bins.bin_edges.shape == (6,)
    np.testing.assert_array_equal(bins.count, [0, 0, 0, 1, 1])
    assert np.isnan(bins.accuracy[:3]).all()
    assert np.isnan(bins.confidence[:3]).all()
    # bin 3 (0.6, 0.8]: conf 0.8 wrong; bin 4 (0.8, 1]: conf 0.9 right.
    np.testing.assert_allclose(bins.accuracy[3:], [0.0, 1.0])
    np.testing.assert_allclose(bins.confidence[3:], [0.8, 0.9])
    ece = expected_calibration_error(y_true, y_prob, n_bins=5)
    assert ece == pytest.approx(0.5 * 0.8 + 0.5 * 0.1)
    assert maximum_calibration_error(y_true, y_prob, n_bins=5) == pytest.approx(0.8)


def test_perfectly_calibrated_is_zero():
    # Confidence 0.8 with 4 of 5 right, confidence 0.6 with 3 of 5 right.
    y_prob = np.array([[0.8, 0.2]] * 5 + [[0.4, 0.6]] * 5)
    y_true = [0, 0, 0, 0, 1, 1, 1, 1, 0, 0]
    for strategy in ("uniform", "quantile"):
        assert expected_calibration_error(
            y_true, y_prob, n_bins=10, strategy=strategy
        ) == pytest.approx(0.0, abs=1e-12)
        assert maximum_calibration_error(
            y_true, y_prob, n_bins=10, strategy=strategy
        ) == pytest.approx(0.0, abs=1e-12)


def test_always_confident_always_wrong():
    rng = np.random.default_rng(0)
    n, n_classes = 200, 3
    confidence = rng.uniform(0.5, 1.0, size=n)
    y_prob = np.empty((n, n_classes))
    y_prob[:, 0] = confidence
    y_prob[:, 1:] = ((1 - confidence) / 2)[:, None]
    y_true = rng.integers(1, n_classes, size=n)  # never the predicted class 0
    ece = expected_calibration_error(y_true, y_prob, labels=[0, 1, 2])
    assert ece == pytest.approx(confidence.mean())
    bins = reliability_diagram_bins(y_true, y_prob, labels=[0, 1, 2])
    assert np.nanmax(bins.accuracy) == 0
    mce = maximum_calibration_error(y_true, y_prob, labels=[0, 1, 2])
    assert mce == pytest.approx(np.nanmax(bins.confidence))


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_1d_binary_equals_two_columns(strategy):
    rng = np.random.default_rng(1)
    p = rng.uniform(size=100)
    y = rng.integers(0, 2, size=100)
    two_columns = np.column_stack([1 - p, p])
    for func in METRICS:
        assert func(y, p, n_bins=7, strategy=strategy) == pytest.approx(
            func(y, two_columns, n_bins=7, strategy=strategy)
        )
    # Any two labels: the positive class is the greater one.
    y_str = np.where(y == 1, "pos", "neg")
    assert expected_calibration_error(
        y_str, p, n_bins=7, strategy=strategy
    ) == pytest.approx(expected_calibration_error(y, p, n_bins=7, strategy=strategy))
    y_pm = np.where(y == 1, 1, -1)
    assert expected_calibration_error(
        y_pm, p, n_bins=7, strategy=strategy
    ) == pytest.approx(expected_calibration_error(y, p, n_bins=7, strategy=strategy))


def test_1d_binary_single_label_present():
    # Only label 1 in y_true: it is the positive class.
    p = np.array([0.9, 0.7, 0.2])
    assert expected_calibration_error([1, 1, 1], p, n_bins=1) == pytest.approx(
        abs(2 / 3 - (0.9 + 0.7 + 0.8) / 3)
    )
    # Only label 0: 1 is the positive class.
    assert expected_calibration_error([0, 0, 0], p, n_bins=1) == pytest.approx(
        abs(1 / 3 - 0.8)
    )
    # Explicit [negative, positive] labels.
    assert expected_calibration_error(
        ["b", "b", "b"], p, n_bins=1, labels=["a", "b"]
    ) == pytest.approx(abs(2 / 3 - 0.8))


def test_string_labels():
    # Columns in a non-sorted order given by labels.
    labels = ["cat", "dog", "bird"]
    y_prob = np.array(
        [
            [0.7, 0.2, 0.1],  # cat
            [0.1, 0.6, 0.3],  # dog
            [0.2, 0.2, 0.6],  # bird
            [0.5, 0.4, 0.1],  # cat
        ]
    )
    y_true = np.array(["cat", "bird", "bird", "dog"])
    y_int = np.array([0, 2, 2, 1])
    for func in METRICS:
        assert func(y_true, y_prob, n_bins=4, labels=labels) == pytest.approx(
            func(y_int, y_prob, n_bins=4)
        )
    # Without labels the columns are the sorted labels: bird, cat, dog.
    sorted_order = [2, 0, 1]  # column of bird, cat, dog in y_prob
    assert expected_calibration_error(
        y_true, y_prob[:, sorted_order], n_bins=4
    ) == pytest.approx(expected_calibration_error(y_int, y_prob, n_bins=4))


def test_quantile_hand_case():
    confidence = np.array([0.55, 0.65, 0.7, 0.8, 0.9, 1.0])
    y_prob = np.column_stack([confidence, 1 - confidence])
    correct = np.array([1, 0, 1, 1, 1, 1])
    y_true = np.where(correct == 1, 0, 1)
    bins = reliability_diagram_bins(y_true, y_prob, n_bins=3, strategy="quantile")
    # Interior edges: the 1/3 and 2/3 quantiles (linear interpolation),
    # 0.65 + 2/3 * 0.05 and 0.8 + 1/3 * 0.1; the outer edges are 0 and 1.
    np.testing.assert_allclose(
        bins.bin_edges, [0, 0.65 + 0.05 * 2 / 3, 0.8 + 0.1 / 3, 1]
    )
    np.testing.assert_array_equal(bins.count, [2, 2, 2])
    # bins: {0.55 r, 0.65 w}, {0.7 r, 0.8 r}, {0.9 r, 1.0 r}
    np.testing.assert_allclose(bins.accuracy, [0.5, 1.0, 1.0])
    np.testing.assert_allclose(bins.confidence, [0.6, 0.75, 0.95])
    ece = expected_calibration_error(y_true, y_prob, n_bins=3, strategy="quantile")
    assert ece == pytest.approx((0.1 + 0.25 + 0.05) / 3)
    mce = maximum_calibration_error(y_true, y_prob, n_bins=3, strategy="quantile")
    assert mce == pytest.approx(0.25)


def test_quantile_repeated_edges_are_merged():
    y_prob = np.array([[0.7, 0.3]] * 5)
    y_true = [0, 0, 0, 1, 1]
    bins = reliability_diagram_bins(y_true, y_prob, n_bins=5, strategy="quantile")
    np.testing.assert_allclose(bins.bin_edges, [0, 0.7, 1])
    np.testing.assert_array_equal(bins.count, [5, 0])
    ece = expected_calibration_error(y_true, y_prob, n_bins=5, strategy="quantile")
    assert ece == pytest.approx(0.1)


def test_bin_edge_convention():
    # Bin i is (e_i, e_{i+1}], except bin 0 = [e_0, e_1]; edges 0, .25, .5, .75, 1.
    y_prob = np.array(
        [
            [0.25, 0.25, 0.25, 0.25],  # conf exactly on edge 0.25 -> bin 0
            [0.5, 0.5, 0.0, 0.0],  # exactly 0.5 -> bin 1, not bin 2
            [0.75, 0.25, 0.0, 0.0],  # exactly 0.75 -> bin 2
            [1.0, 0.0, 0.0, 0.0],  # exactly 1 -> last bin
            [0.0, 0.5000001, 0.4999999, 0.0],  # just above 0.5 -> bin 2
        ]
    )
    y_true = [0, 0, 0, 0, 1]
    bins = reliability_diagram_bins(y_true, y_prob, n_bins=4)
    np.testing.assert_array_equal(bins.bin_edges, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(bins.count, [1, 1, 2, 1])
    np.testing.assert_allclose(bins.confidence, [0.25, 0.5, (0.75 + 0.5000001) / 2, 1])
    # Ties predict the first tied column (here class 0, which is right).
    np.testing.assert_array_equal(bins.accuracy, [1, 1, 1, 1])

    # 1-D: p = 0 and p = 1 both have confidence 1 and land in the last bin.
    bins = reliability_diagram_bins([0, 1], [0.0, 1.0], n_bins=4)
    np.testing.assert_array_equal(bins.count, [0, 0, 0, 2])
    np.testing.assert_array_equal(bins.accuracy[-1], 1.0)

    # A confidence of 0 (not reachable by a top-label confidence) goes to bin 0.
    edges = np.linspace(0, 1, 5)
    np.testing.assert_array_equal(
        _bin_indices(np.array([0.0, 0.25, 0.2500001, 1.0]), edges), [0, 0, 1, 3]
    )


def test_single_bin_is_overall_gap():
    rng = np.random.default_rng(2)
    y_prob = rng.dirichlet(np.ones(4), size=50)
    y_true = rng.integers(0, 4, size=50)
    confidence, correct = _top_label(y_true, y_prob, np.arange(4))
    expected = abs(correct.mean() - confidence.mean())
    for strategy in ("uniform", "quantile"):
        for func in METRICS:
            assert func(y_true, y_prob, n_bins=1, strategy=strategy) == pytest.approx(
                expected
            )


def test_returns_python_float():
    value = expected_calibration_error([0, 1], [0.2, 0.9])
    assert type(value) is float
    assert type(maximum_calibration_error([0, 1], [0.2, 0.9])) is float


# --------------------------------------------------------------------------
# Cross-checks against scikit-learn


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_matches_calibration_curve_binary(strategy):
    # For positive-class probabilities above 0.5 the top-label confidence is
    # the positive-class probability and "correct" means "positive", so the
    # non-empty bins are those of calibration_curve.
    rng = np.random.default_rng(3)
    p = rng.uniform(0.5001, 1.0, size=300)
    y = (rng.uniform(size=300) < p**2).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=8, strategy=strategy)
    bins = reliability_diagram_bins(y, p, n_bins=8, strategy=strategy)
    nonempty = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[nonempty], prob_true)
    np.testing.assert_allclose(bins.confidence[nonempty], prob_pred)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_matches_calibration_curve_of_correctness(strategy):
    # In general, the top-label bins are calibration_curve's bins of the
    # binary problem "is the prediction correct?" scored by the confidence.
    rng = np.random.default_rng(4)
    y_prob = rng.dirichlet(np.full(5, 0.5), size=400)
    y_true = rng.integers(0, 5, size=400)
    confidence, correct = _top_label(y_true, y_prob, np.arange(5))
    prob_true, prob_pred = calibration_curve(
        correct, confidence, n_bins=10, strategy=strategy
    )
    bins = reliability_diagram_bins(y_true, y_prob, n_bins=10, strategy=strategy)
    nonempty = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[nonempty], prob_true)
    np.testing.assert_allclose(bins.confidence[nonempty], prob_pred)
    assert bins.count.sum() == 400


# --------------------------------------------------------------------------
# Properties


@st.composite
def classification_problems(draw):
    n_samples = draw(st.integers(1, 40))
    n_classes = draw(st.integers(2, 5))
    weights = draw(
        hnp.arrays(
            np.float64,
            (n_samples, n_classes),
            elements=st.floats(0.0, 1.0, allow_subnormal=False),
        )
    )
    weights[:, 0] += 1e-3  # no all-zero row
    y_prob = weights / weights.sum(axis=1, keepdims=True)
    y_true = draw(
        hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1))
    )
    return y_true, y_prob


@settings(max_examples=60, deadline=None)
@given(
    problem=classification_problems(),
    n_bins=st.integers(1, 20),
    strategy=st.sampled_from(["uniform", "quantile"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_properties(problem, n_bins, strategy, seed):
    y_true, y_prob = problem
    labels = np.arange(y_prob.shape[1])
    kwargs = dict(n_bins=n_bins, strategy=strategy, labels=labels)
    ece = expected_calibration_error(y_true, y_prob, **kwargs)
    mce = maximum_calibration_error(y_true, y_prob, **kwargs)
    assert 0.0 <= ece <= 1.0
    assert 0.0 <= mce <= 1.0
    assert mce >= ece - 1e-12

    bins = reliability_diagram_bins(y_true, y_prob, **kwargs)
    assert bins.count.sum() == y_true.shape[0]
    assert np.all(np.diff(bins.bin_edges) > 0)
    assert bins.bin_edges[0] == 0 and bins.bin_edges[-1] == 1
    if strategy == "uniform":
        assert bins.bin_edges.shape == (n_bins + 1,)
    else:
        assert bins.bin_edges.shape[0] <= n_bins + 1

    permutation = np.random.default_rng(seed).permutation(y_true.shape[0])
    ece_perm = expected_calibration_error(
        y_true[permutation], y_prob[permutation], **kwargs
    )
    mce_perm = maximum_calibration_error(
        y_true[permutation], y_prob[permutation], **kwargs
    )
    assert ece_perm == pytest.approx(ece, abs=1e-12)
    assert mce_perm == pytest.approx(mce, abs=1e-12)


# --------------------------------------------------------------------------
# Scorers


@pytest.fixture(scope="module")
def binary_data():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def multiclass_data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("data", ["binary_data", "multiclass_data"])
def test_scorer_on_fitted_estimator(data, request):
    X, y = request.getfixturevalue(data)
    clf = LogisticRegression().fit(X, y)
    proba = clf.predict_proba(X)
    score = ece_scorer(clf, X, y)
    assert score <= 0
    assert score == pytest.approx(-expected_calibration_error(y, proba))
    scorer = make_ece_scorer(n_bins=5, strategy="quantile")
    assert scorer(clf, X, y) == pytest.approx(
        -expected_calibration_error(y, proba, n_bins=5, strategy="quantile")
    )


@pytest.mark.parametrize("data", ["binary_data", "multiclass_data"])
def test_scorer_in_grid_search(data, request):
    X, y = request.getfixturevalue(data)
    grid = {"C": [0.01, 1.0]}
    search = GridSearchCV(LogisticRegression(), grid, scoring=ece_scorer, cv=3)
    search.fit(X, y)
    # Recompute every split score by hand (cv=3 is StratifiedKFold(3)).
    splits = list(StratifiedKFold(n_splits=3).split(X, y))
    for i_param, params in enumerate(search.cv_results_["params"]):
        for i_split, (train, test) in enumerate(splits):
            clf = LogisticRegression(**params).fit(X[train], y[train])
            expected = -expected_calibration_error(y[test], clf.predict_proba(X[test]))
            score = search.cv_results_[f"split{i_split}_test_score"][i_param]
            assert score <= 0
            assert score == pytest.approx(expected)


def test_scorer_multimetric(multiclass_data):
    X, y = multiclass_data
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.01, 1.0]},
        scoring={"ece": ece_scorer, "acc": "accuracy"},
        refit="acc",
        cv=3,
    )
    search.fit(X, y)
    results = search.cv_results_
    assert np.all(results["mean_test_ece"] <= 0)
    assert np.all(np.isfinite(results["mean_test_ece"]))
    assert search.best_index_ == np.argmax(results["mean_test_acc"])
    assert hasattr(search, "best_estimator_")


@pytest.fixture(scope="module")
def overconfident_split():
    """An overconfident classifier: weakly regularised, trained on few samples."""

    def split(n_classes):
        X, y = make_classification(
            n_samples=1500,
            n_features=20,
            n_informative=5,
            n_classes=n_classes,
            n_clusters_per_class=1,
            flip_y=0.1,
            random_state=0,
        )
        X_fit, X_test, y_fit, y_test = train_test_split(
            X, y, test_size=0.5, random_state=0, stratify=y
        )
        X_train, X_cal, y_train, y_cal = train_test_split(
            X_fit, y_fit, test_size=0.5, random_state=0, stratify=y_fit
        )
        return X_train[:150], y_train[:150], X_cal, y_cal, X_test, y_test

    return split


@pytest.mark.parametrize("n_classes", [2, 3])
def test_scorer_with_temperature_scaling(n_classes, overconfident_split):
    X_train, y_train, X_cal, y_cal, X_test, y_test = overconfident_split(n_classes)
    clf = LogisticRegression(C=1e4, max_iter=5000).fit(X_train, y_train)

    # Temperature scaling of the frozen classifier on a calibration set.
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method="temperature")
    calibrated.fit(X_cal, y_cal)
    before = -ece_scorer(clf, X_test, y_test)
    after = -ece_scorer(calibrated, X_test, y_test)
    assert after == pytest.approx(
        expected_calibration_error(y_test, calibrated.predict_proba(X_test))
    )
    # On these seeds the raw ECE is ~0.13 (binary) and ~0.09 (3 classes);
    # temperature scaling roughly halves it.
    assert after < before

    # Cross-validated temperature scaling: the scorer just works on it.
    cv_calibrated = CalibratedClassifierCV(
        LogisticRegression(C=1e4, max_iter=5000), method="temperature", cv=3
    ).fit(X_train, y_train)
    score = ece_scorer(cv_calibrated, X_test, y_test)
    assert -1 <= score <= 0
    assert score == pytest.approx(
        -expected_calibration_error(y_test, cv_calibrated.predict_proba(X_test))
    )


# --------------------------------------------------------------------------
# Input validation


GOOD_Y = np.array([0, 1, 1])
GOOD_P = np.array([[0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
@pytest.mark.parametrize(
    "y_true, y_prob, kwargs, match",
    [
        (GOOD_Y, [[0.6, 0.4], [np.nan, 0.7], [0.2, 0.8]], {}, "y_prob contains NaN"),
        (GOOD_Y, [0.1, np.inf, 0.3], {}, "y_prob contains infinity"),
        (GOOD_Y, [0.1, 1.2, 0.3], {}, r"outside \[0, 1\]"),
        (GOOD_Y, [[1.1, -0.1], [0.3, 0.7], [0.2, 0.8]], {}, r"outside \[0, 1\]"),
        (GOOD_Y, [[0.6, 0.3], [0.3, 0.7], [0.2, 0.8]], {}, "rows of y_prob must sum"),
        ([0, 1], GOOD_P, {}, "inconsistent numbers of samples"),
        ([], np.empty((0, 2)), {}, "0 sample"),
        ([], [], {}, "0 sample"),
        (GOOD_Y, GOOD_P, {"n_bins": 0}, "n_bins"),
        (GOOD_Y, GOOD_P, {"n_bins": 1.5}, "n_bins"),
        (GOOD_Y, GOOD_P, {"strategy": "kmeans"}, "strategy"),
        (GOOD_Y, GOOD_P, {"labels": [0, 1, 2]}, "labels has 3 entries but y_prob"),
        (GOOD_Y, GOOD_P, {"labels": [1, 1]}, "labels must be unique"),
        (GOOD_Y, GOOD_P, {"labels": [1, 2]}, r"y_true contains labels \[0\]"),
        ([0, 1, 2], GOOD_P, {}, "3 distinct labels but y_prob has 2 columns"),
        (
            ["a", "b", "a"],
            [[0.5, 0.3, 0.2]] * 3,
            {},
            "2 distinct labels but y_prob has 3 columns.*pass labels",
        ),
        ([0, 1, 2], [0.1, 0.5, 0.9], {}, "binary problem.*3 distinct labels"),
        (["a", "a", "a"], [0.1, 0.5, 0.9], {}, "ambiguous; pass labels"),
        (GOOD_Y, [[1.0], [1.0], [1.0]], {}, "single column"),
        (GOOD_Y, np.full((3, 2, 1), 0.5), {}, "dim 3"),
    ],
)
def test_invalid_inputs(func, y_true, y_prob, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(y_true, y_prob, **kwargs)


@pytest.mark.parametrize("kwargs", [{"n_bins": 0}, {"strategy": "kmeans"}])
def test_make_ece_scorer_invalid(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        make_ece_scorer(**kwargs)


def test_row_sum_tolerance():
    # float32-level rounding in the row sums is accepted.
    y_prob = np.array([[0.6, 0.4 + 5e-5], [0.3, 0.7]])
    assert expected_calibration_error([0, 1], y_prob) >= 0


# --------------------------------------------------------------------------
# Packaging


def test_import_does_not_load_torch_or_skorch():
    code = (
        "import sys, sk_ebm.metrics; "
        "loaded = [m for m in ('torch', 'skorch') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_api():
    import sk_ebm.metrics

    assert sorted(sk_ebm.metrics.__all__) == [
        "crps",
        "crps_scorer",
        "ece_scorer",
        "expected_calibration_error",
        "fpr_at_tpr",
        "gaussian_crps",
        "interval_coverage",
        "log_likelihood_scorer",
        "make_crps_scorer",
        "make_ece_scorer",
        "make_interval_scorer",
        "make_ood_scorer",
        "make_pinball_scorer",
        "maximum_calibration_error",
        "mean_interval_width",
        "ood_aupr_in",
        "ood_aupr_out",
        "ood_auroc",
        "ood_report",
        "pinball_loss",
        "reliability_diagram_bins",
    ]
