"""Class labels of the classifier: validation, encoding, stratified split."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

__all__ = ["class_indices", "encode_known", "encode_labels", "stratified_split"]


def _label_kind(label) -> str:
    if isinstance(label, str):
        return "string"
    return "number" if isinstance(label, Real) else type(label).__name__


def _unlabeled_mask(y: np.ndarray) -> np.ndarray:
    if y.dtype.kind in "iuf":
        return y == -1
    return np.array([isinstance(v, (int, np.integer)) and v == -1 for v in y])


def encode_labels(y, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Classes (``-1`` excluded) and labels encoded as their indices, -1 kept."""
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
        )
    unlabeled = _unlabeled_mask(y)
    labels = y[~unlabeled]
    if labels.dtype == object:
        kinds = {_label_kind(label) for label in labels}
        if len(kinds) > 1:
            raise ValueError(
                f"y mixes labels of types {sorted(kinds)}; use labels of one "
                "type, all strings or all numbers."
            )
    if labels.size == 0:
        raise ValueError(
            "y contains only unlabelled rows (-1); at least two classes need "
            "labelled rows."
        )
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError("y contains NaN or infinity.")
    target = type_of_target(labels, input_name="y", raise_unknown=True)
    if target not in ("binary", "multiclass"):
        raise ValueError(
            f"EnergyClassifier supports binary and multiclass targets, got {target!r}."
        )
    encoder = LabelEncoder().fit(labels)
    if len(encoder.classes_) < 2:
        raise ValueError(
            f"y has 1 class ({encoder.classes_[0]!r}) among its labelled rows; "
            "a classifier needs at least two."
        )
    encoded = np.full(n_samples, -1, dtype=np.int64)
    encoded[~unlabeled] = encoder.transform(labels)
    return encoder.classes_, encoded


def encode_known(known: np.ndarray, classes, encoded) -> np.ndarray:
    """Re-encode labels against the ``classes_`` of the previous fit."""
    unseen = classes[~np.isin(classes, known)]
    if unseen.size:
        raise ValueError(
            f"y has classes not seen by the previous fit: {unseen}; with "
            "warm_start=True the classes must stay those of the first fit "
            f"({known})."
        )
    index = np.searchsorted(known, classes)
    return np.where(encoded >= 0, index[np.maximum(encoded, 0)], -1)


def stratified_split(
    n_samples: int, encoded: np.ndarray, fraction: float, rng
) -> tuple:
    """Training and validation rows: a stratified share of the labelled rows
    is held out when ``early_stopping``; unlabelled rows are all trained on."""
    train = np.arange(n_samples)
    labeled = np.flatnonzero(encoded >= 0)
    n_valid = round(fraction * len(labeled))
    if n_valid < 1:
        return None, None
    stratify = encoded[labeled]
    if np.bincount(stratify).min() < 2 or n_valid < stratify.max() + 1:
        stratify = None
    if len(labeled) - n_valid < 2:
        raise ValueError(
            f"early_stopping holds out {n_valid} of the {len(labeled)} "
            "labelled rows, which leaves too few to train on; lower "
            "validation_fraction or set early_stopping=False."
        )
    _, valid = train_test_split(
        labeled, test_size=n_valid, stratify=stratify, random_state=rng
    )
    valid = np.sort(valid)
    return np.setdiff1d(train, valid), valid


def class_indices(classes: np.ndarray, y, n_samples: int) -> np.ndarray:
    """Indices in ``classes_`` of the labels ``y`` of :meth:`sample`, one per
    sample; a ValueError names labels that are not classes."""
    try:
        labels = np.asarray(y)
    except ValueError as err:
        raise ValueError(f"y must be a label or a 1-D array of labels: {err}") from err
    if labels.ndim > 1 or (labels.ndim == 1 and len(labels) != n_samples):
        raise ValueError(
            f"y must be a single label or one label per sample, i.e. of shape "
            f"({n_samples},); got shape {labels.shape}."
        )
    # Labels are matched by equality (1.0 is class 1, 1.5 and "1" are not),
    # never cast to the dtype of classes_, which would truncate them.
    lookup = {label: i for i, label in enumerate(classes.tolist())}

    def find(label):
        try:
            return lookup.get(label)
        except TypeError:  # unhashable
            return None

    labels = np.atleast_1d(labels).tolist()
    index = [find(label) for label in labels]
    unknown = [label for label, i in zip(labels, index, strict=True) if i is None]
    if unknown:
        raise ValueError(
            f"y contains labels not in classes_ {classes.tolist()}: {unknown[:5]}."
        )
    return np.broadcast_to(np.array(index, dtype=np.int64), (n_samples,)).copy()
