"""NCEDensityEstimator: energy-based density by noise-contrastive estimation."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from sk_ebm._callbacks import (
    LogLikelihoodMonitor,
    NCEValidationLoss,
    stopping_callbacks,
)
from sk_ebm._density_base import BaseDensityEstimator
from sk_ebm._mixtures import defensive_mixture, fit_mixture, placeholder_mixture
from sk_ebm._net import NCENet
from sk_ebm._params import common_constraints
from sk_ebm._state import Fitted, register
from sk_ebm.nn import NCEModule
from sk_ebm.nn._nce import DefensiveNoise, FlowNoise
from sk_ebm.sampling import Gaussian

__all__ = ["NCEDensityEstimator"]

# Noise draws kept from a user estimator, per training row and noise ratio.
_POOL_CAP = 1_000_000


class _EstimatorNoise(torch.nn.Module):
    """A fitted scikit-learn density as NCE noise.

    ``sample`` draws from a pool sampled once at construction (scikit-learn's
    ``sample`` methods are seeded by the estimator, not per call);
    ``log_prob`` calls ``score_samples`` on the CPU.
    """

    def __init__(self, estimator, pool_size: int, seed: int) -> None:
        super().__init__()
        self.estimator = estimator
        try:
            pool = estimator.sample(pool_size, random_state=seed)
        except TypeError:
            pool = estimator.sample(pool_size)
        if isinstance(pool, tuple):  # GaussianMixture returns (X, labels)
            pool = pool[0]
        pool = np.asarray(pool, dtype=np.float32)
        self.register_buffer("pool", torch.as_tensor(pool))

    def sample(self, n: int, generator: torch.Generator | None = None):
        index = torch.randint(
            self.pool.shape[0], (n,), generator=generator, device=self.pool.device
        )
        return self.pool[index]

    def log_prob(self, x):
        values = self.estimator.score_samples(x.detach().double().cpu().numpy())
        return torch.as_tensor(values, dtype=x.dtype, device=x.device)


class NCEDensityEstimator(BaseDensityEstimator, BaseEstimator):
    r"""Energy-based density estimator trained by noise-contrastive estimation.

    The model is :math:`\log p(x) = -E(x) - c` with
    :math:`E = E_{base} + r_\theta`: a shrunk Gaussian fitted to the data (the
    base, as in :class:`EnergyDensityEstimator`) tilted by a residual network
    whose output starts at exactly zero, and a constant :math:`c` learned with
    it (starting at 0, the base's own normaliser). With ``residual=False`` the
    estimator is that Gaussian.
    Training is logistic regression between the data and ``noise_ratio``
    (:math:`\nu`) noise draws per data point (:class:`~sk_ebm.objectives.NCELoss`,
    Gutmann & Hyvärinen, 2012); its optimum is the data density *with* its
    normaliser, so no sampling from the model and no estimate of the
    partition function is needed: ``log_partition_`` is the learned :math:`c`.

    The noise should be close to the data and easy to sample and evaluate
    (``noise``): a Gaussian or a Gaussian mixture fitted to the data, a
    normalizing flow trained jointly and adversarially (Flow Contrastive
    Estimation, Gao et al., 2020: the flow is updated to fool the classifier
    whenever the classifier's balanced accuracy exceeds 60 %), or any
    scikit-learn style density estimator. Features are standardised internally;
    densities are in the data's units. By default (``early_stopping``) a share
    ``validation_fraction`` of the rows is held out and training stops when
    their NCE loss (for a flow noise, their log-likelihood, watched after the
    flow's warm-up) has not improved for ``n_iter_no_change`` epochs, keeping
    the best weights.

    **The base and the whitened space.** The default network does not see the
    raw features: rows are standardised, then rotated onto the principal axes
    of their covariance, shrunk towards a multiple of the identity (the
    shrinkage maximises the cross-validated Gaussian likelihood), and scaled
    to unit variance (``whitening_``). Axes along which the training rows do
    not vary (constant or duplicated columns, more columns than rows) are set
    aside: the network sees the ``rank_`` others, and the model is a Gaussian
    with the shrunk variance along those set aside, so a row that leaves the
    data's subspace (a dead unit that fires) is scored as unlikely, as by a
    Mahalanobis distance. A user's ``module`` or an ``image_shape`` keep the
    standardised features (a Gaussian base with the shrunk covariance).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Energy network mapping ``(n, d)`` to ``(n,)``. None builds an
        :class:`~sk_ebm.nn.MLPEnergy` from ``hidden_layer_sizes`` (or a
        :class:`~sk_ebm.nn.ConvEnergy` when ``image_shape`` is set). A class is
        called as ``module(n_features, **module_kwargs)``; an instance is
        deep-copied at fit.
    module_kwargs : dict, default=None
        Keyword arguments of the module class or of the default MLP.
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Widths of the default MLP energy (which adds 64 random Fourier features
        to inputs of at most 4 features).
    image_shape : tuple of int, default=None
        ``(height, width[, channels])`` of rows that are flattened images; selects
        the convolutional energy.
    noise : {"gmm", "gaussian", "flow"} or estimator, default="gmm"
        Noise distribution, fitted to the standardised training rows:
        ``"gmm"`` (a scikit-learn :class:`~sklearn.mixture.GaussianMixture` of
        ``noise_components``, its components widened by 1.5, plus a broad
        Gaussian with 10 % of the mass, so that the noise covers the gaps and
        tails of the data), ``"gaussian"`` (full covariance), ``"flow"`` (a zuko
        neural spline flow, also mixed with the broad Gaussian, fitted by
        maximum likelihood during the first quarter of ``max_epochs`` and
        adversarially afterwards), or an unfitted estimator with ``fit``,
        ``score_samples`` (a normalised log-density) and ``sample``, which is
        cloned and fitted (its ``sample`` is called once for a pool of draws)
        and also mixed with the broad Gaussian.
    noise_ratio : float, default=4.0
        :math:`\nu`: each step draws ``ceil(noise_ratio * n)`` noise points for
        a batch of ``n`` rows.
    noise_components : int or "auto", default="auto"
        Components of the ``"gmm"`` noise's mixture, fitted to at most 10 000
        training rows; ``"auto"`` selects them by BIC among 1 to 32, keeping at
        least 10 rows per free parameter.
    noise_kwargs : dict, default=None
        Keyword arguments of :class:`zuko.flows.NSF` for ``noise="flow"``
        (default ``transforms=3, hidden_features=(64, 64)``).
    base : {"gaussian"} or None, default="gaussian"
        The base: the shrunk Gaussian of the training rows (the standard normal
        of the whitened space), tilted by the network, which keeps
        :math:`e^{-E}` integrable; None uses the network alone.
    residual : bool, default=True
        Whether to learn the residual network; False fits the base only (the
        estimator is then exactly that Gaussian, with ``log_partition_``
        exact).
    max_epochs : int, default=200
        Passes over the training rows; fewer when early stopping.
    batch_size : int, default=256
        Data rows per gradient step (with ``noise_ratio`` times as many noise
        draws).
    lr : float, default=3e-3
        Adam learning rate of the energy and :math:`c`, and of the flow noise's
        own optimizer. With ``early_stopping``, the former is multiplied by 0.3
        when the validation criterion stalls for ``n_iter_no_change // 4``
        epochs.
    weight_decay : float, default=0.0
        Adam's L2 penalty on the energy network's weights (not on :math:`c`,
        whose decay would bias the normalisation, nor on a flow noise's).
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows and stop when their NCE
        loss against fixed noise draws (``valid_nce_loss`` in the history; for a
        flow noise, ``valid_log_likelihood`` after the warm-up) has not improved
        for ``n_iter_no_change`` epochs; the best epoch's weights are kept.
    validation_fraction : float, default=0.1
        Share of the rows held out when ``early_stopping``.
    n_iter_no_change : int, default=20
        Epochs without improvement of the validation criterion before stopping.
    sample_steps : int, default=50
        MALA steps applied by :meth:`sample` after importance resampling of
        noise draws.
    device : str, default="cpu"
        Any torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks, default=None
        Added to the net's, e.g. ``skorch.callbacks.Checkpoint``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, validation split, the noise (its fit and
        its draws); the same int gives the same result on the CPU, also when
        fits run in threads.
    verbose : int, default=0
        With a positive value, skorch prints a table of the epochs and shows a
        progress bar of the batches.
    warm_start : bool, default=False
        Continue training the fitted energy, :math:`c` and noise (a flow keeps
        training; other noises stay as fitted) on the next call to :meth:`fit`,
        with fresh optimizers, instead of starting afresh; the input scaling of
        the first fit is kept. After a
        :class:`~sk_ebm.exceptions.DivergenceError`, this resumes from the
        restored weights, e.g. with a lower ``lr``.

    Attributes
    ----------
    net_ : NCENet
        The fitted skorch net; ``net_.history`` holds the loss, the
        data-vs-noise accuracy per batch (``nce_accuracy``) and the train and
        validation log-likelihood per epoch.
    noise_ : torch.nn.Module
        The fitted noise (in the standardised space).
    noise_components_ : int
        Defined with ``noise="gmm"``: components of the fitted mixture (the
        noise adds one broad Gaussian).
    log_partition_ : float
        The learned constant :math:`c` in the data's units, so that
        ``score_samples(X) == -E(X) - log_partition_``.
    whitening_ : sk_ebm.nn.Whitening
        The map from the standardised features to the network's space (see
        above); absent with a ``module`` or ``image_shape``.
    rank_ : int
        Width of the network's space: the axes of non-zero variance.
    base_ : torch.nn.Module or None
        The fitted base in the network's space: a :class:`~sk_ebm.sampling.Gaussian`
        whose ``log_prob`` is the base's normalised log-density; None with
        ``base=None``.
    mean_, scale_ : ndarray of shape (n_features,)
        Internal standardisation, ``z = (x - mean_) / scale_``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    EnergyDensityEstimator : Maximum-likelihood training with AIS normalisation.
    sklearn.neighbors.KernelDensity : Kernel density estimation.

    Notes
    -----
    NCE is statistically efficient when the noise is close to the data; with a
    poor noise (far from the data in some region) the classifier separates
    them easily there and learns little. A Gaussian noise suits unimodal data,
    ``"gmm"`` multimodal tabular data, ``"flow"`` thin or curved structure.

    References
    ----------
    Gutmann & Hyvärinen (2012), *Noise-contrastive estimation of unnormalized
    statistical models*. Gao et al. (2020), *Flow contrastive estimation of
    energy-based models*.

    Examples
    --------
    >>> from sk_ebm import NCEDensityEstimator
    >>> from sk_ebm.datasets import make_eight_gaussians
    >>> X, _ = make_eight_gaussians(n_samples=400, random_state=0)
    >>> nce = NCEDensityEstimator(hidden_layer_sizes=(16,),
    ...                           max_epochs=5, random_state=0).fit(X)
    >>> nce.score_samples(X[:3]).shape
    (3,)
    >>> nce.sample(5, random_state=0).shape
    (5, 2)
    """

    _whitened_space = True

    _parameter_constraints: dict = {
        **common_constraints(),
        "noise": [
            StrOptions({"gaussian", "gmm", "flow"}),
            HasMethods(["fit", "score_samples", "sample"]),
        ],
        "noise_ratio": [Interval(Real, 0, None, closed="neither")],
        "noise_components": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "noise_kwargs": [dict, None],
        "base": [StrOptions({"gaussian"}), None],
        "residual": ["boolean"],
    }

    _fitted_attributes: dict = {
        **BaseDensityEstimator._common_fitted_attributes,
        "noise_components_": Fitted(
            "int", required=False, from_tensor="module.noise.log_weights", offset=-1
        ),
        "log_partition_": Fitted("float"),
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(64, 64),
        image_shape=None,
        noise="gmm",
        noise_ratio=4.0,
        noise_components="auto",
        noise_kwargs=None,
        base="gaussian",
        residual=True,
        max_epochs=200,
        batch_size=256,
        lr=3e-3,
        weight_decay=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        sample_steps=50,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.image_shape = image_shape
        self.noise = noise
        self.noise_ratio = noise_ratio
        self.noise_components = noise_components
        self.noise_kwargs = noise_kwargs
        self.base = base
        self.residual = residual
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.sample_steps = sample_steps
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    @property
    def noise_(self) -> torch.nn.Module:
        """The fitted noise, in the standardised space."""
        return self.net_.module_.noise

    def _build_noise(self, n_features: int, fit) -> torch.nn.Module:
        """The noise fitted to ``fit``'s rows, or a placeholder without ``fit``."""
        Z = None if fit is None else fit.Z_train.cpu()
        if self.noise == "gaussian":
            if Z is None:
                return Gaussian(torch.zeros(n_features), torch.eye(n_features))
            return Gaussian.from_data(Z)
        if self.noise == "gmm":
            if Z is None:
                return placeholder_mixture(self.noise_components_ + 1, n_features)
            # NCE constrains the model only where the noise has mass: widened
            # components and a broad Gaussian cover the gaps and tails of the
            # data, where the network could otherwise put spurious mass.
            gmm = fit_mixture(Z.numpy(), self.noise_components, fit.seed)
            self.noise_components_ = int(gmm.n_components)
            return defensive_mixture(gmm, Z, inflate=1.5, wide=2.0)
        if self.noise == "flow":
            kwargs = self.noise_kwargs or {}
            seed = 1 if fit is None else fit.torch_seed + 1
            inner = self._seeded(seed, lambda: FlowNoise(n_features, **kwargs))
        elif fit is None:
            raise ValueError(
                f"noise={type(self.noise).__name__}(...) is fitted by its own "
                "code, which only pickle can store; use noise='gmm', 'gaussian' "
                "or 'flow' to save the model as data."
            )
        else:
            estimator = clone(self.noise)
            if "random_state" in estimator.get_params():
                estimator.set_params(random_state=fit.seed)
            estimator.fit(Z.double().numpy())
            pool = min(math.ceil(self.noise_ratio * 4 * len(Z)) + 4096, _POOL_CAP)
            inner = _EstimatorNoise(estimator, pool, fit.seed)
        broad = (
            Gaussian(torch.zeros(n_features), torch.eye(n_features))
            if Z is None
            else Gaussian.from_data(Z, inflate=2.0)
        )
        return DefensiveNoise(inner, broad)

    def _build_modules(self, n_features: int, fit=None) -> torch.nn.ModuleDict:
        """The energy (with its base), its log-partition and the noise, in one
        :class:`~sk_ebm.nn.NCEModule`; fitted to ``fit``'s rows, else
        placeholders."""
        width = self._model_width(n_features)
        Z = None if fit is None else fit.Z_train
        base = None if self.base is None else self._base_gaussian(width, Z)
        energy = self._with_base(self._residual_network(width, fit), base)
        module = NCEModule(energy, self._build_noise(width, fit))
        return torch.nn.ModuleDict(
            {"module": module, **self._whitening_part(n_features, fit)}
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the energy and its log-partition by classifying data against noise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : None
            Ignored.

        Returns
        -------
        self : NCEDensityEstimator
            The fitted estimator.
        """
        self.__dict__.pop("log_partition_", None)
        self._check_residual()
        return self._fit(X)

    def _flow_warmup_epochs(self) -> int:
        return self.max_epochs // 4 if self.noise == "flow" else 0

    def _make_net(self, tree, fit) -> NCENet:
        callbacks = []
        if fit is not None:
            monitor = LogLikelihoodMonitor(
                None,
                self._monitored_rows(fit),
                fit.Z_valid,
                offset=-self._log_jacobian(),
            )
            callbacks.append(("log_likelihood", monitor))
        if fit is not None and fit.Z_valid is not None:
            # The NCE loss against a fixed noise is the natural criterion; a
            # flow's loss rises as the flow improves, so the (learned-c)
            # log-likelihood serves there.
            flow = self.noise == "flow"
            callbacks.append(("nce_loss", NCEValidationLoss(fit.Z_valid)))
            callbacks += stopping_callbacks(
                "valid_log_likelihood" if flow else "valid_nce_loss",
                lower_is_better=not flow,
                patience=self.n_iter_no_change,
                start=self._flow_warmup_epochs(),
            )
        return NCENet(
            tree["module"],
            criterion__noise_ratio=self.noise_ratio,
            flow_lr=self.lr,
            flow_warmup_epochs=self._flow_warmup_epochs(),
            # Weight decay would pull the log-partition c towards 0: it
            # regularises the energy's weights only.
            optimizer__param_groups=[("log_partition", {"weight_decay": 0.0})],
            **self._net_kwargs(fit, callbacks),
        )

    def _finish_fit(self, fit) -> None:
        c = float(self.net_.module_.log_partition.detach())
        self.log_partition_ = c + self._log_jacobian()

    def _energy_module(self) -> torch.nn.Module:
        # Scoring needs the energy only, not the noise (which may hold a pool).
        return self.net_.module_.energy

    def _sampler(self):
        module = self.net_.module_.eval()
        return module.energy, module.noise


register(NCEDensityEstimator)
