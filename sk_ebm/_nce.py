"""NCEDensityEstimator: energy-based density by noise-contrastive estimation."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sk_ebm._base import (
    BaseDensityEstimator,
    BaseEnergyEstimator,
    defensive_mixture,
    fit_mixture,
)
from sk_ebm._net import (
    LogLikelihoodMonitor,
    NCEModule,
    NCENet,
    NCEValidationLoss,
    TensorBatches,
)
from sk_ebm.nn import ResidualEnergy
from sk_ebm.objectives import NCELoss
from sk_ebm.sampling import Gaussian

__all__ = ["NCEDensityEstimator"]

# Noise draws kept from a user estimator, per training row and noise ratio.
_POOL_CAP = 1_000_000


class _DefensiveNoise(torch.nn.Module):
    """A noise mixed with a broad Gaussian holding ``weight`` of the mass.

    The broad component keeps noise in the tails and gaps of the data, where
    NCE would otherwise leave the model unconstrained.
    """

    def __init__(self, inner: torch.nn.Module, broad: Gaussian, weight=0.1) -> None:
        super().__init__()
        self.inner = inner
        self.broad = broad
        self.weight = weight

    def sample(self, n: int, generator: torch.Generator | None = None):
        x = self.inner.sample(n, generator)
        pick = torch.rand(n, 1, generator=generator, device=self.broad.mean.device)
        return torch.where(pick < self.weight, self.broad.sample(n, generator), x)

    def log_prob(self, x):
        return torch.logaddexp(
            self.inner.log_prob(x) + math.log1p(-self.weight),
            self.broad.log_prob(x) + math.log(self.weight),
        )


class _FlowNoise(torch.nn.Module):
    """A zuko neural spline flow whose ``sample`` is driven by a
    ``torch.Generator`` and differentiable in the flow's parameters."""

    def __init__(self, n_features: int, **flow_kwargs) -> None:
        super().__init__()
        try:
            import zuko
        except ImportError as err:  # pragma: no cover - zuko is a dependency
            raise ImportError(
                'noise="flow" needs the zuko package: pip install zuko'
            ) from err
        kwargs = {"transforms": 3, "hidden_features": (64, 64), **flow_kwargs}
        self.n_features = n_features
        self.flow = zuko.flows.NSF(features=n_features, **kwargs)

    def sample(self, n: int, generator: torch.Generator | None = None):
        device = next(self.flow.parameters()).device
        # The flow's base is a standard normal: draw it with the generator and
        # push it through the inverse transform (a reparameterised sample).
        eps = torch.randn(n, self.n_features, generator=generator, device=device)
        return self.flow().transform.inv(eps)

    def log_prob(self, x):
        return self.flow().log_prob(x)


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

    The model is :math:`\log p(x) = -E(x) - c` with an energy network
    :math:`E_\theta` (by default tilting a Gaussian fitted to the data, as in
    :class:`EnergyDensityEstimator`) and a constant :math:`c` learned with it.
    Training is logistic regression between the data and ``noise_ratio``
    (:math:`\nu`) noise draws per data point (:class:`~sk_ebm.objectives.NCELoss`,
    Gutmann & Hyvärinen, 2012); its optimum is the data density *with* its
    normaliser, so no sampling from the model and no estimate of the
    partition function is needed: ``log_partition_`` is the learned :math:`c`.

    The noise should be close to the data and easy to sample and evaluate
    (``noise``): a Gaussian or a Gaussian mixture fitted to the data, a
    normalizing flow trained jointly and adversarially (Flow Contrastive
    Estimation, Gao et al., 2020: the flow is updated to fool the classifier
    whenever the classifier's accuracy exceeds 60 %), or any scikit-learn style
    density estimator. Features are standardised internally; densities are in
    the data's units. A share ``validation_fraction`` of the rows is held out
    and training stops when their NCE loss (for a flow noise, their
    log-likelihood, watched after the flow's warm-up) has not improved for
    ``n_iter_no_change`` epochs, keeping the best weights.

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
        Widths of the default MLP energy.
    image_shape : tuple of int, default=None
        ``(height, width[, channels])`` of rows that are flattened images.
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
        :math:`\nu`, noise draws per data point and step.
    noise_components : int or "auto", default="auto"
        Components of the ``"gmm"`` noise; ``"auto"`` selects them by BIC.
    noise_kwargs : dict, default=None
        Keyword arguments of :class:`zuko.flows.NSF` for ``noise="flow"``
        (default ``transforms=3, hidden_features=(64, 64)``).
    base : {"gaussian"} or None, default="gaussian"
        Fixed Gaussian base density tilted by the network, which keeps
        :math:`e^{-E}` integrable; None uses the network alone.
    max_epochs : int, default=200
    batch_size : int, default=256
    lr : float, default=3e-3
        Adam learning rate of the energy and :math:`c` (and of the flow),
        divided by 3.3 when the validation criterion stalls for
        ``n_iter_no_change // 4`` epochs.
    weight_decay : float, default=0.0
    early_stopping : bool, default=True
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=20
    sample_steps : int, default=50
        MALA steps applied by :meth:`sample` after importance resampling of
        noise draws.
    device : str, default="cpu"
        Any torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds weights, data order, noise draws and sampling.
    verbose : int, default=0
        With a positive value, skorch prints a table of the epochs and shows a
        progress bar of the batches.
    warm_start : bool, default=False
        Continue training the fitted network (and, for PCD, its chains) on the
        next call to :meth:`fit`, with a fresh optimizer, instead of starting
        afresh; the input scaling of the first fit is kept. After a
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
    log_partition_ : float
        The learned constant :math:`c` in the data's units, so that
        ``score_samples(X) == -E(X) - log_partition_``.
    mean_, scale_ : ndarray of shape (n_features,)
        Internal standardisation.
    n_features_in_ : int
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

    _parameter_constraints: dict = {
        **BaseEnergyEstimator._common_parameter_constraints,
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
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "sample_steps": [Interval(Integral, 0, None, closed="left")],
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

    def _make_noise(self, Z: torch.Tensor, seed: int) -> torch.nn.Module:
        Z_cpu = Z.cpu()
        if self.noise == "gaussian":
            return Gaussian.from_data(Z_cpu)
        if self.noise == "gmm":
            # NCE constrains the model only where the noise has mass: widened
            # components and a broad Gaussian cover the gaps and tails of the
            # data, where the network could otherwise put spurious mass.
            gmm = fit_mixture(Z_cpu.numpy(), self.noise_components, seed)
            return defensive_mixture(gmm, Z_cpu, inflate=1.5, wide=2.0)
        if self.noise == "flow":
            inner = _FlowNoise(Z.shape[1], **(self.noise_kwargs or {}))
        else:
            estimator = clone(self.noise)
            if "random_state" in estimator.get_params():
                estimator.set_params(random_state=seed)
            estimator.fit(Z_cpu.double().numpy())
            pool = min(math.ceil(self.noise_ratio * 4 * len(Z)) + 4096, _POOL_CAP)
            inner = _EstimatorNoise(estimator, pool, seed)
        return _DefensiveNoise(inner, Gaussian.from_data(Z_cpu, inflate=2.0))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the energy and its log-partition by classifying data against noise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : NCEDensityEstimator
        """
        self.__dict__.pop("log_partition_", None)
        start = self._start_fit(X)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(start.torch_seed)
            if start.warm:
                module = self.net_.module_
            else:
                energy = self._build_module(self.n_features_in_)
                if self.base == "gaussian":
                    base = Gaussian.from_data(start.Z_train.cpu())
                    energy = ResidualEnergy(energy, base)
                noise = self._make_noise(start.Z_train, start.sampler_seed)
                module = NCEModule(energy, noise)
            generator = self._generator(start.sampler_seed)
            net = self._make_net(module, start.Z_valid, start.Z_monitored, generator)
            self._train(net, start.Z_train, None, warm=start.warm)
        self.noise_ = self.net_.module_.noise
        c = float(self.net_.module_.log_partition.detach())
        self.log_partition_ = c + float(np.log(self.scale_).sum())
        return self

    def _flow_warmup_epochs(self) -> int:
        return self.max_epochs // 4 if self.noise == "flow" else 0

    def _make_net(self, module, Z_valid, Z_monitored, generator) -> NCENet:
        offset = -float(np.log(self.scale_).sum())
        monitor = LogLikelihoodMonitor(None, Z_monitored, Z_valid, offset=offset)
        callbacks = [("log_likelihood", monitor)]
        if Z_valid is not None:
            # The NCE loss against a fixed noise is the natural criterion; a
            # flow's loss rises as the flow improves, so the (learned-c)
            # log-likelihood serves there.
            flow = self.noise == "flow"
            callbacks.append(("nce_loss", NCEValidationLoss(Z_valid)))
            callbacks += self._stopping_callbacks(
                "valid_log_likelihood" if flow else "valid_nce_loss",
                lower_is_better=not flow,
                start=self._flow_warmup_epochs(),
            )
        callbacks += self._extra_callbacks()
        return NCENet(
            module,
            criterion=NCELoss,
            criterion__noise_ratio=self.noise_ratio,
            flow_lr=self.lr,
            flow_warmup_epochs=self._flow_warmup_epochs(),
            generator=generator,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=TensorBatches,
            iterator_train__shuffle=True,
            iterator_valid=TensorBatches,
            train_split=None,
            callbacks=callbacks,
            device=self.device,
            **self._verbosity(),
        )

    def _energy_module(self) -> torch.nn.Module:
        # Scoring needs the energy only, not the noise (which may hold a pool).
        return self.net_.module_.energy

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the fitted density, in the data's units.

        Noise draws are importance-resampled by their weights :math:`e^{-E}/q`,
        then moved by ``sample_steps`` Metropolis-adjusted Langevin steps,
        which leave the model's density invariant.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "log_partition_")
        module = self.net_.module_.eval()
        return self._sample_resampled(
            module.energy, module.noise, n_samples, random_state, self.sample_steps
        )
