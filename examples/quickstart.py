"""sk_ebm quickstart: an energy-based density on a 2-D toy, then a JEM classifier on
digits with its calibration and out-of-distribution detection.

Fits ``EnergyDensityEstimator()`` (defaults) to one of the toy distributions of
:mod:`sk_ebm.datasets`, prints its test log-likelihood next to two scikit-learn
baselines (``KernelDensity`` with the bandwidth chosen by 5-fold cross-validation,
``GaussianMixture`` with the number of components chosen by BIC), the annealed
importance sampling (AIS) estimate of log Z with its standard error and the fit
time, then saves a PNG with the data, the learned density, samples drawn from
it and the train / validation log-likelihood curves.

Then fits ``EnergyClassifier()`` (JEM) and its softmax baseline
(``generative_weight=0``, same network and loop) on 1 000 digits, prints accuracy,
log-loss and expected calibration error, and the AUROC of detecting noise and
inverted digits as out-of-distribution (in-distribution = positive) with the
EBM's log p(x) against the baseline's maximum softmax probability. The PNG gets a
second row: both reliability diagrams, the log p(x) histograms and
class-conditional samples.

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
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KernelDensity

from sk_ebm import EnergyClassifier, EnergyDensityEstimator
from sk_ebm.datasets import TOYS
from sk_ebm.metrics import expected_calibration_error, reliability_diagram_bins


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
    """Data, learned density, samples and learning curves on four axes."""
    X, ebm = result["X"], result["ebm"]
    low, high = X.min(axis=0), X.max(axis=0)
    center, half = (low + high) / 2, 0.55 * (high - low).max() + 0.3
    xs = np.linspace(center[0] - half, center[0] + half, 200)
    ys = np.linspace(center[1] - half, center[1] + half, 200)
    xx, yy = np.meshgrid(xs, ys)
    density = np.exp(ebm.score_samples(np.column_stack([xx.ravel(), yy.ravel()])))
    samples = ebm.sample(1000, random_state=seed)

    ax_data, ax_density, ax_samples, ax_curves = axes
    ax_data.scatter(X[:, 0], X[:, 1], s=2, color="k", alpha=0.4)
    ax_data.set_title(f"{toy}: {len(X)} training points")
    image = ax_density.imshow(
        density.reshape(xx.shape),
        origin="lower",
        extent=(xs[0], xs[-1], ys[0], ys[-1]),
        cmap="magma",
    )
    plt.colorbar(image, ax=ax_density, fraction=0.046, pad=0.04)
    ax_density.set_title("learned density exp(score_samples)")
    ax_samples.scatter(samples[:, 0], samples[:, 1], s=2, color="C0", alpha=0.6)
    ax_samples.set_title("1000 samples from sample()")
    for ax in (ax_data, ax_density, ax_samples):
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(ys[0], ys[-1])
        ax.set_aspect("equal")

    history = ebm.net_.history
    train = np.array(history[:, "train_log_likelihood"])
    valid = np.array(history[:, "valid_log_likelihood"])
    epochs = np.arange(1, len(history) + 1)
    best = int(epochs[np.argmax(valid)])
    ax_curves.plot(epochs, train, label="train")
    ax_curves.plot(epochs, valid, label="validation")
    ax_curves.axvline(best, color="k", linestyle="--", label=f"best epoch ({best})")
    scores = result["test_log_likelihood"]
    for key, color in (("EBM", "C4"), ("KDE", "C2"), ("GMM", "C3")):
        ax_curves.axhline(scores[key], color=color, linestyle=":", label=f"{key} test")
    ax_curves.set_xlabel("epoch")
    ax_curves.set_ylabel("mean log-likelihood (nats)")
    ax_curves.set_title("EBM training curves")
    ax_curves.legend(fontsize="small", loc="lower right")


def ood_auroc(score_in, score_out):
    """AUROC with the in-distribution rows as the positive class."""
    labels = np.r_[np.ones(len(score_in)), np.zeros(len(score_out))]
    return roc_auc_score(labels, np.r_[score_in, score_out])


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
    """Reliability diagrams, log p(x) histograms and conditional samples."""
    X_test, y_test = result["X_test"], result["y_test"]
    for ax, (name, clf) in zip(axes[:2], result["models"].items(), strict=True):
        proba = clf.predict_proba(X_test)
        bins = reliability_diagram_bins(y_test, proba, n_bins=10)
        centers = (bins.bin_edges[:-1] + bins.bin_edges[1:]) / 2
        ax.bar(centers, np.nan_to_num(bins.accuracy), width=0.1, edgecolor="k")
        ax.plot([0, 1], [0, 1], "k--")
        ece = expected_calibration_error(y_test, proba)
        ax.set_title(f"{name}\nECE = {ece:.3f}")
        ax.set_xlabel("confidence")
        ax.set_ylabel("accuracy")
    jem = result["models"]["EnergyClassifier() (JEM)"]
    ax = axes[2]

    def signed_log(scores):
        # Outliers score hundreds of thousands of nats below the digits (they
        # leave the digits' subspace): a signed log scale shows both.
        return np.sign(scores) * np.log10(1 + np.abs(scores))

    bins = np.linspace(-6, 3, 60)
    ax.hist(signed_log(jem.score_samples(X_test)), bins, alpha=0.6, label="test digits")
    for name, X_out in result["ood"].items():
        ax.hist(signed_log(jem.score_samples(X_out)), bins, alpha=0.6, label=name)
    ax.set_xlabel("sign(s) log10(1 + |s|), s = score_samples = log p(x) + const")
    ax.set_title("JEM: in- vs out-of-distribution")
    ax.legend(fontsize="small")
    samples = np.stack([jem.sample(2, y=k, random_state=seed) for k in range(10)])
    # Two samples of each class in a column: classes 0-4 above, 5-9 below,
    # framed by a blank pixel, in a near-square mosaic that shows them large.
    mosaic = np.zeros((4 * 9 + 1, 5 * 9 + 1))
    for k in range(10):
        for j in range(2):
            row, col = 9 * (2 * (k // 5) + j) + 1, 9 * (k % 5) + 1
            mosaic[row : row + 8, col : col + 8] = samples[k, j].reshape(8, 8)
    axes[3].imshow(np.clip(mosaic, 0, 16), cmap="gray_r")
    axes[3].set_title("p(x | y) samples: 0-4 above, 5-9 below")
    axes[3].axis("off")


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
