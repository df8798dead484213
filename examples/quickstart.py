"""sk_ebm quickstart: an energy-based density on a 2-D toy, then a JEM classifier on
digits with its calibration and out-of-distribution detection.

Fits ``EnergyDensityEstimator()`` (defaults) to one of the toy distributions of
:mod:`sk_ebm.datasets`, prints its test log-likelihood next to two scikit-learn
baselines (``KernelDensity`` with the bandwidth chosen by 5-fold cross-validation,
``GaussianMixture`` with the number of components chosen by BIC), the annealed
importance sampling (AIS) estimate of log Z with its standard error and the fit
time, then saves a PNG with the learned density over the data, samples drawn
from it, the KDE's density and the train / validation log-likelihood curves.

Then fits ``EnergyClassifier()`` (JEM) and its softmax baseline
(``generative_weight=0``, same network and loop) on 1 000 digits, prints accuracy,
log-loss and expected calibration error, and the AUROC of detecting noise and
inverted digits as out-of-distribution (in-distribution = positive) with the
EBM's log p(x) against the baseline's maximum softmax probability. The PNG gets a
second row: both reliability diagrams, the log p(x) densities and
class-conditional samples. Every panel is a Display of :mod:`sk_ebm.plotting`.

Run::

    python examples/quickstart.py
    python examples/quickstart.py --toy checkerboard --output checkerboard.png
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: only write the PNG
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KernelDensity

from sk_ebm import EnergyClassifier, EnergyDensityEstimator
from sk_ebm.datasets import TOYS
from sk_ebm.metrics import expected_calibration_error, ood_auroc
from sk_ebm.plotting import (
    EnergyLandscapeDisplay,
    OODScoreDisplay,
    ReliabilityDisplay,
    SampleGridDisplay,
    TrainingCurveDisplay,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--output", default="sk_ebm_quickstart.png", help="path of the PNG to write"
    )
    parser.add_argument(
        "--toy", default="two_spirals", choices=list(TOYS), help="toy distribution"
    )
    parser.add_argument(
        "--n-samples", type=int, default=3000, help="training (and test) points"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    return parser.parse_args(argv)


def fit_kde(X):
    """KernelDensity with the bandwidth chosen by 5-fold cross-validation."""
    search = GridSearchCV(KernelDensity(), {"bandwidth": np.logspace(-2, 0, 20)}, cv=5)
    return search.fit(X).best_estimator_


def fit_gmm(X, seed):
    """GaussianMixture with the number of components (1, 4, ..., 40) by BIC."""
    candidates = [GaussianMixture(k, random_state=seed).fit(X) for k in range(1, 41, 3)]
    return min(candidates, key=lambda gmm: gmm.bic(X))


def timed(fit, *args):
    start = time.perf_counter()
    result = fit(*args)
    return result, time.perf_counter() - start


def run_density(args):
    """Fit the EBM and the baselines on ``args.toy``, print the comparison.

    Returns a dict with the data, the fitted models and the scores, for
    :func:`plot_density`.
    """
    make = TOYS[args.toy]
    X, _ = make(args.n_samples, random_state=args.seed)
    X_test, _ = make(args.n_samples, random_state=args.seed + 1)

    print(
        f"Density estimation on {args.toy!r}: {len(X)} training points, "
        f"{len(X_test)} test points from an independent draw (seed {args.seed + 1})"
    )
    ebm, ebm_time = timed(EnergyDensityEstimator(random_state=args.seed).fit, X)
    kde, kde_time = timed(fit_kde, X)
    gmm, gmm_time = timed(fit_gmm, X, args.seed)

    rows = {
        "EBM": ("EnergyDensityEstimator()", ebm, ebm_time),
        "KDE": (f"KernelDensity (bandwidth={kde.bandwidth:.3g})", kde, kde_time),
        "GMM": (f"GaussianMixture (n_components={gmm.n_components})", gmm, gmm_time),
    }
    print(f"\n{'model':40s} {'test log-lik':>12s} {'fit time':>9s}")
    scores = {}
    for key, (label, model, seconds) in rows.items():
        # score_samples is a normalised log-density (nats) for all three models.
        scores[key] = float(np.mean(model.score_samples(X_test)))
        print(f"{label:40s} {scores[key]:12.3f} {seconds:8.1f}s")
    print("(mean log-density of the test points in nats; higher is better)")

    history = ebm.net_.history
    valid = np.array(history[:, "valid_log_likelihood"])
    print(
        f"\nEBM: {len(history)} epochs, best validation log-likelihood at epoch "
        f"{int(np.argmax(valid)) + 1} (weights restored by early stopping)"
    )
    print(
        f"EBM: AIS log Z = {ebm.log_partition_:.4f} +/- {ebm.log_partition_std_:.4f}"
        " (standard error; in the data's units)"
    )
    return {
        "X": X,
        "X_test": X_test,
        "ebm": ebm,
        "kde": kde,
        "gmm": gmm,
        "test_log_likelihood": scores,
    }


def plot_density(result, axes, toy, seed):
    """EBM density with the data, with its samples, KDE's density, curves."""
    X, ebm = result["X"], result["ebm"]
    ax_data, ax_samples, ax_kde, ax_curves = axes
    landscape = EnergyLandscapeDisplay.from_estimator(
        ebm, X, n_samples=1000, random_state=seed, ax=ax_samples
    )
    ax_samples.set_title("EBM density and 1000 samples from sample()")
    landscape.plot(ax=ax_data, show_data=True, show_samples=False)
    ax_data.set_title(f"{toy}: EBM density, {len(X)} points")
    EnergyLandscapeDisplay.from_estimator(result["kde"], X, ax=ax_kde)
    ax_kde.set_title(f"KernelDensity (bandwidth={result['kde'].bandwidth:.3g})")
    for ax in (ax_data, ax_samples, ax_kde):
        ax.set_aspect("equal")

    curves = TrainingCurveDisplay.from_estimator(ebm, ax=ax_curves)
    scores = result["test_log_likelihood"]
    for key, color in (("EBM", "C4"), ("KDE", "C2"), ("GMM", "C3")):
        ax_curves.axhline(scores[key], color=color, linestyle=":", label=f"{key} test")
    curves.ax_.set_title("EBM training curves")
    curves.ax_.legend(fontsize="small", loc="lower right")


def run_classifier(args):
    """JEM on digits against its softmax baseline: accuracy, calibration, OOD."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=1000, random_state=args.seed, stratify=y
    )
    rng = np.random.RandomState(args.seed)
    ood = {
        "uniform noise": rng.uniform(0, 16, size=X_test.shape),
        "inverted digits": 16.0 - X_test,
    }
    models = {
        "EnergyClassifier() (JEM)": EnergyClassifier(random_state=args.seed),
        "softmax baseline": EnergyClassifier(
            generative_weight=0, random_state=args.seed
        ),
    }
    print(f"\nClassification on digits: {len(X_train)} training, {len(X_test)} test")
    print(f"{'model':34s} {'accuracy':>8s} {'log-loss':>8s} {'ECE':>6s} {'fit':>6s}")
    for name, model in models.items():
        clf, seconds = timed(model.fit, X_train, y_train)
        proba = clf.predict_proba(X_test)
        print(
            f"{name:34s} {clf.score(X_test, y_test):8.3f} "
            f"{log_loss(y_test, proba, labels=clf.classes_):8.3f} "
            f"{expected_calibration_error(y_test, proba):6.3f} {seconds:5.1f}s"
        )
    jem, baseline = models.values()
    print("\nOOD detection AUROC (in-distribution test digits are the positives)")
    for name, X_out in ood.items():
        energy = ood_auroc(jem.score_samples(X_test), jem.score_samples(X_out))
        softmax = ood_auroc(
            baseline.predict_proba(X_test).max(1), baseline.predict_proba(X_out).max(1)
        )
        print(
            f"  {name:16s} JEM log p(x) {energy:.3f}"
            f"  baseline max-softmax {softmax:.3f}"
        )
    return {"X_test": X_test, "y_test": y_test, "ood": ood, "models": models}


def plot_classifier(result, axes, seed):
    """Reliability diagrams, log p(x) densities and conditional samples."""
    X_test, y_test = result["X_test"], result["y_test"]
    for ax, (name, clf) in zip(axes[:2], result["models"].items(), strict=True):
        short = "JEM" if clf.generative_weight > 0 else "softmax"
        ReliabilityDisplay.from_estimator(
            clf, X_test, y_test, n_bins=10, name=short, ax=ax
        )
        ax.set_title(name)
    jem = result["models"]["EnergyClassifier() (JEM)"]
    # Outliers score hundreds of thousands of nats below the digits (they leave
    # the digits' subspace): the Display piles them up at the left edge.
    OODScoreDisplay.from_estimator(
        jem,
        X_test,
        result["ood"],
        name="JEM: in- vs out-of-distribution",
        ax=axes[2],
        log_scale=True,
    )
    axes[2].set_xlabel("score_samples = log p(x) + const (lower ones at the edge)")
    SampleGridDisplay.from_estimator(
        jem,
        image_shape=(8, 8),
        n_samples=4,
        random_state=seed,
        vmin=0,
        vmax=16,
        classes_along="columns",
        name="p(x | y) samples, one column per class",
        ax=axes[3],
    )


def main(argv=None):
    args = parse_args(argv)
    density = run_density(args)
    classifier = run_classifier(args)
    fig, axes = plt.subplots(2, 4, figsize=(19, 9.5))
    plot_density(density, axes[0], args.toy, args.seed)
    plot_classifier(classifier, axes[1], args.seed)
    fig.tight_layout()
    output = Path(args.output)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    print(f"\nSaved {output.resolve()}")


if __name__ == "__main__":
    main()
