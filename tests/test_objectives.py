"""Known-answer tests for the training objectives of :mod:`sk_ebm.objectives`."""

import math

import pytest
import torch
from torch import nn

from sk_ebm.objectives import ContrastiveDivergenceLoss, ImportanceSamplingNLL
from sk_ebm.sampling import Gaussian, Uniform

pytestmark = pytest.mark.usefixtures("seeded", "single_thread")

F64 = torch.float64


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------
# Contrastive divergence
# --------------------------------------------------------------------------


def test_contrastive_divergence_value_and_gradient_by_hand():
    pos = torch.tensor([1.0, 2.0, -1.0], dtype=F64, requires_grad=True)
    neg = torch.tensor([0.5, -2.0], dtype=F64, requires_grad=True)
    loss = ContrastiveDivergenceLoss(energy_reg=0.1)(pos, neg)
    # mean(pos) - mean(neg) = 2/3 + 3/4; mean(pos^2) + mean(neg^2) = 2 + 17/8.
    expected = 2 / 3 + 3 / 4 + 0.1 * (2 + 17 / 8)
    assert math.isclose(float(loss.detach()), expected, rel_tol=1e-12)
    loss.backward()
    # d/dpos_i = 1/3 + 0.1 * 2 pos_i / 3;  d/dneg_j = -1/2 + 0.1 * 2 neg_j / 2.
    expected_pos = torch.tensor([1 / 3 + 0.2 / 3, 1 / 3 + 0.4 / 3, 1 / 3 - 0.2 / 3])
    expected_neg = torch.tensor([-0.5 + 0.05, -0.5 - 0.2])
    torch.testing.assert_close(pos.grad, expected_pos.to(F64))
    torch.testing.assert_close(neg.grad, expected_neg.to(F64))


def test_contrastive_divergence_without_penalty():
    loss = ContrastiveDivergenceLoss(energy_reg=0.0)
    value = loss(torch.tensor([1.0, 3.0]), torch.tensor([4.0, 6.0, 8.0]))
    assert float(value) == pytest.approx(2.0 - 6.0)
    assert ContrastiveDivergenceLoss().energy_reg == 1.0


class _GaussianEnergy1d(nn.Module):
    """E(x) = 0.5 * precision * (x - mean)^2 with learnable mean and precision;
    Z = sqrt(2 pi / precision)."""

    def __init__(self, mean, precision):
        super().__init__()
        self.mean = nn.Parameter(torch.tensor(mean, dtype=F64))
        self.precision = nn.Parameter(torch.tensor(precision, dtype=F64))

    def forward(self, x):
        return 0.5 * self.precision * (x[:, 0] - self.mean) ** 2


MEAN, PRECISION = 0.5, 1.0 / 1.5**2


def _data(n=200):
    # Data from a different Gaussian than the model, so gradients are non-zero.
    return (-0.3 + 1.0 * torch.randn(n, 1, generator=_gen(10), dtype=F64)).detach()


def _exact_nll_gradients(energy, x):
    """Gradients of mean E(x) + log Z, log Z = 0.5 log(2 pi / precision)."""
    centred = x[:, 0] - energy.mean.detach()
    tau = energy.precision.detach()
    d_mean = -tau * centred.mean()
    d_precision = 0.5 * (centred**2).mean() - 0.5 / tau
    return float(d_mean), float(d_precision)


def test_contrastive_divergence_gradient_with_exact_negatives():
    # With negatives drawn exactly from the model, the CD gradient is an
    # unbiased estimate of the NLL gradient. Its Monte-Carlo standard errors:
    # tau * sd(x - mean) / sqrt(n) for the mean and, since
    # 0.5 (x - mean)^2 ~ 0.5 sigma^2 chi2_1, sqrt(0.5 sigma^4 / n) for the
    # precision.
    energy = _GaussianEnergy1d(MEAN, PRECISION)
    x = _data()
    n = 100_000
    sigma2 = 1.0 / PRECISION
    negatives = MEAN + math.sqrt(sigma2) * torch.randn(
        n, 1, generator=_gen(0), dtype=F64
    )
    loss = ContrastiveDivergenceLoss(energy_reg=0.0)(energy(x), energy(negatives))
    loss.backward()
    exact_mean, exact_precision = _exact_nll_gradients(energy, x)
    se_mean = PRECISION * math.sqrt(sigma2 / n)
    se_precision = math.sqrt(0.5 * sigma2**2 / n)
    assert abs(float(energy.mean.grad) - exact_mean) < 4 * se_mean
    assert abs(float(energy.precision.grad) - exact_precision) < 4 * se_precision


# --------------------------------------------------------------------------
# Importance-sampled NLL
# --------------------------------------------------------------------------


def test_log_partition_exact_for_constant_energy_and_uniform_proposal():
    # E = c on a box of volume V: every weight e^{-c} / (1/V) equals Z = V e^{-c}.
    low, high = torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([1.0, 0.5, 5.0])
    proposal = Uniform(low, high)
    x = proposal.sample(64, generator=_gen(0))
    c = 0.7
    log_z = ImportanceSamplingNLL.log_partition(
        torch.full((64,), c), proposal.log_prob(x)
    )
    assert float(log_z) == pytest.approx(math.log(2.0 * 0.5 * 3.0) - c, abs=1e-6)


def test_log_partition_exact_when_proposal_is_the_model():
    # q = exp(-E) / Z makes every weight equal to Z, whatever the draws.
    mean = torch.tensor([1.0, -1.0], dtype=F64)
    cov = torch.tensor([[2.0, 0.3], [0.3, 0.5]], dtype=F64)
    proposal = Gaussian(mean, cov, jitter=0.0)
    offset = 1.3

    def energy(x):
        return -proposal.log_prob(x) + offset  # Z = exp(-offset)

    x = proposal.sample(10, generator=_gen(0))
    log_z = ImportanceSamplingNLL.log_partition(energy(x), proposal.log_prob(x))
    assert float(log_z) == pytest.approx(-offset, abs=1e-10)


def test_loss_value_is_mean_energy_plus_log_partition():
    pos = torch.tensor([0.5, 1.5, -1.0])
    e_prop = torch.tensor([0.2, 1.0, 3.0, -0.5])
    log_q = torch.tensor([-1.0, -2.0, -1.5, -0.7])
    log_z = torch.logsumexp(-e_prop - log_q, 0) - math.log(4)
    plain = ImportanceSamplingNLL()(pos, e_prop, log_q)
    torch.testing.assert_close(plain, pos.mean() + log_z)
    penalised = ImportanceSamplingNLL(energy_reg=0.5)(pos, e_prop, log_q)
    torch.testing.assert_close(penalised, pos.mean() + log_z + 0.5 * (pos**2).mean())


def test_importance_sampling_log_z_and_gradient_on_1d_gaussian():
    # Model N(0.5, 1.5^2) as an energy with learnable mean and precision;
    # proposal N(0, 3^2), which covers it. With K = 100000 draws:
    # - log Z_hat is within a few delta-method standard errors
    #   sd(w) / (mean(w) sqrt(K)) of 0.5 log(2 pi / precision);
    # - the gradient of the loss is the data term minus the self-normalised IS
    #   estimate of E_p[grad E], whose standard error is
    #   sqrt(sum_k wn_k^2 (f_k - f_hat)^2) (wn the normalised weights), and
    #   matches the exact NLL gradient within a few of those.
    energy = _GaussianEnergy1d(MEAN, PRECISION)
    proposal = Gaussian(torch.zeros(1, dtype=F64), torch.full((1, 1), 9.0, dtype=F64))
    n_proposals = 100_000
    x_prop = proposal.sample(n_proposals, generator=_gen(0))
    log_q = proposal.log_prob(x_prop)
    x = _data()

    e_prop = energy(x_prop)
    log_z = ImportanceSamplingNLL.log_partition(e_prop, log_q)
    exact_log_z = 0.5 * math.log(2 * math.pi / PRECISION)
    log_w = (-e_prop - log_q).detach()
    w = torch.exp(log_w - log_w.max())
    se_log_z = float(w.std() / (w.mean() * math.sqrt(n_proposals)))
    assert se_log_z < 0.005
    assert abs(float(log_z.detach()) - exact_log_z) < 4 * se_log_z

    loss = ImportanceSamplingNLL()(energy(x), e_prop, log_q)
    loss.backward()
    exact_mean, exact_precision = _exact_nll_gradients(energy, x)

    wn = w / w.sum()
    centred = x_prop[:, 0] - MEAN

    def snis_std_err(f):
        return float(torch.sqrt((wn**2 * (f - (wn * f).sum()) ** 2).sum()))

    se_mean = snis_std_err(PRECISION * centred)  # f = dE/dmean (up to sign)
    se_precision = snis_std_err(0.5 * centred**2)  # f = dE/dprecision
    assert se_mean < 0.01 and se_precision < 0.01
    assert abs(float(energy.mean.grad) - exact_mean) < 4 * se_mean
    assert abs(float(energy.precision.grad) - exact_precision) < 4 * se_precision
    # The exact gradients are far from zero, so the match is informative.
    assert abs(exact_mean) > 10 * se_mean and abs(exact_precision) > 10 * se_precision
