"""The estimator skeleton: validation, seeds, one fit, batched inference.

Every sk_ebm estimator subclasses :class:`BaseEnergyEstimator` (before
:class:`sklearn.base.BaseEstimator`) and writes the state protocol of
:mod:`sk_ebm._state` plus a few hooks of :meth:`BaseEnergyEstimator._fit`:
``_make_net`` (the skorch net around its module tree) and, where needed,
``_prepare_y``, ``_split`` and ``_finish_fit``.
"""

from __future__ import annotations

import copy
import functools
import io
import threading
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data
from skorch.callbacks import ProgressBar
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from sk_ebm._callbacks import stopping_callbacks
from sk_ebm._data import TensorBatches
from sk_ebm._gaussian import MAX_ROWS, fit_whitening
from sk_ebm._inference import BatchedInference
from sk_ebm._params import draw_seed
from sk_ebm._state import Fitted
from sk_ebm._threads import limit_torch_threads
from sk_ebm.exceptions import DivergenceError
from sk_ebm.nn import ConvEnergy, MLPEnergy, Whitening
from sk_ebm.sampling import Gaussian, ReplayBuffer, Uniform

__all__ = ["BaseEnergyEstimator", "FitData"]

# Public methods that run torch: each runs under the thread cap of
# sk_ebm._threads, applied once here for every subclass that defines them.
THREAD_CAPPED = (
    "fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score_samples",
    "score",
    "sample",
    "energy",
    "energy_grad_norm",
    "log_likelihood",
    "predict_cdf",
    "predict_quantiles",
    "predict_interval",
    "predict_modes",
    "sample_y",
)

# Module constructors draw their initial weights from torch's global
# generator (a user's module class can only be seeded that way): they run
# seeded under this lock, so that fits in threads of one process do not
# interleave their draws. Nothing else in sk_ebm uses the global generator.
_INIT_LOCK = threading.Lock()


class FitData(NamedTuple):
    """What :meth:`BaseEnergyEstimator._fit` prepares for the hooks: rows
    standardised on the device (each split made once), the seeds and the
    generators of the fit."""

    Z: torch.Tensor  # all rows
    y: torch.Tensor | None  # encoded targets of all rows
    Z_train: torch.Tensor
    y_train: torch.Tensor | None
    Z_valid: torch.Tensor | None  # None: no validation rows
    y_valid: torch.Tensor | None
    torch_seed: int  # initial weights and batch order
    seed: int  # everything sampled: chains, proposals, noise, mixtures
    rng: np.random.RandomState  # numpy draws of the fit (after the split)
    generator: torch.Generator  # on the device, seeded with ``seed``
    warm: bool

    @classmethod
    def split(cls, Z, y, train, valid, **seeds) -> FitData:
        """``train`` and ``valid`` are row indices, or None for all and none."""

        def rows(a, index):
            return None if a is None or index is None else a[index]

        return cls(
            Z=Z,
            y=y,
            Z_train=Z if train is None else Z[train],
            y_train=y if train is None else rows(y, train),
            Z_valid=rows(Z, valid),
            y_valid=rows(y, valid),
            **seeds,
        )


class BaseEnergyEstimator(BatchedInference):
    """Mixin with the parts shared by the sk_ebm estimators.

    Subclasses list it before :class:`sklearn.base.BaseEstimator`; it holds no
    parameters of its own.

    A model fitted on an accelerator pickles through :func:`torch.save`, so
    that it unpickles on a machine without one: every tensor it holds is then
    mapped to the CPU, and ``device`` becomes ``"cpu"`` with a warning, as
    skorch does for its nets. Other estimators pickle as usual, so that
    cloudpickle (joblib's and Dask's workers) still sends classes defined in a
    script or notebook (a custom ``module``, a callback) by value.
    """

    # Fitted attributes of every estimator (see sk_ebm._state).
    _common_fitted_attributes: dict = {
        "n_features_in_": Fitted("int"),
        "feature_names_in_": Fitted(
            "array", dtype="str", shape=("n_features_in_",), required=False
        ),
        "mean_": Fitted("array", dtype="float64", shape=("n_features_in_",)),
        "scale_": Fitted("array", dtype="float64", shape=("n_features_in_",)),
        # Whitened models only; the map is the tree's "whitening".
        "rank_": Fitted("int", required=False),
        "whitening_": Fitted("part", required=False),
        "net_": Fitted("modules"),
    }

    #: Whether the default network works on whitened coordinates (the axes of
    #: the shrunk covariance with non-zero variance) rather than on the
    #: standardised features; a user's ``module`` or an ``image_shape`` keep
    #: the standardised features.
    _whitened_space = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in THREAD_CAPPED:
            method = getattr(cls, name, None)
            if callable(method) and not getattr(method, "_thread_capped", False):
                capped = functools.wraps(method)(limit_torch_threads()(method))
                capped._thread_capped = True
                setattr(cls, name, capped)

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

    def _fit_scaling(self, X: np.ndarray, seed: int = 0, y=None) -> None:
        # Accumulated in float64: float32 sums of large values overflow.
        mean = X.mean(0, dtype=np.float64)
        scale = X.std(0, dtype=np.float64)
        constant = ~(scale > 1e-12 * np.maximum(np.abs(mean), 1.0))
        # A constant column's mean differs from its values by rounding, which
        # the whitening would take for variation: the first value is its
        # mean, and its scale is the tolerance (at least 1), so that rounding
        # stays small.
        mean[constant] = X[0, constant]
        floor = getattr(self, "scale_floor", 0.0)
        if floor > 0 and not constant.all():
            # Columns that barely vary would turn a small change of input into
            # a large step of the network's input.
            scale = np.maximum(scale, floor * np.median(scale[~constant]))
        scale[constant] = np.maximum(1e-12 * np.abs(mean[constant]), 1.0)
        self.mean_, self.scale_ = mean, scale
        for stale in ("whitening_", "rank_"):
            self.__dict__.pop(stale, None)
        if self._whitens():
            rows = slice(None)
            if len(X) > MAX_ROWS:
                rows = np.random.RandomState(seed).choice(len(X), MAX_ROWS, False)
            S = (X[rows] - self.mean_) / self.scale_
            groups = None if y is None else y[rows]
            self.whitening_ = fit_whitening(S, seed, groups).to(self.device)
            self.rank_ = self.whitening_.rank

    def _whitens(self) -> bool:
        return (
            self._whitened_space
            and getattr(self, "module", None) is None
            and getattr(self, "image_shape", None) is None
        )

    def _model_width(self, n_features: int) -> int:
        """Width of the space that the energy network sees."""
        return getattr(self, "rank_", n_features)

    def _whitening_part(self, n_features: int, fit) -> dict:
        """The tree's ``"whitening"`` entry: the fitted map, a placeholder of
        the saved rank (a ``load_state_dict`` fills it), or none."""
        if not hasattr(self, "rank_"):
            return {}
        if fit is None:
            return {"whitening": Whitening.identity(n_features, self.rank_)}
        return {"whitening": self.whitening_}

    def _standardised(self, X: np.ndarray, dtype=torch.float32) -> torch.Tensor:
        S = X - self.mean_
        S /= self.scale_
        return torch.as_tensor(S, dtype=dtype, device=self.device)

    def _to_tensor(self, X: np.ndarray, dtype=torch.float32) -> torch.Tensor:
        """Rows as the network sees them: standardised, then whitened."""
        S = self._standardised(X, dtype)
        whitening = getattr(self, "whitening_", None)
        return S if whitening is None else whitening(S)

    def _to_data_units(self, Z: torch.Tensor, generator=None) -> np.ndarray:
        """Rows of the network's space in the data's units; the axes outside
        the whitened space are drawn from their Gaussian with ``generator``."""
        whitening = getattr(self, "whitening_", None)
        if whitening is not None:
            Z = whitening.inverse(Z, generator)
        return Z.double().cpu().numpy() * self.scale_ + self.mean_

    def _log_jacobian(self) -> float:
        r"""Log-density of the network's space minus that of the data's units,
        up to the outside energy: :math:`\sum_j \log s_j` of the
        standardisation plus the whitening's log-normaliser."""
        log_jacobian = float(np.log(self.scale_).sum())
        whitening = getattr(self, "whitening_", None)
        if whitening is not None:
            log_jacobian += whitening.log_normaliser()
        return log_jacobian

    # -- randomness ------------------------------------------------------------
    def _seeds(self) -> tuple[int, int]:
        rng = check_random_state(self.random_state)
        return tuple(int(s) for s in rng.randint(0, 2**31 - 1, size=2))

    def _generator(self, seed: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(seed)

    def _sample_generator(self, random_state) -> torch.Generator:
        return self._generator(draw_seed(random_state))

    @staticmethod
    def _seeded(seed: int, build):
        """``build()`` with torch's global generator seeded by ``seed`` (and
        restored afterwards), under the process-wide initialisation lock."""
        with _INIT_LOCK, torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build()

    # -- modules ---------------------------------------------------------------
    def _build_network(
        self, n_features: int, n_outputs: int = 1, seed: int = 0, zero_output=False
    ) -> torch.nn.Module:
        """The energy network of ``module`` (or the default MLP/CNN); the
        default MLP's output starts at zero with ``zero_output``."""
        user = self._user_network(n_features, seed)
        if user is not None:
            return user
        kwargs = dict(self.module_kwargs or {})
        if self.image_shape is not None:
            image_shape = tuple(self.image_shape)
            if int(np.prod(image_shape)) != n_features:
                raise ValueError(
                    f"image_shape={image_shape} holds {int(np.prod(image_shape))} "
                    f"values but X has {n_features} features."
                )
            return self._seeded(
                seed, lambda: ConvEnergy(image_shape, n_outputs=n_outputs, **kwargs)
            )
        kwargs = {
            "zero_init_output": zero_output,
            **self._default_mlp_kwargs(n_features),
            **kwargs,
        }
        hidden = tuple(int(h) for h in self.hidden_layer_sizes)
        return self._seeded(
            seed, lambda: MLPEnergy(n_features, hidden, n_outputs=n_outputs, **kwargs)
        )

    def _user_network(self, n_features: int, seed: int):
        """The user's ``module``: a copy of an instance, or the class built
        with ``module_kwargs`` under ``seed``; None without one."""
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        if self.module is not None:
            kwargs = dict(self.module_kwargs or {})
            return self._seeded(seed, lambda: self.module(n_features, **kwargs))
        return None

    def _valid_loss_stopping(self, fit) -> tuple[list, object]:
        """Early stopping on skorch's ``valid_loss`` of ``fit``'s validation
        rows: the callbacks and the ``train_split`` (none without them)."""
        if fit is None or fit.Z_valid is None:
            return [], None
        split = predefined_split(Dataset(fit.Z_valid, fit.y_valid))
        callbacks = stopping_callbacks(
            "valid_loss", lower_is_better=True, patience=self.n_iter_no_change
        )
        return callbacks, split

    def _default_mlp_kwargs(self, n_features: int) -> dict:
        return {}

    def _replay_buffer(self, n_features: int, Z=None, fit=None) -> ReplayBuffer:
        """Persistent chains started from ``buffer_init`` fitted to ``Z`` (a
        placeholder without ``Z``, for a ``load_state_dict``)."""
        gaussian = self.buffer_init == "gaussian"
        if Z is not None:
            init = (Gaussian if gaussian else Uniform).from_data(Z.cpu())
        elif gaussian:
            init = Gaussian(torch.zeros(n_features), torch.eye(n_features))
        else:
            init = Uniform(torch.zeros(n_features), torch.ones(n_features))
        generator = self._generator(0) if fit is None else fit.generator
        return ReplayBuffer(
            init.to(self.device),
            self.buffer_size,
            self.reinit_freq,
            generator=generator,
        )

    def _modules_tree(self) -> torch.nn.ModuleDict:
        """The fitted module tree (as :meth:`_build_modules` returns it)."""
        parts = {"module": self.net_.module_, **self._whitening_part(0, True)}
        for name in ("proposal", "buffer"):
            part = getattr(self.net_, name + "_", None)
            if part is not None:
                parts[name] = part
        return torch.nn.ModuleDict(parts)

    def _restore_modules(self, tree: torch.nn.ModuleDict, history) -> None:
        """Set ``net_`` around a module tree filled from saved tensors."""
        if "whitening" in tree:
            self.whitening_ = tree["whitening"]
        net = self._make_net(tree, None)
        net.initialize()
        net.history = history
        self.net_ = net

    # -- one fit ---------------------------------------------------------------
    def _warm_start(self) -> bool:
        """Whether ``fit`` continues from the fitted net (``warm_start=True``)."""
        return bool(self.warm_start) and hasattr(self, "net_")

    def _prepare_y(self, y, n_samples: int, warm: bool):
        """Validated, encoded targets (a hook); None for density estimators."""
        if n_samples < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples, got "
                f"n_samples={n_samples}."
            )
        return None

    def _split(self, n_samples: int, y, rng: np.random.RandomState):
        """Training and validation rows (a hook): a random ``validation_fraction``
        when ``early_stopping``; ``(None, None)`` trains on all rows."""
        n_valid = round(self.validation_fraction * n_samples)
        if not self.early_stopping or n_valid < 1 or n_samples - n_valid < 2:
            return None, None
        order = rng.permutation(n_samples)
        return np.sort(order[n_valid:]), np.sort(order[:n_valid])

    def _fit(self, X, y=None):
        """The fit of every estimator: validation, seeds, scaling (kept under
        ``warm_start``), split, module tree, net, training, then
        ``_finish_fit``."""
        warm = self._warm_start()
        X = self._validate_X(X, reset=not warm)
        y = self._prepare_y(y, X.shape[0], warm)
        torch_seed, seed = self._seeds()
        rng = np.random.RandomState(seed)
        if not warm:
            self._fit_scaling(X, seed, y)
        train, valid = self._split(X.shape[0], y, rng)
        fit = FitData.split(
            self._to_tensor(X),
            None if y is None else torch.as_tensor(y, device=self.device),
            train,
            valid,
            torch_seed=torch_seed,
            seed=seed,
            rng=rng,
            generator=self._generator(seed),
            warm=warm,
        )
        if warm:
            tree = self._modules_tree()
        else:
            tree = self._build_modules(X.shape[1], fit)
        net = self._make_net(tree, fit)
        if getattr(self, "residual", True):
            self._train(net, fit)
        else:  # the base alone: nothing to train
            net.initialize()
            net.generator = net.iterator_train__generator = None
            self.net_ = net
        self._finish_fit(fit)
        return self

    def _finish_fit(self, fit: FitData) -> None:
        """What follows training (a hook), e.g. the log-partition."""

    def _net_kwargs(self, fit: FitData | None, callbacks: list, train_split=None):
        """The skorch arguments that every net shares; ``callbacks`` are the
        estimator's own, before the progress bar and the user's, and
        ``train_split`` skorch's (None: no validation batches)."""
        if fit is None:  # a net around loaded modules, for inference
            generator = batches = None
        else:
            generator = fit.generator
            batches = torch.Generator().manual_seed(fit.torch_seed)
        extra = [("progress_bar", ProgressBar())] if self.verbose else []
        kwargs = {
            "optimizer": torch.optim.Adam,
            "lr": self.lr,
            "optimizer__weight_decay": self.weight_decay,
            "max_epochs": self.max_epochs,
            "batch_size": self.batch_size,
            "iterator_train": TensorBatches,
            "iterator_train__shuffle": True,
            "iterator_train__generator": batches,
            "iterator_valid": TensorBatches,
            "train_split": train_split,
            "callbacks": callbacks + extra + list(self.callbacks or []),
            "device": self.device,
            "generator": generator,
            "verbose": self.verbose,
        }
        if not self.verbose:
            # skorch's PrintLog formats a table every epoch even when silent.
            kwargs["callbacks__print_log"] = None
        if train_split is None:
            # No validation batches: skorch's valid_loss would look for them
            # (and fail) every epoch.
            kwargs["callbacks__valid_loss"] = None
        return kwargs

    def _train(self, net, fit: FitData) -> None:
        """Fit the skorch ``net`` and keep it as ``net_``.

        Under ``warm_start`` the net wraps the already fitted modules: it is
        trained further, with a fresh optimizer, and its history continues
        that of the previous fit. On divergence the net has already restored
        the weights of its last finished epoch; they are kept (``net_`` is
        set, so a ``warm_start`` or a look at ``net_.history`` is possible)
        and the error names the settings to change.
        """
        try:
            if fit.warm:
                net.initialize()
                net.history = copy.deepcopy(self.net_.history)
                net.partial_fit(fit.Z_train, fit.y_train)
            else:
                net.fit(fit.Z_train, fit.y_train)
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
            # torch.Generators cannot be pickled; they are only needed in fit.
            net.generator = None
            net.iterator_train__generator = None
        self.net_ = net
