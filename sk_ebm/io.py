"""Save and load fitted estimators without pickle.

:mod:`pickle` (and :func:`joblib.load`, or :func:`torch.load` without
``weights_only``) runs code chosen by whoever wrote the file: loading a model
file received from someone else can take over the machine. :func:`dump`
writes a fitted sk_ebm estimator as one `safetensors
<https://huggingface.co/docs/safetensors>`_ file instead, and :func:`load`
reads it back as data only:

- the tensors of the networks (energy, base density, proposal, noise) and of
  the persistent Langevin chains are the body of the file, stored from CPU
  copies;
- a JSON document in the file's header holds everything else: the format and
  its version, the estimator's class name, its ``get_params()``, its fitted
  attributes (``mean_``, ``scale_``, ``classes_`` with their dtype,
  ``n_features_in_``, ``feature_names_in_``, ``log_partition_``,
  ``offset_``, ...) and the skorch training history of ``net_``.

:func:`load` accepts only the class names of the four sk_ebm estimators and
rebuilds the torch modules with the estimator's own code from its parameters,
as ``fit`` builds them; the weights are copied in after their names, shapes
and dtypes are checked. No class is imported by a name read from the file and
nothing is unpickled; a file that does not match this layout is refused with a
:class:`ValueError`.

Pickle remains the way to store what this format cannot describe (a module
instance, a scikit-learn estimator as NCE noise), for files you trust.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import json
import math
import os
import re
import warnings

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from sk_ebm import __version__
from sk_ebm._classifier import EnergyClassifier
from sk_ebm._density import EnergyDensityEstimator
from sk_ebm._nce import NCEDensityEstimator
from sk_ebm._net import NCEModule
from sk_ebm._ood import OODDetector
from sk_ebm.nn import LogitsEnergy, ResidualEnergy
from sk_ebm.sampling import Gaussian, GaussianMixture, ReplayBuffer, Uniform

__all__ = ["dump", "load"]

FORMAT_NAME = "sk_ebm"
FORMAT_VERSION = "1"

# The only classes a file can name. Torch modules are never named: each
# estimator rebuilds its own from its parameters.
_ESTIMATORS = {
    cls.__name__: cls
    for cls in (
        EnergyClassifier,
        EnergyDensityEstimator,
        NCEDensityEstimator,
        OODDetector,
    )
}

# Fitted attributes stored as JSON, per class: name -> required. The
# estimator-valued ones (net_, noise_, estimator_) are stored apart.
_STATE = {
    "EnergyClassifier": {
        "n_features_in_": True,
        "feature_names_in_": False,
        "mean_": True,
        "scale_": True,
        "classes_": True,
    },
    "EnergyDensityEstimator": {
        "n_features_in_": True,
        "feature_names_in_": False,
        "mean_": True,
        "scale_": True,
        "log_partition_": True,
        "log_partition_std_": True,
    },
    "NCEDensityEstimator": {
        "n_features_in_": True,
        "feature_names_in_": False,
        "mean_": True,
        "scale_": True,
        "log_partition_": True,
    },
    "OODDetector": {"method_": True, "offset_": True},
}
_COMPONENTS = {
    "EnergyClassifier": ("net_",),
    "EnergyDensityEstimator": ("net_",),
    "NCEDensityEstimator": ("net_", "noise_"),
    "OODDetector": ("estimator_",),
}
_TAGS = (
    "__tuple__",
    "__dict__",
    "__ndarray__",
    "__random_state__",
    "__estimator__",
    "__module_class__",
)
_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|U[0-9]{1,6}|O)")
_SCALAR_TYPES = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float)}


class _FileError(ValueError):
    """A file that :func:`load` refuses; :func:`load` adds the file's name."""


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# -- encoding (dump) -----------------------------------------------------------
def _cannot_store(where: str, value) -> ValueError:
    return ValueError(
        f"{where} is a {type(value).__name__}, which sk_ebm.io cannot store as "
        "data. Use plain values (numbers, strings, tuples, lists, dicts), or "
        "pickle/skops for files that only trusted parties will load."
    )


def _encode_scalar(value, where: str):
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise _cannot_store(where, value)


def _encode(value, where: str, trusted: dict):
    """JSON form of a parameter or fitted attribute; tagged objects keep types."""
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where, trusted) for v in value]}
    if isinstance(value, list):
        return [_encode(v, where, trusted) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError(f"{where} is a dict with non-string keys.")
        return {
            "__dict__": {
                k: _encode(v, f"{where}[{k!r}]", trusted) for k, v in value.items()
            }
        }
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _encode_array(value, where)}
    if isinstance(value, np.random.RandomState):
        _, keys, pos, has_gauss, cached = value.get_state()
        return {
            "__random_state__": {
                "keys": keys.tolist(),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached_gaussian": float(cached),
            }
        }
    if type(value) in _ESTIMATORS.values():
        # An unfitted estimator as a parameter (OODDetector's ``estimator``).
        return {
            "__estimator__": {
                "class": type(value).__name__,
                "params": _encode_params(value, trusted),
            }
        }
    return _encode_scalar(value, where)


def _encode_array(array: np.ndarray, where: str) -> dict:
    kind = array.dtype.kind
    if kind not in "biufUO" or not _DTYPE.fullmatch(array.dtype.str):
        raise ValueError(f"{where} has dtype {array.dtype}, which cannot be stored.")
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": [_encode_scalar(v, where) for v in array.ravel().tolist()],
    }


def _encode_params(estimator, trusted: dict) -> dict:
    """``get_params(deep=False)`` as JSON; module classes are added to ``trusted``."""
    name = type(estimator).__name__
    encoded = {}
    for key, value in estimator.get_params(deep=False).items():
        where = f"parameter {key!r} of {name}"
        if key == "callbacks" and value:
            warnings.warn(
                f"The callbacks of {name} are training-time objects and are not "
                "saved: the loaded estimator has callbacks=None. Set them again "
                "with set_params before refitting it.",
                UserWarning,
                stacklevel=4,
            )
            value = None
        if key == "module" and value is not None:
            encoded[key] = _encode_module(value, name, trusted)
            continue
        if key == "noise" and isinstance(estimator, NCEDensityEstimator):
            if not isinstance(value, str):
                raise ValueError(
                    f"{name} with noise={type(value).__name__}(...) cannot be "
                    "saved safely: sample() needs the fitted noise estimator, "
                    "which only pickle can store. Use noise='gmm', 'gaussian' "
                    "or 'flow', or pickle/skops for files that only trusted "
                    "parties will load."
                )
        encoded[key] = _encode(value, where, trusted)
    return encoded


def _encode_module(module, name: str, trusted: dict) -> dict:
    if isinstance(module, type) and issubclass(module, torch.nn.Module):
        trusted[_qualname(module)] = module
        return {"__module_class__": _qualname(module)}
    if isinstance(module, torch.nn.Module):
        raise ValueError(
            f"{name}'s module is a {type(module).__name__} instance, whose "
            "constructor arguments are unknown, so it cannot be rebuilt from "
            "data. Pass the class and module_kwargs instead (then load the "
            "file with trusted_modules=[ThatClass]), or use pickle/skops for "
            "files that only trusted parties will load."
        )
    raise _cannot_store(f"parameter 'module' of {name}", module)


_SKIP = object()


def _encode_history(value):
    """The skorch history as plain JSON; entries that are not plain values go."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            encoded = _encode_history(item)
            if isinstance(key, str) and encoded is not _SKIP:
                out[key] = encoded
        return out
    if isinstance(value, (list, tuple)):
        items = (_encode_history(item) for item in value)
        return [item for item in items if item is not _SKIP]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    try:
        return _encode_scalar(value, "")
    except ValueError:
        return _SKIP


def _describe(estimator, prefix: str, trusted: dict) -> tuple[dict, dict]:
    """The JSON document and the tensors (keys under ``prefix``) of an estimator."""
    cls = type(estimator)
    name = cls.__name__
    if _ESTIMATORS.get(name) is not cls:
        raise TypeError(
            f"sk_ebm.io saves the sk_ebm estimators {', '.join(_ESTIMATORS)}; got "
            f"{name}."
        )
    check_is_fitted(
        estimator,
        [key for key, required in _STATE[name].items() if required]
        + list(_COMPONENTS[name]),
    )
    params = _encode_params(estimator, trusted)
    state = {}
    for key, value in vars(estimator).items():
        if not key.endswith("_") or key.startswith("_") or key in _COMPONENTS[name]:
            continue
        if key not in _STATE[name]:
            raise ValueError(
                f"{name} has the fitted attribute {key!r}, which this version of "
                "sk_ebm.io does not know how to store."
            )
        state[key] = _encode(value, f"fitted attribute {key!r} of {name}", trusted)
    document = {"class": name, "params": params, "state": state}
    if isinstance(estimator, OODDetector):
        document["estimator_"], tensors = _describe(
            estimator.estimator_, prefix + "estimator_.", trusted
        )
        return document, tensors
    net = estimator.net_
    components = {"module": net.module_}
    if isinstance(estimator, EnergyDensityEstimator):
        components["proposal"] = net.proposal_
    buffer = getattr(net, "buffer", None)
    if buffer is not None:
        components["buffer.init"] = buffer.init
    tensors = {
        f"{prefix}{component}.{key}": tensor
        for component, module in components.items()
        for key, tensor in module.state_dict().items()
    }
    if buffer is not None:
        # The persistent chains, so that a warm start continues them.
        tensors[f"{prefix}buffer.states"] = buffer.states
    tensors = {
        key: tensor.detach().to("cpu", copy=True).contiguous()
        for key, tensor in tensors.items()
    }
    document["net"] = {"history": _encode_history(list(net.history))}
    if isinstance(estimator, EnergyClassifier):
        document["net"]["semi_supervised"] = bool(
            getattr(net.criterion_, "semi_supervised", False)
        )
    return document, tensors


def dump(estimator, file) -> None:
    """Save a fitted sk_ebm estimator to a file that loads without running code.

    The file is a `safetensors <https://huggingface.co/docs/safetensors>`_
    file: the network weights as tensors, and the estimator's class name,
    parameters, fitted attributes and training history as JSON in its header
    (see :mod:`sk_ebm.io`). :func:`load` reads it back.

    Parameters
    ----------
    estimator : EnergyClassifier, EnergyDensityEstimator, NCEDensityEstimator \
or OODDetector
        A fitted estimator (an :class:`~sk_ebm.OODDetector` around one of the
        other three). Its ``module`` must be None (the default networks) or a
        :class:`torch.nn.Module` subclass, which :func:`load` then needs in
        ``trusted_modules``.
    file : str or path-like
        Where to write; the extension ``.safetensors`` is customary.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not one of the four sk_ebm estimators.
    ValueError
        If part of it can only be stored by pickle: a module instance, a
        scikit-learn estimator as ``noise`` of
        :class:`~sk_ebm.NCEDensityEstimator` or as the ``estimator`` of an
        :class:`~sk_ebm.OODDetector`, a parameter that is not a plain value;
        or if its parameters no longer describe its fitted networks (changed
        with ``set_params`` after ``fit``).

    Warns
    -----
    UserWarning
        When ``callbacks`` are set: they are not saved (the loaded estimator
        has ``callbacks=None``), since they matter only for training.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    Before writing, the description is rebuilt in memory as :func:`load`
    would rebuild it, so a file that :func:`dump` writes loads.

    Examples
    --------
    >>> import os, tempfile
    >>> from sk_ebm import EnergyDensityEstimator
    >>> from sk_ebm.datasets import make_eight_gaussians
    >>> from sk_ebm.io import dump, load
    >>> X, _ = make_eight_gaussians(n_samples=200, random_state=0)
    >>> ebm = EnergyDensityEstimator(hidden_layer_sizes=(8,), max_epochs=2,
    ...                              ais_chains=50, ais_temperatures=10,
    ...                              random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "ebm.safetensors")
    ...     dump(ebm, path)
    ...     loaded = load(path)
    >>> bool((loaded.score_samples(X) == ebm.score_samples(X)).all())
    True
    """
    trusted: dict = {}
    document, tensors = _describe(estimator, "", trusted)
    text = json.dumps(document)
    try:
        _load_document(json.loads(text), tensors, _Context("cpu", trusted))
    except _FileError as err:
        raise ValueError(
            f"Cannot save this {type(estimator).__name__}: its saved description "
            f"does not rebuild its fitted networks ({err}). If its parameters "
            "were changed with set_params after fit, refit it or restore them."
        ) from None
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "sk_ebm_version": __version__,
        "estimator": text,
    }
    save_file(tensors, os.fspath(file), metadata=metadata)


# -- decoding (load) -----------------------------------------------------------
class _Context:
    """What a load needs besides the file: the device and the trusted classes."""

    def __init__(self, device, trusted: dict) -> None:
        self.device = device
        self.trusted = trusted


class _Tensors:
    """The file's tensors, checked against the modules that they fill."""

    def __init__(self, tensors: dict) -> None:
        self.tensors = tensors
        self.used: set = set()

    def _check_shapes(self, prefix: str, expected: dict) -> None:
        for key, shape in expected.items():
            tensor = self.tensors.get(f"{prefix}.{key}")
            if tensor is None:
                raise _FileError(f"the tensor {prefix}.{key!s} is missing")
            if tuple(tensor.shape) != shape:
                raise _FileError(
                    f"the tensor {prefix}.{key} has shape {tuple(tensor.shape)}, "
                    f"expected {shape}"
                )

    def distribution(self, prefix: str, kind: str, d: int) -> torch.nn.Module:
        """A Gaussian, mixture or uniform of dimension ``d`` shaped as the file's.

        The shapes are checked first, so that memory follows the file's size.
        """
        if kind == "gaussian":
            self._check_shapes(prefix, {"mean": (d,), "scale_tril": (d, d)})
            return Gaussian(torch.zeros(d), torch.eye(d))
        if kind == "uniform":
            self._check_shapes(prefix, {"low": (d,), "high": (d,)})
            return Uniform(torch.zeros(d), torch.ones(d))
        weights = self.tensors.get(f"{prefix}.log_weights")
        if weights is None or weights.dim() != 1 or weights.shape[0] < 1:
            raise _FileError(
                f"the tensor {prefix}.log_weights is missing or not a non-empty vector"
            )
        k = weights.shape[0]
        self._check_shapes(
            prefix,
            {
                "means": (k, d),
                "scale_trils": (k, d, d),
                "inverse_trils": (k, d, d),
            },
        )
        eye = torch.eye(d).expand(k, d, d).clone()
        return GaussianMixture(torch.ones(k), torch.zeros(k, d), eye)

    def take(self, key: str, like: torch.Tensor) -> torch.Tensor:
        """The tensor ``key``, checked to match ``like`` and moved to its device."""
        tensor = self.tensors.get(key)
        if tensor is None:
            raise _FileError(f"the tensor {key} is missing")
        if tensor.shape != like.shape or tensor.dtype != like.dtype:
            raise _FileError(
                f"the tensor {key} has shape {tuple(tensor.shape)} and dtype "
                f"{tensor.dtype}, expected {tuple(like.shape)} and {like.dtype}"
            )
        self.used.add(key)
        return tensor.to(like.device)

    def load_into(self, prefix: str, module: torch.nn.Module) -> None:
        """Copy the tensors under ``prefix`` into ``module``, all checked."""
        expected = module.state_dict()
        start = len(prefix) + 1
        given = {
            key[start:]: tensor
            for key, tensor in self.tensors.items()
            if key.startswith(prefix + ".")
        }
        missing = sorted(set(expected) - set(given))
        unexpected = sorted(set(given) - set(expected))
        if missing or unexpected:
            problems = []
            if missing:
                problems.append("missing " + ", ".join(missing[:5]))
            if unexpected:
                problems.append("unexpected " + ", ".join(unexpected[:5]))
            raise _FileError(
                f"the tensors under {prefix!r} do not match the rebuilt "
                f"{type(module).__name__} ({'; '.join(problems)})"
            )
        for key, tensor in expected.items():
            if given[key].shape != tensor.shape or given[key].dtype != tensor.dtype:
                raise _FileError(
                    f"the tensor {prefix}.{key} has shape {tuple(given[key].shape)} "
                    f"and dtype {given[key].dtype}, expected {tuple(tensor.shape)} "
                    f"and {tensor.dtype}"
                )
        module.load_state_dict(given, strict=True)
        self.used.update(f"{prefix}.{key}" for key in given)


def _decode_scalar(value, where: str):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise _FileError(f"{where} holds a {type(value).__name__} where a value was due")


def _decode(value, where: str, context: _Context):
    """Python value of :func:`_encode`'s JSON; only the tags listed are known."""
    if isinstance(value, list):
        return [_decode(item, where, context) for item in value]
    if not isinstance(value, dict):
        return _decode_scalar(value, where)
    if len(value) != 1 or next(iter(value)) not in _TAGS:
        raise _FileError(f"{where} holds an unknown object {sorted(value)[:3]}")
    ((tag, body),) = value.items()
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(_decode(item, where, context) for item in body)
    if tag == "__dict__" and isinstance(body, dict):
        return {k: _decode(v, f"{where}[{k!r}]", context) for k, v in body.items()}
    if tag == "__ndarray__" and isinstance(body, dict):
        return _decode_array(body, where)
    if tag == "__random_state__" and isinstance(body, dict):
        return _decode_random_state(body, where)
    if tag == "__estimator__" and isinstance(body, dict):
        return _decode_estimator(body, where, context)
    if tag == "__module_class__":
        raise _FileError(f"{where} names a module class; only 'module' may")
    raise _FileError(f"{where} holds a malformed {tag} object")


def _decode_array(body: dict, where: str) -> np.ndarray:
    dtype, shape, data = body.get("dtype"), body.get("shape"), body.get("data")
    if set(body) != {"dtype", "shape", "data"} or not isinstance(dtype, str):
        raise _FileError(f"{where} holds a malformed array")
    if not _DTYPE.fullmatch(dtype):
        raise _FileError(f"{where} has the array dtype {dtype!r}, which is refused")
    dtype = np.dtype(dtype)
    if (
        not isinstance(shape, list)
        or len(shape) > 8
        or not all(type(n) is int and n >= 0 for n in shape)
        or not isinstance(data, list)
        or len(data) != math.prod(shape)
    ):
        raise _FileError(f"{where} holds an array whose shape does not fit its data")
    kind = dtype.kind
    allowed = _SCALAR_TYPES.get(kind, (str,) if kind == "U" else (str, int, float))
    for item in data:
        if type(item) not in allowed and not (kind == "O" and type(item) is bool):
            raise _FileError(
                f"{where} holds a {type(item).__name__} in a {dtype} array"
            )
    if kind == "U" and any(len(item) > dtype.itemsize // 4 for item in data):
        raise _FileError(f"{where} holds strings longer than its dtype {dtype}")
    if kind == "O":
        array = np.empty(len(data), dtype=object)
        array[:] = data
    else:
        try:
            array = np.array(data, dtype=dtype)
        except (OverflowError, ValueError) as err:
            raise _FileError(f"{where} holds values out of range: {err}") from None
    return array.reshape(shape)


def _decode_random_state(body: dict, where: str) -> np.random.RandomState:
    keys = body.get("keys")
    values = (body.get("pos"), body.get("has_gauss"), body.get("cached_gaussian"))
    if (
        set(body) != {"keys", "pos", "has_gauss", "cached_gaussian"}
        or not isinstance(keys, list)
        or len(keys) != 624
        or not all(type(k) is int and 0 <= k < 2**32 for k in keys)
        or type(values[0]) is not int
        or type(values[1]) is not int
        or type(values[2]) not in (int, float)
    ):
        raise _FileError(f"{where} holds a malformed random state")
    random_state = np.random.RandomState()
    try:
        random_state.set_state(("MT19937", np.array(keys, dtype=np.uint32), *values))
    except (TypeError, ValueError) as err:
        raise _FileError(f"{where} holds an invalid random state: {err}") from None
    return random_state


def _decode_module(value, name: str, context: _Context):
    if value is None:
        return None
    if not (
        isinstance(value, dict)
        and set(value) == {"__module_class__"}
        and isinstance(value["__module_class__"], str)
    ):
        raise _FileError(f"the parameter 'module' of {name} is malformed")
    qualname = value["__module_class__"]
    if qualname not in context.trusted:
        short = qualname.rsplit(".", 1)[-1]
        raise _FileError(
            f"{name} was fitted with the module class {qualname!r}, which is "
            "built only from a class you pass: if you trust that class, call "
            f"load(..., trusted_modules=[{short}])"
        )
    return context.trusted[qualname]


def _decode_params(cls: type, raw, context: _Context):
    """An unfitted ``cls`` with the file's parameters, validated."""
    name = cls.__name__
    if not isinstance(raw, dict):
        raise _FileError(f"the parameters of {name} are not a JSON object")
    known = cls().get_params(deep=False)
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise _FileError(f"{name} has no parameter(s) {', '.join(unknown)}")
    params = {}
    for key, value in raw.items():
        where = f"the parameter {key!r} of {name}"
        if key == "module":
            params[key] = _decode_module(value, name, context)
            continue
        params[key] = _decode(value, where, context)
        if key == "callbacks" and params[key]:
            raise _FileError(f"{where} must be None; callbacks are not stored")
        if key == "noise" and cls is NCEDensityEstimator:
            if not isinstance(params[key], str):
                raise _FileError(f"{where} must be a string")
    if "device" in known:
        params["device"] = context.device
    estimator = cls()
    estimator.set_params(**params)
    try:
        estimator._validate_params()
    except ValueError as err:
        raise _FileError(f"invalid parameters of {name}: {err}") from None
    return estimator


def _decode_estimator(body: dict, where: str, context: _Context):
    name = body.get("class")
    if set(body) != {"class", "params"} or not isinstance(name, str):
        raise _FileError(f"{where} holds a malformed estimator")
    if name not in _ESTIMATORS:
        raise _FileError(f"{where} names the class {name!r}, which is not allowed")
    return _decode_params(_ESTIMATORS[name], body["params"], context)


def _check_state(name: str, key: str, value, state: dict):
    """The fitted attribute ``key`` after type and shape checks."""
    where = f"the fitted attribute {key!r} of {name}"
    n = state.get("n_features_in_")
    if key == "n_features_in_":
        if type(value) is not int or value < 1:
            raise _FileError(f"{where} must be a positive integer")
    elif key in ("mean_", "scale_"):
        if not (
            isinstance(value, np.ndarray)
            and value.dtype == np.float64
            and value.shape == (n,)
        ):
            raise _FileError(f"{where} must be a float64 array of shape ({n},)")
    elif key == "feature_names_in_":
        if not (
            isinstance(value, np.ndarray)
            and value.dtype == object
            and value.shape == (n,)
            and all(isinstance(v, str) for v in value)
        ):
            raise _FileError(f"{where} must be {n} strings")
    elif key == "classes_":
        if not isinstance(value, np.ndarray) or value.ndim != 1 or len(value) < 2:
            raise _FileError(f"{where} must be an array of at least 2 labels")
        try:
            ordered = np.array_equal(np.unique(value), value)
        except TypeError:
            ordered = False
        if not ordered:
            raise _FileError(f"{where} must be sorted distinct labels")
    elif key == "method_":
        if value not in ("energy", "max_softmax", "grad_norm"):
            raise _FileError(f"{where} is not a known method")
    else:  # log_partition_, log_partition_std_, offset_
        if type(value) not in (int, float):
            raise _FileError(f"{where} must be a number")
        value = float(value)
    return value


def _decode_history(raw) -> History:
    if not isinstance(raw, list) or not all(
        isinstance(row, dict)
        and isinstance(row.get("batches", []), list)
        and all(isinstance(batch, dict) for batch in row.get("batches", []))
        for row in raw
    ):
        raise _FileError("the training history is not a list of epochs")
    return History(raw)


def _rebuild(build, what: str):
    """Run ``build``; an error there comes from the file's values."""
    try:
        return build()
    except _FileError:
        raise
    except Exception as err:
        raise _FileError(
            f"could not rebuild the {what} from the file's parameters "
            f"({type(err).__name__}: {err})"
        ) from err


def _build_net(estimator, document: dict, tensors: _Tensors, prefix: str) -> None:
    """Rebuild ``net_`` (and ``noise_``) as ``fit`` builds them; load the weights."""
    if not isinstance(document, dict) or set(document) - {"history", "semi_supervised"}:
        raise _FileError("the description of the net is malformed")
    history = _decode_history(document.get("history", []))
    d = estimator.n_features_in_
    # Chains' init, base and proposal are fitted in fit; here their tensors
    # come from the file, so the construction helpers get placeholder rows.
    placeholder = torch.zeros(2, d)
    generator = _rebuild(lambda: estimator._generator(0), "random generator")
    device = estimator.device

    def chains(net):
        kind = "gaussian" if estimator.buffer_init == "gaussian" else "uniform"
        init = tensors.distribution(f"{prefix}buffer.init", kind, d)
        tensors.load_into(f"{prefix}buffer.init", init)
        buffer = _rebuild(
            lambda: ReplayBuffer(
                init.to(device),
                estimator.buffer_size,
                estimator.reinit_freq,
                generator=generator,
            ),
            "replay buffer",
        )
        buffer.states = tensors.take(f"{prefix}buffer.states", buffer.states)
        net.buffer = buffer

    if isinstance(estimator, EnergyClassifier):
        semi_supervised = document.get("semi_supervised", False)
        if not isinstance(semi_supervised, bool):
            raise _FileError("the net's semi_supervised flag must be a boolean")
        n_classes = len(estimator.classes_)
        module = _rebuild(
            lambda: LogitsEnergy(estimator._build_module(d, n_classes)), "network"
        )
        tensors.load_into(f"{prefix}module", module)
        net = _rebuild(
            lambda: estimator._make_net(
                module, placeholder, generator, semi_supervised
            ),
            "net",
        )
        chains(net)
    elif isinstance(estimator, EnergyDensityEstimator):
        module = _rebuild(lambda: estimator._build_module(d), "network")
        if estimator.base is not None:
            kind = "gmm" if estimator.base == "gmm" else "gaussian"
            base = tensors.distribution(f"{prefix}module.base", kind, d)
            module = ResidualEnergy(module, base)
        tensors.load_into(f"{prefix}module", module)
        proposal = tensors.distribution(f"{prefix}proposal", "gmm", d)
        tensors.load_into(f"{prefix}proposal", proposal)
        net = _rebuild(
            lambda: estimator._make_net(
                module, proposal, placeholder, None, None, generator
            ),
            "net",
        )
        if net.buffer is not None:
            chains(net)
    else:
        energy = _rebuild(lambda: estimator._build_module(d), "network")
        if estimator.base == "gaussian":
            base = tensors.distribution(f"{prefix}module.energy.base", "gaussian", d)
            energy = ResidualEnergy(energy, base)
        if estimator.noise == "gmm":
            noise = tensors.distribution(f"{prefix}module.noise", "gmm", d)
        else:
            noise = _rebuild(lambda: estimator._make_noise(placeholder, 0), "noise")
        module = NCEModule(energy, noise)
        tensors.load_into(f"{prefix}module", module)
        net = _rebuild(
            lambda: estimator._make_net(module, None, None, generator), "net"
        )
    _rebuild(net.initialize, "net")
    # As after fit: the generator is only needed in training.
    net.generator = None
    net.history = history
    estimator.net_ = net
    if isinstance(estimator, NCEDensityEstimator):
        estimator.noise_ = net.module_.noise


def _build(document, tensors: _Tensors, prefix: str, context: _Context):
    """The fitted estimator that ``document`` and the tensors describe."""
    if not isinstance(document, dict):
        raise _FileError("its estimator description is not a JSON object")
    name = document.get("class")
    if not isinstance(name, str) or name not in _ESTIMATORS:
        raise _FileError(
            f"it names the class {name!r}, which is not one of the estimators "
            f"that load accepts ({', '.join(_ESTIMATORS)})"
        )
    component = "estimator_" if name == "OODDetector" else "net"
    if set(document) != {"class", "params", "state", component}:
        raise _FileError(f"the description of {name} has unexpected or missing keys")
    estimator = _decode_params(_ESTIMATORS[name], document["params"], context)
    raw_state = document["state"]
    if not isinstance(raw_state, dict):
        raise _FileError(f"the fitted state of {name} is not a JSON object")
    spec = _STATE[name]
    unknown = sorted(set(raw_state) - set(spec))
    missing = sorted(
        key for key, required in spec.items() if required and key not in raw_state
    )
    if unknown or missing:
        raise _FileError(
            f"the fitted state of {name} has unknown attributes {unknown} or "
            f"misses {missing}"
        )
    state: dict = {}
    for key in spec:  # n_features_in_ first, the shapes of others depend on it
        if key in raw_state:
            value = _decode(raw_state[key], f"the fitted attribute {key!r}", context)
            state[key] = _check_state(name, key, value, state)
    for key, value in state.items():
        setattr(estimator, key, value)
    if name == "OODDetector":
        estimator.estimator_ = _build(
            document["estimator_"], tensors, prefix + "estimator_.", context
        )
    else:
        with torch.random.fork_rng(devices=[]):
            # Module constructors draw initial weights (then overwritten).
            torch.manual_seed(0)
            _build_net(estimator, document["net"], tensors, prefix)
    return estimator


def _load_document(document, tensors: dict, context: _Context):
    """The estimator of a parsed header and its tensors; every tensor is used."""
    tensors = _Tensors(tensors)
    try:
        estimator = _build(document, tensors, "", context)
    except RecursionError:
        raise _FileError("its estimator description is nested too deeply") from None
    extra = sorted(set(tensors.tensors) - tensors.used)
    if extra:
        raise _FileError(f"it holds tensors that no module uses: {extra[:5]}")
    return estimator


def _read(path: str) -> tuple[dict, dict]:
    """The sk_ebm document and the tensors of a safetensors file."""
    try:
        with safe_open(path, framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("format") != FORMAT_NAME:
                raise _FileError(
                    "it is a safetensors file but not an sk_ebm model (no "
                    f"format={FORMAT_NAME!r} in its header)"
                )
            version = metadata.get("format_version")
            if version != FORMAT_VERSION:
                raise _FileError(
                    f"its format version {version!r} is not supported (this "
                    f"sk_ebm {__version__} reads version {FORMAT_VERSION})"
                )
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (_FileError, OSError):
        raise
    except Exception as err:
        raise _FileError(
            f"it is not a valid safetensors file ({err}); only files written by "
            "sk_ebm.io.dump can be loaded (pickle files are refused on purpose)"
        ) from None
    try:
        document = json.loads(metadata.get("estimator", ""))
    except (ValueError, RecursionError):
        raise _FileError("its estimator description is not valid JSON") from None
    return document, tensors


def load(file, *, device="cpu", trusted_modules=None):
    """Load an estimator saved by :func:`dump`, without running code from the file.

    The file is read as data: the class name must be one of the four sk_ebm
    estimators, the parameters and fitted attributes must have the expected
    types, and the networks are rebuilt by the estimator's own code (as in
    ``fit``) before the file's weights, checked by name, shape and dtype, are
    copied in. Anything else is refused with a :class:`ValueError`.

    Parameters
    ----------
    file : str or path-like
        A file written by :func:`dump`.
    device : str or torch.device, default="cpu"
        Device of the loaded networks; it becomes the ``device`` parameter of
        the loaded estimator (and of an estimator it wraps), whatever the
        device it was fitted on.
    trusted_modules : sequence of torch.nn.Module subclasses, default=None
        The classes that the file may use as ``module``, for an estimator
        fitted with ``module=SomeClass``: they are matched by their qualified
        name and called as in ``fit``, with the file's ``module_kwargs``. The
        file only selects among the classes given here; it never names code
        to import.

    Returns
    -------
    estimator : EnergyClassifier, EnergyDensityEstimator, NCEDensityEstimator \
or OODDetector
        The fitted estimator, with ``net_.module_`` ready and ``net_.history``
        restored, and the persistent chains of its replay buffer, so that
        ``warm_start`` continues from them. Its callbacks are None; the
        optimizer state is not stored (a warm start begins a fresh one).

    Raises
    ------
    ValueError
        If the file is not a safetensors file (a pickle, random bytes, an
        empty or truncated file), is not an sk_ebm model or has an unknown
        format version, names a class that is not an sk_ebm estimator or a
        module class not in ``trusted_modules``, holds parameters or fitted
        attributes of unexpected types, or tensors that are missing, extra or
        of the wrong shape or dtype; or if ``device`` is not available.
    FileNotFoundError
        If ``file`` does not exist.

    See Also
    --------
    dump : Save a fitted estimator.

    Notes
    -----
    A parameter missing from the file takes its default value. Loading
    allocates what the file's parameters describe (e.g. the replay buffer's
    ``buffer_size`` chains): a hostile file can ask for much memory, but it
    cannot run code.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import make_moons
    >>> from sk_ebm import EnergyClassifier
    >>> from sk_ebm.io import dump, load
    >>> X, y = make_moons(100, noise=0.1, random_state=0)
    >>> clf = EnergyClassifier(hidden_layer_sizes=(8,), max_epochs=2,
    ...                        sgld_steps=2, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "clf.safetensors")
    ...     dump(clf, path)
    ...     loaded = load(path, device="cpu")
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    >>> loaded.sample(2, y=1, random_state=0).shape
    (2, 2)
    """
    trusted = {}
    for cls in trusted_modules or ():
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            raise TypeError(
                f"trusted_modules must hold torch.nn.Module subclasses, got {cls!r}."
            )
        trusted[_qualname(cls)] = cls
    try:
        torch_device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device={device!r} is not a torch device: {err}") from None
    try:
        if torch_device.type == "meta":
            raise RuntimeError("the meta device holds no data")
        torch.empty(0, device=torch_device)
    except (RuntimeError, AssertionError) as err:
        # torch's messages for missing backends run to pages; keep a sentence.
        reason = re.split(r"(?<=\.)\s", str(err).strip() or "unknown error")[0]
        raise ValueError(
            f"device={device!r} is not available here ({reason}); load with "
            "device='cpu'."
        ) from None
    path = os.fspath(file)
    try:
        document, tensors = _read(path)
        return _load_document(document, tensors, _Context(device, trusted))
    except _FileError as err:
        raise ValueError(f"Cannot load {path!r}: {err}.") from None
