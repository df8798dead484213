"""Parameter constraints shared by the estimators, and argument checks."""

from __future__ import annotations

from numbers import Integral, Real

import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

__all__ = ["check_n_samples", "common_constraints"]

_COMMON_CONSTRAINTS: dict = {
    "module": [type, torch.nn.Module, None],
    "module_kwargs": [dict, None],
    "hidden_layer_sizes": ["array-like"],
    "image_shape": [tuple, list, None],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "sgld_steps": [Interval(Integral, 0, None, closed="left")],
    "sgld_step_size": [Interval(Real, 0, None, closed="neither")],
    "sgld_noise": [Interval(Real, 0, None, closed="left"), StrOptions({"exact"})],
    "buffer_size": [Interval(Integral, 1, None, closed="left")],
    "reinit_freq": [Interval(Real, 0, 1, closed="both")],
    "buffer_init": [StrOptions({"gaussian", "uniform"})],
    "energy_reg": [Interval(Real, 0, None, closed="left")],
    "sample_steps": [Interval(Integral, 0, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "device": [str, torch.device],
    "callbacks": [list, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
}

# Parameters that every sk_ebm estimator takes.
_ALWAYS = (
    "module",
    "module_kwargs",
    "hidden_layer_sizes",
    "image_shape",
    "max_epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "early_stopping",
    "validation_fraction",
    "n_iter_no_change",
    "sample_steps",
    "device",
    "callbacks",
    "random_state",
    "verbose",
    "warm_start",
)


def common_constraints(*names: str) -> dict:
    """The shared constraints of the parameters every estimator takes, plus
    those of ``names`` (e.g. the Langevin sampler's)."""
    return {name: _COMMON_CONSTRAINTS[name] for name in (*_ALWAYS, *names)}


def draw_seed(random_state) -> int:
    """One seed for a torch generator, drawn from ``random_state`` (an int
    gives the same seed at every call; a RandomState advances)."""
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def check_n_samples(n_samples) -> None:
    """Raise a ValueError unless ``n_samples`` is a positive integer (not a bool)."""
    if (
        not isinstance(n_samples, Integral)
        or isinstance(n_samples, bool)
        or n_samples < 1
    ):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
