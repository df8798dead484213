"""Batched, bounded-memory inference of a fitted energy module."""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from sk_ebm.nn import langevin_purify

__all__ = ["BatchedInference", "RowNoise"]

INFERENCE_BATCH_SIZE = 65536


class RowNoise:
    """Standard normal draws keyed by each row's values and a seed.

    A row's draws do not depend on its position or on the other rows, so that
    a random prediction (Langevin purification) of a row is the same whatever
    rows it is scored with, and in any order.
    """

    def __init__(self, X: np.ndarray, seed: int) -> None:
        salt = int(seed).to_bytes(8, "little")
        rows = np.ascontiguousarray(X, dtype=np.float64)
        self.keys = [
            int.from_bytes(
                hashlib.blake2b(row.tobytes(), digest_size=8, salt=salt).digest(),
                "little",
            )
            for row in rows
        ]
        self.start = 0

    def next(self, n_rows: int, steps: int, width: int, chains: int = 1) -> Tensor:
        """The draws of :func:`~sk_ebm.nn.langevin_purify` for the next
        ``n_rows`` rows, each copied ``chains`` times: shape
        ``(steps + 1, chains * n_rows, width)``, the copies chain after chain,
        as :meth:`~sk_ebm.nn.PurifiedLogits.purify` lays them out."""
        keys = self.keys[self.start : self.start + n_rows]
        self.start += n_rows
        shape = (chains, steps + 1, width)
        out = np.empty((n_rows, *shape))
        for i, key in enumerate(keys):
            out[i] = np.random.default_rng(key).standard_normal(shape)
        return torch.as_tensor(out.transpose(2, 1, 0, 3).reshape(steps + 1, -1, width))


class BatchedInference:
    """Mixin of the estimators' inference: the public :meth:`energy` and
    :meth:`energy_grad_norm`, and :meth:`_batched` under every prediction.

    Relies on the estimator's ``net_``, ``device``, ``_validate_X`` and
    ``_standardised``, and its ``whitening_`` where it has one.
    """

    # -- inference -------------------------------------------------------------
    def _energy_module(self) -> torch.nn.Module:
        """The fitted module whose ``forward`` is the energy."""
        return self.net_.module_

    def _inference_module(self) -> tuple[torch.nn.Module, torch.dtype]:
        """The fitted energy module in eval mode and the dtype to feed it.

        On the CPU this is a float64 copy: a float32 matrix product may round a
        row differently depending on its position in the batch, and a row's
        output should not depend on the other rows it is scored with. On an
        accelerator the float32 module itself is used.
        """
        module = self._energy_module().eval()
        if torch.device(self.device).type != "cpu":
            return module, torch.float32
        return copy.deepcopy(module).double(), torch.float64

    def _checked_X(self, X) -> np.ndarray:
        check_is_fitted(self, "net_")
        return self._validate_X(X, reset=False)

    def _batched(self, fn, X: np.ndarray, *, grad: bool = False, outside=None):
        """Apply ``fn(module, Z)`` to the network's rows ``Z`` of ``X`` in
        batches (``module`` from :meth:`_inference_module`), without gradients
        unless ``grad``; ``outside(part, energy)`` then adds the energy of the
        axes outside a whitened space (zeros without one).

        Rows are scaled and moved to the device one batch at a time, and the
        results written into one preallocated array, so that the memory beyond
        the output stays bounded whatever the number of rows.
        """
        module, dtype = self._inference_module()
        whitening = getattr(self, "whitening_", None)
        out = np.empty(0)
        context = torch.enable_grad() if grad else torch.inference_mode()
        with context:
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                S = self._standardised(X[start : start + INFERENCE_BATCH_SIZE], dtype)
                Z = S if whitening is None else whitening(S)
                part = fn(module, Z)
                if outside is not None and whitening is not None:
                    part = outside(part, whitening.outside_energy(S))
                part = part.detach().double().cpu().numpy()
                if start == 0:
                    out = np.empty((X.shape[0], *part.shape[1:]))
                out[start : start + len(part)] = part
        return out

    def _purified(self, X, seed: int, **steps) -> np.ndarray:
        """``X``'s rows after :func:`~sk_ebm.nn.langevin_purify` (``steps``)
        on the energy, with noise keyed by the rows and ``seed``, in the
        data's units; the axes outside a whitened space keep their values."""
        X = self._checked_X(X)
        noise = RowNoise(X, seed)

        def shift(module, Z):
            draws = noise.next(len(Z), steps["steps"], Z.shape[1])
            return langevin_purify(module, Z, draws=draws, **steps) - Z

        delta = self._batched(shift, X, grad=True)
        whitening = getattr(self, "whitening_", None)
        if whitening is not None:
            delta = delta @ whitening.unwhitening(torch.float64).cpu().numpy()
        return X + delta * self.scale_

    def energy(self, X):
        """Energy :math:`E(x)` of each row: lower is more likely.

        The energy of the fitted model on the internally standardised (and
        whitened) rows, unnormalised; for density estimators
        ``score_samples(X) == -energy(X) - log_partition_``, for the classifier
        ``score_samples(X) == -energy(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.

        Returns
        -------
        energy : ndarray of shape (n_samples,)
            :math:`E(x)` per row.
        """
        return self._batched(
            lambda module, Z: module(Z),
            self._checked_X(X),
            outside=lambda energy, outside: energy + outside,
        )

    def energy_grad_norm(self, X):
        """Norm of the gradient of the energy, :math:`\\lVert\\nabla_z E(z)\\rVert`.

        The gradient is taken with respect to the coordinates ``z`` of the
        network's space, so that no feature dominates through its units: the
        whitened coordinates (the axes outside the network's space included,
        see ``whitening_``), or the standardised features of a model without
        whitening. Small near the modes of the model (JEM's "approximate mass"
        OOD score uses its negative).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, in the units of the training data.

        Returns
        -------
        grad_norm : ndarray of shape (n_samples,)
            Euclidean norm of :math:`\\nabla_z E(z)` per row.
        """

        def norm(module, Z):
            Z.requires_grad_(True)
            (grad,) = torch.autograd.grad(module(Z).sum(), Z)
            return grad.norm(dim=1)

        return self._batched(
            norm,
            self._checked_X(X),
            grad=True,
            # The outside energy 0.5 |u|^2 has gradient u, of squared norm 2 E.
            outside=lambda norm, outside: (norm**2 + 2 * outside).sqrt(),
        )
