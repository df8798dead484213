"""Tests of sk_ebm.io: safe persistence without pickle."""

import copy
import json
import os
import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import fast
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.datasets import load_digits, make_moons
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KernelDensity
from skorch.callbacks import EpochScoring

from sk_ebm import (
    EnergyClassifier,
    EnergyDensityEstimator,
    NCEDensityEstimator,
    OODDetector,
)
from sk_ebm.io import dump, load

pytestmark = pytest.mark.usefixtures("single_thread")

FLOW = dict(noise="flow", noise_kwargs={"transforms": 1, "hidden_features": (8,)})

MOONS, MOON_LABELS = make_moons(120, noise=0.1, random_state=0)
DIGITS, DIGIT_LABELS = (a[:150] for a in load_digits(return_X_y=True))
SEMI_LABELS = np.where(np.arange(120) % 3 == 0, -1, MOON_LABELS)

# max_epochs=2 where test_warm_start_continues_like_the_original counts the
# epochs (2, then 1 more).
CASES = {
    "classifier": (fast(EnergyClassifier, max_epochs=2), "moons", MOON_LABELS),
    "classifier-str-labels": (
        fast(EnergyClassifier, buffer_init="gaussian"),
        "moons",
        np.array(["left", "right"], dtype=object)[MOON_LABELS],
    ),
    "classifier-semi-supervised": (
        fast(EnergyClassifier),
        "moons",
        SEMI_LABELS,
    ),
    "classifier-hdge-spectral": (
        fast(EnergyClassifier, objective="hdge", module_kwargs={"spectral_norm": True}),
        "moons",
        MOON_LABELS,
    ),
    "classifier-conv": (
        fast(
            EnergyClassifier,
            image_shape=(8, 8),
            module_kwargs={"channels": (4,), "hidden_size": 8},
        ),
        "digits",
        DIGIT_LABELS,
    ),
    "density-importance": (fast(EnergyDensityEstimator), "moons", None),
    "density-gmm-base": (
        fast(EnergyDensityEstimator, base="gmm", n_components=2),
        "moons",
        None,
    ),
    "density-auto-base": (
        fast(EnergyDensityEstimator, n_components="auto", max_epochs=2),
        "moons",
        None,
    ),
    "density-no-base": (
        fast(EnergyDensityEstimator, base=None),
        "moons",
        None,
    ),
    "density-pcd": (
        fast(
            EnergyDensityEstimator,
            objective="pcd",
            sgld_steps=2,
            buffer_size=100,
            max_epochs=2,
            random_state=np.random.RandomState(0),
        ),
        "moons",
        None,
    ),
    "nce-gmm": (fast(NCEDensityEstimator, max_epochs=2), "moons", None),
    "nce-gaussian": (
        fast(NCEDensityEstimator, noise="gaussian", base=None),
        "moons",
        None,
    ),
    "nce-flow": (fast(NCEDensityEstimator, **FLOW), "moons", None),
    "ood-density": (
        fast(OODDetector),
        "moons",
        None,
    ),
    "ood-classifier": (
        fast(OODDetector, estimator=fast(EnergyClassifier), method="max_softmax"),
        "moons",
        MOON_LABELS,
    ),
    "ood-nce-grad-norm": (
        fast(OODDetector, estimator=fast(NCEDensityEstimator), method="grad_norm"),
        "moons",
        None,
    ),
}
METHODS = ("score_samples", "predict_proba", "decision_function", "predict")


def comparable(params):
    """Parameters by value (a RandomState by its state, not its address)."""
    return {
        key: value.get_state()[1].tolist()
        if isinstance(value, np.random.RandomState)
        else repr(value)
        for key, value in params.items()
    }


def data(name):
    return MOONS if name == "moons" else DIGITS


@pytest.fixture(scope="module")
def fitted():
    """Each case fitted once (a fraction of a second each)."""
    models = {}
    for name, (estimator, dataset, y) in CASES.items():
        X = data(dataset)
        models[name] = estimator.fit(X) if y is None else estimator.fit(X, y)
    return models


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    """A file written by ``dump`` from the density estimator, to tamper with."""
    path = tmp_path_factory.mktemp("io") / "density.safetensors"
    dump(fitted["density-importance"], path)
    return path


def read_file(path):
    with safe_open(path, framework="pt") as handle:
        metadata = handle.metadata()
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    return metadata, tensors


def rewrite(source, target, edit_document=None, edit_tensors=None, **metadata):
    """Copy ``source`` to ``target``, editing its JSON document or its tensors."""
    original, tensors = read_file(source)
    document = json.loads(original["estimator"])
    if edit_document is not None:
        edit_document(document)
    if edit_tensors is not None:
        edit_tensors(tensors)
    save_file(
        tensors,
        target,
        metadata={**original, "estimator": json.dumps(document), **metadata},
    )
    return target


def assert_refused(path, *fragments, **kwargs):
    with pytest.raises(ValueError, match="Cannot load") as info:
        load(path, **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value)


# -- round trips -----------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_identical_outputs(name, fitted, tmp_path):
    original = fitted[name]
    _, dataset, y = CASES[name]
    X = data(dataset)
    dump(original, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")

    assert type(loaded) is type(original)
    assert comparable(loaded.get_params()) == comparable(original.get_params())
    for method in METHODS:
        if hasattr(original, method):
            np.testing.assert_array_equal(
                getattr(loaded, method)(X), getattr(original, method)(X)
            )
    if hasattr(original, "sample"):
        np.testing.assert_array_equal(
            loaded.sample(4, random_state=0), original.sample(4, random_state=0)
        )
    if isinstance(original, EnergyClassifier):
        assert loaded.score(X, y) == original.score(X, y)
        labels = original.classes_[:1].repeat(3)
        np.testing.assert_array_equal(
            loaded.sample(3, y=labels, random_state=0),
            original.sample(3, y=labels, random_state=0),
        )
    elif not isinstance(original, OODDetector):
        assert loaded.score(X) == original.score(X)

    inner, inner_loaded = original, loaded
    if isinstance(original, OODDetector):
        assert (loaded.method_, loaded.offset_) == (original.method_, original.offset_)
        inner, inner_loaded = original.estimator_, loaded.estimator_
    assert isinstance(inner_loaded.net_.module_, torch.nn.Module)
    assert list(inner_loaded.net_.history) == list(inner.net_.history)
    for key in ("mean_", "scale_", "classes_"):
        if hasattr(inner, key):
            np.testing.assert_array_equal(
                getattr(inner_loaded, key), getattr(inner, key)
            )
            assert getattr(inner_loaded, key).dtype == getattr(inner, key).dtype


@pytest.mark.parametrize("name", ["classifier", "density-pcd", "nce-gmm"])
def test_warm_start_continues_like_the_original(name, fitted, tmp_path):
    # The persistent chains are stored, so further training matches too.
    original = fitted[name]
    _, dataset, y = CASES[name]
    args = (data(dataset),) if y is None else (data(dataset), y)
    dump(original, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    original = copy.deepcopy(original)
    for estimator in (original, loaded):
        estimator.set_params(warm_start=True, max_epochs=1).fit(*args)
    assert len(loaded.net_.history) == len(original.net_.history) == 3
    np.testing.assert_array_equal(
        loaded.score_samples(args[0]), original.score_samples(args[0])
    )


def test_round_trip_feature_names_and_random_state(tmp_path):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(MOONS, columns=["u", "v"])
    nce = fast(NCEDensityEstimator, random_state=np.random.RandomState(1)).fit(X)
    dump(nce, tmp_path / "nce.safetensors")
    loaded = load(tmp_path / "nce.safetensors")

    np.testing.assert_array_equal(loaded.feature_names_in_, ["u", "v"])
    np.testing.assert_array_equal(loaded.score_samples(X), nce.score_samples(X))
    state, loaded_state = nce.random_state.get_state(), loaded.random_state.get_state()
    np.testing.assert_array_equal(loaded_state[1], state[1])
    assert loaded_state[2:] == state[2:]


def test_load_leaves_global_rng_alone(saved):
    state = torch.get_rng_state()
    load(saved)
    assert torch.equal(torch.get_rng_state(), state)


class SmallEnergy(torch.nn.Module):
    """A user energy network, rebuilt only when passed to ``trusted_modules``."""

    def __init__(self, n_features, width=4):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_features, width),
            torch.nn.SiLU(),
            torch.nn.Linear(width, 1),
        )

    def forward(self, x):
        return self.layers(x).squeeze(-1)


def test_user_module_class_needs_trusted_modules(tmp_path):
    nce = fast(NCEDensityEstimator, module=SmallEnergy, module_kwargs={"width": 6})
    nce.fit(MOONS)
    path = tmp_path / "nce.safetensors"
    dump(nce, path)

    assert_refused(path, "SmallEnergy", "trusted_modules=[SmallEnergy]")
    loaded = load(path, trusted_modules=[SmallEnergy])
    assert loaded.module is SmallEnergy
    np.testing.assert_array_equal(loaded.score_samples(MOONS), nce.score_samples(MOONS))
    with pytest.raises(TypeError, match="trusted_modules"):
        load(path, trusted_modules=[pickle.loads])


# -- devices ---------------------------------------------------------------------
def test_model_fitted_for_another_device_loads_on_cpu(tmp_path):
    # Stand-in for a CUDA fit on a machine without one: the device parameter
    # says "cuda", the file holds CPU tensors, and load moves to the request.
    clf = fast(EnergyClassifier).fit(MOONS, MOON_LABELS)
    clf.device = "cuda"
    dump(clf, tmp_path / "clf.safetensors")
    _, tensors = read_file(tmp_path / "clf.safetensors")
    assert all(tensor.device.type == "cpu" for tensor in tensors.values())

    loaded = load(tmp_path / "clf.safetensors", device="cpu")
    assert loaded.device == "cpu"
    module_devices = {p.device.type for p in loaded.net_.module_.state_dict().values()}
    assert module_devices == {"cpu"}
    clf.device = "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(MOONS), clf.predict_proba(MOONS))


def test_device_is_set_on_wrapped_estimators(fitted, tmp_path):
    dump(fitted["ood-density"], tmp_path / "ood.safetensors")
    loaded = load(tmp_path / "ood.safetensors", device=torch.device("cpu"))
    assert loaded.estimator_.device == torch.device("cpu")
    assert loaded.estimator.device == torch.device("cpu")


def test_unavailable_or_invalid_device_is_refused(saved):
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            load(saved, device="cuda")
    with pytest.raises(ValueError, match="not a torch device"):
        load(saved, device="banana")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fitted_model_loads_on_cpu(tmp_path):
    ebm = fast(EnergyDensityEstimator, device="cuda").fit(MOONS)
    dump(ebm, tmp_path / "ebm.safetensors")
    loaded = load(tmp_path / "ebm.safetensors", device="cpu")
    assert loaded.device == "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(
        loaded.score_samples(MOONS), ebm.score_samples(MOONS), rtol=1e-5, atol=1e-5
    )
    on_gpu = load(tmp_path / "ebm.safetensors", device="cuda")
    np.testing.assert_array_equal(on_gpu.score_samples(MOONS), ebm.score_samples(MOONS))


# -- what dump refuses -------------------------------------------------------------
def test_dump_refuses_unfitted_and_foreign_estimators(tmp_path):
    with pytest.raises(NotFittedError):
        dump(EnergyDensityEstimator(), tmp_path / "x.safetensors")
    with pytest.raises(NotFittedError):
        dump(OODDetector(), tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="LogisticRegression"):
        dump(LogisticRegression().fit(MOONS, MOON_LABELS), tmp_path / "x.safetensors")
    assert not os.path.exists(tmp_path / "x.safetensors")


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: fast(NCEDensityEstimator, module=SmallEnergy(2)),
            "instance",
        ),
        (
            lambda: fast(NCEDensityEstimator, noise=KernelDensity()),
            "noise=KernelDensity",
        ),
        (lambda: OODDetector(KernelDensity()), "KernelDensity"),
    ],
    ids=["module-instance", "estimator-noise", "ood-foreign-estimator"],
)
def test_dump_refuses_what_only_pickle_can_store(make, message, tmp_path):
    estimator = make().fit(MOONS)
    with pytest.raises(ValueError, match=message) as info:
        dump(estimator, tmp_path / "x.safetensors")
    assert "pickle" in str(info.value)
    assert not os.path.exists(tmp_path / "x.safetensors")


def test_dump_refuses_parameters_changed_after_fit(tmp_path):
    ebm = fast(EnergyDensityEstimator).fit(MOONS)
    ebm.set_params(hidden_layer_sizes=(32,))  # not the fitted (16,)
    with pytest.raises(ValueError, match="set_params after fit"):
        dump(ebm, tmp_path / "x.safetensors")


def test_dump_warns_that_callbacks_are_not_saved(tmp_path):
    scoring = EpochScoring(lambda net, X, y: 1.0, on_train=True, name="one")
    # Two epochs, two scores below.
    clf = fast(EnergyClassifier, max_epochs=2, callbacks=[("one", scoring)])
    clf.fit(MOONS, MOON_LABELS)
    with pytest.warns(UserWarning, match="callbacks"):
        dump(clf, tmp_path / "clf.safetensors")
    loaded = load(tmp_path / "clf.safetensors")
    assert loaded.callbacks is None
    assert loaded.net_.history[:, "one"] == [1.0, 1.0]


# -- what load refuses -------------------------------------------------------------
class Payload:
    """Unpickling this would create ``marker``: the attack pickle allows."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "model.safetensors"
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        path.write_bytes(pickle.dumps(Payload(marker), protocol=protocol))
        assert_refused(path, "not a valid safetensors file")
    assert not marker.exists()


def test_files_that_are_not_safetensors_are_refused(saved, tmp_path):
    path = tmp_path / "model.safetensors"
    for content in (b"", os.urandom(256), saved.read_bytes()[:-7]):
        path.write_bytes(content)
        assert_refused(path, "not a valid safetensors file")
    torch.save({"weight": torch.zeros(2)}, path)
    assert_refused(path, "not a valid safetensors file")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.safetensors")


def test_safetensors_without_sk_ebm_header_is_refused(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_file({"weight": torch.zeros(2)}, path)
    assert_refused(path, "not an sk_ebm model")


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"format_version": "2"}, "format version '2'"),
        ({"estimator": "{not json"}, "not valid JSON"),
        ({"estimator": "[" * 100_000 + "]" * 100_000}, "JSON"),
        ({"estimator": "[]"}, "not a JSON object"),
    ],
    ids=["version", "malformed", "deep", "not-object"],
)
def test_malformed_header_is_refused(saved, tmp_path, metadata, message):
    path = tmp_path / "model.safetensors"
    original, tensors = read_file(saved)
    save_file(tensors, path, metadata={**original, **metadata})
    assert_refused(path, message)


def set_class(name):
    def edit(document):
        document["class"] = name

    return edit


def set_param(name, value):
    def edit(document):
        document["params"][name] = value

    return edit


def set_state(name, value):
    def edit(document):
        document["state"][name] = value

    return edit


def drop_state(name):
    def edit(document):
        del document["state"][name]

    return edit


TAMPERED_DOCUMENTS = {
    "class-os.system": (set_class("os.system"), "'os.system'"),
    "class-builtins.eval": (set_class("builtins.eval"), "'builtins.eval'"),
    "class-sklearn": (
        set_class("sklearn.linear_model.LogisticRegression"),
        "not one of the estimators",
    ),
    "module-class": (
        set_param("module", {"__module_class__": "os.system"}),
        "trusted_modules",
    ),
    "module-class-elsewhere": (
        set_param("module_kwargs", {"__module_class__": "os.system"}),
        "only 'module' may",
    ),
    "unknown-tag": (set_param("hidden_layer_sizes", {"__reduce__": "os.system"}), ""),
    "nested-class": (
        set_param(
            "module_kwargs", {"__estimator__": {"class": "os.system", "params": {}}}
        ),
        "'os.system'",
    ),
    "wrong-type": (set_param("max_epochs", "three"), "max_epochs"),
    "wrong-type-list": (set_param("lr", [1, 2]), "lr"),
    "unknown-parameter": (set_param("__class__", None), "__class__"),
    "callbacks": (set_param("callbacks", ["os.system"]), "callbacks"),
    "bad-network-params": (
        set_param("hidden_layer_sizes", {"__tuple__": [-3]}),
        "could not rebuild",
    ),
    "unknown-attribute": (set_state("__dict__", 1), "unknown attributes"),
    "missing-attribute": (drop_state("log_partition_"), "log_partition_"),
    "wrong-shape-attribute": (
        set_state(
            "mean_", {"__ndarray__": {"dtype": "<f8", "shape": [1], "data": [0.0]}}
        ),
        "mean_",
    ),
    "object-array-of-objects": (
        set_state(
            "mean_",
            {"__ndarray__": {"dtype": "|O", "shape": [1], "data": [{"a": 1}]}},
        ),
        "mean_",
    ),
    "refused-dtype": (
        set_state(
            "mean_", {"__ndarray__": {"dtype": "|V8", "shape": [1], "data": [0]}}
        ),
        "dtype",
    ),
    "wrong-type-attribute": (set_state("log_partition_", "0"), "log_partition_"),
    "history": (lambda d: d["net"].update(history={"a": 1}), "history"),
}


@pytest.mark.parametrize("case", list(TAMPERED_DOCUMENTS))
def test_tampered_document_is_refused(saved, tmp_path, case):
    edit, message = TAMPERED_DOCUMENTS[case]
    path = rewrite(saved, tmp_path / "model.safetensors", edit_document=edit)
    assert_refused(path, message)


def test_tampered_wrapped_estimator_is_refused(fitted, tmp_path):
    dump(fitted["ood-density"], tmp_path / "ood.safetensors")

    def edit(document):
        document["estimator_"]["class"] = "builtins.eval"

    path = rewrite(tmp_path / "ood.safetensors", tmp_path / "x.safetensors", edit)
    assert_refused(path, "'builtins.eval'")


def test_tampered_chains_are_refused(fitted, tmp_path):
    dump(fitted["classifier"], tmp_path / "clf.safetensors")

    def edit(tensors):
        tensors["buffer.states"] = tensors["buffer.states"][:10]

    path = rewrite(
        tmp_path / "clf.safetensors", tmp_path / "x.safetensors", edit_tensors=edit
    )
    assert_refused(path, "buffer.states", "(10, 2)")


def test_tampered_classes_are_refused(fitted, tmp_path):
    dump(fitted["classifier"], tmp_path / "clf.safetensors")
    unsorted = {"__ndarray__": {"dtype": "<i8", "shape": [2], "data": [1, 0]}}
    path = rewrite(
        tmp_path / "clf.safetensors",
        tmp_path / "x.safetensors",
        set_state("classes_", unsorted),
    )
    assert_refused(path, "classes_")


def drop_tensor(tensors):
    del tensors["module.energy.layers.0.weight"]


def reshape_tensor(tensors):
    tensors["module.energy.layers.0.weight"] = torch.zeros(3, 3)


def retype_tensor(tensors):
    tensors["module.energy.layers.0.weight"] = tensors[
        "module.energy.layers.0.weight"
    ].double()


def extra_tensor(tensors):
    tensors["payload"] = torch.zeros(1)


def resize_proposal(tensors):
    tensors["proposal.means"] = torch.zeros(1, 5)


@pytest.mark.parametrize(
    "edit, message",
    [
        (drop_tensor, "missing energy.layers.0.weight"),
        (reshape_tensor, "shape (3, 3)"),
        (retype_tensor, "torch.float64"),
        (extra_tensor, "payload"),
        (resize_proposal, "proposal.means"),
    ],
    ids=["missing", "shape", "dtype", "extra", "distribution-shape"],
)
def test_tampered_tensors_are_refused(saved, tmp_path, edit, message):
    path = rewrite(saved, tmp_path / "model.safetensors", edit_tensors=edit)
    assert_refused(path, message)


def test_errors_are_not_torch_tracebacks(saved, tmp_path):
    path = rewrite(saved, tmp_path / "model.safetensors", edit_tensors=reshape_tensor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as info:
            load(path)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
