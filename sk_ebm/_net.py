"""skorch nets that train energy modules: one training step per objective."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import unpack_data
from torch import Tensor

from sk_ebm.exceptions import DivergenceError
from sk_ebm.nn import ResidualEnergy
from sk_ebm.objectives import (
    ContrastiveDivergenceLoss,
    ImportanceSamplingNLL,
    JEMLoss,
    NCELoss,
)
from sk_ebm.sampling import langevin

__all__ = [
    "ClassifierNet",
    "DelayedEarlyStopping",
    "EnergyNet",
    "LogLikelihoodMonitor",
    "NCEModule",
    "NCENet",
    "NCEValidationLoss",
    "TensorBatches",
]


def split_energy(module: torch.nn.Module, x: Tensor) -> tuple[Tensor, Tensor | float]:
    """Learned and fixed parts of the energy of ``x`` (the fixed part may be 0)."""
    if isinstance(module, ResidualEnergy):
        return module.energy(x), module.base(x)
    return module(x), 0.0


class EnergyNet(NeuralNet):
    """A skorch net whose training step is a maximum-likelihood step of an EBM.

    ``objective="pcd"``: negatives from persistent Langevin chains kept in
    ``buffer`` (a :class:`~sk_ebm.sampling.ReplayBuffer`), loss
    :class:`~sk_ebm.objectives.ContrastiveDivergenceLoss`.
    ``objective="importance"``: ``n_proposal_samples`` fresh draws from
    ``proposal`` per step, loss :class:`~sk_ebm.objectives.ImportanceSamplingNLL`.

    The L2 energy penalty applies to the learned part of a
    :class:`~sk_ebm.nn.ResidualEnergy` only. Every step checks the loss and the
    energies; a non-finite value or an energy above ``max_abs_energy`` restores
    the weights (and chains) of the last finished epoch whose energies passed
    that check, with a fresh optimizer state, and raises
    :class:`~sk_ebm.exceptions.DivergenceError`. ``generator`` (a
    :class:`torch.Generator` on the net's device) drives all sampling noise.
    """

    def __init__(
        self,
        module,
        *args,
        criterion=ContrastiveDivergenceLoss,
        objective="pcd",
        buffer=None,
        proposal=None,
        n_proposal_samples=4096,
        sgld_steps=20,
        sgld_step_size=1.0,
        sgld_noise=0.01,
        sgld_grad_clip=None,
        max_abs_energy=1e4,
        generator=None,
        **kwargs,
    ):
        # Set before NeuralNet.__init__: skorch refuses torch modules as plain
        # attributes afterwards; the proposal becomes ``proposal_`` at initialize.
        self.proposal = proposal
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.objective = objective
        self.buffer = buffer
        self.n_proposal_samples = n_proposal_samples
        self.sgld_steps = sgld_steps
        self.sgld_step_size = sgld_step_size
        self.sgld_noise = sgld_noise
        self.sgld_grad_clip = sgld_grad_clip
        self.max_abs_energy = max_abs_energy
        self.generator = generator

    def initialize_module(self):
        super().initialize_module()
        if self.proposal is not None:
            self.proposal_ = self.proposal.to(self.device)
        return self

    # -- training step -------------------------------------------------------
    def _negatives(self, n: int, energy=None, persistent: bool = True) -> Tensor:
        if persistent:
            x, index = self.buffer.sample(n, generator=self.generator)
        else:
            x = self.buffer.init.sample(n, generator=self.generator)
        x = langevin(
            self.module_ if energy is None else energy,
            x,
            n_steps=self.sgld_steps,
            step_size=self.sgld_step_size,
            noise_std=self.sgld_noise,
            grad_clip=self.sgld_grad_clip,
            generator=self.generator,
        )
        if persistent:
            self.buffer.update(index, x)
        return x

    def _backward_checked(self, loss: Tensor, *energies: Tensor) -> None:
        """Raise DivergenceError on a non-finite loss or an energy beyond
        ``max_abs_energy``, else backpropagate.

        Non-finite gradients from a finite loss make the next step's energies
        non-finite, which is caught there; the weights are then restored from
        the last finished epoch either way. The scalars are compared in Python
        (a few small device syncs), which costs a quarter of the same test in
        tensor operations for small networks.
        """
        value = float(loss.detach())
        peaks = [float(energy.detach().abs().amax()) for energy in energies]
        # A NaN fails both comparisons.
        if not (math.isfinite(value) and all(p <= self.max_abs_energy for p in peaks)):
            raise DivergenceError(
                f"non-finite loss or energies beyond {self.max_abs_energy:g} in "
                f"absolute value, in epoch {len(self.history)}"
            )
        if self._snapshot_due:
            self._snapshot()
        loss.backward()

    def train_step(self, batch, **fit_params):
        """One optimisation step (skorch's ``train_step``, made cheaper).

        skorch notifies ``on_grad_computed`` on every batch with a generator over
        all learnable parameters, which walks the module tree each time; for the
        small networks of tabular data that walk costs as much as the step. It
        is done here only when a callback overrides ``on_grad_computed`` (e.g.
        ``GradientNormClipping``).
        """
        listening = [
            cb
            for _, cb in self.callbacks_
            if type(cb).on_grad_computed is not Callback.on_grad_computed
        ]
        if listening:
            return super().train_step(batch, **fit_params)
        step_accumulator = self.get_train_step_accumulator()

        def step_fn():
            self._zero_grad_optimizer()
            step = self.train_step_single(batch, **fit_params)
            step_accumulator.store_step(step)
            return step["loss"]

        self._step_optimizer(step_fn)
        return step_accumulator.get_step()

    def _train_mode(self) -> None:
        # skorch's _set_training walks every module on every step; once is enough.
        if not self.module_.training:
            self._set_training(True)

    def train_step_single(self, batch, **fit_params):
        self._train_mode()
        x_pos, _ = unpack_data(batch)
        x_pos = x_pos.to(self.device)
        n = x_pos.shape[0]
        if self.objective == "pcd":
            x_neg = self._negatives(n)
            learned, _ = split_energy(self.module_, torch.cat([x_pos, x_neg]))
            loss = self.criterion_(learned[:n], learned[n:])
        else:
            x_prop = self.proposal_.sample(self.n_proposal_samples, self.generator)
            log_q = self.proposal_.log_prob(x_prop)
            learned, base = split_energy(self.module_, torch.cat([x_pos, x_prop]))
            if not isinstance(base, float):
                base = base[n:]
            energy_prop = learned[n:] + base
            loss = self.criterion_(learned[:n], energy_prop, log_q)
        self._backward_checked(loss, learned)
        return {"loss": loss, "y_pred": learned[:n].detach()}

    # -- divergence guard ----------------------------------------------------
    def _uses_chains(self) -> bool:
        """Whether training moves the persistent chains of ``buffer``."""
        return self.buffer is not None and self.objective == "pcd"

    def _snapshot(self) -> None:
        self._snapshot_due = False
        self._last_good_state = {
            k: v.detach().clone() for k, v in self.module_.state_dict().items()
        }
        # The chains are part of the state: a warm restart from diverged chains
        # would diverge again.
        self._last_good_chains = (
            self.buffer.states.clone() if self._uses_chains() else None
        )

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._snapshot()

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        # The weights after an epoch's last update are kept only once the next
        # epoch's first step has checked the energies they give.
        self._snapshot_due = True

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except DivergenceError:
            self.module_.load_state_dict(self._last_good_state)
            if self._last_good_chains is not None:
                self.buffer.states = self._last_good_chains
            # The optimizer's moments led to the divergence: start them afresh.
            self.initialize_optimizer()
            raise

    def __getstate__(self):
        state = super().__getstate__()
        # A torch.Generator cannot be pickled; the snapshot is training-only.
        state["generator"] = None
        state.pop("_last_good_state", None)
        state.pop("_last_good_chains", None)
        state.pop("_snapshot_due", None)
        return state


class LogLikelihoodMonitor(Callback):
    """Record the normalised mean log-likelihood of train and validation rows.

    ``log Z`` is estimated once per epoch by importance sampling from
    ``proposal`` with the same ``n_samples`` draws every epoch (common random
    numbers keep the curve smooth); with ``proposal=None`` it is the module's
    learned ``log_partition`` (:class:`NCEModule`). ``offset`` converts to the
    data's units (the log-Jacobian of the input scaling). Adds
    ``train_log_likelihood`` and, when ``X_valid`` is given,
    ``valid_log_likelihood`` to the history.
    """

    def __init__(
        self, proposal, X_train, X_valid=None, *, offset=0.0, n_samples=16384, seed=0
    ):
        self.proposal = proposal
        self.X_train = X_train
        self.X_valid = X_valid
        self.offset = offset
        self.n_samples = n_samples
        self.seed = seed

    def initialize(self):
        self.draws_ = None
        return self

    @torch.no_grad()
    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        if self.proposal is None:
            log_z = module.log_partition
        else:
            if self.draws_ is None:
                device = next(iter(self.proposal.buffers())).device
                generator = torch.Generator(device=device).manual_seed(self.seed)
                x = self.proposal.sample(self.n_samples, generator)
                self.draws_ = (x, self.proposal.log_prob(x))
            x, log_q = self.draws_
            log_z = ImportanceSamplingNLL.log_partition(module(x), log_q)
        scores = {"train": self.X_train, "valid": self.X_valid}
        for name, data in scores.items():
            if data is None:
                continue
            value = -module(data).mean() - log_z + self.offset
            net.history.record(f"{name}_log_likelihood", float(value))

    def on_train_end(self, net, **kwargs):
        # Keep no data in a fitted (and possibly pickled) model.
        self.draws_ = self.X_train = self.X_valid = None


class DelayedEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, watching only after ``start`` epochs (a warm-up)."""

    def __init__(self, *args, start=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.start = start

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) > self.start:
            super().on_epoch_end(net, **kwargs)


class NCEValidationLoss(Callback):
    """Record the NCE loss of validation rows as ``valid_nce_loss`` per epoch.

    The noise draws (``noise_ratio`` per row) are taken once, with a fixed
    seed, so that the curve measures the model and not the draws; a noise with
    trainable parameters (a flow) is redrawn and re-evaluated every epoch.
    """

    def __init__(self, X_valid, *, seed=0):
        self.X_valid = X_valid
        self.seed = seed

    def initialize(self):
        self.draws_ = None
        return self

    @torch.no_grad()
    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        noise = module.noise
        fixed = not any(True for _ in noise.parameters())
        n = self.X_valid.shape[0]
        if self.draws_ is None or not fixed:
            generator = torch.Generator(device=self.X_valid.device)
            generator.manual_seed(self.seed)
            m = math.ceil(net.criterion_.noise_ratio * n)
            x = torch.cat([self.X_valid, noise.sample(m, generator)])
            self.draws_ = (x, noise.log_prob(x))
        x, log_q = self.draws_
        log_ratio = -module.energy(x) - module.log_partition - log_q
        loss = net.criterion_(log_ratio[:n], log_ratio[n:])
        net.history.record("valid_nce_loss", float(loss))

    def on_train_end(self, net, **kwargs):
        self.draws_ = self.X_valid = None


class TensorBatches:
    """Batches of a tensor dataset by slicing, without per-row Python work.

    A drop-in ``iterator_train``/``iterator_valid`` for skorch when ``X`` is a
    tensor already on the device: the default ``DataLoader`` would index and
    collate one row at a time. Shuffling draws from torch's global generator,
    which the estimators seed.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, **kwargs):
        self.X = dataset.X
        self.y = dataset.y
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(self.X.shape[0] / self.batch_size)

    def __iter__(self):
        n = self.X.shape[0]
        X, y = self.X, self.y
        if self.shuffle:
            order = torch.randperm(n).to(X.device)
            X = X[order]
            y = None if y is None else y[order]
        for start in range(0, n, self.batch_size):
            stop = start + self.batch_size
            yield X[start:stop], (None if y is None else y[start:stop])


class ClassifierNet(EnergyNet):
    r"""A skorch net training a :class:`~sk_ebm.nn.LogitsEnergy` as a classifier.

    ``objective="jem"``: :class:`~sk_ebm.objectives.JEMLoss`, with negatives of
    :math:`p(x)` from the persistent chains in ``buffer`` (only when the
    criterion's ``generative_weight`` is non-zero, so that a weight of 0 is a
    plain softmax classifier) and short-run chains of :math:`p(x \mid y)` for the
    conditional term. ``objective="hdge"``: :class:`~sk_ebm.objectives.HDGELoss`
    against a queue of the last ``queue_size`` normalised logits. Rows labelled
    -1 are unlabelled.
    """

    def __init__(self, module, *args, criterion=JEMLoss, queue_size=1024, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.queue_size = queue_size

    def _uses_chains(self) -> bool:
        return (
            self.buffer is not None
            and self.objective == "jem"
            and bool(self.criterion_.generative_weight)
        )

    def _enqueue(self, normalized: Tensor) -> None:
        queue = getattr(self, "queue_", None)
        queue = normalized if queue is None else torch.cat([normalized, queue])
        self.queue_ = queue[: self.queue_size].detach()

    def train_step_single(self, batch, **fit_params):
        self._train_mode()
        x, y = unpack_data(batch)
        logits = self.module_.logits(x)
        criterion = self.criterion_
        logits_neg = logits_cond = y_neg = None
        if self.objective == "hdge":
            labeled = y >= 0
            loss = criterion(logits[labeled], y[labeled], getattr(self, "queue_", None))
            self._enqueue(F.normalize(logits[labeled].detach(), dim=1))
        else:
            n = x.shape[0]
            if criterion.generative_weight:
                logits_neg = self.module_.logits(self._negatives(n))
            if criterion.conditional_weight:
                n_classes = logits.shape[1]
                y_neg = torch.randint(
                    n_classes, (n,), generator=self.generator, device=x.device
                )
                x_cond = self._negatives(
                    n,
                    energy=lambda z: self.module_.energy_xy(z, y_neg),
                    persistent=False,
                )
                logits_cond = self.module_.logits(x_cond)
            loss = criterion(logits, y, logits_neg, logits_cond, y_neg)
        energies = [t for t in (logits, logits_neg, logits_cond) if t is not None]
        self._backward_checked(loss, *energies)
        return {"loss": loss, "y_pred": logits.detach()}

    def validation_step(self, batch, **fit_params):
        """Cross-entropy of a validation batch (its rows are all labelled)."""
        self._set_training(False)
        x, y = unpack_data(batch)
        with torch.no_grad():
            logits = self.module_.logits(x)
            loss = F.cross_entropy(logits, y)
        return {"loss": loss, "y_pred": logits}


class NCEModule(torch.nn.Module):
    r"""An energy, its learned log-partition :math:`c` and the noise of NCE.

    ``forward`` returns the unnormalised energy :math:`E(x)`;
    :math:`\log p(x) = -E(x) - c`. ``noise`` has ``sample(n, generator)`` and
    ``log_prob(x)``; its parameters (a flow's) are trained by :class:`NCENet`
    with their own optimizer, the energy's and :math:`c` with the net's.
    """

    def __init__(self, energy: torch.nn.Module, noise: torch.nn.Module) -> None:
        super().__init__()
        self.energy = energy
        self.noise = noise
        self.log_partition = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return self.energy(x)


class NCENet(EnergyNet):
    r"""A skorch net training an :class:`NCEModule` by noise-contrastive estimation.

    Each step draws ``ceil(noise_ratio * n)`` noise points for a batch of ``n``
    rows and minimises :class:`~sk_ebm.objectives.NCELoss` over the energy and
    :math:`c`. A noise with trainable parameters (a normalizing flow) is trained
    adversarially as in Flow Contrastive Estimation (Gao et al., 2020): while
    the balanced data-vs-noise accuracy of the last step exceeds
    ``flow_threshold``, the
    step updates the noise to *maximise* the loss (to fool the classifier);
    otherwise it updates the energy. During the first ``flow_warmup_epochs``
    the flow is instead fitted to the data by maximum likelihood (one step per
    batch, next to the energy's step). The per-step accuracy is recorded in the
    batch history as ``nce_accuracy``.
    """

    def __init__(
        self,
        module,
        *args,
        criterion=NCELoss,
        flow_threshold=0.6,
        flow_lr=1e-3,
        flow_warmup_epochs=0,
        **kwargs,
    ):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.flow_threshold = flow_threshold
        self.flow_lr = flow_lr
        self.flow_warmup_epochs = flow_warmup_epochs

    def get_all_learnable_params(self):
        for name, param in self.module_.named_parameters():
            if not name.startswith("noise."):
                yield name, param

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        noise_params = list(self.module_.noise.parameters())
        self.noise_optimizer_ = (
            torch.optim.Adam(noise_params, lr=self.flow_lr) if noise_params else None
        )
        self.accuracy_ = 0.5
        return self

    def train_step(self, batch, **fit_params):
        self._train_mode()
        x, _ = unpack_data(batch)
        module = self.module_
        n = x.shape[0]
        m = math.ceil(self.criterion_.noise_ratio * n)
        trainable = self.noise_optimizer_ is not None
        warmup = trainable and len(self.history) <= self.flow_warmup_epochs
        if warmup:
            # Maximum-likelihood warm-up of the flow, so that the adversarial
            # game starts from a noise close to the data.
            self.noise_optimizer_.zero_grad()
            nll = -module.noise.log_prob(x).mean()
            self._backward_checked(nll, nll.detach().reshape(1))
            self.noise_optimizer_.step()
        train_noise = trainable and not warmup and self.accuracy_ > self.flow_threshold
        with torch.set_grad_enabled(train_noise):
            noise = module.noise.sample(m, self.generator)
            log_q = module.noise.log_prob(torch.cat([x, noise]))
        energy = module.energy(torch.cat([x, noise]))
        log_ratio = -energy - module.log_partition - log_q
        loss = self.criterion_(log_ratio[:n], log_ratio[n:])
        log_odds = self.criterion_.log_odds(log_ratio.detach())
        # Balanced accuracy: its chance level is 0.5 whatever the noise ratio
        # (calling every point noise already scores nu / (1 + nu) pooled).
        balanced = 0.5 * (
            (log_odds[:n] > 0).float().mean() + (log_odds[n:] < 0).float().mean()
        )

        self.optimizer_.zero_grad()
        if self.noise_optimizer_ is not None:
            self.noise_optimizer_.zero_grad()
        # The noise maximises the loss that the energy minimises.
        self._backward_checked(-loss if train_noise else loss, energy)
        (self.noise_optimizer_ if train_noise else self.optimizer_).step()
        self.accuracy_ = float(balanced)
        self.history.record_batch("nce_accuracy", self.accuracy_)
        return {"loss": loss.detach(), "y_pred": energy[:n].detach()}
