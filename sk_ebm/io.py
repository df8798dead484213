"""Save and load fitted estimators without pickle.

:mod:`pickle` (and :func:`joblib.load`, or :func:`torch.load` without
``weights_only``) runs code chosen by whoever wrote the file: loading a model
file received from someone else can take over the machine. :func:`dump`
writes a fitted sk_ebm estimator as one `safetensors
<https://huggingface.co/docs/safetensors>`_ file instead, and :func:`load`
reads it back as data only:

- the tensors of the estimator's module tree (networks, base densities,
  proposals, noise, persistent Langevin chains) are the body of the file,
  stored from CPU copies;
- a JSON document in the file's header holds everything else: the format and
  its version, the estimator's class name, its ``get_params()``, its fitted
  attributes and the skorch training history.

This module holds the file format, its versions and the trust rules only.
What an estimator stores is declared by the estimator (the state protocol of
``sk_ebm._state``): its table of fitted attributes, checked here by kind,
dtype and shape, and its ``_build_modules``, which rebuilds the untrained
module tree that the file's tensors then fill, checked by name, shape and
dtype. A file can name only registered estimator classes, and a module class
only among the ``trusted_modules`` given to :func:`load`; nothing is imported
by a name read from the file and nothing is unpickled. A file that does not
match is refused with a :class:`ValueError`.

Pickle remains the way to store what this format cannot describe (a module
instance, a scikit-learn estimator as NCE noise), for files you trust.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import json
import os
import re

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from sk_ebm import __version__
from sk_ebm._document import Context, build_document, describe, qualname
from sk_ebm._json import FileError

__all__ = ["dump", "load"]

FORMAT_NAME = "sk_ebm"
# Version 1 is unchanged by the state protocol: the same document and tensor
# names. Files written before the fitted attributes that give the sizes of
# mixtures (``n_components_``, ``noise_components_``) get them from the
# tensors' shapes (``Fitted.from_tensor`` in ``sk_ebm._state``).
FORMAT_VERSION = "1"


def dump(estimator, file) -> None:
    """Save a fitted sk_ebm estimator to a file that loads without running code.

    The file is a `safetensors <https://huggingface.co/docs/safetensors>`_
    file: the network weights as tensors, and the estimator's class name,
    parameters, fitted attributes and training history as JSON in its header
    (see :mod:`sk_ebm.io`). :func:`load` reads it back.

    Parameters
    ----------
    estimator : sk_ebm estimator
        A fitted sk_ebm estimator (:class:`~sk_ebm.EnergyClassifier`,
        :class:`~sk_ebm.EnergyDensityEstimator`,
        :class:`~sk_ebm.NCEDensityEstimator`, an :class:`~sk_ebm.OODDetector`
        around one of them, or any estimator registered with the state
        protocol). Its ``module`` must be None (the default networks) or a
        :class:`torch.nn.Module` subclass, which :func:`load` then needs in
        ``trusted_modules``.
    file : str or path-like
        Where to write; the extension ``.safetensors`` is customary.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not a registered sk_ebm estimator.
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
    document, tensors = describe(estimator, "", trusted)
    text = json.dumps(document)
    try:
        build_document(json.loads(text), tensors, Context("cpu", trusted))
    except FileError as err:
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


def _read(path: str) -> tuple[dict, dict]:
    """The sk_ebm document and the tensors of a safetensors file."""
    try:
        with safe_open(path, framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("format") != FORMAT_NAME:
                raise FileError(
                    "it is a safetensors file but not an sk_ebm model (no "
                    f"format={FORMAT_NAME!r} in its header)"
                )
            version = metadata.get("format_version")
            if version != FORMAT_VERSION:
                raise FileError(
                    f"its format version {version!r} is not supported (this "
                    f"sk_ebm {__version__} reads version {FORMAT_VERSION})"
                )
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (FileError, OSError):
        raise
    except Exception as err:
        raise FileError(
            f"it is not a valid safetensors file ({err}); only files written by "
            "sk_ebm.io.dump can be loaded (pickle files are refused on purpose)"
        ) from None
    try:
        document = json.loads(metadata.get("estimator", ""))
    except (ValueError, RecursionError):
        raise FileError("its estimator description is not valid JSON") from None
    return document, tensors


def load(file, *, device="cpu", trusted_modules=None):
    """Load an estimator saved by :func:`dump`, without running code from the file.

    The file is read as data: the class name must be that of a registered sk_ebm
    estimator, the parameters and fitted attributes must have the expected
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
    estimator : sk_ebm estimator
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
        trusted[qualname(cls)] = cls
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
        return build_document(document, tensors, Context(device, trusted))
    except FileError as err:
        raise ValueError(f"Cannot load {path!r}: {err}.") from None
