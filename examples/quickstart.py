"""sk_ebm quickstart: fit an energy-based density to a 2-D toy and plot it.

Fits ``EnergyDensityEstimator()`` (defaults) to one of the toy distributions of
:mod:`sk_ebm.datasets`, prints its test log-likelihood next to two scikit-learn
baselines (``KernelDensity`` with the bandwidth chosen by 5-fold cross-validation,
``GaussianMixture`` with the number of components chosen by BIC), the annealed
importance sampling (AIS) estimate of log Z with its standard error and the fit
time, then saves a PNG with the data, the learned density, samples drawn from
it and the train / validation log-likelihood curves.

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
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from sk_ebm import EnergyDensityEstimator
from sk_ebm.datasets import (
    make_checkerboard,
    make_eight_gaussians,
    make_pinwheel,
    make_rings,
    make_two_spirals,
)

TOYS = {
    "two_spirals": make_two_spirals,
    "rings": make_rings,
    "checkerboard": make_checkerboard,
    "eight_gaussians": make_eight_gaussians,
    "pinwheel": make_pinwheel,
}


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
        " (standard error; standardised feature units)"
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


def main(argv=None):
    args = parse_args(argv)
    density = run_density(args)
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.6))
    plot_density(density, axes, args.toy, args.seed)
    fig.tight_layout()
    output = Path(args.output)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    print(f"\nSaved {output.resolve()}")


if __name__ == "__main__":
    main()
