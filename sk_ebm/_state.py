"""The state protocol: what an estimator declares so that it can be saved.

An sk_ebm estimator declares

1. ``_parameter_constraints``: exactly its own parameters;
2. ``_fitted_attributes``: a table ``{name: Fitted(kind, ...)}`` of its fitted
   attributes, checked here when a file is read;
3. ``_build_modules(n_features, fit=None)``: its untrained torch module tree
   (a :class:`torch.nn.ModuleDict`), which ``fit`` fills from data and
   :func:`sk_ebm.io.load` fills from saved tensors through the same code;

and is registered with :func:`register`. :mod:`sk_ebm.io` knows nothing else
of it: it stores the attributes of the table (as JSON) and the tensors of the
module tree, and reads them back through this table.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import numpy as np

__all__ = ["Fitted", "check_fitted", "register", "registered"]

KINDS = (
    "int",
    "float",
    "array",
    "labels",
    "choice",
    "estimator",
    "estimators",
    "modules",
    "part",
)


class Fitted(NamedTuple):
    """How a fitted attribute is stored and checked.

    ``kind`` is one of ``"int"`` (a positive integer), ``"float"`` (a finite or
    infinite number), ``"array"`` (an array of ``dtype`` (``"float64"`` or
    ``"str"``) and ``shape``, whose entries are integers or names of ``"int"``
    attributes), ``"labels"`` (sorted distinct class labels, at least two),
    ``"choice"`` (one of ``options``), ``"estimator"`` (a fitted registered
    estimator), ``"estimators"`` (a list of them, e.g. the members of a
    composition), ``"modules"`` (the skorch net holding the module tree,
    stored as tensors and its history) or ``"part"`` (a module of that
    tree that the estimator holds itself, stored with it). ``from_tensor``
    names a tensor whose first dimension gives an ``"int"`` attribute missing
    from files that predate it.
    """

    kind: str
    dtype: str | None = None
    shape: tuple = ()
    required: bool = True
    options: tuple = ()
    from_tensor: str | None = None
    offset: int = 0


_REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Make ``cls`` saveable by :mod:`sk_ebm.io` (usable as a class decorator)."""
    table = getattr(cls, "_fitted_attributes", None)
    if not isinstance(table, dict) or not all(
        isinstance(spec, Fitted) and spec.kind in KINDS for spec in table.values()
    ):
        raise TypeError(f"{cls.__name__} declares no valid _fitted_attributes table.")
    if sum(spec.kind == "modules" for spec in table.values()) > 1:
        raise TypeError(f"{cls.__name__} declares more than one module tree.")
    _REGISTRY[cls.__name__] = cls
    return cls


def registered(name: str) -> type | None:
    """The registered class called ``name``, or None.

    The public estimators of :mod:`sk_ebm` are imported on first use (they
    register themselves when their module is imported).
    """
    if name not in _REGISTRY:
        package = importlib.import_module("sk_ebm")
        if name in getattr(package, "__all__", ()):
            getattr(package, name)
    return _REGISTRY.get(name)


def registered_names() -> list[str]:
    """Names of the registered classes, the public estimators included."""
    package = importlib.import_module("sk_ebm")
    for name in package.__all__:
        if name[0].isupper():
            registered(name)
    return sorted(_REGISTRY)


def _shape(spec: Fitted, state: dict) -> tuple:
    return tuple(n if isinstance(n, int) else state.get(n) for n in spec.shape)


def check_fitted(name: str, spec: Fitted, value, state: dict):
    """``value`` of the fitted attribute ``name`` once checked against ``spec``.

    ``state`` holds the attributes checked before (shapes may refer to them).
    Raises a ValueError naming the attribute when the value does not fit.
    """
    where = f"the fitted attribute {name!r}"
    if spec.kind == "int":
        if type(value) is not int or value < 1:
            raise ValueError(f"{where} must be a positive integer")
    elif spec.kind == "float":
        if type(value) not in (int, float):
            raise ValueError(f"{where} must be a number")
        value = float(value)
    elif spec.kind == "choice":
        if value not in spec.options:
            raise ValueError(f"{where} is not one of {list(spec.options)}")
    elif spec.kind == "array":
        shape = _shape(spec, state)
        if spec.dtype == "str":
            ok = (
                isinstance(value, np.ndarray)
                and value.dtype == object
                and all(isinstance(v, str) for v in value.ravel())
            )
        else:
            ok = isinstance(value, np.ndarray) and value.dtype == np.dtype(spec.dtype)
        if not ok or value.shape != shape:
            raise ValueError(f"{where} must be a {spec.dtype} array of shape {shape}")
    elif spec.kind == "labels":
        if not isinstance(value, np.ndarray) or value.ndim != 1 or len(value) < 2:
            raise ValueError(f"{where} must be an array of at least 2 labels")
        try:
            ordered = np.array_equal(np.unique(value), value)
        except TypeError:
            ordered = False
        if not ordered:
            raise ValueError(f"{where} must be sorted distinct labels")
    return value
