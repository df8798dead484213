"""Shared fixtures for the tests of the pure-torch core."""

import pytest
import torch


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
