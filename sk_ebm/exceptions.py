"""Exceptions raised by sk_ebm."""

__all__ = ["DivergenceError"]


class DivergenceError(RuntimeError):
    """Training produced non-finite or exploding losses, energies or gradients.

    The estimator restores the last weights that were finite before raising, so
    it never holds NaN weights. The message names the settings to change.

    Examples
    --------
    >>> from sk_ebm.exceptions import DivergenceError
    >>> issubclass(DivergenceError, RuntimeError)
    True
    """
