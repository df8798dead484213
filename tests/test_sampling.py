"""Known-answer tests for :mod:`sk_ebm.sampling`.

Statistical tolerances are a few standard errors of the estimate at hand (the
standard error is derived in each test); every random draw comes from a seeded
:class:`torch.Generator`, so the tests are deterministic.
"""

import math

import pytest
import torch
from torch import distributions as D

from sk_ebm.nn import MLPEnergy
from sk_ebm.sampling import (
    Gaussian,
    GaussianMixture,
    ReplayBuffer,
    Uniform,
    annealed_importance_sampling,
    langevin,
)

pytestmark = pytest.mark.usefixtures("seeded", "single_thread")

F64 = torch.float64
# A 2-D Gaussian target with a strongly non-diagonal covariance
# (eigenvalues 2.8 and 0.2, correlation 0.85).
MU = torch.tensor([1.0, -2.0], dtype=F64)
SIGMA = torch.tensor([[2.0, 1.2], [1.2, 1.0]], dtype=F64)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _quadratic(mean, covariance):
    """E(x) = 0.5 (x - mean)^T P (x - mean) with P = covariance^{-1}."""
    precision = torch.linalg.inv(covariance)

    def energy(x):
        centred = x - mean
        return 0.5 * ((centred @ precision) * centred).sum(1)

    return energy


def _gaussian_draws(mean, covariance, n, generator):
    noise = torch.randn(n, mean.shape[0], generator=generator, dtype=mean.dtype)
    return mean + noise @ torch.linalg.cholesky(covariance).T


def _cov_std_err(covariance, n):
    """Standard error of each entry of the sample covariance of n Gaussian draws:
    Var(S_ij) = (S_ii S_jj + S_ij^2) / (n - 1)."""
    var = torch.diagonal(covariance)
    return torch.sqrt((var[:, None] * var[None, :] + covariance**2) / (n - 1))


def _assert_moments(x, mean, covariance, n_se=4.0):
    """Sample mean and covariance of independent Gaussian rows x within n_se
    standard errors of (mean, covariance)."""
    n = x.shape[0]
    mean_se = torch.sqrt(torch.diagonal(covariance) / n)
    mean_err = (x.mean(0) - mean).abs()
    assert torch.all(mean_err <= n_se * mean_se), (mean_err, mean_se)
    cov_err = (torch.cov(x.T) - covariance).abs()
    cov_se = _cov_std_err(covariance, n)
    assert torch.all(cov_err <= n_se * cov_se), (cov_err, cov_se)
    # Whitened rows z = L^{-1} (x - mean) are N(0, I): this also resolves the
    # variance along narrow directions, which the raw entries barely see.
    z = torch.linalg.solve_triangular(
        torch.linalg.cholesky(covariance), (x - mean).T, upper=False
    ).T
    eye = torch.eye(x.shape[1], dtype=x.dtype)
    z_err = (torch.cov(z.T) - eye).abs()
    assert torch.all(z_err <= n_se * _cov_std_err(eye, n)), z_err


# --------------------------------------------------------------------------
# Langevin dynamics
# --------------------------------------------------------------------------


def test_mala_recovers_mean_and_covariance():
    # MALA leaves N(MU, SIGMA) exactly invariant. The chains start at one point
    # 4.2 away from the mean; the slowest mode of the diffusion relaxes at rate
    # 1/2.8, so after time 400 * 0.05 = 20 the leftover bias is ~exp(-7) * 4.2
    # = 4e-3 on the mean and ~1e-6 on the covariance, far below the standard
    # errors (0.016-0.022 on the mean, 0.016-0.045 on the covariance) of the
    # final states of 4000 independent chains. The whitened check resolves the
    # narrow-direction variance to 2.2% (se sqrt(2 / 4000)), enough to tell MALA
    # from unadjusted Langevin at this step (a 14% inflation there).
    n = 4000
    energy = _quadratic(MU, SIGMA)
    x0 = (MU + 3.0).expand(n, 2)
    x, acceptance = langevin(
        energy,
        x0,
        n_steps=400,
        step_size=0.05,
        noise_std="exact",
        metropolis=True,
        generator=_gen(0),
        return_acceptance=True,
    )
    assert 0.8 < float(acceptance.mean()) < 1.0
    _assert_moments(x, MU, SIGMA)


def test_unadjusted_langevin_small_step_has_known_bias():
    # Without the Metropolis correction, x' = x - a P (x - mu) + sqrt(2a) xi is a
    # linear AR(1) chain: its stationary law is N(mu, C_a) with
    # C_a = SIGMA (I - a P / 2)^{-1}, an O(a) inflation of the covariance (5% on
    # the narrow direction at a = 0.02). The sample moments match (mu, C_a)
    # within a few standard errors, and (mu, SIGMA) within those plus the bias.
    n, step = 4000, 0.02
    energy = _quadratic(MU, SIGMA)
    precision = torch.linalg.inv(SIGMA)
    ula_cov = SIGMA @ torch.linalg.inv(torch.eye(2, dtype=F64) - step * precision / 2)
    x0 = (MU + 3.0).expand(n, 2)
    x = langevin(
        energy,
        x0,
        n_steps=1000,  # time 20, as in the MALA test
        step_size=step,
        noise_std="exact",
        generator=_gen(1),
    )
    _assert_moments(x, MU, ula_cov)
    bias = (ula_cov - SIGMA).abs()
    cov_err = (torch.cov(x.T) - SIGMA).abs()
    assert torch.all(cov_err <= 4.0 * _cov_std_err(SIGMA, n) + bias)


def test_jem_convention_collapses_to_the_mode():
    # The JEM convention (step 1, noise 0.01) is not a discretised diffusion of
    # exp(-E): on a Gaussian it is x' = x - P (x - mu) + 0.01 xi, whose
    # stationary covariance 1e-4 (2P - P^2)^{-1} has standard deviations ~0.02,
    # about 1% of the true ones. Chains started from exact samples of the target
    # collapse onto the mode. (The target is 4 SIGMA so that the recursion is
    # stable: eigenvalues of P in (0, 2).) This is why noise_std="exact" exists.
    n = 4000
    covariance = 4.0 * SIGMA
    precision = torch.linalg.inv(covariance)
    x0 = _gaussian_draws(MU, covariance, n, _gen(2))
    x = langevin(
        _quadratic(MU, covariance),
        x0,
        n_steps=200,  # contraction 0.911^200 ~ 1e-8 on the slowest direction
        step_size=1.0,
        noise_std=0.01,
        generator=_gen(3),
    )
    true_std = torch.diagonal(covariance).sqrt()
    assert torch.all(x0.std(0) > 0.9 * true_std)  # started with the right spread
    assert torch.all(x.std(0) < 0.05 * true_std)
    jem_cov = 1e-4 * torch.linalg.inv(2 * precision - precision @ precision)
    _assert_moments(x, MU, jem_cov)


def test_grad_clip_bounds_each_step():
    step, clip = 0.1, 0.5
    x0 = torch.cat([5.0 * torch.randn(40, 3), 1e-5 * torch.randn(10, 3)])

    def steep(x):
        return 1000.0 * (x**2).sum(1)  # gradient 2000 x

    unclipped = langevin(steep, x0, n_steps=1, step_size=step, noise_std=0.0)
    assert torch.all((unclipped - x0)[:40].norm(dim=1) > step * clip)  # can fail
    x1 = langevin(steep, x0, n_steps=1, step_size=step, noise_std=0.0, grad_clip=clip)
    move = x1 - x0
    # Large gradients are rescaled to norm `clip`: a move of exactly step * clip
    # straight down the gradient; tiny ones are left alone.
    torch.testing.assert_close(
        move[:40], -step * clip * x0[:40] / x0[:40].norm(dim=1, keepdim=True)
    )
    torch.testing.assert_close(move[40:], -step * 2000.0 * x0[40:])
    # Over several noisy steps, each step moves a row by at most step * clip
    # plus its noise.
    x = x0
    for seed in range(3):
        g_noise, g_step = _gen(seed), _gen(seed)
        noise = 0.01 * torch.randn(x.shape, generator=g_noise)
        x_new = langevin(
            steep,
            x,
            n_steps=1,
            step_size=step,
            noise_std=0.01,
            grad_clip=clip,
            generator=g_step,
        )
        assert torch.all((x_new - x - noise).norm(dim=1) <= step * clip + 1e-6)
        x = x_new


def test_clamp_keeps_states_in_range():
    def repulsive(x):
        return -(x**2).sum(1)  # pushes chains outwards

    x0 = 0.5 * torch.rand(200, 2) - 0.25
    kwargs = dict(n_steps=20, step_size=0.1, noise_std=0.05)
    free = langevin(repulsive, x0, generator=_gen(0), **kwargs)
    assert free.abs().max() > 1.0  # without clamping they leave the box
    x = langevin(repulsive, x0, clamp=(-1.0, 1.0), generator=_gen(0), **kwargs)
    assert x.min() >= -1.0 and x.max() <= 1.0
    # Drift 1.2x per step: most coordinates end pinned at the walls.
    assert (x.abs() == 1.0).float().mean() > 0.5


@pytest.mark.parametrize("metropolis", [False, True])
def test_langevin_does_not_modify_input_nor_energy_grads(metropolis):
    energy = MLPEnergy(2, (8,))
    x0 = torch.randn(16, 2, requires_grad=True)
    before = x0.detach().clone()
    x = langevin(
        energy,
        x0,
        n_steps=5,
        step_size=0.1,
        noise_std="exact",
        metropolis=metropolis,
        generator=_gen(0),
    )
    assert torch.equal(x0.detach(), before)
    assert x0.grad is None
    assert not x.requires_grad
    assert not torch.equal(x, before)
    assert all(p.grad is None for p in energy.parameters())


@pytest.mark.parametrize("metropolis", [False, True])
def test_langevin_generator_reproducibility(metropolis):
    energy = _quadratic(MU, SIGMA)
    x0 = torch.zeros(32, 2, dtype=F64)
    kwargs = dict(n_steps=10, step_size=0.1, noise_std="exact", metropolis=metropolis)
    a = langevin(energy, x0, generator=_gen(7), **kwargs)
    b = langevin(energy, x0, generator=_gen(7), **kwargs)
    c = langevin(energy, x0, generator=_gen(8), **kwargs)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_langevin_keeps_shape_of_multi_dimensional_states():
    def energy(x):
        return 0.5 * (x**2).sum((1, 2))

    x0 = torch.randn(6, 2, 3)
    for metropolis in (False, True):
        x = langevin(
            energy, x0, n_steps=3, step_size=0.1, noise_std="exact",
            metropolis=metropolis,
        )  # fmt: skip
        assert x.shape == x0.shape


def test_return_acceptance():
    energy = _quadratic(MU, SIGMA)
    x0 = _gaussian_draws(MU, SIGMA, 500, _gen(0))
    x, acc = langevin(
        energy, x0, n_steps=10, step_size=0.5, noise_std="exact",
        return_acceptance=True,
    )  # fmt: skip
    assert x.shape == x0.shape
    assert acc.shape == (500,)
    assert torch.all(acc == 1.0)  # no Metropolis step: every move is taken

    def mala_acceptance(step_size):
        _, acc = langevin(
            energy, x0, n_steps=10, step_size=step_size, noise_std="exact",
            metropolis=True, generator=_gen(1), return_acceptance=True,
        )  # fmt: skip
        assert acc.shape == (500,)
        assert torch.all((acc >= 0.0) & (acc <= 1.0))
        return float(acc.mean())

    assert mala_acceptance(1e-4) > 0.99
    # A step larger than the narrow variance (0.2) rejects many moves.
    assert mala_acceptance(0.5) < 0.7


def test_langevin_rejects_unknown_noise_keyword():
    with pytest.raises(ValueError, match="noise_std"):
        langevin(lambda x: (x**2).sum(1), torch.zeros(2, 2), noise_std="auto")


# --------------------------------------------------------------------------
# Annealed importance sampling
# --------------------------------------------------------------------------


def _gaussian_energy_case(d):
    """Non-isotropic, shifted Gaussian energy with an additive constant, and
    its exact log Z; the base is a different (isotropic, centred) Gaussian."""
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=_gen(d), dtype=F64))
    covariance = q @ torch.diag(torch.linspace(0.5, 2.0, d, dtype=F64)) @ q.T
    mean = torch.linspace(-1.0, 1.0, d, dtype=F64)
    quadratic = _quadratic(mean, covariance)
    offset = 0.3

    def energy(x):
        return quadratic(x) + offset

    log_z = 0.5 * float(torch.logdet(2 * math.pi * covariance)) - offset
    base = Gaussian(torch.zeros(d, dtype=F64), 1.5 * torch.eye(d, dtype=F64))
    return energy, base, log_z


@pytest.mark.parametrize("d, tol", [(2, 0.05), (10, 0.2)])
def test_ais_log_z_of_gaussian(d, tol):
    energy, base, log_z = _gaussian_energy_case(d)
    estimate, std_err = annealed_importance_sampling(
        energy, base, n_chains=1000, n_temperatures=200, generator=_gen(0)
    )
    assert std_err > 0.0
    assert abs(estimate - log_z) < tol
    assert abs(estimate - log_z) < 4.0 * std_err


# Two well-separated components (means 8 apart, unit-order covariances).
MIX_WEIGHTS = torch.tensor([0.3, 0.7], dtype=F64)
MIX_MEANS = torch.tensor([[-4.0, 0.0], [4.0, 1.0]], dtype=F64)
MIX_COVS = torch.tensor([[[1.0, 0.5], [0.5, 1.0]], [[0.5, 0.0], [0.0, 2.0]]], dtype=F64)


@pytest.mark.parametrize("base_kind", ["mixture", "broad"])
def test_ais_log_z_of_gaussian_mixture(base_kind):
    # E(x) = -log(w1 N(x; m1, S1) + w2 N(x; m2, S2)) + c, so Z = exp(-c).
    # The reference density is torch.distributions' own mixture.
    c = 1.7
    target = D.MixtureSameFamily(
        D.Categorical(probs=MIX_WEIGHTS), D.MultivariateNormal(MIX_MEANS, MIX_COVS)
    )

    def energy(x):
        return -target.log_prob(x) + c

    if base_kind == "mixture":
        # Wrong weights, shifted means, isotropic covariances.
        base = GaussianMixture(
            torch.tensor([0.5, 0.5], dtype=F64),
            MIX_MEANS + torch.tensor([0.5, -0.5], dtype=F64),
            1.5 * torch.eye(2, dtype=F64).repeat(2, 1, 1),
        )
    else:
        base = Gaussian(
            torch.zeros(2, dtype=F64), torch.diag(torch.tensor([25.0, 9.0], dtype=F64))
        )
    estimate, std_err = annealed_importance_sampling(
        energy, base, n_chains=1000, n_temperatures=200, generator=_gen(0)
    )
    assert std_err > 0.0
    assert abs(estimate - (-c)) < 4.0 * std_err
    assert abs(estimate - (-c)) < 0.1


def test_ais_reproducible_with_generator():
    energy, base, _ = _gaussian_energy_case(2)
    kwargs = dict(n_chains=100, n_temperatures=20, return_samples=True)
    a = annealed_importance_sampling(energy, base, generator=_gen(3), **kwargs)
    b = annealed_importance_sampling(energy, base, generator=_gen(3), **kwargs)
    c = annealed_importance_sampling(energy, base, generator=_gen(4), **kwargs)
    assert a[:2] == b[:2]
    assert torch.equal(a[2], b[2])
    assert a[2].shape == (100, 2)
    assert a[0] != c[0]


# --------------------------------------------------------------------------
# Replay buffer
# --------------------------------------------------------------------------


def _box(d=2):
    return Uniform(-torch.ones(d), torch.ones(d))


def test_buffer_fills_to_capacity_from_init():
    buffer = ReplayBuffer(_box(3), capacity=500, generator=_gen(0))
    assert len(buffer) == 500
    assert buffer.states.shape == (500, 3)
    assert buffer.states.min() >= -1.0 and buffer.states.max() <= 1.0
    # Uniform(-1, 1) has variance 1/3: the initial states are real draws.
    assert abs(float(buffer.states.var()) - 1.0 / 3.0) < 0.05
    same = ReplayBuffer(_box(3), capacity=500, generator=_gen(0))
    assert torch.equal(buffer.states, same.states)


@pytest.mark.parametrize("reinit_freq", [0.05, 0.3])
def test_buffer_reinit_rate_matches_reinit_freq(reinit_freq):
    buffer = ReplayBuffer(_box(), capacity=1000, reinit_freq=reinit_freq)
    buffer.states[:] = 100.0  # sentinel: init draws lie in [-1, 1]
    g = _gen(0)
    n_draws, batch_size = 200, 500
    n_fresh = 0
    for _ in range(n_draws):
        x, index = buffer.sample(batch_size, generator=g)
        fresh = (x != 100.0).all(1)
        assert torch.all(fresh | (x == 100.0).all(1))  # rows are not mixed
        assert torch.all(x[fresh].abs() <= 1.0)  # restarts come from init
        assert torch.all((index >= 0) & (index < len(buffer)))
        n_fresh += int(fresh.sum())
    n = n_draws * batch_size
    rate = n_fresh / n
    std_err = math.sqrt(reinit_freq * (1 - reinit_freq) / n)  # binomial
    assert abs(rate - reinit_freq) < 4.0 * std_err


def test_buffer_reinit_freq_zero_and_one():
    never = ReplayBuffer(_box(), capacity=100, reinit_freq=0.0)
    never.states[:] = 100.0
    always = ReplayBuffer(_box(), capacity=100, reinit_freq=1.0)
    always.states[:] = 100.0
    g = _gen(0)
    for _ in range(20):
        assert torch.all(never.sample(256, generator=g)[0] == 100.0)
        assert torch.all(always.sample(256, generator=g)[0].abs() <= 1.0)


def test_buffer_sample_returns_stored_states():
    buffer = ReplayBuffer(_box(), capacity=50, reinit_freq=0.0, generator=_gen(0))
    x, index = buffer.sample(64, generator=_gen(1))
    assert x.shape == (64, 2) and index.shape == (64,)
    assert torch.equal(x, buffer.states[index])
    x += 1.0  # the returned states are a copy
    assert not torch.equal(x, buffer.states[index])


def test_buffer_update_writes_back_at_indices():
    buffer = ReplayBuffer(_box(), capacity=20, generator=_gen(0))
    before = buffer.states.clone()
    index = torch.tensor([0, 5, 19])
    new = torch.tensor([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]], requires_grad=True)
    buffer.update(index, new * 1.0)
    assert torch.equal(buffer.states[index], new.detach())
    assert not buffer.states.requires_grad
    untouched = torch.ones(20, dtype=torch.bool)
    untouched[index] = False
    assert torch.equal(buffer.states[untouched], before[untouched])


@pytest.mark.parametrize(
    "kwargs", [dict(capacity=0), dict(capacity=-3), dict(reinit_freq=-0.1),
               dict(reinit_freq=1.5)]
)  # fmt: skip
def test_buffer_rejects_invalid_parameters(kwargs):
    with pytest.raises(ValueError):
        ReplayBuffer(_box(), **kwargs)


def test_buffer_generator_reproducibility():
    def draws(seed):
        buffer = ReplayBuffer(_box(), 100, reinit_freq=0.3, generator=_gen(seed))
        g = _gen(seed + 10)
        return [buffer.sample(32, generator=g) for _ in range(3)]

    a, b, c = draws(0), draws(0), draws(1)
    for (xa, ia), (xb, ib) in zip(a, b, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ia, ib)
    assert not all(torch.equal(ia, ic) for (_, ia), (_, ic) in zip(a, c, strict=True))


# --------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------


def _mixture(dtype=F64):
    return GaussianMixture(
        torch.tensor([1.0, 3.0], dtype=dtype),  # normalised internally
        MIX_MEANS.to(dtype),
        MIX_COVS.to(dtype),
        jitter=0.0,
    )


def _torch_mixture():
    return D.MixtureSameFamily(
        D.Categorical(probs=torch.tensor([0.25, 0.75], dtype=F64)),
        D.MultivariateNormal(MIX_MEANS, MIX_COVS),
    )


def test_gaussian_log_prob_matches_torch():
    q = Gaussian(MU, SIGMA, jitter=0.0)
    x = 3.0 * torch.randn(100, 2, dtype=F64)
    reference = D.MultivariateNormal(MU, SIGMA).log_prob(x)
    torch.testing.assert_close(q.log_prob(x), reference, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(q(x), -q.log_prob(x))
    # float32 construction: same values to float32 accuracy.
    q32 = Gaussian(MU.float(), SIGMA.float(), jitter=0.0)
    torch.testing.assert_close(q32.log_prob(x.float()), reference.float())


def test_gaussian_mixture_log_prob_matches_torch():
    q = _mixture()
    x = 5.0 * torch.randn(200, 2, dtype=F64)
    reference = _torch_mixture().log_prob(x)
    torch.testing.assert_close(q.log_prob(x), reference, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(q(x), -q.log_prob(x))


def test_uniform_log_prob_matches_torch():
    low, high = torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([1.0, 0.5, 5.0])
    q = Uniform(low, high)
    inside = low + torch.rand(50, 3) * (high - low)
    reference = D.Uniform(low, high).log_prob(inside).sum(1)
    torch.testing.assert_close(q.log_prob(inside), reference)
    torch.testing.assert_close(q.log_prob(inside), torch.full((50,), -math.log(3.0)))
    outside = inside.clone()
    outside[::2, 1] = 0.6
    outside[1::2, 2] = 1.9
    assert torch.all(q.log_prob(outside) == -math.inf)
    torch.testing.assert_close(q(inside), -q.log_prob(inside))
    assert torch.all(q(outside) == math.inf)


def test_gaussian_samples_have_target_moments():
    n = 20000
    x = Gaussian(MU, SIGMA).sample(n, generator=_gen(0))
    assert x.shape == (n, 2) and x.dtype == F64
    _assert_moments(x, MU, SIGMA)


def test_gaussian_mixture_samples_have_target_moments():
    n = 20000
    x = _mixture().sample(n, generator=_gen(0))
    assert x.shape == (n, 2)
    # Modes 8 apart: the nearest mean identifies the component (misassignment
    # probability < 1e-9).
    component = torch.cdist(x, MIX_MEANS).argmin(1)
    share = float((component == 1).double().mean())
    assert abs(share - 0.75) < 4.0 * math.sqrt(0.75 * 0.25 / n)
    for k in range(2):
        _assert_moments(x[component == k], MIX_MEANS[k], MIX_COVS[k])


def test_uniform_samples_have_target_moments():
    n = 20000
    low, high = (
        torch.tensor([-1.0, 2.0], dtype=F64),
        torch.tensor([3.0, 2.5], dtype=F64),
    )
    x = Uniform(low, high).sample(n, generator=_gen(0))
    assert x.shape == (n, 2)
    assert torch.all((x >= low) & (x <= high))
    width = high - low
    var = width**2 / 12
    assert torch.all((x.mean(0) - (low + high) / 2).abs() < 4.0 * torch.sqrt(var / n))
    # Var of the sample variance: (mu_4 - sigma^4) / n, mu_4 = width^4 / 80.
    var_se = torch.sqrt((width**4 / 80 - var**2) / n)
    assert torch.all((x.var(0) - var).abs() < 4.0 * var_se)


@pytest.mark.parametrize("make", [
    lambda: Gaussian(MU, SIGMA),
    _mixture,
    lambda: Uniform(-torch.ones(2, dtype=F64), torch.ones(2, dtype=F64)),
])  # fmt: skip
def test_distribution_sampling_reproducible_with_generator(make):
    q = make()
    a = q.sample(10, generator=_gen(0))
    b = q.sample(10, generator=_gen(0))
    c = q.sample(10, generator=_gen(1))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_gaussian_from_data_fits_moments_with_inflate():
    x = _gaussian_draws(MU, SIGMA, 500, _gen(0))
    q = Gaussian.from_data(x, inflate=2.0)
    torch.testing.assert_close(q.mean, x.mean(0))
    fitted_cov = q.scale_tril @ q.scale_tril.T
    # from_data adds a 1e-4 jitter, the constructor another 1e-6.
    expected = 4.0 * torch.cov(x.T) + (1e-4 + 1e-6) * torch.eye(2, dtype=F64)
    torch.testing.assert_close(fitted_cov, expected, rtol=1e-10, atol=1e-10)
    plain = Gaussian.from_data(x)
    torch.testing.assert_close(
        plain.scale_tril @ plain.scale_tril.T,
        torch.cov(x.T) + (1e-4 + 1e-6) * torch.eye(2, dtype=F64),
    )


def test_uniform_from_data_spans_the_range_with_margin():
    x = torch.tensor([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    q = Uniform.from_data(x, margin=0.1)
    torch.testing.assert_close(q.low, torch.tensor([-0.2, -1.4]))
    torch.testing.assert_close(q.high, torch.tensor([2.2, 3.4]))
    tight = Uniform.from_data(x)
    assert torch.all(tight.log_prob(x) > -math.inf)  # the data lie inside


@pytest.mark.parametrize("kind", ["gaussian", "mixture", "uniform"])
def test_distributions_move_to_float64(kind):
    if kind == "gaussian":
        q = Gaussian(MU.float(), SIGMA.float(), jitter=0.0)
        reference = D.MultivariateNormal(MU, SIGMA).log_prob
    elif kind == "mixture":
        q = _mixture(torch.float32)
        reference = _torch_mixture().log_prob
    else:
        q = Uniform(-torch.ones(2), 2.0 * torch.ones(2))

        def reference(x):
            return torch.full((x.shape[0],), -math.log(9.0), dtype=F64)

    q64 = q.to(F64)
    assert all(b.dtype == F64 for b in q64.buffers())
    x = q64.sample(50, generator=_gen(0))
    assert x.dtype == F64
    log_prob = q64.log_prob(x)
    assert log_prob.dtype == F64
    # The buffers were computed in float32, hence the float32-level tolerance.
    torch.testing.assert_close(log_prob, reference(x), rtol=1e-5, atol=1e-5)
