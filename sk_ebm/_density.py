"""EnergyDensityEstimator: an energy-based density estimator."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import Interval, StrOptions

from sk_ebm._callbacks import LogLikelihoodMonitor, stopping_callbacks
from sk_ebm._density_base import BaseDensityEstimator
from sk_ebm._mixtures import (
    base_proposal,
    defensive_mixture,
    fit_mixture,
    placeholder_mixture,
    torch_mixture,
)
from sk_ebm._net import ImportanceNet, PCDNet
from sk_ebm._params import common_constraints
from sk_ebm._state import Fitted, register
from sk_ebm.exceptions import DivergenceError
from sk_ebm.sampling import annealed_importance_sampling

__all__ = ["EnergyDensityEstimator"]


class EnergyDensityEstimator(BaseDensityEstimator, BaseEstimator):
    r"""Energy-based density estimator with a normalised ``score_samples``.

    The model is :math:`p(x) = e^{-E(x)} / Z` with
    :math:`E = E_{base} + r_\theta`: a classical density fitted first, the base
    :math:`q_0 = e^{-E_{base}}` (``base``: a Gaussian, or the Gaussian
    mixture selected by BIC), tilted by a learned residual network
    :math:`r_\theta` whose output starts at exactly zero. Before training the
    estimator *is* its base; ``residual=False`` keeps it so (no training, an
    exact ``log_partition_``), which makes the base the baseline that the
    residual must beat on held-out likelihood. The residual is trained by
    maximum likelihood with one of two gradient estimators (``objective``):

    - ``"importance"`` (what ``"auto"`` takes): :math:`\log Z` and its
      gradient estimated at every step by importance sampling, no Markov
      chain. Up to 16 whitened dimensions the proposal is the BIC mixture
      fitted to the data, widened, plus a broad Gaussian; above, it is the
      base itself (90 %, and 10 % of it 1.2 times wider): the model starts as
      the base, so the weights :math:`e^{-r_\theta}` stay balanced while the
      residual is a tilt of it, where a widened proposal's weights would
      degenerate with the dimension;
    - ``"pcd"``: persistent contrastive divergence, negatives from short-run
      Langevin chains in a replay buffer (JEM/IGEBM practice). Measured on
      256-D ReLU features (``benchmarks/bench_features.py``) it diverged where
      importance sampling did not, so ``"auto"`` no longer takes it.

    By default (``early_stopping``) a share ``validation_fraction`` of the rows
    is held out and training stops when their normalised log-likelihood has not
    improved for ``n_iter_no_change`` epochs; the best weights are kept. After
    training, ``log_partition_`` is estimated by annealed importance sampling
    (AIS), so :meth:`score_samples` is a normalised log-density in the data's
    units (the Jacobian of the standardisation included) and :meth:`score` can
    select hyper-parameters in :class:`~sklearn.model_selection.GridSearchCV`.

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
        Keyword arguments of the module class (or of the default MLP, e.g.
        ``{"n_fourier_features": 0, "spectral_norm": True}``).
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Widths of the default MLP energy (which adds 64 random Fourier features
        to inputs of at most 4 features).
    image_shape : tuple of int, default=None
        ``(height, width[, channels])`` of rows that are flattened images; selects
        the convolutional energy.
    objective : {"auto", "importance", "pcd"}, default="auto"
        Gradient estimator of the log-likelihood (see above); ``"auto"`` is
        ``"importance"``.
    base : {"auto", "gaussian", "gmm"} or None, default="auto"
        The base density :math:`q_0`, fitted to the training rows: ``"gaussian"``
        is the shrunk Gaussian (the standard normal of the whitened space);
        ``"gmm"`` the Gaussian mixture of ``n_components`` in that space.
        ``"auto"`` fits with the Gaussian, and, where BIC selects more than
        one component and the network's space has at most 16 dimensions,
        fits again with the mixture and keeps the fit of higher validation
        log-likelihood (``base_kind_``): the mixture suits smooth multimodal
        densities (0.1 nats better on the smooth toys of
        ``benchmarks/bench_density.py``), the Gaussian the thin rings and
        spirals, where the residual does the work. That doubles the fit time
        of those low-dimensional multimodal fits. The base's quadratic growth
        keeps :math:`e^{-E}` integrable whatever the network learns; None uses
        the network alone (starting from random weights).
    residual : bool, default=True
        Whether to learn the residual network. False fits the base only: the
        estimator is then exactly that Gaussian (or mixture), its
        ``log_partition_`` exact.
    n_components : int or "auto", default="auto"
        Components of the Gaussian mixture fitted to (at most 10 000 of) the
        training rows: the proposal is that mixture, widened, plus a broad
        Gaussian, and the base with ``base="gmm"``. ``"auto"`` selects them by
        BIC among 1 to 32, keeping at least 3 rows per free parameter.
    max_epochs : int, default=200
        Passes over the training rows; fewer when early stopping.
    batch_size : int, default=512
        Rows per gradient step (and, with PCD, chains drawn from the buffer).
    lr : float, default=1e-2
        Adam learning rate; with ``early_stopping``, multiplied by 0.3 when the
        validation log-likelihood stalls for ``n_iter_no_change // 4`` epochs.
    weight_decay : float, default=0.0
        Adam's L2 penalty on the network's weights.
    n_importance_samples : int, default=2048
        Proposal draws per gradient step (``objective="importance"``). The
        log-likelihood recorded per epoch uses ``max(n_importance_samples,
        16384)`` draws, the same every epoch.
    sgld_steps : int, default=20
        Langevin steps per iteration for the negatives (``objective="pcd"``).
    sgld_step_size : float, default=0.1
        Gradient step :math:`a` of those Langevin updates, in standardised units.
    sgld_noise : float or "exact", default="exact"
        Their noise standard deviation; ``"exact"`` is :math:`\sqrt{2a}`.
    buffer_size : int, default=10000
        Persistent Langevin chains of the replay buffer (``objective="pcd"``).
    reinit_freq : float, default=0.05
        Share of the chains drawn from the buffer that restart from
        ``buffer_init`` at each step.
    buffer_init : {"gaussian", "uniform"}, default="gaussian"
        Initial distribution of the chains: a Gaussian fitted to the standardised
        training rows (JEM++) or the uniform distribution over their range.
    energy_reg : float, default=0.0
        Weight of the L2 penalty on the learned energies (without the base): of
        the training rows, and with PCD also of the negatives.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows and stop when their
        log-likelihood (``valid_log_likelihood`` in the history) has not
        improved for ``n_iter_no_change`` epochs; the best epoch's weights are
        kept.
    validation_fraction : float, default=0.1
        Share of the rows held out when ``early_stopping``.
    n_iter_no_change : int, default=30
        Epochs without improvement of the validation log-likelihood before
        stopping.
    ais_chains : int, default=2000
        AIS chains that estimate ``log_partition_`` after training, started from
        the proposal; more chains lower ``log_partition_std_``.
    ais_temperatures : int, default=300
        Annealing steps of each AIS chain from the proposal to the model, one
        MALA step each; more steps give a more accurate estimate.
    sample_steps : int, default=50
        MALA steps applied by :meth:`sample` after importance resampling.
    device : str, default="cpu"
        Any torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks, default=None
        Added to the net's, e.g. ``skorch.callbacks.Checkpoint``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, validation split, mixtures, chains,
        proposal draws and AIS; the same int gives the same result on the CPU,
        also when fits run in threads.
    verbose : int, default=0
        With a positive value, skorch prints a table of the epochs and shows a
        progress bar of the batches.
    warm_start : bool, default=False
        Continue training the fitted network (and, for PCD, its chains) on the
        next call to :meth:`fit`, with a fresh optimizer, instead of starting
        afresh; the input scaling and the mixtures of the first fit are kept, and
        ``log_partition_`` is estimated anew. After a
        :class:`~sk_ebm.exceptions.DivergenceError`, this resumes from the
        restored weights, e.g. with a lower ``lr``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted net, a ``PCDNet`` or ``ImportanceNet`` of ``sk_ebm._net``;
        ``net_.history`` holds the loss and the train and validation
        log-likelihood per epoch, ``net_.proposal_`` the proposal.
    n_components_ : int
        Components of the Gaussian mixture fitted to the training rows (chosen
        by BIC with ``n_components="auto"``): the proposal is that mixture
        widened plus one broad Gaussian, and the base with ``base="gmm"``.
    base_kind_ : {"gaussian", "gmm"}
        The base that ``base="auto"`` kept; set only with ``"auto"``.
    log_partition_ : float
        AIS estimate of :math:`\log Z = \log \int e^{-E(x)} dx` in the data's
        units, so that ``score_samples(X) == -E(X) - log_partition_``.
    log_partition_std_ : float
        Its standard error.
    whitening_ : sk_ebm.nn.Whitening
        The map from the standardised features to the network's space (see
        above); absent with a ``module`` or ``image_shape``.
    rank_ : int
        Width of the network's space: the axes of non-zero variance.
    base_ : torch.nn.Module or None
        The fitted base in the network's space: a :class:`~sk_ebm.sampling.Gaussian`
        or :class:`~sk_ebm.sampling.GaussianMixture` whose ``log_prob`` is the
        base's normalised log-density; None with ``base=None``.
    mean_, scale_ : ndarray of shape (n_features,)
        Internal standardisation, ``z = (x - mean_) / scale_``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    sklearn.neighbors.KernelDensity : Kernel density estimation.
    sklearn.mixture.GaussianMixture : Gaussian mixture density.

    Notes
    -----
    The network sees standardised inputs :math:`z = (x - m)/s`; as a function of
    :math:`x` the energy is :math:`E(x) = E_\theta(z)` and its log-partition is
    that of :math:`E_\theta` plus :math:`\sum_j \log s_j` (the Jacobian).

    References
    ----------
    Du & Mordatch (2019), *Implicit generation and generalization in energy-based
    models*. Neal (2001), *Annealed importance sampling*.

    Examples
    --------
    >>> from sk_ebm import EnergyDensityEstimator
    >>> from sk_ebm.datasets import make_eight_gaussians
    >>> X, _ = make_eight_gaussians(n_samples=400, random_state=0)
    >>> ebm = EnergyDensityEstimator(hidden_layer_sizes=(16,), max_epochs=5,
    ...                              ais_chains=200, ais_temperatures=50,
    ...                              random_state=0).fit(X)
    >>> ebm.score_samples(X[:3]).shape
    (3,)
    >>> ebm.sample(5, random_state=0).shape
    (5, 2)
    """

    _parameter_constraints: dict = {
        **common_constraints(
            "sgld_steps",
            "sgld_step_size",
            "sgld_noise",
            "buffer_size",
            "reinit_freq",
            "buffer_init",
            "energy_reg",
        ),
        "objective": [StrOptions({"auto", "importance", "pcd"})],
        "base": [StrOptions({"auto", "gmm", "gaussian"}), None],
        "residual": ["boolean"],
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "ais_chains": [Interval(Integral, 2, None, closed="left")],
        "ais_temperatures": [Interval(Integral, 1, None, closed="left")],
    }

    _whitened_space = True
    #: Widths of the network's space up to which the importance-sampling
    #: proposal is the widened BIC mixture (above: the base).
    _mixture_proposal_max_width = 16

    _fitted_attributes: dict = {
        **BaseDensityEstimator._common_fitted_attributes,
        "n_components_": Fitted("int", from_tensor="proposal.log_weights", offset=-1),
        "base_kind_": Fitted("choice", required=False, options=("gaussian", "gmm")),
        "log_partition_": Fitted("float"),
        "log_partition_std_": Fitted("float"),
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(64, 64),
        image_shape=None,
        objective="auto",
        base="auto",
        residual=True,
        n_components="auto",
        max_epochs=200,
        batch_size=512,
        lr=1e-2,
        weight_decay=0.0,
        n_importance_samples=2048,
        sgld_steps=20,
        sgld_step_size=0.1,
        sgld_noise="exact",
        buffer_size=10000,
        reinit_freq=0.05,
        buffer_init="gaussian",
        energy_reg=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=30,
        ais_chains=2000,
        ais_temperatures=300,
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
        self.objective = objective
        self.base = base
        self.residual = residual
        self.n_components = n_components
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_importance_samples = n_importance_samples
        self.sgld_steps = sgld_steps
        self.sgld_step_size = sgld_step_size
        self.sgld_noise = sgld_noise
        self.buffer_size = buffer_size
        self.reinit_freq = reinit_freq
        self.buffer_init = buffer_init
        self.energy_reg = energy_reg
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.ais_chains = ais_chains
        self.ais_temperatures = ais_temperatures
        self.sample_steps = sample_steps
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _proposes_from_base(self, width: int) -> bool:
        # A mixture fitted to the data and widened proposes well in low
        # dimension; in high dimension any widening ruins the importance
        # weights, and the whitened base itself (the model at the start,
        # weights e^{-r}) is the proposal.
        return self._whitens() and width > self._mixture_proposal_max_width

    def _objective(self) -> str:
        # PCD's Langevin chains diverged on 256-D ReLU features and on the
        # near-singular bases of correlated tabular data; importance sampling
        # from the base (above 16 whitened dimensions) does not need chains.
        return "importance" if self.objective == "auto" else self.objective

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the energy network to ``X``, then estimate its log-partition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : None
            Ignored.

        Returns
        -------
        self : EnergyDensityEstimator
            The fitted estimator.
        """
        for stale in ("log_partition_", "log_partition_std_"):
            self.__dict__.pop(stale, None)
        self._check_residual()
        if self.base != "auto" or self._warm_start():
            return self._fit(X)
        self.base_kind_ = "gaussian"
        self._fit(X)
        width = self._model_width(self.n_features_in_)
        if self.n_components_ == 1 or width > self._mixture_base_max_width:
            return self
        if not self.residual:
            # Without training there is no held-out figure: the mixture that
            # BIC preferred to one Gaussian is the better base.
            self.base_kind_ = "gmm"
            return self._fit(X)
        try:
            rival = clone(self).set_params(base="gmm").fit(X)
        except DivergenceError:
            return self
        if _selection_log_likelihood(rival) > _selection_log_likelihood(self):
            self.__dict__.update(
                (name, value)
                for name, value in vars(rival).items()
                if name.endswith("_") and not name.startswith("_")
            )
            self.base_kind_ = "gmm"
        return self

    def _build_modules(self, n_features: int, fit=None) -> torch.nn.ModuleDict:
        """The energy (its base and residual), the importance-sampling proposal,
        the whitening and, for PCD, the replay buffer; fitted to ``fit``'s rows,
        else placeholders."""
        width = self._model_width(n_features)
        if fit is None:
            k = self.n_components_
            proposal = placeholder_mixture(k + 1, width)
            kind = self._base_kind(width, k)
            base = placeholder_mixture(k, width) if kind == "gmm" else None
        else:
            Z = fit.Z_train
            gmm = fit_mixture(Z.cpu().numpy(), self.n_components, fit.seed)
            self.n_components_ = int(gmm.n_components)
            if self._proposes_from_base(width):
                proposal = base_proposal(gmm, width)
            else:
                proposal = defensive_mixture(gmm, Z, inflate=1.5, wide=2.0)
            kind = self._base_kind(width, self.n_components_)
            base = None
            if kind == "gmm":
                base = torch_mixture(gmm.weights_, gmm.means_, gmm.covariances_)
        if kind == "gaussian":
            base = self._base_gaussian(width, None if fit is None else fit.Z_train)
        network = self._residual_network(width, fit)
        parts = {
            "module": self._with_base(network, base),
            "proposal": proposal.to(self.device),
            **self._whitening_part(n_features, fit),
        }
        if self._objective() == "pcd" and self.residual:
            parts["buffer"] = self._replay_buffer(
                width, None if fit is None else Z, fit
            )
        return torch.nn.ModuleDict(parts)

    def _make_net(self, tree, fit):
        callbacks = []
        if fit is not None:
            monitor = LogLikelihoodMonitor(
                tree["proposal"],
                self._monitored_rows(fit),
                fit.Z_valid,
                offset=-self._log_jacobian(),
                n_samples=max(self.n_importance_samples, 16384),
            )
            callbacks.append(("log_likelihood", monitor))
            if fit.Z_valid is not None:
                callbacks += stopping_callbacks(
                    "valid_log_likelihood",
                    lower_is_better=False,
                    patience=self.n_iter_no_change,
                )
        if self._objective() == "importance":
            net = ImportanceNet
            kwargs = {"n_proposal_samples": self.n_importance_samples}
        else:
            if "buffer" not in tree:  # a warm start that switches to PCD
                tree["buffer"] = self._replay_buffer(
                    self._model_width(self.n_features_in_), fit.Z_train, fit
                )
            net = PCDNet
            kwargs = {
                "buffer": tree["buffer"],
                "sgld_steps": self.sgld_steps,
                "sgld_step_size": self.sgld_step_size,
                "sgld_noise": self.sgld_noise,
            }
        return net(
            tree["module"],
            proposal=tree["proposal"],
            criterion__energy_reg=self.energy_reg,
            **kwargs,
            **self._net_kwargs(fit, callbacks),
        )

    def _finish_fit(self, fit) -> None:
        if not self.residual:  # the base is normalised
            self.log_partition_ = self._log_jacobian()
            self.log_partition_std_ = 0.0
            return
        log_z, self.log_partition_std_ = annealed_importance_sampling(
            self.net_.module_.eval(),
            self.net_.proposal_,
            n_chains=self.ais_chains,
            n_temperatures=self.ais_temperatures,
            generator=fit.generator,
        )
        self.log_partition_ = log_z + self._log_jacobian()

    def _sampler(self):
        return self.net_.module_.eval(), self.net_.proposal_


def _selection_log_likelihood(estimator) -> float:
    """The mean log-likelihood by which ``base="auto"`` compares two fits: of
    the validation rows at the kept (best) epoch with ``early_stopping``, else
    of the training rows at the last epoch."""
    history = estimator.net_.history
    if "valid_log_likelihood" in history[-1]:
        return float(np.nanmax(history[:, "valid_log_likelihood"]))
    return float(history[-1, "train_log_likelihood"])


register(EnergyDensityEstimator)
