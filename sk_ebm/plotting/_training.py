"""TrainingCurveDisplay: losses and log-likelihoods of a fit, epoch by epoch."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np

from ._base import estimator_name, get_axes

__all__ = ["TrainingCurveDisplay"]

_METRICS = ("auto", "log_likelihood", "loss")


def _column(history, key):
    """The values of ``key`` over the epochs, NaN where an epoch lacks it."""
    return np.array([epoch.get(key, np.nan) for epoch in history], dtype=np.float64)


class TrainingCurveDisplay:
    """Training and validation curves of a fit, with the best epoch marked.

    Reads a skorch history (an sk_ebm estimator's ``net_.history``): the
    mean log-likelihood per row (``train_log_likelihood``,
    ``valid_log_likelihood``; higher is better) of the density estimators,
    or the loss (``train_loss``, ``valid_loss``; lower is better) of any
    estimator. The best epoch is the one of the best validation value, the
    one whose weights early stopping restores.

    Build it with :meth:`from_estimator` or :meth:`from_history`.

    Parameters
    ----------
    epochs : ndarray of shape (n_epochs,)
        Epoch numbers, from 1.
    train : ndarray of shape (n_epochs,)
        Training values.
    valid : ndarray of shape (n_epochs,), default=None
        Validation values; None when the fit held out no rows.
    metric : {"log_likelihood", "loss"}, default="loss"
        What the values are.
    best_epoch : int, default=None
        Epoch of the best validation value; None without validation.
    name : str, default=None
        Name of the model, shown in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    train_line_ : matplotlib Line2D
        Training curve.
    valid_line_ : matplotlib Line2D or None
        Validation curve.
    best_line_ : matplotlib Line2D or None
        Vertical line at the best epoch.

    Examples
    --------
    >>> from sk_ebm.plotting import TrainingCurveDisplay
    >>> history = [
    ...     {"epoch": 1, "train_loss": 1.0, "valid_loss": 0.9},
    ...     {"epoch": 2, "train_loss": 0.7, "valid_loss": 0.6},
    ...     {"epoch": 3, "train_loss": 0.5, "valid_loss": 0.7},
    ... ]
    >>> display = TrainingCurveDisplay.from_history(history)
    >>> display.best_epoch
    2
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['train', 'validation', 'best epoch (2)']
    """

    def __init__(
        self, epochs, train, valid=None, *, metric="loss", best_epoch=None, name=None
    ):
        self.epochs = epochs
        self.train = train
        self.valid = valid
        self.metric = metric
        self.best_epoch = best_epoch
        self.name = name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Title; None uses the ``name`` given at construction.
        **kwargs : dict
            Keywords of :meth:`matplotlib.axes.Axes.plot` for both curves.

        Returns
        -------
        display : TrainingCurveDisplay
            This display, with its artists set.
        """
        self.ax_, self.figure_ = get_axes(ax, "TrainingCurveDisplay.plot")
        ax = self.ax_
        (self.train_line_,) = ax.plot(self.epochs, self.train, label="train", **kwargs)
        self.valid_line_ = self.best_line_ = None
        if self.valid is not None:
            (self.valid_line_,) = ax.plot(
                self.epochs, self.valid, label="validation", **kwargs
            )
        if self.best_epoch is not None:
            self.best_line_ = ax.axvline(
                self.best_epoch,
                color="k",
                ls="--",
                lw=1,
                label=f"best epoch ({self.best_epoch})",
            )
        ylabel = (
            "mean log-likelihood (nats per row)"
            if self.metric == "log_likelihood"
            else "loss"
        )
        ax.set(xlabel="epoch", ylabel=ylabel)
        name = self.name if name is None else name
        if name is not None:
            ax.set_title(name)
        ax.legend()
        return self

    @classmethod
    def from_history(cls, history, *, metric="auto", name=None, ax=None, **kwargs):
        """Curves of a skorch history.

        Parameters
        ----------
        history : skorch History or list of dict
            One dict per epoch, with ``train_loss`` (and ``valid_loss``) or
            ``train_log_likelihood`` (and ``valid_log_likelihood``).
        metric : {"auto", "log_likelihood", "loss"}, default="auto"
            Which columns to draw; ``"auto"`` takes the log-likelihoods when
            the history has them, else the losses.
        name : str, default=None
            Title of the axes.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keywords of :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, drawn.
        """
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}.")
        history = list(history)
        if not history:
            raise ValueError("history is empty: the model was not trained.")
        keys = set().union(*(epoch.keys() for epoch in history))
        if metric == "auto":
            metric = "log_likelihood" if "train_log_likelihood" in keys else "loss"
        train_key, valid_key = f"train_{metric}", f"valid_{metric}"
        if train_key not in keys:
            raise ValueError(
                f"The history has no {train_key!r} column; its columns are "
                f"{sorted(k for k in keys if k != 'batches')}."
            )
        train = _column(history, train_key)
        valid = _column(history, valid_key) if valid_key in keys else None
        epochs = np.array(
            [epoch.get("epoch", i) for i, epoch in enumerate(history, start=1)]
        )
        best_epoch = None
        if valid is not None and np.isfinite(valid).any():
            pick = np.nanargmax if metric == "log_likelihood" else np.nanargmin
            best_epoch = int(epochs[pick(valid)])
        display = cls(
            epochs, train, valid, metric=metric, best_epoch=best_epoch, name=name
        )
        return display.plot(ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, metric="auto", name=None, ax=None, **kwargs):
        """Curves of a fitted sk_ebm estimator's ``net_.history``.

        Parameters
        ----------
        estimator : estimator
            A fitted sk_ebm estimator (an :class:`~sk_ebm.OODDetector`'s
            inner estimator is used).
        metric : {"auto", "log_likelihood", "loss"}, default="auto"
            See :meth:`from_history`.
        name : str, default=None
            Title of the axes; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keywords of :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, drawn.
        """
        inner = getattr(estimator, "estimator_", estimator)
        net = getattr(inner, "net_", None)
        if net is None:
            raise TypeError(
                "TrainingCurveDisplay.from_estimator needs a fitted sk_ebm "
                f"estimator with a net_ (a skorch net); {type(estimator).__name__} "
                "has none."
            )
        return cls.from_history(
            net.history,
            metric=metric,
            name=estimator_name(inner) if name is None else name,
            ax=ax,
            **kwargs,
        )
