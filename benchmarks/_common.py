"""What the benchmark scripts share: toy data, baselines, timing and tables.

- ``TOYS``: the 2-D toy distributions of :mod:`sk_ebm.datasets` by name;
- :func:`fit_kde`, :func:`fit_gmm`: the scikit-learn density baselines, a
  ``KernelDensity`` with its bandwidth chosen by cross-validation and a
  ``GaussianMixture`` with its number of components chosen by BIC;
- :func:`time_call`, :func:`time_interleaved`, :func:`median_ratio`, with the
  :class:`Timing` they return: medians of the wall-clock (``time.perf_counter``)
  and CPU (``time.process_time``) times of repeated runs, the garbage collected
  before each run;
- :class:`Table`: a markdown table printed row by row;
- :func:`make_parser`: the command line options the scripts have in common.

The scripts run as ``python benchmarks/bench_x.py``, which puts this folder on
``sys.path``; they import this module as ``from _common import ...``.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from sk_ebm.datasets import TOYS

__all__ = [
    "TOYS",
    "Table",
    "Timing",
    "fit_gmm",
    "fit_kde",
    "make_parser",
    "median_ratio",
    "time_call",
    "time_interleaved",
]


# -- baselines -----------------------------------------------------------------


def fit_kde(X, bandwidths=None):
    """``KernelDensity`` with the bandwidth chosen by 5-fold ``GridSearchCV``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows.
    bandwidths : array-like, default=None
        Candidate bandwidths; ``None`` means ``np.logspace(-2, 0, 20)``, suited
        to the toys of ``TOYS``.

    Returns
    -------
    KernelDensity
        The best candidate, refitted on all of ``X``.
    """
    if bandwidths is None:
        bandwidths = np.logspace(-2, 0, 20)
    search = GridSearchCV(KernelDensity(), {"bandwidth": bandwidths})
    return search.fit(X).best_estimator_


def fit_gmm(X, seed, n_components=range(1, 41, 3), n_init=2):
    """``GaussianMixture`` (full covariances) with the lowest BIC on ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows.
    seed : int
        ``random_state`` of every candidate.
    n_components : iterable of int, default=range(1, 41, 3)
        Candidate numbers of components; those above ``len(X) // 2`` are
        skipped.
    n_init : int, default=2
        Initialisations per candidate.

    Returns
    -------
    GaussianMixture
        The fitted candidate with the lowest BIC.
    """
    candidates = [
        GaussianMixture(
            k, covariance_type="full", random_state=seed, n_init=n_init
        ).fit(X)
        for k in n_components
        if k <= len(X) // 2
    ]
    return min(candidates, key=lambda gmm: gmm.bic(X))


# -- timing --------------------------------------------------------------------


@dataclass
class Timing:
    """Times of the runs of one call, in seconds.

    Attributes
    ----------
    result : object
        What the last run returned.
    wall_runs, cpu_runs : list of float
        Wall-clock and CPU time of every run, in order.
    """

    result: Any = None
    wall_runs: list[float] = field(default_factory=list)
    cpu_runs: list[float] = field(default_factory=list)

    @property
    def wall(self) -> float:
        """Median wall-clock time."""
        return float(np.median(self.wall_runs))

    @property
    def cpu(self) -> float:
        """Median CPU time."""
        return float(np.median(self.cpu_runs))

    def add_run(self, fn: Callable[[], Any]) -> None:
        """Collect the garbage, then run ``fn()`` and record its times."""
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        self.result = fn()
        self.wall_runs.append(time.perf_counter() - start)
        self.cpu_runs.append(time.process_time() - start_cpu)


def time_call(fn: Callable, *args, repeats: int = 1, **kwargs) -> Timing:
    """Run ``fn(*args, **kwargs)`` ``repeats`` times and time every run.

    Parameters
    ----------
    fn : callable
        What to time.
    *args, **kwargs
        Its arguments.
    repeats : int, default=1
        Number of runs, one after the other.

    Returns
    -------
    Timing
        The runs' times (``.wall`` and ``.cpu`` are their medians) and the
        last run's result.
    """
    timing = Timing()
    for _ in range(repeats):
        timing.add_run(lambda: fn(*args, **kwargs))
    return timing


def time_interleaved(
    calls: Mapping[str, Callable[[], Any]],
    repeats: int,
    on_round: Callable[[int, dict[str, Timing]], None] | None = None,
) -> dict[str, Timing]:
    """Time every call ``repeats`` times, the calls interleaved in each round.

    A change of the machine's load during the benchmark then hits all the
    calls alike.

    Parameters
    ----------
    calls : mapping of str to callable
        The calls, without arguments, run in this order in every round.
    repeats : int
        Number of rounds.
    on_round : callable, default=None
        Called as ``on_round(round_index, timings)`` after every round, for
        instance to print its times (``timings[name].wall_runs[-1]``).

    Returns
    -------
    dict of str to Timing
        The times of every call.
    """
    timings = {name: Timing() for name in calls}
    for r in range(repeats):
        for name, fn in calls.items():
            timings[name].add_run(fn)
        if on_round is not None:
            on_round(r, timings)
    return timings


def median_ratio(a: Timing, b: Timing, clock: str = "wall") -> float:
    """Median over the runs of ``a``'s time divided by ``b``'s in the same run.

    With interleaved runs this is the ratio least affected by a drift of the
    machine's load.

    Parameters
    ----------
    a, b : Timing
        Times of as many runs each.
    clock : {"wall", "cpu"}, default="wall"
        Which time.

    Returns
    -------
    float
    """
    runs = f"{clock}_runs"
    return float(np.median(np.array(getattr(a, runs)) / np.array(getattr(b, runs))))


# -- output --------------------------------------------------------------------


def _column(name: str, spec: str = "", width: int = 0) -> tuple[str, str, int]:
    return name, spec, max(len(_cell(name, "")), width, 3)


def _cell(value, spec: str) -> str:
    text = value if isinstance(value, str) else format(value, spec)
    return text.replace("|", "\\|")


class Table:
    """A markdown table printed row by row, so that a long benchmark shows its
    progress.

    Parameters
    ----------
    columns : sequence of str or tuple
        One entry per column: its name, or ``(name, spec)`` or
        ``(name, spec, width)``. ``spec`` is the format specification of the
        column's non-string values (``".3f"``); a column with a ``spec`` is
        right-aligned. Cells are padded to ``max(len(name), width, 3)``
        characters. String values are printed as they are.

    Examples
    --------
    >>> table = Table(["toy", ("log-lik", ".3f")]).header()
    | toy | log-lik |
    | --- | ------: |
    >>> table.row("rings", -1.23456)
    | rings |  -1.235 |
    """

    def __init__(self, columns: Sequence[str | tuple]) -> None:
        self.columns = [
            _column(c) if isinstance(c, str) else _column(*c) for c in columns
        ]

    def _line(self, cells) -> str:
        padded = [
            cell.rjust(width) if spec else cell.ljust(width)
            for cell, (_, spec, width) in zip(cells, self.columns, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    def header(self) -> Table:
        """Print the column names and the alignment row; return the table."""
        print(self._line([_cell(name, "") for name, _, _ in self.columns]))
        rules = [
            "-" * (width - 1) + ":" if spec else "-" * width
            for _, spec, width in self.columns
        ]
        print("| " + " | ".join(rules) + " |")
        return self

    def row(self, *values) -> None:
        """Print one row, a value per column."""
        cells = [
            _cell(value, spec)
            for value, (_, spec, _) in zip(values, self.columns, strict=True)
        ]
        print(self._line(cells))


def make_parser(
    doc: str,
    *,
    quick: str | None = None,
    repeats: int | None = None,
    seed: bool = True,
) -> argparse.ArgumentParser:
    """The command line parser of a benchmark script.

    Parameters
    ----------
    doc : str
        The script's docstring; its first paragraph describes the script.
    quick : str, default=None
        Help of a ``--quick`` flag; ``None`` adds no such flag.
    repeats : int, default=None
        Default of ``--repeats``; ``None`` adds no such option.
    seed : bool, default=True
        Whether to add ``--seed`` (default 0).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(description=" ".join(doc.split("\n\n")[0].split()))
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    if repeats is not None:
        parser.add_argument("--repeats", type=int, default=repeats)
    if seed:
        parser.add_argument("--seed", type=int, default=0)
    return parser
