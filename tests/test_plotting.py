"""The Displays of sk_ebm.plotting, tested on the Agg backend on what they drew:
the artists' data, the labels and the legend text, never pixels."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import fast
from scipy.stats import gaussian_kde
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_curve
from sklearn.neighbors import KernelDensity

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sk_ebm import (  # noqa: E402
    EnergyClassifier,
    EnergyDensityEstimator,
    EnergyRegressor,
    OODDetector,
)
from sk_ebm.adversarial import robustness_curve  # noqa: E402
from sk_ebm.metrics import (  # noqa: E402
    expected_calibration_error,
    maximum_calibration_error,
    ood_report,
    reliability_diagram_bins,
)
from sk_ebm.plotting import (  # noqa: E402
    ConditionalDensityDisplay,
    EnergyLandscapeDisplay,
    OODScoreDisplay,
    ReliabilityDisplay,
    RobustnessCurveDisplay,
    SampleGridDisplay,
    TrainingCurveDisplay,
)

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, n_features=2, centers=3, random_state=0)


@pytest.fixture(scope="module")
def density(blobs):
    return fast(EnergyDensityEstimator, max_epochs=4).fit(blobs[0])


@pytest.fixture(scope="module")
def classifier(blobs):
    return fast(EnergyClassifier).fit(*blobs)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def probabilities():
    rng = np.random.RandomState(0)
    y_proba = rng.dirichlet(np.ones(3) * 0.5, size=400)
    y_true = np.array([rng.choice(3, p=p) for p in y_proba])
    return y_true, y_proba


def test_imports_without_matplotlib_and_names_the_extra():
    """The package imports without matplotlib; drawing says what to install."""
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import sk_ebm.plotting as p\n"
        "try:\n"
        "    p.RobustnessCurveDisplay.from_curve({'eps': [0], 'accuracy': [1]})\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "sk_ebm[plot]" in out.stdout
    assert "RobustnessCurveDisplay.plot needs matplotlib" in out.stdout


# ReliabilityDisplay ---------------------------------------------------------


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_reliability_bars_are_the_metrics_bins(probabilities, strategy):
    y_true, y_proba = probabilities
    display = ReliabilityDisplay.from_predictions(
        y_true, y_proba, n_bins=8, strategy=strategy, name="model"
    )
    bins = reliability_diagram_bins(y_true, y_proba, n_bins=8, strategy=strategy)
    full = bins.count > 0
    np.testing.assert_array_equal(display.bin_edges, bins.bin_edges)
    heights = [bar.get_height() for bar in display.bars_]
    lefts = [bar.get_x() for bar in display.bars_]
    widths = [bar.get_width() for bar in display.bars_]
    np.testing.assert_allclose(heights, bins.accuracy[full])
    np.testing.assert_allclose(lefts, bins.bin_edges[:-1][full])
    np.testing.assert_allclose(widths, np.diff(bins.bin_edges)[full])
    # The gap bars reach from the accuracy to the mean confidence.
    tops = [bar.get_y() + bar.get_height() for bar in display.gap_bars_]
    np.testing.assert_allclose(tops, bins.confidence[full])
    ece = expected_calibration_error(y_true, y_proba, n_bins=8, strategy=strategy)
    mce = maximum_calibration_error(y_true, y_proba, n_bins=8, strategy=strategy)
    assert display.ece == pytest.approx(ece)
    assert display.mce == pytest.approx(mce)
    assert f"model (ECE {ece:.3f}, MCE {mce:.3f})" in legend_texts(display.ax_)
    np.testing.assert_array_equal(display.ref_line_.get_xydata(), [[0, 0], [1, 1]])
    assert display.ax_.get_xlabel().startswith("confidence")


def test_reliability_line_histogram_and_shared_axes(probabilities):
    y_true, y_proba = probabilities
    first = ReliabilityDisplay.from_predictions(
        y_true, y_proba, n_bins=5, kind="line", histogram=True, name="a"
    )
    bins = reliability_diagram_bins(y_true, y_proba, n_bins=5)
    full = bins.count > 0
    np.testing.assert_allclose(first.line_.get_xdata(), bins.confidence[full])
    np.testing.assert_allclose(first.line_.get_ydata(), bins.accuracy[full])
    shares = [bar.get_height() for bar in first.hist_bars_]
    np.testing.assert_allclose(shares, bins.count / bins.count.sum())
    assert first.ax_hist_.get_ylabel().startswith("share")
    second = ReliabilityDisplay.from_predictions(
        y_true,
        np.full_like(y_proba, 1 / 3),
        n_bins=5,
        kind="line",
        name="b",
        ax=first.ax_,
    )
    texts = legend_texts(second.ax_)
    assert texts.count("perfect calibration") == 1
    assert [t.split(" (")[0] for t in texts[1:]] == ["a", "b"]
    with pytest.raises(ValueError, match="kind must be one of"):
        first.plot(kind="pie")


def test_reliability_from_estimator_uses_classes(digits):
    X, y = digits
    labels = np.array(["zero", "one", "two"])[y]
    clf = LogisticRegression(max_iter=200).fit(X, labels)
    display = ReliabilityDisplay.from_estimator(clf, X, labels, n_bins=5)
    ece = expected_calibration_error(
        labels, clf.predict_proba(X), n_bins=5, labels=clf.classes_
    )
    assert display.ece == pytest.approx(ece)
    assert legend_texts(display.ax_)[1].startswith("LogisticRegression (ECE")
    with pytest.raises(TypeError, match="predict_proba"):
        ReliabilityDisplay.from_estimator(KernelDensity(), X, y)


# OODScoreDisplay --------------------------------------------------------------


@pytest.fixture(scope="module")
def scores():
    rng = np.random.RandomState(0)
    return rng.normal(size=300), {
        "near": rng.normal(-1, 1, size=200),
        "far": rng.normal(-4, 1, size=100),
    }


def test_ood_histograms_legend_and_threshold(scores):
    scores_in, scores_out = scores
    display = OODScoreDisplay.from_predictions(
        scores_in, scores_out, threshold=-1.5, range=None, bins=30
    )
    everything = np.concatenate([scores_in, *scores_out.values()])
    edges = np.linspace(everything.min(), everything.max(), 31)
    values, drawn_edges, _ = display.artist_in_.get_data()
    np.testing.assert_allclose(drawn_edges, edges)
    np.testing.assert_allclose(
        values, np.histogram(scores_in, bins=edges, density=True)[0]
    )
    for name, artist in display.artists_out_.items():
        np.testing.assert_allclose(
            artist.get_data()[0],
            np.histogram(scores_out[name], bins=edges, density=True)[0],
        )
    texts = legend_texts(display.ax_)
    for name in scores_out:
        report = ood_report(scores_in, scores_out[name])
        assert (
            f"{name}: AUROC {report.auroc:.3f}, FPR@95 {report.fpr_at_tpr:.3f}" in texts
        )
    assert texts[0] == "in-distribution" and texts[-1] == "threshold -1.5"
    np.testing.assert_array_equal(display.threshold_line_.get_xdata(), [-1.5, -1.5])
    assert "clipped" not in display.ax_.get_xlabel()


def test_ood_kde_roc_and_clipping(scores):
    scores_in, scores_out = scores
    display = OODScoreDisplay.from_predictions(
        scores_in, scores_out["far"], kind="kde", bins=64, roc=True, range=(-3, 3)
    )
    grid = np.linspace(-3, 3, 64)
    np.testing.assert_allclose(display.artist_in_.get_xdata(), grid)
    np.testing.assert_allclose(
        display.artist_in_.get_ydata(),
        gaussian_kde(np.clip(scores_in, -3, 3))(grid),
    )
    assert "clipped to the range" in display.ax_.get_xlabel()
    assert list(display.roc_lines_) == ["out-of-distribution"]
    y_true = np.r_[np.ones(300), np.zeros(100)]
    fpr, tpr, _ = roc_curve(y_true, np.r_[scores_in, scores_out["far"]])
    line = display.roc_lines_["out-of-distribution"]
    np.testing.assert_allclose(line.get_xdata(), fpr)
    np.testing.assert_allclose(line.get_ydata(), tpr)
    assert display.ax_roc_ is not display.ax_
    assert display.ax_roc_.get_xlabel().startswith("false-positive rate")
    # The "auto" range piles the far scores at the left edge.
    auto = OODScoreDisplay.from_predictions(scores_in, -1e6 + scores_in)
    low = np.percentile(scores_in, 5)
    assert auto.bin_edges_[0] == pytest.approx(low - (scores_in.max() - low))
    assert "clipped" in auto.ax_.get_xlabel()
    assert auto.ax_.get_yscale() == "linear"
    logged = OODScoreDisplay.from_predictions(scores_in, scores_out, log_scale=True)
    assert logged.ax_.get_yscale() == "log"


def test_ood_errors(scores):
    scores_in, scores_out = scores
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="pass roc_ax"):
        OODScoreDisplay.from_predictions(scores_in, scores_out, roc=True, ax=ax)
    with pytest.raises(ValueError, match="scores_in must be 1-D"):
        OODScoreDisplay.from_predictions(scores_in[:, None], scores_out)
    with pytest.raises(ValueError, match="kind must be one of"):
        OODScoreDisplay.from_predictions(scores_in, scores_out, kind="violin")
    with pytest.raises(ValueError, match="empty dict"):
        OODScoreDisplay.from_predictions(scores_in, {})
    with pytest.raises(TypeError, match="score_samples"):
        OODScoreDisplay.from_estimator(LogisticRegression(), [[0]], [[1]])


def test_ood_from_estimator_draws_offset(blobs):
    X, _ = blobs
    detector = OODDetector(fast(EnergyDensityEstimator)).fit(X)
    X_out = X + 8.0
    display = OODScoreDisplay.from_estimator(detector, X[:100], X_out)
    assert display.threshold == detector.offset_
    assert display.ax_.get_title() == "OODDetector"
    report = ood_report(detector.score_samples(X[:100]), detector.score_samples(X_out))
    assert display.reports["out-of-distribution"].auroc == report.auroc


# EnergyLandscapeDisplay -------------------------------------------------------


def test_landscape_is_the_models_density_on_the_grid(blobs):
    X, _ = blobs
    kde = KernelDensity(bandwidth=0.5).fit(X)
    display = EnergyLandscapeDisplay.from_estimator(
        kde,
        X,
        grid_resolution=20,
        eps=1.0,
        levels=4,
        show_data=True,
        n_samples=50,
        random_state=0,
    )
    assert display.xx0[0] == X[:, 0].min() - 1.0
    assert display.xx1[-1] == X[:, 1].max() + 1.0
    i, j = 3, 11
    expected = np.exp(kde.score_samples([[display.xx0[j], display.xx1[i]]]))[0]
    assert display.response[i, j] == pytest.approx(expected)
    np.testing.assert_allclose(
        display.surface_.get_array().ravel(), display.response.ravel()
    )
    assert display.data_scatter_.get_offsets().shape == (300, 2)
    assert display.samples_scatter_.get_offsets().shape == (50, 2)
    assert display.contour_ is not None
    assert display.ax_.get_xlabel() == "x0" and display.ax_.get_ylabel() == "x1"
    assert legend_texts(display.ax_) == ["data", "samples"]
    # The data are kept for a later plot, drawn only when asked.
    hidden = EnergyLandscapeDisplay.from_estimator(kde, X, grid_resolution=5)
    assert hidden.data_scatter_ is None and hidden.data.shape == (300, 2)
    shown = hidden.plot(show_data=True)
    assert shown.data_scatter_.get_offsets().shape == (300, 2)


def test_landscape_energy_of_two_features_rest_fixed(density, blobs):
    X3 = np.column_stack([blobs[0], blobs[0][:, 0] - blobs[0][:, 1]])
    est = fast(EnergyDensityEstimator).fit(X3)
    reference = np.array([0.5, -0.5, 2.0])
    display = EnergyLandscapeDisplay.from_estimator(
        est,
        X3,
        features=(2, 0),
        reference=reference,
        response_method="energy",
        grid_resolution=10,
        feature_names=["a", "b", "c"],
        plot_method="contourf",
    )
    row = reference.copy()
    row[2], row[0] = display.xx0[4], display.xx1[7]
    assert display.response[7, 4] == pytest.approx(est.energy(row[None])[0])
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("c", "a")
    assert display.colorbar_.ax.get_ylabel() == "energy E(x)"
    log_density = EnergyLandscapeDisplay.from_estimator(
        density, blobs[0], response_method="log_density", grid_resolution=10
    )
    assert log_density.response.max() < 0


def test_landscape_errors(blobs):
    X, _ = blobs
    kde = KernelDensity().fit(X)
    with pytest.raises(ValueError, match="two columns"):
        EnergyLandscapeDisplay.from_estimator(kde, X, features=(0,))
    with pytest.raises(ValueError, match="distinct"):
        EnergyLandscapeDisplay.from_estimator(kde, X, features=(1, -1))
    with pytest.raises(ValueError, match="index the 2 columns"):
        EnergyLandscapeDisplay.from_estimator(kde, X, features=(0, 2))
    with pytest.raises(TypeError, match="energy method"):
        EnergyLandscapeDisplay.from_estimator(kde, X, response_method="energy")
    with pytest.raises(ValueError, match="response_method must be"):
        EnergyLandscapeDisplay.from_estimator(kde, X, response_method="proba")
    with pytest.raises(ValueError, match="one row of 2 features"):
        EnergyLandscapeDisplay.from_estimator(kde, X, reference=[0, 0, 0])


# TrainingCurveDisplay ---------------------------------------------------------


def test_training_curves_of_a_density_estimator(density):
    display = TrainingCurveDisplay.from_estimator(density)
    history = density.net_.history
    valid = np.array(history[:, "valid_log_likelihood"])
    np.testing.assert_allclose(
        display.train_line_.get_ydata(), history[:, "train_log_likelihood"]
    )
    np.testing.assert_allclose(display.valid_line_.get_ydata(), valid)
    best = int(np.argmax(valid)) + 1
    assert display.best_epoch == best
    np.testing.assert_array_equal(display.best_line_.get_xdata(), [best, best])
    assert legend_texts(display.ax_) == ["train", "validation", f"best epoch ({best})"]
    assert display.ax_.get_ylabel().startswith("mean log-likelihood")
    assert display.ax_.get_title() == "EnergyDensityEstimator"
    # An OODDetector shows its inner estimator's curves.
    detector = OODDetector(fast(EnergyDensityEstimator)).fit([[0.0, 1], [1, 0]] * 20)
    inner = TrainingCurveDisplay.from_estimator(detector, metric="loss")
    assert inner.metric == "loss" and inner.ax_.get_ylabel() == "loss"


def test_training_curves_without_validation_and_with_loss(classifier):
    display = TrainingCurveDisplay.from_estimator(classifier)
    assert display.metric == "loss"
    assert display.valid_line_ is None and display.best_line_ is None
    np.testing.assert_allclose(
        display.train_line_.get_ydata(), classifier.net_.history[:, "train_loss"]
    )
    history = [{"train_loss": 3.0, "valid_loss": 2.0}, {"train_loss": 2.0}]
    partial = TrainingCurveDisplay.from_history(history)
    assert partial.best_epoch == 1 and np.isnan(partial.valid[1])
    with pytest.raises(ValueError, match="no 'train_log_likelihood' column"):
        TrainingCurveDisplay.from_history(history, metric="log_likelihood")
    with pytest.raises(ValueError, match="history is empty"):
        TrainingCurveDisplay.from_history([])
    with pytest.raises(TypeError, match="net_"):
        TrainingCurveDisplay.from_estimator(LogisticRegression())


# SampleGridDisplay ------------------------------------------------------------


def test_sample_grid_per_class(digits):
    X, y = digits
    clf = fast(EnergyClassifier).fit(X, y)
    display = SampleGridDisplay.from_estimator(
        clf, image_shape=(8, 8), n_samples=4, random_state=0, vmin=0, vmax=16
    )
    assert display.mosaic_.shape == (3 * 9 - 1, 4 * 9 - 1)
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == [
        "y = 0",
        "y = 1",
        "y = 2",
    ]
    np.testing.assert_array_equal(display.labels, np.repeat([0, 1, 2], 4))
    # The second image of class 1 sits in grid row 1, column 1.
    first = clf.sample(4, y=1, random_state=0)[1].reshape(8, 8)
    np.testing.assert_allclose(display.mosaic_[9:17, 9:17], first)
    assert display.image_.get_clim() == (0, 16)
    assert display.ax_.get_title() == "samples of EnergyClassifier"
    across = display.plot(classes_along="columns")
    assert across.mosaic_.shape == (4 * 9 - 1, 3 * 9 - 1)
    np.testing.assert_allclose(across.mosaic_[9:17, 9:17], first)
    assert [t.get_text() for t in across.ax_.get_xticklabels()] == ["0", "1", "2"]
    assert across.ax_.get_xlabel() == "y"
    with pytest.raises(ValueError, match="classes_along must be"):
        display.plot(classes_along="diagonal")


def test_sample_grid_of_a_density_and_errors(density):
    display = SampleGridDisplay.from_estimator(
        density, image_shape=(1, 2), n_samples=10, random_state=0
    )
    assert display.mosaic_.shape == (3 * 2 - 1, 4 * 3 - 1)  # 4 a row: ceil(sqrt(10))
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == []
    with pytest.raises(ValueError, match="image_shape must be"):
        SampleGridDisplay.from_samples(np.zeros((3, 10)), image_shape=(3, 3))
    with pytest.raises(ValueError, match="one entry per sample"):
        SampleGridDisplay.from_samples(
            np.zeros((3, 4)), image_shape=(2, 2), labels=[0, 1]
        )
    with pytest.raises(ValueError, match="classes applies to a classifier"):
        SampleGridDisplay.from_estimator(density, image_shape=(1, 2), classes=[0])
    rgb = SampleGridDisplay.from_samples(
        np.random.RandomState(0).rand(2, 12), image_shape=(2, 2, 3)
    )
    assert rgb.mosaic_.shape == (2, 5, 3) and rgb.mosaic_.max() <= 1


# RobustnessCurveDisplay -------------------------------------------------------


def test_robustness_curve_from_record_and_shared_axes():
    curve = {"eps": [0, 0.5, 1], "accuracy": [0.9, 0.5, 0.1], "std_error": [0.1] * 3}
    display = RobustnessCurveDisplay.from_curve(
        curve, norm="l2", name="a", n_std=2, chance_level=0.1
    )
    np.testing.assert_allclose(display.line_.get_xdata(), curve["eps"])
    np.testing.assert_allclose(display.line_.get_ydata(), curve["accuracy"])
    (bars,) = display.errorbar_.lines[2]
    segments = bars.get_segments()
    np.testing.assert_allclose(
        [s[:, 1] for s in segments], [[0.7, 1.1], [0.3, 0.7], [-0.1, 0.3]]
    )
    assert display.ax_.get_xlabel() == "attack radius eps (L2 ball)"
    assert display.ax_.get_ylabel() == "robust accuracy"
    other = RobustnessCurveDisplay.from_curve(
        {"eps": [0, 1], "accuracy": [0.9, 0.8]}, name="b", ax=display.ax_, color="k"
    )
    assert legend_texts(other.ax_) == ["chance", "a", "b"]
    assert other.line_.get_color() == "k"
    with pytest.raises(ValueError, match="lacks"):
        RobustnessCurveDisplay.from_curve({"eps": [0]})
    with pytest.raises(ValueError, match="one length"):
        RobustnessCurveDisplay.from_curve({"eps": [0, 1], "accuracy": [1]})


def test_robustness_curve_from_estimator(classifier, blobs):
    X, y = blobs[0][:60], blobs[1][:60]
    attack = dict(steps=3, random_state=0)
    display = RobustnessCurveDisplay.from_estimator(
        classifier, X, y, [0.0, 2.0], plot_kwargs={"marker": "s"}, **attack
    )
    curve = robustness_curve(classifier, X, y, [0.0, 2.0], **attack)
    np.testing.assert_allclose(display.accuracy, curve["accuracy"])
    np.testing.assert_allclose(display.std_error, curve["std_error"])
    assert display.accuracy[0] == classifier.score(X, y)
    assert display.line_.get_marker() == "s"
    assert display.ax_.get_xlabel() == "attack radius eps (L-inf ball)"
    assert legend_texts(display.ax_) == ["EnergyClassifier"]


# ConditionalDensityDisplay ----------------------------------------------------


@pytest.fixture(scope="module")
def regression():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.normal(size=200)
    return X, y


def test_conditional_density_of_a_regressor(regression):
    X, y = regression
    X1 = X[:, :1]
    reg = fast(EnergyRegressor).fit(X1, y)
    display = ConditionalDensityDisplay.from_estimator(
        reg, X1, y, grid_resolution=15, y_resolution=20
    )
    assert display.density.shape == (20, 15)
    x, t = display.x_grid[6], display.y_grid[11]
    expected = np.exp(reg.log_likelihood([[x]], [t]))[0]
    assert display.density[11, 6] == pytest.approx(expected)
    np.testing.assert_allclose(
        display.mesh_.get_array().ravel(), display.density.ravel()
    )
    interval = reg.predict_interval(display.x_grid[:, None], coverage=0.9)
    lower, upper = display.interval_lines_
    np.testing.assert_allclose(lower.get_ydata(), interval[:, 0])
    np.testing.assert_allclose(upper.get_ydata(), interval[:, 1])
    modes, _ = reg.predict_modes(display.x_grid[:, None], max_modes=3)
    offsets = display.modes_scatter_.get_offsets()
    assert len(offsets) == np.isfinite(modes).sum()
    assert display.data_scatter_.get_offsets().shape == (200, 2)
    assert legend_texts(display.ax_) == ["data", "modes (size: mass)", "90 % interval"]
    assert display.ax_.get_title() == "EnergyRegressor: p(y | x)"


def test_conditional_density_one_feature_rest_fixed(regression):
    X, y = regression
    reg = fast(EnergyRegressor).fit(X, y)
    display = ConditionalDensityDisplay.from_estimator(
        reg,
        X,
        feature=1,
        reference=[0.3, 0.0],
        grid_resolution=5,
        y_resolution=8,
        max_modes=0,
        coverage=None,
    )
    expected = np.exp(
        reg.log_likelihood([[0.3, display.x_grid[2]]], [display.y_grid[4]])
    )
    assert display.density[4, 2] == pytest.approx(expected[0])
    assert display.modes_scatter_ is None and display.interval_lines_ == []
    assert display.ax_.get_xlabel() == "x1" and display.ax_.get_legend() is None
    with pytest.raises(ValueError, match="coverage must be"):
        ConditionalDensityDisplay.from_estimator(reg, X, coverage=1.5)
    with pytest.raises(ValueError, match="rows but y has"):
        ConditionalDensityDisplay.from_estimator(reg, X, y[:5])
    with pytest.raises(TypeError, match="log_likelihood"):
        ConditionalDensityDisplay.from_estimator(KernelDensity(), X)
