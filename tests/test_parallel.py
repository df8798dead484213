"""Model selection in parallel: joblib workers and a Dask cluster.

The fits give the same scores wherever they run, and torch never takes more
intra-op threads than the surrounding joblib, threadpoolctl or
``OMP_NUM_THREADS`` limits allow.
"""

import os

import joblib
import numpy as np
import pytest
import torch
from conftest import fast
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, cross_validate
from skorch.callbacks import Callback
from threadpoolctl import threadpool_limits

from sk_ebm import EnergyClassifier
from sk_ebm._threads import allowed_torch_threads, limit_torch_threads

GRID = {"hidden_layer_sizes": [(8,), (16,)], "lr": [1e-3, 1e-2]}


class RecordThreads(Callback):
    """Record torch's thread count in the history at every epoch."""

    def on_epoch_begin(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


class Fail(Callback):
    def on_epoch_begin(self, net, **kwargs):
        raise RuntimeError("stop")


def fit_threads(estimator) -> list:
    return list(estimator.net_.history[:, "torch_threads"])


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


@pytest.fixture
def two_threads(monkeypatch):
    """Torch at two threads and no OMP_NUM_THREADS, restored afterwards."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def search(n_jobs):
    return GridSearchCV(fast(EnergyClassifier), GRID, n_jobs=n_jobs)


def assert_same_search(a, b):
    assert a.best_params_ == b.best_params_
    for key in ("mean_test_score", *(f"split{i}_test_score" for i in range(5))):
        np.testing.assert_allclose(a.cv_results_[key], b.cv_results_[key], atol=1e-10)


@pytest.fixture(scope="module")
def reference(data):
    """The sequential search on one torch thread (the workers' count below), so
    that the comparisons cannot depend on a thread count."""
    with threadpool_limits(1, user_api="openmp"):
        return search(n_jobs=1).fit(*data)


# -- the thread limit --------------------------------------------------------
def test_omp_num_threads_caps_fit_and_count_is_restored(data, two_threads, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # e.g. set after torch started
    clf = fast(EnergyClassifier, max_epochs=2, callbacks=[RecordThreads()]).fit(*data)
    assert fit_threads(clf) == [1, 1]
    assert torch.get_num_threads() == 2
    clf.predict_proba(data[0])
    assert torch.get_num_threads() == 2


def test_omp_num_threads_caps_classifier_sampling(data, two_threads, monkeypatch):
    import sk_ebm._classifier

    clf = fast(EnergyClassifier, sample_steps=2).fit(*data)
    seen = []
    langevin = sk_ebm._classifier.langevin

    def recording(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return langevin(*args, **kwargs)

    monkeypatch.setattr(sk_ebm._classifier, "langevin", recording)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    clf.sample(3, y=data[1][0], random_state=0)
    assert seen == [1]
    assert torch.get_num_threads() == 2


def test_limit_never_raises_the_thread_count(monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert allowed_torch_threads() == 1
        with limit_torch_threads() as n_threads:
            assert n_threads == torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["", "zero", "0", "1,1"])
def test_odd_omp_num_threads(two_threads, monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert allowed_torch_threads() == (1 if value == "1,1" else 2)


def test_threadpoolctl_limit_is_respected(data, two_threads):
    estimator = fast(EnergyClassifier, max_epochs=2, callbacks=[RecordThreads()])
    with threadpool_limits(1, user_api="openmp"):
        clf = estimator.fit(*data)
    assert fit_threads(clf) == [1, 1]
    assert torch.get_num_threads() == 2


def test_count_is_restored_when_fit_raises(data, two_threads, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with pytest.raises(RuntimeError, match="stop"):
        fast(EnergyClassifier, callbacks=[Fail()]).fit(*data)
    assert torch.get_num_threads() == 2


def test_thread_pool_workers_take_one_thread_each(data, two_threads):
    # joblib passes no limit to a thread pool: without one, every worker
    # thread would run torch on both cores.
    estimator = fast(EnergyClassifier, max_epochs=2, callbacks=[RecordThreads()])
    with joblib.parallel_config(backend="threading"):
        result = cross_validate(estimator, *data, cv=2, n_jobs=2, return_estimator=True)
    assert [fit_threads(e) for e in result["estimator"]] == [[1, 1], [1, 1]]
    assert torch.get_num_threads() == 2


def test_loky_workers_take_the_inner_limit(data, two_threads):
    estimator = fast(EnergyClassifier, max_epochs=2, callbacks=[RecordThreads()])
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        result = cross_validate(estimator, *data, cv=2, n_jobs=2, return_estimator=True)
    assert [fit_threads(e) for e in result["estimator"]] == [[1, 1], [1, 1]]
    assert torch.get_num_threads() == 2


# -- same results wherever the fits run --------------------------------------
def test_grid_search_n_jobs_2_matches_n_jobs_1(data, reference):
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = search(n_jobs=2).fit(*data)
    assert_same_search(parallel, reference)


def test_grid_search_on_dask_cluster_matches_n_jobs_1(data, reference):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        on_dask = search(n_jobs=-1).fit(*data)
        workers = set(client.scheduler_info()["workers"])
        # Each worker's nanny starts it with OMP_NUM_THREADS=1.
        threads = client.run(lambda: (os.getpid(), torch.get_num_threads()))
    assert_same_search(on_dask, reference)
    ran_on = {task["worker"] for task in tasks.data}
    assert ran_on and ran_on <= workers
    assert all(n == 1 for _, n in threads.values())
    assert os.getpid() not in {pid for pid, _ in threads.values()}
