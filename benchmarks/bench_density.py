"""Density estimation on the 2-D toys: EnergyDensityEstimator against KDE and GMM.

For every toy, prints the mean test log-likelihood (nats per sample) of

- ``EnergyDensityEstimator()`` with its own AIS estimate of log Z,
- the same energy normalised by numerical integration of exp(-E) on a fine grid
  (so ``AIS - grid`` is the error of the AIS log Z),
- ``KernelDensity`` with the bandwidth chosen by 5-fold ``GridSearchCV``,
- ``GaussianMixture`` with the number of components chosen by BIC,

then the same for ``NCEDensityEstimator`` with each noise (``"gmm"``, the
default, ``"gaussian"`` and ``"flow"``): the test log-likelihood with its learned
constant c, the same energy normalised on the grid, and ``c error`` = the log of
the grid integral of the normalised density (0 when c equals the grid log Z),
then the fit time of the defaults on 3 000 points and the ``score_samples`` time
against ``KernelDensity`` with 100 000 training points, as ratios measured in the
same run (medians of ``--repeats`` runs). With ``--curves`` it also prints the
train and validation log-likelihood per epoch and saves them to a PNG.

Run::

    python benchmarks/bench_density.py            # full table, a few minutes
    python benchmarks/bench_density.py --quick    # fewer points, smoke run
    python benchmarks/bench_density.py --no-timing --no-ebm   # NCE table only
"""

from __future__ import annotations

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
from scipy.special import logsumexp
from sklearn.neighbors import KernelDensity

from sk_ebm import EnergyDensityEstimator, NCEDensityEstimator


def grid_log_mass(estimator, X, resolution=0.01, margin=2.0):
    """log of the integral of exp(score_samples) over a box around the data.

    0 for an exactly normalised density; the AIS error of log Z otherwise.
    """
    low, high = X.min(0) - margin, X.max(0) + margin
    axes = [np.arange(lo, hi, resolution) for lo, hi in zip(low, high, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
    return logsumexp(estimator.score_samples(grid)) + 2 * np.log(resolution)


def quality_table(n_train, n_test, seed, curves):
    print(f"\n## Test log-likelihood (nats/sample), n_train={n_train}, n_test={n_test}")
    log_liks = ("EBM (AIS)", "EBM (grid)", "KDE", "GMM", "AIS-grid", "AIS se")
    table = Table(
        [
            ("toy", "", 23),
            *((c, ".3f", 7) for c in log_liks),
            ("epochs", "d"),
            ("fit s", ".1f"),
        ]
    ).header()
    rows, histories = [], {}
    for name, make in TOYS.items():
        X, _ = make(n_train, random_state=seed)
        X_test, _ = make(n_test, random_state=seed + 1)
        fit = time_call(EnergyDensityEstimator(random_state=seed).fit, X)
        ebm = fit.result
        ais = ebm.score(X_test)
        error = grid_log_mass(ebm, X)
        kde = fit_kde(X).score(X_test) / len(X_test)
        gmm = fit_gmm(X, seed).score(X_test)
        rows.append((ais, ais + error, kde, gmm, error))
        history = ebm.net_.history
        histories[name] = (
            history[:, "train_log_likelihood"],
            history[:, "valid_log_likelihood"],
        )
        table.row(
            name,
            ais,
            ais + error,
            kde,
            gmm,
            error,
            ebm.log_partition_std_,
            len(history),
            fit.wall,
        )
    rows = np.array(rows)
    mean = rows.mean(0)
    table.row(
        "mean (max abs AIS-grid)",
        *mean[:4],
        np.abs(rows[:, 4]).max(),
        "",
        "",
        "",
    )
    print(
        "targets: EBM >= GMM - 0.05 on every toy:",
        bool(np.all(rows[:, 1] >= rows[:, 3] - 0.05)),
        "| EBM mean >= KDE mean:",
        bool(mean[1] >= mean[2]),
        "| |AIS - grid| <= 0.05:",
        bool(np.all(np.abs(rows[:, 4]) <= 0.05)),
    )
    if curves:
        print_curves(histories)


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
    args = parser.parse_args()
    n_train = 1000 if args.quick else 3000
    if not args.no_ebm:
        quality_table(n_train, 3000, args.seed, args.curves)
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
