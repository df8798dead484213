"""GridSearchCV with ``n_jobs=2`` against ``n_jobs=1``: the speed-up of parallel
model selection, and torch's thread count inside the fits.

A grid of 8 ``EnergyClassifier`` settings (hidden sizes, generative weight,
learning rate) is searched with 3-fold cross-validation on ``load_digits``
(1 797 rows, 64 features): 24 fits of about a second each. Every repeat times,
side by side,

- ``n_jobs=1``: the fits in this process, torch on its default thread count
  (all cores);
- ``n_jobs=1`` with ``torch.set_num_threads(1)``: the same on one thread, the
  baseline that isolates the gain of running fits in parallel;
- ``n_jobs=2`` (loky, or ``--backend threading``): two fits at a time; joblib
  gives each worker process ``cpu_count() // 2`` threads through
  ``OMP_NUM_THREADS``, and sk_ebm caps torch to it (one thread per worker
  thread with the threading backend).

It prints the median wall times, the speed-up of ``n_jobs=2`` over each
``n_jobs=1`` run, the largest difference of the cross-validated accuracies
between the runs, the torch thread count of the fits (the count sk_ebm sets,
read in each worker by a scorer) and the time of the first ``n_jobs=2`` search
(starting the workers, importing torch in them), which the timed repeats
exclude as joblib reuses its workers.

Run it without ``OMP_NUM_THREADS`` (the realistic case)::

    python benchmarks/bench_parallel.py               # ~4 minutes on 2 cores
    python benchmarks/bench_parallel.py --repeats 1   # ~1.5 minutes
"""

from __future__ import annotations

import os
from functools import partial

import joblib
import numpy as np
import torch
from _common import Table, make_parser, time_call, time_interleaved
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from sk_ebm import EnergyClassifier
from sk_ebm._threads import limit_torch_threads

GRID = {
    "hidden_layer_sizes": [(32,), (64, 64)],
    "generative_weight": [0.0, 0.1],
    "lr": [1e-3, 3e-3],
}


def fit_threads(estimator, X, y):
    """A 'scorer' that returns the torch thread count sk_ebm gives a fit here
    (in the worker, after its fit), by the rule that capped that fit."""
    with limit_torch_threads() as n_threads:
        return float(n_threads)


def search(X, y, n_jobs, backend):
    estimator = EnergyClassifier(max_epochs=10, sgld_steps=5, random_state=0)
    grid = GridSearchCV(
        estimator,
        GRID,
        cv=3,
        scoring={"accuracy": "accuracy", "threads": fit_threads},
        refit=False,
        n_jobs=n_jobs,
    )
    with joblib.parallel_config(backend=backend):
        grid.fit(X, y)
    return grid.cv_results_


def main():
    parser = make_parser(__doc__, repeats=3, seed=False)
    parser.add_argument("--backend", default="loky", choices=["loky", "threading"])
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    default_threads = torch.get_num_threads()
    print(
        f"cpu_count={joblib.cpu_count()} torch threads={default_threads} "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} "
        f"load average={os.getloadavg()[0]:.2f}"
    )
    print(
        f"{np.prod([len(v) for v in GRID.values()])} candidates x 3 folds, "
        f"n_jobs=2 on the {args.backend} backend"
    )
    EnergyClassifier(max_epochs=1).fit(X, y)  # warm torch up in this process
    cold = time_call(search, X, y, 2, args.backend).wall
    print(f"first n_jobs=2 search (starting the workers): {cold:.1f} s")

    def run(n_jobs, n_threads):
        torch.set_num_threads(n_threads)
        return search(X, y, n_jobs, args.backend)

    def print_round(repeat, times):
        print(
            f"repeat {repeat}: "
            + ", ".join(f"{name} {t.wall_runs[-1]:.1f} s" for name, t in times.items())
            + f" (load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )

    # The last call of every round leaves torch on its default thread count.
    times = time_interleaved(
        {
            "n_jobs=1": partial(run, 1, default_threads),
            "n_jobs=1, 1 thread": partial(run, 1, 1),
            "n_jobs=2": partial(run, 2, default_threads),
        },
        args.repeats,
        on_round=print_round,
    )
    results = {name: timing.result for name, timing in times.items()}

    print()
    table = Table(
        [
            ("run", "", 18),
            ("median time (s)", ".1f"),
            "torch threads in fits",
            "n_jobs=2 speed-up",
        ]
    ).header()
    for name, timing in times.items():
        threads = sorted(
            {int(t) for i in range(3) for t in results[name][f"split{i}_test_threads"]}
        )
        speed_up = timing.wall / times["n_jobs=2"].wall
        table.row(name, timing.wall, str(threads), f"{speed_up:.2f}x")
    accuracy = {name: r["mean_test_accuracy"] for name, r in results.items()}
    print(
        "largest difference of the mean CV accuracies, n_jobs=2 against n_jobs=1 "
        f"(default threads / 1 thread): "
        f"{np.abs(accuracy['n_jobs=2'] - accuracy['n_jobs=1']).max():.2g} / "
        f"{np.abs(accuracy['n_jobs=2'] - accuracy['n_jobs=1, 1 thread']).max():.2g}"
    )


if __name__ == "__main__":
    main()
