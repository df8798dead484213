"""Energy-based regression: a conditional density p(y | x) of a scalar target."""

from __future__ import annotations

import itertools
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.linear_model import RidgeCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from sk_ebm._base import BaseEnergyEstimator
from sk_ebm._net import NCEPlusNet, QuadratureNet
from sk_ebm._params import check_n_samples, common_constraints
from sk_ebm._state import Fitted, register
from sk_ebm.nn import (
    ConditionalMLPEnergy,
    ConditionalResidualEnergy,
    LinearGaussianEnergy,
)

__all__ = ["EnergyRegressor"]

#: Share of the training targets' range added on each side of it: the
#: interval on which p(y | x) is normalised (``y_range_``).
Y_MARGIN = 0.25
#: (row, target) pairs scored at once at inference: bounds the memory of the
#: grids whatever the number of rows.
PAIRS_PER_CHUNK = 2**18
#: Probability below which a mode of :meth:`EnergyRegressor.predict_modes`
#: is dropped.
MIN_MODE_MASS = 0.01


@register
class EnergyRegressor(RegressorMixin, BaseEnergyEstimator, BaseEstimator):
    r"""Energy-based regressor: the conditional density :math:`p(y \mid x)`.

    An energy :math:`E(x, y)` scores how compatible a target :math:`y` is with
    the input :math:`x`; normalising over :math:`y` gives

    .. math:: p(y \mid x) = \frac{e^{-E(x, y)}}{Z(x)}, \qquad
        Z(x) = \int e^{-E(x, y)}\, dy,

    which may have several modes, skew and a spread that depends on
    :math:`x`. The energy is a fitted base plus a learned residual that starts
    at exactly zero, :math:`E = E_0 + r_\theta`: the base is the linear-Gaussian
    model :math:`\mathcal{N}(y; a^\top x + b, \sigma^2)` of a ridge regression
    (penalty by leave-one-out cross-validation, :math:`\sigma` from its
    residuals), and :math:`r_\theta` an MLP of :math:`x` and an embedding of
    :math:`y` by random Fourier features at several scales
    (:class:`~sk_ebm.nn.ConditionalMLPEnergy`). Inputs and the target are
    standardised internally; densities are reported in the units of ``y``.

    Training maximises the likelihood, with :math:`\log Z(x)` computed by
    quadrature (exact up to the grid's resolution in one dimension): the
    midpoint rule on ``n_grid`` targets spanning ``y_range_`` with a random
    offset at every step, in log space. ``y_range_`` is the training targets'
    range widened by a quarter of it on each side; :math:`p(y \mid x)` is
    normalised on that interval, and the methods that integrate it
    (:meth:`log_likelihood`, :meth:`predict_cdf`, the quantiles, modes and
    samples) use a fixed grid of ``n_quadrature`` cells there. A target outside
    the interval is scored by the same formula (its density is the energy's,
    relative to the normaliser on the interval), and no quantile or sample
    lies outside it.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Residual network called as ``module(x, y)`` with ``x`` of shape
        ``(n, n_features)`` and ``y`` of shape ``(n, K)`` (``K`` candidate
        standardised targets per row), returning ``(n, K)`` energies; None:
        :class:`~sk_ebm.nn.ConditionalMLPEnergy`. A class is called as
        ``module(n_features, **module_kwargs)``; an instance is deep-copied.
    module_kwargs : dict, default=None
        Keyword arguments of the module class or of the default network.
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Widths of the default network.
    base : {"linear"} or None, default="linear"
        The base energy: ``"linear"``, the linear-Gaussian model of a ridge
        regression; None, the network alone (from random weights).
    residual : bool, default=True
        Whether to learn the residual network; False keeps the base alone (a
        Gaussian linear regression).
    objective : {"quadrature", "nce+"}, default="quadrature"
        Training objective. ``"quadrature"``: maximum likelihood, with
        :math:`\log Z(x)` by quadrature on ``n_grid`` targets. ``"nce+"``:
        NCE+ (Gustafsson et al., 2020), which contrasts each target, slightly
        perturbed, with ``n_grid`` noise targets drawn around it
        (:class:`~sk_ebm.objectives.NCEPlusLoss`). Both are validated by the
        quadrature's log-likelihood. On the toys of
        ``benchmarks/bench_regression.py`` quadrature came closer to the true
        log-likelihood (the exact normaliser is cheap for one target).
    max_epochs : int, default=200
        Passes over the training rows; fewer when early stopping.
    batch_size : int, default=256
        Rows per gradient step.
    lr : float, default=1e-2
        Adam learning rate; with ``early_stopping``, multiplied by 0.3 when the
        validation log-likelihood stalls for ``n_iter_no_change // 4`` epochs.
    weight_decay : float, default=0.0
        Adam's L2 penalty on the network's weights.
    n_grid : int, default=64
        Targets per row of each training step: the quadrature's grid, or the
        noise targets of NCE+.
    n_quadrature : int, default=1024
        Cells of the quadrature grid of the fitted model's integrals.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows and stop when their
        log-likelihood has not improved for ``n_iter_no_change`` epochs; the
        best epoch's weights are kept.
    validation_fraction : float, default=0.1
        Share of the rows held out when ``early_stopping``.
    n_iter_no_change : int, default=40
        Epochs without improvement of the validation log-likelihood before
        stopping.
    warm_start : bool, default=False
        Continue training the network on the next :meth:`fit`, with the
        scaling, base and ``y_range_`` of the first fit.
    device : str or torch.device, default="cpu"
        Where the network is trained and evaluated.
    callbacks : list of skorch callbacks, default=None
        Added to the net's own (early stopping, learning-rate schedule).
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, validation split and grid offsets.
    verbose : int, default=0
        Progress output of skorch, per epoch.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.
    mean_ : ndarray of shape (n_features_in_,)
        Mean of each feature in the training data.
    scale_ : ndarray of shape (n_features_in_,)
        Standard deviation of each feature (1 for constant features).
    y_mean_ : float
        Mean of the training targets.
    y_scale_ : float
        Standard deviation of the training targets.
    y_range_ : ndarray of shape (2,)
        The interval of ``y`` on which :math:`p(y \mid x)` is normalised.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the
        :class:`~sk_ebm.nn.ConditionalResidualEnergy` and ``net_.history`` holds
        the training and validation negative log-likelihoods.

    See Also
    --------
    sklearn.gaussian_process.GaussianProcessRegressor : One Gaussian per input.
    sklearn.ensemble.HistGradientBoostingRegressor : With ``loss="quantile"``,
        one quantile per model.

    References
    ----------
    .. [1] F. K. Gustafsson, M. Danelljan, R. Timofte and T. B. Schön, "How to
       train your energy-based model for regression", BMVC 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm import EnergyRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(300, 1))
    >>> y = np.where(rng.rand(300) < 0.5, 1.0, -1.0) * X[:, 0] + 0.1 * rng.randn(300)
    >>> reg = EnergyRegressor(hidden_layer_sizes=(16,), max_epochs=5,
    ...                       random_state=0).fit(X, y)
    >>> reg.log_likelihood(X[:3], y[:3]).shape
    (3,)
    >>> reg.predict_interval(X[:3], coverage=0.9).shape
    (3, 2)
    >>> modes, masses = reg.predict_modes(X[:3], max_modes=2)
    >>> modes.shape, masses.shape
    ((3, 2), (3, 2))
    """

    _parameter_constraints: dict = {
        **{
            name: constraint
            for name, constraint in common_constraints().items()
            if name not in ("image_shape", "sample_steps")
        },
        "base": [StrOptions({"linear"}), None],
        "residual": ["boolean"],
        "objective": [StrOptions({"quadrature", "nce+"})],
        "n_grid": [Interval(Integral, 8, None, closed="left")],
        "n_quadrature": [Interval(Integral, 16, None, closed="left")],
    }

    _fitted_attributes: dict = {
        **BaseEnergyEstimator._common_fitted_attributes,
        "y_mean_": Fitted("float"),
        "y_scale_": Fitted("float"),
        "y_range_": Fitted("array", dtype="float64", shape=(2,)),
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(64, 64),
        base="linear",
        residual=True,
        objective="quadrature",
        max_epochs=200,
        batch_size=256,
        lr=1e-2,
        weight_decay=0.0,
        n_grid=64,
        n_quadrature=1024,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=40,
        warm_start=False,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.base = base
        self.residual = residual
        self.objective = objective
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_grid = n_grid
        self.n_quadrature = n_quadrature
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags

    # -- fit -------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the conditional density of ``y`` given ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,)
            Continuous targets (a column of shape ``(n_samples, 1)`` is
            accepted, with scikit-learn's ``DataConversionWarning``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the likelihood (and in the
            base's ridge regression).

        Returns
        -------
        self : EnergyRegressor
            The fitted estimator.
        """
        if self.base is None and not self.residual:
            raise ValueError(
                "residual=False leaves the base as the whole model, and base=None "
                "has none; set base='linear' or residual=True."
            )
        self._sample_weight = sample_weight
        try:
            return self._fit(X, y)
        finally:
            del self._sample_weight

    def _prepare_y(self, y, n_samples: int, warm: bool) -> np.ndarray:
        """Standardised targets and weights, as the columns of a float32 array."""
        super()._prepare_y(None, n_samples, warm)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
        if y.ndim == 2 and y.shape[1] > 1:
            raise ValueError(
                f"{type(self).__name__} models a single continuous target; y has "
                f"{y.shape[1]} columns. Fit one regressor per column."
            )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{type(self).__name__} needs a numeric target y; got values "
                    f"of dtype {y.dtype}."
                ) from None
        y = column_or_1d(
            check_array(y, ensure_2d=False, dtype=np.float64, input_name="y"),
            warn=True,
        )
        if len(y) != n_samples:
            raise ValueError(
                f"y has {len(y)} rows but X has {n_samples}; they must match."
            )
        if not warm:
            mean, scale = float(y.mean()), float(y.std())
            if not scale > 1e-12 * max(abs(mean), 1.0):
                raise ValueError(
                    "y is constant: there is no conditional density to model "
                    f"(every target equals {y[0]!r})."
                )
            self.y_mean_, self.y_scale_ = mean, scale
            low, high = float(y.min()), float(y.max())
            margin = Y_MARGIN * (high - low)
            self.y_range_ = np.array([low - margin, high + margin])
        weight = _check_sample_weight(
            self._sample_weight, np.empty((n_samples, 0)), ensure_non_negative=True
        )
        if not weight.sum() > 0:
            raise ValueError("sample_weight sums to zero: no row to fit.")
        columns = np.stack([self._standardised_y(y), weight / weight.mean()], 1)
        return columns.astype(np.float32)

    def _standardised_y(self, y):
        return (np.asarray(y, dtype=np.float64) - self.y_mean_) / self.y_scale_

    def _network_range(self) -> tuple[float, float]:
        low, high = self._standardised_y(self.y_range_)
        return float(low), float(high)

    def _split(self, n_samples: int, y, rng):
        train, valid = super()._split(n_samples, None, rng)
        if valid is not None and not (y[valid, 1] > 0).any():
            return None, None  # no weighted validation row
        return train, valid

    def _build_modules(self, n_features: int, fit=None) -> torch.nn.ModuleDict:
        """The energy: the linear-Gaussian base (fitted to ``fit``'s training
        rows, else a placeholder) and the residual network."""
        base = None
        if self.base == "linear":
            if fit is None:
                base = LinearGaussianEnergy(torch.zeros(n_features), 0.0, 1.0)
            elif self.residual:  # the validation rows judge the residual
                base = _ridge_base(fit.Z_train, fit.y_train)
            else:
                base = _ridge_base(fit.Z, fit.y)
        network = None
        if self.residual:
            seed = fit.torch_seed if fit else 0
            network = self._conditional_network(n_features, seed)
        module = ConditionalResidualEnergy(network, base)
        return torch.nn.ModuleDict({"module": module.to(self.device)})

    def _conditional_network(self, n_features: int, seed: int) -> torch.nn.Module:
        user = self._user_network(n_features, seed)
        if user is not None:
            return user
        kwargs = dict(self.module_kwargs or {})
        kwargs.setdefault("zero_init_output", self.base is not None)
        if n_features <= 4:
            # The density may change quickly with a low-dimensional input
            # (a jump, a fast oscillation of its mean): Fourier features of it.
            kwargs.setdefault("n_input_fourier_features", 32)
        hidden = tuple(int(h) for h in self.hidden_layer_sizes)
        return self._seeded(
            seed, lambda: ConditionalMLPEnergy(n_features, hidden, **kwargs)
        )

    def _make_net(self, tree, fit):
        net = QuadratureNet if self.objective == "quadrature" else NCEPlusNet
        return net(
            tree["module"],
            y_range=self._network_range(),
            n_grid=self.n_grid,
            n_valid_grid=min(self.n_quadrature, 512),
            **self._net_kwargs(fit, *self._valid_loss_stopping(fit)),
        )

    # -- the conditional density on the quadrature grid -------------------------
    def _grid(self) -> tuple[torch.Tensor, float]:
        """Midpoints of the ``n_quadrature`` cells of ``y_range_`` (standardised)
        and the cells' width."""
        check_is_fitted(self, "net_")
        low, high = self._network_range()
        delta = (high - low) / self.n_quadrature
        steps = torch.arange(self.n_quadrature, dtype=torch.float64)
        return low + (steps + 0.5) * delta, delta

    def _over_grid(self, X, reduce, y=None):
        """``reduce(module, Z, energies, log_z, y)`` for chunks of rows of the
        validated ``X``: the inference module, the chunk's standardised rows
        ``Z``, their ``energies`` of shape (m, n_quadrature) on the grid,
        ``log_z`` of shape (m,) and ``y`` the chunk's standardised targets
        (or None); the results are concatenated along the rows."""
        module, dtype = self._inference_module()
        grid, delta = self._grid()
        grid = grid.to(device=self.device, dtype=dtype)
        rows = max(1, PAIRS_PER_CHUNK // self.n_quadrature)
        parts = []
        with torch.inference_mode():
            for start in range(0, X.shape[0], rows):
                Z = self._standardised(X[start : start + rows], dtype)
                energies = module(Z, grid.expand(len(Z), -1))
                log_z = torch.logsumexp(-energies, 1) + math.log(delta)
                target = None
                if y is not None:
                    target = torch.as_tensor(
                        y[start : start + rows], dtype=dtype, device=self.device
                    )
                parts.append(np.asarray(reduce(module, Z, energies, log_z, target)))
        if not parts:
            return np.empty(0)
        return np.concatenate(parts)

    def _check_y(self, X, y) -> np.ndarray:
        y = column_or_1d(
            check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        )
        if len(y) != len(X):
            raise ValueError(
                f"y has {len(y)} rows but X has {len(X)}; they must match."
            )
        return self._standardised_y(y)

    def energy(self, X, y):
        """Energy :math:`E(x, y)` of each (row, target) pair.

        Lower is more compatible: the raw, unnormalised energy of the network
        on the standardised input and target, for ranking candidate targets of
        the same input.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.
        y : array-like of shape (n_samples,)
            One target per row, in the units of ``y``.

        Returns
        -------
        energy : ndarray of shape (n_samples,)
            :math:`E(x, y)` per row.
        """
        X = self._checked_X(X)
        target = self._check_y(X, y)
        module, dtype = self._inference_module()
        out = np.empty(len(X))
        rows = PAIRS_PER_CHUNK
        with torch.inference_mode():
            for start in range(0, len(X), rows):
                Z = self._standardised(X[start : start + rows], dtype)
                t = torch.as_tensor(target[start : start + rows], dtype=dtype)
                out[start : start + rows] = (
                    module(Z, t.to(self.device)[:, None])[:, 0].cpu().numpy()
                )
        return out

    def energy_grad_norm(self, X):
        """Not defined for a regressor: the energy is a function of ``(x, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Ignored.

        Returns
        -------
        None
            Never: it raises.

        Raises
        ------
        AttributeError
            Always; use :meth:`energy` or :meth:`log_likelihood`.
        """
        raise AttributeError(
            "EnergyRegressor has no energy_grad_norm(X): its energy E(x, y) is a "
            "function of the input and the target; see energy(X, y)."
        )

    def log_likelihood(self, X, y):
        """Log-density :math:`\\log p(y \\mid x)` of each row's target.

        Normalised on ``y_range_`` by the midpoint rule on ``n_quadrature``
        cells, in the units of ``y`` (the standardisation's Jacobian included).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.
        y : array-like of shape (n_samples,)
            Targets, in the units of ``y``.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            :math:`\\log p(y_i \\mid x_i)` per row.
        """
        X = self._checked_X(X)
        target = self._check_y(X, y)

        def reduce(module, Z, energies, log_z, t):
            return (-module(Z, t[:, None])[:, 0] - log_z).cpu().numpy()

        return self._over_grid(X, reduce, target) - math.log(self.y_scale_)

    def _cell_masses(self, energies, log_z):
        _, delta = self._grid()
        return torch.exp(-energies - log_z[:, None]) * delta

    def predict_cdf(self, X, y_values):
        """Conditional CDF :math:`F(y \\mid x)` at given targets.

        Linear within each quadrature cell (the density is constant there); 0
        below ``y_range_`` and 1 above.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.
        y_values : array-like of shape (n_values,)
            Targets at which to evaluate the CDF, in the units of ``y``.

        Returns
        -------
        cdf : ndarray of shape (n_samples, n_values)
            :math:`F(y_j \\mid x_i)`.
        """
        values = column_or_1d(
            check_array(y_values, ensure_2d=False, dtype=np.float64, input_name="y")
        )
        _, delta = self._grid()
        low, _ = self._network_range()
        position = (self._standardised_y(values) - low) / delta
        position = np.clip(position, 0.0, self.n_quadrature)
        cell = np.minimum(position.astype(np.intp), self.n_quadrature - 1)
        fraction = position - cell

        def reduce(module, Z, energies, log_z, _):
            masses = self._cell_masses(energies, log_z).cpu().numpy()
            edges = np.cumsum(masses, 1) - masses  # F at each cell's left edge
            cdf = edges[:, cell] + masses[:, cell] * fraction
            cdf = np.clip(cdf / masses.sum(1, keepdims=True), 0.0, 1.0)
            cdf[:, position >= self.n_quadrature] = 1.0
            cdf[:, position <= 0] = 0.0
            return cdf

        return self._over_grid(self._checked_X(X), reduce)

    def _quantiles(self, masses, levels):
        """Quantiles (standardised) of the cell masses ``(m, K)`` at ``levels``
        ``(m, q)``, linear within cells."""
        low, _ = self._network_range()
        _, delta = self._grid()
        masses = masses / masses.sum(1, keepdims=True)
        cumulative = np.cumsum(masses, 1)
        cell = np.stack(
            [
                np.searchsorted(row, level)
                for row, level in zip(cumulative, levels, strict=True)
            ]
        )
        cell = np.minimum(cell, self.n_quadrature - 1)
        mass = np.take_along_axis(masses, cell, 1)
        before = np.take_along_axis(cumulative, cell, 1) - mass
        fraction = np.clip((levels - before) / np.maximum(mass, 1e-300), 0.0, 1.0)
        return low + (cell + fraction) * delta

    def _to_y_units(self, standardised):
        return standardised * self.y_scale_ + self.y_mean_

    def predict_quantiles(self, X, quantiles=(0.05, 0.5, 0.95)):
        """Quantiles of :math:`p(y \\mid x)`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.
        quantiles : array-like of float, default=(0.05, 0.5, 0.95)
            Levels in (0, 1).

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_quantiles)
            The quantiles, in the units of ``y``, in the order of the levels.
        """
        levels = np.asarray(quantiles, dtype=np.float64).ravel()
        if levels.size == 0 or not ((levels > 0) & (levels < 1)).all():
            raise ValueError(
                f"quantiles must be a non-empty list of levels in (0, 1), got "
                f"{quantiles!r}."
            )

        def reduce(module, Z, energies, log_z, _):
            masses = self._cell_masses(energies, log_z).cpu().numpy()
            return self._quantiles(masses, np.tile(levels, (len(masses), 1)))

        return self._to_y_units(self._over_grid(self._checked_X(X), reduce))

    def predict_interval(self, X, coverage=0.9):
        """Equal-tailed interval of :math:`p(y \\mid x)` of a given coverage.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.
        coverage : float, default=0.9
            Probability in (0, 1) between the bounds.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2)
            The ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` quantiles.
        """
        if not (isinstance(coverage, Real) and 0 < coverage < 1):
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        tail = (1 - coverage) / 2
        return self.predict_quantiles(X, quantiles=(tail, 1 - tail))

    def sample_y(self, X, n_samples=1, random_state=None):
        """Draw targets from :math:`p(y \\mid x)` for each row.

        By inversion of the conditional CDF, as
        :meth:`sklearn.gaussian_process.GaussianProcessRegressor.sample_y`
        returns them.

        Parameters
        ----------
        X : array-like of shape (n_samples_X, n_features)
            Inputs, in the units of the training data.
        n_samples : int, default=1
            Draws per row.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples)
            The draws, in the units of ``y``.
        """
        check_n_samples(n_samples)
        rng = check_random_state(random_state)
        X = self._checked_X(X)
        levels = rng.uniform(size=(len(X), int(n_samples)))
        offset = [0]

        def reduce(module, Z, energies, log_z, _):
            masses = self._cell_masses(energies, log_z).cpu().numpy()
            start = offset[0]
            offset[0] += len(masses)
            return self._quantiles(masses, levels[start : start + len(masses)])

        return self._to_y_units(self._over_grid(X, reduce))

    def predict_modes(self, X, max_modes=3):
        """The modes of :math:`p(y \\mid x)` and their probability mass.

        Each local maximum of the density on the quadrature grid owns the
        cells that climb to it; a mode whose valley towards a higher
        neighbour keeps more than half of its own height is merged into that
        neighbour, so that ripples do not split a mode. Modes are sorted by
        decreasing mass and their location refined by step-halving descent
        of the energy; modes of less than 1 % of the probability are dropped.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.
        max_modes : int, default=3
            Most modes returned per row.

        Returns
        -------
        modes : ndarray of shape (n_samples, max_modes)
            Locations of the modes, in the units of ``y``; NaN where a row has
            fewer modes.
        masses : ndarray of shape (n_samples, max_modes)
            Probability of each mode's basin (the basins of all of a row's
            modes, dropped ones included, sum to 1); NaN where a row has fewer
            modes.
        """
        if (
            not isinstance(max_modes, Integral)
            or isinstance(max_modes, bool)
            or max_modes < 1
        ):
            raise ValueError(
                f"max_modes must be a positive integer, got {max_modes!r}."
            )
        grid, _ = self._grid()
        grid = grid.numpy()

        def reduce(module, Z, energies, log_z, _):
            masses = self._cell_masses(energies, log_z).cpu().numpy()
            out = np.full((len(masses), 2, max_modes), np.nan)
            for i, row in enumerate(masses):
                peaks, weights = _basins(row)
                order = np.argsort(-weights)[:max_modes]
                order = order[weights[order] >= MIN_MODE_MASS * row.sum()]
                out[i, 0, : len(order)] = grid[peaks[order]]
                out[i, 1, : len(order)] = weights[order] / row.sum()
            out[:, 0] = self._refine(module, Z, out[:, 0])
            return out

        result = self._over_grid(self._checked_X(X), reduce)
        if result.size == 0:
            return np.empty((0, max_modes)), np.empty((0, max_modes))
        return self._to_y_units(result[:, 0]), result[:, 1]

    def _refine(self, module, Z, starts):
        """Descend the energy from ``starts`` (m, k) within about a grid cell,
        halving the step whenever the energy would rise."""
        _, delta = self._grid()
        known = ~np.isnan(starts)
        # Called under inference mode: tensors that need gradients are made
        # outside it.
        with torch.inference_mode(False), torch.enable_grad():
            Z = Z.clone()
            y = torch.as_tensor(np.where(known, starts, 0.0), dtype=Z.dtype)
            y = y.to(self.device)
            step = torch.full_like(y, delta)
            for _ in range(20):
                y = y.detach().requires_grad_(True)
                energy = module(Z, y)
                (grad,) = torch.autograd.grad(energy.sum(), y)
                with torch.no_grad():
                    candidate = y - step * torch.sign(grad)
                    better = module(Z, candidate) < energy
                    y = torch.where(better, candidate, y)
                    step = torch.where(better, step, step / 2)
        refined = y.detach().cpu().numpy()
        low, high = self._network_range()
        return np.where(known, np.clip(refined, low, high), np.nan)

    def predict(self, X):
        """The most likely target of each row (the mode of :math:`p(y \\mid x)`).

        The minimum of the energy on the quadrature grid, refined by
        step-halving descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units of the training data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The modes, in the units of ``y``.
        """
        grid, _ = self._grid()

        def reduce(module, Z, energies, log_z, _):
            best = grid.to(energies.dtype)[energies.argmin(1).cpu()]
            return self._refine(module, Z, best.numpy()[:, None])[:, 0]

        return self._to_y_units(self._over_grid(self._checked_X(X), reduce))

    @property
    def base_(self):
        """The fitted linear-Gaussian base (None without one).

        In the standardised units of the network's inputs and target.
        """
        check_is_fitted(self, "net_")
        return self.net_.module_.base


def _ridge_base(Z: torch.Tensor, y: torch.Tensor) -> LinearGaussianEnergy:
    """The linear-Gaussian base: a ridge regression of the standardised
    targets (penalty by leave-one-out), its residuals' weighted spread."""
    X = Z.double().cpu().numpy()
    target, weight = (c.double().cpu().numpy() for c in (y[:, 0], y[:, 1]))
    ridge = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(X, target, sample_weight=weight)
    residual = target - ridge.predict(X)
    std = math.sqrt(
        np.average(residual**2, weights=weight) * len(X) / max(len(X) - 1, 1)
    )
    return LinearGaussianEnergy(
        torch.as_tensor(ridge.coef_, dtype=torch.float32),
        float(ridge.intercept_),
        max(std, 1e-3),
    )


def _basins(masses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of a row of cell masses and the mass of each peak's basin, after
    merging the peaks whose valley keeps more than half of their height."""
    k = len(masses)
    left = np.r_[-np.inf, masses[:-1]]
    right = np.r_[masses[1:], -np.inf]
    peaks = list(np.flatnonzero((masses > left) & (masses >= right)))
    if not peaks:
        peaks = [int(masses.argmax())]
    # Valleys between consecutive peaks: the lowest cell between them.
    merged = True
    while merged and len(peaks) > 1:
        merged = False
        for j in range(len(peaks) - 1):
            a, b = peaks[j], peaks[j + 1]
            valley = a + int(masses[a : b + 1].argmin())
            lower = min(masses[a], masses[b])
            if masses[valley] > 0.5 * lower:
                peaks.pop(j if masses[a] < masses[b] else j + 1)
                merged = True
                break
    peaks = np.asarray(peaks)
    # Each cell belongs to the basin of the peaks it lies between, split at
    # the valley.
    bounds = [0]
    for a, b in itertools.pairwise(peaks):
        bounds.append(a + int(masses[a : b + 1].argmin()))
    bounds.append(k)
    weights = np.array(
        [masses[bounds[j] : bounds[j + 1]].sum() for j in range(len(peaks))]
    )
    return peaks, weights
