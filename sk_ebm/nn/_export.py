r"""A fitted classifier as a plain, differentiable torch module."""

from __future__ import annotations

from torch import Tensor, nn

from sk_ebm.nn._discriminant import GaussianDiscriminant

__all__ = ["ExportedClassifier"]


class ExportedClassifier(nn.Module):
    r"""Logits of raw inputs: the estimator's scaling, whitening and network.

    .. math:: f(x) = g\big(W((x - \mu) / s)\big)

    with the standardisation :math:`(\mu, s)`, the whitening :math:`W` (the
    identity without one) and the logits network :math:`g`. A discriminant
    base's logits lose their term common to all classes, which leaves the
    softmax unchanged. Gradients flow to the inputs, as attack libraries
    (torchattacks, ART) need.

    Parameters
    ----------
    mean : Tensor of shape (n_features,)
        The standardisation's mean :math:`\mu`.
    scale : Tensor of shape (n_features,)
        Its scale :math:`s`.
    whitening : torch.nn.Module or None
        The map of the standardised features to the network's space.
    logits : torch.nn.Module
        The logits network, ``(n, width) -> (n, n_classes)``; a
        :class:`~sk_ebm.nn.PurifiedLogits` for a classifier that purifies its
        inputs (its output, the log of the averaged probabilities, serves as
        the logits).

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.nn import ExportedClassifier
    >>> model = ExportedClassifier(torch.zeros(2), torch.ones(2), None,
    ...                            torch.nn.Linear(2, 3))
    >>> model(torch.randn(4, 2)).shape
    torch.Size([4, 3])
    """

    def __init__(
        self,
        mean: Tensor,
        scale: Tensor,
        whitening: nn.Module | None,
        logits: nn.Module,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)
        self.whitening = whitening
        self.logits = logits

    def forward(self, x: Tensor) -> Tensor:
        z = (x.to(self.mean.dtype) - self.mean) / self.scale
        if self.whitening is not None:
            z = self.whitening(z)
        if isinstance(self.logits, GaussianDiscriminant):
            return self.logits.class_logits(z)
        return self.logits(z)
