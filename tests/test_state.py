"""The state protocol: old files still load, and a new estimator becomes
saveable by declaring its table and registering, with no change to io."""

import ast
import pathlib

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator

import sk_ebm
from sk_ebm._density_base import BaseDensityEstimator
from sk_ebm._net import ImportanceNet
from sk_ebm._params import common_constraints
from sk_ebm._state import Fitted, register, registered
from sk_ebm.io import dump, load
from sk_ebm.nn import ResidualEnergy
from sk_ebm.sampling import Gaussian

pytestmark = pytest.mark.usefixtures("single_thread")

DATA = pathlib.Path(__file__).parent / "data" / "io_v1"
PACKAGE = pathlib.Path(sk_ebm.__file__).parent
LEGACY = [
    "classifier",
    "density_importance",
    "density_pcd",
    "nce_gmm",
    "nce_flow",
    "ood_nce",
]


@pytest.mark.parametrize("name", LEGACY)
def test_files_written_before_the_state_protocol_load_unchanged(name):
    """Files written by sk_ebm.io before the refactor (tests/data/io_v1, made
    with that code) load and give the outputs recorded then: exactly the same
    model, up to the rounding of later numerical changes (a Gaussian's
    log-density computed through the inverse of its factor)."""
    expected = np.load(DATA / "expected.npz")
    model = load(DATA / f"{name}.safetensors")
    if name == "classifier":
        np.testing.assert_allclose(
            model.predict_proba(expected["X"]), expected[name], rtol=1e-9, atol=1e-12
        )
        sample = model.sample(3, y=1, random_state=0)
    else:
        np.testing.assert_allclose(
            model.score_samples(expected["X"]), expected[name], rtol=1e-9
        )
        inner = model.estimator_ if name.startswith("ood") else model
        sample = inner.sample(3, random_state=0)
    # Float32 chains: a rounding change moves a sample by ~1e-7.
    np.testing.assert_allclose(sample, expected[f"{name}_sample"], rtol=1e-5, atol=1e-5)


def test_legacy_mixture_sizes_come_from_the_tensors():
    density = load(DATA / "density_importance.safetensors")
    assert density.n_components_ == 2
    assert density.net_.proposal_.means.shape == (3, 2)
    assert load(DATA / "nce_gmm.safetensors").noise_components_ == 2


class TinyDensity(BaseDensityEstimator, BaseEstimator):
    """A density estimator written against the protocol only: an MLP tilting a
    Gaussian, maximum likelihood by importance sampling from a wide Gaussian,
    log Z of the base only (the test needs the protocol, not the science)."""

    _parameter_constraints: dict = common_constraints()
    _fitted_attributes: dict = {
        **BaseDensityEstimator._common_fitted_attributes,
        "log_partition_": Fitted("float"),
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(8,),
        image_shape=None,
        max_epochs=2,
        batch_size=64,
        lr=1e-2,
        weight_decay=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        sample_steps=5,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.image_shape = image_shape
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.sample_steps = sample_steps
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    base = "gaussian"

    def fit(self, X, y=None):
        return self._fit(X)

    def _build_modules(self, n_features, fit=None):
        network = self._build_network(n_features, seed=fit.torch_seed if fit else 0)
        base = self._base_gaussian(n_features, None if fit is None else fit.Z)
        energy = self._with_base(network, base)
        wide = Gaussian(torch.zeros(n_features), 4 * torch.eye(n_features))
        return torch.nn.ModuleDict({"module": energy, "proposal": wide})

    def _make_net(self, tree, fit):
        return ImportanceNet(
            tree["module"], proposal=tree["proposal"], **self._net_kwargs(fit, [])
        )

    def _finish_fit(self, fit):
        self.log_partition_ = self._log_jacobian()

    def _sampler(self):
        return self.net_.module_, self.net_.proposal_


def test_a_new_estimator_is_saveable_by_declaring_and_registering(tmp_path):
    register(TinyDensity)
    assert registered("TinyDensity") is TinyDensity
    X = np.random.RandomState(0).normal(size=(200, 3))
    tiny = TinyDensity(random_state=0).fit(X)
    assert isinstance(tiny.net_.module_, ResidualEnergy)
    dump(tiny, tmp_path / "tiny.safetensors")
    loaded = load(tmp_path / "tiny.safetensors")
    assert type(loaded) is TinyDensity
    np.testing.assert_array_equal(loaded.score_samples(X), tiny.score_samples(X))
    np.testing.assert_array_equal(
        loaded.sample(4, random_state=0), tiny.sample(4, random_state=0)
    )


def _imports(path: pathlib.Path) -> set[str]:
    """Modules imported by a source file (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


ESTIMATOR_MODULES = {
    "sk_ebm._classifier",
    "sk_ebm._density",
    "sk_ebm._nce",
    "sk_ebm._ood",
}


@pytest.mark.parametrize(
    "module",
    [
        "io.py",
        "_document.py",
        "_json.py",
        "_state.py",
        "_base.py",
        "_net.py",
        "_divergence.py",
        "_callbacks.py",
        "_data.py",
    ],
)
def test_lower_layers_import_no_estimator_module(module):
    """io dispatches through the registry; the skeleton and the nets sit
    below the estimators (DESIGN.md: imports point down)."""
    assert not _imports(PACKAGE / module) & ESTIMATOR_MODULES


def test_metrics_and_torch_core_import_no_estimator_or_skorch():
    for folder in ("metrics", "nn", "sampling", "objectives"):
        for path in (PACKAGE / folder).glob("*.py"):
            imported = _imports(path)
            assert not imported & ESTIMATOR_MODULES, path
            if folder != "metrics":
                assert not {
                    m for m in imported if m.split(".")[0] in ("sklearn", "skorch")
                }, path
