"""Plots of fitted models in one call: scikit-learn style Displays.

Each Display computes its numbers with the public functions of sk_ebm (the
calibration bins and OOD metrics of :mod:`sk_ebm.metrics`, the robustness
curves of :mod:`sk_ebm.adversarial`) or the estimator's own methods, stores
them as attributes, and draws them with ``plot(ax=None, ...)``, which returns
the Display with its artists (``ax_``, ``figure_``, ``line_``, ...). Build one
with ``from_estimator`` from a fitted model and data, or from numbers already
computed (``from_predictions``, ``from_curve``, ``from_history``,
``from_samples``), as with :class:`sklearn.calibration.CalibrationDisplay`.

matplotlib is an optional dependency (``pip install "sk_ebm[plot]"``),
imported only when a Display draws, so this module imports without it.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from ._conditional import ConditionalDensityDisplay
from ._landscape import EnergyLandscapeDisplay
from ._ood import OODScoreDisplay
from ._reliability import ReliabilityDisplay
from ._robustness import RobustnessCurveDisplay
from ._samples import SampleGridDisplay
from ._training import TrainingCurveDisplay

__all__ = [
    "ConditionalDensityDisplay",
    "EnergyLandscapeDisplay",
    "OODScoreDisplay",
    "ReliabilityDisplay",
    "RobustnessCurveDisplay",
    "SampleGridDisplay",
    "TrainingCurveDisplay",
]
