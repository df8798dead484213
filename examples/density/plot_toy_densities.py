r"""
Energy-based density estimation on 2-D toys
===========================================

This example fits :class:`~sk_ebm.EnergyDensityEstimator` to three
two-dimensional toy distributions of :mod:`sk_ebm.datasets` and compares it with
two classical density estimators of scikit-learn:
:class:`~sklearn.neighbors.KernelDensity`, whose bandwidth is chosen by
cross-validation, and :class:`~sklearn.mixture.GaussianMixture`, whose number of
components is chosen by the Bayesian information criterion (BIC).

An energy-based model defines a density :math:`p(x) = e^{-E(x)} / Z` through an
energy network :math:`E`. Because the log-partition :math:`\log Z` is estimated
after training (by annealed importance sampling), ``score_samples`` returns a
*normalised* log-density, so the three models can be compared by their
log-likelihood on held-out data.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Toy data sets
# -------------
#
# Every generator of :mod:`sk_ebm.datasets` returns ``(X, y)`` where ``y`` is
# the component of each point; density estimation only uses ``X``. We draw a
# training set and an independent test set of 2 000 points from each toy.
import numpy as np

from sk_ebm.datasets import (
    make_checkerboard,
    make_eight_gaussians,
    make_two_spirals,
)

TOYS = {
    "two spirals": make_two_spirals,
    "checkerboard": make_checkerboard,
    "eight Gaussians": make_eight_gaussians,
}

n_samples = 2000
data = {}
for name, make in TOYS.items():
    X_train, _ = make(n_samples, random_state=0)
    X_test, _ = make(n_samples, random_state=1)
    data[name] = (X_train, X_test)

# %%
# Fitting the three estimators
# ----------------------------
#
# The energy-based model is used with its defaults: a small MLP energy with
# random Fourier features, trained by maximum likelihood with an importance
# sampling estimate of :math:`\log Z`, and early stopping on a held-out 10 % of
# the training rows; only its final annealed importance sampling run is made
# shorter than the default (500 chains and 100 temperatures), to keep this
# example under a minute. That run only estimates the constant :math:`\log Z`;
# its standard error, ``log_partition_std_``, is printed with the scores.
#
# The kernel density bandwidth is selected by 5-fold
# :class:`~sklearn.model_selection.GridSearchCV` (``KernelDensity.score`` is the
# total log-likelihood, so the search maximises the held-out likelihood), and
# the number of mixture components by BIC.
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from sk_ebm import EnergyDensityEstimator


def fit_kde(X):
    search = GridSearchCV(KernelDensity(), {"bandwidth": np.logspace(-2, 0, 20)})
    return search.fit(X).best_estimator_


def fit_gmm(X):
    candidates = [GaussianMixture(k, random_state=0).fit(X) for k in range(1, 41, 3)]
    return min(candidates, key=lambda gmm: gmm.bic(X))


models = {}
for name, (X_train, _) in data.items():
    models[name] = {
        "EBM": EnergyDensityEstimator(
            ais_chains=500, ais_temperatures=100, random_state=0
        ).fit(X_train),
        "KDE": fit_kde(X_train),
        "GMM": fit_gmm(X_train),
    }

# %%
# Test log-likelihood
# -------------------
#
# The mean log-likelihood of the test points, in nats per point (higher is
# better). ``score_samples`` is a log-density for all three estimators, so we
# average it directly; for the energy-based model it includes the estimated
# :math:`\log Z`.
print(
    f"{'toy':16s} {'EBM':>7s} {'KDE':>7s} {'GMM':>7s}"
    "   (EBM log Z std. error, KDE bandwidth, GMM k)"
)
for name, (_, X_test) in data.items():
    scores = {
        label: model.score_samples(X_test).mean()
        for label, model in models[name].items()
    }
    ebm, kde, gmm = models[name].values()
    print(
        f"{name:16s} {scores['EBM']:7.3f} {scores['KDE']:7.3f} {scores['GMM']:7.3f}"
        f"   ({ebm.log_partition_std_:.3f}, {kde.bandwidth:.3f}, {gmm.n_components})"
    )

# %%
# Learned densities and samples
# -----------------------------
#
# Each row shows one toy: the density learned by the energy-based model over
# the training data, the same density with 1 000 samples drawn from it by
# :meth:`~sk_ebm.EnergyDensityEstimator.sample`, and the densities of the
# kernel density estimate and of the Gaussian mixture. Each panel is an
# :class:`~sk_ebm.plotting.EnergyLandscapeDisplay`: ``exp`` of
# ``score_samples`` on a 100 x 100 grid over the data's range, with its own
# colour scale; it takes any estimator with ``score_samples``.
import matplotlib.pyplot as plt

from sk_ebm.plotting import EnergyLandscapeDisplay

columns = ["EBM density, data", "EBM samples", "KDE density", "GMM density"]
fig, axes = plt.subplots(
    len(TOYS), len(columns), figsize=(2.6 * len(columns), 2.4 * len(TOYS))
)
for row, (name, (X_train, _)) in enumerate(data.items()):
    ebm, kde, gmm = models[name].values()
    landscape = EnergyLandscapeDisplay.from_estimator(
        ebm,
        X_train[:1000],
        n_samples=1000,
        random_state=0,
        colorbar=False,
        ax=axes[row, 1],
    )
    landscape.plot(ax=axes[row, 0], show_data=True, show_samples=False, colorbar=False)
    for ax, model in zip(axes[row, 2:], (kde, gmm), strict=True):
        EnergyLandscapeDisplay.from_estimator(
            model, X_train[:1000], colorbar=False, ax=ax
        )
    for column, ax in enumerate(axes[row]):
        ax.set(xticks=[], yticks=[], xlabel="", ylabel=name if column == 0 else "")
        ax.set_aspect("equal")
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        if row == 0:
            ax.set_title(columns[column])
fig.tight_layout()

# %%
# The energy-based model follows the thin arms of the spirals and the sharp
# edges of the checkerboard with a smooth density (``python
# examples/quickstart.py --toy rings`` shows another toy). The kernel density
# estimate has to trade a small bandwidth (a bumpy density along the arms)
# against a large one (blurred edges), and the Gaussian mixture approximates
# curved or flat structure by a patchwork of ellipses; on the eight Gaussians,
# where the mixture is the true model, it is hard to beat.
# The samples of the energy-based model, obtained by importance resampling
# followed by Metropolis-adjusted Langevin steps, follow the learned density.
#
# Training curves and early stopping
# ----------------------------------
#
# ``net_.history`` records, after every epoch, the mean normalised
# log-likelihood of the training rows and of the validation rows held out by the
# estimator (``validation_fraction=0.1``). Training stops when the validation
# log-likelihood has not improved for ``n_iter_no_change`` epochs, and the
# weights of the best validation epoch are restored: the final model is the one
# marked by the dashed line, not the one of the last epoch.
# :class:`~sk_ebm.plotting.TrainingCurveDisplay` draws them from the estimator.
from sk_ebm.plotting import TrainingCurveDisplay

name = "two spirals"
display = TrainingCurveDisplay.from_estimator(
    models[name]["EBM"], name=f"EnergyDensityEstimator on {name}"
)
display.figure_.set_size_inches(6, 4)
display.figure_.tight_layout()

plt.show()
