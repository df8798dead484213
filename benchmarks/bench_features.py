"""Feature-space OOD detection: OODDetector on ReLU network embeddings.

sk_ebm is mostly used on the penultimate-layer embeddings of a network. Such
ReLU features have dead (constant zero) units and a low effective rank; this
benchmark measures the out-of-distribution (OOD) detectors on them.

Feature extractors, each trained on the digits 0-4 of ``load_digits`` only
(8 x 8 images, pixels 0-16; a stratified 70 % training split of the digits
0-4, the other 30 % are the in-distribution test rows), at widths 64, 256 and
1024:

- ``mlp``: ``MLPClassifier`` with one ReLU hidden layer of the width (100
  iterations of Adam on the pixels / 16); the features are its hidden
  activations computed by hand, ``relu(X / 16 @ coefs_[0] + intercepts_[0])``;
- ``cnn``: a small torch CNN (two 3 x 3 convolutions with 16 and 32 channels,
  a 2 x 2 max-pooling, a ReLU linear layer of the width, a linear head), 20
  epochs of Adam (lr 1e-3, batches of 64); the features are the ReLU layer;
- ``random``: ``relu(X_std @ R + b)``, ``X_std`` the standardised pixels,
  ``R`` Gaussian with variance 1 / 64 and ``b`` standard Gaussian.

Tasks, the in-distribution test rows against (all passed through the
extractor):

- ``near: digits 5-9``: every digit 5-9 of ``load_digits``;
- ``far: uniform noise``: images of uniform noise on [0, 16];
- ``far: photo patches``: random 8 x 8 patches of the two photos of
  ``load_sample_images`` (grey, 4 x 4 block means), each rescaled to [0, 16]
  by its own minimum and maximum;
- ``shift: pixel noise``: the test digits plus Gaussian noise of std 4,
  clipped to [0, 16];
- ``shift: blur``: the test digits blurred by a Gaussian of std 1 pixel;
- ``shift: dropout``: the test digits with a random 25 % of their pixels set
  to 0.

Detectors, all fitted on the training features (score higher = more normal):

- ``OOD()``: ``OODDetector(random_state=seed)``, the defaults, ``fit(F)``;
- ``OOD(EC)``: ``OODDetector(EnergyClassifier(random_state=seed))``, fitted
  with the digit labels, ``fit(F, y)``;
- ``Maha``: minus the Mahalanobis distance to the mean, with the
  ``LedoitWolf`` covariance (``EmpiricalCovariance`` takes the pseudo-inverse
  of the singular covariance, so that a direction the training features do not
  span, such as a dead unit that wakes up, costs nothing);
- ``cc-Maha``: class-conditional Mahalanobis with a shared covariance (Lee et
  al., 2018): minus the smallest distance to a class mean, with the
  ``LedoitWolf`` covariance of the within-class residuals;
- ``1-NN``, ``10-NN``: minus the distance to the k-th nearest training row,
  both L2-normalised (Sun et al., 2022);
- ``LOF``: ``LocalOutlierFactor(novelty=True)``, ``IF``: ``IsolationForest``,
  ``KDE``: ``KernelDensity`` with its bandwidth chosen by 5-fold
  ``GridSearchCV`` of the log-likelihood (8 bandwidths, every half decade
  from 0.001 to 3.2 times the square root of the number of features: on these
  nearly singular features the best is often below 0.03); LOF and KDE behind
  a ``StandardScaler``.

It prints a line per fitted extractor (its dead units, the rank of its
training features and its test accuracy), then the AUROC
(``sk_ebm.metrics.ood_auroc``; in-distribution rows are positives) averaged
over tasks and seeds per extractor and width, its mean and the median fit time
of each detector (over the fits that did not fail); then the AUROC per task
(``--verbose``: also per extractor and width), and four targets on the means
over everything:

1. ``OOD()`` > ``Maha`` + 0.01;
2. ``OOD(EC)`` > ``cc-Maha`` + 0.01;
3. the better of ``OOD()`` and ``OOD(EC)`` above every baseline;
4. the median fit time of each sk_ebm detector at most 20 times that of the
   slowest baseline.

A detector that raises is recorded as NaN
(cells with a ``*`` are the mean of the seeds that did not fail) and counts as
a random detector, AUROC 0.5, in the means and the targets. Every seed
(``--seed``, ``--seed + 1``, ...) changes the split, the noise, the extractor
and the detectors. ``--widths``, ``--extractors`` and ``--detectors`` run a
subset; ``--quick`` is one seed of ``mlp`` and ``cnn`` at width 256.

The time is mostly the sk_ebm fits, at their defaults: ``OOD()`` takes 20 to
35 s per fit on two shared cores (9.5 minutes in all, 30 s with ``--quick``,
while it fails in a few seconds above 64 features; 15 to 20 minutes and 1.5
minutes once it fits everywhere).

Run (torch is much slower with several threads on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_features.py            # 10-20 minutes
    OMP_NUM_THREADS=1 python benchmarks/bench_features.py --quick    # 0.5-1.5 minutes
    OMP_NUM_THREADS=1 python benchmarks/bench_features.py --widths 64 \\
        --extractors random --repeats 1 --verbose
"""

from __future__ import annotations

import time
import warnings
from collections import Counter

import numpy as np
import torch
from _common import Table, fit_kde, make_parser, time_call
from scipy.ndimage import gaussian_filter
from sklearn.covariance import LedoitWolf
from sklearn.datasets import load_digits, load_sample_images
from sklearn.ensemble import IsolationForest
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize
from torch import nn

from sk_ebm import EnergyClassifier, OODDetector
from sk_ebm.metrics import ood_auroc

EXTRACTORS = ("mlp", "cnn", "random")
WIDTHS = (64, 256, 1024)
QUICK_EXTRACTORS = ("mlp", "cnn")
QUICK_WIDTHS = (256,)
SK_EBM = ("OOD()", "OOD(EC)")
BASELINES = ("Maha", "cc-Maha", "1-NN", "10-NN", "LOF", "IF", "KDE")
DETECTORS = SK_EBM + BASELINES
LONG_NAMES = {
    "OOD()": "OODDetector() (defaults)",
    "OOD(EC)": "OODDetector(EnergyClassifier()) fitted with the labels",
    "Maha": "Mahalanobis distance, LedoitWolf covariance",
    "cc-Maha": "class-conditional Mahalanobis, shared LedoitWolf covariance",
    "1-NN": "distance to the nearest L2-normalised training row",
    "10-NN": "distance to the 10th nearest L2-normalised training row",
    "LOF": "LocalOutlierFactor(novelty=True), standardised",
    "IF": "IsolationForest",
    "KDE": "KernelDensity, bandwidth by GridSearchCV, standardised",
}
# A detector that cannot be fitted is no better than a random one.
CHANCE = 0.5


# -- data ----------------------------------------------------------------------


def photo_patches(n, rng):
    """``n`` grey 8 x 8 patches of the sample photos, each rescaled to [0, 16]."""
    patches = []
    for k, image in enumerate(load_sample_images().images):
        grey = image @ np.array([0.299, 0.587, 0.114])
        h, w = (s // 4 * 4 for s in grey.shape)
        small = grey[:h, :w].reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))
        count = n // 2 + (n % 2) * (k == 0)
        patches.append(
            extract_patches_2d(small, (8, 8), max_patches=count, random_state=rng)
        )
    P = np.concatenate(patches).reshape(n, 64)
    low, high = P.min(axis=1, keepdims=True), P.max(axis=1, keepdims=True)
    return 16 * (P - low) / np.maximum(high - low, 1e-6)


def make_data(seed):
    """Training and test images and labels (digits 0-4), {task: OOD images}."""
    rng = np.random.RandomState(seed)
    X, y = load_digits(return_X_y=True)
    known = y < 5
    X_train, X_test, y_train, y_test = train_test_split(
        X[known], y[known], train_size=0.7, stratify=y[known], random_state=seed
    )
    n = len(X_test)
    blurred = gaussian_filter(X_test.reshape(-1, 8, 8), sigma=(0, 1, 1))
    outliers = {
        "near: digits 5-9": X[~known],
        "far: uniform noise": rng.uniform(0, 16, size=(n, 64)),
        "far: photo patches": photo_patches(n, rng),
        "shift: pixel noise": np.clip(X_test + rng.normal(0, 4, X_test.shape), 0, 16),
        "shift: blur": blurred.reshape(n, 64),
        "shift: dropout": X_test * (rng.uniform(size=X_test.shape) >= 0.25),
    }
    return X_train, y_train, X_test, y_test, outliers


# -- feature extractors --------------------------------------------------------


class SmallCNN(nn.Module):
    """Two convolutions, then a ReLU layer of ``width`` units: the features."""

    def __init__(self, width, n_classes):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, width),
            nn.ReLU(),
        )
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def _images(X):
    return torch.as_tensor(X / 16, dtype=torch.float32).reshape(-1, 1, 8, 8)


def fit_cnn(X, y, width, seed, epochs=20, batch_size=64):
    torch.manual_seed(seed)
    net = SmallCNN(width, len(np.unique(y)))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    images, labels = _images(X), torch.as_tensor(y)
    generator = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for batch in order.split(batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(net(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
    net.eval()

    def features(Z):
        with torch.no_grad():
            return net.body(_images(Z)).numpy().astype(np.float64)

    def predict(Z):
        with torch.no_grad():
            return net(_images(Z)).argmax(1).numpy()

    return features, predict


def fit_mlp(X, y, width, seed):
    mlp = MLPClassifier((width,), max_iter=100, random_state=seed).fit(X / 16, y)

    def features(Z):
        return np.maximum(Z / 16 @ mlp.coefs_[0] + mlp.intercepts_[0], 0)

    return features, lambda Z: mlp.predict(Z / 16)


def fit_random(X, y, width, seed):
    rng = np.random.RandomState(seed)
    scaler = StandardScaler().fit(X)
    R = rng.normal(0, 1 / np.sqrt(X.shape[1]), size=(X.shape[1], width))
    b = rng.normal(size=width)

    def features(Z):
        return np.maximum(scaler.transform(Z) @ R + b, 0)

    return features, None


FIT_EXTRACTOR = {"mlp": fit_mlp, "cnn": fit_cnn, "random": fit_random}


# -- baselines -----------------------------------------------------------------


class Mahalanobis:
    """Minus the squared Mahalanobis distance to the mean (LedoitWolf)."""

    def fit(self, F, y=None):
        self.covariance_ = LedoitWolf().fit(F)
        return self

    def score_samples(self, F):
        return -self.covariance_.mahalanobis(F)


class ClassMahalanobis:
    """Minus the smallest squared Mahalanobis distance to a class mean, with
    the shared (LedoitWolf) covariance of the within-class residuals."""

    def fit(self, F, y):
        self.classes_ = np.unique(y)
        self.means_ = np.stack([F[y == c].mean(axis=0) for c in self.classes_])
        residuals = F - self.means_[np.searchsorted(self.classes_, y)]
        self.precision_ = LedoitWolf(assume_centered=True).fit(residuals).precision_
        return self

    def score_samples(self, F):
        distances = [
            np.sum((F - mean) @ self.precision_ * (F - mean), axis=1)
            for mean in self.means_
        ]
        return -np.min(distances, axis=0)


class KNNDistance:
    """Minus the distance to the k-th nearest training row, L2-normalised."""

    def __init__(self, k):
        self.k = k

    def fit(self, F, y=None):
        self.neighbors_ = NearestNeighbors(n_neighbors=self.k).fit(normalize(F))
        return self

    def score_samples(self, F):
        distances, _ = self.neighbors_.kneighbors(normalize(F))
        return -distances[:, -1]


class StandardizedKDE:
    """``KernelDensity`` on standardised features, bandwidth by GridSearchCV."""

    def fit(self, F, y=None):
        self.scaler_ = StandardScaler().fit(F)
        Z = self.scaler_.transform(F)
        bandwidths = np.sqrt(F.shape[1]) * np.logspace(-3, 0.5, 8)
        self.kde_ = fit_kde(Z, bandwidths=bandwidths)
        return self

    def score_samples(self, F):
        return self.kde_.score_samples(self.scaler_.transform(F))


def make_detector(name, seed):
    """An unfitted detector with ``fit(F, y)`` and ``score_samples(F)``."""
    if name == "OOD()":
        return OODDetector(random_state=seed)
    if name == "OOD(EC)":
        return OODDetector(EnergyClassifier(random_state=seed))
    if name == "Maha":
        return Mahalanobis()
    if name == "cc-Maha":
        return ClassMahalanobis()
    if name in ("1-NN", "10-NN"):
        return KNNDistance(int(name.split("-")[0]))
    if name == "LOF":
        return make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True))
    if name == "IF":
        return IsolationForest(random_state=seed)
    return StandardizedKDE()


def fit_detector(name, F, y, seed):
    detector = make_detector(name, seed)
    if name == "OOD()":
        return detector.fit(F)  # the defaults, as a user would call it
    return detector.fit(F, y)


# -- one run -------------------------------------------------------------------


def fit_or_error(fit, *args):
    """(fitted model, None), or (None, error) where the fit fails."""
    try:
        return fit(*args), None
    except Exception as err:  # recorded as NaN and reported under the tables
        return None, err


def describe(err):
    return f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"


def run_config(extractor, width, seed, data, detectors):
    """[record] of one extractor, width and seed: a record per task and detector."""
    X_train, y_train, X_test, y_test, outliers = data
    start = time.perf_counter()
    features, predict = FIT_EXTRACTOR[extractor](X_train, y_train, width, seed)
    F_train, F_test = features(X_train), features(X_test)
    F_out = {task: features(X) for task, X in outliers.items()}
    extract_s = time.perf_counter() - start
    dead = int(np.sum(F_train.max(axis=0) == 0))
    rank = np.linalg.matrix_rank(F_train)
    accuracy = (
        ""
        if predict is None
        else f", accuracy {np.mean(predict(X_test) == y_test):.3f}"
    )
    records = []
    start = time.perf_counter()
    for name in detectors:
        timing = time_call(fit_or_error, fit_detector, name, F_train, y_train, seed)
        model, error = timing.result
        scores_in = None
        for task, F in F_out.items():
            auroc = np.nan
            if error is None:
                try:
                    if scores_in is None:
                        scores_in = model.score_samples(F_test)
                    auroc = ood_auroc(scores_in, model.score_samples(F))
                except Exception as err:  # NaN scores, for instance
                    error = err
            records.append(
                {
                    "config": f"{extractor} / {width}",
                    "seed": seed,
                    "task": task,
                    "detector": name,
                    "auroc": auroc,
                    "fit_s": timing.wall,
                    "error": None if error is None else describe(error),
                }
            )
    print(
        f"  seed {seed} {extractor} / {width}: {F_train.shape[0]} x {width} features,"
        f" {dead} dead units, rank {rank}{accuracy}; extractor {extract_s:.1f} s,"
        f" detectors {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    return records


# -- tables --------------------------------------------------------------------


def select(records, **where):
    return [r for r in records if all(r[k] == v for k, v in where.items())]


def auroc_cell(records):
    """Mean AUROC of the fits that did not fail; '*' if some failed, nan if all."""
    values = np.array([r["auroc"] for r in records])
    ok = ~np.isnan(values)
    if not ok.any():
        return "nan"
    return f"{values[ok].mean():.3f}" + ("*" if not ok.all() else " ")


def mean_auroc(records):
    """Mean AUROC with failed fits counted as chance."""
    values = np.array([r["auroc"] for r in records])
    return float(np.mean(np.where(np.isnan(values), CHANCE, values)))


def median_fit(records):
    """Median fit time of the fits that did not fail (once per fit, not task)."""
    times = [r["fit_s"] for r in records if r["error"] is None]
    return float(np.median(times)) if times else np.nan


def auroc_table(records, label, rows, key, detectors):
    table = Table([(label, "", 18)] + [(d, ".3f", 7) for d in detectors]).header()
    for row in rows:
        table.row(
            row,
            *(auroc_cell(select(records, **{key: row}, detector=d)) for d in detectors),
        )
    table.row(
        "mean", *(f"{mean_auroc(select(records, detector=d)):.3f} " for d in detectors)
    )
    return table


def summary_tables(records, detectors, verbose):
    configs = list(dict.fromkeys(r["config"] for r in records))
    tasks = list(dict.fromkeys(r["task"] for r in records))
    seeds = sorted({r["seed"] for r in records})
    print(
        f"\n## Mean AUROC over {len(tasks)} tasks and {len(seeds)} seed(s), "
        "per extractor / width"
    )
    table = auroc_table(records, "extractor / width", configs, "config", detectors)
    table.row(
        "median fit s (ok)",
        *(f"{median_fit(select(records, detector=d)):.2f} " for d in detectors),
    )
    print(f"\n## AUROC per task, mean over {len(configs)} extractor / width")
    auroc_table(records, "task", tasks, "task", detectors)
    if verbose:
        for config in configs:
            print(f"\n## AUROC per task: {config}")
            auroc_table(
                select(records, config=config), "task", tasks, "task", detectors
            )
    print(
        "\nThe 'mean' rows count a failed fit as AUROC 0.5; * = failed for some seeds."
    )
    for d in detectors:
        print(f"- {d}: {LONG_NAMES[d]}")
    errors = [r for r in records if r["error"] is not None]
    fits = {(r["config"], r["seed"], r["detector"]): r for r in errors}
    if fits:
        print("\nFailed fits (recorded as NaN):")
        n_fits = len(configs) * len(seeds)
        for d in detectors:
            failed = [r for r in fits.values() if r["detector"] == d]
            if not failed:
                continue
            where = Counter(r["config"] for r in failed)
            print(
                f"- {d}: {len(failed)}/{n_fits} fits ("
                + ", ".join(f"{c} x{k}" for c, k in where.items())
                + f"); {failed[0]['error']}"
            )


def targets(records, detectors):
    mean = {d: mean_auroc(select(records, detector=d)) for d in detectors}
    fit = {d: median_fit(select(records, detector=d)) for d in detectors}
    baselines = [d for d in detectors if d in BASELINES]
    print("\n## Targets (mean AUROC over every extractor, width, task and seed)")

    def check(text, met, detail):
        print(f"({check.n}) {text}: {'MET' if met else 'NOT MET'} ({detail})")
        check.n += 1

    check.n = 1
    if {"OOD()", "Maha"} <= set(detectors):
        gap = mean["OOD()"] - mean["Maha"]
        check(
            "OODDetector() > Mahalanobis + 0.01",
            gap > 0.01,
            f"{mean['OOD()']:.4f} vs {mean['Maha']:.4f}, {gap:+.4f}",
        )
    if {"OOD(EC)", "cc-Maha"} <= set(detectors):
        gap = mean["OOD(EC)"] - mean["cc-Maha"]
        check(
            "OODDetector(EnergyClassifier()) > class-conditional Mahalanobis + 0.01",
            gap > 0.01,
            f"{mean['OOD(EC)']:.4f} vs {mean['cc-Maha']:.4f}, {gap:+.4f}",
        )
    sk = [d for d in detectors if d in SK_EBM]
    if sk and baselines:
        best = max(sk, key=mean.get)
        rival = max(baselines, key=mean.get)
        check(
            "best sk_ebm detector above every baseline",
            mean[best] > mean[rival],
            f"{best} {mean[best]:.4f} vs best baseline {rival} {mean[rival]:.4f},"
            f" {mean[best] - mean[rival]:+.4f}",
        )
        slowest = max(baselines, key=lambda d: np.nan_to_num(fit[d]))
        ratio = np.max([fit[d] for d in sk]) / fit[slowest]  # NaN if one failed
        check(
            "sk_ebm median fit time <= 20 x the slowest baseline's",
            ratio <= 20,
            ", ".join(f"{d} {fit[d]:.2f} s" for d in sk)
            + f" vs {slowest} {fit[slowest]:.2f} s, ratio {ratio:.1f}",
        )
    if check.n == 1:
        print("none: they compare sk_ebm detectors with baselines")


def main():
    parser = make_parser(
        __doc__, quick="one seed, width 256, extractors mlp and cnn", repeats=3
    )
    parser.add_argument("--widths", type=int, nargs="+", default=None)
    parser.add_argument("--extractors", nargs="+", choices=EXTRACTORS, default=None)
    parser.add_argument(
        "--detectors", nargs="+", choices=DETECTORS, default=list(DETECTORS)
    )
    parser.add_argument(
        "--verbose", action="store_true", help="AUROC per task for every extractor"
    )
    args = parser.parse_args()
    widths = args.widths or (QUICK_WIDTHS if args.quick else WIDTHS)
    extractors = args.extractors or (QUICK_EXTRACTORS if args.quick else EXTRACTORS)
    repeats = 1 if args.quick else args.repeats
    detectors = [d for d in DETECTORS if d in args.detectors]
    # scikit-learn and skorch warnings (convergence, deprecations) would bury
    # the tables.
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    records = []
    for seed in range(args.seed, args.seed + repeats):
        data = make_data(seed)
        for extractor in extractors:
            for width in widths:
                records += run_config(extractor, width, seed, data, detectors)
    summary_tables(records, detectors, args.verbose)
    targets(records, detectors)
    print(f"\ntotal time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
