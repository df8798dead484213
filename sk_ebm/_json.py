"""JSON values of the sk_ebm file format, decoded as data only.

Parameters and fitted attributes are plain JSON, with one-key tagged objects
for the types that JSON lacks (tuples, dicts with any string keys, numpy
arrays of plain dtypes, random states, and unfitted estimators through a
hook). Decoding knows only these tags and checks every value's type: it never
imports or calls anything a file names.
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch
from skorch.history import History

__all__ = [
    "FileError",
    "cannot_store",
    "decode",
    "decode_history",
    "encode",
    "encode_history",
]

TAGS = (
    "__tuple__",
    "__dict__",
    "__ndarray__",
    "__random_state__",
    "__estimator__",
    "__module_class__",
)
_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|U[0-9]{1,6}|O)")
_SCALAR_TYPES = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float)}


class FileError(ValueError):
    """A file that :func:`sk_ebm.io.load` refuses; ``load`` adds the file's name."""


def cannot_store(where: str, value) -> ValueError:
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
    raise cannot_store(where, value)


def encode(value, where: str, on_estimator=None):
    """JSON form of a parameter or fitted attribute; tagged objects keep types."""
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, where, on_estimator) for v in value]}
    if isinstance(value, list):
        return [encode(v, where, on_estimator) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError(f"{where} is a dict with non-string keys.")
        return {
            "__dict__": {
                k: encode(v, f"{where}[{k!r}]", on_estimator) for k, v in value.items()
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
    body = None if on_estimator is None else on_estimator(value)
    if body is not None:
        # An unfitted estimator as a parameter (OODDetector's ``estimator``).
        return {"__estimator__": body}
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


_SKIP = object()


def encode_history(value):
    """The skorch history as plain JSON; entries that are not plain values go."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            encoded = encode_history(item)
            if isinstance(key, str) and encoded is not _SKIP:
                out[key] = encoded
        return out
    if isinstance(value, (list, tuple)):
        items = (encode_history(item) for item in value)
        return [item for item in items if item is not _SKIP]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    try:
        return _encode_scalar(value, "")
    except ValueError:
        return _SKIP


def _decode_scalar(value, where: str):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise FileError(f"{where} holds a {type(value).__name__} where a value was due")


def decode(value, where: str, on_estimator=None):
    """Python value of :func:`encode`'s JSON; only the tags listed are known."""
    if isinstance(value, list):
        return [decode(item, where, on_estimator) for item in value]
    if not isinstance(value, dict):
        return _decode_scalar(value, where)
    if len(value) != 1 or next(iter(value)) not in TAGS:
        raise FileError(f"{where} holds an unknown object {sorted(value)[:3]}")
    ((tag, body),) = value.items()
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(decode(item, where, on_estimator) for item in body)
    if tag == "__dict__" and isinstance(body, dict):
        return {k: decode(v, f"{where}[{k!r}]", on_estimator) for k, v in body.items()}
    if tag == "__ndarray__" and isinstance(body, dict):
        return _decode_array(body, where)
    if tag == "__random_state__" and isinstance(body, dict):
        return _decode_random_state(body, where)
    if tag == "__estimator__" and isinstance(body, dict) and on_estimator:
        return on_estimator(body, where)
    if tag == "__module_class__":
        raise FileError(f"{where} names a module class; only 'module' may")
    raise FileError(f"{where} holds a malformed {tag} object")


def _decode_array(body: dict, where: str) -> np.ndarray:
    dtype, shape, data = body.get("dtype"), body.get("shape"), body.get("data")
    if set(body) != {"dtype", "shape", "data"} or not isinstance(dtype, str):
        raise FileError(f"{where} holds a malformed array")
    if not _DTYPE.fullmatch(dtype):
        raise FileError(f"{where} has the array dtype {dtype!r}, which is refused")
    dtype = np.dtype(dtype)
    if (
        not isinstance(shape, list)
        or len(shape) > 8
        or not all(type(n) is int and n >= 0 for n in shape)
        or not isinstance(data, list)
        or len(data) != math.prod(shape)
    ):
        raise FileError(f"{where} holds an array whose shape does not fit its data")
    kind = dtype.kind
    allowed = _SCALAR_TYPES.get(kind, (str,) if kind == "U" else (str, int, float))
    for item in data:
        if type(item) not in allowed and not (kind == "O" and type(item) is bool):
            raise FileError(f"{where} holds a {type(item).__name__} in a {dtype} array")
    if kind == "U" and any(len(item) > dtype.itemsize // 4 for item in data):
        raise FileError(f"{where} holds strings longer than its dtype {dtype}")
    if kind == "O":
        array = np.empty(len(data), dtype=object)
        array[:] = data
    else:
        try:
            array = np.array(data, dtype=dtype)
        except (OverflowError, ValueError) as err:
            raise FileError(f"{where} holds values out of range: {err}") from None
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
        raise FileError(f"{where} holds a malformed random state")
    random_state = np.random.RandomState()
    try:
        random_state.set_state(("MT19937", np.array(keys, dtype=np.uint32), *values))
    except (TypeError, ValueError) as err:
        raise FileError(f"{where} holds an invalid random state: {err}") from None
    return random_state


def decode_history(raw) -> History:
    if not isinstance(raw, list) or not all(
        isinstance(row, dict)
        and isinstance(row.get("batches", []), list)
        and all(isinstance(batch, dict) for batch in row.get("batches", []))
        for row in raw
    ):
        raise FileError("the training history is not a list of epochs")
    return History(raw)
