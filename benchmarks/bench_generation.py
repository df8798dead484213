"""Generation: do sampled digits look like digits? sk_ebm against KDE and GMM.

On ``load_digits`` (8x8 images, integer grey levels 0-16; 1 000 training rows
stratified by class, the other 797 held out, split anew for every seed), draws
samples from

- ``EnergyClassifier``: class-conditional ``sample(n, y=k)`` per class k, and
  unconditional ``sample(n)`` (JEM's p(x)) from the same fit;
- ``EnergyDensityEstimator``: unconditional ``sample(n)`` only;
- (c) scikit-learn's gallery recipe "Kernel Density Estimation"
  (``plot_digits_kde_sampling``): ``PCA(n_components=15, whiten=False)``, a
  ``KernelDensity`` whose bandwidth 5-fold ``GridSearchCV`` picks from
  ``np.logspace(-1, 1, 20)``, ``sample``, ``inverse_transform``; fitted on each
  class's rows for the conditional samples, on all rows for the unconditional;
- (d) ``GaussianMixture`` on the same PCA-15 features: per class, diagonal
  covariances with 1-8 components chosen by BIC (on a class's own PCA scores a
  single Gaussian's covariance is diagonal anyway, and with ~100 rows per class
  full covariances, 135 parameters a component, let BIC pick 8 near-degenerate
  components); on all rows, full covariances with 1-40 components chosen by BIC
  (``_common.fit_gmm``);
- a reference row, "real (training rows)": training digits in place of
  samples, the floor of the two-sample test (AUROC ~0.5). Its class fidelity
  and confidence are optimistic, as the classifiers were fitted on these rows;
  the classifiers' held-out accuracy is printed as the fair reference.

Every sample is scored after projection onto the data's grid: rounded to the
nearest grey level and clipped to [0, 16]. Raw samples of any continuous
generator, the baselines included, are told apart from real digits perfectly
(AUROC 1.000) because real pixels are integers, so the raw two-sample AUROC
(``AUROC raw``) is reported but is not the realism figure. What the projection
hides is reported as ``out of range``: the share of raw pixel values outside
[-0.5, 16.5] (those the clipping changes; non-finite values included, and
replaced by +-1e6 for the raw test).

Figure 1, class fidelity (conditional samples): the share of samples that
``SVC()`` fitted on the real training pixels assigns to the requested class
(target >= 0.90), and the same for ``LogisticRegression`` (behind a
``StandardScaler``). For unconditional samples: the mean largest class
probability of that ``LogisticRegression`` (``LR confidence``, informative),
and ``class TV``, the total variation distance between the SVC's predicted
class frequencies on the samples and on the held-out digits (0: same class
balance; 0.9: every sample in one class, i.e. mode collapse). ``diversity``:
the mean pairwise Euclidean distance among the samples over that among the
held-out digits they are tested against, per class (then averaged) for the
conditional samples: 1 for digits as varied as real ones, 0 for copies of one
image (mode collapse within a class, which class fidelity does not see).

Figure 2, realism: a classifier two-sample test. A
``HistGradientBoostingClassifier`` separates real held-out digits (label 0)
from as many samples (label 1); ``AUROC`` is its 5-fold cross-validated
(stratified, shuffled) ROC AUC: 0.5 means indistinguishable, 1 perfectly
separable. Conditional: the held-out digits subsampled to the same number per
class (the smallest class count, ~79) against as many samples per class.
Unconditional: all held-out digits against as many samples. Target: sk_ebm's
AUROC no higher than the KDE baseline's (conditional: EnergyClassifier;
unconditional: EnergyDensityEstimator).

``fit s`` is the time of every fit the samples need (ten per-class models for
the conditional baselines; EnergyClassifier's one fit serves both modes and is
shown in both tables), ``sample s`` the time of drawing them. Tables show the
mean +- standard deviation over the seeds ``--seed`` ... ``--seed +
--repeats - 1``. A failed fit or draw gives ``nan`` and its error type next
to the generator's name; the messages are printed after the per-seed table.

The sk_ebm settings are the estimators' defaults, changed by
``CLASSIFIER_PARAMS`` / ``DENSITY_PARAMS`` below, then ``--epochs`` (both
estimators' ``max_epochs``), then ``--classifier-param`` / ``--density-param
KEY=VALUE`` (repeatable; VALUE is a Python literal or a string). ``--quick``
runs one seed with fewer epochs (a smoke run, figures not comparable).

A PNG (``--output``, default ``bench_generation.png``) shows, for the first
seed, 10 raw samples per class (rows 0-9) of every generator (``gray_r``,
grey levels 0-16, out-of-range values saturate); unconditional samples are put
in the row of the class the SVC predicts. It needs matplotlib (optional).

Run (torch is much slower with several threads on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_generation.py              # 3 seeds
    OMP_NUM_THREADS=1 python benchmarks/bench_generation.py --quick      # smoke run
    OMP_NUM_THREADS=1 python benchmarks/bench_generation.py --epochs 100 \\
        --classifier-param sample_steps=200 --output /tmp/gen.png
"""

from __future__ import annotations

import ast
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from _common import Table, fit_gmm, fit_kde, make_parser, time_call
from scipy.spatial.distance import pdist
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sk_ebm import EnergyClassifier, EnergyDensityEstimator

# sk_ebm settings to benchmark; empty: the estimators' defaults. For instance
# {"max_epochs": 80, "sample_steps": 200}.
CLASSIFIER_PARAMS: dict = {}
DENSITY_PARAMS: dict = {}
# --quick: fewer epochs (the dicts above and the command line override them).
QUICK_CLASSIFIER_PARAMS = {"max_epochs": 10}
QUICK_DENSITY_PARAMS = {"max_epochs": 40}

N_TRAIN = 1000
N_PCA = 15
KDE_BANDWIDTHS = np.logspace(-1, 1, 20)
GMM_CLASS_COMPONENTS = range(1, 9)
LOW, HIGH = 0.0, 16.0
FIDELITY_TARGET = 0.90
N_SHOWN = 10  # samples per class in the PNG

EC, EDE = "EnergyClassifier", "EnergyDensityEstimator"
KDE, GMM = "(c) KDE on PCA-15", "(d) GMM on PCA-15"
REAL = "real (training rows)"
COND, UNCOND = "p(x|y)", "p(x)"


# -- generators ----------------------------------------------------------------


def fit_pca_kde(X, seed):
    """The gallery recipe: PCA-15, then KDE with a cross-validated bandwidth."""
    pca = PCA(n_components=N_PCA, whiten=False).fit(X)
    return pca, fit_kde(pca.transform(X), bandwidths=KDE_BANDWIDTHS)


def sample_pca_kde(model, n, seed):
    pca, kde = model
    return pca.inverse_transform(kde.sample(n, random_state=seed))


def fit_pca_gmm(X, seed, per_class):
    """PCA-15, then the GaussianMixture with the lowest BIC (see the docstring)."""
    pca = PCA(n_components=N_PCA, whiten=False).fit(X)
    Z = pca.transform(X)
    if not per_class:
        return pca, fit_gmm(Z, seed)
    candidates = [
        GaussianMixture(k, covariance_type="diag", random_state=seed, n_init=2).fit(Z)
        for k in GMM_CLASS_COMPONENTS
    ]
    return pca, min(candidates, key=lambda gmm: gmm.bic(Z))


def sample_pca_gmm(model, n, seed):
    pca, gmm = model
    gmm.set_params(random_state=seed)
    Z, _ = gmm.sample(n)  # ordered by component: shuffled
    return pca.inverse_transform(np.random.RandomState(seed).permutation(Z))


def per_class(fit, sample):
    """Turn ``fit(X, seed)`` / ``sample(model, n, seed)`` into per-class models."""

    def fit_all(X, y, seed):
        return {k: fit(X[y == k], seed) for k in np.unique(y)}

    def sample_all(models, classes, n, seeds):
        return np.vstack(
            [sample(models[k], n, s) for k, s in zip(classes, seeds, strict=True)]
        )

    return fit_all, sample_all


@dataclass
class Generator:
    """How one row of the tables fits and samples, per mode.

    ``fit_cond(X, y, seed)`` and ``fit_uncond(X, y, seed)`` return a model;
    ``fit_uncond=None`` reuses the conditional model (and its fit time).
    ``sample_cond(model, classes, n, seeds)`` returns ``n`` rows per class,
    class by class; ``sample_uncond(model, n, seed)`` returns ``n`` rows. A
    mode whose sampler is None is not applicable.
    """

    fit_cond: Callable | None = None
    sample_cond: Callable | None = None
    fit_uncond: Callable | None = None
    sample_uncond: Callable | None = None
    is_ebm: bool = False


def make_generators(classifier_params, density_params):
    def fit_classifier(X, y, seed):
        return EnergyClassifier(**{**classifier_params, "random_state": seed}).fit(X, y)

    def sample_classifier(model, classes, n, seeds):
        return np.vstack(
            [
                model.sample(n, y=k, random_state=int(s))
                for k, s in zip(classes, seeds, strict=True)
            ]
        )

    def fit_density(X, y, seed):
        return EnergyDensityEstimator(**{**density_params, "random_state": seed}).fit(X)

    def sample_ebm(model, n, seed):
        return model.sample(n, random_state=seed)

    def real_cond(data, classes, n, seeds):
        X, y = data
        return np.vstack(
            [
                X[np.random.RandomState(s).permutation(np.flatnonzero(y == k))[:n]]
                for k, s in zip(classes, seeds, strict=True)
            ]
        )

    def real_uncond(data, n, seed):
        X, _ = data
        return X[np.random.RandomState(seed).permutation(len(X))[:n]]

    def keep(X, y, seed):
        return X, y

    kde_fit, kde_sample = per_class(fit_pca_kde, sample_pca_kde)
    gmm_fit, gmm_sample = per_class(
        lambda X, seed: fit_pca_gmm(X, seed, per_class=True), sample_pca_gmm
    )
    return {
        EC: Generator(fit_classifier, sample_classifier, None, sample_ebm, is_ebm=True),
        EDE: Generator(fit_uncond=fit_density, sample_uncond=sample_ebm, is_ebm=True),
        KDE: Generator(
            kde_fit,
            kde_sample,
            lambda X, y, seed: fit_pca_kde(X, seed),
            sample_pca_kde,
        ),
        GMM: Generator(
            gmm_fit,
            gmm_sample,
            lambda X, y, seed: fit_pca_gmm(X, seed, per_class=False),
            sample_pca_gmm,
        ),
        REAL: Generator(keep, real_cond, None, real_uncond),
    }


# -- scores --------------------------------------------------------------------


def finite(S):
    """Non-finite values replaced by +-1e6 (they count as out of range)."""
    return np.nan_to_num(S, nan=1e6, posinf=1e6, neginf=-1e6)


def project(S):
    """Samples on the data's grid: rounded to grey levels, clipped to [0, 16]."""
    return np.clip(np.rint(finite(S)), LOW, HIGH)


def out_of_range(S):
    """Share of raw values the projection clips (non-finite ones included)."""
    with np.errstate(invalid="ignore"):
        return float(np.mean(~((S >= LOW - 0.5) & (S <= HIGH + 0.5))))


def two_sample_auroc(real, fake, seed):
    """Cross-validated AUROC of a classifier telling ``fake`` (1) from ``real``."""
    X = np.vstack([real, fake])
    labels = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    classifier = HistGradientBoostingClassifier(random_state=seed)
    return float(
        cross_val_score(classifier, X, labels, cv=cv, scoring="roc_auc").mean()
    )


def diversity(samples, real):
    """Mean pairwise distance among the samples over that among the real rows:
    1 for as varied as real digits, 0 for copies of one image."""
    return float(pdist(samples).mean() / pdist(real).mean())


def class_tv(predicted, reference, classes):
    """Total variation distance between two label samples' class frequencies."""
    p = np.array([np.mean(predicted == k) for k in classes])
    q = np.array([np.mean(reference == k) for k in classes])
    return float(0.5 * np.abs(p - q).sum())


@dataclass
class Judges:
    """Everything real the samples are compared with, for one seed."""

    svc: object
    logreg: object
    classes: np.ndarray
    real_cond: np.ndarray  # held-out rows, n_per_class per class, class by class
    real_uncond: np.ndarray  # all held-out rows
    svc_uncond: np.ndarray  # the SVC's predictions on real_uncond
    seed: int

    def conditional(self, S, requested):
        Q = project(S)
        per_class = zip(
            np.split(Q, len(self.classes)),
            np.split(self.real_cond, len(self.classes)),
            strict=True,
        )
        return {
            "SVC fidelity": float(np.mean(self.svc.predict(Q) == requested)),
            "LR fidelity": float(np.mean(self.logreg.predict(Q) == requested)),
            "diversity": float(np.mean([diversity(q, r) for q, r in per_class])),
            "AUROC": two_sample_auroc(self.real_cond, Q, self.seed),
            "AUROC raw": two_sample_auroc(self.real_cond, finite(S), self.seed),
            "out of range": out_of_range(S),
        }

    def unconditional(self, S):
        Q = project(S)
        return {
            "LR confidence": float(self.logreg.predict_proba(Q).max(1).mean()),
            "class TV": class_tv(self.svc.predict(Q), self.svc_uncond, self.classes),
            "diversity": diversity(Q, self.real_uncond),
            "AUROC": two_sample_auroc(self.real_uncond, Q, self.seed),
            "AUROC raw": two_sample_auroc(self.real_uncond, finite(S), self.seed),
            "out of range": out_of_range(S),
        }


# -- one seed ------------------------------------------------------------------


@dataclass
class Draw:
    """One generator's samples in one mode, or the error that stopped them."""

    samples: np.ndarray | None = None
    fit_s: float = np.nan
    sample_s: float = np.nan
    error: str | None = None
    message: str = ""


def draw(name, fit, sample, fitted, seed):
    """Fit (unless ``fitted`` = (model, seconds) is given) and sample.

    Returns the Draw and the (model, fit seconds) pair for reuse. Exceptions
    are caught and reported, so that a failing estimator leaves the other rows.
    """
    result = Draw()
    try:
        if fitted is None:
            timing = time_call(fit, seed)
            fitted = timing.result, timing.wall
        model, result.fit_s = fitted
        timing = time_call(sample, model)
        result.samples, result.sample_s = np.asarray(timing.result, float), timing.wall
    except Exception as exc:  # a failing generator is a result, not a crash
        result.error = type(exc).__name__
        result.message = f"{name}: {result.error}: {str(exc)[:300]}"
    return result, fitted


def run_seed(seed, generators, n_per_class):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=N_TRAIN, stratify=y, random_state=seed
    )
    classes = np.unique(y_train)
    counts = np.bincount(y_test)
    n = min(counts.min(), n_per_class or counts.min())
    rng = np.random.RandomState(seed)
    real_cond = np.vstack(
        [X_test[rng.permutation(np.flatnonzero(y_test == k))[:n]] for k in classes]
    )
    requested = np.repeat(classes, n)
    svc = SVC().fit(X_train, y_train)
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    logreg.fit(X_train, y_train)
    judges = Judges(svc, logreg, classes, real_cond, X_test, svc.predict(X_test), seed)
    reference = {
        "SVC accuracy": svc.score(X_test, y_test),
        "LR accuracy": logreg.score(X_test, y_test),
        "LR confidence": float(logreg.predict_proba(X_test).max(1).mean()),
    }
    class_seeds = rng.randint(2**31 - 1, size=len(classes))
    uncond_seed = int(rng.randint(2**31 - 1))
    samplers = {
        COND: lambda sample: lambda m: sample(m, classes, n, class_seeds),
        UNCOND: lambda sample: lambda m: sample(m, len(X_test), uncond_seed),
    }
    results = {}
    for name, gen in generators.items():
        fitted = None
        modes = {
            COND: (gen.fit_cond, gen.sample_cond),
            UNCOND: (gen.fit_uncond, gen.sample_uncond),
        }
        for mode, (fit, sample) in modes.items():
            if sample is None:
                continue
            if fit is not None:  # else: reuse the conditional model
                fitted = None
            elif fitted is None:  # the conditional model's fit failed
                results[name, mode] = ({}, results[name, COND][1])
                continue
            result, fitted = draw(
                f"{name} {mode}",
                lambda s, fit=fit: fit(X_train, y_train, s),
                samplers[mode](sample),
                fitted,
                seed,
            )
            scores = {}
            if result.samples is not None:
                if mode == COND:
                    scores = judges.conditional(result.samples, requested)
                else:
                    scores = judges.unconditional(result.samples)
            scores["fit s"], scores["sample s"] = result.fit_s, result.sample_s
            results[name, mode] = (scores, result)
    return results, reference, judges


# -- output --------------------------------------------------------------------

COND_COLUMNS = (
    "SVC fidelity",
    "LR fidelity",
    "diversity",
    "AUROC",
    "AUROC raw",
    "out of range",
)
UNCOND_COLUMNS = (
    "LR confidence",
    "class TV",
    "diversity",
    "AUROC",
    "AUROC raw",
    "out of range",
)
TIME_COLUMNS = ("fit s", "sample s")
SPECS = {"out of range": ".4f", "fit s": ".1f", "sample s": ".2f"}


def summarize(values, spec):
    """Mean +- std over the seeds that gave a value; "nan" if none did."""
    values = np.array(values, float)
    ok = values[np.isfinite(values)]
    if len(ok) == 0:
        return "nan"
    text = format(ok.mean(), spec)
    return text + (" ± " + format(ok.std(), spec) if len(values) > 1 else "")


def failed(name, errors, n_seeds):
    """The generator's name, with the error types of its failed seeds."""
    if not errors:
        return name
    return f"{name} [failed {len(errors)}/{n_seeds}: {','.join(sorted(set(errors)))}]"


def progress_table():
    columns = [("seed", "d"), ("generator", "", 22), ("mode", "", 6)]
    columns += [(c, ".3f") for c in dict.fromkeys(COND_COLUMNS + UNCOND_COLUMNS)]
    columns += [(c, SPECS[c]) for c in TIME_COLUMNS]
    return Table(columns)


def progress_row(table, seed, name, mode, scores, error):
    cells = []
    for column, *_ in table.columns[3:]:
        value = scores.get(column, np.nan)
        if np.isfinite(value):
            cells.append(format(value, SPECS.get(column, ".3f")))
        else:
            cells.append("nan" if error is not None else "-")
    table.row(seed, failed(name, [error] if error else [], 1), mode, *cells)


def summary_table(title, runs, mode, columns):
    print(f"\n## {title}")
    table = Table(
        [("generator", "", 22)]
        + [(c, SPECS.get(c, ".3f"), 13) for c in columns + TIME_COLUMNS]
    ).header()
    means = {}
    names = dict.fromkeys(name for results in runs for name, m in results if m == mode)
    for name in names:
        per_seed = [results[name, mode] for results in runs if (name, mode) in results]
        errors = [r.error for _, r in per_seed if r.error is not None]
        cells = []
        for column in columns + TIME_COLUMNS:
            values = [scores.get(column, np.nan) for scores, _ in per_seed]
            cells.append(summarize(values, SPECS.get(column, ".3f")))
            means[name, column] = (
                np.nanmean(values) if any(np.isfinite(values)) else np.nan,
                errors,
            )
        table.row(failed(name, errors, len(per_seed)), *cells)
    return means


def verdict(value, errors, ok, shown):
    if not np.isfinite(value):
        return f"False (nan: {','.join(sorted(set(errors))) or 'no samples'})"
    return f"{bool(ok)} ({shown})"


def print_targets(cond, uncond):
    print("\n## Targets (means over the seeds)")
    fid, fid_err = cond.get((EC, "SVC fidelity"), (np.nan, []))
    print(
        f"{EC} SVC class fidelity >= {FIDELITY_TARGET:.2f}: "
        + verdict(fid, fid_err, fid >= FIDELITY_TARGET, f"{fid:.3f}")
    )
    for table, ebm, mode in ((cond, EC, COND), (uncond, EDE, UNCOND)):
        auc, errors = table.get((ebm, "AUROC"), (np.nan, []))
        base, _ = table.get((KDE, "AUROC"), (np.nan, []))
        print(
            f"{ebm} {mode} two-sample AUROC <= KDE's: "
            + verdict(auc, errors, auc <= base, f"{auc:.3f} vs {base:.3f}")
        )
    auc, _ = uncond.get((EC, "AUROC"), (np.nan, []))
    base, _ = uncond.get((KDE, "AUROC"), (np.nan, []))
    print(f"(informative) {EC} {UNCOND} AUROC: {auc:.3f} vs KDE's {base:.3f}")


def tile(rows):
    """One row of up to N_SHOWN 8x8 images per entry of ``rows``, NaN between
    the images and where a row has fewer."""
    size = 9 * N_SHOWN + 1
    grid = np.full((9 * len(rows) + 1, size), np.nan)
    for r, row in enumerate(rows):
        for c, image in enumerate(row[:N_SHOWN]):
            top, left = 9 * r + 1, 9 * c + 1
            grid[top : top + 8, left : left + 8] = image.reshape(8, 8)
    return grid


def save_figure(path, results, judges):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\nmatplotlib is not installed: no figure")
        return
    classes = judges.classes
    panels = [key for key in results if key[1] == COND]
    panels += [key for key in results if key[1] == UNCOND]
    n_cols = max(sum(m == COND for _, m in panels), sum(m == UNCOND for _, m in panels))
    fig, axes = plt.subplots(2, n_cols, figsize=(3 * n_cols, 6.8), squeeze=False)
    cmap = plt.get_cmap("gray_r").copy()
    cmap.set_bad("#cfd8e3")
    column = {COND: 0, UNCOND: 0}
    for name, mode in panels:
        ax = axes[0 if mode == COND else 1, column[mode]]
        column[mode] += 1
        _, result = results[name, mode]
        S = result.samples
        ax.set_title(f"{name}\n{mode}", fontsize=9)
        ax.set_xticks([])
        if S is None:
            ax.set_yticks([])
            ax.text(
                0.5, 0.5, f"failed: {result.error}", ha="center", transform=ax.transAxes
            )
            continue
        if mode == COND:
            rows = np.split(S, len(classes))
        else:
            predicted = judges.svc.predict(project(S))
            rows = [S[predicted == k] for k in classes]
        ax.imshow(
            tile(rows),
            cmap=cmap,
            vmin=LOW,
            vmax=HIGH,
            interpolation="nearest",
        )
        ax.set_yticks(9 * np.arange(len(classes)) + 5, [str(k) for k in classes])
    for ax in axes.ravel():
        if not ax.has_data() and not ax.texts:
            ax.axis("off")
    axes[1, 0].set_ylabel("SVC's predicted class", fontsize=8)
    axes[0, 0].set_ylabel("requested class", fontsize=8)
    fig.suptitle(
        f"load_digits samples (seed {judges.seed}); top: conditional, "
        "bottom: unconditional; grey levels 0-16, out-of-range values saturate",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"\nsaved {path}")


def parse_params(pairs):
    """``["key=value", ...]`` to a dict; values are Python literals or strings."""
    params = {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {pair!r}")
        try:
            params[key.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[key.strip()] = text
    return params


def main():
    parser = make_parser(__doc__, quick="one seed, fewer epochs", repeats=3)
    parser.add_argument("--epochs", type=int, help="max_epochs of both sk_ebm models")
    parser.add_argument(
        "--classifier-param",
        action="append",
        metavar="KEY=VALUE",
        help="an EnergyClassifier parameter (repeatable)",
    )
    parser.add_argument(
        "--density-param",
        action="append",
        metavar="KEY=VALUE",
        help="an EnergyDensityEstimator parameter (repeatable)",
    )
    parser.add_argument(
        "--n-per-class",
        type=int,
        help="conditional samples per class (default and most: the smallest "
        "held-out class count)",
    )
    parser.add_argument("--output", default="bench_generation.png", help="PNG path")
    parser.add_argument("--no-figure", action="store_true")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    classifier_params = dict(QUICK_CLASSIFIER_PARAMS) if args.quick else {}
    density_params = dict(QUICK_DENSITY_PARAMS) if args.quick else {}
    classifier_params.update(CLASSIFIER_PARAMS)
    density_params.update(DENSITY_PARAMS)
    if args.epochs is not None:
        classifier_params["max_epochs"] = density_params["max_epochs"] = args.epochs
    classifier_params.update(parse_params(args.classifier_param))
    density_params.update(parse_params(args.density_param))
    print(f"{EC} settings (else defaults): {classifier_params}")
    print(f"{EDE} settings (else defaults): {density_params}")
    # Convergence warnings of the baselines' fits would bury the tables;
    # sk_ebm's own warnings are kept.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    generators = make_generators(classifier_params, density_params)
    start = time.perf_counter()
    runs, references, messages = [], [], {}
    table = progress_table()
    print("\n## Per seed")
    table.header()
    for seed in range(args.seed, args.seed + repeats):
        results, reference, judges = run_seed(seed, generators, args.n_per_class)
        for (name, mode), (scores, result) in results.items():
            progress_row(table, seed, name, mode, scores, result.error)
            if result.message:
                messages[f"seed {seed}, {result.message}"] = None
        runs.append(results)
        references.append(reference)
        if seed == args.seed:
            first, first_judges = results, judges
    if messages:
        print("\nErrors:\n" + "\n".join(messages))
    n = len(first_judges.real_cond) // len(first_judges.classes)
    seeds = f"{repeats} seeds" if repeats > 1 else "1 seed"
    print(
        "\nReal held-out digits, the judges' reference (mean over the seeds): "
        + ", ".join(
            f"{key} {np.mean([r[key] for r in references]):.3f}"
            for key in references[0]
        )
    )
    cond = summary_table(
        f"Conditional samples {COND}: {n} per class against as many held-out "
        f"digits per class (mean ± std over {seeds})",
        runs,
        COND,
        COND_COLUMNS,
    )
    uncond = summary_table(
        f"Unconditional samples {UNCOND}: {len(first_judges.real_uncond)} against "
        f"the held-out digits (mean ± std over {seeds})",
        runs,
        UNCOND,
        UNCOND_COLUMNS,
    )
    print(
        "\nAUROC: two-sample test on samples rounded and clipped to 0..16 (0.5: "
        "indistinguishable); AUROC raw: on the raw samples; out of range: share of "
        "raw pixel values outside [-0.5, 16.5]; diversity: mean pairwise distance "
        "of the samples over that of held-out digits (per class for p(x|y))."
    )
    print_targets(cond, uncond)
    if not args.no_figure:
        save_figure(args.output, first, first_judges)
    print(f"\ntotal time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
