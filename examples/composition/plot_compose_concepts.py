r"""
Composing concepts: products, unions and negations of fitted models
===================================================================

Energies add. If :math:`E_a` and :math:`E_b` are the energies of two fitted
models, :math:`E_a + E_b` is the energy of their product, high where both
are ("in A *and* in B"); :math:`-\log(e^{-E_a} + e^{-E_b})` that of their
mixture ("in A *or* in B"); and :math:`E_a - w E_b` pushes mass away from B
("in A but *not* in B"), as Du, Li & Mordatch (2020) compose separately
trained energy-based models.

:class:`~sk_ebm.compose.EnergyProduct` and
:class:`~sk_ebm.compose.EnergyMixture` do this with fitted sk_ebm models,
without retraining them, and give the composition a normalising constant
(estimated by annealed importance sampling), so that ``score_samples`` is a
normalised log-density, and a sampler (Metropolis-adjusted Langevin
dynamics on the composed energy).
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Two concepts
# ------------
#
# Concept A is a ring (a learned density: an energy network on top of a
# Gaussian base); concept B a diagonal band, and R a broad blob on the
# right. B and R are plain Gaussians (``residual=False``: the estimator is its
# Gaussian base, with an exact ``log_partition_``).
import numpy as np

from sk_ebm import EnergyDensityEstimator
from sk_ebm.datasets import make_von_mises_ring

rng = np.random.RandomState(0)
ring_X, _ = make_von_mises_ring(2000, random_state=0)
band_X = rng.multivariate_normal([0.0, 0.0], [[5.0, 4.6], [4.6, 5.0]], 2000)
right_X = rng.multivariate_normal([3.0, 0.0], 4.0 * np.eye(2), 2000)


def gaussian(X):
    return EnergyDensityEstimator(
        residual=False, base="gaussian", n_components=1, random_state=0
    ).fit(X)


ring = EnergyDensityEstimator(
    hidden_layer_sizes=(32, 32),
    max_epochs=40,
    ais_chains=500,
    ais_temperatures=100,
    random_state=0,
).fit(ring_X)
band, right = gaussian(band_X), gaussian(right_X)

# %%
# Product, union and negation
# ---------------------------
#
# The members are fitted, so ``fit()`` takes no data: it only estimates the
# log-partition of the composed energy. A negative weight is a negation;
# ``fit`` warns that the result may not be normalisable and checks it.
import warnings

from sk_ebm.compose import EnergyMixture, EnergyProduct

settings = dict(ais_chains=500, ais_temperatures=100, random_state=0)
both = EnergyProduct([ring, band], **settings).fit()
either = EnergyMixture([ring, band], **settings).fit()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    not_right = EnergyProduct([ring, right], weights=[1.0, -0.5], **settings).fit()

for name, model in [("A and B", both), ("A or B", either), ("A not R", not_right)]:
    print(
        f"{name}: log Z = {model.log_partition_:.3f} +- {model.log_partition_std_:.3f}"
    )

# %%
# Negations need the other members to outweigh them in every direction:
# :math:`e^{-E_a + w E_b}` grows without bound wherever :math:`E_b` grows
# faster than :math:`E_a`, e.g. across the narrow band. Such a composition
# has no normalising constant, and ``fit`` refuses it.
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        EnergyProduct([ring, band], weights=[1.0, -0.5], **settings).fit()
except ValueError as err:
    print(err)

# %%
# Continual learning: a concept fitted later
# ------------------------------------------
#
# A third concept, C (the upper left), is fitted afterwards, on its own data.
# It joins the compositions as it is; A and B are neither retrained nor
# copied (``estimators_`` holds the same fitted objects).
upper_left = gaussian(rng.multivariate_normal([-2.0, 2.0], 1.5 * np.eye(2), 2000))
all_three = EnergyMixture([ring, band, upper_left], **settings).fit()
ring_and_c = EnergyProduct([ring, upper_left], **settings).fit()
print(ring_and_c.estimators_[0] is ring, all_three.estimators_[1] is band)

# %%
# Densities and samples
# ---------------------
#
# Each panel shows ``exp(score_samples)`` on a grid, and 300 draws of
# ``sample`` on top. Tempering (``temperature`` below 1) sharpens a model:
# the last panel is the product at :math:`T = 0.5`.
import matplotlib.pyplot as plt

sharp = EnergyProduct([ring, band], temperature=0.5, **settings).fit()
panels = {
    "A: ring": ring,
    "B: band": band,
    "A and B": both,
    "A or B": either,
    "A but not R (R: right blob)": not_right,
    "C, fitted later: A and C": ring_and_c,
    "A or B or C": all_three,
    "A and B at T = 0.5": sharp,
}
axis = np.linspace(-5, 5, 150)
grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
fig, axes = plt.subplots(2, 4, figsize=(14, 7))
for ax, (title, model) in zip(axes.ravel(), panels.items(), strict=True):
    density = np.exp(model.score_samples(grid)).reshape(len(axis), len(axis))
    ax.imshow(density, origin="lower", extent=(-5, 5, -5, 5), cmap="viridis")
    samples = model.sample(300, random_state=0)
    ax.scatter(samples[:, 0], samples[:, 1], s=2, c="white", alpha=0.6)
    ax.set(title=title, xlim=(-5, 5), ylim=(-5, 5), xticks=[], yticks=[])
fig.tight_layout()
plt.show()
