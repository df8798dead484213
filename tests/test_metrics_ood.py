"""Tests for sk_ebm.metrics: out-of-distribution detection metrics and scorer."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, check_scoring, roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sk_ebm.metrics
from sk_ebm.metrics import (
    fpr_at_tpr,
    make_ood_scorer,
    ood_aupr_in,
    ood_aupr_out,
    ood_auroc,
    ood_report,
)
from sk_ebm.metrics._scorers import _ordinal_scores

SCORE_METRICS = [ood_auroc, ood_aupr_in, ood_aupr_out, fpr_at_tpr]
ALL_FUNCTIONS = [*SCORE_METRICS, ood_report]


def _pairwise_auroc(scores_in, scores_out):
    """AUROC by counting the pairs (in, out), ties counting one half."""
    s = np.asarray(scores_in, dtype=float)[:, None]
    o = np.asarray(scores_out, dtype=float)[None, :]
    return float(np.mean(s > o) + 0.5 * np.mean(s == o))


def _step_average_precision(scores_pos, scores_neg):
    """Average precision of the positives, one step per distinct threshold."""
    scores_pos = np.asarray(scores_pos, dtype=float)
    scores_neg = np.asarray(scores_neg, dtype=float)
    thresholds = np.unique(np.concatenate([scores_pos, scores_neg]))[::-1]
    ap, previous_recall = 0.0, 0.0
    for t in thresholds:
        tp = np.sum(scores_pos >= t)
        fp = np.sum(scores_neg >= t)
        recall = tp / scores_pos.shape[0]
        ap += (recall - previous_recall) * tp / (tp + fp)
        previous_recall = recall
    return ap


def _closed_form_fpr(scores_in, scores_out, k):
    """FPR at the threshold of the k-th largest in-distribution score."""
    threshold = np.sort(scores_in)[::-1][k - 1]
    return float(np.mean(np.asarray(scores_out) >= threshold))


# --------------------------------------------------------------------------
# Hand-computed values


def test_hand_computed_auroc():
    # Pairs (in, out): 3>0, 3>2.5, 2>0, 2<2.5, 1>0, 1<2.5 -> 4 of 6.
    assert ood_auroc([3, 2, 1], [0, 2.5]) == pytest.approx(4 / 6)
    # Same with a tie at 2: 3>0, 3>2, 2>0, 2=2 (1/2), 1>0, 1<2 -> 4.5 of 6.
    assert ood_auroc([3, 2, 1], [0, 2]) == pytest.approx(4.5 / 6)
    # (2, 2) tie, 2>0, 1<2, 1>0 -> 2.5 of 4.
    assert ood_auroc([2, 1], [2, 0]) == pytest.approx(0.625)


def test_hand_computed_aupr():
    # In-distribution positive, scores 3(in) 2.5(out) 2(in) 1(in) 0(out):
    # threshold 3: R 1/3 P 1; 2.5: R 1/3 (no step); 2: R 2/3 P 2/3;
    # 1: R 1 P 3/4 -> AP = (1 + 2/3 + 3/4) / 3 = 29/36.
    assert ood_aupr_in([3, 2, 1], [0, 2.5]) == pytest.approx(29 / 36)
    # OOD positive, from the lowest score: 0(out) R 1/2 P 1; 1, 2 (in): no
    # step; 2.5(out): R 1 P 2/4 -> AP = 1/2 + 1/2 * 1/2 = 3/4.
    assert ood_aupr_out([3, 2, 1], [0, 2.5]) == pytest.approx(3 / 4)

    # A tie between classes is a single threshold. In positive, scores
    # {2(in), 2(out)}, 1(in), 0(out): threshold 2: R 1/2 P 1/2;
    # threshold 1: R 1 P 2/3 -> AP = 1/4 + 1/3 = 7/12.
    assert ood_aupr_in([2, 1], [2, 0]) == pytest.approx(7 / 12)
    # OOD positive: 0(out) R 1/2 P 1; 1(in) no step; {2, 2}: R 1 P 2/4.
    assert ood_aupr_out([2, 1], [2, 0]) == pytest.approx(3 / 4)


def test_hand_computed_fpr_at_tpr():
    scores_in, scores_out = [4, 3, 2, 1], [0, 1.5, 2.5, 3.5]
    # tpr -> k = ceil(4 * tpr) in-rows kept -> threshold -> outliers accepted.
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.25) == 0.0  # t=4: none
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.26) == 0.25  # t=3: 3.5
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.5) == 0.25  # t=3: 3.5
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.75) == 0.5  # t=2: 2.5, 3.5
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.95) == 0.75  # t=1: 3 of 4
    assert fpr_at_tpr(scores_in, scores_out, tpr=1.0) == 0.75


def test_fpr_at_tpr_tie_at_threshold_is_accepted():
    # Keeping 2 of 3 in-rows needs t = 2; the outlier at exactly 2 cannot be
    # separated from the in-row at 2, so it counts as a false positive.
    scores_in, scores_out = [3, 2, 1], [0, 2]
    assert fpr_at_tpr(scores_in, scores_out, tpr=1 / 3) == 0.0
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.5) == 0.5
    assert fpr_at_tpr(scores_in, scores_out, tpr=2 / 3) == 0.5
    # An outlier just below the threshold is rejected.
    assert fpr_at_tpr(scores_in, [0, np.nextafter(2, 0)], tpr=2 / 3) == 0.0
    # Ties within the in-distribution rows: t = 2 keeps 3 of 4 at once.
    assert fpr_at_tpr([3, 2, 2, 1], [2.5], tpr=0.5) == 1.0
    assert fpr_at_tpr([3, 2, 2, 1], [2.5], tpr=0.25) == 0.0


def test_fpr_at_tpr_rounding_of_tpr():
    # 0.1 * 7 = 0.7000000000000001 means 7 of 10 in-rows (threshold 4, the
    # outlier at 3.5 rejected), not 8 of 10 (threshold 3, accepted).
    scores_in = np.arange(10, 0, -1)
    assert 0.1 * 7 > 0.7
    assert fpr_at_tpr(scores_in, [3.5], tpr=0.1 * 7) == 0.0
    assert fpr_at_tpr(scores_in, [3.5], tpr=0.7) == 0.0
    assert fpr_at_tpr(scores_in, [3.5], tpr=0.71) == 1.0


def test_all_tied():
    scores_in, scores_out = [1, 1, 1], [1, 1]
    assert ood_auroc(scores_in, scores_out) == 0.5
    assert ood_aupr_in(scores_in, scores_out) == pytest.approx(3 / 5)
    assert ood_aupr_out(scores_in, scores_out) == pytest.approx(2 / 5)
    assert fpr_at_tpr(scores_in, scores_out, tpr=0.01) == 1.0


def test_perfect_and_reversed_separation():
    scores_in, scores_out = [5.0, 6.0, 7.0], [1.0, 2.0]
    report = ood_report(scores_in, scores_out, tpr=1.0)
    assert report == {"auroc": 1.0, "aupr_in": 1.0, "aupr_out": 1.0, "fpr_at_tpr": 0}
    for tpr in (0.01, 0.5, 0.95, 1.0):
        assert fpr_at_tpr(scores_in, scores_out, tpr=tpr) == 0.0
        # Reversed: every threshold that keeps an in-row accepts every outlier.
        assert fpr_at_tpr(scores_out, scores_in, tpr=tpr) == 1.0
    assert ood_auroc(scores_out, scores_in) == 0.0


def test_returns_python_float():
    for func in SCORE_METRICS:
        assert type(func([3, 2, 1], [0, 2])) is float
    report = ood_report([3, 2, 1], [0, 2])
    assert sorted(report) == ["aupr_in", "aupr_out", "auroc", "fpr_at_tpr"]
    assert all(type(value) is float for value in report.values())


def test_input_types():
    # Lists, integer, boolean and float32 arrays give the same values.
    expected = ood_report([1.0, 1.0, 0.0], [0.0, 1.0])
    for scores_in, scores_out in [
        ([1, 1, 0], [0, 1]),
        (np.array([True, True, False]), np.array([False, True])),
        (np.array([1, 1, 0], dtype=np.float32), np.array([0, 1], dtype=np.int8)),
        (np.array([1, 1, 0]), (0, 1)),
    ]:
        assert ood_report(scores_in, scores_out) == expected


# --------------------------------------------------------------------------
# Cross-checks against scikit-learn


def test_matches_sklearn_with_labels():
    rng = np.random.default_rng(0)
    scores_in = rng.normal(1.0, size=80)
    scores_out = rng.normal(size=50)
    y = np.r_[np.ones(80), np.zeros(50)]
    s = np.r_[scores_in, scores_out]
    assert ood_auroc(scores_in, scores_out) == pytest.approx(roc_auc_score(y, s))
    assert ood_aupr_in(scores_in, scores_out) == pytest.approx(
        average_precision_score(y, s)
    )
    assert ood_aupr_out(scores_in, scores_out) == pytest.approx(
        average_precision_score(1 - y, -s)
    )
    # Labels of another form, and the outlier class as sklearn's positive.
    labels = np.where(y == 1, "in", "out")
    assert ood_auroc(scores_in, scores_out) == pytest.approx(
        1 - roc_auc_score(labels, s)
    )


# --------------------------------------------------------------------------
# Properties


def _scores(min_size=1):
    # Small integers, so that ties are frequent and transforms stay exact.
    return hnp.arrays(
        np.int64,
        st.integers(min_size, 25),
        elements=st.integers(-6, 6),
    )


@settings(max_examples=25, deadline=None)
@given(
    scores_in=_scores(),
    scores_out=_scores(),
    per_mille=st.integers(1, 1000),
    seed=st.integers(0, 2**32 - 1),
)
def test_properties(scores_in, scores_out, per_mille, seed):
    tpr = per_mille / 1000
    report = ood_report(scores_in, scores_out, tpr=tpr)
    assert report.auroc == pytest.approx(_pairwise_auroc(scores_in, scores_out))
    assert report.aupr_in == pytest.approx(
        _step_average_precision(scores_in, scores_out)
    )
    assert report.aupr_out == pytest.approx(
        _step_average_precision(-scores_out, -scores_in)
    )
    k = -(-per_mille * scores_in.shape[0] // 1000)  # ceil, in exact integers
    assert report.fpr_at_tpr == _closed_form_fpr(scores_in, scores_out, k)
    assert report == {
        "auroc": ood_auroc(scores_in, scores_out),
        "aupr_in": ood_aupr_in(scores_in, scores_out),
        "aupr_out": ood_aupr_out(scores_in, scores_out),
        "fpr_at_tpr": fpr_at_tpr(scores_in, scores_out, tpr=tpr),
    }
    for value in report.values():
        assert 0.0 <= value <= 1.0

    # Swapping the classes and negating the scores swaps AUPR-In and -Out
    # and leaves the AUROC unchanged; swapping alone gives 1 - AUROC.
    assert ood_aupr_out(scores_in, scores_out) == pytest.approx(
        ood_aupr_in(-scores_out, -scores_in)
    )
    assert ood_aupr_in(scores_in, scores_out) == pytest.approx(
        ood_aupr_out(-scores_out, -scores_in)
    )
    assert ood_auroc(-scores_out, -scores_in) == pytest.approx(report.auroc)
    assert ood_auroc(scores_out, scores_in) == pytest.approx(1 - report.auroc)

    # Invariant to strictly increasing transforms and to permutations.
    for transform in (np.exp, lambda s: 3.0 * s**3 - 7.0):
        transformed = ood_report(transform(scores_in), transform(scores_out), tpr=tpr)
        assert transformed == pytest.approx(report)
    rng = np.random.default_rng(seed)
    permuted = ood_report(
        rng.permutation(scores_in), rng.permutation(scores_out), tpr=tpr
    )
    assert permuted == pytest.approx(report)

    # The FPR is non-decreasing in the TPR target.
    assert fpr_at_tpr(scores_in, scores_out, tpr=min(1.0, tpr + 0.1)) >= (
        report.fpr_at_tpr
    )


@settings(max_examples=30, deadline=None)
@given(
    scores_in=_scores(),
    scores_out=_scores(),
    tpr=st.floats(1e-6, 1.0, exclude_min=False),
)
def test_fpr_at_tpr_any_float_tpr(scores_in, scores_out, tpr):
    k = max(1, int(np.ceil(Fraction(tpr) * scores_in.shape[0] - Fraction(1, 10**9))))
    assert fpr_at_tpr(scores_in, scores_out, tpr=tpr) == _closed_form_fpr(
        scores_in, scores_out, k
    )


# --------------------------------------------------------------------------
# Input validation


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
@pytest.mark.parametrize(
    "scores_in, scores_out, match",
    [
        ([1.0, np.nan], [0.0], "scores_in contains NaN"),
        ([1.0, 2.0], [0.0, np.nan], "scores_out contains NaN"),
        ([1.0, np.inf], [0.0], "scores_in contains infinity"),
        ([1.0, 2.0], [-np.inf], "scores_out contains infinity"),
        ([], [0.0], "0 sample"),
        ([1.0], np.array([]), "0 sample"),
        ([[1.0, 2.0], [3.0, 4.0]], [0.0], r"scores_in must be a 1-D.*\(2, 2\)"),
        ([1.0], [[0.0], [1.0]], r"scores_out must be a 1-D.*\(2, 1\)"),
        (np.array(1.0), [0.0], r"scores_in must be a 1-D.*shape \(\)"),
        (1.0, [0.0], "'scores_in' parameter .* must be an array-like"),
        ("abc", [0.0], "'scores_in' parameter .* must be an array-like"),
        (["a", "b"], [0.0], "not compatible with arrays of bytes/strings"),
        ([1.0], ["1.0"], "not compatible with arrays of bytes/strings"),
        ([1.0, 2.0j], [0.0], "Complex data not supported"),
    ],
)
def test_invalid_scores(func, scores_in, scores_out, match):
    with pytest.raises(ValueError, match=match):
        func(scores_in, scores_out)


@pytest.mark.parametrize("func", [fpr_at_tpr, ood_report])
@pytest.mark.parametrize("tpr", [0, 0.0, -0.1, 1.5, np.nan, "0.95"])
def test_invalid_tpr(func, tpr):
    with pytest.raises(ValueError, match=r"'tpr' parameter .* range \(0.0, 1.0\]"):
        func([1.0, 2.0], [0.0], tpr=tpr)


# --------------------------------------------------------------------------
# Scorer


@pytest.fixture(scope="module")
def blobs():
    """Inliers on two blobs; outliers in the gap, where a wide kernel peaks."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2)) + rng.choice([-2.0, 2.0], size=(150, 1))
    X_out = rng.normal(scale=0.5, size=(60, 2))
    return X, X_out


@pytest.fixture(scope="module")
def far_outliers():
    """Standard Gaussian inliers and uniform outliers far from them."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    X_out = rng.uniform(6.0, 8.0, size=(40, 2)) * rng.choice([-1, 1], size=(40, 2))
    return X, X_out


@pytest.mark.parametrize(
    "metric, func",
    [("auroc", ood_auroc), ("aupr_in", ood_aupr_in), ("aupr_out", ood_aupr_out)],
)
def test_scorer_on_fitted_estimator(metric, func, blobs):
    X, X_out = blobs
    gmm = GaussianMixture(n_components=2, random_state=0).fit(X)
    scorer = make_ood_scorer(X_out, metric=metric)
    expected = func(gmm.score_samples(X), gmm.score_samples(X_out))
    assert scorer(gmm, X) == pytest.approx(expected)
    # y is ignored.
    assert scorer(gmm, X, np.zeros(X.shape[0])) == scorer(gmm, X)
    assert type(scorer(gmm, X)) is float


@pytest.mark.parametrize("tpr", [0.8, 0.95])
def test_fpr_scorer_is_negated(tpr, blobs):
    X, X_out = blobs
    gmm = GaussianMixture(n_components=2, random_state=0).fit(X)
    fpr = fpr_at_tpr(gmm.score_samples(X), gmm.score_samples(X_out), tpr=tpr)
    assert 0 < fpr < 1
    assert make_ood_scorer(X_out, metric="fpr", tpr=tpr)(gmm, X) == -fpr


def test_fpr_scorer_perfect_detector_is_zero(far_outliers):
    X, X_out = far_outliers
    score = make_ood_scorer(X_out, metric="fpr")(KernelDensity().fit(X), X)
    assert score == 0.0
    assert str(score) == "0.0"  # not -0.0


def test_scorer_repr():
    X_out = np.zeros((7, 3))
    assert repr(make_ood_scorer(X_out)) == (
        "make_ood_scorer(<X_out of shape (7, 3)>, metric='auroc')"
    )
    assert repr(make_ood_scorer(X_out, metric="fpr", tpr=0.9)) == (
        "make_ood_scorer(<X_out of shape (7, 3)>, metric='fpr', tpr=0.9)"
    )


def test_scorer_pickle_round_trip(blobs):
    X, X_out = blobs
    scorer = make_ood_scorer(X_out, metric="fpr", tpr=0.8)
    restored = pickle.loads(pickle.dumps(scorer))
    assert repr(restored) == repr(scorer)
    np.testing.assert_array_equal(restored.X_out, scorer.X_out)
    kde = KernelDensity(bandwidth=0.5).fit(X)
    assert restored(kde, X) == scorer(kde, X)


def test_scorer_with_infinite_scores(blobs):
    # A tophat kernel gives -inf outside its support, to inliers and outliers
    # alike; the scorer ranks them last, tied, as a finite stand-in would.
    X, X_out = blobs
    kde = KernelDensity(kernel="tophat", bandwidth=0.4).fit(X[:100])
    scores_in = kde.score_samples(X[100:])
    scores_out = kde.score_samples(X_out)
    assert np.isneginf(scores_in).any() and np.isneginf(scores_out).any()
    assert np.isfinite(scores_in).any() and np.isfinite(scores_out).any()
    scores = np.concatenate([scores_in, scores_out])
    floor = scores[np.isfinite(scores)].min() - 1.0
    for metric, func in [("auroc", ood_auroc), ("aupr_out", ood_aupr_out)]:
        expected = func(
            np.where(np.isneginf(scores_in), floor, scores_in),
            np.where(np.isneginf(scores_out), floor, scores_out),
        )
        assert make_ood_scorer(X_out, metric=metric)(kde, X[100:]) == (
            pytest.approx(expected)
        )
    # The metrics themselves reject infinite scores.
    with pytest.raises(ValueError, match="scores_in contains infinity"):
        ood_auroc(scores_in, scores_out)


def test_ordinal_scores():
    scores_in, scores_out = _ordinal_scores([np.inf, 0.5, -np.inf], [-np.inf, 2.0])
    np.testing.assert_array_equal(scores_in, [3, 1, 0])
    np.testing.assert_array_equal(scores_out, [0, 2])
    # Finite scores pass through unchanged.
    scores_in, scores_out = _ordinal_scores([0.5, 0.25], [3.0])
    np.testing.assert_array_equal(scores_in, [0.5, 0.25])
    np.testing.assert_array_equal(scores_out, [3.0])


class _ConstantScores(BaseEstimator):
    """An estimator whose ``score_samples`` returns a fixed value."""

    def __init__(self, value=0.0, shape=None):
        self.value = value
        self.shape = shape

    def fit(self, X, y=None):
        return self

    def score_samples(self, X):
        shape = self.shape or (len(X),)
        return np.full(shape, self.value)


def test_scorer_bad_score_samples():
    X, X_out = np.zeros((4, 2)), np.ones((3, 2))
    scorer = make_ood_scorer(X_out)
    with pytest.raises(ValueError, match=r"score_samples\(X\) returned NaN"):
        scorer(_ConstantScores(np.nan), X)
    with pytest.raises(ValueError, match=r"score_samples\(X\) must return a 1-D"):
        scorer(_ConstantScores(shape=(4, 1)), X)
    assert scorer(_ConstantScores(-np.inf), X) == 0.5  # all tied
    assert scorer(_ConstantScores(1.0), X) == 0.5


def test_scorer_needs_score_samples(blobs):
    X, X_out = blobs
    y = (X[:, 0] > 0).astype(int)
    scorer = make_ood_scorer(X_out)
    with pytest.raises(AttributeError, match="StandardScaler has no score_samples"):
        scorer(StandardScaler().fit(X), X)
    # A Pipeline exposes score_samples only when its last step has it.
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(AttributeError, match="Pipeline has no score_samples"):
        scorer(pipe, X)


@pytest.mark.parametrize(
    "X_out, kwargs, match",
    [
        (np.zeros((3, 2)), {"metric": "auc"}, "'metric' parameter"),
        (np.zeros((3, 2)), {"tpr": 0.0}, "'tpr' parameter"),
        (np.zeros((3, 2)), {"tpr": 1.01}, "'tpr' parameter"),
        ([0.0, 1.0, 2.0], {}, "Expected 2D array, got 1D array"),
        ([[0.0, np.nan]], {}, "X_out contains NaN"),
        ([[0.0, np.inf]], {}, "X_out contains infinity"),
        (np.zeros((0, 2)), {}, "0 sample"),
        ([["a", "b"]], {}, "not compatible with arrays of bytes/strings"),
        ("X_out", {}, "'X_out' parameter .* must be an array-like"),
    ],
)
def test_make_ood_scorer_invalid(X_out, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_ood_scorer(X_out, **kwargs)


def test_scorer_in_grid_search(blobs):
    X, X_out = blobs
    bandwidths = [0.03, 0.3, 1.0, 10.0]
    scorer = make_ood_scorer(X_out)
    assert check_scoring(KernelDensity(), scoring=scorer) is scorer
    search = GridSearchCV(KernelDensity(), {"bandwidth": bandwidths}, scoring=scorer)
    search.fit(X)
    results = search.cv_results_
    # Recompute every split score by hand (cv=5 is KFold(5) without y).
    for i_split, (train, test) in enumerate(KFold(n_splits=5).split(X)):
        for i_param, bandwidth in enumerate(bandwidths):
            kde = KernelDensity(bandwidth=bandwidth).fit(X[train])
            expected = ood_auroc(kde.score_samples(X[test]), kde.score_samples(X_out))
            score = results[f"split{i_split}_test_score"][i_param]
            assert score == pytest.approx(expected)
    # A kernel wide enough to merge the blobs puts its mode on the outliers;
    # a narrow one memorises the training points. On these seeds the mean
    # AUROCs are about 0.79, 0.86, 0.88 and 0.02.
    assert search.best_params_["bandwidth"] in (0.3, 1.0)
    assert results["mean_test_score"][-1] < 0.5
    assert results["mean_test_score"][0] < search.best_score_
    assert search.best_score_ > 0.8


def test_scorer_multimetric_parallel(blobs):
    X, X_out = blobs
    grid = {"bandwidth": [0.1, 1.0, 10.0]}
    scoring = {
        "auroc": make_ood_scorer(X_out),
        "fpr": make_ood_scorer(X_out, metric="fpr"),
        "aupr_out": make_ood_scorer(X_out, metric="aupr_out"),
    }
    results = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(
            KernelDensity(), grid, scoring=scoring, refit="fpr", cv=3, n_jobs=n_jobs
        )
        search.fit(X)
        results[n_jobs] = search.cv_results_
        assert search.best_index_ == np.argmin(search.cv_results_["rank_test_fpr"])
        assert hasattr(search, "best_estimator_")
    for key in ("auroc", "fpr", "aupr_out"):
        np.testing.assert_array_equal(
            results[1][f"mean_test_{key}"], results[2][f"mean_test_{key}"]
        )
    assert np.all(results[1]["mean_test_fpr"] <= 0)
    assert np.all(results[1]["mean_test_fpr"] >= -1)

    # The same scorer alone gives the same split scores.
    single = GridSearchCV(KernelDensity(), grid, scoring=scoring["auroc"], cv=3)
    single.fit(X)
    np.testing.assert_allclose(
        single.cv_results_["mean_test_score"], results[1]["mean_test_auroc"]
    )


def test_scorer_isolation_forest(far_outliers):
    X, X_out = far_outliers
    forest = IsolationForest(n_estimators=30, random_state=0)
    auroc = cross_val_score(forest, X, cv=3, scoring=make_ood_scorer(X_out))
    assert np.all(auroc > 0.95)
    fpr = cross_val_score(
        forest, X, cv=3, scoring=make_ood_scorer(X_out, metric="fpr", tpr=0.9)
    )
    assert np.all((fpr <= 0) & (fpr >= -0.1))
    search = GridSearchCV(
        forest, {"max_samples": [16, 64]}, scoring=make_ood_scorer(X_out), cv=3
    ).fit(X)
    assert search.best_score_ > 0.95


def test_scorer_pipeline(blobs):
    X, X_out = blobs
    pipe = make_pipeline(StandardScaler(), GaussianMixture(random_state=0))
    search = GridSearchCV(
        pipe,
        {"gaussianmixture__n_components": [1, 2]},
        scoring=make_ood_scorer(X_out),
        cv=3,
    ).fit(X)
    # One Gaussian over both blobs peaks in the gap, on the outliers.
    assert search.best_params_ == {"gaussianmixture__n_components": 2}
    results = search.cv_results_["mean_test_score"]
    assert results[0] < 0.5 < results[1]
    best = search.best_estimator_
    assert make_ood_scorer(X_out)(best, X) == pytest.approx(
        ood_auroc(best.score_samples(X), best.score_samples(X_out))
    )


# --------------------------------------------------------------------------
# Packaging


def test_public_api():
    names = ["fpr_at_tpr", "make_ood_scorer", "ood_aupr_in", "ood_aupr_out"]
    names += ["ood_auroc", "ood_report"]
    for name in names:
        assert name in sk_ebm.metrics.__all__
        assert getattr(sk_ebm.metrics, name).__doc__
