"""Two-dimensional toy distributions for density estimation benchmarks.

Every toy is a ``make_<name>(n_samples=100, *, ..., shuffle=True,
random_state=None)`` returning ``(X, y)``: the samples, of shape
``(n_samples, 2)``, and the mixture component of each. Where the density of a
toy is known, ``<name>_log_density(X, *, ...)`` evaluates it exactly (by
quadrature for the two spirals) at the rows of ``X``; it takes the
parameters of ``make_<name>`` that define the distribution, with the same
names and defaults, so that ``<name>_log_density(X, **params)`` is the
density that ``make_<name>(n, **params)`` samples.

Two tables name them for benchmarks and examples:

- ``TOYS``: every toy's ``make_<name>`` by ``<name>``;
- ``LOG_DENSITIES``: the ``<name>_log_density`` of the toys with a known
  density, by the same names (all but ``"pinwheel"``). The mean of
  ``LOG_DENSITIES[name](X_test)`` over held-out samples is the test
  log-likelihood of the true density, the best any estimator can reach on
  average.

One-dimensional regression toys with a known conditional density, for
conditional density estimation (``EnergyRegressor``): every
``make_<name>(n_samples=500, *, noise=..., random_state=None)`` returns
``(X, y)``, the inputs of shape ``(n_samples, 1)`` and the real targets of
shape ``(n_samples,)``, and ``<name>_log_density(X, y, *, noise=...)`` is
the exact conditional log-density :math:`\\log p(y \\mid x)` of each row,
with the same ``noise`` parameter and default as ``make_<name>``. Two more
tables name them:

- ``REGRESSION_TOYS``: every regression toy's ``make_<name>`` by ``<name>``,
  from the multimodal to the unimodal: ``"bimodal_skewed"`` (two unequal
  sine branches, then a skewed log-normal), ``"inverse_sine"`` (Bishop's
  multivalued inverse problem), ``"heteroscedastic_sine"`` and
  ``"linear_gaussian"`` (the homoscedastic Gaussian control);
- ``CONDITIONAL_LOG_DENSITIES``: their ``<name>_log_density`` by the same
  names. The mean of ``CONDITIONAL_LOG_DENSITIES[name](X_test, y_test)``
  over held-out rows is the test conditional log-likelihood of the true
  density.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from sk_ebm.datasets._banana import banana_log_density, make_banana
from sk_ebm.datasets._checkerboard import checkerboard_log_density, make_checkerboard
from sk_ebm.datasets._eight_gaussians import (
    eight_gaussians_log_density,
    make_eight_gaussians,
)
from sk_ebm.datasets._pinwheel import make_pinwheel
from sk_ebm.datasets._regression import (
    bimodal_skewed_log_density,
    heteroscedastic_sine_log_density,
    inverse_sine_log_density,
    linear_gaussian_log_density,
    make_bimodal_skewed,
    make_heteroscedastic_sine,
    make_inverse_sine,
    make_linear_gaussian,
)
from sk_ebm.datasets._rings import make_rings, rings_log_density
from sk_ebm.datasets._three_gaussians import (
    make_three_gaussians,
    three_gaussians_log_density,
)
from sk_ebm.datasets._two_spirals import make_two_spirals, two_spirals_log_density
from sk_ebm.datasets._von_mises_ring import (
    make_von_mises_ring,
    von_mises_ring_log_density,
)

__all__ = [
    "CONDITIONAL_LOG_DENSITIES",
    "LOG_DENSITIES",
    "REGRESSION_TOYS",
    "TOYS",
    "banana_log_density",
    "bimodal_skewed_log_density",
    "checkerboard_log_density",
    "eight_gaussians_log_density",
    "heteroscedastic_sine_log_density",
    "inverse_sine_log_density",
    "linear_gaussian_log_density",
    "make_banana",
    "make_bimodal_skewed",
    "make_checkerboard",
    "make_eight_gaussians",
    "make_heteroscedastic_sine",
    "make_inverse_sine",
    "make_linear_gaussian",
    "make_pinwheel",
    "make_rings",
    "make_three_gaussians",
    "make_two_spirals",
    "make_von_mises_ring",
    "rings_log_density",
    "three_gaussians_log_density",
    "two_spirals_log_density",
    "von_mises_ring_log_density",
]

#: The 2-D toy distributions by name, each a ``make_*(n_samples, *, ...,
#: random_state=None)`` of this module returning ``(X, y)``: the table that the
#: benchmarks and the examples iterate over. The first five are the FFJORD
#: toys (thin or sharp); the last three are smooth, with a known density.
TOYS = {
    "two_spirals": make_two_spirals,
    "rings": make_rings,
    "checkerboard": make_checkerboard,
    "eight_gaussians": make_eight_gaussians,
    "pinwheel": make_pinwheel,
    "banana": make_banana,
    "three_gaussians": make_three_gaussians,
    "von_mises_ring": make_von_mises_ring,
}

#: The log-densities of the toys of ``TOYS`` whose density is known, by the
#: same names: ``LOG_DENSITIES[name](X, **params)`` is the log-density of
#: ``TOYS[name](n_samples, **params)`` at the rows of ``X``.
LOG_DENSITIES = {
    "two_spirals": two_spirals_log_density,
    "rings": rings_log_density,
    "checkerboard": checkerboard_log_density,
    "eight_gaussians": eight_gaussians_log_density,
    "banana": banana_log_density,
    "three_gaussians": three_gaussians_log_density,
    "von_mises_ring": von_mises_ring_log_density,
}

#: The 1-D regression toys by name, each a ``make_*(n_samples=500, *, noise,
#: random_state=None)`` of this module returning ``X`` of shape (n_samples, 1)
#: and ``y`` of shape (n_samples,): the table that the regression benchmark
#: iterates over. The first two are multimodal, the last is the unimodal,
#: homoscedastic control.
REGRESSION_TOYS = {
    "bimodal_skewed": make_bimodal_skewed,
    "inverse_sine": make_inverse_sine,
    "heteroscedastic_sine": make_heteroscedastic_sine,
    "linear_gaussian": make_linear_gaussian,
}

#: The conditional log-densities of the toys of ``REGRESSION_TOYS``, by the
#: same names: ``CONDITIONAL_LOG_DENSITIES[name](X, y, noise=noise)`` is
#: :math:`\log p(y \mid x)` of ``REGRESSION_TOYS[name](n_samples,
#: noise=noise)`` at each row.
CONDITIONAL_LOG_DENSITIES = {
    "bimodal_skewed": bimodal_skewed_log_density,
    "inverse_sine": inverse_sine_log_density,
    "heteroscedastic_sine": heteroscedastic_sine_log_density,
    "linear_gaussian": linear_gaussian_log_density,
}
