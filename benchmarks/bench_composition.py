"""Composition: products of separately fitted energy models against the truth.

**2-D (``--part toy``).** One ``EnergyDensityEstimator()`` (default settings)
is fitted on 5 000 draws of the banana (a curved band, ``make_banana``) and
another on 5 000 draws of the rings (``make_rings``); ``EnergyProduct([band,
rings])`` composes them without retraining. The truth is the exact product
of the two true densities, normalised on a 900 x 900 grid over [-4.8, 4.8]^2
(it has no mass outside), with exact samples drawn from the grid cells
(uniform within a cell). Reported per seed:

- ``KL``: KL(true product || composed) in nats, the mean of
  ``log p_true - score_samples`` over 20 000 exact samples (target <= 0.1);
  it includes the members' own errors (the rings model alone is ~0.1 nats
  from its truth, ``bench_density.py``);
- ``logZ err``: ``log_partition_`` (AIS) minus the log-integral of the
  composed ``exp(-energy)`` on a 1 700 x 1 700 grid over [-9, 9]^2 (the
  models' tails may leave the truth's box; target |err| <= 0.05);
- per sampler, ``HDR95``: the share of 2 000 samples inside the true
  product's 95 % highest-density region (target >= 0.9; exact samples reach
  0.95), ``E log p``: their mean true log-density (exact samples: the
  ``exact`` row), and the wall time. Samplers: the composition's
  ``sample_init`` ``"anneal"`` (AIS from the members' Gaussian product, then
  resampling and MALA), ``"base"`` (importance resampling from that
  Gaussian) and ``"members"`` (draws of both members reweighted); the naive
  baseline ``band | rings`` draws from the band model and accepts a draw with
  probability ``p_rings(x) / max p_rings`` (the maximum over the grid),
  i.e. exact rejection sampling of the same composed density, and
  ``rings | band`` the converse (``acc``: acceptance rate).

**Digits (``--part digits``).** On ``load_digits`` (1 000 training rows,
stratified, the rest held out) an ``EnergyClassifier()`` gives the concept
``(clf, 3)``, :math:`E(x, 3) = -f(x)[3]`, and an ``EnergyDensityEstimator()``
is fitted on the "thick" training digits: those whose ink (the sum of the
grey levels) exceeds the median ink of the training 3s, so that half of the
real 3s are thick. ``EnergyProduct([(clf, 3), thick])`` should draw thick
3s. Judges trained on the real training digits: an ``SVC`` for the digit
(``is 3``), and a ``LogisticRegression`` (behind a ``StandardScaler``) for
thick versus thin (``thick``); ``both`` is the share satisfying both, on 200
samples of each generator, rounded to grey levels and clipped to [0, 16]
(``ink`` is the share whose own ink passes the threshold); ``diversity``
is the mean pairwise distance between the samples over that between the
held-out real 3s (0: copies of one image). The judges' held-out accuracies
are printed. ``real 3s`` is the held-out 3s, the
reference.

Figures: ``--output`` (default ``bench_composition.png``): the 2-D densities
and samples of the first seed, and digit samples (10 per generator).

Run (torch is much slower with several threads on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_composition.py            # seeds 0-2
    OMP_NUM_THREADS=1 python benchmarks/bench_composition.py --quick    # smoke run
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from _common import Table, make_parser
from scipy.spatial.distance import pdist
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sk_ebm import EnergyClassifier, EnergyDensityEstimator
from sk_ebm.compose import EnergyProduct
from sk_ebm.datasets import (
    banana_log_density,
    make_banana,
    make_rings,
    rings_log_density,
)

N_TRAIN_TOY = 5000
N_EXACT = 20000
N_SAMPLES = 2000
HALF_WIDTH, N_GRID = 4.8, 900
WIDE, N_WIDE = 9.0, 1700  # the grid of the composed energy's log-partition
SAMPLERS = ("anneal", "base", "members")
N_DIGIT_SAMPLES = 200
DIGIT = 3
QUICK = {"max_epochs": 10}


# -- 2-D -----------------------------------------------------------------------


class Truth:
    """The exact product of the band and rings densities, on a grid."""

    def __init__(self):
        axis = np.linspace(-HALF_WIDTH, HALF_WIDTH, N_GRID)
        self.axis, self.cell = axis, axis[1] - axis[0]
        self.points = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1)
        self.points = self.points.reshape(-1, 2)
        unnormalised = self.unnormalised(self.points)
        self.log_z = logsumexp(unnormalised) + 2 * np.log(self.cell)
        self.log_p = unnormalised - self.log_z
        # The 95 % highest-density region: the cells of highest density
        # holding 95 % of the mass.
        order = np.sort(self.log_p)[::-1]
        mass = np.cumsum(np.exp(order)) * self.cell**2
        self.hdr_level = order[np.searchsorted(mass, 0.95)]

    @staticmethod
    def unnormalised(X):
        return banana_log_density(X) + rings_log_density(X)

    def log_density(self, X):
        return self.unnormalised(X) - self.log_z

    def sample(self, n, seed):
        rng = np.random.RandomState(seed)
        p = np.exp(self.log_p - logsumexp(self.log_p))
        cells = rng.choice(len(p), size=n, p=p)
        jitter = rng.uniform(-0.5, 0.5, size=(n, 2)) * self.cell
        return self.points[cells] + jitter

    def hdr_share(self, X):
        return float(np.mean(self.log_density(X) >= self.hdr_level))


def rejection(proposal, acceptor, log_bound, n, seed):
    """Draws of ``proposal`` accepted with probability ``p_acceptor / bound``."""
    rng = np.random.RandomState(seed)
    accepted, drawn, batch = [], 0, 4 * n
    while sum(len(a) for a in accepted) < n:
        X = proposal.sample(batch, random_state=rng.randint(2**31 - 1))
        drawn += batch
        keep = np.log(rng.uniform(size=batch)) < acceptor.score_samples(X) - log_bound
        accepted.append(X[keep])
        batch = min(8 * batch, 200_000)
    return np.concatenate(accepted)[:n], n / drawn


def run_toy(seed, params, truth, table, figure_data):
    band_X, _ = make_banana(N_TRAIN_TOY, random_state=seed)
    rings_X, _ = make_rings(N_TRAIN_TOY, random_state=seed)
    start = time.perf_counter()
    band = EnergyDensityEstimator(**params, random_state=seed).fit(band_X)
    rings = EnergyDensityEstimator(**params, random_state=seed).fit(rings_X)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    composed = EnergyProduct([band, rings], random_state=seed).fit()
    compose_s = time.perf_counter() - start
    exact = truth.sample(N_EXACT, seed)
    kl = float(np.mean(truth.log_density(exact) - composed.score_samples(exact)))
    # The models' tails may reach beyond the truth's box: a wider grid.
    axis = np.linspace(-WIDE, WIDE, N_WIDE)
    wide = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    grid_log_z = logsumexp(-composed.energy(wide)) + 2 * np.log(axis[1] - axis[0])
    log_z_err = composed.log_partition_ - grid_log_z
    print(
        f"seed {seed}: members fitted in {fit_s:.0f} s, composed (AIS) in "
        f"{compose_s:.1f} s; KL(true || composed) = {kl:.3f} nats, log Z error "
        f"= {log_z_err:+.3f} (AIS std {composed.log_partition_std_:.3f})"
    )
    rows = {"exact": (exact[:N_SAMPLES], 0.0, np.nan)}
    for init in SAMPLERS:
        composed.set_params(sample_init=init)
        start = time.perf_counter()
        X = composed.sample(N_SAMPLES, random_state=seed)
        rows[f"composed {init}"] = (X, time.perf_counter() - start, np.nan)
    grid_band = band.score_samples(truth.points).max()
    grid_rings = rings.score_samples(truth.points).max()
    for name, proposal, acceptor, bound in (
        ("band | rings", band, rings, grid_rings),
        ("rings | band", rings, band, grid_band),
    ):
        start = time.perf_counter()
        X, rate = rejection(proposal, acceptor, bound, N_SAMPLES, seed)
        rows[name] = (X, time.perf_counter() - start, rate)
    results = {}
    for name, (X, seconds, rate) in rows.items():
        hdr = truth.hdr_share(X)
        mean_log_p = float(np.mean(truth.log_density(X)))
        results[name] = (hdr, mean_log_p)
        table.row(seed, name, kl, log_z_err, hdr, mean_log_p, seconds, rate)
    if not figure_data:
        figure_data.update(
            composed=composed,
            samples={k: v[0] for k, v in rows.items()},
        )
    return kl, log_z_err, results


# -- digits --------------------------------------------------------------------


def ink(X):
    return X.sum(1)


def spread(X):
    """Mean pairwise Euclidean distance between the rows."""
    return float(np.mean(pdist(X)))


def project(X):
    return np.clip(np.round(X), 0, 16)


def run_digits(seed, classifier_params, density_params, figure_data):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=1000, stratify=y, random_state=seed
    )
    threshold = np.median(ink(X_train[y_train == DIGIT]))
    thick_train, thick_test = ink(X_train) > threshold, ink(X_test) > threshold
    svc = SVC().fit(X_train, y_train)
    thickness = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    thickness.fit(X_train, thick_train)
    print(
        f"seed {seed}: judges' held-out accuracy: digit (SVC) "
        f"{svc.score(X_test, y_test):.3f}, thick (LR) "
        f"{thickness.score(X_test, thick_test):.3f}; thick training rows: "
        f"{thick_train.sum()} (ink > {threshold:.0f})"
    )
    start = time.perf_counter()
    clf = EnergyClassifier(**classifier_params, random_state=seed)
    clf.fit(X_train, y_train)
    thick = EnergyDensityEstimator(**density_params, random_state=seed)
    thick.fit(X_train[thick_train])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    composed = EnergyProduct([(clf, DIGIT), thick], random_state=seed).fit()
    print(
        f"  members fitted in {fit_s:.0f} s, composed (AIS) in "
        f"{time.perf_counter() - start:.1f} s"
    )
    n = N_DIGIT_SAMPLES
    generators = {
        f"real {DIGIT}s (held out)": lambda: X_test[y_test == DIGIT][:n],
        f"(clf, {DIGIT}) alone": lambda: clf.sample(n, y=DIGIT, random_state=seed),
        "thick model alone": lambda: thick.sample(n, random_state=seed),
        "product anneal": lambda: composed.sample(n, random_state=seed),
        "product base": lambda: composed.set_params(sample_init="base").sample(
            n, random_state=seed
        ),
        "product members": lambda: composed.set_params(sample_init="members").sample(
            n, random_state=seed
        ),
    }
    table = Table(
        [
            ("seed", "d"),
            ("generator", "", 22),
            ("is 3", ".3f"),
            ("thick", ".3f"),
            ("both", ".3f"),
            ("ink", ".3f"),
            ("diversity", ".3f"),
            ("sample s", ".1f"),
        ]
    ).header()
    reference = spread(X_test[y_test == DIGIT])
    shares = {}
    for name, draw in generators.items():
        start = time.perf_counter()
        samples = project(draw())
        seconds = time.perf_counter() - start
        is_digit = svc.predict(samples) == DIGIT
        is_thick = thickness.predict(samples).astype(bool)
        both = float(np.mean(is_digit & is_thick))
        shares[name] = both
        table.row(
            seed,
            name,
            is_digit.mean(),
            is_thick.mean(),
            both,
            np.mean(ink(samples) > threshold),
            spread(samples) / reference,
            seconds,
        )
        if "digits" not in figure_data:
            figure_data.setdefault("digit_samples", {})[name] = samples[:10]
    figure_data["digits"] = True
    return shares


# -- figure --------------------------------------------------------------------


def save_figure(path, truth, toy, digits):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure.")
        return
    names = ["exact", "composed anneal", "band | rings"]
    fig = plt.figure(figsize=(15, 8.5))
    grid = fig.add_gridspec(2, 5, height_ratios=[1, 1])
    extent = (-HALF_WIDTH, HALF_WIDTH, -HALF_WIDTH, HALF_WIDTH)
    shape = (N_GRID, N_GRID)
    panels = []
    if toy:
        panels.append(("true product p(x)", np.exp(truth.log_p).reshape(shape)))
        composed = toy["composed"]
        log_p = composed.score_samples(truth.points).reshape(shape)
        panels.append(("EnergyProduct([band, rings])", np.exp(log_p)))
    for i, (title, image) in enumerate(panels):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(image.T, origin="lower", extent=extent, cmap="viridis")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    for i, name in enumerate(names if toy else []):
        ax = fig.add_subplot(grid[0, 2 + i])
        X = toy["samples"][name]
        ax.scatter(X[:, 0], X[:, 1], s=1, alpha=0.4)
        ax.set_xlim(-HALF_WIDTH, HALF_WIDTH), ax.set_ylim(-HALF_WIDTH, HALF_WIDTH)
        ax.set_aspect("equal")
        ax.set_title(f"samples: {name}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    if digits.get("digit_samples"):
        rows = digits["digit_samples"]
        ax = fig.add_subplot(grid[1, :])
        mosaic = np.vstack(
            [
                np.hstack([np.pad(x.reshape(8, 8), 1) for x in images])
                for images in rows.values()
            ]
        )
        ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=16)
        ax.set_yticks([10 * i + 5 for i in range(len(rows))], list(rows))
        ax.set_xticks([])
        ax.set_title(f"digits: a {DIGIT} (classifier concept) and thick (density)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"figure: {path}")


def main():
    parser = make_parser(
        __doc__, quick="one seed, 10 epochs per member (a smoke run)", repeats=3
    )
    parser.add_argument("--part", choices=("toy", "digits", "both"), default="both")
    parser.add_argument("--output", default="bench_composition.png", help="PNG path")
    args = parser.parse_args()
    params = QUICK if args.quick else {}
    seeds = [args.seed] if args.quick else range(args.seed, args.seed + args.repeats)
    warnings.filterwarnings("ignore", category=UserWarning)
    truth = Truth()
    toy_data, digit_data = {}, {}
    if args.part in ("toy", "both"):
        print(f"true product: log Z = {truth.log_z:.4f} (grid), HDR95 of exact samples")
        table = Table(
            [
                ("seed", "d"),
                ("sampler", "", 16),
                ("KL", ".3f"),
                ("logZ err", "+.3f"),
                ("HDR95", ".3f"),
                ("E log p", ".3f"),
                ("sample s", ".1f"),
                ("acc", ".3f"),
            ]
        ).header()
        runs = [run_toy(seed, params, truth, table, toy_data) for seed in seeds]
        kls = [r[0] for r in runs]
        errors = [r[1] for r in runs]
        print(
            f"\nmean over seeds: KL {np.mean(kls):.3f} +- {np.std(kls):.3f} "
            f"(target <= 0.1), |log Z error| {np.mean(np.abs(errors)):.3f} "
            "(target <= 0.05)"
        )
        summary = Table([("sampler", "", 16), ("HDR95", ".3f"), ("E log p", ".3f")])
        summary.header()
        for name in runs[0][2]:
            hdr = np.mean([r[2][name][0] for r in runs])
            summary.row(name, hdr, np.mean([r[2][name][1] for r in runs]))
    if args.part in ("digits", "both"):
        print()
        all_shares = [run_digits(seed, params, params, digit_data) for seed in seeds]
        summary = Table([("generator", "", 22), ("both (mean)", ".3f")]).header()
        for name in all_shares[0]:
            summary.row(name, np.mean([s[name] for s in all_shares]))
    save_figure(args.output, truth, toy_data, digit_data)


if __name__ == "__main__":
    main()
