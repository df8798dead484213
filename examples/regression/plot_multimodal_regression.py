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
from matplotlib.colors import PowerNorm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel

from sk_ebm import EnergyRegressor
from sk_ebm.datasets import inverse_sine_log_density, make_inverse_sine
from sk_ebm.metrics import interval_coverage

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
x_grid = np.linspace(X.min(), X.max(), 200)
y_grid = np.linspace(*ebm.y_range_, 200)
xx, yy = np.meshgrid(x_grid, y_grid)
density = np.exp(ebm.log_likelihood(xx.reshape(-1, 1), yy.ravel())).reshape(xx.shape)
modes, masses = ebm.predict_modes(x_grid[:, None], max_modes=3)
band = ebm.predict_interval(x_grid[:, None], coverage=0.9)
mean, std = gpr.predict(x_grid[:, None], return_std=True)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
# A power scale shows the low branches next to the sharp ones.
axes[0].pcolormesh(xx, yy, density, cmap="magma", shading="auto", norm=PowerNorm(0.4))
for k in range(3):
    axes[0].scatter(
        x_grid,
        modes[:, k],
        s=1 + 6 * np.nan_to_num(masses[:, k]),
        c="cyan",
        label="modes (size: mass)" if k == 0 else None,
    )
axes[0].plot(x_grid, band, "w--", lw=1)
axes[0].set_title("EnergyRegressor: p(y | x), modes, 90 % interval")
axes[1].scatter(X[:, 0], y, s=2, c="gray", alpha=0.5)
axes[1].plot(x_grid, mean, "C0")
axes[1].fill_between(
    x_grid, mean - 1.645 * std, mean + 1.645 * std, alpha=0.3, label="GP 90 % band"
)
axes[1].set_title("GaussianProcessRegressor: one Gaussian per input")
for ax in axes:
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize="small")
axes[0].set_ylabel("y")
fig.tight_layout()
plt.show()
