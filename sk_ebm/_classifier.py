"""EnergyClassifier: a softmax classifier that is also an energy-based model."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from sk_ebm._base import BaseEnergyEstimator, _check_n_samples
from sk_ebm._net import ClassifierNet, TensorBatches
from sk_ebm._threads import limit_torch_threads
from sk_ebm.nn import LogitsEnergy
from sk_ebm.objectives import HDGELoss, JEMLoss
from sk_ebm.sampling import Gaussian, ReplayBuffer, Uniform, langevin

__all__ = ["EnergyClassifier"]


def _label_kind(label) -> str:
    if isinstance(label, str):
        return "string"
    return "number" if isinstance(label, Real) else type(label).__name__


def _unlabeled_mask(y: np.ndarray) -> np.ndarray:
    if y.dtype.kind in "iuf":
        return y == -1
    return np.array([isinstance(v, (int, np.integer)) and v == -1 for v in y])


class EnergyClassifier(ClassifierMixin, BaseEnergyEstimator, BaseEstimator):
    r"""Classifier whose logits define a joint energy-based model (JEM).

    A network :math:`f_\theta(x) \in \mathbb{R}^K` gives both the class
    probabilities :math:`p(y \mid x) = \mathrm{softmax}(f_\theta(x))_y` and the
    energies

    .. math:: E(x, y) = -f_\theta(x)[y], \qquad
        E(x) = -\log \sum_y e^{f_\theta(x)[y]}

    so that :math:`p(x) \propto e^{-E(x)}` (Grathwohl et al., 2020). Training
    adds a generative term to the cross-entropy:

    - ``objective="jem"``: ``generative_weight`` times the contrastive
      divergence of :math:`p(x)` with negatives from persistent Langevin chains
      (initialised uniformly over the data's range, as in JEM, or from a
      Gaussian fitted to the data, as in JEM++: ``buffer_init``), plus
      ``conditional_weight`` times that of :math:`p(x \mid y)`. Rows labelled
      ``-1`` are unlabelled and feed only the :math:`p(x)` term
      (semi-supervised learning). ``generative_weight=0`` is exactly a softmax
      classifier with the same network and training loop.
    - ``objective="hdge"``: the contrastive term of HDGE (Liu & Abbeel, 2020)
      against a queue of normalised logits; no sampling, labelled rows only.

    Inputs are standardised internally.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Logits network mapping ``(n, d)`` to ``(n, n_classes)``. None builds an
        :class:`~sk_ebm.nn.MLPEnergy` (or :class:`~sk_ebm.nn.ConvEnergy` with
        ``image_shape``) with ``n_classes`` outputs. A class is called as
        ``module(n_features, n_outputs=n_classes, **module_kwargs)``.
    module_kwargs : dict, default=None
    hidden_layer_sizes : tuple of int, default=(128, 128)
        Widths of the default MLP (which adds random Fourier features to inputs
        of at most 4 features).
    image_shape : tuple of int, default=None
        ``(height, width[, channels])`` of flattened image rows.
    objective : {"jem", "hdge"}, default="jem"
    generative_weight : float, default=0.1
        Weight of the :math:`p(x)` term (JEM) or of the contrastive term (HDGE).
        On digits, 0.1 keeps the accuracy and calibration of the softmax
        baseline while :math:`\log p(x)` separates out-of-distribution inputs;
        the weight 1 of the JEM paper made the classifier under-confident in our
        benchmark (``benchmarks/bench_classifier.py``).
    conditional_weight : float, default=0.0
        Weight of the :math:`p(x \mid y)` term (JEM).
    max_epochs : int, default=40
    batch_size : int, default=64
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
    sgld_steps : int, default=5
        Langevin steps per iteration for the negatives. On digits, 5 steps of
        size 2 matched the likelihood and calibration of 10 steps of size 1 at
        half the cost (``benchmarks/bench_classifier.py``).
    sgld_step_size : float, default=2.0
    sgld_noise : float or "exact", default=0.01
        The JEM convention (large step, small noise) by default.
    buffer_size : int, default=10000
    reinit_freq : float, default=0.05
    buffer_init : {"uniform", "gaussian"}, default="uniform"
        Distribution of new and re-initialised chains: uniform over the
        standardised data's range, or a Gaussian fitted to the data. On digits
        the uniform start gave better likelihood and calibration
        than the Gaussian one (see ``benchmarks/bench_classifier.py``).
    energy_reg : float, default=0.1
        L2 penalty on the energies of the contrastive terms.
    hdge_temperature : float, default=0.1
    hdge_queue_size : int, default=1024
    sample_steps : int, default=100
        Langevin steps of :meth:`sample`.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the labelled rows (stratified) and
        stop when their cross-entropy, ``valid_loss`` in the history, has not
        improved for ``n_iter_no_change`` epochs; the best epoch's weights are
        kept.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    warm_start : bool, default=False
        Continue training the fitted network on the next call to :meth:`fit`
        (with a fresh optimizer), instead of starting afresh. The input scaling
        and ``classes_`` of the first fit are kept; new labels must be among
        them.
    device : str, default="cpu"
        Any torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks, default=None
        Added to the net's, e.g. ``skorch.callbacks.Checkpoint``.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
        With a positive value, skorch prints a table of the epochs and shows a
        progress bar of the batches.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``-1``, the unlabelled marker, excluded).
    net_ : ClassifierNet
        The fitted skorch net (``net_.history``, ``net_.module_``).
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
    >>> clf = EnergyClassifier(hidden_layer_sizes=(32,), max_epochs=20,
    ...                        random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.8
    True
    >>> clf.predict_proba(X[:2]).shape, clf.sample(3, y=1, random_state=0).shape
    ((2, 2), (3, 2))
    """

    _parameter_constraints: dict = {
        **BaseEnergyEstimator._common_parameter_constraints,
        "objective": [StrOptions({"jem", "hdge"})],
        "generative_weight": [Interval(Real, 0, None, closed="left")],
        "conditional_weight": [Interval(Real, 0, None, closed="left")],
        "buffer_init": [StrOptions({"gaussian", "uniform"})],
        "hdge_temperature": [Interval(Real, 0, None, closed="neither")],
        "hdge_queue_size": [Interval(Integral, 1, None, closed="left")],
        "sample_steps": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(128, 128),
        image_shape=None,
        objective="jem",
        generative_weight=0.1,
        conditional_weight=0.0,
        max_epochs=40,
        batch_size=64,
        lr=1e-3,
        weight_decay=0.0,
        sgld_steps=5,
        sgld_step_size=2.0,
        sgld_noise=0.01,
        buffer_size=10000,
        reinit_freq=0.05,
        buffer_init="uniform",
        energy_reg=0.1,
        hdge_temperature=0.1,
        hdge_queue_size=1024,
        sample_steps=100,
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
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _default_mlp_kwargs(self) -> dict:
        # As for densities: Fourier features let p(x) resolve thin structures of
        # low-dimensional inputs (e.g. spiral arms), which semi-supervised
        # learning relies on.
        if self.n_features_in_ <= 4:
            return {"n_fourier_features": 64, "fourier_scale": 3.0}
        return {}

    def _validate_y(self, y, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Classes (``-1`` excluded) and labels encoded as their indices, -1 kept."""
        y = column_or_1d(y, warn=True)
        if len(y) != n_samples:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_samples} and "
                f"{len(y)}."
            )
        unlabeled = _unlabeled_mask(y)
        labels = y[~unlabeled]
        if labels.dtype == object:
            kinds = {_label_kind(label) for label in labels}
            if len(kinds) > 1:
                raise ValueError(
                    f"y mixes labels of types {sorted(kinds)}; use labels of one "
                    "type, all strings or all numbers."
                )
        if labels.size == 0:
            raise ValueError(
                "y contains only unlabelled rows (-1); at least two classes need "
                "labelled rows."
            )
        if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
            raise ValueError("y contains NaN or infinity.")
        target = type_of_target(labels, input_name="y", raise_unknown=True)
        if target not in ("binary", "multiclass"):
            raise ValueError(
                f"EnergyClassifier supports binary and multiclass targets, got "
                f"{target!r}."
            )
        encoder = LabelEncoder().fit(labels)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"y has 1 class ({encoder.classes_[0]!r}) among its labelled rows; "
                "a classifier needs at least two."
            )
        encoded = np.full(n_samples, -1, dtype=np.int64)
        encoded[~unlabeled] = encoder.transform(labels)
        return encoder.classes_, encoded

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the classifier (and its energy) on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` marks unlabelled rows.

        Returns
        -------
        self : EnergyClassifier
        """
        warm = self._warm_start()
        X = self._validate_X(X, reset=not warm)
        classes, encoded = self._validate_y(y, X.shape[0])
        if warm:
            encoded = self._encode_known(classes, encoded)
        else:
            self.classes_ = classes
            self._fit_scaling(X)
        torch_seed, sampler_seed = self._seeds()
        train, valid = self._split(encoded, np.random.RandomState(sampler_seed))
        Z = self._to_tensor(X)
        y_tensor = torch.as_tensor(encoded, device=self.device)
        validation = None if valid is None else (Z[valid], y_tensor[valid])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(torch_seed)
            if warm:
                module = self.net_.module_
            else:
                module = self._build_module(X.shape[1], len(self.classes_))
                module = LogitsEnergy(module)
            generator = self._generator(sampler_seed)
            semi_supervised = bool((encoded < 0).any())
            net = self._make_net(module, Z, generator, semi_supervised, validation)
            if warm:
                net.buffer = self.net_.buffer  # the chains persist too
            self._train(net, Z[train], y_tensor[train], warm=warm)
        return self

    def _encode_known(self, classes, encoded) -> np.ndarray:
        """Re-encode labels against the ``classes_`` of the previous fit."""
        unseen = classes[~np.isin(classes, self.classes_)]
        if unseen.size:
            raise ValueError(
                f"y has classes not seen by the previous fit: {unseen}; with "
                "warm_start=True the classes must stay those of the first fit "
                f"({self.classes_})."
            )
        index = np.searchsorted(self.classes_, classes)
        return np.where(encoded >= 0, index[np.maximum(encoded, 0)], -1)

    def _split(self, encoded: np.ndarray, rng: np.random.RandomState):
        """Training and validation rows: a stratified share of the labelled rows
        is held out when ``early_stopping``; unlabelled rows are all trained on."""
        train = np.arange(len(encoded))
        labeled = np.flatnonzero(encoded >= 0)
        n_valid = round(self.validation_fraction * len(labeled))
        if not self.early_stopping or n_valid < 1:
            return train, None
        stratify = encoded[labeled]
        if np.bincount(stratify).min() < 2 or n_valid < stratify.max() + 1:
            stratify = None
        if len(labeled) - n_valid < 2:
            raise ValueError(
                f"early_stopping holds out {n_valid} of the {len(labeled)} "
                "labelled rows, which leaves too few to train on; lower "
                "validation_fraction or set early_stopping=False."
            )
        _, valid = train_test_split(
            labeled, test_size=n_valid, stratify=stratify, random_state=rng
        )
        valid = np.sort(valid)
        return np.setdiff1d(train, valid), valid

    def _make_net(
        self, module, Z, generator, semi_supervised, validation=None
    ) -> ClassifierNet:
        Z_cpu = Z.cpu()
        init = (
            Gaussian.from_data(Z_cpu)
            if self.buffer_init == "gaussian"
            else Uniform.from_data(Z_cpu)
        ).to(self.device)
        if self.objective == "jem":
            criterion = JEMLoss
            criterion_params = {
                "criterion__generative_weight": self.generative_weight,
                "criterion__conditional_weight": self.conditional_weight,
                "criterion__energy_reg": self.energy_reg,
                "criterion__semi_supervised": semi_supervised,
            }
        else:
            criterion = HDGELoss
            criterion_params = {
                "criterion__generative_weight": self.generative_weight,
                "criterion__temperature": self.hdge_temperature,
            }
        callbacks = []
        if validation is not None:
            callbacks = self._stopping_callbacks("valid_loss", lower_is_better=True)
        return ClassifierNet(
            module,
            criterion=criterion,
            **criterion_params,
            objective=self.objective,
            buffer=ReplayBuffer(
                init, self.buffer_size, self.reinit_freq, generator=generator
            ),
            queue_size=self.hdge_queue_size,
            sgld_steps=self.sgld_steps,
            sgld_step_size=self.sgld_step_size,
            sgld_noise=self.sgld_noise,
            generator=generator,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=TensorBatches,
            iterator_train__shuffle=True,
            iterator_valid=TensorBatches,
            train_split=None
            if validation is None
            else predefined_split(Dataset(*validation)),
            callbacks=callbacks + self._extra_callbacks(),
            device=self.device,
            **self._verbosity(),
        )

    def _logits(self, X, reduce=None) -> np.ndarray:
        """Logits of the rows of ``X``, or ``reduce(logits)`` batch by batch, so
        that no array of all the logits is made (a ``(n_samples, n_classes)``
        tensor)."""
        check_is_fitted(self, "net_")
        X = self._validate_X(X, reset=False)
        if reduce is None:
            return self._batched(lambda module, Z: module.logits(Z), X)
        return self._batched(lambda module, Z: reduce(module.logits(Z)), X)

    def decision_function(self, X):
        """Logits :math:`f(x)`; for binary problems the logit difference.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Shape ``(n_samples,)`` for two classes (positive: ``classes_[1]``).
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
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

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_log_proba(X)
        return np.exp(proba, out=proba)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        index = self._logits(X, reduce=lambda logits: logits.argmax(1))
        return self.classes_[index.astype(np.intp)]

    def score_samples(self, X):
        """Unnormalised log-density :math:`-E(x) = \\log\\sum_y e^{f(x)[y]}`.

        Higher for rows the model finds more typical of the training data; the
        usual out-of-distribution score of JEM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self._logits(
            X, reduce=lambda logits: torch.logsumexp(logits.double(), dim=1)
        )

    def _sample_class_index(self, y, n_samples: int) -> np.ndarray:
        """Indices in ``classes_`` of the labels ``y`` of :meth:`sample`, one per
        sample; a ValueError names labels that are not classes."""
        try:
            labels = np.asarray(y)
        except ValueError as err:
            raise ValueError(
                f"y must be a label or a 1-D array of labels: {err}"
            ) from err
        if labels.ndim > 1 or (labels.ndim == 1 and len(labels) != n_samples):
            raise ValueError(
                f"y must be a single label or one label per sample, i.e. of shape "
                f"({n_samples},); got shape {labels.shape}."
            )
        # Labels are matched by equality (1.0 is class 1, 1.5 and "1" are not),
        # never cast to the dtype of classes_, which would truncate them.
        lookup = {label: i for i, label in enumerate(self.classes_.tolist())}

        def find(label):
            try:
                return lookup.get(label)
            except TypeError:  # unhashable
                return None

        labels = np.atleast_1d(labels).tolist()
        index = [find(label) for label in labels]
        unknown = [label for label, i in zip(labels, index, strict=True) if i is None]
        if unknown:
            raise ValueError(
                f"y contains labels not in classes_ {self.classes_.tolist()}: "
                f"{unknown[:5]}."
            )
        return np.broadcast_to(np.array(index, dtype=np.int64), (n_samples,)).copy()

    @limit_torch_threads()
    def sample(self, n_samples=1, *, y=None, random_state=None):
        """Draw from :math:`p(x)` or, with ``y``, from :math:`p(x \\mid y)`.

        Chains start from the buffer's initial distribution (a Gaussian fitted
        to the data by default) and run ``sample_steps`` Langevin steps.

        Parameters
        ----------
        n_samples : int, default=1
        y : label or array-like of shape (n_samples,), default=None
            Class(es) to condition on; a single label applies to every sample.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "net_")
        _check_n_samples(n_samples)
        seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
        generator = self._generator(seed)
        module = self.net_.module_.eval()
        energy = module
        if y is not None:
            index = torch.as_tensor(
                self._sample_class_index(y, n_samples), device=self.device
            )

            def energy(z):
                return module.energy_xy(z, index)

        start = self.net_.buffer.init.sample(n_samples, generator)
        Z = langevin(
            energy,
            start,
            n_steps=self.sample_steps,
            step_size=self.sgld_step_size,
            noise_std=self.sgld_noise,
            generator=generator,
        )
        return Z.double().cpu().numpy() * self.scale_ + self.mean_
