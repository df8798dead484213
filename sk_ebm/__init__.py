"""Energy-based models as scikit-learn estimators."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0.dev0"

__all__ = [
    "EnergyClassifier",
    "EnergyDensityEstimator",
    "EnergyMixture",
    "EnergyProduct",
    "EnergyRegressor",
    "LangevinPurifier",
    "NCEDensityEstimator",
    "OODDetector",
    "__version__",
]

# The estimators need scikit-learn and skorch; the pure-torch core
# (sk_ebm.nn, sk_ebm.sampling, sk_ebm.objectives) must import without them, so
# the estimators are imported lazily on first attribute access (PEP 562).
_LAZY = {
    "EnergyClassifier": "sk_ebm._classifier",
    "EnergyDensityEstimator": "sk_ebm._density",
    "EnergyMixture": "sk_ebm.compose",
    "EnergyProduct": "sk_ebm.compose",
    "EnergyRegressor": "sk_ebm._regressor",
    "LangevinPurifier": "sk_ebm._purifier",
    "NCEDensityEstimator": "sk_ebm._nce",
    "OODDetector": "sk_ebm._ood",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
