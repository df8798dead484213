r"""
Several answers per input: the conditional density of an inverse problem
========================================================================

Bishop's inverse problem draws :math:`t \sim U(0, 1)` and observes
:math:`x = t + 0.3 \sin(2 \pi t)` plus noise; predicting :math:`t` from
:math:`x` has up to three answers for one input. A regressor that returns one
Gaussian per input, such as
:class:`~sklearn.gaussian_process.GaussianProcessRegressor`, can only spread a
wide band over the branches. :class:`~sk_ebm.EnergyRegressor` models the
conditional density :math:`p(y \mid x) = e^{-E(x, y)} / Z(x)`: its heat map
follows the branches, :meth:`~sk_ebm.EnergyRegressor.predict_modes` returns
them with their probability, and its 90 % interval covers what it should.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and models
# ---------------
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel

from sk_ebm import EnergyRegressor
from sk_ebm.datasets import inverse_sine_log_density, make_inverse_sine
from sk_ebm.metrics import interval_coverage
from sk_ebm.plotting import ConditionalDensityDisplay

X, y = make_inverse_sine(2000, random_state=0)
X_test, y_test = make_inverse_sine(2000, random_state=1)

ebm = EnergyRegressor(random_state=0).fit(X, y)
gpr = GaussianProcessRegressor(RBF() + WhiteKernel(), normalize_y=True).fit(
    X[:500], y[:500]
)

# %%
# Held-out log-likelihood and coverage
# ------------------------------------
mean, std = gpr.predict(X_test, return_std=True)
gpr_log_likelihood = np.mean(
    -0.5 * ((y_test - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi))
)
print(f"EnergyRegressor log p(y|x): {ebm.log_likelihood(X_test, y_test).mean():.3f}")
print(f"GaussianProcess log p(y|x): {gpr_log_likelihood:.3f}")
print(
    f"true density     log p(y|x): "
    f"{inverse_sine_log_density(X_test, y_test).mean():.3f}"
)
print(
    f"EBM 90 % interval coverage: "
    f"{interval_coverage(y_test, ebm.predict_interval(X_test, 0.9)):.3f}"
)

# %%
# The conditional density, its modes and its 90 % band
# ----------------------------------------------------
#
# :class:`~sk_ebm.plotting.ConditionalDensityDisplay` draws
# :math:`p(y \mid x)` as a heat map on a power colour scale (so that the faint
# branches show next to the sharp ones), the modes of each column, sized by
# their probability, and the equal-tailed 90 % interval. The Gaussian process's
# predictive distribution goes through the same Display, built from its
# densities on the same grid, so that the two pictures compare.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
display = ConditionalDensityDisplay.from_estimator(
    ebm, X, y, ax=axes[0], title="EnergyRegressor: p(y | x), modes, 90 % interval"
)
x_grid, y_grid = display.x_grid, display.y_grid
mean, std = gpr.predict(x_grid[:, None], return_std=True)
ConditionalDensityDisplay(
    x_grid,
    y_grid,
    norm.pdf(y_grid[:, None], loc=mean, scale=std),
    modes=mean[:, None],
    interval=np.column_stack([mean - 1.645 * std, mean + 1.645 * std]),
    coverage=0.9,
    data=display.data,
).plot(ax=axes[1], title="GaussianProcessRegressor: one Gaussian per input")
fig.tight_layout()
plt.show()
