"""scikit-learn's estimator checks on every sk_ebm estimator.

Each estimator runs with a small, fast parameter set; the few checks that an
energy-based model cannot pass by design are listed with the reason in
``EXPECTED_FAILED``.
"""

import pytest
from conftest import fast
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    EnergyRegressor,
    LangevinPurifier,
    NCEDensityEstimator,
    OODDetector,
)

pytestmark = pytest.mark.usefixtures("single_thread")

# The classifier checks ask for a training accuracy above 0.83 on blobs:
# more epochs at a higher learning rate than the shared fast settings.
ESTIMATORS = [
    fast(EnergyClassifier, max_epochs=8, lr=1e-2),
    fast(EnergyDensityEstimator),
    fast(EnergyRegressor),
    fast(NCEDensityEstimator),
    fast(OODDetector, estimator=fast(EnergyDensityEstimator)),
    fast(OODDetector, estimator=fast(NCEDensityEstimator)),
    fast(OODDetector, estimator=fast(EnergyClassifier, max_epochs=8, lr=1e-2)),
    LangevinPurifier(fast(EnergyDensityEstimator), steps=2, random_state=0),
]

MINUS_ONE_UNLABELLED = (
    "-1 marks unlabelled rows (scikit-learn's semi-supervised convention), so "
    "labels {-1, 1} are one class plus unlabelled rows, not two classes"
)


NEEDS_LABELS = (
    "an OODDetector over a classifier needs the labels to fit it, and the "
    "outlier-detector checks call fit(X) without y"
)


WEIGHTS_ARE_NOT_REPEATS = (
    "minibatch training: a weight of 2 doubles a row's term in its batch, a "
    "repeated row changes the batches, the validation split and the steps per "
    "epoch, so the fits differ beyond the check's tolerance"
)


def expected_failed_checks(estimator):
    """Checks that fail by design, with the reason."""
    if isinstance(estimator, EnergyRegressor):
        return {
            "check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS
        }
    if isinstance(estimator, EnergyClassifier):
        return {"check_classifiers_classes": MINUS_ONE_UNLABELLED}
    if isinstance(estimator, OODDetector) and isinstance(
        estimator.estimator, EnergyClassifier
    ):
        return {
            "check_outliers_train": NEEDS_LABELS,
            "check_outliers_fit_predict": NEEDS_LABELS,
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_param_validation(estimator):
    """Every parameter has a constraint, and every constraint a parameter;
    invalid values fail with scikit-learn's InvalidParameterError in fit.

    scikit-learn's own test suite runs this check, ``parametrize_with_checks``
    does not."""
    check_param_validation(type(estimator).__name__, estimator)
