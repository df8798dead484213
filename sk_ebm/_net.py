"""skorch nets that train energy modules: one training step per objective.

Each net overrides skorch's ``train_step_single`` only (through
:meth:`EnergyNet.objective_step`), so that skorch's own ``train_step`` zeroes
the gradients, notifies ``on_grad_computed`` (e.g. ``GradientNormClipping``)
and steps the optimizers for every objective. The objective is the criterion
itself: a net is chosen by its loss, never by a string.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from torch import Tensor

from sk_ebm._divergence import DivergenceGuard
from sk_ebm.nn import GaussianDiscriminant, ResidualEnergy
from sk_ebm.objectives import (
    ContrastiveDivergenceLoss,
    HDGELoss,
    ImportanceSamplingNLL,
    JEMLoss,
    NCELoss,
    NCEPlusLoss,
    QuadratureNLL,
)
from sk_ebm.sampling import langevin

__all__ = [
    "EnergyNet",
    "HDGENet",
    "ImportanceNet",
    "JEMNet",
    "NCENet",
    "NCEPlusNet",
    "PCDNet",
    "QuadratureNet",
]


def split_energy(module: torch.nn.Module, x: Tensor) -> tuple[Tensor, Tensor | float]:
    """Learned and fixed parts of the energy of ``x`` (the fixed part may be 0)."""
    if isinstance(module, ResidualEnergy):
        return module.energy(x), module.base(x)
    return module(x), 0.0


class EnergyNet(DivergenceGuard, NeuralNet):
    """A skorch net whose training step is one step of an EBM objective.

    Subclasses implement :meth:`objective_step`. The net holds the sampling
    state that the objectives need: ``buffer`` (a
    :class:`~sk_ebm.sampling.ReplayBuffer` of persistent chains, ``buffer_``
    once initialised), ``proposal`` (a distribution, ``proposal_``) and
    ``generator`` (a :class:`torch.Generator` on the net's device that drives
    all sampling noise).

    Training checks the loss and the energies (see :meth:`_check_finite`);
    a non-finite value or an energy above ``max_abs_energy`` restores the
    weights (and chains) of the last finished epoch whose energies passed
    that check, with a fresh optimizer state, and raises
    :class:`~sk_ebm.exceptions.DivergenceError`.
    Callback hooks are only called on the callbacks that implement them.
    """

    def __init__(
        self,
        module,
        *args,
        buffer=None,
        proposal=None,
        sgld_steps=20,
        sgld_step_size=1.0,
        sgld_noise=0.01,
        sgld_grad_clip=None,
        max_abs_energy=1e4,
        generator=None,
        **kwargs,
    ):
        # Set before NeuralNet.__init__: skorch registers torch modules set
        # afterwards; they become ``buffer_`` and ``proposal_`` at initialize.
        self.buffer = buffer
        self.proposal = proposal
        super().__init__(module, *args, **kwargs)
        self.sgld_steps = sgld_steps
        self.sgld_step_size = sgld_step_size
        self.sgld_noise = sgld_noise
        self.sgld_grad_clip = sgld_grad_clip
        self.max_abs_energy = max_abs_energy
        self.generator = generator

    def initialize_module(self):
        super().initialize_module()
        for name in ("buffer", "proposal"):
            part = getattr(self, name)
            if part is not None:
                setattr(self, name + "_", part.to(self.device))
        return self

    def initialize_callbacks(self):
        super().initialize_callbacks()
        self._listeners = {}
        return self

    def get_all_learnable_params(self):
        params = list(super().get_all_learnable_params())
        if not params:
            # A fixed energy (an estimator's base alone) is never trained, but
            # skorch's optimizer needs a parameter.
            params = [("unused", torch.nn.Parameter(torch.zeros(0)))]
        yield from params

    #: Whether the net records values of its own in the batch history.
    records_batches = False

    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``, calling only what implements ``method_name``:
        most hooks run on every batch, and few callbacks (or the net itself)
        implement them."""
        for hook in self._hooks(method_name):
            hook(self, **cb_kwargs)

    def _hooks(self, method_name) -> list:
        """The net's and the callbacks' methods that implement a hook."""
        listeners = self._listeners.get(method_name)
        if listeners is None:
            base = getattr(Callback, method_name, None)
            listeners = [
                getattr(cb, method_name)
                for _, cb in self.callbacks_
                if base is None or getattr(type(cb), method_name, None) is not base
            ]
            own = getattr(type(self), method_name)
            if own is not getattr(NeuralNet, method_name) or method_name in (
                "on_batch_begin",  # skorch's net opens the batch's history row
                "on_epoch_begin",
            ):
                listeners.insert(0, getattr(self, method_name))
            self._listeners[method_name] = listeners
        return listeners

    # -- training step -------------------------------------------------------
    def objective_step(self, x: Tensor, y: Tensor | None):
        """Loss of a batch, the energies to check, and the step's ``y_pred``."""
        raise NotImplementedError

    def train_step_single(self, batch, **fit_params):
        """Compute the objective's loss on ``batch`` and backpropagate it."""
        # skorch's _set_training walks every module on every step; once is enough.
        if not self.module_.training:
            self._set_training(True)
        x, y = unpack_data(batch)
        loss, energies, y_pred = self.objective_step(x, y)
        self._backward_checked(loss, *energies)
        return {"loss": loss, "y_pred": y_pred}

    def _negatives(self, n: int, energy=None, persistent: bool = True) -> Tensor:
        if persistent:
            x, index = self.buffer_.sample(n, generator=self.generator)
        else:
            x = self.buffer_.init.sample(n, generator=self.generator)
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
            self.buffer_.update(index, x)
        return x

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, with one row of batch history per epoch (the mean
        loss and the number of rows, which skorch's scoring reads) unless a
        callback listens to the batches, ``verbose`` is set or the net records
        values per batch: per-batch bookkeeping is a tenth of a small
        network's step."""
        batch_hooks = ("on_batch_begin", "on_batch_end", "on_grad_computed")
        callback_reads_batches = any(
            hook.__self__ is not self
            for name in batch_hooks
            for hook in self._hooks(name)
        )
        if (
            iterator is None
            or self.records_batches
            or self.verbose
            or (callback_reads_batches)
        ):
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        total, n_rows, n_batches = 0.0, 0, 0
        # Python scalars on the CPU, a device tensor elsewhere (no sync).
        on_cpu = self._on_cpu
        for batch in iterator:
            step = step_fn(batch, **fit_params)
            n = len(batch[0])
            loss = step["loss"].detach()
            total = total + (loss.item() if on_cpu else loss) * n
            n_rows += n
            n_batches += 1
        self.history.new_batch()
        self.history.record_batch(prefix + "_loss", float(total) / max(n_rows, 1))
        self.history.record_batch(prefix + "_batch_size", n_rows)
        self.history.record(prefix + "_batch_count", n_batches)

    def __getstate__(self):
        state = super().__getstate__()
        # A torch.Generator cannot be pickled; the hook cache is rebuilt.
        state["generator"] = None
        state.pop("_listeners", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._listeners = {}


class PCDNet(EnergyNet):
    """Persistent contrastive divergence: negatives from Langevin chains in
    ``buffer``, loss :class:`~sk_ebm.objectives.ContrastiveDivergenceLoss`
    (its L2 energy penalty on the learned part of a
    :class:`~sk_ebm.nn.ResidualEnergy` only)."""

    def __init__(self, module, *args, criterion=ContrastiveDivergenceLoss, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)

    def uses_chains(self) -> bool:
        return True

    def objective_step(self, x, y):
        n = x.shape[0]
        x_neg = self._negatives(n)
        learned, _ = split_energy(self.module_, torch.cat([x, x_neg]))
        loss = self.criterion_(learned[:n], learned[n:])
        return loss, (learned,), learned[:n].detach()


class ImportanceNet(EnergyNet):
    """Maximum likelihood with :math:`\\log Z` estimated at every step from
    ``n_proposal_samples`` fresh draws of ``proposal``
    (:class:`~sk_ebm.objectives.ImportanceSamplingNLL`)."""

    def __init__(
        self,
        module,
        *args,
        criterion=ImportanceSamplingNLL,
        n_proposal_samples=4096,
        **kwargs,
    ):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.n_proposal_samples = n_proposal_samples

    def objective_step(self, x, y):
        n = x.shape[0]
        x_prop = self.proposal_.sample(self.n_proposal_samples, self.generator)
        log_q = self.proposal_.log_prob(x_prop)
        learned, base = split_energy(self.module_, torch.cat([x, x_prop]))
        if not isinstance(base, float):
            base = base[n:]
        loss = self.criterion_(learned[:n], learned[n:] + base, log_q)
        return loss, (learned,), learned[:n].detach()


class _ClassifierNet(EnergyNet):
    """A net training a :class:`~sk_ebm.nn.LogitsEnergy` as a classifier; rows
    labelled -1 are unlabelled, validation rows are all labelled."""

    def _base_logits(self, x):
        """The fixed logits of ``x`` where the logits tilt a base
        (:class:`~sk_ebm.nn.GaussianDiscriminant`), else None."""
        logits = self.module_.logits
        if not isinstance(logits, GaussianDiscriminant):
            return None
        with torch.no_grad():
            return logits.base_logits(x)

    def _learned(self, logits, base):
        """The residual part of ``logits``: the one the divergence check and
        the energy penalty watch (a base's logits may be large by nature)."""
        return logits if base is None else logits - base

    def validation_step(self, batch, **fit_params):
        """Cross-entropy of a validation batch."""
        self._set_training(False)
        x, y = unpack_data(batch)
        with torch.no_grad():
            logits = self.module_.logits(x)
            loss = F.cross_entropy(logits, y)
        return {"loss": loss, "y_pred": logits}


class JEMNet(_ClassifierNet):
    r""":class:`~sk_ebm.objectives.JEMLoss`, with negatives of :math:`p(x)`
    from the persistent chains in ``buffer`` (only when the criterion's
    ``generative_weight`` is non-zero, so that a weight of 0 is a plain softmax
    classifier) and short-run chains of :math:`p(x \mid y)` for the
    conditional term."""

    def __init__(self, module, *args, criterion=JEMLoss, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)

    def uses_chains(self) -> bool:
        return self.buffer_ is not None and bool(self.criterion_.generative_weight)

    def objective_step(self, x, y):
        logits = self.module_.logits(x)
        criterion = self.criterion_
        logits_neg = logits_cond = y_neg = x_neg = x_cond = None
        n = x.shape[0]
        if criterion.generative_weight:
            x_neg = self._negatives(n)
            logits_neg = self.module_.logits(x_neg)
        if criterion.conditional_weight:
            y_neg = torch.randint(
                logits.shape[1], (n,), generator=self.generator, device=x.device
            )
            x_cond = self._negatives(
                n,
                energy=lambda z: self.module_.energy_xy(z, y_neg),
                persistent=False,
            )
            logits_cond = self.module_.logits(x_cond)
        base = None
        if isinstance(self.module_.logits, GaussianDiscriminant):
            base = tuple(
                None if z is None else self._base_logits(z) for z in (x, x_neg, x_cond)
            )
        loss = criterion(logits, y, logits_neg, logits_cond, y_neg, base=base)
        triples = zip(
            (logits, logits_neg, logits_cond), base or (None,) * 3, strict=True
        )
        energies = [self._learned(t, b) for t, b in triples if t is not None]
        return loss, energies, logits.detach()


class HDGENet(_ClassifierNet):
    """:class:`~sk_ebm.objectives.HDGELoss` against a queue of the last
    ``queue_size`` normalised logits; labelled rows only, no sampling."""

    def __init__(self, module, *args, criterion=HDGELoss, queue_size=1024, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.queue_size = queue_size

    def objective_step(self, x, y):
        logits = self.module_.logits(x)
        base = self._base_logits(x)
        energies = (self._learned(logits, base),)
        if base is not None:
            # A base's logits share a large term -|x|^2 / 2 that dominates
            # their direction; the softmax ignores a shift common to the
            # classes, so HDGE contrasts the centred logits.
            logits = logits - logits.mean(1, keepdim=True)
        labeled = y >= 0
        loss = self.criterion_(
            logits[labeled], y[labeled], getattr(self, "queue_", None)
        )
        normalized = F.normalize(logits[labeled].detach(), dim=1)
        queue = getattr(self, "queue_", None)
        queue = normalized if queue is None else torch.cat([normalized, queue])
        self.queue_ = queue[: self.queue_size].detach()
        return loss, energies, logits.detach()


class NCENet(EnergyNet):
    r"""Noise-contrastive estimation of an :class:`~sk_ebm.nn.NCEModule`.

    Each step draws ``ceil(noise_ratio * n)`` noise points for a batch of ``n``
    rows and minimises :class:`~sk_ebm.objectives.NCELoss` over the energy and
    :math:`c`. A noise with trainable parameters (a normalizing flow) has its
    own optimizer, ``noise_optimizer_``, stepped inside the training step,
    and is trained adversarially as in
    Flow Contrastive Estimation (Gao et al., 2020): while the balanced
    data-vs-noise accuracy of the last step exceeds ``flow_threshold``, the
    step updates the noise to *maximise* the loss; otherwise it updates the
    energy. During the first ``flow_warmup_epochs`` the flow is instead fitted
    to the data by maximum likelihood (one step per batch, next to the
    energy's step). The per-step accuracy is recorded in the batch history as
    ``nce_accuracy``.
    """

    records_batches = True  # nce_accuracy

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
        optimizer = (
            torch.optim.Adam(noise_params, lr=self.flow_lr) if noise_params else None
        )
        # Set past skorch's __setattr__, which would register it with the
        # net's optimizers: skorch's step would then run the whole training
        # step again as the closure of this optimizer.
        object.__setattr__(self, "noise_optimizer_", optimizer)
        self.accuracy_ = 0.5
        return self

    def objective_step(self, x, y):
        module = self.module_
        n = x.shape[0]
        m = math.ceil(self.criterion_.noise_ratio * n)
        noise_optimizer = self.noise_optimizer_
        warmup, train_noise = self._noise_phase
        if warmup:
            # Maximum-likelihood warm-up of the flow, so that the adversarial
            # game starts from a noise close to the data.
            nll = -module.noise.log_prob(x).mean()
            self._backward_checked(nll, nll.detach().reshape(1))
            noise_optimizer.step()
            noise_optimizer.zero_grad(set_to_none=True)
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
        self.accuracy_ = float(balanced)
        self.history.record_batch("nce_accuracy", self.accuracy_)
        return loss, (energy,), energy[:n].detach()

    def train_step_single(self, batch, **fit_params):
        """As :class:`EnergyNet`'s; a noise step (adversarial, when the
        classifier wins) moves the noise up the loss's gradient with
        ``noise_optimizer_`` and leaves the energy's gradients at None, which
        the net's optimizer skips."""
        noise_optimizer = self.noise_optimizer_
        trainable = noise_optimizer is not None
        warmup = trainable and len(self.history) <= self.flow_warmup_epochs
        train_noise = trainable and not warmup and self.accuracy_ > self.flow_threshold
        # (maximum-likelihood warm-up of the flow, adversarial noise step)
        self._noise_phase = (warmup, train_noise)
        if trainable:
            noise_optimizer.zero_grad(set_to_none=True)
        step = super().train_step_single(batch, **fit_params)
        if train_noise:
            for param in self.module_.noise.parameters():
                if param.grad is not None:
                    param.grad.neg_()
            noise_optimizer.step()
            for _, param in self.get_all_learnable_params():
                param.grad = None
        step["loss"] = step["loss"].detach()
        return step


class QuadratureNet(EnergyNet):
    r"""Conditional maximum likelihood of a
    :class:`~sk_ebm.nn.ConditionalResidualEnergy`, :math:`\log Z(x)` by
    quadrature (:class:`~sk_ebm.objectives.QuadratureNLL`).

    ``y`` holds two columns, the standardised target and the row's weight.
    Training grids of ``n_grid`` targets over ``y_range`` have a random
    offset at every step; validation uses a fixed grid of ``n_valid_grid``.
    """

    def __init__(
        self,
        module,
        *args,
        criterion=QuadratureNLL,
        y_range=(-4.0, 4.0),
        n_grid=128,
        n_valid_grid=512,
        **kwargs,
    ):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.y_range = y_range
        self.n_grid = n_grid
        self.n_valid_grid = n_valid_grid

    def _grid(self, n_points: int, offset, device) -> tuple[Tensor, float]:
        low, high = self.y_range
        delta = (high - low) / n_points
        steps = torch.arange(n_points, device=device, dtype=torch.float32)
        return low + (steps + offset) * delta, delta

    def _energies(self, x, target, grid):
        """Energies of the targets and of the grid, in one pass."""
        candidates = torch.cat([target[:, None], grid.expand(len(x), -1)], 1)
        energies = self.module_(x, candidates)
        return energies[:, 0], energies[:, 1:]

    def objective_step(self, x, y):
        target, weight = y[:, 0], y[:, 1]
        offset = torch.rand((), generator=self.generator, device=x.device)
        grid, delta = self._grid(self.n_grid, offset, x.device)
        energy_data, energy_grid = self._energies(x, target, grid)
        loss = self.criterion_(energy_data, energy_grid, delta, weight)
        learned = self.module_.residual(x, target[:, None])[:, 0]
        return loss, (learned,), energy_data.detach()

    def validation_step(self, batch, **fit_params):
        """Weighted negative log-likelihood of a validation batch."""
        self._set_training(False)
        x, y = unpack_data(batch)
        grid, delta = self._grid(self.n_valid_grid, 0.5, x.device)
        with torch.no_grad():
            energy_data, energy_grid = self._energies(x, y[:, 0], grid)
            # The likelihood whatever the training objective (NCE+ included).
            loss = QuadratureNLL()(energy_data, energy_grid, delta, y[:, 1])
        return {"loss": loss, "y_pred": energy_data}


class NCEPlusNet(QuadratureNet):
    """NCE+ (:class:`~sk_ebm.objectives.NCEPlusLoss`) with ``n_grid`` noise
    targets per row; validated, like :class:`QuadratureNet`, by the
    quadrature's negative log-likelihood."""

    def __init__(self, module, *args, criterion=NCEPlusLoss, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)

    def objective_step(self, x, y):
        target, weight = y[:, 0], y[:, 1]
        candidates = self.criterion_.candidates(target, self.n_grid, self.generator)
        energies = self.module_(x, candidates)
        log_noise = self.criterion_.log_noise(candidates, target)
        loss = self.criterion_(energies, log_noise, weight)
        learned = self.module_.residual(x, target[:, None])[:, 0]
        return loss, (learned,), energies[:, 0].detach()
