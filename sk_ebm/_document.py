"""An estimator as a JSON document and tensors, through the state protocol.

:func:`describe` turns a fitted registered estimator into the document of
:mod:`sk_ebm.io`'s file header (class, parameters, fitted attributes, history)
and the tensors of its module tree; :func:`build_document` does the converse,
checking every value against the estimator's table of fitted attributes and
every tensor against the module tree that the estimator's own
``_build_modules`` rebuilds. Only registered classes are accepted, and a
module class only among the trusted ones of the :class:`Context`.
"""

from __future__ import annotations

import warnings

import torch
from sklearn.utils.validation import check_is_fitted

from sk_ebm._json import (
    FileError,
    cannot_store,
    decode,
    decode_history,
    encode,
    encode_history,
)
from sk_ebm._state import check_fitted, registered, registered_names

__all__ = ["Context", "build_document", "describe", "qualname"]


def qualname(cls: type) -> str:
    """The qualified name by which a trusted module class is matched."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _registered_class(name) -> type | None:
    return registered(name) if isinstance(name, str) else None


def _table(cls: type, *kinds: str) -> list[str]:
    return [key for key, spec in cls._fitted_attributes.items() if spec.kind in kinds]


def _estimator_encoder(trusted: dict):
    """Encode a registered (unfitted) estimator found as a parameter."""

    def encode_estimator(value):
        if _registered_class(type(value).__name__) is not type(value):
            return None
        return {"class": type(value).__name__, "params": _encode_params(value, trusted)}

    return encode_estimator


def _estimator_decoder(context):
    return lambda body, where: _decode_estimator(body, where, context)


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
        try:
            encoded[key] = encode(value, where, _estimator_encoder(trusted))
        except ValueError as err:
            raise ValueError(
                f"{name} with {key}={type(value).__name__}(...) cannot be saved "
                f"safely: {err}"
            ) from None
    return encoded


def _encode_module(module, name: str, trusted: dict) -> dict:
    if isinstance(module, type) and issubclass(module, torch.nn.Module):
        trusted[qualname(module)] = module
        return {"__module_class__": qualname(module)}
    if isinstance(module, torch.nn.Module):
        raise ValueError(
            f"{name}'s module is a {type(module).__name__} instance, whose "
            "constructor arguments are unknown, so it cannot be rebuilt from "
            "data. Pass the class and module_kwargs instead (then load the "
            "file with trusted_modules=[ThatClass]), or use pickle/skops for "
            "files that only trusted parties will load."
        )
    raise cannot_store(f"parameter 'module' of {name}", module)


def describe(estimator, prefix: str, trusted: dict) -> tuple[dict, dict]:
    """The JSON document and the tensors (keys under ``prefix``) of an estimator."""
    cls = type(estimator)
    name = cls.__name__
    if _registered_class(name) is not cls:
        raise TypeError(
            f"sk_ebm.io saves the sk_ebm estimators {', '.join(registered_names())}; "
            f"got {name}."
        )
    table = cls._fitted_attributes
    check_is_fitted(estimator, [key for key, spec in table.items() if spec.required])
    document = {"class": name, "params": _encode_params(estimator, trusted)}
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_")}
    undeclared = [key for key in fitted if not key.startswith("_") and key not in table]
    if undeclared:
        raise ValueError(
            f"{name} has the fitted attribute {undeclared[0]!r}, which its table "
            "of fitted attributes does not declare."
        )
    state, tensors = {}, {}
    for key, value in fitted.items():
        kind = table[key].kind if key in table else None
        if kind == "estimator":
            document[key], inner = describe(value, f"{prefix}{key}.", trusted)
            tensors.update(inner)
        elif kind == "estimators":
            document[key] = []
            for i, member in enumerate(value):
                inner_document, inner = describe(member, f"{prefix}{key}.{i}.", trusted)
                document[key].append(inner_document)
                tensors.update(inner)
        elif kind == "modules":
            tree = estimator._modules_tree()
            tensors.update(
                (prefix + k, t.detach().to("cpu", copy=True).contiguous())
                for k, t in tree.state_dict().items()
            )
            document["net"] = {"history": encode_history(list(value.history))}
        elif kind == "part":
            continue  # its tensors are the tree's, stored with the net's
        elif kind is not None:
            where = f"fitted attribute {key!r} of {name}"
            state[key] = encode(value, where, _estimator_encoder(trusted))
    document["state"] = state
    return document, tensors


class Context:
    """What a load needs besides the file: the device and the trusted classes."""

    def __init__(self, device, trusted: dict) -> None:
        self.device = device
        self.trusted = trusted


class _Tensors:
    """The file's tensors, checked against the modules that they fill."""

    def __init__(self, tensors: dict) -> None:
        self.tensors = tensors
        self.used: set = set()

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
            raise FileError(
                f"the tensors under {prefix!r} do not match the rebuilt "
                f"{type(module).__name__} ({'; '.join(problems)})"
            )
        for key, tensor in expected.items():
            if given[key].shape != tensor.shape or given[key].dtype != tensor.dtype:
                raise FileError(
                    f"the tensor {prefix}.{key} has shape {tuple(given[key].shape)} "
                    f"and dtype {given[key].dtype}, expected {tuple(tensor.shape)} "
                    f"and {tensor.dtype}"
                )
        module.load_state_dict(given, strict=True)
        self.used.update(f"{prefix}.{key}" for key in given)


def _decode_module(value, name: str, context: Context):
    if value is None:
        return None
    if not (
        isinstance(value, dict)
        and set(value) == {"__module_class__"}
        and isinstance(value["__module_class__"], str)
    ):
        raise FileError(f"the parameter 'module' of {name} is malformed")
    qualname = value["__module_class__"]
    if qualname not in context.trusted:
        short = qualname.rsplit(".", 1)[-1]
        raise FileError(
            f"{name} was fitted with the module class {qualname!r}, which is "
            "built only from a class you pass: if you trust that class, call "
            f"load(..., trusted_modules=[{short}])"
        )
    return context.trusted[qualname]


def _decode_params(cls: type, raw, context: Context):
    """An unfitted ``cls`` with the file's parameters, validated."""
    name = cls.__name__
    if not isinstance(raw, dict):
        raise FileError(f"the parameters of {name} are not a JSON object")
    known = cls().get_params(deep=False)
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise FileError(f"{name} has no parameter(s) {', '.join(unknown)}")
    # Parameters added after a file's version: the value that reproduces the
    # model that such a file describes.
    params = {
        key: value
        for key, value in getattr(cls, "_absent_params", {}).items()
        if key not in raw
    }
    for key, value in raw.items():
        where = f"the parameter {key!r} of {name}"
        if key == "module":
            params[key] = _decode_module(value, name, context)
            continue
        params[key] = decode(value, where, _estimator_decoder(context))
        if key == "callbacks" and params[key]:
            raise FileError(f"{where} must be None; callbacks are not stored")
    if "device" in known:
        params["device"] = context.device
    estimator = cls()
    estimator.set_params(**params)
    try:
        estimator._validate_params()
    except ValueError as err:
        raise FileError(f"invalid parameters of {name}: {err}") from None
    return estimator


def _decode_estimator(body: dict, where: str, context: Context):
    name = body.get("class")
    if set(body) != {"class", "params"} or not isinstance(name, str):
        raise FileError(f"{where} holds a malformed estimator")
    cls = _registered_class(name)
    if cls is None:
        raise FileError(f"{where} names the class {name!r}, which is not allowed")
    return _decode_params(cls, body["params"], context)


def _rebuild(build, what: str):
    """Run ``build``; an error there comes from the file's values."""
    try:
        return build()
    except FileError:
        raise
    except Exception as err:
        raise FileError(
            f"could not rebuild the {what} from the file's parameters "
            f"({type(err).__name__}: {err})"
        ) from err


def _build_net(estimator, document, tensors: _Tensors, prefix: str) -> None:
    """Rebuild the module tree as ``fit`` builds it, fill it, set ``net_``."""
    # "semi_supervised": written by sk_ebm 0.1.0.dev0 before the state
    # protocol; the loaded net no longer needs it.
    if not isinstance(document, dict) or set(document) - {"history", "semi_supervised"}:
        raise FileError("the description of the net is malformed")
    history = decode_history(document.get("history", []))
    tree = _rebuild(
        lambda: estimator._build_modules(estimator.n_features_in_), "networks"
    )
    for name, module in tree.items():
        tensors.load_into(prefix + name, module)
    _rebuild(lambda: estimator._restore_modules(tree, history), "net")


def _decode_state(cls: type, raw_state, tensors: _Tensors, prefix: str, context):
    """The checked fitted attributes of ``cls`` that are stored as JSON."""
    name = cls.__name__
    if not isinstance(raw_state, dict):
        raise FileError(f"the fitted state of {name} is not a JSON object")
    table = {
        key: spec
        for key, spec in cls._fitted_attributes.items()
        if spec.kind not in ("estimator", "estimators", "modules", "part")
    }
    raw_state = dict(raw_state)
    for key, spec in table.items():
        tensor = tensors.tensors.get(f"{prefix}{spec.from_tensor}")
        if key not in raw_state and spec.from_tensor and tensor is not None:
            raw_state[key] = int(tensor.shape[0]) + spec.offset if tensor.dim() else 0
    unknown = sorted(set(raw_state) - set(table))
    missing = sorted(k for k, s in table.items() if s.required and k not in raw_state)
    if unknown or missing:
        raise FileError(
            f"the fitted state of {name} has unknown attributes {unknown} or "
            f"misses {missing}"
        )
    state: dict = {}
    for key, spec in table.items():  # in order: shapes refer to earlier ones
        if key in raw_state:
            value = decode(
                raw_state[key],
                f"the fitted attribute {key!r}",
                _estimator_decoder(context),
            )
            try:
                state[key] = check_fitted(key, spec, value, state)
            except ValueError as err:
                raise FileError(f"{err} ({name})") from None
    return state


def _build(document, tensors: _Tensors, prefix: str, context: Context):
    """The fitted estimator that ``document`` and the tensors describe."""
    if not isinstance(document, dict):
        raise FileError("its estimator description is not a JSON object")
    name = document.get("class")
    cls = _registered_class(name)
    if cls is None:
        raise FileError(
            f"it names the class {name!r}, which is not one of the estimators "
            f"that load accepts ({', '.join(registered_names())})"
        )
    nested = _table(cls, "estimator")
    lists = _table(cls, "estimators")
    net = ["net"] if _table(cls, "modules") else []
    if set(document) != {"class", "params", "state", *nested, *lists, *net}:
        raise FileError(f"the description of {name} has unexpected or missing keys")
    estimator = _decode_params(cls, document["params"], context)
    state = _decode_state(cls, document["state"], tensors, prefix, context)
    for key, value in state.items():
        setattr(estimator, key, value)
    for key in nested:
        inner = _build(document[key], tensors, f"{prefix}{key}.", context)
        setattr(estimator, key, inner)
    for key in lists:
        if not isinstance(document[key], list) or not document[key]:
            raise FileError(f"the {key!r} of {name} is not a list of estimators")
        members = [
            _build(inner, tensors, f"{prefix}{key}.{i}.", context)
            for i, inner in enumerate(document[key])
        ]
        setattr(estimator, key, members)
    if net:
        _build_net(estimator, document["net"], tensors, prefix)
    return estimator


def build_document(document, tensors: dict, context: Context):
    """The estimator of a parsed header and its tensors; every tensor is used."""
    tensors = _Tensors(tensors)
    try:
        estimator = _build(document, tensors, "", context)
    except RecursionError:
        raise FileError("its estimator description is nested too deeply") from None
    extra = sorted(set(tensors.tensors) - tensors.used)
    if extra:
        raise FileError(f"it holds tensors that no module uses: {extra[:5]}")
    return estimator
