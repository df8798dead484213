"""Adversarial robustness of sk_ebm classifiers under projected gradient descent.

On ``load_digits`` (1 000 stratified training rows, ``--n-test`` test rows,
pixels in [0, 16], the attack clipped to that box) and on standardised
``load_breast_cancer`` (60 % training rows, at most ``--n-test`` of the rest
tested, no box), compares

- the softmax baseline ``EnergyClassifier(generative_weight=0)``,
- ``EnergyClassifier()``, the JEM defaults,
- ``EnergyClassifier(objective="hdge")``,
- the JEM model with Langevin purification, 1 and 10 steps, 5 chains
  (``purify_steps``; the same fit as JEM's),
- the softmax and JEM models with ``scale_floor=0.1`` (no feature's scale
  below a tenth of the median: the pixels that barely vary in training no
  longer amplify a perturbation),
- ``LogisticRegression`` (behind a ``StandardScaler``), a linear reference,

under L-inf and L2 PGD (``sk_ebm.adversarial.robustness_curve``: ``--steps``
steps, ``--restarts`` random restarts, each row keeping a restart that fools
the model). The purifying models are attacked adaptively: each restart is run
with three gradients in turn (``purifier_gradient="all"``): of the classifier
without the purifier (transfer), straight through the purifier (BPDA) and
through it in full, the last two averaged over ``--eot`` draws of its noise
(EOT). A row counts as robust only if it survives all of them.

For every model and norm it prints the clean accuracy, the robust accuracy at
every radius of the grid with its binomial standard error, and the fit and
attack times; then the gap of the best EBM over the softmax baseline at the
smallest radius where the baseline is at most 30 % (the issue's target: at
least 20 points, with clean accuracy within 1.5 points). The radii span the
baseline's clean accuracy down to under 10 %. The curves are saved to
``bench_robustness_<datasets>.png``.

Run (torch is much slower with several threads on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_robustness.py          # the full attack
    OMP_NUM_THREADS=1 python benchmarks/bench_robustness.py --quick  # a smoke run
"""

from __future__ import annotations

import copy
import time

import numpy as np
from _common import Table, make_parser
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_ebm import EnergyClassifier
from sk_ebm.adversarial import robustness_curve

SOFTMAX = "softmax"
GRIDS = {
    ("digits", "linf"): [0.0, 0.25, 0.5, 1.0, 1.5, 2.0],
    ("digits", "l2"): [0.0, 2.0, 4.0, 8.0, 12.0, 16.0],
    ("cancer", "linf"): [0.0, 0.1, 0.2, 0.4, 0.8],
    ("cancer", "l2"): [0.0, 0.5, 1.0, 2.0, 4.0],
}


PURIFIED = {"JEM+purify 1": 1, "JEM+purify 10": 10}
EBMS = ("JEM", "HDGE", *PURIFIED)
# The baseline of the target is the softmax model with the same preprocessing.


def models(seed):
    return {
        SOFTMAX: EnergyClassifier(generative_weight=0, random_state=seed),
        "JEM": EnergyClassifier(random_state=seed),
        "HDGE": EnergyClassifier(objective="hdge", random_state=seed),
        "softmax, floor 0.1": EnergyClassifier(
            generative_weight=0, scale_floor=0.1, random_state=seed
        ),
        "JEM, floor 0.1": EnergyClassifier(scale_floor=0.1, random_state=seed),
        "LogisticRegression": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000)
        ),
    }


def fitted(name, seed, X_train, y_train):
    """The fitted models and their fit times; the purifying ones share the
    JEM fit."""
    out = {}
    for label, model in models(seed).items():
        start = time.perf_counter()
        out[label] = model.fit(X_train, y_train), time.perf_counter() - start
    jem, fit = out["JEM"]
    for label, steps in PURIFIED.items():
        out[label] = copy.deepcopy(jem).set_params(purify_steps=steps), fit
    return out


def load(name, seed, n_test):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, train_size=1000, stratify=y, random_state=seed
        )
        return X_train, X_test[:n_test], y_train, y_test[:n_test], (0.0, 16.0)
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=0.6, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test[:n_test], y_train, y_test[:n_test], None


def run(name, seed, attack, n_test):
    X_train, X_test, y_train, y_test, clip = load(name, seed, n_test)
    trained = fitted(name, seed, X_train, y_train)
    curves = {}
    for norm in ("linf", "l2"):
        grid = GRIDS[name, norm]
        print(
            f"\n## {name}, {norm}: {attack}, {len(y_test)} test rows, clip={clip}",
            flush=True,
        )
        table = Table(
            [
                ("model", "", 18),
                *((f"eps={e:g}", ".3f") for e in grid),
                ("max se", ".3f"),
                ("fit s", ".1f"),
                ("attack s", ".1f"),
            ]
        ).header()
        for label, (model, fit) in trained.items():
            start = time.perf_counter()
            curve = robustness_curve(
                model,
                X_test,
                y_test,
                grid,
                norm=norm,
                clip=clip,
                random_state=seed,
                **attack,
            )
            seconds = time.perf_counter() - start
            curves[norm, label] = curve
            table.row(label, *curve["accuracy"], curve["std_error"].max(), fit, seconds)
        target(curves, norm)
    return curves


def target(curves, norm):
    """The best EBM's lead over the softmax baseline where the baseline is at
    most 30 % robust: against the default softmax model (the issue's target,
    every EBM variant included), then with the same scale floor on both."""
    lead(curves, norm, SOFTMAX, (*EBMS, "JEM, floor 0.1"))
    lead(curves, norm, "softmax, floor 0.1", ("JEM, floor 0.1",))


def lead(curves, norm, baseline, candidates):
    base = curves[norm, baseline]
    low = np.flatnonzero(base["accuracy"] <= 0.30)
    if not len(low):
        print(f"  {baseline} stays above 30 %: widen the grid")
        return
    k = low[0]
    leads = {
        label: curves[norm, label]["accuracy"][k] - base["accuracy"][k]
        for label in candidates
    }
    best = max(leads, key=leads.get)
    clean_gap = curves[norm, best]["accuracy"][0] - base["accuracy"][0]
    print(
        f"  at eps={base['eps'][k]:g} ({baseline} {base['accuracy'][k]:.3f}): best "
        f"EBM {best} leads by {leads[best]:+.3f} (target >= +0.20: "
        f"{leads[best] >= 0.2}); its clean accuracy {clean_gap:+.3f} from the "
        f"baseline (within 1.5 points: {clean_gap >= -0.015})"
    )


def plot(all_curves):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no PNG")
        return
    from sk_ebm.plotting import RobustnessCurveDisplay

    panels = [(name, norm) for name, norm in GRIDS if name in all_curves]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.5))
    for ax, (name, norm) in zip(np.atleast_1d(axes), panels, strict=True):
        for (n, label), curve in all_curves[name].items():
            if n == norm:
                RobustnessCurveDisplay.from_curve(curve, norm=norm, name=label, ax=ax)
        ax.set_title(f"{name}, {norm} PGD")
        ax.set_ylim(0, 1)
    fig.tight_layout()
    path = f"bench_robustness_{'_'.join(all_curves)}.png"
    fig.savefig(path, dpi=100)
    print(f"\nsaved {path}")


def main():
    parser = make_parser(__doc__, quick="one restart, 10 steps, 2 EOT draws")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--eot", type=int, default=10)
    parser.add_argument("--n-test", type=int, default=300)
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=("digits", "cancer"),
        default=("digits", "cancer"),
    )
    args = parser.parse_args()
    attack = dict(steps=args.steps, restarts=args.restarts, eot_samples=args.eot)
    if args.quick:
        attack = dict(steps=10, restarts=1, eot_samples=2)
    all_curves = {
        name: run(name, args.seed, attack, args.n_test) for name in args.datasets
    }
    plot(all_curves)


if __name__ == "__main__":
    main()
