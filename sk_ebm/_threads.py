"""How many intra-op threads torch may use in an sk_ebm fit or prediction.

Torch keeps one intra-op thread count per calling thread (OpenMP's
``nthreads-var``), initialised from ``OMP_NUM_THREADS`` or the number of cores.
Running several fits side by side must not multiply it: joblib's process
backends (loky, multiprocessing) and Dask's nanny pass the limit to their
worker processes in ``OMP_NUM_THREADS`` (``cpu_count() // n_jobs`` by default,
``inner_max_num_threads`` when given), but a thread pool (joblib's
``"threading"`` backend, the threads of an in-process Dask cluster) shares one
process whose torch would give every worker thread all the cores.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

import torch
from joblib.parallel import get_active_backend

__all__ = ["allowed_torch_threads", "limit_torch_threads"]


def _env_threads() -> int | None:
    """The outer level of ``OMP_NUM_THREADS`` (it may list one per nesting
    level, ``"4,2"``), or None when unset or not a positive integer."""
    try:
        n_threads = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
    except ValueError:
        return None
    return n_threads if n_threads >= 1 else None


def _in_pool_thread() -> bool:
    """Whether this thread runs a task of a joblib thread pool or a Dask worker.

    Inside a task joblib activates the nested backend, whose nesting level is
    at least 1; the worker processes of loky run their tasks in their main
    thread, so only thread pools are caught.
    """
    if threading.current_thread() is threading.main_thread():
        return False
    if (get_active_backend()[0].nesting_level or 0) >= 1:
        return True
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


def allowed_torch_threads() -> int:
    """Intra-op threads torch may use here without oversubscribing the cores.

    The smallest of torch's own count for this thread (which reflects
    ``torch.set_num_threads``, ``OMP_NUM_THREADS`` at start-up and a
    ``threadpoolctl.threadpool_limits`` around the call) and the current
    ``OMP_NUM_THREADS`` (set by joblib's process backends and Dask's nanny in
    their workers, or by the user after torch started). Without
    ``OMP_NUM_THREADS``, a task on a worker thread of a thread pool (joblib's
    ``"threading"`` backend, an in-process Dask worker) gets one thread: the
    pool's threads already run in parallel, and their number is not known
    here, so one thread each is the share that cannot oversubscribe (Dask's
    nanny sets ``OMP_NUM_THREADS=1`` for the same reason).

    Returns
    -------
    n_threads : int
        At least 1 and never more than ``torch.get_num_threads()``.

    See Also
    --------
    limit_torch_threads : Apply this limit for the duration of a block.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm._threads import allowed_torch_threads
    >>> 1 <= allowed_torch_threads() <= torch.get_num_threads()
    True
    """
    n_threads = torch.get_num_threads()
    env = _env_threads()
    if env is not None:
        n_threads = min(n_threads, env)
    elif _in_pool_thread():
        n_threads = 1
    return max(n_threads, 1)


@contextlib.contextmanager
def limit_torch_threads() -> Iterator[int]:
    """Run a block with torch's thread count lowered, then restore it.

    The count is set to :func:`allowed_torch_threads` when that is lower; it
    is never raised, and is restored on exit even if the block raises. Nested
    uses are no-ops. Torch's count is per calling thread, so concurrent fits in
    a thread pool each set their own.

    Yields
    ------
    n_threads : int
        The thread count in effect inside the block.

    See Also
    --------
    allowed_torch_threads : How the limit is chosen.

    Examples
    --------
    >>> import os, torch
    >>> from unittest import mock
    >>> from sk_ebm._threads import limit_torch_threads
    >>> before = torch.get_num_threads()
    >>> with mock.patch.dict(os.environ, {"OMP_NUM_THREADS": "1"}):
    ...     with limit_torch_threads() as n_threads:
    ...         n_threads, torch.get_num_threads()
    (1, 1)
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    allowed = allowed_torch_threads()
    if allowed >= previous:
        yield previous
        return
    torch.set_num_threads(allowed)
    try:
        yield allowed
    finally:
        torch.set_num_threads(previous)
