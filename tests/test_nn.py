"""Tests for the torch energy networks of :mod:`sk_ebm.nn`, and for the
independence of the pure-torch core from scikit-learn and skorch."""

import io
import subprocess
import sys

import pytest
import torch
from torch import nn

from sk_ebm.nn import ConvEnergy, LogitsEnergy, MLPEnergy, ResidualEnergy
from sk_ebm.sampling import Gaussian

pytestmark = pytest.mark.usefixtures("seeded", "single_thread")

# Largest derivative of SiLU, x * sigmoid(x): 1.0998 at x = 2.3994.
SILU_LIPSCHITZ = 1.0999


def test_core_imports_without_sklearn_or_skorch():
    code = (
        "import sys\n"
        "import sk_ebm.nn, sk_ebm.sampling, sk_ebm.objectives\n"
        "print(sorted(m for m in ('sklearn', 'skorch') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _linear_weights(module):
    return [m.weight for m in module.modules() if isinstance(m, nn.Linear | nn.Conv2d)]


# --------------------------------------------------------------------------
# MLPEnergy
# --------------------------------------------------------------------------


def test_mlp_output_shapes():
    x = torch.randn(7, 3)
    assert MLPEnergy(3, (16, 16))(x).shape == (7,)
    assert MLPEnergy(3, (16,), n_outputs=4)(x).shape == (7, 4)
    assert MLPEnergy(3, ())(x).shape == (7,)  # no hidden layer: linear energy


@pytest.mark.parametrize("kwargs", [{}, {"spectral_norm": True},
                                    {"n_fourier_features": 8}])  # fmt: skip
def test_mlp_gradients_reach_all_parameters(kwargs):
    energy = MLPEnergy(3, (16, 16), **kwargs)
    energy(torch.randn(10, 3)).sum().backward()
    for name, parameter in energy.named_parameters():
        assert parameter.grad is not None, name
        assert torch.all(torch.isfinite(parameter.grad)), name
        assert parameter.grad.abs().sum() > 0, name


def test_mlp_fourier_features_are_a_buffer():
    energy = MLPEnergy(2, (16,), n_fourier_features=8, fourier_scale=3.0)
    first = energy.layers[0]
    assert first.in_features == 2 + 2 * 8
    assert energy.frequencies.shape == (2, 8)
    assert "frequencies" in energy.state_dict()
    assert "frequencies" in dict(energy.named_buffers())
    assert "frequencies" not in dict(energy.named_parameters())
    x = torch.randn(5, 2)
    phi = energy.features(x)
    assert phi.shape == (5, 18)
    torch.testing.assert_close(phi[:, :2], x)
    # sin^2 + cos^2 = 1 per frequency, scaled by 1/sqrt(m): unit norm.
    torch.testing.assert_close(phi[:, 2:].norm(dim=1), torch.ones(5))
    projected = x @ energy.frequencies
    torch.testing.assert_close(phi[:, 2:10], torch.sin(projected) / 8**0.5)
    # Frequencies ~ N(0, 3^2): draw many to check the scale.
    wide = MLPEnergy(2, (4,), n_fourier_features=5000, fourier_scale=3.0)
    assert abs(float(wide.frequencies.std()) - 3.0) < 0.1  # se ~ 3 / 141 = 0.02
    plain = MLPEnergy(2, (16,))
    assert plain.layers[0].in_features == 2
    assert torch.equal(plain.features(x), x)


def test_mlp_float_scale_frequencies_unchanged():
    # A float scale draws randn(d, m) * s from torch's global generator, as
    # before multi-scale support: saved models rebuild the same buffer.
    torch.manual_seed(0)
    energy = MLPEnergy(2, (4,), n_fourier_features=64, fourier_scale=5.0)
    torch.manual_seed(0)
    assert torch.equal(energy.frequencies, torch.randn(2, 64) * 5.0)
    # The sequence [s] draws the same numbers.
    torch.manual_seed(0)
    single = MLPEnergy(2, (4,), n_fourier_features=64, fourier_scale=[5.0])
    torch.testing.assert_close(single.frequencies, energy.frequencies)
    assert list(energy.state_dict()) == list(single.state_dict())


@pytest.mark.parametrize(
    "scales, counts",
    [((1.0, 2.5, 5.0, 10.0), [1000] * 4), ((0.5, 8.0, 2.0), [1001, 1000, 1000])],
)
def test_mlp_multiscale_frequencies_per_scale_std(scales, counts):
    m = sum(counts)
    energy = MLPEnergy(3, (4,), n_fourier_features=m, fourier_scale=list(scales))
    frequencies = energy.frequencies
    assert frequencies.shape == (3, m)
    assert energy.layers[0].in_features == 3 + 2 * m
    # Contiguous blocks, one per scale, in the given order (the first m % k
    # scales get one more); within a block the entries are N(0, s^2).
    blocks = torch.split(frequencies, counts, dim=1)
    for block, scale in zip(blocks, scales, strict=True):
        n = block.numel()  # ~3000 draws: relative se of the std ~ 1 / sqrt(2n)
        assert abs(float(block.std()) / scale - 1.0) < 4 / (2 * n) ** 0.5
        assert abs(float(block.mean())) < 4 * scale / n**0.5
    # The features keep unit norm whatever the scales.
    phi = energy.features(torch.randn(5, 3))
    torch.testing.assert_close(phi[:, 3:].norm(dim=1), torch.ones(5))


def test_mlp_multiscale_with_fewer_frequencies_than_scales():
    energy = MLPEnergy(2, (4,), n_fourier_features=5, fourier_scale=(1.0, 100.0))
    # 3 frequencies at scale 1, then 2 at scale 100.
    assert energy.frequencies[:, :3].abs().max() < 10.0
    assert energy.frequencies.shape == (2, 5)
    with pytest.raises(ValueError, match="every scale needs a frequency"):
        MLPEnergy(2, (4,), n_fourier_features=2, fourier_scale=(1.0, 2.0, 3.0))
    # Without Fourier features the scales are not used.
    assert MLPEnergy(2, (4,), fourier_scale=(1.0, 2.0)).frequencies.shape == (2, 0)


@pytest.mark.parametrize("scale", [0.0, -1.0, (), (1.0, 0.0), [2.0, -3.0]])
def test_mlp_rejects_non_positive_scales(scale):
    with pytest.raises(ValueError, match="fourier_scale"):
        MLPEnergy(2, (4,), n_fourier_features=8, fourier_scale=scale)


@pytest.mark.parametrize("spectral_norm", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("hidden", [(16, 16), ()])
def test_mlp_zero_init_output_starts_at_zero_then_learns(
    spectral_norm, n_outputs, hidden
):
    energy = MLPEnergy(
        2,
        hidden,
        n_outputs=n_outputs,
        spectral_norm=spectral_norm,
        n_fourier_features=8,
        zero_init_output=True,
    )
    x = 3.0 * torch.randn(50, 2)
    for mode in (energy.train, energy.eval):
        mode()
        out = energy(x)
        assert out.shape == ((50,) if n_outputs == 1 else (50, n_outputs))
        assert torch.equal(out, torch.zeros_like(out))
    assert (energy.output_gain is not None) == spectral_norm
    # Training moves it away from zero, and then every parameter gets a gradient.
    energy.train()
    optimizer = torch.optim.SGD(energy.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        (energy(x) * torch.randn_like(energy(x))).sum().backward()
        optimizer.step()
    optimizer.zero_grad()
    out = energy(x)
    assert torch.all(torch.isfinite(out)) and out.abs().max() > 0
    (out**2).sum().backward()
    for name, parameter in energy.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_mlp_zero_init_output_changes_only_the_last_layer():
    torch.manual_seed(0)
    plain = MLPEnergy(2, (16,), n_fourier_features=8)
    torch.manual_seed(0)
    zeroed = MLPEnergy(2, (16,), n_fourier_features=8, zero_init_output=True)
    state, zero_state = plain.state_dict(), zeroed.state_dict()
    assert list(state) == list(zero_state)  # no extra parameter without SN
    for name in state:
        if name.startswith("layers.2."):
            assert torch.equal(zero_state[name], torch.zeros_like(state[name]))
        else:
            assert torch.equal(zero_state[name], state[name]), name
    torch.manual_seed(0)
    sn = MLPEnergy(2, (16,), spectral_norm=True, zero_init_output=True)
    assert "output_gain" in sn.state_dict()
    assert "output_gain" in dict(sn.named_parameters())


def test_mlp_spectral_norm_bounds_singular_values():
    energy = MLPEnergy(2, (64, 64), spectral_norm=True)
    for layer in energy.modules():
        if isinstance(layer, nn.Linear):  # make the raw weights large
            layer.parametrizations.weight.original.data *= 10.0
    energy.train()
    for _ in range(20):  # power iterations, one per training forward pass
        energy(torch.randn(4, 2))
    energy.eval()
    weights = _linear_weights(energy)
    assert len(weights) == 3
    for weight in weights:
        sigma = float(torch.linalg.matrix_norm(weight.detach(), ord=2))
        assert abs(sigma - 1.0) < 1e-2
    # Hence a Lipschitz energy: |grad_x E| <= Lip(SiLU)^2 * prod(sigma).
    x = 3.0 * torch.randn(500, 2, requires_grad=True)
    (grad,) = torch.autograd.grad(energy(x).sum(), x)
    assert grad.norm(dim=1).max() <= SILU_LIPSCHITZ**2 * 1.01**3
    # Without spectral normalisation the same scaled-up weights are far steeper.
    raw = MLPEnergy(2, (64, 64))
    for weight in _linear_weights(raw):
        weight.data *= 10.0
    (grad,) = torch.autograd.grad(raw(x).sum(), x)
    assert grad.norm(dim=1).max() > 10.0


def test_mlp_leaves_input_alone_and_has_no_batch_coupling():
    energy = MLPEnergy(3, (16,))
    x = torch.randn(6, 3)
    full = energy(x)
    torch.testing.assert_close(torch.cat([energy(x[:2]), energy(x[2:])]), full)


# --------------------------------------------------------------------------
# ConvEnergy
# --------------------------------------------------------------------------


@pytest.mark.parametrize("image_shape", [(8, 8), (28, 28), (32, 32, 3), (6, 10)])
def test_conv_output_shapes_on_flat_rows(image_shape):
    width = torch.tensor(image_shape).prod().item()
    x = torch.randn(3, width)
    energy = ConvEnergy(image_shape, channels=(4, 8), hidden_size=16)
    out = energy(x)
    assert out.shape == (3,)
    assert torch.all(torch.isfinite(out))
    logits = ConvEnergy(image_shape, channels=(4,), hidden_size=8, n_outputs=10)
    assert logits(x).shape == (3, 10)


def test_conv_reads_rows_as_channels_last_images():
    energy = ConvEnergy((32, 32, 3), channels=(4, 8), hidden_size=16)
    images = torch.randn(4, 32, 32, 3)  # numpy layout (n, H, W, C)
    x = images.reshape(4, -1)
    expected = energy.head(energy.features(images.permute(0, 3, 1, 2))).squeeze(-1)
    torch.testing.assert_close(energy(x), expected)
    # A channels-first reading of the same rows would give something else.
    wrong = x.reshape(4, 3, 32, 32)
    assert not torch.allclose(energy.head(energy.features(wrong)).squeeze(-1), expected)
    # Make the network blind to colour channels 1 and 2: perturbing every third
    # value from offset 1 or 2 of a row (channels 1, 2 in channels-last order)
    # then changes nothing, and perturbing offset 0 (channel 0) does.
    with torch.no_grad():
        energy.features[0].weight[:, 1:] = 0.0
    base = energy(x)
    other_channels = x.clone()
    other_channels.view(4, -1, 3)[..., 1:] += torch.randn(4, 32 * 32, 2)
    torch.testing.assert_close(energy(other_channels), base)
    channel_zero = x.clone()
    channel_zero.view(4, -1, 3)[..., 0] += torch.randn(4, 32 * 32)
    assert torch.all((energy(channel_zero) - base).abs() > 1e-6)


def test_conv_non_square_image_uses_height_then_width():
    energy = ConvEnergy((6, 10), channels=(4,), hidden_size=8)
    images = torch.randn(2, 6, 10)
    expected = energy.head(energy.features(images.unsqueeze(1))).squeeze(-1)
    torch.testing.assert_close(energy(images.reshape(2, -1)), expected)
    transposed = images.transpose(1, 2).reshape(2, -1)
    assert not torch.allclose(energy(transposed), expected)


@pytest.mark.parametrize("image_shape", [(8,), (8, 8, 3, 1), (0, 8), (8, 8, 0)])
def test_conv_rejects_invalid_image_shape(image_shape):
    with pytest.raises(ValueError, match="image_shape"):
        ConvEnergy(image_shape)


@pytest.mark.parametrize("width", [63, 65, 128, 192])
def test_conv_rejects_rows_of_the_wrong_width(width):
    # 128 = 2 * 64 used to be silently read as twice as many 8x8 images.
    energy = ConvEnergy((8, 8), channels=(4,), hidden_size=8)
    with pytest.raises(ValueError, match="64"):
        energy(torch.randn(3, width))


def test_conv_spectral_norm_bounds_singular_values():
    energy = ConvEnergy((8, 8), channels=(4, 8), hidden_size=16, spectral_norm=True)
    energy.train()
    for _ in range(20):
        energy(torch.randn(2, 64))
    energy.eval()
    weights = _linear_weights(energy)
    assert len(weights) == 4
    for weight in weights:  # the (out, in * k * k) matrix, as torch normalises it
        sigma = float(torch.linalg.matrix_norm(weight.detach().flatten(1), ord=2))
        assert abs(sigma - 1.0) < 1e-2


# --------------------------------------------------------------------------
# LogitsEnergy
# --------------------------------------------------------------------------


def test_logits_energy_identities():
    logits_net = MLPEnergy(4, (16,), n_outputs=3)
    energy = LogitsEnergy(logits_net)
    x = torch.randn(20, 4)
    y = torch.randint(0, 3, (20,))
    logits = logits_net(x)
    e_x = energy(x)
    e_xy = energy.energy_xy(x, y)
    assert e_x.shape == (20,) and e_xy.shape == (20,)
    torch.testing.assert_close(e_x, -torch.logsumexp(logits, 1))
    torch.testing.assert_close(e_xy, -logits[torch.arange(20), y])
    # p(y | x) = exp(-E(x, y)) / exp(-E(x)) is the softmax of the logits.
    all_xy = torch.stack(
        [energy.energy_xy(x, torch.full((20,), k)) for k in range(3)], 1
    )
    torch.testing.assert_close(
        torch.softmax(logits, 1), torch.exp(-all_xy + e_x[:, None])
    )
    # Labels given as floats are accepted.
    torch.testing.assert_close(energy.energy_xy(x, y.float()), e_xy)


# --------------------------------------------------------------------------
# ResidualEnergy
# --------------------------------------------------------------------------


def test_residual_energy_adds_frozen_base():
    learned = MLPEnergy(2, (8,))
    base = MLPEnergy(2, (8,))
    energy = ResidualEnergy(learned, base)
    x = torch.randn(10, 2)
    torch.testing.assert_close(energy(x), learned(x) + base(x))
    assert all(not p.requires_grad for p in base.parameters())
    assert all(p.requires_grad for p in learned.parameters())
    energy(x).sum().backward()
    assert all(p.grad is None for p in base.parameters())
    assert all(p.grad is not None for p in learned.parameters())
    trainable = [p for p in energy.parameters() if p.requires_grad]
    assert len(trainable) == len(list(learned.parameters()))


def test_residual_energy_with_gaussian_base():
    mean, cov = torch.tensor([1.0, -1.0]), torch.tensor([[2.0, 0.3], [0.3, 0.5]])
    base = Gaussian(mean, cov)
    energy = ResidualEnergy(MLPEnergy(2, (8,)), base)
    x = torch.randn(10, 2)
    reference = -torch.distributions.MultivariateNormal(mean, cov).log_prob(x)
    torch.testing.assert_close(energy(x), energy.energy(x) + reference)
    state = energy.state_dict()
    assert "base.mean" in state and "base.scale_tril" in state
    assert not any(name.startswith("base.") for name, _ in energy.named_parameters())


# --------------------------------------------------------------------------
# Modes and serialisation
# --------------------------------------------------------------------------


def _networks():
    return {
        "mlp": (MLPEnergy(3, (16, 16), n_fourier_features=4), 3),
        "mlp_sn": (MLPEnergy(3, (16, 16), spectral_norm=True), 3),
        "mlp_multiscale": (
            MLPEnergy(3, (16,), n_fourier_features=6, fourier_scale=(1.0, 4.0)),
            3,
        ),
        "conv": (ConvEnergy((8, 8), channels=(4, 8), hidden_size=16), 64),
        "conv_rgb": (ConvEnergy((4, 4, 3), channels=(4,), hidden_size=8), 48),
        "logits": (LogitsEnergy(MLPEnergy(3, (16,), n_outputs=5)), 3),
        "residual": (
            ResidualEnergy(MLPEnergy(3, (8,)), Gaussian(torch.zeros(3), torch.eye(3))),
            3,
        ),
    }


@pytest.mark.parametrize("name", ["mlp", "conv", "conv_rgb", "logits", "residual"])
def test_train_and_eval_modes_agree(name):
    # No batch normalisation or dropout: the mode does not change the output.
    # (Spectral normalisation is excluded: in train mode each forward pass runs
    # a power iteration, by design.)
    network, width = _networks()[name]
    x = torch.randn(8, width)
    network.train()
    out_train = network(x)
    network.eval()
    assert torch.equal(network(x), out_train)


@pytest.mark.parametrize("name", list(_networks()))
def test_state_dict_round_trip(name):
    network, width = _networks()[name]
    network.train()
    network(torch.randn(4, width))  # advance spectral-norm power iterations
    network.eval()
    buffer = io.BytesIO()
    torch.save(network.state_dict(), buffer)
    buffer.seek(0)
    torch.manual_seed(123)  # a differently initialised twin
    twin, _ = _networks()[name]
    twin.eval()
    x = torch.randn(8, width)
    assert not torch.equal(twin(x), network(x))
    twin.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(twin(x), network(x))
