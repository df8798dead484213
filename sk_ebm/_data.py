"""Batch iterators over tensors already on the device."""

from __future__ import annotations

import math

import torch

__all__ = ["TensorBatches"]


class TensorBatches:
    """Batches of a tensor dataset by slicing, without per-row Python work.

    A drop-in ``iterator_train``/``iterator_valid`` for skorch when ``X`` is a
    tensor already on the device: the default ``DataLoader`` would index and
    collate one row at a time. With ``shuffle``, each epoch's order is drawn
    from ``generator``, a :class:`torch.Generator` on the CPU that the
    estimators seed from their ``random_state``, so that fits running in
    threads of one process stay reproducible (a net used directly, without a
    generator, draws from torch's global generator).
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, generator=None, **_):
        self.X = dataset.X
        self.y = dataset.y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return math.ceil(self.X.shape[0] / self.batch_size)

    def __iter__(self):
        n = self.X.shape[0]
        X, y = self.X, self.y
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(X.device)
            X = X[order]
            y = None if y is None else y[order]
        for start in range(0, n, self.batch_size):
            stop = start + self.batch_size
            yield X[start:stop], (None if y is None else y[start:stop])
