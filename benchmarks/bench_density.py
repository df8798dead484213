"""Density estimation on the 2-D toys: EnergyDensityEstimator against KDE, GMM
and the true density.

For every toy of ``sk_ebm.datasets.TOYS`` (the FFJORD toys, thin or sharp, and
the smooth banana, unequally weighted mixture and von Mises ring) and every
setting of ``module_kwargs``, prints the mean over ``--n-seeds`` seeds of the
held-out log-likelihood (nats per sample) of

- ``EnergyDensityEstimator(module_kwargs=...)`` with its own AIS estimate of
  log Z (what ``score`` returns),
- the same energy normalised by numerical integration of exp(-E) on a fine grid
  (so ``AIS - grid`` is the error of the AIS log Z),
- ``GaussianMixture`` with the number of components chosen by BIC,
- ``KernelDensity`` with the bandwidth chosen by 5-fold ``GridSearchCV``,
- the true density, where ``sk_ebm.datasets.LOG_DENSITIES`` knows it,

then the EBM's differences to them and whether the targets hold: EBM >= GMM -
0.02 on every toy, the EBM's mean over the toys >= KDE's, and EBM >= true -
0.05 on every toy with a known density.

Then the same for ``NCEDensityEstimator`` with each noise (``"gmm"``, the
default, ``"gaussian"`` and ``"flow"``): the test log-likelihood with its learned
constant c, the same energy normalised on the grid, and ``c error`` = the log of
the grid integral of the normalised density (0 when c equals the grid log Z),
then the fit time of the defaults on 3 000 points and the ``score_samples`` time
against ``KernelDensity`` with 100 000 training points, as ratios measured in the
same run (medians of ``--repeats`` runs). With ``--curves`` it also prints the
train and validation log-likelihood per epoch and saves them to a PNG.

Run::

    python benchmarks/bench_density.py            # full tables, a long while
    python benchmarks/bench_density.py --quick    # fewer points, smoke run
    python benchmarks/bench_density.py --no-timing --no-nce  # EBM table only
    # Compare network settings (JSON dicts; "{}" is the default network; a
    # list is selected by a validation split), baselines cached between runs:
    python benchmarks/bench_density.py --no-timing --no-nce \
        --cache-dir /tmp/bench_cache --module-kwargs '{}' \
        '{"fourier_scale": [1, 2.5, 5, 10]}' '[{}, {"n_fourier_features": 0}]'
"""

from __future__ import annotations

import json
from functools import partial

import numpy as np
from _common import (
    TOYS,
    Table,
    fit_gmm,
    fit_kde,
    make_parser,
    median_ratio,
    time_call,
    time_interleaved,
)
from joblib import Memory
from scipy.special import logsumexp
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.neighbors import KernelDensity

from sk_ebm import EnergyDensityEstimator, NCEDensityEstimator
from sk_ebm.datasets import LOG_DENSITIES

#: Targets of the EBM's held-out log-likelihood: at most this far below
#: GaussianMixture (BIC) on every toy, and below the true density.
GMM_SLACK, TRUE_SLACK = 0.02, 0.05


def grid_log_mass(estimator, X, resolution=0.01, margin=2.0):
    """log of the integral of exp(score_samples) over a box around the data.

    0 for an exactly normalised density; the AIS error of log Z otherwise.
    """
    low, high = X.min(0) - margin, X.max(0) + margin
    axes = [np.arange(lo, hi, resolution) for lo, hi in zip(low, high, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
    return logsumexp(estimator.score_samples(grid)) + 2 * np.log(resolution)


def toy_data(name, n_train, n_test, seed):
    """Training rows (``random_state=seed``) and held-out rows (``seed + 1``)."""
    make = TOYS[name]
    return make(n_train, random_state=seed)[0], make(n_test, random_state=seed + 1)[0]


def baselines(names, n_train, n_test, seeds):
    """Held-out log-likelihoods of GMM (BIC), KDE (CV) and the true density
    (nan where unknown), by toy and seed: arrays of shape (n_seeds, 3)."""
    out = {}
    for name in names:
        rows = []
        for seed in seeds:
            X, X_test = toy_data(name, n_train, n_test, seed)
            log_density = LOG_DENSITIES.get(name)
            rows.append(
                (
                    fit_gmm(X, seed).score(X_test),
                    fit_kde(X).score(X_test) / len(X_test),
                    log_density(X_test).mean() if log_density else np.nan,
                )
            )
        out[name] = np.array(rows)
    return out


def quality_table(
    names, n_train, n_test, seeds, settings, estimator_kwargs, curves, cache_dir=None
):
    print(
        f"\n## Held-out log-likelihood (nats/sample), n_train={n_train}, "
        f"n_test={n_test}, mean over seeds {list(seeds)}"
    )
    if estimator_kwargs:
        print(f"EnergyDensityEstimator(**{json.dumps(estimator_kwargs)})")
    reference = Memory(cache_dir, verbose=0).cache(baselines)(
        names, n_train, n_test, list(seeds)
    )
    columns = ("EBM", "EBM grid", "GMM", "KDE", "true", "-GMM", "-KDE", "-true")
    table = Table(
        [
            ("toy", "", 15),
            ("module_kwargs", "", 18),
            *((c, ".3f", 7) for c in columns),
            ("min -GMM", ".3f"),
            ("AIS-grid", ".3f"),
            ("epochs", ".0f"),
            ("fit s", ".1f"),
        ]
    ).header()
    summaries, histories = [], {}
    for label, module_kwargs in settings:
        results, selected = {}, {name: [] for name in names}
        for name in names:
            runs = []
            for seed in seeds:
                X, X_test = toy_data(name, n_train, n_test, seed)
                fit = time_call(
                    make_estimator(module_kwargs, seed, estimator_kwargs).fit, X
                )
                ebm = getattr(fit.result, "best_estimator_", fit.result)
                if ebm is not fit.result:
                    selected[name].append(json.dumps(ebm.module_kwargs or {}))
                ais = ebm.score(X_test)
                error = grid_log_mass(ebm, X)
                runs.append((ais, ais - error, error, len(ebm.net_.history), fit.wall))
                if curves and seed == seeds[0]:
                    history = ebm.net_.history
                    histories[f"{name} {label}"] = (
                        history[:, "train_log_likelihood"],
                        history[:, "valid_log_likelihood"],
                    )
            runs = np.array(runs)
            gmm, kde, true = reference[name].mean(0)
            ais, grid, error, epochs, wall = runs.mean(0)
            worst_gmm = (runs[:, 0] - reference[name][:, 0]).min()
            results[name] = (ais, grid, gmm, kde, true)
            table.row(
                name, label, ais, grid, gmm, kde, true, ais - gmm, ais - kde,
                ais - true, worst_gmm, error, epochs, wall,
            )  # fmt: skip
        summaries.append((label, results, selected))
        values = np.array(list(results.values()))
        mean = values.mean(0)
        known = ~np.isnan(values[:, 4])
        true_mean = values[known, 4].mean() if known.any() else np.nan
        table.row(
            "mean", label, *mean[:4], true_mean, mean[0] - mean[2],
            mean[0] - mean[3], (values[known, 0] - values[known, 4]).mean(),
            "", "", "", "",
        )  # fmt: skip
    print("\ncolumns: EBM = score (AIS log Z); -GMM, -KDE, -true = EBM minus them;")
    print("min -GMM = worst seed; true = mean log-density of the held-out rows")
    for label, results, selected in summaries:
        print(f"\ntargets for module_kwargs={label}:")
        for column, which in ((0, "AIS log Z"), (1, "grid log Z")):
            print(f"  EBM with its {which}: {targets(results, column)}")
        for name, choices in selected.items():
            if choices:
                print(f"  {name}: selected {', '.join(choices)}")
    if curves:
        print_curves(histories)


def make_estimator(module_kwargs, seed, estimator_kwargs):
    """``EnergyDensityEstimator(module_kwargs=...)``, or for a list of
    ``module_kwargs`` the search that selects one by the held-out
    log-likelihood of a validation split (20 % of the rows) and refits it on
    all of them."""
    if not isinstance(module_kwargs, list):
        return EnergyDensityEstimator(
            module_kwargs=module_kwargs, random_state=seed, **estimator_kwargs
        )
    return GridSearchCV(
        EnergyDensityEstimator(random_state=seed, **estimator_kwargs),
        {"module_kwargs": [candidate or None for candidate in module_kwargs]},
        cv=ShuffleSplit(1, test_size=0.2, random_state=seed),
    )


def targets(results, column):
    """One line: whether each target holds for the EBM's ``column``, and the
    toys where it does not."""
    ebm = {name: values[column] for name, values in results.items()}
    gmm_misses = {
        name: ebm[name] - values[2]
        for name, values in results.items()
        if ebm[name] < values[2] - GMM_SLACK
    }
    true_misses = {
        name: ebm[name] - values[4]
        for name, values in results.items()
        if ebm[name] < values[4] - TRUE_SLACK
    }
    kde_gap = np.mean(list(ebm.values())) - np.mean([v[3] for v in results.values()])

    def misses(gaps):
        return ", ".join(f"{name} {gap:+.3f}" for name, gap in gaps.items())

    return (
        f">= GMM - {GMM_SLACK} on every toy: {not gmm_misses} {misses(gmm_misses)}"
        f" | mean >= KDE mean: {bool(kde_gap >= 0)} ({kde_gap:+.3f})"
        f" | >= true - {TRUE_SLACK}: {not true_misses} {misses(true_misses)}"
    )


def nce_table(n_train, n_test, seed, noises):
    print(f"\n## NCEDensityEstimator, n_train={n_train}, n_test={n_test}")
    log_liks = ("NCE (c)", "NCE (grid)", "c error")
    table = Table(
        [
            ("toy", "", 23),
            ("noise", "", 8),
            *((c, ".3f") for c in log_liks),
            ("epochs", "d"),
            ("fit s", ".1f"),
        ]
    ).header()
    rows = {noise: [] for noise in noises}
    for name, make in TOYS.items():
        X, _ = make(n_train, random_state=seed)
        X_test, _ = make(n_test, random_state=seed + 1)
        for noise in noises:
            fit = time_call(NCEDensityEstimator(noise=noise, random_state=seed).fit, X)
            nce = fit.result
            learned = nce.score(X_test)
            error = grid_log_mass(nce, X)
            rows[noise].append((learned, learned - error, error))
            table.row(
                name,
                noise,
                learned,
                learned - error,
                error,
                len(nce.net_.history),
                fit.wall,
            )
    for noise, values in rows.items():
        values = np.array(values)
        mean = values.mean(0)
        table.row(
            "mean (max abs c error)",
            noise,
            *mean[:2],
            np.abs(values[:, 2]).max(),
            "",
            "",
        )


def print_curves(histories):
    print("\n## Train / validation log-likelihood per epoch (every 10th epoch)")
    for name, (train, valid) in histories.items():
        print(f"{name}: train", np.round(train[::10], 3).tolist())
        print(f"{' ' * len(name)}  valid", np.round(valid[::10], 3).tolist())
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, len(histories), figsize=(4 * len(histories), 3))
    for ax, (name, (train, valid)) in zip(axes, histories.items(), strict=True):
        ax.plot(train, label="train")
        ax.plot(valid, label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("mean log-likelihood")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig("bench_density_curves.png", dpi=100)
    print("saved bench_density_curves.png")


def timing(repeats, n_fit, n_kde_train, n_query, seed):
    print(f"\n## Timing (median of {repeats} runs)")
    make_rings = TOYS["rings"]
    X, _ = make_rings(n_fit, random_state=seed)
    seeds = iter(range(seed, seed + repeats))  # run r fits with seed + r
    fit = time_call(
        lambda: EnergyDensityEstimator(random_state=next(seeds)).fit(X),
        repeats=repeats,
    )
    print(
        f"EnergyDensityEstimator() fit on {n_fit} 2-D points, AIS included: "
        f"{fit.wall:.1f} s (target < 60 s)"
    )
    X_big, _ = make_rings(n_kde_train, random_state=seed)
    X_query, _ = make_rings(n_query, random_state=seed + 1)
    kde = KernelDensity(bandwidth=0.07).fit(X_big)
    # Scoring cost does not depend on the training size for the EBM; a short fit
    # on the same 100 000 rows gives the same network as the defaults.
    ebm = EnergyDensityEstimator(max_epochs=2, random_state=seed).fit(X_big)

    def print_round(_, times):
        kde_s, ebm_s = times["KDE"].wall_runs[-1], times["EBM"].wall_runs[-1]
        print(f"  KDE {kde_s:.3f} s, EBM {ebm_s:.4f} s")

    times = time_interleaved(
        {
            "KDE": partial(kde.score_samples, X_query),
            "EBM": partial(ebm.score_samples, X_query),
        },
        repeats,
        on_round=print_round,
    )
    print(
        f"score_samples of {n_query} rows, {n_kde_train} training rows: EBM is "
        f"{median_ratio(times['KDE'], times['EBM']):.0f}x faster than KernelDensity"
        " (target >= 50x)"
    )


def main():
    parser = make_parser(__doc__, quick="fewer points, smoke run", repeats=3)
    parser.add_argument("--curves", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-ebm", action="store_true", help="skip the EBM table")
    parser.add_argument("--no-nce", action="store_true", help="skip the NCE table")
    parser.add_argument(
        "--noises", nargs="+", help="NCE noises (default: gmm gaussian flow)"
    )
    parser.add_argument(
        "--n-seeds", type=int, default=3, help="EBM table: seeds seed, seed + 1, ..."
    )
    parser.add_argument(
        "--toys", nargs="+", choices=list(TOYS), help="EBM table: the toys (all)"
    )
    parser.add_argument(
        "--module-kwargs",
        nargs="+",
        default=["{}"],
        metavar="JSON",
        help="EBM table: module_kwargs settings to compare, each a JSON dict, or a "
        "list of dicts to select from by a validation split (default: '{}')",
    )
    parser.add_argument(
        "--estimator-kwargs",
        default="{}",
        metavar="JSON",
        help="EBM table: other EnergyDensityEstimator parameters",
    )
    parser.add_argument(
        "--cache-dir",
        help="EBM table: folder where the baselines (GMM, KDE, true) are cached "
        "between runs with the same toys, sizes and seeds",
    )
    args = parser.parse_args()
    n_train = 1000 if args.quick else 3000
    if not args.no_ebm:
        settings = [(text, json.loads(text) or None) for text in args.module_kwargs]
        quality_table(
            args.toys or list(TOYS),
            n_train,
            3000,
            range(args.seed, args.seed + args.n_seeds),
            settings,
            json.loads(args.estimator_kwargs),
            args.curves,
            args.cache_dir,
        )
    if not args.no_nce:
        noises = args.noises or (
            ("gmm", "gaussian") if args.quick else ("gmm", "gaussian", "flow")
        )
        nce_table(n_train, 3000, args.seed, noises)
    if not args.no_timing:
        timing(
            1 if args.quick else args.repeats,
            n_train,
            10_000 if args.quick else 100_000,
            2_000,
            args.seed,
        )


if __name__ == "__main__":
    main()
