"""Divergence of EBM training: detected, never hidden, the last good state restored."""

from __future__ import annotations

import functools
import math

import torch
from torch import Tensor

from sk_ebm.exceptions import DivergenceError

__all__ = ["DivergenceGuard"]


class DivergenceGuard:
    """Mixin of the skorch nets that checks every training step.

    A non-finite loss or an energy beyond ``max_abs_energy`` restores the
    weights (and persistent chains) of the last finished epoch whose energies
    passed the check, with a fresh optimizer state, and raises
    :class:`~sk_ebm.exceptions.DivergenceError`. The net calls
    :meth:`_backward_checked` instead of ``loss.backward()``.
    """

    def _check_finite(self, loss: Tensor, *energies: Tensor) -> None:
        """Flag a non-finite loss or an energy beyond ``max_abs_energy``.

        The first step of an epoch checks both at once: it vets the weights
        that the previous epoch left, which then become the last good state
        that a divergence restores. Later steps check the loss, as a Python
        scalar on the CPU (cheaper than tensor operations on small tensors);
        on an accelerator they accumulate the flag of both checks on the
        device instead, read at the epoch's end (:meth:`on_epoch_end`), so
        that training never waits for the device.
        """
        limit = self.max_abs_energy
        if not self._snapshot_due and self._on_cpu:
            if not math.isfinite(loss.item()):
                self._diverged()
            return
        peak = functools.reduce(
            torch.maximum, [e.detach().abs().amax() for e in energies]
        )
        # A NaN fails both tests.
        ok = torch.isfinite(loss.detach()) & (peak <= limit)
        if self._snapshot_due:
            if not bool(ok):
                self._diverged()
            self._snapshot()
        else:
            self._epoch_ok = ok if self._epoch_ok is None else self._epoch_ok & ok

    def _diverged(self):
        raise DivergenceError(
            f"non-finite loss or energies beyond {self.max_abs_energy:g} in "
            f"absolute value, in epoch {len(self.history)}"
        )

    def _backward_checked(self, loss: Tensor, *energies: Tensor) -> None:
        self._check_finite(loss, *energies)
        loss.backward()

    def uses_chains(self) -> bool:
        """Whether training moves the persistent chains of ``buffer_``."""
        return False

    def _snapshot(self) -> None:
        self._snapshot_due = False
        self._last_good_state = {
            k: v.detach().clone() for k, v in self.module_.state_dict().items()
        }
        # The chains are part of the state: a warm restart from diverged chains
        # would diverge again.
        self._last_good_chains = (
            self.buffer_.states.clone() if self.uses_chains() else None
        )

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._on_cpu = torch.device(self.device).type == "cpu"
        self._snapshot()
        self._snapshot_due = True
        self._epoch_ok = None

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Read the epoch's divergence flag (before any callback sees the
        epoch); the weights it leaves are kept once the next epoch's first
        step has checked the energies they give."""
        if self._epoch_ok is not None and not bool(self._epoch_ok):
            self._diverged()
        self._epoch_ok = None
        self._snapshot_due = True

    def __getstate__(self):
        state = super().__getstate__()
        # Training-only: a snapshot of the weights and chains, and flags.
        for key in (
            "_last_good_state",
            "_last_good_chains",
            "_snapshot_due",
            "_epoch_ok",
        ):
            state.pop(key, None)
        return state

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except DivergenceError:
            self.module_.load_state_dict(self._last_good_state)
            if self._last_good_chains is not None:
                self.buffer_.states.copy_(self._last_good_chains)
            # The optimizer's moments led to the divergence: start them afresh.
            self.initialize_optimizer()
            raise
