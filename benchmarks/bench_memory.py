"""Peak memory of batched inference on a large array.

For every estimator and inference method below, a fresh Python process fits
the estimator on 2 000 rows (a few epochs: the weights do not matter here),
allocates ``X``, a C-contiguous float64 array of ``--n-samples`` rows (2 000 000
by default) and ``--n-features`` columns (32), warms the method up on 1 000
rows, and then calls it once on all of ``X``. The figure is the growth of the
process's peak resident memory during that call over its resident memory just
before it (``X`` and the fitted model already in memory), as a ratio to
``X.nbytes`` (512 MB by default). The outputs themselves count: an
``(n_samples, n_classes)`` float64 array is ``n_classes / n_features`` of
``X``'s size.

The peak is Linux's ``VmHWM`` from ``/proc/self/status``, reset to the current
resident size before the call by writing ``5`` to ``/proc/self/clear_refs``;
where that is not allowed a thread samples ``VmRSS`` every millisecond
instead. One process per call keeps the measurements independent (the peak of
a process only grows).

Cases: ``EnergyClassifier`` (10 classes) ``predict_proba``,
``predict_log_proba``, ``decision_function``, ``predict`` and
``score_samples``; ``EnergyDensityEstimator`` and ``NCEDensityEstimator``
``score_samples``; ``OODDetector`` ``decision_function`` and
``score_samples`` around an ``EnergyDensityEstimator`` (``method="energy"``)
and ``score_samples`` with ``method="grad_norm"``. The target is a growth of
at most 1.5 times ``X.nbytes``; the script exits with status 1 when a case
misses it.

Run (about 6 minutes, most of it fitting; torch on one thread)::

    OMP_NUM_THREADS=1 python benchmarks/bench_memory.py
    OMP_NUM_THREADS=1 python benchmarks/bench_memory.py --n-samples 200000  # quick
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from _common import Table, make_parser, time_call

TARGET = 1.5
N_CLASSES = 10
CASES = [
    ("EnergyClassifier", "predict_proba"),
    ("EnergyClassifier", "predict_log_proba"),
    ("EnergyClassifier", "decision_function"),
    ("EnergyClassifier", "predict"),
    ("EnergyClassifier", "score_samples"),
    ("EnergyDensityEstimator", "score_samples"),
    ("NCEDensityEstimator", "score_samples"),
    ("OODDetector", "decision_function"),
    ("OODDetector", "score_samples"),
    ("OODDetector(grad_norm)", "score_samples"),
]


def _status_kib(field: str) -> int:
    """A ``/proc/self/status`` field in KiB."""
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1))


class PeakRSS:
    """Peak resident memory (bytes) over a ``with`` block, from its start."""

    def __enter__(self):
        gc.collect()
        self.baseline = _status_kib("VmRSS")
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current VmRSS
            self._thread = None
        except OSError:
            self._stop = threading.Event()
            self._sampled = self.baseline
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.001):
            self._sampled = max(self._sampled, _status_kib("VmRSS"))

    def __exit__(self, *exc):
        if self._thread is None:
            peak = _status_kib("VmHWM")
        else:
            self._stop.set()
            self._thread.join()
            peak = max(self._sampled, _status_kib("VmRSS"))
        self.growth = 1024 * (peak - self.baseline)


def make_estimator(name: str, n_features: int):
    """``name`` fitted on 2 000 rows of ``n_features`` columns (fixed seeds)."""
    from sk_ebm import (
        EnergyClassifier,
        EnergyDensityEstimator,
        NCEDensityEstimator,
        OODDetector,
    )

    rng = np.random.RandomState(0)
    X = rng.standard_normal((2000, n_features))
    y = rng.randint(0, N_CLASSES, size=2000)
    density = EnergyDensityEstimator(
        max_epochs=2, ais_chains=200, ais_temperatures=20, random_state=0
    )
    if name == "EnergyClassifier":
        return EnergyClassifier(max_epochs=2, sgld_steps=2, random_state=0).fit(X, y)
    if name == "EnergyDensityEstimator":
        return density.fit(X)
    if name == "NCEDensityEstimator":
        return NCEDensityEstimator(max_epochs=2, random_state=0).fit(X)
    if name == "OODDetector":
        return OODDetector(density).fit(X)
    if name == "OODDetector(grad_norm)":
        return OODDetector(density, method="grad_norm").fit(X)
    raise ValueError(f"Unknown estimator {name!r}.")


def child(case: int, n_samples: int, n_features: int) -> dict:
    """Measure one case in this process; the result as a dict."""
    import torch

    torch.set_num_threads(1)
    name, method = CASES[case]
    estimator = make_estimator(name, n_features)
    X = np.random.default_rng(0).standard_normal((n_samples, n_features))
    call = getattr(estimator, method)
    call(X[:1000])
    with PeakRSS() as peak:
        timing = time_call(call, X)
    out = timing.result
    return {
        "estimator": name,
        "method": method,
        "growth": peak.growth,
        "ratio": peak.growth / X.nbytes,
        "output_ratio": out.nbytes / X.nbytes,
        "seconds": timing.wall,
    }


def main(argv=None) -> int:
    parser = make_parser(__doc__, seed=False)
    parser.add_argument("--n-samples", type=int, default=2_000_000)
    parser.add_argument("--n-features", type=int, default=32)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.n_samples, args.n_features)))
        return 0

    nbytes = args.n_samples * args.n_features * 8
    print(
        f"X: {args.n_samples} x {args.n_features} float64 = {nbytes / 1e6:.0f} MB; "
        f"peak RSS growth during one call, as a ratio to X.nbytes "
        f"(target <= {TARGET})"
    )
    table = Table(
        [
            ("estimator", "", 24),
            ("method", "", 19),
            ("growth MB", ".1f"),
            ("ratio", ".3f", 6),
            ("output", ".3f", 6),
            ("time s", ".1f", 6),
            ("ok", "", 6),
        ]
    ).header()
    failed, errors = 0, []
    for case in range(len(CASES)):
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            f"--child={case}",
            f"--n-samples={args.n_samples}",
            f"--n-features={args.n_features}",
        ]
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            failed += 1
            name, method = CASES[case]
            table.row(name, method, "", "", "", "", "failed")
            errors.append(f"{name}.{method} failed:\n{run.stderr[-2000:]}")
            continue
        r = json.loads(run.stdout.strip().splitlines()[-1])
        ok = r["ratio"] <= TARGET
        failed += not ok
        table.row(
            r["estimator"],
            r["method"],
            r["growth"] / 1e6,
            r["ratio"],
            r["output_ratio"],
            r["seconds"],
            "yes" if ok else "NO",
        )
    print("output: the returned array's size as a ratio to X.nbytes")
    for error in errors:
        print(f"\n{error}")
    return int(failed > 0)


if __name__ == "__main__":
    sys.exit(main())
