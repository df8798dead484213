"""Out-of-distribution detection: OODDetector against scikit-learn's outlier detectors.

Five tasks, each a training set of in-distribution rows, test rows of the same
distribution (the positives) and out-of-distribution (OOD) rows:

- ``digits: held-out 5-9``: ``load_digits`` (60 % stratified training split),
  trained on the digits 0-4; the test digits 0-4 against the test digits 5-9;
- ``digits: inverted`` and ``digits: uniform noise``: trained on all ten
  digits; the test digits against the same digits with inverted intensities
  (16 - x), and against uniform noise on the pixel range [0, 16] (one fit for
  both tasks);
- ``wine: held-out class 1``: ``load_wine`` without its largest class (60 %
  stratified training split of classes 0 and 2); the test rows against every
  row of class 1;
- ``spirals: shifted``: ``sk_ebm.datasets.make_two_spirals`` (noise 0.1); fresh
  spirals against fresh spirals shifted by +0.5 along the first axis, so that
  only a model of the thin arms separates them.

On every task it fits, once per estimator, ``OODDetector(estimator)`` with

- ``EnergyDensityEstimator(objective="importance")`` (methods ``energy`` and
  ``grad_norm``; ``objective="auto"``, the default, takes ``"pcd"`` above 10
  features),
- ``NCEDensityEstimator()`` (``energy``, ``grad_norm``),
- ``EnergyClassifier()`` on the task's labels (digit, wine class or spiral
  arm; ``energy``, ``max_softmax``, ``grad_norm``),

and the untouched default ``OODDetector()`` (its own fit). The methods of one
estimator share its fit: the other methods' scores are those of a shallow copy
of the fitted detector with ``method_`` set, i.e. the code path of
``OODDetector.score_samples`` on the same ``estimator_``. The baselines are
``score_samples`` of ``IsolationForest``, ``LocalOutlierFactor(novelty=True)``,
``OneClassSVM(gamma="scale", nu=0.05)``, ``GaussianMixture`` (full
covariances, 1, 2, 4 or 8 components chosen by BIC) and ``KernelDensity`` (bandwidth
chosen by 5-fold ``GridSearchCV`` of the inliers' log-likelihood), each behind a
``StandardScaler`` (the sk_ebm estimators standardise internally).

It prints, per task, the AUROC and the FPR at 95 % TPR
(``sk_ebm.metrics.ood_auroc``, ``fpr_at_tpr``; in-distribution rows are the
positives) and the fit time of every detector; then a summary of the AUROC per
task and its mean, and two targets. A detector whose fit fails (for instance
a ``DivergenceError``) is reported as failed and counts as a random detector,
AUROC 0.5 and FPR 0.95, in the means. With ``--repeats`` every number is the
mean (and the AUROC's standard deviation) over runs with seeds ``seed``,
``seed + 1``, ... (data splits, transforms and models alike).

Run (torch is much slower with several threads on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_ood.py               # ~3 minutes
    OMP_NUM_THREADS=1 python benchmarks/bench_ood.py --quick       # ~1 minute
    OMP_NUM_THREADS=1 python benchmarks/bench_ood.py --repeats 3   # ~9 minutes
"""

from __future__ import annotations

import copy
import time
import warnings
from functools import partial

import numpy as np
from _common import Table, fit_gmm, fit_kde, make_parser, time_call
from sklearn.datasets import load_digits, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    NCEDensityEstimator,
    OODDetector,
)
from sk_ebm.datasets import make_two_spirals
from sk_ebm.metrics import fpr_at_tpr, ood_auroc

DEFAULT = "OODDetector() (defaults)"
BASELINES = (
    "IsolationForest",
    "LocalOutlierFactor",
    "OneClassSVM",
    "GaussianMixture (BIC)",
    "KernelDensity (CV)",
)
SHORT_NAMES = {
    "digits: held-out 5-9": "digits 5-9",
    "digits: inverted": "inverted",
    "digits: uniform noise": "noise",
    "wine: held-out class 1": "wine 1",
    "spirals: shifted": "spirals",
}
# A detector that cannot be fitted is no better than a random one.
CHANCE = {"auroc": 0.5, "fpr": 0.95}


def sk_ebm_estimators(seed, quick):
    """{name: (unfitted estimator, methods)}, the first method fitted."""
    ede = {"max_epochs": 20, "ais_chains": 200, "ais_temperatures": 50} if quick else {}
    nce = {"max_epochs": 20} if quick else {}
    clf = {"max_epochs": 10} if quick else {}
    return {
        "EnergyDensityEstimator": (
            EnergyDensityEstimator(objective="importance", random_state=seed, **ede),
            ("energy", "grad_norm"),
        ),
        "NCEDensityEstimator": (
            NCEDensityEstimator(random_state=seed, **nce),
            ("energy", "grad_norm"),
        ),
        "EnergyClassifier": (
            EnergyClassifier(random_state=seed, **clf),
            ("energy", "max_softmax", "grad_norm"),
        ),
    }


def sk_ebm_rows(quick):
    rows = [
        f"{name} / {method}"
        for name, (_, methods) in sk_ebm_estimators(0, quick).items()
        for method in methods
    ]
    return rows


def fit_baseline(name, X, seed):
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    if name == "IsolationForest":
        model = IsolationForest(random_state=seed).fit(Z)
    elif name == "LocalOutlierFactor":
        model = LocalOutlierFactor(novelty=True).fit(Z)
    elif name == "OneClassSVM":
        model = OneClassSVM(gamma="scale", nu=0.05).fit(Z)
    elif name == "GaussianMixture (BIC)":
        model = fit_gmm(Z, seed, n_components=(1, 2, 4, 8), n_init=1)
    else:
        model = fit_kde(Z, bandwidths=np.logspace(-1.5, 1, 21))
    return make_pipeline(scaler, model)


def method_scores(detector, X, method):
    """What ``OODDetector(detector.estimator, method=method)`` fitted alike scores.

    ``score_samples`` uses the ``method_`` fixed at fit; a shallow copy with
    another ``method_`` shares the fitted ``estimator_`` and runs the same code.
    """
    view = copy.copy(detector)
    view.method_ = method
    return view.score_samples(X)


def make_tasks(seed, quick):
    """[(fit name, X_train, y_train, {task: (X_in, X_out)})]: one fit per entry."""
    rng = np.random.RandomState(seed)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=0.6, stratify=y, random_state=seed
    )
    known_train, known_test = y_train < 5, y_test < 5
    X_wine, y_wine = load_wine(return_X_y=True)
    kept = y_wine != 1
    Xw_train, Xw_test, yw_train, _ = train_test_split(
        X_wine[kept],
        y_wine[kept],
        train_size=0.6,
        stratify=y_wine[kept],
        random_state=seed,
    )
    n_spirals = 1000 if quick else 2000
    Xs_train, ys_train = make_two_spirals(n_spirals, random_state=seed)
    Xs_test, _ = make_two_spirals(1000, random_state=seed + 10_000)
    Xs_ood, _ = make_two_spirals(1000, random_state=seed + 20_000)
    return [
        (
            "digits 0-4",
            X_train[known_train],
            y_train[known_train],
            {"digits: held-out 5-9": (X_test[known_test], X_test[~known_test])},
        ),
        (
            "digits",
            X_train,
            y_train,
            {
                "digits: inverted": (X_test, 16.0 - X_test),
                "digits: uniform noise": (X_test, rng.uniform(0, 16, X_test.shape)),
            },
        ),
        (
            "wine, classes 0 and 2",
            Xw_train,
            yw_train,
            {"wine: held-out class 1": (Xw_test, X_wine[~kept])},
        ),
        (
            "two spirals",
            Xs_train,
            ys_train,
            {"spirals: shifted": (Xs_test, Xs_ood + np.array([0.5, 0.0]))},
        ),
    ]


def evaluate(scores_in, scores_out):
    return {
        "auroc": ood_auroc(scores_in, scores_out),
        "fpr": fpr_at_tpr(scores_in, scores_out, tpr=0.95),
    }


def fit_or_error(fit, *args):
    """(fitted model, None), or (None, error message) where the fit fails."""
    try:
        return fit(*args), None
    except Exception as err:  # reported in the table, counted as chance
        return None, f"{type(err).__name__}: {err}"


def timed(fit, *args):
    """(fitted model or None, seconds, error message or None)."""
    timing = time_call(fit_or_error, fit, *args)
    model, error = timing.result
    return model, timing.wall, error


def fit_detector(estimator, method, X, y):
    return OODDetector(estimator, method=method).fit(X, y)


def fit_default(X, seed):
    # OODDetector() draws its seeds from numpy's global generator.
    np.random.seed(seed)  # noqa: NPY002
    return OODDetector().fit(X)


def score_samples(model, X):
    return model.score_samples(X)


def run_once(seed, quick):
    """{task: {row: metrics or {"error": message}}}, {task: {row: fit seconds}}."""
    results, fit_times = {}, {}

    def record(tasks, row, fitted, scorer):
        model, seconds, error = fitted
        for task, (X_in, X_out) in tasks.items():
            fit_times.setdefault(task, {})[row] = seconds
            results.setdefault(task, {})[row] = (
                {"error": error}
                if error is not None
                else evaluate(scorer(model, X_in), scorer(model, X_out))
            )

    for fit_name, X_train, y_train, tasks in make_tasks(seed, quick):
        print(f"  fitting on {fit_name} ({X_train.shape[0]} x {X_train.shape[1]})")
        for name, (estimator, methods) in sk_ebm_estimators(seed, quick).items():
            fitted = timed(fit_detector, estimator, methods[0], X_train, y_train)
            for method in methods:
                scorer = partial(method_scores, method=method)
                record(tasks, f"{name} / {method}", fitted, scorer)
        record(tasks, DEFAULT, timed(fit_default, X_train, seed), score_samples)
        for name in BASELINES:
            fitted = timed(fit_baseline, name, X_train, seed)
            record(tasks, name, fitted, score_samples)
    return results, fit_times


def aggregate(runs):
    """Mean over the repeats, failures counted as chance; (metrics, failures)."""
    summary, failures = {}, {}
    for task in runs[0][0]:
        summary[task], failures[task] = {}, {}
        for row in runs[0][0][task]:
            values = [results[task][row] for results, _ in runs]
            errors = [v["error"] for v in values if "error" in v]
            metrics = [CHANCE if "error" in v else v for v in values]
            aurocs = [m["auroc"] for m in metrics]
            summary[task][row] = {
                "auroc": float(np.mean(aurocs)),
                "auroc_std": float(np.std(aurocs)),
                "fpr": float(np.mean([m["fpr"] for m in metrics])),
                "fit": float(np.mean([fit_times[task][row] for _, fit_times in runs])),
            }
            failures[task][row] = errors
    return summary, failures


def task_table(task, rows, failures, repeats):
    print(f"\n## {task}: mean of {repeats} run(s); in-distribution rows are positives")
    table = Table(
        [
            ("detector", "", 38),
            ("AUROC", ".4f", 7),
            ("(std)", ".4f", 7),
            ("FPR@95", ".4f", 7),
            ("fit s", ".1f", 7),
            "failed fits",
        ]
    ).header()
    for row, m in rows.items():
        note = ""
        if failures[row]:
            note = f"{len(failures[row])}/{repeats}: {failures[row][0][:70]}"
        table.row(row, m["auroc"], m["auroc_std"], m["fpr"], m["fit"], note)


def summary_table(summary, failures, quick):
    tasks = list(summary)
    rows = list(summary[tasks[0]])
    short = [SHORT_NAMES.get(task, task[:10]) for task in tasks]
    print("\n## Summary: AUROC per task (failed fits count as 0.5)")
    table = Table(
        [("detector", "", 38)]
        + [(s, ".4f", 10) for s in short]
        + [("mean", ".4f", 7), ("FPR@95", ".4f", 7)]
    ).header()
    means = {}
    for row in rows:
        aurocs = [summary[task][row]["auroc"] for task in tasks]
        fprs = [summary[task][row]["fpr"] for task in tasks]
        means[row] = float(np.mean(aurocs))
        flags = [
            "*" if failures[task][row] else " " for task in tasks
        ]  # failed at least once
        cells = [f"{a:.4f}{f}" for a, f in zip(aurocs, flags, strict=True)]
        table.row(row, *cells, means[row], np.mean(fprs))
    print("(* = the fit failed in at least one run)")

    configs = sk_ebm_rows(quick)
    best_config = max(configs, key=means.get)
    best_baseline = max(BASELINES, key=means.get)
    print("\n## Targets")
    print(
        f"best sk_ebm config: {best_config} {means[best_config]:.4f} | best "
        f"baseline: {best_baseline} {means[best_baseline]:.4f}"
    )
    print(
        "best sk_ebm config mean AUROC >= best baseline mean AUROC: "
        f"{means[best_config] >= means[best_baseline]}"
        f" ({means[best_config] - means[best_baseline]:+.4f})"
    )
    print(
        f"default OODDetector() within 0.02 AUROC of the best sk_ebm config: "
        f"{means[DEFAULT] >= means[best_config] - 0.02}"
        f" ({means[DEFAULT]:.4f} vs {means[best_config]:.4f},"
        f" {means[DEFAULT] - means[best_config]:+.4f})"
    )


def main():
    parser = make_parser(__doc__, quick="fewer epochs", repeats=1)
    args = parser.parse_args()
    # skorch and scikit-learn warnings (convergence, deprecations) would bury
    # the tables.
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    runs = []
    for r in range(args.repeats):
        print(f"run {r + 1}/{args.repeats}, seed {args.seed + r}")
        runs.append(run_once(args.seed + r, args.quick))
    summary, failures = aggregate(runs)
    for task, rows in summary.items():
        task_table(task, rows, failures[task], args.repeats)
    summary_table(summary, failures, args.quick)
    print(f"\ntotal time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
