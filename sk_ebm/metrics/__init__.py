"""Metrics and scorers: calibration of classifiers, out-of-distribution detection.

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
from ._scorers import ece_scorer, make_ece_scorer, make_ood_scorer

__all__ = [
    "ece_scorer",
    "expected_calibration_error",
    "fpr_at_tpr",
    "make_ece_scorer",
    "make_ood_scorer",
    "maximum_calibration_error",
    "ood_aupr_in",
    "ood_aupr_out",
    "ood_auroc",
    "ood_report",
    "reliability_diagram_bins",
]
