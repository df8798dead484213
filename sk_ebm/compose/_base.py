"""What EnergyProduct and EnergyMixture share: members, the
normalising constant by AIS, scoring and sampling."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    DensityMixin,
    MetaEstimatorMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sk_ebm._inference import INFERENCE_BATCH_SIZE
from sk_ebm._params import check_n_samples, draw_seed
from sk_ebm._state import Fitted
from sk_ebm._threads import limit_torch_threads
from sk_ebm.compose._energy import (
    ComposedEnergy,
    Frame,
    escaped,
    grows_everywhere,
    product_gaussian,
)
from sk_ebm.compose._members import (
    Member,
    _split,
    member_energy,
    member_gaussian,
    resolve_members,
)
from sk_ebm.compose._params import NestedMembersParams
from sk_ebm.sampling import importance_resampling
from sk_ebm.sampling._resample import resample_and_move

__all__ = ["BaseComposition"]


class BaseComposition(
    NestedMembersParams, DensityMixin, MetaEstimatorMixin, BaseEstimator
):
    """Base of the compositions of fitted energy models; not for direct use.

    Subclasses set ``_kind`` (``"product"`` or ``"mixture"``) and check the
    weights in ``_check_weights``.
    """

    _kind = "product"

    _parameter_constraints: dict = {
        "estimators": [list, tuple, None],
        "weights": ["array-like", None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "ais_chains": [Interval(Integral, 2, None, closed="left")],
        "ais_temperatures": [Interval(Integral, 1, None, closed="left")],
        "sample_init": [StrOptions({"anneal", "base", "members"})],
        "sample_steps": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    _fitted_attributes: dict = {
        "n_features_in_": Fitted("int"),
        "feature_names_in_": Fitted(
            "array", dtype="str", shape=("n_features_in_",), required=False
        ),
        "n_estimators_": Fitted("int"),
        "estimators_": Fitted("estimators"),
        "member_log_partitions_": Fitted(
            "array", dtype="float64", shape=("n_estimators_",)
        ),
        "log_partition_": Fitted("float"),
        "log_partition_std_": Fitted("float"),
    }

    def __init__(
        self,
        estimators=None,
        *,
        weights=None,
        temperature=1.0,
        ais_chains=2000,
        ais_temperatures=300,
        sample_init="anneal",
        sample_steps=50,
        random_state=None,
    ):
        self.estimators = estimators
        self.weights = weights
        self.temperature = temperature
        self.ais_chains = ais_chains
        self.ais_temperatures = ais_temperatures
        self.sample_init = sample_init
        self.sample_steps = sample_steps
        self.random_state = random_state

    # -- members ---------------------------------------------------------------
    def _check_weights(self, n_members: int) -> np.ndarray:
        if self.weights is None:
            return np.ones(n_members)
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (n_members,) or not np.isfinite(weights).all():
            raise ValueError(
                f"weights must hold {n_members} finite numbers, one per member of "
                f"estimators; got {self.weights!r}."
            )
        return weights

    def _members(self) -> list[Member]:
        """The fitted members, with the concepts' class indices."""
        check_is_fitted(self, "log_partition_")
        members = []
        for i, (entry, estimator) in enumerate(
            zip(self.estimators, self.estimators_, strict=True)
        ):
            _, label = _split(entry, i)
            index = None
            if label is not None:
                index = int(np.flatnonzero(estimator.classes_ == label)[0])
            members.append(Member(estimator, index))
        return members

    def _device(self, members) -> torch.device:
        return torch.device(members[0].estimator.device)

    def _dtype(self, members) -> torch.dtype:
        # Scoring on the CPU in float64, as the members' own scoring (a row's
        # energy does not depend on the rows scored with it); AIS and the
        # samplers, whose chains are batches anyway, in float32.
        cpu = self._device(members).type == "cpu"
        return torch.float64 if cpu else torch.float32

    def _frame(self, gaussians, weights, dtype, device) -> Frame:
        """The Gaussian (mixture) that starts AIS and the samplers."""
        t = float(self.temperature)
        if self._kind == "mixture":
            means = [mean for mean, _ in gaussians]
            covariances = [t * covariance for _, covariance in gaussians]
            return Frame(weights, means, covariances, dtype, device)
        product = product_gaussian(gaussians, weights, t)
        if product is None:  # negations too strong for the bases: keep the others
            positive = weights > 0
            product = product_gaussian(
                [g for g, keep in zip(gaussians, positive, strict=True) if keep],
                weights[positive],
                t,
            )
        mean, covariance = product
        return Frame([1.0], [mean], [covariance], dtype, device)

    def _composed(self, members=None, log_partitions=None, dtype=None):
        """The composed energy module, its frame and the members (those of
        the fit and ``member_log_partitions_`` by default), in ``dtype``
        (that of scoring by default)."""
        if members is None:
            members, log_partitions = self._members(), self.member_log_partitions_
        weights = self._check_weights(len(members))
        if self._kind == "mixture":
            weights = weights / weights.sum()
        device = self._device(members)
        dtype = self._dtype(members) if dtype is None else dtype
        energies = [member_energy(member, dtype) for member in members]
        energy = ComposedEnergy(
            energies, weights, self.temperature, self._kind, log_partitions
        )
        gaussians = [member_gaussian(member) for member in members]
        return energy, self._frame(gaussians, weights, dtype, device), members

    def _generator(self, device, random_state) -> torch.Generator:
        return torch.Generator(device=device).manual_seed(draw_seed(random_state))

    # -- fit -------------------------------------------------------------------
    @limit_torch_threads()
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X=None, y=None):
        """Fit the unfitted members, then estimate the log-partition by AIS.

        Members given fitted are used as they are; the others are cloned and
        fitted on ``X`` (classifiers on ``X`` and ``y``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Training rows of the unfitted members; None when all are fitted.
        y : array-like of shape (n_samples,), default=None
            Labels of the unfitted classifiers; ignored otherwise.

        Returns
        -------
        self : estimator instance
            The fitted composition.
        """
        members = resolve_members(self.estimators, X, y)
        width = members[0].estimator.n_features_in_
        if X is not None and check_array(X, dtype=None).shape[1] != width:
            raise ValueError(
                f"X has {np.shape(X)[1]} features, but the members of "
                f"{type(self).__name__} were fitted on {width}."
            )
        weights = self._check_weights(len(members))
        self._check_signs(weights)
        generator = self._generator(self._device(members), self.random_state)
        log_partitions = np.array(
            [self._member_log_partition(m, generator) for m in members]
        )
        energy, frame, _ = self._composed(members, log_partitions, torch.float32)
        log_z, std = self._log_partition(energy, frame, generator)
        self.estimators_ = [member.estimator for member in members]
        self.n_estimators_ = len(members)
        self.member_log_partitions_ = log_partitions
        first = members[0].estimator
        self.n_features_in_ = first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            self.feature_names_in_ = first.feature_names_in_
        else:
            self.__dict__.pop("feature_names_in_", None)
        self.log_partition_, self.log_partition_std_ = log_z, std
        return self

    def _check_signs(self, weights) -> None:
        """Product weights (a subclass may override)."""

    def _member_log_partition(self, member: Member, generator) -> float:
        """The member's own log-partition (AIS for a classifier's energy)."""
        log_z = getattr(member.estimator, "log_partition_", None)
        if log_z is not None:
            return float(log_z)
        mean, covariance = member_gaussian(member)
        frame = Frame(
            [1.0], [mean], [covariance], torch.float32, self._device([member])
        )
        energy = member_energy(member, torch.float32)
        return frame.log_partition(
            energy, self.ais_chains, self.ais_temperatures, generator
        )[0]

    def _log_partition(self, energy, frame, generator) -> tuple[float, float]:
        if not grows_everywhere(energy, frame, generator):
            raise ValueError(
                self._not_normalisable("its energy does not grow in every direction")
            )
        try:
            log_z, std, u = frame.log_partition(
                energy,
                self.ais_chains,
                self.ais_temperatures,
                generator,
                return_samples=True,
            )
        except ValueError as err:
            raise ValueError(self._not_normalisable(str(err))) from None
        if escaped(u):
            raise ValueError(self._not_normalisable("the AIS chains escaped"))
        return log_z, std

    def _not_normalisable(self, why: str) -> str:
        weights = np.asarray(self.weights if self.weights is not None else [1.0])
        if (weights < 0).any():
            hint = (
                "Lower the negative weights (a negation w E_b needs the others to "
                f"outweigh it), weights={self.weights!r}."
            )
        else:
            hint = (
                "A member's own energy does not grow in every direction (e.g. an "
                "EnergyDensityEstimator with base=None, whose network alone need "
                "not be normalisable): fit the members with a base."
            )
        return (
            f"The {type(self).__name__} of these members is not normalisable "
            f"({why}): exp(-E) has no finite integral. {hint}"
        )

    # -- scoring ---------------------------------------------------------------
    def _checked_X(self, X) -> np.ndarray:
        check_is_fitted(self, "log_partition_")
        return validate_data(self, X, reset=False, dtype=np.float64)

    @limit_torch_threads()
    def energy(self, X):
        """Composed energy :math:`E(x)` of each row: lower is more likely.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the members' training data.

        Returns
        -------
        energy : ndarray of shape (n_samples,)
            :math:`E(x)`, unnormalised: ``score_samples(X) == -energy(X) -
            log_partition_``.
        """
        X = self._checked_X(X)
        energy, _, members = self._composed()
        dtype, device = self._dtype(members), self._device(members)
        out = np.empty(X.shape[0])
        with torch.inference_mode():
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                rows = X[start : start + INFERENCE_BATCH_SIZE]
                x = torch.as_tensor(rows, dtype=dtype, device=device)
                out[start : start + len(rows)] = energy(x).double().cpu().numpy()
        return out

    @limit_torch_threads()
    def score_samples(self, X):
        """Normalised log-density of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the members' training data.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``-energy(X) - log_partition_``.
        """
        return -self.energy(X) - self.log_partition_

    @limit_torch_threads()
    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored.

        Returns
        -------
        log_likelihood : float
            Mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))

    # -- sampling --------------------------------------------------------------
    @limit_torch_threads()
    def sample(self, n_samples=1, random_state=None):
        """Draw rows from the composed density by MALA on its energy.

        The chains start according to ``sample_init`` (see the class
        description), are resampled by their importance weights, then moved
        by ``sample_steps`` Metropolis-adjusted Langevin steps, which leave
        the composed density invariant.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; an int gives the same samples at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples, in the units of the members' training data.
        """
        check_is_fitted(self, "log_partition_")
        check_n_samples(n_samples)
        energy, frame, members = self._composed(dtype=torch.float32)
        generator = self._generator(self._device(members), random_state)
        in_frame = frame.energy(energy)
        if self.sample_init == "base":
            u = importance_resampling(
                in_frame,
                frame.mixture(widen=1.5),
                n_samples,
                n_steps=self.sample_steps,
                generator=generator,
            )
        else:
            if self.sample_init == "anneal":
                _, _, candidates, log_w = frame.log_partition(
                    energy,
                    max(2 * n_samples, 1024),
                    self.ais_temperatures,
                    generator,
                    return_samples=True,
                    return_log_weights=True,
                )
            else:
                candidates, log_w = self._members_proposal(
                    energy, frame, members, max(4 * n_samples, 4096), generator
                )
            u = resample_and_move(
                in_frame,
                candidates,
                log_w,
                n_samples,
                n_steps=self.sample_steps,
                generator=generator,
            )
        with torch.no_grad():
            return frame.to_data(u).double().cpu().numpy()

    def _members_proposal(self, energy, frame, members, n, generator):
        """Draws of the members (positive weights, in equal shares) in the
        frame's coordinates, and their log importance weights against the
        mixture of the members' normalised densities."""
        weights = self._check_weights(len(members))
        chosen = np.flatnonzero(weights > 0)
        shares = torch.ones(len(chosen), device=generator.device)
        counts = torch.multinomial(shares, n, replacement=True, generator=generator)
        counts = counts.bincount(minlength=len(chosen))
        draws = []
        for index, count in zip(chosen, counts.tolist(), strict=True):
            if count == 0:
                continue
            member = members[index]
            seed = torch.randint(
                2**31 - 1, (1,), generator=generator, device=generator.device
            )
            kwargs = {}
            if member.class_index is not None:
                kwargs["y"] = member.estimator.classes_[member.class_index]
            draws.append(
                member.estimator.sample(count, random_state=int(seed), **kwargs)
            )
        dtype, device = frame.centre.dtype, frame.centre.device
        x = torch.as_tensor(np.concatenate(draws), dtype=dtype, device=device)
        with torch.no_grad():
            member_log_p = -(energy.member_energies(x) + energy.log_partitions)
            log_q = torch.logsumexp(member_log_p[:, chosen], dim=1)
            log_q = log_q - np.log(len(chosen))
            u = frame.from_data(x)
            log_w = -energy(x) - (log_q + frame.log_det)
        return u, log_w
