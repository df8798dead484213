"""Shared fixtures and the fast estimator settings of the tests.

:func:`fast` builds every estimator of the package with the small, fast
settings of :data:`FAST`, so that the test files share one table instead of
each keeping its own. Test modules import it (pytest puts this directory on
``sys.path``, so module-level use such as ``parametrize_with_checks`` works)::

    from conftest import fast

    clf = fast(EnergyClassifier, max_epochs=8).fit(X, y)

or ask for the :func:`fast_estimator` fixture, which is the same function.

This module does not import :mod:`sk_ebm` at import time, so that a broken
estimator module fails the tests that use it, not the collection of the
whole suite.
"""

import pytest
import torch

#: The smallest settings most tests fit with, by estimator class name: a
#: fraction of a second per fit on a few hundred rows. A test that needs more
#: (an accuracy to reach, a number of epochs to count) passes it to
#: :func:`fast` as an override.
FAST = {
    "EnergyClassifier": dict(
        hidden_layer_sizes=(16,),
        max_epochs=3,
        sgld_steps=2,
        buffer_size=200,
        sample_steps=5,
    ),
    "EnergyDensityEstimator": dict(
        hidden_layer_sizes=(16,),
        max_epochs=3,
        n_components=1,
        n_importance_samples=256,
        ais_chains=100,
        ais_temperatures=20,
        sample_steps=5,
    ),
    "NCEDensityEstimator": dict(hidden_layer_sizes=(16,), max_epochs=3, sample_steps=5),
    "EnergyRegressor": dict(
        hidden_layer_sizes=(16,), max_epochs=3, n_grid=32, n_quadrature=128
    ),
}


def fast(cls, **overrides):
    """An unfitted ``cls`` with the fast test settings.

    Parameters
    ----------
    cls : {EnergyClassifier, EnergyDensityEstimator, NCEDensityEstimator, \
OODDetector}
        The estimator class, or a subclass of one.
    **overrides
        Parameters that replace or add to the settings of
        ``FAST[cls.__name__]``.

    Returns
    -------
    estimator
        ``cls(**{**FAST[cls.__name__], "random_state": 0, **overrides})``, a new
        instance on every call. An :class:`~sk_ebm.OODDetector` has no
        settings of its own: it wraps ``overrides["estimator"]``, by default
        ``fast(EnergyDensityEstimator)``.

    Examples
    --------
    >>> from sk_ebm import EnergyClassifier, OODDetector
    >>> fast(EnergyClassifier, max_epochs=8).get_params()["max_epochs"]
    8
    >>> fast(OODDetector, method="grad_norm").estimator.hidden_layer_sizes
    (16,)
    """
    names = [base.__name__ for base in cls.__mro__]
    if "OODDetector" in names:
        if "estimator" not in overrides:
            from sk_ebm import EnergyDensityEstimator

            overrides["estimator"] = fast(EnergyDensityEstimator)
        return cls(**overrides)
    table = next((FAST[name] for name in names if name in FAST), None)
    if table is None:
        raise TypeError(f"fast() builds {', '.join(FAST)} and OODDetector; got {cls!r}")
    return cls(**{**table, "random_state": 0, **overrides})


@pytest.fixture
def fast_estimator():
    """The function :func:`fast`, for tests that prefer a fixture to an import."""
    return fast


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a test that trains for seconds (deselect with -m 'not slow')"
    )


@pytest.fixture
def seeded():
    """Seed torch's global generator, restoring its state after the test."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield


@pytest.fixture(scope="module")
def single_thread():
    """Run torch on one thread.

    The tensors in these tests are tiny; intra-op threads only add
    synchronisation overhead, which becomes severe on a loaded machine.
    """
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
