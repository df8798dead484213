"""What every sk_ebm estimator shares: validation, seeding, modules, inference."""

from __future__ import annotations

import copy
import io
import math
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import DensityMixin
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import LRScheduler, ProgressBar
from torch.optim.lr_scheduler import ReduceLROnPlateau

from sk_ebm._net import DelayedEarlyStopping
from sk_ebm._threads import limit_torch_threads
from sk_ebm.exceptions import DivergenceError
from sk_ebm.nn import ConvEnergy, MLPEnergy
from sk_ebm.sampling import Gaussian, GaussianMixture, langevin

__all__ = [
    "BaseDensityEstimator",
    "BaseEnergyEstimator",
    "defensive_mixture",
    "fit_mixture",
    "torch_mixture",
]

INFERENCE_BATCH_SIZE = 65536


def torch_mixture(weights, means, covariances) -> GaussianMixture:
    """A :class:`~sk_ebm.sampling.GaussianMixture` from numpy parameters."""
    return GaussianMixture(
        *(
            torch.as_tensor(a, dtype=torch.float32)
            for a in (weights, means, covariances)
        )
    )


def fit_mixture(Z: np.ndarray, n_components, seed: int) -> SkGaussianMixture:
    """Full-covariance Gaussian mixture on ``Z``; ``"auto"`` selects the size by BIC.

    The mixture serves as proposal, noise or base, not as the model: 10 000 rows
    are plenty and keep the BIC search cheap on large data. The ``"auto"`` grid
    keeps at least 10 rows per free parameter.
    """
    if len(Z) > 10_000:
        Z = Z[np.random.RandomState(seed).choice(len(Z), 10_000, replace=False)]

    def fit(k):
        return SkGaussianMixture(k, reg_covar=1e-4, random_state=seed).fit(Z)

    if n_components != "auto":
        return fit(min(n_components, Z.shape[0]))
    d = Z.shape[1]
    max_k = len(Z) // (10 * (1 + d + d * (d + 1) // 2))
    sizes = [k for k in (1, 2, 4, 8, 12, 16, 24, 32) if k <= max(max_k, 1)]
    best = None
    for k in sizes:
        gmm = fit(k)
        if best is None or gmm.bic(Z) < best.bic(Z):
            best = gmm
    return best


def defensive_mixture(
    gmm: SkGaussianMixture, Z: torch.Tensor, *, inflate: float, wide: float
) -> GaussianMixture:
    """The fitted mixture with widened components, plus one broad Gaussian (10 %)
    so that the proposal's tails are heavier than the model's."""
    broad = Gaussian.from_data(Z.cpu(), inflate=wide)
    scale_tril = broad.scale_tril.numpy()
    return torch_mixture(
        np.concatenate([0.9 * gmm.weights_, [0.1]]),
        np.concatenate([gmm.means_, broad.mean.numpy()[None]]),
        np.concatenate(
            [gmm.covariances_ * inflate**2, (scale_tril @ scale_tril.T)[None]]
        ),
    )


def _check_n_samples(n_samples) -> None:
    """Raise a ValueError unless ``n_samples`` is a positive integer (not a bool)."""
    if (
        not isinstance(n_samples, Integral)
        or isinstance(n_samples, bool)
        or n_samples < 1
    ):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")


class _FitStart(NamedTuple):
    """What :meth:`BaseDensityEstimator._start_fit` prepares for ``fit``."""

    warm: bool
    torch_seed: int
    sampler_seed: int
    Z_train: torch.Tensor
    Z_valid: torch.Tensor | None
    Z_monitored: torch.Tensor


class BaseEnergyEstimator:
    """Mixin with the parts shared by the sk_ebm estimators.

    Subclasses list it before :class:`sklearn.base.BaseEstimator`; it holds no
    parameters of its own.

    A model fitted on an accelerator pickles through :func:`torch.save`, so
    that it unpickles on a machine without one: every tensor it holds (in the
    skorch net, the replay buffer, the noise, the callbacks) is then mapped to
    the CPU, and ``device`` becomes ``"cpu"`` with a warning, as skorch does for
    its nets. Other estimators pickle as usual, so that cloudpickle (joblib's
    and Dask's workers) still sends classes defined in a script or notebook
    (a custom ``module``, a callback) by value.
    """

    def __getstate__(self):
        state = super().__getstate__()
        if torch.device(self.device).type == "cpu" or not hasattr(self, "net_"):
            return state
        stream = io.BytesIO()
        torch.save(state, stream)
        return {"_torch_state": stream.getvalue()}

    def __setstate__(self, state):
        if "_torch_state" in state:
            cuda = torch.cuda.is_available()
            state = torch.load(
                io.BytesIO(state["_torch_state"]),
                map_location=None if cuda else "cpu",
                weights_only=False,  # unpickling is trusted by definition
            )
            device = state.get("device", "cpu")
            if torch.device(device).type == "cuda" and not cuda:
                warnings.warn(
                    f"{type(self).__name__} was fitted on {device!r}, which is not "
                    "available here; its tensors were moved to the CPU and "
                    "device='cpu' is set.",
                    UserWarning,
                    stacklevel=2,
                )
                state["device"] = "cpu"
        super().__setstate__(state)

    _common_parameter_constraints: dict = {
        "module": [type, torch.nn.Module, None],
        "module_kwargs": [dict, None],
        "hidden_layer_sizes": ["array-like"],
        "image_shape": [tuple, list, None],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "sgld_steps": [Interval(Integral, 0, None, closed="left")],
        "sgld_step_size": [Interval(Real, 0, None, closed="neither")],
        "sgld_noise": [Interval(Real, 0, None, closed="left"), StrOptions({"exact"})],
        "buffer_size": [Interval(Integral, 1, None, closed="left")],
        "reinit_freq": [Interval(Real, 0, 1, closed="both")],
        "energy_reg": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    # -- data ------------------------------------------------------------------
    def _validate_X(self, X, *, reset: bool) -> np.ndarray:
        if sp.issparse(X):
            raise ValueError(
                f"{type(self).__name__} does not accept sparse input; convert it "
                "with X.toarray() (energy networks work on dense features)."
            )
        X = validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32], ensure_2d=True
        )
        # Two reductions rather than np.abs(X).max(): no temporary as large as X.
        if max(X.max(), -X.min()) > np.finfo(np.float32).max:
            raise ValueError(
                "Input X contains values too large for float32, the precision of "
                "the energy network."
            )
        return X

    def _fit_scaling(self, X: np.ndarray) -> None:
        # Accumulated in float64: float32 sums of large values overflow.
        self.mean_ = X.mean(0, dtype=np.float64)
        scale = X.std(0, dtype=np.float64)
        scale[~(scale > 1e-12 * np.maximum(np.abs(self.mean_), 1.0))] = 1.0
        self.scale_ = scale

    def _to_tensor(self, X: np.ndarray, dtype=torch.float32) -> torch.Tensor:
        Z = X - self.mean_
        Z /= self.scale_
        return torch.as_tensor(Z, dtype=dtype, device=self.device)

    # -- randomness ------------------------------------------------------------
    def _seeds(self) -> tuple[int, int]:
        rng = check_random_state(self.random_state)
        return tuple(int(s) for s in rng.randint(0, 2**31 - 1, size=2))

    def _generator(self, seed: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(seed)

    # -- modules ---------------------------------------------------------------
    def _build_module(self, n_features: int, n_outputs: int = 1) -> torch.nn.Module:
        kwargs = dict(self.module_kwargs or {})
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        if self.module is not None:
            return self.module(n_features, **kwargs)
        if getattr(self, "image_shape", None) is not None:
            image_shape = tuple(self.image_shape)
            if int(np.prod(image_shape)) != n_features:
                raise ValueError(
                    f"image_shape={image_shape} holds {int(np.prod(image_shape))} "
                    f"values but X has {n_features} features."
                )
            return ConvEnergy(image_shape, n_outputs=n_outputs, **kwargs)
        kwargs = {**self._default_mlp_kwargs(), **kwargs}
        return MLPEnergy(
            n_features,
            tuple(int(h) for h in self.hidden_layer_sizes),
            n_outputs=n_outputs,
            **kwargs,
        )

    def _default_mlp_kwargs(self) -> dict:
        return {}

    # -- inference -------------------------------------------------------------
    def _energy_module(self) -> torch.nn.Module:
        """The fitted module whose ``forward`` is the energy."""
        return self.net_.module_

    def _inference_module(self) -> tuple[torch.nn.Module, torch.dtype]:
        """The fitted module in eval mode and the dtype to feed it.

        On the CPU this is a float64 copy: a float32 matrix product may round a
        row differently depending on its position in the batch, and a row's
        output should not depend on the other rows it is scored with. On an
        accelerator the float32 module itself is used.
        """
        module = self._energy_module().eval()
        if torch.device(self.device).type != "cpu":
            return module, torch.float32
        return copy.deepcopy(module).double(), torch.float64

    @limit_torch_threads()
    def _batched(self, fn, X: np.ndarray) -> np.ndarray:
        """Apply ``fn(module, Z)`` to the scaled rows ``Z`` of ``X`` in batches,
        without gradients (``module`` from :meth:`_inference_module`).

        Rows are scaled and moved to the device one batch at a time, and the
        results written into one preallocated array, so that the memory beyond
        the output stays bounded whatever the number of rows.
        """
        module, dtype = self._inference_module()
        out = np.empty(0)
        with torch.inference_mode():
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                Z = self._to_tensor(X[start : start + INFERENCE_BATCH_SIZE], dtype)
                part = fn(module, Z).double().cpu().numpy()
                if start == 0:
                    out = np.empty((X.shape[0], *part.shape[1:]))
                out[start : start + len(part)] = part
        return out

    @limit_torch_threads()
    def _energy_grad_norm(self, X: np.ndarray) -> np.ndarray:
        """Norm of :math:`\\nabla_z E(z)` per row, ``z`` the standardised input.

        The gradient is taken with respect to the standardised features so that
        no feature dominates through its units. Batched like :meth:`_batched`.
        """
        module, dtype = self._inference_module()
        out = np.empty(X.shape[0])
        with torch.enable_grad():
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                Z = self._to_tensor(X[start : start + INFERENCE_BATCH_SIZE], dtype)
                Z.requires_grad_(True)
                (grad,) = torch.autograd.grad(module(Z).sum(), Z)
                out[start : start + len(Z)] = grad.norm(dim=1).double().cpu().numpy()
        return out

    @limit_torch_threads()
    def _sample_resampled(
        self, energy, proposal, n_samples, random_state, n_steps: int
    ) -> np.ndarray:
        """Importance resampling from ``proposal``, then ``n_steps`` MALA steps.

        Candidates are resampled by their weights :math:`e^{-E}/q`, then moved by
        Metropolis-adjusted Langevin steps, which leave :math:`e^{-E}` invariant;
        the step size adapts towards a 60 % acceptance rate every 10 steps.
        Returns rows in the data's units.
        """
        _check_n_samples(n_samples)
        seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
        generator = self._generator(seed)
        n_candidates = max(4 * n_samples, 4096)
        with torch.no_grad():
            candidates = proposal.sample(n_candidates, generator)
            log_w = -energy(candidates) - proposal.log_prob(candidates)
            index = torch.multinomial(
                torch.softmax(log_w, 0),
                n_samples,
                replacement=True,
                generator=generator,
            )
        Z = candidates[index].detach()
        step = 0.05 / math.sqrt(Z.shape[1])
        for _ in range(math.ceil(n_steps / 10)):
            Z, acceptance = langevin(
                energy,
                Z,
                n_steps=10,
                step_size=step,
                noise_std="exact",
                metropolis=True,
                generator=generator,
                return_acceptance=True,
            )
            step *= math.exp(float(acceptance.mean()) - 0.6)
        return Z.double().cpu().numpy() * self.scale_ + self.mean_

    def _stopping_callbacks(
        self, monitor: str, *, lower_is_better: bool, start: int = 0
    ) -> list:
        """Early stopping on ``monitor`` (best weights kept, watched after
        ``start`` epochs) and a learning rate divided by 3.3 when it stalls.

        Needs the ``n_iter_no_change`` parameter.
        """
        return [
            (
                "early_stopping",
                DelayedEarlyStopping(
                    start=start,
                    monitor=monitor,
                    lower_is_better=lower_is_better,
                    patience=self.n_iter_no_change,
                    threshold=1e-4,
                    threshold_mode="abs",
                    load_best=True,
                ),
            ),
            (
                "lr_scheduler",
                LRScheduler(
                    policy=ReduceLROnPlateau,
                    monitor=monitor,
                    mode="min" if lower_is_better else "max",
                    patience=max(1, self.n_iter_no_change // 4),
                    factor=0.3,
                ),
            ),
        ]

    def _verbosity(self) -> dict:
        """The net's ``verbose``; when silent, skorch's ``PrintLog`` is dropped:
        it formats a table every epoch even when it prints nothing, about 10 %
        of a small network's fit."""
        if self.verbose:
            return {"verbose": self.verbose}
        return {"verbose": 0, "callbacks__print_log": None}

    def _extra_callbacks(self) -> list:
        """skorch's progress bar when ``verbose``, then the user's callbacks."""
        bar = [("progress_bar", ProgressBar())] if self.verbose else []
        return bar + list(self.callbacks or [])

    def _warm_start(self) -> bool:
        """Whether ``fit`` continues from the fitted net (``warm_start=True``)."""
        return bool(self.warm_start) and hasattr(self, "net_")

    @limit_torch_threads()
    def _train(self, net, X, y=None, *, warm: bool = False) -> None:
        """Fit the skorch ``net`` and keep it as ``net_``.

        With ``warm``, ``net`` wraps the already fitted module (see
        :meth:`_warm_start`): it is trained further, with a fresh optimizer,
        and its history continues that of the previous fit.

        On divergence the net has already restored the weights of its last
        finished epoch; they are kept (``net_`` is set, so a ``warm_start`` or a
        look at ``net_.history`` is possible) and the error names the settings
        to change.
        """
        try:
            if warm:
                net.initialize()
                net.history = copy.deepcopy(self.net_.history)
                net.partial_fit(X, y)
            else:
                net.fit(X, y)
        except DivergenceError as err:
            self.net_ = net
            params = self.get_params(deep=False)
            hints = [
                hint
                for name, hint in (
                    ("lr", "a lower `lr`"),
                    ("energy_reg", "a larger `energy_reg`"),
                    ("sgld_steps", "fewer `sgld_steps`"),
                    ("sgld_step_size", "a smaller `sgld_step_size`"),
                )
                if name in params
            ]
            raise DivergenceError(
                f"{type(self).__name__} training diverged: {err}. The weights of "
                f"the last finite epoch were restored. Try {', '.join(hints)}."
            ) from err
        finally:
            # A torch.Generator cannot be pickled; it is only needed in fit.
            net.generator = None
        self.net_ = net


class BaseDensityEstimator(DensityMixin, BaseEnergyEstimator):
    """Mixin of the density estimators: a normalised ``score_samples``, the
    mean log-likelihood as ``score`` (overriding ``DensityMixin``'s), the
    validation split and the early-stopping callbacks.

    Subclasses set ``log_partition_`` (in the data's units) at fit and have the
    ``early_stopping``, ``validation_fraction`` and ``n_iter_no_change``
    parameters.
    """

    def _default_mlp_kwargs(self) -> dict:
        # Random Fourier features let a small MLP fit the thin or sharp structure
        # of low-dimensional densities; in higher dimension the plain MLP is the
        # better prior.
        if self.n_features_in_ <= 4:
            return {"n_fourier_features": 64, "fourier_scale": 5.0}
        return {}

    def _start_fit(self, X) -> _FitStart:
        """Validate ``X`` and draw the seeds, the scaling (kept under
        ``warm_start``), the validation split and the monitored rows."""
        warm = self._warm_start()
        X = self._validate_X(X, reset=not warm)
        if X.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples, got "
                f"n_samples={X.shape[0]}."
            )
        torch_seed, sampler_seed = self._seeds()
        rng = np.random.RandomState(sampler_seed)
        if not warm:
            self._fit_scaling(X)
        train, valid = self._split(X.shape[0], rng)
        Z_train = self._to_tensor(X[train])
        return _FitStart(
            warm=warm,
            torch_seed=torch_seed,
            sampler_seed=sampler_seed,
            Z_train=Z_train,
            Z_valid=None if valid is None else self._to_tensor(X[valid]),
            Z_monitored=Z_train[np.sort(rng.permutation(len(Z_train))[:2000])],
        )

    def _split(self, n: int, rng: np.random.RandomState):
        n_valid = round(self.validation_fraction * n) if self.early_stopping else 0
        if n_valid < 1 or n - n_valid < 2:
            return np.arange(n), None
        order = rng.permutation(n)
        return np.sort(order[n_valid:]), np.sort(order[:n_valid])

    def score_samples(self, X):
        """Log-density of each row of ``X``, normalised, in the data's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``-E(X) - log_partition_``.
        """
        check_is_fitted(self, "log_partition_")
        X = self._validate_X(X, reset=False)
        return -self._batched(lambda module, Z: module(Z), X) - self.log_partition_

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        log_likelihood : float
        """
        return float(np.mean(self.score_samples(X)))
