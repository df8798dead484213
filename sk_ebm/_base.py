"""What every sk_ebm estimator shares: validation, seeding, modules, inference."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from sk_ebm.exceptions import DivergenceError
from sk_ebm.nn import ConvEnergy, MLPEnergy

__all__ = ["BaseEnergyEstimator"]

INFERENCE_BATCH_SIZE = 65536


class BaseEnergyEstimator:
    """Mixin with the parts shared by the sk_ebm estimators.

    Subclasses list it before :class:`sklearn.base.BaseEstimator`; it holds no
    parameters of its own.
    """

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
        if np.abs(X).max(initial=0.0) > np.finfo(np.float32).max:
            raise ValueError(
                "Input X contains values too large for float32, the precision of "
                "the energy network."
            )
        return X

    def _fit_scaling(self, X: np.ndarray) -> None:
        self.mean_ = X.mean(0)
        scale = X.std(0)
        scale[~(scale > 1e-12 * np.maximum(np.abs(self.mean_), 1.0))] = 1.0
        self.scale_ = scale

    def _to_tensor(self, X: np.ndarray) -> torch.Tensor:
        Z = (X - self.mean_) / self.scale_
        return torch.as_tensor(Z, dtype=torch.float32, device=self.device)

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
    def _batched(self, fn, X: np.ndarray) -> np.ndarray:
        """Apply ``fn`` to the scaled rows of ``X`` in batches, without gradients.

        Rows are scaled and moved to the device one batch at a time, so memory
        stays bounded whatever the number of rows.
        """
        parts = []
        with torch.inference_mode():
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                Z = self._to_tensor(X[start : start + INFERENCE_BATCH_SIZE])
                parts.append(fn(Z).double().cpu().numpy())
        return np.concatenate(parts) if parts else np.empty(0)

    def _energy(self, Z: torch.Tensor) -> torch.Tensor:
        """Energy :math:`E(z)` of standardised rows ``Z`` (a tensor on the device)."""
        return self.net_.module_.eval()(Z)

    def _energy_grad_norm(self, X: np.ndarray) -> np.ndarray:
        """Norm of :math:`\\nabla_z E(z)` per row, ``z`` the standardised input.

        The gradient is taken with respect to the standardised features so that
        no feature dominates through its units. Batched like :meth:`_batched`.
        """
        parts = []
        with torch.enable_grad():
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                Z = self._to_tensor(X[start : start + INFERENCE_BATCH_SIZE])
                Z.requires_grad_(True)
                (grad,) = torch.autograd.grad(self._energy(Z).sum(), Z)
                parts.append(grad.norm(dim=1).double().cpu().numpy())
        return np.concatenate(parts) if parts else np.empty(0)

    def _train(self, net, X, y=None) -> None:
        """Fit the skorch ``net`` and keep it as ``net_``.

        On divergence the net has already restored the weights of its last
        finished epoch; they are kept (``net_`` is set, so a ``warm_start`` or a
        look at ``net_.history`` is possible) and the error names the settings
        to change.
        """
        try:
            net.fit(X, y)
        except DivergenceError as err:
            self.net_ = net
            raise DivergenceError(
                f"{type(self).__name__} training diverged: {err}. The weights of "
                "the last finite epoch were restored. Try a lower `lr`, a larger "
                "`energy_reg`, fewer `sgld_steps` or a smaller `sgld_step_size`."
            ) from err
        finally:
            # A torch.Generator cannot be pickled; it is only needed in fit.
            net.generator = None
        self.net_ = net
