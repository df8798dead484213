"""Energy-based models as scikit-learn estimators."""

from sk_ebm._density import EnergyDensityEstimator

__version__ = "0.1.0.dev0"

__all__ = ["EnergyDensityEstimator", "__version__"]
