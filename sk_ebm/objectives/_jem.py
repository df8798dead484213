r"""Joint energy-based model (JEM) and HDGE objectives for classifiers."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sk_ebm.objectives._contrastive import ContrastiveDivergenceLoss

__all__ = ["HDGELoss", "JEMLoss"]


class JEMLoss(nn.Module):
    r"""Hybrid discriminative-generative loss of JEM (Grathwohl et al., 2020).

    .. math:: \mathcal{L} = \mathrm{CE}(f(x_l), y_l)
        + \lambda_x \left[\overline{E(x)} - \overline{E(x^-)}\right]
        + \lambda_{x|y} \left[\overline{E(x_l, y_l)} - \overline{E(x^-_y, y)}\right]
        + \alpha\, (\text{squared energies})

    with :math:`E(x) = -\log\sum_y e^{f(x)[y]}` and :math:`E(x, y) = -f(x)[y]`;
    :math:`x^-` are samples of :math:`p(x)` (e.g. persistent Langevin chains) and
    :math:`x^-_y` samples of :math:`p(x \mid y)`. Unlabelled rows enter only the
    :math:`p(x)` term. With both weights at 0 it is exactly the cross-entropy of a
    softmax classifier.

    Parameters
    ----------
    generative_weight : float, default=1.0
        :math:`\lambda_x`.
    conditional_weight : float, default=0.0
        :math:`\lambda_{x|y}`.
    energy_reg : float, default=0.0
        :math:`\alpha`, weight of the L2 penalty on the energies of each
        contrastive term.
    semi_supervised : bool, default=True
        Whether ``y`` may hold ``-1`` (unlabelled rows). False skips the masking,
        a few operations per step for fully labelled data.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.objectives import JEMLoss
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> loss = JEMLoss(generative_weight=0.0)
    >>> bool(torch.isclose(loss(logits, torch.tensor([0, 1])),
    ...      torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))))
    True
    >>> # an unlabelled row (-1) does not enter the cross-entropy
    >>> bool(torch.isclose(loss(logits, torch.tensor([0, -1])),
    ...      torch.nn.functional.cross_entropy(logits[:1], torch.tensor([0]))))
    True
    """

    def __init__(
        self,
        generative_weight: float = 1.0,
        conditional_weight: float = 0.0,
        energy_reg: float = 0.0,
        semi_supervised: bool = True,
    ) -> None:
        super().__init__()
        self.semi_supervised = bool(semi_supervised)
        self.generative_weight = float(generative_weight)
        self.conditional_weight = float(conditional_weight)
        self.contrast = ContrastiveDivergenceLoss(energy_reg)

    def forward(
        self,
        logits: Tensor,
        y: Tensor,
        logits_neg: Tensor | None = None,
        logits_neg_cond: Tensor | None = None,
        y_neg: Tensor | None = None,
        base: tuple | None = None,
    ) -> Tensor:
        """Loss of a batch.

        ``logits`` and ``y`` cover every row, ``y == -1`` marking unlabelled ones;
        ``logits_neg`` are the logits of samples of :math:`p(x)`,
        ``logits_neg_cond`` those of samples of :math:`p(x \\mid y_{neg})`.
        ``base``, where the logits add a residual to fixed ones (an estimator's
        base), holds those fixed logits of the three, in the same order: the
        ``energy_reg`` penalty then applies to the residual energies only.
        """
        if self.semi_supervised:
            # Sum over labelled rows / their count: no boolean indexing, no sync.
            n_labeled = (y >= 0).sum().clamp_min(1)
            loss = F.cross_entropy(logits, y, ignore_index=-1, reduction="sum")
            loss = loss / n_labeled
        else:
            loss = F.cross_entropy(logits, y)
        base_pos, base_neg, base_cond = base or (None, None, None)
        if self.generative_weight and logits_neg is not None:
            fixed = ()
            if base_pos is not None:
                fixed = (-torch.logsumexp(base_pos, 1), -torch.logsumexp(base_neg, 1))
            loss = loss + self.generative_weight * self.contrast(
                -torch.logsumexp(logits, 1), -torch.logsumexp(logits_neg, 1), *fixed
            )
        if self.conditional_weight and logits_neg_cond is not None:
            labeled = y >= 0
            index_pos, index_neg = y[labeled].view(-1, 1), y_neg.view(-1, 1)
            e_pos = -logits[labeled].gather(1, index_pos).squeeze(1)
            e_neg = -logits_neg_cond.gather(1, index_neg).squeeze(1)
            fixed = ()
            if base_pos is not None:
                fixed = (
                    -base_pos[labeled].gather(1, index_pos).squeeze(1),
                    -base_cond.gather(1, index_neg).squeeze(1),
                )
            if e_pos.shape[0]:
                loss = loss + self.conditional_weight * self.contrast(
                    e_pos, e_neg, *fixed
                )
        return loss


class HDGELoss(nn.Module):
    r"""Cross-entropy plus the contrastive generative term of HDGE.

    HDGE (Liu & Abbeel, 2020) approximates the class-conditional likelihood
    :math:`p(x \mid y) \propto e^{f(x)[y]}` by contrasting each labelled row
    with a queue of other rows' L2-normalised logits :math:`\hat f`:

    .. math:: \mathcal{L}_{gen} = -\log \frac{e^{\hat f(x)[y]/\tau}}
        {e^{\hat f(x)[y]/\tau} + \sum_{k=1}^{K} e^{\hat f(x_k)[y]/\tau}}

    The positive term is the normalised logit of the true class itself (the
    reference code takes a log-sum-exp over a one-hot-masked vector, which also
    counts a zero for every other class); no Langevin sampling is needed.

    Parameters
    ----------
    generative_weight : float, default=1.0
        Weight of :math:`\mathcal{L}_{gen}`, added to the cross-entropy. With
        0, or without a queue (``None`` or no rows), the loss is the
        cross-entropy alone.
    temperature : float, default=0.1
        :math:`\tau`.

    Examples
    --------
    >>> import torch
    >>> from sk_ebm.objectives import HDGELoss
    >>> loss = HDGELoss()
    >>> logits = torch.randn(4, 3)
    >>> queue = torch.nn.functional.normalize(torch.randn(16, 3), dim=1)
    >>> loss(logits, torch.tensor([0, 1, 2, 0]), queue).shape
    torch.Size([])
    """

    def __init__(self, generative_weight: float = 1.0, temperature: float = 0.1):
        super().__init__()
        self.generative_weight = float(generative_weight)
        self.temperature = float(temperature)

    def forward(self, logits: Tensor, y: Tensor, queue: Tensor | None) -> Tensor:
        if not logits.shape[0]:
            return logits.sum() * 0.0
        loss = F.cross_entropy(logits, y)
        if not self.generative_weight or queue is None or not queue.shape[0]:
            return loss
        normalized = F.normalize(logits, dim=1)
        positive = normalized.gather(1, y.view(-1, 1))  # (n, 1)
        negative = queue.detach()[:, y].T  # (n, K): queue rows at the true class
        scores = torch.cat([positive, negative], dim=1) / self.temperature
        target = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        return loss + self.generative_weight * F.cross_entropy(scores, target)
