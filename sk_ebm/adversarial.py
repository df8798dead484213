"""Adversarial evaluation of sk_ebm classifiers: projected gradient descent.

The attack differentiates through the classifier's own torch export
(:meth:`sk_ebm.EnergyClassifier.to_torch`; a ``LogisticRegression`` is taken
as a linear reference), and through the linear
scikit-learn steps of a :class:`~sklearn.pipeline.Pipeline` ending in one
(``StandardScaler``, ``MinMaxScaler``, ``PCA``), all in float64.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from sk_ebm._params import draw_seed
from sk_ebm.nn import PurifiedLogits

__all__ = ["pgd_attack", "robust_accuracy", "robustness_curve"]

PURIFIER_GRADIENTS = ("ignore", "bpda", "full")


class _Affine(torch.nn.Module):
    """``(x - shift) @ matrix`` (``matrix`` None: the identity), a fitted
    linear scikit-learn transformer in torch."""

    def __init__(self, shift, matrix=None):
        super().__init__()
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float64))
        self.matrix = None
        if matrix is not None:
            self.matrix = torch.as_tensor(matrix, dtype=torch.float64)

    def forward(self, x):
        x = x - self.shift
        return x if self.matrix is None else x @ self.matrix


def _torch_step(name, step, n_features):
    """A fitted linear transformer as an :class:`_Affine`; a TypeError otherwise."""
    if isinstance(step, StandardScaler):
        mean = step.mean_ if step.mean_ is not None else np.zeros(n_features)
        scale = step.scale_ if step.scale_ is not None else np.ones(n_features)
        return _Affine(mean, np.diag(1.0 / scale))
    if isinstance(step, MinMaxScaler) and not step.clip:
        return _Affine(-step.min_ / step.scale_, np.diag(step.scale_))
    if isinstance(step, PCA):
        matrix = step.components_.T
        if step.whiten:
            matrix = matrix / np.sqrt(step.explained_variance_)
        return _Affine(step.mean_, matrix)
    raise TypeError(
        f"The pipeline step {name!r} ({type(step).__name__}) cannot be "
        "differentiated by the attack: only StandardScaler, MinMaxScaler "
        "(clip=False) and PCA may precede the classifier."
    )


class _LinearLogits(torch.nn.Module):
    """The logits of a fitted LogisticRegression (``[0, z]`` for two
    classes, whose softmax is its sigmoid)."""

    def __init__(self, model):
        super().__init__()
        self.register_buffer("coef", torch.as_tensor(model.coef_, dtype=torch.float64))
        self.register_buffer(
            "intercept", torch.as_tensor(model.intercept_, dtype=torch.float64)
        )

    def forward(self, x):
        logits = x @ self.coef.T + self.intercept
        if logits.shape[1] == 1:
            return torch.cat([torch.zeros_like(logits), logits], 1)
        return logits


def _final_module(final):
    """The torch logits of the pipeline's last step, and its device."""
    if isinstance(final, LogisticRegression):
        check_is_fitted(final)
        return _LinearLogits(final), "cpu"
    if not hasattr(final, "to_torch"):
        raise TypeError(
            f"{type(final).__name__} is not a differentiable classifier: the "
            "attack needs an EnergyClassifier or a LogisticRegression (or a "
            "Pipeline ending in one)."
        )
    check_is_fitted(final, "net_")
    return final.to_torch(torch.float64), final.device


def _gradient_models(model, purifier_gradient):
    """The models whose gradients the attack follows, one per variant, each
    with whether its gradient is random: the model itself when it does not
    purify; else, per ``purifier_gradient``, the classifier without the
    purifier (a transfer attack), straight-through gradients (BPDA) and full
    ones through it."""
    exported = model[-1]
    purifier = getattr(exported, "logits", None)
    if not isinstance(purifier, PurifiedLogits):
        return [(model, False)]
    variants = (
        PURIFIER_GRADIENTS if purifier_gradient == "all" else (purifier_gradient,)
    )
    models = []
    for variant in variants:
        if variant == "full":
            models.append((model, True))
            continue
        copy_ = copy.deepcopy(model)
        if variant == "bpda":
            copy_[-1].logits.straight_through = True
        else:
            # The network alone: the export then gives its plain logits.
            copy_[-1].logits = copy_[-1].logits.logits
        models.append((copy_, variant == "bpda"))
    return models


def _differentiable(estimator):
    """The torch model of raw inputs to logits, and the classes."""
    steps = []
    final = estimator
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1]
    logits, device = _final_module(final)
    if isinstance(estimator, Pipeline):
        n_features = estimator.n_features_in_
        for name, step in estimator.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            module = _torch_step(name, step, n_features)
            steps.append(module)
            n_features = getattr(step, "n_components_", n_features)
    model = torch.nn.Sequential(*steps, logits)
    return model.to(device), final.classes_, device


def _check_inputs(estimator, X, y, eps, norm, counts, purifier_gradient="all"):
    if not (isinstance(eps, Real) and math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}.")
    if norm not in ("linf", "l2"):
        raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}.")
    if purifier_gradient not in ("all", *PURIFIER_GRADIENTS):
        raise ValueError(
            "purifier_gradient must be 'all', 'full', 'bpda' or 'ignore', got "
            f"{purifier_gradient!r}."
        )
    for label, value in counts.items():
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}.")
    model, classes, device = _differentiable(estimator)
    X = check_array(X, dtype=np.float64)
    y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y"))
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}; they must match.")
    known = np.isin(y, classes)
    if not known.all():
        raise ValueError(
            f"y holds labels the classifier does not know: {np.unique(y[~known])!r} "
            f"(classes_ are {classes!r})."
        )
    return model, X, np.searchsorted(classes, y), device


def _project(delta, eps, norm):
    if norm == "linf":
        return delta.clamp(-eps, eps)
    norms = delta.flatten(1).norm(dim=1).clamp_min(1e-12)
    return delta * (eps / norms).clamp(max=1.0)[:, None]


def pgd_attack(
    estimator,
    X,
    y,
    *,
    eps,
    norm="linf",
    steps=40,
    step_size=None,
    restarts=1,
    eot_samples=1,
    purifier_gradient="all",
    clip=None,
    random_state=None,
):
    """Projected gradient descent on the cross-entropy of the true labels.

    From a random start inside the ``eps``-ball around each row, ``steps``
    steps of size ``step_size`` ascend the cross-entropy of the true label
    (the sign of the gradient for ``"linf"``, its direction for ``"l2"``),
    each followed by the projection onto the ball and onto the box ``clip``.
    Of ``restarts`` runs, each row keeps one that fools the classifier,
    else the one of highest loss (Madry et al., 2018); a row once fooled is
    not attacked again.

    A classifier that purifies its inputs (``purify_steps > 0``) is random
    and iterative, which hides gradients: the attack averages each step's
    gradient over ``eot_samples`` draws of the purifier's noise (expectation
    over transformation, EOT; Athalye et al., 2018), and by default runs
    its restarts with each of three gradients in turn, on the rows not yet
    fooled: of the classifier without the purifier (a transfer attack; the
    strongest of the three on digits, because purification moves a row that
    crossed the decision boundary further into the wrong class), straight
    through it (BPDA), and through it in full.

    Parameters
    ----------
    estimator : EnergyClassifier, LogisticRegression or Pipeline
        A fitted sk_ebm classifier (or a ``LogisticRegression``, as a
        reference), or a fitted pipeline of ``StandardScaler``,
        ``MinMaxScaler`` or ``PCA`` steps ending in one.
    X : array-like of shape (n_samples, n_features)
        Rows to perturb, in the units of the estimator's input.
    y : array-like of shape (n_samples,)
        Their true labels.
    eps : float
        Radius of the ball, in the units of ``X``; 0 returns ``X``.
    norm : {"linf", "l2"}, default="linf"
        The ball's norm.
    steps : int, default=40
        Gradient steps per restart.
    step_size : float, default=None
        Step length; None: ``2.5 * eps / steps``.
    restarts : int, default=1
        Random starts (per gradient, for a purifying classifier).
    eot_samples : int, default=1
        Draws of the purifier's noise whose gradients each step averages.
    purifier_gradient : {"all", "full", "bpda", "ignore"}, default="all"
        Gradient of a purifying classifier: ``"full"``, through the Langevin
        steps (second derivatives of the energy); ``"bpda"``, straight
        through them; ``"ignore"``, of the classifier without purification;
        ``"all"``, each in turn (in this order, the cheapest first). Other
        classifiers have one gradient.
    clip : tuple of float, default=None
        ``(low, high)`` bounds of every feature (e.g. pixel range), or None.
    random_state : int, RandomState instance or None, default=None
        Seeds the random starts and the purifier's noise.

    Returns
    -------
    X_adv : ndarray of shape (n_samples, n_features)
        The perturbed rows, within ``eps`` of ``X`` (up to rounding) and
        within ``clip``.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sk_ebm import EnergyClassifier
    >>> from sk_ebm.adversarial import pgd_attack
    >>> X, y = make_blobs(100, centers=2, random_state=0)
    >>> clf = EnergyClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> X_adv = pgd_attack(clf, X, y, eps=0.5, steps=5, random_state=0)
    >>> bool(abs(X_adv - X).max() <= 0.5 + 1e-12)  # up to rounding
    True
    """
    counts = {"steps": steps, "restarts": restarts, "eot_samples": eot_samples}
    model, X, target, device = _check_inputs(
        estimator, X, y, eps, norm, counts, purifier_gradient
    )
    if eps == 0 or len(X) == 0:
        return X.copy()
    alpha = 2.5 * eps / steps if step_size is None else float(step_size)
    rng = check_random_state(random_state)
    generator = torch.Generator().manual_seed(draw_seed(rng))
    gradient_models = _gradient_models(model, purifier_gradient)
    for gradient_model, _ in gradient_models:
        seed = draw_seed(rng)
        for module in gradient_model.modules():
            if isinstance(module, PurifiedLogits):
                module.reseed(seed)
    x_all = torch.as_tensor(X)
    t_all = torch.as_tensor(target)
    low, high = (None, None) if clip is None else (float(clip[0]), float(clip[1]))
    best = x_all.clone()
    best_loss = torch.full((len(x_all),), -math.inf, dtype=torch.float64)
    best_fooled = torch.zeros(len(x_all), dtype=torch.bool)

    def box(candidate):
        return candidate if clip is None else candidate.clamp(low, high)

    def gradient(gradient_model, random, x, t, delta):
        delta = delta.detach().requires_grad_(True)
        total = torch.zeros_like(delta)
        for _ in range(eot_samples if random else 1):
            logits = gradient_model((x + delta).to(device))
            loss = F.cross_entropy(logits, t.to(device))
            total += torch.autograd.grad(loss, delta)[0]
        return total

    n_draws = eot_samples if any(random for _, random in gradient_models) else 1

    def log_proba(x):
        """The defended model's log-probabilities, averaged over the draws."""
        draws = [model(x.to(device)).log_softmax(1).cpu() for _ in range(n_draws)]
        return torch.logsumexp(torch.stack(draws), 0) - math.log(n_draws)

    for gradient_model, random in gradient_models:
        for _ in range(restarts):
            # Rows already fooled keep their example: only the others are
            # attacked again (as AutoAttack does), which saves most of the
            # cost of restarts and gradients at large radii.
            active = torch.nonzero(~best_fooled).ravel()
            if len(active) == 0:
                return best.numpy()
            x, t = x_all[active], t_all[active]
            delta = box(x + _random_start(x, eps, norm, generator)) - x
            for _ in range(steps):
                grad = gradient(gradient_model, random, x, t, delta)
                with torch.no_grad():
                    if norm == "linf":
                        delta = delta + alpha * grad.sign()
                    else:
                        norms = grad.norm(dim=1, keepdim=True).clamp_min(1e-12)
                        delta = delta + alpha * grad / norms
                    delta = box(x + _project(delta, eps, norm)) - x
            with torch.no_grad():
                logits = log_proba(x + delta)
                loss = F.nll_loss(logits, t, reduction="none")
                fooled = logits.argmax(1) != t
                better = fooled | (loss > best_loss[active])
                best[active] = torch.where(better[:, None], x + delta, best[active])
                best_loss[active] = torch.where(better, loss, best_loss[active])
                best_fooled[active] = fooled
    return best.numpy()


def _random_start(x, eps, norm, generator):
    """A uniform draw inside the ``eps``-ball of each row."""
    if norm == "linf":
        return (torch.rand(x.shape, generator=generator, dtype=x.dtype) * 2 - 1) * eps
    direction = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    direction /= direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
    radius = torch.rand(len(x), generator=generator, dtype=x.dtype)
    return direction * (eps * radius ** (1 / x.shape[1]))[:, None]


def robust_accuracy(estimator, X, y, eps, **attack):
    """Accuracy of ``estimator.predict`` on the rows of :func:`pgd_attack`.

    Parameters
    ----------
    estimator : EnergyClassifier or Pipeline
        As for :func:`pgd_attack`.
    X : array-like of shape (n_samples, n_features)
        Test rows.
    y : array-like of shape (n_samples,)
        Their labels.
    eps : float
        The attack's radius.
    **attack : dict
        Other arguments of :func:`pgd_attack`.

    Returns
    -------
    accuracy : float
        The share of attacked rows still classified correctly.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sk_ebm import EnergyClassifier
    >>> from sk_ebm.adversarial import robust_accuracy
    >>> X, y = make_blobs(100, centers=2, random_state=0)
    >>> clf = EnergyClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> robust_accuracy(clf, X, y, eps=0.0) == clf.score(X, y)
    True
    """
    X_adv = pgd_attack(estimator, X, y, eps=eps, **attack)
    return float(np.mean(estimator.predict(X_adv) == np.asarray(y).ravel()))


def robustness_curve(estimator, X, y, eps_grid, **attack):
    """Robust accuracy over a grid of radii, with binomial standard errors.

    Parameters
    ----------
    estimator : EnergyClassifier or Pipeline
        As for :func:`pgd_attack`.
    X : array-like of shape (n_samples, n_features)
        Test rows.
    y : array-like of shape (n_samples,)
        Their labels.
    eps_grid : array-like of float
        The radii.
    **attack : dict
        Other arguments of :func:`pgd_attack`.

    Returns
    -------
    curve : dict
        ``"eps"``, ``"accuracy"`` and ``"std_error"`` (``sqrt(a (1 - a) / n)``),
        arrays of the grid's length.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sk_ebm import EnergyClassifier
    >>> from sk_ebm.adversarial import robustness_curve
    >>> X, y = make_blobs(100, centers=2, random_state=0)
    >>> clf = EnergyClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> curve = robustness_curve(clf, X, y, [0.0, 1.0], steps=5, random_state=0)
    >>> curve["accuracy"].shape
    (2,)
    """
    eps_grid = np.asarray(eps_grid, dtype=np.float64).ravel()
    accuracy = np.array(
        [robust_accuracy(estimator, X, y, float(eps), **attack) for eps in eps_grid]
    )
    n = len(np.asarray(y).ravel())
    return {
        "eps": eps_grid,
        "accuracy": accuracy,
        "std_error": np.sqrt(accuracy * (1 - accuracy) / max(n, 1)),
    }
