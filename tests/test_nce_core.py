"""Known-answer tests for :class:`~sk_ebm.objectives.NCELoss` and
:class:`~sk_ebm.nn.QuadraticEnergy`, the pure-torch parts of NCE."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from sk_ebm.nn import QuadraticEnergy
from sk_ebm.objectives import NCELoss
from sk_ebm.sampling import Gaussian

pytestmark = pytest.mark.usefixtures("seeded", "single_thread")

F64 = torch.float64


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _log_sigmoid(z):
    """log(1 / (1 + e^-z)) in numpy, stable for any z."""
    return -np.logaddexp(0.0, -z)


def _random_quadratic(d, seed):
    """A QuadraticEnergy in float64 with a random mean and Cholesky factor."""
    energy = QuadraticEnergy(d).double()
    generator = _gen(seed)
    with torch.no_grad():
        energy.mean.copy_(torch.randn(d, generator=generator, dtype=F64))
        energy.raw_tril.copy_(0.4 * torch.randn(d, d, generator=generator, dtype=F64))
    return energy


# --------------------------------------------------------------------------
# NCELoss
# --------------------------------------------------------------------------


def test_nce_loss_equals_the_logistic_formula():
    nu = 3.0
    generator = _gen(0)
    data = 3 * torch.randn(7, generator=generator, dtype=F64)
    noise = 3 * torch.randn(21, generator=generator, dtype=F64)
    value = NCELoss(noise_ratio=nu)(data, noise)
    a, b = data.numpy() - math.log(nu), noise.numpy() - math.log(nu)
    expected = -(_log_sigmoid(a).sum() + _log_sigmoid(-b).sum()) / 7
    assert float(value) == pytest.approx(expected, rel=1e-12)
    # The same formula written with torch's sigmoid, where it is accurate.
    naive = -(
        torch.log(torch.sigmoid(data - math.log(nu))).sum()
        + torch.log(1 - torch.sigmoid(noise - math.log(nu))).sum()
    ) / len(data)
    torch.testing.assert_close(value, naive)


def test_nce_loss_log_odds_subtract_log_noise_ratio():
    loss = NCELoss(noise_ratio=4.0)
    assert loss.noise_ratio == 4.0
    assert NCELoss().noise_ratio == 1.0
    torch.testing.assert_close(
        loss.log_odds(torch.tensor([0.0, 1.0])),
        torch.tensor([-math.log(4.0), 1.0 - math.log(4.0)]),
    )


def test_nce_loss_is_finite_for_huge_log_ratios():
    nu = 3.0
    data = torch.tensor([-1e4, 1e4], requires_grad=True)
    noise = torch.tensor([1e4, -1e4, 0.0], requires_grad=True)
    # A naive log(sigmoid) underflows to -inf in float32.
    assert torch.isinf(torch.log(torch.sigmoid(data.detach() - math.log(nu)))).any()
    value = NCELoss(noise_ratio=nu)(data, noise)
    assert torch.isfinite(value)
    # Each misclassified point costs |G|; the well-classified ones cost ~0.
    expected = (1e4 + math.log(nu)) + (1e4 - math.log(nu)) - _log_sigmoid(math.log(nu))
    assert float(value.detach()) == pytest.approx(expected / 2, rel=1e-6)
    value.backward()
    # d loss / d G is -sigmoid(-G) / n for data, sigmoid(G) / n for noise.
    torch.testing.assert_close(data.grad, torch.tensor([-0.5, 0.0]))
    # sigmoid(-log 3) = 1 / 4.
    torch.testing.assert_close(noise.grad, torch.tensor([0.5, 0.0, 0.125]))


def test_nce_loss_minimised_at_the_true_constant_when_model_equals_noise():
    """p_theta = q e^{-c}: every log-ratio is -c, and the loss is minimal at c = 0.

    d loss / dc = sigmoid(c + log nu) - nu sigmoid(-c - log nu), which is zero
    at c = 0 for any nu, negative below and positive above.
    """
    nu, n = 3.0, 5
    loss = NCELoss(noise_ratio=nu)

    def gradient(c_value):
        c = torch.tensor(c_value, dtype=F64, requires_grad=True)
        value = loss(-c.expand(n), -c.expand(int(nu) * n))
        (grad,) = torch.autograd.grad(value, c)
        return float(grad)

    assert gradient(0.0) == pytest.approx(0.0, abs=1e-12)
    assert gradient(-0.5) < 0 < gradient(0.5)
    for c in (-1.0, 0.3, 2.0):
        s = 1 / (1 + math.exp(-(c + math.log(nu))))
        assert gradient(c) == pytest.approx(s - nu * (1 - s), rel=1e-10)
    grid = np.linspace(-1, 1, 201)
    values = [
        float(
            loss(torch.full((n,), -c, dtype=F64), torch.full((3 * n,), -c, dtype=F64))
        )
        for c in grid
    ]
    assert grid[int(np.argmin(values))] == pytest.approx(0.0, abs=1e-12)


def test_nce_recovers_the_log_partition_of_a_quadratic_energy():
    """Full-batch NCE of a QuadraticEnergy and a free constant c on Gaussian data
    against a broad Gaussian noise: c converges to the energy's exact log Z,
    and the energy to the data's Gaussian."""
    generator = _gen(0)
    mean = torch.tensor([0.5, -1.0], dtype=F64)
    cov = torch.tensor([[1.0, 0.6], [0.6, 2.0]], dtype=F64)
    data_dist = Gaussian(mean, cov, jitter=0.0)
    noise_dist = Gaussian(torch.zeros(2, dtype=F64), 4 * torch.eye(2, dtype=F64))
    x = data_dist.sample(4000, generator)
    y = noise_dist.sample(4 * 4000, generator)
    log_q = noise_dist.log_prob(torch.cat([x, y]))

    energy = QuadraticEnergy(2).double()
    c = torch.zeros((), dtype=F64, requires_grad=True)
    loss = NCELoss(noise_ratio=4.0)
    optimizer = torch.optim.LBFGS(
        [*energy.parameters(), c], max_iter=500, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        log_ratio = -energy(torch.cat([x, y])) - c - log_q
        value = loss(log_ratio[:4000], log_ratio[4000:])
        value.backward()
        return value

    optimizer.step(closure)
    c, log_z = float(c.detach()), float(energy.log_partition().detach())
    assert c == pytest.approx(log_z, abs=0.03)
    # Statistical error only (4000 rows, NCE against a broad noise): largest
    # errors over 5 seeds were 0.07 (mean) and 0.10 (covariance).
    torch.testing.assert_close(energy.mean.detach(), mean, atol=0.15, rtol=0)
    L = energy.cholesky().detach()
    torch.testing.assert_close(torch.linalg.inv(L @ L.T), cov, atol=0.25, rtol=0)


# --------------------------------------------------------------------------
# QuadraticEnergy
# --------------------------------------------------------------------------


def test_quadratic_energy_is_half_the_squared_mahalanobis_distance():
    energy = _random_quadratic(3, seed=0)
    L = energy.cholesky().detach().numpy()
    assert np.allclose(L, np.tril(L)) and np.all(np.diag(L) > 0)
    raw = energy.raw_tril.detach().numpy()
    np.testing.assert_allclose(np.diag(L), np.exp(np.diag(raw)))
    np.testing.assert_allclose(np.tril(L, -1), np.tril(raw, -1))
    P = L @ L.T
    x = torch.randn(10, 3, generator=_gen(1), dtype=F64)
    centred = x.numpy() - energy.mean.detach().numpy()
    expected = 0.5 * np.einsum("ni,ij,nj->n", centred, P, centred)
    values = energy(x)
    assert values.shape == (10,)
    np.testing.assert_allclose(values.detach().numpy(), expected, rtol=1e-12)
    # log Z = log sqrt(det(2 pi P^-1)).
    expected_log_z = 0.5 * np.linalg.slogdet(2 * np.pi * np.linalg.inv(P))[1]
    assert float(energy.log_partition().detach()) == pytest.approx(
        expected_log_z, rel=1e-12
    )


def test_quadratic_energy_defaults_to_a_standard_normal():
    energy = QuadraticEnergy(4)
    x = torch.randn(6, 4)
    torch.testing.assert_close(energy(x), 0.5 * (x * x).sum(1))
    assert float(energy.log_partition().detach()) == pytest.approx(
        2 * math.log(2 * math.pi)
    )


def test_quadratic_log_partition_matches_numerical_integration():
    energy = _random_quadratic(2, seed=3)
    L = energy.cholesky().detach().numpy()
    cov = np.linalg.inv(L @ L.T)
    mu = energy.mean.detach().numpy()
    half_width = 9 * np.sqrt(np.diag(cov))
    step = 0.05 * np.sqrt(np.diag(cov)).min()
    axes = [np.arange(m - w, m + w, step) for m, w in zip(mu, half_width, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
    with torch.no_grad():
        log_integrand = -energy(torch.as_tensor(grid)).numpy()
    numerical = logsumexp(log_integrand) + 2 * np.log(step)
    assert float(energy.log_partition().detach()) == pytest.approx(numerical, abs=1e-6)


def test_quadratic_energy_gradients():
    energy = _random_quadratic(3, seed=2)
    x = torch.randn(16, 3, generator=_gen(4), dtype=F64)
    (energy(x).mean() + energy.log_partition()).backward()
    for name, parameter in energy.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
    assert energy.mean.grad.abs().sum() > 0
    grad = energy.raw_tril.grad
    # The strict upper triangle of raw_tril is unused.
    assert torch.all(grad.triu(1) == 0)
    rows, cols = torch.tril_indices(3, 3)
    assert torch.all(grad[rows, cols] != 0)
    # d log Z / d log L_jj = -1.
    energy.zero_grad()
    energy.log_partition().backward()
    torch.testing.assert_close(energy.raw_tril.grad, -torch.eye(3, dtype=F64))
    assert energy.mean.grad is None  # log Z does not depend on the mean
