"""Metrics and scorers: calibration, out-of-distribution detection and regression.

The calibration metrics rate classifiers, and the regression metrics rate the
predictive distributions of probabilistic regressors (CRPS, pinball loss,
prediction intervals). Every scorer is greater-is-better, as scikit-learn's
model selection tools expect: a negated loss, or a mean log-likelihood.

The out-of-distribution (OOD) metrics take the in-distribution class as the
positive class: higher scores mean more in-distribution, as with the
``score_samples`` of scikit-learn's outlier detectors and density estimators.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from ._calibration import (
    expected_calibration_error,
    maximum_calibration_error,
    reliability_diagram_bins,
)
from ._ood import fpr_at_tpr, ood_aupr_in, ood_aupr_out, ood_auroc, ood_report
from ._regression import (
    crps,
    crps_scorer,
    gaussian_crps,
    interval_coverage,
    log_likelihood_scorer,
    make_crps_scorer,
    make_interval_scorer,
    make_pinball_scorer,
    mean_interval_width,
    pinball_loss,
)
from ._scorers import ece_scorer, make_ece_scorer, make_ood_scorer

__all__ = [
    "crps",
    "crps_scorer",
    "ece_scorer",
    "expected_calibration_error",
    "fpr_at_tpr",
    "gaussian_crps",
    "interval_coverage",
    "log_likelihood_scorer",
    "make_crps_scorer",
    "make_ece_scorer",
    "make_interval_scorer",
    "make_ood_scorer",
    "make_pinball_scorer",
    "maximum_calibration_error",
    "mean_interval_width",
    "ood_aupr_in",
    "ood_aupr_out",
    "ood_auroc",
    "ood_report",
    "pinball_loss",
    "reliability_diagram_bins",
]
