"""Calibration metrics and scorers for probabilistic classifiers."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from ._calibration import (
    expected_calibration_error,
    maximum_calibration_error,
    reliability_diagram_bins,
)
from ._scorers import ece_scorer, make_ece_scorer

__all__ = [
    "ece_scorer",
    "expected_calibration_error",
    "make_ece_scorer",
    "maximum_calibration_error",
    "reliability_diagram_bins",
]
