"""EnergyClassifier: a softmax classifier that is also an energy-based model."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sk_ebm._base import BaseEnergyEstimator
from sk_ebm._gaussian import fit_discriminant
from sk_ebm._inference import RowNoise
from sk_ebm._labels import (
    class_indices,
    encode_known,
    encode_labels,
    stratified_split,
)
from sk_ebm._net import HDGENet, JEMNet
from sk_ebm._params import check_n_samples, common_constraints, draw_seed
from sk_ebm._state import Fitted, register
from sk_ebm.nn import (
    ExportedClassifier,
    FixedLinear,
    GaussianDiscriminant,
    LogitsEnergy,
    PurifiedLogits,
)
from sk_ebm.sampling import langevin

__all__ = ["EnergyClassifier"]

PURIFY_BATCH_SIZE = 4096


class EnergyClassifier(ClassifierMixin, BaseEnergyEstimator, BaseEstimator):
    r"""Classifier whose logits define a joint energy-based model (JEM).

    Logits :math:`f(x) \in \mathbb{R}^K` give the class probabilities
    :math:`p(y \mid x) = \mathrm{softmax}(f(x))_y` and the energies
    :math:`E(x, y) = -f(x)[y]`, :math:`E(x) = -\log \sum_y e^{f(x)[y]}` of
    :math:`p(x) \propto e^{-E(x)}` (Grathwohl et al., 2020). Figures on digits:
    ``benchmarks/bench_classifier.py``.

    The logits are those of Gaussian discriminant analysis plus a learned
    residual that starts at exactly zero (``base="lda"``, the default with the
    default network):
    :math:`f(x)[k] = \log \pi_k + \log \mathcal{N}(z; \mu_k, I) + g_\theta(z)[k]`
    in the space ``z`` whitened with the covariance pooled within the classes.
    Before training, :math:`p(y \mid x)` is linear discriminant analysis (with a
    shrunk covariance) and :math:`p(x)` the normalised mixture of the class
    Gaussians; ``residual=False`` keeps it so (no training).

    **The base and the whitened space.** The default network does not see the
    raw features: rows are standardised, then rotated onto the principal axes
    of their covariance within the classes (of the labelled rows), shrunk
    towards a multiple of the identity (the shrinkage maximises the
    cross-validated Gaussian likelihood), and scaled to unit variance
    (``whitening_``). Axes along which the training rows do
    not vary (constant or duplicated columns, more columns than rows) are set
    aside: the network sees the ``rank_`` others, and the model is a Gaussian
    with the shrunk variance along those set aside, so a row that leaves the
    data's subspace (a dead unit that fires) is scored as unlikely, as by a
    Mahalanobis distance. A user's ``module`` or an ``image_shape`` keep the
    standardised features (a Gaussian base with the shrunk covariance).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Logits network ``(n, d) -> (n, n_classes)``; None: :class:`~sk_ebm.nn.MLPEnergy`
        (:class:`~sk_ebm.nn.ConvEnergy` with ``image_shape``). A class is called as
        ``module(n_features, **module_kwargs)``; an instance is deep-copied.
    module_kwargs : dict, default=None
        Keyword arguments of the module class or of the default network.
    hidden_layer_sizes : tuple of int, default=(128, 128)
        Widths of the default MLP (with random Fourier features up to 4 inputs).
    image_shape : tuple of int, default=None
        ``(height, width[, channels])`` of flattened image rows; selects the CNN.
    base : {"auto", "lda"} or None, default="auto"
        The base logits: ``"lda"``, the class-conditional Gaussians with a
        shared covariance (their means and priors from the labelled training
        rows); ``"auto"`` is ``"lda"`` with the default network and None with a
        ``module`` or ``image_shape``; None: the network alone, from random
        weights.
    residual : bool, default=True
        Whether to learn the residual network; False keeps the base alone.
    objective : {"jem", "hdge"}, default="jem"
        Term added to the cross-entropy. ``"jem"``: ``generative_weight`` times the
        contrastive divergence of :math:`p(x)` (persistent Langevin chains) plus
        ``conditional_weight`` times that of :math:`p(x \mid y)`; unlabelled rows
        (``y=-1``) feed only :math:`p(x)`. ``"hdge"``: HDGE's sampling-free contrastive
        term (Liu & Abbeel, 2020) on a queue of normalised logits; labelled rows only.
    generative_weight : float, default=0.1
        Weight of the :math:`p(x)` term (JEM) or contrastive term (HDGE); 0 is a
        plain softmax classifier. On digits, 0.1 kept its accuracy and calibration
        while :math:`\log p(x)` detected OOD inputs; JEM's 1 made it under-confident.
    conditional_weight : float, default=0.0
        Weight of the :math:`p(x \mid y)` term (JEM); its negatives are chains of
        random classes started afresh from ``buffer_init`` at each step.
    max_epochs : int, default=40
        Passes over the training rows; fewer when early stopping.
    batch_size : int, default=64
        Rows per gradient step, and negatives drawn per step and term.
    lr : float, default=1e-3
        Adam learning rate; with ``early_stopping``, multiplied by 0.3 when the
        validation loss stalls for ``n_iter_no_change // 4`` epochs.
    weight_decay : float, default=0.0
        Adam's L2 penalty on the network's weights.
    sgld_steps : int, default=5
        Langevin steps per negative; on digits, 5 of size 2 matched 10 of size 1.
    sgld_step_size : float, default=0.1
        Gradient step :math:`a` of the Langevin updates, also of :meth:`sample`,
        in the network's space: whitened, where the base has unit variance.
    sgld_noise : float or "exact", default=0.01
        Their noise standard deviation: JEM's small noise (mode-seeking chains);
        ``"exact"``, :math:`\sqrt{2a}`, samples the model but made the
        classifier over-confident on digits (log-loss 0.35 against 0.10).
    buffer_size : int, default=10000
        Persistent chains of the replay buffer.
    reinit_freq : float, default=0.05
        Share of the chains drawn per step that restart from ``buffer_init``.
    buffer_init : {"uniform", "gaussian"}, default="gaussian"
        Start of the chains: a Gaussian fitted to the data (JEM++; with the
        base, close to the model at the start of training) or the uniform
        distribution over the data's range (JEM).
    energy_reg : float, default=0.1
        Weight of the L2 penalty on the energies of the contrastive terms (JEM),
        less the base's energies.
    hdge_temperature : float, default=0.1
        Temperature :math:`\tau` of HDGE's contrastive softmax.
    hdge_queue_size : int, default=1024
        Normalised logits of past labelled rows that HDGE contrasts against.
    sample_steps : int, default=100
        Langevin steps of :meth:`sample`.
    purify_steps : int, default=0
        Langevin purification of the inputs before classifying (JEM-K,
        Grathwohl et al., 2020): with ``purify_steps > 0``, :meth:`predict`,
        :meth:`predict_proba` and :meth:`decision_function` copy each row
        ``purify_chains`` times, perturb the copies by ``purify_init_noise``,
        run ``purify_steps`` steps
        :math:`z \leftarrow z - a \nabla E(z) + \sigma \xi` toward higher
        :math:`p(x)` and average the class probabilities of the copies.
        Repeatable with an int ``random_state``. 0 is off. The steps work in
        the network's space (whitened, where the base has unit variance).
        What it protects against: ``benchmarks/bench_robustness.py``.
    purify_step_size : float, default=1.0
        Their gradient step :math:`a` (JEM's 1).
    purify_noise : float, default=0.01
        Their noise :math:`\sigma` (JEM's 0.01).
    purify_init_noise : float, default=0.1
        Standard deviation of the noise added to the copies before the steps.
    purify_chains : int, default=5
        Purified copies per row whose probabilities are averaged (JEM's 5).
    scale_floor : float, default=0.0
        Floor of each feature's standardisation scale, as a fraction of the
        median scale of the features. A column that barely varies in training
        (a border pixel) otherwise turns a small change of input into a large
        step of the network's input: on digits, a floor of 0.1 raised the
        accuracy under an L-inf attack of one pixel level from 0.19 to 0.44
        (softmax) and 0.24 to 0.41 (JEM), for 0.5 to 1.5 points of clean
        accuracy (two seeds; ``benchmarks/bench_robustness.py``).
    early_stopping : bool, default=False
        Stop when the cross-entropy of held-out labelled rows (``valid_loss``)
        has not improved for ``n_iter_no_change`` epochs; keep the best weights.
    validation_fraction : float, default=0.1
        Share of the labelled rows held out (stratified) when ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without improvement of the validation loss before stopping.
    warm_start : bool, default=False
        Continue training the network and chains on the next :meth:`fit`, with a
        fresh optimizer; the scaling and ``classes_`` of the first fit are kept.
    device : str, default="cpu"
        Any torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks, default=None
        Added to the net's, e.g. ``skorch.callbacks.Checkpoint``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, validation split and chains; the same
        int gives the same fit on the CPU, also when fits run in threads.
    verbose : int, default=0
        When positive, skorch prints a table of the epochs and a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``-1``, the unlabelled marker, excluded).
    net_ : JEMNet or HDGENet
        The fitted skorch net (``net_.history``, ``net_.module_``).
    whitening_ : sk_ebm.nn.Whitening
        The map from the standardised features to the network's space (see
        above); absent with a ``module`` or ``image_shape``.
    rank_ : int
        Width of the network's space: the axes of non-zero variance.
    base_ : torch.nn.Module or None
        The fitted base in the network's space: a
        :class:`~sk_ebm.nn.GaussianDiscriminant` (its ``base_logits`` are LDA's
        joint log-densities); None with ``base=None``.
    mean_, scale_ : ndarray of shape (n_features,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The discriminative counterpart.
    EnergyDensityEstimator : Normalised density estimation.

    References
    ----------
    Grathwohl et al. (2020), *Your classifier is secretly an energy based model
    and you should treat it like one*. Yang & Ji (2021), *JEM++*. Liu & Abbeel
    (2020), *Hybrid discriminative-generative training via contrastive learning*.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sk_ebm import EnergyClassifier
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> clf = EnergyClassifier(hidden_layer_sizes=(32,), max_epochs=20, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.8, clf.sample(3, y=1, random_state=0).shape
    (True, (3, 2))
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
        "objective": [StrOptions({"jem", "hdge"})],
        "base": [StrOptions({"auto", "lda"}), None],
        "residual": ["boolean"],
        "generative_weight": [Interval(Real, 0, None, closed="left")],
        "conditional_weight": [Interval(Real, 0, None, closed="left")],
        "hdge_temperature": [Interval(Real, 0, None, closed="neither")],
        "hdge_queue_size": [Interval(Integral, 1, None, closed="left")],
        "purify_steps": [Interval(Integral, 0, None, closed="left")],
        "purify_step_size": [Interval(Real, 0, None, closed="neither")],
        "purify_noise": [Interval(Real, 0, None, closed="left")],
        "purify_init_noise": [Interval(Real, 0, None, closed="left")],
        "purify_chains": [Interval(Integral, 1, None, closed="left")],
        "scale_floor": [Interval(Real, 0, None, closed="left")],
    }

    _whitened_space = True
    # Files written before the base existed hold a plain logits network.
    _absent_params = {"base": None}

    _fitted_attributes: dict = {
        **BaseEnergyEstimator._common_fitted_attributes,
        "classes_": Fitted("labels"),
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(128, 128),
        image_shape=None,
        base="auto",
        residual=True,
        objective="jem",
        generative_weight=0.1,
        conditional_weight=0.0,
        max_epochs=40,
        batch_size=64,
        lr=1e-3,
        weight_decay=0.0,
        sgld_steps=5,
        sgld_step_size=0.1,
        sgld_noise=0.01,
        buffer_size=10000,
        reinit_freq=0.05,
        buffer_init="gaussian",
        energy_reg=0.1,
        hdge_temperature=0.1,
        hdge_queue_size=1024,
        sample_steps=100,
        purify_steps=0,
        purify_step_size=1.0,
        purify_noise=0.01,
        purify_init_noise=0.1,
        purify_chains=5,
        scale_floor=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.image_shape = image_shape
        self.objective = objective
        self.base = base
        self.residual = residual
        self.generative_weight = generative_weight
        self.conditional_weight = conditional_weight
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.sgld_steps = sgld_steps
        self.sgld_step_size = sgld_step_size
        self.sgld_noise = sgld_noise
        self.buffer_size = buffer_size
        self.reinit_freq = reinit_freq
        self.buffer_init = buffer_init
        self.energy_reg = energy_reg
        self.hdge_temperature = hdge_temperature
        self.hdge_queue_size = hdge_queue_size
        self.sample_steps = sample_steps
        self.purify_steps = purify_steps
        self.purify_step_size = purify_step_size
        self.purify_noise = purify_noise
        self.purify_init_noise = purify_init_noise
        self.purify_chains = purify_chains
        self.scale_floor = scale_floor
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _default_mlp_kwargs(self, n_features: int) -> dict:
        # As for densities: Fourier features let p(x) resolve thin structures of
        # low-dimensional inputs (spiral arms), which semi-supervised learning needs.
        if n_features <= 4:
            return {"n_fourier_features": 64, "fourier_scale": 3.0}
        return {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the classifier (and its energy) on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` marks unlabelled rows.

        Returns
        -------
        self : EnergyClassifier
            The fitted classifier.
        """
        if not self.residual and self._base_kind() is None:
            raise ValueError(
                "residual=False leaves the base as the whole model, and there is "
                "none (base=None, or base='auto' with a module or image_shape); "
                "set base='lda' or residual=True."
            )
        return self._fit(X, y)

    def _prepare_y(self, y, n_samples: int, warm: bool) -> np.ndarray:
        """Labels as indices in ``classes_`` (set unless ``warm``), -1 kept."""
        classes, encoded = encode_labels(y, n_samples)
        if warm:
            return encode_known(self.classes_, classes, encoded)
        self.classes_ = classes
        return encoded

    def _split(self, n_samples: int, encoded: np.ndarray, rng):
        if not self.early_stopping:
            return None, None
        return stratified_split(n_samples, encoded, self.validation_fraction, rng)

    def _base_kind(self):
        """``"lda"`` or None: ``base`` with ``"auto"`` resolved (the
        discriminant base in the whitened space of the default network)."""
        if self.base == "auto":
            return "lda" if self._whitens() else None
        return self.base

    def _build_modules(self, n_features: int, fit=None) -> torch.nn.ModuleDict:
        """Logits (the discriminant base and the residual network), whitening
        and chains; fitted to ``fit``'s rows, else placeholders."""
        width = self._model_width(n_features)
        n_classes = len(self.classes_)
        network = None
        if self.residual:
            seed = fit.torch_seed if fit else 0
            zero = self._base_kind() is not None
            if hasattr(self, "rank_"):  # a whitened space (not in old files)
                # The residual sees the standardised features (the whitened
                # space's noise directions, at unit variance, make an MLP
                # overfit: log-loss 0.169 against 0.111 on digits).
                unwhiten = (
                    torch.zeros(width, n_features)
                    if fit is None
                    else self.whitening_.unwhitening()
                )
                network = torch.nn.Sequential(
                    FixedLinear(unwhiten),
                    self._build_network(n_features, n_classes, seed, zero),
                )
            else:
                network = self._build_network(width, n_classes, seed, zero)
        logits = network
        if self._base_kind() == "lda" and fit is None:
            logits = GaussianDiscriminant(
                network,
                torch.zeros(n_classes, width),
                torch.eye(width),
                torch.zeros(n_classes),
            )
        elif self._base_kind() == "lda":
            logits = fit_discriminant(
                fit.Z_train, fit.y_train, n_classes, network, whitened=self._whitens()
            )
        buffer = self._replay_buffer(width, None if fit is None else fit.Z, fit)
        return torch.nn.ModuleDict(
            {
                "module": LogitsEnergy(logits),
                "buffer": buffer,
                **self._whitening_part(n_features, fit),
            }
        )

    def _make_net(self, tree, fit):
        kwargs = self._net_kwargs(fit, *self._valid_loss_stopping(fit))
        if self.objective == "jem":
            net = JEMNet
            kwargs.update(
                criterion__generative_weight=self.generative_weight,
                criterion__conditional_weight=self.conditional_weight,
                criterion__energy_reg=self.energy_reg,
                criterion__semi_supervised=fit is not None and bool((fit.y < 0).any()),
            )
        else:
            net = HDGENet
            kwargs.update(
                criterion__generative_weight=self.generative_weight,
                criterion__temperature=self.hdge_temperature,
                queue_size=self.hdge_queue_size,
            )
        return net(
            tree["module"],
            buffer=tree["buffer"],
            sgld_steps=self.sgld_steps,
            sgld_step_size=self.sgld_step_size,
            sgld_noise=self.sgld_noise,
            **kwargs,
        )

    @property
    def base_(self):
        """The fitted discriminant base (None without one)."""
        check_is_fitted(self, "net_")
        logits = self.net_.module_.logits
        return logits if isinstance(logits, GaussianDiscriminant) else None

    def _purifier(self, logits, seed: int = 0) -> PurifiedLogits:
        """``logits`` behind the Langevin purification of the inputs."""
        return PurifiedLogits(
            logits,
            steps=self.purify_steps,
            step_size=self.purify_step_size,
            noise=self.purify_noise,
            init_noise=self.purify_init_noise,
            chains=self.purify_chains,
            seed=seed,
        )

    def _logits(self, X, reduce=None, outside=None) -> np.ndarray:
        """Logits of ``X``'s rows, or ``reduce(logits)`` per batch (no full
        array), with ``outside`` as in ``_batched``; for probabilities
        (``outside`` None) of the purified rows when ``purify_steps > 0``."""
        X = self._checked_X(X)
        purify = outside is None and self.purify_steps > 0
        if purify:
            noise = RowNoise(X, draw_seed(self.random_state))

        def purified(purifier, Z):
            # A row's noise is keyed by its values: its prediction does not
            # depend on the rows it is scored with.
            steps, chains = self.purify_steps, self.purify_chains
            return purifier(Z, draws=noise.next(len(Z), steps, Z.shape[1], chains))

        def logits(module, Z):
            if purify:
                # In slices: the chains' graphs grow with the rows.
                purifier = self._purifier(module.logits)
                return torch.cat(
                    [purified(purifier, part) for part in Z.split(PURIFY_BATCH_SIZE)]
                )
            # For probabilities, a base's logits less their common term: far
            # from the data that term dwarfs their differences.
            if outside is None and isinstance(module.logits, GaussianDiscriminant):
                return module.logits.class_logits(Z)
            return module.logits(Z)

        if reduce is None:
            return self._batched(logits, X, grad=purify)
        return self._batched(
            lambda module, Z: reduce(logits(module, Z)),
            X,
            grad=purify,
            outside=outside,
        )

    def decision_function(self, X):
        """Logits :math:`f(x)`; for binary problems the logit difference.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, in the units of the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Shape ``(n_samples,)`` for two classes (positive: ``classes_[1]``).
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def to_torch(self, dtype=torch.float64):
        """The fitted classifier as a differentiable torch module.

        The module maps raw inputs ``(n, n_features)``, in the units of the
        training data, to logits ``(n, n_classes)``: the internal
        standardisation and whitening, then a copy of the network, in eval
        mode and on ``device``. Its softmax is :meth:`predict_proba`. This is
        what attack libraries (torchattacks, ART's ``PyTorchClassifier``) and
        :mod:`sk_ebm.adversarial` take.

        With ``purify_steps > 0`` the network sits behind the Langevin
        purification (a :class:`~sk_ebm.nn.PurifiedLogits`), through which
        gradients flow in full (second derivatives of the energy), or straight
        through (BPDA) once its ``straight_through`` is set; the module then
        returns the log of the probabilities averaged over the chains. Its
        noise comes from its own generator, seeded by ``random_state``, and
        is fresh at every call: what an expectation over transformation (EOT)
        averages (:meth:`predict_proba` instead keys each row's noise by its
        values, so its softmax matches the module's in distribution only).

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64
            Precision of the copy; inputs (float32 or float64) are cast to it.
            In float64 its softmax equals :meth:`predict_proba` to rounding;
            float32 is faster, within about 1e-6.

        Returns
        -------
        module : sk_ebm.nn.ExportedClassifier
            The exported classifier; its parameters do not require gradients.
        """
        check_is_fitted(self, "net_")
        whitening = getattr(self, "whitening_", None)
        logits = copy.deepcopy(self.net_.module_.logits)
        if self.purify_steps > 0:
            logits = self._purifier(logits, draw_seed(self.random_state))
        module = ExportedClassifier(
            torch.as_tensor(self.mean_),
            torch.as_tensor(self.scale_),
            None if whitening is None else copy.deepcopy(whitening),
            logits,
        )
        module = module.to(device=self.device, dtype=dtype).eval()
        for parameter in module.parameters():
            parameter.requires_grad_(False)
        return module

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, in the units of the training data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class of ``classes_``.
        """
        # In place: the logits may be as large as X.
        log_proba = self._logits(X)
        log_proba -= np.logaddexp.reduce(log_proba, axis=1, keepdims=True)
        return log_proba

    def predict_proba(self, X):
        """Class probabilities, the softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, in the units of the training data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class of ``classes_``; rows sum to 1.
        """
        proba = self.predict_log_proba(X)
        return np.exp(proba, out=proba)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, in the units of the training data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The label in ``classes_`` of the largest logit.
        """
        index = self._logits(X, reduce=lambda logits: logits.argmax(1))
        return self.classes_[index.astype(np.intp)]

    def score_samples(self, X):
        """Unnormalised log-density :math:`-E(x) = \\log\\sum_y e^{f(x)[y]}`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher for rows more typical of the training data (JEM's OOD score).
        """
        return self._logits(
            X,
            reduce=lambda logits: torch.logsumexp(logits.double(), dim=1),
            outside=lambda log_p, outside: log_p - outside,
        )

    def sample(self, n_samples=1, *, y=None, random_state=None):
        """Draw from :math:`p(x)` or, with ``y``, from :math:`p(x \\mid y)`.

        Langevin chains run ``sample_steps`` steps of size ``sgld_step_size``
        from exact draws of the base (the class Gaussians; with ``y``, those
        of the requested classes), or without a base from the buffer's
        initial distribution (``buffer_init``). From the base their noise is
        that of true Langevin dynamics, :math:`\\sqrt{2a}` whatever
        ``sgld_noise`` (which then sets the training chains' only): the draws
        follow the model instead of collapsing onto its modes.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        y : label or array-like of shape (n_samples,), default=None
            Class(es) to condition on; a single label applies to every sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the chains; an int gives the same samples at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The chains' final states, in the units of the training data.
        """
        check_is_fitted(self, "net_")
        check_n_samples(n_samples)
        generator = self._sample_generator(random_state)
        module = self.net_.module_.eval()
        energy, index = module, None
        if y is not None:
            index = torch.as_tensor(
                class_indices(self.classes_, y, n_samples), device=self.device
            )

            def energy(z):
                return module.energy_xy(z, index)

        noise = self.sgld_noise
        if isinstance(module.logits, GaussianDiscriminant):
            with torch.no_grad():
                start, _ = module.logits.sample(index, n_samples, generator)
            # True Langevin from the base: draws that follow the model.
            # Training's small noise (sgld_noise) collapses chains onto the
            # modes (digits: samples 12 times less diverse than real ones).
            noise = "exact"
        else:
            start = self.net_.buffer_.init.sample(n_samples, generator)
        Z = langevin(
            energy,
            start,
            n_steps=self.sample_steps,
            step_size=self.sgld_step_size,
            noise_std=noise,
            generator=generator,
        )
        return self._to_data_units(Z, generator)


register(EnergyClassifier)
