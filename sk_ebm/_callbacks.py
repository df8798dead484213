"""skorch callbacks of the sk_ebm nets: monitors and early stopping."""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau

from sk_ebm.objectives import ImportanceSamplingNLL

__all__ = [
    "DelayedEarlyStopping",
    "LogLikelihoodMonitor",
    "NCEValidationLoss",
    "stopping_callbacks",
]


class LogLikelihoodMonitor(Callback):
    """Record the normalised mean log-likelihood of train and validation rows.

    ``log Z`` is estimated once per epoch by importance sampling from
    ``proposal`` with the same ``n_samples`` draws every epoch (common random
    numbers keep the curve smooth); with ``proposal=None`` it is the module's
    learned ``log_partition`` (:class:`~sk_ebm.nn.NCEModule`). ``offset``
    converts to the data's units (the log-Jacobian of the input scaling). Adds
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


def stopping_callbacks(
    monitor: str, *, lower_is_better: bool, patience: int, start: int = 0
) -> list:
    """Early stopping on ``monitor`` (best weights kept, watched after ``start``
    epochs) and a learning rate divided by 3.3 when it stalls for
    ``patience // 4`` epochs."""
    return [
        (
            "early_stopping",
            DelayedEarlyStopping(
                start=start,
                monitor=monitor,
                lower_is_better=lower_is_better,
                patience=patience,
                threshold=1e-4,
                threshold_mode="abs",
                load_best=True,
            ),
        ),
        (
            "lr_scheduler",
            LRScheduler(
                policy=ReduceLROnPlateau,
                monitor=monitor,
                mode="min" if lower_is_better else "max",
                patience=max(1, patience // 4),
                factor=0.3,
            ),
        ),
    ]


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
