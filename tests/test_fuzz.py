"""Hostile input to every public method of every estimator, driven by hypothesis.

Each estimator is fitted once per module on a few rows with tiny settings; the
tests then draw inputs. Invalid input must raise a ValueError (NotFittedError
before fit) whose message names the problem, never a torch error or a NaN
result; valid input, whatever its form (lists, integers, booleans, float32,
Fortran order, strided views, magnitudes up to float32's largest), must give
finite outputs of the right shape.
"""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from conftest import fast
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    EnergyRegressor,
    NCEDensityEstimator,
    OODDetector,
)

pytestmark = pytest.mark.usefixtures("single_thread")

N_FEATURES = 3
CLASSES = np.array([0, 1, 2])
FLOAT32_MAX = float(np.finfo(np.float32).max)
# Deterministic draws and no example database on disk: the same examples on
# every run.
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None)
FEW = settings(FUZZ, max_examples=6)

# Inference methods of each fitted estimator (fixture name) and their output
# shapes for n rows.
METHODS = {
    "classifier": {
        "predict": lambda n: (n,),
        "predict_proba": lambda n: (n, len(CLASSES)),
        "predict_log_proba": lambda n: (n, len(CLASSES)),
        "decision_function": lambda n: (n, len(CLASSES)),
        "score_samples": lambda n: (n,),
        "score": lambda n: (),
    },
    "density": {"score_samples": lambda n: (n,), "score": lambda n: ()},
    "nce": {"score_samples": lambda n: (n,), "score": lambda n: ()},
    "ood": {
        "predict": lambda n: (n,),
        "decision_function": lambda n: (n,),
        "score_samples": lambda n: (n,),
    },
    "regressor": {
        "predict": lambda n: (n,),
        "predict_quantiles": lambda n: (n, 3),
        "predict_interval": lambda n: (n, 2),
        "log_likelihood": lambda n: (n,),
        "score": lambda n: (),
    },
    "ood_grad_norm": {
        "predict": lambda n: (n,),
        "decision_function": lambda n: (n,),
        "score_samples": lambda n: (n,),
    },
}
CASES = [(name, method) for name, methods in METHODS.items() for method in methods]


@pytest.fixture(scope="module")
def train():
    return make_blobs(60, n_features=N_FEATURES, centers=3, random_state=0)


@pytest.fixture(scope="module")
def fitted(train):
    X, y = train
    return {
        "classifier": fast(EnergyClassifier).fit(X, y),
        "density": fast(EnergyDensityEstimator).fit(X),
        "nce": fast(NCEDensityEstimator).fit(X),
        "ood": fast(OODDetector).fit(X),
        "regressor": fast(EnergyRegressor).fit(X, X[:, 0] * y),
        "ood_grad_norm": fast(
            OODDetector, estimator=fast(EnergyClassifier), method="grad_norm"
        ).fit(X, y),
    }


def n_rows(X):
    """Rows of ``X`` as an estimator would count them, 1 for a scalar."""
    if isinstance(X, list):
        return len(X)
    return X.shape[0] if getattr(X, "ndim", 0) else 1


def call(estimator, method, X):
    """``estimator.method(X)``; ``score`` of the classifier gets labels too,
    the regressor's ``score`` and ``log_likelihood`` targets."""
    if method == "score" and isinstance(estimator, EnergyClassifier):
        return estimator.score(X, np.arange(n_rows(X)) % 2)
    if method in ("score", "log_likelihood") and isinstance(estimator, EnergyRegressor):
        return getattr(estimator, method)(X, np.arange(n_rows(X)) % 3 - 1.0)
    return getattr(estimator, method)(X)


# -- strategies ----------------------------------------------------------------
def finite_arrays(n_rows=None, n_features=N_FEATURES, bound=1e6):
    """Float64 arrays of finite values, ``|x| <= bound``, of 1 to 20 rows unless
    ``n_rows`` (a strategy) says otherwise."""
    return hnp.arrays(
        np.float64,
        st.tuples(
            st.integers(1, 20) if n_rows is None else n_rows, st.just(n_features)
        ),
        elements=st.floats(-bound, bound, allow_nan=False),
    )


def _set_one(X, value, draw):
    X = X.astype(object) if isinstance(value, str) else X.copy()
    i = draw(st.integers(0, X.shape[0] - 1))
    j = draw(st.integers(0, X.shape[1] - 1))
    X[i, j] = value
    return X


@st.composite
def hostile_X(draw, *, wrong_width=True):
    """An invalid ``X`` and a regex its error message must match."""
    base = draw(finite_arrays(n_rows=st.integers(1, 5), bound=1e3))
    n = base.shape[0]
    kinds = [
        "nan",
        "inf",
        "float32 overflow",
        "no rows",
        "no columns",
        "1-D",
        "3-D",
        "scalar",
        "string",
        "object",
        "sparse",
        "ragged",
        "None in list",
        "complex",
    ] + ["wrong width"] * wrong_width
    kind = draw(st.sampled_from(kinds))
    if kind == "nan":
        return _set_one(base, np.nan, draw), "NaN"
    if kind == "inf":
        return _set_one(base, draw(st.sampled_from([np.inf, -np.inf])), draw), "inf"
    if kind == "float32 overflow":
        magnitude = draw(st.floats(3.5e38, 1e308))
        sign = draw(st.sampled_from([1.0, -1.0]))
        return _set_one(base, sign * magnitude, draw), "too large for float32"
    if kind == "no rows":
        return np.empty((0, N_FEATURES)), "0 sample"
    if kind == "no columns":
        return np.empty((n, 0)), "0 feature"
    if kind == "wrong width":
        width = draw(st.integers(1, 6).filter(lambda w: w != N_FEATURES))
        return np.zeros((n, width)), f"{width} features.*expecting {N_FEATURES}"
    if kind == "1-D":
        return base[0], "Expected 2D array"
    if kind == "3-D":
        return base[:, :, None], "dim 3"
    if kind == "scalar":
        return draw(st.sampled_from([1.0, None])), "Expected 2D array"
    if kind == "string":
        return _set_one(base, "a", draw).astype(str), "could not convert string"
    if kind == "object":
        return _set_one(base, "x", draw), "could not convert string"
    if kind == "sparse":
        container = draw(
            st.sampled_from([sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array])
        )
        return container(base), "sparse"
    if kind == "ragged":
        rows = [*base.tolist(), [0.0] * (N_FEATURES - 1)]
        return rows, "inhomogeneous"
    if kind == "None in list":
        rows = base.tolist()
        rows[draw(st.integers(0, n - 1))][0] = None
        return rows, "NaN"
    return base + 1j, "Complex"


@st.composite
def valid_forms(draw):
    """Valid ``X`` in another form than a float64 C-ordered array."""
    base = draw(finite_arrays(n_rows=st.integers(1, 10), bound=1e3))
    form = draw(
        st.sampled_from(
            ["list", "int", "bool", "float32", "fortran", "strided", "frame"]
        )
    )
    if form == "list":
        return base.tolist()
    if form == "int":
        return base.astype(np.int64)
    if form == "bool":
        return base > 0
    if form == "float32":
        return base.astype(np.float32)
    if form == "fortran":
        return np.asfortranarray(base)
    if form == "strided":
        return np.repeat(base, 2, axis=0)[::2]
    return pd.DataFrame(base)


# -- inference -----------------------------------------------------------------
@pytest.mark.parametrize("name, method", CASES)
@FUZZ
@given(data=hostile_X())
def test_hostile_X_raises_value_error(fitted, name, method, data):
    X, pattern = data
    with pytest.raises(ValueError, match=pattern):
        call(fitted[name], method, X)


def check_output(name, method, out, n):
    out = np.asarray(out)
    assert out.shape == METHODS[name][method](n)
    if name == "regressor" and method == "score" and n < 2:
        return  # R^2 of one row is undefined: NaN, as for every regressor
    if method == "predict" and name != "regressor":
        expected = CLASSES if name == "classifier" else [-1, 1]
        assert np.isin(out, expected).all()
    else:
        assert np.isfinite(out).all()
    if method == "predict_proba":
        np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-10)
        assert (out >= 0).all()


@pytest.mark.parametrize("name, method", CASES)
@FUZZ
@given(X=finite_arrays())
def test_finite_input_gives_finite_output(fitted, name, method, X):
    check_output(name, method, call(fitted[name], method, X), X.shape[0])


@pytest.mark.parametrize("name, method", CASES)
@FEW
@given(X=finite_arrays(n_rows=st.integers(1, 5), bound=FLOAT32_MAX))
def test_float32_range_gives_finite_output(fitted, name, method, X):
    """Values up to float32's largest, far outside the training data, are valid:
    the energy network must not overflow to NaN on them."""
    check_output(name, method, call(fitted[name], method, X), X.shape[0])


@pytest.mark.parametrize("name, method", CASES)
@FUZZ
@given(X=valid_forms())
def test_valid_forms_of_X(fitted, name, method, X):
    reference = np.asarray(X, dtype=np.float64)
    out = call(fitted[name], method, X)
    check_output(name, method, out, reference.shape[0])
    np.testing.assert_allclose(out, call(fitted[name], method, reference))


# -- fit -----------------------------------------------------------------------
CLASSES_BY_NAME = {
    "classifier": EnergyClassifier,
    "regressor": EnergyRegressor,
    "density": EnergyDensityEstimator,
    "nce": NCEDensityEstimator,
    "ood": OODDetector,  # over fast(EnergyDensityEstimator)
}


def score_rows(estimator, X, y):
    """Per-row scores: ``score_samples``, the regressor's ``log_likelihood``."""
    if isinstance(estimator, EnergyRegressor):
        return estimator.log_likelihood(X, y)
    return estimator.score_samples(X)


def fit(name, X, y):
    estimator = fast(CLASSES_BY_NAME[name])
    if name in ("classifier", "regressor"):
        return estimator.fit(X, y)
    return estimator.fit(X)


@pytest.mark.parametrize("name", CLASSES_BY_NAME)
@FUZZ
@given(data=hostile_X(wrong_width=False))
def test_fit_hostile_X_raises_value_error(name, data):
    X, pattern = data
    y = np.arange(n_rows(X)) % 2
    with pytest.raises(ValueError, match=pattern):
        fit(name, X, y)


@pytest.mark.parametrize("name", ["density", "nce", "ood"])
def test_fit_one_row_raises_value_error(name):
    with pytest.raises(ValueError, match="at least 2 samples"):
        fit(name, np.zeros((1, N_FEATURES)), None)


def test_ood_fit_predict_hostile_X():
    with pytest.raises(ValueError, match="NaN"):
        fast(OODDetector).fit_predict(np.array([[0.0, np.nan]] * 5))
    with pytest.raises(ValueError, match="sparse"):
        fast(OODDetector).fit_predict(sp.csr_matrix(np.eye(5)))


@pytest.mark.parametrize("name", CLASSES_BY_NAME)
@FEW
@given(
    X=finite_arrays(n_rows=st.integers(4, 30), n_features=2),
    y=st.lists(st.sampled_from([0, 1, -1]), min_size=30, max_size=30),
)
def test_fit_on_finite_data_gives_finite_scores(name, X, y):
    """Any finite data, duplicated rows and constant columns included, fits."""
    y = np.array(y[: len(X)])
    y[:2] = [0, 1]
    estimator = fit(name, X, y)
    scores = score_rows(estimator, X, y)
    assert scores.shape == (len(X),)
    assert np.isfinite(scores).all()


@st.composite
def awkward_shapes(draw):
    """Data that is legal but hard to model: a few informative columns, with
    heavy tails or ReLU-sparse (dead units), constant and duplicated columns,
    and optionally many more low-rank columns than rows."""
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    n_rows = draw(st.sampled_from([5, 12, 40, 300]))
    n_signal = draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["gaussian", "heavy", "relu"]))
    if kind == "heavy":
        signal = rng.standard_t(1.5, size=(n_rows, n_signal))
    elif kind == "relu":  # non-negative, some units dead on every row
        signal = np.maximum(rng.randn(n_rows, n_signal) - 0.5, 0.0)
    else:
        signal = rng.randn(n_rows, n_signal) * 10.0 ** rng.uniform(-3, 3, n_signal)
    columns = [signal]
    n_constant = draw(st.integers(0, 3))
    columns.append(np.tile(rng.randn(n_constant) * 100, (n_rows, 1)))
    duplicated = rng.randint(n_signal, size=draw(st.integers(0, 2)))
    columns.append(signal[:, duplicated] * rng.uniform(0.5, 2.0, len(duplicated)))
    if draw(st.booleans()):  # wider than tall, of low rank
        columns.append(signal @ rng.randn(n_signal, 2 * n_rows))
    X = np.concatenate(columns, axis=1)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return X[:, rng.permutation(X.shape[1])].astype(dtype)


@pytest.mark.parametrize("name", CLASSES_BY_NAME)
@FEW
@given(X=awkward_shapes())
def test_awkward_shapes_fit_with_finite_weights_and_scores(name, X):
    """Dead units, constant and duplicated columns, heavy tails, rows >>
    features and features >> rows: the defaults fit (issue 11), without a NaN
    weight, and score and sample finitely."""
    y = np.arange(len(X)) % 2
    estimator = fit(name, X, y)
    inner = getattr(estimator, "estimator_", estimator)
    for tensor in inner.net_.module_.state_dict().values():
        assert torch.isfinite(tensor).all()
    assert np.isfinite(score_rows(estimator, X, y)).all()
    if hasattr(estimator, "sample"):
        samples = estimator.sample(3, random_state=0)
        samples = samples[0] if isinstance(samples, tuple) else samples
        assert samples.shape == (3, X.shape[1]) and np.isfinite(samples).all()


def test_fit_float32_near_its_largest_value():
    """Bug: the mean and scale of float32 input were summed in float32 and
    overflowed to infinity, so that fit failed with a DivergenceError, a
    torch LinAlgError or a misleading "contains infinity" message."""
    X = np.random.RandomState(0).uniform(-1, 1, size=(40, 2)).astype(np.float32)
    X[:, 0] = X[:, 0] * 1e37 + np.float32(3e38)
    y = np.arange(40) % 2
    for name in CLASSES_BY_NAME:
        estimator = fit(name, X, y)
        assert np.isfinite(score_rows(estimator, X, y)).all()


@st.composite
def hostile_y(draw):
    """Labels for 20 rows that a classifier must refuse, and a regex of the
    error message."""
    kind = draw(
        st.sampled_from(
            [
                "single class",
                "single class and unlabelled",
                "only unlabelled",
                "length",
                "nan",
                "inf",
                "continuous",
                "2-D",
                "3-D",
                "mixed types",
                "None",
            ]
        )
    )
    label = draw(st.integers(0, 5))
    if kind == "single class":
        return np.full(20, label), "1 class"
    if kind == "single class and unlabelled":
        y = np.full(20, label)
        y[draw(st.lists(st.integers(0, 19), min_size=1, max_size=19))] = -1
        return y, "1 class"
    if kind == "only unlabelled":
        return np.full(20, draw(st.sampled_from([-1, -1.0]))), "only unlabelled"
    if kind == "length":
        length = draw(st.integers(0, 40).filter(lambda m: m != 20))
        return np.arange(length) % 2, "inconsistent numbers of samples"
    if kind in ("nan", "inf"):
        y = (np.arange(20) % 2).astype(float)
        y[draw(st.integers(0, 19))] = np.nan if kind == "nan" else np.inf
        return y, "NaN or infinity"
    if kind == "continuous":
        # At least one label with a fraction: a draw of 0.5s would make every
        # label 1.0, a single class.
        y = draw(
            finite_arrays(st.just(20), 1)
            .map(lambda a: a.ravel() + 0.5)
            .filter(lambda y: np.any(y % 1))
        )
        return y, "continuous"
    if kind == "2-D":
        return np.c_[np.arange(20) % 2, np.arange(20) % 3], "1d array"
    if kind == "3-D":
        return (np.arange(20) % 2).reshape(20, 1, 1), "dim 3"
    if kind == "mixed types":
        y = (np.arange(20) % 2).astype(object)
        y[draw(st.integers(0, 19))] = draw(st.sampled_from(["a", None, b"b"]))
        return y, "types"
    return None, "1d array"


@FUZZ
@given(data=hostile_y())
def test_classifier_fit_hostile_y_raises_value_error(train, data):
    y, pattern = data
    with pytest.raises(ValueError, match=pattern):
        fast(EnergyClassifier).fit(train[0][:20], y)


def test_classifier_fit_sparse_y_raises_like_scikit_learn(train):
    # scikit-learn's classifiers raise the same TypeError.
    X, y = train
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        fast(EnergyClassifier).fit(X, sp.csr_matrix(y[:, None]))


# -- sample --------------------------------------------------------------------
BAD_N_SAMPLES = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
    st.just(np.float64(2.0)),
    st.just(np.array([2])),
)


@pytest.mark.parametrize("name", ["classifier", "density", "nce"])
@FUZZ
@given(n_samples=BAD_N_SAMPLES)
def test_sample_bad_n_samples(fitted, name, n_samples):
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        fitted[name].sample(n_samples)


@pytest.mark.parametrize("name", ["classifier", "density", "nce"])
@FEW
@given(n_samples=st.sampled_from([1, 3, np.int64(2), np.int32(5)]))
def test_sample_is_finite(fitted, name, n_samples):
    X = fitted[name].sample(n_samples, random_state=0)
    assert X.shape == (n_samples, N_FEATURES)
    assert np.isfinite(X).all()


BAD_CLASS = st.one_of(
    st.integers().filter(lambda c: c not in CLASSES),
    st.floats().filter(lambda c: c not in CLASSES),
    st.text(max_size=3),
    st.just(np.float64(np.nan)),
)


@FUZZ
@given(
    y=st.one_of(
        BAD_CLASS,
        st.lists(st.sampled_from(CLASSES), min_size=1, max_size=5).filter(
            lambda y: len(y) not in (1, 3)
        ),
        st.lists(BAD_CLASS, min_size=3, max_size=3),
        st.just([[0], [1], [2]]),
        st.just(np.zeros((3, 1, 1))),
    )
)
def test_classifier_sample_bad_y(fitted, y):
    """Bug: a float label such as 1.5 was truncated to class 1; a string, NaN,
    a list of the wrong length or a 2-D array gave a cryptic numpy error."""
    with pytest.raises(ValueError, match=r"\by\b"):
        fitted["classifier"].sample(3, y=y)


@FEW
@given(
    y=st.one_of(
        st.sampled_from([0, 2, np.int64(1), 1.0, np.float32(2.0)]),
        st.lists(st.sampled_from([0, 1, 2]), min_size=3, max_size=3),
    )
)
def test_classifier_sample_valid_y(fitted, y):
    X = fitted["classifier"].sample(3, y=y, random_state=0)
    assert X.shape == (3, N_FEATURES)
    assert np.isfinite(X).all()


# -- unfitted ------------------------------------------------------------------
UNFITTED = [
    (cls, method)
    for cls, methods in [
        (
            EnergyClassifier,
            [
                "predict",
                "predict_proba",
                "predict_log_proba",
                "decision_function",
                "score_samples",
                "score",
                "sample",
            ],
        ),
        (EnergyDensityEstimator, ["score_samples", "score", "sample"]),
        (NCEDensityEstimator, ["score_samples", "score", "sample"]),
        (OODDetector, ["predict", "decision_function", "score_samples"]),
    ]
    for method in methods
]


@pytest.mark.parametrize(
    "cls, method",
    UNFITTED,
    ids=[f"{cls.__name__}-{m}" for cls, m in UNFITTED],
)
def test_unfitted_raises_not_fitted_error(cls, method):
    # A bare OODDetector(), as before: its default estimator is never fitted.
    estimator = OODDetector() if cls is OODDetector else fast(cls)
    X = np.zeros((2, N_FEATURES))
    args = (
        (2,)
        if method == "sample"
        else (X, np.array([0, 1]))
        if method == "score" and isinstance(estimator, EnergyClassifier)
        else (X,)
    )
    with pytest.raises(NotFittedError, match=re.escape(type(estimator).__name__)):
        getattr(estimator, method)(*args)
