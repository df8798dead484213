"""The members of a composition: what they are, their energies as torch
modules in the data's units, and the Gaussian that each is closest to."""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import torch
from sklearn.base import clone, is_classifier
from sklearn.frozen import FrozenEstimator
from torch import Tensor, nn

from sk_ebm._base import BaseEnergyEstimator
from sk_ebm._density_base import BaseDensityEstimator
from sk_ebm.nn import GaussianDiscriminant
from sk_ebm.sampling import Gaussian, GaussianMixture, Uniform

__all__ = ["Member", "MemberEnergy", "member_gaussian", "resolve_members"]


class Member(NamedTuple):
    """One term of a composition: a fitted estimator and, for a classifier
    concept ``(classifier, label)``, the index of ``label`` in ``classes_``."""

    estimator: object
    class_index: int | None


def _split(member, i: int):
    """``(estimator, label)`` of the ``i``-th entry of ``estimators``."""
    label = None
    if isinstance(member, tuple):
        if len(member) != 2:
            raise TypeError(
                f"estimators[{i}] is a tuple of {len(member)} items; a concept is "
                "a pair (classifier, label)."
            )
        member, label = member
        if isinstance(member, FrozenEstimator):
            member = member.estimator
        if not (is_classifier(member) and isinstance(member, BaseEnergyEstimator)):
            raise TypeError(
                f"estimators[{i}] pairs a {type(member).__name__} with the label "
                f"{label!r}; a (model, label) concept needs an EnergyClassifier."
            )
    elif isinstance(member, FrozenEstimator):
        member = member.estimator
    density = isinstance(member, BaseDensityEstimator)
    joint = is_classifier(member) and isinstance(member, BaseEnergyEstimator)
    if not (density or joint):
        raise TypeError(
            f"estimators[{i}] is a {type(member).__name__}, which is not an sk_ebm "
            "energy model: compose EnergyDensityEstimator, NCEDensityEstimator, "
            "EnergyClassifier (its marginal energy) or (EnergyClassifier, label) "
            "concepts."
        )
    return member, label


def _is_fitted(estimator) -> bool:
    names = ["net_"]
    if isinstance(estimator, BaseDensityEstimator):
        names.append("log_partition_")
    return all(hasattr(estimator, name) for name in names)


def is_fitted_member(member) -> bool:
    """Whether an entry of ``estimators`` (an estimator, a frozen one or a
    concept pair) is fitted, and is then kept as it is."""
    if isinstance(member, tuple) and len(member) == 2:
        member = member[0]
    if isinstance(member, FrozenEstimator):
        return True
    return _is_fitted(member)


def resolve_members(estimators, X=None, y=None) -> list[Member]:
    """The fitted members: those given fitted are kept, the others are cloned
    and fitted on ``X`` (and ``y`` for classifiers); widths and devices agree."""
    if not isinstance(estimators, (list, tuple)) or len(estimators) == 0:
        raise ValueError(
            "estimators must be a non-empty list of sk_ebm energy models or "
            f"(classifier, label) pairs, got {estimators!r}."
        )
    members = []
    for i, entry in enumerate(estimators):
        estimator, label = _split(entry, i)
        if not _is_fitted(estimator):
            if X is None:
                raise ValueError(
                    f"estimators[{i}] ({type(estimator).__name__}) is not fitted: "
                    "pass the training rows to fit(X), or fit it first."
                )
            estimator = clone(estimator)
            if is_classifier(estimator):
                if y is None:
                    raise ValueError(
                        f"estimators[{i}] is an unfitted {type(estimator).__name__}, "
                        "which needs the labels: call fit(X, y), or fit it first."
                    )
                estimator.fit(X, y)
            else:
                estimator.fit(X)
        index = None
        if label is not None:
            found = np.flatnonzero(estimator.classes_ == label)
            if found.size != 1:
                raise ValueError(
                    f"estimators[{i}] asks for the class {label!r}, which is not "
                    f"among the classifier's classes_ {estimator.classes_.tolist()}."
                )
            index = int(found[0])
        members.append(Member(estimator, index))
    widths = {m.estimator.n_features_in_ for m in members}
    if len(widths) > 1:
        raise ValueError(
            "The members were fitted on different numbers of features "
            f"({sorted(widths)}); a composition needs them to agree."
        )
    devices = {str(torch.device(m.estimator.device)) for m in members}
    if len(devices) > 1:
        raise ValueError(
            f"The members live on different devices ({sorted(devices)}); set "
            "the same `device` on all of them (and refit or reload them)."
        )
    names = [getattr(m.estimator, "feature_names_in_", None) for m in members]
    given = [n for n in names if n is not None]
    if any(not np.array_equal(given[0], n) for n in given[1:]):
        raise ValueError("The members were fitted on different feature names.")
    return members


class MemberEnergy(nn.Module):
    r"""A member's energy of raw rows, in the data's units.

    .. math:: E(x) = E_\theta\big(W((x - \mu)/s)\big) + E_{out}((x - \mu)/s)

    with the member's standardisation :math:`(\mu, s)`, whitening :math:`W`
    and the energy of the axes it sets aside; for a classifier
    :math:`E_\theta(z) = -f(z)[y]` (a concept) or :math:`-\log\sum_y e^{f(z)[y]}`.
    """

    def __init__(self, mean, scale, whitening, network, mode: str, index=None):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean))
        self.register_buffer("scale", torch.as_tensor(scale))
        self.whitening = whitening
        self.network = network
        self.mode = mode
        self.index = index

    def forward(self, x: Tensor) -> Tensor:
        s = (x - self.mean) / self.scale
        z = s if self.whitening is None else self.whitening(s)
        if self.mode == "energy":
            energy = self.network(z)
        elif self.mode == "marginal":
            energy = -torch.logsumexp(self.network(z), dim=1)
        else:
            energy = -self.network(z)[:, self.index]
        if self.whitening is not None:
            energy = energy + self.whitening.outside_energy(s)
        return energy


def member_energy(member: Member, dtype: torch.dtype) -> MemberEnergy:
    """A frozen copy of the member's energy on its device, in ``dtype``."""
    estimator = member.estimator
    if is_classifier(estimator):
        network = estimator.net_.module_.logits
        mode = "marginal" if member.class_index is None else "joint"
    else:
        network, mode = estimator._energy_module(), "energy"
    whitening = getattr(estimator, "whitening_", None)
    module = MemberEnergy(
        estimator.mean_,
        estimator.scale_,
        copy.deepcopy(whitening),
        copy.deepcopy(network),
        mode,
        member.class_index,
    )
    module = module.to(device=estimator.device, dtype=dtype).eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def _moments(distribution) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean and covariance of a distribution of :mod:`sk_ebm.sampling`."""
    if isinstance(distribution, Gaussian):
        tril = distribution.scale_tril.double().cpu().numpy()
        return distribution.mean.double().cpu().numpy(), tril @ tril.T
    if isinstance(distribution, GaussianMixture):
        weights = distribution.log_weights.double().exp().cpu().numpy()
        trils = distribution.scale_trils.double().cpu().numpy()
        means = distribution.means.double().cpu().numpy()
        return _mixture_moments(weights, means, trils @ trils.transpose(0, 2, 1))
    if isinstance(distribution, Uniform):
        low = distribution.low.double().cpu().numpy()
        high = distribution.high.double().cpu().numpy()
        return (low + high) / 2, np.diag((high - low) ** 2 / 12)
    return None


def _mixture_moments(weights, means, covariances):
    mean = weights @ means
    second = np.einsum("k,kij->ij", weights, covariances)
    second += np.einsum("k,ki,kj->ij", weights, means, means)
    return mean, second - np.outer(mean, mean)


def _discriminant_moments(base: GaussianDiscriminant, index):
    inverse = base.inverse_tril.double().cpu().numpy()
    tril = np.linalg.inv(inverse)
    whitened = base.whitened_means.double().cpu().numpy()
    means = whitened @ tril.T
    covariance = tril @ tril.T
    if index is not None:
        return means[index], covariance
    log_priors = base.constant.double().cpu().numpy() + 0.5 * (whitened**2).sum(1)
    weights = np.exp(log_priors - log_priors.max())
    weights /= weights.sum()
    covariances = np.broadcast_to(covariance, (len(weights), *covariance.shape))
    return _mixture_moments(weights, means, covariances)


def member_gaussian(member: Member) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance, in the data's units, of the classical density
    inside the member's energy (its base, else its proposal or chains'
    initial distribution); of its own samples when it has none of these."""
    estimator = member.estimator
    moments = None
    if is_classifier(estimator):
        base = estimator.base_
        if isinstance(base, GaussianDiscriminant):
            moments = _discriminant_moments(base, member.class_index)
        else:
            moments = _moments(estimator.net_.buffer_.init)
    else:
        moments = _moments(estimator.base_)
        if moments is None:
            moments = _moments(estimator._sampler()[1])
    if moments is None:
        kwargs = {} if member.class_index is None else {"y": _label(member)}
        X = estimator.sample(4096, random_state=0, **kwargs)
        return X.mean(0), np.atleast_2d(np.cov(X, rowvar=False))
    mean, covariance = moments
    whitening = getattr(estimator, "whitening_", None)
    if whitening is not None:
        components = whitening.components.double().cpu().numpy()
        std = whitening.std.double().cpu().numpy()
        outside = whitening.outside_components.double().cpu().numpy()
        outside = outside * whitening.outside_std.double().cpu().numpy()
        lift = components * std
        mean = lift @ mean
        covariance = lift @ covariance @ lift.T + outside @ outside.T
    scale = estimator.scale_
    return estimator.mean_ + scale * mean, covariance * np.outer(scale, scale)


def _label(member: Member):
    return member.estimator.classes_[member.class_index]
