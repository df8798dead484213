"""Conditional density estimation: EnergyRegressor against probabilistic and
point regression baselines, on 1-D toys with a known p(y | x) and real data.

Data sets: every toy of ``sk_ebm.datasets.REGRESSION_TOYS`` (``--n-train``
training rows with ``random_state=seed`` and 2 000 held-out rows with
``seed + 1000``, for ``--n-seeds`` seeds), ``load_diabetes`` (a random 25 %
held out, one split per seed) and ``fetch_california_housing`` if it is
already in the scikit-learn data folder (``--n-train`` random training rows
and 2 000 other held-out rows per seed; it is never downloaded).

Models:

- ``EnergyRegressor(random_state=seed)``, the defaults (skipped with a message
  if ``sk_ebm`` has no ``EnergyRegressor``, or with ``--no-ebm``);
- ``GaussianProcessRegressor`` (constant * ARD RBF + white noise,
  ``normalize_y=True``) on at most 1 000 training rows: one Gaussian per input;
- ``NGBRegressor`` (normal distribution), if ``ngboost`` is installed: one
  Gaussian per input as well;
- ``HistGradientBoostingRegressor(loss="quantile")`` at 0.05 and 0.95 (the
  interval) and 0.5 (the point);
- a mixture density network (MDN) written here in torch: an MLP with two tanh
  hidden layers of 64 and 5 Gaussian components, Adam, early stopping on a
  10 % validation split, seeded;
- ``MLPRegressor`` with two hidden layers of 64 (the point only);
- ``true density``, on the toys: the known conditional density, the best any
  model can do on average.

The inputs of the GP, the MDN and the MLP are standardised (pipelines); the
tree ensembles take them as they are.

For every data set it prints a table of the means over the seeds of, on the
held-out rows: ``log-lik``, the mean log p(y | x) in nats per row (higher is
better); ``-true``, its difference to the true density's; ``CRPS``, the mean
continuous ranked probability score (lower is better; on a grid of 2 048 points
for the EBM, the MDN and the true density, in closed form for the Gaussians);
``cover90`` and ``width90``, the fraction of rows inside the central 90 %
interval and its mean width; ``MAE``, the mean absolute error of the point
prediction: the mode for the EBM (``predict``), the MDN and the true density,
the mean for the GP, NGBoost and the MLP, the median for quantile boosting;
``fit s``, the wall-clock time of the fit (the sum of the three fits for
quantile boosting). ``-`` marks what a model does not predict.

Finally it prints whether the EBM's targets hold: within 0.05 nats of the true
log-likelihood on every toy; at least 0.2 nats above every single-Gaussian
baseline (GP, NGBoost) on the multimodal toys (``bimodal_skewed``,
``inverse_sine``); no more than 0.02 nats below the best baseline on the
``linear_gaussian`` control; 90 % intervals covering 87-93 % of the held-out
rows on every data set; and its fit on the toys' training rows under 60 s (the
target is for 2 000 rows).

Run (torch is much slower with several threads on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_regression.py            # 3 seeds
    OMP_NUM_THREADS=1 python benchmarks/bench_regression.py --quick    # smoke run
    OMP_NUM_THREADS=1 python benchmarks/bench_regression.py --no-ebm --toys inverse_sine

``--quick`` runs one seed, 500 training rows and the toys only (the baselines
take under a minute on one core).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from _common import Table, make_parser, time_call
from scipy.special import logsumexp, ndtr
from scipy.stats import norm
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import fetch_california_housing, load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_ebm.datasets import CONDITIONAL_LOG_DENSITIES, REGRESSION_TOYS
from sk_ebm.metrics import (
    crps,
    gaussian_crps,
    interval_coverage,
    mean_interval_width,
)

#: Held-out rows of a toy are drawn with ``random_state=seed + TEST_SEED_OFFSET``.
TEST_SEED_OFFSET = 1000
#: Held-out rows of the toys and of California housing.
N_TEST = 2000
#: The GP is fitted on a random subset of at most this many training rows.
GP_MAX_ROWS = 1000
#: Points of the grid of targets on which the CDFs are evaluated for the CRPS.
N_GRID = 2048
#: Nominal coverage of the prediction intervals.
COVERAGE = 0.9
#: Ends of the support of a toy's y where its density jumps (they are added to
#: the grid, so that the true density's CDF is exact there).
SUPPORT_EDGES = {"inverse_sine": (0.0, 1.0)}

#: The EBM's targets (see the module docstring).
TRUE_SLACK = 0.05
MULTIMODAL_MARGIN = 0.2
MULTIMODAL_TOYS = ("bimodal_skewed", "inverse_sine")
CONTROL_SLACK = 0.02
CONTROL_TOY = "linear_gaussian"
COVERAGE_RANGE = (0.87, 0.93)
FIT_SECONDS = 60.0

#: The columns of the tables, the metrics of every model.
METRICS = ("log-lik", "-true", "CRPS", "cover90", "width90", "MAE", "fit s")


# -- data ----------------------------------------------------------------------


@dataclass
class Split:
    """Training and held-out rows of one data set and seed, with the grid of
    targets on which CDFs are compared and the true log-density if known."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    seed: int
    grid: np.ndarray
    log_density: object = None


def target_grid(y, y_test, edges=()):
    """``N_GRID`` points spanning the targets widened by 30 % of their range on
    each side (beyond the EBM's ``y_range_``, 25 % of the training range), the
    support's ``edges`` added."""
    low, high = min(y.min(), y_test.min()), max(y.max(), y_test.max())
    margin = 0.3 * (high - low)
    grid = np.linspace(low - margin, high + margin, N_GRID)
    return np.unique(np.concatenate([grid, edges]))


def toy_splits(name, n_train, seeds):
    make = REGRESSION_TOYS[name]
    splits = []
    for seed in seeds:
        X, y = make(n_train, random_state=seed)
        X_test, y_test = make(N_TEST, random_state=seed + TEST_SEED_OFFSET)
        grid = target_grid(y, y_test, SUPPORT_EDGES.get(name, ()))
        splits.append(
            Split(X, y, X_test, y_test, seed, grid, CONDITIONAL_LOG_DENSITIES[name])
        )
    return splits


def real_splits(X_all, y_all, seeds, n_train=None):
    """A random split per seed: ``n_train`` training rows and ``N_TEST``
    held-out rows, or 75 % / 25 % of the rows when ``n_train`` is None."""
    splits = []
    for seed in seeds:
        if n_train is None:
            X, X_test, y, y_test = train_test_split(
                X_all, y_all, test_size=0.25, random_state=seed
            )
        else:
            order = np.random.RandomState(seed).permutation(len(y_all))
            train, test = order[:n_train], order[n_train : n_train + N_TEST]
            X, y, X_test, y_test = X_all[train], y_all[train], X_all[test], y_all[test]
        splits.append(Split(X, y, X_test, y_test, seed, target_grid(y, y_test)))
    return splits


# -- distributions on a grid ---------------------------------------------------


def grid_quantiles(grid, cdf, levels):
    """Quantiles of CDFs given on ``grid`` (shape (n, K)), linear in between:
    an array of shape (n, len(levels))."""
    rows = np.arange(len(cdf))[:, None]
    levels = np.asarray(levels)[None, :]
    above = np.clip((cdf[:, :, None] < levels[:, None, :]).sum(1), 1, len(grid) - 1)
    lo, hi = cdf[rows, above - 1], cdf[rows, above]
    fraction = np.clip((levels - lo) / np.maximum(hi - lo, 1e-300), 0.0, 1.0)
    return grid[above - 1] + fraction * (grid[above] - grid[above - 1])


def interval_levels(coverage=COVERAGE):
    tail = (1 - coverage) / 2
    return (tail, 1 - tail)


def true_reference(split):
    """The metrics of the true conditional density: its CDF and mode from the
    cell masses of the midpoint rule on the grid, normalised per row."""
    grid = split.grid
    middles = (grid[1:] + grid[:-1]) / 2
    n, k = len(split.y_test), len(middles)
    rows = np.repeat(split.X_test, k, axis=0)
    log_p = split.log_density(rows, np.tile(middles, n)).reshape(n, k)
    masses = np.exp(log_p) * np.diff(grid)
    cdf = np.concatenate([np.zeros((n, 1)), np.cumsum(masses, 1)], axis=1)
    cdf /= cdf[:, -1:]
    return {
        "log-lik": split.log_density(split.X_test, split.y_test).mean(),
        "CRPS": crps(split.y_test, grid, cdf).mean(),
        "interval": grid_quantiles(grid, cdf, interval_levels()),
        "point": middles[np.argmax(log_p, axis=1)],
    }


# -- models --------------------------------------------------------------------


def gaussian_metrics(y_test, mean, std):
    """The metrics of one normal distribution per row."""
    z = norm.ppf(interval_levels()[1])
    return {
        "log-lik": norm.logpdf(y_test, mean, std).mean(),
        "CRPS": gaussian_crps(y_test, mean, std).mean(),
        "interval": np.column_stack([mean - z * std, mean + z * std]),
        "point": mean,
    }


def fit_ebm(split, EnergyRegressor):
    fit = time_call(EnergyRegressor(random_state=split.seed).fit, split.X, split.y)
    ebm = fit.result
    cdf = ebm.predict_cdf(split.X_test, split.grid)
    return {
        "log-lik": ebm.log_likelihood(split.X_test, split.y_test).mean(),
        "CRPS": crps(split.y_test, split.grid, cdf).mean(),
        "interval": ebm.predict_interval(split.X_test, coverage=COVERAGE),
        "point": ebm.predict(split.X_test),
        "fit s": fit.wall,
    }


def fit_gp(split):
    X, y = split.X, split.y
    if len(y) > GP_MAX_ROWS:
        rows = np.random.RandomState(split.seed).choice(len(y), GP_MAX_ROWS, False)
        X, y = X[rows], y[rows]
    kernel = ConstantKernel() * RBF(np.ones(X.shape[1])) + WhiteKernel(0.1)
    gp = make_pipeline(
        StandardScaler(),
        GaussianProcessRegressor(kernel, normalize_y=True, random_state=split.seed),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = time_call(gp.fit, X, y)
    mean, std = gp.predict(split.X_test, return_std=True)
    return {**gaussian_metrics(split.y_test, mean, std), "fit s": fit.wall}


def fit_ngboost(split, NGBRegressor):
    ngb = NGBRegressor(random_state=split.seed, verbose=False)
    fit = time_call(ngb.fit, split.X, split.y)
    params = ngb.pred_dist(split.X_test).params
    return {
        **gaussian_metrics(split.y_test, params["loc"], params["scale"]),
        "fit s": fit.wall,
    }


def fit_quantile_boosting(split):
    predictions, seconds = [], 0.0
    for level in (*interval_levels(), 0.5):
        model = HistGradientBoostingRegressor(
            loss="quantile", quantile=level, random_state=split.seed
        )
        fit = time_call(model.fit, split.X, split.y)
        predictions.append(model.predict(split.X_test))
        seconds += fit.wall
    low, high, median = predictions
    # Separately fitted quantiles may cross.
    interval = np.column_stack([np.minimum(low, high), np.maximum(low, high)])
    return {"interval": interval, "point": median, "fit s": seconds}


def fit_mlp(split):
    mlp = TransformedTargetRegressor(
        make_pipeline(
            StandardScaler(),
            MLPRegressor(
                hidden_layer_sizes=(64, 64),
                early_stopping=True,
                max_iter=2000,
                random_state=split.seed,
            ),
        ),
        transformer=StandardScaler(),
    )
    fit = time_call(mlp.fit, split.X, split.y)
    return {"point": mlp.predict(split.X_test), "fit s": fit.wall}


class MixtureDensityNetwork:
    """A mixture of ``n_components`` Gaussians whose weights, means and
    standard deviations are the outputs of an MLP (Bishop, 1994).

    Inputs and targets are standardised; training minimises the negative
    log-likelihood (log-sum-exp over the components) with Adam on mini-batches,
    and stops when the log-likelihood of a validation split has not improved
    for ``patience`` epochs, keeping the best epoch's weights.
    """

    def __init__(
        self,
        n_components=5,
        hidden=(64, 64),
        lr=2e-3,
        batch_size=128,
        max_epochs=1000,
        patience=30,
        validation_fraction=0.1,
        random_state=0,
    ):
        self.n_components = n_components
        self.hidden = hidden
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def _nll(self, X, y):
        log_w, mean, log_std = self._outputs(X)
        z = (y[:, None] - mean) / log_std.exp()
        log_p = log_w - 0.5 * z**2 - log_std - 0.5 * np.log(2 * np.pi)
        return -torch.logsumexp(log_p, 1).mean()

    def _outputs(self, X):
        out = self.net_(X)
        k = self.n_components
        log_w = torch.log_softmax(out[:, :k], 1)
        log_std = out[:, 2 * k :].clamp(-7.0, 3.0)
        return log_w, out[:, k : 2 * k], log_std

    def fit(self, X, y):
        torch.manual_seed(self.random_state)
        rng = np.random.RandomState(self.random_state)
        self.x_scaler_ = StandardScaler().fit(X)
        self.y_mean_, self.y_std_ = y.mean(), y.std()
        Xs = torch.as_tensor(self.x_scaler_.transform(X), dtype=torch.float32)
        ys = torch.as_tensor((y - self.y_mean_) / self.y_std_, dtype=torch.float32)
        order = rng.permutation(len(y))
        n_valid = max(1, int(self.validation_fraction * len(y)))
        valid, train = order[:n_valid], order[n_valid:]
        layers, width = [], X.shape[1]
        for size in self.hidden:
            layers += [torch.nn.Linear(width, size), torch.nn.Tanh()]
            width = size
        self.net_ = torch.nn.Sequential(
            *layers, torch.nn.Linear(width, 3 * self.n_components)
        )
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        best, best_state, stale = np.inf, None, 0
        for epoch in range(1, self.max_epochs + 1):
            self.n_epochs_ = epoch
            rng.shuffle(train)
            for start in range(0, len(train), self.batch_size):
                batch = train[start : start + self.batch_size]
                optimizer.zero_grad()
                self._nll(Xs[batch], ys[batch]).backward()
                optimizer.step()
            with torch.no_grad():
                loss = self._nll(Xs[valid], ys[valid]).item()
            if loss < best - 1e-4:
                best, best_state, stale = loss, copy.deepcopy(self.net_.state_dict()), 0
            else:
                stale += 1
                if stale >= self.patience:
                    break
        self.net_.load_state_dict(best_state)
        return self

    def mixture(self, X):
        """Log-weights, means and standard deviations, each (n, n_components),
        in the units of y."""
        Xs = torch.as_tensor(self.x_scaler_.transform(X), dtype=torch.float32)
        with torch.no_grad():
            log_w, mean, log_std = (t.double().numpy() for t in self._outputs(Xs))
        return log_w, mean * self.y_std_ + self.y_mean_, np.exp(log_std) * self.y_std_

    def log_likelihood(self, X, y):
        log_w, mean, std = self.mixture(X)
        return logsumexp(log_w + norm.logpdf(y[:, None], mean, std), axis=1)

    def cdf(self, X, values):
        """CDF of each row at ``values``: shape (n, len(values))."""
        log_w, mean, std = self.mixture(X)
        out = np.empty((len(mean), len(values)))
        for start in range(0, len(mean), 256):
            rows = slice(start, start + 256)
            z = (values[None, :, None] - mean[rows, None]) / std[rows, None]
            out[rows] = (np.exp(log_w[rows, None]) * ndtr(z)).sum(-1)
        return out

    def quantiles(self, X, levels, n_iter=60):
        """Quantiles of each row by bisection of the mixture's CDF."""
        log_w, mean, std = self.mixture(X)
        weights = np.exp(log_w)[:, None, :]
        levels = np.asarray(levels)[None, :]
        low = np.broadcast_to((mean - 10 * std).min(1)[:, None], (len(mean), 2))
        high = np.broadcast_to((mean + 10 * std).max(1)[:, None], (len(mean), 2))
        low, high = low.copy(), high.copy()
        for _ in range(n_iter):
            middle = (low + high) / 2
            cdf = weights * ndtr((middle[..., None] - mean[:, None]) / std[:, None])
            below = cdf.sum(-1) < levels
            low = np.where(below, middle, low)
            high = np.where(below, high, middle)
        return (low + high) / 2

    def mode(self, X, grid):
        """The grid point of highest density of each row."""
        log_w, mean, std = self.mixture(X)
        out = np.empty(len(mean))
        for start in range(0, len(mean), 256):
            rows = slice(start, start + 256)
            log_p = logsumexp(
                log_w[rows, None]
                + norm.logpdf(grid[None, :, None], mean[rows, None], std[rows, None]),
                axis=-1,
            )
            out[rows] = grid[np.argmax(log_p, axis=1)]
        return out


def fit_mdn(split):
    mdn = MixtureDensityNetwork(random_state=split.seed)
    fit = time_call(mdn.fit, split.X, split.y)
    cdf = mdn.cdf(split.X_test, split.grid)
    return {
        "log-lik": mdn.log_likelihood(split.X_test, split.y_test).mean(),
        "CRPS": crps(split.y_test, split.grid, cdf).mean(),
        "interval": mdn.quantiles(split.X_test, interval_levels()),
        "point": mdn.mode(split.X_test, split.grid),
        "fit s": fit.wall,
    }


def available_models(no_ebm):
    """The models by name, each a ``fit(split) -> dict``; the optional ones only
    if they can be imported."""
    models = {}
    if no_ebm:
        print("EnergyRegressor skipped (--no-ebm)")
    else:
        try:
            from sk_ebm import EnergyRegressor
        except ImportError as error:
            print(f"sk_ebm.EnergyRegressor not available ({error}), skipped")
        else:
            models["EBM"] = lambda split: fit_ebm(split, EnergyRegressor)
    models["GPR"] = fit_gp
    try:
        from ngboost import NGBRegressor
    except ImportError:
        print("ngboost not installed, skipped")
    else:
        models["NGBoost"] = lambda split: fit_ngboost(split, NGBRegressor)
    models["quantile HGB"] = fit_quantile_boosting
    models["MDN"] = fit_mdn
    models["MLPRegressor"] = fit_mlp
    return models


# -- tables --------------------------------------------------------------------


def summarise(raw, split, true_log_lik):
    """The columns of ``METRICS`` of one model on one split (nan if absent)."""
    interval = raw.get("interval")
    log_lik = raw.get("log-lik", np.nan)
    return {
        "log-lik": log_lik,
        "-true": log_lik - true_log_lik,
        "CRPS": raw.get("CRPS", np.nan),
        "cover90": np.nan
        if interval is None
        else interval_coverage(split.y_test, interval),
        "width90": np.nan if interval is None else mean_interval_width(interval),
        "MAE": np.abs(raw["point"] - split.y_test).mean(),
        "fit s": raw.get("fit s", np.nan),
    }


def cells(means):
    return [
        "-" if np.isnan(means[metric]) else float(means[metric]) for metric in METRICS
    ]


def data_set_table(title, splits, models):
    """Print the table of one data set; return each model's mean metrics."""
    n_train, n_test = len(splits[0].y), len(splits[0].y_test)
    print(
        f"\n## {title}: n_train={n_train}, n_test={n_test}, "
        f"mean over seeds {[split.seed for split in splits]}"
    )
    table = Table(
        [
            ("model", "", 14),
            ("log-lik", ".3f", 7),
            ("-true", ".3f", 7),
            ("CRPS", ".4f", 7),
            ("cover90", ".3f"),
            ("width90", ".3f"),
            ("MAE", ".4f", 7),
            ("fit s", ".1f"),
        ]
    ).header()
    known = splits[0].log_density is not None
    references = [true_reference(split) if known else {} for split in splits]
    true_log_liks = [ref.get("log-lik", np.nan) for ref in references]
    results = {}
    runs = dict(models)
    if known:
        runs["true density"] = None
    for name, fit in runs.items():
        rows = []
        for split, reference, true_log_lik in zip(
            splits, references, true_log_liks, strict=True
        ):
            raw = reference if fit is None else fit(split)
            rows.append(summarise(raw, split, true_log_lik))
        means = {metric: np.mean([row[metric] for row in rows]) for metric in METRICS}
        results[name] = means
        table.row(name, *cells(means))
    return results


def check_targets(results, toys, n_train):
    """Print whether the EBM's targets hold."""
    print("\n## Targets of EnergyRegressor")
    if not any("EBM" in models for models in results.values()):
        print("EnergyRegressor not run: no target checked")
        return

    def gaps(pairs):
        return ", ".join(f"{name} {gap:+.3f}" for name, gap in pairs)

    true_gaps = [
        (name, results[name]["EBM"]["-true"]) for name in toys if name in results
    ]
    misses = [(name, gap) for name, gap in true_gaps if gap < -TRUE_SLACK]
    print(
        f"within {TRUE_SLACK} nats of the true log-likelihood on the toys: "
        f"{not misses} ({gaps(true_gaps)})"
    )

    margins = []
    for name in MULTIMODAL_TOYS:
        if name not in results:
            continue
        singles = [
            results[name][model]["log-lik"]
            for model in ("GPR", "NGBoost")
            if model in results[name]
        ]
        margins.append((name, results[name]["EBM"]["log-lik"] - max(singles)))
    if margins:
        ok = all(margin >= MULTIMODAL_MARGIN for _, margin in margins)
        print(
            f">= {MULTIMODAL_MARGIN} nats above every single-Gaussian baseline "
            f"(GPR, NGBoost) on the multimodal toys: {ok} ({gaps(margins)})"
        )

    if CONTROL_TOY in results:
        models = results[CONTROL_TOY]
        baselines = {
            name: values["log-lik"]
            for name, values in models.items()
            if name not in ("EBM", "true density") and not np.isnan(values["log-lik"])
        }
        best = max(baselines, key=baselines.get)
        gap = models["EBM"]["log-lik"] - baselines[best]
        print(
            f"no worse than the best baseline - {CONTROL_SLACK} on {CONTROL_TOY}: "
            f"{gap >= -CONTROL_SLACK} (EBM - {best} {gap:+.3f})"
        )

    low, high = COVERAGE_RANGE
    coverages = [(name, models["EBM"]["cover90"]) for name, models in results.items()]
    ok = all(low <= cover <= high for _, cover in coverages)
    listed = ", ".join(f"{name} {cover:.3f}" for name, cover in coverages)
    print(f"90 % intervals cover {low:.0%}-{high:.0%}: {ok} ({listed})")

    seconds = max(results[name]["EBM"]["fit s"] for name in toys if name in results)
    print(
        f"EBM fit of {n_train} rows under {FIT_SECONDS:.0f} s (target for 2000 rows): "
        f"{seconds < FIT_SECONDS} (slowest toy {seconds:.1f} s)"
    )


def main():
    parser = make_parser(
        __doc__, quick="one seed, 500 training rows, the toys only (smoke run)"
    )
    parser.add_argument(
        "--n-seeds", type=int, default=3, help="seeds seed, seed + 1, ... (3)"
    )
    parser.add_argument(
        "--n-train", type=int, default=2000, help="training rows of the toys (2000)"
    )
    parser.add_argument(
        "--toys", nargs="+", choices=list(REGRESSION_TOYS), help="the toys (all)"
    )
    parser.add_argument("--no-real", action="store_true", help="the toys only")
    parser.add_argument("--no-ebm", action="store_true", help="the baselines only")
    args = parser.parse_args()
    n_seeds, n_train = (1, 500) if args.quick else (args.n_seeds, args.n_train)
    seeds = range(args.seed, args.seed + n_seeds)
    toys = args.toys or list(REGRESSION_TOYS)

    models = available_models(args.no_ebm)
    results = {}
    for name in toys:
        results[name] = data_set_table(name, toy_splits(name, n_train, seeds), models)
    if not (args.quick or args.no_real):
        X, y = load_diabetes(return_X_y=True)
        results["diabetes"] = data_set_table(
            "diabetes (25 % held out)", real_splits(X, y, seeds), models
        )
        try:
            X, y = fetch_california_housing(download_if_missing=False, return_X_y=True)
        except OSError:
            print(
                "\nCalifornia housing is not in the scikit-learn data folder: skipped"
            )
        else:
            results["california"] = data_set_table(
                "California housing", real_splits(X, y, seeds, n_train), models
            )
    check_targets(results, toys, n_train)


if __name__ == "__main__":
    main()
